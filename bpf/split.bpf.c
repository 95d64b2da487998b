// SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause)
/* Placeholder of the splitting dispatcher (replaced by the real one). */
#include "tailgate_maps.h"

const volatile __u32 tg_new_slot = TG_BANK_BASE(0);
const volatile __u32 tg_fail_closed = 0;

struct {
	__uint(type, BPF_MAP_TYPE_ARRAY);
	__uint(max_entries, 1);
	__type(key, __u32);
	__type(value, struct tg_split);
} split SEC(".maps");

static __always_inline int tg__split(void *ctx)
{
	__u32 k = 0;
	struct tg_split *s = bpf_map_lookup_elem(&split, &k);

	if (s && s->weight_bp >= TG_WEIGHT_FULL)
		tg_tail_call_rodata(ctx, &slots, tg_new_slot);
	bpf_tail_call_static(ctx, &slots, TG_SLOT_ENTRY);
	return tg_fail_closed ? TG_DROP : TG_PASS;
}

SEC("xdp")
int tg_split_xdp(struct xdp_md *ctx)
{
	return tg__xdp_code(tg__split(ctx));
}

SEC("tc")
int tg_split_tc(struct __sk_buff *skb)
{
	return tg__tc_code(tg__split(skb));
}

char LICENSE[] SEC("license") = "Dual BSD/GPL";
