#!/usr/bin/env bash
# SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause)
#
# test_day2: regression tests of the outage-class defects of issue 14, on
# the real kernel with real traffic (UDP counted by tools/tgtraffic):
#   1. on_tail_miss: drop on interfaces without a dispatcher: the fleet
#      passes every packet during the canary phase (also after a SIGKILL
#      there); a rolled-back first install leaves no dispatcher and no pins;
#   2. the state file system fills up while a bad canary is judged: the
#      canary goes back (bpftool), exit 3 with the reserve / 4 without, and
#      the message, history and status say so; nothing says promoted, and
#      the failed generation cannot be rolled back onto afterwards;
#   3. history cannot be appended at the end of a good rollout (chattr +i,
#      or a directory in its place): exit 4 saying so, the fleet stays
#      promoted, and the next apply / recover records it, rolling nothing
#      back; a full file system during the last wave's judgement (the
#      reserve takes it) leaves the promotion in place too;
#   4. the exec gate: a glob-matched interface named 'tgd2;>tgd2F' never
#      reaches a shell; exec_timeout kills the check's process group; its
#      output never reaches stdout (apply --json is one document); it sees
#      fds 0-2 only;
#   5. gate blind spots: traffic stopping mid-analysis (min_rate_ratio), a
#      stage that bounces every packet (XDP_TX) and one that redirects 10%
#      into nowhere or drops 5% under a loose max_drop_ratio
#      (max_verdict_delta) are all rolled back;
#   6. SIGINT, SIGTERM and SIGHUP (the operator's ssh dropped) during an
#      analysis: exit 3, canary back, journal gone, history says signal;
#      also while an exec check runs with
#      on_failure: pause; a second signal exits at once and recover restores;
#   7. promote after a pause runs the captured plan and objects, whatever
#      the plan file and the object now hold;
#   8. a state directory others can write, or a journal owned by another
#      uid, is refused and a planted exec gate never runs;
#   9. under 'ip netns exec' apply is refused naming 'nsenter --net=',
#      nothing is pinned or attached; under nsenter it works.
# D2_ONLY="1 4" runs some sections only.
set -u
top=$(cd "$(dirname "$0")/../.." && pwd)
. "$top/tests/lib/common.sh"
. "$top/tests/lib/day2.sh"

d2_begin day2 counter blocklist drop_all tx_all redirect_10pct drop_5pct

for i in 0 1 2 3; do d2_host $i; done

# A fresh state directory and no dispatcher anywhere: each section starts clean.
fresh() {
	"$TG" detach --all >/dev/null 2>&1
	rm -rf "$TAILGATE_PIN_ROOT"
	export TAILGATE_STATE_DIR=$STATE0/$1
	mkdir -p -m 0700 "$TAILGATE_STATE_DIR"
}

STEPS_SHORT='  - canary: {}
  - analyze: {duration: 1s, interval: 500ms}
  - promote: {batch: 3}'
FLEET="tgd21, tgd22, tgd23"

# v1 everywhere, under a short flow into the canary.
setup_v1() {
	d2_plan "$P/v1.yaml" v1 tgd20 "$FLEET" counter "$STEPS_SHORT"
	d2_flow 0 3 300 9100
	"$TG" apply -q "$P/v1.yaml" >"$TG_TMP/v1.out" 2>&1 || tg_fail "setup: apply v1: $(cat "$TG_TMP/v1.out")"
	kill "$D2_FLOW" 2>/dev/null
}

newest_history() { grep '"type":"rollout"' "$(HIST)" | tail -n 1; }
all_ids() { local i; for i in 0 1 2 3; do printf '%s ' "$(d2_slot0 tgd2$i)"; done; }

# ---------------------------------------------------------------------------
if want 1; then
echo "# 1. on_tail_miss: drop on interfaces with no dispatcher yet"
fresh s1
for i in 0 1 2 3; do d2_no_dispatcher tgd2$i || tg_fail "tgd2$i has a dispatcher before section 1"; done
STEPS1='  - canary: {}
  - analyze: {duration: 5s, interval: 500ms}
  - promote: {batch: 3}'
d2_plan "$P/fc_good.yaml" fc_good tgd20 "$FLEET" counter "$STEPS1" '' 'on_tail_miss: drop'
d2_flow 0 12 300 9100
: >"$TG_TMP/fc_good.out"  # truncated before the wait below reads it
"$TG" apply "$P/fc_good.yaml" >"$TG_TMP/fc_good.out" 2>&1 &
ap=$!
d2_wait_for "$TG_TMP/fc_good.out" "analyze 1 interface" || tg_fail "fc_good: no analysis: $(cat "$TG_TMP/fc_good.out")"
for i in 1 2 3; do
	tg_check "canary phase: tgd2$i has the dispatcher attached (install)" test -n "$(d2_xdp tgd2$i)"
	tg_assert_eq "$(d2_slot0 tgd2$i)" "" "canary phase: tgd2$i slot 0 still empty"
	d2_lossless $i 300 "canary phase: fail-closed fleet tgd2$i passes every packet"
done
wait $ap
tg_assert_eq "$?" 0 "fail-closed first install: promoted"
for i in 0 1 2 3; do d2_lossless $i 200 "promoted fail-closed: tgd2$i passes every packet"; done
"$TG" detach --all >/dev/null 2>&1
kill "$D2_FLOW" 2>/dev/null

d2_plan "$P/fc_bad.yaml" fc_bad tgd20 "$FLEET" "counter drop_all" "$STEPS1" '  max_drop_ratio: 0.01' 'on_tail_miss: drop'
d2_flow 0 6 300 9100
"$TG" apply "$P/fc_bad.yaml" >"$TG_TMP/fc_bad.out" 2>&1
tg_assert_eq "$?" 3 "fail-closed bad canary on first install: rolled back (exit 3)"
for i in 0 1 2 3; do
	tg_check "rolled back first install: tgd2$i has no XDP program and no pins" d2_no_dispatcher tgd2$i
	d2_lossless $i 200 "rolled back first install: tgd2$i passes every packet"
done
tg_check "history: rolled_back" bash -c "grep '\"type\":\"rollout\"' '$(HIST)' | tail -n 1 | grep -q '\"outcome\":\"rolled_back\"'"
tg_assert_eq "$(ls "$TAILGATE_PIN_ROOT" 2>/dev/null)" "" "no pins left under the pin root"

