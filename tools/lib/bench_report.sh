# SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause)
#
# Sourced by tools/bench.sh: the short table with the targets (summary) and
# what bounds the results (section_bounds), from this run's figures.

# row HOOK LABEL TARGET RESULT VERDICT
row() { echo "| $1: $2 | $3 | $4 | $5 |"; }

# ratio_row HOOK SHAPE OTHER LABEL TARGET_TEXT TEST LIMIT
ratio_row() {
	local h=$1 s=$2 o=$3 r t m
	r=$(sumval "${h}_ratio_${s}_${o}_4")
	[[ -n $r ]] || return 0
	t=$(sumval "${h}_${s}_4")
	m=$(sumval "${h}_$([[ $o == libxdp ]] && echo libxdp-model || echo monolith)_4")
	row "$h" "$4" "$5" "$(fmt "$r")x ($(fmt "$(sumval "${h}_ratio_${s}_${o}_4" 3)")–$(fmt "$(sumval "${h}_ratio_${s}_${o}_4" 4)"); $(fmt "$t" %.0f) vs $(fmt "$m" %.0f) ns)" \
		"$(if [[ -z ${6:-} ]]; then echo "(no target)"; else verdict "$6" "$r" "$7"; fi)"
}

# The largest extra of a hashed variant in bench_split's table for HOOK.
split_worst() {
	[[ -s $OUT/split.md ]] || return 0
	awk -v h="$1" '/^#### / {cur = ($2 == "XDP:") ? "xdp" : "tc"}
		cur == h && /hashed/ {split($0, c, "|"); v = c[5]; sub(/\(.*/, "", v); gsub(/[^-+0-9.]/, "", v);
			if (!n++ || v + 0 > m) m = v + 0} END {if (n) print m}' \
		"$OUT/split.md"
}
split_worst_name() {
	awk -v h="$1" -v m="$(split_worst "$1")" '/^#### / {cur = ($2 == "XDP:") ? "xdp" : "tc"}
		cur == h && /hashed/ {split($0, c, "|"); v = c[5]; sub(/\(.*/, "", v); gsub(/[^-+0-9.]/, "", v);
			if (v + 0 == m + 0) {gsub(/^ +| +$/, "", c[2]); print c[2]; exit}}' "$OUT/split.md"
}

summary_dispatch() {
	local h hop w ws sx
	for h in xdp tc; do
		[[ -n $(sumval "${h}_fused_4") ]] || continue
		ratio_row "$h" fused monolith "dispatcher + 4 stages, fused, vs monolith" "≤ 1.15x" le 1.15
		ratio_row "$h" fused libxdp "dispatcher + 4 stages, fused, vs libxdp model" "faster (< 1x)" lt 1
		hop=$(sumval "${h}_hop_fused")
		row "$h" "one hop, fused" "≤ 1.5 ns" "$(fmt "$hop") ns ($(fmt "$(sumval "${h}_hop_fused" 3)")–$(fmt "$(sumval "${h}_hop_fused" 4)")): slope of fused − slope of monolith; $(fmt "$(sumval "${h}_slope_fused")") ns per added stage in all" \
			"$(verdict le "$hop" 1.5)"
		if [[ $h == xdp ]]; then
			ratio_row "$h" chained monolith "dispatcher + 4 stages, chained, vs monolith" "≤ 1.4x" le 1.4
		else
			ratio_row "$h" chained monolith "dispatcher + 4 stages, chained, vs monolith" "— (XDP only)"
		fi
		row "$h" "one hop, chained" "—" "$(fmt "$(sumval "${h}_hop_chained")") ns ($(fmt "$(sumval "${h}_hop_chained" 3)")–$(fmt "$(sumval "${h}_hop_chained" 4)"))" "(no target)"
		w=$(sumval "${h}_wrap_vs_oldhdr")
		ws=$(sumval "${h}_wrap_vs_oldhdr_short")
		row "$h" "wrapped third-party stage vs old header stage, per stage" "≤ +1 ns" "$(fmt "$w" %+.2f) ns ($(fmt "$(sumval "${h}_wrap_vs_oldhdr" 3)" %+.2f)–$(fmt "$(sumval "${h}_wrap_vs_oldhdr" 4)" %+.2f)), chained, slope difference over 1–16 stages; over 1–4: $(fmt "$ws" %+.2f) ns; the same body with the header vs third-party: $(fmt "$(sumval "${h}_header_vs_plain")" %+.2f) (1–16), $(fmt "$(sumval "${h}_header_vs_plain_short")" %+.2f) (1–4)" \
			"$(if le "$w" 1 && le "$ws" 1; then echo "**met**"; else echo "**missed**"; fi)"
		sx=$(sumval "${h}_split_extra")
		row "$h" "splitting dispatcher, extra per packet" "≤ 5 ns" "$(fmt "$sx" %+.2f) ns ($(fmt "$(sumval "${h}_split_extra" 3)" %+.2f)–$(fmt "$(sumval "${h}_split_extra" 4)" %+.2f)) in front of the fused generations above (IPv4 UDP, weight 50 %)" \
			"$(verdict le "$sx" 5)"
		sx=$(split_worst "$h")
		[[ -n $sx ]] && row "$h" "splitting dispatcher, worst hashed frame kind (bench_split)" "≤ 5 ns" "$(fmt "$sx" %+.2f) ns ($(split_worst_name "$h"))" \
			"$(verdict le "$sx" 5)"
	done
}

summary_rollout() {
	local s f1 ff ap rss zl sent lost miss flips w1 w64 plain
	if [[ -s $OUT/weight.md ]]; then
		w1=$(distmed "$OUT/weight.md" 'one attach point')
		w64=$(distmed "$OUT/weight.md" 'across')
		plain=$(grep -o 'Afterwards [0-9]* of [0-9]*' "$OUT/weight.md" | awk '{print $2 " of " $4}')
		row xdp "weight change, one attach point" "< 1 ms" "$w1 µs median (one map write)" "$(verdict lt "$w1" 1000)"
		row xdp "weight change across $NIF attach points" "—" "$w64 ms median" "(no target)"
		row xdp "split gone once the rollout ends" "0 ns (plain dispatcher back)" "$plain attach points back on \`tg_dispatch_xdp\`" \
			"$(verdict test "${plain% of *}" = "${plain#* of }")"
	fi
	for s in "${SHAPES[@]}"; do
		if [[ -s $OUT/flip-single-$s.md ]]; then
			f1=$(distmed "$OUT/flip-single-$s.md" 'ap__flip')
			ff=$(distmed "$OUT/flip-fleet-$s.md" 'promotion')
			row xdp "flip, one interface ($s)" "< 50 µs" "$f1 µs median" "$(verdict lt "$f1" 50)"
			row xdp "promotion across $NIF loaded interfaces ($s)" "< 5 ms" "$ff ms median" "$(verdict lt "$ff" 5)"
		fi
		if [[ -s $OUT/apply-$s-fresh.txt ]]; then
			ap=$(awk '{print $1}' "$OUT/apply-$s-fresh.txt" | stats | cut -d' ' -f1)
			rss=$(cat "$OUT"/apply-$s-*.txt | awk '{print $2}' | stats | cut -d' ' -f3)
			rss=$(awk -v a="$rss" 'BEGIN {print a / 1024}')
			row xdp "full apply, 3 stages onto $NIF interfaces ($s)" "< 10 s" "$(fmt "$ap") s median (fresh)" "$(verdict lt "$ap" 10)"
			row xdp "orchestrator peak memory ($s)" "< 20 MB (19.07 MiB)" "$(fmt "$rss" %.1f) MiB max RSS (largest run)" "$(verdict lt "$rss" 19.07)"
		fi
		if [[ -s $OUT/zeroloss-$s.txt ]]; then
			zl=$(cat "$OUT/zeroloss-$s.txt")
			sent=$(kv sent <<<"$zl"); lost=$(kv lost <<<"$zl"); miss=$(kv tail_misses <<<"$zl")
			flips=$(kv flips <<<"$zl")
			row xdp "zero loss, flips every $FLIP_MS ms for ${ZL_SECS} s ($s)" "0 lost, 0 tail misses" "$sent sent, $lost lost, $miss tail misses, $flips flips at $(kv rate_pps <<<"$zl") pps (target $(kv rate_target <<<"$zl")); the hook saw $(kv hook_packets <<<"$zl") (incl. tgtraffic's END markers), socket drops $(kv socket_drops <<<"$zl")" \
				"$(verdict test "$lost" = 0 -a "$miss" = 0 -a "$flips" -gt 0)"
		fi
	done
}

summary() {
	echo "| measurement | target | result | |"
	echo "|---|---|---|---|"
	[[ -s $OUT/dispatch-summary.txt ]] && summary_dispatch
	[[ $HAVE_CLI == 1 ]] && summary_rollout
	return 0
}

# calc EXPR: awk arithmetic, two decimals
calc() { awk "BEGIN {printf \"%.2f\", $1}"; }

section_bounds() {
	local h call hop fix m4 t4 c4 r4 rmin th
	[[ -s $OUT/dispatch-summary.txt ]] || return 0
	cat <<-EOF

	## What bounds the results

	EOF
	for h in xdp tc; do
		call=$(sumval "${h}_hop_libxdp")
		hop=$(sumval "${h}_hop_fused")
		fix=$(sumval "${h}_fixed_fused")
		m4=$(sumval "${h}_monolith_4")
		t4=$(sumval "${h}_fused_4")
		c4=$(sumval "${h}_chained_4")
		r4=$(sumval "${h}_ratio_fused_monolith_4")
		rmin=$(calc "($m4 + $fix) / $m4")
		th="$(fmt "$(sumval "${h}_tailhop_2")") ns at 2 stages, $(fmt "$(sumval "${h}_tailhop_4")") at 4, $(fmt "$(sumval "${h}_tailhop_8")") at 8, $(fmt "$(sumval "${h}_tailhop_16")") at 16"
		cat <<-EOF
		- **$h, fused.** A fused stage costs $(fmt "$hop") ns beyond the monolith's atomic add (the slope difference): the wrapper's stats lookup and its four counter updates, the stage's code inlined (a BPF-to-BPF call, which is what the libxdp model pays per program, costs $(fmt "$call") ns here, see below). The fixed cost, $(fmt "$fix") ns per packet (intercept of fused − monolith), is the dispatcher and its tail call into slot 0: the one hop that keeps going live a single write. So even with nothing per stage, dispatcher + 4 stages is $rmin× the monolith's $(fmt "$m4" %.0f) ns; measured, $(fmt "$r4")x ($(fmt "$t4" %.0f) ns). The 1.15x target would need the fixed cost and four stages' counting together within $(calc "0.15 * $m4") ns.
		- **$h, chained.** Each program added to a chain costs a tail call with its program's prologue and epilogue (the callee-saved registers it uses pushed and popped): $th per added stage (chained − fused), growing with the chain on this machine. Beyond 4 stages chains of the same shape also differ from one another: bench_pass and bench_plain compile to the same two instructions, yet their chained slopes differ by $(fmt "$(sumval "${h}_header_vs_plain")" %+.2f) ns per stage over 1–16 stages ($(fmt "$(sumval "${h}_header_vs_plain_short")" %+.2f) over 1–4). Each chain is its own set of programs, so this is where the kernel put them, not what they run; a guess, not measured: the direct jumps' branch prediction. Dispatcher + 4 chained is $(fmt "$c4" %.0f) ns; 1.4x the monolith would be $(calc "1.4 * $m4") ns, a budget of $(calc "(1.4 * $m4 - $t4) / 3") ns for each of the 3 tail calls on top of the fused figure, against $(fmt "$(sumval "${h}_tailhop_4")") measured at 4 stages.
		EOF
	done
	cat <<-EOF
	- **Calls and returns.** The kernel runs with \`spec_rstack_overflow: $(cat /sys/devices/system/cpu/vulnerabilities/spec_rstack_overflow 2>/dev/null || echo '?')\`: every \`ret\`, the JIT's included, goes through the kernel's return thunk, so a BPF-to-BPF call costs several ns rather than about one. compose.c therefore inlines each stage's own code into the generated main (its subprograms stay calls); called, as before commit "compose: inline the stages", a fused stage cost about 8 ns (the figures are in that commit).
	- **Splitting dispatcher.** Its extra is the flow itself: the split map's lookup, parsing Ethernet, up to two VLAN tags, IPv4 or IPv6 and the ports, and the hash (NH pairs and MurmurHash3's fmix64, bpf/include/tailgate_flow.h); bench_split's table gives it per frame kind. Weight 0 skips the parsing and a frame without a flow (ARP) leaves early: each costs about the lookup. It runs only while a weighted step does; the plain dispatcher is back afterwards (the weight table).
	- **Flips.** Writing slot 0 makes the kernel re-patch the dispatcher's direct jump (a text poke with IPIs to every CPU; on this PVM guest each IPI is a hypervisor exit, see the profile above). The same prog-array write with nothing to re-patch is the "control" row. A promotion is $NIF such re-patches in a row (they serialise on the kernel's text mutex).
	EOF
}
