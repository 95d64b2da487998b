# SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause)
# shellcheck shell=bash
#
# Shared helpers of the integration tests. Source it, then:
#
#   tg_test_begin NAME     own TAILGATE_PIN_ROOT / TAILGATE_STATE_DIR / TG_TMP,
#                          cleanup trap (also on failure and on signals),
#                          and a lock so two runs of one test never overlap
#   tg_on_exit CMD         register a cleanup (run in reverse order)
#   tg_host NS IFNAME A4/LEN PEER4 [A6/LEN PEER6]
#                          namespace NS with eth0 = PEER, root end IFNAME = A
#   tg_fail MSG / tg_pass MSG / tg_skip MSG (exit 77)
#   tg_check DESC CMD...   a check that counts (never exits)
#   tg_assert_eq / _ne / _ge ACTUAL EXPECTED DESC
#   tg_test_end            summary line; non-zero if any check failed
#   tg_slot_prog_id PINDIR SLOT     program id in a slot (empty if none)
#   tg_stats_sum PINDIR SLOT FIELD  a per-CPU counter summed over CPUs
#   tg_map_u64 PIN                  value of key 0 of a u32->u64 array
#
# Addresses: 198.18.0.0/15 and 2001:2::/48 only; traffic stays in the
# namespaces a test creates.

TG_TOP=$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)
TG=${TAILGATE:-$TG_TOP/build/tailgate}
TG_TRAFFIC=$TG_TOP/build/tools/tgtraffic
_tg_cleanups=()
_tg_checks=0
_tg_failed=0

tg_on_exit() { _tg_cleanups+=("$*"); }

