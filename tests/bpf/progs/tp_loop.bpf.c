// SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause)
/*
 * tp_loop: a third-party program whose work is done in callbacks, the
 * way bounded scans are written since bpf_loop() (5.17): the callback is
 * a subprogram the verifier reaches through a function pointer
 * (BPF_PSEUDO_FUNC), which it accepts only with BTF function info.
 * Drops UDP to the discard port (9) once the loop has counted every
 * iteration, passes everything else.
 */
#include <linux/bpf.h>
#include <linux/if_ether.h>
#include <linux/in.h>
#include <linux/ip.h>
#include <linux/pkt_cls.h>
#include <linux/udp.h>
#include <bpf/bpf_endian.h>
#include <bpf/bpf_helpers.h>

#define DISCARD_PORT 9
#define ROUNDS	     8

struct scan {
	__u32 port;
	__u32 hits;
};

static int step(__u32 i, void *arg)
{
	struct scan *s = arg;

	if (s->port == DISCARD_PORT)
		s->hits++;
	return 0;
}

static __always_inline int verdict_of(void *data, void *data_end)
{
	struct ethhdr *eth = data;
	struct iphdr *ip = (void *)(eth + 1);
	struct udphdr *udp = (void *)(ip + 1);
	struct scan s = {};

	if ((void *)(udp + 1) > data_end || eth->h_proto != bpf_htons(ETH_P_IP) || ip->ihl != 5 ||
	    ip->protocol != IPPROTO_UDP)
		return 0;
	s.port = bpf_ntohs(udp->dest);
	if (bpf_loop(ROUNDS, step, &s, 0) != ROUNDS)
		return 0;
	return s.hits == ROUNDS;
}

SEC("xdp")
int tp_loop_xdp(struct xdp_md *ctx)
{
	return verdict_of((void *)(long)ctx->data, (void *)(long)ctx->data_end) ? XDP_DROP :
										  XDP_PASS;
}

SEC("tc")
int tp_loop_tc(struct __sk_buff *skb)
{
	return verdict_of((void *)(long)skb->data, (void *)(long)skb->data_end) ? TC_ACT_SHOT :
										  TC_ACT_OK;
}

char LICENSE[] SEC("license") = "Dual BSD/GPL";
