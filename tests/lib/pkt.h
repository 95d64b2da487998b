/* SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause) */
/*
 * Test frames built from the kernel's header structs, not byte pokes (the
 * selftests' network_helpers.h idea): Ethernet, up to two VLAN tags, then
 * IPv4 (options, fragment fields, TOS) or IPv6 (traffic class, flow label,
 * an optional hop-by-hop header) with UDP, TCP or a bare protocol number;
 * or an ARP request. The IPv4 header checksum and the UDP/TCP checksums
 * are right, so a test can check that a rewrite kept them right.
 *
 * Header-only and free of cmocka: the bench tools build their frames with
 * it too (tools/bench_split.c).
 */
#ifndef __TAILGATE_TEST_PKT_H
#define __TAILGATE_TEST_PKT_H

#include <stdbool.h>
#include <stddef.h>
#include <string.h>
#include <arpa/inet.h>
#include <netinet/in.h>
#include <linux/if_arp.h>
#include <linux/if_ether.h>
#include <linux/ip.h>
#include <linux/ipv6.h>
#include <linux/tcp.h>
#include <linux/udp.h>

#define PKT_MIN_LEN	64
#define PKT_MAX_LEN	256

/* An 802.1Q / 802.1ad tag as it follows the MAC addresses. */
struct pkt_vlan {
	__be16 tpid;
	__be16 tci;
} __attribute__((packed));

/* ARP for Ethernet/IPv4: the fixed part, then the addresses. */
struct pkt_arp {
	struct arphdr h;
	__u8 sha[ETH_ALEN];
	__u8 spa[4];
	__u8 tha[ETH_ALEN];
	__u8 tpa[4];
} __attribute__((packed));

struct pkt_spec {
	int family;		/* AF_INET, AF_INET6; 0: ARP who-has daddr */
	__u8 proto;		/* IPPROTO_UDP, _TCP, or any (no L4 header) */
	__u8 saddr[16];		/* network order; IPv4 uses the first 4 */
	__u8 daddr[16];
	__u16 sport, dport;	/* host order */
	int nr_vlan;		/* 0..2; with two the outer one is 802.1ad */
	__u16 frag_off;		/* IPv4 flags and offset, host order */
	__u8 tos;		/* IPv4 TOS / IPv6 traffic class */
	__u8 opt_words;		/* IPv4 options in 32-bit words (IHL 5 + n) */
	bool hbh;		/* IPv6: a hop-by-hop header in front of L4 */
	__u32 flowlabel;	/* IPv6, 20 bits */
	__u32 len;		/* frame bytes; 0: headers + 8, at least 64 */
};

/* Where the headers of a built frame are. */
struct pkt_layout {
	size_t l3, l4, len;
};

static inline __u32 pkt__sum(__u32 sum, const void *p, size_t n)
{
	const __u8 *b = p;
	size_t i;

	for (i = 0; i + 1 < n; i += 2)
		sum += (b[i] << 8) | b[i + 1];
	if (n & 1)
		sum += b[n - 1] << 8;
	return sum;
}

/* Ones' complement of the folded @sum, in network order. */
static inline __sum16 pkt__fold(__u32 sum)
{
	while (sum >> 16)
		sum = (sum & 0xffff) + (sum >> 16);
	return htons(~sum & 0xffff);
}

/* Internet checksum of @n bytes: 0 when they include a valid checksum. */
static inline __u16 pkt_csum(const void *p, size_t n)
{
	return pkt__fold(pkt__sum(0, p, n));
}