# Killed with the fleet attached and slot 0 still empty: it passes anyway.
TAILGATE_FAULT=after-install "$TG" apply "$P/fc_bad.yaml" >"$TG_TMP/fc_kill.out" 2>&1
tg_assert_eq "$?" 137 "killed right after a fail-closed install"
for i in 1 2 3; do d2_lossless $i 200 "killed after install: fleet tgd2$i passes every packet"; done
"$TG" recover >"$TG_TMP/fc_rec.out" 2>&1
tg_assert_eq "$?" 0 "recover after the kill"
for i in 0 1 2 3; do tg_check "after recover: tgd2$i as before the rollout" d2_no_dispatcher tgd2$i; done
kill "$D2_FLOW" 2>/dev/null

# Over a fail-open v1: the bad fail-closed canary goes back to fail-open.
setup_v1
d2_flow 0 6 300 9100
"$TG" apply "$P/fc_bad.yaml" >"$TG_TMP/fc_bad2.out" 2>&1
tg_assert_eq "$?" 3 "fail-closed bad canary over a fail-open v1: rolled back"
tg_assert_eq "$("$TG" status --json | jq -r '[.attach_points[] | .dispatcher.fail_closed] | unique | join(" ")')" false \
	"... every dispatcher fail-open again, as v1 had them"
tg_check "... by its gate, not for want of packets" grep -q "gate breached: max_drop_ratio" "$TG_TMP/fc_bad2.out"
for i in 0 1 2 3; do d2_lossless $i 100 "... tgd2$i passes every packet"; done
kill "$D2_FLOW" 2>/dev/null
fi

# ---------------------------------------------------------------------------
SMALL=$TG_TMP/small
small_state() {
	"$TG" detach --all >/dev/null 2>&1
	rm -rf "$TAILGATE_PIN_ROOT"
	mountpoint -q "$SMALL" && umount "$SMALL"
	mkdir -p "$SMALL"
	mount -t tmpfs -o size=4m,mode=0700 tgd2state "$SMALL" || tg_fail "cannot mount a tmpfs on $SMALL"
	tg_on_exit "umount '$SMALL'"
	export TAILGATE_STATE_DIR=$SMALL
}
fill() { dd if=/dev/zero of="$SMALL/filler.$1" bs=4k >/dev/null 2>&1; }

if want 2; then
echo "# 2. the state file system fills up while a bad canary is judged"
STEPS2='  - canary: {}
  - analyze: {duration: 8s, interval: 500ms}
  - promote: {batch: 3}'
d2_plan "$P/bad2.yaml" bad2 tgd20 "$FLEET" "counter drop_all" "$STEPS2" '  max_drop_ratio: 0.01'
for reserve in kept gone; do
	small_state
	setup_v1
	old=$(d2_slot0 tgd20)
	fleet_before="$(d2_slot0 tgd21) $(d2_slot0 tgd22) $(d2_slot0 tgd23)"
	# The canary stays silent (inconclusive) until the disk is full.
	: >"$TG_TMP/bad2.out"  # truncated before the wait below reads it
	"$TG" apply "$P/bad2.yaml" >"$TG_TMP/bad2.out" 2>&1 &
	ap=$!
	d2_wait_for "$TG_TMP/bad2.out" "analyze 1 interface" || tg_fail "bad2: no analysis: $(cat "$TG_TMP/bad2.out")"
	[[ $reserve == gone ]] && rm -f "$SMALL/reserve"
	fill a
	tg_assert_eq "$(df --output=avail "$SMALL" | tail -n 1 | tr -d ' ')" 0 "reserve $reserve: the state file system is full"
	d2_flow 0 4 300 9100
	wait $ap
	rc=$?
	kill "$D2_FLOW" 2>/dev/null
	tg_assert_eq "$(d2_slot0 tgd20)" "$old" "reserve $reserve: canary slot 0 back on the old head (bpftool)"
	tg_assert_eq "$(d2_prog_name "$(d2_slot0 tgd20)")" "tg1s0_counter" "reserve $reserve: ... which is v1's counter"
	tg_assert_eq "$(d2_slot0 tgd21) $(d2_slot0 tgd22) $(d2_slot0 tgd23)" "$fleet_before" "reserve $reserve: fleet untouched"
	d2_lossless 0 200 "reserve $reserve: the canary passes traffic again"
	tg_check "reserve $reserve: nothing says promoted" bash -c "! grep -q promoted '$TG_TMP/bad2.out'"
	if [[ $reserve == kept ]]; then
		tg_assert_eq "$rc" 3 "reserve kept: everything recorded, exit 3"
		tg_check "reserve kept: the message says the reserve was used" grep -q "released tailgate's reserve" "$TG_TMP/bad2.out"
		tg_check "reserve kept: history says rolled_back with the gate" bash -c "grep '\"type\":\"rollout\"' '$SMALL/history.jsonl' | tail -n 1 | grep -q '\"outcome\":\"rolled_back\".*max_drop_ratio'"
	else
		tg_assert_eq "$rc" 4 "reserve gone: not all recorded, exit 4"
		tg_check "reserve gone: the message says the datapath is back but not all was recorded" \
			grep -q "back on the previous generation, but tailgate could not record it all" "$TG_TMP/bad2.out"
	fi
	tg_check "reserve $reserve: status says generation 1 serves the canary" test "$(d2_live_gen tgd20)" = 1
	tg_check "reserve $reserve: status says ok" bash -c "'$TG' status --json | jq -e '[.attach_points[] | select(.ifname == \"tgd20\") | .health] == [\"ok\"]' >/dev/null"
	"$TG" rollback tgd21 >"$TG_TMP/rb2.out" 2>&1
	tg_assert_ne "$?" 0 "reserve $reserve: rollback onto the failed generation is refused"
	tg_assert_eq "$(d2_prog_name "$(d2_slot0 tgd21)")" "tg1s0_counter" "reserve $reserve: tgd21 still runs v1"
	rm -f "$SMALL"/filler.*
	"$TG" recover >"$TG_TMP/rec2.out" 2>&1
	tg_assert_eq "$?" 0 "reserve $reserve: recover once there is room"
	tg_assert_eq "$(d2_slot0 tgd20)" "$old" "reserve $reserve: recover leaves the canary on v1"
	"$TG" rollback tgd21 >"$TG_TMP/rb2.out" 2>&1
	tg_assert_ne "$?" 0 "reserve $reserve: after recover, rollback onto the failed generation is still refused"
	tg_check "reserve $reserve: no journal left" test ! -e "$SMALL/rollout.journal"
