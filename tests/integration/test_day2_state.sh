#!/usr/bin/env bash
# SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause)
#
# test_day2_state: what must also hold after issue 14, on the real kernel:
#   a. FIFOs and devices as plan, object, journal, history, records: refused
#      at once (never a blocked open), with a message;
#   b. a corrupt journal: recover moves it aside and reconciles from the
#      kernel; a second recover has nothing to do (no "run recover" loop);
#   c. crafted journal fields (step 99, bank 7, state zzz, a step past the
#      plan's): refused with a message, promote and abort never crash;
#   d. rollback during a paused rollout is refused; 'rollback X X' flips once;
#   e. rollback --all and detach --all go on past a failing attach point and
#      exit 4 saying what was and was not done;
#   f. an interface moved to another namespace mid-rollout is reported lost
#      with what to do, the rest goes back, recover cleans up;
#   g. slot 0 pointing at a program that heads no bank, or a stage deleted
#      from the live chain (written with
#      bpftool) is repaired by recover;
#   h. a read-only state directory, a symlinked lock, an over-long state
#      path: a message and a non-zero exit each;
#   i. generation numbers never repeat, even without the 'generation' file;
#   j. history over the rotation size: the file rotates, 'history' shows the
#      newest entries;
#   k. exit 5 while another writer holds the lock;
#   l. 'sandbox up' never deletes an interface it did not create;
#   m. an operator's rollback with the state file system full: exit 4 saying
#      so, and recover keeps it (the kernel wins over a stale record).
# D2_ONLY="a d" runs some sections only.
set -u
top=$(cd "$(dirname "$0")/../.." && pwd)
. "$top/tests/lib/common.sh"
. "$top/tests/lib/day2.sh"

d2_begin day2_state counter blocklist drop_all
newest_history() { grep '"type":"rollout"' "$(HIST)" | tail -n 1; }
IFS5=(tgd25 tgd26 tgd27 tgd28)
all_ids() { local i; for i in "${IFS5[@]}"; do printf '%s ' "$(d2_slot0 "$i")"; done; }

for i in 5 6 7 8; do d2_host $i; done

fresh() {
	"$TG" detach --all >/dev/null 2>&1
	rm -rf "$TAILGATE_PIN_ROOT"
	export TAILGATE_STATE_DIR=$STATE0/$1
	mkdir -p -m 0700 "$TAILGATE_STATE_DIR"
}

FLEET="tgd26, tgd27, tgd28"
STEPS_SHORT='  - canary: {}
  - analyze: {duration: 1s, interval: 500ms}
  - promote: {batch: 3}'
STEPS_PAUSE='  - canary: {}
  - pause: {}
  - promote: {batch: 3}'
d2_plan "$P/v1.yaml" v1 tgd25 "$FLEET" counter "$STEPS_SHORT"
d2_plan "$P/v2.yaml" v2 tgd25 "$FLEET" "counter blocklist" "$STEPS_SHORT"
d2_plan "$P/v2p.yaml" v2p tgd25 "$FLEET" "counter blocklist" "$STEPS_PAUSE"

# apply_ok PLAN: apply under a short flow into the canary, or fail the test.
apply_ok() {
	d2_flow 5 3 300 9105
	"$TG" apply -q "$@" >"$TG_TMP/apply.out" 2>&1 || tg_fail "apply $*: $(cat "$TG_TMP/apply.out")"
	kill "$D2_FLOW" 2>/dev/null
}

# quick DESC CMD...: CMD ends by itself within 10 s, exit code in $rc, output in $TG_TMP/q.out.
quick() {
	local desc=$1
	shift
	timeout 10 "$@" >"$TG_TMP/q.out" 2>&1
	rc=$?
	tg_check "$desc: returns at once (exit $rc, not blocked)" test "$rc" -ne 124 -a "$rc" -lt 128
}

# ---------------------------------------------------------------------------
if want a; then
echo "# a. FIFOs and devices where files belong"
fresh a
apply_ok "$P/v1.yaml"
ids=$(all_ids)
mkfifo "$P/fifo.yaml"
quick "plan FIFO" "$TG" plan "$P/fifo.yaml"
tg_assert_eq "$rc" 1 "plan FIFO: exit 1"
tg_check "plan FIFO: says it is not a regular file" grep -qi "not a regular file" "$TG_TMP/q.out"
quick "apply FIFO" "$TG" apply "$P/fifo.yaml"
tg_assert_eq "$rc" 1 "apply FIFO: exit 1"
quick "apply /dev/zero" "$TG" apply /dev/zero
tg_assert_eq "$rc" 1 "apply /dev/zero: exit 1"
mkfifo "$P/obj.fifo"
d2_plan "$P/fifo_obj.yaml" fifo_obj tgd25 "$FLEET" "counter:$P/obj.fifo" "$STEPS_SHORT"
d2_plan "$P/dev_obj.yaml" dev_obj tgd25 "$FLEET" "counter:/dev/zero" "$STEPS_SHORT"
for k in fifo_obj dev_obj; do
	quick "object $k" "$TG" apply "$P/$k.yaml"
	tg_assert_eq "$rc" 2 "object $k: preflight fails (exit 2)"
	tg_check "object $k: says it is not a regular file" grep -qi "not a regular file" "$TG_TMP/q.out"
