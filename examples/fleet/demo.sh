#!/usr/bin/env bash
# SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause)
#
# The fleet demo (`make fleet-demo`): three "hosts" on this machine, driven
# by ansible-playbook with examples/fleet/rollout.yml over a local
# connection. Each host has its own two interfaces (veth pairs into its own
# namespaces, live bounded ping traffic), its own pin root under
# /sys/fs/bpf/ and its own state directory, so three tailgates run side by
# side as on three machines:
#
#   canary1   tgfc0 tgfc1   inventory group canary
#   fleet1    tgfa0 tgfa1   group fleet, wave 1
#   fleet2    tgfb0 tgfb1   group fleet, wave 2; its clients also speak IPv6
#
# 1. counter-v1 is promoted host by host (canary first), and a re-run of
#    the same play changes nothing;
# 2. a bad version (drop_all) is caught on the canary host; the fleet hosts
#    are never touched;
# 3. a version with an IPv6 bug (drop_ipv6) passes the canary host and the
#    first wave (IPv4 traffic only) and fails on fleet2 in the second wave:
#    fleet2 rolls itself back, and the play rolls canary1 and fleet1 back
#    to counter-v1.
# Everything it creates (names tgf*, addresses from 198.19.40.0/21 and
# 2001:2:0:f040::/60) is removed on exit, also when it fails.
set -uo pipefail

here=$(cd "$(dirname "$0")" && pwd)
top=$(cd "$here/../.." && pwd)
tg=${TAILGATE:-$top/build/tailgate}
playbook=/usr/bin/ansible-playbook
hosts=(canary1 fleet1 fleet2)
declare -A tag=([canary1]=c [fleet1]=a [fleet2]=b) net=([canary1]=40 [fleet1]=42 [fleet2]=44)
pids=()

say() { printf '\n\033[1m== %s\033[0m\n' "$*"; }
die() { echo "fleet demo: $*" >&2; exit 1; }

[[ $(id -u) -eq 0 ]] || die "run as root (it creates namespaces and attaches XDP)"
[[ -x $tg ]] || die "$tg is not built; run make"
[[ -x $playbook ]] || die "$playbook is missing; run make deps (Debian's ansible-core)"
for o in build/bpf/counter.bpf.o build/bpf/drop_all.bpf.o build/tests/bpf/drop_ipv6.bpf.o; do
	[[ -f $top/$o ]] || die "$top/$o is not built; run make"
done
[[ $(stat -f -c %T /sys/fs/bpf 2>/dev/null) == bpf_fs ]] || mount -t bpf bpffs /sys/fs/bpf ||
	die "bpffs is not mounted at /sys/fs/bpf"

work=$(mktemp -d /tmp/tgf-demo.XXXXXX)
pin_root() { echo "/sys/fs/bpf/tgf-demo-$1"; }

cleanup() {
	local h i p
	for p in "${pids[@]}"; do kill "$p" 2>/dev/null; done
	for h in "${hosts[@]}"; do
		TAILGATE_PIN_ROOT=$(pin_root "$h") TAILGATE_STATE_DIR=$work/$h/state \
			"$tg" detach --all >/dev/null 2>&1
		rm -rf "$(pin_root "$h")"
		for i in 0 1; do
			ip link del "tgf${tag[$h]}$i" 2>/dev/null
			ip netns del "tgf${tag[$h]}$i-ns" 2>/dev/null
		done
	done
	rm -rf "$work"
}
trap cleanup EXIT
trap 'exit 130' INT TERM

