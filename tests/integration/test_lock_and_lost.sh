#!/usr/bin/env bash
# SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause)
#
# test_lock_and_lost: one writer at a time, and interfaces that change
# under tailgate.
#
#  1. While an apply runs (a 5 s analysis), a second apply, rollback,
#     detach and recover fail at once (< 1 s), name the holder's pid and
#     change nothing; once it ends they work.
#  2. The holder SIGKILLed mid-run frees the lock: the next apply does not
#     say "locked", it says to run recover (exit 4); recover then works.
#  3. A fleet interface deleted during the canary analysis: the run does
#     not crash, says the interface is lost, never flips or judges it
#     healthy; status says lost; recover removes its pins and state.
#  4. The canary deleted during its analysis: nothing is left to judge, so
#     the rollout is never promoted (rolled back, exit 3).
#  5. An interface re-created under the same name after tailgate attached:
#     status says stale, apply refuses it and says to run recover, recover
#     removes the old pins, and apply then attaches to the new interface.
set -u

top=$(cd "$(dirname "$0")/../.." && pwd)
# shellcheck source=../lib/common.sh
. "$top/tests/lib/common.sh"

tg_test_begin lock_and_lost

# One run of this test at a time (two `tests/run.sh` at once): its
# interface names and subnets are fixed, a second run would delete them.

BPF=$top/build/bpf
P=$TG_TMP/plans
HIST=$TAILGATE_STATE_DIR/history.jsonl
JOURNAL=$TAILGATE_STATE_DIR/rollout.journal
mkdir -p "$P"

tg_need "$BPF/counter.bpf.o" "$BPF/blocklist.bpf.o"

# host I: (re)create tglk$I with steady ping traffic into it.
host() {
	tg_host "tglkh$1" "tglk$1" "198.19.$((30 + $1)).1/24" "198.19.$((30 + $1)).2"
	ip netns exec "tglkh$1" ping -q -i 0.02 -w 300 "198.19.$((30 + $1)).1" >/dev/null 2>&1 &
	tg_on_exit "kill $! 2>/dev/null"
}
for i in 0 1 2; do host $i; done

# plan NAME CANARY FLEET ANALYZE [STAGES: v1 | v2]
plan() {
	{
		printf 'name: %s\nhook: xdp\ninterfaces:\n  canary: [%s]\n  fleet: [%s]\n' "$1" "$2" "$3"
		printf 'pipeline:\n  - name: counter\n    object: %s\n' "$BPF/counter.bpf.o"
		printf '    program: counter\n    keep_maps: [packet_count]\n'
		if [ "${5:-v1}" = v2 ]; then
			printf '  - name: blocklist\n    object: %s\n' "$BPF/blocklist.bpf.o"
			printf '    program: blocklist\n    keep_maps: [blocked]\n'
		fi
		printf 'steps:\n  - canary: {}\n  - analyze: {duration: %s, interval: 250ms}\n' "$4"
		printf '  - promote: {batch: 2}\ngates:\n  min_packets: 5\n  max_drop_ratio: 0.05\n'
		printf '  max_drop_ratio_delta: 0\n  max_aborted: 0\n  max_tail_misses: 0\n'
		printf 'on_failure: rollback\n'
	} >"$P/$1.yaml"
	echo "$P/$1.yaml"
}

ms_now() { echo $((${EPOCHREALTIME/./} / 1000)); }

