// SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause)
/*
 * tailgate promote | abort: continue, or roll back, the paused rollout.
 * Its state is the journal on disk, so any shell, any time.
 */
#include <stdio.h>

#include "engine.h"
#include "tailgate.h"

int do_promote(int argc, char **argv)
{
	if (argc != 1) {
		fprintf(stderr, "usage: tailgate promote\n");
		return TG_ERR_USAGE;
	}
	return engine__promote();
}

int do_abort(int argc, char **argv)
{
	if (argc != 1) {
		fprintf(stderr, "usage: tailgate abort\n");
		return TG_ERR_USAGE;
	}
	return engine__abort();
}
