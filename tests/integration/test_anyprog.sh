#!/usr/bin/env bash
# SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause)
#
# test_anyprog: any XDP or tc program is a stage, unmodified, rolled out
# through canary, analysis and promotion under traffic. Counters are read
# with stock bpftool (the attach point's stats map, the programs' own
# maps), and every count is exact: the links are quiet (no IPv6,
# permanent neighbours), so tgtraffic's datagrams and END markers are all
# the datapath sees.
#
#  1. The seed article's counter, verbatim (bpf/seed_counter.bpf.c), on
#     XDP; the same counter written as a plain SEC("tc") program on
#     tc-ingress (the verbatim XDP one is refused there, exit 2): its
#     packet_count_map counts every datagram, keeps its id and its count
#     across an upgrade (keep_maps), tailgate's counters under its slot
#     are exact, and `tailgate plan` warns about its (*value)++ race.
#  2. An unmodified filter in the middle of a chain: its drops under its
#     slot, the next stage sees only what it passed; continue_on [pass,
#     drop] hands everything on; tx leaves the chain (stop on tx).
#  3. Shadow: a drop-everything stage in shadow loses no packet and its
#     drop counter equals what it saw; enforcing, the canary's gates roll
#     it back; a shadow stage that rewrites packets is warned about.
#  4. Third-party objects as shipped: a LIBBPF_PIN_BY_NAME map (separate
#     per interface and per generation unless kept, nothing pinned
#     outside the pin root), several programs, .rodata/.bss/.data,
#     subprograms and global functions, a CO-RE relocation, an object
#     without BTF (in 2); XDP_RUN_CONFIG's chain-call
#     actions as the default continue_on; xdp-filter's packaged object
#     with its port map filled by stock bpftool.
#  5. Refusals (exit 2, every live slot unchanged): a stack too big once
#     wrapped, wrong program types, xdp.frags, a program whose own tail
#     calls break the 256-byte rule once wrapped.
set -u
top=$(cd "$(dirname "$0")/../.." && pwd)
# shellcheck source=../lib/common.sh
. "$top/tests/lib/common.sh"
# shellcheck source=../lib/stages.sh
. "$top/tests/lib/stages.sh"

tg_test_begin anyprog
BPF=$top/build/bpf
TB=$top/build/tests/bpf
P=$TG_TMP/plans
mkdir -p "$P"
tg_need "$TG" "$TG_TRAFFIC" "$BPF/seed_counter.bpf.o" "$TB/tp_ports.bpf.o" "$TB/tp_seed_tc.bpf.o" \
	"$TB/tp_kitchen.bpf.o" "$TB/tp_runcfg.bpf.o" "$TB/tp_bigstack.bpf.o" "$TB/tp_tailcall.bpf.o"
command -v jq >/dev/null || tg_skip "jq is not installed"

N0=198.18.244 N1=198.18.245 N2=198.18.246
st_host tgaph0 tgap0 $N0
st_host tgaph1 tgap1 $N1
st_host tgaph2 tgap2 $N2
SEED="seed|$BPF/seed_counter.bpf.o|xdp_packet_counter"
SEED_TC="seed|$TB/tp_seed_tc.bpf.o|tc_packet_counter"
PORTS=$TB/tp_ports.bpf.o
# tp_ports verdicts by UDP port (tests/bpf/progs/tp_ports.bpf.c)
PASS_PORT=9400 DROP_PORT=9411 TX_PORT=9412
FRAME=106	# tgtraffic's 64-byte payload + UDP, IPv4 and Ethernet headers

# apply_bg WANT DESC PLAN [lossless]: apply under 1000 pps into tgap0,
# tgap1 and tgap2, insist on its exit code; the background flows lose nothing
# when WANT is 0 or "lossless" is given (every stage passes port 9400).
apply_bg() {
	local want=$1 desc=$2 plan=$3 lossless=${4:-} rc line
	st_bg_start tgaph0 $N0 $PASS_PORT
	st_bg_start tgaph1 $N1 $PASS_PORT
	st_bg_start tgaph2 $N2 $PASS_PORT
	sleep 0.5
	"$TG" apply "$plan" >"$TG_TMP/apply.out" 2>&1
	rc=$?
	sleep 0.3
	st_bg_stop
	tg_assert_eq "$rc" "$want" "$desc: apply exits $want"
	[[ $rc == "$want" ]] || sed 's/^/    | /' "$TG_TMP/apply.out" | tail -n 15 >&2
	if [[ $want == 0 || -n $lossless ]]; then
		while read -r line; do
			[[ -n $line ]] || continue
			tg_check "$desc: no datagram lost during the rollout ($line)" \
				eval "[[ '$line' =~ sent=([0-9]+)\ received=([0-9]+)\ lost=0 ]] && [[ \${BASH_REMATCH[1]} == \${BASH_REMATCH[2]} ]]"
		done <<<"$ST_BG"
	fi
}

# --- 1. the seed's counter on XDP and tc ---------------------------------------

