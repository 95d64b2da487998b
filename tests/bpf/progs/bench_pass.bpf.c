// SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause)
/*
 * bench_pass: the pass-through stage tools/bench_dispatch times. Its body
 * does nothing and continues, so what a chain of them costs is exactly
 * tailgate's own work per stage: the per-CPU stats bump of tg__stage_run()
 * and one direct tail call.
 */
#include "tailgate_stage.h"

static __always_inline enum tg_verdict pass_body(struct tg_pkt *pkt)
{
	return TG_CONTINUE;
}

TG_STAGE(bench_pass, pass_body)

char LICENSE[] SEC("license") = "Dual BSD/GPL";
