// SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause)
/*
 * bench_pass: the pass-through stage tools/bench_dispatch times, written
 * with the stage header. Its body does nothing and continues, so what a
 * generation of them costs is tailgate's own work per stage: the wrapper's
 * call, the verdict counted under the stage's slot, and the hand-over
 * (a direct tail call chained, a jump fused).
 */
#include "tailgate_stage.h"

static __always_inline enum tg_verdict pass_body(struct tg_pkt *pkt)
{
	return TG_CONTINUE;
}

TG_STAGE(bench_pass, pass_body)

char LICENSE[] SEC("license") = "Dual BSD/GPL";