seed_pass() {	# HOOK STAGE
	local hook=$1 stage=$2 pin0=$TAILGATE_PIN_ROOT/tgap0/$1 pin1=$TAILGATE_PIN_ROOT/tgap1/$1
	local id0 id1 c0 c1 head gen slot
	local -A a b d
	st_plan "$P/seed1-$hook.yaml" seed-v1 "$hook" tgap0 tgap1 "$stage|keep_maps: [packet_count_map]"
	st_plan "$P/seed2-$hook.yaml" seed-v2 "$hook" tgap0 tgap1 "$stage|keep_maps: [packet_count_map]" \
		"ports|$PORTS|$([[ $hook == xdp ]] && echo xdp || echo tc)_port_policy"
	"$TG" plan "$P/seed1-$hook.yaml" >"$TG_TMP/plan.out" 2>"$TG_TMP/plan.err"
	tg_assert_eq "$?" 0 "$hook: tailgate plan of the seed's counter exits 0"
	tg_check "$hook: plan warns about the (*value)++ race, naming stage, map and instruction" \
		grep -Eq "stage 'seed': insn [0-9]+ of '(xdp|tc)_packet_counter' .*map 'packet_count_map'.*\(\*value\)\+\+" "$TG_TMP/plan.err"
	apply_bg 0 "$hook: seed v1 (canary tgap0, analysis, promotion to tgap1)" "$P/seed1-$hook.yaml"
	tg_check "$hook: apply warns about the race too" grep -q "(\*value)++ race" "$TG_TMP/apply.out"
	id0=$(bpftool -j map show pinned "$pin0/maps/packet_count_map" | jq .id)
	id1=$(bpftool -j map show pinned "$pin1/maps/packet_count_map" | jq .id)
	tg_assert_ne "$id0" "$id1" "$hook: each interface has its own packet_count_map ($id0, $id1)"
	head=$(tg_slot_prog_id "$pin0" 0)
	tg_assert_eq "$(st_prog_map "$head" packet_count_map)" "$id0" \
		"$hook: the live stage on tgap0 uses the pinned packet_count_map"
	for gen in v1 v2; do
		slot=$([[ $gen == v2 ]] && echo 17 || echo 1)
		st_read b "$pin0" $slot
		c0=$(st_dump_u64 "$pin0/maps/packet_count_map")
		st_burst tgaph0 $N0 $PASS_PORT 3000
		c1=$(st_dump_u64 "$pin0/maps/packet_count_map")
		st_read a "$pin0" $slot
		st_delta d a b
		tg_assert_eq "$ST_RECEIVED/$ST_LOST" "3000/0" "$hook $gen: every datagram of the burst arrived"
		tg_assert_eq "$((c1 - c0))" "$((ST_SENT + ST_END))" \
			"$hook $gen: packet_count_map (bpftool map dump) counted the burst: sent + END markers"
		tg_assert_eq "${d[packets]}" "$((ST_SENT + ST_END))" "$hook $gen: the seed's slot counted the burst"
		tg_assert_eq "${d[pass]}" "$((ST_SENT + ST_END))" "$hook $gen: ... all as pass"
		st_identity "$hook $gen: seed slot (burst)" d
		st_identity "$hook $gen: seed slot (since load)" a
		tg_assert_eq "${d[bytes]}" "$((FRAME * (ST_SENT + ST_END)))" \
			"$hook $gen: ... and their bytes ($FRAME-byte frames)"
		if [[ $gen == v1 ]]; then
			apply_bg 0 "$hook: seed v2 (seed + a filter), keeping packet_count_map" "$P/seed2-$hook.yaml"
			tg_assert_eq "$(bpftool -j map show pinned "$pin0/maps/packet_count_map" | jq .id)" "$id0" \
				"$hook: packet_count_map keeps its id across the upgrade"
			head=$(tg_slot_prog_id "$pin0" 0)
			tg_assert_eq "$head" "$(tg_slot_prog_id "$pin0" 17)" "$hook: v2 is live in bank B"
			tg_assert_eq "$(st_prog_map "$head" packet_count_map)" "$id0" \
				"$hook: v2's seed stage uses the same map"
			tg_assert_ge "$(st_dump_u64 "$pin0/maps/packet_count_map")" "$c1" \
				"$hook: the count carried over (>= $c1 before the upgrade)"
		fi
	done
	"$TG" detach tgap0 tgap1 >/dev/null
}

seed_pass xdp "$SEED"
seed_pass tc-ingress "$SEED_TC"

# The verbatim XDP program on a tc hook: refused, clearly.
st_plan "$P/seed-on-tc.yaml" seed-on-tc tc-ingress tgap0 "" "$SEED"
"$TG" plan "$P/seed-on-tc.yaml" >/dev/null 2>"$TG_TMP/err"
tg_assert_eq "$?" 2 "the verbatim XDP counter on tc-ingress: plan exits 2"
tg_check "... and says the program type is wrong for the hook" \
	grep -q "stage 'seed' on tgap0/tc-ingress: wrong program type for 'xdp_packet_counter'.*hook tc-ingress runs sched_cls programs" "$TG_TMP/err"
tg_check "... and leaves no pins" eval "[[ ! -e $TAILGATE_PIN_ROOT/tgap0/tc-ingress ]]"

# live_base PINDIR: first slot of the live bank (1 or 17), from bpftool.
live_base() {
	local s0
	s0=$(tg_slot_prog_id "$1" 0)
	if [[ -n $s0 && $s0 == "$(tg_slot_prog_id "$1" 1)" ]]; then
		echo 1
	elif [[ -n $s0 && $s0 == "$(tg_slot_prog_id "$1" 17)" ]]; then
		echo 17
	else
		echo 0
	fi
}

