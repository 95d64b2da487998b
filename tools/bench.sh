#!/usr/bin/env bash
# SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause)
#
# make bench: tailgate's datapath (fused and chained) against a monolithic
# program and a model of libxdp's dispatcher, the wrapper against the old
# stage header, the splitting dispatcher, weight changes, flip latency,
# rollout cost and loss during flips.
#
# Writes tools/bench-results.md (figures, medians, min/max, machine and
# kernel, a short table with the targets), tools/bench-stages.svg (ns per
# packet against stages) and raw data to build/bench/; rewrites the README
# between <!-- bench:begin --> and <!-- bench:end -->.
#
# It creates network namespaces tgbn<pid>a (tgbn0..tgbnN-1, 198.18.i.1/24)
# and tgbn<pid>b (peers tgbnp0..tgbnpN-1, 198.18.i.2/24), pins under
# /sys/fs/bpf/tgbn-<pid> and a private state dir, and removes all of it on
# exit, also on failure or ^C. Traffic stays between those namespaces.
#
# Knobs (environment): BENCH_RUNS (5), BENCH_DISPATCH_RUNS (7),
# BENCH_REPEAT (5000000), BENCH_IFACES (64), BENCH_ZEROLOSS_SECS (12),
# BENCH_FLIP_MS (10), BENCH_QUIET_WAIT (180: seconds to wait for a quiet
# machine), BENCH_NO_README=1 (leave README.md alone).
set -euo pipefail

cd "$(dirname "$0")/.."
ROOT=$PWD
B=$ROOT/build
OUT=$B/bench
RESULTS=${BENCH_RESULTS:-$ROOT/tools/bench-results.md}
SVG=${BENCH_SVG:-$ROOT/tools/bench-stages.svg}
RUNS=${BENCH_RUNS:-5}
DRUNS=${BENCH_DISPATCH_RUNS:-7}
REPEAT=${BENCH_REPEAT:-5000000}
NIF=${BENCH_IFACES:-64}
ZL_SECS=${BENCH_ZEROLOSS_SECS:-12}
FLIP_MS=${BENCH_FLIP_MS:-10}
TG=${BENCH_TAILGATE:-$B/tailgate}	# override only to try a private build
BD=$B/tools/bench_dispatch
BF=$B/tools/bench_flip
BS=$B/tools/bench_split
TT=$B/tools/tgtraffic

NSA=tgbn$$a
NSB=tgbn$$b
PIN_BASE=/sys/fs/bpf/tgbn-$$
STATE_BASE=$(mktemp -d /tmp/tgbn-state.XXXXXX)
export TAILGATE_PIN_ROOT=$PIN_BASE/run0
export TAILGATE_STATE_DIR=$STATE_BASE/run0
FAILED=()

log() { printf 'bench: %s\n' "$*" >&2; }

cleanup() {
	set +e
	ip netns del "$NSA" 2>/dev/null
	ip netns del "$NSB" 2>/dev/null
	rm -rf "$PIN_BASE" "$STATE_BASE"
}
trap cleanup EXIT
trap 'exit 130' INT TERM

if [[ $(id -u) -ne 0 ]]; then
	echo "bench: needs root (BPF_PROG_TEST_RUN, netns, XDP attach)" >&2
	exit 1
fi
# gnuplot draws tools/bench-stages.svg
tools/deps.sh time binutils gnuplot-nox >/dev/null
mkdir -p "$OUT"

# The rollout sections need the CLI; the tools and objects make bench built.
HAVE_CLI=1
if [[ -z ${BENCH_TAILGATE:-} ]] && ! make --no-print-directory "$TG" >"$OUT/make-tailgate.log" 2>&1; then
	HAVE_CLI=0
	log "build/tailgate does not build (see $OUT/make-tailgate.log); rollout, flip and loss sections are skipped"
	FAILED+=("build/tailgate did not build")
fi

# Small helpers

