#!/usr/bin/env bash
# SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause)
#
# test_datapath: the datapath on every hook (xdp, tc-ingress, tc-egress),
# checked with stock bpftool and ip, as an operator would. The link under
# test is kept quiet (no IPv6, permanent neighbours: no ARP, ND or MLD), so
# every packet the datapath sees is one the test sent and counts are exact.
#   - apply v1 (counter) on a canary and a fleet interface: pins, link,
#     slot 0 = bank A's head on both; 500 sequence-numbered datagrams are
#     all delivered and packet_count and the head's packets counter move
#     by exactly what was sent;
#   - apply v2 (counter + blocklist, packet_count kept): slot 0 = bank B's
#     head, same packet_count map (id) used by both generations' counters,
#     the count carries on exactly;
#   - a /24 put into maps/blocked with bpftool: nothing gets through, the
#     blocklist slot counts every drop; its removal lets traffic through;
#   - rollback puts v1's head back into slot 0 and the count carries on;
#   - status --json and stats --json parse and agree with bpftool;
#   - detach leaves no pins, no link, no XDP/tc program, nothing loaded,
#     and traffic flows.
set -u
top=$(cd "$(dirname "$0")/../.." && pwd)
. "$top/tests/lib/common.sh"

tg_test_begin datapath
[[ -x $TG_TRAFFIC ]] || tg_fail "$TG_TRAFFIC is not built; run make"
# tgtraffic ends every send with this many END datagrams (tools/tgtraffic.c);
# they cross the datapath like the data ones.
END_MARKERS=5

# quiet NS IFNAME ADDR PEER: no IPv6 and permanent neighbours both ways, so
# nothing but the test's datagrams crosses the link.
quiet() {
	local ns=$1 ifc=$2 a=$3 p=$4
	sysctl -qw "net.ipv6.conf.$ifc.disable_ipv6=1"
	ip netns exec "$ns" sysctl -qw net.ipv6.conf.eth0.disable_ipv6=1
	ip neigh replace "$p" lladdr "$(ip -n "$ns" -br link show eth0 | awk '{ print $3 }')" dev "$ifc" nud permanent
	ip -n "$ns" neigh replace "$a" lladdr "$(ip -br link show "$ifc" | awk '{ print $3 }')" dev eth0 nud permanent
}

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
# direction (tc-egress: out of the root end); prints the receiver's
# "received=N lost=N ..." and the sender's "sent=N".
traffic() {
	local hook=$1 n=$2 port=$3 rx
	rx=$TG_TMP/rx.$port
	if [[ $hook == tc-egress ]]; then
		ip netns exec tgdp-ns0 "$TG_TRAFFIC" recv --bind 198.18.230.2 --port "$port" --duration 10 --idle-ms 1500 >"$rx" &
		tg_wait_bound tgdp-ns0 198.18.230.2 "$port"
		"$TG_TRAFFIC" send --dst 198.18.230.2 --port "$port" --count "$n" --rate 5000
	else
		"$TG_TRAFFIC" recv --bind 198.18.230.1 --port "$port" --duration 10 --idle-ms 1500 >"$rx" &
		tg_wait_bound "" 198.18.230.1 "$port"
		ip netns exec tgdp-ns0 "$TG_TRAFFIC" send --dst 198.18.230.1 --port "$port" --count "$n" --rate 5000
	fi
	wait $!
	cat "$rx"
}
val() { sed -n "s/.*\\b$1=\\([0-9]*\\).*/\\1/p" | head -n 1; }
lpm_key() { printf '78 00 00 00 00 00 00 00 00 00 00 00 00 00 ff ff c6 12 e6 00'; }	# 198.18.230.0/24

# The packet counter, read as the brief's operator would: bpftool map dump.
count() {
	bpftool map dump pinned "$1/maps/packet_count" | sed -n 's/.*"value": *\([0-9][0-9]*\).*/\1/p' | head -n 1
}
id_of() { sed -n 's/^\([0-9][0-9]*\):.*/\1/p' | head -n 1; }
prog_maps() { bpftool prog show id "$1" | sed -n 's/.*map_ids \([0-9,]*\).*/\1/p'; }
json_ok() { jq -e . >/dev/null 2>&1 <<<"$1"; }
has_id() { [[ ,$1, == *,$2,* ]]; }