# snap_all: everything a refused plan must leave alone, from the kernel
# and the file system: every slot of every attach point, links, pins
# (inodes: a re-pin changes them), state files.
snap_all() {
	local d
	find "$TAILGATE_PIN_ROOT" -printf '%P %y %i\n' 2>/dev/null | sort
	for d in "$TAILGATE_PIN_ROOT"/*/*/; do
		[[ -e $d/slots ]] || continue
		echo "$d slots: $(st_slots "$d")"
		echo "$d link: $(bpftool -j link show pinned "$d/link" 2>/dev/null | jq -c '[.id, .prog_id]')"
	done
	(cd "$TAILGATE_STATE_DIR" && find . -type f ! -name lock ! -name history.jsonl -exec md5sum {} + | sort)
}

# --- 2. an unmodified filter in the middle of a chain ----------------------------

# mid_chain HOOK LABEL CONTINUE_ON: chain seed | ports | seed on tgap0,
# bursts to the pass, drop and tx ports; the middle stage's verdicts under
# its slot, the last stage sees exactly what the middle one handed on.
mid_chain() {	# HOOK LABEL CONTINUE_ON [FILTER-OBJECT]
	local hook=$1 label=$2 cont=$3 obj=${4:-$PORTS} pin=$TAILGATE_PIN_ROOT/tgap0/$1 base m1 m3 c1 c3 n
	local prog=$([[ $hook == xdp ]] && echo xdp || echo tc)_port_policy
	local seedspec=$([[ $hook == xdp ]] && echo "$BPF/seed_counter.bpf.o|xdp_packet_counter" || echo "$TB/tp_seed_tc.bpf.o|tc_packet_counter")
	local -A b1 b2 b3 a1 a2 a3 d1 d2 d3 want
	st_plan "$P/mid-$hook-$label.yaml" "mid-$label" "$hook" tgap0 "" \
		"first|$seedspec" "ports|$obj|$prog|${cont:+continue_on: [$cont]}" "last|$seedspec"
	apply_bg 0 "$hook $label: seed | ports | seed" "$P/mid-$hook-$label.yaml"
	base=$(live_base "$pin")
	tg_assert_ne "$base" 0 "$hook $label: a bank is live"
	m1=$(st_prog_map "$(tg_slot_prog_id "$pin" "$base")" packet_count_map)
	m3=$(st_prog_map "$(tg_slot_prog_id "$pin" $((base + 2)))" packet_count_map)
	tg_assert_ne "$m1" "$m3" "$hook $label: the two seed stages have a packet_count_map each ($m1, $m3)"
	st_read b1 "$pin" "$base"; st_read b2 "$pin" $((base + 1)); st_read b3 "$pin" $((base + 2))
	c1=$(st_map_u64 "$m1") c3=$(st_map_u64 "$m3")
	st_burst tgaph0 $N0 $PASS_PORT 3000
	tg_assert_eq "$ST_RECEIVED" 3000 "$hook $label: the pass port's 3000 datagrams arrive"
	st_burst tgaph0 $N0 $DROP_PORT 1000
	want[drop_rx]=$([[ $cont == *drop* ]] && echo 1000 || echo 0)
	tg_assert_eq "$ST_RECEIVED" "${want[drop_rx]}" "$hook $label: of the drop port's 1000, ${want[drop_rx]} arrive"
	st_burst tgaph0 $N0 $TX_PORT 500
	n=$((3 * ST_END))
	st_read a1 "$pin" "$base"; st_read a2 "$pin" $((base + 1)); st_read a3 "$pin" $((base + 2))
	st_delta d1 a1 b1; st_delta d2 a2 b2; st_delta d3 a3 b3
	want[all]=$((4500 + n))
	want[drop]=$((1000 + ST_END))
	if [[ $hook == xdp ]]; then
		want[tx]=$((500 + ST_END)) want[pass]=$((3000 + ST_END))
	else
		want[tx]=0 want[pass]=$((3500 + 2 * ST_END))	# tc: no tx, the tx port passes
	fi
	want[on]=${want[pass]}
	[[ $cont == *drop* ]] && want[on]=$((want[pass] + want[drop]))
	tg_assert_eq "${d1[packets]}/${d1[continued]}" "${want[all]}/${want[all]}" \
		"$hook $label: the first stage saw and handed on every datagram"
	tg_assert_eq "${d2[packets]}" "${want[all]}" "$hook $label: the filter saw every datagram"
	tg_assert_eq "${d2[drop]}" "${want[drop]}" "$hook $label: the filter's drops counted under its slot"
	tg_assert_eq "${d2[tx]}" "${want[tx]}" "$hook $label: the filter's tx counted under its slot"
	tg_assert_eq "${d2[pass]}" "${want[pass]}" "$hook $label: the filter's passes counted under its slot"
	tg_assert_eq "${d2[continued]}" "${want[on]}" \
		"$hook $label: the filter handed on ${want[on]} (continue_on [${cont:-pass}]; tx stops)"
	tg_assert_eq "${d3[packets]}" "${want[on]}" "$hook $label: the next stage saw only what the filter handed on"
	tg_assert_eq "$(($(st_map_u64 "$m3") - c3))" "${want[on]}" \
		"$hook $label: ... and so did its own packet_count_map (bpftool)"
	tg_assert_eq "$(($(st_map_u64 "$m1") - c1))" "${want[all]}" \
		"$hook $label: the first stage's packet_count_map counted every datagram"
	st_identity "$hook $label: first stage" d1
	st_identity "$hook $label: filter" d2
	st_identity "$hook $label: last stage" d3
	tg_assert_eq "$((d1[tail_miss] + d2[tail_miss] + d3[tail_miss]))" 0 "$hook $label: no tail miss"
}

