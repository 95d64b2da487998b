#!/usr/bin/env bash
# SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause)
#
# test_weighted: a weighted canary on one interface, with many UDP flows.
# The old generation marks every packet TOS 0x20, the new one 0x40
# (tests/bpf/progs/tos_mark_*.bpf.c, plain programs), so the receiver
# sees which generation each packet of each flow met.
#   1. weights 1% -> 10% -> 50% (a pause after each): the share of flows
#      and of packets on the new generation is within a stated tolerance
#      of the weight (flows from the receiver, packets from the kernel's
#      counters read with bpftool); every flow meets one generation; a
#      flow on the new generation never goes back when the weight rises;
#      zero loss, zero tail misses; promote ends with the plain dispatcher
#      (bpftool link) and slot 0 on the new head;
#   2. a bad version (drop_all) at 5%: caught and rolled back; while it
#      ran, about 5% of the packets met it (the kernel's counters), the
#      rest were delivered; the fleet interface never touched; the plain
#      dispatcher back;
#   3. a kill at every fault point of a weighted step: recover puts the
#      old generation and the plain dispatcher back, traffic flows;
#   4. the same split on tc-ingress.
set -u
top=$(cd "$(dirname "$0")/../.." && pwd)
. "$top/tests/lib/common.sh"

tg_test_begin weighted
[[ -x $TG_TRAFFIC ]] || tg_fail "$TG_TRAFFIC is not built; run make"
TB=$top/build/tests/bpf
for o in tos_mark_a tos_mark_b; do
	[[ -f $TB/$o.bpf.o ]] || tg_fail "$TB/$o.bpf.o is not built; run make"
done
ulimit -n 4096
tg_host tgwc-ns0 tgwc0 198.18.232.1/24 198.18.232.2
tg_host tgwc-ns1 tgwc1 198.18.233.1/24 198.18.233.2
FLOWS=1000

# plan NAME HOOK OBJ STEPS: the canary tgwc0, fleet tgwc1
plan() {
	local name=$1 hook=$2 obj=$3 steps=$4 prog=tos_mark
	[[ $obj == */drop_all.bpf.o ]] && prog=drop_all
	cat >"$TG_TMP/$name.yaml" <<-EOF
	name: $name
	hook: $hook
	interfaces:
	  canary: [tgwc0]
	  fleet: [tgwc1]
	pipeline:
	  - name: mark
	    object: $obj
	    program: $prog
	steps:
	$steps
	gates:
	  min_packets: 20
	  max_drop_ratio: 0.01
	  max_tail_misses: 0
	on_failure: rollback
	EOF
}

P0=$TAILGATE_PIN_ROOT/tgwc0
slot0() { tg_slot_prog_id "$P0/$1" 0; }
disp_name() {	# HOOK: the program the pinned link runs
	local id
	id=$(bpftool link show pinned "$P0/$1/link" | sed -n 's/.* prog \([0-9]*\).*/\1/p')
	bpftool prog show id "$id" | sed -n 's/^[0-9]*: [a-z_]* *name \([^ ]*\).*/\1/p'
}

# burst TAG COUNT: COUNT datagrams over FLOWS flows into tgwc0 (ingress);
# per-flow results in $TG_TMP/flows.TAG, the summary on stdout. Always the
# same 5-tuples (ports 40000.. -> 9410): a flow is its addresses, protocol
# and ports, so the same flows are compared across weights.
burst() {
	local tag=$1 n=$2 port=9410
	"$TG_TRAFFIC" recv --bind 198.18.232.1 --port "$port" --duration 30 --idle-ms 1500 \
		--per-flow "$TG_TMP/flows.$tag" >"$TG_TMP/rx.$tag" &
	local rx=$!
	tg_wait_bound "" 198.18.232.1 "$port"
	nsenter --net=/run/netns/tgwc-ns0 "$TG_TRAFFIC" send --dst 198.18.232.1 --port "$port" \
		--flows $FLOWS --count "$n" --rate 8000 >"$TG_TMP/tx.$tag" 2>&1
	wait $rx
	cat "$TG_TMP/rx.$tag"
	[[ -s $TG_TMP/flows.$tag ]] || echo "# burst $tag: sender said: $(cat "$TG_TMP/tx.$tag")" >&2
}
val() { sed -n "s/.*\\b$1=\\([0-9]*\\).*/\\1/p" | head -n 1; }

