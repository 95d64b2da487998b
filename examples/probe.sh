#!/usr/bin/env bash
# SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause)
# An external health check for the `exec` gate: the sandbox host behind
# IFNAME must answer a ping through the new generation. Non-zero = unhealthy.
# Usage: probe.sh IFNAME   (sandbox interfaces tgN have their peer at 198.18.N.2)
set -eu
ifname=$1
n=${ifname#tg}
[[ "$n" =~ ^[0-9]+$ ]] || { echo "probe: $ifname is not a sandbox interface" >&2; exit 2; }
exec ping -q -c 2 -i 0.2 -W 1 -I "$ifname" "198.18.$n.2" >/dev/null
