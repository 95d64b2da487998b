/* SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause) */
/*
 * The stage header: a convenience for stage authors, not a requirement.
 * tailgate wraps every stage it loads (any XDP or tc program, compiled
 * against this header or not): the wrapper counts the stage's verdict
 * under its slot and hands the packet to the next stage. This header
 * adds one source for both hooks and bounds-checked packet helpers:
 *
 *	static __always_inline enum tg_verdict my_body(struct tg_pkt *pkt)
 *	{
 *		if (bad(pkt))
 *			return TG_DROP;		// leave the chain with a verdict
 *		return TG_CONTINUE;		// hand over to the next stage
 *	}
 *	TG_STAGE(my_stage, my_body)
 *
 * TG_STAGE() emits an XDP program my_stage and a tc program my_stage_tc.
 * TG_CONTINUE is a pass, which the default continue_on hands on.
 *
 * Only uapi headers and libbpf's bpf_helpers.h: it builds out of tree,
 * without a vmlinux.h (define TG_USE_VMLINUX after including vmlinux.h to
 * use that instead).
 */
#ifndef __TAILGATE_STAGE_H
#define __TAILGATE_STAGE_H

#ifndef __VMLINUX_H__
#include <linux/bpf.h>
#include <linux/if_ether.h>
#include <linux/ip.h>
#include <linux/ipv6.h>
#include <linux/pkt_cls.h>
#endif
#include <bpf/bpf_helpers.h>
#include <bpf/bpf_endian.h>

#include "tailgate_abi.h"
#include "tailgate_codes.h"

/* Protocol constants (uapi macros vmlinux.h cannot carry). */
#define TG_ETH_P_IP	0x0800
#define TG_ETH_P_IPV6	0x86DD
#define TG_ETH_P_8021Q	0x8100
#define TG_ETH_P_8021AD	0x88A8

/* An 802.1Q/802.1ad tag (the kernel's struct vlan_hdr is not uapi). */
struct tg_vlan_hdr {
	__be16 tci;
	__be16 encapsulated_proto;
};

/* One packet as a stage sees it, for XDP and tc alike. */
struct tg_pkt {
	void *data;
	void *data_end;
	void *ctx;		/* struct xdp_md or struct __sk_buff */
	__u32 len;		/* bytes on the wire (tc: skb->len) */
	__u8 is_xdp;
};

/*
 * Interface the packet is on. Read on demand: on XDP it is three
 * dependent loads (rxq, dev, ifindex), which every stage would otherwise
 * pay whether it looks or not.
 */
static __always_inline __u32 tg_pkt_ifindex(const struct tg_pkt *pkt)
{
	if (pkt->is_xdp)
		return ((struct xdp_md *)pkt->ctx)->ingress_ifindex;
	return ((struct __sk_buff *)pkt->ctx)->ifindex;
}

/* Bounds-checked pointer to @len bytes at @off, or NULL. */
static __always_inline void *tg_pkt_ptr(const struct tg_pkt *pkt, __u32 off, __u32 len)
{
	void *p = pkt->data + off;

	if (p + len > pkt->data_end)
		return NULL;
	return p;
}

/*
 * Network-layer protocol (host order) and offset of the L3 header, up to
 * two VLAN tags (802.1ad QinQ) skipped: a filter that stopped at the first
 * tag would let double-tagged traffic through. Returns 0 when the frame
 * is too short.
 */
static __always_inline __u16 tg_pkt_l3(const struct tg_pkt *pkt, __u32 *l3_off)
{
	struct ethhdr *eth = tg_pkt_ptr(pkt, 0, sizeof(*eth));
	struct tg_vlan_hdr *vh;
	__u16 proto;
	int i;

	if (!eth)
		return 0;
	proto = bpf_ntohs(eth->h_proto);
	*l3_off = sizeof(*eth);
#pragma unroll
	for (i = 0; i < 2; i++) {
		if (proto != TG_ETH_P_8021Q && proto != TG_ETH_P_8021AD)
			break;
		vh = tg_pkt_ptr(pkt, *l3_off, sizeof(*vh));
		if (!vh)
			return 0;
		proto = bpf_ntohs(vh->encapsulated_proto);
		*l3_off += sizeof(*vh);
	}
	return proto;
}

#define TG_STAGE(name, body)							\
	SEC("xdp")								\
	int name(struct xdp_md *ctx)						\
	{									\
		struct tg_pkt pkt = {						\
			.data = (void *)(long)ctx->data,			\
			.data_end = (void *)(long)ctx->data_end,		\
			.ctx = ctx,						\
			.is_xdp = 1,						\
		};								\
		pkt.len = pkt.data_end - pkt.data;				\
		return tg__xdp_code(body(&pkt));				\
	}									\
	SEC("tc")								\
	int name##_tc(struct __sk_buff *skb)					\
	{									\
		struct tg_pkt pkt = {						\
			.data = (void *)(long)skb->data,			\
			.data_end = (void *)(long)skb->data_end,		\
			.len = skb->len,					\
			.ctx = skb,						\
		};								\
		enum tg_verdict v = body(&pkt);					\
									\
		/* tc has no TX code: bounce out of the device it came on. */	\
		if (v == TG_TX)							\
			return bpf_redirect(skb->ifindex, 0);			\
		return tg__tc_code(v);						\
	}

#endif /* __TAILGATE_STAGE_H */