done
fi

# ---------------------------------------------------------------------------
if want 3; then
echo "# 3. history cannot be appended at the end of a good rollout"
d2_plan "$P/v2.yaml" v2 tgd20 "$FLEET" "counter blocklist" "$STEPS_SHORT"
d2_plan "$P/v3.yaml" v3 tgd20 "$FLEET" "counter" "$STEPS_SHORT" '' 'datapath: fused'
for how in immutable directory; do
	fresh "s3$how"
	setup_v1
	if [[ $how == immutable ]]; then
		chattr +i "$(HIST)" || { tg_skip "chattr +i is not supported on $TAILGATE_STATE_DIR"; }
		tg_on_exit "chattr -i '$(HIST)'"
	else
		mv "$(HIST)" "$(HIST).saved"
		mkdir -m 0700 "$(HIST)"
	fi
	d2_flow 0 3 300 9100
	if [[ $how == immutable ]]; then
		"$TG" apply "$P/v2.yaml" >"$TG_TMP/v2.out" 2>&1
		rc=$?
	else
		# The same through --json: one document, the warning in it.
		"$TG" apply --json "$P/v2.yaml" >"$TG_TMP/v2.json" 2>"$TG_TMP/v2.out"
		rc=$?
		tg_assert_eq "$(jq -s length "$TG_TMP/v2.json" 2>&1)" 1 "$how history: apply --json is one document"
		jq -r '.. | strings' "$TG_TMP/v2.json" >>"$TG_TMP/v2.out"
	fi
	kill "$D2_FLOW" 2>/dev/null
	tg_assert_eq "$rc" 4 "$how history: the good rollout exits 4"
	tg_check "$how history: ... saying the history could not be appended" grep -q "cannot append the rollout to the history" "$TG_TMP/v2.out"
	tg_check "$how history: ... and that the datapath is promoted" grep -q "datapath is promoted, but" "$TG_TMP/v2.out"
	for i in 0 1 2 3; do
		tg_assert_eq "$(d2_live_gen tgd2$i)" 2 "$how history: tgd2$i stays on generation 2"
	done
	ids="$(all_ids)"
	"$TG" apply "$P/v2.yaml" >"$TG_TMP/v2b.out" 2>&1
	tg_assert_ne "$?" 0 "$how history: the next apply cannot record it either: refused"
	tg_check "$how history: ... saying why" grep -q "history cannot be written" "$TG_TMP/v2b.out"
	"$TG" recover >"$TG_TMP/rec3.out" 2>&1
	tg_assert_eq "$?" 4 "$how history: recover cannot either: exit 4"
	tg_check "$how history: ... and says what the problem is" grep -qi "history" "$TG_TMP/rec3.out"
	tg_assert_eq "$(all_ids)" "$ids" "$how history: nothing was rolled back"
	if [[ $how == immutable ]]; then
		chattr -i "$(HIST)"
	else
		rmdir "$(HIST)"
		mv "$(HIST).saved" "$(HIST)"
	fi
	if [[ $how == immutable ]]; then
		"$TG" apply "$P/v2.yaml" >"$TG_TMP/v2c.out" 2>&1
		tg_assert_eq "$?" 0 "$how history: writable again, apply records the last rollout and has nothing to do"
	else
		"$TG" recover >"$TG_TMP/v2c.out" 2>&1
		tg_assert_eq "$?" 0 "$how history: writable again, recover records the last rollout"
	fi
	tg_check "$how history: generation 2 recorded promoted" bash -c "grep '\"type\":\"rollout\"' '$(HIST)' | tail -n 1 | grep -q '\"generation\":2.*\"outcome\":\"promoted\"\|\"outcome\":\"promoted\".*\"generation\":2'"
	tg_assert_eq "$(all_ids)" "$ids" "$how history: still nothing rolled back"
	tg_check "$how history: journal gone" test ! -e "$(JOURNAL)"
	for i in 0 1 2 3; do d2_lossless $i 100 "$how history: tgd2$i passes traffic"; done
done

# The file system fills up while the last wave is judged: the reserve
# records the end, the promotion stays.
small_state
setup_v1
STEPS3='  - canary: {}
  - analyze: {duration: 1s, interval: 500ms}
  - promote: {batch: 3, analyze: 3s}'
d2_plan "$P/v2w.yaml" v2w tgd20 "$FLEET" "counter blocklist" "$STEPS3"
for i in 0 1 2 3; do d2_flow $i 8 300 $((9100 + i)); done
: >"$TG_TMP/v2w.out"  # truncated before the wait below reads it
"$TG" apply "$P/v2w.yaml" >"$TG_TMP/v2w.out" 2>&1 &
ap=$!
d2_wait_for "$TG_TMP/v2w.out" "analyze 3 interfaces" || tg_fail "v2w: no wave analysis: $(cat "$TG_TMP/v2w.out")"
fill w
wait $ap
rc=$?
tg_assert_eq "$rc" 0 "full during the last wave: promoted, recorded with the reserve (exit 0)"
tg_check "... saying the reserve was used" grep -q "released tailgate's reserve" "$TG_TMP/v2w.out"
for i in 0 1 2 3; do tg_assert_eq "$(d2_live_gen tgd2$i)" 2 "full during the last wave: tgd2$i on generation 2"; done
"$TG" apply "$P/v3.yaml" >"$TG_TMP/v3.out" 2>&1
tg_assert_ne "$?" 0 "no room for a reserve: the next rollout is refused"
tg_check "... saying to free space" grep -q "free space first: nothing changed" "$TG_TMP/v3.out"
for i in 0 1 2 3; do tg_assert_eq "$(d2_live_gen tgd2$i)" 2 "refused rollout: tgd2$i still on generation 2"; done
rm -f "$SMALL"/filler.*
fi