done
# State files replaced by FIFOs and devices: every verb that reads them.
for f in rollout.journal history.jsonl generation "gens/1" "aps/tgd25.xdp" reserve lock; do
	for kind in fifo dev; do
		path=$TAILGATE_STATE_DIR/$f
		[[ -e $path ]] && mv "$path" "$path.saved"
		if [[ $kind == fifo ]]; then mkfifo -m 0600 "$path"; else mknod -m 0600 "$path" c 1 3; fi
		for verb in "apply $P/v2.yaml" status history recover "rollback tgd26" promote; do
			# shellcheck disable=SC2086
			quick "$f as a $kind: $verb" "$TG" $verb
			tg_check "$f as a $kind: $verb: a failure says why" \
				bash -c "[ $rc -eq 0 ] || [ -s '$TG_TMP/q.out' ]"
		done
		rm -f "$path"
		[[ -e $path.saved ]] && mv "$path.saved" "$path"
	done
done
"$TG" recover >"$TG_TMP/rec.out" 2>&1
tg_assert_eq "$?" 0 "state restored: recover has nothing left to fix"
fi

# ---------------------------------------------------------------------------
if want b; then
echo "# b. a corrupt journal"
fresh b
apply_ok "$P/v1.yaml"
v1=$(all_ids)
flows=()
for i in 5 6 7 8; do d2_flow $i 40 300 $((9100 + i)); flows+=("$D2_FLOW"); done
for how in garbage torn empty; do
	TAILGATE_FAULT=after-flip "$TG" apply "$P/v2.yaml" >"$TG_TMP/kill.out" 2>&1
	tg_assert_eq "$?" 137 "$how: apply killed right after the canary's flip"
	tg_assert_ne "$(d2_slot0 tgd25)" "$(cut -d' ' -f1 <<<"$v1")" "$how: the canary runs the new generation"
	case $how in
	garbage) printf 'id 1\n\001\002 not a journal {"json": "either"}\n' >"$(JOURNAL)" ;;
	torn) head -c 60 "$(JOURNAL)" >"$TG_TMP/torn" && cat "$TG_TMP/torn" >"$(JOURNAL)" ;;
	empty) : >"$(JOURNAL)" ;;
	esac
	"$TG" apply "$P/v2.yaml" >"$TG_TMP/b1.out" 2>&1
	tg_assert_eq "$?" 4 "$how journal: apply refused (exit 4)"
	tg_check "$how journal: ... saying recover moves it aside" grep -q "recover moves it aside" "$TG_TMP/b1.out"
	"$TG" recover >"$TG_TMP/b2.out" 2>&1
	tg_assert_eq "$?" 0 "$how journal: recover exits 0"
	tg_check "$how journal: ... saying where it moved the journal" grep -q "moved it to .*rollout.journal.corrupt" "$TG_TMP/b2.out"
	tg_assert_eq "$(all_ids)" "$v1" "$how journal: recover put the canary back on v1 from the kernel and the records"
	tg_check "$how journal: no journal left" test ! -e "$(JOURNAL)"
	"$TG" recover >"$TG_TMP/b3.out" 2>&1
	tg_assert_eq "$?" 0 "$how journal: a second recover exits 0"
	tg_check "$how journal: ... with nothing to fix" grep -q "recover: 0 fixes, 0 problems left" "$TG_TMP/b3.out"
	"$TG" status --ready >/dev/null 2>&1
	tg_assert_eq "$?" 0 "$how journal: status --ready"
	rm -f "$TAILGATE_STATE_DIR"/rollout.journal.corrupt.*
done
"$TG" apply "$P/v2.yaml" >"$TG_TMP/b4.out" 2>&1
tg_assert_eq "$?" 0 "after the recovers, apply v2 works"
kill "${flows[@]}" 2>/dev/null
fi