# iface HOST I: veth tgf<tag><I> in the root namespace, eth0 in its own
# namespace (the "clients"), pinging the host side for at most 10 minutes;
# fleet2's clients ping over IPv6 too, the others have no IPv6.
iface() {
	local h=$1 i=$2 ifc="tgf${tag[$1]}$2" ns="tgf${tag[$1]}$2-ns" n=$((${net[$1]} + $2))
	ip link del "$ifc" 2>/dev/null
	ip netns del "$ns" 2>/dev/null
	ip netns add "$ns" || die "cannot create namespace $ns"
	ip link add "$ifc" type veth peer name eth0 netns "$ns" || die "cannot create veth $ifc"
	ip addr add "198.19.$n.1/24" dev "$ifc"
	ip -n "$ns" addr add "198.19.$n.2/24" dev eth0
	if [[ $h == fleet2 ]]; then
		ip addr add "2001:2:0:f0$n::1/64" dev "$ifc" nodad
		ip -n "$ns" addr add "2001:2:0:f0$n::2/64" dev eth0 nodad
	else
		# IPv4-only clients: not one IPv6 packet (router solicitation,
		# MLD) from them, as on a host whose users have no IPv6.
		ip netns exec "$ns" sysctl -qw net.ipv6.conf.all.disable_ipv6=1 \
			net.ipv6.conf.eth0.disable_ipv6=1
	fi
	ip link set "$ifc" up
	ip -n "$ns" link set eth0 up
	ip -n "$ns" link set lo up
	ip netns exec "$ns" ping -q -i 0.005 -w 600 "198.19.$n.1" >/dev/null 2>&1 &
	pids+=($!)
	if [[ $h == fleet2 ]]; then
		ip netns exec "$ns" ping -6 -q -i 0.01 -w 600 "2001:2:0:f0$n::1" >/dev/null 2>&1 &
		pids+=($!)
	fi
}

# plan HOST VERSION STAGE...: that host's plan file of one version.
plan() {
	local h=$1 v=$2 s obj
	shift 2
	{
		printf '# %s of the fleet demo on host %s\n' "$v" "$h"
		printf 'name: %s\nhook: xdp\n' "$v"
		printf 'interfaces:\n  canary: [tgf%s0]\n  fleet: [tgf%s1]\n' "${tag[$h]}" "${tag[$h]}"
		printf 'pipeline:\n'
		for s in "$@"; do
			obj=$top/build/bpf/$s.bpf.o
			[[ -f $obj ]] || obj=$top/build/tests/bpf/$s.bpf.o
			printf '  - name: %s\n    object: %s\n    program: %s\n' "$s" "$obj" "$s"
			[[ $s == counter ]] && printf '    keep_maps: [packet_count]\n'
		done
		printf 'steps:\n  - canary: {}\n  - analyze: {duration: 2s, interval: 500ms}\n'
		printf '  - promote: {batch: 1, analyze: 1s}\n'
		# min_rate_ratio low: on a busy machine the pings' own rate dips
		# (the rate gate has its own tests); the drops are what is judged.
		printf 'gates:\n  min_packets: 50\n  max_drop_ratio: 0.01\n  max_tail_misses: 0\n'
		printf '  min_rate_ratio: 0.1\n'
		printf 'on_failure: rollback\n'
	} >"$work/$h/$v.yaml"
}

say "three hosts: their interfaces, namespaces and traffic; pin roots and state dirs"
for h in "${hosts[@]}"; do
	mkdir -p "$work/$h/state"
	chmod 0700 "$work/$h" "$work/$h/state"
	iface "$h" 0
	iface "$h" 1
	plan "$h" counter-v1 counter
	plan "$h" bad-drop-all counter drop_all
	plan "$h" counter-v3 counter drop_ipv6
	printf '  %-8s tgf%s0 tgf%s1  pins %s  state %s\n' "$h" "${tag[$h]}" "${tag[$h]}" \
		"$(pin_root "$h")" "$work/$h/state"