# ---------------------------------------------------------------------------
# d2_host_named N IFNAME: host N with an interface name a shell would parse.
d2_host_named() {
	local n=$1 ifc=$2
	ip netns del "tgd2n$n" 2>/dev/null
	ip link del "$ifc" 2>/dev/null
	ip netns add "tgd2n$n" || tg_fail "cannot create namespace tgd2n$n"
	tg_on_exit "ip netns del 'tgd2n$n'"
	tg_on_exit "ip link del '$ifc'"
	ip link add "$ifc" type veth peer name eth0 netns "tgd2n$n" || tg_fail "cannot create veth '$ifc'"
	ip addr add "$(d2_addr "$n")/24" dev "$ifc"
	ip -n "tgd2n$n" addr add "198.19.$((100 + n)).2/24" dev eth0
	ip link set "$ifc" up
	ip -n "tgd2n$n" link set eth0 up
}

# exec_plan FILE NAME FLEET EXEC [TIMEOUT] [STAGES]: gates with an exec check.
exec_plan() {
	d2_plan "$1" "$2" tgd20 "$3" "${6:-counter}" '  - canary: {}
  - analyze: {duration: 1s, interval: 500ms}
  - promote: {batch: 1, analyze: 1s}' "  exec: $4
  exec_timeout: ${5:-5s}"
}

if want 4; then
echo "# 4. the exec gate"
fresh s4
setup_v1
W1='tgd2;>tgd2F' W2='tgd2$(>tgd2G)'
d2_host_named 50 "$W1"
d2_host_named 51 "$W2"
LOG=$TG_TMP/exec.log
: >"$LOG"
# The check gets the name as one argument ($1) and writes it down as data.
exec_plan "$P/x_names.yaml" x_names '"tgd2[;$]*"' "[sh, -c, 'printf \"%s\\\\n\" \"\$1\" >> $LOG', sh, '{ifname}']"
flows=()
for n in 0 1 50 51; do d2_flow $n 25 300 $((9100 + n)); flows+=("$D2_FLOW"); done
(cd "$TG_TMP" && "$TG" apply "$P/x_names.yaml") >"$TG_TMP/x_names.out" 2>&1
rc=$?
tg_assert_eq "$rc" 0 "interfaces named like shell commands: promoted (exit 0)"
tg_check "the check saw '$W1' as one argument" grep -qxF "$W1" "$LOG"
tg_check "the check saw '$W2' as one argument" grep -qxF "$W2" "$LOG"
for d in "$P" "$TG_TMP" / "$TAILGATE_STATE_DIR" "$PWD" "${HOME:-/root}"; do
	tg_check "no tgd2F / tgd2G made in $d (no shell ran the names)" \
		bash -c "[ ! -e '$d/tgd2F' ] && [ ! -e '$d/tgd2G' ]"
done
for w in "$W1" "$W2"; do
	tg_assert_eq "$(d2_live_gen "$w")" 2 "'$w' runs generation 2"
done

# exec_timeout kills the check and everything it started.
exec_plan "$P/x_slow.yaml" x_slow '"tgd2[;$]*"' \
	"[bash, -c, '(exec -a tgd2mark-bg sleep 300) & setsid -f bash -c \"exec -a tgd2mark-ss sleep 300\"; exec -a tgd2mark-fg sleep 300']" 1s
t0=$SECONDS
"$TG" apply "$P/x_slow.yaml" >"$TG_TMP/x_slow.out" 2>&1
rc=$?
tg_assert_eq "$rc" 3 "a check that outlives exec_timeout fails the gate: rolled back"
tg_check "... within seconds ($((SECONDS - t0)) s), not the check's 300" test $((SECONDS - t0)) -lt 20
tg_check "... saying timed_out" grep -q "exec check: timed_out" "$TG_TMP/x_slow.out"
sleep 0.3
tg_assert_eq "$(pgrep -f tgd2mark | tr '\n' ' ')" "" "no process of the timed-out check survives (foreground, background, own session)"

# A check that cannot start says why.
exec_plan "$P/x_missing.yaml" x_missing '"tgd2[;$]*"' "[/nonexistent/tgd2check, '{ifname}']"
"$TG" apply "$P/x_missing.yaml" >"$TG_TMP/x_missing.out" 2>&1
tg_assert_eq "$?" 3 "a check that does not exist fails the gate: rolled back"
tg_check "... saying which and why" grep -q "exec check /nonexistent/tgd2check did not start: No such file or directory" "$TG_TMP/x_missing.out"

# The check's output never reaches tailgate's stdout.
cat >"$TG_TMP/noisy.sh" <<'NOISY'
#!/bin/sh
head -c 300000 /dev/urandom
printf '"}]{"oops": [\n\033[2J\r\0 not json'
head -c 3000 /dev/urandom >&2
exit 1
NOISY
chmod 0755 "$TG_TMP/noisy.sh"
exec_plan "$P/x_noisy.yaml" x_noisy '"tgd2[;$]*"' "['$TG_TMP/noisy.sh', '{ifname}']"
"$TG" apply --json "$P/x_noisy.yaml" >"$TG_TMP/x_noisy.json" 2>"$TG_TMP/x_noisy.err"
rc=$?
tg_assert_eq "$rc" 3 "a noisy failing check: rolled back"
tg_assert_eq "$(jq -s length "$TG_TMP/x_noisy.json" 2>&1)" 1 "apply --json stays one valid JSON document"
tg_check "... well under the check's 300 kB ($(stat -c %s "$TG_TMP/x_noisy.json") bytes)" test "$(stat -c %s "$TG_TMP/x_noisy.json")" -lt 20000
tg_check "... and it names the exec gate" bash -c "jq -e '[.. | objects | select(.gate? == \"exec\")] | length > 0' '$TG_TMP/x_noisy.json' >/dev/null"
"$TG" apply --events "$P/x_noisy.yaml" >"$TG_TMP/x_noisy.ev" 2>/dev/null
tg_check "apply --events: every line one JSON document" bash -c "jq -c . '$TG_TMP/x_noisy.ev' >/dev/null && [ \$(jq -s length '$TG_TMP/x_noisy.ev') -eq \$(wc -l <'$TG_TMP/x_noisy.ev') ]"

# The check sees fds 0-2 only: none of tailgate's maps, links, lock or pipes.
FDS=$TG_TMP/fds.log
cat >"$TG_TMP/fds.py" <<'PY'
import os, sys
fds = []
for f in os.listdir('/proc/self/fd'):
    try:
        fds.append('%s %s' % (f, os.readlink('/proc/self/fd/' + f)))
    except OSError:
        pass    # the listing's own directory, closed by now
