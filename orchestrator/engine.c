// SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause)
#include <errno.h>
#include <inttypes.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "cli.h"
#include "counters.h"
#include "engine.h"
#include "fault.h"
#include "fleet.h"
#include "health.h"
#include "journal.h"
#include "lock.h"
#include "pins.h"
#include "log.h"
#include "rollout.h"
#include "slots.h"
#include "state.h"
#include "tailgate.h"
#include "ui.h"

struct engine {
	struct plan *plan;
	struct fleet f;
	struct rollout *ro;
	/* Old generation's window just before the flip, for targets that
	 * will have no baseline left once flipped. */
	struct health_sample prewin[PLAN_MAX_IFACES];
	bool has_prewin[PLAN_MAX_IFACES];
	char breach_fields[384];	/* gate, interface, value, threshold */
	bool own_plan;			/* loaded from the journal's plan path */
};

static const char *hook_of(const struct engine *e)
{
	return plan__hook_name(e->ro->hook);
}

static void sleep_ms(uint64_t ms)
{
	struct timespec ts = { ms / 1000, (ms % 1000) * 1000000L };

	while (nanosleep(&ts, &ts) && errno == EINTR)
		;
}

static int save(struct engine *e)
{
	int err = journal__save(e->ro);

	if (err)
		pr_warn("cannot write the rollout journal in %s: %s; nothing further is changed\n",
			pins__state_dir(), strerror(-err));
	return err;
}

/* Sampling */

/* A generation's counters: head packets, everything else summed. */
static int sample_bank(const struct ap *ap, int bank, struct health_sample *s)
{
	__u32 ids[TG_BANK_SLOTS];
	struct tg_stats c;
	int i, n, err;

	memset(s, 0, sizeof(*s));
	if (bank < 0) {
		/* No generation: the dispatcher passes (or drops) alone. */
		err = counters__read(ap->stats_fd, TG_SLOT_ENTRY, &c);
		s->packets = c.packets;
		s->drop = c.drop;
		return err;
	}
	n = slots__bank_ids(ap->slots_fd, bank, ids);
	if (n < 0)
		return n;
	for (i = 0; i < n; i++) {
		err = counters__read(ap->stats_fd, TG_BANK_BASE(bank) + i, &c);
		if (err)
			return err;
		if (!i)
			s->packets = c.packets;
		s->drop += c.drop;
		s->aborted += c.aborted;
		s->tail_miss += c.tail_miss;
	}
	return 0;
}

static void sample_sub(struct health_sample *out, const struct health_sample *a,
		       const struct health_sample *b)
{
	out->packets = a->packets - b->packets;
	out->drop = a->drop - b->drop;
	out->aborted = a->aborted - b->aborted;
	out->tail_miss = a->tail_miss - b->tail_miss;
}

/* JSON fields naming target @i, for --json events. */
static void target_fields(const struct engine *e, int i, char *buf, size_t len)
{
	const struct ro_target *rt = &e->ro->t[i];

	snprintf(buf, len, "\"ifname\":\"%s\",\"hook\":\"%s\",\"generation\":%" PRIu64
		 ",\"canary\":%s", rt->ifname, hook_of(e), e->ro->id, rt->canary ? "true" : "false");
}

/* Is target @i's interface still the one the rollout started on? */
static bool check_lost(struct engine *e, int i)
{
	struct ro_target *rt = &e->ro->t[i];
	char fields[160];

	if (rt->state == RT_LOST)
		return true;
	if (if_nametoindex(rt->ifname) == rt->ifindex)
		return false;
	rt->state = RT_LOST;
	e->f.t[i].lost = true;
	target_fields(e, i, fields, sizeof(fields));
	ui__event("lost", fields, "%s/%s: interface lost during the rollout (deleted or re-created); it is not judged and counts as unhealthy, never healthy",
		  rt->ifname, hook_of(e));
	return true;
}

