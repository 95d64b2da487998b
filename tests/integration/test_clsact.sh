#!/usr/bin/env bash
# SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause)
#
# test_clsact: the tc fallback for kernels without TCX. Forced here with
# TAILGATE_TC_ATTACH=clsact: the dispatcher sits in a direct-action filter
# on the clsact qdisc, is pinned as "prog", counts traffic, takes a second
# generation and a rollback with one slot-0 write, survives a dispatcher
# upgrade (on_tail_miss change) in place, and detach leaves no filter and
# no pins.
set -u
top=$(cd "$(dirname "$0")/../.." && pwd)
. "$top/tests/lib/common.sh"

tg_test_begin clsact
export TAILGATE_TC_ATTACH=clsact
IF=tgcl0
tg_host tgcl-ns0 $IF 198.18.210.1/24 198.18.210.2
P=$TAILGATE_PIN_ROOT/$IF/tc-ingress

# plan NAME ON_TAIL_MISS STAGE... -> $TG_TMP/NAME.yaml (counter keeps its count)
plan() {
	local name=$1 miss=$2 s
	shift 2
	{
		printf 'name: %s\nhook: tc-ingress\non_tail_miss: %s\n' "$name" "$miss"
		printf 'interfaces:\n  canary: [%s]\npipeline:\n' "$IF"
		for s in "$@"; do
			printf '  - name: %s\n    object: %s/build/bpf/%s.bpf.o\n    program: %s\n' \
				"$s" "$top" "$s" "$s"
			[[ $s == counter ]] && printf '    keep_maps: [packet_count]\n'
		done
		printf 'steps:\n  - canary: {}\n'
	} >"$TG_TMP/$name.yaml"
}
burst() { ip netns exec tgcl-ns0 ping -q -c "$1" -i 0.01 -W 1 198.18.210.1 >/dev/null 2>&1; }

plan v1 pass counter
plan v2 pass counter blocklist
plan v3 drop counter
tg_check "apply v1 through clsact" "$TG" apply "$TG_TMP/v1.yaml"
tg_check "dispatcher pinned as prog, no link" test -e "$P/prog" -a ! -e "$P/link"
tg_check "filter on the clsact qdisc" bash -c "tc filter show dev $IF ingress | grep -q 'direct-action'"
burst 50
tg_assert_ge "$(tg_map_u64 "$P/maps/packet_count")" 50 "v1 counts through the clsact filter"
v1=$(tg_slot_prog_id "$P" 0)
tg_check "apply v2" "$TG" apply "$TG_TMP/v2.yaml"
tg_assert_eq "$(tg_slot_prog_id "$P" 0)" "$(tg_slot_prog_id "$P" 17)" "slot 0 is bank B's head"
before=$(tg_map_u64 "$P/maps/packet_count")
burst 30
tg_assert_ge "$(tg_map_u64 "$P/maps/packet_count")" $((before + 30)) "count carries on under v2"
tg_check "rollback" "$TG" rollback $IF
tg_assert_eq "$(tg_slot_prog_id "$P" 0)" "$v1" "slot 0 back on v1's head"
# on_tail_miss changes the dispatcher: replaced in the filter, in place.
disp=$(bpftool prog show pinned "$P/prog" | sed -n 's/^\([0-9]*\):.*/\1/p')
tg_check "apply v3 (fail-closed dispatcher)" "$TG" apply "$TG_TMP/v3.yaml"
disp3=$(bpftool prog show pinned "$P/prog" | sed -n 's/^\([0-9]*\):.*/\1/p')
tg_assert_ne "$disp3" "$disp" "dispatcher program replaced"
tg_check "filter runs the new dispatcher" bash -c "tc filter show dev $IF ingress | grep -q 'id $disp3 '"
before=$(tg_map_u64 "$P/maps/packet_count")
burst 20
tg_assert_ge "$(tg_map_u64 "$P/maps/packet_count")" $((before + 20)) "traffic flows after the upgrade"
status=$("$TG" status --json)
tg_check "status ok" grep -q '"health":"ok"' <<<"$status"
tg_check "detach" "$TG" detach $IF
tg_check "no filter left" bash -c "! tc filter show dev $IF ingress | grep -q 'direct-action'"
tg_check "no pins left" test ! -e "$TAILGATE_PIN_ROOT/$IF"
tg_test_end