with open(sys.argv[1], 'w') as out:
    out.write('\n'.join(sorted(fds, key=lambda l: int(l.split()[0]))) + '\n')
PY
exec_plan "$P/x_fds.yaml" x_fds 'tgd21' "[python3, '$TG_TMP/fds.py', '$FDS']"
"$TG" apply "$P/x_fds.yaml" >"$TG_TMP/x_fds.out" 2>&1
tg_assert_eq "$?" 0 "fd listing check: promoted"
tg_assert_eq "$(cut -d' ' -f1 "$FDS" | tr '\n' ' ')" "0 1 2 " "the check holds fds 0, 1 and 2 only ($(tr '\n' ',' <"$FDS"))"
tg_check "... stdin is /dev/null" grep -qx '0 /dev/null' "$FDS"
tg_check "... stdout and stderr are one pipe to tailgate" bash -c "[ \"\$(sed -n 's/^[12] //p' '$FDS' | sort -u)\" = \"\$(sed -n 's/^1 //p' '$FDS')\" ] && grep -q '^1 pipe:' '$FDS'"
kill "${flows[@]}" 2>/dev/null
fi

# ---------------------------------------------------------------------------
if want 5; then
echo "# 5. gate blind spots"
fresh s5
setup_v1
v1ids="$(all_ids)"
STEPS5='  - canary: {}
  - analyze: {duration: 6s, interval: 500ms}
  - promote: {batch: 3}'
# rollback_check DESC PLAN GATE: PLAN was rolled back by GATE, all on v1, traffic flows.
rollback_check() {
	tg_assert_eq "$rc" 3 "$1: rolled back (exit 3)"
	tg_assert_eq "$(newest_history | jq -r '[.plan, .outcome, .breach.gate] | join(" ")')" "$2 rolled_back $3" \
		"$1: history says $2 rolled back by $3"
	tg_assert_eq "$(all_ids)" "$v1ids" "$1: every slot 0 on v1's head"
	d2_lossless 0 100 "$1: the canary passes traffic again"
}
fleet_flows() {
	flows=()
	for i in 1 2 3; do d2_flow $i "$1" 300 $((9100 + i)); flows+=("$D2_FLOW"); done
}

for how in sender link; do
	# The sender case runs on the default gates (min_rate_ratio 0.5).
	g=''
	[[ $how == link ]] && g='  min_rate_ratio: 0.5'
	d2_plan "$P/stop_$how.yaml" "stop_$how" tgd20 "$FLEET" counter "$STEPS5" "$g"
	fleet_flows 12
	d2_flow 0 12 300 9100
	canary_flow=$D2_FLOW
	: >"$TG_TMP/stop.ev"  # truncated before the wait below reads it
	"$TG" apply --events "$P/stop_$how.yaml" >"$TG_TMP/stop.ev" 2>&1 &
	ap=$!
	d2_wait_for "$TG_TMP/stop.ev" '"elapsed_ms":1500' || tg_fail "stop_$how: no analysis: $(cat "$TG_TMP/stop.ev")"
	if [[ $how == sender ]]; then
		kill "$canary_flow"
	else
		ip -n tgd2n0 link set eth0 down
	fi
	wait $ap
	rc=$?
	[[ $how == link ]] && ip -n tgd2n0 link set eth0 up && sleep 1
	rollback_check "canary traffic stops mid-analysis ($how)" "stop_$how" min_rate_ratio
	tg_check "... it was healthy before the traffic stopped" grep -q '"elapsed_ms":1000.*"verdict":"healthy"' "$TG_TMP/stop.ev"
	kill "${flows[@]}" "$canary_flow" 2>/dev/null
done

# A stage that bounces every packet back out: nothing dropped, all lost.
d2_plan "$P/tx.yaml" tx tgd20 "$FLEET" "counter tx_all:$D2_TBPF/tx_all.bpf.o" "$STEPS5"
fleet_flows 10
d2_flow 0 10 300 9100
canary_flow=$D2_FLOW
"$TG" apply --events "$P/tx.yaml" >"$TG_TMP/tx.ev" 2>&1
rc=$?
rollback_check "XDP_TX on every packet" tx max_verdict_delta
tg_check "... seen as tx, with no drop" grep -q '"event":"analysis".*"drop":0.*"verdict":"unhealthy","gate":"max_verdict_delta"' "$TG_TMP/tx.ev"
tg_check "... the whole distribution moved (delta 1)" grep -qE 'max_verdict_delta 1 > limit 0.05: (pass is 0|tx is 1) of packets' "$TG_TMP/tx.ev"

# 10% redirected into nowhere: the drop counters see nothing.
d2_plan "$P/redir.yaml" redir tgd20 "$FLEET" "counter redirect_10pct:$D2_TBPF/redirect_10pct.bpf.o" "$STEPS5" \
	'  max_drop_ratio: 0.10
  max_drop_ratio_delta: 0.10'
"$TG" apply --events "$P/redir.yaml" >"$TG_TMP/redir.ev" 2>&1
rc=$?
rollback_check "10% redirected to no interface (max_drop_ratio 0.10)" redir max_verdict_delta
tg_check "... a tenth of the distribution moved" grep -qE 'max_verdict_delta 0\.[01][0-9]* > limit 0.05: (pass is 0\.[89]|redirect is 0\.[01])[0-9]* of packets' "$TG_TMP/redir.ev"

# 5% dropped under loose drop gates, caught by the verdict distribution.
G5='  min_packets: 200
  max_drop_ratio: 0.10
  max_drop_ratio_delta: 0.10
  max_verdict_delta: 0.02'
d2_plan "$P/drop5.yaml" drop5 tgd20 "$FLEET" "counter drop_5pct:$D2_TBPF/drop_5pct.bpf.o" "$STEPS5" "$G5"
d2_plan "$P/ctl5.yaml" ctl5 tgd20 "$FLEET" "counter" "$STEPS5" "$G5" 'datapath: fused'
"$TG" apply --events "$P/drop5.yaml" >"$TG_TMP/drop5.ev" 2>&1
rc=$?
rollback_check "5% dropped under max_drop_ratio 0.10 / delta 0.10" drop5 max_verdict_delta
tg_check "... while the drop ratio stayed under the loose limits" \
	bash -c "grep '\"gate\":\"max_verdict_delta\"' '$TG_TMP/drop5.ev' | grep '\"event\":\"analysis\"' | head -n 1 | jq -e '.drop_ratio > 0.01 and .drop_ratio < 0.10' >/dev/null"
