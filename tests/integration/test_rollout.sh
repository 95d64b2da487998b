#!/usr/bin/env bash
# SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause)
#
# test_rollout: the staged rollout engine on a fleet of five XDP interfaces
# with live ping traffic (and a sixth, silent one), checked from the --json
# event stream, the exit codes, the history and bpftool:
#   1. a good version is promoted: canary first, then waves of two in name
#      order (the fleet is a glob; the interfaces were created out of name
#      order), each wave judged before the next; exit 0; history says so;
#   2. a bad version (drop_all) is rolled back (exit 3) at the first window
#      that could judge it and within one analysis interval of the breach,
#      while a sampler reading every fleet slot 0 with bpftool every ~50 ms
#      never sees one change; the history names the gate, the interface and
#      the value; `tailgate rollback` on a fleet interface afterwards does
#      not put the failed generation into service;
#   3. a silent canary is inconclusive: not promoted (exit 3), fleet untouched;
#   4. a failing exec gate ({ifname} substituted) rolls back; history says exec;
#   5. pause, then promote or abort from a second process; apply is refused
#      while paused, and so is flipping a fleet interface onto the paused
#      generation with `tailgate rollback`;
#   6. a version dropping 5% passes max_drop_ratio 0.10 but is caught by
#      max_drop_ratio_delta against the fleet's baseline (a version that
#      drops nothing passes the same gates);
#   7. a second apply (and a rollback) while a rollout runs fails at once,
#      naming the holder's pid; the first one finishes unharmed.
set -u
top=$(cd "$(dirname "$0")/../.." && pwd)
. "$top/tests/lib/common.sh"

tg_test_begin rollout
[[ -x $TG_TRAFFIC ]] || tg_fail "$TG_TRAFFIC is not built; run make"
DROP5=$top/build/tests/bpf/drop_5pct.bpf.o
[[ -f $DROP5 ]] || tg_fail "$DROP5 is not built; run make"
# Created out of name order, so ifindex order is not name order.
for i in 0 4 2 1 3 5; do
	tg_host "tgro-ns$i" "tgro$i" "198.18.$((220 + i)).1/24" "198.18.$((220 + i)).2"
done
# Live traffic into tgro0..4 (about 200 pps each, bounded); tgro5 stays silent.
for i in 0 1 2 3 4; do
	ip netns exec "tgro-ns$i" ping -q -i 0.005 -w 300 "198.18.$((220 + i)).1" >/dev/null 2>&1 &
	tg_on_exit "kill $!"
done
sleep 0.5

BPF=$top/build/bpf
FLEET='[tgro1, tgro2, tgro3, tgro4]'
# plan NAME CANARY STAGES STEPS [GATES] [FLEET]
plan() {
	local name=$1 canary=$2 stages=$3 steps=$4 gates=${5:-} fleet=${6:-$FLEET} s obj
	{
		printf 'name: %s\nhook: xdp\ninterfaces:\n  canary: [%s]\n  fleet: %s\n' \
			"$name" "$canary" "$fleet"
		printf 'pipeline:\n'
		for s in $stages; do
			obj=$BPF/$s.bpf.o
			[[ $s == drop_5pct ]] && obj=$DROP5
			printf '  - name: %s\n    object: %s\n    program: %s\n' "$s" "$obj" "$s"
			[[ $s == counter ]] && printf '    keep_maps: [packet_count]\n'
		done
		printf 'steps:\n%s\n' "$steps"
		printf 'gates:\n  min_packets: 50\n  max_tail_misses: 0\n%s\n' "$gates"
		printf 'on_failure: rollback\n'
	} >"$TG_TMP/$name.yaml"
}
STEPS='  - canary: {}
  - analyze: {duration: 2s, interval: 500ms}
  - promote: {batch: 2, analyze: 1s}'