static int sample_target(struct engine *e, int i, struct health_sample *s)
{
	struct ro_target *rt = &e->ro->t[i];
	int bank = rt->state == RT_PENDING ? rt->prev_bank : rt->new_bank;

	if (check_lost(e, i))
		return -ENODEV;
	return sample_bank(&e->f.t[i].ap, bank, s);
}

/* The exec gate */

static void substitute(const char *tmpl, const char *ifname, char *out, size_t len)
{
	size_t off = 0;
	const char *p;

	for (p = tmpl; *p && off + 1 < len; p++) {
		if (!strncmp(p, "{ifname}", 8)) {
			off += snprintf(out + off, len - off, "%s", ifname);
			p += 7;
		} else {
			out[off++] = *p;
		}
	}
	out[off < len ? off : len - 1] = '\0';
}

/*
 * Run the plan's exec check for @ifname, bounded by exec_timeout. The plan
 * gives an argv, never a shell command: each entry stays one argument, so
 * an interface name or an entry with ';' in it cannot run anything else.
 * {ifname} at most doubles an entry (8 bytes become at most 15).
 */
static int run_exec(const struct plan *plan, const char *ifname, int *status)
{
	char args[PLAN_MAX_EXEC_ARGS][2 * PLAN_MAX_EXEC_ARG];
	char *argv[PLAN_MAX_EXEC_ARGS + 1] = {};
	uint64_t waited = 0;
	pid_t pid;
	int i;

	for (i = 0; i < plan->gates.nr_exec; i++) {
		substitute(plan->gates.exec[i], ifname, args[i], sizeof(args[i]));
		argv[i] = args[i];
	}
	pid = fork();
	if (pid < 0)
		return -errno;
	if (!pid) {
		/* Relative paths in the check are relative to the plan. */
		if (chdir(plan->dir))
			_exit(126);
		execvp(argv[0], argv);
		_exit(127);
	}
	while (waitpid(pid, status, WNOHANG) == 0) {
		if (waited >= plan->gates.exec_timeout_ms) {
			kill(pid, SIGKILL);
			waitpid(pid, status, 0);
			return -ETIMEDOUT;
		}
		sleep_ms(20);
		waited += 20;
	}
	return 0;
}

static void exec_gate(struct engine *e, const char *ifname, struct health_result *r)
{
	int status = 0, err;

	if (!e->plan->gates.nr_exec || r->verdict == HEALTH_FAIL)
		return;
	err = run_exec(e->plan, ifname, &status);
	if (!err && WIFEXITED(status) && !WEXITSTATUS(status))
		return;
	r->verdict = HEALTH_FAIL;
	r->gate = "exec";
	r->value = err ? -1 : WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status);
	r->threshold = 0;
	if (err == -ETIMEDOUT)
		snprintf(r->reason, sizeof(r->reason), "exec check timed out after %" PRIu64 " ms",
			 e->plan->gates.exec_timeout_ms);
	else
		snprintf(r->reason, sizeof(r->reason), "exec check exited %d", (int)r->value);
}

/* Analysis */

struct window {
	struct health_sample start[PLAN_MAX_IFACES];
	bool judged[PLAN_MAX_IFACES];
	bool base[PLAN_MAX_IFACES];
};

static void window_begin(struct engine *e, const struct ro_action *a, struct window *w)
{
	int i;

	for (i = 0; i < e->ro->nr; i++) {
		w->judged[i] = rollout__judges(e->ro, a, i);
		w->base[i] = e->ro->t[i].state == RT_PENDING;
		if ((w->judged[i] || w->base[i]) && sample_target(e, i, &w->start[i]))
			w->judged[i] = w->base[i] = false;
	}
}

/* Baseline of this interval: unflipped targets, else pre-flip windows. */
static bool window_baseline(struct engine *e, struct window *w, struct health_sample *b)
{
	struct health_sample now, d;
	bool any = false;
	int i;

	memset(b, 0, sizeof(*b));
	for (i = 0; i < e->ro->nr; i++) {
		if (!w->base[i] || sample_target(e, i, &now))
			continue;
		sample_sub(&d, &now, &w->start[i]);
		health__add(b, &d);
		any = true;
	}
	for (i = 0; !any && i < e->ro->nr; i++) {
		if (!w->judged[i] || !e->has_prewin[i])
			continue;
		health__add(b, &e->prewin[i]);
		any = true;
	}
	return any;
}