# median min max of the numbers on stdin
stats() { sort -g | awk '{v[NR]=$1} END {if (!NR) {print "nan nan nan"; exit}
	m = NR % 2 ? v[(NR+1)/2] : (v[NR/2] + v[NR/2+1]) / 2; print m, v[1], v[NR]}'; }
kv() { grep -o "$1=[^ ]*" | head -1 | cut -d= -f2; }
# sumval KEY [FIELD]: median (2), min (3) or max (4) of a bench_dispatch figure
sumval() { awk -v k="$1" -v f="${2:-2}" '$1 == k {print $f; exit}' "$OUT/dispatch-summary.txt"; }
le() { awk -v a="$1" -v b="$2" 'BEGIN {exit !(a <= b)}'; }
lt() { awk -v a="$1" -v b="$2" 'BEGIN {exit !(a < b)}'; }
fmt() { awk -v a="$1" -v f="${2:-%.2f}" 'BEGIN {printf f, a}'; }
verdict() { if "$@"; then echo "**met**"; else echo "**missed**"; fi; }
# a dist row of bench_flip: median of the row whose label matches $2, in file $1
distmed() { grep -- "$2" "$1" 2>/dev/null | head -1 | awk -F'|' '{gsub(/ /, "", $4); print $4}'; }
in_a() { nsenter --net=/run/netns/"$NSA" "$@"; }

topo_down() {
	ip netns del "$NSA" 2>/dev/null || true
	ip netns del "$NSB" 2>/dev/null || true
}

# $NIF veth pairs: tgbn<i> in $NSA (198.18.i.1/24), tgbnp<i> in $NSB (.2).
topo_up() {
	local i
	topo_down
	ip netns add "$NSA"
	ip netns add "$NSB"
	for ((i = 0; i < NIF; i++)); do
		printf 'link add tgbn%d netns %s address 02:00:c6:12:%02x:01 type veth peer name tgbnp%d netns %s address 02:00:c6:12:%02x:02\n' \
			"$i" "$NSA" "$i" "$i" "$NSB" "$i"
	done | ip -batch -
	{
		echo "link set lo up"
		for ((i = 0; i < NIF; i++)); do
			echo "addr add 198.18.$i.1/24 dev tgbn$i"
			echo "link set tgbn$i up"
		done
		echo "neigh replace 198.18.0.2 lladdr 02:00:c6:12:00:02 dev tgbn0 nud permanent"
	} | ip -n "$NSA" -batch -
	{
		echo "link set lo up"
		for ((i = 0; i < NIF; i++)); do
			echo "addr add 198.18.$i.2/24 dev tgbnp$i"
			echo "link set tgbnp$i up"
		done
		echo "neigh replace 198.18.0.1 lladdr 02:00:c6:12:00:01 dev tgbnp0 nud permanent"
	} | ip -n "$NSB" -batch -
}

# A fresh pin root and state dir per rollout run.
fresh_roots() {
	export TAILGATE_PIN_ROOT=$PIN_BASE/run$1
	export TAILGATE_STATE_DIR=$STATE_BASE/run$1
	mkdir -p "$TAILGATE_STATE_DIR"
}