check_hook() {
	local hook=$1 P=$TAILGATE_PIN_ROOT/tgdp0/$1 Q=$TAILGATE_PIN_ROOT/tgdp1/$1
	local out c0 c1 s0 v1 v2 map_id link_id link1_id n j ids disp f i
	local sum=$(( 500 + END_MARKERS ))

	echo "# hook $hook"
	plan v1 "$hook" counter
	plan v2 "$hook" counter blocklist
	tg_check "$hook: apply v1" "$TG" apply "$TG_TMP/v1.yaml"
	for f in link slots stats maps/packet_count; do
		tg_check "$hook: pin $f on the canary" test -e "$P/$f"
		tg_check "$hook: pin $f on the fleet interface" test -e "$Q/$f"
	done
	link_id=$(bpftool link show pinned "$P/link" | id_of)
	link1_id=$(bpftool link show pinned "$Q/link" | id_of)
	tg_check "$hook: bpftool link show lists the canary's link ($link_id)" \
		bash -c "bpftool link show | grep -q '^$link_id: '"
	disp=$(bpftool link show id "$link_id" | sed -n 's/.* prog \([0-9]*\).*/\1/p')
	if [[ $hook == xdp ]]; then
		tg_check "xdp: ip link shows the link's dispatcher (prog $disp) on tgdp0" \
			bash -c "ip link show dev tgdp0 | grep -q 'prog/xdp id $disp '"
	else
		# bpftool 7.1 names TCX links "type 11" and prints no ifindex;
		# the exact counts below show which interface it serves.
		tg_check "$hook: the link is a TCX link (type 11) of the dispatcher" \
			bash -c "bpftool link show id $link_id | grep -Eq '^$link_id: (tcx|type 11) '"
	fi
	v1=$(tg_slot_prog_id "$P" 1)
	tg_assert_ne "$v1" "" "$hook: bank A's head (slot 1) holds a program"
	tg_assert_eq "$(tg_slot_prog_id "$P" 0)" "$v1" "$hook: canary slot 0 is bank A's head"
	tg_assert_eq "$(tg_slot_prog_id "$Q" 0)" "$(tg_slot_prog_id "$Q" 1)" "$hook: fleet slot 0 is its bank A's head"
	tg_assert_eq "$(tg_slot_prog_id "$P" 17)" "" "$hook: bank B is empty"

	c0=$(count "$P") s0=$(tg_stats_sum "$P" 1 packets)
	out=$(traffic "$hook" 500 9100)
	tg_assert_eq "$(val sent <<<"$out")" 500 "$hook: the sender sent 500"
	tg_assert_eq "$(val received <<<"$out")" 500 "$hook: v1 delivers all 500 datagrams"
	tg_assert_eq "$(val lost <<<"$out")" 0 "$hook: v1 loses none"
	c1=$(count "$P")
	tg_assert_eq "$((c1 - c0))" "$sum" "$hook: packet_count == 500 sent + $END_MARKERS END"
	tg_assert_eq "$(($(tg_stats_sum "$P" 1 packets) - s0))" "$sum" "$hook: stats slot 1 packets == the same"
	tg_assert_eq "$(tg_stats_sum "$P" 1 pass)" "$(tg_stats_sum "$P" 1 packets)" "$hook: the last stage passes what it sees"
	tg_assert_eq "$(tg_stats_sum "$P" 0 tail_miss)" 0 "$hook: no tail miss in slot 0"

	map_id=$(bpftool map show pinned "$P/maps/packet_count" | id_of)
	tg_check "$hook: v1's counter uses the pinned packet_count (map $map_id)" has_id "$(prog_maps "$v1")" "$map_id"
	tg_check "$hook: apply v2 (keeps packet_count)" "$TG" apply "$TG_TMP/v2.yaml"
	v2=$(tg_slot_prog_id "$P" 17)
	tg_assert_ne "$v2" "" "$hook: bank B's head (slot 17) holds a program"
	tg_assert_eq "$(tg_slot_prog_id "$P" 0)" "$v2" "$hook: canary slot 0 is bank B's head"
	tg_assert_eq "$(tg_slot_prog_id "$Q" 0)" "$(tg_slot_prog_id "$Q" 17)" "$hook: fleet slot 0 is its bank B's head"
	tg_assert_eq "$(tg_slot_prog_id "$P" 1)" "$v1" "$hook: v1 stays loaded in bank A"
	tg_assert_eq "$(bpftool map show pinned "$P/maps/packet_count" | id_of)" \
		"$map_id" "$hook: packet_count pin is the same map (id unchanged)"
	tg_check "$hook: v2's counter uses that same map" has_id "$(prog_maps "$v2")" "$map_id"
	tg_assert_eq "$(count "$P")" "$c1" "$hook: the count did not restart or move"
	out=$(traffic "$hook" 300 9101)
	tg_assert_eq "$(val received <<<"$out")" 300 "$hook: v2 delivers all 300"
	c0=$c1 c1=$(count "$P")
	tg_assert_eq "$c1" "$((c0 + 300 + END_MARKERS))" "$hook: the count carries on under v2 (N+M exactly)"
	tg_assert_eq "$(tg_stats_sum "$P" 17 continued)" "$((300 + END_MARKERS))" "$hook: v2's counter handed every packet on"
	tg_assert_eq "$(tg_stats_sum "$P" 18 pass)" "$((300 + END_MARKERS))" "$hook: v2's blocklist passed them"

	tg_check "$hook: bpftool puts 198.18.230.0/24 into maps/blocked" \
		bpftool map update pinned "$P/maps/blocked" key hex $(lpm_key) value hex 01
	s0=$(tg_stats_sum "$P" 18 drop)
	out=$(traffic "$hook" 200 9102)
	tg_assert_eq "$(val received <<<"$out")" 0 "$hook: a blocked /24 gets nothing through"
	tg_assert_eq "$(($(tg_stats_sum "$P" 18 drop) - s0))" "$((200 + END_MARKERS))" "$hook: the blocklist slot counted every drop"
	tg_assert_eq "$(count "$P")" "$((c1 + 200 + END_MARKERS))" "$hook: the counter before it still counted them"
	tg_check "$hook: bpftool removes the entry" \
		bpftool map delete pinned "$P/maps/blocked" key hex $(lpm_key)
	out=$(traffic "$hook" 200 9103)
	tg_assert_eq "$(val received <<<"$out")" 200 "$hook: unblocked again"

	tg_check "$hook: rollback" "$TG" rollback tgdp0
	tg_assert_eq "$(tg_slot_prog_id "$P" 0)" "$v1" "$hook: slot 0 back on v1's head"
	tg_assert_eq "$(tg_slot_prog_id "$Q" 0)" "$(tg_slot_prog_id "$Q" 17)" "$hook: rollback tgdp0 left tgdp1 alone"
	c0=$(count "$P") s0=$(tg_stats_sum "$P" 1 packets)
	out=$(traffic "$hook" 100 9104)
	tg_assert_eq "$(val received <<<"$out")" 100 "$hook: v1 again delivers"
	tg_assert_eq "$(($(count "$P") - c0))" "$((100 + END_MARKERS))" "$hook: after rollback the same count carries on"
	tg_assert_eq "$(($(tg_stats_sum "$P" 1 packets) - s0))" "$((100 + END_MARKERS))" "$hook: ... in v1's slot 1"

	out=$("$TG" status --json)
	tg_check "$hook: status --json parses" json_ok "$out"
	j=$(jq -c --arg h "$hook" '.attach_points[] | select(.ifname == "tgdp0" and .hook == $h)' <<<"$out")
	tg_assert_eq "$(jq -r .health <<<"$j")" ok "$hook: status --json: tgdp0 healthy"
	tg_assert_eq "$(jq -r .slot0_prog_id <<<"$j")" "$v1" "$hook: status --json slot0_prog_id == bpftool"
	tg_assert_eq "$(jq -r .live_bank <<<"$j")" A "$hook: status --json live bank A"
	tg_assert_eq "$(jq -c '.banks[] | select(.bank == "A") | .stages[0] | [.name, .slot, .prog_id]' <<<"$j")" \
		"[\"counter\",1,$v1]" "$hook: status --json: bank A's counter is prog $v1"
	out=$("$TG" stats --json --interval 0)
	tg_check "$hook: stats --json parses" json_ok "$out"
	for n in 0 1 17 18; do
		j=$(jq -c --arg h "$hook" --argjson n $n \
			'.attach_points[] | select(.ifname == "tgdp0" and .hook == $h) | .slots[] | select(.slot == $n)' <<<"$out")
		for f in packets drop pass; do
			tg_assert_eq "$(jq -r ".$f" <<<"$j")" \
				"$(tg_stats_sum "$P" $n $f)" "$hook: stats --json slot $n $f == bpftool"
		done
	done

	ids=$(tg_slot_prog_id "$P" 1; tg_slot_prog_id "$P" 17; tg_slot_prog_id "$P" 18)
	tg_check "$hook: detach" "$TG" detach tgdp0 tgdp1
	tg_check "$hook: no pins left" test ! -e "$TAILGATE_PIN_ROOT/tgdp0" -a ! -e "$TAILGATE_PIN_ROOT/tgdp1"
	tg_check "$hook: links gone" bash -c "! bpftool link show | grep -Eq '^($link_id|$link1_id): '"
	tg_check "$hook: ip link shows no XDP program" bash -c "! ip link show dev tgdp0 | grep -q 'xdp'"
	tg_check "$hook: bpftool net shows nothing on tgdp0/tgdp1" \
		bash -c "! bpftool net show | grep -Eq '^tgdp[01]\\('"
	# Programs go when the last reference does (after an RCU grace period).
	for ((n = 0; n < 40; n++)); do
		out=$(for i in $ids; do bpftool prog show id "$i" 2>/dev/null | id_of; done)
		[[ -z $out ]] && break
		sleep 0.1
	done
	tg_assert_eq "$out" "" "$hook: no stage program left loaded"
	out=$(traffic "$hook" 100 9105)
	tg_assert_eq "$(val received <<<"$out")" 100 "$hook: traffic flows after detach"
}

tg_host tgdp-ns0 tgdp0 198.18.230.1/24 198.18.230.2
tg_host tgdp-ns1 tgdp1 198.18.231.1/24 198.18.231.2
quiet tgdp-ns0 tgdp0 198.18.230.1 198.18.230.2
quiet tgdp-ns1 tgdp1 198.18.231.1 198.18.231.2
for hook in xdp tc-ingress tc-egress; do
	check_hook "$hook"
done
tg_test_end
