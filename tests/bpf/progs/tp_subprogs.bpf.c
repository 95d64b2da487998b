// SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause)
/*
 * tp_subprogs: a third-party program (no tailgate header) built the way
 * larger projects are: a global function, which the kernel verifies on
 * its own against its BTF signature, and a static subprogram, both real
 * BPF-to-BPF calls (noinline). Drops UDP to the discard port (9), passes
 * everything else.
 */
#include <linux/bpf.h>
#include <linux/if_ether.h>
#include <linux/in.h>
#include <linux/ip.h>
#include <linux/pkt_cls.h>
#include <linux/udp.h>
#include <bpf/bpf_endian.h>
#include <bpf/bpf_helpers.h>

#define DISCARD_PORT	9

/* UDP destination port of an IPv4 frame, or -1. */
static __always_inline int udp_dport(void *data, void *data_end)
{
	struct ethhdr *eth = data;
	struct iphdr *ip = (void *)(eth + 1);
	struct udphdr *udp = (void *)(ip + 1);

	if ((void *)(udp + 1) > data_end || eth->h_proto != bpf_htons(ETH_P_IP) ||
	    ip->ihl != 5 || ip->protocol != IPPROTO_UDP)
		return -1;
	return bpf_ntohs(udp->dest);
}

/* Global functions: verified once each, with their ctx argument typed by BTF. */
__attribute__((noinline)) int tp_xdp_dport(struct xdp_md *ctx)
{
	return udp_dport((void *)(long)ctx->data, (void *)(long)ctx->data_end);
}

__attribute__((noinline)) int tp_tc_dport(struct __sk_buff *skb)
{
	return udp_dport((void *)(long)skb->data, (void *)(long)skb->data_end);
}

/* A static subprogram: verified in its caller's context. */
static __attribute__((noinline)) int discard(int dport)
{
	return dport == DISCARD_PORT;
}

SEC("xdp")
int tp_sub_xdp(struct xdp_md *ctx)
{
	return discard(tp_xdp_dport(ctx)) ? XDP_DROP : XDP_PASS;
}

SEC("tc")
int tp_sub_tc(struct __sk_buff *skb)
{
	return discard(tp_tc_dport(skb)) ? TC_ACT_SHOT : TC_ACT_OK;
}

char LICENSE[] SEC("license") = "Dual BSD/GPL";