mid_chain xdp default ""
mid_chain xdp on-drop "pass, drop"
# The same filter shipped without BTF (stripped, as some vendors ship).
llvm-objcopy --remove-section=.BTF --remove-section=.BTF.ext --remove-section=.rel.BTF \
	--remove-section=.rel.BTF.ext "$PORTS" "$TG_TMP/tp_ports.nobtf.o"
tg_check "the stripped filter object has no BTF (bpftool btf dump fails)" \
	eval "! bpftool btf dump file $TG_TMP/tp_ports.nobtf.o >/dev/null 2>&1"
mid_chain xdp no-btf "" "$TG_TMP/tp_ports.nobtf.o"
"$TG" detach tgap0 >/dev/null
mid_chain tc-ingress default ""
"$TG" detach tgap0 >/dev/null

# --- 3. shadow -------------------------------------------------------------------

PIN0=$TAILGATE_PIN_ROOT/tgap0/xdp PIN1=$TAILGATE_PIN_ROOT/tgap1/xdp
LENIENT='min_packets: 20;max_drop_ratio: 1;max_drop_ratio_delta: 1;max_verdict_delta: 1;max_aborted: 0;max_tail_misses: 0'
st_plan "$P/base.yaml" base xdp tgap0 tgap1 "$SEED"
apply_bg 0 "shadow setup: the seed live on tgap0 and tgap1" "$P/base.yaml"
ST_GATES=$LENIENT st_plan "$P/shadow.yaml" shadow xdp tgap0 tgap1 \
	"dropper|$PORTS|xdp_drop_all|mode: shadow" "$SEED"
apply_bg 0 "drop-everything stage in shadow (gates allow its would-be drops)" "$P/shadow.yaml"
base=$(live_base "$PIN0")
tg_check "the shadow generation is live" eval "[[ $base != 0 && \$(live_base $PIN1) == $base ]]"
"$TG" status --json >"$TG_TMP/status.json" 2>/dev/null
tg_assert_eq "$(jq -c '[.attach_points[] | select(.ifname == "tgap0") | .banks[] | select(.live) | .stages[] | [.name, .shadow]]' "$TG_TMP/status.json")" \
	'[["dropper",true],["seed",false]]' "status --json marks the dropper as shadow, the seed not"
"$TG" status >"$TG_TMP/status.out" 2>&1
tg_check "status marks the shadow stage" grep -Eq "dropper\[[0-9]+\]=[0-9]+\(shadow\) seed\[" "$TG_TMP/status.out"
"$TG" stats --json >"$TG_TMP/stats.json" 2>/dev/null
tg_assert_eq "$(jq -c '[.attach_points[] | select(.ifname == "tgap0") | .slots[] | select(.generation_role == "live") | [.stage, .shadow]]' "$TG_TMP/stats.json")" \
	'[["dropper",true],["seed",false]]' "stats --json marks the dropper as shadow"
"$TG" stats >"$TG_TMP/stats.out" 2>&1
tg_check "stats marks the shadow stage" grep -q "dropper (shadow) *live" "$TG_TMP/stats.out"
declare -A sb sa sd nb na nd
st_read sb "$PIN0" "$base"; st_read nb "$PIN0" $((base + 1))
st_burst tgaph0 $N0 $PASS_PORT 3000
st_read sa "$PIN0" "$base"; st_read na "$PIN0" $((base + 1))
st_delta sd sa sb; st_delta nd na nb
tg_assert_eq "$ST_RECEIVED/$ST_LOST" "3000/0" "shadow: no datagram lost"
tg_assert_eq "${sd[drop]}" "${sd[packets]}" "shadow: the stage's drop counter equals the packets it saw"
tg_assert_eq "${sd[packets]}" "$((ST_SENT + ST_END))" "shadow: ... which is every datagram sent"
tg_assert_eq "${sd[continued]}" "${sd[packets]}" "shadow: every packet went on as if passed"
tg_assert_eq "${nd[packets]}" "${sd[packets]}" "shadow: the next stage saw them all"
st_identity "shadow stage" sd
head0=$(tg_slot_prog_id "$PIN0" 0) head1=$(tg_slot_prog_id "$PIN1" 0)
# The same shadow stage under the default gates: judged by what it
# would have done, rolled back, and still no packet lost meanwhile.
st_plan "$P/shadow-strict.yaml" shadow-strict xdp tgap0 tgap1 \
	"dropper|$PORTS|xdp_drop_all|mode: shadow" "$SEED"
