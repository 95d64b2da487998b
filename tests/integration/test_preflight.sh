#!/usr/bin/env bash
# SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause)
#
# test_preflight: every way a plan can be wrong ends in a clear error and
# changes nothing live.
#
# Two interfaces run a good generation (the counter) under ping traffic; a
# third has no dispatcher. For each broken plan, `tailgate plan` and
# `tailgate apply` must exit with the documented code (2 preflight, 1 plan
# file), say on stderr what failed, where (stage / interface) and what to
# do, and leave everything as it was: the prog ids in every slot, the XDP
# program and the link on each interface, the pins (path and inode), the
# state files, no journal, and no pins or XDP program on the interface
# that had none.
set -u

top=$(cd "$(dirname "$0")/../.." && pwd)
# shellcheck source=../lib/common.sh
. "$top/tests/lib/common.sh"

tg_test_begin preflight

# One run of this test at a time (two `tests/run.sh` at once): its
# interface names and subnets are fixed, a second run would delete them.

IFS_ALL=(tgpf0 tgpf1 tgpf2)	# tgpf0, tgpf1: running v1; tgpf2: no dispatcher
BPF=$top/build/bpf
TBPF=$top/build/tests/bpf
P=$TG_TMP/plans
mkdir -p "$P"

tg_need "$TG" "$BPF/counter.bpf.o" "$BPF/blocklist.bpf.o" "$TBPF/bad_verifier.bpf.o" "$TBPF/bad_legacy_maps.bpf.o"

for i in 0 1 2; do
	tg_host "tgpfh$i" "tgpf$i" "198.19.$((10 + i)).1/24" "198.19.$((10 + i)).2"
done

# Steady, bounded traffic into every interface for the whole test.
for i in 0 1 2; do
	ip netns exec "tgpfh$i" ping -q -i 0.05 -w 300 "198.19.$((10 + i)).1" >/dev/null 2>&1 &
	tg_on_exit "kill $! 2>/dev/null"
done

# --- plans -------------------------------------------------------------------

# plan_file NAME HOOK CANARY FLEET STAGES...   STAGES are "name|object|program|keep"
plan_file() {
	local name=$1 hook=$2 canary=$3 fleet=$4 s n o p k
	shift 4
	{
		printf 'name: %s\nhook: %s\ninterfaces:\n  canary: [%s]\n  fleet: [%s]\npipeline:\n' \
			"$name" "$hook" "$canary" "$fleet"
		for s in "$@"; do
			IFS='|' read -r n o p k <<<"$s"
			printf '  - name: %s\n    object: %s\n    program: %s\n' "$n" "$o" "$p"
			[ -n "$k" ] && printf '    keep_maps: [%s]\n' "$k"
		done
		printf 'steps:\n  - canary: {}\n  - analyze: {duration: 1s, interval: 500ms}\n'
		printf '  - promote: {batch: 2}\ngates:\n  min_packets: 5\n  max_drop_ratio: 0.01\n'
		printf '  max_aborted: 0\n  max_tail_misses: 0\non_failure: rollback\n'
	} >"$P/$name.yaml"
	echo "$P/$name.yaml"
}

COUNTER="counter|$BPF/counter.bpf.o|counter|packet_count"

v1=$(plan_file v1 xdp tgpf0 tgpf1 "$COUNTER")
"$TG" apply "$v1" >"$TG_TMP/v1.out" 2>&1 ||
	tg_fail "setup: apply of v1 failed: $(cat "$TG_TMP/v1.out")"

# Positive control: the same fleet plus tgpf2 and a second stage passes
# preflight, so every failure below is the broken part's doing.
good=$(plan_file good xdp tgpf2 "tgpf0, tgpf1" "$COUNTER" "blocklist|$BPF/blocklist.bpf.o|blocklist|blocked")
"$TG" plan "$good" >"$TG_TMP/good.out" 2>&1 ||
	tg_fail "control: 'tailgate plan' of a good plan failed: $(cat "$TG_TMP/good.out")"

