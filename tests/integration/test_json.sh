#!/usr/bin/env bash
# SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause)
#
# test_json: with --json every verb writes exactly one valid JSON
# document on stdout, on success and on every kind of failure, whatever
# an interface name holds. The fleet: tginj0 and an interface named
# tginj"x\y (Linux allows both characters), under ping traffic.
#
# Each run is checked with jq -e . AND Python's json.load (which refuses
# a second document or trailing text), and exit_code / result must agree
# with the process's exit status: 0 ok, 1 usage_or_plan_error,
# 2 preflight_failed, 3 rolled_back, 5 busy. Covered: status, stats,
# history, plan, apply (promoted, unchanged, forced, a bad plan file, a
# preflight failure, a gate breach), rollback, detach, recover, restore,
# save, promote/abort with nothing paused and with a paused rollout,
# sandbox status, usage errors, and a busy lock.
set -u

top=$(cd "$(dirname "$0")/../.." && pwd)
# shellcheck source=../lib/common.sh
. "$top/tests/lib/common.sh"

tg_test_begin json
command -v jq >/dev/null || tg_skip "jq is missing (make deps)"
[[ -x /usr/bin/python3 ]] || tg_skip "/usr/bin/python3 is missing (make deps)"
BPF=$top/build/bpf TBPF=$top/build/tests/bpf
for f in "$BPF/counter.bpf.o" "$BPF/drop_all.bpf.o" "$TBPF/bad_verifier.bpf.o"; do
	[[ -e $f ]] || tg_skip "$f is missing; run make"
done

HOSTILE='tginj"x\y'
ip link add tginjprobe type veth peer name tginjprobe1 2>/dev/null && ip link del tginjprobe
ip link add "$HOSTILE" type veth peer name tginjp1 || tg_skip "ip link add refused the name $HOSTILE"
ip link del "$HOSTILE"

tg_host tginjh0 tginj0 198.19.240.1/24 198.19.240.2
tg_on_exit "ip link del 'tginj\"x\\y'"
tg_host tginjh1 "$HOSTILE" 198.19.241.1/24 198.19.241.2
for i in 0 1; do
	ip netns exec "tginjh$i" ping -q -i 0.02 -w 300 "198.19.24$i.1" >/dev/null 2>&1 &
	tg_on_exit "kill $! 2>/dev/null"
done

results=(ok usage_or_plan_error preflight_failed rolled_back inconsistent busy)

# js WANT_RC VERB ARGS...: run tailgate --json, check the one document.
js() {
	local want=$1 desc out rc verb
	shift
	desc="tailgate --json $*"
	out=$TG_TMP/out.json
	"$TG" --json "$@" >"$out" 2>"$TG_TMP/err"
	rc=$?
	tg_assert_eq "$rc" "$want" "$desc: exit $want"
	tg_check "$desc: jq -e . accepts stdout" jq -e . "$out" >/dev/null
	tg_check "$desc: json.load accepts stdout (one document)" \
		/usr/bin/python3 -c 'import json,sys; json.load(sys.stdin)' <"$out"
	tg_assert_eq "$(jq -r .exit_code "$out" 2>/dev/null)" "$rc" "$desc: exit_code is the exit status"
	tg_assert_eq "$(jq -r .result "$out" 2>/dev/null)" "${results[$rc]:-unknown}" "$desc: result names it"
	tg_assert_eq "$(jq -r .schema_version "$out" 2>/dev/null)" 1 "$desc: schema_version"
	tg_check "$desc: errors and warnings are lists of strings" \
		jq -e '(.errors + .warnings) | all(type == "string")' "$out" >/dev/null
	if [[ $rc -ne 0 ]]; then
		tg_check "$desc: errors says why" jq -e '.errors | length > 0' "$out" >/dev/null
	fi
	verb=$(jq -r .verb "$out" 2>/dev/null)
	tg_check "$desc: verb is '$verb'" test -n "$verb"
}
field() { jq -r "$1" "$TG_TMP/out.json" 2>/dev/null; }

