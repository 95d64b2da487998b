// SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause)
/* tailgate apply PLAN: run the rollout the plan describes. */
#include <stdio.h>
#include <string.h>

#include "cli.h"
#include "engine.h"
#include "tailgate.h"

int do_apply(int argc, char **argv)
{
	struct plan *plan;
	int err;

	if (argc == 3 && !strcmp(argv[2], "--json")) {
		tg_opts.json = true;
		argc--;
	}
	if (argc != 2) {
		fprintf(stderr, "usage: tailgate apply PLAN [--json]\n");
		return TG_ERR_USAGE;
	}
	plan = cli__load_plan(argv[1]);
	if (!plan)
		return TG_ERR_USAGE;
	err = engine__apply(plan);
	plan__free(plan);
	return err;
}
