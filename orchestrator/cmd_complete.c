// SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause)
/*
 * tailgate __complete [VERB [OPTION]]: the words bash completion offers,
 * from the verbs' own option tables, so completion cannot drift from
 * what tailgate accepts. Hidden from help.
 */
#include <stdio.h>
#include <string.h>

#include "tailgate.h"

static const struct tg_verb *const all[] = {
	&verb_plan, &verb_apply, &verb_status, &verb_stats, &verb_rollback, &verb_promote,
	&verb_abort, &verb_history, &verb_recover, &verb_restore, &verb_save, &verb_detach,
	&verb_sandbox,
};

static int run_complete(void *cfg, char **pos, int nr)
{
	const struct verb_def *defs[sizeof(all) / sizeof(all[0])];
	size_t i, n = sizeof(all) / sizeof(all[0]);

	for (i = 0; i < n; i++)
		defs[i] = &all[i]->def;
	if (nr == 2)
		return opts__enum_words(stdout, opts__find(defs, n, pos[0]), pos[1]) ? TG_ERR_USAGE : 0;
	return opts__words(stdout, defs, n, nr ? pos[0] : NULL) ? TG_ERR_USAGE : 0;
}

const struct tg_verb verb_complete = {
	.def = { .name = "__complete", .args = "[VERB [OPTION]]", .max_pos = 2,
		 .summary = "words for shell completion", .flags = OPTS_HIDDEN | OPTS_NO_PRIVS },
	.run = run_complete,
};
