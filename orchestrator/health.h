/* SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause) */
/*
 * Gate math: is one interface's window of counters healthy, against the
 * plan's gates and a baseline window (the interfaces still on the old
 * generation)? Pure functions: no kernel, no clock.
 */
#ifndef __TG_HEALTH_H
#define __TG_HEALTH_H

#include <stdbool.h>
#include <stdint.h>

#include "plan.h"

/* Counters of one generation over one window (summed over its stages). */
struct health_sample {
	uint64_t packets;	/* entering the generation's head */
	uint64_t drop;		/* dropped by any stage */
	uint64_t aborted;
	uint64_t tail_miss;
};

enum health_verdict {
	HEALTH_OK = 0,
	HEALTH_INCONCLUSIVE,	/* too few packets: never healthy */
	HEALTH_FAIL,
};

struct health_result {
	enum health_verdict verdict;
	const char *gate;	/* the gate that decided, NULL when OK */
	double value;		/* its measured value */
	double threshold;
	double drop_ratio;
	double base_drop_ratio;	/* < 0: no usable baseline */
	char reason[256];	/* "drop ratio 0.052 > max_drop_ratio 0.01" */
};

/* drop / packets; 0 when there are no packets. */
double health__drop_ratio(const struct health_sample *s);

void health__add(struct health_sample *a, const struct health_sample *b);

/*
 * Judge @s against @g. @base may be NULL (no baseline); a baseline with
 * fewer than min_packets is not used for the delta gate.
 * Hard failures (aborted, tail misses) are reported even below
 * min_packets; ratios only above it.
 */
void health__judge(const struct plan_gates *g, const struct health_sample *s,
		   const struct health_sample *base, struct health_result *r);

/* The worse of two verdicts (FAIL > INCONCLUSIVE > OK). */
enum health_verdict health__worst(enum health_verdict a, enum health_verdict b);

const char *health__verdict_name(enum health_verdict v);

#endif /* __TG_HEALTH_H */
