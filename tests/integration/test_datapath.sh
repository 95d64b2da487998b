#!/usr/bin/env bash
# SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause)
#
# test_datapath: the datapath on every hook (xdp, tc-ingress, tc-egress),
# checked with stock bpftool and ip, as an operator would:
#   - apply v1 (counter): pins, link, slot 0 = bank A's head; sequence-
#     numbered traffic is counted exactly (packet_count moves with the
#     head stage's packets counter) and none is lost;
#   - apply v2 (counter + blocklist, packet_count kept): slot 0 = bank B's
#     head, same packet_count map, the count carries on;
#   - a /24 put into maps/blocked with bpftool drops that traffic, its
#     removal lets it through again;
#   - rollback puts v1's head back into slot 0; status and stats agree
#     with bpftool;
#   - detach leaves no pins, no link and no XDP/tc program.
set -u
top=$(cd "$(dirname "$0")/../.." && pwd)
. "$top/tests/lib/common.sh"

tg_test_begin datapath
[[ -x $TG_TRAFFIC ]] || tg_fail "$TG_TRAFFIC is not built; run make"

plan() {	# NAME HOOK STAGES...
	local name=$1 hook=$2 s
	shift 2
	{
		printf 'name: %s\nhook: %s\ninterfaces:\n  canary: [tgdp0]\n  fleet: [tgdp1]\n' "$name" "$hook"
		printf 'pipeline:\n'
		for s in "$@"; do
			printf '  - name: %s\n    object: %s/build/bpf/%s.bpf.o\n    program: %s\n' \
				"$s" "$top" "$s" "$s"
			[[ $s == counter ]] && printf '    keep_maps: [packet_count]\n'
			[[ $s == blocklist ]] && printf '    keep_maps: [blocked]\n'
		done
		printf 'steps:\n  - canary: {}\n  - promote: {batch: 1}\n'
	} >"$TG_TMP/$name.yaml"
}

# traffic HOOK COUNT PORT: COUNT datagrams across tgdp0 in the hook's
# direction; prints the receiver's "received=N lost=N ...".
traffic() {
	local hook=$1 n=$2 port=$3 rx
	rx=$TG_TMP/rx.$port
	if [[ $hook == tc-egress ]]; then
		ip netns exec tgdp-ns0 "$TG_TRAFFIC" recv --bind 198.18.230.2 --port "$port" --duration 10 --idle-ms 1500 >"$rx" &
		sleep 0.2
		"$TG_TRAFFIC" send --dst 198.18.230.2 --port "$port" --count "$n" --rate 5000 >/dev/null
	else
		"$TG_TRAFFIC" recv --bind 198.18.230.1 --port "$port" --duration 10 --idle-ms 1500 >"$rx" &
		sleep 0.2
		ip netns exec tgdp-ns0 "$TG_TRAFFIC" send --dst 198.18.230.1 --port "$port" --count "$n" --rate 5000 >/dev/null
	fi
	wait $!
	cat "$rx"
}
rx_of() { sed -n "s/.*$1=\\([0-9]*\\).*/\\1/p"; }
lpm_key() { printf '78 00 00 00 00 00 00 00 00 00 00 00 00 00 ff ff c6 12 e6 00'; }	# 198.18.230.0/24

