# SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause)
#
# Sourced by tools/bench.sh: applies of a 3-stage plan onto $NIF interfaces
# (chained and fused generations), flip latency, weight changes and loss
# during flips. run_rollouts measures; the section_* functions print.

ROLLOUT_SECTIONS=(section_rollout section_flip section_weight section_zeroloss)
SHAPES=(chained fused)

# plan FILE NAME DATAPATH: counter, blocklist, bench_pass onto tgbn0 + "tgbn*"
plan() {
	cat >"$1" <<-EOF
	name: $2
	hook: xdp
	datapath: $3
	interfaces:
	  canary: [tgbn0]
	  fleet: ["tgbn*"]
	pipeline:
	  - name: counter
	    object: $B/bpf/counter.bpf.o
	    program: counter
	    keep_maps: [packet_count]
	  - name: blocklist
	    object: $B/bpf/blocklist.bpf.o
	    program: blocklist
	  - name: pass
	    object: $B/tests/bpf/bench_pass.bpf.o
	    program: bench_pass
	steps:
	  - canary: {}
	  - promote: {batch: $NIF}
	on_failure: rollback
	EOF
}

# apply PLAN LABEL [ARGS...]: one timed `tailgate apply [ARGS] PLAN` inside
# $NSA; appends "wall_s maxrss_kb" to $OUT/apply-LABEL.txt
NAPPLY=0
apply() {
	local plan=$1 label=$2 rc=0 lf
	shift 2
	NAPPLY=$((NAPPLY + 1))
	lf=$OUT/apply-$label-$NAPPLY.log
	in_a /usr/bin/time -f '%e %M' -o "$OUT/time.txt" \
		"$TG" apply "$@" "$plan" >"$lf" 2>&1 || rc=$?
	if [[ $rc -ne 0 ]]; then
		log "tailgate apply $plan failed (exit $rc): see $lf"
		tail -5 "$lf" >&2
		return 1
	fi
	cat "$OUT/time.txt" >>"$OUT/apply-$label.txt"
}

# rollout_runs SHAPE: fresh applies, each on new interfaces, then upgrades
# on the last ones; leaves a $SHAPE generation in each bank of every one.
rollout_runs() {
	local shape=$1 r g
	plan "$OUT/plan-$shape-gen1.yaml" "bench-$shape-gen1" "$shape"
	plan "$OUT/plan-$shape-gen2.yaml" "bench-$shape-gen2" "$shape"
	for ((r = 1; r <= RUNS; r++)); do
		log "fresh apply ($shape) of 3 stages onto $NIF interfaces, run $r/$RUNS"
		fresh_roots "$shape-$r"; topo_up
		apply "$OUT/plan-$shape-gen1.yaml" "$shape-fresh"
	done
	for ((r = 1; r <= RUNS; r++)); do
		log "upgrade apply ($shape, dispatchers attached), run $r/$RUNS"
		g=$((r % 2 ? 2 : 1))
		# --force: the same objects and settings again are otherwise "already live"
		apply "$OUT/plan-$shape-gen$g.yaml" "$shape-upgrade" --force
	done
}

# profile SHAPE: strace -c and perf of one fresh apply
profile_apply() {
	local shape=$1
	log "strace -c and perf of one fresh apply ($shape)"
	fresh_roots "s-$shape"; topo_up
	in_a strace -f -c -o "$OUT/apply-$shape.strace" "$TG" apply "$OUT/plan-$shape-gen1.yaml" \
		>/dev/null 2>&1 || true
	fresh_roots "p-$shape"; topo_up
	in_a perf record -q -e cpu-clock -F 1999 -g -o "$OUT/apply-$shape.perf" \
		"$TG" apply "$OUT/plan-$shape-gen1.yaml" >/dev/null 2>&1 || true
}

need_attach_point() {
	[[ -e $TAILGATE_PIN_ROOT/tgbn0/xdp/slots ]] && return 0
	log "the applies left no attach point on tgbn0 (see build/bench/apply-*.log)"
	return 1
}

flip_runs() {
	local shape=$1
	need_attach_point || return 1
	log "flip latency ($shape): one interface, then $NIF"
	in_a "$BF" single tgbn0 -n 2000 >"$OUT/flip-single-$shape.md"
	in_a "$BF" fleet tgbn "$NIF" -n 20 >"$OUT/flip-fleet-$shape.md"
	[[ $shape == fused ]] || return 0
	in_a perf record -q -e cpu-clock -F 4999 -g -o "$OUT/flip.perf" \
		"$BF" single tgbn0 -n 1000 >/dev/null 2>&1 || true
}

