/* SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause) */
/*
 * Inside the plan module: plan.c (the plan as a whole, interfaces, gates,
 * the file), plan_pipeline.c (stages) and plan_steps.c (steps) share one
 * parse's context. Nothing outside the three includes this.
 */
#ifndef __TG_PLAN_INTERNAL_H
#define __TG_PLAN_INTERNAL_H

#include "plan.h"
#include "schema.h"

struct plan_ctx {
	struct schema s;	/* s.user points back here */
	struct plan *plan;
	const struct ynode *steps;	/* NULL: the plan has no steps */
};

static inline struct plan_ctx *plan_ctx(struct schema *s)
{
	return s->user;
}

/* "pass", "drop", "aborted", "tx", "redirect" by enum tg_verdict, NULL */
extern const char *const plan_verdict_names[];

/* The field callbacks of "pipeline" and "steps" (obj is the plan). */
int plan_pipeline__parse(struct schema *s, const struct field *f,
			 const struct ynode *v, void *obj);
int plan_steps__parse(struct schema *s, const struct field *f,
		      const struct ynode *v, void *obj);

/*
 * Once the whole plan is read: steps that cannot work with its
 * interfaces. @return 0 or -EINVAL with the error at the step.
 */
int plan_steps__check(struct plan_ctx *c);

/* The steps of a plan that has none (they depend on its interfaces). */
void plan_steps__defaults(struct plan *plan);

#endif /* __TG_PLAN_INTERNAL_H */