_tg_cleanup() {
	local i
	for ((i = ${#_tg_cleanups[@]} - 1; i >= 0; i--)); do
		eval "${_tg_cleanups[$i]}" >/dev/null 2>&1 || true
	done
	_tg_cleanups=()
}

_tg_need_bpffs() {
	[[ $(stat -f -c %T /sys/fs/bpf 2>/dev/null) == bpf_fs ]] && return 0
	mount -t bpf bpffs /sys/fs/bpf
}

# tg_need FILE...: fail (not skip: make test builds them) unless all exist
tg_need() {
	local f
	for f in "$@"; do
		[[ -e $f ]] || tg_fail "$f is missing; run 'make'"
	done
}

tg_test_begin() {
	TG_NAME=$1
	[[ $(id -u) -eq 0 ]] || tg_skip "needs root (namespaces, XDP, bpffs)"
	[[ -x $TG ]] || tg_fail "$TG is not built; run make"
	_tg_need_bpffs || tg_fail "bpffs is not mounted at /sys/fs/bpf and mounting it failed"
	# Two runs of one test would fight over its interface names: the
	# second waits for the first.
	exec {_tg_lockfd}>"/run/lock/tailgate-test-$TG_NAME.lock"
	flock -w 600 "$_tg_lockfd" || tg_fail "another run of test $TG_NAME holds /run/lock/tailgate-test-$TG_NAME.lock"
	export TAILGATE_PIN_ROOT=/sys/fs/bpf/tgt-$TG_NAME-$$
	TAILGATE_STATE_DIR=$(mktemp -d "/tmp/tgt-$TG_NAME-state.XXXXXX")
	TG_TMP=$(mktemp -d "/tmp/tgt-$TG_NAME.XXXXXX")
	export TAILGATE_STATE_DIR TG_TMP
	trap _tg_cleanup EXIT
	trap 'exit 130' INT TERM
	tg_on_exit "rm -rf '$TG_TMP' '$TAILGATE_STATE_DIR'"
	tg_on_exit "rm -rf '$TAILGATE_PIN_ROOT'"
	tg_on_exit "'$TG' detach --all"
}

tg_host() {
	local ns=$1 ifc=$2 a4=$3 p4=$4 a6=${5:-} p6=${6:-}
	ip netns del "$ns" 2>/dev/null
	ip link del "$ifc" 2>/dev/null
	ip netns add "$ns" || tg_fail "cannot create namespace $ns"
	tg_on_exit "ip netns del $ns"
	tg_on_exit "ip link del $ifc"
	ip link add "$ifc" type veth peer name eth0 netns "$ns" || tg_fail "cannot create veth $ifc"
	ip addr add "$a4" dev "$ifc"
	ip -n "$ns" addr add "$p4/${a4#*/}" dev eth0
	if [[ -n $a6 ]]; then
		ip addr add "$a6" dev "$ifc" nodad
		ip -n "$ns" addr add "$p6/${a6#*/}" dev eth0 nodad
	fi
	ip link set "$ifc" up
	ip -n "$ns" link set eth0 up
	ip -n "$ns" link set lo up
}

# tg_wait_bound NS ADDR PORT: wait (at most 5 s) until a UDP socket is
# bound to ADDR:PORT in namespace NS ("" for this one), so that a sender
# started next never races its receiver's bind.
tg_wait_bound() {
	local ns=$1 addr=$2 port=$3 i
	local -a in=()
	[[ -n $ns ]] && in=(nsenter --net="/run/netns/$ns")
	[[ $addr == *:* ]] && addr="[$addr]"
	for ((i = 0; i < 100; i++)); do
		[[ -n $("${in[@]}" ss -Hlun "src $addr:$port" 2>/dev/null) ]] && return 0
		sleep 0.05
	done
	tg_fail "no UDP socket bound to $addr:$port${ns:+ in $ns} after 5 s"
}

# tg_alternations A B ID...: how many of ID... follow A, B, A, B, ... in
# place (a flip test's slot-0 ids, one read after every flip).
tg_alternations() {
	local a=$1 b=$2 k=0 n=0 id
	shift 2
	for id in "$@"; do
		[[ $id == "$( ((k % 2)) && echo "$b" || echo "$a")" ]] && n=$((n + 1))
		k=$((k + 1))
	done
	echo "$n"
}

# tg_veth_tx_dropped NS: what the namespace side (eth0) of a tg_host pair
# dropped on transmit: the kernel's count of frames the veth could not hand
# to its peer (its ring full while NAPI is starved on a busy machine), lost
# before any XDP or tc program sees them.
tg_veth_tx_dropped() {
	ip -n "$1" -s -j link show eth0 2>/dev/null | jq -r '.[0].stats64.tx.dropped // 0'
}

tg_fail() { echo "FAIL: $*" >&2; exit 1; }
tg_pass() { echo "ok - $*"; }
tg_skip() { echo "SKIP: $*"; exit 77; }

tg_check() {
	local desc=$1
	shift
	_tg_checks=$((_tg_checks + 1))
	if "$@"; then
		echo "ok - $desc"
	else
		_tg_failed=$((_tg_failed + 1))
		echo "not ok - $desc (command: $*)" >&2
	fi
}

_tg_assert() {
	local ok=$1 desc=$2 actual=$3 op=$4 expected=$5
	_tg_checks=$((_tg_checks + 1))
	if [[ $ok == 1 ]]; then
		echo "ok - $desc"
	else
		_tg_failed=$((_tg_failed + 1))
		echo "not ok - $desc: got '$actual', expected $op '$expected'" >&2
	fi
}

tg_assert_eq() { _tg_assert "$([[ "$1" == "$2" ]] && echo 1)" "$3" "$1" "==" "$2"; }
tg_assert_ne() { _tg_assert "$([[ "$1" != "$2" ]] && echo 1)" "$3" "$1" "!=" "$2"; }
tg_assert_ge() {
	_tg_assert "$([[ "$1" =~ ^[0-9]+$ && "$1" -ge "$2" ]] && echo 1)" "$3" "$1" ">=" "$2"
}

tg_test_end() {
	echo "$TG_NAME: $((_tg_checks - _tg_failed)) of $_tg_checks checks passed"
	[[ $_tg_failed -eq 0 ]]
}

# Little-endian bytes of a u32, as bpftool takes keys.
_tg_key() { printf '%d %d %d %d' $(($1 & 255)) $(($1 >> 8 & 255)) $(($1 >> 16 & 255)) $(($1 >> 24 & 255)); }

# bpftool prints BTF-formatted values without -j ("field": N); parse that.
tg_slot_prog_id() {
	bpftool map lookup pinned "$1/slots" key $(_tg_key "$2") 2>/dev/null |
		sed -n 's/.*"value": *\([0-9][0-9]*\).*/\1/p' | head -n 1
}

# Sum FIELD of struct tg_stats over every CPU's value of SLOT.
tg_stats_sum() {
	bpftool map lookup pinned "$1/stats" key $(_tg_key "$2") 2>/dev/null |
		sed -n "s/.*\"$3\": *\([0-9][0-9]*\).*/\1/p" | awk '{ s += $1 } END { print s + 0 }'
}

tg_map_u64() {
	bpftool map lookup pinned "$1" key 0 0 0 0 2>/dev/null |
		sed -n 's/.*"value": *\([0-9][0-9]*\).*/\1/p' | head -n 1
}