# Flows seen with exactly one mark, and which: "new" (0x40) / "old" (0x20).
flow_marks() {	# FILE -> "sport gen" lines; a flow with both marks -> "sport mixed"
	awk '{ for (i = 1; i <= NF; i++) { split($i, kv, "="); f[kv[1]] = kv[2] }
	       t = f["tos"]; g = t == "0x40" ? "new" : t == "0x20" ? "old" : "mixed"
	       print f["sport"], g }' "$1" | sort -n
}

echo "# 1. weights 1% -> 10% -> 50%, then promote"
plan old xdp "$TB/tos_mark_a.bpf.o" '  - canary: {}
  - promote: {batch: 1}'
plan new xdp "$TB/tos_mark_b.bpf.o" '  - canary: {weight: 1%}
  - pause: {}
  - canary: {weight: 10%}
  - pause: {}
  - canary: {weight: 50%}
  - pause: {}
  - promote: {batch: 1}'
tg_check "old generation promoted" "$TG" apply -q "$TG_TMP/old.yaml"
old_head=$(slot0 xdp)
miss0=$(tg_stats_sum "$P0/xdp" 0 tail_miss)	# before its first flip slot 0 was empty
fleet_before=$(tg_slot_prog_id "$TAILGATE_PIN_ROOT/tgwc1/xdp" 0)
# Continuous traffic across every step, for the zero-loss check.
"$TG_TRAFFIC" recv --bind 198.18.232.1 --port 9400 --duration 120 --idle-ms 4000 >"$TG_TMP/rx.cont" &
cont_rx=$!
tg_on_exit "kill $cont_rx"
tg_wait_bound "" 198.18.232.1 9400
nsenter --net=/run/netns/tgwc-ns0 "$TG_TRAFFIC" send --dst 198.18.232.1 --port 9400 \
	--flows 50 --sport-base 30000 --rate 400 --duration 60 >"$TG_TMP/tx.cont" &
cont_tx=$!
tg_on_exit "kill $cont_tx"

"$TG" apply "$TG_TMP/new.yaml" >"$TG_TMP/new.out" 2>&1
tg_assert_eq "$?" 0 "weighted rollout pauses at 1% (exit 0)"
tg_assert_eq "$(disp_name xdp)" tg_split_xdp "the splitting dispatcher runs while a weight is set"
tg_assert_eq "$(slot0 xdp)" "$old_head" "slot 0 still holds the old head"
new_head=$(tg_slot_prog_id "$P0/xdp" 17)
tg_assert_ne "$new_head" "" "the new generation sits in bank B"
tg_check "status --json shows the weight" \
	bash -c "'$TG' status --json | jq -e '.attach_points[] | select(.ifname == \"tgwc0\") | .dispatcher.weight == 1'"
prev_new=""
port=9410
for w in 1 10 50; do
	o0=$(tg_stats_sum "$P0/xdp" 1 packets) n0=$(tg_stats_sum "$P0/xdp" 17 packets)
	out=$(burst $port 10000)
	o1=$(tg_stats_sum "$P0/xdp" 1 packets) n1=$(tg_stats_sum "$P0/xdp" 17 packets)
	flow_marks "$TG_TMP/flows.$port" >"$TG_TMP/marks.$w"
	nflows=$(wc -l <"$TG_TMP/marks.$w")
	nnew=$(grep -c ' new$' "$TG_TMP/marks.$w")
	mixed=$(grep -c ' mixed$' "$TG_TMP/marks.$w")
	tg_assert_eq "$(val lost <<<"$out")" 0 "$w%: no datagram lost"
	tg_assert_eq "$nflows" $FLOWS "$w%: every flow arrived"
	tg_assert_eq "$mixed" 0 "$w%: every flow met one generation only"
	# Tolerance: 4 binomial standard deviations of the flow count.
	tol=$(awk -v n=$FLOWS -v p=$w 'BEGIN { p /= 100; printf "%d", 4 * sqrt(n * p * (1 - p)) + 1 }')
	exp=$((FLOWS * w / 100))
	echo "# $w%: $nnew of $nflows flows on the new generation (expected $exp +- $tol); kernel: new head $((n1 - n0)) packets, old head $((o1 - o0))"
	tg_check "$w%: flows on the new generation within $exp +- $tol" \
		test "$nnew" -ge $((exp - tol)) -a "$nnew" -le $((exp + tol))
	pk=$(awk -v a=$((n1 - n0)) -v b=$((o1 - o0)) 'BEGIN { printf "%.4f", a / (a + b) }')
	# The kernel counts the continuous stream's 50 flows too (~3% of the
	# packets here): the packet share may stray that much from the flows'.
	tg_check "$w%: packet share on the new generation ($pk) within 0.03 of the flow share" \
		awk -v s="$pk" -v f="$nnew" -v n=$FLOWS 'BEGIN { d = s - f / n; exit !(d < 0.03 && d > -0.03) }'
	if [[ -n $prev_new ]]; then
		back=$(join <(awk '$2 == "new" { print $1 }' "$TG_TMP/marks.$prev_new") \
			<(awk '$2 == "old" { print $1 }' "$TG_TMP/marks.$w") | wc -l)
		tg_assert_eq "$back" 0 "$prev_new% -> $w%: no flow went back from new to old"
	fi
	prev_new=$w
	port=$((port + 1))
	[[ $w == 50 ]] && break
	"$TG" promote >"$TG_TMP/promote.$w" 2>&1
	tg_assert_eq "$?" 0 "promote to the next weight (exit 0)"
