// SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause)
/*
 * drop_ipv6: a version with a bug only some traffic meets: it passes
 * IPv4 (and ARP) and drops every IPv6 packet. Hosts that carry IPv4 only
 * judge it healthy; the first host whose clients speak IPv6 breaches
 * max_drop_ratio. The fleet tests use it for a version that passes the
 * canary host and fails in a later wave.
 */
#include "tailgate_stage.h"

static __always_inline enum tg_verdict drop_v6(struct tg_pkt *pkt)
{
	__u32 off = 0;

	return tg_pkt_l3(pkt, &off) == TG_ETH_P_IPV6 ? TG_DROP : TG_CONTINUE;
}

TG_STAGE(drop_ipv6, drop_v6)

char LICENSE[] SEC("license") = "Dual BSD/GPL";
