#!/usr/bin/env bash
# SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause)
#
# test_help: every verb's --help exits 0 with its usage, as root and as an
# unprivileged user, wherever --help stands on the line, and touches no
# lock, no pin and no state directory (it answers while another tailgate
# holds the lock); --version; the top-level help lists every verb;
# options go anywhere (`rollback IFACE --force` takes --force as an
# option); usage errors exit 1 with the synopsis; -q leaves only errors.
set -u

top=$(cd "$(dirname "$0")/../.." && pwd)
# shellcheck source=../lib/common.sh
. "$top/tests/lib/common.sh"

tg_test_begin help
command -v setpriv >/dev/null || tg_skip "setpriv (util-linux) is missing"
id nobody >/dev/null 2>&1 || tg_skip "no user 'nobody' to run unprivileged"

verbs=$("$TG" __complete)
nr=$(wc -w <<<"$verbs")
tg_assert_ge "$nr" 13 "__complete lists the verbs"
as_nobody() { setpriv --reuid=nobody --regid=nogroup --clear-groups -- "$@"; }

# --- --help touches nothing ----------------------------------------------------

# A pin root and a state directory that do not exist: --help must not
# make them. A lock held on the real one must not delay it.
fresh_pins=/sys/fs/bpf/tgt-help-none-$$
fresh_state=$TG_TMP/no-state
lockdir=$TG_TMP/locked
mkdir -m 0700 "$lockdir"
exec {lockfd}>"$lockdir/lock"
flock -n "$lockfd" || tg_fail "cannot take the test's own lock"

for v in $verbs; do
	for who in root nobody; do
		run=()
		[[ $who == nobody ]] && run=(setpriv --reuid=nobody --regid=nogroup --clear-groups --)
		out=$(TAILGATE_PIN_ROOT=$fresh_pins TAILGATE_STATE_DIR=$fresh_state \
			timeout 10 "${run[@]}" "$TG" "$v" --help 2>"$TG_TMP/err")
		rc=$?
		tg_assert_eq "$rc" 0 "$who: tailgate $v --help exits 0"
		tg_check "$who: tailgate $v --help prints its usage" grep -q "^Usage: tailgate $v " <<<"$out"
		tg_assert_eq "$(cat "$TG_TMP/err")" "" "$who: tailgate $v --help writes nothing to stderr"
	done
	out=$(TAILGATE_STATE_DIR=$lockdir timeout 5 "$TG" "$v" -h)
	tg_assert_eq "$?" 0 "tailgate $v -h exits 0 while another tailgate holds the lock"
	tg_check "tailgate $v -h prints its usage" grep -q "^Usage: tailgate $v " <<<"$out"
done
tg_check "--help made no pin root" test ! -e "$fresh_pins"
tg_check "--help made no state directory" test ! -e "$fresh_state"

# --help anywhere on the line wins over arguments and even over errors.
for line in "rollback tg0 --help" "detach --all --help" "apply no-such-plan.yaml --help" \
	"stats --interval nonsense --help" "-v status --help" "sandbox up --count 999 --help"; do
	# shellcheck disable=SC2086
	out=$(TAILGATE_PIN_ROOT=$fresh_pins TAILGATE_STATE_DIR=$fresh_state "$TG" $line 2>&1)
	tg_assert_eq "$?" 0 "tailgate $line exits 0"
	tg_check "tailgate $line prints the usage" grep -q "^Usage: tailgate " <<<"$out"
done
tg_check "still no pin root" test ! -e "$fresh_pins"
tg_check "still no state directory" test ! -e "$fresh_state"

# --- top level, --version ----------------------------------------------------

out=$(as_nobody "$TG" --help)
tg_assert_eq "$?" 0 "nobody: tailgate --help exits 0"
for v in $verbs; do
	tg_check "tailgate --help lists '$v'" grep -qE "^  $v( |$)" <<<"$out"
