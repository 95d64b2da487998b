// SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause)
/*
 * bad_counter_value: the counter stage with a 4-byte packet_count value
 * where the contract (and the pinned map) has 8 bytes. Same type, same
 * key, same entries: only the value size differs, and preflight must say
 * so before anything live changes.
 */
#include "tailgate_stage.h"

struct {
	__uint(type, BPF_MAP_TYPE_ARRAY);
	__uint(max_entries, 1);
	__type(key, __u32);
	__type(value, __u32);
} packet_count SEC(".maps");

static __always_inline enum tg_verdict count_body(struct tg_pkt *pkt)
{
	__u32 key = 0;
	__u32 *value = bpf_map_lookup_elem(&packet_count, &key);

	if (value)
		__sync_fetch_and_add(value, 1);
	return TG_CONTINUE;
}

TG_STAGE(counter, count_body)

char LICENSE[] SEC("license") = "Dual BSD/GPL";
