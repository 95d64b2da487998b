// SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause)
/*
 * rewrite: programs that change the packet, which a shadow stage must not
 * (its changes would reach the next stage and the wire), beside ones that
 * only read it. The static analysis must tell them apart:
 *
 *   rw_adjust     bpf_xdp_adjust_head() (by 0: the frame stays as it was)
 *   rw_store      bpf_skb_store_bytes() (tc)
 *   rw_write      writes a byte of the Ethernet header directly (XDP, tc)
 *   rw_read       reads the same byte and decides on it (XDP, tc)
 */
#include <linux/bpf.h>
#include <linux/if_ether.h>
#include <linux/pkt_cls.h>
#include <bpf/bpf_helpers.h>

SEC("xdp")
int rw_adjust(struct xdp_md *ctx)
{
	return bpf_xdp_adjust_head(ctx, 0) ? XDP_ABORTED : XDP_PASS;
}

SEC("tc")
int rw_store_tc(struct __sk_buff *skb)
{
	__u8 mac0 = 0x02;

	return bpf_skb_store_bytes(skb, 0, &mac0, 1, 0) ? TC_ACT_SHOT : TC_ACT_OK;
}

static __always_inline int write_mac(void *data, void *data_end)
{
	struct ethhdr *eth = data;

	if ((void *)(eth + 1) > data_end)
		return 0;
	eth->h_dest[0] = 0x02;
	return 1;
}

static __always_inline int read_mac(void *data, void *data_end)
{
	struct ethhdr *eth = data;

	if ((void *)(eth + 1) > data_end)
		return 0;
	return eth->h_dest[0] == 0x02;
}

SEC("xdp")
int rw_write(struct xdp_md *ctx)
{
	return write_mac((void *)(long)ctx->data, (void *)(long)ctx->data_end) ? XDP_PASS : XDP_DROP;
}

SEC("tc")
int rw_write_tc(struct __sk_buff *skb)
{
	return write_mac((void *)(long)skb->data, (void *)(long)skb->data_end) ? TC_ACT_OK : TC_ACT_SHOT;
}

SEC("xdp")
int rw_read(struct xdp_md *ctx)
{
	return read_mac((void *)(long)ctx->data, (void *)(long)ctx->data_end) ? XDP_PASS : XDP_DROP;
}

SEC("tc")
int rw_read_tc(struct __sk_buff *skb)
{
	return read_mac((void *)(long)skb->data, (void *)(long)skb->data_end) ? TC_ACT_OK : TC_ACT_SHOT;
}

char LICENSE[] SEC("license") = "Dual BSD/GPL";