/* Judge every flipped target once; the worst verdict wins. */
static enum health_verdict judge_all(struct engine *e, struct window *w, int step,
				     uint64_t elapsed, uint64_t duration,
				     struct health_result *worst, const char **worst_if)
{
	struct health_sample base, now, d;
	enum health_verdict v = HEALTH_OK;
	struct health_result r;
	bool has_base = window_baseline(e, w, &base);
	int i, judged = 0;

	for (i = 0; i < e->ro->nr; i++) {
		if (!w->judged[i] || sample_target(e, i, &now))
			continue;
		sample_sub(&d, &now, &w->start[i]);
		health__judge(&e->plan->gates, &d, has_base ? &base : NULL, &r);
		exec_gate(e, e->ro->t[i].ifname, &r);
		ui__analysis(step, elapsed, duration, e->ro->t[i].ifname, &d, &r, &e->plan->gates);
		judged++;
		if (r.verdict > v || (r.verdict == v && !*worst_if)) {
			*worst = r;
			*worst_if = e->ro->t[i].ifname;
		}
		v = health__worst(v, r.verdict);
	}
	if (!judged) {
		worst->verdict = HEALTH_INCONCLUSIVE;
		snprintf(worst->reason, sizeof(worst->reason), "no interface left to judge");
		return HEALTH_INCONCLUSIVE;
	}
	return v;
}

/*
 * Sample at every interval; fail fast on a breached gate. A window that
 * ends inconclusive is not healthy.
 */
static int analyze(struct engine *e, const struct ro_action *a)
{
	struct health_result worst = {};
	enum health_verdict v = HEALTH_INCONCLUSIVE;
	const char *worst_if = NULL;
	struct window w;
	uint64_t elapsed = 0, step;
	int i, n;

	window_begin(e, a, &w);
	for (i = 0, n = 0; i < e->ro->nr; i++)
		n += w.judged[i];
	ui__event("analyze", NULL, "step %d: analyze %d interface%s on the new generation for %.1fs (every %.1fs) against %d on the previous one",
		  a->step + 1, n, n == 1 ? "" : "s", a->duration_ms / 1000.0,
		  a->interval_ms / 1000.0, rollout__count(e->ro, RT_PENDING));
	while (elapsed < a->duration_ms) {
		step = a->interval_ms < a->duration_ms - elapsed ? a->interval_ms :
								   a->duration_ms - elapsed;
		sleep_ms(step);
		elapsed += step;
		worst_if = NULL;
		v = judge_all(e, &w, a->step, elapsed, a->duration_ms, &worst, &worst_if);
		if (v == HEALTH_FAIL || !worst_if)
			break;	/* breached, or every judged interface is gone */
	}
	ui__flush();
	if (v == HEALTH_OK) {
		rollout__judged(e->ro);
		return save(e);
	}
	snprintf(e->ro->breach.gate, sizeof(e->ro->breach.gate), "%s",
		 worst.gate ? worst.gate : "none");
	snprintf(e->ro->breach.ifname, sizeof(e->ro->breach.ifname), "%s", worst_if ? worst_if : "");
	e->ro->breach.value = worst.value;
	e->ro->breach.threshold = worst.threshold;
	snprintf(e->breach_fields, sizeof(e->breach_fields),
		 "\"gate\":\"%s\",\"ifname\":\"%s\",\"value\":%.6g,\"threshold\":%.6g,\"elapsed_ms\":%" PRIu64,
		 worst.gate ? worst.gate : "none", worst_if ? worst_if : "", worst.value,
		 worst.threshold, elapsed);
	snprintf(e->ro->reason, sizeof(e->ro->reason), "step %d (analyze): %s%s%s on %s after %.1fs",
		 a->step + 1, v == HEALTH_INCONCLUSIVE ? "inconclusive: " : "gate breached: ",
		 worst.reason, "", worst_if ? worst_if : "(all lost)", elapsed / 1000.0);
	return v == HEALTH_FAIL ? -EBADE : -ENODATA;
}