weight_runs() {
	need_attach_point || return 1
	log "weight changes: one interface, then $NIF"
	in_a "$BF" weight tgbn "$NIF" -n 200 >"$OUT/weight.md"
}

# UDP receive-buffer drops in $NSA: loss at the socket, after the XDP hook
rcvbuf_errors() {
	ip netns exec "$NSA" awk '/^Udp:/ {if (++n == 1) {for (i = 1; i <= NF; i++) h[i] = $i}
		else for (i = 1; i <= NF; i++) if (h[i] == "RcvbufErrors") print $i}' /proc/net/snmp
}

# zl RATE SECS FLIP_MS: tgtraffic from tgbnp0 to tgbn0 while bench_flip
# churns tgbn0's slot 0; one line of key=value on stdout
NZL=0
zl() {
	local rate=$1 secs=$2 ms=$3 port rpid cpid t0 t1 sent rb0
	NZL=$((NZL + 1))
	rb0=$(rcvbuf_errors)
	port=$((5000 + NZL))
	ip netns exec "$NSA" "$TT" recv --bind 198.18.0.1 --port "$port" \
		--duration $((secs + 15)) --idle-ms 3000 >"$OUT/zl-recv-$NZL.txt" 2>&1 &
	rpid=$!
	sleep 0.3
	in_a "$BF" churn tgbn0 -i "$ms" -d "$(awk -v s="$secs" 'BEGIN {print s + 1}')" \
		>"$OUT/zl-churn-$NZL.txt" 2>&1 &
	cpid=$!
	sleep 0.2
	t0=$(date +%s.%N)
	sent=$(ip netns exec "$NSB" "$TT" send --dst 198.18.0.1 --port "$port" --rate "$rate" \
		--duration "$secs" --size 22 2>&1 | kv sent)
	t1=$(date +%s.%N)
	wait "$cpid" || true
	wait "$rpid" || true
	echo "rate_target=$rate seconds=$(awk -v a="$t0" -v b="$t1" 'BEGIN {printf "%.2f", b - a}')" \
		"sent=$sent rate_pps=$(awk -v n="$sent" -v a="$t0" -v b="$t1" 'BEGIN {printf "%d", n / (b - a)}')" \
		"$(cat "$OUT/zl-recv-$NZL.txt")" "$(cat "$OUT/zl-churn-$NZL.txt")" \
		"socket_drops=$(($(rcvbuf_errors) - rb0))"
}

# The highest rate a flip-free run carries with nothing lost and the sender
# at 95% of its target or better, starting at 80% of an unpaced run's.
ZL_RATE=
zl_calibrate() {
	local cal rx secs base i rate
	log "zero loss: calibrating the steady rate"
	cal=$(zl 0 3 0)
	echo "phase=calibration $cal" >"$OUT/zeroloss.txt"
	rx=$(kv received <<<"$cal")
	secs=$(kv seconds <<<"$cal")
	[[ -n $rx && $rx != 0 ]] || { log "the calibration run carried no traffic: $cal"; return 1; }
	rate=$(awk -v r="$rx" -v s="$secs" 'BEGIN {printf "%d", 0.8 * r / s}')
	for ((i = 0; i < 5; i++)); do
		log "zero loss: checking $rate pps for ${ZL_SECS}s without flips"
		base=$(zl "$rate" "$ZL_SECS" 0)
		echo "phase=steady $base" >>"$OUT/zeroloss.txt"
		[[ $(kv lost <<<"$base") == 0 ]] &&
			awk -v a="$(kv rate_pps <<<"$base")" -v r="$rate" 'BEGIN {exit !(a >= 0.95 * r)}' && break
		rate=$(awk -v r="$rate" 'BEGIN {printf "%d", r * 0.85}')
	done
	ZL_RATE=$rate
	ZL_UNPACED=$(awk -v r="$rx" -v s="$secs" 'BEGIN {printf "%.0f", r / s}')
}

zl_flipping() {
	local shape=$1 line
	need_attach_point || return 1
	[[ -n $ZL_RATE ]] || zl_calibrate || return 1
	log "zero loss ($shape): $ZL_RATE pps for ${ZL_SECS}s, flipping every ${FLIP_MS} ms"
	line=$(zl "$ZL_RATE" "$ZL_SECS" "$FLIP_MS")
	echo "phase=flipping-$shape $line" >>"$OUT/zeroloss.txt"
	echo "$line" >"$OUT/zeroloss-$shape.txt"
}

