/* SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause) */
/*
 * tos_mark: a plain third-party stage that knows nothing of tailgate. It
 * writes the object's mark into the DSCP bits of every IPv4 TOS byte
 * (fixing the header checksum incrementally, RFC 1624) and IPv6 traffic
 * class, keeps the ECN bits, and passes everything. With one object per
 * generation (tos_mark_a: 0x20, tos_mark_b: 0x40) a receiver can tell
 * from each datagram which generation it went through.
 *
 * Untagged Ethernet only: VLAN-tagged, non-IP and cut-short frames pass
 * untouched.
 *
 * Include after #define TOS_MARK; the object gets an XDP program tos_mark
 * and a tc program tos_mark_tc.
 */
#ifndef __TOS_MARK_H
#define __TOS_MARK_H

#include "vmlinux.h"
#include <bpf/bpf_helpers.h>
#include <bpf/bpf_endian.h>

#ifndef TOS_MARK
#error "#define TOS_MARK (the DSCP bits of a TOS byte) before including tos_mark.h"
#endif
_Static_assert((TOS_MARK & 0x03) == 0 && TOS_MARK <= 0xff,
	       "TOS_MARK is a DSCP in TOS-byte position: ECN bits (0x03) clear");

#define TOS_ETH_P_IP	0x0800
#define TOS_ETH_P_IPV6	0x86DD
#define TOS_ECN_MASK	0x03
#define TC_ACT_OK	0

/* RFC 1624 eqn. 3: HC' = ~(~HC + ~m + m'), 16-bit words as they lie. */
static __always_inline __u16 tos_csum_replace(__u16 check, __u16 from,
					      __u16 to)
{
	__u32 sum = (__u16)~check + (__u16)~from + to;

	sum = (sum & 0xffff) + (sum >> 16);
	sum = (sum & 0xffff) + (sum >> 16);
	return ~sum;
}

static __always_inline void tos_mark_ipv4(struct iphdr *ip)
{
	__u16 from = *(__u16 *)ip, to;

	ip->tos = TOS_MARK | (ip->tos & TOS_ECN_MASK);
	to = *(__u16 *)ip;
	/*
	 * The checksum moves by exactly what the TOS word moved, so the
	 * header still sums to the same: a CHECKSUM_COMPLETE skb->csum over
	 * it stays right without being touched.
	 */
	ip->check = tos_csum_replace(ip->check, from, to);
}

/*
 * Traffic class: the 8 bits after the 4-bit version, across the first two
 * bytes (the flow label's top nibble shares the second).
 * @return the first header word's old and new value in *from / *to.
 */
static __always_inline void tos_mark_ipv6(struct ipv6hdr *ip6, __be32 *from,
					  __be32 *to)
{
	__u8 *b = (__u8 *)ip6;
	__u8 tc = (b[0] << 4) | (b[1] >> 4);

	*from = *(__be32 *)b;
	tc = TOS_MARK | (tc & TOS_ECN_MASK);
	b[0] = (b[0] & 0xf0) | (tc >> 4);
	b[1] = (b[1] & 0x0f) | (tc << 4);
	*to = *(__be32 *)b;
}

/*
 * Mark the frame in [data, data_end). @return 1 when an IPv6 header word
 * changed from *from to *to (tc must then fix skb->csum), else 0.
 */
static __always_inline int tos_mark_frame(void *data, void *data_end,
					  __be32 *from, __be32 *to)
{
	struct ethhdr *eth = data;
	struct iphdr *ip = (void *)(eth + 1);
	struct ipv6hdr *ip6 = (void *)(eth + 1);

	if ((void *)(eth + 1) > data_end)
		return 0;
	if (eth->h_proto == bpf_htons(TOS_ETH_P_IP)) {
		if ((void *)(ip + 1) <= data_end)
			tos_mark_ipv4(ip);
		return 0;
	}
	if (eth->h_proto == bpf_htons(TOS_ETH_P_IPV6) &&
	    (void *)(ip6 + 1) <= data_end) {
		tos_mark_ipv6(ip6, from, to);
		return *from != *to;
	}
	return 0;
}

SEC("xdp")
int tos_mark(struct xdp_md *ctx)
{
	__be32 from, to;

	tos_mark_frame((void *)(long)ctx->data, (void *)(long)ctx->data_end,
		       &from, &to);
	return XDP_PASS;
}

SEC("tc")
int tos_mark_tc(struct __sk_buff *skb)
{
	__be32 from, to;

	/*
	 * IPv6 has no header checksum, so a device's CHECKSUM_COMPLETE sum
	 * over the packet moves with the traffic class; tell the skb (a
	 * no-op for any other checksum state).
	 */
	if (tos_mark_frame((void *)(long)skb->data,
			   (void *)(long)skb->data_end, &from, &to))
		bpf_csum_update(skb, bpf_csum_diff(&from, 4, &to, 4, 0));
	return TC_ACT_OK;
}

char LICENSE[] SEC("license") = "Dual BSD/GPL";

#endif /* __TOS_MARK_H */
