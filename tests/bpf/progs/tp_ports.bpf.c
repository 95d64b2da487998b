// SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause)
/*
 * tp_ports: a third-party filter as someone outside tailgate would write
 * it (uapi headers and libbpf only, no tailgate header): a verdict per
 * UDP destination port. The integration tests put it in the middle of a
 * chain and count what the next stage sees.
 *
 *   9411  drop          9412  XDP_TX (bounced; tc: pass)
 *   9413  XDP_ABORTED   anything else: pass
 *
 * xdp_drop_all drops everything (the "bad version" of the shadow tests).
 */
#include <linux/bpf.h>
#include <linux/if_ether.h>
#include <linux/in.h>
#include <linux/ip.h>
#include <linux/pkt_cls.h>
#include <linux/udp.h>
#include <bpf/bpf_helpers.h>
#include <bpf/bpf_endian.h>

#define PORT_DROP	9411
#define PORT_TX		9412
#define PORT_ABORT	9413

/* UDP destination port of an IPv4 frame in [data, data_end), or 0. */
static __always_inline __u16 udp_dport(void *data, void *data_end)
{
	struct ethhdr *eth = data;
	struct iphdr *ip = (void *)(eth + 1);
	struct udphdr *udp;

	if ((void *)(ip + 1) > data_end || eth->h_proto != bpf_htons(ETH_P_IP) ||
	    ip->protocol != IPPROTO_UDP || ip->ihl != 5)
		return 0;
	udp = (void *)(ip + 1);
	if ((void *)(udp + 1) > data_end)
		return 0;
	return bpf_ntohs(udp->dest);
}

SEC("xdp")
int xdp_port_policy(struct xdp_md *ctx)
{
	switch (udp_dport((void *)(long)ctx->data, (void *)(long)ctx->data_end)) {
	case PORT_DROP:
		return XDP_DROP;
	case PORT_TX:
		return XDP_TX;
	case PORT_ABORT:
		return XDP_ABORTED;
	default:
		return XDP_PASS;
	}
}

SEC("tc")
int tc_port_policy(struct __sk_buff *skb)
{
	if (udp_dport((void *)(long)skb->data, (void *)(long)skb->data_end) == PORT_DROP)
		return TC_ACT_SHOT;
	return TC_ACT_OK;
}

SEC("xdp")
int xdp_drop_all(struct xdp_md *ctx)
{
	return XDP_DROP;
}

char _license[] SEC("license") = "GPL";
