#!/usr/bin/env bash
# SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause)
#
# test_upgrade: attach points made by an older tailgate (0.1, the version
# on main before the datapath ABI was recorded, built here from git
# history) are upgraded in place by this one, and a newer one is refused.
#   1. tailgate 0.1 rolls out v1 and v2 (counter + blocklist, the counter
#      kept) onto two interfaces with live traffic;
#   2. this tailgate reads them (status: ABI 1, the live chain), rolls out
#      v3 over them: the dispatcher is swapped under the same link (link
#      id unchanged), the info map records ABI 2, the kept packet_count
#      map is the same map (id) and its count carries on, no datagram is
#      lost across the upgrade; the 0.1 generation stays in the other bank
#      and `rollback` flips back to it and forth again, one write each;
#   3. an attach point that says it was made by a newer tailgate (ABI 3 in
#      its info map) is refused by status, plan and apply, nothing changed.
set -u
top=$(cd "$(dirname "$0")/../.." && pwd)
. "$top/tests/lib/common.sh"

OLD_COMMIT=48c10f5	# main before this version: tailgate 0.1, datapath ABI 1

tg_test_begin upgrade
[[ -x $TG_TRAFFIC ]] || tg_fail "$TG_TRAFFIC is not built; run make"
git -C "$top" cat-file -e "$OLD_COMMIT^{commit}" 2>/dev/null ||
	tg_skip "commit $OLD_COMMIT (tailgate 0.1) is not in this clone's history (a shallow clone?)"
OLD=$TG_TMP/old
mkdir -p "$OLD"
git -C "$top" archive "$OLD_COMMIT" | tar -x -C "$OLD" || tg_fail "cannot unpack $OLD_COMMIT"
make -C "$OLD" -s -j2 build/tailgate build/bpf/counter.bpf.o build/bpf/blocklist.bpf.o \
	>"$TG_TMP/old-build.log" 2>&1 || tg_fail "building tailgate 0.1 failed: $(tail -n 5 "$TG_TMP/old-build.log")"
TG_OLD=$OLD/build/tailgate

tg_host tgup-ns0 tgup0 198.18.234.1/24 198.18.234.2
tg_host tgup-ns1 tgup1 198.18.235.1/24 198.18.235.2

plan() {	# FILE NAME BPF_DIR STAGES...
	local f=$1 name=$2 dir=$3 s
	shift 3
	{
		printf 'name: %s\nhook: xdp\ninterfaces:\n  canary: [tgup0]\n  fleet: [tgup1]\npipeline:\n' "$name"
		for s in "$@"; do
			printf '  - name: %s\n    object: %s/%s.bpf.o\n    program: %s\n' "$s" "$dir" "$s" "$s"
			[[ $s == counter ]] && printf '    keep_maps: [packet_count]\n'
		done
		printf 'steps:\n  - canary: {}\n  - analyze: {duration: 1s, interval: 500ms}\n  - promote: {batch: 1}\n'
		printf 'gates:\n  min_packets: 20\n  max_drop_ratio: 0.01\n'
	} >"$f"
}
P=$TAILGATE_PIN_ROOT/tgup0/xdp
count() { bpftool map dump pinned "$P/maps/packet_count" | sed -n 's/.*"value": *\([0-9]*\).*/\1/p' | head -n 1; }
id_of() { sed -n 's/^\([0-9][0-9]*\):.*/\1/p' | head -n 1; }

# Live traffic into both interfaces for the analyses, and a counted stream.
for i in 0 1; do
	nsenter --net=/run/netns/tgup-ns$i ping -q -i 0.01 -w 240 "198.18.$((234 + i)).1" >/dev/null 2>&1 &
	tg_on_exit "kill $!"
done

echo "# 1. tailgate 0.1 makes the attach points"
plan "$TG_TMP/v1.yaml" v1 "$OLD/build/bpf" counter
plan "$TG_TMP/v2.yaml" v2 "$OLD/build/bpf" counter blocklist
tg_check "0.1: apply v1" "$TG_OLD" apply "$TG_TMP/v1.yaml"
tg_check "0.1: apply v2" "$TG_OLD" apply "$TG_TMP/v2.yaml"
tg_check "0.1 made no info map (ABI 1)" test ! -e "$P/info"
old_head=$(tg_slot_prog_id "$P" 0)
old_bank=$([[ $old_head == "$(tg_slot_prog_id "$P" 17)" ]] && echo 17 || echo 1)
link_id=$(bpftool link show pinned "$P/link" | id_of)
map_id=$(bpftool map show pinned "$P/maps/packet_count" | id_of)
old_disp=$(bpftool link show pinned "$P/link" | sed -n 's/.* prog \([0-9]*\).*/\1/p')

echo "# 2. this tailgate reads and upgrades them"
out=$("$TG" status --json)
tg_assert_eq "$(jq -r '.attach_points[] | select(.ifname == "tgup0") | .abi' <<<"$out")" 1 \
	"status: tgup0 made with datapath ABI 1"
