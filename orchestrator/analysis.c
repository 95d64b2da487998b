// SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause)
#include <ctype.h>
#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "analysis.h"
#include "gate_exec.h"
#include "log.h"
#include "signals.h"
#include "ui.h"

struct window {
	uint64_t start_ms, prev_ms;
	bool judged[PLAN_MAX_IFACES];
	bool base[PLAN_MAX_IFACES];		/* whole interface on the old generation */
	bool split[PLAN_MAX_IFACES];		/* a share of flows on each */
	struct health_sample new0[PLAN_MAX_IFACES], new_prev[PLAN_MAX_IFACES];
	struct health_sample old0[PLAN_MAX_IFACES], old_prev[PLAN_MAX_IFACES];
};

/* One interval's readings. */
struct tick {
	double dt;				/* seconds since the previous reading */
	double since;				/* seconds since the window began */
	struct health_sample base_win, base_last;
	bool has_base;
};

static int read_gen(struct run *r, int i, bool new_gen, struct health_sample *s)
{
	struct target *t = &r->t[i];

	if (runner__check_lost(r, i))
		return -ENODEV;
	return sample__read(&t->ap, new_gen ? &t->new_view : &t->old_view, s);
}

static void window_begin(struct run *r, const struct ro_action *a, struct window *w)
{
	int i;

	memset(w, 0, sizeof(*w));
	w->start_ms = w->prev_ms = sample__now_ms();
	for (i = 0; i < r->ro->nr; i++) {
		enum ro_target_state st = r->ro->t[i].state;

		w->judged[i] = rollout__judges(r->ro, a, i);
		w->split[i] = st == RT_SPLIT;
		w->base[i] = st == RT_PENDING;
		if ((w->judged[i] && read_gen(r, i, true, &w->new0[i])) ||
		    ((w->split[i] || w->base[i]) && read_gen(r, i, false, &w->old0[i])))
			w->judged[i] = w->base[i] = w->split[i] = false;
		w->new_prev[i] = w->new0[i];
		w->old_prev[i] = w->old0[i];
	}
}

/* The interfaces still wholly on the old generation, summed. */
static void baseline(struct run *r, struct window *w, struct tick *k)
{
	struct health_sample now, d;
	int i;

	for (i = 0; i < r->ro->nr; i++) {
		if (!w->base[i] || read_gen(r, i, false, &now))
			continue;
		health__sub(&d, &now, &w->old0[i]);
		health__add(&k->base_win, &d);
		health__sub(&d, &now, &w->old_prev[i]);
		health__add(&k->base_last, &d);
		w->old_prev[i] = now;
		k->has_base = true;
	}
}