# ---------------------------------------------------------------------------
if want c; then
echo "# c. crafted journal fields"
fresh c
apply_ok "$P/v1.yaml"
v1=$(all_ids)
apply_ok "$P/v2p.yaml"
paused=$(all_ids)
cp -p "$(JOURNAL)" "$TG_TMP/journal.good"
gen=$(sed -n 's/^id //p' "$(JOURNAL)")
# craft NAME SED: the good journal edited by SED.
craft() {
	cp -p "$TG_TMP/journal.good" "$(JOURNAL)"
	sed -i "$2" "$(JOURNAL)"
	cmp -s "$(JOURNAL)" "$TG_TMP/journal.good" && tg_fail "craft $1: the edit changed nothing"
}
for c in 'step 99|s/^step .*/step 99/' \
	'bank 7|0,/^target /s/^\(target [^ ]* [0-9]* [01] \)[-0-9]* /\17 /' \
	'new bank 7|0,/^target /s/^\(target [^ ]* [0-9]* [01] [-0-9]* \)[0-9]* /\17 /' \
	'state zzz|0,/^target /s/ \(flipped\|live\|pending\) / zzz /' \
	'status zzz|s/^status .*/status zzz/' \
	'wave -1|s/^wave .*/wave -1/' \
	'weight 99999|s/^weight .*/weight 99999/' \
	'id 2^64|s/^id .*/id 18446744073709551616/'; do
	name=${c%%|*}
	for verb in promote abort; do
		craft "$name" "${c#*|}"
		"$TG" $verb >"$TG_TMP/c.out" 2>&1
		rc=$?
		tg_check "$name: $verb does not crash (exit $rc)" test "$rc" -lt 128
		tg_check "$name: $verb refuses" test "$rc" -ne 0
		tg_check "$name: $verb says the journal is unreadable and what to run" grep -q "journal is unreadable.*recover" "$TG_TMP/c.out"
		tg_assert_eq "$(all_ids)" "$paused" "$name: $verb changed nothing"
	done
done
# In range, but past the captured plan: steps 1..3 only.
for c in 'step 20|s/^step .*/step 20/' "id of no generation|s/^id .*/id 4242/"; do
	name=${c%%|*}
	craft "$name" "${c#*|}"
	"$TG" promote >"$TG_TMP/c.out" 2>&1
	rc=$?
	tg_check "$name: promote does not crash (exit $rc)" test "$rc" -lt 128
	tg_check "$name: promote refuses it" test "$rc" -ne 0
	tg_check "$name: ... with a message" grep -q "^tailgate: " "$TG_TMP/c.out"
	tg_check "$name: ... nothing says promoted" bash -c "! grep -q 'promoted' '$TG_TMP/c.out'"
	tg_assert_eq "$(all_ids)" "$paused" "$name: promote changed nothing"
done
cp -p "$TG_TMP/journal.good" "$(JOURNAL)"
"$TG" abort >"$TG_TMP/c.out" 2>&1
tg_assert_eq "$?" 0 "the real journal back: abort works"
tg_assert_eq "$(all_ids)" "$v1" "... and puts the canary back on v1"
fi

# ---------------------------------------------------------------------------
if want d; then
echo "# d. rollback while paused; rollback X X"
fresh d
apply_ok "$P/v1.yaml"
v1=$(all_ids)
apply_ok "$P/v2p.yaml"
paused=$(all_ids)
for args in "tgd25" "tgd26" "--all"; do
	"$TG" rollback $args >"$TG_TMP/d.out" 2>&1
	tg_assert_eq "$?" 1 "paused: rollback $args refused (exit 1)"
	tg_check "paused: ... saying abort or promote" grep -q "paused; 'tailgate abort'.*'tailgate promote'" "$TG_TMP/d.out"
	tg_assert_eq "$(all_ids)" "$paused" "paused: rollback $args flipped nothing"
done
"$TG" promote >"$TG_TMP/d.out" 2>&1 || tg_fail "promote: $(cat "$TG_TMP/d.out")"
v2=$(all_ids)
"$TG" rollback tgd26 tgd26 tgd27 tgd26 >"$TG_TMP/d.out" 2>&1
tg_assert_eq "$?" 0 "rollback tgd26 tgd26 tgd27 tgd26: exit 0"
tg_assert_eq "$(d2_slot0 tgd26)" "$(cut -d' ' -f2 <<<"$v1")" "tgd26 flipped once: back on v1's head, not on v2 again"
tg_assert_eq "$(d2_slot0 tgd27)" "$(cut -d' ' -f3 <<<"$v1")" "tgd27 on v1's head"
tg_assert_eq "$(grep -c 'tgd26/xdp: rolled back' "$TG_TMP/d.out")" 1 "tgd26 reported once"
tg_assert_eq "$(grep -c '"what":"rollback".*tgd26' "$(HIST)")" 1 "history has one rollback of tgd26"
tg_assert_eq "$(d2_slot0 tgd25) $(d2_slot0 tgd28)" "$(cut -d' ' -f1 <<<"$v2") $(cut -d' ' -f4 <<<"$v2")" "the others untouched"
fi