machine() {
	local cpu
	cpu=$(awk -F': ' '/model name/ {print $2; exit}' /proc/cpuinfo)
	cat <<-EOF
	- Date: $(date -u '+%Y-%m-%d %H:%M UTC'); tree: $(git rev-parse --short HEAD 2>/dev/null || echo '?')
	- Kernel: $(uname -r) ($(uname -m)); CPU: $cpu, $(nproc) cores; memory $(awk '/MemTotal/ {printf "%.1f GiB", $2/1048576}' /proc/meminfo)
	- Mitigations that price calls and returns: spectre_v2: $(cat /sys/devices/system/cpu/vulnerabilities/spectre_v2 2>/dev/null || echo '?'); spec_rstack_overflow: $(cat /sys/devices/system/cpu/vulnerabilities/spec_rstack_overflow 2>/dev/null || echo '?'); retbleed: $(cat /sys/devices/system/cpu/vulnerabilities/retbleed 2>/dev/null || echo '?')
	- JIT: bpf_jit_enable=$(cat /proc/sys/net/core/bpf_jit_enable), bpf_jit_harden=$(cat /proc/sys/net/core/bpf_jit_harden), bpf_jit_kallsyms=$(cat /proc/sys/net/core/bpf_jit_kallsyms 2>/dev/null || echo '?'), bpf_stats_enabled=$(cat /proc/sys/kernel/bpf_stats_enabled 2>/dev/null || echo '?'); libbpf $(dpkg-query -W -f='${Version}' libbpf1 2>/dev/null || echo '?'); $(clang --version | head -1); bpftool $(bpftool version 2>/dev/null | head -1 | awk '{print $2}')
	- Runs per measurement: $DRUNS for test-run figures (repeat $REPEAT each), $RUNS for applies (medians; min–max in parentheses); load average at start: $(cut -d' ' -f1-3 /proc/loadavg)
	EOF
}

# 1. Dispatch: ns per packet

# Nanosecond figures on a shared 2-core machine: wait (at most 3 minutes)
# for the 1-minute load average to drop below 1 before measuring.
wait_quiet() {
	local i
	for ((i = 0; i < ${BENCH_QUIET_WAIT:-180} / 5; i++)); do
		awk '{exit !($1 < 1.0)}' /proc/loadavg && return 0
		((i == 0)) && log "waiting for other load to settle (load average $(cut -d' ' -f1 /proc/loadavg))"
		sleep 5
	done
	log "machine still busy (load average $(cut -d' ' -f1 /proc/loadavg)); measuring anyway"
}

section_dispatch() {
	local load
	wait_quiet
	load=$(cut -d' ' -f1-3 /proc/loadavg)
	log "dispatch: BPF_PROG_TEST_RUN x $REPEAT, $DRUNS runs, XDP and tc"
	TAILGATE_PIN_ROOT=$PIN_BASE/dispatch in_a "$BD" tgbn0 -b "$B" -r "$REPEAT" -n "$DRUNS" \
		-o "$OUT/dispatch.tsv" -s "$OUT/dispatch-summary.txt" >"$OUT/dispatch.md"
	cat <<-'EOF'
	## Dispatch: ns per packet

	`build/tools/bench_dispatch`, linked against the orchestrator's objects.
	Every tailgate variant is loaded the way tailgate loads it: `ap__prepare()`
	makes an attach point's maps for tgbn0 in memory (nothing pinned, nothing
	attached), a plan is parsed by `plan.c`, its objects read by `object.c`,
	`gen__load()` wraps and loads the stages (`compose__fused()` or
	`compose__chained()`, as the plan's `datapath` says), `gen__install()`
	writes bank A and `ap__flip()` slot 0; the real dispatcher comes from
	`disp.c` (`disp__load_mem()`). The packet (64-byte Ethernet/IPv4/UDP) enters the dispatcher
	with `BPF_PROG_TEST_RUN`. ns/packet is the kernel's own timing of the
	program runs (whole ns): with repeat > 1 an XDP test run adds the program
	to the kernel's XDP dispatcher and takes it out again around the timed
	loop (`bpf_prog_change_xdp()`: a text poke and an RCU grace period,
	milliseconds that vary from call to call), so wall time is useless for
	XDP; it is in the raw data. Each run executes every variant once,
	interleaved, so other load on the machine hits all columns alike; the
	process runs SCHED_FIFO on one CPU.

	- **fused** (`datapath: fused`): the dispatcher's tail call into one
	  program whose main calls each stage (`tests/bpf/progs/bench_pass.bpf.c`,
	  a pass-through body under `TG_STAGE()`) as a subprogram and counts its
	  verdict under the stage's slot (packets, bytes, verdict, continued).
	- **chained** (`datapath: chained`, the default): the same stages, one
	  wrapped program each, a direct tail call between them.
	- **monolith** (`bench_mono.bpf.c`): "the same work" in one program, as an
	  operator would write it: N counters, each bumped with an atomic add the
	  way the counter stage counts; no dispatcher, no per-stage bookkeeping.
	- **libxdp model** (`bench_libxdp.bpf.c`), a MODEL, not libxdp: this kernel
	  refuses freplace (EPERM). It is what libxdp's dispatcher runs once
	  freplace has patched it: one program calling N non-inlined global
	  functions, each verdict checked against that function's
	  `chain_call_actions` mask from `.rodata`, each function doing the
	  monolith's work for one stage. Real libxdp adds a jump from the patched
	  stub into each extension program and its prologue, so the model
	  flatters libxdp a little; libxdp has no tc dispatcher, the tc column
	  applies the same scheme to tc.
	- **third-party, wrapped** (`bench_plain.bpf.c`, no tailgate header) and
	  **old header** (`bench_oldhdr.bpf.c`: BASELINE ONLY, the ABI 1 stage
	  header: each stage counts itself into its `.rodata` slot and tail-calls
	  its `.rodata` next slot; loaded with `bpfutil__set_rodata()`, written
	  with `slots__set()`), both chained behind the real dispatcher.
	- **splitting dispatcher**: `bpf/split.bpf.c` (the weighted canary's, from
	  branch split-datapath, merged on main), loaded by `disp__load_mem()`
	  onto the fused attach points (the same generation in both banks),
	  weight 50 % set with `ap__set_weight()`; this run's one flow hashes to
	  one of the two banks, both count.
	EOF
	cat "$OUT/dispatch.md"
	echo
	echo "Load average when these runs started: $load (the bench waits up to 3 minutes for it to fall below 1; this machine is shared). Raw data: \`build/bench/dispatch.tsv\` (every run: kernel and wall ns per packet)."
}

