// SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause)
#include <math.h>
#include <stdio.h>
#include <string.h>

#include "health.h"

double health__drop_ratio(const struct health_sample *s)
{
	return s->packets ? (double)s->drop / (double)s->packets : 0.0;
}

void health__add(struct health_sample *a, const struct health_sample *b)
{
	int v;

	a->packets += b->packets;
	a->drop += b->drop;
	a->aborted += b->aborted;
	a->tail_miss += b->tail_miss;
	for (v = 0; v < TG_NR_VERDICTS; v++)
		a->out[v] += b->out[v];
}

void health__sub(struct health_sample *out, const struct health_sample *a,
		 const struct health_sample *b)
{
	int v;

	out->packets = a->packets - b->packets;
	out->drop = a->drop - b->drop;
	out->aborted = a->aborted - b->aborted;
	out->tail_miss = a->tail_miss - b->tail_miss;
	for (v = 0; v < TG_NR_VERDICTS; v++)
		out->out[v] = a->out[v] - b->out[v];
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

static uint64_t outs(const struct health_sample *s)
{
	uint64_t n = 0;
	int v;

	for (v = 0; v < TG_NR_VERDICTS; v++)
		n += s->out[v];
	return n;
}

/* The verdict whose share moved most against the baseline; false: no data. */
static bool verdict_shift(const struct health_sample *s, const struct health_sample *b,
			  uint64_t min, int *which, double *delta, double *mine, double *theirs)
{
	uint64_t ns = outs(s), nb = b ? outs(b) : 0;
	double d;
	int v;

	if (!ns || !nb || ns < min || nb < min)
		return false;
	*delta = -1;
	for (v = 0; v < TG_NR_VERDICTS; v++) {
		d = (double)s->out[v] / ns - (double)b->out[v] / nb;
		/* The largest shift; of equal ones, name the verdict that grew. */
		if (fabs(d) > *delta + 1e-12 || (fabs(d) > *delta - 1e-12 && d > 0)) {
			*delta = fabs(d);
			*which = v;
			*mine = (double)s->out[v] / ns;
			*theirs = (double)b->out[v] / nb;
		}
	}
	return true;
}

/* A collapse of this interface's packet rate; see health.h. */
static bool rate_gate(const struct plan_gates *g, const struct health_input *in,
		      struct health_result *r)
{
	double own, base;

	if (g->min_rate_ratio <= 0 || in->rate_before <= 0 || in->rate_now < 0 ||
	    in->expect_now < HEALTH_RATE_MIN_EXPECTED)
		return false;
	own = in->rate_now / in->rate_before;
	if (own >= g->min_rate_ratio)
		return false;
	base = in->base_rate_before > 0 && in->base_rate_now >= 0 ?
		       in->base_rate_now / in->base_rate_before : -1;
	if (base >= 0 && base < g->min_rate_ratio) {
		decide(r, HEALTH_INCONCLUSIVE, "min_rate_ratio", own, g->min_rate_ratio, "<");
		snprintf(r->reason, sizeof(r->reason),
			 "traffic fell everywhere: rate %.4g of before here, %.4g on the baseline",
			 own, base);
		return true;
	}
	decide(r, HEALTH_FAIL, "min_rate_ratio", own, g->min_rate_ratio, "<");
	snprintf(r->reason, sizeof(r->reason),
		 "min_rate_ratio %.4g < limit %.4g: %.1f packets/s now against %.1f before the flip",
		 own, g->min_rate_ratio, in->rate_now, in->rate_before);
	return true;
}

void health__judge_input(const struct plan_gates *g, const struct health_input *in,
			 struct health_result *r)
{
	const struct health_sample *s = in->win, *base = in->base;
	double delta = 0, mine = 0, theirs = 0;
	int which = 0;

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
	if (g->max_verdict_delta < 1 &&
	    verdict_shift(s, base, g->min_packets, &which, &delta, &mine, &theirs) &&
	    delta > g->max_verdict_delta + 1e-9) {
		decide(r, HEALTH_FAIL, "max_verdict_delta", delta, g->max_verdict_delta, ">");
		snprintf(r->reason, sizeof(r->reason),
			 "max_verdict_delta %.4g > limit %.4g: %s is %.4g of packets against %.4g on the baseline",
			 delta, g->max_verdict_delta, plan__verdict_name(which), mine, theirs);
		return;
	}
	/* Last: a verdict gate names the cause when there is one. */
	if (rate_gate(g, in, r))
		return;
	r->verdict = HEALTH_OK;
	snprintf(r->reason, sizeof(r->reason), "drop ratio %.6g%s", r->drop_ratio,
		 r->base_drop_ratio >= 0 ? " (baseline compared)" : " (no baseline)");
}

void health__judge(const struct plan_gates *g, const struct health_sample *s,
		   const struct health_sample *base, struct health_result *r)
{
	struct health_input in = { .win = s, .base = base, .rate_now = -1, .rate_before = -1,
				   .base_rate_now = -1, .base_rate_before = -1 };

	health__judge_input(g, &in, r);
}
