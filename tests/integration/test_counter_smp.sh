#!/usr/bin/env bash
# SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause)
#
# test_counter_smp: the counter stage counts exactly while both CPUs run
# it at once.
#
# One veth pair with two queues on each end; inside the namespace, XPS
# sends queue 0 from CPU 0 and queue 1 from CPU 1, and two tgtraffic
# senders are pinned one per CPU. Each queue has its own NAPI on the
# receiving end, scheduled by the CPU that sent into it, so the XDP
# program runs on both CPUs concurrently (the per-CPU stats prove it). A
# single-queue veth would run one NAPI at a time and never race.
#
# Asserted, exactly: packet_count (one shared u64, atomic add) grew by the
# packets the counter's slot saw (per-CPU stats summed), which is what was
# sent: tgtraffic's data packets plus 5 END markers per sender, and what
# the sending veth transmitted minus what it dropped.
#
# For contrast only, the same packets also pass bad_counter_racy, the
# classic (*value)++ on a shared value: the counts it loses are printed,
# not asserted (a race may happen to lose nothing on a quiet run).
set -u

top=$(cd "$(dirname "$0")/../.." && pwd)
# shellcheck source=../lib/common.sh
. "$top/tests/lib/common.sh"

tg_test_begin counter_smp

# One run of this test at a time (two `tests/run.sh` at once): its
# interface names and subnets are fixed, a second run would delete them.

[ "$(nproc)" -ge 2 ] || tg_skip "needs 2 CPUs, this machine has $(nproc)"
[ -x "$TG_TRAFFIC" ] || tg_skip "$TG_TRAFFIC is not built; run make"
tg_need "$top/build/bpf/counter.bpf.o" "$top/build/tests/bpf/bad_counter_racy.bpf.o"

NS=tgsmph0 IF=tgsmp0 A=198.19.40.1 PEER=198.19.40.2 PORT=9340
PER_SENDER=${TG_SMP_PACKETS:-1000000}
ENDS_PER_SENDER=5	# tgtraffic's END markers, counted by XDP like any packet

# The two-queue pair, quiet: no IPv6 (no ND, MLD, RS) and static
# neighbours (no ARP), so the only packets are the ones sent below.
ip netns del $NS 2>/dev/null
ip link del $IF 2>/dev/null
ip netns add $NS || tg_fail "cannot create namespace $NS"
tg_on_exit "ip netns del $NS"
tg_on_exit "ip link del $IF"
ip link add $IF numtxqueues 2 numrxqueues 2 type veth \
	peer name eth0 netns $NS numtxqueues 2 numrxqueues 2 || tg_fail "cannot create veth $IF"
sysctl -qw "net.ipv6.conf.$IF.disable_ipv6=1"
ip netns exec $NS sysctl -qw net.ipv6.conf.eth0.disable_ipv6=1
ip addr add $A/24 dev $IF
ip -n $NS addr add $PEER/24 dev eth0
ip netns exec $NS sh -c 'echo 1 >/sys/class/net/eth0/queues/tx-0/xps_cpus &&
	echo 2 >/sys/class/net/eth0/queues/tx-1/xps_cpus' || tg_fail "cannot set XPS in $NS"
ip link set $IF up
ip -n $NS link set eth0 up
ip -n $NS neigh replace $A lladdr "$(ip -j link show $IF | jq -r '.[0].address')" dev eth0 nud permanent
ip neigh replace $PEER lladdr "$(ip -n $NS -j link show eth0 | jq -r '.[0].address')" dev $IF nud permanent

cat >"$TG_TMP/smp.yaml" <<EOF
name: counter-smp
hook: xdp
interfaces:
  canary: [$IF]
pipeline:
  - name: counter
    object: $top/build/bpf/counter.bpf.o
    program: counter
    keep_maps: [packet_count]
  - name: racy
    object: $top/build/tests/bpf/bad_counter_racy.bpf.o
    program: counter_racy
    keep_maps: [racy_count]
steps:
  - canary: {}
EOF
"$TG" apply "$TG_TMP/smp.yaml" >"$TG_TMP/apply.out" 2>&1 ||
	tg_fail "apply failed: $(cat "$TG_TMP/apply.out")"

