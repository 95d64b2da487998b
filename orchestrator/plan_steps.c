// SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause)
/*
 * The plan's steps: what the rollout does, in order (flip the canaries,
 * judge, flip the rest in waves, wait for a person), and the checks that
 * keep a plan from asking for something that cannot work.
 */
#include <ctype.h>
#include <errno.h>
#include <inttypes.h>
#include <string.h>

#include "plan_internal.h"

#define DEFAULT_INTERVAL_MS	1000
#define DEFAULT_ANALYZE_MS	10000

static int parse_batch(struct schema *s, const struct field *f,
		       const struct ynode *v, void *obj)
{
	struct plan_step *st = obj;
	uint64_t batch;
	int err;

	err = schema__get_u64(s, f, v, &batch);
	if (err)
		return err;
	if (batch < 1 || batch > PLAN_MAX_IFACES)
		return schema__fail(s, v, "batch: %" PRIu64 " is out of range 1..%d",
				    batch, PLAN_MAX_IFACES);
	st->batch = batch;
	return 0;
}

static int weight_error(struct schema *s, const struct ynode *v)
{
	return schema__fail(s, v, "weight: '%s' is not a percentage (such as 5%%, 0.5%% or 12.25%%)",
			    YSHOW(v->str));
}

/*
 * "12.25%" into units of 0.01 %: digits, at most two decimals and the
 * '%', which is required (a bare 5 could mean 5 % or 0.05). 0 % would
 * test nothing, 100 % is canary: {}.
 */
static int parse_weight(struct schema *s, const struct field *f,
			const struct ynode *v, void *obj)
{
	struct plan_step *st = obj;
	unsigned int whole = 0, frac = 0, decimals = 0;
	const char *p;

	if (v->type != YNODE_SCALAR || ynode__is_null(v))
		return schema__fail(s, v, "weight: expected a percentage such as 5%%, got %s",
				    ynode__type_name(v));
	p = v->str;
	if (!isdigit((unsigned char)*p))
		return weight_error(s, v);
	/* Past 100 the value is out of range anyway: stop before overflow. */
	for (; isdigit((unsigned char)*p); p++)
		whole = whole > 100 ? whole : whole * 10 + (*p - '0');
	if (*p == '.') {
		if (!isdigit((unsigned char)*++p))
			return weight_error(s, v);
		for (; isdigit((unsigned char)*p); p++, decimals++)
			if (decimals < 2)
				frac += (*p - '0') * (decimals ? 1 : 10);
	}
	if (!*p)
		return schema__fail(s, v, "weight: '%s' needs a '%%': write %s%%",
				    YSHOW(v->str), YSHOW(v->str));
	if (strcmp(p, "%"))
		return weight_error(s, v);
	if (decimals > 2)
		return schema__fail(s, v, "weight: '%s' has more than two decimals (the finest weight is 0.01%%)",
				    YSHOW(v->str));
	if (!whole && !frac)
		return schema__fail(s, v, "weight: %s sends no flows to the new generation; the weight is more than 0%% and less than 100%%",
				    YSHOW(v->str));
	if (whole * 100 + frac >= TG_WEIGHT_FULL)
		return schema__fail(s, v, "weight: %s is not less than 100%%; for all flows write canary: {}",
				    YSHOW(v->str));
	st->weight_bp = whole * 100 + frac;
	return 0;
}

static const struct field canary_fields[] = {
	{ .key = "weight", .parse = parse_weight },
};

static const struct field analyze_fields[] = {
	{ .key = "duration", .parse = schema__duration, .required = true,
	  FIELD_AT(struct plan_step, duration_ms) },
	{ .key = "interval", .parse = schema__duration,
	  FIELD_AT(struct plan_step, interval_ms) },
};

static const struct field promote_fields[] = {
	{ .key = "batch", .parse = parse_batch },
	{ .key = "analyze", .parse = schema__duration,
	  FIELD_AT(struct plan_step, analyze_ms) },
};

static const struct schema_map step_maps[] = {
	[PLAN_STEP_CANARY] = SCHEMA_MAP("canary step", canary_fields),
	[PLAN_STEP_ANALYZE] = SCHEMA_MAP("analyze step", analyze_fields),
	[PLAN_STEP_PROMOTE] = SCHEMA_MAP("promote step", promote_fields),
	[PLAN_STEP_PAUSE] = SCHEMA_MAP_EMPTY("pause step"),
};

/* The default interval never exceeds a short duration. */
static int check_interval(struct schema *s, const struct ynode *v,
			  struct plan_step *st)
{
	const struct ynode *interval = ynode__get(v, "interval");

	if (!interval) {
		st->interval_ms = st->duration_ms < DEFAULT_INTERVAL_MS ?
				  st->duration_ms : DEFAULT_INTERVAL_MS;
		return 0;
	}
	if (st->interval_ms > st->duration_ms)
		return schema__fail(s, interval, "interval: %s is longer than the duration %s",
				    YSHOW(interval->str),
				    YSHOW(ynode__get(v, "duration")->str));
	return 0;
}

/* The options of one step; defaults first, then what the plan says. */
static int parse_step_opts(struct plan_ctx *c, const struct ynode *v,
			   struct plan_step *st)
{
	int err;

	st->batch = 1;
	if (st->kind == PLAN_STEP_CANARY)
		st->weight_bp = TG_WEIGHT_FULL;
	err = schema__parse_map(&c->s, v, &step_maps[st->kind], st);
	if (err)
		return err;
	if (st->kind == PLAN_STEP_ANALYZE)
		return check_interval(&c->s, v, st);
	return 0;
}

