// SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause)
/*
 * stack: programs whose stack use the static analysis (analyze.c) must
 * estimate as the verifier counts it: frames rounded up to 32 bytes (at
 * least 1 byte), the deepest call chain summed.
 *
 *   stack_none   no stack at all (a frame still counts 32)
 *   stack_key    a 4-byte map key
 *   stack_chain  frames in a line: program -> c1 -> c2
 *   stack_tree   the program calls a deep and a shallow function: only the
 *                deeper branch counts
 *   stack_480    a 480-byte frame: with the wrapper's 32, exactly the 512
 *                the kernel allows
 *   stack_500    500 bytes (512 rounded): wrapped, over the limit, and
 *                tailgate must refuse it before the kernel does
 */
#include <linux/bpf.h>
#include <bpf/bpf_helpers.h>

#include "expect.h"
#include "frame.h"

SCRATCH(56);
SCRATCH(88);
SCRATCH(150);
SCRATCH(250);
SCRATCH(40);
SCRATCH(16);
SCRATCH(464);
SCRATCH(496);

SEC("xdp")
int stack_none(struct xdp_md *ctx)
{
	return XDP_PASS;
}

SEC("xdp")
int stack_key(struct xdp_md *ctx)
{
	__u32 key = 0;
	struct scratch16 *v = bpf_map_lookup_elem(&scratch_map16, &key);

	if (v)
		__sync_fetch_and_add((__u32 *)v->b, 1);
	return XDP_PASS;
}

static __attribute__((noinline)) int c2(int x)
{
	return FRAME(150, x);
}

static __attribute__((noinline)) int c1(int x)
{
	return FRAME(88, x) + c2(x + 1);
}

SEC("xdp")
int stack_chain(struct xdp_md *ctx)
{
	return FRAME(56, ctx->rx_queue_index) + c1(ctx->rx_queue_index) ? XDP_PASS : XDP_DROP;
}

static __attribute__((noinline)) int deep(int x)
{
	return FRAME(250, x);
}

static __attribute__((noinline)) int shallow(int x)
{
	return FRAME(40, x);
}

SEC("xdp")
int stack_tree(struct xdp_md *ctx)
{
	int q = ctx->rx_queue_index;

	return FRAME(16, q) + deep(q) + shallow(q + 1) ? XDP_PASS : XDP_DROP;
}

SEC("xdp")
int stack_480(struct xdp_md *ctx)
{
	return FRAME(464, ctx->rx_queue_index) ? XDP_DROP : XDP_PASS;
}

SEC("xdp")
__tg_reject("preflight") __tg_msg("exceed the kernel's 512 bytes")
int stack_500(struct xdp_md *ctx)
{
	return FRAME(496, ctx->rx_queue_index) ? XDP_DROP : XDP_PASS;
}

char LICENSE[] SEC("license") = "Dual BSD/GPL";
