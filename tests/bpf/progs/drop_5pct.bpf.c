// SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause)
/*
 * drop_5pct: a subtly bad version that drops about 5% of packets at
 * random. Under an absolute max_drop_ratio of 0.10 it looks fine; only the
 * comparison with the baseline (max_drop_ratio_delta) catches it.
 */
#include "tailgate_stage.h"

static __always_inline enum tg_verdict drop_some(struct tg_pkt *pkt)
{
	return bpf_get_prandom_u32() % 20 == 0 ? TG_DROP : TG_CONTINUE;
}

TG_STAGE(drop_5pct, drop_some)

char LICENSE[] SEC("license") = "Dual BSD/GPL";
