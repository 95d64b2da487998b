// SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause)
/*
 * counter: counts every packet into packet_count[0] and continues.
 *
 * The classic example does (*value)++ on a shared array value: two CPUs
 * read the same old value and one increment is lost. An atomic add keeps
 * the count exact and, unlike a per-CPU map, reads back as one number with
 * stock bpftool. Keep this map in plans (keep_maps) so the total survives
 * upgrades; its layout (ARRAY, u32 -> u64, 1 entry) is part of the contract.
 */
#include "tailgate_stage.h"

struct {
	__uint(type, BPF_MAP_TYPE_ARRAY);
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
