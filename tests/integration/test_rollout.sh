#!/usr/bin/env bash
# SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause)
#
# test_rollout: the staged rollout engine on a fleet of five interfaces
# with live ping traffic (and a sixth, silent one):
#   - a good version is promoted: canary first, then waves of two in name
#     order (read from the --json event stream), exit 0, history says so;
#   - a bad version (drop_all) is rolled back (exit 3) within one analysis
#     interval of the breach, while a sampler reading the fleet's slot 0
#     with bpftool every 50 ms never sees it change;
#   - a silent canary is inconclusive: not promoted, exit 3;
#   - a failing exec gate rolls back and the history names it;
#   - pause then promote, and pause then abort, from a second process;
#     apply is refused while paused;
#   - a version that drops 5% passes the absolute limit but is caught by
#     the baseline comparison (max_drop_ratio_delta).
set -u
top=$(cd "$(dirname "$0")/../.." && pwd)
. "$top/tests/lib/common.sh"

tg_test_begin rollout
N=5
for i in 0 1 2 3 4 5; do
	tg_host "tgro-ns$i" "tgro$i" "198.18.$((220 + i)).1/24" "198.18.$((220 + i)).2"
done
# Live traffic on tgro0..4 (200 pps each, bounded); tgro5 stays silent.
for ((i = 0; i < N; i++)); do
	ip netns exec "tgro-ns$i" ping -q -i 0.005 -w 300 "198.18.$((220 + i)).1" >/dev/null 2>&1 &
	tg_on_exit "kill $!"
done
sleep 0.5

BPF=$top/build/bpf
# plan NAME CANARY STAGES STEPS [GATES] [ON_FAILURE]
plan() {
	local name=$1 canary=$2 stages=$3 steps=$4 gates=${5:-} onf=${6:-rollback} s
	{
		printf 'name: %s\nhook: xdp\ninterfaces:\n  canary: [%s]\n' "$name" "$canary"
		printf '  fleet: [tgro1, tgro2, tgro3, tgro4]\npipeline:\n'
		for s in $stages; do
			printf '  - name: %s\n    object: %s\n    program: %s\n' "$s" \
				"$( [[ $s == drop_5pct ]] && echo "$top/build/tests/bpf" || echo "$BPF")/$s.bpf.o" "$s"
			[[ $s == counter ]] && printf '    keep_maps: [packet_count]\n'
		done
		printf 'steps:\n%s\n' "$steps"
		printf 'gates:\n  min_packets: 50\n  max_tail_misses: 0\n%s\n' "$gates"
		printf 'on_failure: %s\n' "$onf"
	} >"$TG_TMP/$name.yaml"
}
STEPS='  - canary: {}
  - analyze: {duration: 2s, interval: 500ms}
  - promote: {batch: 2, analyze: 1s}'

slot0() { tg_slot_prog_id "$TAILGATE_PIN_ROOT/$1/xdp" 0; }
field() { sed -n "s/.*\"$1\":\\([0-9.]*\\).*/\\1/p" | head -n 1; }

# 1. A good version, promoted wave by wave.
plan good tgro0 counter "$STEPS"
"$TG" apply --json "$TG_TMP/good.yaml" >"$TG_TMP/good.json"
tg_assert_eq "$?" 0 "good version: exit 0"
order=$(grep '"event":"flip"' "$TG_TMP/good.json" | sed 's/.*"ifname":"\([^"]*\)".*/\1/' | tr '\n' ' ')
tg_assert_eq "$order" "tgro0 tgro1 tgro2 tgro3 tgro4 " "flips: canary, then waves of 2 in name order"
waves=$(grep -E '"event":"(flip|analyze)"' "$TG_TMP/good.json" | sed 's/.*"event":"\([a-z]*\)".*/\1/' | tr '\n' ' ')
tg_assert_eq "$waves" "flip analyze flip flip analyze flip flip analyze " "each wave judged before the next"
tg_check "history: promoted" bash -c "'$TG' history | head -n 1 | grep -q 'promoted.*plan good'"
good0=$(slot0 tgro0)

# 2. A bad version: caught on the canary, the fleet never touched.
declare -A fleet_before
for i in 1 2 3 4; do fleet_before[$i]=$(slot0 tgro$i); done
plan bad tgro0 "counter drop_all" "$STEPS" '  max_drop_ratio: 0.01'
(
	end=$((SECONDS + 30))
	while [[ $SECONDS -lt $end && ! -e $TG_TMP/stop ]]; do
		for i in 1 2 3 4; do echo "$i $(slot0 tgro$i)"; done
		sleep 0.05
	done
) >"$TG_TMP/samples" &
sampler=$!
"$TG" apply --json "$TG_TMP/bad.yaml" >"$TG_TMP/bad.json"
rc=$?
touch "$TG_TMP/stop"
wait $sampler
tg_assert_eq "$rc" 3 "bad version: exit 3 (rolled back)"
changed=0
while read -r i id; do
	[[ $id == "${fleet_before[$i]}" ]] || changed=$((changed + 1))
