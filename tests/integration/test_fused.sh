#!/usr/bin/env bash
# SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause)
#
# test_fused: fused generations (the whole chain one program) on the real
# kernel under real traffic, read with stock bpftool:
#
#  1. Shapes: `tailgate plan` prints the shape each plan gets and why
#     (chained recommends fused, fused as asked, auto); fused where a
#     stage makes its own tail calls is refused (exit 2, the reason,
#     nothing live changed) and auto picks chained there.
#  2. fused v1 -> fused v2 keeping state: one program per generation,
#     named tg<gen>f<n>_gen, status names its stages, the kept map keeps
#     its id and its count; rollback is one write (slot 0 only).
#  3. The same traffic through the same stages, chained and fused: every
#     per-stage counter under the stage slots is identical.
#  4. Mixed fused -> chained -> fused upgrades on one interface.
#  5. 100 flips between two fused generations under 20k pps: nothing
#     lost, no tail miss, every packet through one whole generation.
#  6. Crash safety: apply of a fused plan SIGKILLed at every fault point
#     (TAILGATE_FAULT), of an upgrade and of a first rollout: every
#     interface serves one complete generation, traffic flows, recover
#     exits 0, a new apply works.
set -u
top=$(cd "$(dirname "$0")/../.." && pwd)
# shellcheck source=../lib/common.sh
. "$top/tests/lib/common.sh"
# shellcheck source=../lib/stages.sh
. "$top/tests/lib/stages.sh"

tg_test_begin fused
BPF=$top/build/bpf
TB=$top/build/tests/bpf
P=$TG_TMP/plans
mkdir -p "$P"
tg_need "$TG" "$TG_TRAFFIC" "$BPF/seed_counter.bpf.o" "$TB/tp_ports.bpf.o" "$TB/tp_kitchen.bpf.o" \
	"$TB/tp_tailcall.bpf.o"
command -v jq >/dev/null || tg_skip "jq is not installed"

IFACES=(tgfu0 tgfu1 tgfu2)
NETS=(198.18.250 198.18.251 198.18.252)
for i in 0 1 2; do
	st_host "tgfuh$i" "${IFACES[i]}" "${NETS[i]}"
done
N0=${NETS[0]}
PIN0=$TAILGATE_PIN_ROOT/tgfu0/xdp
SEEDK="seed|$BPF/seed_counter.bpf.o|xdp_packet_counter|keep_maps: [packet_count_map]"
PORTS="ports|$TB/tp_ports.bpf.o|xdp_port_policy"
KIT="kitchen|$TB/tp_kitchen.bpf.o|kitchen_xdp"
TAILS="tails|$TB/tp_tailcall.bpf.o|tail_small"
PASS_PORT=9400 DROP_PORT=9411 TX_PORT=9412

# run_tg WANT DESC ARGS...: tailgate ARGS, its exit code checked; output
# in $TG_TMP/out and $TG_TMP/err.
run_tg() {
	local want=$1 desc=$2 rc
	shift 2
	"$TG" "$@" >"$TG_TMP/out" 2>"$TG_TMP/err"
	rc=$?
	tg_assert_eq "$rc" "$want" "$desc: 'tailgate $1' exits $want"
	[[ $rc == "$want" ]] || cat "$TG_TMP/out" "$TG_TMP/err" | sed 's/^/    | /' | tail -n 16 >&2
	return 0
}

# apply_bg WANT DESC PLAN: apply under 1000 pps into tgfu0 and tgfu1.
apply_bg() {
	st_bg_start tgfuh0 $N0 $PASS_PORT
	st_bg_start tgfuh1 "${NETS[1]}" $PASS_PORT
	sleep 0.3
	run_tg "$1" "$2" apply "$3"
	st_bg_stop
}