check_hook() {
	local hook=$1 P=$TAILGATE_PIN_ROOT/tgdp0/$1 out c0 c1 s0 s1 v1 map_id link_id

	echo "# hook $hook"
	plan v1 "$hook" counter
	plan v2 "$hook" counter blocklist
	tg_check "$hook: apply v1" "$TG" apply "$TG_TMP/v1.yaml"
	tg_check "$hook: pins link, slots, stats, maps/packet_count" \
		test -e "$P/link" -a -e "$P/slots" -a -e "$P/stats" -a -e "$P/maps/packet_count"
	link_id=$(bpftool link show pinned "$P/link" | sed -n 's/^\([0-9]*\):.*/\1/p')
	tg_check "$hook: bpftool link show lists the pinned link" bash -c "bpftool link show | grep -q '^$link_id:'"
	v1=$(tg_slot_prog_id "$P" 1)
	tg_assert_eq "$(tg_slot_prog_id "$P" 0)" "$v1" "$hook: slot 0 is bank A's head"

	c0=$(tg_map_u64 "$P/maps/packet_count") s0=$(tg_stats_sum "$P" 1 packets)
	out=$(traffic "$hook" 500 9100)
	c1=$(tg_map_u64 "$P/maps/packet_count") s1=$(tg_stats_sum "$P" 1 packets)
	tg_assert_eq "$(rx_of received <<<"$out")" 500 "$hook: v1 delivers all 500 datagrams"
	tg_assert_ge "$((c1 - c0))" 500 "$hook: packet_count counted them"
	tg_assert_eq "$((c1 - c0))" "$((s1 - s0))" "$hook: packet_count moves exactly with the head's packets"

	map_id=$(bpftool map show pinned "$P/maps/packet_count" | sed -n 's/^\([0-9]*\):.*/\1/p')
	tg_check "$hook: apply v2 (keeps packet_count)" "$TG" apply "$TG_TMP/v2.yaml"
	tg_assert_eq "$(tg_slot_prog_id "$P" 0)" "$(tg_slot_prog_id "$P" 17)" "$hook: slot 0 is bank B's head"
	tg_assert_eq "$(bpftool map show pinned "$P/maps/packet_count" | sed -n 's/^\([0-9]*\):.*/\1/p')" \
		"$map_id" "$hook: the same packet_count map carried over"
	c0=$(tg_map_u64 "$P/maps/packet_count")
	tg_assert_ge "$c0" "$c1" "$hook: the count did not restart"
	out=$(traffic "$hook" 300 9101)
	tg_assert_eq "$(rx_of received <<<"$out")" 300 "$hook: v2 delivers"
	tg_assert_ge "$(tg_map_u64 "$P/maps/packet_count")" $((c0 + 300)) "$hook: the count carries on under v2"

	bpftool map update pinned "$P/maps/blocked" key hex $(lpm_key) value hex 01
	s0=$(tg_stats_sum "$P" 18 drop)
	out=$(traffic "$hook" 200 9102)
	tg_assert_eq "$(rx_of received <<<"$out")" 0 "$hook: a blocked /24 gets nothing through"
	tg_assert_ge "$(($(tg_stats_sum "$P" 18 drop) - s0))" 200 "$hook: the blocklist stage counted the drops"
	bpftool map delete pinned "$P/maps/blocked" key hex $(lpm_key)
	out=$(traffic "$hook" 200 9103)
	tg_assert_eq "$(rx_of received <<<"$out")" 200 "$hook: unblocked again"

	tg_check "$hook: rollback" "$TG" rollback tgdp0
	tg_assert_eq "$(tg_slot_prog_id "$P" 0)" "$v1" "$hook: slot 0 back on v1's head"
	out=$("$TG" status --json)
	tg_check "$hook: status --json says ok with v1's head in slot 0" \
		grep -q "\"ifname\":\"tgdp0\",\"hook\":\"$hook\",\"health\":\"ok\",\"slot0_prog_id\":$v1" <<<"$out"
	out=$("$TG" stats --json --interval 0)
	tg_assert_eq "$(sed -n "s/.*\"ifname\":\"tgdp0\",\"hook\":\"$hook\",\"slots\":\[{\"slot\":0,\"stage\":\"(dispatcher)\",\"packets\":\([0-9]*\).*/\1/p" <<<"$out")" \
		"$(tg_stats_sum "$P" 0 packets)" "$hook: stats --json agrees with bpftool on slot 0"

	tg_check "$hook: detach" "$TG" detach tgdp0 tgdp1
	tg_check "$hook: no pins left" test ! -e "$TAILGATE_PIN_ROOT/tgdp0" -a ! -e "$TAILGATE_PIN_ROOT/tgdp1"
	tg_check "$hook: link gone" bash -c "! bpftool link show | grep -q '^$link_id:'"
	if [[ $hook == xdp ]]; then
		tg_check "xdp: no XDP program on the interface" bash -c "! ip link show dev tgdp0 | grep -q 'prog/xdp'"
	fi
	out=$(traffic "$hook" 100 9104)
	tg_assert_eq "$(rx_of received <<<"$out")" 100 "$hook: traffic flows after detach"
}

tg_host tgdp-ns0 tgdp0 198.18.230.1/24 198.18.230.2
tg_host tgdp-ns1 tgdp1 198.18.231.1/24 198.18.231.2
for hook in xdp tc-ingress tc-egress; do
	check_hook "$hook"
done
tg_test_end
