/* SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause) */
/*
 * Verdict classes (enum tg_verdict) to XDP and tc return codes, for the
 * dispatchers and for stages written with the stage header. BPF side
 * only; builds with vmlinux.h or with the uapi headers alone.
 */
#ifndef __TAILGATE_CODES_H
#define __TAILGATE_CODES_H

#include "tailgate_abi.h"

/* Return codes vmlinux.h does not carry (they are uapi macros). */
#ifndef TC_ACT_OK
#define TC_ACT_OK		0
#define TC_ACT_SHOT		2
#define TC_ACT_REDIRECT		7
#endif

static __always_inline int tg__xdp_code(enum tg_verdict v)
{
	switch (v) {
	case TG_DROP:
		return XDP_DROP;
	case TG_ABORTED:
		return XDP_ABORTED;
	case TG_TX:
		return XDP_TX;
	case TG_REDIRECT:
		return XDP_REDIRECT;
	default:
		return XDP_PASS;	/* TG_PASS, TG_CONTINUE */
	}
}

static __always_inline int tg__tc_code(enum tg_verdict v)
{
	switch (v) {
	case TG_DROP:
	case TG_ABORTED:
		return TC_ACT_SHOT;
	case TG_TX:
	case TG_REDIRECT:
		return TC_ACT_REDIRECT;
	default:
		return TC_ACT_OK;
	}
}

#endif /* __TAILGATE_CODES_H */
