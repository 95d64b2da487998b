#!/usr/bin/env bash
# SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause)
#
# test_systemd: the units as `make install` writes them pass
# `systemd-analyze verify` (their binary and man page exist in the
# install), and say what tailgate needs: restore at boot before the
# network, save at shutdown, metrics every 15 s into Debian's
# node_exporter textfile directory.
set -u

top=$(cd "$(dirname "$0")/../.." && pwd)
# shellcheck source=../lib/common.sh
. "$top/tests/lib/common.sh"
TG_NAME=systemd
cd "$top" || exit 1
command -v systemd-analyze >/dev/null || tg_skip "systemd-analyze is not installed (package systemd)"
command -v scdoc >/dev/null || tg_skip "scdoc is not installed (make deps)"
tmp=$(mktemp -d /tmp/tgt-systemd.XXXXXX)
trap 'rm -rf "$tmp"' EXIT

# A real install into a temporary PREFIX: the units name $tmp/sbin/tailgate.
make --no-print-directory -s install PREFIX="$tmp" >"$tmp/make.log" 2>&1
tg_assert_eq "$?" 0 "make install PREFIX=$tmp"
U=$tmp/lib/systemd/system
for u in tailgate-restore.service tailgate-metrics.service tailgate-metrics.timer; do
	tg_check "$u is installed" test -f "$U/$u"
done
out=$(MANPATH=$tmp/share/man systemd-analyze verify "$U"/tailgate-restore.service \
	"$U"/tailgate-metrics.service "$U"/tailgate-metrics.timer 2>&1)
tg_assert_eq "$?" 0 "systemd-analyze verify accepts the units"
tg_assert_eq "$out" "" "systemd-analyze verify says nothing"

has() { grep -qx "$2" "$U/$1"; }
R=tailgate-restore.service
tg_check "$R: ExecStart runs the installed tailgate restore" has $R "ExecStart=$tmp/sbin/tailgate restore"
tg_check "$R: ExecStop saves kept maps" has $R "ExecStop=$tmp/sbin/tailgate save"
tg_check "$R: oneshot" has $R "Type=oneshot"
tg_check "$R: RemainAfterExit (so ExecStop runs at shutdown)" has $R "RemainAfterExit=yes"
tg_check "$R: Before=network-pre.target" grep -qE '^Before=.*network-pre\.target' "$U/$R"
tg_check "$R: Wants=network-pre.target" has $R "Wants=network-pre.target"
tg_check "$R: After=local-fs.target sys-fs-bpf.mount" grep -qE '^After=local-fs\.target sys-fs-bpf\.mount' "$U/$R"
tg_check "$R: enabled into multi-user.target" has $R "WantedBy=multi-user.target"
M=tailgate-metrics.service
tg_check "$M: writes Debian's textfile directory" has $M \
	"ExecStart=$tmp/sbin/tailgate -q stats --prometheus --output /var/lib/prometheus/node-exporter/tailgate.prom"
tg_check "$M: does nothing without node_exporter's directory" has $M \
	"ConditionPathIsDirectory=/var/lib/prometheus/node-exporter"
T=tailgate-metrics.timer
tg_check "$T: every 15 s" has $T "OnUnitActiveSec=15s"
tg_check "$T: enabled into timers.target" has $T "WantedBy=timers.target"

# The sources name /usr/sbin/tailgate; the install rewrote it.
tg_check "sources name /usr/sbin/tailgate" grep -q 'ExecStart=/usr/sbin/tailgate restore' orchestrator/systemd/$R
tg_check "installed units name no other tailgate" bash -c "! grep -h '^Exec' '$U'/tailgate-* | grep -v '$tmp/sbin/tailgate'"

tg_test_end
