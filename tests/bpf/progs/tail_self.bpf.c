// SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause)
/*
 * tail_self: third-party programs that make tail calls of their own, into
 * their own prog array. Wrapped, the program is a subprogram of tailgate's
 * main: the composed program carries BTF function info (without it this
 * kernel refuses any tail call in a subprogram), and the kernel's rule is
 * then that the frames ABOVE the tail call hold less than 256 bytes.
 * These two sit on either side of it:
 *
 *   tail_main  tail-calls from its own (~240-byte) frame: above it only
 *              the wrapper's frame: runs wrapped
 *   tail_sub   tail-calls from a subprogram under a frame of 225..240
 *              bytes: above it, wrapped, the wrapper's frame + 240 >= 256,
 *              by the JIT's rounding (16 + 240) and tailgate's (32 + 256);
 *              alone, 240 is fine
 *
 * The prog array stays empty: each tail call misses and the program
 * carries on to its own verdict (pass).
 */
#include <linux/bpf.h>
#include <linux/pkt_cls.h>
#include <bpf/bpf_helpers.h>

#include "expect.h"
#include "frame.h"

struct {
	__uint(type, BPF_MAP_TYPE_PROG_ARRAY);
	__uint(max_entries, 1);
	__type(key, __u32);
	__type(value, __u32);
} own_jmp SEC(".maps");

SCRATCH(236);
SCRATCH(224);

static __attribute__((noinline)) int jump(void *ctx)
{
	bpf_tail_call(ctx, &own_jmp, 0);
	return 0;
}

SEC("xdp")
int tail_main(struct xdp_md *ctx)
{
	int err = FRAME(236, ctx->rx_queue_index);

	bpf_tail_call(ctx, &own_jmp, 0);
	return err ? XDP_DROP : XDP_PASS;
}

SEC("tc")
int tail_main_tc(struct __sk_buff *skb)
{
	int err = FRAME(236, skb->len);

	bpf_tail_call(skb, &own_jmp, 0);
	return err ? TC_ACT_SHOT : TC_ACT_OK;
}

SEC("xdp")
__tg_reject("preflight") __tg_msg("makes its own tail calls; wrapped, they come from a subprogram")
int tail_sub(struct xdp_md *ctx)
{
	return FRAME(224, ctx->rx_queue_index) + jump(ctx) ? XDP_DROP : XDP_PASS;
}

SEC("tc")
__tg_reject("preflight") __tg_msg("makes its own tail calls; wrapped, they come from a subprogram")
int tail_sub_tc(struct __sk_buff *skb)
{
	return FRAME(224, skb->len) + jump(skb) ? TC_ACT_SHOT : TC_ACT_OK;
}

char LICENSE[] SEC("license") = "Dual BSD/GPL";