static void exec_gate(struct run *r, int i, struct health_result *res)
{
	const struct plan_gates *g = &r->plan->gates;
	const char *argv[PLAN_MAX_EXEC_ARGS + 1];
	char env_if[IF_NAMESIZE + 32], env_hook[48], env_gen[48];
	const char *env[] = { env_if, env_hook, env_gen, NULL };
	struct gate_exec_req req = {
		.argv = argv,
		.ifname = r->ro->t[i].ifname,
		.env = env,
		.cwd = r->rec.plan_dir[0] ? r->rec.plan_dir : "/",
		.timeout_ms = g->exec_timeout_ms,
		.stop = &signals__stop,
	};
	struct gate_exec_result *out;
	int k, err;

	if (!g->nr_exec || res->verdict == HEALTH_FAIL)
		return;
	for (k = 0; k < g->nr_exec; k++)
		argv[k] = g->exec[k];
	argv[k] = NULL;
	snprintf(env_if, sizeof(env_if), "TAILGATE_IFNAME=%s", r->ro->t[i].ifname);
	snprintf(env_hook, sizeof(env_hook), "TAILGATE_HOOK=%s", runner__hook(r));
	snprintf(env_gen, sizeof(env_gen), "TAILGATE_GENERATION=%" PRIu64, r->ro->id);
	out = calloc(1, sizeof(*out));
	if (!out)
		return;
	err = gate_exec__run(&req, out);
	if (!err && out->outcome == GATE_EXEC_OK) {
		free(out);
		return;
	}
	res->verdict = HEALTH_FAIL;
	res->gate = "exec";
	res->threshold = 0;
	res->value = err ? -1 : out->outcome == GATE_EXEC_EXITED ? out->exit_code :
			  out->outcome == GATE_EXEC_SIGNALED ? 128 + out->signal : -1;
	/* The check's own words, made printable, after ours. */
	for (k = 0; k < (int)out->output_len; k++)
		if (!isprint((unsigned char)out->output[k]))
			out->output[k] = ' ';
	out->output[out->output_len < 160 ? out->output_len : 160] = '\0';
	if (!err && out->outcome == GATE_EXEC_EXITED)
		k = snprintf(res->reason, sizeof(res->reason), "exec check exited %d", out->exit_code);
	else if (!err && out->outcome == GATE_EXEC_NO_START)
		k = snprintf(res->reason, sizeof(res->reason), "exec check %.64s did not start: %s",
			     argv[0], strerror(out->err));
	else if (!err && out->outcome == GATE_EXEC_SIGNALED)
		k = snprintf(res->reason, sizeof(res->reason), "exec check killed by signal %d",
			     out->signal);
	else
		k = snprintf(res->reason, sizeof(res->reason), "exec check: %s",
			     err ? strerror(-err) : gate_exec__outcome_name(out->outcome));
	if (out->output[0] && k > 0 && (size_t)k < sizeof(res->reason))
		snprintf(res->reason + k, sizeof(res->reason) - k, ": %.160s", out->output);
	free(out);
}

static double rate(uint64_t packets, double secs)
{
	return secs > 0 ? packets / secs : -1;
}

/* Judge target @i for this interval. */
static void judge_one(struct run *r, struct window *w, const struct tick *k, int i,
		      struct health_result *res, struct health_sample *win, struct health_sample *base)
{
	struct health_sample nw, od, last, own_base, old_last;
	struct target *t = &r->t[i];
	struct health_input in = {
		.rate_now = -1, .rate_before = -1, .base_rate_now = -1, .base_rate_before = -1,
	};

	read_gen(r, i, true, &nw);
	health__sub(win, &nw, &w->new0[i]);
	health__sub(&last, &nw, &w->new_prev[i]);
	w->new_prev[i] = nw;
	in.win = win;
	if (w->split[i] && !read_gen(r, i, false, &od)) {
		/* The same interface's other flows: the baseline of choice. */
		health__sub(&own_base, &od, &w->old0[i]);
		health__sub(&old_last, &od, &w->old_prev[i]);
		w->old_prev[i] = od;
		last.packets += old_last.packets;
		in.base = &own_base;
	} else if (k->has_base) {
		in.base = &k->base_win;
		in.base_rate_now = rate(k->base_last.packets, k->dt);
		in.base_rate_before = rate(k->base_win.packets, k->since);
	} else if (t->has_before) {
		in.base = &t->before;
	}
	if (t->has_before && t->rate_before > 0) {
		in.rate_before = t->rate_before;
		in.rate_now = rate(last.packets, k->dt);
		in.expect_now = t->rate_before * k->dt;
	}
	health__judge_input(&r->plan->gates, &in, res);
	exec_gate(r, i, res);
	if (in.base)
		*base = *in.base;
	else
		memset(base, 0, sizeof(*base));
}