P=$TG_TMP/plans
mkdir -p "$P"
# plan NAME OBJECT:PROGRAM... [STEPS]
plan() {
	local name=$1 steps=$3 s
	{
		printf 'name: %s\nhook: xdp\ninterfaces:\n  canary: [tginj0]\n  fleet: ["tginj\\"x\\\\y"]\npipeline:\n' "$name"
		for s in $2; do
			printf '  - name: %s\n    object: %s\n    program: %s\n' "${s##*:}" "${s%%:*}" "${s##*:}"
			[[ ${s##*:} == counter ]] && printf '    keep_maps: [packet_count]\n'
		done
		printf 'steps:\n%s\ngates:\n  min_packets: 10\n' "$steps"
	} >"$P/$name.yaml"
}
STEPS='  - canary: {}
  - analyze: {duration: 1s, interval: 500ms}
  - promote: {batch: 1}'
plan good "$BPF/counter.bpf.o:counter" "$STEPS"
plan bad-verifier "$BPF/counter.bpf.o:counter $TBPF/bad_verifier.bpf.o:bad_verifier" "$STEPS"
plan drop "$BPF/counter.bpf.o:counter $BPF/drop_all.bpf.o:drop_all" "$STEPS"
plan paused "$BPF/counter.bpf.o:counter" '  - canary: {}
  - pause: {}
  - promote: {batch: 1}'
printf 'name: broken\nhook: xdp\ninterfaces: [\n' >"$P/broken.yaml"
printf 'name: typo\nhook: xdp\ninterfaces:\n  canary: [tginj0]\npipeline: []\nstepz: []\n' >"$P/typo.yaml"

# --- before anything is attached -----------------------------------------------

js 0 status
tg_assert_eq "$(field '.attach_points | length')" 0 "status: no attach points yet"
js 0 history
tg_assert_eq "$(field '.entries | length')" 0 "history: no entries yet"
js 0 stats --interval 0
js 0 sandbox status
js 1 promote
js 1 abort

# --- the good plan ---------------------------------------------------------------

js 0 plan "$P/good.yaml"
tg_check "plan names the hostile interface exactly" \
	jq -e --arg n "$HOSTILE" 'any(.interfaces[]; .ifname == $n)' "$TG_TMP/out.json" >/dev/null
js 0 apply "$P/good.yaml"
tg_assert_eq "$(field .outcome)" promoted "apply: promoted"
tg_check "apply: the hostile interface is live" \
	jq -e --arg n "$HOSTILE" 'any(.interfaces[]; .ifname == $n and .state == "live")' "$TG_TMP/out.json" >/dev/null
tg_check "apply: events name it exactly" \
	jq -e --arg n "$HOSTILE" 'any(.events[]; .ifname? == $n)' "$TG_TMP/out.json" >/dev/null
js 0 apply "$P/good.yaml"
tg_assert_eq "$(field .outcome)" unchanged "apply again: unchanged"
js 0 apply --force "$P/good.yaml"
tg_assert_eq "$(field .outcome)" promoted "apply --force: promoted again"
js 0 status
tg_check "status: both attach points, the hostile name exact" \
	jq -e --arg n "$HOSTILE" '[.attach_points[].ifname] | sort == (["tginj0", $n] | sort)' "$TG_TMP/out.json" >/dev/null
js 0 status "$P/good.yaml"
tg_assert_eq "$(field .plan_live)" true "status PLAN: live"
js 0 stats --interval 200ms
tg_check "stats: rows for the hostile interface" \
	jq -e --arg n "$HOSTILE" 'any(.attach_points[]; .ifname == $n and (.slots | length) > 0)' "$TG_TMP/out.json" >/dev/null
js 0 stats --prometheus --output "$TG_TMP/m.prom"
tg_check "stats --prometheus --output wrote the file" test -s "$TG_TMP/m.prom"
js 1 stats --prometheus
js 0 history --limit 5
tg_check "history: entries are objects" jq -e '.entries | length > 0 and all(type == "object")' "$TG_TMP/out.json" >/dev/null

# --- failing applies ---------------------------------------------------------------

js 1 apply "$P/broken.yaml"
js 1 apply "$P/typo.yaml"
js 1 plan "$P/typo.yaml"
js 1 apply "$P/no-such-plan.yaml"
js 2 apply "$P/bad-verifier.yaml"
js 2 plan "$P/bad-verifier.yaml"
js 3 apply "$P/drop.yaml"
tg_assert_eq "$(field .outcome)" rolled_back "apply of drop_all: rolled back"
tg_assert_eq "$(field .breach.gate)" max_drop_ratio "apply of drop_all: the breach is in the document"

# --- usage errors --------------------------------------------------------------------

js 1 apply
js 1 frobnicate
tg_assert_eq "$(field .verb)" tailgate "unknown verb: verb is 'tailgate'"
js 1 stats --interval 5
js 1 rollback
js 1 rollback tginj0 --all
js 1 detach tgnosuchif

# --- changing verbs ----------------------------------------------------------------

js 0 rollback "$HOSTILE" --force
tg_assert_eq "$(field '.attach_points[0].state')" rolled_back "rollback of the hostile interface"
tg_assert_eq "$(field '.attach_points[0].ifname')" "$HOSTILE" "rollback: the name exact"
js 0 recover
js 0 save
js 0 restore
js 0 detach "$HOSTILE"
tg_assert_eq "$(field '.attach_points[0].state')" detached "detach of the hostile interface"
js 0 recover
js 0 restore

# --- a paused rollout -----------------------------------------------------------------

js 0 apply "$P/paused.yaml"
tg_assert_eq "$(field .outcome)" paused "apply with a pause step: paused"
js 0 status
tg_assert_eq "$(field .rollout.status)" paused "status: the paused rollout"
js 1 rollback --all
js 1 detach --all
js 1 restore
js 0 abort
tg_assert_eq "$(field .outcome)" aborted "abort: aborted"
js 1 abort

# --- busy ------------------------------------------------------------------------------

exec {lock}>"$TAILGATE_STATE_DIR/lock"
flock -n "$lock" || tg_fail "cannot take the lock for the busy check"
js 5 rollback --all
js 5 apply "$P/good.yaml"
exec {lock}>&-

js 0 detach --all
js 0 status
tg_assert_eq "$(field '.attach_points | length')" 0 "status: nothing left"

tg_test_end
