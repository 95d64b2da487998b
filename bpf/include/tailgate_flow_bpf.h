/* SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause) */
/*
 * BPF side of tailgate_flow.h: the flow of a packet, for XDP and tc alike,
 * read from [data, data_end) (xdp_md or __sk_buff data/data_end).
 *
 * Parsed: Ethernet; up to two VLAN tags (802.1Q or 802.1ad, in any order,
 * as tailgate_stage.h's tg_pkt_l3() walks them); IPv4 with its IHL
 * honoured, the TCP/UDP ports read unless the packet is a fragment (the
 * first one included); the IPv6 fixed header, the ports read when the next
 * header is TCP or UDP itself. IPv6 extension headers are not walked: a
 * packet with any (hop-by-hop, routing, fragment, ...) hashes on its
 * addresses and first next header alone, without ports.
 *
 * So every fragment of one datagram hashes alike, on addresses and
 * protocol alone, and meets one generation, as the kernel's own flow
 * dissector hashes fragments by default (ports only past
 * FLOW_DISSECTOR_F_PARSE_1ST_FRAG) and NICs' RSS does: the receiver gets
 * the whole datagram from one generation. What a flow cannot promise
 * then: its fragmented and its whole datagrams may meet different
 * generations. Stages see fragments as they are either way (nothing
 * reassembles before XDP or tc).
 *
 * No flow: anything not IPv4 or IPv6, an IPv4 IHL below 5, and headers
 * that end past data_end. On tc that includes headers beyond the skb's
 * linear area: nothing is pulled (a pull would cost every packet and can
 * fail), so such a packet counts as no flow, like a runt.
 *
 * skb->hash is not used on purpose: on egress it is the socket's txhash,
 * which the stack re-rolls mid-flow (sk_rethink_txhash on a retransmit
 * timeout), and a flow must meet one generation for its whole life.
 */
#ifndef __TAILGATE_FLOW_BPF_H
#define __TAILGATE_FLOW_BPF_H

#include "vmlinux.h"
#include <bpf/bpf_helpers.h>
#include <bpf/bpf_endian.h>
#include "tailgate_flow.h"

/* Protocol constants that vmlinux.h cannot carry (uapi macros). */
#ifndef TG_ETH_P_IP
#define TG_ETH_P_IP	0x0800
#define TG_ETH_P_IPV6	0x86DD
#define TG_ETH_P_8021Q	0x8100
#define TG_ETH_P_8021AD	0x88A8
#endif
#define TG_IP_OFFSET	0x1fff	/* fragment offset field of frag_off */
#define TG_IP_MF	0x2000	/* more fragments */

/*
 * Ports word at @l4, or -1 when its four bytes are past @data_end: one
 * __u32 load, which is tg_flow_ports(source, dest) by its definition.
 */
static __always_inline __s64 tg__flow_ports(void *l4, void *data_end)
{
	if (l4 + sizeof(__u32) > data_end)
		return -1;
	return *(__u32 *)l4;
}

static __always_inline int tg__flow_v4(struct iphdr *ip, void *data_end,
				       __u32 seed, __u32 *hash)
{
	__s64 ports = 0;
	__u32 ihl;

	if ((void *)(ip + 1) > data_end)
		return 0;
	ihl = ip->ihl;
	if (ihl < 5)
		return 0;
	if ((ip->protocol == IPPROTO_TCP || ip->protocol == IPPROTO_UDP) &&
	    !(ip->frag_off & bpf_htons(TG_IP_MF | TG_IP_OFFSET))) {
		ports = tg__flow_ports((void *)ip + ihl * 4, data_end);
		if (ports < 0)
			return 0;
	}
	*hash = tg_flow_hash_v4(ip->saddr, ip->daddr, ip->protocol, ports,
				seed);
	return 1;
}

static __always_inline int tg__flow_v6(struct ipv6hdr *ip6, void *data_end,
				       __u32 seed, __u32 *hash)
{
	__s64 ports = 0;

	if ((void *)(ip6 + 1) > data_end)
		return 0;
	if (ip6->nexthdr == IPPROTO_TCP || ip6->nexthdr == IPPROTO_UDP) {
		ports = tg__flow_ports(ip6 + 1, data_end);
		if (ports < 0)
			return 0;
	}
	*hash = tg_flow_hash_v6(ip6->saddr.in6_u.u6_addr32,
				ip6->daddr.in6_u.u6_addr32, ip6->nexthdr, ports,
				seed);
	return 1;
}

/*
 * Hash with @seed of the flow of the frame in [@data, @data_end) into
 * *@hash. @return 1, or 0 when the frame has no flow (see above).
 */
static __always_inline int tg_flow_hash_pkt(void *data, void *data_end,
					    __u32 seed, __u32 *hash)
{
	struct ethhdr *eth = data;
	struct vlan_hdr *vh;
	__u16 proto;
	int i;

	if ((void *)(eth + 1) > data_end)
		return 0;
	proto = eth->h_proto;
	data = eth + 1;
#pragma unroll
	for (i = 0; i < 2; i++) {
		if (proto != bpf_htons(TG_ETH_P_8021Q) &&
		    proto != bpf_htons(TG_ETH_P_8021AD))
			break;
		vh = data;
		if ((void *)(vh + 1) > data_end)
			return 0;
		proto = vh->h_vlan_encapsulated_proto;
		data = vh + 1;
	}
	if (proto == bpf_htons(TG_ETH_P_IP))
		return tg__flow_v4(data, data_end, seed, hash);
	if (proto == bpf_htons(TG_ETH_P_IPV6))
		return tg__flow_v6(data, data_end, seed, hash);
	return 0;
}

#endif /* __TAILGATE_FLOW_BPF_H */
