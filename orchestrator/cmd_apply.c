// SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause)
/* tailgate apply PLAN: run the rollout the plan describes. */
#include <getopt.h>
#include <stdio.h>

#include "cli.h"
#include "engine.h"
#include "tailgate.h"

int do_apply(int argc, char **argv)
{
	static const struct option opts[] = {
		{ "json", no_argument, NULL, 'j' },
		{ 0 },
	};
	struct plan *plan;
	int c, err;

	while ((c = getopt_long(argc, argv, "j", opts, NULL)) != -1) {
		if (c != 'j')
			return TG_ERR_USAGE;
		tg_opts.json = true;
	}
	if (optind != argc - 1) {
		fprintf(stderr, "usage: tailgate apply [--json] PLAN\n");
		return TG_ERR_USAGE;
	}
	plan = cli__load_plan(argv[optind]);
	if (!plan)
		return TG_ERR_USAGE;
	err = engine__apply(plan);
	plan__free(plan);
	return err;
}
