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
	return XDP_PASS;
}

char LICENSE[] SEC("license") = "Dual BSD/GPL";
