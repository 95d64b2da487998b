#!/usr/bin/env bash
# SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause)
#
# test_crash: tailgate can be killed anywhere and no interface is ever
# left half-swapped.
#
# Three interfaces (canary tgcr0, fleet tgcr1 and tgcr2) take ping traffic
# the whole time. The fault points of a full rollout are listed with
# TAILGATE_FAULT_TRACE=1; then for every point N, from v1 live everywhere,
# `TAILGATE_FAULT=N tailgate apply v2` is SIGKILLed there, and:
#   - every interface runs exactly one complete generation, read from the
#     kernel with bpftool, not from tailgate: the XDP program is the pinned
#     dispatcher, slot 0 holds the head of bank A or B, that bank holds v1's
#     or v2's whole chain and nothing past it, and every stage was loaded
#     for its own slot and its successor (rodata tg_self_slot/tg_next_slot);
#   - a burst of packets goes through the live chain (its head's counters
#     grow by the burst) and is answered;
#   - `tailgate recover` exits 0, the journal is gone, `status --json` says
#     ok everywhere, the chains are still complete;
#   - a fresh `tailgate apply v2` succeeds and v2 runs everywhere.
# The same for every fault point of a first rollout (no dispatcher before:
# killed, an interface serves v1 whole or nothing, and recover removes
# everything), of a rollout that fails its gates and rolls back (a
# drop-all stage), for kills of `tailgate rollback` and `tailgate detach`,
# and for kills of apply at random moments.
set -u

top=$(cd "$(dirname "$0")/../.." && pwd)
# shellcheck source=../lib/common.sh
. "$top/tests/lib/common.sh"

tg_test_begin crash

# One run of this test at a time (two `tests/run.sh` at once): its
# interface names and subnets are fixed, a second run would delete them.

IFACES=(tgcr0 tgcr1 tgcr2)
BPF=$top/build/bpf
P=$TG_TMP/plans
JOURNAL=$TAILGATE_STATE_DIR/rollout.journal
BURST=20
DEADLINE=$((SECONDS + ${TG_CRASH_BUDGET:-780}))	# a guard against a hung loop, not a speed check
mkdir -p "$P"

tg_need "$TG" "$BPF/counter.bpf.o" "$BPF/blocklist.bpf.o" "$BPF/drop_all.bpf.o"

for i in 0 1 2; do
	tg_host "tgcrh$i" "tgcr$i" "198.19.$((20 + i)).1/24" "198.19.$((20 + i)).2"
	ip netns exec "tgcrh$i" ping -q -i 0.02 -w 600 "198.19.$((20 + i)).1" >/dev/null 2>&1 &
	tg_on_exit "kill $! 2>/dev/null"
done

# plan NAME STAGE...   (STAGE = "name|object|keep"); gates fail drop-all.
plan() {
	local name=$1 s n o k
	shift
	{
		printf 'name: %s\nhook: xdp\ninterfaces:\n  canary: [tgcr0]\n' "$name"
		printf '  fleet: [tgcr1, tgcr2]\npipeline:\n'
		for s in "$@"; do
			IFS='|' read -r n o k <<<"$s"
			printf '  - name: %s\n    object: %s\n    program: %s\n' "$n" "$o" "$n"
			[ -n "$k" ] && printf '    keep_maps: [%s]\n' "$k"
		done
		printf 'steps:\n  - canary: {}\n  - analyze: {duration: 1s, interval: 250ms}\n'
		printf '  - promote: {batch: 1}\ngates:\n  min_packets: 5\n  max_drop_ratio: 0.05\n'
		# No delta gate: it would cost a 1 s pre-flip window on the last wave.
		printf '  max_drop_ratio_delta: 0\n'
		printf '  max_aborted: 0\n  max_tail_misses: 0\non_failure: rollback\n'
	} >"$P/$name.yaml"
}
plan v1 "counter|$BPF/counter.bpf.o|packet_count"
plan v2 "counter|$BPF/counter.bpf.o|packet_count" "blocklist|$BPF/blocklist.bpf.o|blocked"
plan bad "counter|$BPF/counter.bpf.o|packet_count" "drop_all|$BPF/drop_all.bpf.o|"
V1=$P/v1.yaml V2=$P/v2.yaml BAD=$P/bad.yaml
# The chains each generation may leave live, as program names.
CHAIN_V1=counter CHAIN_V2=counter,blocklist CHAIN_BAD=counter,drop_all

