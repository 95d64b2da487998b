#!/usr/bin/env bash
# SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause)
#
# test_flips_zero_loss: 100 flips between two generations (tailgate
# rollback, one slot-0 write each) while sequence-numbered UDP flows at
# a steady 20k pps through the interface, on every hook. Every datagram
# must arrive, and no slot may count a tail miss: no packet ever met a
# half-swapped chain.
set -u
top=$(cd "$(dirname "$0")/../.." && pwd)
. "$top/tests/lib/common.sh"

tg_test_begin zeroloss
[[ -x $TG_TRAFFIC ]] || tg_fail "$TG_TRAFFIC is not built; run make"
FLIPS=${TG_FLIPS:-100}
tg_host tgzl-ns0 tgzl0 198.18.232.1/24 198.18.232.2

plan() {	# NAME HOOK STAGES...
	local name=$1 hook=$2 s
	shift 2
	{
		printf 'name: %s\nhook: %s\ninterfaces:\n  canary: [tgzl0]\npipeline:\n' "$name" "$hook"
		for s in "$@"; do
			printf '  - name: %s\n    object: %s/build/bpf/%s.bpf.o\n    program: %s\n' \
				"$s" "$top" "$s" "$s"
		done
		printf 'steps:\n  - canary: {}\n'
	} >"$TG_TMP/$name.yaml"
}

misses() {	# total tail misses over every slot of PINDIR
	local p=$1 slot sum=0
	for ((slot = 0; slot < 33; slot++)); do
		sum=$((sum + $(tg_stats_sum "$p" "$slot" tail_miss)))
	done
	echo "$sum"
}

for hook in xdp tc-ingress tc-egress; do
	P=$TAILGATE_PIN_ROOT/tgzl0/$hook
	plan a "$hook" counter
	plan b "$hook" counter blocklist counter
	sed -i '0,/name: counter/! s/name: counter$/name: counter2/' "$TG_TMP/b.yaml"
	"$TG" apply "$TG_TMP/a.yaml" >/dev/null && "$TG" apply "$TG_TMP/b.yaml" >/dev/null ||
		tg_fail "$hook: could not apply the two generations"
	if [[ $hook == tc-egress ]]; then	# egress: root sends, the namespace receives
		rx=(ip netns exec tgzl-ns0 "$TG_TRAFFIC" recv --bind 198.18.232.2)
		tx=("$TG_TRAFFIC" send --dst 198.18.232.2)
	else
		rx=("$TG_TRAFFIC" recv --bind 198.18.232.1)
		tx=(ip netns exec tgzl-ns0 "$TG_TRAFFIC" send --dst 198.18.232.1)
	fi
	# Misses from before the first flip (packets that met the freshly
	# attached dispatcher's empty slot 0) are not the flips' doing.
	m0=$(misses "$P")
	"${rx[@]}" --port 9200 --duration 120 --idle-ms 3000 >"$TG_TMP/rx" &
	rxpid=$!
	sleep 0.2
	"${tx[@]}" --port 9200 --rate 20000 --duration 60 >"$TG_TMP/tx" &
	txpid=$!
	sleep 0.5
	heads=""
	for ((i = 0; i < FLIPS; i++)); do
		"$TG" rollback tgzl0 >/dev/null || tg_fail "$hook: flip $i failed"
		heads+="$(tg_slot_prog_id "$P" 0) "
		kill -0 $txpid 2>/dev/null || break
	done
	kill -INT $txpid 2>/dev/null	# ends the sender early: it still sends its END markers
	wait $txpid
	wait $rxpid
	out=$(cat "$TG_TMP/rx")
	echo "# $hook: $(cat "$TG_TMP/tx") $out after $i flips"
	tg_assert_eq "$i" "$FLIPS" "$hook: $FLIPS flips done while traffic flowed"
	tg_assert_eq "$(wc -w <<<"$(tr ' ' '\n' <<<"$heads" | sort -u)")" 2 "$hook: slot 0 alternated between the two heads"
	tg_assert_ge "$(sed -n 's/.*received=\([0-9]*\).*/\1/p' <<<"$out")" 10000 "$hook: traffic really flowed"
	tg_assert_eq "$(sed -n 's/.*lost=\([0-9]*\).*/\1/p' <<<"$out")" 0 "$hook: no datagram lost"
	tg_assert_eq "$(misses "$P")" "$m0" "$hook: no tail miss on any slot during the flips"
	"$TG" detach tgzl0 >/dev/null
done
tg_test_end
