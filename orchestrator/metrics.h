/* SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause) */
/*
 * The counters of every attach point, read once (and once more for
 * rates), for `stats`: as text, JSON, or the Prometheus text exposition
 * format (node_exporter's textfile collector reads the file `stats
 * --prometheus --output` replaces atomically).
 */
#ifndef __TG_METRICS_H
#define __TG_METRICS_H

#include <stdbool.h>
#include <stdint.h>
#include <net/if.h>

#include "ap.h"
#include "plan.h"

#define STATS_MAX_APS	(3 * PLAN_MAX_IFACES)
#define STATS_MAX_ROWS	(TG_NR_SLOTS)

struct stats_row {
	__u32 slot;
	char stage[PLAN_MAX_NAME];
	bool shadow;			/* mode: shadow (counted, never acts) */
	const char *role;		/* dispatcher, live, previous, rejected */
	uint64_t gen;
	struct tg_stats now;
	struct tg_stats before;
	double pps;
};

struct stats_ap {
	char ifname[IF_NAMESIZE];
	enum plan_hook hook;
	int err;
	struct ap ap;			/* open for the second reading */
	const char *health;
	uint64_t live_gen;
	__u32 weight_bp;		/* while splitting */
	int nr;
	struct stats_row row[STATS_MAX_ROWS];
};

struct stats_set {
	int nr;
	struct stats_ap ap[STATS_MAX_APS];
};

/* Read one attach point's counters (rows for slot 0 and occupied slots). */
void metrics__read_ap(struct stats_ap *a, const char *ifname, enum plan_hook hook);

/* Read again after @ms and fill each row's packets per second. */
void metrics__rates(struct stats_set *set, uint64_t ms);

/* Prometheus text format to @path (atomically, 0644) or stdout. */
int metrics__write(const struct stats_set *set, const char *path);

void metrics__free(struct stats_set *set);

#endif /* __TG_METRICS_H */