/* Flips */

static void take_prewindows(struct engine *e, const struct ro_action *a)
{
	struct health_sample s0, s1;
	uint64_t ms = ROLLOUT_WAVE_INTERVAL_MS;
	int k;

	/* Only needed when this flip leaves no interface as the baseline. */
	if (rollout__count(e->ro, RT_PENDING) > a->n || !e->plan->gates.max_drop_ratio_delta)
		return;
	for (k = 0; k < a->n; k++)
		e->has_prewin[a->idx[k]] = !sample_target(e, a->idx[k], &e->prewin[a->idx[k]]);
	sleep_ms(ms);
	for (k = 0; k < a->n; k++) {
		int i = a->idx[k];

		s0 = e->prewin[i];
		if (e->has_prewin[i] && !sample_target(e, i, &s1))
			sample_sub(&e->prewin[i], &s1, &s0);
		else
			e->has_prewin[i] = false;
	}
}

static int flip_wave(struct engine *e, const struct ro_action *a)
{
	char fields[160];
	struct ro_target *rt;
	int k, i, err;

	take_prewindows(e, a);
	for (k = 0; k < a->n; k++)
		e->ro->t[a->idx[k]].state = RT_FLIPPING;
	err = save(e);
	if (err)
		return err;
	for (k = 0; k < a->n; k++) {
		i = a->idx[k];
		rt = &e->ro->t[i];
		fault__point("before-flip");
		if (check_lost(e, i))
			continue;
		err = fleet__flip(&e->f, i);
		if (err && check_lost(e, i))
			continue;
		if (err) {
			snprintf(e->ro->reason, sizeof(e->ro->reason),
				 "flip of %s failed: %s", rt->ifname, strerror(-err));
			return err;
		}
		fault__point("after-flip");
		rt->state = RT_FLIPPED;
		target_fields(e, i, fields, sizeof(fields));
		ui__event("flip", fields, "%s/%s: generation %" PRIu64 " live (bank %c, one write of slot 0)",
			  rt->ifname, hook_of(e), e->ro->id, 'A' + rt->new_bank);
	}
	return save(e);
}

/*
 * The generation stays loaded in its bank; note that it failed, so a
 * later `tailgate rollback` does not flip back onto it unasked.
 */
static void mark_rejected(struct engine *e, int i)
{
	const struct ro_target *rt = &e->ro->t[i];
	struct state_ap st;

	if (state__load_ap(rt->ifname, e->ro->hook, &st))
		return;
	st.bank[rt->new_bank].rejected = true;
	state__save_ap(rt->ifname, e->ro->hook, &st);
}

/* Every target this rollout flipped goes back, one write each. */
static int revert_all(struct engine *e)
{
	char fields[160];
	struct ro_target *rt;
	int i, err = 0;

	for (i = 0; i < e->ro->nr; i++) {
		rt = &e->ro->t[i];
		if (rt->state == RT_FLIPPING || rt->state == RT_FLIPPED || rt->state == RT_LIVE)
			rt->state = RT_REVERTING;
	}
	if (save(e))
		return TG_ERR_INCONSISTENT;
	for (i = 0; i < e->ro->nr; i++) {
		rt = &e->ro->t[i];
		if (rt->state != RT_REVERTING || check_lost(e, i))
			continue;
		fault__point("before-revert");
		if (fleet__rollback(&e->f, i)) {
			err = TG_ERR_INCONSISTENT;
			continue;
		}
		rt->state = RT_REVERTED;
		mark_rejected(e, i);
		target_fields(e, i, fields, sizeof(fields));
		ui__event("revert", fields, "%s/%s: back on the previous generation (one write of slot 0)",
			  rt->ifname, hook_of(e));
	}
	/*
	 * Targets never flipped hold the generation in their other bank
	 * too: without the mark, `tailgate rollback` there would put the
	 * failed generation into service.
	 */
	for (i = 0; i < e->ro->nr; i++)
		if (e->ro->t[i].state == RT_PENDING)
			mark_rejected(e, i);
	return save(e) ?: err;
}