done
"$TG" promote >"$TG_TMP/promote.end" 2>&1
tg_assert_eq "$?" 0 "promote: the rollout ends promoted"
tg_assert_eq "$(slot0 xdp)" "$new_head" "slot 0 on the new head"
tg_assert_eq "$(disp_name xdp)" tg_dispatch_xdp "the plain dispatcher is back"
tg_check "the split map is unpinned" test ! -e "$P0/xdp/split"
tg_check "history records each weight step" \
	bash -c "'$TG' history --json | jq -e '[.entries[] | select(.type == \"rollout\")][0].outcome == \"promoted\"'"
wait $cont_tx
wait $cont_rx
tg_assert_eq "$(val lost <"$TG_TMP/rx.cont")" 0 "no datagram lost through splits, weight changes and promote"
tg_assert_eq "$(tg_stats_sum "$P0/xdp" 17 tail_miss) $(($(tg_stats_sum "$P0/xdp" 0 tail_miss) - miss0))" "0 0" \
	"no tail miss on the new head or slot 0 during the rollout"

echo "# 2. a bad version at 5%"
plan bad xdp "$top/build/bpf/drop_all.bpf.o" '  - canary: {weight: 5%}
  - analyze: {duration: 4s, interval: 500ms}
  - promote: {batch: 1}'
sed -i 's/min_packets: 20/min_packets: 10/' "$TG_TMP/bad.yaml"
good_head=$(slot0 xdp)
fleet_before=$(tg_slot_prog_id "$TAILGATE_PIN_ROOT/tgwc1/xdp" 0)
# The good generation is in bank B; the bad one goes to bank A, whose
# slot counters still hold the older generation's packets: deltas.
o0=$(tg_stats_sum "$P0/xdp" 17 packets)
b0=$(tg_stats_sum "$P0/xdp" 1 packets) d0=$(tg_stats_sum "$P0/xdp" 1 drop)
"$TG_TRAFFIC" recv --bind 198.18.232.1 --port 9450 --duration 30 --idle-ms 2500 >"$TG_TMP/rx.bad" &
brx=$!
tg_wait_bound "" 198.18.232.1 9450
nsenter --net=/run/netns/tgwc-ns0 "$TG_TRAFFIC" send --dst 198.18.232.1 --port 9450 \
	--flows $FLOWS --rate 4000 --duration 8 >"$TG_TMP/tx.bad" &
btx=$!
sleep 1
"$TG" apply --events "$TG_TMP/bad.yaml" >"$TG_TMP/bad.out" 2>&1
rc=$?
wait $btx
wait $brx
tg_assert_eq "$rc" 3 "bad version at 5%: rolled back (exit 3)"
tg_check "caught by max_drop_ratio on the new generation's share" grep -q "max_drop_ratio" "$TG_TMP/bad.out"
tg_assert_eq "$(slot0 xdp)" "$good_head" "slot 0 back on the good head"
tg_assert_eq "$(disp_name xdp)" tg_dispatch_xdp "the plain dispatcher is back"
tg_assert_eq "$(tg_slot_prog_id "$TAILGATE_PIN_ROOT/tgwc1/xdp" 0)" "$fleet_before" "the fleet interface was never flipped"
# The window that breached: the bad share's packets against the old
# generation's on the same interface, as the gate saw them.
read -r wpk wbase < <(jq -r 'select(.event == "analysis" and .verdict == "unhealthy") | "\(.packets) \(.baseline_packets)"' "$TG_TMP/bad.out" | head -n 1)
wshare=$(awk -v a="$wpk" -v b="$wbase" 'BEGIN { printf "%.4f", a / (a + b) }')
echo "# breaching window: $wpk packets on the bad version, $wbase on the old one on tgwc0: share $wshare"
tg_check "in the breaching window about 5% of the packets met the bad version (1%..12%: $wshare)" \
	awk -v s="$wshare" 'BEGIN { exit !(s > 0.01 && s < 0.12) }'
