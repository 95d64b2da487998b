// SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause)
#include <errno.h>
#include <inttypes.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>
#include <sys/random.h>

#include "fault.h"
#include "log.h"
#include "signals.h"
#include "steps.h"
#include "ui.h"

/* How long the old generation is watched before a flip, at least. */
#define BEFORE_MS	500

void steps__mark(struct run *r, int i)
{
	struct target *t = &r->t[i];

	t->has_mark = !sample__read(&t->ap, &t->old_view, &t->mark);
	t->mark_ms = sample__now_ms();
}

/* This interface's own rate on its old generation, just before it changes. */
static void take_before(struct run *r, const struct ro_action *a)
{
	struct health_sample now;
	uint64_t ms, wait = 0;
	struct target *t;
	int k;

	for (k = 0; k < a->n; k++) {
		t = &r->t[a->idx[k]];
		if (t->rt->state != RT_PENDING || t->has_before)
			continue;
		if (!t->has_mark || sample__now_ms() - t->mark_ms < BEFORE_MS) {
			steps__mark(r, a->idx[k]);
			wait = BEFORE_MS;
		}
	}
	if (wait && !signals__sleep(wait))
		return;
	for (k = 0; k < a->n; k++) {
		t = &r->t[a->idx[k]];
		if (t->rt->state != RT_PENDING || t->has_before || !t->has_mark ||
		    sample__read(&t->ap, &t->old_view, &now))
			continue;
		ms = sample__now_ms() - t->mark_ms;
		health__sub(&t->before, &now, &t->mark);
		t->rate_before = ms ? t->before.packets * 1000.0 / ms : -1;
		t->has_before = true;
	}
}

static void target_event(struct run *r, int i, const char *event, const char *fmt, ...)
	__attribute__((format(printf, 4, 5)));

static void target_event(struct run *r, int i, const char *event, const char *fmt, ...)
{
	const struct ro_target *rt = r->t[i].rt;
	char text[512];
	jsonw_t *w;
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(text, sizeof(text), fmt, ap);
	va_end(ap);
	w = ui__begin(event);
	jsonw_string_field(w, "ifname", rt->ifname);
	jsonw_string_field(w, "hook", runner__hook(r));
	jsonw_uint_field(w, "generation", r->ro->id);
	jsonw_bool_field(w, "canary", rt->canary);
	if (r->ro->weight_bp && !strcmp(event, "split"))
		jsonw_float_field(w, "weight", r->ro->weight_bp / 100.0);
	ui__end("%s", text);
}

/*
 * Run @op on each target of @a in turn, between the fault points
 * "before-WHAT" and "after-WHAT": a signal stops before the next target, a
 * target found lost is skipped, any other failure ends the step.
 */
static enum step_outcome each_target(struct run *r, const struct ro_action *a, const char *what,
				     int (*op)(struct run *r, int i, const struct ro_action *a))
{
	char before[32], after[32];
	const struct ro_target *rt;
	int k, i, err;

	snprintf(before, sizeof(before), "before-%s", what);
	snprintf(after, sizeof(after), "after-%s", what);
	for (k = 0; k < a->n; k++) {
		i = a->idx[k];
		rt = r->t[i].rt;
		if (signals__pending())
			return STEP_STOPPED;
		fault__point(before);
		if (runner__check_lost(r, i))
			continue;
		err = op(r, i, a);
		if (err && runner__check_lost(r, i))
			continue;
		if (err) {
			snprintf(r->ro->reason, sizeof(r->ro->reason), "%s of %s/%s failed: %s", what,
				 rt->ifname, runner__hook(r), ap__strerror(err));
			return STEP_FAILED;
		}
		fault__point(after);
	}
	return STEP_OK;
}

static int flip_one(struct run *r, int i, const struct ro_action *a)
{
	struct target *t = &r->t[i];
	struct ro_target *rt = t->rt;
	int err;

	err = ap__serve(&t->ap, rt->new_bank, r->plan->fail_closed);
	if (err)
		return err;
	rt->state = RT_FLIPPED;
	target_event(r, i, "flip", "%s/%s: generation %" PRIu64 " live (bank %c, one write of slot 0)",
		     rt->ifname, runner__hook(r), r->ro->id, 'A' + rt->new_bank);
	return 0;
}

