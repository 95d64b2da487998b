#!/usr/bin/env bash
# SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause)
#
# The demo (`make demo`): a sandbox fleet of 4 veth interfaces with live
# traffic, a good version rolled out and promoted, a second good version
# that keeps the counter's state, then a bad version (drop_all) that the
# canary's health gates catch and roll back on their own.
#
# It uses its own pin root and state dir, so it never touches a real
# tailgate deployment on this host. `examples/demo.sh down` removes it all.
set -uo pipefail

here=$(cd "$(dirname "$0")" && pwd)
top=$(cd "$here/.." && pwd)
tg="$top/build/tailgate"
export TAILGATE_PIN_ROOT=${TAILGATE_PIN_ROOT:-/sys/fs/bpf/tailgate-demo}
export TAILGATE_STATE_DIR=${TAILGATE_STATE_DIR:-/var/lib/tailgate-demo}

say() { printf '\n\033[1m== %s\033[0m\n' "$*"; }

teardown() {
	"$tg" detach --all >/dev/null 2>&1
	"$tg" sandbox down >/dev/null 2>&1
	rm -rf "$TAILGATE_STATE_DIR"
	rmdir "$TAILGATE_PIN_ROOT" 2>/dev/null
	return 0
}

if [[ ${1:-} == down ]]; then
	teardown
	echo "demo removed"
	exit 0
fi
[[ $(id -u) -eq 0 ]] || { echo "demo: run as root (it creates namespaces and attaches XDP)" >&2; exit 1; }

teardown
say "sandbox: 4 interfaces (tg0..tg3) with live traffic from their namespaces"
"$tg" sandbox up --count 4 || exit 1
sleep 1

say "preflight of version 1 (changes nothing)"
"$tg" plan "$here/counter-v1.yaml" || exit 1

say "rollout of version 1: canary tg0, then the fleet in waves of 2"
"$tg" apply "$here/counter-v1.yaml"
rc1=$?

say "rollout of version 2: counter + blocklist, the counter's total carries over"
before=$(bpftool map dump pinned "$TAILGATE_PIN_ROOT/tg0/xdp/maps/packet_count" 2>/dev/null | awk '/"value"/ {gsub(/[^0-9]/, ""); print}')
"$tg" apply "$here/counter-v2.yaml"
rc2=$?
after=$(bpftool map dump pinned "$TAILGATE_PIN_ROOT/tg0/xdp/maps/packet_count" 2>/dev/null | awk '/"value"/ {gsub(/[^0-9]/, ""); print}')

say "rollout of a bad version (drop_all): the canary's gates must catch it"
fleet_before=$("$tg" status --json | tr '{' '\n' | grep -o '"ifname":"tg[1-9][0-9]*".*"slot0_prog_id":[0-9]*' | sed 's/.*"ifname":"\([^"]*\)".*"slot0_prog_id":\([0-9]*\)/\1=\2/')
"$tg" apply "$here/bad-drop-all.yaml"
rc3=$?
fleet_after=$("$tg" status --json | tr '{' '\n' | grep -o '"ifname":"tg[1-9][0-9]*".*"slot0_prog_id":[0-9]*' | sed 's/.*"ifname":"\([^"]*\)".*"slot0_prog_id":\([0-9]*\)/\1=\2/')

say "status"
"$tg" status
say "history"
"$tg" history

say "what happened"
printf 'version 1:   exit %d (%s)\n' "$rc1" "$([[ $rc1 -eq 0 ]] && echo promoted || echo NOT promoted)"
printf 'version 2:   exit %d (%s); tg0 packet_count %s -> %s (kept across the upgrade)\n' \
	"$rc2" "$([[ $rc2 -eq 0 ]] && echo promoted || echo NOT promoted)" "${before:-?}" "${after:-?}"
printf 'bad version: exit %d (%s); fleet slot-0 programs %s\n' "$rc3" \
	"$([[ $rc3 -eq 3 ]] && echo 'rolled back automatically' || echo 'NOT rolled back')" \
	"$([[ "$fleet_before" == "$fleet_after" ]] && echo 'untouched' || echo 'CHANGED')"
cat <<EOT

Inspect it with stock tools, e.g.:
  bpftool link show
  bpftool map dump pinned $TAILGATE_PIN_ROOT/tg0/xdp/slots
  bpftool map dump pinned $TAILGATE_PIN_ROOT/tg0/xdp/maps/packet_count
  TAILGATE_PIN_ROOT=$TAILGATE_PIN_ROOT TAILGATE_STATE_DIR=$TAILGATE_STATE_DIR $tg stats
Remove it all with: examples/demo.sh down
EOT
[[ $rc1 -eq 0 && $rc2 -eq 0 && $rc3 -eq 3 && "$fleet_before" == "$fleet_after" ]]