# ---------------------------------------------------------------------------
if want e; then
echo "# e. rollback --all and detach --all past a failing attach point"
fresh e
apply_ok "$P/v1.yaml"
v1=$(all_ids)
# v2 everywhere but tgd28: tgd28 has nothing to roll back to (skipped
# with --all); tgd27 is deleted under its pins (a failure).
d2_plan "$P/v2e.yaml" v2e tgd25 "tgd26, tgd27" "counter blocklist" "$STEPS_SHORT"
apply_ok "$P/v2e.yaml"
ip link del tgd27
"$TG" rollback --all >"$TG_TMP/e.out" 2>&1
tg_assert_eq "$?" 4 "rollback --all with one attach point that fails: exit 4"
tg_assert_eq "$(d2_slot0 tgd25) $(d2_slot0 tgd26)" "$(cut -d' ' -f1-2 <<<"$v1")" "... the others rolled back (tgd25, tgd26 on v1)"
for i in 25 26; do tg_check "... tgd$i reported rolled back" grep -q "tgd$i/xdp: rolled back" "$TG_TMP/e.out"; done
tg_check "... tgd27 reported failed, with why" grep -q "rollback tgd27/xdp: .*\(gone\|no such\|does not exist\|lost\)" "$TG_TMP/e.out"
tg_check "... tgd28 reported skipped (nothing to go back to), with why" grep -q "tgd28/xdp: no complete previous generation" "$TG_TMP/e.out"
"$TG" rollback --all --json >"$TG_TMP/e.json" 2>/dev/null
tg_check "rollback --all --json: one document listing each attach point's state" \
	bash -c "jq -e -n --slurpfile d '$TG_TMP/e.json' '\$d | length == 1' && jq -e '[.attach_points[].state] | length == 4' '$TG_TMP/e.json'" >/dev/null
"$TG" recover >/dev/null 2>&1
d2_host 7
apply_ok "$P/v2e.yaml"
# detach: a mount over one attach point's maps directory makes its pins undeletable.
mkdir -p "$TAILGATE_PIN_ROOT/tgd27/xdp/maps"
mount -t tmpfs -o size=64k tgd2busy "$TAILGATE_PIN_ROOT/tgd27/xdp/maps" || tg_fail "cannot mount over tgd27's maps"
tg_on_exit "umount '$TAILGATE_PIN_ROOT/tgd27/xdp/maps'"
"$TG" detach --all >"$TG_TMP/e2.out" 2>&1
tg_assert_eq "$?" 4 "detach --all with one attach point that cannot: exit 4"
for i in 25 26 28; do
	tg_check "... tgd$i detached" d2_no_dispatcher tgd$i
	tg_check "... tgd$i reported detached" grep -q "tgd$i/xdp: detached" "$TG_TMP/e2.out"
done
tg_check "... tgd27 reported failed: its pins could not all go" grep -q "^tailgate: detach tgd27/xdp: " "$TG_TMP/e2.out"
tg_check "... and not reported detached" bash -c "! grep -q '^tgd27/xdp: detached' '$TG_TMP/e2.out'"
d2_lossless 7 100 "... tgd27 still passes traffic"
umount "$TAILGATE_PIN_ROOT/tgd27/xdp/maps"
"$TG" detach --all >"$TG_TMP/e3.out" 2>&1
tg_assert_eq "$?" 0 "unmounted: detach --all finishes"
tg_check "... tgd27 detached" d2_no_dispatcher tgd27
fi

# ---------------------------------------------------------------------------
if want f; then
echo "# f. an interface moved to another namespace mid-rollout"
fresh f
apply_ok "$P/v1.yaml"
v1=$(all_ids)
ip netns add tgd2away
tg_on_exit "ip netns del tgd2away"
tg_on_exit "ip -n tgd2away link set tgd27 netns 1"
STEPSF='  - canary: {}
  - analyze: {duration: 1s, interval: 500ms}
  - promote: {batch: 1, analyze: 2s}'
d2_plan "$P/v2f.yaml" v2f tgd25 "$FLEET" "counter blocklist" "$STEPSF"
flows=()
for i in 5 6 7 8; do d2_flow $i 30 300 $((9100 + i)); flows+=("$D2_FLOW"); done
: >"$TG_TMP/f.out"
"$TG" apply "$P/v2f.yaml" >"$TG_TMP/f.out" 2>&1 &
ap=$!
d2_wait_for "$TG_TMP/f.out" "analyze 1 interface.*" 30 && d2_wait_for "$TG_TMP/f.out" "tgd26/xdp: generation" 30 ||
	tg_fail "v2f: no fleet wave: $(cat "$TG_TMP/f.out")"