# slot 0 of every attached interface: what a refused writer must not touch.
slot0s() {
	local d
	for d in "$TAILGATE_PIN_ROOT"/*/xdp; do
		[ -e "$d/slots" ] && echo "${d#"$TAILGATE_PIN_ROOT"/} $(tg_slot_prog_id "$d" 0)"
	done
}

# start_apply PLAN: apply in the background (pid in $HOLDER), returns once
# its first analysis interval has started.
start_apply() {
	local i
	"$TG" apply "$1" >"$TG_TMP/holder.out" 2>&1 &
	HOLDER=$!
	for ((i = 0; i < 100; i++)); do
		grep -q "analyze" "$TG_TMP/holder.out" && return 0
		kill -0 $HOLDER 2>/dev/null || break
		sleep 0.05
	done
	tg_fail "apply $1 did not reach its analysis: $(cat "$TG_TMP/holder.out")"
}

v1_all=$(plan v1 tglk0 "tglk1, tglk2" 1s)
"$TG" apply "$v1_all" >"$TG_TMP/out" 2>&1 || tg_fail "setup: apply v1 failed: $(cat "$TG_TMP/out")"

# --- 1. one writer ----------------------------------------------------------

long=$(plan long tglk0 "tglk1, tglk2" 5s v2)
start_apply "$long"
before=$(slot0s)
for cmd in "apply $v1_all" "rollback --all" "detach --all" "detach tglk1" "recover"; do
	t0=$(ms_now)
	# shellcheck disable=SC2086
	"$TG" $cmd >"$TG_TMP/out" 2>"$TG_TMP/err"
	rc=$?
	t=$(($(ms_now) - t0))
	[ $rc -ne 0 ] && [ $rc -lt 128 ] ||
		tg_fail "lock: 'tailgate $cmd' during an apply exited $rc: $(cat "$TG_TMP/err")"
	[ $t -lt 1000 ] || tg_fail "lock: 'tailgate $cmd' took ${t} ms to fail, not at once"
	grep -q "pid $HOLDER\b" "$TG_TMP/err" ||
		tg_fail "lock: 'tailgate $cmd' does not name the holder (pid $HOLDER): $(cat "$TG_TMP/err")"
	[ "$(slot0s)" = "$before" ] || tg_fail "lock: the refused 'tailgate $cmd' changed slot 0"
	echo "ok - lock: 'tailgate ${cmd%% /*}' refused in ${t} ms (exit $rc): $(head -n1 "$TG_TMP/err")"
done
kill -0 $HOLDER 2>/dev/null || tg_fail "lock: the holder died while the others were refused"
wait $HOLDER
rc=$?
[ $rc -eq 0 ] || tg_fail "lock: the holder's apply exited $rc: $(tail -n5 "$TG_TMP/holder.out")"
"$TG" rollback --all >"$TG_TMP/out" 2>&1 ||
	tg_fail "lock: rollback after the holder ended failed: $(cat "$TG_TMP/out")"
"$TG" detach tglk2 >"$TG_TMP/out" 2>&1 ||
	tg_fail "lock: detach after the holder ended failed: $(cat "$TG_TMP/out")"
"$TG" apply "$v1_all" >"$TG_TMP/out" 2>&1 ||
	tg_fail "lock: apply after the holder ended failed: $(cat "$TG_TMP/out")"
tg_pass "lock: rollback, detach and apply work once the holder is done"

# --- 2. a SIGKILLed holder --------------------------------------------------

start_apply "$long"
kill -9 $HOLDER
wait $HOLDER 2>/dev/null
"$TG" apply "$long" >"$TG_TMP/out" 2>"$TG_TMP/err"
rc=$?
grep -q "another tailgate" "$TG_TMP/err" &&
	tg_fail "lock: a dead holder still locks: $(cat "$TG_TMP/err")"
[ $rc -eq 4 ] && grep -q "tailgate recover" "$TG_TMP/err" ||
	tg_fail "lock: after a killed apply, apply exited $rc without asking for recover: $(cat "$TG_TMP/err")"
tg_pass "lock: killed holder frees the lock; apply says: $(head -n1 "$TG_TMP/err")"
"$TG" recover >"$TG_TMP/out" 2>&1 || tg_fail "lock: recover after the kill exited $?: $(cat "$TG_TMP/out")"
[ ! -e "$JOURNAL" ] || tg_fail "lock: the journal survived recover"
"$TG" apply "$v1_all" >"$TG_TMP/out" 2>&1 ||
	tg_fail "lock: apply after recover failed: $(cat "$TG_TMP/out")"
tg_pass "lock: recover then apply work after the kill"

# last_rollout_state IF: IF's state in the newest rollout of the history.
last_rollout_state() {
	grep '"type":"rollout"' "$HIST" | tail -n1 |
		jq -r --arg i "$1" '.interfaces[] | select(.ifname == $i) | .state'
}
health_of() {
	"$TG" status --json | jq -r --arg i "$1" '.attach_points[] | select(.ifname == $i) | .health'
}

# --- 3. a fleet interface deleted during the analysis -----------------------

v2_lost=$(plan v2lost tglk0 "tglk1, tglk2" 3s v2)
start_apply "$v2_lost"
ip link del tglk2
wait $HOLDER
rc=$?
[ $rc -lt 128 ] || tg_fail "lost: apply died of signal $((rc - 128)): $(tail -n5 "$TG_TMP/holder.out")"
grep -q "tglk2.*lost" "$TG_TMP/holder.out" ||
	tg_fail "lost: the run does not report tglk2 lost: $(cat "$TG_TMP/holder.out")"
st=$(last_rollout_state tglk2)
[ "$st" = lost ] || tg_fail "lost: history records tglk2 as '$st', not lost"
tg_assert_eq "$(health_of tglk2)" lost "lost: status reports the deleted interface lost"
for i in 0 1; do
	tg_assert_eq "$(health_of tglk$i)" ok "lost: tglk$i is still ok"
done
"$TG" recover >"$TG_TMP/out" 2>&1 || tg_fail "lost: recover exited $?: $(cat "$TG_TMP/out")"
[ ! -e "$TAILGATE_PIN_ROOT/tglk2" ] || tg_fail "lost: recover left tglk2's pins: $(find "$TAILGATE_PIN_ROOT/tglk2")"
# Its record stays: 'tailgate restore tglk2' re-installs it once it is back.
[ -e "$TAILGATE_STATE_DIR/aps/tglk2.xdp" ] || tg_fail "lost: recover removed tglk2's record, restore could not bring it back"
[ -z "$(health_of tglk2)" ] || tg_fail "lost: status still lists tglk2 after recover"
tg_pass "lost: deleted fleet interface reported lost (apply exit $rc), its pins removed by recover"

# --- 4. the canary deleted during its analysis ------------------------------

host 2
"$TG" apply "$(plan v1b tglk2 "tglk0, tglk1" 1s)" >"$TG_TMP/out" 2>&1 ||
	tg_fail "canary lost: setup apply failed: $(cat "$TG_TMP/out")"
before=$(slot0s | grep -v '^tglk2/')
start_apply "$(plan v2canary tglk2 "tglk0, tglk1" 3s v2)"
ip link del tglk2
wait $HOLDER
rc=$?
[ $rc -eq 3 ] ||
	tg_fail "canary lost: apply exited $rc, want 3 (never promoted): $(tail -n5 "$TG_TMP/holder.out")"
[ "$(slot0s | grep -v '^tglk2/')" = "$before" ] || tg_fail "canary lost: the fleet was flipped"
for i in 0 1; do
	st=$(last_rollout_state tglk$i)
	[ "$st" = pending ] || tg_fail "canary lost: fleet tglk$i ended '$st', want pending"
done
"$TG" recover >"$TG_TMP/out" 2>&1 || tg_fail "canary lost: recover exited $?: $(cat "$TG_TMP/out")"
[ ! -e "$TAILGATE_PIN_ROOT/tglk2" ] || tg_fail "canary lost: recover left tglk2's pins"
tg_pass "canary lost: rollout rolled back (exit 3), fleet untouched"

# --- 5. an interface re-created under the same name -------------------------

host 2
v1_tglk2=$(plan v1c tglk2 "tglk0, tglk1" 1s)
"$TG" apply "$v1_tglk2" >"$TG_TMP/out" 2>&1 || tg_fail "stale: setup apply failed: $(cat "$TG_TMP/out")"
old=$(ip -j link show dev tglk2 | jq '.[0].ifindex')
host 2
new=$(ip -j link show dev tglk2 | jq '.[0].ifindex')
[ "$old" != "$new" ] || tg_fail "stale: re-created tglk2 kept ifindex $old"
tg_assert_eq "$(health_of tglk2)" stale "stale: status reports the re-created interface stale"
"$TG" apply "$v1_tglk2" >"$TG_TMP/out" 2>"$TG_TMP/err"
rc=$?
[ $rc -eq 2 ] && grep -q "tglk2.*re-created" "$TG_TMP/err" && grep -q "tailgate recover" "$TG_TMP/err" ||
	tg_fail "stale: apply on a re-created interface exited $rc: $(cat "$TG_TMP/err")"
echo "ok - stale: apply refuses it: $(head -n1 "$TG_TMP/err")"
"$TG" recover >"$TG_TMP/out" 2>&1 || tg_fail "stale: recover exited $?: $(cat "$TG_TMP/out")"
grep -q "tglk2.*re-created" "$TG_TMP/out" || tg_fail "stale: recover does not say what it did: $(cat "$TG_TMP/out")"
[ ! -e "$TAILGATE_PIN_ROOT/tglk2" ] || tg_fail "stale: recover left the old pins of tglk2"
"$TG" apply "$v1_tglk2" >"$TG_TMP/out" 2>&1 ||
	tg_fail "stale: apply after recover failed: $(cat "$TG_TMP/out")"
tg_assert_eq "$(health_of tglk2)" ok "stale: tglk2 ok again after recover and apply"
xdp=$(ip -j -d link show dev tglk2 | jq -r '.[0].xdp.prog.name // empty')
tg_assert_eq "$xdp" tg_dispatch_xdp "stale: the new tglk2 runs the dispatcher"
ip netns exec tglkh2 ping -q -c 5 -i 0.05 -W 1 198.19.32.1 >/dev/null ||
	tg_fail "stale: the new tglk2 does not pass traffic"

tg_test_end