# One sender into the canary at a time: a second one ending mid-analysis
# halves its rate, which min_rate_ratio rightly calls a collapse.
kill "${flows[@]}" "$canary_flow" 2>/dev/null
wait "${flows[@]}" "$canary_flow" 2>/dev/null
fleet_flows 10
d2_flow 0 10 300 9100
"$TG" apply "$P/ctl5.yaml" >"$TG_TMP/ctl5.out" 2>&1
tg_assert_eq "$?" 0 "control: the same gates promote a version that changes no verdict"
kill "${flows[@]}" 2>/dev/null
fi

# ---------------------------------------------------------------------------
if want 6; then
echo "# 6. SIGINT, SIGTERM and SIGHUP during apply"
fresh s6
setup_v1
v1ids="$(all_ids)"
flows=()
for i in 0 1 2 3; do d2_flow $i 90 300 $((9100 + i)); flows+=("$D2_FLOW"); done
STEPS6='  - canary: {}
  - analyze: {duration: 1s, interval: 250ms}
  - promote: {batch: 1, analyze: 20s}'
d2_plan "$P/sig.yaml" sig tgd20 "$FLEET" "counter blocklist" "$STEPS6"
# start_apply PLAN REGEX: apply in the background (pid in AP) until REGEX shows.
start_apply() {
	: >"$TG_TMP/sig.ev"  # truncated before the wait below reads it
	"$TG" apply --events "$1" >"$TG_TMP/sig.ev" 2>"$TG_TMP/sig.err" &
	AP=$!
	d2_wait_for "$TG_TMP/sig.ev" "$2" 30 || tg_fail "$1: never reached $2: $(cat "$TG_TMP/sig.ev" "$TG_TMP/sig.err")"
}
for sig in INT TERM HUP; do
	start_apply "$P/sig.yaml" '"event":"analysis".*"ifname":"tgd21"'
	tg_assert_ne "$(d2_slot0 tgd21)" "$(cut -d' ' -f2 <<<"$v1ids")" "SIG$sig: tgd21 was flipped before the signal"
	kill -$sig $AP
	wait $AP
	rc=$?
	tg_assert_eq "$rc" 3 "SIG$sig during a wave's analysis: exit 3"
	tg_assert_eq "$(all_ids)" "$v1ids" "SIG$sig: canary and wave back on v1 (bpftool)"
	tg_check "SIG$sig: journal gone" test ! -e "$(JOURNAL)"
	n=$(kill -l "$sig")
	tg_assert_eq "$(newest_history | jq -r '[.outcome, .breach.gate, .breach.value] | join(" ")')" "rolled_back signal $n" \
		"SIG$sig: history says rolled_back by signal $n"
	tg_check "SIG$sig: the reason names SIG$sig" bash -c "newest_history() { grep '\"type\":\"rollout\"' '$(HIST)' | tail -n 1; }; newest_history | grep -q 'interrupted by SIG$sig'"
	tg_check "SIG$sig: the end event says rolled_back" grep -q '"event":"end".*"outcome":"rolled_back"' "$TG_TMP/sig.ev"
	for i in 0 1; do d2_lossless $i 100 "SIG$sig: tgd2$i passes traffic"; done
done

# A signal while an exec check runs is a signal, not a failed check: with
# on_failure: pause the rollout still goes back.
cat >"$TG_TMP/slowcheck.sh" <<'CHK'
#!/bin/sh
sleep 3
CHK
chmod 0755 "$TG_TMP/slowcheck.sh"
d2_plan "$P/sigx.yaml" sigx tgd20 "$FLEET" "counter blocklist" "$STEPS6" \
	"  exec: ['$TG_TMP/slowcheck.sh', '{ifname}']
  exec_timeout: 10s" 'on_failure: pause'
sed -i '/^on_failure: rollback$/d' "$P/sigx.yaml"
start_apply "$P/sigx.yaml" '"event":"analyze"'
sleep 0.5
kill -TERM $AP
wait $AP
rc=$?
tg_assert_eq "$rc" 3 "SIGTERM during an exec check (on_failure: pause): exit 3"
tg_assert_eq "$(all_ids)" "$v1ids" "... rolled back, not paused: all on v1"
tg_check "... no journal (nothing paused)" test ! -e "$(JOURNAL)"
tg_assert_eq "$(newest_history | jq -r '[.plan, .outcome, .breach.gate] | join(" ")')" "sigx rolled_back signal" \
	"... history says sigx rolled_back by a signal, not by the exec gate"

# A second signal right after the first exits at once; recover restores.
start_apply "$P/sig.yaml" '"event":"analysis".*"ifname":"tgd21"'
kill -INT $AP
kill -INT $AP
t0=$(date +%s%N)
wait $AP
rc=$?
ms=$((($(date +%s%N) - t0) / 1000000))
tg_check "two SIGINTs: apply exits at once ($ms ms, exit $rc)" test "$ms" -lt 1000
tg_check "... with a failure code" test "$rc" -ne 0
"$TG" recover >"$TG_TMP/sigrec.out" 2>&1
tg_assert_eq "$?" 0 "recover after the second signal"
tg_assert_eq "$(all_ids)" "$v1ids" "after recover: all on v1 (bpftool)"
tg_check "after recover: journal gone" test ! -e "$(JOURNAL)"
"$TG" recover >"$TG_TMP/sigrec2.out" 2>&1
tg_assert_eq "$?" 0 "a second recover has nothing to do"
kill "${flows[@]}" 2>/dev/null
fi

# ---------------------------------------------------------------------------
# bank_progs IF BANK: "name:tag" of every stage program in BANK (0 = A, 1 = B).
bank_progs() {
	local k id
	for ((k = 0; k < 16; k++)); do
		id=$(tg_slot_prog_id "$TAILGATE_PIN_ROOT/$1/xdp" $((1 + $2 * 16 + k)))
		[[ -n $id ]] || break
		bpftool prog show id "$id" -j | jq -r '"\(.name):\(.tag)"'
	done | tr '\n' ' '
}

