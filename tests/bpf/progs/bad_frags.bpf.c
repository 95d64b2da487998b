// SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause)
/*
 * bad_frags: a multi-buffer XDP program (SEC("xdp.frags")). The kernel
 * refuses to mix it with the dispatcher's single-buffer programs in one
 * prog array; preflight must say so before anything is loaded.
 */
#include "tailgate_stage.h"

SEC("xdp.frags")
int frags(struct xdp_md *ctx)
{
	return XDP_PASS;
}

char LICENSE[] SEC("license") = "Dual BSD/GPL";
