// SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause)
/*
 * tp_rewrite: a program that changes packets (bpf_xdp_adjust_head, here
 * by 0 bytes, and a store into the Ethernet header of the byte already
 * there). tailgate must warn when a plan runs it in shadow mode: shadow
 * is for stages that decide, not for stages that rewrite.
 */
#include <linux/bpf.h>
#include <linux/if_ether.h>
#include <bpf/bpf_helpers.h>

SEC("xdp")
int xdp_rewrite(struct xdp_md *ctx)
{
	void *data, *data_end;
	volatile __u8 *p;

	if (bpf_xdp_adjust_head(ctx, 0))
		return XDP_PASS;
	data = (void *)(long)ctx->data;
	data_end = (void *)(long)ctx->data_end;
	p = data;
	if ((void *)(p + ETH_HLEN) > data_end)
		return XDP_PASS;
	p[0] = p[0];
	return XDP_PASS;
}

char _license[] SEC("license") = "GPL";