if want 7; then
echo "# 7. promote after a pause runs the captured plan and objects"
fresh s7
setup_v1
mkdir -p "$P/objs"
cp "$D2_BPF/counter.bpf.o" "$D2_BPF/blocklist.bpf.o" "$P/objs/"
d2_plan "$P/paused.yaml" paused tgd20 "$FLEET" "counter:objs/counter.bpf.o blocklist:objs/blocklist.bpf.o" \
	'  - canary: {}
  - analyze: {duration: 1s, interval: 500ms}
  - pause: {}
  - promote: {batch: 3}'
flows=()
for i in 0 1 2 3; do d2_flow $i 30 300 $((9100 + i)); flows+=("$D2_FLOW"); done
"$TG" apply "$P/paused.yaml" >"$TG_TMP/paused.out" 2>&1
tg_assert_eq "$?" 0 "paused rollout: apply exits 0"
tg_check "... paused" grep -q "rollout paused" "$TG_TMP/paused.out"
canary=$(bank_progs tgd20 1)
tg_check "canary runs tg2s0_counter and tg2s1_blocklist ($canary)" \
	bash -c "[[ '$canary' == tg2s0_counter:*' 'tg2s1_blocklist:*' ' ]]"
# Everything the plan file says, changed after the pause: stages, hook, an
# exec check that fails, and the counter object replaced by a dropper.
{
	printf 'name: paused\nhook: tc-ingress\ninterfaces:\n  canary: [tgd20]\n  fleet: [%s]\n' "$FLEET"
	printf 'pipeline:\n  - name: drop_all\n    object: %s\n    program: drop_all\n' "$D2_BPF/drop_all.bpf.o"
	printf 'steps:\n  - canary: {}\n  - promote: {batch: 1}\n'
	printf "gates:\n  min_packets: 1\n  exec: [sh, -c, 'touch %s; exit 1']\n" "$TG_TMP/exec_ran"
	printf 'on_failure: rollback\n'
} >"$P/paused.yaml"
cp "$D2_TBPF/counter_impostor.bpf.o" "$P/objs/counter.bpf.o"
"$TG" promote >"$TG_TMP/promote.out" 2>&1
tg_assert_eq "$?" 0 "promote after the edits: exit 0"
for i in 1 2 3; do
	tg_assert_eq "$(bank_progs tgd2$i 1)" "$canary" "tgd2$i runs the captured stages, same names and tags as the canary"
	tg_assert_eq "$(d2_live_gen tgd2$i)" 2 "tgd2$i on generation 2"
done
tg_check "no tc-ingress attach point was made" bash -c "! ls -d '$TAILGATE_PIN_ROOT'/*/tc-ingress 2>/dev/null"
for i in 0 1 2 3; do
	tg_assert_eq "$(bpftool net show dev tgd2$i -j | jq '[.[0].tc[]?] | length')" 0 "tgd2$i: no tc program attached"
	d2_lossless $i 200 "tgd2$i passes every packet (the dropper never loaded)"
done
tg_check "the edited plan's exec check never ran" test ! -e "$TG_TMP/exec_ran"
tg_assert_eq "$(newest_history | jq -r '[.plan, .generation, .outcome] | join(" ")')" "paused 2 promoted" "history: paused, generation 2, promoted"
kill "${flows[@]}" 2>/dev/null
fi

# ---------------------------------------------------------------------------
if want 8; then
echo "# 8. a state directory or state files others can write"
fresh s8
setup_v1
v1ids="$(all_ids)"
d2_plan "$P/v2p.yaml" v2p tgd20 "$FLEET" "counter blocklist" '  - canary: {}
  - pause: {}
  - promote: {batch: 3}'
d2_plan "$P/v2.yaml" v2 tgd20 "$FLEET" "counter blocklist" "$STEPS_SHORT"
nobody=$(id -u nobody 2>/dev/null || echo 65534)
MARK=$TG_TMP/planted_ran

# refused DESC VERB...: VERB exits non-zero naming the state and changes nothing.
refused() {
	local desc=$1 rc
	shift
	"$TG" "$@" >"$TG_TMP/r8.out" 2>&1
	rc=$?
	tg_check "$desc: 'tailgate $*' refused (exit $rc)" test "$rc" -ne 0 -a "$rc" -lt 128
	tg_check "$desc: ... saying the state must be root's alone" grep -q "root's alone\|owned by uid" "$TG_TMP/r8.out"
	tg_assert_eq "$(all_ids)" "$v1ids" "$desc: ... nothing flipped"
	tg_check "$desc: ... the planted check never ran" test ! -e "$MARK"
}

chmod 1777 "$TAILGATE_STATE_DIR"
refused "state directory 1777" apply "$P/v2.yaml"
refused "state directory 1777" rollback tgd20
refused "state directory 1777" recover
chmod 0770 "$TAILGATE_STATE_DIR"
refused "state directory 0770" apply "$P/v2.yaml"
chmod 0700 "$TAILGATE_STATE_DIR"

# A paused rollout; then another user rewrites its captured plan to run
# their exec check, with the records pointing at it.
d2_flow 0 5 300 9100
"$TG" apply "$P/v2p.yaml" >"$TG_TMP/v2p.out" 2>&1 || tg_fail "v2p: $(cat "$TG_TMP/v2p.out")"
canary_v2=$(d2_slot0 tgd20)
v1ids="$canary_v2 $(cut -d' ' -f2- <<<"$v1ids")"
gen=$(sed -n 's/^id //p' "$(JOURNAL)")
rec=$TAILGATE_STATE_DIR/gens/$gen
old_sha=$(sed -n 's/^plan_sha256 //p' "$rec")
evil=$TG_TMP/evil.yaml
sed -e '/^gates:/a\  exec: [sh, -c, '"'touch $MARK; exit 0'"']' \
	-e 's/promote: {batch: 3}/promote: {batch: 3, analyze: 1s}/' "$TAILGATE_STATE_DIR/store/$old_sha" >"$evil"
