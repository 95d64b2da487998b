// SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause)
/*
 * bad_counter_hash: the counter stage with packet_count declared as a HASH
 * instead of the contract's ARRAY (u32 -> u64, 1 entry). Kept across an
 * upgrade, the pinned ARRAY cannot be reused by it: preflight must name
 * the map and both layouts before anything live changes.
 */
#include "tailgate_stage.h"

struct {
	__uint(type, BPF_MAP_TYPE_HASH);
	__uint(max_entries, 1);
	__type(key, __u32);
	__type(value, __u64);
} packet_count SEC(".maps");

static __always_inline enum tg_verdict count_body(struct tg_pkt *pkt)
{
	__u32 key = 0;
	__u64 *value = bpf_map_lookup_elem(&packet_count, &key);

	if (value)
		__sync_fetch_and_add(value, 1);
	return TG_CONTINUE;
}

TG_STAGE(counter, count_body)

char LICENSE[] SEC("license") = "Dual BSD/GPL";