static inline size_t pkt__l2(const struct pkt_spec *s, __u8 *b, __u16 proto)
{
	static const __u8 dst[ETH_ALEN] = { 2, 0, 0, 0, 0, 2 };
	static const __u8 src[ETH_ALEN] = { 2, 0, 0, 0, 0, 1 };
	struct pkt_vlan tag;
	size_t off = 2 * ETH_ALEN;
	__be16 type = htons(proto);
	int i;

	memcpy(b, s->family ? dst : (const __u8[ETH_ALEN]){ 0xff, 0xff, 0xff,
							      0xff, 0xff, 0xff },
	       ETH_ALEN);
	memcpy(b + ETH_ALEN, src, ETH_ALEN);
	for (i = 0; i < s->nr_vlan && i < 2; i++) {
		tag.tpid = htons(s->nr_vlan == 2 && i == 0 ? ETH_P_8021AD :
							     ETH_P_8021Q);
		tag.tci = htons(100 + i);
		memcpy(b + off, &tag, sizeof(tag));
		off += sizeof(tag);
	}
	memcpy(b + off, &type, sizeof(type));
	return off + sizeof(type);
}

static inline size_t pkt__l4_len(const struct pkt_spec *s)
{
	if (s->proto == IPPROTO_TCP)
		return sizeof(struct tcphdr);
	if (s->proto == IPPROTO_UDP)
		return sizeof(struct udphdr);
	return 0;
}

/* UDP/TCP header at @l4 with @n bytes of L4 data; @sum: pseudo-header. */
static inline void pkt__l4(const struct pkt_spec *s, __u8 *l4, size_t n,
			   __u32 sum)
{
	struct tcphdr th = {};
	struct udphdr uh = {};

	if (s->proto == IPPROTO_UDP) {
		uh.source = htons(s->sport);
		uh.dest = htons(s->dport);
		uh.len = htons(n);
		memcpy(l4, &uh, sizeof(uh));
		uh.check = pkt__fold(pkt__sum(sum, l4, n)) ?: 0xffff;
		memcpy(l4, &uh, sizeof(uh));
	} else if (s->proto == IPPROTO_TCP) {
		th.source = htons(s->sport);
		th.dest = htons(s->dport);
		th.seq = htonl(1);
		th.doff = sizeof(th) / 4;
		th.ack = 1;
		th.window = htons(512);
		memcpy(l4, &th, sizeof(th));
		th.check = pkt__fold(pkt__sum(sum, l4, n));
		memcpy(l4, &th, sizeof(th));
	}
}

static inline size_t pkt__ipv4(const struct pkt_spec *s, __u8 *b, size_t l3,
			       size_t len, struct pkt_layout *lo)
{
	struct iphdr ip = {};
	size_t hl = sizeof(ip) + 4 * s->opt_words;
	__u32 sum;

	ip.version = 4;
	ip.ihl = hl / 4;
	ip.tos = s->tos;
	ip.tot_len = htons(len - l3);
	ip.id = htons(0x1234);
	ip.frag_off = htons(s->frag_off);
	ip.ttl = 64;
	ip.protocol = s->proto;
	memcpy(&ip.saddr, s->saddr, 4);
	memcpy(&ip.daddr, s->daddr, 4);
	memcpy(b + l3, &ip, sizeof(ip));
	/* options: NOPs then EOL, a header a parser must step over */
	memset(b + l3 + sizeof(ip), IPOPT_NOOP, 4 * s->opt_words);
	if (s->opt_words)
		b[l3 + hl - 1] = IPOPT_END;
	ip.check = pkt__fold(pkt__sum(0, b + l3, hl));
	memcpy(b + l3, &ip, sizeof(ip));
	lo->l4 = l3 + hl;
	sum = pkt__sum(0, s->saddr, 4) + pkt__sum(0, s->daddr, 4) + s->proto +
	      (len - lo->l4);
	/* a fragment other than the first carries no L4 header */
	if (!(s->frag_off & 0x1fff))
		pkt__l4(s, b + lo->l4, len - lo->l4, sum);
	return len;
}

