/* SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause) */
/*
 * Process-wide pieces: the verbs, global options and the outcome codes
 * that main() maps to DESIGN.md's exit codes in one place.
 */
#ifndef __TG_TAILGATE_H
#define __TG_TAILGATE_H

#include <stdbool.h>

/*
 * Verbs return 0, a negative errno (exit 1: nothing changed), or one of
 * these negative outcomes, each mapped to its own exit code by main().
 */
#define TG_ERR_BASE		4096
#define TG_ERR_USAGE		(-(TG_ERR_BASE + 1))	/* exit 1 */
#define TG_ERR_PREFLIGHT	(-(TG_ERR_BASE + 2))	/* exit 2 */
#define TG_ERR_ROLLED_BACK	(-(TG_ERR_BASE + 3))	/* exit 3 */
#define TG_ERR_INCONSISTENT	(-(TG_ERR_BASE + 4))	/* exit 4 */

enum tg_exit {
	TG_EXIT_OK = 0,
	TG_EXIT_ERROR = 1,
	TG_EXIT_PREFLIGHT = 2,
	TG_EXIT_ROLLED_BACK = 3,
	TG_EXIT_INCONSISTENT = 4,
};

struct tg_options {
	int verbose;
	bool json;
	bool yes;
};

extern struct tg_options tg_opts;

/* One per verb, bpftool style: (argc, argv) after the verb itself. */
int do_plan(int argc, char **argv);
int do_apply(int argc, char **argv);
int do_status(int argc, char **argv);
int do_stats(int argc, char **argv);
int do_rollback(int argc, char **argv);
int do_promote(int argc, char **argv);
int do_abort(int argc, char **argv);
int do_history(int argc, char **argv);
int do_recover(int argc, char **argv);
int do_detach(int argc, char **argv);
int do_sandbox(int argc, char **argv);

#endif /* __TG_TAILGATE_H */