enum step_outcome steps__flip(struct run *r, const struct ro_action *a)
{
	enum step_outcome out;
	int k;

	take_before(r, a);
	if (signals__pending())
		return STEP_STOPPED;
	for (k = 0; k < a->n; k++)
		if (rollout__pending(r->t[a->idx[k]].rt->state))
			r->t[a->idx[k]].rt->state = RT_FLIPPING;
	if (runner__save(r))
		return STEP_UNRECORDED;
	out = each_target(r, a, "flip", flip_one);
	if (out != STEP_OK)
		return out;
	return runner__save(r) ? STEP_UNRECORDED : STEP_OK;
}

static int split_one(struct run *r, int i, const struct ro_action *a)
{
	struct disp_state want = { .kind = DISP_SPLIT };
	struct target *t = &r->t[i];
	const struct ro_target *rt = t->rt;
	int err;

	if (t->ap.disp.kind == DISP_SPLIT) {
		err = ap__set_weight(&t->ap, a->weight_bp, r->ro->seed);
	} else {
		want.fail_closed = t->ap.disp.fail_closed;
		want.new_slot = TG_BANK_BASE(rt->new_bank);
		err = ap__set_dispatcher(&t->ap, &want, a->weight_bp, r->ro->seed);
	}
	if (err)
		return err;
	target_event(r, i, "split", "%s/%s: %.2f%% of flows on generation %" PRIu64 " (bank %c), the rest on the previous one",
		     rt->ifname, runner__hook(r), a->weight_bp / 100.0, r->ro->id, 'A' + rt->new_bank);
	return 0;
}

enum step_outcome steps__split(struct run *r, const struct ro_action *a)
{
	int k;

	take_before(r, a);
	if (signals__pending())
		return STEP_STOPPED;
	while (!r->ro->seed && getrandom(&r->ro->seed, sizeof(r->ro->seed), 0) < 0 && errno == EINTR)
		;
	r->ro->weight_bp = a->weight_bp;
	for (k = 0; k < a->n; k++)
		if (r->t[a->idx[k]].rt->state == RT_PENDING)
			r->t[a->idx[k]].rt->state = RT_SPLIT;
	if (runner__save(r))
		return STEP_UNRECORDED;
	return each_target(r, a, "split", split_one);
}

int steps__revert_target(struct ap *ap, const struct ro_target *rt)
{
	int err;

	/* A first install goes entirely: the interface is as it was. */
	if (rt->created) {
		err = ap__detach(ap);
		if (!err)
			store__remove_ap(rt->ifname, ap->hook);
		return err;
	}
	return ap__serve(ap, rt->prev_bank, rt->prev_fc);
}

static bool moved(const struct ro_target *rt)
{
	switch (rt->state) {
	case RT_SPLIT:
	case RT_FLIPPING:
	case RT_FLIPPED:
	case RT_LIVE:
	case RT_REVERTING:
		return true;
	case RT_PENDING:
		return rt->created;	/* attached by this rollout */
	default:
		return false;
	}
}

int steps__revert_all(struct run *r)
{
	struct ro_target *rt;
	int i, err = 0;

	for (i = 0; i < r->ro->nr; i++)
		if (moved(&r->ro->t[i]))
			r->ro->t[i].state = RT_REVERTING;
	/* Recording must never stop the move back. */
	if (runner__save(r))
		r->record_failed = true;
	for (i = 0; i < r->ro->nr; i++) {
		rt = &r->ro->t[i];
		if (rt->state != RT_REVERTING || runner__check_lost(r, i))
			continue;
		fault__point("before-revert");
		if (steps__revert_target(&r->t[i].ap, rt)) {
			pr_warn("%s/%s: could not put it back on its previous generation; run 'tailgate recover'\n",
				rt->ifname, runner__hook(r));
			err = TG_ERR_INCONSISTENT;
			continue;
		}
		rt->state = RT_REVERTED;
		target_event(r, i, "revert", rt->created ?
			     "%s/%s: dispatcher removed: the interface is as it was before the rollout" :
			     "%s/%s: back on the previous generation (one write of slot 0)",
			     rt->ifname, runner__hook(r));
	}
	if (runner__save(r))
		r->record_failed = true;
	return err;
}