# bank IFC: the live bank from bpftool: "GEN SHAPE N BASE" (SHAPE fused
# or chained, N stages) when slot 0 heads bank A or B and that bank holds
# one complete generation by the programs' names (fused: one program
# tg<G>f<N>_gen, nothing after it; chained: tg<G>s0_.. tg<G>s<N-1>_..,
# one generation, nothing after), else "NONE why" or "BAD why".
bank() {
	local ifc=$1 d=$TAILGATE_PIN_ROOT/$1/xdp xdp name base s0 k id gen="" n=0 shape="" g f i
	local -A S
	xdp=$(ip -j -d link show dev "$ifc" | jq -r '.[0].xdp.prog.id // 0')
	[[ $xdp != 0 ]] || { echo "NONE no XDP program"; return; }
	name=$(bpftool -j prog show id "$xdp" | jq -r .name)
	[[ $name == tg_dispatch_xdp ]] || { echo "BAD XDP program $xdp is $name"; return; }
	[[ $(bpftool -j link show pinned "$d/link" 2>/dev/null | jq -r .prog_id) == "$xdp" ]] ||
		{ echo "BAD the pinned link does not run XDP program $xdp"; return; }
	for k in $(st_slots "$d"); do S[${k%%:*}]=${k#*:}; done
	s0=${S[0]:-}
	[[ -n $s0 ]] || { echo "NONE slot 0 empty"; return; }
	if [[ $s0 == "${S[1]:-}" ]]; then base=1
	elif [[ $s0 == "${S[17]:-}" ]]; then base=17
	else echo "BAD slot 0 ($s0) heads neither bank"; return
	fi
	for ((k = base; k < base + 16; k++)); do
		id=${S[$k]:-}
		if [[ -z $id ]]; then
			for ((; k < base + 16; k++)); do
				[[ -z ${S[$k]:-} ]] || { echo "BAD slot $k set past the end of the bank"; return; }
			done
			break
		fi
		name=$(bpftool -j prog show id "$id" | jq -r .name)
		if [[ $name =~ ^tg([0-9]+)f([0-9]+)_gen$ ]]; then
			g=${BASH_REMATCH[1]} f=${BASH_REMATCH[2]}
			[[ $k == "$base" ]] || { echo "BAD fused program $name in slot $k, not at the bank head"; return; }
			gen=$g n=$f shape=fused
		elif [[ $name =~ ^tg([0-9]+)s([0-9]+)_ ]]; then
			g=${BASH_REMATCH[1]} i=${BASH_REMATCH[2]}
			[[ $shape != fused ]] || { echo "BAD a chained stage $name after a fused program"; return; }
			[[ -z $gen || $gen == "$g" ]] || { echo "BAD slot $k holds generation $g, the head $gen"; return; }
			[[ $i == $((k - base)) ]] || { echo "BAD slot $k holds stage $i ($name)"; return; }
			gen=$g n=$((n + 1)) shape=chained
		else
			echo "BAD slot $k holds $name, not a tailgate stage"; return
		fi
	done
	echo "$gen $shape $n $base"
}

# --- 1. shapes ----------------------------------------------------------------

echo "# section 1 at ${SECONDS}s"

ST_DATAPATH=chained st_plan "$P/sh-chained.yaml" sh-chained xdp tgfu0 "" "$SEEDK" "$PORTS"
ST_DATAPATH=fused st_plan "$P/sh-fused.yaml" sh-fused xdp tgfu0 "" "$SEEDK" "$PORTS"
ST_DATAPATH=auto st_plan "$P/sh-auto.yaml" sh-auto xdp tgfu0 "" "$SEEDK" "$PORTS"
ST_DATAPATH=fused st_plan "$P/sh-fused-tails.yaml" sh-fused-tails xdp tgfu0 "" "$SEEDK" "$TAILS"
ST_DATAPATH=auto st_plan "$P/sh-auto-tails.yaml" sh-auto-tails xdp tgfu0 "" "$SEEDK" "$TAILS"
run_tg 0 "chained plan" plan "$P/sh-chained.yaml"
tg_check "chained: plan says chained and recommends fused" \
	grep -q "^datapath: chained, as the plan asks; fused fits and is recommended" "$TG_TMP/out"
run_tg 0 "fused plan" plan "$P/sh-fused.yaml"
tg_check "fused: plan says fused and why (stages, instructions, stack)" \
	grep -Eq "^datapath: fused, as the plan asks \(2 stages, [0-9]+ instructions, stack [0-9]+\+32 bytes: the deepest stage \+ the wrapper\)" "$TG_TMP/out"
run_tg 0 "auto plan" plan "$P/sh-auto.yaml"
tg_check "auto: plan picks fused because it fits" \
	grep -Eq "^datapath: fused \(auto: fits the kernel's limits" "$TG_TMP/out"
"$TG" --json plan "$P/sh-auto.yaml" >"$TG_TMP/plan.json" 2>/dev/null
tg_assert_eq "$(jq -r .datapath "$TG_TMP/plan.json")" fused "auto: plan --json says datapath fused"
# Something live first, to show the refusal changes nothing.
ST_DATAPATH=fused st_plan "$P/v1.yaml" v1 xdp tgfu0 tgfu1 "$SEEDK"
apply_bg 0 "fused v1 live" "$P/v1.yaml"
before=$(for i in tgfu0 tgfu1; do echo "$i $(st_slots "$TAILGATE_PIN_ROOT/$i/xdp")"; done)
for verb in plan apply; do
	run_tg 2 "fused with a stage that tail-calls ($verb)" $verb "$P/sh-fused-tails.yaml"
	tg_check "... $verb gives the reason" \
		grep -q "datapath fused: fused does not fit: stage 2 ('tail_small') makes its own tail calls; use datapath: chained (or auto)" "$TG_TMP/err"
	tg_assert_eq "$(for i in tgfu0 tgfu1; do echo "$i $(st_slots "$TAILGATE_PIN_ROOT/$i/xdp")"; done)" \
		"$before" "... $verb changed no live slot"
done
run_tg 0 "auto with a stage that tail-calls" plan "$P/sh-auto-tails.yaml"
tg_check "auto: plan picks chained and says why" \
	grep -q "^datapath: chained (auto: stage 2 ('tail_small') makes its own tail calls)" "$TG_TMP/out"
apply_bg 0 "auto with a stage that tail-calls" "$P/sh-auto-tails.yaml"
read -r g shape n base <<<"$(bank tgfu0)"
tg_assert_eq "$shape/$n" chained/2 "auto with a stage that tail-calls: tgfu0 runs it chained, 2 programs ($g $shape $n $base)"
st_burst tgfuh0 $N0 $PASS_PORT 500
tg_assert_eq "$ST_RECEIVED" 500 "... and traffic flows through it"
"$TG" detach tgfu0 tgfu1 >/dev/null

# --- 2. fused v1 -> fused v2, keeping state; rollback is one write ------------------

echo "# section 2 at ${SECONDS}s"

ST_DATAPATH=fused st_plan "$P/v2.yaml" v2 xdp tgfu0 tgfu1 "$SEEDK" "$PORTS" \
	"last|$BPF/seed_counter.bpf.o|xdp_packet_counter"
# gen_ok IFC GEN SHAPE N BASE DESC: bank IFC is as expected, and the
# program names say which generation (status agrees).
gen_ok() {
	local ifc=$1 want="$2 $3 $4 $5" got
	got=$(bank "$ifc")
	tg_assert_eq "$got" "$want" "$6: $ifc serves generation $2, $3, $4 stage(s), bank at slot $5"
}
live_gen() {	# IFC: status --json's live generation on IFC/xdp
	"$TG" status --json 2>/dev/null |
		jq -r --arg i "$1" '.attach_points[] | select(.ifname == $i and .hook == "xdp") | .live_generation'
}
apply_bg 0 "fused v1 (the seed, packet_count_map kept)" "$P/v1.yaml"
G1=$(live_gen tgfu0)
gen_ok tgfu0 "$G1" fused 1 1 "fused v1"
gen_ok tgfu1 "$G1" fused 1 1 "fused v1"
H1=$(tg_slot_prog_id "$PIN0" 0)
tg_assert_eq "$(bpftool -j prog show id "$H1" | jq -r .name)" "tg${G1}f1_gen" \
	"fused v1: bpftool prog show names the program tg${G1}f1_gen"
MID=$(bpftool -j map show pinned "$PIN0/maps/packet_count_map" | jq .id)
c0=$(tg_map_u64 "$PIN0/maps/packet_count_map")
st_burst tgfuh0 $N0 $PASS_PORT 2000
tg_assert_eq "$(($(tg_map_u64 "$PIN0/maps/packet_count_map") - c0))" $((2000 + ST_END)) \
	"fused v1: packet_count_map counted the burst exactly"
apply_bg 0 "fused v2 (seed, ports, seed), keeping packet_count_map" "$P/v2.yaml"
G2=$(live_gen tgfu0)
gen_ok tgfu0 "$G2" fused 3 17 "fused v2"
gen_ok tgfu1 "$G2" fused 3 17 "fused v2"
H2=$(tg_slot_prog_id "$PIN0" 0)
tg_assert_eq "$(bpftool -j prog show id "$H2" | jq -r .name)" "tg${G2}f3_gen" \
	"fused v2: bpftool prog show names the program tg${G2}f3_gen"
tg_assert_eq "$(tg_slot_prog_id "$PIN0" 1)" "$H1" "fused v2: v1 stays loaded in bank A"
"$TG" status >"$TG_TMP/status.out" 2>&1
tg_check "fused v2: status names the stages the fused program holds" \
	grep -Eq "live +bank B +gen $G2 +plan v2 +fused: seed\[17\] ports\[18\] last\[19\] \(one program, id $H2\)" "$TG_TMP/status.out"
"$TG" status --json >"$TG_TMP/status.json" 2>/dev/null
tg_assert_eq "$(jq -c '[.attach_points[] | select(.ifname == "tgfu0") | .banks[] | select(.live) | .datapath, [.stages[].name]]' "$TG_TMP/status.json")" \
	'["fused",["seed","ports","last"]]' "fused v2: status --json: datapath fused, its three stages"
tg_assert_eq "$(bpftool -j map show pinned "$PIN0/maps/packet_count_map" | jq .id)" "$MID" \
	"fused v2: packet_count_map kept its id"
tg_assert_eq "$(st_prog_map "$H2" packet_count_map | head -n 1)" "$MID" "fused v2: ... and the fused program uses it"
c1=$(tg_map_u64 "$PIN0/maps/packet_count_map")
tg_assert_ge "$c1" "$((c0 + 2000))" "fused v2: the count carried over ($c1)"
st_burst tgfuh0 $N0 $PASS_PORT 1000
tg_assert_eq "$(($(tg_map_u64 "$PIN0/maps/packet_count_map") - c1))" $((1000 + ST_END)) \
	"fused v2: ... and carries on exactly"
s_before=$(st_slots "$PIN0")
run_tg 0 "rollback of tgfu0" rollback tgfu0
s_after=$(st_slots "$PIN0")
tg_assert_eq "$(diff <(tr ' ' '\n' <<<"$s_before") <(tr ' ' '\n' <<<"$s_after") | grep -c '^[<>]')" 2 \
	"rollback: one slot changed"
tg_assert_eq "$(tg_slot_prog_id "$PIN0" 0)" "$H1" "rollback: ... slot 0, back to v1's fused program"
gen_ok tgfu0 "$G1" fused 1 1 "after rollback"
gen_ok tgfu1 "$G2" fused 3 17 "after rollback of tgfu0 only"
c2=$(tg_map_u64 "$PIN0/maps/packet_count_map")
st_burst tgfuh0 $N0 $PASS_PORT 1000
tg_assert_eq "$ST_RECEIVED/$(($(tg_map_u64 "$PIN0/maps/packet_count_map") - c2))" "1000/$((1000 + ST_END))" \
	"after rollback: traffic flows through v1, the kept map still counts"
run_tg 0 "roll forward again (rollback of the rollback)" rollback tgfu0
tg_assert_eq "$(tg_slot_prog_id "$PIN0" 0)" "$H2" "... slot 0 is v2's fused program again"
"$TG" detach tgfu0 tgfu1 >/dev/null

# --- 3. chained and fused count the same ------------------------------------------

echo "# section 3 at ${SECONDS}s"

# same_counts HOOK STAGES...: the same traffic through the same stages,
# chained then fused, on tgfu0: every counter of every stage slot equal.
LENIENT='min_packets: 20;max_drop_ratio: 1;max_drop_ratio_delta: 1;max_verdict_delta: 1;max_aborted: 0;max_tail_misses: 0'
same_counts() {
	local hook=$1 shape base i f n=$(($# - 1)) pin=$TAILGATE_PIN_ROOT/tgfu0/$1 port c
	local -A before after
	local -a chained fused rxs=()
	# A socket on every port the bursts use: datagrams a stage passes
	# must not draw ICMP errors that cost the sender an END marker.
	for port in $PASS_PORT $DROP_PORT $TX_PORT 9421; do
		"$TG_TRAFFIC" recv --bind $N0.1 --port $port --duration 100 >/dev/null &
		rxs+=($!)
	done
	for shape in chained fused; do
		ST_DATAPATH=$shape ST_GATES=$LENIENT st_plan "$P/same-$hook-$shape.yaml" "same-$shape" "$hook" tgfu0 "" "${@:2}"
		apply_bg 0 "$hook${CLSACT:+ (clsact)} $shape: $n stages" "$P/same-$hook-$shape.yaml"
		[[ -n ${CLSACT:-} ]] && tg_check "$hook $shape: attached through clsact (tc filter show)" \
			eval "tc filter show dev tgfu0 ingress | grep -q tg_dispatch_tc"
		base=17
		[[ $(tg_slot_prog_id "$pin" 0) == "$(tg_slot_prog_id "$pin" 1)" ]] && base=1
		for ((i = 0; i < n; i++)); do
			st_read before "$pin" $((base + i))
			for f in "${ST_FIELDS[@]}"; do eval "b_${i}_$f=${before[$f]}"; done
		done
		for port in $PASS_PORT:2000 $DROP_PORT:500 $TX_PORT:300 9421:400; do
			st_send tgfuh0 $N0 "${port%%:*}" "${port#*:}"
		done
		for ((i = 0; i < n; i++)); do
			st_read after "$pin" $((base + i))
			c=""
			for f in "${ST_FIELDS[@]}"; do eval "c+=\"$f=\$((after[$f] - b_${i}_$f)) \""; done
			[[ $shape == chained ]] && chained[i]=$c || fused[i]=$c
		done
	done
	for ((i = 0; i < n; i++)); do
		c=${chained[i]}
		tg_assert_eq "${fused[i]}" "$c" "$hook${CLSACT:+ (clsact)}: stage $((i + 1)) counts the same fused as chained"
		[[ $i == 0 ]] && tg_assert_eq "${c%% *}" "packets=$((3200 + 4 * ST_END))" \
			"$hook${CLSACT:+ (clsact)}: stage 1 saw every datagram sent, END markers included"
		[[ $c =~ packets=([0-9]+)\ bytes=[0-9]+\ pass=([0-9]+)\ drop=([0-9]+)\ aborted=([0-9]+)\ tx=([0-9]+)\ redirect=([0-9]+) ]] &&
			tg_assert_eq "${BASH_REMATCH[1]}" "$((BASH_REMATCH[2] + BASH_REMATCH[3] + BASH_REMATCH[4] + BASH_REMATCH[5] + BASH_REMATCH[6]))" \
				"$hook: stage $((i + 1)): packets == pass + drop + aborted + tx + redirect"
		echo "# $hook stage $((i + 1)): $c"
	done
	kill "${rxs[@]}" 2>/dev/null
	wait "${rxs[@]}" 2>/dev/null
	"$TG" detach tgfu0 >/dev/null
}
same_counts xdp "$SEEDK" "$PORTS|continue_on: [pass, drop]" "$KIT" \
	"shadowdrop|$TB/tp_ports.bpf.o|xdp_drop_all|mode: shadow" "last|$BPF/seed_counter.bpf.o|xdp_packet_counter"
TC_STAGES=("seed|$TB/tp_seed_tc.bpf.o|tc_packet_counter|keep_maps: [packet_count_map]"
	"ports|$TB/tp_ports.bpf.o|tc_port_policy|continue_on: [pass, drop]" "kitchen|$TB/tp_kitchen.bpf.o|kitchen_tc")
same_counts tc-ingress "${TC_STAGES[@]}"
# The clsact fallback (kernels without TCX), forced: the same again.
export TAILGATE_TC_ATTACH=clsact
CLSACT=1 same_counts tc-ingress "${TC_STAGES[@]}"
unset TAILGATE_TC_ATTACH

# --- 4. mixed fused -> chained -> fused on one interface --------------------------

echo "# section 4 at ${SECONDS}s"

ST_DATAPATH=fused st_plan "$P/m1.yaml" m1 xdp tgfu0 "" "$SEEDK"
ST_DATAPATH=chained st_plan "$P/m2.yaml" m2 xdp tgfu0 "" "$SEEDK" "$PORTS"
ST_DATAPATH=fused st_plan "$P/m3.yaml" m3 xdp tgfu0 "" "$SEEDK" "$PORTS" "$KIT"
MID=""
prev_head=""
for step in "m1 fused 1 1" "m2 chained 2 17" "m3 fused 3 1"; do
	read -r name shape n base <<<"$step"
	apply_bg 0 "mixed: $name ($shape)" "$P/$name.yaml"
	g=$(live_gen tgfu0)
	gen_ok tgfu0 "$g" "$shape" "$n" "$base" "mixed $name"
	[[ -n $prev_head ]] && tg_assert_eq "$(tg_slot_prog_id "$PIN0" $((base == 1 ? 17 : 1)))" "$prev_head" \
		"mixed $name: the previous generation stays loaded in the other bank"
	prev_head=$(tg_slot_prog_id "$PIN0" 0)
	id=$(bpftool -j map show pinned "$PIN0/maps/packet_count_map" | jq .id)
	[[ -z $MID ]] && MID=$id
	tg_assert_eq "$id" "$MID" "mixed $name: packet_count_map kept its id"
	declare -A hb ha
	st_read hb "$PIN0" "$base"
	c=$(tg_map_u64 "$PIN0/maps/packet_count_map")
	st_burst tgfuh0 $N0 $PASS_PORT 1000
	st_read ha "$PIN0" "$base"
	tg_assert_eq "$ST_RECEIVED/$(($(tg_map_u64 "$PIN0/maps/packet_count_map") - c))/$((ha[packets] - hb[packets]))" \
		"1000/$((1000 + ST_END))/$((1000 + ST_END))" \
		"mixed $name: traffic flows, the kept count and the head's slot count every datagram"
done
run_tg 0 "mixed: rollback from fused m3" rollback tgfu0
gen_ok tgfu0 "$((g - 1))" chained 2 17 "mixed: rolled back from fused m3 to chained m2"
"$TG" detach tgfu0 >/dev/null

# --- 5. 100 flips between two fused generations under traffic ----------------------

echo "# section 5 at ${SECONDS}s"

FLIPS=${TG_FLIPS:-100}
RATE=${TG_FLIP_RATE:-20000}
misses() {	# tail misses summed over every slot (0..32) of PINDIR
	local p=$1 slot sum=0
	for ((slot = 0; slot < 33; slot++)); do
		sum=$((sum + $(tg_stats_sum "$p" "$slot" tail_miss)))
	done
	echo "$sum"
}
for hook in xdp tc-ingress; do
	pin=$TAILGATE_PIN_ROOT/tgfu0/$hook
	if [[ $hook == xdp ]]; then
		fa=("$SEEDK") fb=("$SEEDK" "$PORTS" "$KIT")
	else
		fa=("seed|$TB/tp_seed_tc.bpf.o|tc_packet_counter")
		fb=("seed|$TB/tp_seed_tc.bpf.o|tc_packet_counter" "ports|$TB/tp_ports.bpf.o|tc_port_policy" \
			"kitchen|$TB/tp_kitchen.bpf.o|kitchen_tc")
	fi
	ST_DATAPATH=fused st_plan "$P/fa.yaml" "flip-a-$hook" $hook tgfu0 "" "${fa[@]}"
	ST_DATAPATH=fused st_plan "$P/fb.yaml" "flip-b-$hook" $hook tgfu0 "" "${fb[@]}"
	apply_bg 0 "$hook flips: fused a" "$P/fa.yaml"
	apply_bg 0 "$hook flips: fused b" "$P/fb.yaml"
	ha=$(tg_slot_prog_id "$pin" 1) hb=$(tg_slot_prog_id "$pin" 17)
	tg_check "$hook flips: a in bank A, b in bank B and live, one program each" \
		eval "[[ -n '$ha' && -n '$hb' && \$(tg_slot_prog_id $pin 0) == '$hb' && -z \$(tg_slot_prog_id $pin 2) && -z \$(tg_slot_prog_id $pin 18) ]]"
	# (slot 0 counted the background traffic of the first apply as tail
	# misses: the dispatcher, attached first, passed it while empty)
	m0=$(misses "$pin")
	pa0=$(tg_stats_sum "$pin" 1 packets) pb0=$(tg_stats_sum "$pin" 17 packets) pt0=$(tg_stats_sum "$pin" 19 packets)
	"$TG_TRAFFIC" recv --bind $N0.1 --port 9200 --duration 120 --idle-ms 3000 >"$TG_TMP/rx" &
	rxpid=$!
	tg_wait_bound "" "$N0.1" 9200
	nsenter --net=/run/netns/tgfuh0 "$TG_TRAFFIC" send --dst $N0.1 --port 9200 --rate "$RATE" --duration 60 --json >"$TG_TMP/tx" &
	txpid=$!
	sleep 0.5
	heads=() t0=$SECONDS
	for ((i = 0; i < FLIPS; i++)); do
		"$TG" rollback tgfu0 >/dev/null 2>&1 || { echo "# flip $i failed" >&2; break; }
		heads+=("$(tg_slot_prog_id "$pin" 0)")
		kill -0 $txpid 2>/dev/null || break
	done
	flip_s=$((SECONDS - t0))
	sleep 0.3
	kill -INT $txpid 2>/dev/null
	wait $txpid
	wait $rxpid
	out=$(cat "$TG_TMP/rx") sent=$(_st_val sent <"$TG_TMP/tx")
	pa=$(($(tg_stats_sum "$pin" 1 packets) - pa0)) pb=$(($(tg_stats_sum "$pin" 17 packets) - pb0))
	echo "# $hook: $i flips in ${flip_s}s; sent=$sent; $out; a saw $pa, b saw $pb"
	tg_assert_eq "$i" "$FLIPS" "$hook flips: $FLIPS flips done while traffic flowed"
	tg_assert_eq "$(tg_alternations "$ha" "$hb" "${heads[@]}")" "${#heads[@]}" "$hook flips: slot 0 alternated a, b, a, ... after every flip"
	tg_assert_ge "$sent" 10000 "$hook flips: traffic really flowed"
	tg_assert_eq "$(_st_val received <<<"$out")/$(_st_val lost <<<"$out")/$(_st_val dup <<<"$out")" "$sent/0/0" \
		"$hook flips: every datagram arrived, none lost or duplicated"
	tg_assert_eq "$(($(misses "$pin") - m0))" 0 "$hook flips: no tail miss on any slot during the flips"
	tg_assert_eq "$((pa + pb))" "$((sent + ST_END))" "$hook flips: each packet went through exactly one generation"
	tg_assert_eq "$(($(tg_stats_sum "$pin" 19 packets) - pt0))" "$pb" \
		"$hook flips: every packet b took in reached b's last stage (slot 19)"
	tg_assert_ge "$pa" 1 "$hook flips: generation a carried traffic"
	tg_assert_ge "$pb" 1 "$hook flips: generation b carried traffic"
	"$TG" detach tgfu0 >/dev/null
done

# --- 6. crash safety: apply of a fused plan killed at every fault point -----------

echo "# section 6 at ${SECONDS}s"

JOURNAL=$TAILGATE_STATE_DIR/rollout.journal
# v1 goes out fast (it is the state each kill starts from); v2 and the
# bad version through a canary and an analysis.
CSTEPS='canary: {};analyze: {duration: 400ms, interval: 100ms};promote: {batch: 1}'
ST_DATAPATH=fused ST_STEPS='canary: {};promote: {batch: 2}' st_plan "$P/cv1.yaml" cv1 xdp tgfu0 "tgfu1, tgfu2" "$SEEDK"
ST_DATAPATH=fused ST_STEPS=$CSTEPS st_plan "$P/cv2.yaml" cv2 xdp tgfu0 "tgfu1, tgfu2" "$SEEDK" "$PORTS"
ST_DATAPATH=fused ST_STEPS=$CSTEPS st_plan "$P/cvbad.yaml" cvbad xdp tgfu0 "tgfu1, tgfu2" "$SEEDK" \
	"$PORTS" "dropper|$TB/tp_ports.bpf.o|xdp_drop_all"	# "fused 3": drops everything
for i in 0 1 2; do	# background traffic for the gates, the whole section
	nsenter --net="/run/netns/tgfuh$i" ping -q -i 0.01 -w 400 "${NETS[i]}.1" >/dev/null 2>&1 &
	tg_on_exit "kill $! 2>/dev/null"
done
declare -A LIVE BASE
# serves WHEN ALLOWED...: every interface serves one complete generation
# whose shape and size is one of ALLOWED ("fused 1", "fused 2", or "-"
# for no generation at all), and a burst of datagrams goes through it
# (and is dropped, on a generation of the shape DROPS names).
serves() {
	local when=$1 i ifc st a ok g shape n base rx why lost
	local -a p0 pid d0
	shift
	for i in 0 1 2; do
		ifc=${IFACES[i]}
		st=$(bank "$ifc")
		read -r g shape n base <<<"$st"
		[[ $g == NONE ]] && shape=- n="" base=""
		[[ $g == BAD ]] && tg_fail "$when: $ifc: $st"
		ok=""
		for a in "$@"; do [[ "$shape${n:+ $n}" == "$a" ]] && ok=1; done
		[[ -n $ok ]] || tg_fail "$when: $ifc serves '$st', not one of: $*"
		LIVE[$ifc]="$shape${n:+ $n}" BASE[$ifc]=$base
		p0[i]=0
		[[ -n $base ]] && p0[i]=$(tg_stats_sum "$TAILGATE_PIN_ROOT/$ifc/xdp" "$base" packets)
	done
	# A burst into every interface at once.
	for i in 0 1 2; do
		d0[i]=$(tg_veth_tx_dropped "tgfuh$i")
		"$TG_TRAFFIC" recv --bind "${NETS[i]}.1" --port $PASS_PORT --duration 10 --idle-ms 2500 \
			>"$TG_TMP/srx$i" &
		pid[i]=$!
	done
	for i in 0 1 2; do tg_wait_bound "" "${NETS[i]}.1" $PASS_PORT; done
	for i in 0 1 2; do
		nsenter --net="/run/netns/tgfuh$i" "$TG_TRAFFIC" send --dst "${NETS[i]}.1" --port $PASS_PORT \
			--rate 20000 --count 200 >"$TG_TMP/stx$i" 2>&1 &
		pid[i + 3]=$!
	done
	wait "${pid[@]}"
	for i in 0 1 2; do
		ifc=${IFACES[i]}
		rx=$(_st_val received <"$TG_TMP/srx$i")
		a=0
		[[ -n ${BASE[$ifc]} ]] && a=$(($(tg_stats_sum "$TAILGATE_PIN_ROOT/$ifc/xdp" "${BASE[$ifc]}" packets) - p0[i]))
		why="(${LIVE[$ifc]}; its head counted $a; sender: $(tr '\n' ' ' <"$TG_TMP/stx$i"); now $(bank "$ifc"))"
		if [[ ${LIVE[$ifc]} == "${DROPS:-}" ]]; then
			[[ $rx == 0 ]] || tg_fail "$when: $ifc: the bad version let $rx datagrams through $why"
		else
			# Frames the sender's veth dropped never reached the datapath.
			lost=$(($(tg_veth_tx_dropped "tgfuh$i") - d0[i]))
			((lost > 0)) && echo "# $when: $ifc: $lost datagrams dropped by the sender's veth (tx_dropped), before XDP"
			[[ $rx == $((200 - lost)) ]] ||
				tg_fail "$when: $ifc: $rx of 200 datagrams arrived, the sender's veth dropped $lost $why"
		fi
		[[ -z ${BASE[$ifc]} || $a -ge 205 ]] || tg_fail "$when: $ifc's live head counted $a of 205 datagrams $why"
	done
}
# recovered WHEN: recover exits 0, the journal is gone, status is ok
# everywhere, an interrupted rollout is rolled back (v1 everywhere), and
# a second recover finds nothing to do.
recovered() {
	local when=$1 had=""
	[[ -e $JOURNAL ]] && had=1
	"$TG" recover >"$TG_TMP/rec.out" 2>&1 || tg_fail "$when: recover exited $?: $(tail -n 3 "$TG_TMP/rec.out")"
	[[ ! -e $JOURNAL ]] || tg_fail "$when: the journal survived recover"
	if [[ -n $had && ${FIRST:-} ]]; then
		serves "$when, after recover" -
		[[ -z $(ls -A "$TAILGATE_PIN_ROOT" 2>/dev/null) ]] || tg_fail "$when: recover left pins"
	else
		"$TG" status --json >"$TG_TMP/st.json" 2>/dev/null ||
			tg_fail "$when: status after recover failed"
		jq -e '.attach_points | length == 3 and all(.[]; .health == "ok")' "$TG_TMP/st.json" >/dev/null ||
			tg_fail "$when: status after recover: $(jq -c '[.attach_points[] | {ifname, health}]' "$TG_TMP/st.json")"
		if [[ -n $had ]]; then serves "$when, after recover" "fused 1"; else serves "$when, after recover" "${LIVE[@]}"; fi
	fi
	"$TG" recover >"$TG_TMP/rec2.out" 2>&1 || tg_fail "$when: a second recover exited $?"
	grep -q "recover: 0 fixes, 0 problems left" "$TG_TMP/rec2.out" ||
		tg_fail "$when: a second recover still fixed things: $(cat "$TG_TMP/rec2.out")"
}
detach_all() {
	"$TG" detach --all >/dev/null 2>&1
	rm -f "$JOURNAL"
	[[ -z $(ls -A "$TAILGATE_PIN_ROOT" 2>/dev/null) ]] || tg_fail "reset: pins left after detach --all"
}
fault_points() {	# PLAN: "N NAME" of every fault point a run of PLAN reaches
	TAILGATE_FAULT_TRACE=1 "$TG" apply "$1" >/dev/null 2>"$TG_TMP/trace"
	sed -n 's/^fault point \([0-9]*\): \(.*\)$/\1 \2/p' "$TG_TMP/trace"
}
killed_at() {	# N PLAN: apply PLAN, SIGKILLed at fault point N; its exit code
	{ TAILGATE_FAULT=$1 "$TG" apply "$2" >/dev/null 2>&1; } 2>/dev/null
}
detach_all
"$TG" apply "$P/cv1.yaml" >/dev/null 2>&1 || tg_fail "crash setup: apply of fused v1 failed"
mapfile -t POINTS < <(fault_points "$P/cv2.yaml")
echo "# fault points of a fused upgrade: ${POINTS[*]/#/#}"
tg_assert_ge "${#POINTS[@]}" 8 "a 3-interface fused upgrade reaches install and every flip's fault points"
# crash_case N WHEN BASE PLAN FRESH FRESH_GEN SAYS ALLOWED...: with BASE
# applied ("" for none), apply PLAN SIGKILLed at fault point N; every
# interface must then serve one of ALLOWED, recover, and take a fresh
# apply of FRESH (serving FRESH_GEN). DROPS and FIRST reach serves and
# recovered from the caller's environment.
crash_case() {
	local n=$1 when=$2 base=$3 plan=$4 fresh=$5 fresh_gen=$6 says=$7 rc
	shift 7
	detach_all
	if [[ -n $base ]]; then
		"$TG" apply "$base" >/dev/null 2>&1 || tg_fail "$when: reset: apply of $base failed"
	fi
	killed_at "$n" "$plan"
	rc=$?
	[[ $rc == 137 ]] || tg_fail "$when: apply exited $rc, want 137 (SIGKILL)"
	serves "$when" "$@"
	recovered "$when"
	"$TG" apply "$fresh" >"$TG_TMP/fresh.out" 2>&1 || tg_fail "$when: a fresh apply exited $?: $(tail -n 3 "$TG_TMP/fresh.out")"
	serves "$when, after a fresh apply" "$fresh_gen"
	tg_pass "$when: $says"
	_tg_checks=$((_tg_checks + 1))
}
for pt in "${POINTS[@]}"; do
	read -r n name <<<"$pt"
	crash_case "$n" "fused upgrade killed at fault point $n ($name)" "$P/cv1.yaml" "$P/cv2.yaml" \
		"$P/cv2.yaml" "fused 2" "one complete generation everywhere, traffic flows, recovered, a new apply works" \
		"fused 1" "fused 2"
done
detach_all
"$TG" apply "$P/cv1.yaml" >/dev/null 2>&1 || tg_fail "crash setup: apply of fused v1 failed"
mapfile -t BPOINTS < <(fault_points "$P/cvbad.yaml")
echo "# fault points of a fused rollout that fails its gates: ${BPOINTS[*]/#/#}"
tg_check "a failing fused rollout reaches a revert fault point" eval "printf '%s\\n' \"\${BPOINTS[@]}\" | grep -q revert"
for pt in "${BPOINTS[@]}"; do
	read -r n name <<<"$pt"
	DROPS="fused 3" crash_case "$n" "failing fused rollout killed at fault point $n ($name)" \
		"$P/cv1.yaml" "$P/cvbad.yaml" "$P/cv2.yaml" "fused 2" \
		"one complete generation everywhere, recovered, a new apply works" "fused 1" "fused 3"
done
detach_all
mapfile -t FPOINTS < <(fault_points "$P/cv1.yaml")
echo "# fault points of a first fused rollout: ${FPOINTS[*]/#/#}"
for pt in "${FPOINTS[@]}"; do
	read -r n name <<<"$pt"
	FIRST=1 crash_case "$n" "first fused rollout killed at fault point $n ($name)" "" "$P/cv1.yaml" \
		"$P/cv1.yaml" "fused 1" "v1 whole or nothing, recovered, a new apply works" - "fused 1"
done
detach_all

echo "# done at ${SECONDS}s"
tg_test_end