apply_bg 3 "shadow under strict gates: its would-be drops fail them" "$P/shadow-strict.yaml" lossless
tg_check "... the gate that failed is the drop ratio" grep -q "max_drop_ratio" "$TG_TMP/apply.out"
tg_assert_eq "$(tg_slot_prog_id "$PIN0" 0)" "$head0" "... tgap0 is back on the previous generation"
tg_assert_eq "$(tg_slot_prog_id "$PIN1" 0)" "$head1" "... tgap1 (fleet) was never touched"
# Enforcing: the canary's gates catch it, it is rolled back.
st_plan "$P/enforce.yaml" enforce xdp tgap0 tgap1 "dropper|$PORTS|xdp_drop_all" "$SEED"
apply_bg 3 "the drop-everything stage enforcing" "$P/enforce.yaml"
tg_check "... caught by the canary's drop-ratio gate" grep -q "max_drop_ratio" "$TG_TMP/apply.out"
tg_assert_eq "$(tg_slot_prog_id "$PIN0" 0)" "$head0" "... tgap0 rolled back to the previous generation"
tg_assert_eq "$(tg_slot_prog_id "$PIN1" 0)" "$head1" "... tgap1 (fleet) was never touched"
st_burst tgaph0 $N0 $PASS_PORT 1000
tg_assert_eq "$ST_RECEIVED" 1000 "... and traffic flows through the previous generation"
# A shadow stage that rewrites packets: plan and apply say so.
st_plan "$P/rewrite.yaml" rewrite xdp tgap0 "" "rw|$TB/tp_rewrite.bpf.o|xdp_rewrite|mode: shadow" "$SEED"
st_plan "$P/rewrite-enf.yaml" rewrite-enf xdp tgap0 "" "rw|$TB/tp_rewrite.bpf.o|xdp_rewrite" "$SEED"
"$TG" plan "$P/rewrite.yaml" >/dev/null 2>"$TG_TMP/err"
tg_assert_eq "$?" 0 "a rewriting stage in shadow: plan passes (a warning, not a refusal)"
tg_check "... and warns: shadow mode, the helper it calls, the packet writes" \
	grep -q "stage 'rw' is in shadow mode but calls bpf_xdp_adjust_head and writes packet data" "$TG_TMP/err"
apply_bg 0 "a rewriting stage in shadow" "$P/rewrite.yaml"
tg_check "... apply warns too" grep -q "stage 'rw' is in shadow mode but calls bpf_xdp_adjust_head" "$TG_TMP/apply.out"
"$TG" plan "$P/rewrite-enf.yaml" >/dev/null 2>"$TG_TMP/err"
tg_check "the same stage enforcing: no shadow warning" eval "! grep -q 'shadow mode' $TG_TMP/err"
"$TG" detach tgap0 tgap1 >/dev/null

# --- 4. third-party objects as they are shipped ------------------------------------

# kitchen: a map pinned by name, .rodata/.bss/.data, a subprogram, a global
# function, three programs. Canary tgap1, fleet tgap2.
KIT=$TB/tp_kitchen.bpf.o
tg_check "tp_kitchen has a global function and a map pinned by name (bpftool btf dump)" eval \
	"bpftool btf dump file $KIT | grep -q \"FUNC 'kitchen_count'.*linkage=global\" &&
	 bpftool btf dump file $KIT | grep -q \"'pinning'\""