static inline size_t pkt__ipv6(const struct pkt_spec *s, __u8 *b, size_t l3,
			       size_t len, struct pkt_layout *lo)
{
	struct ipv6hdr ip = {};
	struct ipv6_opt_hdr hbh = { .nexthdr = s->proto };
	__u32 sum, vtcfl;

	vtcfl = 6u << 28 | (__u32)s->tos << 20 | (s->flowlabel & 0xfffff);
	vtcfl = htonl(vtcfl);
	memcpy(&ip, &vtcfl, sizeof(vtcfl));
	ip.payload_len = htons(len - l3 - sizeof(ip));
	ip.nexthdr = s->hbh ? IPPROTO_HOPOPTS : s->proto;
	ip.hop_limit = 64;
	memcpy(&ip.saddr, s->saddr, 16);
	memcpy(&ip.daddr, s->daddr, 16);
	memcpy(b + l3, &ip, sizeof(ip));
	lo->l4 = l3 + sizeof(ip);
	if (s->hbh) {
		/* 8 bytes: next header, length 0, then a PadN of 4 */
		memcpy(b + lo->l4, &hbh, sizeof(hbh));
		b[lo->l4 + 2] = 1;	/* PadN */
		b[lo->l4 + 3] = 4;
		lo->l4 += 8;
	}
	sum = pkt__sum(0, s->saddr, 16) + pkt__sum(0, s->daddr, 16) +
	      s->proto + (len - lo->l4);
	pkt__l4(s, b + lo->l4, len - lo->l4, sum);
	return len;
}

static inline size_t pkt__arp(const struct pkt_spec *s, __u8 *b, size_t l3)
{
	struct pkt_arp a = {
		.h = { htons(ARPHRD_ETHER), htons(ETH_P_IP), ETH_ALEN, 4,
		       htons(ARPOP_REQUEST) },
		.sha = { 2, 0, 0, 0, 0, 1 },
	};

	memcpy(a.spa, s->saddr, 4);
	memcpy(a.tpa, s->daddr, 4);
	memcpy(b + l3, &a, sizeof(a));
	return l3 + sizeof(a);
}

/*
 * Build @s into @b (PKT_MAX_LEN bytes). @return the frame length, 0 when
 * @s does not fit; *@lo (may be NULL) says where the headers are.
 */
static inline size_t pkt_build(const struct pkt_spec *s, __u8 *b,
			       struct pkt_layout *lo)
{
	struct pkt_layout dummy;
	size_t need, len;

	if (!lo)
		lo = &dummy;
	memset(b, 0, PKT_MAX_LEN);
	if (s->nr_vlan < 0 || s->nr_vlan > 2 || s->opt_words > 10)
		return 0;
	lo->l3 = pkt__l2(s, b, s->family == AF_INET	? ETH_P_IP :
				 s->family == AF_INET6	? ETH_P_IPV6 :
							  ETH_P_ARP);
	lo->l4 = lo->l3;
	if (!s->family) {
		len = pkt__arp(s, b, lo->l3);
		lo->len = len < PKT_MIN_LEN ? PKT_MIN_LEN : len;
		return lo->len;
	}
	need = lo->l3 + 8 + pkt__l4_len(s) +
	       (s->family == AF_INET ? sizeof(struct iphdr) + 4 * s->opt_words :
				       sizeof(struct ipv6hdr) + 8 * s->hbh);
	len = s->len ? s->len : need < PKT_MIN_LEN ? PKT_MIN_LEN : need;
	if (len < need || len > PKT_MAX_LEN)
		return 0;
	/* payload, and what a fragment has where L4 would be: not zeros */
	memset(b + lo->l3, 0xa5, len - lo->l3);
	lo->len = len;
	return s->family == AF_INET ? pkt__ipv4(s, b, lo->l3, len, lo) :
				      pkt__ipv6(s, b, lo->l3, len, lo);
}

/* Address @str (IPv4 or IPv6) into @a; @return 0 or -1. */
static inline int pkt_addr(__u8 a[16], const char *str)
{
	memset(a, 0, 16);
	if (inet_pton(AF_INET, str, a) == 1 || inet_pton(AF_INET6, str, a) == 1)
		return 0;
	return -1;
}

#endif /* __TAILGATE_TEST_PKT_H */
