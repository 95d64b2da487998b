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

summary_dispatch() {
	local h hop w sx
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
		row "$h" "wrapped third-party stage vs old header stage, per stage" "≤ +1 ns" "$(fmt "$w" %+.2f) ns ($(fmt "$(sumval "${h}_wrap_vs_oldhdr" 3)" %+.2f)–$(fmt "$(sumval "${h}_wrap_vs_oldhdr" 4)" %+.2f)), chained, slope difference; header stage vs third-party: $(fmt "$(sumval "${h}_header_vs_plain")" %+.2f) ns" \
			"$(verdict le "$w" 1)"
		sx=$(sumval "${h}_split_extra")
		row "$h" "splitting dispatcher, extra per packet" "≤ 5 ns" "$(fmt "$sx" %+.2f) ns ($(fmt "$(sumval "${h}_split_extra" 3)" %+.2f)–$(fmt "$(sumval "${h}_split_extra" 4)" %+.2f)) — the placeholder \`bpf/split.bpf.c\` of main, not branch split-datapath" \
			"$(verdict le "$sx" 5) (placeholder)"
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

section_bounds() {
	local h call tail fl
	[[ -s $OUT/dispatch-summary.txt ]] || return 0
	cat <<-EOF

	## What bounds the results

	EOF
	for h in xdp tc; do
		call=$(sumval "${h}_hop_libxdp")
		tail=$(awk -v a="$(sumval "${h}_hop_chained")" -v b="$(sumval "${h}_hop_fused")" 'BEGIN {print a - b}')
		fl=$(sumval "${h}_empty-program_1")
		echo "- **$h.** A BPF-to-BPF call costs $(fmt "$call") ns on this machine (the libxdp model's slope minus the monolith's: each component is the monolith's work behind a call). Every fused stage is such a call, so the fused hop ($(fmt "$(sumval "${h}_hop_fused")") ns) is that call plus the stage's counters; a chained stage adds a tail call, $(fmt "$tail") ns more per stage (chained hop − fused hop). The monolith's work is one atomic add per stage, $(fmt "$(sumval "${h}_slope_monolith")") ns (a constant-key array lookup the verifier resolves at load). The test-run floor (an empty program) is $(fmt "$fl" %.0f) ns of every figure."
	done
	cat <<-EOF
	- **Calls and returns.** The kernel runs with \`spec_rstack_overflow: $(cat /sys/devices/system/cpu/vulnerabilities/spec_rstack_overflow 2>/dev/null || echo '?')\`: every \`ret\`, the JIT's included, goes through the kernel's return thunk, which is what makes a call cost several ns here rather than about one. The 1.15x and 1.5-ns targets need the stages' code in the generated main without a call per stage; how far that goes is in the compose.c commit of this branch, if any, with its before/after figures.
	- **Flips.** Writing slot 0 makes the kernel re-patch the dispatcher's direct jump (text poke with IPIs to every CPU; on this PVM guest each IPI is a hypervisor exit, see the profile above). The same prog-array write with nothing to re-patch is the "control" row. A promotion is $NIF such re-patches in a row (they serialise on the kernel's text mutex).
	EOF
}
