#!/usr/bin/env bash
# SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause)
#
# The demo (`make demo`): a sandbox fleet of 4 veth interfaces with live
# traffic, a good version rolled out and promoted, a second good version
# that keeps the counter's state, a bad version (drop_all) that the
# canary's health gates catch and roll back on their own, then a weighted
# canary on one interface (5% -> 25% -> 100% of its flows, fused) and a
# bad version caught at 5% with only its share of the flows affected.
#
# It uses its own pin root and state dir, so it never touches a real
# tailgate deployment on this host. `examples/demo.sh down` removes it all.
set -uo pipefail

here=$(cd "$(dirname "$0")" && pwd)
top=$(cd "$here/.." && pwd)
tg="$top/build/tailgate"
traffic="$top/build/tools/tgtraffic"
export TAILGATE_PIN_ROOT=${TAILGATE_PIN_ROOT:-/sys/fs/bpf/tailgate-demo}
export TAILGATE_STATE_DIR=${TAILGATE_STATE_DIR:-/var/lib/tailgate-demo}

if [[ -t 1 && -z ${NO_COLOR:-} ]]; then
	say() { printf '\n\033[1m== %s\033[0m\n' "$*"; }
else
	say() { printf '\n== %s\n' "$*"; }
fi

teardown() {
	[[ -n ${flows_pid:-} ]] && kill "$flows_pid" "$sink_pid" 2>/dev/null
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
fleet_ids() { "$tg" status --json | jq -r '.attach_points[] | select(.ifname != "tg0") | "\(.ifname)=\(.slot0_prog_id)"'; }
fleet_before=$(fleet_ids)
"$tg" apply "$here/bad-drop-all.yaml"
rc3=$?
fleet_after=$(fleet_ids)

# Ping is one flow; a weighted canary splits many. 200 UDP flows into tg0.
"$traffic" recv --bind 198.18.0.1 --port 9000 --duration 600 --idle-ms 600000 >/dev/null 2>&1 &
sink_pid=$!
nsenter --net=/run/netns/tgsb0 "$traffic" send --dst 198.18.0.1 --port 9000 --flows 200 --rate 2000 --duration 300 >/dev/null 2>&1 &
flows_pid=$!
sleep 1

say "weighted canary on tg0: 5%, then 25%, then all of its flows; version 3, fused"
"$tg" apply "$here/counter-v3-weighted.yaml"
rc4=$?

say "a bad version as a weighted canary: caught at 5%, the other 95% of tg0's flows untouched"
fleet_before2=$(fleet_ids)
"$tg" apply "$here/bad-weighted.yaml"
rc5=$?
fleet_after2=$(fleet_ids)
kill "$flows_pid" "$sink_pid" 2>/dev/null
flows_pid=""

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
printf 'weighted:    exit %d (%s: 5%% -> 25%% -> 100%% of tg0, then the fleet)\n' "$rc4" \
	"$([[ $rc4 -eq 0 ]] && echo promoted || echo NOT promoted)"
printf 'bad at 5%%:   exit %d (%s); fleet slot-0 programs %s\n' "$rc5" \
	"$([[ $rc5 -eq 3 ]] && echo 'rolled back automatically' || echo 'NOT rolled back')" \
	"$([[ "$fleet_before2" == "$fleet_after2" ]] && echo 'untouched' || echo 'CHANGED')"
cat <<EOT

Inspect it with stock tools, e.g.:
  bpftool link show
  bpftool map dump pinned $TAILGATE_PIN_ROOT/tg0/xdp/slots
  bpftool map dump pinned $TAILGATE_PIN_ROOT/tg0/xdp/maps/packet_count
  TAILGATE_PIN_ROOT=$TAILGATE_PIN_ROOT TAILGATE_STATE_DIR=$TAILGATE_STATE_DIR $tg stats
Remove it all with: examples/demo.sh down
EOT
[[ $rc1 -eq 0 && $rc2 -eq 0 && $rc3 -eq 3 && "$fleet_before" == "$fleet_after" &&
   $rc4 -eq 0 && $rc5 -eq 3 && "$fleet_before2" == "$fleet_after2" ]]
