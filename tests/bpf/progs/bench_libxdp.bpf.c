// SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause)
/*
 * bench_libxdp: a MODEL of libxdp's multi-program dispatcher (xdp-tools,
 * lib/libxdp/xdp-dispatcher.c.in) as it runs once freplace has patched
 * it, written from scratch for tools/bench_dispatch.
 *
 * libxdp's dispatcher is one XDP program calling up to 10 non-inlined
 * global stubs prog0..prog9 in sequence; freplace swaps each stub for a
 * component program, and after each call the verdict is checked against
 * that slot's continue mask:
 *
 *	ret = prog0(ctx);
 *	if (!((1U << ret) & conf.chain_call_actions[0]))
 *		return ret;
 *
 * This kernel refuses freplace (EPERM), so here the components are the
 * global noinline functions themselves, each doing one bench_pass stage's
 * work (stats lookup for its slot, packets, bytes, one verdict counter)
 * and returning pass. The real thing adds, per component, a jump from the
 * patched stub into the extension program and that program's own
 * prologue, so this model is if anything a little faster than libxdp.
 *
 * libxdp has no tc dispatcher; the _tc program applies the same scheme to
 * tc (TC_ACT_OK continues) so both hooks have a third column.
 */
#include "tailgate_maps.h"

#define BENCH_MAX_PROGS	8

/* Like libxdp's struct xdp_dispatcher_config; set before load. */
struct bench_disp_conf {
	__u8 num_progs_enabled;
	__u32 chain_call_actions[BENCH_MAX_PROGS];
};

const volatile struct bench_disp_conf bench_conf = {};

static __always_inline int component(__u32 slot, __u32 len, int ret)
{
	struct tg_stats *s = tg__stats(slot);

	if (s) {
		s->packets++;
		s->bytes += len;
		s->pass++;
	}
	return ret;
}

#define XDP_COMPONENT(i)						\
	__attribute__((noinline)) int prog##i(struct xdp_md *ctx)	\
	{								\
		if (!ctx)						\
			return XDP_ABORTED;				\
		return component(TG_BANK_BASE(0) + i,			\
				 ctx->data_end - ctx->data, XDP_PASS);	\
	}
#define TC_COMPONENT(i)							\
	__attribute__((noinline)) int tcprog##i(struct __sk_buff *skb)	\
	{								\
		if (!skb)						\
			return TC_ACT_SHOT;				\
		return component(TG_BANK_BASE(0) + i, skb->len,		\
				 TC_ACT_OK);				\
	}

XDP_COMPONENT(0) XDP_COMPONENT(1) XDP_COMPONENT(2) XDP_COMPONENT(3)
XDP_COMPONENT(4) XDP_COMPONENT(5) XDP_COMPONENT(6) XDP_COMPONENT(7)
TC_COMPONENT(0) TC_COMPONENT(1) TC_COMPONENT(2) TC_COMPONENT(3)
TC_COMPONENT(4) TC_COMPONENT(5) TC_COMPONENT(6) TC_COMPONENT(7)

#define CHAIN(i, fn)							\
	if (num < i + 1)						\
		goto out;						\
	ret = fn(ctx);							\
	if (!((1U << ret) & bench_conf.chain_call_actions[i]))		\
		return ret;

SEC("xdp")
int bench_libxdp(struct xdp_md *ctx)
{
	__u8 num = bench_conf.num_progs_enabled;
	int ret;

	CHAIN(0, prog0) CHAIN(1, prog1) CHAIN(2, prog2) CHAIN(3, prog3)
	CHAIN(4, prog4) CHAIN(5, prog5) CHAIN(6, prog6) CHAIN(7, prog7)
out:
	return XDP_PASS;
}

SEC("tc")
int bench_libxdp_tc(struct __sk_buff *ctx)
{
	__u8 num = bench_conf.num_progs_enabled;
	int ret;

	CHAIN(0, tcprog0) CHAIN(1, tcprog1) CHAIN(2, tcprog2) CHAIN(3, tcprog3)
	CHAIN(4, tcprog4) CHAIN(5, tcprog5) CHAIN(6, tcprog6) CHAIN(7, tcprog7)
out:
	return TC_ACT_OK;
}

char LICENSE[] SEC("license") = "Dual BSD/GPL";