ip link set tgd27 netns tgd2away
wait $ap
rc=$?
tg_check "moved away mid-rollout: not a success (exit $rc)" test "$rc" -ne 0 -a "$rc" -lt 128
tg_check "... tgd27 reported lost" grep -q "tgd27/xdp: interface lost during the rollout" "$TG_TMP/f.out"
tg_check "... saying what to do (recover, restore)" grep -q "tgd27.*tailgate recover.*tailgate restore tgd27" "$TG_TMP/f.out"
tg_check "... nothing says promoted for tgd27" bash -c "! grep -q 'tgd27/xdp: generation .* live' '$TG_TMP/f.out'"
tg_assert_eq "$("$TG" status --json | jq -r '.attach_points[] | select(.ifname == "tgd27") | .health')" lost "status: tgd27 lost"
"$TG" recover >"$TG_TMP/f2.out" 2>&1
tg_assert_eq "$?" 0 "recover"
tg_check "... cleaned tgd27's pins" test ! -e "$TAILGATE_PIN_ROOT/tgd27"
ip -n tgd2away link set tgd27 netns 1
ip link set tgd27 up
ip addr add 198.19.107.1/24 dev tgd27 2>/dev/null
"$TG" restore tgd27 >"$TG_TMP/f3.out" 2>&1
tg_assert_eq "$?" 0 "back in its namespace: restore tgd27"
tg_check "... runs a complete generation" test -n "$(d2_live_gen tgd27)"
tg_assert_eq "$(d2_live_gen tgd27)" 1 "... the generation its record says: v1 (it was lost before its wave)"
others="$(d2_slot0 tgd25) $(d2_slot0 tgd26) $(d2_slot0 tgd28)"
# Fresh senders: the old ones catch up in a burst after tgd27's absence,
# which the rate gate would rightly see as a rate falling after the flip.
kill "${flows[@]}" 2>/dev/null
flows=()
for i in 5 6 7 8; do d2_flow $i 10 300 $((9100 + i)); flows+=("$D2_FLOW"); done
sleep 1
"$TG" apply "$P/v2f.yaml" >"$TG_TMP/f4.out" 2>&1
tg_assert_eq "$?" 0 "apply v2f again finishes the rollout"
tg_check "... on tgd27 only" grep -q "loaded beside the live one on 1 interface" "$TG_TMP/f4.out"
tg_assert_eq "$(d2_slot0 tgd25) $(d2_slot0 tgd26) $(d2_slot0 tgd28)" "$others" "... the others untouched"
tg_assert_eq "$("$TG" status --json | jq -r '.attach_points[] | select(.ifname == "tgd27") | .banks[] | select(.live) | .plan')" v2f \
	"... tgd27 runs v2f"
for i in 5 6 7 8; do d2_lossless $i 100 "... tgd2$i passes traffic"; done
kill "${flows[@]}" 2>/dev/null
fi

# ---------------------------------------------------------------------------
if want g; then
echo "# g. slot 0 on a program that heads no bank"
fresh g
apply_ok "$P/v1.yaml"
apply_ok "$P/v2.yaml"
v2=$(all_ids)
# tgd26's slot 0 set to the second stage of its own live bank (blocklist), then to v1's stage of another interface.
pin=$TAILGATE_PIN_ROOT/tgd26/xdp
for what in second other; do
	if [[ $what == second ]]; then
		id=$(tg_slot_prog_id "$pin" 18)
	else
		id=$(tg_slot_prog_id "$TAILGATE_PIN_ROOT/tgd27/xdp" 1)
	fi
	bpftool map update pinned "$pin/slots" key 0 0 0 0 value id "$id" 2>"$TG_TMP/g.err" ||
		tg_fail "bpftool could not write slot 0: $(cat "$TG_TMP/g.err")"
	tg_assert_eq "$(d2_slot0 tgd26)" "$id" "$what: slot 0 written with bpftool"
	"$TG" status --json >"$TG_TMP/g.json" 2>/dev/null
	tg_check "$what: status says tgd26 is not ok" \
		jq -e '.attach_points[] | select(.ifname == "tgd26") | .health != "ok"' "$TG_TMP/g.json" >/dev/null
	"$TG" recover >"$TG_TMP/g.out" 2>&1
	tg_assert_eq "$?" 0 "$what: recover exits 0"
	tg_assert_eq "$(all_ids)" "$v2" "$what: recover set slot 0 back to the live bank's head"
	tg_check "$what: ... and says so" grep -q "tgd26/xdp: slot 0" "$TG_TMP/g.out"
	"$TG" recover >"$TG_TMP/g2.out" 2>&1
	tg_check "$what: a second recover has nothing to fix" grep -q "0 fixes, 0 problems" "$TG_TMP/g2.out"
	d2_lossless 6 100 "$what: tgd26 passes traffic"
done