# --- reading the datapath from the kernel --------------------------------------

# One read of the whole datapath, as the kernel has it (few processes:
# the loop runs this hundreds of times).
# bpftool ARGS as JSON, or null when it fails (its errors are JSON too).
json_or_null() {
	local out
	out=$(bpftool -j "$@" 2>/dev/null) || out=null
	printf '%s' "$out"
}

dp_json() {
	local ifc d
	printf '{"ip":'
	ip -j -d link show
	printf ',"progs":'
	bpftool -j prog show
	printf ',"maps":'
	bpftool -j map show
	for ifc in "${IFACES[@]}"; do
		d=$TAILGATE_PIN_ROOT/$ifc/xdp
		printf ',"slots_%s":%s' "$ifc" "$(json_or_null map dump pinned "$d/slots")"
		printf ',"link_%s":%s' "$ifc" "$(json_or_null link show pinned "$d/link")"
	done
	printf '}'
}

# Per interface: "IF OK BASE CHAIN PROG:RODATA-MAP..." or "IF FAIL why".
# OK means: the XDP program is the dispatcher the pinned link runs, slot 0
# holds the head of bank A (slot 1) or B (slot 17), and that bank holds a
# chain with no slot set past its end.
DP_JQ='
(.progs | map({key: (.id | tostring), value: .}) | from_entries) as $P
| (.maps | map({key: (.id | tostring), value: .name}) | from_entries) as $M
| . as $d
| $ifs[] as $ifc
| ([$d.ip[] | select(.ifname == $ifc) | .xdp.prog.id // 0] | first // 0) as $xdp
| (($d["link_" + $ifc] | objects | .prog_id) // 0) as $lp
| ($d["slots_" + $ifc] | if type == "array" then
	map(.formatted | {key: (.key | tostring), value: .value}) | from_entries else {} end) as $S
| if $xdp == 0 then "\($ifc) FAIL no XDP program attached"
  elif $P[$xdp | tostring].name != "tg_dispatch_xdp" then
	"\($ifc) FAIL XDP program \($xdp) is \($P[$xdp | tostring].name), not the dispatcher"
  elif $lp != $xdp then "\($ifc) FAIL the pinned link runs prog \($lp), the interface runs \($xdp)"
  elif $S["0"] == null then "\($ifc) FAIL slot 0 is empty: no generation serves"
  else
	(if $S["0"] == $S["1"] then 1 elif $S["0"] == $S["17"] then 17 else 0 end) as $base
	| if $base == 0 then "\($ifc) FAIL slot 0 (prog \($S["0"])) heads neither bank (slots \($S | keys | join(",")))"
	  else
		[range(0; 16) | $S[(. + $base) | tostring]] as $bank
		| ([range(0; 16) | select($bank[.] == null)] | first // 16) as $n
		| if ([$bank[$n:][] | select(. != null)] | length) > 0 then
			"\($ifc) FAIL bank at slot \($base) has a stage past its end (slot \($base + $n) is empty)"
		  else
			"\($ifc) OK \($base) \([$bank[:$n][] | $P[tostring].name | sub("^tg[0-9]+s[0-9]+_"; "")] | join(","))" +
			([$bank[:$n][] | " \(.):\([$P[tostring].map_ids[]? | select($M[tostring] // "" | endswith(".rodata"))] | first // 0)"] | join(""))
		  end
	  end
  end'

# Stage facts by prog id, read once: ids are never reused while loaded.
# The wrapper tailgate generates around every stage keeps them in its own
# code: the stats key it stores on its stack (*(u32 *)(r10 -N) = SELF)
# right before it loads the attach point's stats map (an inlined stage's
# own stores come before that), and the key of its tail call (r3 = NEXT
# right before call bpf_tail_call; none: last).
declare -A PSELF PNEXT
rodata_read() {	# STATS_MAP_ID PROG:MAP...
	local pm id self next stats=$1
	shift
	for pm in "$@"; do
		id=${pm%%:*}
		[ -n "${PSELF[$id]:-}" ] && continue
		read -r self next < <(bpftool prog dump xlated id "$id" 2>/dev/null | awk -v stats="$stats" '
			/\*\(u32 \*\)\(r10 -[0-9]+\) = [0-9]+$/ { key = $NF }
			index($0, "map[id:" stats "]") && self == "" { self = key }
			/r3 = [0-9]+$/ { r3 = $NF }
			/call bpf_tail_call#12/ && next_ == "" { next_ = r3 }
			END { print (self == "" ? "-" : self), (next_ == "" ? "4294967295" : next_) }')
		PSELF[$id]=${self:--} PNEXT[$id]=${next:--}
	done
}

declare -A LC_BASE LC_CHAIN LC_WHY

# dp_check IF...: every named interface runs exactly one complete
# generation: the checks of DP_JQ, and every stage of the live chain was
# loaded for its own slot and its successor (the stats key and the
# tail-call key in its wrapper's code). Sets LC_BASE[IF] and LC_CHAIN[IF]. An interface that
# serves no generation at all (no XDP program, or the dispatcher with an
# empty slot 0: it passes everything) gets chain "-" and LC_WHY[IF]; the
# callers decide whether that is allowed.
dp_check() {
	local ifc st base chain rest pm i id next
	dp_json >"$TG_TMP/dp.json"
	while read -r ifc st base chain rest; do
		LC_WHY[$ifc]=""
		if [ "$st" != OK ]; then
			case "$base $chain $rest" in
			"no XDP program attached" | "slot 0 is empty: no generation serves")
				LC_BASE[$ifc]="" LC_CHAIN[$ifc]=- LC_WHY[$ifc]="$base $chain $rest"
				continue
				;;
			esac
			tg_fail "$ifc: $base $chain $rest"
		fi
		# shellcheck disable=SC2086
		rodata_read "$(bpftool -j map show pinned "$TAILGATE_PIN_ROOT/$ifc/xdp/stats" | jq .id)" $rest
		i=0
		for pm in $rest; do
			id=${pm%%:*}
			next=$((base + i + 1))
			[ "$pm" = "${rest##* }" ] && next=4294967295
			[ "${PSELF[$id]}" = $((base + i)) ] && [ "${PNEXT[$id]}" = $next ] ||
				tg_fail "$ifc: the stage in slot $((base + i)) (prog $id) was loaded for slot ${PSELF[$id]} -> ${PNEXT[$id]}"
			i=$((i + 1))
		done
		LC_BASE[$ifc]=$base LC_CHAIN[$ifc]=$chain
	done < <(jq -r --arg ifs "$*" "(\$ifs | split(\" \")) as \$ifs | $DP_JQ" \
		"$TG_TMP/dp.json" 2>&1 || echo "jq FAIL cannot read the datapath")
}
# head_packets IF...: each interface's live head packet counter (CPUs summed).
head_packets() {
	local ifc
	for ifc in "$@"; do
		if [ -n "${LC_BASE[$ifc]}" ]; then
			bpftool -j map lookup pinned "$TAILGATE_PIN_ROOT/$ifc/xdp/stats" key "${LC_BASE[$ifc]}" 0 0 0
		else
			echo '{"formatted": {"values": []}}'	# no live head: nothing to count
		fi
	done | jq -s -r 'map([.formatted.values[].value.packets] | add // 0) | join(" ")'
}

declare -a LIVE	# chain live on tgcr$i, as check_all last saw it

# chain_is ACTUAL EXPECTED: stage names as program names carry them (cut to
# what fits the kernel's 15 characters) against the plan's.
chain_is() {
	local -a a e
	local k
	IFS=, read -ra a <<<"$1"
	IFS=, read -ra e <<<"$2"
	[ ${#a[@]} -eq ${#e[@]} ] || return 1
	for k in "${!a[@]}"; do
		[ -n "${a[$k]}" ] && [[ ${e[$k]} == "${a[$k]}"* ]] || return 1
	done
}

# check_all WHEN CHAINS...: every interface runs one complete generation
# among CHAINS, and a burst goes through it (answered unless it drops).
check_all() {
	local when=$1 i c ok
	local -a before after pid
	shift
	dp_check "${IFACES[@]}"
	for i in 0 1 2; do
		ok=""
		for c in "$@"; do chain_is "${LC_CHAIN[tgcr$i]}" "$c" && ok=1; done
		[ -n "$ok" ] || tg_fail "$when: tgcr$i runs chain '${LC_CHAIN[tgcr$i]}'${LC_WHY[tgcr$i]:+ (${LC_WHY[tgcr$i]})}, not one of: $*"
		LIVE[$i]=${LC_CHAIN[tgcr$i]}
	done
	read -r -a before < <(head_packets "${IFACES[@]}")
	for i in 0 1 2; do
		ip netns exec "tgcrh$i" ping -q -c $BURST -i 0.01 -W 1 "198.19.$((20 + i)).1" \
			>/dev/null 2>&1 &
		pid[$i]=$!
	done
	for i in 0 1 2; do
		if ! wait "${pid[$i]}" && [ "${LIVE[$i]}" != "$CHAIN_BAD" ]; then
			tg_fail "$when: tgcr$i lost packets of a $BURST-packet burst on chain ${LIVE[$i]}"
		fi
	done
	read -r -a after < <(head_packets "${IFACES[@]}")
	for i in 0 1 2; do
		[ "${LIVE[$i]}" = - ] && continue
		[ $((after[i] - before[i])) -ge $BURST ] ||
			tg_fail "$when: tgcr$i's live head counted $((after[i] - before[i])) of a $BURST-packet burst"
	done
}

# recover_ok WHEN: recover mends everything. An interrupted rollout (its
# journal still there) is rolled back: v1 everywhere; else recover leaves
# the chains as they were.
recover_ok() {
	local when=$1 rc i
	local -a want=("${LIVE[@]}")
	[ -e "$JOURNAL" ] && want=("$CHAIN_V1" "$CHAIN_V1" "$CHAIN_V1")
	"$TG" recover >"$TG_TMP/recover.out" 2>&1
	rc=$?
	[ $rc -eq 0 ] || tg_fail "$when: 'tailgate recover' exited $rc: $(cat "$TG_TMP/recover.out")"
	[ ! -e "$JOURNAL" ] || tg_fail "$when: the journal survived recover"
	"$TG" status --json >"$TG_TMP/status.json" 2>"$TG_TMP/status.err" ||
		tg_fail "$when: 'tailgate status' failed: $(cat "$TG_TMP/status.err")"
	jq -e '.attach_points | length == 3 and all(.[]; .health == "ok")' "$TG_TMP/status.json" >/dev/null ||
		tg_fail "$when: status after recover is not ok everywhere: $(jq -c '[.attach_points[] | {ifname, health}]' "$TG_TMP/status.json")"
	check_all "$when, after recover" "${want[@]}"
	for i in 0 1 2; do
		[ "${LIVE[$i]}" = "${want[$i]}" ] ||
			tg_fail "$when: after recover tgcr$i runs ${LIVE[$i]}, want ${want[$i]}"
	done
	recover_again "$when"
}

# recover_again WHEN: a second recover has nothing left to do.
recover_again() {
	"$TG" recover >"$TG_TMP/recover2.out" 2>&1 ||
		tg_fail "$1: a second 'tailgate recover' exited $?: $(cat "$TG_TMP/recover2.out")"
	grep -q "recover: 0 fixes, 0 problems left" "$TG_TMP/recover2.out" ||
		tg_fail "$1: a second 'tailgate recover' still fixed things: $(cat "$TG_TMP/recover2.out")"
}

# run_tg WANT-RC WHEN ARGS...: run tailgate, insist on its exit code.
run_tg() {
	local want=$1 when=$2 rc
	shift 2
	"$TG" "$@" >"$TG_TMP/run.out" 2>&1
	rc=$?
	[ $rc -eq "$want" ] || tg_fail "$when: 'tailgate $*' exited $rc, want $want: $(tail -n5 "$TG_TMP/run.out")"
}

# Nothing attached, no pins, no journal.
detach_all() {
	"$TG" detach --all >/dev/null 2>&1
	rm -f "$JOURNAL"
	[ -z "$(ls -A "$TAILGATE_PIN_ROOT" 2>/dev/null)" ] || tg_fail "reset: pins left after detach --all"
}

# v1 live everywhere, nothing else loaded, no journal.
reset_v1() {
	detach_all
	run_tg 0 "reset" apply "$V1"
}

# after_kill WHEN RC CHAINS...: the killed run died by SIGKILL (or had
# already finished), then every check above, then a fresh apply of v2.
after_kill() {
	local when=$1 rc=$2
	shift 2
	[ "$rc" -eq 137 ] || [ "$rc" -lt 128 ] || tg_fail "$when: tailgate died of signal $((rc - 128))"
	check_all "$when" "$@"
	recover_ok "$when"
	run_tg 0 "$when, fresh apply" apply "$V2"
	[ ! -e "$JOURNAL" ] || tg_fail "$when: journal left after a successful apply"
	check_all "$when, after the fresh apply" "$CHAIN_V2"
}

# fault_points PLAN [fresh]: "N NAME" for every point a full run of PLAN
# reaches, from v1 live everywhere or (fresh) from nothing attached.
fault_points() {
	if [ "${2:-}" = fresh ]; then detach_all; else reset_v1; fi
	TAILGATE_FAULT_TRACE=1 "$TG" apply "$1" >/dev/null 2>"$TG_TMP/trace"
	sed -n 's/^fault point \([0-9]*\): \(.*\)$/\1 \2/p' "$TG_TMP/trace"
}

# fault_run N ARGS...: tailgate ARGS, SIGKILLed at fault point N (the
# shell's "Killed" notice is expected, so it is silenced).
fault_run() {
	local n=$1
	shift
	{ TAILGATE_FAULT=$n "$TG" "$@" >/dev/null 2>&1; } 2>/dev/null
}

budget() {
	[ $SECONDS -lt $DEADLINE ] ||
		tg_fail "the crash loop ran over its ${TG_CRASH_BUDGET:-780}s budget at: $1"
}

# --- 1. every fault point of a good rollout ------------------------------------

mapfile -t POINTS < <(fault_points "$V2")
[ ${#POINTS[@]} -ge 8 ] ||
	tg_fail "a 3-interface rollout reached ${#POINTS[@]} fault points, expected at least 8 (install, and before/after each flip): ${POINTS[*]}"
echo "fault points of a rollout: ${POINTS[*]/#/#}"
exercised=0
for pt in "${POINTS[@]}"; do
	read -r n name <<<"$pt"
	budget "apply fault $n"
	reset_v1
	fault_run "$n" apply "$V2"
	rc=$?
	[ $rc -eq 137 ] || tg_fail "TAILGATE_FAULT=$n ($name): apply exited $rc, want 137 (SIGKILL)"
	after_kill "apply killed at fault point $n ($name)" $rc "$CHAIN_V1" "$CHAIN_V2"
	exercised=$((exercised + 1))
	echo "ok - apply killed at fault point $n ($name): one complete generation everywhere, recovered"
done

# --- 1b. every fault point of a first rollout -----------------------------------
# No dispatcher anywhere before: the rollout attaches them. Killed, an
# interface may serve v1 whole or nothing at all (no XDP program, or the
# dispatcher passing everything with slot 0 empty), never part of v1, and
# traffic flows either way. recover rolls the interrupted rollout back,
# which for a first rollout means: no dispatcher, no pins, nothing left.

mapfile -t FPOINTS < <(fault_points "$V1" fresh)
echo "fault points of a first rollout: ${FPOINTS[*]/#/#}"
for pt in "${FPOINTS[@]}"; do
	read -r n name <<<"$pt"
	budget "first rollout fault $n"
	detach_all
	fault_run "$n" apply "$V1"
	rc=$?
	when="first apply killed at fault point $n ($name)"
	[ $rc -eq 137 ] || tg_fail "$when: apply exited $rc, want 137"
	check_all "$when" - "$CHAIN_V1"
	had_journal=$([ -e "$JOURNAL" ] && echo 1)
	"$TG" recover >"$TG_TMP/recover.out" 2>&1 ||
		tg_fail "$when: 'tailgate recover' exited $?: $(cat "$TG_TMP/recover.out")"
	[ ! -e "$JOURNAL" ] || tg_fail "$when: the journal survived recover"
	if [ -n "$had_journal" ]; then
		check_all "$when, after recover" -
		[ -z "$(ls -A "$TAILGATE_PIN_ROOT" 2>/dev/null)" ] ||
			tg_fail "$when: recover left pins: $(cd "$TAILGATE_PIN_ROOT" && find . | head)"
		for ifc in "${IFACES[@]}"; do
			[ "${LC_WHY[$ifc]}" = "no XDP program attached" ] ||
				tg_fail "$when: recover left $ifc with a dispatcher (${LC_WHY[$ifc]})"
		done
		[ "$("$TG" status --json | jq '.attach_points | length')" = 0 ] ||
			tg_fail "$when: status still lists attach points after recover"
	else
		check_all "$when, after recover" "$CHAIN_V1"
	fi
	recover_again "$when"
	run_tg 0 "$when, fresh apply" apply "$V1"
	check_all "$when, after the fresh apply" "$CHAIN_V1"
	exercised=$((exercised + 1))
	echo "ok - $when: v1 whole or nothing, recover removed everything"
done

# --- 2. every fault point of a rollout that rolls back -------------------------

mapfile -t BPOINTS < <(fault_points "$BAD")
printf '%s\n' "${BPOINTS[@]}" | grep -q revert ||
	tg_fail "a rollout that breached its gates reached no revert fault point: ${BPOINTS[*]}"
echo "fault points of a rolled-back rollout: ${BPOINTS[*]/#/#}"
for pt in "${BPOINTS[@]}"; do
	read -r n name <<<"$pt"
	budget "rollback fault $n"
	reset_v1
	fault_run "$n" apply "$BAD"
	rc=$?
	[ $rc -eq 137 ] || tg_fail "TAILGATE_FAULT=$n ($name) of the bad plan: apply exited $rc, want 137"
	after_kill "rolling-back apply killed at fault point $n ($name)" $rc \
		"$CHAIN_V1" "$CHAIN_BAD"
	exercised=$((exercised + 1))
	echo "ok - rolling-back apply killed at fault point $n ($name)"
done

# --- 3. `tailgate rollback` and `tailgate detach` ------------------------------
# They have no fault points of their own today (any they gain are used:
# the trace lists them). strace kills them at the entry of their k-th
# write of state: rollback's history fsync after each interface's flip,
# detach's unlink of each pin after the link detach; and at random.

# kill_run SPEC ARGS...: run tailgate ARGS, SIGKILLed as SPEC says:
# "fault N", "inject SYSCALL K" or "delay MS". Returns tailgate's status.
kill_run() {
	local kind arg1 arg2 pid
	read -r kind arg1 arg2 <<<"$1"
	shift
	case $kind in
	fault)
		fault_run "$arg1" "$@"
		;;
	inject)
		{ strace -o /dev/null -e trace="$arg1" -e inject="$arg1":signal=KILL:when="$arg2" \
			"$TG" "$@" >/dev/null 2>&1; } 2>/dev/null
		;;
	delay)
		{
			"$TG" "$@" >/dev/null 2>&1 &
			pid=$!
			sleep "$(printf '0.%03d' "$arg1")"
			kill -9 $pid 2>/dev/null
			wait $pid
		} 2>/dev/null
		;;
	esac
}

# kill_specs VERB SYSCALL MAX: the kill specs of 'tailgate VERB --all' from
# the state reset_v1 (+ v2 for rollback) leaves.
kill_specs() {
	local verb=$1 sc=$2 max=$3 n k
	reset_v1
	[ "$verb" = rollback ] && run_tg 0 "$verb trace setup" apply "$V2"
	if command -v strace >/dev/null; then
		TAILGATE_FAULT_TRACE=1 strace -o "$TG_TMP/strace" -e trace="$sc" \
			"$TG" "$verb" --all >/dev/null 2>"$TG_TMP/trace"
		n=$(grep -c "^$sc(" "$TG_TMP/strace")
	else
		TAILGATE_FAULT_TRACE=1 "$TG" "$verb" --all >/dev/null 2>"$TG_TMP/trace"
		n=0
	fi
	sed -n 's/^fault point \([0-9]*\): .*/fault \1/p' "$TG_TMP/trace"
	for ((k = 1; k <= n && k <= max; k++)); do echo "inject $sc $k"; done
	echo "delay 0"
	echo "delay 5"
}

mapfile -t RB < <(kill_specs rollback fsync 2)
echo "kills of rollback: $(printf '[%s] ' "${RB[@]}")"
for r in "${RB[@]}"; do
	budget "rollback $r"
	reset_v1
	run_tg 0 "rollback ($r) setup" apply "$V2"
	kill_run "$r" rollback --all
	after_kill "'tailgate rollback --all' killed ($r)" $? "$CHAIN_V1" "$CHAIN_V2"
	exercised=$((exercised + 1))
	echo "ok - 'tailgate rollback --all' killed ($r)"
done

# A killed detach may leave an interface attached (whole) or detached
# (no XDP program, no pins) but nothing in between once recover ran.
detach_settled() {
	local when=$1 i ifc xdp
	"$TG" recover >"$TG_TMP/recover.out" 2>&1 ||
		tg_fail "$when: 'tailgate recover' exited $?: $(cat "$TG_TMP/recover.out")"
	[ ! -e "$JOURNAL" ] || tg_fail "$when: journal after recover"
	recover_again "$when"
	for i in 0 1 2; do
		ifc=tgcr$i
		xdp=$(ip -j -d link show dev "$ifc" | jq -r '.[0].xdp.prog.id // 0')
		if [ -e "$TAILGATE_PIN_ROOT/$ifc" ]; then
			dp_check "$ifc"
			"$TG" status --json | jq -e --arg i "$ifc" '.attach_points[] | select(.ifname == $i) | .health == "ok"' >/dev/null ||
				tg_fail "$when: $ifc kept its pins but is not ok"
		elif [ "$xdp" != 0 ]; then
			tg_fail "$when: $ifc has no pins but still runs XDP program $xdp"
		fi
		ip netns exec "tgcrh$i" ping -q -c 5 -i 0.01 -W 1 "198.19.$((20 + i)).1" >/dev/null ||
			tg_fail "$when: $ifc does not pass traffic"
	done
	run_tg 0 "$when, fresh apply" apply "$V2"
	check_all "$when, after the fresh apply" "$CHAIN_V2"
}

mapfile -t DT < <(kill_specs detach unlink 5)
echo "kills of detach: $(printf '[%s] ' "${DT[@]}")"
for r in "${DT[@]}"; do
	budget "detach $r"
	reset_v1
	kill_run "$r" detach --all
	rc=$?
	[ "$rc" -eq 137 ] || [ "$rc" -lt 128 ] || tg_fail "detach: tailgate died of signal $((rc - 128))"
	detach_settled "'tailgate detach --all' killed ($r)"
	exercised=$((exercised + 1))
	echo "ok - 'tailgate detach --all' killed ($r)"
done

# --- 3b. `tailgate recover` itself killed ---------------------------------------
# A first rollout killed after its canary flip leaves the most to undo
# (a flip to revert, three dispatchers to remove). recover is killed at
# each of its first state writes (history fsync or pin unlink); a second
# recover must still finish the job.

flip=$(printf '%s\n' "${FPOINTS[@]}" | awk '$2 == "after-flip" { print $1; exit }')
for k in $(command -v strace >/dev/null && echo 1 2 3 4); do
	budget "recover killed at write $k"
	when="recover killed at its state write $k"
	detach_all
	fault_run "$flip" apply "$V1"
	[ -e "$JOURNAL" ] || tg_fail "$when: setup: no journal after the killed apply"
	kill_run "inject fsync,unlink $k" recover
	rc=$?
	[ "$rc" -eq 137 ] || [ "$rc" -lt 128 ] || tg_fail "$when: recover died of signal $((rc - 128))"
	check_all "$when" - "$CHAIN_V1"
	"$TG" recover >"$TG_TMP/recover.out" 2>&1 ||
		tg_fail "$when: the next recover exited $?: $(cat "$TG_TMP/recover.out")"
	[ ! -e "$JOURNAL" ] || tg_fail "$when: the journal survived the second recover"
	[ -z "$(ls -A "$TAILGATE_PIN_ROOT" 2>/dev/null)" ] ||
		tg_fail "$when: pins left: $(cd "$TAILGATE_PIN_ROOT" && find . | head)"
	check_all "$when, after the next recover" -
	recover_again "$when"
	exercised=$((exercised + 1))
	echo "ok - $when (exit $rc): the next recover removed everything"
done

# --- 4. SIGKILL at random moments of a rollout ----------------------------------

# How long a whole apply takes here, so the kills land inside one.
t0=${EPOCHREALTIME/./}
reset_v1
apply_ms=$(((${EPOCHREALTIME/./} - t0) / 1000))
for k in 1 2 3 4; do
	budget "random kill $k"
	reset_v1
	ms=$((RANDOM % apply_ms))
	{
		"$TG" apply "$V2" >/dev/null 2>&1 &
		pid=$!
		sleep "$((ms / 1000)).$(printf '%03d' $((ms % 1000)))"
		kill -9 $pid 2>/dev/null
		wait $pid
	} 2>/dev/null
	rc=$?
	after_kill "apply killed after ${ms}ms" $rc "$CHAIN_V1" "$CHAIN_V2"
	exercised=$((exercised + 1))
	echo "ok - apply killed after ${ms} ms (exit $rc)"
done

tg_pass "crash: $exercised kills (${#POINTS[@]} + ${#FPOINTS[@]} + ${#BPOINTS[@]} fault points, rollback, detach, random): never half-swapped, always recovered"