done
no_complete() { ! grep -q __complete <<<"$1"; }
tg_check "tailgate --help hides __complete" no_complete "$out"
ver=$(as_nobody "$TG" --version)
tg_assert_eq "$?" 0 "nobody: tailgate --version exits 0"
tg_check "tailgate --version says the version" grep -qE '^tailgate [0-9]+\.[0-9]+\.[0-9]+' <<<"$ver"
tg_check "tailgate status --version says it too" grep -qE '^tailgate [0-9]+\.[0-9]+' <<<"$("$TG" status --version)"
"$TG" >/dev/null 2>"$TG_TMP/err"
tg_assert_eq "$?" 1 "tailgate without a verb exits 1"
tg_check "... and shows the help on stderr" grep -q "^Usage: tailgate" "$TG_TMP/err"

# --- usage errors -------------------------------------------------------------

usage() {
	local want=$1 msg=$2
	shift 2
	"$@" >"$TG_TMP/out" 2>"$TG_TMP/err"
	tg_assert_eq "$?" "$want" "${*#"$TG" } exits $want"
	tg_check "${*#"$TG" }: says '$msg'" grep -qF -- "$msg" "$TG_TMP/err"
}
usage 1 "missing PLAN" "$TG" apply
usage 1 "Usage: tailgate apply" "$TG" apply
usage 1 "unknown option '--frobnicate'" "$TG" status --frobnicate
usage 1 "needs a unit" "$TG" stats --interval 5
usage 1 "out of range" "$TG" sandbox status --count 65
usage 1 "unknown verb 'frobnicate'" "$TG" frobnicate
usage 1 "'-5' is not a whole number" "$TG" history --limit -5
usage 1 "unexpected argument" "$TG" recover extra
usage 2 "missing privilege" as_nobody "$TG" status

# --- options anywhere ------------------------------------------------------------

# rollback IFACE --force: --force is an option, tgnosuch the only interface.
usage 1 "no tailgate dispatcher on 'tgnosuch'" "$TG" rollback tgnosuch --force
tg_check "rollback tgnosuch --force: --force is not taken for an interface" \
	bash -c "! grep -q \"'--force'\" '$TG_TMP/err'"
for line in "--json status" "status --json" "status -j"; do
	# shellcheck disable=SC2086
	"$TG" $line >"$TG_TMP/out" 2>/dev/null
	tg_check "tailgate $line gives JSON" jq -e '.verb == "status"' "$TG_TMP/out" >/dev/null
done
"$TG" rollback -- --force >/dev/null 2>"$TG_TMP/err"
tg_check "after --, '--force' is an interface name" grep -q "'--force'" "$TG_TMP/err"

# --- -q: errors only ------------------------------------------------------------

tg_host tginhq0 tginq0 198.19.230.1/24 198.19.230.2
cat >"$TG_TMP/q.yaml" <<EOF
name: quiet
hook: xdp
interfaces:
  fleet: [tginq0]
pipeline:
  - name: counter
    object: $top/build/bpf/counter.bpf.o
    program: counter
steps:
  - promote: {batch: 1}
EOF
out=$("$TG" -q apply "$TG_TMP/q.yaml" 2>"$TG_TMP/err")
tg_assert_eq "$?" 0 "apply -q exits 0"
tg_assert_eq "$out$(cat "$TG_TMP/err")" "" "apply -q prints nothing"
out=$("$TG" apply --force "$TG_TMP/q.yaml" 2>&1)
tg_check "apply without -q does print progress" grep -q "promoted" <<<"$out"
out=$("$TG" status -q 2>&1)
tg_assert_eq "$?" 0 "status -q exits 0 on a healthy host"
tg_assert_eq "$out" "" "status -q prints nothing: a probe wants the exit code"
out=$("$TG" status)
tg_check "status without -q shows the attach point" grep -q "tginq0/xdp" <<<"$out"
out=$("$TG" detach tginq0 -q 2>&1)
tg_assert_eq "$?" 0 "detach -q exits 0"
tg_assert_eq "$out" "" "detach -q prints nothing"
out=$("$TG" -q detach tginq0 2>"$TG_TMP/err")
tg_assert_ne "$?" 0 "detach -q of an interface without a dispatcher fails"
tg_check "-q still prints the error" grep -q "no tailgate dispatcher on 'tginq0'" "$TG_TMP/err"

tg_test_end