/* Endings */

static int finish(struct engine *e, enum ro_status status)
{
	char fields[256];
	int err;

	e->ro->status = status;
	e->ro->ended = time(NULL);
	err = journal__finish(e->ro);
	if (err)
		pr_warn("cannot record the rollout in the history: %s\n", strerror(-err));
	snprintf(fields, sizeof(fields), "\"generation\":%" PRIu64 ",\"outcome\":\"%s\"", e->ro->id,
		 journal__status_name(status));
	ui__event("end", fields, "rollout of %s (generation %" PRIu64 ") %s%s%s", e->ro->plan_name,
		  e->ro->id, journal__status_name(status), e->ro->reason[0] ? ": " : "",
		  e->ro->reason);
	return err;
}

static int on_failure(struct engine *e)
{
	int err;

	ui__event("breach", e->breach_fields, "%s", e->ro->reason);
	if (e->plan->on_failure == PLAN_ON_FAILURE_PAUSE) {
		e->ro->status = RO_PAUSED;
		save(e);
		ui__event("paused", NULL, "rollout paused (on_failure: pause): nothing rolled back; 'tailgate promote' continues, 'tailgate abort' rolls back");
		return TG_ERR_ROLLED_BACK;
	}
	err = revert_all(e);
	finish(e, RO_ROLLED_BACK);
	return err ?: TG_ERR_ROLLED_BACK;
}

/* Name the interfaces lost on the way, and what to do about them. */
static void lost_reason(struct engine *e)
{
	size_t off = 0;
	int i;

	for (i = 0; i < e->ro->nr && off < sizeof(e->ro->reason); i++) {
		if (e->ro->t[i].state != RT_LOST)
			continue;
		off += snprintf(e->ro->reason + off, sizeof(e->ro->reason) - off, "%s%s",
				off ? ", " : "interfaces lost during the rollout: ",
				e->ro->t[i].ifname);
	}
	if (off && off < sizeof(e->ro->reason))
		snprintf(e->ro->reason + off, sizeof(e->ro->reason) - off,
			 "; run 'tailgate recover' to clean their pins");
}

static int run(struct engine *e)
{
	struct ro_action a;
	int err;

	for (;;) {
		rollout__next(e->ro, e->plan, &a);
		switch (a.kind) {
		case ACT_FLIP:
			err = flip_wave(e, &a);
			if (err && e->ro->reason[0])
				return on_failure(e);
			if (err)
				return TG_ERR_INCONSISTENT;	/* the journal failed */
			break;
		case ACT_ANALYZE:
			err = analyze(e, &a);
			if (err == -EBADE || err == -ENODATA)
				return on_failure(e);
			if (err)
				return TG_ERR_INCONSISTENT;
			break;
		case ACT_PAUSE:
			e->ro->status = RO_PAUSED;
			snprintf(e->ro->reason, sizeof(e->ro->reason), "paused: %s", a.why);
			if (save(e))
				return TG_ERR_INCONSISTENT;
			ui__event("paused", NULL, "rollout paused (%s): run 'tailgate promote' to continue or 'tailgate abort' to roll back",
				  a.why);
			return 0;
		case ACT_DONE:
			/* Flipped without a judgement asked for: live all the same. */
			rollout__judged(e->ro);
			e->ro->reason[0] = '\0';
			lost_reason(e);
			finish(e, RO_PROMOTED);
			/* Promoted where it could, but pins of lost ones remain. */
			return rollout__count(e->ro, RT_LOST) ? TG_ERR_INCONSISTENT : 0;
		}
	}
}