slot0() { tg_slot_prog_id "$TAILGATE_PIN_ROOT/$1/xdp" 0; }
# field NAME: a number or string field of the first JSON line on stdin
field() { sed -n "s/.*\"$1\":\"\\?\\([^,\"}]*\\).*/\\1/p" | head -n 1; }
# live_gen IFNAME: generation of the live bank, from status --json
live_gen() {
	"$TG" status --json | jq -r --arg i "$1" \
		'.attach_points[] | select(.ifname == $i and .hook == "xdp") | .banks[] | select(.live) | .generation'
}
fleet_ids() { local i; for i in 1 2 3 4; do printf '%s ' "$(slot0 tgro$i)"; done; }
newest() { "$TG" history | head -n 1; }

echo "# 1. a good version, promoted wave by wave"
plan good tgro0 counter "$STEPS" '' '["tgro[1-4]"]'
"$TG" apply --events "$TG_TMP/good.yaml" >"$TG_TMP/good.json"
tg_assert_eq "$?" 0 "good version: exit 0"
seq=$(grep -E '"event":"(flip|analysis)"' "$TG_TMP/good.json" |
	sed 's/.*"event":"\([a-z]*\)".*"ifname":"\([^"]*\)".*/\1:\2/' | uniq | tr '\n' ' ')
tg_assert_eq "$seq" "flip:tgro0 analysis:tgro0 flip:tgro1 flip:tgro2 analysis:tgro1 analysis:tgro2 flip:tgro3 flip:tgro4 analysis:tgro3 analysis:tgro4 " \
	"canary first and judged, then waves of 2 in name order, each judged before the next"
tg_check "no analysis said anything but healthy" \
	bash -c "! grep '\"event\":\"analysis\"' '$TG_TMP/good.json' | grep -vq '\"verdict\":\"healthy\"'"
tg_check "end event: promoted" grep -q '"event":"end".*"outcome":"promoted"' "$TG_TMP/good.json"
gen_good=$(grep '"event":"flip"' "$TG_TMP/good.json" | field generation)
for i in 0 1 2 3 4; do
	tg_assert_eq "$(live_gen tgro$i)" "$gen_good" "good: tgro$i runs generation $gen_good"
done
tg_check "history: newest is the promoted good plan" bash -c "'$TG' history | head -n 1 | grep -q 'promoted.*generation $gen_good.*plan good'"
good0=$(slot0 tgro0)

echo "# 2. a bad version: caught on the canary, the fleet never touched"
before=$(fleet_ids)
plan bad tgro0 "counter drop_all" "$STEPS" '  max_drop_ratio: 0.01'
(
	end=$((SECONDS + 30))
	while [[ $SECONDS -lt $end && ! -e $TG_TMP/stop ]]; do
		echo "$(date +%s.%N) $(fleet_ids)"
		sleep 0.05
	done
) >"$TG_TMP/samples" &
sampler=$!
sleep 0.3
"$TG" apply --events "$TG_TMP/bad.yaml" >"$TG_TMP/bad.json"
rc=$?
sleep 0.3
touch "$TG_TMP/stop"
wait $sampler
tg_assert_eq "$rc" 3 "bad version: exit 3 (rolled back)"
flip_t=$(grep '"event":"flip"' "$TG_TMP/bad.json" | field time)
end_t=$(grep '"event":"end"' "$TG_TMP/bad.json" | field time)
tg_check "the sampler ran from before the flip to after the end" \
	awk -v a="$(head -n 1 "$TG_TMP/samples" | cut -d' ' -f1)" -v b="$(tail -n 1 "$TG_TMP/samples" | cut -d' ' -f1)" \
	-v f="$flip_t" -v e="$end_t" 'BEGIN { exit !(a < f && b > e) }'
tg_check "the sampler read the fleet's slot 0 at least every 250 ms" \
	awk '{ if (NR > 1 && $1 - t > 0.25) bad = 1; t = $1 } END { exit bad }' "$TG_TMP/samples"
