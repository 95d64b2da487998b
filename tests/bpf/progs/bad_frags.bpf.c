// SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause)
/*
 * bad_frags: a multi-buffer XDP stage (SEC("xdp.frags")). The kernel will
 * not mix frags and non-frags programs in one prog array, and the
 * dispatcher is not frags-aware, so preflight must refuse it by name.
 */
#include "tailgate_stage.h"

SEC("xdp.frags")
int frags(struct xdp_md *ctx)
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
