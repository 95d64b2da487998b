#!/usr/bin/env bash
# SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause)
#
# test_day2_idem: idempotent apply (issue 14), read from bpftool:
#   1. a plan live everywhere it names: exit 0, "unchanged", not one
#      program id changes, no generation number used, no rollout recorded;
#      also with only its gates and steps edited (how, not what);
#   2. a new fleet interface matching the plan's glob: only it gets the
#      plan, the others keep their programs;
#   3. an interface rolled back by hand: only it gets the plan again;
#   4. a changed stage setting is a new rollout, not "unchanged";
#   5. --force: a new generation everywhere.
set -u
top=$(cd "$(dirname "$0")/../.." && pwd)
. "$top/tests/lib/common.sh"
. "$top/tests/lib/day2.sh"

d2_begin day2_idem
HIST=$TAILGATE_STATE_DIR/history.jsonl

for i in 10 11 12 13; do d2_host $i; done
IFS_ALL=(tgd210 tgd211 tgd212 tgd213)

# every program id of every slot of every attach point, one line each
all_progs() {
	local ifc s
	for ifc in "$@"; do
		printf '%s:' "$ifc"
		for ((s = 0; s < 33; s++)); do printf ' %s' "$(tg_slot_prog_id "$TAILGATE_PIN_ROOT/$ifc/xdp" $s)"; done
		printf ' xdp=%s\n' "$(d2_xdp "$ifc")"
	done
}
rollouts() { grep -c '"type":"rollout"' "$HIST"; }
gen_file() { cat "$TAILGATE_STATE_DIR/generation"; }

STEPS='  - canary: {}
  - analyze: {duration: 1s, interval: 500ms}
  - promote: {batch: 2, analyze: 1s}'
d2_plan "$P/v1.yaml" v1 tgd210 '"tgd21[1-4]"' "counter blocklist" "$STEPS"
d2_plan "$P/v2.yaml" v2 tgd210 '"tgd21[1-4]"' "counter" "$STEPS"
flows=()
for i in 10 11 12 13; do d2_flow $i 100 300 $((9100 + i)); flows+=("$D2_FLOW"); done
tg_on_exit "kill ${flows[*]}"

"$TG" apply "$P/v1.yaml" >"$TG_TMP/a1.out" 2>&1
tg_assert_eq "$?" 0 "v1 rolled out"
before=$(all_progs "${IFS_ALL[@]}")
n=$(rollouts) g=$(gen_file)

echo "# 1. a plan live everywhere"
"$TG" apply "$P/v1.yaml" >"$TG_TMP/a2.out" 2>&1
tg_assert_eq "$?" 0 "apply again: exit 0"
tg_check "... saying unchanged" grep -q "already live on every interface" "$TG_TMP/a2.out"
tg_assert_eq "$(all_progs "${IFS_ALL[@]}")" "$before" "... not one program id changed (every slot, every interface)"
tg_assert_eq "$(rollouts)" "$n" "... no rollout recorded"
tg_assert_eq "$(gen_file)" "$g" "... no generation number used"
"$TG" apply --json "$P/v1.yaml" >"$TG_TMP/a2.json" 2>/dev/null
tg_assert_eq "$?" 0 "apply --json again: exit 0"
tg_assert_eq "$(jq -r '.. | objects | .outcome? // empty' "$TG_TMP/a2.json" | head -n 1)" unchanged "... outcome unchanged in one JSON document"
# Other gates and steps: how to roll out, not what runs.
sed -e 's/min_packets: 20/min_packets: 5/' -e 's/batch: 2, analyze: 1s/batch: 1/' "$P/v1.yaml" >"$P/v1b.yaml"
cmp -s "$P/v1.yaml" "$P/v1b.yaml" && tg_fail "v1b is v1"
"$TG" apply "$P/v1b.yaml" >"$TG_TMP/a3.out" 2>&1
tg_assert_eq "$?" 0 "same stages, other gates and steps: exit 0"
tg_check "... unchanged" grep -q "already live on every interface" "$TG_TMP/a3.out"
tg_assert_eq "$(all_progs "${IFS_ALL[@]}")" "$before" "... not one program id changed"
for i in 10 11 12 13; do d2_lossless $i 100 "tgd2$i passes traffic"; done

