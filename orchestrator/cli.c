// SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause)
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cli.h"
#include "history.h"
#include "journal.h"
#include "lock.h"
#include "log.h"
#include "prepare.h"
#include "sha256.h"
#include "tailgate.h"
#include "ui.h"

/* Here, not in main.c: the unit tests link every module but main.o. */
struct opts_global tg_global;

int cli__kernel(const char *verb, bool lock)
{
	int err = prepare__environment(verb, true, lock);

	if (err == -EPERM || err == -EXDEV || err == -ENOTSUP)
		return TG_ERR_PREFLIGHT;
	if (err)
		return err;
	return lock ? lock__acquire(verb) : 0;
}

struct each {
	const char *ifname;
	enum cli_each (*cb)(const char *, enum plan_hook, void *);
	void *ctx;
	int found, failed, refused;
};

static int each_cb(const char *ifname, enum plan_hook hook, void *ctx)
{
	struct each *e = ctx;

	if (e->ifname && strcmp(e->ifname, ifname))
		return 0;
	e->found++;
	switch (e->cb(ifname, hook, e->ctx)) {
	case CLI_FAILED:
		e->failed++;
		break;
	case CLI_REFUSED:
		e->refused++;
		break;
	default:
		break;
	}
	return 0;
}

int cli__foreach(const char *verb, char **names, int nr, bool all,
		 enum cli_each (*cb)(const char *ifname, enum plan_hook hook, void *ctx), void *ctx)
{
	struct each e = { .cb = cb, .ctx = ctx };
	int i, k, missing = 0, err = 0;

	if (all == (nr > 0)) {
		pr_warn("%s: name the interfaces, or give --all (not both)\n", verb);
		return TG_ERR_USAGE;
	}
	if (all)
		err = ap__foreach(each_cb, &e);
	for (i = 0; i < nr && !err; i++) {
		for (k = 0; k < i && strcmp(names[k], names[i]); k++)
			;
		if (k < i)
			continue;	/* named twice: once is what was meant */
		e.ifname = names[i];
		e.found = 0;
		err = ap__foreach(each_cb, &e);
		if (!e.found) {
			pr_warn("%s: no tailgate dispatcher on '%s' (see 'tailgate status')\n", verb,
				names[i]);
			missing++;
		}
	}
	if (err)
		return err;
	if (e.failed)
		return TG_ERR_INCONSISTENT;
	return missing || e.refused ? TG_ERR_USAGE : 0;
}

static void interfaces_json(jsonw_t *w, const struct run *r)
{
	const struct ro_target *rt;
	int i;

	jsonw_name(w, "interfaces");
	jsonw_start_array(w);
	for (i = 0; r->ro && i < r->ro->nr; i++) {
		rt = &r->ro->t[i];
		jsonw_start_object(w);
		jsonw_string_field(w, "ifname", rt->ifname);
		jsonw_string_field(w, "hook", plan__hook_name(r->ro->hook));
		jsonw_bool_field(w, "canary", rt->canary);
		jsonw_string_field(w, "state", journal__target_state_name(rt->state));
		/* What serves there now: the new generation once flipped. */
		jsonw_uint_field(w, "generation", rt->state == RT_LIVE || rt->state == RT_FLIPPED ?
							  r->ro->id : rt->prev_gen);
		/* What served there before this run: where a rollback goes. */
		jsonw_uint_field(w, "previous_generation", rt->prev_gen);
		jsonw_bool_field(w, "changed", rt->state != RT_DONE && rt->state != RT_PENDING &&
						       rt->state != RT_LOST);
		jsonw_end_object(w);
	}
	jsonw_end_array(w);
}

void cli__run_json(jsonw_t *w, const struct run *r)
{
	char hex[2 * SHA256_LEN + 1];
	uint8_t sha[SHA256_LEN];

	if (!w || !r)
		return;
	jsonw_string_field(w, "outcome", r->res.outcome ? r->res.outcome : "error");
	jsonw_bool_field(w, "changed", r->res.changed);
	if (r->plan)
		jsonw_string_field(w, "plan", r->plan->name);
	else
		jsonw_null_field(w, "plan");
	/* Captured once a generation is handed out; before, the file as read. */
	if (!r->rec.gen && r->plan_text)
		sha256__digest(r->plan_text, r->plan_len, sha);
	else
		memcpy(sha, r->rec.plan_sha, SHA256_LEN);
	sha256__hex(sha, hex);
	jsonw_string_field(w, "plan_sha256", r->rec.gen || r->plan_text ? hex : "");
	if (r->ro && r->ro->id)
		jsonw_uint_field(w, "generation", r->ro->id);
	else
		jsonw_null_field(w, "generation");
	jsonw_uint_field(w, "previous_generation", r->ro ? r->ro->prev_gen : 0);
	if (r->shape_why[0])
		jsonw_string_field(w, "datapath", r->rec.shape == GEN_FUSED ? "fused" : "chained");
	interfaces_json(w, r);
	if (r->ro && r->ro->breach.gate[0]) {
		jsonw_name(w, "breach");
		jsonw_start_object(w);
		jsonw_string_field(w, "gate", r->ro->breach.gate);
		jsonw_string_field(w, "ifname", r->ro->breach.ifname);
		jsonw_float_field(w, "value", r->ro->breach.value);
		jsonw_float_field(w, "threshold", r->ro->breach.threshold);
		jsonw_end_object(w);
	} else {
		jsonw_null_field(w, "breach");
	}
	jsonw_string_field(w, "message", r->res.message[0] ? r->res.message :
					  r->ro ? r->ro->reason : "");
	jsonw_name(w, "events");
	ui__write_events(w);
}

void cli__rollout_json(jsonw_t *w)
{
	struct rollout *ro = calloc(1, sizeof(*ro));
	int err;

	jsonw_name(w, "rollout");
	err = ro ? journal__load(ro) : -ENOMEM;
	if (err) {
		if (err == -ENOENT)
			jsonw_null(w);
		else
			jsonw_string(w, "unreadable: run tailgate recover");
		free(ro);
		return;
	}
	jsonw_start_object(w);
	jsonw_uint_field(w, "generation", ro->id);
	jsonw_string_field(w, "plan", ro->plan_name);
	jsonw_string_field(w, "hook", plan__hook_name(ro->hook));
	jsonw_string_field(w, "status", journal__status_name(ro->status));
	jsonw_int_field(w, "step", ro->step + 1);
	if (ro->weight_bp)
		jsonw_float_field(w, "weight", ro->weight_bp / 100.0);
	jsonw_string_field(w, "reason", ro->reason);
	history__json_interfaces(w, ro);
	jsonw_end_object(w);
	free(ro);
}
