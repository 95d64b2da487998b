// SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause)
/*
 * deep_calls: a program whose call chain is exactly as deep as the kernel
 * allows (MAX_CALL_FRAMES, 8: the program and d1 .. d7), so it verifies on
 * its own. Called from tailgate's main it would be refused (main is a
 * ninth frame, at the call in d6); inlined into main, as compose.c does
 * wherever it can, it adds no frame and loads (tests/bpf/test_inline.c
 * checks both).
 */
#include <linux/bpf.h>
#include <linux/pkt_cls.h>
#include <bpf/bpf_helpers.h>

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
int deep_xdp(struct xdp_md *ctx)
{
	return d1(ctx->data_end - ctx->data) & 1 ? XDP_DROP : XDP_PASS;
}

SEC("tc")
int deep_tc(struct __sk_buff *skb)
{
	return d1(skb->len) & 1 ? TC_ACT_SHOT : TC_ACT_OK;
}

char LICENSE[] SEC("license") = "Dual BSD/GPL";
