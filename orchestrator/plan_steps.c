// SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause)
/*
 * The plan's steps: what the rollout does, in order (flip the canaries,
 * judge, flip the rest in waves, wait for a person), and the checks that
 * keep a plan from asking for something that cannot work.
 */
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
	[PLAN_STEP_CANARY] = SCHEMA_MAP_EMPTY("canary step"),
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

int plan_steps__parse(struct schema *s, const struct field *f,
		      const struct ynode *v, void *obj)
{
	struct plan_ctx *c = plan_ctx(s);
	struct plan *p = c->plan;
	const struct ynode *n;
	int err;

	err = schema__want_seq(s, f, v);
	for (n = v->first; !err && n; n = n->next) {
		if (p->nr_steps >= PLAN_MAX_STEPS)
			return schema__fail(s, n, "steps: more than %d steps",
					    PLAN_MAX_STEPS);
		err = parse_step(c, n, &p->steps[p->nr_steps++]);
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
	const struct plan_step canary = { .kind = PLAN_STEP_CANARY };
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
