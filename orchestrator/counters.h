/* SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause) */
/* Reading the per-CPU "stats" map: counters of one slot, summed over CPUs. */
#ifndef __TG_COUNTERS_H
#define __TG_COUNTERS_H

#include <linux/types.h>

#include "../bpf/include/tailgate_abi.h"

/* Sum of @slot's counters over all possible CPUs. @return 0 or -errno. */
int counters__read(int stats_fd, __u32 slot, struct tg_stats *sum);

/* @a += @b, field by field. */
void counters__add(struct tg_stats *a, const struct tg_stats *b);

/* @a - @b, field by field (a later sample minus an earlier one). */
void counters__sub(struct tg_stats *out, const struct tg_stats *a,
		   const struct tg_stats *b);

/* Counter names in struct order, for tables and JSON. */
#define COUNTERS_NR	(sizeof(struct tg_stats) / sizeof(__u64))
extern const char *const counters__names[COUNTERS_NR];

#endif /* __TG_COUNTERS_H */
