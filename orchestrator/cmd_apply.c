// SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause)
/*
 * tailgate apply PLAN, promote, abort: run a rollout, continue a paused
 * one, or roll it back. With --json, one document at the end holds the
 * result (outcome, generation, every interface's state, the breach) and
 * the events; --events streams the events as JSON lines as they happen.
 */
#include "cli.h"
#include "out.h"
#include "runner.h"
#include "tailgate.h"
#include "ui.h"

struct apply_cfg {
	bool force;
	bool events;
};

static const struct opt apply_opts[] = {
	OPTION_FLAG("force", 'f', struct apply_cfg, force,
		    "roll the plan out again, as a new generation, even where it is live"),
	OPTION_FLAG("events", 0, struct apply_cfg, events,
		    "stream progress as JSON lines on stdout instead of text"),
	OPTION_END,
};

static const struct opt resume_opts[] = {
	OPTION_FLAG("events", 0, struct apply_cfg, events,
		    "stream progress as JSON lines on stdout instead of text"),
	OPTION_END,
};

static void ui_mode(const struct apply_cfg *c)
{
	ui__init(c->events ? UI_EVENTS : tg_global.json ? UI_JSON : UI_TEXT, tg_global.quiet);
}

static int finish(struct run *r, int err)
{
	/* Rolled back or paused by a gate: the document's errors say why too. */
	if (out__is_json() && err == TG_ERR_ROLLED_BACK && r && r->ro && r->ro->reason[0])
		out__err("rollout of %s (generation %llu) %s: %s", r->ro->plan_name,
			 (unsigned long long)r->ro->id, r->res.outcome ? r->res.outcome : "rolled_back",
			 r->ro->reason);
	cli__run_json(out__json(), r);
	runner__free(r);
	return err;
}

static int run_apply(void *cfg, char **pos, int nr)
{
	struct apply_cfg *c = cfg;
	struct run *r = NULL;
	int err;

	ui_mode(c);
	err = runner__apply(pos[0], c->force, &r);
	return finish(r, err);
}

static int run_promote(void *cfg, char **pos, int nr)
{
	struct run *r = NULL;
	int err;

	ui_mode(cfg);
	err = runner__promote(&r);
	return finish(r, err);
}

static int run_abort(void *cfg, char **pos, int nr)
{
	struct run *r = NULL;
	int err;

	ui_mode(cfg);
	err = runner__abort(&r);
	return finish(r, err);
}

const struct tg_verb verb_apply = {
	.def = { .name = "apply", .args = "PLAN", .opts = apply_opts, .min_pos = 1, .max_pos = 1,
		 .summary = "run the rollout: canaries, analysis, promotion in waves, or rollback" },
	.cfg_size = sizeof(struct apply_cfg),
	.run = run_apply,
};

const struct tg_verb verb_promote = {
	.def = { .name = "promote", .args = "", .opts = resume_opts, .max_pos = 0,
		 .summary = "continue the paused rollout, as captured when it started" },
	.cfg_size = sizeof(struct apply_cfg),
	.run = run_promote,
};

const struct tg_verb verb_abort = {
	.def = { .name = "abort", .args = "", .opts = resume_opts, .max_pos = 0,
		 .summary = "roll the paused rollout back" },
	.cfg_size = sizeof(struct apply_cfg),
	.run = run_abort,
};
