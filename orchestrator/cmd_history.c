// SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause)
/*
 * tailgate history: rollouts and events, newest first, whatever the size
 * of the files (history.c rotates them). --json: "entries", each the
 * object tailgate recorded.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "cli.h"
#include "history.h"
#include "jsonr.h"
#include "log.h"
#include "pins.h"
#include "out.h"
#include "files.h"
#include "tailgate.h"

struct history_cfg {
	uint64_t limit;
};

static void fmt_time(const char *t, char *buf, size_t len)
{
	time_t tt = strtoll(t, NULL, 10);
	struct tm tm;

	strftime(buf, len, "%Y-%m-%d %H:%M:%S", localtime_r(&tt, &tm));
}

static int print_cb(const char *line, void *ctx)
{
	char when[32], t[32], plan[PLAN_MAX_NAME], outcome[32], reason[600], hook[16], gen[24], prev[24];
	int *n = ctx;

	(*n)++;
	if (out__json())
		return jsonr__copy(line, out__json()), 0;
	jsonr__field(line, "type", t, sizeof(t));
	if (!strcmp(t, "event")) {
		jsonr__field(line, "time", t, sizeof(t));
		fmt_time(t, when, sizeof(when));
		jsonr__field(line, "what", outcome, sizeof(outcome));
		jsonr__field(line, "detail", reason, sizeof(reason));
		out__printf("%s  %-11s %s\n", when, outcome, reason);
		return 0;
	}
	jsonr__field(line, "ended", t, sizeof(t));
	fmt_time(t, when, sizeof(when));
	jsonr__field(line, "plan", plan, sizeof(plan));
	jsonr__field(line, "outcome", outcome, sizeof(outcome));
	jsonr__field(line, "reason", reason, sizeof(reason));
	jsonr__field(line, "hook", hook, sizeof(hook));
	jsonr__field(line, "generation", gen, sizeof(gen));
	jsonr__field(line, "previous_generation", prev, sizeof(prev));
	out__printf("%s  %-11s generation %s (previous %s) plan %s on %s%s%s\n", when, outcome, gen,
		    prev, plan, hook, reason[0] ? ": " : "", reason);
	return 0;
}

static int run_history(void *cfg, char **pos, int nr)
{
	struct history_cfg *c = cfg;
	int n = 0, err;

	err = files__check_state_dir(false);
	if (err && err != -ENOENT)
		return err;
	if (out__json()) {
		jsonw_name(out__json(), "entries");
		jsonw_start_array(out__json());
	}
	/* No state directory yet: no rollouts yet (an empty list in JSON). */
	if (!err)
		err = history__read(print_cb, &n, c->limit);
	else
		err = 0;
	if (out__json())
		jsonw_end_array(out__json());
	else if (!n && !err)
		out__info("no rollouts yet");
	if (err)
		pr_warn("history: cannot read %s/%s: %s; move it aside to start a new one\n",
			pins__state_dir(), HISTORY_FILE,
			err == -EINVAL ? "not a regular file" : strerror(-err));
	return err;
}

static void history_defaults(void *cfg)
{
	((struct history_cfg *)cfg)->limit = 100;
}

static const struct opt history_opts[] = {
	OPTION_U64("limit", 'n', struct history_cfg, limit, "N", "the newest N entries (0: all)", 0, 0),
	OPTION_END,
};

const struct tg_verb verb_history = {
	.def = { .name = "history", .args = "", .opts = history_opts, .max_pos = 0,
		 .summary = "generations and events, newest first" },
	.cfg_size = sizeof(struct history_cfg),
	.defaults = history_defaults,
	.run = run_history,
};
