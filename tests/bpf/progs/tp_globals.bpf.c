// SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause)
/*
 * tp_globals: a third-party program configured the way many are, through
 * its globals: the port it filters in .rodata (fixed at load), the verdict
 * for a hit in .data (changeable at run time by writing the .data map),
 * and its hit counter in .bss (an atomic add: every CPU shares it).
 */
#include <linux/bpf.h>
#include <linux/if_ether.h>
#include <linux/in.h>
#include <linux/ip.h>
#include <linux/pkt_cls.h>
#include <linux/udp.h>
#include <bpf/bpf_endian.h>
#include <bpf/bpf_helpers.h>

const volatile __u16 filter_port = 7;		/* .rodata */
__u32 xdp_hit_verdict = XDP_DROP;		/* .data */
__u32 tc_hit_verdict = TC_ACT_SHOT;		/* .data */
__u64 hits;					/* .bss */

static __always_inline int hit(void *data, void *data_end)
{
	struct ethhdr *eth = data;
	struct iphdr *ip = (void *)(eth + 1);
	struct udphdr *udp = (void *)(ip + 1);

	if ((void *)(udp + 1) > data_end || eth->h_proto != bpf_htons(ETH_P_IP) ||
	    ip->ihl != 5 || ip->protocol != IPPROTO_UDP || udp->dest != bpf_htons(filter_port))
		return 0;
	__sync_fetch_and_add(&hits, 1);
	return 1;
}

SEC("xdp")
int tp_glob_xdp(struct xdp_md *ctx)
{
	if (hit((void *)(long)ctx->data, (void *)(long)ctx->data_end))
		return xdp_hit_verdict;
	return XDP_PASS;
}

SEC("tc")
int tp_glob_tc(struct __sk_buff *skb)
{
	if (hit((void *)(long)skb->data, (void *)(long)skb->data_end))
		return tc_hit_verdict;
	return TC_ACT_OK;
}

char LICENSE[] SEC("license") = "Dual BSD/GPL";