# A stage deleted from the live chain (bpftool): on a fail-closed plan the
# chain's hand-over misses and every packet drops. Not "ok"; recover
# serves the complete previous generation.
d2_plan "$P/fc.yaml" fc tgd25 "$FLEET" "counter blocklist" "$STEPS_SHORT" '' 'on_tail_miss: drop'
apply_ok "$P/fc.yaml"
apply_ok --force "$P/fc.yaml"
g1=$(tg_slot_prog_id "$pin" 1)
bpftool map delete pinned "$pin/slots" key 18 0 0 0 || tg_fail "bpftool could not delete slot 18"
got=$(d2_burst 6 100)
echo "# a fail-closed chain missing its second stage passes ${got% *} of ${got#* } packets"
tg_assert_eq "$("$TG" status --json | jq -r '.attach_points[] | select(.ifname == "tgd26") | .health')" drift \
	"stage deleted from the live chain: status says drift, not ok"
"$TG" recover >"$TG_TMP/g3.out" 2>&1
tg_assert_eq "$?" 0 "stage deleted: recover exits 0"
tg_assert_eq "$(d2_slot0 tgd26)" "$g1" "... serving the complete previous generation (bank A's head)"
d2_lossless 6 100 "... tgd26 passes traffic again"
"$TG" recover >"$TG_TMP/g4.out" 2>&1
tg_check "... a second recover has nothing to fix" grep -q "0 fixes, 0 problems" "$TG_TMP/g4.out"
# No complete generation left to serve: recover says so, exit 4.
bpftool map delete pinned "$pin/slots" key 2 0 0 0 || tg_fail "bpftool could not delete slot 2"
"$TG" recover >"$TG_TMP/g5.out" 2>&1
tg_assert_eq "$?" 4 "no complete generation left: recover exits 4"
tg_check "... saying what to run" grep -q "stages missing from its slots.*apply --force" "$TG_TMP/g5.out"
apply_ok --force "$P/fc.yaml"
d2_lossless 6 100 "apply --force installs a whole generation: tgd26 passes traffic"
fi

# ---------------------------------------------------------------------------
# says DESC CMD...: CMD fails (exit 1..127) with a message on stderr.
says() {
	local desc=$1 rc
	shift
	timeout 20 "$@" >"$TG_TMP/s.out" 2>"$TG_TMP/s.err"
	rc=$?
	tg_check "$desc: exits non-zero ($rc)" test "$rc" -ne 0 -a "$rc" -lt 124
	tg_check "$desc: says why ($(head -n 1 "$TG_TMP/s.err"))" grep -q "^tailgate: " "$TG_TMP/s.err"
}

if want h; then
echo "# h. a read-only state directory, a symlinked lock, an over-long path"
fresh h
apply_ok "$P/v1.yaml"
ids=$(all_ids)
RO=$TG_TMP/ro
mkdir -p "$RO"
mount --bind "$TAILGATE_STATE_DIR" "$RO" && mount -o remount,ro,bind "$RO" || tg_fail "cannot make a read-only bind mount"
tg_on_exit "umount '$RO'"
saved=$TAILGATE_STATE_DIR
export TAILGATE_STATE_DIR=$RO
says "read-only state: apply" "$TG" apply "$P/v2.yaml"
tg_check "read-only state: ... naming the state directory" grep -q "$RO" "$TG_TMP/s.err"
says "read-only state: rollback" "$TG" rollback tgd26
says "read-only state: recover" "$TG" recover
says "read-only state: detach" "$TG" detach tgd28
"$TG" status >/dev/null 2>&1
tg_assert_eq "$?" 0 "read-only state: status still reads it"
tg_assert_eq "$(all_ids)" "$ids" "read-only state: nothing changed"
export TAILGATE_STATE_DIR=$saved
mkdir -p "$TG_TMP/empty_ro"
mount -t tmpfs -o ro,mode=0700 tgd2ro "$TG_TMP/empty_ro" || tg_fail "cannot mount a read-only tmpfs"
tg_on_exit "umount '$TG_TMP/empty_ro'"
TAILGATE_STATE_DIR=$TG_TMP/empty_ro says "empty read-only state: apply" "$TG" apply "$P/v2.yaml"
TAILGATE_STATE_DIR=$TG_TMP/empty_ro/sub says "state directory that cannot be made: apply" "$TG" apply "$P/v2.yaml"

rm -f "$TAILGATE_STATE_DIR/lock"
ln -s "$TG_TMP/elsewhere" "$TAILGATE_STATE_DIR/lock"
says "symlinked lock: apply" "$TG" apply "$P/v2.yaml"
tg_check "symlinked lock: ... saying it is a symlink" grep -q "symlink" "$TG_TMP/s.err"
says "symlinked lock: rollback" "$TG" rollback tgd26
tg_check "symlinked lock: the target was not created" test ! -e "$TG_TMP/elsewhere"
tg_assert_eq "$(all_ids)" "$ids" "symlinked lock: nothing changed"
rm -f "$TAILGATE_STATE_DIR/lock"

