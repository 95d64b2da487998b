#!/usr/bin/env bash
# SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause)
#
# test_restore: what a reboot does to the datapath (bpffs is empty), and
# an interface re-created under tailgate, under traffic:
#   1. `save` snapshots the kept maps; emptying the pin root takes every
#      dispatcher off (nothing holds the links any more);
#   2. `restore` re-installs each attach point's last promoted generation
#      from the captured plan and objects (the plan file and the object on
#      disk are gone by then), the kept counter comes back from its
#      snapshot and counts on, status is ok, traffic flows; a second
#      `restore` changes nothing;
#   3. `restore IFACE` for a re-created interface: its stale pins cleaned,
#      its generation back; the other interface untouched (same program);
#   4. a snapshot whose layout does not match is not loaded (the map
#      starts empty, with a message).
set -u
top=$(cd "$(dirname "$0")/../.." && pwd)
. "$top/tests/lib/common.sh"

tg_test_begin restore
[[ -x $TG_TRAFFIC ]] || tg_fail "$TG_TRAFFIC is not built; run make"
tg_host tgrs-ns0 tgrs0 198.18.236.1/24 198.18.236.2
tg_host tgrs-ns1 tgrs1 198.18.237.1/24 198.18.237.2
for i in 0 1; do
	nsenter --net=/run/netns/tgrs-ns$i ping -q -i 0.01 -w 200 "198.18.$((236 + i)).1" >/dev/null 2>&1 &
	tg_on_exit "kill $!"
done

mkdir -p "$TG_TMP/plans"
cp "$top/build/bpf/counter.bpf.o" "$TG_TMP/plans/counter.bpf.o"
cat >"$TG_TMP/plans/v1.yaml" <<EOF
name: restore-v1
hook: xdp
interfaces:
  canary: [tgrs0]
  fleet: [tgrs1]
pipeline:
  - name: counter
    object: counter.bpf.o
    program: counter
    keep_maps: [packet_count]
steps:
  - canary: {}
  - analyze: {duration: 1s, interval: 500ms}
  - promote: {batch: 1}
gates:
  min_packets: 20
EOF
P0=$TAILGATE_PIN_ROOT/tgrs0/xdp P1=$TAILGATE_PIN_ROOT/tgrs1/xdp
count() { bpftool map dump pinned "$1/maps/packet_count" | sed -n 's/.*"value": *\([0-9]*\).*/\1/p' | head -n 1; }
gen_of() { "$TG" status --json | jq -r --arg i "$1" '.attach_points[] | select(.ifname == $i) | .live_generation'; }
health_of() { "$TG" status --json | jq -r --arg i "$1" '.attach_points[] | select(.ifname == $i) | .health'; }

tg_check "apply v1" "$TG" apply -q "$TG_TMP/plans/v1.yaml"
gen=$(gen_of tgrs0)
sleep 1
echo "# 1. save, then what a reboot does"
tg_check "save" "$TG" save
c_saved=$(count "$P0")
tg_check "a snapshot of tgrs0's packet_count exists" test -s "$TAILGATE_STATE_DIR/snapshots/tgrs0.xdp/packet_count"
rm -rf "$TAILGATE_PIN_ROOT" "$TG_TMP/plans"	# bpffs empty; the plan and object gone too
sleep 0.5
tg_check "no XDP program left on tgrs0 (the links went with their pins)" \
	bash -c "! ip link show dev tgrs0 | grep -q xdp"
echo "# 2. restore"
"$TG" restore >"$TG_TMP/restore.out" 2>&1
tg_assert_eq "$?" 0 "restore exits 0"
tg_check "restore says what it did" grep -q "tgrs0/xdp: generation $gen .* restored" "$TG_TMP/restore.out"
tg_assert_eq "$(gen_of tgrs0)" "$gen" "tgrs0 serves generation $gen again"
tg_assert_eq "$(gen_of tgrs1)" "$gen" "tgrs1 serves generation $gen again"
tg_assert_eq "$(health_of tgrs0)" ok "tgrs0 ok"
c1=$(count "$P0")
tg_check "packet_count came back from its snapshot ($c_saved -> $c1)" test "$c1" -ge "$c_saved"
sleep 1
tg_check "and counts on ($(count "$P0") > $c1)" test "$(count "$P0")" -gt "$c1"
"$TG_TRAFFIC" recv --bind 198.18.236.1 --port 9600 --duration 10 --idle-ms 1500 >"$TG_TMP/rx" &
rx=$!
tg_wait_bound "" 198.18.236.1 9600
nsenter --net=/run/netns/tgrs-ns0 "$TG_TRAFFIC" send --dst 198.18.236.1 --port 9600 --count 500 --rate 2000 >/dev/null
wait $rx
tg_assert_eq "$(sed -n 's/.*received=\([0-9]*\).*/\1/p' "$TG_TMP/rx")" 500 "traffic flows through the restored datapath"
id0=$(tg_slot_prog_id "$P0" 0)
"$TG" restore >"$TG_TMP/restore2.out" 2>&1
tg_assert_eq "$?" 0 "a second restore exits 0"
tg_assert_eq "$(tg_slot_prog_id "$P0" 0)" "$id0" "... and changes nothing"

echo "# 3. a re-created interface"
id0=$(tg_slot_prog_id "$P0" 0)
ip link del tgrs1
ip netns del tgrs-ns1
tg_host tgrs-ns1 tgrs1 198.18.237.1/24 198.18.237.2
tg_assert_eq "$(health_of tgrs1)" stale "status: tgrs1 stale"
"$TG" restore tgrs1 >"$TG_TMP/restore3.out" 2>&1
tg_assert_eq "$?" 0 "restore tgrs1 exits 0"
tg_assert_eq "$(health_of tgrs1)" ok "tgrs1 ok again"
tg_assert_eq "$(gen_of tgrs1)" "$gen" "tgrs1 serves generation $gen"
tg_assert_eq "$(tg_slot_prog_id "$P0" 0)" "$id0" "tgrs0 untouched"

echo "# 4. a snapshot of another layout is not loaded"
"$TG" save >/dev/null
printf 'garbage' >>"$TAILGATE_STATE_DIR/snapshots/tgrs0.xdp/packet_count"
rm -rf "$TAILGATE_PIN_ROOT"
"$TG" restore >"$TG_TMP/restore4.out" 2>&1
tg_assert_eq "$?" 0 "restore with a damaged snapshot still restores"
tg_check "... saying the snapshot does not match" grep -q "snapshot of kept map 'packet_count' does not match" "$TG_TMP/restore4.out"
tg_assert_eq "$(gen_of tgrs0)" "$gen" "tgrs0 serves generation $gen"

tg_test_end