# --- what "nothing changed" means ----------------------------------------------

# Everything live, as the kernel and the file system see it (not tailgate).
snapshot() {
	local ifc hook d
	echo "# pins (path, type, inode: a re-pin changes the inode)"
	find "$TAILGATE_PIN_ROOT" -printf '%P %y %i\n' 2>/dev/null | sort
	echo "# state files (lock and history are allowed to change)"
	(cd "$TAILGATE_STATE_DIR" && find . -type f ! -name lock ! -name history.jsonl \
		-exec md5sum {} + | sort)
	for ifc in "${IFS_ALL[@]}"; do
		echo "# $ifc"
		ip -j -d link show dev "$ifc" | jq -c '.[0] | {ifindex, xdp: .xdp.prog.id}'
		for hook in xdp tc-ingress tc-egress; do
			d=$TAILGATE_PIN_ROOT/$ifc/$hook
			[ -e "$d/slots" ] || continue
			echo "$hook slots: $(bpftool -j map dump pinned "$d/slots" |
				jq -c '[.[] | .formatted | [.key, .value]]')"
			echo "$hook link: $(bpftool -j link show pinned "$d/link" | jq -c '[.id, .prog_id]')"
		done
	done
	echo "# tcx/clsact programs"
	bpftool -j net show 2>/dev/null | jq -c '[.[] | .tc[]? | select(.devname | startswith("tgpf"))]'
}

BASE=$(snapshot)
echo "$BASE" | grep -q '"xdp":[0-9]' || tg_fail "setup: no XDP program on the v1 interfaces"
echo "$BASE" | grep -q '^tgpf2' && tg_fail "setup: tgpf2 has pins"

npass=0
# expect WHAT RC PLAN ERE... : `tailgate plan` and `tailgate apply` both
# exit RC ("nz" = any failure), print every ERE on stderr, change nothing.
expect() {
	local what=$1 want=$2 plan=$3 verb rc pat now
	shift 3
	for verb in plan apply; do
		"${TG_PREFIX[@]}" "$TG" $verb "$plan" >"$TG_TMP/out" 2>"$TG_TMP/err"
		rc=$?
		if [ "$want" = nz ]; then
			{ [ $rc -ne 0 ] && [ $rc -lt 128 ]; } ||
				tg_fail "$what: 'tailgate $verb' exited $rc, want a failure (1..4)"
		elif [ $rc -ne "$want" ]; then
			tg_fail "$what: 'tailgate $verb' exited $rc, want $want; stderr: $(cat "$TG_TMP/err")"
		fi
		for pat in "$@"; do
			grep -Eq -- "$pat" "$TG_TMP/err" ||
				tg_fail "$what: 'tailgate $verb' stderr lacks /$pat/: $(cat "$TG_TMP/err")"
		done
		now=$(snapshot)
		[ "$now" = "$BASE" ] ||
			tg_fail "$what: 'tailgate $verb' changed live state:
$(diff <(echo "$BASE") <(echo "$now"))"
		[ ! -e "$TAILGATE_STATE_DIR/rollout.journal" ] ||
			tg_fail "$what: 'tailgate $verb' left a rollout journal"
	done
	npass=$((npass + 1))
	echo "ok - $what: $(head -n1 "$TG_TMP/err")"
}
TG_PREFIX=()

# --- 1. verifier rejections ----------------------------------------------------

p=$(plan_file unchecked xdp tgpf0 "tgpf1, tgpf2" "$COUNTER" "unchecked|$TBPF/bad_verifier.bpf.o|bad_bounds|")
expect "verifier: packet read without bounds check" 2 "$p" \
	"stage 'unchecked'" "tgpf0" "verifier rejected" "insn [0-9]+" "-v"
"$TG" -v plan "$p" >/dev/null 2>"$TG_TMP/err"
grep -q "invalid access to packet" "$TG_TMP/err" && grep -Eq '^[0-9]+: \([0-9a-f]{2}\)' "$TG_TMP/err" ||
	tg_fail "verifier: 'tailgate -v plan' does not print the full verifier log: $(cat "$TG_TMP/err")"