TOP_BEFORE=$(ls -A /sys/fs/bpf | sort)
K1=$TAILGATE_PIN_ROOT/tgap1/xdp K2=$TAILGATE_PIN_ROOT/tgap2/xdp
kit_plan() {	# NAME [EXTRA]
	st_plan "$P/$1.yaml" "$1" xdp tgap1 tgap2 "kitchen|$KIT|kitchen_xdp|${2:-}"
}
# bss_data PROGID: "BSS DATA PORT": bss_packets, data_packets and drop_port
# from the program's .bss, .data and .rodata maps
bss_data() {
	local m name b="" d="" r=""
	for m in $(bpftool -j prog show id "$1" | jq -r '.map_ids[]'); do
		name=$(bpftool -j map show id "$m" | jq -r .name)
		case $name in
		*.bss) b=$(bpftool -j map dump id "$m" | jq '[.. | objects | .bss_packets? // empty] | first') ;;
		*.data) d=$(bpftool -j map dump id "$m" | jq '[.. | objects | .data_packets? // empty] | first') ;;
		*.rodata) r=$(bpftool -j map dump id "$m" | jq '[.. | objects | .drop_port? // empty] | first') ;;
		esac
	done
	echo "$b $d $r"
}
declare -A kb ka kd
kit_round() {	# LABEL: bursts into tgap1 (pass + drop port) and tgap2; checks
	local label=$1 p1 p2 s1 s2 seen1 drop1 seen2 core1 bd0 bd1
	p1=$(tg_slot_prog_id "$K1" 0) p2=$(tg_slot_prog_id "$K2" 0)
	s1=$(st_prog_map "$p1" kitchen_seen) s2=$(st_prog_map "$p2" kitchen_seen)
	tg_assert_ne "$s1" "$s2" "$label: tgap1 and tgap2 have separate kitchen_seen maps ($s1, $s2)"
	tg_check "$label: the decoy program (drops everything) was not loaded as the stage" \
		eval "! bpftool prog show | grep -q kitchen_decoy"
	seen1=$(st_map_u64 "$s1" 0) drop1=$(st_map_u64 "$s1" 1) seen2=$(st_map_u64 "$s2" 0)
	core1=$(st_map_u64 "$s1" 2)
	read -r -a bd0 < <(bss_data "$p1")
	st_read kb "$K1" "$(live_base "$K1")"
	st_burst tgaph1 $N1 $PASS_PORT 2000
	tg_assert_eq "$ST_RECEIVED" 2000 "$label: tgap1's pass-port datagrams arrive"
	st_burst tgaph1 $N1 9421 500
	tg_assert_eq "$ST_RECEIVED" 0 "$label: UDP to the .rodata drop_port (9421) is dropped"
	st_burst tgaph2 $N2 $PASS_PORT 1000
	st_read ka "$K1" "$(live_base "$K1")"
	st_delta kd ka kb
	read -r -a bd1 < <(bss_data "$p1")
	tg_assert_eq "${bd1[2]}" 9421 "$label: the stage's .rodata holds drop_port 9421 (bpftool map dump)"
	tg_assert_eq "$(($(st_map_u64 "$s1" 0) - seen1))" $((2500 + 2 * ST_END)) \
		"$label: tgap1's kitchen_seen[0] counted tgap1's datagrams only"
	tg_assert_eq "$(($(st_map_u64 "$s1" 1) - drop1))" $((500 + ST_END)) "$label: tgap1's kitchen_seen[1] counted its drops"
	tg_assert_eq "$(($(st_map_u64 "$s1" 2) - core1))" $((2500 + 2 * ST_END)) \
		"$label: kitchen_seen[2]: the source address read at its CO-RE-relocated offset is 198.18.0.0/15"
	tg_assert_eq "$(($(st_map_u64 "$s2" 0) - seen2))" $((1000 + ST_END)) \
		"$label: tgap2's kitchen_seen[0] counted tgap2's datagrams only"
	tg_assert_eq "$((bd1[0] - bd0[0]))/$((bd1[1] - bd0[1]))" "$((2500 + 2 * ST_END))/$((2500 + 2 * ST_END))" \
		"$label: .bss bss_packets and .data data_packets counted them too"
	tg_assert_eq "$((bd1[1] - bd1[0]))" 1000 "$label: .data started at 1000, .bss at 0"
	tg_assert_eq "${kd[drop]}/${kd[pass]}" "$((500 + ST_END))/$((2000 + ST_END))" \
		"$label: tailgate's slot counted the drops and passes"
	st_identity "$label: kitchen slot" kd
	KIT_SEEN=$s1
}
kit_plan kit1
apply_bg 0 "kitchen v1 (LIBBPF_PIN_BY_NAME map, not kept)" "$P/kit1.yaml"
kit_round "kitchen v1"
v1_seen=$KIT_SEEN
kit_plan kit2
apply_bg 0 "kitchen v2 (still not kept)" "$P/kit2.yaml"
kit_round "kitchen v2"
tg_assert_ne "$KIT_SEEN" "$v1_seen" "kitchen v2: an upgrade without keep_maps starts a fresh kitchen_seen"
kit_plan kit3 "keep_maps: [kitchen_seen]"
apply_bg 0 "kitchen v3 (kitchen_seen kept)" "$P/kit3.yaml"
kit_round "kitchen v3"
k1=$(bpftool -j map show pinned "$K1/maps/kitchen_seen" | jq .id)
k2=$(bpftool -j map show pinned "$K2/maps/kitchen_seen" | jq .id)
tg_assert_eq "$k1" "$KIT_SEEN" "kitchen v3: the kept map is pinned in tgap1's maps/"
tg_assert_ne "$k1" "$k2" "kitchen v3: kept, it is still one map per interface"
c3=$(st_map_u64 "$k1" 0)
kit_plan kit4 "keep_maps: [kitchen_seen]"
apply_bg 0 "kitchen v4 (kitchen_seen kept)" "$P/kit4.yaml"
kit_round "kitchen v4"
tg_assert_eq "$KIT_SEEN" "$k1" "kitchen v4: the kept kitchen_seen kept its id across the upgrade"
tg_assert_ge "$(st_map_u64 "$k1" 0)" "$((c3 + 2500))" "kitchen v4: its count carried on"
TOP_AFTER=$(ls -A /sys/fs/bpf | sort)
new_top=$(comm -13 <(echo "$TOP_BEFORE") <(echo "$TOP_AFTER") | grep -v "^${TAILGATE_PIN_ROOT##*/}$" | tr '\n' ' ')
echo "# /sys/fs/bpf top level: new entries during the kitchen rounds: '${new_top}' (other users of the machine may add theirs)"
tg_check "nothing of the kitchen's pinned at the /sys/fs/bpf top level" \
	eval "! grep -qx -e kitchen_seen -e kitchen_xdp -e kitchen <<<\"$TOP_AFTER\""
tg_check "no kitchen_seen pinned anywhere outside the pin root" \
	eval "[[ -z \$(find /sys/fs/bpf -maxdepth 4 -name kitchen_seen -not -path '$TAILGATE_PIN_ROOT/*' 2>/dev/null) ]]"
"$TG" detach tgap1 tgap2 >/dev/null

