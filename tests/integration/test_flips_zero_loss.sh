#!/usr/bin/env bash
# SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause)
#
# test_flips_zero_loss: 100 flips between two generations (tailgate
# rollback, one slot-0 write each) while sequence-numbered UDP flows at a
# steady 20k pps through the interface, on every hook. The link is quiet
# (no IPv6, permanent neighbours), so the test's datagrams are the only
# packets the datapath sees:
#   - every datagram arrives (lost=0, no duplicates);
#   - no slot of either bank, nor the dispatcher's slot 0, counts a tail
#     miss: no packet ever met an empty or half-swapped chain;
#   - every packet went through exactly one of the two generations: the
#     heads' packet counters add up to what was sent (data + END markers),
#     both generations carried traffic, and each packet that entered b's
#     head went down b's whole chain;
#   - slot 0 alternated strictly between the two heads.
# TG_FLIPS and TG_FLIP_RATE override the 100 flips and the 20k pps.
set -u
top=$(cd "$(dirname "$0")/../.." && pwd)
. "$top/tests/lib/common.sh"

tg_test_begin zeroloss
[[ -x $TG_TRAFFIC ]] || tg_fail "$TG_TRAFFIC is not built; run make"
FLIPS=${TG_FLIPS:-100}
RATE=${TG_FLIP_RATE:-20000}
END_MARKERS=5	# tgtraffic's END datagrams after the data (tools/tgtraffic.c)
tg_host tgzl-ns0 tgzl0 198.18.232.1/24 198.18.232.2
sysctl -qw net.ipv6.conf.tgzl0.disable_ipv6=1
ip netns exec tgzl-ns0 sysctl -qw net.ipv6.conf.eth0.disable_ipv6=1
ip neigh replace 198.18.232.2 dev tgzl0 nud permanent \
	lladdr "$(ip -n tgzl-ns0 -br link show eth0 | awk '{ print $3 }')"
ip -n tgzl-ns0 neigh replace 198.18.232.1 dev eth0 nud permanent \
	lladdr "$(ip -br link show tgzl0 | awk '{ print $3 }')"

plan() {	# NAME HOOK STAGES...
	local name=$1 hook=$2 s n=0
	shift 2
	{
		printf 'name: %s\nhook: %s\ninterfaces:\n  canary: [tgzl0]\npipeline:\n' "$name" "$hook"
		for s in "$@"; do
			n=$((n + 1))
			printf '  - name: %s%d\n    object: %s/build/bpf/%s.bpf.o\n    program: %s\n' \
				"$s" "$n" "$top" "$s" "$s"
		done
		printf 'steps:\n  - canary: {}\n'
	} >"$TG_TMP/$name.yaml"
}

misses() {	# tail misses summed over every slot (0..32) of PINDIR
	local p=$1 slot sum=0
	for ((slot = 0; slot < 33; slot++)); do
		sum=$((sum + $(tg_stats_sum "$p" "$slot" tail_miss)))
	done
	echo "$sum"
}
val() { sed -n "s/.*\"\\?$1\"\\?[=:]\\([0-9.]*\\).*/\\1/p" | head -n 1; }

for hook in xdp tc-ingress tc-egress; do
	P=$TAILGATE_PIN_ROOT/tgzl0/$hook
	plan a "$hook" counter
	plan b "$hook" counter blocklist counter
	"$TG" apply "$TG_TMP/a.yaml" >/dev/null && "$TG" apply "$TG_TMP/b.yaml" >/dev/null ||
		tg_fail "$hook: could not apply the two generations"
	ha=$(tg_slot_prog_id "$P" 1) hb=$(tg_slot_prog_id "$P" 17)
	[[ -n $ha && -n $hb && $(tg_slot_prog_id "$P" 0) == "$hb" ]] ||
		tg_fail "$hook: expected generation b live in bank B (slot 0 '$(tg_slot_prog_id "$P" 0)', heads '$ha' '$hb')"
	if [[ $hook == tc-egress ]]; then	# egress: root sends, the namespace receives
		rx=(ip netns exec tgzl-ns0 "$TG_TRAFFIC" recv --bind 198.18.232.2)
		tx=("$TG_TRAFFIC" send --dst 198.18.232.2)
		bound=(tgzl-ns0 198.18.232.2)
	else
		rx=("$TG_TRAFFIC" recv --bind 198.18.232.1)
		tx=(ip netns exec tgzl-ns0 "$TG_TRAFFIC" send --dst 198.18.232.1)
		bound=("" 198.18.232.1)
	fi
	tg_assert_eq "$(misses "$P")" 0 "$hook: no tail miss before the traffic (quiet link)"
	pa0=$(tg_stats_sum "$P" 1 packets) pb0=$(tg_stats_sum "$P" 17 packets) pt0=$(tg_stats_sum "$P" 19 packets)
	"${rx[@]}" --port 9200 --duration 120 --idle-ms 3000 >"$TG_TMP/rx" &
	rxpid=$!
	tg_wait_bound "${bound[@]}" 9200
	"${tx[@]}" --port 9200 --rate "$RATE" --duration 60 --json >"$TG_TMP/tx" &
	txpid=$!
	sleep 0.5
	heads=() t0=$SECONDS
	for ((i = 0; i < FLIPS; i++)); do
		"$TG" rollback tgzl0 >/dev/null || tg_fail "$hook: flip $i failed"
		heads+=("$(tg_slot_prog_id "$P" 0)")
		kill -0 $txpid 2>/dev/null || break
	done
	flip_s=$((SECONDS - t0))
	sleep 0.3	# traffic after the last flip, too
	kill -INT $txpid 2>/dev/null	# ends the sender early: it still sends its END markers
	wait $txpid
	wait $rxpid
	out=$(cat "$TG_TMP/rx") sent=$(val sent <"$TG_TMP/tx") secs=$(val seconds <"$TG_TMP/tx")
	pa=$(($(tg_stats_sum "$P" 1 packets) - pa0)) pb=$(($(tg_stats_sum "$P" 17 packets) - pb0))
	echo "# $hook: $FLIPS flips in ${flip_s}s; sent=$sent in ${secs}s ($(awk -v n="$sent" -v s="$secs" 'BEGIN { printf "%.0f", n / s }') pps); $out; generation a saw $pa, b saw $pb"
	tg_assert_eq "$i" "$FLIPS" "$hook: $FLIPS flips done while traffic flowed"
	tg_assert_eq "$(tg_alternations "$ha" "$hb" "${heads[@]}")" "${#heads[@]}" "$hook: slot 0 alternated a, b, a, ... after every flip"
	tg_assert_ge "$sent" 10000 "$hook: traffic really flowed"
	tg_assert_eq "$(val received <<<"$out")" "$sent" "$hook: every datagram sent was received"
	tg_assert_eq "$(val lost <<<"$out")" 0 "$hook: no datagram lost"
	tg_assert_eq "$(val dup <<<"$out")" 0 "$hook: no datagram duplicated"
	tg_assert_eq "$(misses "$P")" 0 "$hook: no tail miss on any slot after the flips"
	tg_assert_eq "$((pa + pb))" "$((sent + END_MARKERS))" "$hook: each packet went through exactly one generation's head"
	tg_assert_eq "$(($(tg_stats_sum "$P" 19 packets) - pt0))" "$pb" "$hook: every packet b's head took in reached b's tail (slot 19)"
	tg_assert_ge "$pa" 1 "$hook: generation a carried traffic"
	tg_assert_ge "$pb" 1 "$hook: generation b carried traffic"
	"$TG" detach tgzl0 >/dev/null
done
tg_test_end
