// SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause)
/*
 * drop_all: a deliberately broken stage that drops every packet. It loads
 * and verifies fine; only the health gates can catch it, which is what the
 * demo and the tests use it for. Never put it on a real interface.
 */
#include "tailgate_stage.h"

static __always_inline enum tg_verdict drop_body(struct tg_pkt *pkt)
{
	return TG_DROP;
}

TG_STAGE(drop_all, drop_body)

char LICENSE[] SEC("license") = "Dual BSD/GPL";
