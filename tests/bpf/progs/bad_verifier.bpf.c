// SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause)
/*
 * bad_verifier: two test-only stages that compile cleanly and that the
 * verifier must reject, for test_preflight.sh. Preflight loads only the
 * program the plan names, so each one is judged on its own.
 *
 *   bad_bounds  reads the Ethernet header without checking data_end
 *               ("invalid access to packet", then "R1 offset is outside
 *               of the packet", the line tailgate quotes)
 *   bad_null    writes through a hash lookup's result without a NULL check
 *               ("invalid mem access 'map_value_or_null'"). A hash map on
 *               purpose: since 6.14 the verifier proves an array lookup
 *               with a constant in-range key non-NULL and would accept it.
 *
 * Each says, next to its code, what the tables expect (expect.h): the
 * verifier's reason and the instruction tailgate's message must name.
 * Never use them outside tests.
 */
#include "tailgate_stage.h"
#include "expect.h"

struct {
	__uint(type, BPF_MAP_TYPE_HASH);
	__uint(max_entries, 16);
	__type(key, __u32);
	__type(value, __u64);
} seen SEC(".maps");

static __always_inline enum tg_verdict unchecked_body(struct tg_pkt *pkt)
{
	struct ethhdr *eth = pkt->data;	/* no tg_pkt_ptr(): no bounds check */

	if (eth->h_proto == bpf_htons(TG_ETH_P_IPV6))
		return TG_DROP;
	return TG_CONTINUE;
}

static __always_inline enum tg_verdict nullderef_body(struct tg_pkt *pkt)
{
	__u32 key = pkt->len & 7;
	__u64 *v = bpf_map_lookup_elem(&seen, &key);

	__sync_fetch_and_add(v, 1);	/* no NULL check */
	return TG_CONTINUE;
}

/* What each must be refused with (expect.h); the tc twins expect the same. */
__tg_reject("standalone") __tg_msg("offset is outside of the packet") __tg_insn("71")
TG_STAGE(bad_bounds, unchecked_body)
__tg_reject("standalone") __tg_msg("invalid mem access 'map_value_or_null'") __tg_insn("db")
TG_STAGE(bad_null, nullderef_body)

char LICENSE[] SEC("license") = "Dual BSD/GPL";
