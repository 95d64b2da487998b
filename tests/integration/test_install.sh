#!/usr/bin/env bash
# SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause)
#
# test_install: `make install DESTDIR=... PREFIX=/usr` lays out what an
# operator and a stage author need and nothing else (no drop_all, no test
# objects); a stage written OUT OF TREE builds with
# `clang -target bpf $(pkg-config --cflags tailgate)` against the
# installed header alone (no vmlinux.h) and rolls out, next to the
# installed counter, on a veth pair in a namespace, counting real
# traffic; `make uninstall` removes it all. The Makefile honours
# CPPFLAGS/LDFLAGS and stops at once naming `make deps` when a build
# tool is missing.
set -u

top=$(cd "$(dirname "$0")/../.." && pwd)
# shellcheck source=../lib/common.sh
. "$top/tests/lib/common.sh"

tg_test_begin install
command -v scdoc >/dev/null || tg_skip "scdoc is not installed (make deps)"
command -v pkg-config >/dev/null || tg_skip "pkg-config is not installed (make deps)"
D=$TG_TMP/dest
cd "$top" || exit 1

make --no-print-directory -s install DESTDIR="$D" PREFIX=/usr >"$TG_TMP/make.log" 2>&1
tg_assert_eq "$?" 0 "make install DESTDIR=\$tmp PREFIX=/usr"

# --- the layout -----------------------------------------------------------------

want="usr/include/tailgate/tailgate_abi.h
usr/include/tailgate/tailgate_codes.h
usr/include/tailgate/tailgate_stage.h
usr/lib/pkgconfig/tailgate.pc
usr/lib/systemd/system/tailgate-metrics.service
usr/lib/systemd/system/tailgate-metrics.timer
usr/lib/systemd/system/tailgate-restore.service
usr/lib/tailgate/bpf/blocklist.bpf.o
usr/lib/tailgate/bpf/counter.bpf.o
usr/lib/tailgate/bpf/seed_counter.bpf.o
usr/sbin/tailgate
usr/share/bash-completion/completions/tailgate
usr/share/man/man5/tailgate-plan.5
usr/share/man/man8/tailgate.8"
got=$(cd "$D" && find . -type f | sed 's|^\./||' | sort)
tg_assert_eq "$got" "$want" "installed files are exactly the layout"
tg_check "no drop_all installed" bash -c "! find '$D' -name 'drop_all*' | grep -q ."
tg_assert_eq "$(stat -c %a "$D/usr/sbin/tailgate")" 755 "the binary is 0755"
tg_assert_eq "$(stat -c %a "$D/usr/include/tailgate/tailgate_stage.h")" 644 "headers are 0644"
tg_check "the installed binary runs" bash -c "'$D/usr/sbin/tailgate' --version >/dev/null"
tg_check "the installed man page renders" bash -c "MANWIDTH=80 man -l '$D/usr/share/man/man8/tailgate.8' | grep -q 'tailgate plan'"
tg_check "the completion is bash" bash -n "$D/usr/share/bash-completion/completions/tailgate"

# --define-prefix: the prefix from where the .pc file is (DESTDIR's), as
# a relocated install would be found; the multiarch directory stays.
export PKG_CONFIG_PATH=$D/usr/lib/pkgconfig
tg_check "pkg-config knows tailgate" pkg-config --exists tailgate
tg_assert_eq "$(echo $(pkg-config --cflags tailgate))" "-I/usr/include/tailgate -idirafter /usr/include/$(gcc -dumpmachine)" \
	"Cflags as installed for PREFIX=/usr"
cflags=$(pkg-config --define-prefix --cflags tailgate)
multiarch=$(gcc -dumpmachine)
tg_check "Cflags give the installed include dir ($cflags)" grep -q -- "-I$D/usr/include/tailgate" <<<"$cflags"
tg_check "Cflags give -idirafter /usr/include/$multiarch" grep -q -- "-idirafter /usr/include/$multiarch" <<<"$cflags"
tg_assert_eq "$(pkg-config --modversion tailgate)" "$("$TG" --version | awk '{ print $2 }')" "pkg-config version is tailgate's"
tg_assert_eq "$(pkg-config --variable=bpfobjdir tailgate)" /usr/lib/tailgate/bpf "bpfobjdir variable"

# --- a stage built out of tree ------------------------------------------------------

S=$TG_TMP/src
mkdir -p "$S"
cat >"$S/seen.bpf.c" <<'EOF'
// SPDX-License-Identifier: GPL-2.0
/* An out-of-tree stage: counts IPv4 packets into seen_count[0], continues. */
#include "tailgate_stage.h"

struct {
	__uint(type, BPF_MAP_TYPE_ARRAY);
	__uint(max_entries, 1);
	__type(key, __u32);
	__type(value, __u64);
} seen_count SEC(".maps");

