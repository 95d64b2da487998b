/* SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause) */
/*
 * Pieces the verbs share: the kernel and the lock, the attach points an
 * operator names (IFACE... or --all, each named once, every failure
 * reported and the rest still done), a run's result as JSON.
 */
#ifndef __TG_CLI_H
#define __TG_CLI_H

#include <stdbool.h>

#include "ap.h"
#include "json_writer.h"
#include "plan.h"
#include "runner.h"

/* Privileges, bpffs, state directory; and the lock when @lock. */
int cli__kernel(const char *verb, bool lock);

/* Outcome of one attach point in a verb over many. */
enum cli_each {
	CLI_DONE = 0,
	CLI_SKIPPED,		/* nothing to do there */
	CLI_REFUSED,		/* not done, nothing wrong: message printed */
	CLI_FAILED,		/* an error: message printed */
};

/*
 * Call @cb for every attach point (all hooks) of the @nr interfaces in
 * @names, each once, or of every attach point when @all. Goes on past a
 * failing one. @return 0, TG_ERR_INCONSISTENT when some failed (partial),
 * TG_ERR_USAGE when some were refused (or no names, or an interface
 * without a dispatcher).
 */
int cli__foreach(const char *verb, char **names, int nr, bool all,
		 enum cli_each (*cb)(const char *ifname, enum plan_hook hook, void *ctx), void *ctx);

/* A finished run as the "rollout" result fields of the document. */
void cli__run_json(jsonw_t *w, const struct run *r);

/* The journal of a rollout in progress as a "rollout" object (or null). */
void cli__rollout_json(jsonw_t *w);

#endif /* __TG_CLI_H */
