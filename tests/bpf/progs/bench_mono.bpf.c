// SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause)
/*
 * bench_mono: the monolithic baseline for tools/bench_dispatch.
 *
 * "Same work" as a tailgate chain of N bench_pass stages, minus the tail
 * calls: for each stage i (slot TG_BANK_BASE(0) + i) the same per-CPU
 * stats lookup in the same "stats" map, packets++, bytes += len, and one
 * verdict counter (continued, or pass for the last), i.e. tg__stage_run()
 * inlined N times. Not included: the dispatcher's slot-0 counters and the
 * N + 1 tail calls; those are what tailgate adds and what is measured.
 *
 * bench_mono_0 does no work at all: the BPF_PROG_TEST_RUN floor.
 */
#include "tailgate_stage.h"

static __always_inline enum tg_verdict pass_body(struct tg_pkt *pkt)
{
	return TG_CONTINUE;
}

static __always_inline enum tg_verdict mono_stage(struct tg_pkt *pkt,
						  __u32 slot, int last)
{
	struct tg_stats *s = tg__stats(slot);
	enum tg_verdict v = pass_body(pkt);

	if (s) {
		s->packets++;
		s->bytes += pkt->len;
	}
	if (v == TG_CONTINUE && last)
		v = TG_PASS;
	tg__count_verdict(s, v);
	return v;
}

static __always_inline enum tg_verdict mono_run(struct tg_pkt *pkt, int n)
{
	enum tg_verdict v = TG_PASS;
	int i;

#pragma unroll
	for (i = 0; i < n; i++) {
		v = mono_stage(pkt, TG_BANK_BASE(0) + i, i == n - 1);
		if (v != TG_CONTINUE)
			return v;
	}
	return v;
}

#define MONO(n)								\
	SEC("xdp")							\
	int bench_mono_##n(struct xdp_md *ctx)				\
	{								\
		struct tg_pkt pkt = {					\
			.data = (void *)(long)ctx->data,		\
			.data_end = (void *)(long)ctx->data_end,	\
		};							\
		pkt.len = pkt.data_end - pkt.data;			\
		return tg__xdp_code(mono_run(&pkt, n));		\
	}								\
	SEC("tc")							\
	int bench_mono_##n##_tc(struct __sk_buff *skb)			\
	{								\
		struct tg_pkt pkt = {					\
			.data = (void *)(long)skb->data,		\
			.data_end = (void *)(long)skb->data_end,	\
			.len = skb->len,				\
		};							\
		return tg__tc_code(mono_run(&pkt, n));			\
	}

MONO(0)
MONO(1)
MONO(2)
MONO(4)
MONO(8)

char LICENSE[] SEC("license") = "Dual BSD/GPL";
