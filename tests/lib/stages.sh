# SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause)
# shellcheck shell=bash
#
# Helpers of the integration tests that roll out third-party stages and
# count their packets exactly (test_anyprog.sh, test_fused.sh). Source
# tests/lib/common.sh first, then this file.
#
#   st_host NS IFNAME NET        tg_host on NET.1/24 <-> NET.2, made quiet:
#                                no IPv6, permanent neighbours, so the
#                                test's datagrams are the only packets
#   st_plan FILE NAME HOOK CANARY FLEET STAGE...
#                                a plan; STAGE is "name|object|program|extra",
#                                extra YAML lines of the stage joined by ';'
#                                (keep_maps: [m];mode: shadow). ST_DATAPATH,
#                                ST_STEPS, ST_GATES (';'-joined) adjust it
#   st_burst NS NET PORT COUNT [DIR]
#                                COUNT datagrams NET.2 -> NET.1:PORT (DIR=out:
#                                NET.1 -> NET.2, for egress hooks) with a
#                                receiver; sets ST_SENT, ST_RECEIVED, ST_LOST
#                                (the sender adds ST_END END markers)
#   st_send NS NET PORT COUNT    the same datagrams, no receiver (when only
#                                the counters matter); sets ST_SENT
#   st_bg_start NS NET PORT / st_bg_stop
#                                steady 1000 pps in the background (for the
#                                gates of a rollout); stop checks nothing
#                                but sets ST_BG (one line per flow)
#   st_read ARRAY PINDIR SLOT    a slot's counters (stock bpftool, CPUs
#                                summed) into an associative array
#   st_delta ARRAY NEW OLD       ARRAY = NEW - OLD per counter
#   st_identity DESC ARRAY       packets == pass+drop+aborted+tx+redirect
#   st_slots PINDIR              the prog array as "key:id ..." (bpftool)
#   st_prog_map PROGID NAME      id of the map NAME (kernel's 15 chars) the
#                                program uses, via bpftool prog/map show
#   st_map_u64 ID [KEY]          u64 value of KEY (default 0) of map ID
#   st_dump_u64 PIN              value of key 0 of a u32 -> u64 array, from
#                                bpftool map dump (what an operator reads)

ST_END=5	# END datagrams tgtraffic sends after the data (tools/tgtraffic.c)
# A rollout in the small: canary, a short analysis, promotion in waves of
# one; gates that judge drops, aborts and tail misses but not the verdict
# mix against a baseline (the tests' stages change it on purpose).
ST_STEPS_DEFAULT='canary: {};analyze: {duration: 1s, interval: 250ms};promote: {batch: 1, analyze: 500ms}'
ST_GATES_DEFAULT='min_packets: 20;max_drop_ratio: 0.01;max_drop_ratio_delta: 1;max_verdict_delta: 1;max_aborted: 0;max_tail_misses: 0'
ST_FIELDS=(packets bytes pass drop aborted tx redirect continued tail_miss)

st_host() {
	local ns=$1 ifc=$2 net=$3
	tg_host "$ns" "$ifc" "$net.1/24" "$net.2"
	sysctl -qw "net.ipv6.conf.$ifc.disable_ipv6=1"
	nsenter --net="/run/netns/$ns" sysctl -qw net.ipv6.conf.eth0.disable_ipv6=1
	ip neigh replace "$net.2" dev "$ifc" nud permanent \
		lladdr "$(ip -n "$ns" -br link show eth0 | awk '{ print $3 }')"
	ip -n "$ns" neigh replace "$net.1" dev eth0 nud permanent \
		lladdr "$(ip -br link show "$ifc" | awk '{ print $3 }')"
}

_st_lines() { tr ';' '\n' <<<"$1" | sed '/^$/d' | sed "s/^/$2/"; }

st_plan() {
	local file=$1 name=$2 hook=$3 canary=$4 fleet=$5 s n o p x
	shift 5
	{
		printf 'name: %s\nhook: %s\ninterfaces:\n  canary: [%s]\n' "$name" "$hook" "$canary"
		[[ -n $fleet ]] && printf '  fleet: [%s]\n' "$fleet"
		printf 'pipeline:\n'
		for s in "$@"; do
			IFS='|' read -r n o p x <<<"$s"
			printf '  - name: %s\n    object: %s\n    program: %s\n' "$n" "$o" "$p"
			[[ -n $x ]] && _st_lines "$x" '    '
		done
		[[ -n ${ST_DATAPATH:-} ]] && printf 'datapath: %s\n' "$ST_DATAPATH"
		printf 'steps:\n'
		_st_lines "${ST_STEPS:-$ST_STEPS_DEFAULT}" '  - '
		printf 'gates:\n'
		_st_lines "${ST_GATES:-$ST_GATES_DEFAULT}" '  '
		printf 'on_failure: rollback\n'
	} >"$file"
}

_st_val() { sed -n "s/.*\"\\?$1\"\\?[=:]\\([0-9.]*\\).*/\\1/p" | head -n 1; }

