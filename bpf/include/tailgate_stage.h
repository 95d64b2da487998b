/* SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause) */
/*
 * The stage header: what a tailgate stage author includes.
 *
 * A stage is a body that looks at one packet and returns a verdict:
 *
 *	static __always_inline enum tg_verdict my_body(struct tg_pkt *pkt)
 *	{
 *		if (bad(pkt))
 *			return TG_DROP;		// end with a verdict
 *		return TG_CONTINUE;		// hand over to the next stage
 *	}
 *	TG_STAGE(my_stage, my_body)
 *
 * TG_STAGE() emits two programs from the one body: an XDP program named
 * my_stage and a tc program named my_stage_tc. Both count into the shared
 * "stats" map under the stage's own slot and tail-call the next stage
 * through the shared "slots" prog array. The loader sets the slots through
 * the const volatile variables below before load.
 */
#ifndef __TAILGATE_STAGE_H
#define __TAILGATE_STAGE_H

#include "tailgate_maps.h"
#include <bpf/bpf_endian.h>

/*
 * Set by the loader before load, once per (interface, generation): the
 * verifier then sees every stats key and tail-call key as a constant, so
 * lookups are inlined and tail calls become direct jumps.
 */
const volatile __u32 tg_self_slot = TG_SLOT_NONE;	/* own slot: stats key */
const volatile __u32 tg_next_slot = TG_SLOT_NONE;	/* NONE: last stage */
const volatile __u32 tg_fail_closed = 0;		/* verdict on a tail miss */

/* Protocol constants that vmlinux.h cannot carry (uapi macros). */
#define TG_ETH_P_IP	0x0800
#define TG_ETH_P_IPV6	0x86DD
#define TG_ETH_P_8021Q	0x8100
#define TG_ETH_P_8021AD	0x88A8

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
static __always_inline void *tg_pkt_ptr(const struct tg_pkt *pkt, __u32 off,
					__u32 len)
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
	struct vlan_hdr *vh;
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
		proto = bpf_ntohs(vh->h_vlan_encapsulated_proto);
		*l3_off += sizeof(*vh);
	}
	return proto;
}

static __always_inline enum tg_verdict tg__stage_run(void *ctx,
						     struct tg_pkt *pkt,
						     enum tg_verdict v)
{
	struct tg_stats *s = tg__stats(tg_self_slot);

	if (s) {
		s->packets++;
		s->bytes += pkt->len;
	}
	/* Continuing from the last stage is the chain's natural end: pass. */
	if (v == TG_CONTINUE && tg_next_slot == TG_SLOT_NONE)
		v = TG_PASS;
	tg__count_verdict(s, v);
	if (v != TG_CONTINUE)
		return v;
	tg_tail_call_rodata(ctx, &slots, tg_next_slot);
	return tg__tail_missed(s, tg_fail_closed);
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
		return tg__xdp_code(tg__stage_run(ctx, &pkt, body(&pkt)));	\
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
		enum tg_verdict v = tg__stage_run(skb, &pkt, body(&pkt));	\
									\
		/* tc has no TX code: bounce out of the device it came on. */	\
		if (v == TG_TX)							\
			return bpf_redirect(skb->ifindex, 0);			\
		return tg__tc_code(v);						\
	}

#endif /* __TAILGATE_STAGE_H */
