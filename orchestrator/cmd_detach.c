// SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause)
/*
 * tailgate detach IFACE... | --all: take the dispatcher off every hook of
 * the named interfaces and remove their pins and records. Works on stale
 * attach points too (interface gone or re-created); goes on past a
 * failing one (exit 4 when partial).
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cli.h"
#include "history.h"
#include "journal.h"
#include "log.h"
#include "out.h"
#include "store.h"
#include "tailgate.h"

struct detach_cfg {
	bool all;
};

static enum cli_each detach_cb(const char *ifname, enum plan_hook hook, void *ctx)
{
	jsonw_t *w = out__json();
	char msg[128];
	struct ap ap;
	int err;

	/* Even a half-open attach point knows its directory: clean it. */
	ap__open(&ap, ifname, hook);
	err = ap__detach(&ap);
	store__remove_ap(ifname, hook);
	snprintf(msg, sizeof(msg), "%s/%s: %s", ifname, plan__hook_name(hook),
		 err ? strerror(-err) : "detached");
	if (w) {
		jsonw_start_object(w);
		jsonw_string_field(w, "ifname", ifname);
		jsonw_string_field(w, "hook", plan__hook_name(hook));
		jsonw_string_field(w, "state", err ? "failed" : "detached");
		jsonw_string_field(w, "message", msg);
		jsonw_end_object(w);
	}
	if (err) {
		pr_warn("detach %s\n", msg);
		return CLI_FAILED;
	}
	out__info("%s", msg);
	history__event("detach", msg);
	return CLI_DONE;
}

/* A rollout in progress would lose its targets under it. */
static int check_no_rollout(void)
{
	struct rollout *ro = calloc(1, sizeof(*ro));
	int err, ret = 0;

	if (!ro)
		return -ENOMEM;
	err = journal__load(ro);
	if (!err && !journal__ended(ro)) {
		pr_warn("detach: the rollout of %s is %s; 'tailgate abort' (paused) or 'tailgate recover' (interrupted) first\n",
			ro->plan_name, journal__status_name(ro->status));
		ret = TG_ERR_USAGE;
	}
	free(ro);
	return ret;
}

static int run_detach(void *cfg, char **pos, int nr)
{
	struct detach_cfg *c = cfg;
	int err;

	err = cli__kernel("detach", true) ?: check_no_rollout();
	if (err)
		return err;
	if (out__json()) {
		jsonw_name(out__json(), "attach_points");
		jsonw_start_array(out__json());
	}
	return cli__foreach("detach", pos, nr, c->all, detach_cb, c);
}

static const struct opt detach_opts[] = {
	OPTION_FLAG("all", 'a', struct detach_cfg, all, "every attach point"),
	OPTION_END,
};

const struct tg_verb verb_detach = {
	.def = { .name = "detach", .args = "IFACE... | --all", .opts = detach_opts, .max_pos = -1,
		 .summary = "remove the dispatcher and its pins" },
	.cfg_size = sizeof(struct detach_cfg),
	.run = run_detach,
};