grep -q "analyze: 1s" "$evil" || tg_fail "cannot craft the planted plan: $(cat "$evil")"
evil_sha=$(sha256sum "$evil" | cut -d' ' -f1)
cp "$evil" "$TAILGATE_STATE_DIR/store/$evil_sha"
chmod 0600 "$TAILGATE_STATE_DIR/store/$evil_sha"
cp -p "$rec" "$TG_TMP/rec.saved"
cp -p "$(JOURNAL)" "$TG_TMP/journal.saved"
sed -i "s/$old_sha/$evil_sha/" "$rec" "$(JOURNAL)"
for f in "store/$evil_sha" "gens/$gen" rollout.journal; do
	chown "$nobody" "$TAILGATE_STATE_DIR/$f"
	refused "$f owned by uid $nobody" promote
	refused "$f owned by uid $nobody" abort
	chown 0 "$TAILGATE_STATE_DIR/$f"
	chmod 0666 "$TAILGATE_STATE_DIR/$f"
	refused "$f mode 0666" promote
	chmod 0600 "$TAILGATE_STATE_DIR/$f"
done
for d in gens store; do
	chmod 0777 "$TAILGATE_STATE_DIR/$d"
	refused "$d/ mode 0777" promote
	chmod 0700 "$TAILGATE_STATE_DIR/$d"
done
# Back to the real records: promote works and runs what was captured.
cp -p "$TG_TMP/rec.saved" "$rec"
cp -p "$TG_TMP/journal.saved" "$(JOURNAL)"
rm -f "$TAILGATE_STATE_DIR/store/$evil_sha"
"$TG" promote >"$TG_TMP/p8.out" 2>&1
tg_assert_eq "$?" 0 "records restored: promote works"
for i in 0 1 2 3; do tg_assert_eq "$(d2_live_gen tgd2$i)" "$gen" "tgd2$i on generation $gen"; done
tg_check "the planted check never ran" test ! -e "$MARK"
fi

# ---------------------------------------------------------------------------
if want 9; then
echo "# 9. ip netns exec remounts /sys: refused; nsenter --net= works"
fresh s9
NS=tgd2n9 NSP=tgd2n9p
for n in $NS $NSP; do
	ip netns del $n 2>/dev/null
	ip netns add $n || tg_fail "cannot create namespace $n"
	tg_on_exit "ip netns del $n"
done
for k in 0 2; do
	ip -n $NS link add tgd2q$k type veth peer name tgd2q$((k + 1)) netns $NSP || tg_fail "cannot create veth tgd2q$k"
	ip -n $NS addr add 198.19.$((190 + k)).1/24 dev tgd2q$k
	ip -n $NSP addr add 198.19.$((190 + k)).2/24 dev tgd2q$((k + 1))
	ip -n $NS link set tgd2q$k up
	ip -n $NSP link set tgd2q$((k + 1)) up
done
ip -n $NS link set lo up
tg_on_exit "nsenter --net=/run/netns/$NS '$TG' detach --all"
d2_plan "$P/ns.yaml" ns tgd2q0 tgd2q2 counter '  - canary: {}
  - analyze: {duration: 1s, interval: 500ms}
  - promote: {batch: 1}'
# ns_burst K COUNT: packets from the peer namespace into tgd2q<K>; "received sent".
ns_burst() {
	local out=$TG_TMP/nsburst rx sent
	ip netns exec $NS "$TG_TRAFFIC" recv --bind 198.19.$((190 + $1)).1 --port 9190 --duration 20 --idle-ms 1500 >"$out" &
	rx=$!
	tg_wait_bound "$NS" 198.19.$((190 + $1)).1 9190
	sent=$(ip netns exec $NSP "$TG_TRAFFIC" send --dst 198.19.$((190 + $1)).1 --port 9190 --count "$2" --rate 2000 | sed -n 's/^sent=//p')
	wait $rx
	echo "$(sed -n 's/^received=\([0-9]*\).*/\1/p' "$out") $sent"
}
ns_xdp() { ip -n $NS -j -d link show dev "$1" | jq -r '.[0].xdp.prog.id // empty'; }

ip netns exec $NS "$TG" apply "$P/ns.yaml" >"$TG_TMP/ns1.out" 2>&1
rc=$?
tg_check "under ip netns exec: apply refused (exit $rc)" test "$rc" -ne 0 -a "$rc" -lt 128
tg_check "... the message names nsenter --net=" grep -q "nsenter --net=" "$TG_TMP/ns1.out"
for k in 0 2; do
	tg_assert_eq "$(ns_xdp tgd2q$k)" "" "... nothing attached to tgd2q$k"
done
tg_assert_eq "$(ls "$TAILGATE_PIN_ROOT" 2>/dev/null)" "" "... nothing pinned"
tg_check "... no journal left" test ! -e "$(JOURNAL)"
ip netns exec $NS "$TG" plan "$P/ns.yaml" >"$TG_TMP/ns2.out" 2>&1
tg_check "under ip netns exec: plan refused too" test "$?" -ne 0
tg_check "... naming nsenter --net=" grep -q "nsenter --net=" "$TG_TMP/ns2.out"

ip netns exec $NSP "$TG_TRAFFIC" send --dst 198.19.190.1 --port 9191 --rate 300 --duration 5 >/dev/null 2>&1 &
tx=$!
tg_on_exit "kill $tx"
nsenter --net=/run/netns/$NS "$TG" apply "$P/ns.yaml" >"$TG_TMP/ns3.out" 2>&1
tg_assert_eq "$?" 0 "under nsenter --net=: apply promotes"
wait $tx
for k in 0 2; do
	tg_assert_eq "$(d2_prog_name "$(ns_xdp tgd2q$k)")" tg_dispatch_xdp "tgd2q$k runs the dispatcher"
	tg_check "tgd2q$k is pinned in the host's bpffs" test -e "$TAILGATE_PIN_ROOT/tgd2q$k/xdp/link"
	got=$(ns_burst $k 200)
	tg_assert_eq "${got% *}" "${got#* }" "tgd2q$k passes every packet (received of sent: $got)"
done
tg_assert_eq "$(nsenter --net=/run/netns/$NS "$TG" status --json | jq -r '[.attach_points[].health] | join(" ")')" "ok ok" \
	"status under nsenter: both ok"
nsenter --net=/run/netns/$NS "$TG" detach --all >/dev/null 2>&1
tg_assert_eq "$(ns_xdp tgd2q0)" "" "detach under nsenter removes it"
fi

tg_test_end