static __always_inline enum tg_verdict seen_body(struct tg_pkt *pkt)
{
	struct ethhdr *eth = tg_pkt_ptr(pkt, 0, sizeof(*eth));
	__u32 key = 0;
	__u64 *v;

	if (!eth || eth->h_proto != bpf_htons(TG_ETH_P_IP))
		return TG_CONTINUE;
	v = bpf_map_lookup_elem(&seen_count, &key);
	if (v)
		__sync_fetch_and_add(v, 1);
	return TG_CONTINUE;
}

TG_STAGE(seen, seen_body)

char LICENSE[] SEC("license") = "GPL";
EOF
cd "$S" || exit 1
clang -g -O2 -target bpf -Wall -Werror -c seen.bpf.c -o nocflags.o >/dev/null 2>&1
tg_assert_ne "$?" 0 "without pkg-config's Cflags the header is not found (the build uses the install)"
# shellcheck disable=SC2086
clang -g -O2 -target bpf -Wall -Werror $cflags -c seen.bpf.c -o seen.bpf.o 2>"$TG_TMP/clang.err"
tg_assert_eq "$?" 0 "clang -target bpf \$(pkg-config --cflags tailgate) builds the stage ($(head -c 300 "$TG_TMP/clang.err"))"
tg_check "the object holds the XDP and the tc program" bash -c "readelf -S seen.bpf.o | grep -q ' xdp' && readelf -S seen.bpf.o | grep -q ' tc'"
tg_check "no vmlinux.h was needed" bash -c "! grep -q '#include.*vmlinux' '$D/usr/include/tailgate/'*.h"
cd "$top" || exit 1
unset PKG_CONFIG_PATH

# ... rolled out with the installed counter on a veth pair.
tg_host tginih0 tgini0 198.19.250.1/24 198.19.250.2
cat >"$TG_TMP/oot.yaml" <<EOF
name: out-of-tree
hook: xdp
interfaces:
  fleet: [tgini0]
pipeline:
  - name: counter
    object: $D/usr/lib/tailgate/bpf/counter.bpf.o
    program: counter
    keep_maps: [packet_count]
  - name: seen
    object: $S/seen.bpf.o
    program: seen
    keep_maps: [seen_count]
steps:
  - promote: {batch: 1}
EOF
"$TG" plan "$TG_TMP/oot.yaml" >"$TG_TMP/plan.out" 2>&1
tg_assert_eq "$?" 0 "tailgate plan accepts the out-of-tree stage"
"$TG" apply "$TG_TMP/oot.yaml" >"$TG_TMP/apply.out" 2>&1
tg_assert_eq "$?" 0 "tailgate apply rolls it out"
ip netns exec tginih0 ping -q -c 20 -i 0.02 -W 1 198.19.250.1 >/dev/null 2>&1
tg_check "ping through the new chain" test $? -eq 0
AP=$TAILGATE_PIN_ROOT/tgini0/xdp
tg_assert_ge "$(tg_map_u64 "$AP/maps/seen_count")" 20 "the out-of-tree stage counted the pings"
tg_assert_ge "$(tg_map_u64 "$AP/maps/packet_count")" 20 "the installed counter counted them too"
tg_check "status names both stages" bash -c "'$TG' status | grep -q 'counter\[.*seen\['"
tg_check "detach" "$TG" -q detach tgini0

# --- uninstall --------------------------------------------------------------------

make --no-print-directory -s uninstall DESTDIR="$D" PREFIX=/usr >>"$TG_TMP/make.log" 2>&1
tg_assert_eq "$?" 0 "make uninstall"
tg_assert_eq "$(find "$D" -type f | wc -l)" 0 "uninstall left no file"

# --- the Makefile ---------------------------------------------------------------------

out=$(make -n -B V=1 CPPFLAGS=-DTG_CPPFLAGS_SEEN build/obj/main.o 2>&1)
tg_check "CPPFLAGS reach the compiler" grep -q -- "-DTG_CPPFLAGS_SEEN" <<<"$out"
out=$(make -n -B V=1 LDFLAGS=-Wl,--tg-ldflags-seen build/tailgate 2>&1 | grep -- '-o build/tailgate')
tg_check "LDFLAGS reach the linker" grep -q -- "-Wl,--tg-ldflags-seen" <<<"$out"
out=$(make -n CLANG=/nonexistent/clang 2>&1)
tg_assert_ne "$?" 0 "make without clang stops"
tg_check "... at once, naming make deps ($out)" grep -q "missing: clang.*make deps" <<<"$out"
out=$(make -n BPFTOOL=/nonexistent/bpftool 2>&1)
tg_check "make without bpftool names make deps" grep -q "missing: bpftool.*make deps" <<<"$out"
tg_check "make deps itself is not stopped" bash -c "make -n deps CLANG=/nonexistent/clang >/dev/null"

tg_test_end
