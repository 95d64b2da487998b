// SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause)
/*
 * bench_mono: the monolithic baseline for tools/bench_dispatch. What an
 * operator would write instead of N stages that each count the packet:
 * one program with N counters, each bumped with an atomic add, the way
 * the counter stage (bpf/counter.bpf.c) counts. No dispatcher, no tail
 * call, no call, no per-stage verdict bookkeeping: that is what tailgate
 * adds and what is measured against it.
 *
 * bench_mono_0 does nothing at all: the BPF_PROG_TEST_RUN floor.
 */
#include <linux/bpf.h>
#include <linux/pkt_cls.h>
#include <bpf/bpf_helpers.h>

#define MONO_MAX	16

struct {
	__uint(type, BPF_MAP_TYPE_ARRAY);
	__uint(max_entries, MONO_MAX);
	__type(key, __u32);
	__type(value, __u64);
} mono_count SEC(".maps");

static __always_inline void count(__u32 k)
{
	__u64 *v = bpf_map_lookup_elem(&mono_count, &k);

	if (v)
		__sync_fetch_and_add(v, 1);
}

/* Written out, not a loop: the compiler keeps a loop whose key escapes. */
#define C(k)	if (n > k) count(k);
static __always_inline void mono_run(const int n)
{
	C(0) C(1) C(2) C(3) C(4) C(5) C(6) C(7)
	C(8) C(9) C(10) C(11) C(12) C(13) C(14) C(15)
}

#define MONO(n)								\
	SEC("xdp")							\
	int bench_mono_##n(struct xdp_md *ctx)				\
	{								\
		mono_run(n);						\
		return XDP_PASS;					\
	}								\
	SEC("tc")							\
	int bench_mono_##n##_tc(struct __sk_buff *skb)			\
	{								\
		mono_run(n);						\
		return TC_ACT_OK;					\
	}

MONO(0)
MONO(1)
MONO(2)
MONO(4)
MONO(8)
MONO(16)

char LICENSE[] SEC("license") = "Dual BSD/GPL";
