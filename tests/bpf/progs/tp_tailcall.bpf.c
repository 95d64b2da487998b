// SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause)
/*
 * tp_tailcall: programs that tail-call into their own prog array, as
 * many shipped programs do. Wrapped, the program is a subprogram of
 * tailgate's main, and the kernel allows a tail call in a subprogram only
 * while the frames of its callers (not its own: a tail call unwinds that)
 * add up to less than 256 bytes:
 *
 *   tail_small  a 16-byte frame, tail call in the program itself: fine
 *               wrapped (chained only: a fused generation cannot hold a
 *               stage that tail-calls)
 *   tail_frame  a 256-byte frame, tail call in the program itself: the
 *               frames above it once wrapped are the wrapper's 32: fine
 *   tail_deep   a frame of about 220 bytes calling a subprogram that
 *               tail-calls: fine alone (224 < 256), refused wrapped
 *               (32 + 224 = 256)
 *
 * jmp_table stays empty here: every tail call misses and the program
 * passes the packet.
 */
#include <linux/bpf.h>
#include <bpf/bpf_helpers.h>

struct {
	__uint(type, BPF_MAP_TYPE_PROG_ARRAY);
	__uint(max_entries, 4);
	__type(key, __u32);
	__type(value, __u32);
} jmp_table SEC(".maps");

SEC("xdp")
int tail_small(struct xdp_md *ctx)
{
	volatile __u32 hops = ctx->rx_queue_index;

	bpf_tail_call(ctx, &jmp_table, 0);
	return hops == 0xffffffff ? XDP_DROP : XDP_PASS;
}

/* Fill and sample a frame-sized buffer so the compiler keeps it. */
#define FRAME(n)						\
	volatile __u8 buf[n];					\
	__u32 i, sum = 0;					\
	for (i = 0; i < (n); i++)				\
		buf[i] = i;					\
	for (i = 0; i < (n); i += 29)				\
		sum += buf[i]

SEC("xdp")
int tail_frame(struct xdp_md *ctx)
{
	FRAME(248);
	bpf_tail_call(ctx, &jmp_table, 0);
	return sum == 0xffffffff ? XDP_DROP : XDP_PASS;
}

static __attribute__((noinline)) int jump(struct xdp_md *ctx)
{
	bpf_tail_call(ctx, &jmp_table, 1);
	return 0;
}

SEC("xdp")
int tail_deep(struct xdp_md *ctx)
{
	FRAME(240);
	return jump(ctx) || sum == 0xffffffff ? XDP_DROP : XDP_PASS;
}

char _license[] SEC("license") = "GPL";
