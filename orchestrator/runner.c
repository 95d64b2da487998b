// SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause)
#include <errno.h>
#include <inttypes.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "analysis.h"
#include "fault.h"
#include "files.h"
#include "history.h"
#include "lock.h"
#include "log.h"
#include "pins.h"
#include "prepare.h"
#include "rollout.h"
#include "signals.h"
#include "steps.h"
#include "ui.h"

const char *runner__hook(const struct run *r)
{
	return plan__hook_name(r->ro->hook);
}

int runner__save(struct run *r)
{
	int err = journal__save(r->ro);

	if (err) {
		pr_warn("cannot write the rollout journal in %s: %s\n", pins__state_dir(),
			strerror(-err));
		r->record_failed = true;
	}
	return err;
}

bool runner__check_lost(struct run *r, int i)
{
	struct ro_target *rt = &r->ro->t[i];

	if (rt->state == RT_LOST)
		return true;
	if (rt->state == RT_DONE || if_nametoindex(rt->ifname) == rt->ifindex)
		return false;
	rt->state = RT_LOST;
	ui__event("lost", "%s/%s: interface lost during the rollout (deleted, re-created or moved to another namespace); it is not judged and counts as unhealthy, never healthy. Run 'tailgate recover' to clean its pins, then 'tailgate restore %s' once it is back",
		  rt->ifname, runner__hook(r), rt->ifname);
	return true;
}

static struct run *run_new(void)
{
	struct run *r = calloc(1, sizeof(*r));

	if (r && !(r->ro = calloc(1, sizeof(*r->ro)))) {
		free(r);
		r = NULL;
	}
	return r;
}

void runner__free(struct run *r)
{
	int i;

	if (!r)
		return;
	for (i = 0; r->t && i < r->ro->nr; i++) {
		gen__release(&r->t[i].gl);
		ap__close(&r->t[i].ap);
	}
	for (i = 0; i < TG_MAX_STAGES; i++)
		object__free(&r->src[i]);
	if (r->own_plan)
		plan__free(r->plan);
	free(r->plan_text);
	free(r->t);
	free(r->ro);
	free(r);
}

/* Endings */

static enum gen_outcome gen_outcome(enum ro_status s)
{
	switch (s) {
	case RO_PROMOTED:
		return GEN_PROMOTED;
	case RO_ROLLED_BACK:
		return GEN_ROLLED_BACK;
	case RO_RUNNING:
	case RO_PAUSED:
		return GEN_RUNNING;
	default:
		return GEN_ABORTED;
	}
}

/* Where each attach point stands now, for `restore` after a reboot. */
static void record_aps(struct run *r)
{
	struct ap_record rec;
	int i;

	for (i = 0; i < r->ro->nr; i++) {
		struct ro_target *rt = &r->ro->t[i];

		if (rt->state != RT_LIVE && rt->state != RT_REVERTED)
			continue;
		if (rt->state == RT_REVERTED && rt->created)
			continue;	/* detached: its record went with it */
		store__load_ap(rt->ifname, r->ro->hook, &rec);
		rec.ifindex = rt->ifindex;
		rec.live_gen = rt->state == RT_LIVE ? r->ro->id : rt->prev_gen;
		if (store__save_ap(&rec))
			r->record_failed = true;
	}
}

/*
 * The journal is written with its final status first: if the history
 * cannot be appended, the next run (or recover) finishes recording, and
 * never mistakes a finished rollout for an interrupted one.
 */
static int finish(struct run *r, enum ro_status status)
{
	int err;

	r->ro->status = status;
	r->ro->ended = time(NULL);
	runner__save(r);
	r->rec.outcome = gen_outcome(status);
	if (r->rec.gen && store__save_gen(&r->rec))
		r->record_failed = true;
	record_aps(r);
	err = history__rollout(r->ro);
	if (err) {
		pr_warn("cannot append the rollout to the history in %s: %s; 'tailgate recover' records it once there is room\n",
			pins__state_dir(), strerror(-err));
		r->record_failed = true;
	} else if (journal__remove()) {
		r->record_failed = true;
	}
	return 0;
}

/* What a run says when it is over: the result and the exit code. */
static int conclude(struct run *r, const char *outcome, int code)
{
	r->res.outcome = outcome;
	r->res.generation = r->ro->id;
	r->res.previous_generation = r->ro->prev_gen;
	snprintf(r->res.message, sizeof(r->res.message), "%s", r->ro->reason);
	if (r->record_failed && (code == 0 || code == TG_ERR_ROLLED_BACK)) {
		pr_warn("the datapath is %s, but tailgate could not record it all (see above); run 'tailgate recover' once %s has room\n",
			code ? "back on the previous generation" : "promoted", pins__state_dir());
		return TG_ERR_INCONSISTENT;
	}
	return code;
}

