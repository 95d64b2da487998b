// SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause)
/*
 * verdicts: a third-party object (it knows nothing of tailgate: uapi
 * headers and libbpf's bpf_helpers.h only) with 32 programs, xdp_v0 ..
 * xdp_v15 and tc_v0 .. tc_v15. Program K returns, as its return code, the
 * signed byte at offset K of the UDP payload of an Ethernet + IPv4 + UDP
 * frame, so one packet says what every stage of a chain decides: the
 * tables run every verdict at every position of a loaded chain without
 * reloading it. A frame too short for byte K, or not IPv4, passes.
 *
 * Signed, so 0xff is tc's TC_ACT_UNSPEC (-1).
 */
#include <linux/bpf.h>
#include <linux/if_ether.h>
#include <linux/ip.h>
#include <linux/pkt_cls.h>
#include <linux/udp.h>
#include <bpf/bpf_endian.h>
#include <bpf/bpf_helpers.h>

#define PAYLOAD_OFF (sizeof(struct ethhdr) + sizeof(struct iphdr) + sizeof(struct udphdr))

static __always_inline int code_at(void *data, void *data_end, int k, int dflt)
{
	struct ethhdr *eth = data;
	__s8 *code = data + PAYLOAD_OFF + k;

	if ((void *)(code + 1) > data_end || eth->h_proto != bpf_htons(ETH_P_IP))
		return dflt;
	return *code;
}

#define VERDICT_PROGS(k)								\
	SEC("xdp")									\
	int xdp_v##k(struct xdp_md *ctx)						\
	{										\
		return code_at((void *)(long)ctx->data, (void *)(long)ctx->data_end,	\
			       k, XDP_PASS);						\
	}										\
	SEC("tc")									\
	int tc_v##k(struct __sk_buff *skb)						\
	{										\
		return code_at((void *)(long)skb->data, (void *)(long)skb->data_end,	\
			       k, TC_ACT_OK);						\
	}

VERDICT_PROGS(0) VERDICT_PROGS(1) VERDICT_PROGS(2) VERDICT_PROGS(3)
VERDICT_PROGS(4) VERDICT_PROGS(5) VERDICT_PROGS(6) VERDICT_PROGS(7)
VERDICT_PROGS(8) VERDICT_PROGS(9) VERDICT_PROGS(10) VERDICT_PROGS(11)
VERDICT_PROGS(12) VERDICT_PROGS(13) VERDICT_PROGS(14) VERDICT_PROGS(15)

char LICENSE[] SEC("license") = "Dual BSD/GPL";
