// SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause)
/*
 * bench_dyn: bench_pass with the one thing changed that the stage header
 * exists to prevent: the tail-call key is read from a map at run time, so
 * the verifier cannot record a constant key and the JIT must emit the
 * indirect (bounds check, array load, retpolined jmp) tail call. The
 * benchmark times both to show the header's calls are the direct kind.
 *
 * The counters, the verdict logic and the fallback are tg__stage_run()'s;
 * only the key differs (tg_next_slot + bench_key_off[0], which is 0).
 */
#include "tailgate_stage.h"

struct {
	__uint(type, BPF_MAP_TYPE_ARRAY);
	__uint(max_entries, 1);
	__type(key, __u32);
	__type(value, __u32);
} bench_key_off SEC(".maps");

static __always_inline enum tg_verdict dyn_run(void *ctx, struct tg_pkt *pkt)
{
	struct tg_stats *s = tg__stats(tg_self_slot);
	enum tg_verdict v = TG_CONTINUE;
	__u32 zero = 0, *off;

	if (s) {
		s->packets++;
		s->bytes += pkt->len;
	}
	if (tg_next_slot == TG_SLOT_NONE)
		v = TG_PASS;
	tg__count_verdict(s, v);
	if (v != TG_CONTINUE)
		return v;
	off = bpf_map_lookup_elem(&bench_key_off, &zero);
	if (!off)
		return tg__tail_missed(s, tg_fail_closed);
	bpf_tail_call(ctx, &slots, tg_next_slot + *off);
	return tg__tail_missed(s, tg_fail_closed);
}

SEC("xdp")
int bench_dyn(struct xdp_md *ctx)
{
	struct tg_pkt pkt = {
		.data = (void *)(long)ctx->data,
		.data_end = (void *)(long)ctx->data_end,
	};

	pkt.len = pkt.data_end - pkt.data;
	return tg__xdp_code(dyn_run(ctx, &pkt));
}

SEC("tc")
int bench_dyn_tc(struct __sk_buff *skb)
{
	struct tg_pkt pkt = {
		.data = (void *)(long)skb->data,
		.data_end = (void *)(long)skb->data_end,
		.len = skb->len,
	};

	return tg__tc_code(dyn_run(skb, &pkt));
}

char LICENSE[] SEC("license") = "Dual BSD/GPL";