# runcfg: XDP_RUN_CONFIG chains on pass and drop: the default continue_on.
RUNCFG="runcfg|$TB/tp_runcfg.bpf.o|xdp_runcfg_filter"
runcfg_round() {	# LABEL EXTRA WANT_ON_DROP
	local label=$1 base
	local -A rb ra rd lb la ld
	st_plan "$P/$label.yaml" "$label" xdp tgap0 "" "$RUNCFG|$2" "$SEED"
	"$TG" plan "$P/$label.yaml" >"$TG_TMP/plan.out" 2>&1
	if [[ -z $2 ]]; then
		tg_check "$label: plan shows continue_on [pass,drop] from XDP_RUN_CONFIG" \
			grep -q "xdp_runcfg_filter .*continue_on \[pass,drop\] (XDP_RUN_CONFIG)" "$TG_TMP/plan.out"
	else
		tg_check "$label: plan shows the plan's continue_on [pass]" \
			eval "grep 'xdp_runcfg_filter' $TG_TMP/plan.out | grep -q 'continue_on \[pass\]\$'"
	fi
	apply_bg 0 "$label" "$P/$label.yaml"
	base=$(live_base "$PIN0")
	st_read rb "$PIN0" "$base"; st_read lb "$PIN0" $((base + 1))
	st_burst tgaph0 $N0 9431 1000
	tg_assert_eq "$ST_RECEIVED" "$3" "$label: of 1000 datagrams to its drop port, $3 arrive"
	st_burst tgaph0 $N0 $PASS_PORT 1000
	st_read ra "$PIN0" "$base"; st_read la "$PIN0" $((base + 1))
	st_delta rd ra rb; st_delta ld la lb
	tg_assert_eq "${rd[drop]}" $((1000 + ST_END)) "$label: its drops counted under its slot"
	tg_assert_eq "${ld[packets]}" "$([[ $3 == 0 ]] && echo $((1000 + ST_END)) || echo $((2000 + 2 * ST_END)))" \
		"$label: the next stage saw $([[ $3 == 0 ]] && echo "only the passes" || echo "everything")"
	st_identity "$label: runcfg slot" rd
}
runcfg_round runcfg-default "" 1000
runcfg_round runcfg-plan "continue_on: [pass]" 0
"$TG" detach tgap0 >/dev/null

# xdp-filter, as Debian's xdp-tools package ships it.
XF_DIR=/usr/lib/x86_64-linux-gnu/bpf
XF=$XF_DIR/xdpfilt_alw_udp.o
if [[ -r $XF ]]; then
	xsec=$(llvm-objdump -h "$XF" | awk '$2 == "xdp" || $2 ~ /^xdp\// { print $2; exit }')
	xprog=$(llvm-objdump -t "$XF" | awk -v s="$xsec" '$2 == "g" && $3 == "F" && $4 == s { print $6; exit }')
	echo "# $XF: program '$xprog' in section '$xsec'"
	tg_assert_eq "$xsec/$xprog" "xdp/xdpfilt_alw_udp" "xdp-filter: the program found by llvm-objdump"
	XFS="filter|$XF|$xprog|keep_maps: [filter_ports]"
	st_plan "$P/xf.yaml" xdp-filter xdp tgap0 tgap1 "$XFS" "$SEED"
	"$TG" plan "$P/xf.yaml" >"$TG_TMP/plan.out" 2>&1
	tg_assert_eq "$?" 0 "xdp-filter: plan passes"
	tg_check "xdp-filter: its XDP_RUN_CONFIG (chain on pass) is the default continue_on" \
		grep -q "xdpfilt_alw_udp .*continue_on \[pass\] (XDP_RUN_CONFIG)" "$TG_TMP/plan.out"
	apply_bg 0 "xdp-filter as shipped, then the seed" "$P/xf.yaml"
	FP=$PIN0/maps/filter_ports
	tg_check "xdp-filter: filter_ports is pinned in the attach point's maps/" test -e "$FP"
	tg_check "xdp-filter: its LIBBPF_PIN_BY_NAME maps are not pinned at the bpffs top level" \
		eval "[[ ! -e /sys/fs/bpf/filter_ports && ! -e /sys/fs/bpf/xdp_stats_map ]]"
	# As an operator would: deny UDP destination port 9441 (key: the port
	# in network byte order in a u32; value MAP_FLAG_DST | MAP_FLAG_UDP).
	bpftool map update pinned "$FP" key 0x24 0xe1 0 0 value 0x0a 0 0 0 0 0 0 0 ||
		tg_fail "xdp-filter: bpftool map update of filter_ports failed"
	base=$(live_base "$PIN0")
	declare -A fb fa fd xb xa xd
	st_read fb "$PIN0" "$base"; st_read xb "$PIN0" $((base + 1))
	st_burst tgaph0 $N0 9441 1000
	tg_assert_eq "$ST_RECEIVED" 0 "xdp-filter: UDP to port 9441 is filtered"
	st_burst tgaph0 $N0 9440 1000
	tg_assert_eq "$ST_RECEIVED" 1000 "xdp-filter: UDP to port 9440 passes"
	st_read fa "$PIN0" "$base"; st_read xa "$PIN0" $((base + 1))
	st_delta fd fa fb; st_delta xd xa xb
	tg_assert_eq "${fd[drop]}/${fd[pass]}" "$((1000 + ST_END))/$((1000 + ST_END))" \
		"xdp-filter: its drops and passes under its slot"
	tg_assert_eq "${xd[packets]}" $((1000 + ST_END)) "xdp-filter: the next stage saw only what it passed"
	hits=$(bpftool -j map lookup pinned "$FP" key 0x24 0xe1 0 0 | jq '[.formatted.values[].value | . / 64 | floor] | add')
	tg_assert_eq "$hits" $((1000 + ST_END)) "xdp-filter: its own hit counter in filter_ports (bpftool) agrees"
	st_burst tgaph1 $N1 9441 200
	tg_assert_eq "$ST_RECEIVED" 200 "xdp-filter: tgap1 has its own filter_ports: port 9441 passes there"
	"$TG" detach tgap0 tgap1 >/dev/null