D=$TAILGATE_PIN_ROOT/$IF/xdp
# The counter heads the live bank; the racy copy follows it.
slot0=$(tg_slot_prog_id "$D" 0)
if [ "$slot0" = "$(tg_slot_prog_id "$D" 1)" ]; then CS=1; else CS=17; fi
[ "$slot0" = "$(tg_slot_prog_id "$D" $CS)" ] || tg_fail "slot 0 heads neither bank"
RS=$((CS + 1))
[ -n "$(tg_slot_prog_id "$D" $RS)" ] || tg_fail "the racy stage is not in slot $RS"

percpu_packets() {	# SLOT: packets per CPU, space separated
	bpftool -j map lookup pinned "$D/stats" key "$1" 0 0 0 |
		jq -r '[.formatted.values[].value.packets] | map(tostring) | join(" ")'
}
eth0_tx() {	# packets and drops the sending veth counted
	ip -n $NS -j -s link show eth0 | jq -r '.[0].stats64.tx | "\(.packets) \(.dropped)"'
}

c0=$(tg_map_u64 "$D/maps/packet_count")
r0=$(tg_map_u64 "$D/maps/racy_count")
s0=$(tg_stats_sum "$D" $CS packets)
read -r -a cpu0 < <(percpu_packets $CS)
read -r tx0 drop0 < <(eth0_tx)

"$TG_TRAFFIC" recv --bind $A --port $PORT --duration 60 --idle-ms 3000 >"$TG_TMP/recv.out" &
rpid=$!
tg_on_exit "kill $rpid 2>/dev/null"
sleep 0.3
for cpu in 0 1; do
	ip netns exec $NS taskset -c $cpu "$TG_TRAFFIC" send --dst $A --port $PORT \
		--count "$PER_SENDER" --duration 30 --stream $((cpu + 1)) >"$TG_TMP/send$cpu.out" &
	spid[$cpu]=$!
done
for cpu in 0 1; do
	wait "${spid[$cpu]}" || tg_fail "sender on CPU $cpu failed: $(cat "$TG_TMP/send$cpu.out")"
done
wait $rpid

c1=$(tg_map_u64 "$D/maps/packet_count")
r1=$(tg_map_u64 "$D/maps/racy_count")
s1=$(tg_stats_sum "$D" $CS packets)
read -r -a cpu1 < <(percpu_packets $CS)
read -r tx1 drop1 < <(eth0_tx)

sent=0
for cpu in 0 1; do
	n=$(sed -n 's/^sent=\([0-9]*\)$/\1/p' "$TG_TMP/send$cpu.out")
	[ -n "$n" ] || tg_fail "sender $cpu printed no count: $(cat "$TG_TMP/send$cpu.out")"
	sent=$((sent + n + ENDS_PER_SENDER))
done
counted=$((c1 - c0))
seen=$((s1 - s0))
racy=$((r1 - r0))
wire=$(((tx1 - tx0) - (drop1 - drop0)))
echo "sent $sent (with END markers), veth transmitted $wire, dropped $((drop1 - drop0))"
echo "counter stage saw $seen: CPU0 $((cpu1[0] - cpu0[0])), CPU1 $((cpu1[1] - cpu0[1])); packet_count +$counted"
echo "receiver: $(cat "$TG_TMP/recv.out") (socket overflow after XDP is not datapath loss)"

for cpu in 0 1; do
	tg_assert_ge "$((cpu1[cpu] - cpu0[cpu]))" 1 "the counter ran on CPU $cpu"
done
tg_assert_eq "$counted" "$seen" "packet_count equals the packets the counter's slot saw"
tg_assert_eq "$seen" "$wire" "the counter saw every packet the sending veth transmitted"
tg_assert_eq "$seen" "$sent" "the counter saw every packet tgtraffic sent"

# The contrast: same packets, same CPUs, plain (*value)++.
lost=$((seen - racy))
tg_assert_ge "$seen" "$racy" "the racy counter never over-counts"
echo "contrast: the racy (*value)++ counter counted $racy of $seen: lost $lost" \
	"($(awk -v l=$lost -v s="$seen" 'BEGIN { printf "%.4f", s ? 100 * l / s : 0 }')%)"

tg_test_end
