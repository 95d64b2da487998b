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
	return TC_ACT_OK;
}

char LICENSE[] SEC("license") = "Dual BSD/GPL";