long=/tmp/$(printf 'tgd2long%.0s' {1..600})
TAILGATE_STATE_DIR=$long says "state path of ${#long} bytes: apply" "$TG" apply "$P/v2.yaml"
TAILGATE_STATE_DIR=$long says "state path of ${#long} bytes: status" "$TG" status
TAILGATE_STATE_DIR=$long says "state path of ${#long} bytes: history" "$TG" history
TAILGATE_PIN_ROOT=/sys/fs/bpf/$(printf 'tgd2long%.0s' {1..600}) says "pin root of 4800 bytes: apply" "$TG" apply "$P/v2.yaml"
tg_assert_eq "$(all_ids)" "$ids" "over-long paths: nothing changed"
fi

# ---------------------------------------------------------------------------
if want i; then
echo "# i. generation numbers never repeat"
fresh i
d2_plan "$P/v3.yaml" v3 tgd25 "$FLEET" "counter" "$STEPS_SHORT" '' 'datapath: fused'
apply_ok "$P/v1.yaml"
apply_ok "$P/v2.yaml"
max_gen() { grep -o '"generation":[0-9]*' "$(HIST)" | cut -d: -f2 | sort -n | tail -n 1; }
before=$(max_gen)
rm -f "$TAILGATE_STATE_DIR/generation"
apply_ok "$P/v3.yaml"
g=$(d2_live_gen tgd25)
tg_check "no generation file: the next one ($g) is above every earlier one ($before)" test "$g" -gt "$before"
before=$(max_gen)
echo 1 >"$TAILGATE_STATE_DIR/generation"
apply_ok "$P/v1.yaml"
g=$(d2_live_gen tgd25)
tg_check "generation file set back to 1: the next one ($g) is above $before" test "$g" -gt "$before"
before=$(max_gen)
"$TG" detach --all >/dev/null 2>&1
rm -f "$TAILGATE_STATE_DIR/generation"
apply_ok "$P/v2.yaml"
g=$(d2_live_gen tgd25)
tg_check "nothing attached and no generation file: the next one ($g) is above $before" test "$g" -gt "$before"
printf 'zz\n' >"$TAILGATE_STATE_DIR/generation"
says "corrupt generation file: apply" "$TG" apply "$P/v3.yaml"
tg_assert_eq "$(d2_live_gen tgd25)" "$g" "corrupt generation file: nothing rolled out"
tg_assert_eq "$(grep '"type":"rollout"' "$(HIST)" | jq -r .generation | sort -n | uniq -d)" "" "history: no generation number twice"
fi

# ---------------------------------------------------------------------------
if want j; then
echo "# j. history over the rotation size"
fresh j
apply_ok "$P/v1.yaml"
# Old entries, valid lines, past 1 MiB.
line='{"type":"event","time":1000000000,"what":"detach","detail":"tgd2old/xdp: detached (padding the history to its rotation size)"}'
for size in 1100000 3500000; do
	for f in history.jsonl history.jsonl.1; do rm -f "$TAILGATE_STATE_DIR/$f"; done
	yes "$line" | head -c "$size" | head -n "$(($(yes "$line" | head -c "$size" | wc -l)))" >"$(HIST)"
	chmod 0600 "$(HIST)"
	apply_ok "$P/v2.yaml"
	"$TG" history -n 3 >"$TG_TMP/j.out" 2>&1
	tg_assert_eq "$?" 0 "history of $size bytes: history -n 3 exits 0"
	tg_check "history of $size bytes: the newest entry first (the v2 rollout)" bash -c "head -n 1 '$TG_TMP/j.out' | grep -q 'plan v2 on xdp'"
	tg_assert_eq "$(wc -l <"$TG_TMP/j.out")" 3 "history of $size bytes: three entries"
	tg_check "history of $size bytes: the file rotated (history.jsonl.1)" test -e "$TAILGATE_STATE_DIR/history.jsonl.1"
	tg_check "history of $size bytes: the current file is small again" test "$(stat -c %s "$(HIST)")" -lt 1048576
	"$TG" history --json -n 2 >"$TG_TMP/j.json" 2>/dev/null
	tg_assert_eq "$(jq '.entries | length' "$TG_TMP/j.json")" 2 "history of $size bytes: --json -n 2 gives 2 entries"
	apply_ok "$P/v1.yaml"
	tg_check "history of $size bytes: the next rollout is newest" bash -c "'$TG' history -n 1 | grep -q 'plan v1 on xdp'"
done
fi