run_rollouts() {
	local shape
	rm -f "$OUT"/apply-*.txt "$OUT"/apply-*.log "$OUT"/zeroloss*.txt "$OUT"/flip-*.md
	for shape in "${SHAPES[@]}"; do
		rollout_runs "$shape" || FAILED+=("applies ($shape)")
		flip_runs "$shape" || FAILED+=("flips ($shape)")
		zl_flipping "$shape" || FAILED+=("zero loss ($shape)")
		[[ $shape == fused ]] && { weight_runs || FAILED+=("weights"); }
	done
	profile_apply fused
	for s in "${ROLLOUT_SECTIONS[@]}"; do
		$s >"$OUT/$s.md" || { FAILED+=("$s"); log "$s failed"; }
	done
}

# Printing

apply_row() {
	local label=$1 what=$2 s r
	[[ -s $OUT/apply-$label.txt ]] || return 0
	s=$(awk '{print $1}' "$OUT/apply-$label.txt" | stats)
	r=$(awk '{print $2}' "$OUT/apply-$label.txt" | stats)
	set -- $s $r
	printf '| %s | %d | %.2f (%.2f–%.2f) | %.1f | %.1f (%.1f–%.1f) |\n' "$what" \
		"$(wc -l <"$OUT/apply-$label.txt")" "$1" "$2" "$3" \
		"$(awk -v a="$1" -v n="$NIF" 'BEGIN {print a * 1000 / n}')" \
		"$(awk -v a="$4" 'BEGIN {print a / 1024}')" \
		"$(awk -v a="$5" 'BEGIN {print a / 1024}')" "$(awk -v a="$6" 'BEGIN {print a / 1024}')"
}

# perf_shares FILE FUNCTION:WHAT...: a share table of a perf.data
perf_shares() {
	local f=$1 fn
	shift
	perf report -i "$f" --children --sort sym --stdio -g none 2>/dev/null |
		grep -E '^ +[0-9]' >"$f.txt" || true
	echo "| function | share | what it is |"
	echo "|---|---:|---|"
	for fn in "$@"; do
		awk -v f="${fn%%:*}" -v w="${fn#*:}" '$NF == f {print "| `" f "` | " $1 " | " w " |"; exit}' "$f.txt"
	done
}

section_rollout() {
	cat <<-EOF
	## Rollout cost

	\`build/tailgate apply\` of a 3-stage plan (counter, blocklist, bench_pass;
	steps: canary tgbn0, then promote all $NIF in one batch; no analyze step)
	onto $NIF veth interfaces in a namespace, timed with \`/usr/bin/time\`
	(wall, max RSS of the orchestrator), once with \`datapath: chained\` and
	once with \`datapath: fused\`. "Fresh" = no dispatcher yet (each run on
	newly created interfaces, pins and state): dispatcher + generation loaded
	per interface; "upgrade" = dispatchers attached, the new generation loaded
	into the inactive bank and flipped (\`apply --force\`: the same objects
	again would otherwise be "already live").

	| apply | runs | wall s | ms per interface | peak RSS MiB |
	|---|---:|---:|---:|---:|
	EOF
	apply_row chained-fresh "fresh, chained"
	apply_row chained-upgrade "upgrade, chained"
	apply_row fused-fresh "fresh, fused"
	apply_row fused-upgrade "upgrade, fused"
	if [[ -s $OUT/apply-fused.strace ]]; then
		echo
		echo "\`strace -f -c\` of one fresh fused apply (top system calls by time):"
		echo '```'
		sed -n '1,12p' "$OUT/apply-fused.strace"
		echo '```'
	fi
	if [[ -s $OUT/apply-fused.perf ]]; then
		echo
		echo "\`perf record -e cpu-clock -g\` of one fresh fused apply: share of samples in (children included; libbpf's own frames do not resolve, Debian strips them):"
		echo
		perf_shares "$OUT/apply-fused.perf" "__sys_bpf:all bpf() calls" "bpf_prog_load:program loads" \
			"bpf_check:the verifier" "prog_array_map_poke_run:re-patching direct tail-call sites" \
			"bpf_dispatcher_change_prog:re-patching the kernel's XDP dispatcher" \
			"smp_text_poke_batch_finish:all text pokes" "ext4_sync_file:fsync of the state files" \
			"exc_page_fault:page faults"
	fi
}