echo "# 2. a new fleet interface matching the glob"
d2_host 14
d2_flow 14 60 300 9114
flows+=("$D2_FLOW")
sleep 0.5
"$TG" apply "$P/v1.yaml" >"$TG_TMP/b1.out" 2>&1
tg_assert_eq "$?" 0 "tgd214 added: apply exits 0"
tg_check "... loading on one interface only" grep -q "loaded beside the live one on 1 interface" "$TG_TMP/b1.out"
tg_assert_eq "$(all_progs "${IFS_ALL[@]}")" "$before" "... the other four keep every program id"
tg_assert_eq "$(d2_prog_name "$(d2_xdp tgd214)")" tg_dispatch_xdp "... tgd214 runs the dispatcher"
tg_assert_eq "$("$TG" status --json | jq -r '.attach_points[] | select(.ifname == "tgd214") | .banks[] | select(.live) | .plan')" v1 \
	"... status: tgd214 runs v1"
d2_lossless 14 100 "tgd214 passes traffic"
IFS_ALL+=(tgd214)
before=$(all_progs "${IFS_ALL[@]}")
"$TG" apply "$P/v1.yaml" >"$TG_TMP/b2.out" 2>&1
tg_assert_eq "$?" 0 "then apply is unchanged again"
tg_check "... unchanged" grep -q "already live on every interface" "$TG_TMP/b2.out"
tg_assert_eq "$(all_progs "${IFS_ALL[@]}")" "$before" "... nothing changed"

echo "# 3. one interface rolled back by hand"
"$TG" apply "$P/v2.yaml" >"$TG_TMP/c0.out" 2>&1
tg_assert_eq "$?" 0 "v2 rolled out"
"$TG" rollback tgd212 >"$TG_TMP/c1.out" 2>&1
tg_assert_eq "$?" 0 "rollback tgd212 (back on v1)"
others() { all_progs tgd210 tgd211 tgd213 tgd214; }
o=$(others)
"$TG" apply "$P/v2.yaml" >"$TG_TMP/c2.out" 2>&1
tg_assert_eq "$?" 0 "apply v2 after the rollback: exit 0"
tg_check "... on tgd212 only" grep -q "loaded beside the live one on 1 interface" "$TG_TMP/c2.out"
tg_assert_eq "$(others)" "$o" "... the others keep every program id"
tg_assert_eq "$("$TG" status --json | jq -r '.attach_points[] | select(.ifname == "tgd212") | .banks[] | select(.live) | .plan')" v2 \
	"... tgd212 runs v2 again"
"$TG" apply "$P/v1.yaml" >"$TG_TMP/c3.out" 2>&1
tg_assert_eq "$?" 0 "v1 again, to compare against"

echo "# 4. a changed stage setting is a rollout"
before=$(all_progs "${IFS_ALL[@]}")
sed 's/    program: blocklist/    program: blocklist\n    mode: shadow/' "$P/v1.yaml" >"$P/v1s.yaml"
grep -q "mode: shadow" "$P/v1s.yaml" || tg_fail "cannot write v1s"
"$TG" apply "$P/v1s.yaml" >"$TG_TMP/d1.out" 2>&1
tg_assert_eq "$?" 0 "blocklist in shadow mode: rolled out"
tg_check "... not unchanged" bash -c "! grep -q 'already live' '$TG_TMP/d1.out'"
for ifc in "${IFS_ALL[@]}"; do
	tg_assert_ne "$(d2_slot0 "$ifc")" "$(grep "^$ifc:" <<<"$before" | awk '{ print $2 }')" "... $ifc has a new slot 0"
done

echo "# 5. --force"
before=$(all_progs "${IFS_ALL[@]}")
g=$(gen_file)
"$TG" apply --force "$P/v1s.yaml" >"$TG_TMP/e1.out" 2>&1
tg_assert_eq "$?" 0 "--force: exit 0"
tg_check "--force: a new generation ($(gen_file) > $g)" test "$(gen_file)" -gt "$g"
for ifc in "${IFS_ALL[@]}"; do
	tg_assert_ne "$(d2_slot0 "$ifc")" "$(grep "^$ifc:" <<<"$before" | awk '{ print $2 }')" "--force: $ifc has a new slot 0"
	tg_assert_eq "$(d2_live_gen "$ifc")" "$(gen_file)" "--force: $ifc on generation $(gen_file)"
done
tg_assert_eq "$(grep '"type":"rollout"' "$HIST" | tail -n 1 | jq -r .outcome)" promoted "--force: history says promoted"
for i in 10 11 12 13 14; do d2_lossless $i 100 "tgd2$i passes traffic"; done

tg_test_end