static int end_event(struct run *r, enum ro_status status)
{
	jsonw_t *w;

	finish(r, status);
	w = ui__begin("end");
	jsonw_uint_field(w, "generation", r->ro->id);
	jsonw_string_field(w, "outcome", journal__status_name(status));
	ui__end("rollout of %s (generation %" PRIu64 ") %s%s%s", r->ro->plan_name, r->ro->id,
		journal__status_name(status), r->ro->reason[0] ? ": " : "", r->ro->reason);
	return 0;
}

/* A gate breached (or a signal, or a live write failed): rollback or pause. */
static int on_failure(struct run *r, bool stopped)
{
	jsonw_t *w;
	int err;

	w = ui__begin("breach");
	jsonw_string_field(w, "gate", r->ro->breach.gate);
	jsonw_string_field(w, "ifname", r->ro->breach.ifname);
	jsonw_float_field(w, "value", r->ro->breach.value);
	jsonw_float_field(w, "threshold", r->ro->breach.threshold);
	ui__end("%s", r->ro->reason);
	if (r->plan->on_failure == PLAN_ON_FAILURE_PAUSE && !stopped) {
		r->ro->status = RO_PAUSED;
		runner__save(r);
		ui__event("paused", "rollout paused (on_failure: pause): nothing rolled back; 'tailgate promote' continues, 'tailgate abort' rolls back");
		r->res.changed = true;
		return conclude(r, "paused", TG_ERR_ROLLED_BACK);
	}
	err = steps__revert_all(r);
	end_event(r, RO_ROLLED_BACK);
	r->res.changed = true;
	return conclude(r, "rolled_back", err ?: TG_ERR_ROLLED_BACK);
}

static int stop_reason(struct run *r)
{
	int sig = signals__pending();

	snprintf(r->ro->breach.gate, sizeof(r->ro->breach.gate), "signal");
	r->ro->breach.ifname[0] = '\0';
	r->ro->breach.value = sig;
	r->ro->breach.threshold = 0;
	snprintf(r->ro->reason, sizeof(r->ro->reason), "interrupted by %s: every interface this rollout moved goes back",
		 signals__name(sig));
	return on_failure(r, true);
}

static int unrecorded(struct run *r)
{
	snprintf(r->ro->breach.gate, sizeof(r->ro->breach.gate), "journal");
	snprintf(r->ro->reason, sizeof(r->ro->reason), "the rollout journal cannot be written (%s): no further change is made without it; the interfaces it moved go back",
		 pins__state_dir());
	return on_failure(r, true);
}

static void lost_reason(struct run *r)
{
	size_t off = 0;
	int i;

	for (i = 0; i < r->ro->nr && off < sizeof(r->ro->reason); i++) {
		if (r->ro->t[i].state != RT_LOST)
			continue;
		off += snprintf(r->ro->reason + off, sizeof(r->ro->reason) - off, "%s%s",
				off ? ", " : "interfaces lost during the rollout: ", r->ro->t[i].ifname);
	}
	if (off && off < sizeof(r->ro->reason))
		snprintf(r->ro->reason + off, sizeof(r->ro->reason) - off,
			 "; run 'tailgate recover' to clean their pins");
}

static int run_steps(struct run *r)
{
	struct ro_action a;

	for (;;) {
		if (signals__pending())
			return stop_reason(r);
		rollout__next(r->ro, r->plan, &a);
		switch (a.kind) {
		case ACT_FLIP:
		case ACT_SPLIT:
			switch (a.kind == ACT_FLIP ? steps__flip(r, &a) : steps__split(r, &a)) {
			case STEP_OK:
				r->res.changed = true;
				break;
			case STEP_STOPPED:
				return stop_reason(r);
			case STEP_UNRECORDED:
				return unrecorded(r);
			case STEP_FAILED:
				snprintf(r->ro->breach.gate, sizeof(r->ro->breach.gate), "write");
				return on_failure(r, true);
			}
			break;
		case ACT_ANALYZE:
			switch (analysis__run(r, &a)) {
			case ANALYSIS_HEALTHY:
				if (runner__save(r))
					return unrecorded(r);
				break;
			case ANALYSIS_STOPPED:
				return stop_reason(r);
			default:
				return on_failure(r, false);
			}
			break;
		case ACT_PAUSE:
			r->ro->status = RO_PAUSED;
			snprintf(r->ro->reason, sizeof(r->ro->reason), "paused: %s", a.why);
			if (runner__save(r))
				return unrecorded(r);
			ui__event("paused", "rollout paused (%s): run 'tailgate promote' to continue or 'tailgate abort' to roll back",
				  a.why);
			return conclude(r, "paused", 0);
		case ACT_DONE:
			rollout__judged(r->ro);
			r->ro->reason[0] = '\0';
			lost_reason(r);
			end_event(r, RO_PROMOTED);
			return conclude(r, "promoted", rollout__count(r->ro, RT_LOST) ?
						       TG_ERR_INCONSISTENT : 0);
		}
	}
}

