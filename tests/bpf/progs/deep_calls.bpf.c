// SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause)
/*
 * deep_calls: a program whose call chain is exactly as deep as the kernel
 * allows (MAX_CALL_FRAMES, 8: the program and d1 .. d7), so it verifies on
 * its own. Wrapped, tailgate's main is one more frame: the call in d6 that
 * would make d7 the ninth frame is where the verifier refuses it, and
 * tailgate's message must name this program and that instruction in the
 * program's own numbering, not in the composed program's.
 */
#include <linux/bpf.h>
#include <linux/pkt_cls.h>
#include <bpf/bpf_helpers.h>

#include "expect.h"

/* noinline, opaque and dependent on the packet: clang must keep every call. */
#define LEVEL(n, next)							\
	static __attribute__((noinline)) int d##n(int x)		\
	{								\
		asm volatile("" : "+r"(x));				\
		return next(x ^ n) + 1;					\
	}

static __attribute__((noinline)) int d7(int x)
{
	asm volatile("" : "+r"(x));
	return x & 1;
}

LEVEL(6, d7)
LEVEL(5, d6)
LEVEL(4, d5)
LEVEL(3, d4)
LEVEL(2, d3)
LEVEL(1, d2)

SEC("xdp")
__tg_reject("wrapped") __tg_msg("the call stack of 9 frames is too deep") __tg_insn("85@6")
int deep_xdp(struct xdp_md *ctx)
{
	return d1(ctx->data_end - ctx->data) & 1 ? XDP_DROP : XDP_PASS;
}

SEC("tc")
__tg_reject("wrapped") __tg_msg("the call stack of 9 frames is too deep") __tg_insn("85@6")
int deep_tc(struct __sk_buff *skb)
{
	return d1(skb->len) & 1 ? TC_ACT_SHOT : TC_ACT_OK;
}

char LICENSE[] SEC("license") = "Dual BSD/GPL";