# 2. The splitting dispatcher by frame kind and weight

section_split() {
	log "splitting dispatcher: bench_split, repeat $REPEAT, 15 rounds"
	"$BS" -r "$REPEAT" -n 15 >"$OUT/split.md"
	cat <<-'EOF'

	## Splitting dispatcher by frame kind and weight

	`build/tools/bench_split` (from branch split-datapath, on the orchestrator's
	attach point: `ap__prepare_mem()`, `disp__load_mem()`, `ap__set_weight()`):
	the splitting dispatcher against the plain one on the same frame, each
	variant paired with a plain run in the same round, stub generations in
	both banks; the extra is the mean of the middle half of the paired
	differences. This is the cost of the flow hash by frame kind (the
	dispatch tables above show it in front of real fused generations, one
	IPv4 UDP flow, weight 50 %).
	EOF
	cat "$OUT/split.md"
}

# 3. The plot

section_plot() {
	local h v k
	{
		echo "# stages, then per hook (xdp, tc) and variant (fused chained monolith libxdp-model): median min max"
		for k in "${!LENS[@]}"; do
			printf '%s' "${LENS[$k]}"
			for h in xdp tc; do
				for v in fused chained monolith libxdp-model; do
					printf ' %s %s %s' "$(sumval "${h}_${v}_${LENS[$k]}")" \
						"$(sumval "${h}_${v}_${LENS[$k]}" 3)" "$(sumval "${h}_${v}_${LENS[$k]}" 4)"
				done
			done
			echo
		done
	} >"$OUT/stages.dat"
	gnuplot <<-EOF
	set terminal svg size 960,440 dynamic noenhanced font "sans,12" background "white"
	set output "$SVG"
	set multiplot layout 1,2 title "tailgate, ns per packet against stages: BPF_PROG_TEST_RUN on $(uname -r), medians of $DRUNS runs, bars min to max"
	set xlabel "stages"
	set ylabel "ns per packet"

	set xtics (1, 2, 4, 8, 16)
	set xrange [0:17]
	set yrange [0:*]
	set key top left Left reverse opaque
	set grid ytics
	set style line 1 lw 2 pt 7 lc rgb "#1b9e77"
	set style line 2 lw 2 pt 5 lc rgb "#d95f02"
	set style line 3 lw 2 pt 9 lc rgb "#7570b3"
	set style line 4 lw 2 pt 13 lc rgb "#666666"
	set title "XDP"
	plot "$OUT/stages.dat" u 1:2:3:4 w yerrorlines ls 1 t "tailgate, fused", \\
	     "" u 1:5:6:7 w yerrorlines ls 2 t "tailgate, chained", \\
	     "" u 1:8:9:10 w yerrorlines ls 3 t "monolith", \\
	     "" u 1:11:12:13 w yerrorlines ls 4 t "libxdp dispatcher MODEL"
	set title "tc (SCHED_CLS)"
	plot "$OUT/stages.dat" u 1:14:15:16 w yerrorlines ls 1 t "tailgate, fused", \\
	     "" u 1:17:18:19 w yerrorlines ls 2 t "tailgate, chained", \\
	     "" u 1:20:21:22 w yerrorlines ls 3 t "monolith", \\
	     "" u 1:23:24:25 w yerrorlines ls 4 t "libxdp dispatcher MODEL"
	unset multiplot
	EOF
	cat <<-EOF

	![ns per packet against stages, XDP and tc](bench-stages.svg)

	\`tools/bench-stages.svg\` (gnuplot, from \`build/bench/stages.dat\`): the medians of the tables above, bars from min to max.
	EOF
}
LENS=(1 2 4 8 16)

# 4. Rollouts: apply, flips, weights, loss
source "$ROOT/tools/lib/bench_rollout.sh"

# 5. What bounds the results, with this run's numbers
source "$ROOT/tools/lib/bench_report.sh"

# Run

topo_up
if [[ -x $BD && -x $BS ]]; then
	for s in section_dispatch section_plot section_split; do
		$s >"$OUT/$s.md" || { FAILED+=("$s"); log "$s failed"; }
	done
else
	FAILED+=("bench_dispatch or bench_split (not built)")
fi
if [[ $HAVE_CLI == 1 ]]; then
	run_rollouts
fi
topo_down
section_bounds >"$OUT/section_bounds.md" || true

summary >"$OUT/summary.md"
{
	echo "# tailgate benchmarks"
	echo
	echo "Generated by \`make bench\` (tools/bench.sh); raw data in \`build/bench/\`."
	echo
	machine
	echo
	echo "## Summary"
	echo
	cat "$OUT/summary.md"
	if [[ ${#FAILED[@]} -gt 0 ]]; then
		echo
		echo "Not measured in this run: ${FAILED[*]}."
	fi
	for s in section_dispatch section_plot section_split "${ROLLOUT_SECTIONS[@]}" section_bounds; do
		[[ -s $OUT/$s.md ]] && { echo; cat "$OUT/$s.md"; }
	done
} >"$RESULTS"

# The README's table and plot, between its markers (left alone if they are missing).
if [[ -z ${BENCH_NO_README:-} ]] && grep -q '<!-- bench:begin -->' README.md &&
	grep -q '<!-- bench:end -->' README.md; then
	{
		echo "Last \`make bench\`: $(uname -r), $(nproc) cores; details in [tools/bench-results.md](tools/bench-results.md)."
		echo
		echo "![ns per packet against stages: fused, chained, monolith, libxdp model; XDP and tc](tools/bench-stages.svg)"
		echo
		cat "$OUT/summary.md"
	} >"$OUT/readme-table.md"
	awk -v f="$OUT/readme-table.md" '
		/<!-- bench:begin -->/ {print; while ((getline l < f) > 0) print l; skip = 1; next}
		/<!-- bench:end -->/ {skip = 0}
		!skip' README.md >"$OUT/README.md.new"
	cat "$OUT/README.md.new" >README.md
fi
cat "$OUT/summary.md"
echo
echo "bench: results in tools/bench-results.md"
[[ ${#FAILED[@]} -eq 0 ]]