p=$(plan_file nullderef xdp tgpf2 "tgpf0, tgpf1" "$COUNTER" "nullderef|$TBPF/bad_verifier.bpf.o|bad_null|")
expect "verifier: map value used without NULL check" 2 "$p" \
	"stage 'nullderef'" "tgpf2" "verifier rejected" "insn [0-9]+" "map_value_or_null"

# --- 2. kept map layout mismatch -----------------------------------------------
# tgpf2 (no pinned map) passes first: its loaded dispatcher must vanish too.

p=$(plan_file maptype xdp tgpf2 "tgpf0, tgpf1" "counter|$TBPF/bad_counter_hash.bpf.o|counter|packet_count")
expect "map mismatch: ARRAY pinned, HASH in the object" 2 "$p" \
	"stage 'counter'" "tgpf0" "map 'packet_count'" "hash" "array" "keep the layout|rename"

p=$(plan_file mapvalue xdp tgpf0 "tgpf1" "counter|$TBPF/bad_counter_value.bpf.o|counter|packet_count")
expect "map mismatch: value size 4 vs pinned 8" 2 "$p" \
	"stage 'counter'" "map 'packet_count'" "value 4" "value 8"

# --- 3. program type vs hook ---------------------------------------------------

p=$(plan_file tconly xdp tgpf0 "tgpf1" "tconly|$TBPF/bad_tc_only.bpf.o|tconly|")
expect "program type: tc-only stage on hook xdp" 2 "$p" \
	"stage 'tconly'" "tgpf0" "hook xdp (runs|needs) xdp" "sched_cls"

p=$(plan_file xdponly tc-ingress tgpf0 "tgpf1, tgpf2" "xdponly|$TBPF/bad_xdp_only.bpf.o|xdponly|")
expect "program type: XDP-only stage on hook tc-ingress" 2 "$p" \
	"stage 'xdponly'" "tgpf0" "hook tc-ingress (runs|needs) (sched_cls|tc)"

# --- 4. multi-buffer XDP -------------------------------------------------------

p=$(plan_file frags xdp tgpf0 "tgpf1" "$COUNTER" "multibuf|$TBPF/bad_frags.bpf.o|frags|")
expect "xdp.frags stage" 2 "$p" "stage 'multibuf'" "xdp\.frags" 'SEC\("xdp"\)'

# --- 5. objects ----------------------------------------------------------------

p=$(plan_file noobj xdp tgpf0 "tgpf1" "counter|$TG_TMP/missing/counter.bpf.o|counter|packet_count")
expect "object: missing file" 2 "$p" "stage 'counter'" "missing/counter\.bpf\.o" "No such file" "make"

seq -f 'this is a text file, not an object, line %g' 1 20 >"$TG_TMP/text.bpf.o"
p=$(plan_file textobj xdp tgpf0 "tgpf1" "counter|$TG_TMP/text.bpf.o|counter|packet_count")
expect "object: a text file" 2 "$p" "stage 'counter'" "text\.bpf\.o" "not an ELF"

cp /bin/true "$TG_TMP/true.bpf.o"
p=$(plan_file hostelf xdp tgpf0 "tgpf1" "counter|$TG_TMP/true.bpf.o|counter|packet_count")
expect "object: an ELF that is not BPF (/bin/true)" 2 "$p" "stage 'counter'" "true\.bpf\.o" "not an ELF BPF object"

ln -s "$BPF/counter.bpf.o" "$TG_TMP/link.bpf.o"
p=$(plan_file symlink xdp tgpf0 "tgpf1" "counter|$TG_TMP/link.bpf.o|counter|packet_count")
expect "object: a symlink" 2 "$p" "stage 'counter'" "link\.bpf\.o" "symlink"

