/* SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause) */
/*
 * What the kernel cannot tell us about an attach point: which plan and
 * generation each bank holds, under what stage names. Which bank is live
 * is never stored: slot 0 in the kernel says it (slots__live_bank()).
 *
 * One small text file per attach point under <state dir>/aps/, replaced
 * atomically, plus the global generation counter.
 */
#ifndef __TG_STATE_H
#define __TG_STATE_H

#include <stdbool.h>
#include <stdint.h>
#include <linux/types.h>

#include "plan.h"

struct state_bank {
	uint64_t gen;			/* 0: bank never loaded */
	bool rejected;			/* its rollout failed and was rolled back */
	char plan[PLAN_MAX_NAME];
	int nr_stages;
	char stage[TG_MAX_STAGES][PLAN_MAX_NAME];
	__u32 prog_id[TG_MAX_STAGES];
};

struct state_ap {
	__u32 ifindex;
	bool fail_closed;		/* the dispatcher's empty-slot verdict */
	struct state_bank bank[TG_NR_BANKS];
};

/* @return 0 (zeroed @st when there is no file) or negative errno. */
int state__load_ap(const char *ifname, enum plan_hook hook, struct state_ap *st);
int state__save_ap(const char *ifname, enum plan_hook hook, const struct state_ap *st);
int state__remove_ap(const char *ifname, enum plan_hook hook);

/* Allocate the next generation number (persisted). @return 0 or errno. */
int state__next_gen(uint64_t *gen);

/* <state dir>/<name> into @buf. @return 0 or -ENAMETOOLONG. */
int state__path(char *buf, size_t len, const char *name);

#endif /* __TG_STATE_H */
