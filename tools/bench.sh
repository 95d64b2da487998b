#!/usr/bin/env bash
# SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause)
#
# make bench: tailgate against a monolithic program and a model of libxdp's
# dispatcher, flip latency, rollout cost, and loss during flips.
#
# Writes tools/bench-results.md (figures, medians, min/max, machine and
# kernel, a short table with the targets) and raw data to build/bench/;
# rewrites the README between <!-- bench:begin --> and <!-- bench:end -->.
#
# It creates network namespaces tgb<pid>a (tb0..tbN-1, 198.18.i.1/24) and
# tgb<pid>b (peers tbp0..tbpN-1, 198.18.i.2/24), pins under
# /sys/fs/bpf/tgbench-<pid> and a private state dir, and removes all of it
# on exit, also on failure or ^C. Traffic stays between those namespaces.
#
# Knobs (environment): BENCH_RUNS (5), BENCH_DISPATCH_RUNS (9), BENCH_REPEAT (10000000),
# BENCH_IFACES (64), BENCH_ZEROLOSS_SECS (12), BENCH_FLIP_MS (10),
# BENCH_WHATIF_RUNS (3), BENCH_NO_README=1 (leave README.md alone).
set -euo pipefail

cd "$(dirname "$0")/.."
ROOT=$PWD
B=$ROOT/build
OUT=$B/bench
RESULTS=${BENCH_RESULTS:-$ROOT/tools/bench-results.md}
RUNS=${BENCH_RUNS:-5}
DRUNS=${BENCH_DISPATCH_RUNS:-9}	# test runs are cheap and this machine is shared: more
REPEAT=${BENCH_REPEAT:-10000000}
NIF=${BENCH_IFACES:-64}
ZL_SECS=${BENCH_ZEROLOSS_SECS:-12}
FLIP_MS=${BENCH_FLIP_MS:-10}
WHATIF_RUNS=${BENCH_WHATIF_RUNS:-3}
TG=${BENCH_TAILGATE:-$B/tailgate}	# override only to try a private build
BD=$B/tools/bench_dispatch
BF=$B/tools/bench_flip
TT=$B/tools/tgtraffic

NSA=tgb$$a
NSB=tgb$$b
PIN_BASE=/sys/fs/bpf/tgbench-$$
STATE_BASE=$(mktemp -d /tmp/tgbench-state.XXXXXX)
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
tools/deps.sh time binutils >/dev/null
mkdir -p "$OUT"