real=$(sha256sum "$BPF/counter.bpf.o" | cut -d' ' -f1)
wrong=$(printf '%s' "$real" | tr 0-9a-f 1-9a-f0)
p=$(plan_file sha xdp tgpf0 "tgpf1" "$COUNTER")
sed -i "s|^    program: counter|&\n    sha256: $wrong|" "$p"
expect "object: sha256 mismatch" 2 "$p" "stage 'counter'" "$real" "$wrong"

p=$(plan_file legacy tc-ingress tgpf0 "tgpf1" "legacy|$TBPF/bad_legacy_maps.bpf.o|legacy_cls|")
expect "object: iproute2's legacy 'maps' section" 2 "$p" "stage 'legacy'" "bad_legacy_maps\.bpf\.o" \
	"libbpf: .*legacy map definitions in 'maps' section"

# --- 6. interfaces -------------------------------------------------------------

p=$(plan_file noiface xdp tgpf0 "tgpf1, tgpfnope" "$COUNTER")
expect "interface: missing" 2 "$p" "'tgpfnope'" "does not exist"

p=$(plan_file noglob xdp tgpf0 '"tgpfzz*"' "$COUNTER")
expect "interface: glob matching nothing" 2 "$p" "'tgpfzz\*'" "matches no interface"

# --- 7. privileges -------------------------------------------------------------
# The plan is world-readable so that only the missing capability can fail.

chmod 755 "$TG_TMP" "$P"
chmod 644 "$v1"
TG_PREFIX=(setpriv --reuid=65534 --regid=65534 --clear-groups)
expect "privileges: nobody" nz "$v1" "CAP_(BPF|SYS_ADMIN|NET_ADMIN)" "root"
# capsh hands the rest to bash -c: "$0" "$@" keeps argv intact.
TG_PREFIX=(capsh --drop=cap_net_admin -- -c '"$0" "$@"')
expect "privileges: root without CAP_NET_ADMIN" nz "$v1" "CAP_NET_ADMIN"
TG_PREFIX=()

# --- 8. resources --------------------------------------------------------------

stages=()
for i in $(seq 1 17); do stages+=("c$i|$BPF/counter.bpf.o|counter|"); done
p=$(plan_file seventeen xdp tgpf0 "tgpf1" "${stages[@]}")
expect "resources: 17 stages" 1 "$p" "seventeen\.yaml:[0-9]+:[0-9]+" "16"

p=$(plan_file bigmap xdp tgpf2 "tgpf0, tgpf1" "$COUNTER" "big|$TBPF/bad_bigmap.bpf.o|bigmap|")
expect "resources: a 16 TiB map" 2 "$p" "stage 'big'" "tgpf2" "Cannot allocate memory|ENOMEM" "max_entries" \
	"map 'huge'"

# --- 9. pin root not on bpffs --------------------------------------------------

notbpf=$TG_TMP/notbpffs
mkdir -p "$notbpf"
for verb in plan apply; do
	TAILGATE_PIN_ROOT=$notbpf/tailgate "$TG" $verb "$v1" >/dev/null 2>"$TG_TMP/err"
	rc=$?
	{ [ $rc -ne 0 ] && [ $rc -lt 128 ]; } || tg_fail "bpffs: 'tailgate $verb' exited $rc"
	grep -q "bpffs" "$TG_TMP/err" && grep -q "$notbpf" "$TG_TMP/err" ||
		tg_fail "bpffs: 'tailgate $verb' does not say the pin root is not on bpffs: $(cat "$TG_TMP/err")"
	[ -z "$(ls -A "$notbpf")" ] || tg_fail "bpffs: 'tailgate $verb' created $(ls -A "$notbpf")"
	[ "$(snapshot)" = "$BASE" ] || tg_fail "bpffs: 'tailgate $verb' changed live state"
done
npass=$((npass + 1))
echo "ok - pin root not on bpffs: $(head -n1 "$TG_TMP/err")"

