/* SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause) */
/*
 * Process-wide pieces: the verbs, and the outcomes main() maps to
 * DESIGN.md's exit codes in one place.
 */
#ifndef __TG_TAILGATE_H
#define __TG_TAILGATE_H

#include <stdbool.h>
#include <stddef.h>

#include "opts.h"
#include "../bpf/include/tailgate_abi.h"

#define TG_VERSION		"0.2.0"

/*
 * Verbs return 0, a negative errno (exit 1: nothing changed), or one of
 * these negative outcomes, each mapped to its own exit code by main().
 */
#define TG_ERR_BASE		4096
#define TG_ERR_USAGE		(-(TG_ERR_BASE + 1))	/* exit 1 */
#define TG_ERR_PREFLIGHT	(-(TG_ERR_BASE + 2))	/* exit 2 */
#define TG_ERR_ROLLED_BACK	(-(TG_ERR_BASE + 3))	/* exit 3 */
#define TG_ERR_INCONSISTENT	(-(TG_ERR_BASE + 4))	/* exit 4 */
#define TG_ERR_BUSY		(-(TG_ERR_BASE + 5))	/* exit 5 */

enum tg_exit {
	TG_EXIT_OK = 0,
	TG_EXIT_ERROR = 1,
	TG_EXIT_PREFLIGHT = 2,
	TG_EXIT_ROLLED_BACK = 3,
	TG_EXIT_INCONSISTENT = 4,
	TG_EXIT_BUSY = 5,
};

/* One verb: its option table, its config, what runs it. */
struct tg_verb {
	struct verb_def def;
	size_t cfg_size;			/* the config opts__parse() fills */
	void (*defaults)(void *cfg);		/* NULL: all zero */
	int (*run)(void *cfg, char **pos, int nr_pos);
};

/* The global options of this run (-v, -j, -q). */
extern struct opts_global tg_global;

extern const struct tg_verb verb_plan, verb_apply, verb_status, verb_stats, verb_rollback,
	verb_promote, verb_abort, verb_history, verb_recover, verb_restore, verb_save,
	verb_detach, verb_sandbox, verb_complete;

/* The exit code of a verb's return value. */
int tg__exit_code(int err);

#endif /* __TG_TAILGATE_H */