tg_assert_eq "$(cut -d' ' -f2- "$TG_TMP/samples" | sort -u)" "$before" \
	"no fleet slot 0 ever changed ($(wc -l <"$TG_TMP/samples") samples of 4)"
tg_assert_eq "$(slot0 tgro0)" "$good0" "canary back on the good generation's head"
# The canary drops everything from its flip: the first window holding
# min_packets must breach, and the revert follow within one interval.
first=$(grep '"event":"analysis"' "$TG_TMP/bad.json" |
	awk -F'"packets":' '{ split($2, a, ","); if (a[1] + 0 >= 50) { print; exit } }')
tg_check "the first window with min_packets breached max_drop_ratio" \
	grep -q '"verdict":"unhealthy","gate":"max_drop_ratio"' <<<"$first"
breach=$(grep '"event":"breach"' "$TG_TMP/bad.json")
revert_t=$(grep '"event":"revert"' "$TG_TMP/bad.json" | field time)
tg_check "breach event: gate, interface, value 1, threshold 0.01" \
	grep -q '"gate":"max_drop_ratio","ifname":"tgro0","value":1,"threshold":0.01' <<<"$breach"
tg_check "reverted within one 500 ms interval of the breaching analysis" \
	awk -v a="$(field time <<<"$first")" -v r="$revert_t" 'BEGIN { exit !(r >= a && r - a <= 0.5) }'
tg_check "... and no later after the flip than that window's end plus one interval" \
	awk -v f="$flip_t" -v r="$revert_t" -v w="$(field elapsed_ms <<<"$first")" \
	'BEGIN { exit !(r - f <= w / 1000 + 0.5) }'
tg_check "history: rolled back, with gate, interface and measured value" \
	bash -c "'$TG' history | head -n 1 | grep -q 'rolled_back.*plan bad.*max_drop_ratio 1 > limit 0.01 on tgro0'"
tg_check "history --json: the breach in numbers" \
	bash -c "'$TG' history --json | head -n 1 | grep -q '\"outcome\":\"rolled_back\".*\"breach\":{\"gate\":\"max_drop_ratio\",\"ifname\":\"tgro0\",\"value\":1,\"threshold\":0.01}'"
# The failed generation sits in every fleet interface's other bank too.
"$TG" rollback tgro1 >"$TG_TMP/rb.out" 2>&1
tg_assert_ne "$?" 0 "rollback of a fleet interface onto the failed generation is refused"
tg_assert_eq "$(fleet_ids)" "$before" "... and the fleet still runs the good generation"

echo "# 3. a silent canary: inconclusive, never promoted"
plan silent tgro5 counter '  - canary: {}
  - analyze: {duration: 1500ms, interval: 500ms}
  - promote: {batch: 4}'
"$TG" apply "$TG_TMP/silent.yaml" >"$TG_TMP/silent.out" 2>&1
tg_assert_eq "$?" 3 "silent canary: exit 3 (not promoted)"
tg_check "reason says inconclusive (min_packets)" grep -q "inconclusive: min_packets" "$TG_TMP/silent.out"
tg_assert_eq "$(fleet_ids)" "$before" "silent canary: fleet untouched"
# tgro5 had no dispatcher before: rolled back, it is as it was, none.
tg_check "silent canary: tgro5 no longer runs the new generation (no dispatcher left)" \
	bash -c "! ip link show dev tgro5 | grep -q xdp && [ ! -e '$TAILGATE_PIN_ROOT/tgro5/xdp' ]"
tg_check "history: rolled_back, inconclusive" bash -c "'$TG' history | head -n 1 | grep -q 'rolled_back.*plan silent.*inconclusive'"

echo "# 4. a failing exec gate"
plan exec tgro0 counter "$STEPS" '  exec: "test {ifname} != tgro0"
  exec_timeout: 5s'
