// SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause)
/* tailgate apply PLAN: preflight, install, then flip per the plan's steps. */
#include <errno.h>
#include <stdio.h>

#include "cli.h"
#include "fleet.h"
#include "log.h"
#include "tailgate.h"

static int flip_range(struct fleet *f, int from, int to)
{
	int i, err;

	for (i = from; i < to; i++) {
		if (f->t[i].flipped)
			continue;
		err = fleet__flip(f, i);
		if (err)
			return err;
		printf("flipped %s/%s to generation %llu\n", f->t[i].ap.ifname,
		       plan__hook_name(f->plan->hook), (unsigned long long)f->gen_id);
	}
	return 0;
}

static int run_steps(struct fleet *f)
{
	const struct plan_step *s;
	int i, k, err = 0;

	for (i = 0; i < f->plan->nr_steps && !err; i++) {
		s = &f->plan->steps[i];
		switch (s->kind) {
		case PLAN_STEP_CANARY:
			err = flip_range(f, 0, f->nr_canary);
			break;
		case PLAN_STEP_PROMOTE:
			for (k = f->nr_canary; k < f->nr && !err; k += s->batch)
				err = flip_range(f, k, k + (int)s->batch < f->nr ? k + (int)s->batch : f->nr);
			break;
		default:
			break;
		}
	}
	return err;
}

int do_apply(int argc, char **argv)
{
	struct fleet f = {};
	struct plan *plan;
	int err;

	if (argc != 2) {
		fprintf(stderr, "usage: tailgate apply PLAN\n");
		return TG_ERR_USAGE;
	}
	plan = cli__load_plan(argv[1]);
	if (!plan)
		return TG_ERR_USAGE;
	err = cli__need_kernel("apply") ?: fleet__resolve(plan, &f) ?: fleet__preflight(&f);
	if (err) {
		pr_warn("preflight of %s failed: nothing changed\n", argv[1]);
		err = TG_ERR_PREFLIGHT;
		goto out;
	}
	err = fleet__install(&f);
	if (!err) {
		printf("generation %llu of %s loaded on %d interface%s\n",
		       (unsigned long long)f.gen_id, plan->name, f.nr, f.nr == 1 ? "" : "s");
		err = run_steps(&f);
	}
	if (err)
		pr_warn("apply of %s failed; the previous generation still serves where nothing was flipped; see 'tailgate status'\n",
			argv[1]);
out:
	fleet__free(&f);
	plan__free(plan);
	return err;
}