static int parse_step(struct plan_ctx *c, const struct ynode *v,
		      struct plan_step *st)
{
	const struct ynode *k = v->first, *more;
	unsigned int i;

	if (v->type != YNODE_MAP)
		return schema__fail(&c->s, v, "steps: expected a mapping such as 'canary: {}', got %s",
				    ynode__type_name(v));
	if (!k)
		return schema__fail(&c->s, v, "steps: empty step (expected canary, analyze, promote or pause)");
	more = k->next->next;
	if (more)
		return schema__fail(&c->s, more, "steps: one kind per step; put '%s' in a list item of its own",
				    YSHOW(more->type == YNODE_SCALAR ? more->str : "?"));
	st->line = v->line;
	for (i = 0; k->type == YNODE_SCALAR && i < ARRAY_SIZE(step_maps); i++) {
		if (!strcmp(k->str, plan__step_name(i))) {
			st->kind = i;
			return parse_step_opts(c, k->next, st);
		}
	}
	return schema__fail(&c->s, k, "unknown step '%s' (expected canary, analyze, promote or pause)",
			    k->type == YNODE_SCALAR ? YSHOW(k->str) :
			    ynode__type_name(k));
}

/* The steps so far, as far as the next weighted canary cares. */
struct weights {
	const struct ynode *last;	/* the last weight, "5%" */
	uint32_t last_bp;
	const struct plan_step *all;	/* first full canary or promote */
};

/*
 * Weights only rise: a flow the new generation took stays with it. Once a
 * step gave the new generation every flow (canary: {}) or the fleet
 * (promote), a weighted canary would take flows back.
 */
static int check_weight(struct schema *s, const struct ynode *v,
			const struct plan_step *st, struct weights *w)
{
	const struct ynode *weight;

	if (st->kind == PLAN_STEP_PROMOTE ||
	    (st->kind == PLAN_STEP_CANARY && st->weight_bp == TG_WEIGHT_FULL)) {
		w->all = w->all ?: st;
		return 0;
	}
	if (st->kind != PLAN_STEP_CANARY)
		return 0;
	weight = ynode__get(v->first->next, "weight");
	if (w->all)
		return schema__fail(s, weight, "weight %s after %s (line %d): a weighted canary comes before full canaries and promote steps",
				    YSHOW(weight->str),
				    w->all->kind == PLAN_STEP_PROMOTE ?
				    "a promote step" : "a full canary",
				    w->all->line);
	if (w->last && st->weight_bp <= w->last_bp)
		return schema__fail(s, weight, "%s weight %s after %s (line %d): weighted canary steps must rise",
				    st->weight_bp < w->last_bp ? "falling" : "repeated",
				    YSHOW(weight->str), YSHOW(w->last->str),
				    w->last->line);
	w->last = weight;
	w->last_bp = st->weight_bp;
	return 0;
}

int plan_steps__parse(struct schema *s, const struct field *f,
		      const struct ynode *v, void *obj)
{
	struct plan_ctx *c = plan_ctx(s);
	struct plan *p = c->plan;
	struct weights w = {};
	struct plan_step *st;
	const struct ynode *n;
	int err;

	err = schema__want_seq(s, f, v);
	for (n = v->first; !err && n; n = n->next) {
		if (p->nr_steps >= PLAN_MAX_STEPS)
			return schema__fail(s, n, "steps: more than %d steps",
					    PLAN_MAX_STEPS);
		st = &p->steps[p->nr_steps++];
		err = parse_step(c, n, st) ?: check_weight(s, n, st, &w);
	}
	if (!err && !p->nr_steps)
		return schema__fail(s, v, "steps: empty; leave steps out for the default");
	c->steps = v;
	return err;
}

/*
 * Steps that cannot work with these interfaces. An analyze step before any
 * flip would judge nothing and always end inconclusive, i.e. fail.
 */
int plan_steps__check(struct plan_ctx *c)
{
	const struct plan *p = c->plan;
	const struct ynode *n = c->steps->first;
	bool flipped = false;
	int i;

	for (i = 0; i < p->nr_steps; i++, n = n->next) {
		switch (p->steps[i].kind) {
		case PLAN_STEP_CANARY:
			if (!p->nr_canary)
				return schema__fail(&c->s, n, "canary step, but interfaces has no canary");
			flipped = true;
			break;
		case PLAN_STEP_PROMOTE:
			flipped = true;
			break;
		case PLAN_STEP_ANALYZE:
			if (!flipped)
				return schema__fail(&c->s, n, "analyze step before any canary or promote step: nothing to judge");
			break;
		case PLAN_STEP_PAUSE:
			break;
		}
	}
	return 0;
}

/*
 * Without steps: flip the canaries, judge them 10s (so the gates always
 * have a say), then the rest in one wave. Without canaries: flip the whole
 * fleet in one wave and judge it 10s, so a bad version still rolls back.
 */
void plan_steps__defaults(struct plan *p)
{
	const struct plan_step canary = {
		.kind = PLAN_STEP_CANARY,
		.weight_bp = TG_WEIGHT_FULL,
	};
	const struct plan_step analyze = {
		.kind = PLAN_STEP_ANALYZE,
		.duration_ms = DEFAULT_ANALYZE_MS,
		.interval_ms = DEFAULT_INTERVAL_MS,
	};
	struct plan_step promote = {
		.kind = PLAN_STEP_PROMOTE,
		.batch = PLAN_MAX_IFACES,
	};

	p->nr_steps = 0;
	if (p->nr_canary) {
		p->steps[p->nr_steps++] = canary;
		p->steps[p->nr_steps++] = analyze;
	} else {
		promote.analyze_ms = DEFAULT_ANALYZE_MS;
	}
	p->steps[p->nr_steps++] = promote;
}
