# SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause)
# shellcheck shell=bash
#
# Helpers of the day-2 reliability tests (tests/integration/test_day2*.sh).
# Source tests/lib/common.sh first. Interfaces are tgd2<N>, their hosts
# tgd2n<N>, addressed 198.19.<100+N>.1 (root side) / .2 (namespace side).
#
#   d2_begin NAME [OBJ...]  tg_test_begin NAME; fail unless tgtraffic and the
#                           objects (build/bpf, else build/tests/bpf) are
#                           built; sets P (plans), STATE0, HIST, JOURNAL, want
#   d2_host N               create host N (interface tgd2<N>)
#   d2_plan FILE NAME CANARY FLEET STAGES STEPS [GATES] [EXTRA]
#                           write a plan; STAGES: words of name[:object]
#   d2_slot0 IF             program id in slot 0 of IF's xdp attach point
#   d2_xdp IF               id of the XDP program attached to IF (empty if none)
#   d2_prog_name ID         a program's name, from bpftool
#   d2_live_gen IF          generation of the live bank (status --json)
#   d2_burst N COUNT [RATE] UDP from host N into tgd2<N>: prints "received sent"
#   d2_flow N SECS RATE PORT  background sender (pid in D2_FLOW)
#   d2_wait_for FILE REGEX [SECS]  wait until FILE matches REGEX

D2_BPF=$TG_TOP/build/bpf
D2_TBPF=$TG_TOP/build/tests/bpf

d2_begin() {
	local f
	tg_test_begin "$1"
	shift
	[[ -x $TG_TRAFFIC ]] || tg_fail "$TG_TRAFFIC is not built; run make"
	for f in "$@"; do
		[[ -f $D2_BPF/$f.bpf.o || -f $D2_TBPF/$f.bpf.o ]] ||
			tg_fail "$f.bpf.o is not built in $D2_BPF or $D2_TBPF; run make"
	done
	P=$TG_TMP/plans
	mkdir -p "$P"
	STATE0=$TAILGATE_STATE_DIR
}

HIST() { echo "$TAILGATE_STATE_DIR/history.jsonl"; }
JOURNAL() { echo "$TAILGATE_STATE_DIR/rollout.journal"; }
# D2_ONLY="..." runs some sections only
want() { [[ -z ${D2_ONLY:-} || " $D2_ONLY " == *" $1 "* ]]; }

d2_host() {
	tg_host "tgd2n$1" "tgd2$1" "198.19.$((100 + $1)).1/24" "198.19.$((100 + $1)).2"
}

d2_addr() { echo "198.19.$((100 + $1)).1"; }

# d2_plan FILE NAME CANARY FLEET STAGES STEPS [GATES] [EXTRA]
d2_plan() {
	local file=$1 name=$2 canary=$3 fleet=$4 stages=$5 steps=$6 gates=${7:-} extra=${8:-}
	local s n o
	{
		printf 'name: %s\nhook: xdp\ninterfaces:\n  canary: [%s]\n  fleet: [%s]\n' \
			"$name" "$canary" "$fleet"
		printf 'pipeline:\n'
		for s in $stages; do
			n=${s%%:*}
			o=${s#*:}
			[[ $o == "$s" ]] && o=$D2_BPF/$n.bpf.o
			printf '  - name: %s\n    object: %s\n    program: %s\n' "$n" "$o" "$n"
			[[ $n == counter ]] && printf '    keep_maps: [packet_count]\n'
		done
		printf 'steps:\n%s\n' "$steps"
		printf 'gates:\n'
		[[ $gates == *min_packets:* ]] || printf '  min_packets: 20\n'
		[[ $gates == *max_tail_misses:* ]] || printf '  max_tail_misses: 0\n'
		printf '%s\n' "$gates"
		printf 'on_failure: rollback\n%s\n' "$extra"
	} >"$file"
}

d2_slot0() { tg_slot_prog_id "$TAILGATE_PIN_ROOT/$1/xdp" 0; }

d2_xdp() { ip -j -d link show dev "$1" 2>/dev/null | jq -r '.[0].xdp.prog.id // empty'; }

d2_prog_name() { bpftool prog show id "$1" -j 2>/dev/null | jq -r '.name // empty'; }

d2_live_gen() {
	"$TG" status --json 2>/dev/null | jq -r --arg i "$1" \
		'[.attach_points[]? | select(.ifname == $i and .hook == "xdp") | .banks[]? | select(.live) | .generation] | first // empty'
}

# d2_burst N COUNT [RATE]: COUNT packets from host N into tgd2<N>; prints
# "RECEIVED SENT" (a receiver on the root side counts them).
d2_burst() {
	local n=$1 count=$2 rate=${3:-2000} port=$((9000 + $1)) out rx
	out=$(mktemp "$TG_TMP/burst.XXXXXX")
	"$TG_TRAFFIC" recv --bind "$(d2_addr "$n")" --port $port --duration 30 --idle-ms 1500 >"$out" &
	rx=$!
	tg_wait_bound "" "$(d2_addr "$n")" $port
	local sent
	sent=$(nsenter --net="/run/netns/tgd2n$n" "$TG_TRAFFIC" send --dst "$(d2_addr "$n")" \
		--port $port --count "$count" --rate "$rate" | sed -n 's/^sent=//p')
	wait $rx
	echo "$(sed -n 's/^received=\([0-9]*\).*/\1/p' "$out") ${sent:-0}"
	rm -f "$out"
}

# d2_lossless N COUNT DESC: a burst through tgd2<N> arrives whole.
d2_lossless() {
	local got
	got=$(d2_burst "$1" "$2")
	tg_assert_eq "${got% *}" "${got#* }" "$3 (received of sent: $got)"
}

# d2_flow N SECS RATE PORT: sender in the background, pid in D2_FLOW.
d2_flow() {
	nsenter --net="/run/netns/tgd2n$1" "$TG_TRAFFIC" send --dst "$(d2_addr "$1")" \
		--port "$4" --rate "$3" --duration "$2" >/dev/null 2>&1 &
	D2_FLOW=$!
	tg_on_exit "kill $D2_FLOW 2>/dev/null"
}

d2_wait_for() {
	local file=$1 re=$2 secs=${3:-20} i
	for ((i = 0; i < secs * 20; i++)); do
		grep -qsE "$re" "$file" && return 0
		sleep 0.05
	done
	return 1
}

# d2_no_dispatcher IF: no XDP program and no pins, as before any rollout.
d2_no_dispatcher() {
	[[ -z $(d2_xdp "$1") && ! -e $TAILGATE_PIN_ROOT/$1 ]]
}