"$TG" apply "$TG_TMP/exec.yaml" >"$TG_TMP/exec.out" 2>&1
tg_assert_eq "$?" 3 "exec gate failing: exit 3"
tg_check "history names the exec gate" bash -c "'$TG' history --json | head -n 1 | grep -q '\"gate\":\"exec\",\"ifname\":\"tgro0\"'"
tg_check "history text says exec" bash -c "'$TG' history | head -n 1 | grep -q 'rolled_back.*plan exec.*exec'"
tg_assert_eq "$(slot0 tgro0)" "$good0" "exec: canary back on the good generation"
tg_assert_eq "$(fleet_ids)" "$before" "exec: fleet untouched"

echo "# 5. pause, then promote or abort from a second process"
PAUSE='  - canary: {}
  - pause: {}
  - promote: {batch: 4}'
plan paused tgro0 counter "$PAUSE"
"$TG" apply --events "$TG_TMP/paused.yaml" >"$TG_TMP/paused.json" 2>&1
tg_assert_eq "$?" 0 "pause step: apply returns 0"
tg_check "... with the rollout paused" grep -q '"event":"paused"' "$TG_TMP/paused.json"
gen_p=$(grep '"event":"flip"' "$TG_TMP/paused.json" | field generation)
tg_assert_eq "$(live_gen tgro0)" "$gen_p" "paused: the canary runs the new generation"
tg_assert_eq "$(fleet_ids)" "$before" "paused: the fleet does not"
"$TG" apply "$TG_TMP/good.yaml" >"$TG_TMP/refused.out" 2>&1
tg_assert_eq "$?" 1 "apply refused while a rollout is paused (exit 1)"
tg_check "refusal says promote or abort" grep -q "promote.*abort" "$TG_TMP/refused.out"
tg_assert_eq "$(fleet_ids)" "$before" "the refused apply changed nothing"
bash -c "exec '$TG' promote" >"$TG_TMP/promote.out" 2>&1
tg_assert_eq "$?" 0 "promote from a second process finishes the rollout"
for i in 0 1 2 3 4; do
	tg_assert_eq "$(live_gen tgro$i)" "$gen_p" "promoted: tgro$i runs generation $gen_p"
done
tg_check "history: promoted" bash -c "'$TG' history | head -n 1 | grep -q 'promoted.*generation $gen_p.*plan paused'"
canary_p=$(slot0 tgro0) before=$(fleet_ids)

plan paused2 tgro0 counter "$PAUSE"
"$TG" apply "$TG_TMP/paused2.yaml" >/dev/null 2>&1
tg_assert_eq "$?" 0 "second paused rollout"
tg_assert_ne "$(slot0 tgro0)" "$canary_p" "paused2: canary flipped"
# tgro1's other bank holds the paused generation: a rollback there must
# not put it into service behind the rollout's back.
"$TG" rollback tgro1 >"$TG_TMP/rb2.out" 2>&1
tg_assert_eq "$(fleet_ids)" "$before" "rollback of a fleet interface while paused does not flip it onto the paused generation"
bash -c "exec '$TG' abort" >/dev/null 2>&1
tg_assert_eq "$?" 0 "abort from a second process"
tg_assert_eq "$(slot0 tgro0)" "$canary_p" "abort: canary back on the previous generation"
tg_assert_eq "$(fleet_ids)" "$before" "abort: the whole fleet on the previous generation"
tg_check "history: aborted" bash -c "'$TG' history | head -n 1 | grep -q 'aborted.*plan paused2'"

echo "# 6. 5% drops: under the absolute limit, caught against the baseline"
DELTA='  max_drop_ratio: 0.10
  max_drop_ratio_delta: 0.01'
STEPS6='  - canary: {}
  - analyze: {duration: 3s, interval: 1s}
  - promote: {batch: 4}'