/* Starting, resuming, aborting */

static int init_rollout(struct engine *e)
{
	struct rollout *ro = e->ro;
	struct target *t;
	int i;

	memset(ro, 0, sizeof(*ro));
	ro->status = RO_RUNNING;
	ro->hook = e->plan->hook;
	ro->started = time(NULL);
	snprintf(ro->plan_name, sizeof(ro->plan_name), "%s", e->plan->name);
	if (!realpath(e->plan->path, ro->plan_path))
		snprintf(ro->plan_path, sizeof(ro->plan_path), "%s", e->plan->path);
	ro->nr = e->f.nr;
	for (i = 0; i < e->f.nr; i++) {
		t = &e->f.t[i];
		snprintf(ro->t[i].ifname, sizeof(ro->t[i].ifname), "%s", t->ap.ifname);
		ro->t[i].ifindex = t->ap.ifindex;
		ro->t[i].canary = t->canary;
		ro->t[i].prev_bank = t->prev_bank;
		ro->t[i].new_bank = t->gen.bank;
		ro->t[i].created = !t->existed;
		if (!ro->prev_gen && t->prev_bank >= 0)
			ro->prev_gen = t->st.bank[t->prev_bank].gen;
	}
	return 0;
}

/* No rollout may be in progress when a new one starts. */
static int check_idle(void)
{
	struct rollout *ro = calloc(1, sizeof(*ro));
	int err;

	if (!ro)
		return -ENOMEM;
	err = journal__load(ro);
	if (err == -ENOENT) {
		err = 0;
	} else if (!err && ro->status == RO_PAUSED) {
		pr_warn("rollout of %s (generation %" PRIu64 ") is paused; run 'tailgate promote' or 'tailgate abort' first\n",
			ro->plan_name, ro->id);
		err = -EBUSY;
	} else {
		pr_warn("a rollout of %s (generation %" PRIu64 ") was interrupted; run 'tailgate recover' first\n",
			err ? "?" : ro->plan_name, err ? 0 : ro->id);
		err = TG_ERR_INCONSISTENT;
	}
	free(ro);
	return err;
}

static int install(struct engine *e)
{
	int err;

	/* The journal exists before the first live write (attach, banks). */
	err = state__next_gen(&e->f.gen_id);
	if (err)
		return err;
	e->ro->id = e->f.gen_id;
	err = save(e);
	if (err)
		return err;
	fault__point("before-install");
	err = fleet__install(&e->f);
	if (err)
		return err;
	fault__point("after-install");
	ui__event("loaded", NULL, "generation %" PRIu64 " of %s loaded beside the live one on %d interface%s",
		  e->ro->id, e->plan->name, e->f.nr, e->f.nr == 1 ? "" : "s");
	return 0;
}

/*
 * Installing failed before any slot 0 was written: remove the dispatchers
 * this rollout attached (they served nothing yet) and close the journal.
 */
static int undo_install(struct engine *e, int err)
{
	struct target *t;
	int i;

	for (i = 0; i < e->f.nr; i++) {
		t = &e->f.t[i];
		if (t->existed || !t->ap.attached)
			continue;
		attach__detach(&t->ap);
		state__remove_ap(t->ap.ifname, t->ap.hook);
	}
	snprintf(e->ro->reason, sizeof(e->ro->reason),
		 "installing the generation failed (%s); no interface was flipped", strerror(-err));
	if (finish(e, RO_ABORTED)) {
		pr_warn("run 'tailgate recover' to clean up\n");
		return TG_ERR_INCONSISTENT;
	}
	return err;
}

static void engine_free(struct engine *e)
{
	if (!e)
		return;
	if (e->own_plan)
		plan__free(e->plan);
	fleet__free(&e->f);
	free(e->ro);
	free(e);
}