/* Starting */

/*
 * No rollout may be in progress. One that ended but could not be
 * recorded (its journal holds the final status) is recorded now.
 */
static int check_idle(const char *verb)
{
	struct rollout *ro = calloc(1, sizeof(*ro));
	int err;

	if (!ro)
		return -ENOMEM;
	err = journal__load(ro);
	if (err == -ENOENT) {
		err = 0;
	} else if (!err && journal__ended(ro)) {
		err = history__rollout(ro) ?: journal__remove();
		if (err)
			pr_warn("%s: the last rollout (generation %" PRIu64 ") ended but its history cannot be written: %s\n",
				verb, ro->id, strerror(-err));
	} else if (!err && ro->status == RO_PAUSED) {
		pr_warn("%s: the rollout of %s (generation %" PRIu64 ") is paused; run 'tailgate promote' or 'tailgate abort' first\n",
			verb, ro->plan_name, ro->id);
		err = TG_ERR_USAGE;
	} else {
		pr_warn("%s: %s; run 'tailgate recover' first\n", verb,
			err ? "the rollout journal is unreadable (recover moves it aside)" :
			      "a rollout was interrupted");
		err = TG_ERR_INCONSISTENT;
	}
	free(ro);
	return err;
}

static void init_rollout(struct run *r, const char *path)
{
	struct rollout *ro = r->ro;

	ro->status = RO_RUNNING;
	ro->hook = r->plan->hook;
	ro->started = time(NULL);
	snprintf(ro->plan_name, sizeof(ro->plan_name), "%s", r->plan->name);
	snprintf(ro->plan_path, sizeof(ro->plan_path), "%s", path);
	snprintf(r->rec.plan_name, sizeof(r->rec.plan_name), "%s", r->plan->name);
	r->rec.hook = r->plan->hook;
	r->rec.fail_closed = r->plan->fail_closed;
	r->rec.abi = TG_ABI_VERSION;
	r->rec.started = ro->started;
	r->rec.outcome = GEN_RUNNING;
}

/* The highest generation in the kernel's names: numbers never repeat. */
static uint64_t seen_gens(const struct run *r)
{
	uint64_t max = 0;
	int i, b;

	for (i = 0; i < r->ro->nr; i++)
		for (b = 0; b < (int)TG_NR_BANKS; b++)
			if (r->t[i].ap.bank[b].gen > max)
				max = r->t[i].ap.bank[b].gen;
	return max;
}

static int unchanged(struct run *r)
{
	r->res.outcome = "unchanged";
	snprintf(r->res.message, sizeof(r->res.message),
		 "plan %s is already live on every interface it names (same objects by sha256, same stage settings): nothing to do; --force rolls it out again",
		 r->plan->name);
	ui__event("unchanged", "%s", r->res.message);
	return 0;
}

static int start(struct run *r, const char *path, bool force, bool preflight_only)
{
	int i, err;

	err = prepare__plan(r, path);
	if (err)
		return err;
	init_rollout(r, path);
	err = prepare__objects(r) ?: prepare__targets(r, force);
	if (err)
		goto out_preflight;
	for (i = 0; i < r->ro->nr && !r->ro->prev_gen; i++)
		r->ro->prev_gen = r->ro->t[i].prev_gen;
	if (!preflight_only && !prepare__moving(r))
		return unchanged(r);
	if (!preflight_only) {
		err = store__peek_gen(seen_gens(r), &r->ro->id);
		if (err) {
			pr_warn("cannot hand out a generation number: %s\n", strerror(-err));
			return err;
		}
		r->rec.gen = r->ro->id;
	}
	err = prepare__load(r, r->ro->id);
	if (err)
		goto out_preflight;
	ui__event("shape", "generation %" PRIu64 " of %s: %s", r->ro->id, r->plan->name, r->shape_why);
	return 0;

out_preflight:
	if (err == TG_ERR_PREFLIGHT)
		pr_warn("preflight of %s failed: nothing changed\n", path);
	return err;
}