# 2000 pps more into the canary: every 1 s window holds >= min_packets (200).
ip netns exec tgro-ns0 "$TG_TRAFFIC" send --dst 198.18.220.1 --port 9300 --rate 2000 --duration 15 >/dev/null &
tx=$!
tg_on_exit "kill $tx"
plan control tgro0 counter "$STEPS6" "$DELTA"
plan subtle tgro0 "counter drop_5pct" "$STEPS6" "$DELTA"
sed -i 's/min_packets: 50/min_packets: 200/' "$TG_TMP/control.yaml" "$TG_TMP/subtle.yaml"
"$TG" apply --events "$TG_TMP/control.yaml" >"$TG_TMP/control.json" 2>&1
tg_assert_eq "$?" 0 "a version that drops nothing passes the same gates"
tg_check "... compared against a baseline" \
	jq -se 'any(.[]; .event == "analysis" and .baseline_drop_ratio == 0 and .verdict == "healthy")' "$TG_TMP/control.json"
before=$(fleet_ids)
"$TG" apply --events "$TG_TMP/subtle.yaml" >"$TG_TMP/subtle.json" 2>&1
tg_assert_eq "$?" 3 "5% dropper: rolled back"
kill $tx 2>/dev/null
wait $tx 2>/dev/null
a1=$(grep -m1 '"event":"analysis"' "$TG_TMP/subtle.json")
echo "# first window: $(field packets <<<"$a1") packets, drop ratio $(field drop_ratio <<<"$a1"), baseline $(field baseline_drop_ratio <<<"$a1")"
tg_assert_ge "$(field packets <<<"$a1")" 200 "the first 1 s window holds min_packets"
tg_check "the absolute gate alone would pass (drop ratio < 0.10)" \
	awk -v r="$(field drop_ratio <<<"$a1")" 'BEGIN { exit !(r > 0.01 && r < 0.10) }'
tg_check "caught by max_drop_ratio_delta" \
	grep -q '"event":"breach".*"gate":"max_drop_ratio_delta","ifname":"tgro0"' "$TG_TMP/subtle.json"
tg_check "history names max_drop_ratio_delta" \
	bash -c "'$TG' history | head -n 1 | grep -q 'rolled_back.*plan subtle.*max_drop_ratio_delta'"
tg_assert_eq "$(fleet_ids)" "$before" "5% dropper: fleet untouched"

echo "# 7. one writer at a time"
plan slow tgro0 counter '  - canary: {}
  - analyze: {duration: 3s, interval: 1s}
  - promote: {batch: 4}'
"$TG" apply --events "$TG_TMP/slow.yaml" >"$TG_TMP/slow.json" 2>&1 &
holder=$!
for ((k = 0; k < 100; k++)); do
	grep -qs '"event":"flip"' "$TG_TMP/slow.json" && break
	sleep 0.05
done
t0=$(date +%s%N)
"$TG" apply "$TG_TMP/good.yaml" >"$TG_TMP/second.out" 2>&1
rc=$?
ms=$((($(date +%s%N) - t0) / 1000000))
"$TG" rollback tgro1 >"$TG_TMP/third.out" 2>&1
rc3=$?
kill -0 $holder 2>/dev/null
tg_assert_eq "$?" 0 "the first apply was still running when the others tried"
tg_assert_ne "$rc" 0 "a second apply fails"
tg_check "... at once (${ms} ms)" test "$ms" -lt 1000
tg_check "... naming the holder's pid $holder" grep -q "pid $holder\\b" "$TG_TMP/second.out"
tg_assert_ne "$rc3" 0 "a rollback during the rollout fails too"
tg_check "... naming the holder's pid" grep -q "pid $holder\\b" "$TG_TMP/third.out"
wait $holder
tg_assert_eq "$?" 0 "the first apply finished: promoted"
gen_s=$(grep '"event":"flip"' "$TG_TMP/slow.json" | field generation)
for i in 0 1 2 3 4; do
	tg_assert_eq "$(live_gen tgro$i)" "$gen_s" "tgro$i runs the first apply's generation"
done

tg_test_end