# In a private mount namespace, so nothing here can reach other pin roots:
# a pin root that does not exist yet under a mounted bpffs must not make
# tailgate stack a new bpffs on /sys/fs/bpf (that hides every pin below
# it), and a missing bpffs is mounted (DESIGN.md).
bpffs_mounts='grep -c " /sys/fs/bpf .* - bpf " /proc/self/mountinfo'
out=$(unshare -m --propagation private sh -c "
	before=\$($bpffs_mounts)
	TAILGATE_PIN_ROOT=/sys/fs/bpf/tgpf-fresh-$$/a/b '$TG' status >/dev/null 2>&1
	echo \$before \$($bpffs_mounts)")
set -- $out
[ "${1:-x}" = "${2:-y}" ] ||
	tg_fail "bpffs: a fresh pin root made tailgate mount bpffs over /sys/fs/bpf (mounts $out)"
out=$(unshare -m --propagation private sh -c "
	mount -t tmpfs tgpf-nobpffs /sys/fs/bpf &&
	TAILGATE_PIN_ROOT=/sys/fs/bpf/tailgate '$TG' status >/dev/null 2>&1; echo rc=\$?
	stat -f -c %T /sys/fs/bpf")
[ "$out" = "rc=0
bpf_fs" ] || tg_fail "bpffs: a missing bpffs was not mounted: $out"
npass=$((npass + 1))
echo "ok - bpffs: never stacked on a mounted one, mounted when missing"

# --- 10. plan file errors (plan.c) ---------------------------------------------

bad_yaml() {	# NAME LINE TEXT: a copy of v1 with TEXT inserted before line LINE
	sed "${2}i\\$3" "$v1" >"$P/$1.yaml"
	echo "$P/$1.yaml"
}
p=$(bad_yaml unknownkey 2 'colour: blue')
expect "plan: unknown key" 1 "$p" "unknownkey\.yaml:2:[0-9]+:" "colour"
p=$(bad_yaml dupkey 3 'hook: tc-ingress')
expect "plan: duplicate key" 1 "$p" "dupkey\.yaml:3:[0-9]+:" "hook"
sed -e 's/^  canary: \[tgpf0\]/  canary: \&ifs [tgpf0]/' -e 's/^  fleet: \[tgpf1\]/  fleet: *ifs/' \
	"$v1" >"$P/alias.yaml"
grep -q '\*ifs' "$P/alias.yaml" || tg_fail "alias: fixture not built"
expect "plan: YAML alias" 1 "$P/alias.yaml" "alias\.yaml:[0-9]+:[0-9]+: .*(anchor|alias)"

# Hostile bytes: a plan file named with an escape sequence, whose object
# path holds one too (YAML's "\e"; a raw one libyaml refuses itself): the
# errors name both, with '?' for the escape.
esc=$(printf '\033')
sed "s|^    object: .*counter.bpf.o|    object: \"$TG_TMP/no\\\\e[31mred.o\"|" "$v1" >"$P/esc${esc}[31m.yaml"
grep -q 'no\\e\[31mred' "$P/esc${esc}[31m.yaml" || tg_fail "escape: fixture not built"
expect "plan: escape sequences in the plan's path and the object's" 1 "$P/esc${esc}[31m.yaml" \
	"esc\?\[31m\.yaml:[0-9]+:[0-9]+: object: path '.*no\?\[31mred\.o' has a control character"
grep -q "$esc" "$TG_TMP/err" && tg_fail "escape: an ESC byte reached stderr: $(cat -v "$TG_TMP/err")"

# --- traffic kept flowing, v1 still serves -------------------------------------

for i in 0 1 2; do
	ip netns exec "tgpfh$i" ping -q -c 5 -i 0.05 -W 1 "198.19.$((10 + i)).1" >/dev/null ||
		tg_fail "traffic: tgpf$i stopped answering"
done
[ "$(snapshot)" = "$BASE" ] || tg_fail "live state changed at the end"
"$TG" status --json | jq -e '.attach_points | length == 2 and all(.[]; .health == "ok")' >/dev/null ||
	tg_fail "status is not ok on the two v1 interfaces: $("$TG" status)"

tg_pass "preflight: $npass failure cases, each with a clear error and nothing changed"
