// SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause)
/*
 * bad_tc_only: a stage with a tc program and no XDP variant (TG_STAGE
 * would emit both). A plan that puts it on hook xdp must fail preflight
 * saying the hook runs XDP programs.
 */
#include "tailgate_stage.h"

SEC("tc")
int tconly(struct __sk_buff *skb)
{
	struct tg_pkt pkt = {
		.data = (void *)(long)skb->data,
		.data_end = (void *)(long)skb->data_end,
		.len = skb->len,
		.ctx = skb,
	};

	return tg__tc_code(tg__stage_run(skb, &pkt, TG_CONTINUE));
}

char LICENSE[] SEC("license") = "Dual BSD/GPL";