tg_assert_eq "$(jq -r '.attach_points[] | select(.ifname == "tgup0") | .health' <<<"$out")" ok \
	"status: tgup0 serving"
tg_assert_eq "$(jq -r '.attach_points[] | select(.ifname == "tgup0") | .slot0_prog_id' <<<"$out")" "$old_head" \
	"status reads slot 0 of the 0.1 attach point"
plan "$TG_TMP/v3.yaml" v3 "$top/build/bpf" counter blocklist
"$TG_TRAFFIC" recv --bind 198.18.234.1 --port 9500 --duration 60 --idle-ms 3000 >"$TG_TMP/rx" &
rx=$!
tg_wait_bound "" 198.18.234.1 9500
nsenter --net=/run/netns/tgup-ns0 "$TG_TRAFFIC" send --dst 198.18.234.1 --port 9500 --rate 2000 --duration 8 >"$TG_TMP/tx" &
tx=$!
sleep 1
c0=$(count)
"$TG" apply "$TG_TMP/v3.yaml" >"$TG_TMP/v3.out" 2>&1
tg_assert_eq "$?" 0 "apply v3 over the 0.1 attach points: promoted"
wait $tx
wait $rx
tg_check "the upgrade is said" grep -q "older tailgate.*upgraded in place" "$TG_TMP/v3.out"
tg_assert_eq "$(sed -n 's/.*lost=\([0-9]*\).*/\1/p' "$TG_TMP/rx")" 0 "no datagram lost across the upgrade"
tg_assert_eq "$(bpftool link show pinned "$P/link" | id_of)" "$link_id" "the same link (never detached)"
new_disp=$(bpftool link show pinned "$P/link" | sed -n 's/.* prog \([0-9]*\).*/\1/p')
tg_assert_ne "$new_disp" "$old_disp" "the dispatcher program was swapped under the link"
tg_check "the info map records ABI 2 (stock bpftool)" \
	bash -c "bpftool map dump pinned '$P/info' | grep -q '\"abi_version\": 2'"
tg_assert_eq "$(bpftool map show pinned "$P/maps/packet_count" | id_of)" "$map_id" "packet_count is the same map"
tg_check "the count carried on ($c0 -> $(count))" test "$(count)" -gt "$c0"
new_head=$(tg_slot_prog_id "$P" 0)
tg_assert_ne "$new_head" "$old_head" "slot 0 on the new generation"
tg_assert_eq "$(tg_slot_prog_id "$P" "$old_bank")" "$old_head" "the 0.1 generation stays in its bank"
tg_check "rollback to the 0.1 generation" "$TG" rollback tgup0
tg_assert_eq "$(tg_slot_prog_id "$P" 0)" "$old_head" "slot 0 back on the 0.1 head (one write)"
c1=$(count)
sleep 1
tg_check "the 0.1 counter counts on the same map ($c1 -> $(count))" test "$(count)" -gt "$c1"
tg_check "rollback again: the new generation" "$TG" rollback tgup0
tg_assert_eq "$(tg_slot_prog_id "$P" 0)" "$new_head" "slot 0 back on the new head"
tg_check "status: both attach points ABI 2 and ok" \
	bash -c "'$TG' status --json | jq -e '[.attach_points[] | select(.abi == 2 and .health == \"ok\")] | length == 2'"

echo "# 3. a newer attach point is refused"
# struct tg_ap_info: magic, abi_version, nr_slots, stats_size, ifindex,
# flags, u32 each: bytes 4..7 are the version.
raw=$(bpftool -j map lookup pinned "$P/info" key 0 0 0 0 | jq -r '.value[]' | tr '\n' ' ')
set -- $raw
[[ $# -eq 24 ]] || tg_fail "cannot read the info map's bytes: $raw"
bytes=("$@")
bytes[4]=0x03 bytes[5]=0x00 bytes[6]=0x00 bytes[7]=0x00
before=$(tg_slot_prog_id "$P" 0)
tg_check "bpftool writes ABI 3 into the info map" \
	bpftool map update pinned "$P/info" key 0 0 0 0 value "${bytes[@]}"
out=$("$TG" status --json)
tg_assert_eq "$(jq -r '.attach_points[] | select(.ifname == "tgup0") | .health' <<<"$out")" newer \
	"status: made by a newer tailgate"
"$TG" plan "$TG_TMP/v3.yaml" >"$TG_TMP/plan.out" 2>&1
tg_assert_eq "$?" 2 "plan refuses it (exit 2)"
tg_check "... saying a newer tailgate made it" grep -q "newer tailgate" "$TG_TMP/plan.out"
"$TG" apply --force "$TG_TMP/v3.yaml" >"$TG_TMP/apply.out" 2>&1
tg_assert_eq "$?" 2 "apply refuses it (exit 2)"
tg_assert_eq "$(tg_slot_prog_id "$P" 0)" "$before" "nothing changed on it"
bytes[4]=0x02
bpftool map update pinned "$P/info" key 0 0 0 0 value "${bytes[@]}"

tg_test_end