static int install(struct run *r)
{
	int err;

	err = store__claim_gen(r->ro->id) ?: prepare__capture(r) ?: runner__save(r);
	if (err)
		return err;
	fault__point("before-install");
	err = prepare__install(r);
	if (err) {
		prepare__undo_install(r);
		snprintf(r->ro->reason, sizeof(r->ro->reason),
			 "installing the generation failed (%s); no interface was flipped", strerror(-err));
		end_event(r, RO_ABORTED);
		return err == -EOPNOTSUPP ? TG_ERR_PREFLIGHT : conclude(r, "aborted", err);
	}
	fault__point("after-install");
	ui__event("loaded", "generation %" PRIu64 " of %s loaded beside the live one on %d interface%s",
		  r->ro->id, r->plan->name, prepare__moving(r), prepare__moving(r) == 1 ? "" : "s");
	return 0;
}

int runner__apply(const char *path, bool force, struct run **out)
{
	struct run *r = run_new();
	int err;

	*out = r;
	if (!r)
		return -ENOMEM;
	signals__install();
	err = prepare__environment("apply", true, true);
	if (err)
		return err == -EPERM || err == -EXDEV || err == -ENOTSUP ? TG_ERR_PREFLIGHT : err;
	err = lock__acquire("apply") ?: check_idle("apply");
	if (err)
		return err;
	err = start(r, path, force, false);
	if (err || r->res.outcome)
		return err;
	if (signals__pending()) {
		pr_warn("apply: interrupted by a signal before anything changed\n");
		r->res.outcome = "aborted";
		return TG_ERR_ROLLED_BACK;
	}
	err = install(r);
	if (err)
		return err;
	return run_steps(r);
}

int runner__preflight(const char *path, struct run **out)
{
	struct run *r = run_new();
	int err;

	*out = r;
	if (!r)
		return -ENOMEM;
	err = prepare__environment("plan", true, false);
	if (err)
		return err == -EPERM || err == -EXDEV || err == -ENOTSUP ? TG_ERR_PREFLIGHT : err;
	return start(r, path, true, true);
}

int runner__check(const char *path, struct run **out)
{
	struct run *r = run_new();
	int err;

	*out = r;
	if (!r)
		return -ENOMEM;
	err = prepare__plan(r, path);
	if (!err) {
		init_rollout(r, path);
		err = prepare__objects(r) ?: prepare__targets(r, false);
	}
	return err;
}

/* Resuming */

static int resume(const char *verb, struct run **out)
{
	struct run *r = run_new();
	int err;

	*out = r;
	if (!r)
		return -ENOMEM;
	signals__install();
	err = prepare__environment(verb, true, false) ?: lock__acquire(verb);
	if (err)
		return err;
	err = journal__load(r->ro);
	if (err == -ENOENT) {
		pr_warn("%s: no rollout is paused\n", verb);
		return TG_ERR_USAGE;
	}
	if (err || r->ro->status != RO_PAUSED) {
		pr_warn("%s: %s; run 'tailgate recover'\n", verb,
			err ? "the rollout journal is unreadable" : "the rollout was interrupted, not paused");
		return TG_ERR_INCONSISTENT;
	}
	err = store__load_gen(r->ro->id, &r->rec);
	if (!err)
		err = prepare__captured(r);
	if (err) {
		pr_warn("%s: generation %" PRIu64 " has no usable record: run 'tailgate abort' or 'tailgate recover'\n",
			verb, r->ro->id);
		return err < 0 ? TG_ERR_INCONSISTENT : err;
	}
	return prepare__reopen(r);
}

int runner__promote(struct run **out)
{
	struct run *r;
	int err;

	err = resume("promote", out);
	r = *out;
	if (err)
		return err;
	/* The journal parses alone; its step must also fit the captured plan
	 * (at most one past its last step: the steps used up). */
	if (r->ro->step > r->plan->nr_steps) {
		pr_warn("promote: the rollout journal says step %d, past the %d steps of the captured plan of generation %" PRIu64 ": not continuing it; 'tailgate abort' rolls it back\n",
			r->ro->step + 1, r->plan->nr_steps, r->ro->id);
		return TG_ERR_INCONSISTENT;
	}
	r->ro->status = RO_RUNNING;
	r->ro->reason[0] = '\0';
	ui__event("resume", "resuming the rollout of %s (generation %" PRIu64 ") at step %d, as captured when it started",
		  r->ro->plan_name, r->ro->id, r->ro->step + 1);
	if (runner__save(r))
		return TG_ERR_INCONSISTENT;
	return run_steps(r);
}

int runner__abort(struct run **out)
{
	struct run *r;
	int err;

	err = resume("abort", out);
	r = *out;
	if (err)
		return err;
	snprintf(r->ro->reason, sizeof(r->ro->reason), "aborted by the operator");
	err = steps__revert_all(r);
	end_event(r, RO_ABORTED);
	r->res.changed = true;
	return conclude(r, "aborted", err);
}