section_flip() {
	local shape
	cat <<-EOF

	## Flip latency

	\`build/tools/bench_flip\` on the attach points the applies above left (a
	generation in each bank, dispatchers attached to live veth interfaces),
	opened with \`ap__open()\`. One flip = \`ap__flip()\` (\`slots__flip()\`: the
	bank head's program id, an fd for it, the slot 0 write, close). The kernel
	re-patches the dispatcher's direct jump (text poke) before the write
	returns, so the new head is live when the call returns. Also timed: the
	raw \`slots__set()\` of slot 0 with the heads' fds already open, and as a
	control the same write into a slot no program tail-calls with a constant
	key (nothing to re-patch).
	EOF
	for shape in "${SHAPES[@]}"; do
		[[ -s $OUT/flip-single-$shape.md ]] || continue
		echo
		echo "One interface (tgbn0, alternating banks), $shape generations:"
		echo
		cat "$OUT/flip-single-$shape.md"
		echo
		echo "Promotion across $NIF interfaces, $shape generations (loaded everywhere, attach points open):"
		echo
		cat "$OUT/flip-fleet-$shape.md"
	done
	if [[ -s $OUT/flip.perf ]]; then
		echo
		echo "\`perf record -e cpu-clock -g\` of 1000 flips (fused): share of samples in (children included):"
		echo
		perf_shares "$OUT/flip.perf" "bpf_fd_array_map_update_elem:the prog-array write" \
			"prog_array_map_poke_run:re-patching direct tail-call sites" \
			"smp_text_poke_batch_finish:x86 cross-modifying code (int3 protocol)" \
			"smp_call_function_many_cond:waiting for the other CPUs (sync rounds)" \
			"x2apic_send_IPI:sending the IPIs" "pvm_write_msr:hypervisor exit per IPI (PVM guest)" \
			"pvm_irq_enable:hypervisor exit per irq enable (PVM guest)"
	fi
}

section_weight() {
	[[ -s $OUT/weight.md ]] || return 0
	cat <<-EOF

	## Weight changes (weighted canary)

	\`build/tools/bench_flip weight\` on the $NIF fused attach points: the
	splitting dispatcher swapped in on each (\`ap__set_dispatcher()\`: load
	through \`disp.c\` with the split map, \`bpf_link_update()\`), the weight
	changed between 1 % and 5 % with \`ap__set_weight()\` (one write of the
	pinned \`split\` map) on one attach point and across all $NIF, then the
	plain dispatcher back with \`ap__serve()\`.

	EOF
	cat "$OUT/weight.md"
}

section_zeroloss() {
	local line phase
	[[ -s $OUT/zeroloss.txt ]] || return 0
	cat <<-EOF

	## Zero loss during flips

	\`build/tools/tgtraffic\` (UDP, sequence numbers, 22-byte payload: 64-byte
	frames) from tgbnp0 (198.18.0.2, namespace B) to a receiver on tgbn0
	(198.18.0.1, namespace A) whose XDP hook runs the 3-stage generation,
	while \`bench_flip churn\` flips tgbn0 between its two loaded generations
	every $FLIP_MS ms with \`ap__flip()\` and reads the attach point's counters
	(\`counters.c\`) before and after; once with chained generations, once
	with fused ones. Rate: an unpaced sender for 3 s got ${ZL_UNPACED:-?} pps through (one
	sender core; the softirq and the receiver share the other). The steady
	rate is the highest, starting at 80% of that and lowering by 15%, that a
	flip-free run of the same length ($ZL_SECS s) carries with nothing lost and
	the sender at 95% of its target or better: **${ZL_RATE:-?} pps**. "Hook saw" is
	slot 0 (packets that found it empty) plus both banks' head stages, i.e.
	every packet that reached tailgate's XDP hook; "socket drops" are the
	receiving namespace's UDP RcvbufErrors, loss after the hook. tgtraffic's
	END markers (5 per run) are counted by the hook, not as sent.

	| phase | rate pps | seconds | sent | received | lost | duplicates | reordered | flips | slowest flip µs | hook saw | tail misses | drops | aborts | socket drops |
	|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|
	EOF
	while read -r line; do
		phase=$(kv phase <<<"$line")
		case $phase in
		calibration) phase="calibration, unpaced" ;;
		steady) phase="steady, no flips" ;;
		*) phase="**${phase#flipping-}: flipping every $FLIP_MS ms**" ;;
		esac
		printf '| %s | %s | %s | %s | %s | %s | %s | %s | %s | %s | %s | %s | %s | %s | %s |\n' \
			"$phase" "$(kv rate_pps <<<"$line")" "$(kv seconds <<<"$line")" \
			"$(kv sent <<<"$line")" "$(kv received <<<"$line")" "$(kv lost <<<"$line")" \
			"$(kv dup <<<"$line")" "$(kv reordered <<<"$line")" "$(kv flips <<<"$line")" \
			"$(kv flip_max_us <<<"$line")" "$(kv hook_packets <<<"$line")" \
			"$(kv tail_misses <<<"$line")" "$(kv drops <<<"$line")" "$(kv aborted <<<"$line")" \
			"$(kv socket_drops <<<"$line")"
	done <"$OUT/zeroloss.txt"
}
