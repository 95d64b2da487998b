// SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause)
#include <stdio.h>
#include <string.h>

#include "health.h"

double health__drop_ratio(const struct health_sample *s)
{
	return s->packets ? (double)s->drop / (double)s->packets : 0.0;
}

void health__add(struct health_sample *a, const struct health_sample *b)
{
	a->packets += b->packets;
	a->drop += b->drop;
	a->aborted += b->aborted;
	a->tail_miss += b->tail_miss;
}

enum health_verdict health__worst(enum health_verdict a, enum health_verdict b)
{
	return a > b ? a : b;
}

const char *health__verdict_name(enum health_verdict v)
{
	switch (v) {
	case HEALTH_OK:
		return "healthy";
	case HEALTH_INCONCLUSIVE:
		return "inconclusive";
	default:
		return "unhealthy";
	}
}

static void decide(struct health_result *r, enum health_verdict v, const char *gate,
		   double value, double threshold, const char *op)
{
	r->verdict = v;
	r->gate = gate;
	r->value = value;
	r->threshold = threshold;
	snprintf(r->reason, sizeof(r->reason), "%s %.6g %s %s %.6g", gate, value, op,
		 v == HEALTH_INCONCLUSIVE ? "needed" : "limit", threshold);
}

void health__judge(const struct plan_gates *g, const struct health_sample *s,
		   const struct health_sample *base, struct health_result *r)
{
	memset(r, 0, sizeof(*r));
	r->drop_ratio = health__drop_ratio(s);
	r->base_drop_ratio = base && base->packets >= g->min_packets && base->packets ?
				     health__drop_ratio(base) : -1.0;
	if (s->aborted > g->max_aborted)
		return decide(r, HEALTH_FAIL, "max_aborted", s->aborted, g->max_aborted, ">");
	if (s->tail_miss > g->max_tail_misses)
		return decide(r, HEALTH_FAIL, "max_tail_misses", s->tail_miss,
			      g->max_tail_misses, ">");
	if (s->packets < g->min_packets || !s->packets)
		return decide(r, HEALTH_INCONCLUSIVE, "min_packets", s->packets,
			      g->min_packets, "<");
	if (r->drop_ratio > g->max_drop_ratio)
		return decide(r, HEALTH_FAIL, "max_drop_ratio", r->drop_ratio,
			      g->max_drop_ratio, ">");
	/* The subtraction rounds (0.014 - 0.009 > 0.005): at the limit passes. */
	if (r->base_drop_ratio >= 0 &&
	    r->drop_ratio - r->base_drop_ratio > g->max_drop_ratio_delta + 1e-9)
		return decide(r, HEALTH_FAIL, "max_drop_ratio_delta",
			      r->drop_ratio - r->base_drop_ratio, g->max_drop_ratio_delta, ">");
	r->verdict = HEALTH_OK;
	snprintf(r->reason, sizeof(r->reason), "drop ratio %.6g%s", r->drop_ratio,
		 r->base_drop_ratio >= 0 ? " (baseline compared)" : " (no baseline)");
}