# ---------------------------------------------------------------------------
if want k; then
echo "# k. exit 5 while another writer holds the lock"
fresh k
apply_ok "$P/v1.yaml"
ids=$(all_ids)
flock "$TAILGATE_STATE_DIR/lock" sleep 20 &
holder=$!
tg_on_exit "kill $holder"
sleep 0.3
for verb in "apply $P/v2.yaml" "rollback tgd26" "rollback --all" "detach tgd28" recover promote abort restore; do
	# shellcheck disable=SC2086
	timeout 10 "$TG" $verb >"$TG_TMP/k.out" 2>&1
	tg_assert_eq "$?" 5 "lock held: '${verb%% /*}' exits 5"
	tg_check "lock held: ... saying another tailgate holds it" grep -q "another tailgate" "$TG_TMP/k.out"
done
"$TG" apply --json "$P/v2.yaml" >"$TG_TMP/k.json" 2>/dev/null
tg_assert_eq "$?" 5 "lock held: apply --json exits 5"
tg_check "lock held: ... with one JSON document saying so" jq -e '.error // .message // .errors' "$TG_TMP/k.json" >/dev/null
tg_assert_eq "$(all_ids)" "$ids" "lock held: nothing changed"
kill $holder
wait $holder 2>/dev/null
fi

# ---------------------------------------------------------------------------
if want l; then
echo "# l. sandbox up never deletes an interface it did not create"
if ip link show dev tg0 >/dev/null 2>&1; then
	echo "SKIP l: an interface tg0 exists already (not ours): not touching it"
else
	fresh l
	ip link add tg0 type veth peer name tgd2l0 || tg_fail "cannot create tg0"
	ip link set dev tg0 alias tgd2-test-owned
	tg_on_exit "ip link show dev tg0 | grep -q tgd2-test-owned && ip link del tg0"
	idx=$(cat /sys/class/net/tg0/ifindex)
	timeout 60 "$TG" sandbox up --count 1 --lifetime 5 >"$TG_TMP/l.out" 2>&1
	rc=$?
	tg_check "sandbox up with our tg0 present: refused (exit $rc)" test "$rc" -ne 0 -a "$rc" -lt 124
	tg_check "... saying tg0 exists and it did not make it" grep -q "tg0" "$TG_TMP/l.out"
	tg_assert_eq "$(cat /sys/class/net/tg0/ifindex 2>/dev/null)" "$idx" "... our tg0 is still there, the same interface"
	tg_check "... still our veth, with our alias" bash -c "ip link show dev tg0 | grep -q 'tg0@tgd2l0' && ip link show dev tg0 | grep -q tgd2-test-owned"
	tg_check "... and no sandbox namespace was left" bash -c "! ip netns list | grep -q '^tgsb0\\b'"
	timeout 60 "$TG" sandbox down >"$TG_TMP/l2.out" 2>&1
	tg_assert_eq "$(cat /sys/class/net/tg0/ifindex 2>/dev/null)" "$idx" "sandbox down does not delete our tg0 either"
	ip link del tg0
fi
fi

# ---------------------------------------------------------------------------
if want m; then
echo "# m. an operator's rollback with the state file system full"
"$TG" detach --all >/dev/null 2>&1
rm -rf "$TAILGATE_PIN_ROOT"
SMALL=$TG_TMP/small
mkdir -p "$SMALL"
mount -t tmpfs -o size=4m,mode=0700 tgd2state "$SMALL" || tg_fail "cannot mount a tmpfs"
tg_on_exit "umount '$SMALL'"
export TAILGATE_STATE_DIR=$SMALL
apply_ok "$P/v1.yaml"
v1=$(all_ids)
apply_ok "$P/v2.yaml"
rm -f "$SMALL/reserve"
dd if=/dev/zero of="$SMALL/filler" bs=4k >/dev/null 2>&1
"$TG" rollback tgd26 >"$TG_TMP/m.out" 2>"$TG_TMP/m.err"
tg_assert_eq "$?" 4 "rollback with a full state: exit 4, not a silent success"
tg_assert_eq "$(d2_slot0 tgd26)" "$(cut -d' ' -f2 <<<"$v1")" "... tgd26 is back on v1 all the same (bpftool)"
tg_check "... saying the record could not be written and what restore would do" \
	grep -q "record cannot be written.*restore' would bring back generation 2" "$TG_TMP/m.err"
rm -f "$SMALL/filler"
"$TG" recover >"$TG_TMP/m2.out" 2>&1
tg_assert_eq "$?" 0 "room again: recover"
tg_assert_eq "$(d2_slot0 tgd26)" "$(cut -d' ' -f2 <<<"$v1")" "... recover keeps the operator's rollback (tgd26 on v1)"
tg_assert_eq "$(sed -n 's/^live //p' "$SMALL/aps/tgd26.xdp")" 1 "... and its record now says generation 1"
"$TG" recover >"$TG_TMP/m3.out" 2>&1
tg_assert_eq "$(d2_slot0 tgd26)" "$(cut -d' ' -f2 <<<"$v1")" "... a second recover too"
d2_lossless 6 100 "tgd26 passes traffic"
fi

tg_test_end