done
# One inventory host per "host"; the plan of the run picked with -e tgf_version.
{
	printf '[canary]\ncanary1\n\n[fleet]\nfleet1\nfleet2\n\n'
	printf '[all:vars]\nansible_connection=local\nansible_python_interpreter=/usr/bin/python3\n'
	printf 'tailgate_bin=%s\n' "$tg"
	printf 'tailgate_plan=%s/{{ inventory_hostname }}/{{ tgf_version }}.yaml\n' "$work"
	printf 'tailgate_state_dir=%s/{{ inventory_hostname }}/state\n' "$work"
	printf 'tailgate_pin_root=/sys/fs/bpf/tgf-demo-{{ inventory_hostname }}\n'
} >"$work/inventory.ini"
export ANSIBLE_LOCAL_TEMP=$work/ansible-local ANSIBLE_REMOTE_TEMP=$work/ansible-remote
export ANSIBLE_RETRY_FILES_ENABLED=false ANSIBLE_FORCE_COLOR=${ANSIBLE_FORCE_COLOR:-1}
# Results as YAML: a failed host's document reads better than one JSON line.
export ANSIBLE_CALLBACK_RESULT_FORMAT=${ANSIBLE_CALLBACK_RESULT_FORMAT:-yaml}
sleep 1

run() { # VERSION: the playbook, as an operator runs it
	echo "+ ansible-playbook -i inventory.ini examples/fleet/rollout.yml -e tailgate_serial=1 -e tgf_version=$1"
	"$playbook" -i "$work/inventory.ini" "$here/rollout.yml" -e tailgate_serial=1 -e "tgf_version=$1"
}
slot0() { bpftool map lookup pinned "$(pin_root "$1")/tgf${tag[$1]}$2/xdp/slots" key 0 0 0 0 2>/dev/null |
	sed -n 's/.*"value": *\([0-9][0-9]*\).*/\1/p'; }
slots() { local h; for h in "${hosts[@]}"; do printf '%s=%s,%s ' "$h" "$(slot0 "$h" 0)" "$(slot0 "$h" 1)"; done; }
live() { # HOST: the live generations and plans of the host's interfaces
	TAILGATE_PIN_ROOT=$(pin_root "$1") TAILGATE_STATE_DIR=$work/$1/state "$tg" status --json |
		jq -r '[.attach_points[] | .ifname + ":" + (.live_generation | tostring) + "(" +
			((.banks[] | select(.live) | .plan) // "?") + ")"] | join(" ")'
}
show() { local h; for h in "${hosts[@]}"; do printf '  %-8s %s\n' "$h" "$(live "$h")"; done; }

say "1. counter-v1, promoted host by host: canary1, then fleet1, then fleet2"
run counter-v1
rc1=$?
show
v1_slots=$(slots)

say "1b. the same play again: the fleet already runs it, nothing changes (changed=0)"
run counter-v1
rc1b=$?

say "2. a bad version (drop_all): caught on the canary host, the fleet untouched"
run bad-drop-all
rc2=$?
show
bad_slots=$(slots)

say "3. counter-v3 (drops IPv6): passes canary1 and fleet1, fails on fleet2 in wave 2"
run counter-v3
rc3=$?
show
v3_slots=$(slots)

say "what happened"
printf 'counter-v1:   ansible-playbook exit %d (%s)\n' "$rc1" "$([[ $rc1 -eq 0 ]] && echo 'promoted on all three hosts' || echo FAILED)"
printf 're-run:       ansible-playbook exit %d (%s)\n' "$rc1b" "$([[ $rc1b -eq 0 ]] && echo 'nothing changed' || echo FAILED)"
printf 'bad-drop-all: ansible-playbook exit %d (%s); slot 0 of every interface %s\n' "$rc2" \
	"$([[ $rc2 -ne 0 ]] && echo 'failed on canary1' || echo 'NOT caught')" \
	"$([[ $bad_slots == "$v1_slots" ]] && echo 'as before' || echo CHANGED)"
printf 'counter-v3:   ansible-playbook exit %d (%s); slot 0 of every interface %s\n' "$rc3" \
	"$([[ $rc3 -ne 0 ]] && echo 'failed on fleet2' || echo 'NOT caught')" \
	"$([[ $v3_slots == "$v1_slots" ]] && echo 'back on counter-v1' || echo 'NOT back')"
[[ $rc1 -eq 0 && $rc1b -eq 0 && $rc2 -ne 0 && $rc3 -ne 0 && $bad_slots == "$v1_slots" &&
	$v3_slots == "$v1_slots" ]]