st_burst() {
	local ns=$1 net=$2 port=$3 count=$4 dir=${5:-in} rxpid
	local -a rx tx
	if [[ $dir == out ]]; then
		rx=(nsenter --net="/run/netns/$ns" "$TG_TRAFFIC" recv --bind "$net.2")
		tx=("$TG_TRAFFIC" send --dst "$net.2")
	else
		rx=("$TG_TRAFFIC" recv --bind "$net.1")
		tx=(nsenter --net="/run/netns/$ns" "$TG_TRAFFIC" send --dst "$net.1")
	fi
	"${rx[@]}" --port "$port" --duration 30 --idle-ms 2000 >"$TG_TMP/st_rx" &
	rxpid=$!
	if [[ $dir == out ]]; then tg_wait_bound "$ns" "$net.2" "$port"; else tg_wait_bound "" "$net.1" "$port"; fi
	"${tx[@]}" --port "$port" --rate 20000 --count "$count" >"$TG_TMP/st_tx"
	wait $rxpid
	ST_SENT=$(_st_val sent <"$TG_TMP/st_tx")
	ST_RECEIVED=$(_st_val received <"$TG_TMP/st_rx")
	ST_LOST=$(_st_val lost <"$TG_TMP/st_rx")
}

st_send() {
	nsenter --net="/run/netns/$1" "$TG_TRAFFIC" send --dst "$2.1" --port "$3" --rate 20000 \
		--count "$4" >"$TG_TMP/st_tx"
	ST_SENT=$(_st_val sent <"$TG_TMP/st_tx")
	sleep 0.1	# the last datagrams through the datapath
}

_st_bg=()
st_bg_start() {
	local ns=$1 net=$2 port=$3 f=$TG_TMP/bg.$1.$3
	"$TG_TRAFFIC" recv --bind "$net.1" --port "$port" --duration 120 --idle-ms 1500 >"$f.rx" &
	_st_bg+=("rx $! $f")
	tg_wait_bound "" "$net.1" "$port"
	nsenter --net="/run/netns/$ns" "$TG_TRAFFIC" send --dst "$net.1" --port "$port" \
		--rate 1000 --duration 100 >"$f.tx" &
	_st_bg+=("tx $! $f")
	tg_on_exit "kill $! 2>/dev/null"
}

st_bg_stop() {
	local e kind pid f
	# Senders first (SIGINT: they still send their END markers).
	for e in "${_st_bg[@]}"; do
		read -r kind pid f <<<"$e"
		[[ $kind == tx ]] && kill -INT "$pid" 2>/dev/null
	done
	for e in "${_st_bg[@]}"; do
		read -r kind pid f <<<"$e"
		wait "$pid"
	done
	ST_BG=""
	for e in "${_st_bg[@]}"; do
		read -r kind pid f <<<"$e"
		[[ $kind == tx ]] && ST_BG+="${f##*/bg.}: sent=$(_st_val sent <"$f.tx") $(cat "$f.rx")"$'\n'
	done
	_st_bg=()
}

st_read() {
	local -n _sr=$1
	local k v
	_sr=()
	for k in "${ST_FIELDS[@]}"; do _sr[$k]=0; done
	while read -r k v; do
		[[ -n $k ]] && _sr[$k]=$v
	done < <(bpftool -j map lookup pinned "$2/stats" key $(_tg_key "$3") 2>/dev/null |
		jq -r '.formatted.values | map(.value) as $v | $v[0] | keys_unsorted[] as $f |
			"\($f) \($v | map(.[$f]) | add)"')
}

st_delta() {
	local -n _sd=$1 _sn=$2 _so=$3
	local k
	_sd=()
	for k in "${ST_FIELDS[@]}"; do _sd[$k]=$((${_sn[$k]:-0} - ${_so[$k]:-0})); done
}

st_identity() {
	local -n _si=$2
	tg_assert_eq "${_si[packets]}" \
		"$((_si[pass] + _si[drop] + _si[aborted] + _si[tx] + _si[redirect]))" \
		"$1: packets == pass + drop + aborted + tx + redirect (${_si[packets]})"
}

st_slots() {
	bpftool -j map dump pinned "$1/slots" 2>/dev/null |
		jq -r '[.[] | .formatted | "\(.key):\(.value)"] | join(" ")'
}

st_prog_map() {
	local m
	for m in $(bpftool -j prog show id "$1" 2>/dev/null | jq -r '.map_ids[]?'); do
		[[ $(bpftool -j map show id "$m" 2>/dev/null | jq -r .name) == "${2:0:15}" ]] &&
			echo "$m" && return 0
	done
	return 1
}

st_map_u64() {
	bpftool -j map lookup id "$1" key $(_tg_key "${2:-0}") 2>/dev/null |
		jq -r '.formatted.value // empty'
}

st_dump_u64() {
	bpftool -j map dump pinned "$1" 2>/dev/null |
		jq -r '.[] | select(.formatted.key == 0) | .formatted.value'
}
