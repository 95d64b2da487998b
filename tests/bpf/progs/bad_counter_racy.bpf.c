// SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause)
/*
 * bad_counter_racy: the classic counter, (*value)++ on one shared array
 * value: a load, an add and a store. Two CPUs that load the same old value
 * both store old + 1, and one packet goes uncounted. test_counter_smp.sh
 * runs it beside the real counter (an atomic add) only to show how many
 * counts it loses under traffic from both cores; it breaks the house rule
 * on purpose. Never use it outside tests.
 *
 * Its map has its own name so its total never mixes with packet_count.
 */
#include "tailgate_stage.h"

struct {
	__uint(type, BPF_MAP_TYPE_ARRAY);
	__uint(max_entries, 1);
	__type(key, __u32);
	__type(value, __u64);
} racy_count SEC(".maps");

static __always_inline enum tg_verdict racy_body(struct tg_pkt *pkt)
{
	__u32 key = 0;
	__u64 *value = bpf_map_lookup_elem(&racy_count, &key);

	if (value)
		(*value)++;	/* not atomic: the point of this object */
	return TG_CONTINUE;
}

TG_STAGE(counter_racy, racy_body)

char LICENSE[] SEC("license") = "Dual BSD/GPL";