bad_pk=$(($(tg_stats_sum "$P0/xdp" 1 packets) - b0))
bad_drop=$(($(tg_stats_sum "$P0/xdp" 1 drop) - d0))
old_pk=$(($(tg_stats_sum "$P0/xdp" 17 packets) - o0))
share=$(awk -v a="$bad_pk" -v b="$old_pk" 'BEGIN { printf "%.4f", a / (a + b) }')
echo "# while split: $bad_pk packets met the bad version ($bad_drop dropped), $old_pk the good one: share $share"
tg_assert_eq "$bad_drop" "$bad_pk" "the bad version dropped what it saw"
tg_check "about 5% of the packets met it (share $share of the whole run, 0 < share < 0.10)" \
	awk -v s="$share" 'BEGIN { exit !(s > 0 && s < 0.10) }'
sent=$(val sent <"$TG_TMP/tx.bad") lost=$(val lost <"$TG_TMP/rx.bad")
tg_check "only its share of the traffic was lost ($lost of $sent)" \
	awk -v l="$lost" -v s="$sent" -v b="$bad_drop" 'BEGIN { exit !(l <= b && l < 0.10 * s) }'

echo "# 3. kills during a weighted step"
plan kill xdp "$TB/tos_mark_a.bpf.o" '  - canary: {weight: 20%}
  - canary: {weight: 40%}
  - analyze: {duration: 1s, interval: 500ms}
  - promote: {batch: 1}'
sed -i 's/name: kill/name: kill-a/' "$TG_TMP/kill.yaml"
for fp in before-split after-split; do
	for nth in 1 2; do
		good_head=$(slot0 xdp)
		TAILGATE_FAULT=$fp:$nth "$TG" apply --force "$TG_TMP/kill.yaml" >/dev/null 2>&1
		rc=$?
		tg_assert_eq "$rc" 137 "killed at $fp (#$nth) (SIGKILL)"
		"$TG" recover >"$TG_TMP/recover.out" 2>&1
		tg_assert_eq "$?" 0 "recover after a kill at $fp exits 0"
		tg_assert_eq "$(slot0 xdp)" "$good_head" "after $fp: slot 0 back on the previous head"
		tg_assert_eq "$(disp_name xdp)" tg_dispatch_xdp "after $fp: the plain dispatcher"
		tg_check "after $fp: no split map left" test ! -e "$P0/xdp/split"
		out=$(burst "$fp$nth" 2000)
		tg_assert_eq "$(val lost <<<"$out")" 0 "after $fp: traffic flows"
	done
done

echo "# 4. tc-ingress"
"$TG" detach --all >/dev/null
plan tcold tc-ingress "$TB/tos_mark_a.bpf.o" '  - canary: {}
  - promote: {batch: 1}'
plan tcnew tc-ingress "$TB/tos_mark_b.bpf.o" '  - canary: {weight: 50%}
  - pause: {}
  - promote: {batch: 1}'
tg_check "tc: old generation promoted" "$TG" apply -q "$TG_TMP/tcold.yaml"
tg_check "tc: weighted step paused" "$TG" apply -q "$TG_TMP/tcnew.yaml"
tg_assert_eq "$(disp_name tc-ingress)" tg_split_tc "tc: the splitting dispatcher runs"
out=$(burst tc 10000)
flow_marks "$TG_TMP/flows.tc" >"$TG_TMP/marks.tc"
nnew=$(grep -c ' new$' "$TG_TMP/marks.tc")
tg_assert_eq "$(grep -c ' mixed$' "$TG_TMP/marks.tc")" 0 "tc: every flow met one generation"
tg_check "tc: 50% +- 7% of the flows on the new generation ($nnew of $FLOWS)" \
	test "$nnew" -ge $((FLOWS * 43 / 100)) -a "$nnew" -le $((FLOWS * 57 / 100))
tg_assert_eq "$(val lost <<<"$out")" 0 "tc: no datagram lost"
tg_check "tc: promote" "$TG" promote -q
tg_assert_eq "$(disp_name tc-ingress)" tg_dispatch_tc "tc: the plain dispatcher is back"

tg_test_end
