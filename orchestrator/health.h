/* SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause) */
/*
 * Gate math: is one interface's window of counters healthy, against the
 * plan's gates and a baseline (the old generation: on the same interface
 * for a weighted canary's other flows, on the interfaces not flipped yet,
 * or on this interface just before its flip)? Pure functions: no kernel,
 * no clock.
 */
#ifndef __TG_HEALTH_H
#define __TG_HEALTH_H

#include <stdbool.h>
#include <stdint.h>

#include "plan.h"

/* Counters of one generation over one window (summed over its stages). */
struct health_sample {
	uint64_t packets;	/* entering the generation's head */
	uint64_t drop;		/* dropped by any stage (shadow stages: would have) */
	uint64_t aborted;
	uint64_t tail_miss;
	/* How packets left the generation, by verdict (sum: packets). */
	uint64_t out[TG_NR_VERDICTS];
};

enum health_verdict {
	HEALTH_OK = 0,
	HEALTH_INCONCLUSIVE,	/* too few packets, or traffic fell everywhere */
	HEALTH_FAIL,
};

/* Everything one judgement looks at; NULL or negative rates: not known. */
struct health_input {
	const struct health_sample *win;	/* the judged generation, whole window */
	const struct health_sample *base;	/* baseline over the same window */
	/* Packet rates (per second) for the collapse check. */
	double rate_now;		/* this interface, the latest interval */
	double rate_before;		/* this interface before its flip */
	double base_rate_now;		/* baseline interfaces, latest interval */
	double base_rate_before;	/* the same, before */
	double expect_now;		/* packets the latest interval would hold at rate_before */
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
void health__sub(struct health_sample *out, const struct health_sample *a,
		 const struct health_sample *b);

/*
 * Judge @in against @g, gates in this order: max_aborted, max_tail_misses
 * (even below min_packets), min_packets, max_drop_ratio,
 * max_drop_ratio_delta, max_verdict_delta (every final verdict's share
 * against the baseline's), and last min_rate_ratio (a collapse of the
 * latest interval's rate against the interface's own rate before its
 * flip; inconclusive when the baseline fell as much), so a verdict gate
 * names the cause when there is one.
 * A baseline below min_packets is not compared against.
 */
void health__judge_input(const struct plan_gates *g, const struct health_input *in,
			 struct health_result *r);

/* The same with a window and a baseline only. */
void health__judge(const struct plan_gates *g, const struct health_sample *s,
		   const struct health_sample *base, struct health_result *r);

/* The worse of two verdicts (FAIL > INCONCLUSIVE > OK). */
enum health_verdict health__worst(enum health_verdict a, enum health_verdict b);

const char *health__verdict_name(enum health_verdict v);

/* Below this many expected packets in an interval a rate says nothing. */
#define HEALTH_RATE_MIN_EXPECTED	20

#endif /* __TG_HEALTH_H */