int engine__apply(struct plan *plan)
{
	struct engine *e = calloc(1, sizeof(*e));
	int err;

	if (!e || !(e->ro = calloc(1, sizeof(*e->ro)))) {
		free(e);
		return -ENOMEM;
	}
	e->plan = plan;
	ui__init(tg_opts.json);
	err = cli__need_kernel("apply");
	if (err) {
		pr_warn("preflight of %s failed: nothing changed\n", plan->path);
		err = TG_ERR_PREFLIGHT;
		goto out;
	}
	err = lock__acquire("apply") ?: check_idle();
	if (err)
		goto out;
	err = fleet__resolve(plan, &e->f) ?: fleet__preflight(&e->f);
	if (err) {
		pr_warn("preflight of %s failed: nothing changed\n", plan->path);
		err = TG_ERR_PREFLIGHT;
		goto out;
	}
	init_rollout(e);
	err = install(e);
	if (err) {
		err = undo_install(e, err);
		goto out;
	}
	err = run(e);
out:
	engine_free(e);
	return err;
}

/* Rebuild the targets of a journaled rollout from the pins. */
static int reopen_targets(struct engine *e)
{
	struct target *t;
	int i, err;

	e->f.t = calloc(PLAN_MAX_IFACES, sizeof(*e->f.t));
	if (!e->f.t)
		return -ENOMEM;
	e->f.plan = e->plan;
	e->f.gen_id = e->ro->id;
	e->f.nr = e->ro->nr;
	for (i = 0; i < e->ro->nr; i++) {
		t = &e->f.t[i];
		err = attach__open(&t->ap, e->ro->t[i].ifname, e->ro->hook);
		if (err && e->ro->t[i].state != RT_LOST) {
			e->ro->t[i].state = RT_LOST;
			ui__event("lost", NULL, "%s/%s: %s; it is skipped", e->ro->t[i].ifname,
				  hook_of(e), strerror(-err));
		}
		t->prev_bank = e->ro->t[i].prev_bank;
		t->gen.bank = e->ro->t[i].new_bank;
		t->canary = e->ro->t[i].canary;
	}
	return 0;
}

static int resume(const char *verb, struct engine **out)
{
	struct engine *e = calloc(1, sizeof(*e));
	int err;

	*out = e;
	if (!e || !(e->ro = calloc(1, sizeof(*e->ro))))
		return -ENOMEM;
	ui__init(tg_opts.json);
	err = cli__need_kernel(verb) ?: lock__acquire(verb);
	if (err)
		return err;
	err = journal__load(e->ro);
	if (err == -ENOENT) {
		pr_warn("%s: no rollout is paused\n", verb);
		return -ENOENT;
	}
	if (!err && e->ro->status != RO_PAUSED) {
		pr_warn("%s: the rollout of %s was interrupted, not paused; run 'tailgate recover'\n",
			verb, e->ro->plan_name);
		return TG_ERR_INCONSISTENT;
	}
	if (err)
		return TG_ERR_INCONSISTENT;
	return reopen_targets(e);
}

int engine__promote(void)
{
	struct engine *e;
	int err;

	err = resume("promote", &e);
	if (!err) {
		/* The plan's steps and gates, as the rollout started with them. */
		e->plan = cli__load_plan(e->ro->plan_path);
		e->own_plan = true;
		if (!e->plan)
			err = TG_ERR_USAGE;
	}
	if (!err) {
		e->ro->status = RO_RUNNING;
		e->ro->reason[0] = '\0';
		ui__event("resume", NULL, "resuming the rollout of %s (generation %" PRIu64 ") at step %d",
			  e->ro->plan_name, e->ro->id, e->ro->step + 1);
		err = save(e) ?: run(e);
	}
	engine_free(e);
	return err;
}

int engine__abort(void)
{
	struct engine *e;
	int err;

	err = resume("abort", &e);
	if (!err) {
		snprintf(e->ro->reason, sizeof(e->ro->reason), "aborted by the operator");
		err = revert_all(e);
		finish(e, RO_ABORTED);
	}
	engine_free(e);
	return err;
}
