// SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause)
/*
 * bench_libxdp: a MODEL of libxdp's multi-program dispatcher (xdp-tools,
 * lib/libxdp/xdp-dispatcher.c.in) as it runs once freplace has patched
 * it, written from scratch for tools/bench_dispatch. Not libxdp.
 *
 * libxdp's dispatcher is one XDP program calling non-inlined global stubs
 * prog0, prog1, ... in sequence; freplace swaps each stub for a component
 * program, and after each call the verdict is checked against that
 * component's continue mask:
 *
 *	ret = prog0(ctx);
 *	if (!((1U << ret) & conf.chain_call_actions[0]))
 *		return ret;
 *
 * This kernel refuses freplace (EPERM), so the components here are the
 * global noinline functions themselves, each doing what bench_mono does
 * per stage (an atomic add into its own counter) and returning pass. The
 * real thing adds, per component, a jump from the patched stub into the
 * extension program and its prologue, so the model flatters libxdp a
 * little. libxdp has no tc dispatcher; the _tc program applies the same
 * scheme to tc (TC_ACT_OK continues) so both hooks have the column.
 */
#include <linux/bpf.h>
#include <linux/pkt_cls.h>
#include <bpf/bpf_helpers.h>

#define MODEL_MAX	16

/* Like libxdp's struct xdp_dispatcher_config; set before load. */
struct bench_disp_conf {
	__u8 num_progs_enabled;
	__u32 chain_call_actions[MODEL_MAX];
};

const volatile struct bench_disp_conf bench_conf = {};

struct {
	__uint(type, BPF_MAP_TYPE_ARRAY);
	__uint(max_entries, MODEL_MAX);
	__type(key, __u32);
	__type(value, __u64);
} model_count SEC(".maps");

static __always_inline int component(__u32 k, int ret)
{
	__u64 *v = bpf_map_lookup_elem(&model_count, &k);

	if (v)
		__sync_fetch_and_add(v, 1);
	return ret;
}

#define XDP_COMPONENT(i)						\
	__attribute__((noinline)) int prog##i(struct xdp_md *ctx)	\
	{								\
		if (!ctx)						\
			return XDP_ABORTED;				\
		return component(i, XDP_PASS);				\
	}
#define TC_COMPONENT(i)							\
	__attribute__((noinline)) int tcprog##i(struct __sk_buff *skb)	\
	{								\
		if (!skb)						\
			return TC_ACT_SHOT;				\
		return component(i, TC_ACT_OK);				\
	}
#define COMPONENTS(C)							\
	C(0) C(1) C(2) C(3) C(4) C(5) C(6) C(7)				\
	C(8) C(9) C(10) C(11) C(12) C(13) C(14) C(15)

COMPONENTS(XDP_COMPONENT)
COMPONENTS(TC_COMPONENT)

#define CHAIN(i, fn)							\
	if (num < i + 1)						\
		goto out;						\
	ret = fn##i(ctx);						\
	if (!((1U << ret) & bench_conf.chain_call_actions[i]))		\
		return ret;
#define CHAIN_ALL(fn)							\
	CHAIN(0, fn) CHAIN(1, fn) CHAIN(2, fn) CHAIN(3, fn)		\
	CHAIN(4, fn) CHAIN(5, fn) CHAIN(6, fn) CHAIN(7, fn)		\
	CHAIN(8, fn) CHAIN(9, fn) CHAIN(10, fn) CHAIN(11, fn)		\
	CHAIN(12, fn) CHAIN(13, fn) CHAIN(14, fn) CHAIN(15, fn)

SEC("xdp")
int bench_libxdp(struct xdp_md *ctx)
{
	__u8 num = bench_conf.num_progs_enabled;
	int ret;

	CHAIN_ALL(prog)
out:
	return XDP_PASS;
}

SEC("tc")
int bench_libxdp_tc(struct __sk_buff *ctx)
{
	__u8 num = bench_conf.num_progs_enabled;
	int ret;

	CHAIN_ALL(tcprog)
out:
	return TC_ACT_OK;
}

char LICENSE[] SEC("license") = "Dual BSD/GPL";
