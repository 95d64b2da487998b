#!/usr/bin/env bash
# SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause)
#
# The test runner behind `make test`: cmocka unit tests, BPF test-run
# tables, the fuzz smoke run and the integration tests, each under a time
# limit, one after the other. Ends with "N passed, N failed, N skipped"
# (cmocka binaries count per test case, scripts per script) and exits
# non-zero if anything failed.
#
#   tests/run.sh [unit|bpf|fuzz|integration]...   default: all groups
set -uo pipefail

top=$(cd "$(dirname "$0")/.." && pwd)
cd "$top" || exit 1
log=$(mktemp -d /tmp/tailgate-tests.XXXXXX)
passed=0 failed=0 skipped=0
failures=()

# Per cmocka binary: add its PASSED/FAILED/SKIPPED counts.
count_cmocka() {
	local out=$1 p f s
	p=$(sed -n 's/^\[  PASSED  \] \([0-9]*\) test.*/\1/p' "$out" | awk '{ s += $1 } END { print s + 0 }')
	f=$(sed -n 's/^\[  FAILED  \] \([0-9]*\) test.*/\1/p' "$out" | awk '{ s += $1 } END { print s + 0 }')
	s=$(sed -n 's/^\[  SKIPPED \] \([0-9]*\) test.*/\1/p' "$out" | awk '{ s += $1 } END { print s + 0 }')
	passed=$((passed + p)) failed=$((failed + f)) skipped=$((skipped + s))
	echo "$p passed, $f failed, $s skipped"
}

# run NAME KIND LIMIT CMD...: KIND cmocka counts cases, script counts one.
run() {
	local name=$1 kind=$2 limit=$3 out rc t0
	shift 3
	out="$log/$(echo "$name" | tr '/ ' '__').log"
	printf '%-44s ' "$name"
	t0=$SECONDS
	timeout --kill-after=10 "$limit" "$@" >"$out" 2>&1
	rc=$?
	printf '%4ds  ' $((SECONDS - t0))
	if [[ $kind == cmocka && $rc -ne 124 && $rc -ne 137 ]] && grep -q '^\[==========\]' "$out"; then
		count_cmocka "$out"
		[[ $rc -eq 0 ]] || failures+=("$name")
	elif [[ $rc -eq 0 ]]; then
		passed=$((passed + 1))
		echo "passed"
	elif [[ $rc -eq 77 ]]; then
		skipped=$((skipped + 1))
		echo "skipped: $(grep -m1 '^SKIP' "$out" | cut -c7-)"
	else
		failed=$((failed + 1))
		failures+=("$name")
		[[ $rc -eq 124 ]] && echo "FAILED (timed out after ${limit})" || echo "FAILED (exit $rc)"
	fi
	if [[ $rc -ne 0 && $rc -ne 77 ]]; then
		sed 's/^/    | /' "$out" | tail -n 40
	fi
}

group_unit() {
	local t
	for t in build/tests/unit/test_*; do
		[[ -x $t ]] && run "unit/${t##*/}" cmocka 120s "$t"
	done
}

# One table per tests/bpf/test_*.c: a binary left in build/ by a removed
# source is not a test any more.
group_bpf() {
	local src t
	for src in tests/bpf/test_*.c; do
		t=build/tests/bpf/$(basename "$src" .c)
		run "bpf/${t##*/}" cmocka 300s "$t"
	done
}

group_fuzz() {
	grep -q '^fuzz-smoke:' Makefile && run "fuzz/plan-smoke" script 300s make --no-print-directory fuzz-smoke
}

group_integration() {
	local t
	for t in tests/integration/test_*.sh; do
		[[ -f $t ]] && run "integration/${t##*/}" script 1200s bash "$t"
	done
}

groups=("$@")
[[ ${#groups[@]} -gt 0 ]] || groups=(unit bpf fuzz integration)
if [[ $(id -u) -ne 0 ]]; then
	echo "tests: not root: the bpf and integration groups need root and are skipped"
	groups=(unit fuzz)
fi
for g in "${groups[@]}"; do
	echo "== $g"
	"group_$g"
done

echo
echo "took $((SECONDS / 60))m$((SECONDS % 60))s"
# The logs are kept only when something failed: they are for reading it.
if [[ ${#failures[@]} -eq 0 ]]; then
	rm -rf "$log"
else
	echo "failed: ${failures[*]} (logs in $log)"
fi
echo "$passed passed, $failed failed, $skipped skipped"
[[ $failed -eq 0 && ${#failures[@]} -eq 0 ]]