else
	echo "# SKIP xdp-filter: $XF is not installed (Debian package xdp-tools)"
fi

# --- 5. refusals: exit 2, nothing live changes ------------------------------------

# tgap0 runs a generation on xdp and on tc-ingress, under traffic.
st_plan "$P/live-xdp.yaml" live-xdp xdp tgap0 "" "$SEED"
st_plan "$P/live-tc.yaml" live-tc tc-ingress tgap0 "" "$SEED_TC"
apply_bg 0 "refusals setup: xdp" "$P/live-xdp.yaml"
apply_bg 0 "refusals setup: tc-ingress" "$P/live-tc.yaml"
# alone_loads OBJ: the kernel takes every program of OBJ on its own
# (stock bpftool; pinned inside the test's pin root, then removed).
alone_loads() {
	local d=$TAILGATE_PIN_ROOT/alone
	bpftool prog loadall "$1" "$d" >/dev/null 2>&1
	local rc=$?
	rm -rf "$d"
	return $rc
}
# refuse DESC HOOK STAGE ERE...: plan and apply exit 2, say ERE on stderr,
# and every slot, link, pin and state file is as it was.
refuse() {
	local desc=$1 hook=$2 stage=$3 verb rc before pat
	shift 3
	if [[ $hook == xdp ]]; then
		st_plan "$P/refuse.yaml" refuse "$hook" tgap0 "" "$SEED" "$stage"
	else
		st_plan "$P/refuse.yaml" refuse "$hook" tgap0 "" "$SEED_TC" "$stage"
	fi
	before=$(snap_all)
	for verb in plan apply; do
		"$TG" $verb "$P/refuse.yaml" >"$TG_TMP/out" 2>"$TG_TMP/err"
		rc=$?
		tg_assert_eq "$rc" 2 "$desc: $verb exits 2"
		for pat in "$@"; do
			tg_check "$desc: $verb says /$pat/" grep -Eq -- "$pat" "$TG_TMP/err"
		done
		[[ $rc == 2 ]] || sed 's/^/    | /' "$TG_TMP/err" | tail -n 5 >&2
		tg_assert_eq "$(snap_all)" "$before" "$desc: after $verb, every live slot, link, pin and state file is unchanged"
	done
}
# Stack limits: both programs load on their own (stock bpftool) and are
# refused by the kernel itself once wrapped (the JIT rounds frames to 16
# bytes: 16 + 512 > 512; 16 + 240 previous frames >= 256); preflight says
# so first, by its own rule (frames rounded to 32, as the interpreter does).
tg_check "tp_bigstack (a 500-byte frame) loads on its own (bpftool prog loadall)" alone_loads "$TB/tp_bigstack.bpf.o"
refuse "stack too big once wrapped" xdp "big|$TB/tp_bigstack.bpf.o|xdp_bigstack" \
	"stage 'big' on tgap0/xdp: wrapped, its stack \(512 bytes" "wrapper frame \(32\)" "512 bytes"
refuse "a tc program on the xdp hook" xdp "tcprog|$TB/tp_seed_tc.bpf.o|tc_packet_counter" \
	"stage 'tcprog' on tgap0/xdp: wrong program type for 'tc_packet_counter'" "runs xdp programs"
refuse "an XDP program on tc-ingress" tc-ingress "xdpprog|$TB/tp_ports.bpf.o|xdp_port_policy" \
	"stage 'xdpprog' on tgap0/tc-ingress: wrong program type for 'xdp_port_policy'" "runs sched_cls programs"
refuse "an xdp.frags program" xdp "frags|$TB/bad_frags.bpf.o|frags" \
	"stage 'frags' on tgap0/xdp: program 'frags' is built for multi-buffer XDP" "xdp.frags"
tg_check "tp_tailcall (tail calls into its own prog array) loads on its own" \
	alone_loads "$TB/tp_tailcall.bpf.o"
refuse "own tail calls below a 240-byte frame once wrapped" xdp "tails|$TB/tp_tailcall.bpf.o|tail_deep" \
	"stage 'tails' on tgap0/xdp: program 'tail_deep' makes its own tail calls" "256 bytes" \
	"wrapper 32 \+ stage 256 = 288"
# Controls: own tail calls the kernel takes once wrapped pass preflight,
# chained: from a small frame, and from a big frame of the program itself
# (a tail call unwinds its own frame; only the wrapper's is above it).
for p in tail_small tail_frame; do
	st_plan "$P/tails-ok.yaml" tails-ok xdp tgap0 "" "$SEED" "tails|$TB/tp_tailcall.bpf.o|$p"
	"$TG" plan "$P/tails-ok.yaml" >"$TG_TMP/out" 2>&1
	tg_assert_eq "$?" 0 "control: $p (own tail calls the kernel allows wrapped) passes preflight, chained"
	tg_check "control: $p: plan warns that its prog array jmp_table starts empty" \
		grep -q "'$p' tail-calls through its own prog array 'jmp_table', which tailgate loads empty" "$TG_TMP/out"
	[[ $p == tail_small ]] && cp "$P/tails-ok.yaml" "$P/tails-small.yaml"
done
apply_bg 0 "tail_small (own tail calls, all missing: it passes) rolled out chained" "$P/tails-small.yaml"
st_burst tgaph0 $N0 $PASS_PORT 1000
tg_assert_eq "$ST_RECEIVED" 1000 "tail_small live: traffic flows"

tg_test_end