# Build what the bench needs; the rollout sections need the CLI.
BENCH_TARGETS=("$BD" "$BF" "$TT")
for f in tests/bpf/progs/bench_*.bpf.c bpf/*.bpf.c; do
	n=$(basename "$f" .bpf.c)
	case $f in
	tests/*) BENCH_TARGETS+=("$B/tests/bpf/$n.bpf.o") ;;
	*) BENCH_TARGETS+=("$B/bpf/$n.bpf.o") ;;
	esac
done
make --no-print-directory "${BENCH_TARGETS[@]}" >&2
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
sumval() { awk -v k="$1" '$1 == k {print $2; exit}' "$OUT/dispatch-summary.txt"; }
le() { awk -v a="$1" -v b="$2" 'BEGIN {exit !(a <= b)}'; }
lt() { awk -v a="$1" -v b="$2" 'BEGIN {exit !(a < b)}'; }
fmt() { awk -v a="$1" -v f="${2:-%.2f}" 'BEGIN {printf f, a}'; }
verdict() { if "$@"; then echo "**met**"; else echo "**missed**"; fi; }

topo_down() {
	ip netns del "$NSA" 2>/dev/null || true
	ip netns del "$NSB" 2>/dev/null || true
}

# $NIF veth pairs: tb<i> in $NSA (198.18.i.1/24), tbp<i> in $NSB (.2).
topo_up() {
	local i
	topo_down
	ip netns add "$NSA"
	ip netns add "$NSB"
	for ((i = 0; i < NIF; i++)); do
		printf 'link add tb%d netns %s address 02:00:c6:12:%02x:01 type veth peer name tbp%d netns %s address 02:00:c6:12:%02x:02\n' \
			"$i" "$NSA" "$i" "$i" "$NSB" "$i"
	done | ip -batch -
	{
		echo "link set lo up"
		for ((i = 0; i < NIF; i++)); do
			echo "addr add 198.18.$i.1/24 dev tb$i"
			echo "link set tb$i up"
		done
		echo "neigh replace 198.18.0.2 lladdr 02:00:c6:12:00:02 dev tb0 nud permanent"
	} | ip -n "$NSA" -batch -
	{
		echo "link set lo up"
		for ((i = 0; i < NIF; i++)); do
			echo "addr add 198.18.$i.2/24 dev tbp$i"
			echo "link set tbp$i up"
		done
		echo "neigh replace 198.18.0.1 lladdr 02:00:c6:12:00:01 dev tbp0 nud permanent"
	} | ip -n "$NSB" -batch -
}

# A fresh pin root and state dir per rollout run.
fresh_roots() {
	export TAILGATE_PIN_ROOT=$PIN_BASE/run$1
	export TAILGATE_STATE_DIR=$STATE_BASE/run$1
	mkdir -p "$TAILGATE_STATE_DIR"
}

# plan FILE NAME OBJDIR_BPF OBJDIR_TESTS: 3 stages onto tb0 + "tb*"
plan() {
	cat >"$1" <<-EOF
	name: $2
	hook: xdp
	interfaces:
	  canary: [tb0]
	  fleet: ["tb*"]
	pipeline:
	  - name: counter
	    object: $3/counter.bpf.o
	    program: counter
	    keep_maps: [packet_count]
	  - name: blocklist
	    object: $3/blocklist.bpf.o
	    program: blocklist
	  - name: pass
	    object: $4/bench_pass.bpf.o
	    program: bench_pass
	steps:
	  - canary: {}
	  - promote: {batch: $NIF}
	on_failure: rollback
	EOF
}

# apply PLAN LABEL [ENV...]: one timed `tailgate apply` inside $NSA;
# appends "wall_s maxrss_kb" to $OUT/apply-LABEL.txt
NAPPLY=0
apply() {
	local plan=$1 label=$2 rc=0 lf
	shift 2
	NAPPLY=$((NAPPLY + 1))
	lf=$OUT/apply-$label-$NAPPLY.log
	nsenter --net=/run/netns/"$NSA" env "$@" /usr/bin/time -f '%e %M' -o "$OUT/time.txt" \
		"$TG" apply "$plan" >"$lf" 2>&1 || rc=$?
	if [[ $rc -ne 0 ]]; then
		log "tailgate apply $plan failed (exit $rc): see $lf"
		tail -5 "$lf" >&2
		return 1
	fi
	cat "$OUT/time.txt" >>"$OUT/apply-$label.txt"
}

machine() {
	local cpu
	cpu=$(awk -F': ' '/model name/ {print $2; exit}' /proc/cpuinfo)
	cat <<-EOF
	- Date: $(date -u '+%Y-%m-%d %H:%M UTC'); tree: $(git rev-parse --short HEAD 2>/dev/null || echo '?')
	- Kernel: $(uname -r) ($(uname -m)); CPU: $cpu, $(nproc) cores; memory $(awk '/MemTotal/ {printf "%.1f GiB", $2/1048576}' /proc/meminfo)
	- Spectre v2: $(cat /sys/devices/system/cpu/vulnerabilities/spectre_v2 2>/dev/null || echo '?')
	- JIT: bpf_jit_enable=$(cat /proc/sys/net/core/bpf_jit_enable), bpf_jit_harden=$(cat /proc/sys/net/core/bpf_jit_harden); libbpf $(dpkg-query -W -f='${Version}' libbpf1 2>/dev/null || echo '?'); $(clang --version | head -1); bpftool $(bpftool version 2>/dev/null | head -1 | awk '{print $2}')
	- Runs per measurement: $DRUNS for test-run figures, $RUNS for applies and the flip rounds' own repetitions as stated (medians; min–max in parentheses); load average at start: $(cut -d' ' -f1-3 /proc/loadavg)
	EOF
}

# 1. Dispatch overhead

# Nanosecond figures on a shared 2-core machine: wait (at most 3 minutes)
# for the 1-minute load average to drop below 1 before measuring.
wait_quiet() {
	local i
	for ((i = 0; i < 36; i++)); do
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
	log "dispatch overhead: BPF_PROG_TEST_RUN x $REPEAT, $DRUNS runs, XDP and tc"
	"$BD" run -b "$B" -r "$REPEAT" -n "$DRUNS" -o "$OUT/dispatch.tsv" \
		-s "$OUT/dispatch-summary.txt" >"$OUT/dispatch.md"
	cat <<-'EOF'
	## Dispatch overhead

	`build/tools/bench_dispatch run`. Every chain is the real thing, loaded the
	way `orchestrator/loader.c` loads a generation: the real dispatcher
	object (`build/bpf/dispatcher.bpf.o`) creates `slots` and `stats`; each
	stage (`tests/bpf/progs/bench_pass.bpf.c`, a pass-through body under the
	real `TG_STAGE()` header) is opened with `tg_self_slot`/`tg_next_slot`/
	`tg_fail_closed` set in `.rodata`, bound to those maps with
	`bpf_map__reuse_fd()`, loaded tail to head, written into bank A tail to
	head, and slot 0 is written last. The packet (64-byte Ethernet/IPv4/UDP)
	goes through the dispatcher with `BPF_PROG_TEST_RUN`; ns/packet is wall
	time around the syscall divided by `repeat` (the kernel's own figure is
	in the raw data, rounded down to whole ns). Each run executes every
	variant once, interleaved, so other load on the machine hits all
	columns alike.

	- **tailgate**: the dispatcher (its hot path is the tail call alone;
	  slot 0 counts only packets that find it empty) + N stages, each
	  counting packets, bytes and one verdict counter into its own slot of
	  the per-CPU \`stats\`, then a direct tail call.
	- **monolith** (\`bench_mono.bpf.c\`): "same work" = the N stages' work
	  inlined into one program: N times the same per-CPU \`stats\` lookup,
	  packets++, bytes += len and one verdict counter, in the same map
	  layout and slots, the packet context read once. What it does not do
	  is tailgate's overhead, which is what is measured: the dispatcher's
	  tail call and the N − 1 between stages, and each stage reading its
	  context again.
	- **libxdp model** (`bench_libxdp.bpf.c`) — a MODEL, not libxdp: this
	  kernel refuses freplace and fentry (EPERM), so libxdp would fall back
	  to a single program. The model is what libxdp's `xdp-dispatcher` runs
	  once freplace has patched it: one dispatcher calling N non-inlined
	  global functions in sequence, each verdict checked against that
	  slot's `chain_call_actions` mask from `.rodata`
	  (`ret = progK(ctx); if (!((1U << ret) & mask[K])) return ret;`), each
	  function doing one stage's counter work. Real libxdp adds a jump from
	  the patched stub into each extension program and that program's
	  prologue, so the model flatters libxdp slightly. libxdp has no tc
	  dispatcher; the tc column applies the same scheme to tc.
	EOF
	cat "$OUT/dispatch.md"
	echo
	echo "Load average when these runs started: $load (the bench waits up to 3 minutes for it to fall below 1; this machine is shared). Raw data: \`build/bench/dispatch.tsv\` (every run, wall and kernel ns)."
}

# 2. Direct tail calls, from the JIT image

section_jit() {
	local f a site
	log "JIT inspection"
	"$BD" jit -b "$B" -o "$OUT" >"$OUT/jit.md"
	cat <<-'EOF'

	## Are the tail calls direct?

	Two independent checks. (1) Timing: the same chain with the key read
	from a map at run time (`bench_dyn.bpf.c`: `tg_next_slot + map[0]`, so
	the verifier cannot record a constant key) is in the "map-read key"
	column above; the per-hop difference is the cost of the indirect,
	retpolined tail call the header avoids. (2) The JIT image itself: the
	raw x86 bytes are read with `bpf_obj_get_info_by_fd()`
	(`jited_prog_insns`, `jited_ksyms`) and scanned for the 5-byte
	`jmp rel32` (0xe9); its target is resolved against the next program's
	image and against the kernel's `__x86_indirect_thunk_*` symbols from
	`/proc/kallsyms`.

	EOF
	cat "$OUT/jit.md"
	if command -v objdump >/dev/null; then
		echo
		echo "The tail-call sites, disassembled (\`objdump -D -b binary -mi386:x86-64\` of the dumped images in \`build/bench/jit-*.bin\`):"
		for f in tailgate-dispatcher tailgate-stage tailgate-map-key-stage bare-tail-calls-stage; do
			a=$(cat "$OUT/jit-$f.addr")
			objdump -D -b binary -mi386:x86-64 --adjust-vma="$a" "$OUT/jit-$f.bin" \
				>"$OUT/jit-$f.s"
			# the last far jmp is the tail call: show the sequence leading to it
			site=$(awk '/\tjmp  *0x[0-9a-f]+$/ && $2 == "e9" {n=NR} END {print n}' "$OUT/jit-$f.s")
			[[ -n $site ]] || continue
			echo
			echo "\`$f\`:"
			echo '```'
			sed -n "$((site - 9)),$((site))p" "$OUT/jit-$f.s" | cut -f1,3
			echo '```'
		done
	fi
}

# 3. Load and verify cost per stage

# The same sources built the classic way, with CO-RE field relocations
# (no -DBPF_NO_PRESERVE_ACCESS_INDEX): how third-party stages usually come.
build_core_objects() {
	local f n
	mkdir -p "$OUT/core"
	for f in bpf/dispatcher.bpf.c bpf/counter.bpf.c bpf/blocklist.bpf.c tests/bpf/progs/bench_pass.bpf.c; do
		n=$(basename "$f" .bpf.c)
		clang -g -O2 -target bpf -Wall -Werror -D__TARGET_ARCH_x86 \
			-I"$B" -Ibpf/include -c "$f" -o "$OUT/core/$n.bpf.o"
	done
}

section_load() {
	local tun=GLIBC_TUNABLES=glibc.malloc.mmap_threshold=268435456:glibc.malloc.trim_threshold=536870912
	local objs=("$B/bpf/dispatcher.bpf.o:tg_dispatch_xdp" "$B/bpf/counter.bpf.o:counter"
		"$B/bpf/blocklist.bpf.o:blocklist" "$B/tests/bpf/bench_pass.bpf.o:bench_pass")
	local core=("$OUT/core/dispatcher.bpf.o:tg_dispatch_xdp" "$OUT/core/counter.bpf.o:counter"
		"$OUT/core/blocklist.bpf.o:blocklist" "$OUT/core/bench_pass.bpf.o:bench_pass")
	log "load + verify per stage"
	build_core_objects
	bpftool gen min_core_btf /sys/kernel/btf/vmlinux "$OUT/min_core.btf" \
		"$OUT/core/dispatcher.bpf.o" "$OUT/core/counter.bpf.o" "$OUT/core/blocklist.bpf.o" \
		"$OUT/core/bench_pass.bpf.o"
	cat <<-EOF

	## Load and verify, per stage

	\`build/tools/bench_dispatch load\`: each object read once, then, $RUNS times,
	opened from memory, its .rodata slots set, bound to an attach point's
	\`slots\`/\`stats\` and loaded with a verifier log at level 4, exactly as
	\`loader.c\` does; "verifier" is the kernel's own "verification time".
	The last column is a separate parse of the kernel BTF
	(/sys/kernel/btf/vmlinux, $(stat -c %s /sys/kernel/btf/vmlinux) bytes), for scale.

	As shipped (the Makefile builds BPF objects with \`-DBPF_NO_PRESERVE_ACCESS_INDEX\`:
	no CO-RE relocations, libbpf never reads the kernel BTF):

	EOF
	"$BD" load -b "$B" -n "$RUNS" "${objs[@]}"
	cat <<-EOF

	The same sources built the classic way, with CO-RE relocations (as
	tailgate's were before, and as third-party stages built against
	\`vmlinux.h\` usually are): libbpf reads and parses the whole kernel BTF
	for every such object, 4 KiB \`read()\`s into fresh memory:

	EOF
	"$BD" load -b "$B" -n "$RUNS" "${core[@]}"
	cat <<-EOF

	Those objects again, glibc told to keep freed memory instead of
	returning each multi-megabyte BTF buffer to the kernel
	(\`$tun\`, equivalent to two \`mallopt()\` calls at the start of
	\`main()\`), so the parse stops page-faulting in fresh memory each time:

	EOF
	env "$tun" "$BD" load -b "$B" -n "$RUNS" "${core[@]}"
	cat <<-EOF

	Those objects with \`btf_custom_path\` pointing at a minimal BTF for them
	(\`bpftool gen min_core_btf\`, $(stat -c %s "$OUT/min_core.btf") bytes):

	EOF
	"$BD" load -b "$B" -n "$RUNS" -B "$OUT/min_core.btf" "${core[@]}"
}

# 4. Rollout, flips, loss

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

section_rollout() {
	local r g
	local tun=GLIBC_TUNABLES=glibc.malloc.mmap_threshold=268435456:glibc.malloc.trim_threshold=536870912
	rm -f "$OUT"/apply-*.txt "$OUT"/apply-*.log
	plan "$OUT/plan-gen1.yaml" bench-gen1 "$B/bpf" "$B/tests/bpf"
	plan "$OUT/plan-gen2.yaml" bench-gen2 "$B/bpf" "$B/tests/bpf"
	plan "$OUT/plan-core.yaml" bench-core "$OUT/core" "$OUT/core"
	[[ -e $OUT/core/bench_pass.bpf.o ]] || build_core_objects
	# what-ifs first, the shipped configuration last: its topology stays
	for ((r = 1; r <= WHATIF_RUNS; r++)); do
		log "what-if apply runs $r/$WHATIF_RUNS"
		fresh_roots "x$r"; topo_up
		apply "$OUT/plan-core.yaml" fresh-core
		fresh_roots "y$r"; topo_up
		apply "$OUT/plan-core.yaml" fresh-core-malloc "$tun"
	done
	for ((r = 1; r <= RUNS; r++)); do
		log "fresh apply of 3 stages onto $NIF interfaces, run $r/$RUNS"
		fresh_roots "$r"; topo_up
		apply "$OUT/plan-gen1.yaml" fresh
	done
	for ((r = 1; r <= RUNS; r++)); do
		log "upgrade apply (dispatchers attached), run $r/$RUNS"
		g=$((r % 2 ? 2 : 1))
		apply "$OUT/plan-gen$g.yaml" upgrade
	done
	log "strace -c and perf of one fresh apply"
	fresh_roots s; topo_up
	nsenter --net=/run/netns/"$NSA" strace -f -c -o "$OUT/apply.strace" "$TG" apply \
		"$OUT/plan-gen1.yaml" >/dev/null 2>&1 || true
	fresh_roots p; topo_up
	nsenter --net=/run/netns/"$NSA" perf record -q -e cpu-clock -F 1999 -g -o "$OUT/apply.perf" \
		"$TG" apply "$OUT/plan-gen1.yaml" >/dev/null 2>&1 || true
	# leave the shipped configuration in place, both banks loaded
	fresh_roots z; topo_up
	apply "$OUT/plan-gen1.yaml" setup
	apply "$OUT/plan-gen2.yaml" setup

	cat <<-EOF

	## Rollout cost

	\`tailgate apply\` of a 3-stage plan (counter, blocklist, bench_pass;
	steps: canary tb0, then promote the other $((NIF - 1)) in one batch; no analyze step)
	onto $NIF veth interfaces in a namespace, timed with \`/usr/bin/time\`
	(wall, max RSS of the orchestrator). "Fresh" = no dispatcher yet
	(each run on newly created interfaces, pins and state): dispatcher +
	3 stages loaded per interface; "upgrade" = dispatchers attached, the
	new generation loaded into the inactive bank and flipped.

	| apply | runs | wall s | ms per interface | peak RSS MiB |
	|---|---:|---:|---:|---:|
	EOF
	apply_row fresh "fresh, as shipped"
	apply_row upgrade "upgrade, as shipped"
	apply_row fresh-core "for comparison: fresh, the 3 stages built with CO-RE relocations"
	apply_row fresh-core-malloc "for comparison: same, glibc keeps freed memory (mallopt)"
	echo
	echo "Of every wall time above, 1.0 s is a deliberate wait, not loading: before a wave that leaves no interface on the previous generation (this plan's last wave) the engine samples a 1-s baseline pre-window (\`take_prewindows()\` in orchestrator/engine.c, \`ROLLOUT_WAVE_INTERVAL_MS\`). The comparison rows keep the shipped dispatcher (no CO-RE) and change only the three stage objects (\`build/bench/core/\`)."
	if [[ -s $OUT/apply.strace ]]; then
		echo
		echo "\`strace -f -c\` of one fresh apply (top system calls by time):"
		echo '```'
		sed -n '1,12p' "$OUT/apply.strace"
		echo '```'
	fi
	if [[ -s $OUT/apply.perf ]]; then
		perf report -i "$OUT/apply.perf" --children --sort sym --stdio -g none 2>/dev/null |
			grep -E '^ +[0-9]' >"$OUT/apply.perf.txt" || true
		echo
		echo "\`perf record -e cpu-clock -g\` of one fresh apply: share of samples in (children included; libbpf's own frames do not resolve, Debian strips them): all bpf() calls, program loads, the verifier, re-patching direct tail-call sites as banks are written and flipped, re-patching the kernel's XDP dispatcher as dispatchers attach, all text pokes, fsync of the state files, reading /sys/kernel/btf/vmlinux and page faults:"
		echo
		echo "| function | share |"
		echo "|---|---:|"
		for f in __sys_bpf bpf_prog_load bpf_check prog_array_map_poke_run bpf_dispatcher_change_prog \
			smp_text_poke_batch_finish ext4_sync_file kernfs_fop_read_iter exc_page_fault; do
			awk -v f="$f" '$NF == f {print "| `" f "` | " $1 " |"; exit}' "$OUT/apply.perf.txt"
		done
	fi
}

need_attach_point() {
	[[ -e $TAILGATE_PIN_ROOT/tb0/xdp/slots ]] && return 0
	echo
	echo "Not run: the applies did not leave an attach point on tb0 (see build/bench/apply-*.log)."
	return 1
}

section_flip() {
	local f
	need_attach_point || return 1
	log "flip latency: one interface, then $NIF"
	cat <<-EOF

	## Flip latency

	\`build/tools/bench_flip\` on the attach points left by the last two
	applies (a generation in each bank, dispatchers attached to live veth
	interfaces). One flip = what \`slots__flip()\` does: read the bank
	head's program id, get an fd for it, write slot 0, close the fd. The
	kernel re-patches the dispatcher's direct jump (text poke) before the
	write returns, so the new head is live when the call returns. Also
	timed: the raw \`bpf_map_update_elem()\` of slot 0 with the heads' fds
	already open; as a control, the same write into a slot that no program
	tail-calls with a constant key (nothing to re-patch); and an
	alternative design, one dispatcher per bank (\`bench_bankdisp.bpf.c\`)
	swapped with \`bpf_link_update()\`.

	One interface (tb0, alternating banks):

	EOF
	"$BF" single "$TAILGATE_PIN_ROOT/tb0/xdp" -n 2000 -L "$B/tests/bpf/bench_bankdisp.bpf.o" |
		tee "$OUT/flip-single.md"
	cat <<-EOF

	Promotion across $NIF interfaces (generation already loaded everywhere, prog arrays open):

	EOF
	"$BF" fleet "$TAILGATE_PIN_ROOT" xdp tb "$NIF" -n 20 | tee "$OUT/flip-fleet.md"
	perf record -q -e cpu-clock -F 4999 -g -o "$OUT/flip.perf" \
		"$BF" single "$TAILGATE_PIN_ROOT/tb0/xdp" -n 1000 >/dev/null 2>&1 || true
	if [[ -s $OUT/flip.perf ]]; then
		perf report -i "$OUT/flip.perf" --children --sort sym --stdio -g none 2>/dev/null |
			grep -E '^ +[0-9]' >"$OUT/flip.perf.txt" || true
		echo
		echo "\`perf record -e cpu-clock -g\` of 1000 flips: share of samples in (children included):"
		echo
		echo "| function | share | what it is |"
		echo "|---|---:|---|"
		for f in "bpf_fd_array_map_update_elem:the prog-array write" \
			"prog_array_map_poke_run:re-patching direct tail-call sites" \
			"smp_text_poke_batch_finish:x86 cross-modifying code (int3 protocol)" \
			"smp_call_function_many_cond:waiting for the other CPUs (3 sync rounds)" \
			"x2apic_send_IPI:sending the IPIs" "pvm_write_msr:hypervisor exit per IPI (PVM guest)" \
			"pvm_irq_enable:hypervisor exit per irq enable (PVM guest)"; do
			awk -v f="${f%%:*}" -v w="${f#*:}" '$NF == f {print "| `" f "` | " $1 " | " w " |"; exit}' \
				"$OUT/flip.perf.txt"
		done
	fi
}

# zl RATE SECS FLIP_MS: tgtraffic from tbp0 to tb0 while bench_flip churns
# tb0's slot 0; one line of key=value on stdout
NZL=0
# UDP receive-buffer drops in $NSA: loss at the socket, after the XDP hook
rcvbuf_errors() {
	ip netns exec "$NSA" awk '/^Udp:/ {if (++n == 1) {for (i = 1; i <= NF; i++) h[i] = $i}
		else for (i = 1; i <= NF; i++) if (h[i] == "RcvbufErrors") print $i}' /proc/net/snmp
}

zl() {
	local rate=$1 secs=$2 ms=$3 port rpid cpid t0 t1 sent rb0
	NZL=$((NZL + 1))
	rb0=$(rcvbuf_errors)
	port=$((5000 + NZL))
	ip netns exec "$NSA" "$TT" recv --bind 198.18.0.1 --port "$port" \
		--duration $((secs + 15)) --idle-ms 3000 >"$OUT/zl-recv-$NZL.txt" 2>&1 &
	rpid=$!
	sleep 0.3
	"$BF" churn "$TAILGATE_PIN_ROOT/tb0/xdp" -i "$ms" -d "$(awk -v s="$secs" 'BEGIN {print s + 1}')" \
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

section_zeroloss() {
	local cal rate rx secs base i line
	need_attach_point || return 1
	log "zero loss: calibrating the steady rate"
	cal=$(zl 0 3 0)
	echo "$cal" >"$OUT/zeroloss.txt"
	rx=$(kv received <<<"$cal")
	secs=$(kv seconds <<<"$cal")
	if [[ -z $rx || $rx == 0 ]]; then
		echo "Not run: the calibration run carried no traffic: $cal"
		return 1
	fi
	# Steady = carried for the whole test length without flips: no loss,
	# and the sender really reached the rate.
	rate=$(awk -v r="$rx" -v s="$secs" 'BEGIN {printf "%d", 0.8 * r / s}')
	for ((i = 0; i < 5; i++)); do
		log "zero loss: checking $rate pps for ${ZL_SECS}s without flips"
		base=$(zl "$rate" "$ZL_SECS" 0)
		echo "$base" >>"$OUT/zeroloss.txt"
		[[ $(kv lost <<<"$base") == 0 ]] &&
			awk -v a="$(kv rate_pps <<<"$base")" -v r="$rate" 'BEGIN {exit !(a >= 0.95 * r)}' && break
		rate=$(awk -v r="$rate" 'BEGIN {printf "%d", r * 0.85}')
	done
	log "zero loss: $rate pps for ${ZL_SECS}s, flipping every ${FLIP_MS} ms"
	line=$(zl "$rate" "$ZL_SECS" "$FLIP_MS")
	echo "$line" >>"$OUT/zeroloss.txt"
	echo "$line" >"$OUT/zeroloss-final.txt"
	cat <<-EOF

	## Zero loss during flips

	\`build/tools/tgtraffic\` (UDP, sequence numbers, 22-byte payload: 64-byte
	frames) from tbp0 (198.18.0.2, namespace B) to a receiver on tb0
	(198.18.0.1, namespace A) whose XDP hook runs the 3-stage generation,
	while \`bench_flip churn\` flips tb0's slot 0 between the two loaded
	generations every $FLIP_MS ms, \`slots__flip()\` style, and reads the
	attach point's counters before and after. Rate: an unpaced sender for
	3 s got $(awk -v r="$rx" -v s="$secs" 'BEGIN {printf "%.0f", r / s}') pps through (one sender core; the softirq and the
	receiver share the other). The steady rate is the highest, starting
	at 80% of that and lowering by 15%, that a flip-free run of the same
	length ($ZL_SECS s) carries with nothing lost and the sender at 95% of
	its target or better: **$rate pps**. "Hook saw" is slot 0 (packets
	that found it empty) plus both banks' head stages, i.e. every packet
	that reached tailgate's XDP hook; "socket drops" are the receiving
	namespace's UDP RcvbufErrors, loss after the hook. tgtraffic's END
	markers (5 per run) are counted by the hook, not as sent.

	| phase | rate pps | seconds | sent | received | lost | duplicates | reordered | flips | slowest flip µs | hook saw | tail misses | drops | aborts | socket drops |
	|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|
	EOF
	while read -r line; do
		printf '| %s | %s | %s | %s | %s | %s | %s | %s | %s | %s | %s | %s | %s | %s | %s |\n' \
			"$(if [[ $(kv flips <<<"$line") != 0 ]]; then echo "**flipping every $FLIP_MS ms**";
			   elif [[ $(kv rate_target <<<"$line") == 0 ]]; then echo "calibration, unpaced";
			   else echo "steady, no flips"; fi)" \
			"$(kv rate_pps <<<"$line")" "$(kv seconds <<<"$line")" \
			"$(kv sent <<<"$line")" "$(kv received <<<"$line")" "$(kv lost <<<"$line")" \
			"$(kv dup <<<"$line")" "$(kv reordered <<<"$line")" "$(kv flips <<<"$line")" \
			"$(kv flip_max_us <<<"$line")" "$(kv hook_packets <<<"$line")" \
			"$(kv tail_misses <<<"$line")" "$(kv drops <<<"$line")" "$(kv aborted <<<"$line")" \
			"$(kv socket_drops <<<"$line")"
	done <"$OUT/zeroloss.txt"
}

# What bounds the results, with this run's numbers

section_bounds() {
	local h bare lx mono lean t4 lx4 l4
	cat <<-EOF

	## What bounds the results

	EOF
	for h in xdp tc; do
		bare=$(sumval "${h}_slope_bare-tail-calls")
		lx=$(sumval "${h}_slope_libxdp-model")
		mono=$(sumval "${h}_slope_monolith")
		lean=$(sumval "${h}_slope_tailgate-lean-prototype")
		t4=$(sumval "${h}_tailgate_4"); lx4=$(sumval "${h}_libxdp-model_4")
		l4=$(sumval "${h}_tailgate-lean-prototype_4")
		echo "- **$h dispatch.** A chain of stages that do nothing but the tail call costs $(fmt "$bare") ns per added stage: the kernel's own sequence (tail-call counter check and increment through a pointer on the stack, callee-saved register pops and pushes, the patched \`jmp\`, the next prologue), the floor under any tail-call design here. The libxdp model's BPF-to-BPF call costs $(fmt "$(awk -v a="$lx" -v b="$mono" 'BEGIN {print a - b}')") ns per added program beyond the same work inlined, against $(fmt "$(sumval "${h}_hop")") ns for tailgate's hop, and a chain of N stages takes N tail calls (the dispatcher's included). The lean prototype (\`bench_lean.bpf.c\`: the stage header's tail call with its arguments pinned to r1–r3 and the length kept in one register, 3 callee-saved registers saved per hop instead of 4) measures $(fmt "$l4") ns at 4 stages against $(fmt "$t4") shipped and $(fmt "$lx4") for the libxdp model (slope $(fmt "$lean") ns/stage)."
	done
	cat <<-EOF
	- **Flips.** Writing slot 0 makes the kernel re-patch the dispatcher's direct jump: \`smp_text_poke_batch_finish()\` with three rounds of IPIs to every CPU, each IPI and each irq-enable an exit to the hypervisor on this PVM guest (see the profile above). The same prog-array write with nothing to re-patch takes $(grep 'control:' "$OUT/flip-single.md" 2>/dev/null | awk -F'|' '{gsub(/ /, "", $4); print $4}') µs. The latency therefore depends on the platform and on whether the other vCPU is idle or busy; a promotion is $NIF such re-patches in a row (they serialise on the kernel's text mutex). Swapping per-bank dispatchers with \`bpf_link_update()\` is no way out for XDP: replacing an XDP program re-patches the kernel's XDP dispatcher trampoline instead (the "alternative" row). What would reach the target: a dispatcher whose slot-0 key is not a load-time constant (the flip becomes the plain write, $(grep 'control:' "$OUT/flip-single.md" 2>/dev/null | awk -F'|' '{gsub(/ /, "", $4); print $4}') µs here), at the price of one indirect, retpolined hop per packet (+$(fmt "$(sumval xdp_mapkey_extra)") ns XDP, from the map-read key column): a trade-off for operators, not a free fix.
	- **Rollout.** Verification is a fraction of a millisecond per stage. Before commit 8f0d9af nearly all of an apply was libbpf reading and parsing the 5 MB kernel BTF once per object (dispatcher + 3 stages per interface), because every object carried CO-RE relocations; the Makefile now builds without them, and the "for comparison" rows show what a third-party stage built the classic way still costs per interface, and what two \`mallopt()\` calls in \`main()\` would recover for such stages. What is left of a shipped apply is per-interface kernel work (map creation, verifier, attach, pins), the state written and fsynced per interface, and the 1-s pre-window.
	EOF
}

# 5. The short table

summary() {
	local h t4 m4 l4 rm4 rl4 s hop dyn f1 ff ap rss zl sent lost miss flips
	echo "| measurement | target | result | |"
	echo "|---|---|---|---|"
	for h in xdp tc; do
		s=$(sumval "${h}_slope_tailgate")
		hop=$(sumval "${h}_hop")
		dyn=$(sumval "${h}_mapkey_extra")
		t4=$(sumval "${h}_tailgate_4")
		m4=$(sumval "${h}_monolith_4")
		l4=$(sumval "${h}_libxdp-model_4")
		rm4=$(sumval "${h}_ratio_monolith_4")
		rl4=$(sumval "${h}_ratio_libxdp_4")
		echo "| $h: one tail-call hop | ≤ 2 ns | $(fmt "$hop") ns beyond the same work inlined (tailgate − monolith slope); $(fmt "$s") ns per added stage including the stage's own counters | $(verdict le "$hop" 2) (hop); $(verdict le "$s" 2) (per stage) |"
		echo "| $h: chain of 4 vs monolith | ≤ 1.3x | $(fmt "$rm4")x ($(fmt "$t4") vs $(fmt "$m4") ns) | $(verdict le "$rm4" 1.3) |"
		echo "| $h: chain of 4 vs libxdp model | faster (< 1x) | $(fmt "$rl4")x ($(fmt "$t4") vs $(fmt "$l4") ns) | $(verdict lt "$rl4" 1) |"
		if [[ $h == xdp ]]; then
			echo "| $h: tail calls are direct | direct | JIT image: dispatcher and stage each end in \`jmp rel32\` (e9) into the next program ($(grep -c '[*][*]direct tail call' "$OUT/jit.md" 2>/dev/null || echo 0) such sites found); the map-read-key variant jumps through \`$(grep -o '__x86_indirect[a-z_]*' "$OUT/jit.md" 2>/dev/null | head -1)\` and costs +$(fmt "$dyn") ns per hop | $(verdict grep -q 'bench_pass stage.*direct tail call' "$OUT/jit.md") |"
		else
			echo "| $h: tail calls are direct | direct | same header and JIT path; a map-read key costs +$(fmt "$dyn") ns per hop | $(verdict lt 2 "$dyn") |"
		fi
	done
	if [[ $HAVE_CLI == 1 && -s $OUT/flip-single.md ]]; then
		f1=$(grep 'slots__flip' "$OUT/flip-single.md" | awk -F'|' '{gsub(/ /, "", $4); print $4}')
		ff=$(grep 'promotion' "$OUT/flip-fleet.md" | awk -F'|' '{gsub(/ /, "", $4); print $4}')
		echo "| flip, one interface | < 50 µs | $f1 µs median | $(verdict lt "$f1" 50) |"
		echo "| promotion across $NIF loaded interfaces | < 5 ms | $ff ms median | $(verdict lt "$ff" 5) |"
	fi
	if [[ -s $OUT/apply-fresh.txt ]]; then
		ap=$(awk '{print $1}' "$OUT/apply-fresh.txt" | stats | cut -d' ' -f1)
		rss=$(awk '{print $2}' "$OUT/apply-fresh.txt" | stats | cut -d' ' -f3)
		rss=$(awk -v a="$rss" 'BEGIN {print a / 1024}')
		echo "| full apply, 3 stages onto $NIF interfaces | < 10 s | $(fmt "$ap") s median (fresh) | $(verdict lt "$ap" 10) |"
		echo "| orchestrator peak memory | < 20 MB (19.07 MiB) | $(fmt "$rss" %.1f) MiB max RSS (largest run) | $(verdict lt "$rss" 19.07) |"
	fi
	if [[ -s $OUT/zeroloss-final.txt ]]; then
		zl=$(cat "$OUT/zeroloss-final.txt")
		sent=$(kv sent <<<"$zl"); lost=$(kv lost <<<"$zl"); miss=$(kv tail_misses <<<"$zl")
		flips=$(kv flips <<<"$zl")
		echo "| zero loss, flips every $FLIP_MS ms for ${ZL_SECS} s | 0 lost, 0 tail misses | $sent sent, $lost lost, $miss tail misses, $flips flips at $(kv rate_pps <<<"$zl") pps (target $(kv rate_target <<<"$zl")); the hook saw $(kv hook_packets <<<"$zl") (incl. tgtraffic's END markers), socket drops $(kv socket_drops <<<"$zl") | $(verdict test "$lost" = 0 -a "$miss" = 0 -a "$flips" -gt 0) |"
	fi
}

# Run

for s in section_dispatch section_jit section_load; do
	$s >"$OUT/$s.md" || { FAILED+=("$s"); log "$s failed"; }
done
if [[ $HAVE_CLI == 1 ]]; then
	for s in section_rollout section_flip section_zeroloss; do
		$s >"$OUT/$s.md" || { FAILED+=("$s"); log "$s failed"; }
	done
	topo_down
fi
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
	for s in section_dispatch section_jit section_load section_rollout section_flip section_zeroloss \
		section_bounds; do
		[[ -s $OUT/$s.md ]] && { echo; cat "$OUT/$s.md"; }
	done
} >"$RESULTS"

# The README's table, between its markers (left alone if they are missing).
if [[ -z ${BENCH_NO_README:-} ]] && grep -q '<!-- bench:begin -->' README.md &&
	grep -q '<!-- bench:end -->' README.md; then
	{
		echo "Last \`make bench\`: $(uname -r), $(nproc) cores; details in [tools/bench-results.md](tools/bench-results.md)."
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
