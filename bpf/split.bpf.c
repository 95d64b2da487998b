// SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause)
/*
 * The splitting dispatcher of a weighted canary: swapped in for the plain
 * dispatcher (bpf_link_update, same pinned "slots" and "stats") only while
 * a weighted step runs. It sends weight_bp / 10000 of the flows to the new
 * generation's head and the rest to slot 0, where the old generation's
 * head still sits:
 *
 *   bucket = tg_flow_bucket(tg_flow_hash(flow, split.seed))
 *   bucket < split.weight_bp  ->  slot tg_new_slot
 *   otherwise, no flow (not IP, cut short), or that slot empty -> slot 0
 *
 * The hash covers addresses, protocol and ports (tailgate_flow.h), so every
 * packet of a flow meets one generation, and raising the weight only moves
 * flows from old to new. Like the plain dispatcher it counts nothing on
 * the way through: the head stage that gets the packet counts it. Slot 0
 * of "stats" holds what it decided itself, exactly as the plain one does.
 */
#include "tailgate_maps.h"
#include "tailgate_flow_bpf.h"

/*
 * Set before load, once per (attach point, rollout): the verifier sees
 * both tail-call keys as constants, so the JIT patches direct jumps.
 * tg_new_slot is the head slot of the new generation's bank
 * (TG_BANK_BASE(bank): 1 or 17); left at TG_SLOT_NONE it names no slot
 * and every packet goes to slot 0. tg_fail_closed is the verdict when
 * slot 0 is empty (plan: on_tail_miss), as in the plain dispatcher.
 */
const volatile __u32 tg_new_slot = TG_SLOT_NONE;
const volatile __u32 tg_fail_closed = 0;

/* Changes at run time (each weighted step): a map, not rodata. */
struct {
	__uint(type, BPF_MAP_TYPE_ARRAY);
	__uint(max_entries, 1);
	__type(key, __u32);
	__type(value, struct tg_split);
} split SEC(".maps");

static __always_inline bool tg__to_new(void *data, void *data_end)
{
	struct tg_split *sp = bpf_map_lookup_elem(&split, &(__u32){ 0 });
	__u32 hash;

	/* weight 0 (all old) costs no parsing */
	if (!sp || !sp->weight_bp)
		return false;
	return tg_flow_hash_pkt(data, data_end, sp->seed, &hash) &&
	       tg_flow_bucket(hash) < sp->weight_bp;
}

/*
 * The old generation (slot 0), unless the flow goes to the new one. Returns
 * only when the slot it went for last was empty.
 */
static __always_inline void tg__split(void *ctx, void *data, void *data_end)
{
	if (tg__to_new(data, data_end))
		tg_tail_call_rodata(ctx, &slots, tg_new_slot);
	/* the old generation, or the new one's head slot was empty */
	bpf_tail_call_static(ctx, &slots, TG_SLOT_ENTRY);
}

/*
 * The miss path reads the frame's length again rather than keeping it
 * from the start: a value live across the tail calls makes clang spill
 * around them on the hot path.
 */
SEC("xdp")
int tg_split_xdp(struct xdp_md *ctx)
{
	tg__split(ctx, (void *)(long)ctx->data, (void *)(long)ctx->data_end);
	return tg__xdp_code(tg__entry_missed(ctx->data_end - ctx->data,
					     tg_fail_closed));
}

SEC("tc")
int tg_split_tc(struct __sk_buff *skb)
{
	tg__split(skb, (void *)(long)skb->data, (void *)(long)skb->data_end);
	return tg__tc_code(tg__entry_missed(skb->len, tg_fail_closed));
}

char LICENSE[] SEC("license") = "Dual BSD/GPL";