done <"$TG_TMP/samples"
tg_assert_ge "$(wc -l <"$TG_TMP/samples")" 8 "the sampler read the fleet's slot 0 throughout (two rounds at least)"
tg_assert_eq "$changed" 0 "no fleet slot 0 ever changed during the bad rollout"
tg_assert_eq "$(slot0 tgro0)" "$good0" "canary back on the good generation's head"
flip_t=$(grep '"event":"flip"' "$TG_TMP/bad.json" | field time)
breach=$(grep '"event":"breach"' "$TG_TMP/bad.json")
revert_t=$(grep '"event":"revert"' "$TG_TMP/bad.json" | field time)
tg_check "breach names the gate and the interface" \
	grep -q '"gate":"max_drop_ratio","ifname":"tgro0"' <<<"$breach"
# Dropping starts at the flip: breached and reverted within one 500 ms
# interval of the first window that held min_packets (50 at 200 pps).
tg_check "rolled back within one interval of the breach" \
	awk -v f="$flip_t" -v r="$revert_t" 'BEGIN { exit !(r - f <= 1.0 + 0.25) }'
hist=$("$TG" history --json | head -n 1)
tg_check "history: rolled_back with the gate, interface, value, threshold" \
	grep -q '"outcome":"rolled_back".*"breach":{"gate":"max_drop_ratio","ifname":"tgro0","value":1,"threshold":0.01}' <<<"$hist"

# 3. A silent canary: inconclusive, never promoted.
for i in 1 2 3 4; do fleet_before[$i]=$(slot0 tgro$i); done
plan silent tgro5 counter '  - canary: {}
  - analyze: {duration: 1500ms, interval: 500ms}
  - promote: {batch: 4}'
"$TG" apply "$TG_TMP/silent.yaml" >"$TG_TMP/silent.out" 2>&1
tg_assert_eq "$?" 3 "silent canary: exit 3 (not promoted)"
tg_check "reason says inconclusive" grep -q "inconclusive: min_packets" "$TG_TMP/silent.out"
for i in 1 2 3 4; do
	tg_assert_eq "$(slot0 tgro$i)" "${fleet_before[$i]}" "silent canary: tgro$i untouched"
done

# 4. A failing exec gate.
plan exec tgro0 counter "$STEPS" '  exec: "test {ifname} != tgro0"
  exec_timeout: 5s'
"$TG" apply "$TG_TMP/exec.yaml" >/dev/null 2>&1
tg_assert_eq "$?" 3 "exec gate failing: exit 3"
tg_check "history names the exec gate" bash -c "'$TG' history --json | head -n 1 | grep -q '\"gate\":\"exec\"'"
tg_assert_eq "$(slot0 tgro0)" "$good0" "exec: canary back on the good generation"

# 5. Pause, then promote or abort from a second process.
PAUSE='  - canary: {}
  - pause: {}
  - promote: {batch: 4}'
plan paused tgro0 counter "$PAUSE"
"$TG" apply "$TG_TMP/paused.yaml" >/dev/null 2>&1
tg_assert_eq "$?" 0 "pause step: apply returns 0 with the rollout paused"
tg_assert_ne "$(slot0 tgro0)" "$good0" "paused: the canary runs the new generation"
tg_assert_eq "$(slot0 tgro1)" "${fleet_before[1]}" "paused: the fleet does not"
"$TG" apply "$TG_TMP/good.yaml" >"$TG_TMP/refused.out" 2>&1
tg_assert_ne "$?" 0 "apply refused while a rollout is paused"
tg_check "refusal says promote or abort" grep -q "promote.*abort" "$TG_TMP/refused.out"
bash -c "'$TG' promote" >/dev/null 2>&1
tg_assert_eq "$?" 0 "promote from a second process finishes the rollout"
canary_new=$(slot0 tgro0)
for i in 1 2 3 4; do
	tg_assert_ne "$(slot0 tgro$i)" "${fleet_before[$i]}" "promoted: tgro$i flipped"
done
plan paused2 tgro0 counter "$PAUSE"
"$TG" apply "$TG_TMP/paused2.yaml" >/dev/null 2>&1
bash -c "'$TG' abort" >/dev/null 2>&1
tg_assert_eq "$?" 0 "abort from a second process"
tg_assert_eq "$(slot0 tgro0)" "$canary_new" "abort: canary back on the previous generation"
tg_check "history: aborted" bash -c "'$TG' history | head -n 1 | grep -q aborted"

# 6. 5% drops: under the absolute limit, caught against the baseline.
plan subtle tgro0 "counter drop_5pct" '  - canary: {}
  - analyze: {duration: 4s, interval: 1s}
  - promote: {batch: 4}' '  max_drop_ratio: 0.10
  max_drop_ratio_delta: 0.01'
sed -i 's/min_packets: 50/min_packets: 200/' "$TG_TMP/subtle.yaml"
"$TG" apply --json "$TG_TMP/subtle.yaml" >"$TG_TMP/subtle.json" 2>&1
tg_assert_eq "$?" 3 "5% dropper: rolled back"
tg_check "caught by max_drop_ratio_delta, not the absolute gate" \
	grep -q '"event":"breach".*"gate":"max_drop_ratio_delta"' "$TG_TMP/subtle.json"

tg_test_end
