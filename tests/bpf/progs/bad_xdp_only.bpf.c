// SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause)
/*
 * bad_xdp_only: a stage with an XDP program and no tc variant. A plan
 * that puts it on a tc hook must fail preflight saying the hook runs
 * sched_cls (tc) programs.
 */
#include "tailgate_stage.h"

SEC("xdp")
int xdponly(struct xdp_md *ctx)
{
	struct tg_pkt pkt = {
		.data = (void *)(long)ctx->data,
		.data_end = (void *)(long)ctx->data_end,
		.is_xdp = 1,
	};

	pkt.len = pkt.data_end - pkt.data;
	return tg__xdp_code(tg__stage_run(ctx, &pkt, TG_CONTINUE));
}

char LICENSE[] SEC("license") = "Dual BSD/GPL";
