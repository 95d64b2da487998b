// SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause)
/*
 * blocklist: drops IPv4 and IPv6 packets whose source address falls in a
 * prefix of the LPM trie "blocked", and continues with everything else.
 *
 * Keys are struct tg_lpm_key (tailgate_abi.h): prefix length in bits, then
 * 16 address bytes.
 * IPv4 prefixes are stored as IPv4-mapped IPv6 (::ffff:a.b.c.d), prefix
 * length + 96, so one trie serves both families. With stock bpftool:
 *
 *   # block 198.18.5.0/24
 *   bpftool map update pinned .../maps/blocked \
 *       key hex 78 00 00 00  00 00 00 00 00 00 00 00 00 00 ff ff c6 12 05 00 \
 *       value hex 01
 */
#include "tailgate_stage.h"

struct {
	__uint(type, BPF_MAP_TYPE_LPM_TRIE);
	__uint(max_entries, 65536);
	__uint(map_flags, BPF_F_NO_PREALLOC);
	__type(key, struct tg_lpm_key);
	__type(value, __u8);
} blocked SEC(".maps");

static __always_inline enum tg_verdict block_body(struct tg_pkt *pkt)
{
	struct tg_lpm_key key = { .prefixlen = 128 };
	__u32 off = 0;
	__u16 proto = tg_pkt_l3(pkt, &off);

	if (proto == TG_ETH_P_IP) {
		struct iphdr *ip4 = tg_pkt_ptr(pkt, off, sizeof(*ip4));

		if (!ip4)
			return TG_CONTINUE;
		key.addr[10] = 0xff;
		key.addr[11] = 0xff;
		__builtin_memcpy(&key.addr[12], &ip4->saddr, 4);
	} else if (proto == TG_ETH_P_IPV6) {
		struct ipv6hdr *ip6 = tg_pkt_ptr(pkt, off, sizeof(*ip6));

		if (!ip6)
			return TG_CONTINUE;
		__builtin_memcpy(key.addr, &ip6->saddr, 16);
	} else {
		return TG_CONTINUE;
	}
	if (bpf_map_lookup_elem(&blocked, &key))
		return TG_DROP;
	return TG_CONTINUE;
}

TG_STAGE(blocklist, block_body)

char LICENSE[] SEC("license") = "Dual BSD/GPL";
