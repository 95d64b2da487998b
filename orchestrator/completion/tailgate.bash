# SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause)
# shellcheck shell=bash
#
# bash completion for tailgate(8). The words come from tailgate itself:
# `tailgate __complete` (verbs), `tailgate __complete -- VERB` (its
# options), `tailgate __complete -- VERB --OPTION` (an enum option's
# values) and `tailgate VERB --help` (which options take a value, and
# what kind), so completion follows the option tables and cannot drift.
# What a verb's positional arguments are is said here:
#   PLAN   plan, apply, status      *.yaml / *.yml files (and directories)
#   IFACE  rollback, detach, restore interfaces under /sys/class/net
#   WORD   sandbox                  up, down, status

_tailgate_cmd() {
	# The tailgate being completed (a path such as build/tailgate too).
	local t=${COMP_WORDS[0]}
	[[ $t == */* ]] || t=$(type -P "$t" 2>/dev/null || echo tailgate)
	printf '%s' "$t"
}

# Options of VERB that take a value, as "--name METAVAR" lines.
_tailgate_valued() {
	"$1" "$2" --help 2>/dev/null |
		sed -n 's/^ *\(-[A-Za-z0-9], \)\{0,1\}\(--[A-Za-z0-9-]*\)=\([A-Z][A-Z_]*\).*/\2 \3/p'
}

# Interfaces starting with $1 into COMPREPLY, quoted for the shell: a
# name may hold '"' or '\\' (compgen -W would strip them).
_tailgate_ifaces() {
	local d n q
	COMPREPLY=()
	for d in /sys/class/net/*; do
		[[ -e $d ]] || continue
		n=${d##*/}
		[[ $n == "$1"* ]] || continue
		printf -v q '%q' "$n"
		COMPREPLY+=("$q")
	done
}

_tailgate_plans() {
	local cur=$1
	compopt -o filenames 2>/dev/null
	COMPREPLY=($(compgen -f -X '!*.yaml' -- "$cur") $(compgen -f -X '!*.yml' -- "$cur")
		$(compgen -d -- "$cur"))
}

_tailgate() {
	local cur prev t verb="" i w valued opt meta nopos=0
	cur=${COMP_WORDS[COMP_CWORD]}
	prev=${COMP_WORDS[COMP_CWORD-1]}
	t=$(_tailgate_cmd)

	# The verb: the first word that is not an option (globals may come first).
	for ((i = 1; i < COMP_CWORD; i++)); do
		w=${COMP_WORDS[i]}
		[[ $w == -* ]] && continue
		verb=$w
		break
	done

	if [[ -z $verb ]]; then
		if [[ $cur == -* ]]; then
			COMPREPLY=($(compgen -W "--verbose --json --quiet --help --version" -- "$cur"))
		else
			COMPREPLY=($(compgen -W "$("$t" __complete 2>/dev/null)" -- "$cur"))
		fi
		return 0
	fi

	valued=$(_tailgate_valued "$t" "$verb")

	# The value of an option: "--output FILE", "-o FILE", "--opt=VALUE".
	opt="" meta=""
	if [[ $cur == --*=* ]]; then
		opt=${cur%%=*}
		cur=${cur#*=}
	elif [[ $prev == -* ]]; then
		opt=$prev
	fi
	if [[ -n $opt ]]; then
		if [[ $opt != --* ]]; then
			# A short option: its long name from the help text.
			opt=$("$t" "$verb" --help 2>/dev/null |
				sed -n "s/^ *$opt, \(--[A-Za-z0-9-]*\)=.*/\1/p")
		fi
		meta=$(awk -v o="$opt" '$1 == o { print $2 }' <<<"$valued")
	fi
	if [[ -n $meta ]]; then
		case $meta in
		FILE | PATH | DIR)
			compopt -o filenames 2>/dev/null
			COMPREPLY=($(compgen -f -- "$cur"))
			;;
		IFACE)
			_tailgate_ifaces "$cur"
			;;
		PLAN)
			_tailgate_plans "$cur"
			;;
		*)
			COMPREPLY=($(compgen -W "$("$t" __complete -- "$verb" "$opt" 2>/dev/null)" -- "$cur"))
			;;
		esac
		return 0
	fi

	if [[ $cur == -* ]]; then
		COMPREPLY=($(compgen -W "$("$t" __complete -- "$verb" 2>/dev/null)" -- "$cur"))
		return 0
	fi

	case $verb in
	plan | apply | status)
		# One PLAN: none once it is given.
		for ((i = i + 1; i < COMP_CWORD; i++)); do
			[[ ${COMP_WORDS[i]} == -* ]] || nopos=1
		done
		[[ $nopos == 1 ]] || _tailgate_plans "$cur"
		;;
	rollback | detach | restore)
		_tailgate_ifaces "$cur"
		;;
	sandbox)
		COMPREPLY=($(compgen -W "up down status" -- "$cur"))
		;;
	esac
	return 0
}

complete -F _tailgate tailgate