/* Judge every judged target once; the worst verdict wins. */
static enum health_verdict judge_all(struct run *r, struct window *w, const struct ro_action *a,
				     uint64_t elapsed, struct health_result *worst, int *worst_i)
{
	struct health_sample win, base;
	enum health_verdict v = HEALTH_OK;
	struct health_result res;
	struct tick k = {};
	uint64_t now = sample__now_ms();
	int i, judged = 0;

	k.dt = (now - w->prev_ms) / 1000.0;
	k.since = (now - w->start_ms) / 1000.0;
	w->prev_ms = now;
	baseline(r, w, &k);
	for (i = 0; i < r->ro->nr; i++) {
		if (!w->judged[i] || runner__check_lost(r, i))
			continue;
		judge_one(r, w, &k, i, &res, &win, &base);
		ui__analysis(a->step, elapsed, a->duration_ms, r->ro->t[i].ifname, &win,
			     res.base_drop_ratio >= 0 ? &base : NULL, &res, &r->plan->gates);
		judged++;
		if (res.verdict > v || (res.verdict == v && *worst_i < 0)) {
			*worst = res;
			*worst_i = i;
		}
		v = health__worst(v, res.verdict);
	}
	if (!judged) {
		memset(worst, 0, sizeof(*worst));
		worst->verdict = HEALTH_INCONCLUSIVE;
		snprintf(worst->reason, sizeof(worst->reason), "no interface left to judge");
		return HEALTH_INCONCLUSIVE;
	}
	return v;
}

static void record_breach(struct run *r, const struct ro_action *a, enum health_verdict v,
			  const struct health_result *worst, int wi, uint64_t elapsed)
{
	const char *ifname = wi >= 0 ? r->ro->t[wi].ifname : "";

	snprintf(r->ro->breach.gate, sizeof(r->ro->breach.gate), "%s",
		 worst->gate ? worst->gate : "none");
	snprintf(r->ro->breach.ifname, sizeof(r->ro->breach.ifname), "%s", ifname);
	r->ro->breach.value = worst->value;
	r->ro->breach.threshold = worst->threshold;
	snprintf(r->ro->reason, sizeof(r->ro->reason), "step %d (analyze): %s%s on %s after %.1fs",
		 a->step + 1, v == HEALTH_INCONCLUSIVE ? "inconclusive: " : "gate breached: ",
		 worst->reason, wi >= 0 ? ifname : "(all lost)", elapsed / 1000.0);
}

enum analysis_outcome analysis__run(struct run *r, const struct ro_action *a)
{
	struct health_result worst = {};
	enum health_verdict v = HEALTH_INCONCLUSIVE;
	uint64_t elapsed = 0, step;
	struct window *w = calloc(1, sizeof(*w));
	int i, n, wi = -1;

	if (!w)
		return ANALYSIS_INCONCLUSIVE;
	window_begin(r, a, w);
	for (i = 0, n = 0; i < r->ro->nr; i++)
		n += w->judged[i];
	if (!n && !rollout__count(r->ro, RT_LOST)) {
		/* Finishing a partial rollout: its canaries already ran the plan. */
		free(w);
		ui__event("analyze", "step %d: no interface of this rollout is on the new generation yet: nothing to judge",
			  a->step + 1);
		return ANALYSIS_HEALTHY;
	}
	ui__event("analyze", "step %d: analyze %d interface%s on the new generation for %.1fs (every %.1fs) against the previous one",
		  a->step + 1, n, n == 1 ? "" : "s", a->duration_ms / 1000.0, a->interval_ms / 1000.0);
	while (elapsed < a->duration_ms) {
		step = a->interval_ms < a->duration_ms - elapsed ? a->interval_ms :
								   a->duration_ms - elapsed;
		if (!signals__sleep(step)) {
			free(w);
			ui__flush();
			return ANALYSIS_STOPPED;
		}
		elapsed += step;
		wi = -1;
		v = judge_all(r, w, a, elapsed, &worst, &wi);
		/* A signal during the judgement (an exec check it cut short) is
		 * a signal, not a breach: on_failure: pause must not apply. */
		if (signals__pending()) {
			free(w);
			ui__flush();
			return ANALYSIS_STOPPED;
		}
		if (v == HEALTH_FAIL || wi < 0)
			break;	/* breached, or every judged interface is gone */
	}
	free(w);
	ui__flush();
	if (v == HEALTH_OK) {
		rollout__judged(r->ro);
		return ANALYSIS_HEALTHY;
	}
	record_breach(r, a, v, &worst, wi, elapsed);
	return v == HEALTH_FAIL ? ANALYSIS_UNHEALTHY : ANALYSIS_INCONCLUSIVE;
}
