// SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause)
/*
 * tail_self: third-party programs that make tail calls of their own, into
 * their own prog array. Wrapped, the program is a subprogram of tailgate's
 * main, and this kernel allows tail calls in subprograms only in programs
 * loaded with BTF function info, which tailgate's composed programs do
 * not carry: both are refused, and tailgate must say so before the kernel
 * does. With function info the kernel's next rule is that the frames
 * ABOVE the tail call hold less than 256 bytes, and these two sit on
 * either side of it:
 *
 *   tail_main  tail-calls from its own (~240-byte) frame: above it only
 *              the wrapper's 32
 *   tail_sub   tail-calls from a subprogram under a 200-byte frame: above
 *              it, wrapped, 32 + 224 = 256 (alone, 224 is fine)
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
SCRATCH(196);

static __attribute__((noinline)) int jump(void *ctx)
{
	bpf_tail_call(ctx, &own_jmp, 0);
	return 0;
}

SEC("xdp")
__tg_reject("preflight") __tg_msg("makes its own tail calls")
int tail_main(struct xdp_md *ctx)
{
	int err = FRAME(236, ctx->rx_queue_index);

	bpf_tail_call(ctx, &own_jmp, 0);
	return err ? XDP_DROP : XDP_PASS;
}

SEC("tc")
__tg_reject("preflight") __tg_msg("makes its own tail calls")
int tail_main_tc(struct __sk_buff *skb)
{
	int err = FRAME(236, skb->len);

	bpf_tail_call(skb, &own_jmp, 0);
	return err ? TC_ACT_SHOT : TC_ACT_OK;
}

SEC("xdp")
__tg_reject("preflight") __tg_msg("makes its own tail calls")
int tail_sub(struct xdp_md *ctx)
{
	return FRAME(196, ctx->rx_queue_index) + jump(ctx) ? XDP_DROP : XDP_PASS;
}

SEC("tc")
__tg_reject("preflight") __tg_msg("makes its own tail calls")
int tail_sub_tc(struct __sk_buff *skb)
{
	return FRAME(196, skb->len) + jump(skb) ? TC_ACT_SHOT : TC_ACT_OK;
}

char LICENSE[] SEC("license") = "Dual BSD/GPL";
