#!/usr/bin/env bash
# SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause)
#
# test_completion: orchestrator/completion/tailgate.bash loads in a plain bash and
# completes what tailgate accepts: a verb prefix, an option prefix (from
# the verb's own table), interfaces for `rollback <TAB>` (from
# /sys/class/net), *.yaml files for `apply <TAB>`, an option's FILE value,
# `sandbox <TAB>`, and verbs after global options.
set -u

top=$(cd "$(dirname "$0")/../.." && pwd)
# shellcheck source=../lib/common.sh
. "$top/tests/lib/common.sh"
TG_NAME=completion
[[ -x $TG ]] || tg_fail "$TG is not built; run make"
tmp=$(mktemp -d /tmp/tgt-completion.XXXXXX)
trap 'rm -rf "$tmp"' EXIT
mkdir -p "$tmp/plans/sub"
touch "$tmp/plans/a.yaml" "$tmp/plans/b.yml" "$tmp/plans/notes.txt"

# complete WORDS...: what _tailgate offers for the last word, sorted, one line.
complete_words() {
	bash --norc --noprofile -c '
		source "$1" || exit 9
		shift
		COMP_WORDS=("$@")
		COMP_CWORD=$((${#COMP_WORDS[@]} - 1))
		COMPREPLY=()
		_tailgate
		[[ ${#COMPREPLY[@]} -eq 0 ]] || printf "%s\n" "${COMPREPLY[@]}" | sort | tr "\n" " "' _ "$top/orchestrator/completion/tailgate.bash" "$@"
}

tg_check "the script loads in bash and registers _tailgate" \
	bash --norc --noprofile -c "source '$top/orchestrator/completion/tailgate.bash' && complete -p tailgate | grep -q _tailgate"

tg_assert_eq "$(complete_words "$TG" ro)" "rollback " "verb prefix 'ro'"
tg_assert_eq "$(complete_words "$TG" st)" "stats status " "verb prefix 'st'"
tg_assert_eq "$(complete_words "$TG" -v -j st)" "stats status " "verb prefix after global options"
tg_check "no hidden verb offered" bash -c "! grep -aq __complete <<<'$(complete_words "$TG" '')'"
tg_assert_eq "$(complete_words "$TG" rollback --f)" "--force " "option prefix 'rollback --f'"
tg_assert_eq "$(complete_words "$TG" stats --p)" "--prometheus " "option prefix 'stats --p'"
tg_assert_eq "$(complete_words "$TG" apply --e)" "--events " "option prefix 'apply --e'"
got=$(complete_words "$TG" detach --)
for o in --all --verbose --json --quiet --help --version; do
	tg_check "detach -- offers $o" grep -aqw -- "$o" <<<"$got"
done

# Every interface, quoted for the shell (names may hold '"' and '\').
want=$(for d in /sys/class/net/*; do printf '%q\n' "${d##*/}"; done | sort | tr '\n' ' ')
tg_assert_eq "$(complete_words "$TG" rollback '')" "$want" "rollback <TAB>: the interfaces in /sys/class/net"
tg_assert_eq "$(complete_words "$TG" rollback --force lo)" "lo " "rollback --force lo<TAB>"
tg_assert_eq "$(complete_words "$TG" detach tgnosuchif)" "" "detach: no interface of that prefix"

cd "$tmp" || exit 1
tg_assert_eq "$(complete_words "$TG" apply plans/)" "plans/a.yaml plans/b.yml plans/sub " "apply <TAB>: plan files and directories only"
tg_assert_eq "$(complete_words "$TG" apply plans/a.yaml '')" "" "apply PLAN <TAB>: one plan only"
tg_assert_eq "$(complete_words "$TG" stats --output plans/n)" "plans/notes.txt " "stats --output FILE: any file"
tg_assert_eq "$(complete_words "$TG" stats -o plans/n)" "plans/notes.txt " "stats -o FILE: any file"
tg_assert_eq "$(complete_words "$TG" stats --interval '')" "" "stats --interval: no words for a duration"
tg_assert_eq "$(complete_words "$TG" sandbox '')" "down status up " "sandbox <TAB>"

tg_test_end
