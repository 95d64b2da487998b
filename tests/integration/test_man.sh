#!/usr/bin/env bash
# SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause)
#
# test_man: the man pages build from their scdoc sources, render with
# `man -l` and `groff -man -ww -z` without a warning, and stay true to the
# code: every verb has its section in tailgate(8) with exactly the options
# its `--help` lists (same names, same value names), the global options,
# exit codes 0..5 and every environment variable tailgate reads are
# there; tailgate-plan(5) names every key the plan parser knows, and its
# example plans parse. The README links to the plan page in the tree.
set -u

top=$(cd "$(dirname "$0")/../.." && pwd)
# shellcheck source=../lib/common.sh
. "$top/tests/lib/common.sh"
TG_NAME=man
cd "$top" || exit 1

command -v scdoc >/dev/null || tg_skip "scdoc is not installed (make deps)"
command -v groff >/dev/null || tg_skip "groff is not installed (make deps)"
command -v man >/dev/null || tg_skip "man is not installed (make deps)"
[[ -x $TG ]] || tg_fail "$TG is not built; run make"
tmp=$(mktemp -d /tmp/tgt-man.XXXXXX)
trap 'rm -rf "$tmp"' EXIT

tg_check "make man builds the pages" make --no-print-directory -s man
P8=build/man/tailgate.8 P5=build/man/tailgate-plan.5 S8=orchestrator/man/tailgate.8.scd S5=orchestrator/man/tailgate-plan.5.scd

for p in "$P8" "$P5"; do
	tg_check "$p exists" test -s "$p"
	out=$(groff -man -ww -z "$p" 2>&1)
	tg_assert_eq "$out" "" "groff -man -ww -z $p: no warnings"
	out=$(MANWIDTH=80 man --warnings -l "$p" 2>&1 >/dev/null)
	tg_assert_eq "$out" "" "man --warnings -l $p: no warnings"
	n=$(MANWIDTH=80 man -l "$p" 2>/dev/null | wc -l)
	tg_assert_ge "$n" 100 "man -l $p renders ($n lines)"
done

# --- tailgate(8) against the option tables -----------------------------------

# Options of a --help text between "Options:" and "Global options:", or
# after "Global options:", as "--name" or "--name=VALUE", sorted.
help_opts() {
	awk -v want="$2" '
		/^Global options/ { sect = "global"; next }
		/^Options:/ { sect = "verb"; next }
		sect == want && /^  *(-[A-Za-z0-9], )?--/ {
			sub(/^ *(-[A-Za-z0-9], )?/, ""); print $1 }' <<<"$1" | sort
}

# Option items of one "## tailgate VERB" section of the scd source
# ("*-i*, *--interval*=_DURATION_" lines), in the same form.
man_opts() {
	awk -v verb="$1" '
		/^## / { insect = ($2 == "tailgate" && $3 == verb); next }
		/^# / { insect = 0 }
		insect && /^\*-/ {
			line = $0; gsub(/[*_]/, "", line); sub(/^-[A-Za-z0-9], /, "", line)
			split(line, w, " "); print w[1] }' "$S8" | sort
}

verbs=$("$TG" __complete)
tg_check "__complete lists the verbs" test -n "$verbs"
for v in $verbs; do
	h=$("$TG" "$v" --help)
	want=$(help_opts "$h" verb)
	got=$(man_opts "$v")
	tg_check "tailgate(8) has a section for '$v'" grep -q "^## tailgate $v " "$S8"
	tg_assert_eq "$(echo $got)" "$(echo $want)" "tailgate(8) '$v' options match '$v --help'"
done
# No section for a verb that does not exist.
for v in $(sed -n 's/^## tailgate \([a-z_]*\) .*/\1/p' "$S8"); do
	tg_check "section '$v' is a verb" grep -qx "$v" <<<"$verbs"
done

# Global options: the GLOBAL OPTIONS section against the top-level help.
want=$(help_opts "$("$TG" --help)" global)
got=$(awk '/^# GLOBAL OPTIONS/ { s = 1; next } /^# / { s = 0 } s && /^\*-/ {
	line = $0; gsub(/[*_]/, "", line); sub(/^-[A-Za-z0-9], /, "", line); split(line, w, " "); print w[1] }' "$S8" | sort)
tg_assert_eq "$(echo $got)" "$(echo $want)" "tailgate(8) global options match tailgate --help"

for c in 0 1 2 3 4 5; do
	tg_check "exit code $c is documented" grep -q "^\*$c\*$" "$S8"
done

# Every environment variable the orchestrator reads.
envs=$(grep -ho 'getenv("[A-Z_]*")' orchestrator/*.c | sed 's/getenv("\(.*\)")/\1/' | sort -u)
tg_check "the code reads environment variables" test -n "$envs"
for e in $envs; do
	tg_check "environment variable $e is documented" grep -q "\*$e\*" "$S8"
done
# What the exec gate hands its command.
for e in $(grep -ho '"TAILGATE_[A-Z]*=' orchestrator/*.c | tr -d '"=' | sort -u); do
	tg_check "exec gate variable $e is documented" grep -q "$e" "$S8"
done

# Every metric metrics.c writes is in METRICS.
for m in $(grep -ho '"tailgate_[a-z_]*' orchestrator/metrics.c | tr -d '"' | sort -u); do
	tg_check "metric $m is documented" grep -q "$m" "$S8"
done

# The envelope of the JSON contract.
for f in schema_version verb exit_code result errors warnings; do
	tg_check "JSON envelope field $f is documented" grep -q "\*$f\*" "$S8"
done

# --- tailgate-plan(5) against the parser ---------------------------------------

keys=$(grep -ho '\.key = "[a-z_]*"' orchestrator/plan*.c | sed 's/.*"\(.*\)"/\1/' | sort -u)
tg_check "the parser has keys" test -n "$keys"
for k in $keys; do
	tg_check "plan key '$k' is documented" grep -q "\*$k\*" "$S5"
done
for s in canary analyze promote pause; do
	tg_check "step '$s' is documented" grep -q "^\*$s:\*" "$S5"
done
for c in xdp tc-ingress tc-egress native skb chained fused auto rollback pause enforce shadow \
	pass drop aborted tx redirect; do
	tg_check "value '$c' is documented" grep -q "\*$c\*" "$S5"
done

# The example plans in the page parse: any error they give is about this
# machine (a missing interface or object), never FILE:LINE:COL.
awk -v dir="$tmp" '
	/^```/ { if (inb) { close(f); inb = 0 } else { n++; f = dir "/example" n ".yaml"; inb = 1 } next }
	inb { print > f }' "$S5"
n=0
for f in "$tmp"/example*.yaml; do
	grep -q '^pipeline:' "$f" || continue
	n=$((n + 1))
	err=$("$TG" plan "$f" 2>&1 >/dev/null)
	if grep -qE "$f:[0-9]+:[0-9]+:" <<<"$err"; then
		tg_check "example plan ${f##*/} parses ($err)" false
	else
		tg_check "example plan ${f##*/} parses" true
	fi
done
tg_assert_ge "$n" 4 "tailgate-plan(5) has example plans"

# --- README -------------------------------------------------------------------

tg_check "README links to orchestrator/man/tailgate-plan.5.scd" grep -q '(orchestrator/man/tailgate-plan.5.scd)' README.md
tg_check "README links nowhere outside the repository" bash -c "! grep -nE '\]\(\.\./' README.md"

tg_test_end
