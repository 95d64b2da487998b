#!/usr/bin/env bash
# SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause)
#
# test_xdp_mode: the plan key xdp_mode. A bridge is an Ethernet device
# whose driver has no native XDP: with the default (native), `plan` and
# `apply` fail preflight (exit 2) with a message naming xdp_mode: skb,
# use no generation number and leave nothing attached or pinned; with
# xdp_mode: skb it attaches in generic mode (ip link shows xdpgeneric)
# and serves. On a veth (native XDP) skb mode is generic too, native is
# the driver's, and the mode of an attached dispatcher cannot change
# under traffic. xdp_mode with a tc hook is a plan error.
set -u

top=$(cd "$(dirname "$0")/../.." && pwd)
# shellcheck source=../lib/common.sh
. "$top/tests/lib/common.sh"

tg_test_begin xdp_mode
BPF=$top/build/bpf
ip link del tginbr9 2>/dev/null
ip link add tginbr9 type bridge || tg_skip "cannot create a bridge (no bridge support)"
tg_on_exit "ip link del tginbr9"
ip link set tginbr9 up
tg_host tginxh0 tginx0 198.19.248.1/24 198.19.248.2

# plan NAME IFACE [MODE] [HOOK]
plan() {
	{
		printf 'name: %s\nhook: %s\n' "$1" "${4:-xdp}"
		[[ -n ${3:-} ]] && printf 'xdp_mode: %s\n' "$3"
		printf 'interfaces:\n  fleet: [%s]\npipeline:\n  - name: counter\n    object: %s/counter.bpf.o\n    program: counter\nsteps:\n  - promote: {batch: 1}\n' \
			"$2" "$BPF"
	} >"$TG_TMP/$1.yaml"
}
plan br-native tginbr9
plan br-native2 tginbr9 native
plan br-skb tginbr9 skb
plan veth-skb tginx0 skb
plan veth-native tginx0 native
plan tc-skb tginx0 skb tc-ingress

gen_before=$(cat "$TAILGATE_STATE_DIR/generation" 2>/dev/null || echo 0)
for p in br-native br-native2; do
	for verb in plan apply; do
		"$TG" "$verb" "$TG_TMP/$p.yaml" >"$TG_TMP/out" 2>"$TG_TMP/err"
		tg_assert_eq "$?" 2 "$verb $p: preflight fails (exit 2)"
		tg_check "$verb $p: the message names the interface and xdp_mode: skb" \
			grep -q "tginbr9/xdp: the driver has no native XDP: set xdp_mode: skb" "$TG_TMP/err"
	done
done
tg_check "nothing attached to the bridge" bash -c "! ip link show tginbr9 | grep -q xdp"
tg_check "no pins for the bridge" test ! -e "$TAILGATE_PIN_ROOT/tginbr9"
tg_assert_eq "$(cat "$TAILGATE_STATE_DIR/generation" 2>/dev/null || echo 0)" "$gen_before" "no generation number used"
"$TG" --json apply "$TG_TMP/br-native.yaml" 2>/dev/null >"$TG_TMP/out.json"
tg_check "--json: preflight_failed, the error names skb" \
	jq -e '.result == "preflight_failed" and any(.errors[]; test("xdp_mode: skb"))' "$TG_TMP/out.json" >/dev/null

"$TG" apply "$TG_TMP/br-skb.yaml" >"$TG_TMP/out" 2>&1
tg_assert_eq "$?" 0 "apply with xdp_mode: skb on the bridge"
tg_check "ip link shows xdpgeneric on the bridge" bash -c "ip link show tginbr9 | grep -q xdpgeneric"
tg_check "the generic program is tailgate's dispatcher" bash -c "ip -d link show tginbr9 | grep -q 'prog/xdp id [0-9]* name tg_dispatch_xdp'"
tg_check "status: ok" bash -c "'$TG' status | grep -q '^tginbr9/xdp: ok'"
tg_check "detach the bridge" "$TG" -q detach tginbr9
tg_check "nothing left on the bridge" bash -c "! ip link show tginbr9 | grep -q xdp"

# A veth has native XDP: skb is generic, native is the driver's.
"$TG" -q apply "$TG_TMP/veth-skb.yaml"
tg_assert_eq "$?" 0 "apply xdp_mode: skb on a veth"
tg_check "veth: xdpgeneric" bash -c "ip link show tginx0 | grep -q xdpgeneric"
"$TG" -q apply "$TG_TMP/veth-native.yaml" 2>"$TG_TMP/err"
tg_assert_eq "$?" 2 "the mode of an attached dispatcher cannot change (exit 2)"
tg_check "... and the message says to detach first" grep -q "detach first" "$TG_TMP/err"
tg_check "veth: still xdpgeneric" bash -c "ip link show tginx0 | grep -q xdpgeneric"
"$TG" -q detach tginx0
"$TG" -q apply "$TG_TMP/veth-native.yaml"
tg_assert_eq "$?" 0 "apply xdp_mode: native on a veth"
tg_check "veth: native XDP (xdp, not xdpgeneric)" bash -c "ip link show tginx0 | grep -q ' xdp ' && ! ip link show tginx0 | grep -q xdpgeneric"

"$TG" plan "$TG_TMP/tc-skb.yaml" 2>"$TG_TMP/err"
tg_assert_eq "$?" 1 "xdp_mode with hook tc-ingress is a plan error"
tg_check "... naming file, line and the key" grep -q "tc-skb.yaml:3:1: xdp_mode applies to hook xdp only" "$TG_TMP/err"

tg_test_end
