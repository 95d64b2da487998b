// SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause)
/*
 * The rollout step state machine, driven the way engine.c drives it:
 * a flip moves its targets PENDING -> FLIPPED (or LOST when the interface
 * vanished), a passed analysis calls rollout__judged(), a pause sets the
 * status and returns, `promote` sets RUNNING and calls rollout__next()
 * again. Every action is recorded in a trace and whole traces are compared,
 * so a missing, repeated or reordered action fails the test.
 *
 * Trace syntax, one token per action, separated by spaces:
 *   S:flip[i,j]        ACT_FLIP of step S
 *   S:analyze(D/I)[i]  ACT_ANALYZE of step S, duration/interval in ms, and
 *                      the targets it judges (the FLIPPED ones) ; a '!'
 *                      suffix means the analysis failed
 *   S:pause            ACT_PAUSE (S = -1: the steps ran out)
 *   done               ACT_DONE
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>

#include "journal.h"
#include "plan.h"
#include "rollout.h"

#define MAX_ACTIONS 200

/* cmocka's assert_in_range is unsigned; steps and indices may be -1. */
#define assert_between(v, lo, hi) assert_true((v) >= (lo) && (v) <= (hi))

struct sim {
	const char *verdicts;	/* one per analysis: 'p' passes, 'f' fails */
	int used;		/* verdicts consumed */
	int lose[8];		/* targets whose interface vanishes at their flip */
	int nr_lose;
	char trace[4096];
	char last_why[128];	/* reason of the last ACT_PAUSE */
};

enum drive_end {
	END_DONE,
	END_PAUSED,	/* a pause step, or the steps ran out */
	END_FAILED,	/* an analysis failed: the engine rolls back (or pauses) */
};

struct fixture {
	struct plan *plan;
	struct rollout *ro;
	struct sim sim;
};

/* Plans */

/*
 * @steps: "canary; analyze 10000 1000; promote 2 5000; pause"
 * (analyze DURATION INTERVAL, promote BATCH ANALYZE, all in ms).
 */
static struct plan *mkplan(int nr_canary, int nr_fleet, const char *steps)
{
	struct plan *p = calloc(1, sizeof(*p));
	char buf[512], *tok, *save = NULL;
	struct plan_step *s;
	unsigned long long x, y;
	int i;

	assert_non_null(p);
	snprintf(p->name, sizeof(p->name), "test");
	p->nr_canary = nr_canary;
	for (i = 0; i < nr_canary; i++)
		snprintf(p->canary[i], IF_NAMESIZE, "c%d", i);
	p->nr_fleet = nr_fleet;
	for (i = 0; i < nr_fleet; i++)
		snprintf(p->fleet[i], IF_NAMESIZE, "f%d", i);
	snprintf(buf, sizeof(buf), "%s", steps);
	for (tok = strtok_r(buf, ";", &save); tok; tok = strtok_r(NULL, ";", &save)) {
		while (*tok == ' ')
			tok++;
		assert_true(p->nr_steps < PLAN_MAX_STEPS);
		s = &p->steps[p->nr_steps++];
		if (!strcmp(tok, "canary")) {
			s->kind = PLAN_STEP_CANARY;
		} else if (!strcmp(tok, "pause")) {
			s->kind = PLAN_STEP_PAUSE;
		} else if (sscanf(tok, "analyze %llu %llu", &x, &y) == 2) {
			s->kind = PLAN_STEP_ANALYZE;
			s->duration_ms = x;
			s->interval_ms = y;
		} else if (sscanf(tok, "promote %llu %llu", &x, &y) == 2) {
			s->kind = PLAN_STEP_PROMOTE;
			s->batch = x;
			s->analyze_ms = y;
		} else {
			fail_msg("bad step in test plan: '%s'", tok);
		}
	}
	return p;
}

/* The targets as engine.c's init_rollout() lays them out: canaries first. */
static struct rollout *mkrollout(const struct plan *p)
{
	struct rollout *ro = calloc(1, sizeof(*ro));
	int i;

	assert_non_null(ro);
	ro->id = 7;
	ro->status = RO_RUNNING;
	for (i = 0; i < p->nr_canary; i++) {
		snprintf(ro->t[ro->nr].ifname, IF_NAMESIZE, "%s", p->canary[i]);
		ro->t[ro->nr].canary = true;
		ro->t[ro->nr].ifindex = 100 + ro->nr;
		ro->nr++;
	}
	for (i = 0; i < p->nr_fleet; i++) {
		snprintf(ro->t[ro->nr].ifname, IF_NAMESIZE, "%s", p->fleet[i]);
		ro->t[ro->nr].ifindex = 100 + ro->nr;
		ro->nr++;
	}
	return ro;
}

static int setup(void **state)
{
	struct fixture *fx = calloc(1, sizeof(*fx));

	if (!fx)
		return -1;
	*state = fx;
	return 0;
}

static int teardown(void **state)
{
	struct fixture *fx = *state;

	free(fx->plan);
	free(fx->ro);
	free(fx);
	return 0;
}

static void use(struct fixture *fx, int nr_canary, int nr_fleet, const char *steps,
		const char *verdicts)
{
	fx->plan = mkplan(nr_canary, nr_fleet, steps);
	fx->ro = mkrollout(fx->plan);
	memset(&fx->sim, 0, sizeof(fx->sim));
	fx->sim.verdicts = verdicts;
}

/* The engine simulation */

static void emit(struct sim *sim, const char *fmt, ...)
{
	size_t off = strlen(sim->trace);
	va_list ap;

	if (off)
		sim->trace[off++] = ' ';
	va_start(ap, fmt);
	vsnprintf(sim->trace + off, sizeof(sim->trace) - off, fmt, ap);
	va_end(ap);
}

static void idx_list(char *buf, size_t len, const int *idx, int n)
{
	size_t off = 0;
	int k;

	buf[0] = '\0';
	for (k = 0; k < n && off < len; k++)
		off += snprintf(buf + off, len - off, "%s%d", k ? "," : "", idx[k]);
}

static bool lost_at_flip(const struct sim *sim, int i)
{
	int k;

	for (k = 0; k < sim->nr_lose; k++)
		if (sim->lose[k] == i)
			return true;
	return false;
}

/* flip_wave(): only PENDING targets, each once, in order. */
static void do_flip(struct rollout *ro, struct sim *sim, const struct ro_action *a)
{
	char list[1024];
	int k, i;

	assert_true(a->n > 0);
	for (k = 0; k < a->n; k++) {
		i = a->idx[k];
		assert_between(i, 0, ro->nr - 1);
		if (k)
			assert_true(i > a->idx[k - 1]);
		if (ro->t[i].state != RT_PENDING)
			fail_msg("step %d flips target %d (%s) in state %d", a->step, i,
				 ro->t[i].ifname, (int)ro->t[i].state);
		ro->t[i].state = lost_at_flip(sim, i) ? RT_LOST : RT_FLIPPED;
	}
	idx_list(list, sizeof(list), a->idx, a->n);
	emit(sim, "%d:flip[%s]", a->step, list);
}

/*
 * analyze(): judges the FLIPPED targets; with none the engine's verdict
 * is "inconclusive: no interface left to judge", which fails the rollout.
 */
static bool do_analyze(struct rollout *ro, struct sim *sim, const struct ro_action *a)
{
	int judged[PLAN_MAX_IFACES], n = 0, i;
	char list[1024];
	bool pass;

	for (i = 0; i < ro->nr; i++)
		if (rollout__judges(ro, a, i))
			judged[n++] = i;
	idx_list(list, sizeof(list), judged, n);
	if (!n) {
		pass = false;
	} else {
		if (!sim->verdicts || !sim->verdicts[sim->used])
			fail_msg("analysis %d of step %d has no scripted verdict (trace: %s)",
				 sim->used + 1, a->step, sim->trace);
		pass = sim->verdicts[sim->used++] == 'p';
	}
	emit(sim, "%d:analyze(%llu/%llu)[%s]%s", a->step, (unsigned long long)a->duration_ms,
	     (unsigned long long)a->interval_ms, list, pass ? "" : "!");
	if (pass)
		rollout__judged(ro);
	return pass;
}

/* engine.c's run(). */
static enum drive_end drive(struct rollout *ro, const struct plan *plan, struct sim *sim)
{
	struct ro_action a;
	int n;

	assert_int_equal(ro->status, RO_RUNNING);
	for (n = 0; n < MAX_ACTIONS; n++) {
		memset(&a, 0x5a, sizeof(a));	/* rollout__next must fill it */
		rollout__next(ro, plan, &a);
		switch (a.kind) {
		case ACT_FLIP:
			assert_between(a.step, -1, plan->nr_steps - 1);
			do_flip(ro, sim, &a);
			break;
		case ACT_ANALYZE:
			assert_between(a.step, 0, plan->nr_steps - 1);
			assert_true(a.duration_ms > 0);
			assert_true(a.interval_ms > 0 && a.interval_ms <= a.duration_ms);
			if (do_analyze(ro, sim, &a))
				break;
			if (plan->on_failure == PLAN_ON_FAILURE_PAUSE)
				ro->status = RO_PAUSED;
			return END_FAILED;
		case ACT_PAUSE:
			assert_between(a.step, -1, plan->nr_steps - 1);
			assert_non_null(a.why);
			assert_true(a.why[0]);
			snprintf(sim->last_why, sizeof(sim->last_why), "%s", a.why);
			emit(sim, "%d:pause", a.step);
			ro->status = RO_PAUSED;
			return END_PAUSED;
		case ACT_DONE:
			assert_int_equal(a.step, -1);
			emit(sim, "done");
			ro->status = RO_PROMOTED;
			return END_DONE;
		default:
			fail_msg("rollout__next returned action kind %d", (int)a.kind);
		}
	}
	fail_msg("no end after %d actions: %s", MAX_ACTIONS, sim->trace);
	return END_FAILED;
}

/* `tailgate promote` (engine__promote): the trace restarts for clarity. */
static enum drive_end resume(struct fixture *fx)
{
	assert_int_equal(fx->ro->status, RO_PAUSED);
	fx->ro->status = RO_RUNNING;
	fx->sim.trace[0] = '\0';
	return drive(fx->ro, fx->plan, &fx->sim);
}

static enum drive_end run(struct fixture *fx)
{
	return drive(fx->ro, fx->plan, &fx->sim);
}

/* "LPFF..": one letter per target state, for whole-fleet assertions. */
static const char *states(const struct rollout *ro)
{
	static char buf[PLAN_MAX_IFACES + 1];
	static const char letter[] = {
		[RT_PENDING] = 'P', [RT_FLIPPING] = 'f', [RT_FLIPPED] = 'F', [RT_LIVE] = 'L',
		[RT_REVERTING] = 'r', [RT_REVERTED] = 'R', [RT_LOST] = 'X',
	};
	int i;

	for (i = 0; i < ro->nr; i++)
		buf[i] = letter[ro->t[i].state];
	buf[i] = '\0';
	return buf;
}

/* engine.c's revert_all(), minus the kernel: what a rollback touches. */
static void revert_all(struct rollout *ro)
{
	int i;

	for (i = 0; i < ro->nr; i++)
		if (ro->t[i].state == RT_FLIPPING || ro->t[i].state == RT_FLIPPED ||
		    ro->t[i].state == RT_LIVE)
			ro->t[i].state = RT_REVERTED;
}

/* Tests */

static void test_count(void **state)
{
	struct fixture *fx = *state;

	use(fx, 1, 3, "canary", NULL);
	assert_int_equal(rollout__count(fx->ro, RT_PENDING), 4);
	assert_int_equal(rollout__count(fx->ro, RT_FLIPPED), 0);
	fx->ro->t[1].state = RT_FLIPPED;
	fx->ro->t[3].state = RT_FLIPPED;
	fx->ro->t[2].state = RT_LOST;
	assert_int_equal(rollout__count(fx->ro, RT_PENDING), 1);
	assert_int_equal(rollout__count(fx->ro, RT_FLIPPED), 2);
	assert_int_equal(rollout__count(fx->ro, RT_LOST), 1);
}

/* judged: FLIPPED -> LIVE and nothing else moves. */
static void test_judged(void **state)
{
	struct fixture *fx = *state;
	int s;

	use(fx, 0, RT_LOST + 1, "canary", NULL);
	for (s = RT_PENDING; s <= RT_LOST; s++)
		fx->ro->t[s].state = s;
	rollout__judged(fx->ro);
	assert_string_equal(states(fx->ro), "PfLLrRX");
}

static void test_canary_only(void **state)
{
	struct fixture *fx = *state;

	use(fx, 1, 0, "canary", NULL);
	assert_int_equal(run(fx), END_DONE);
	assert_string_equal(fx->sim.trace, "0:flip[0] done");
	assert_string_equal(states(fx->ro), "F");
}

static void test_two_canaries_analyzed(void **state)
{
	struct fixture *fx = *state;

	use(fx, 2, 0, "canary; analyze 10000 1000", "p");
	assert_int_equal(run(fx), END_DONE);
	assert_string_equal(fx->sim.trace, "0:flip[0,1] 1:analyze(10000/1000)[0,1] done");
	assert_string_equal(states(fx->ro), "LL");
}

/* The DESIGN.md plan over 1 canary + 5 fleet. */
static void test_canary_analyze_promote(void **state)
{
	struct fixture *fx = *state;

	use(fx, 1, 5, "canary; analyze 10000 1000; promote 2 5000", "pppp");
	assert_int_equal(run(fx), END_DONE);
	assert_string_equal(fx->sim.trace,
			    "0:flip[0] 1:analyze(10000/1000)[0] "
			    "2:flip[1,2] 2:analyze(5000/1000)[1,2] "
			    "2:flip[3,4] 2:analyze(5000/1000)[3,4] "
			    "2:flip[5] 2:analyze(5000/1000)[5] done");
	assert_int_equal(fx->sim.used, 4);
	assert_string_equal(states(fx->ro), "LLLLLL");
}

/* analyze: 0 flips the waves back to back, never judging them. */
static void test_promote_without_analysis(void **state)
{
	struct fixture *fx = *state;

	use(fx, 1, 5, "canary; analyze 10000 1000; promote 2 0", "p");
	assert_int_equal(run(fx), END_DONE);
	assert_string_equal(fx->sim.trace, "0:flip[0] 1:analyze(10000/1000)[0] "
					   "2:flip[1,2] 2:flip[3,4] 2:flip[5] done");
	assert_int_equal(fx->sim.used, 1);
	assert_int_equal(rollout__count(fx->ro, RT_PENDING), 0);
	assert_int_equal(fx->ro->t[0].state, RT_LIVE);
}

/* Without an analyze step, the first wave's analysis judges the canary too. */
static void test_unjudged_canary_judged_with_first_wave(void **state)
{
	struct fixture *fx = *state;

	use(fx, 1, 3, "canary; promote 2 3000", "pp");
	assert_int_equal(run(fx), END_DONE);
	assert_string_equal(fx->sim.trace, "0:flip[0] 1:flip[1,2] 1:analyze(3000/1000)[0,1,2] "
					   "1:flip[3] 1:analyze(3000/1000)[3] done");
}

static void test_batch_of_one_and_oversized(void **state)
{
	struct fixture *fx = *state;

	use(fx, 0, 3, "promote 1 2000", "ppp");
	assert_int_equal(run(fx), END_DONE);
	assert_string_equal(fx->sim.trace, "0:flip[0] 0:analyze(2000/1000)[0] "
					   "0:flip[1] 0:analyze(2000/1000)[1] "
					   "0:flip[2] 0:analyze(2000/1000)[2] done");
	free(fx->plan);
	free(fx->ro);

	use(fx, 1, 3, "canary; promote 64 2000", "p");
	assert_int_equal(run(fx), END_DONE);
	assert_string_equal(fx->sim.trace,
			    "0:flip[0] 1:flip[1,2,3] 1:analyze(2000/1000)[0,1,2,3] done");
}

/* A wave's analysis interval never exceeds its duration; nor does a step's. */
static void test_interval_clamped(void **state)
{
	struct fixture *fx = *state;

	use(fx, 1, 1, "canary; analyze 400 1000; promote 1 300", "pp");
	assert_int_equal(run(fx), END_DONE);
	assert_string_equal(fx->sim.trace, "0:flip[0] 1:analyze(400/400)[0] "
					   "2:flip[1] 2:analyze(300/300)[1] done");
}

/* promote takes the whole rest: a second promote step has nothing to do. */
static void test_second_promote_empty(void **state)
{
	struct fixture *fx = *state;

	use(fx, 1, 3, "canary; promote 2 0; promote 1 1000", NULL);
	assert_int_equal(run(fx), END_DONE);
	assert_string_equal(fx->sim.trace, "0:flip[0] 1:flip[1,2] 1:flip[3] done");
}

/*
 * No canaries in `interfaces`: the canary step flips nothing and is skipped.
 * plan.c refuses such a plan; the machine must cope all the same (a canary
 * lost before the rollout began leaves it in the same place).
 */
static void test_no_canaries(void **state)
{
	struct fixture *fx = *state;

	use(fx, 0, 3, "canary; promote 2 5000", "pp");
	assert_int_equal(run(fx), END_DONE);
	assert_string_equal(fx->sim.trace, "1:flip[0,1] 1:analyze(5000/1000)[0,1] "
					   "1:flip[2] 1:analyze(5000/1000)[2] done");
	assert_string_equal(states(fx->ro), "LLL");
}

/* Canaries need not come first in the target list: the canary flag decides. */
static void test_canary_flag_not_position(void **state)
{
	struct fixture *fx = *state;

	use(fx, 0, 4, "canary; analyze 1000 1000; promote 8 0", "p");
	fx->ro->t[2].canary = true;
	assert_int_equal(run(fx), END_DONE);
	assert_string_equal(fx->sim.trace,
			    "0:flip[2] 1:analyze(1000/1000)[2] 2:flip[0,1,3] done");
}

static void test_pause_then_resume(void **state)
{
	struct fixture *fx = *state;

	use(fx, 1, 5, "canary; analyze 10000 1000; pause; promote 2 0", "p");
	assert_int_equal(run(fx), END_PAUSED);
	assert_string_equal(fx->sim.trace, "0:flip[0] 1:analyze(10000/1000)[0] 2:pause");
	assert_int_equal(fx->ro->status, RO_PAUSED);
	assert_string_equal(states(fx->ro), "LPPPPP");
	/* `promote`: on with step 3, the pause is not repeated */
	assert_int_equal(resume(fx), END_DONE);
	assert_string_equal(fx->sim.trace, "3:flip[1,2] 3:flip[3,4] 3:flip[5] done");
}

static void test_pause_first_and_twice(void **state)
{
	struct fixture *fx = *state;

	use(fx, 1, 2, "pause; canary; pause; pause; promote 5 0", NULL);
	assert_int_equal(run(fx), END_PAUSED);
	assert_string_equal(fx->sim.trace, "0:pause");
	assert_string_equal(states(fx->ro), "PPP");
	assert_int_equal(resume(fx), END_PAUSED);
	assert_string_equal(fx->sim.trace, "1:flip[0] 2:pause");
	assert_int_equal(resume(fx), END_PAUSED);
	assert_string_equal(fx->sim.trace, "3:pause");
	assert_int_equal(resume(fx), END_DONE);
	assert_string_equal(fx->sim.trace, "4:flip[1,2] done");
}

/* The steps end with interfaces left: pause, then `promote` flips the rest. */
static void test_steps_end_with_pending(void **state)
{
	struct fixture *fx = *state;

	use(fx, 1, 3, "canary; analyze 10000 1000", "p");
	assert_int_equal(run(fx), END_PAUSED);
	assert_string_equal(fx->sim.trace, "0:flip[0] 1:analyze(10000/1000)[0] -1:pause");
	assert_non_null(strstr(fx->sim.last_why, "ended"));
	assert_string_equal(states(fx->ro), "LPPP");
	assert_int_equal(resume(fx), END_DONE);
	assert_string_equal(fx->sim.trace, "-1:flip[1,2,3] done");
	assert_int_equal(rollout__count(fx->ro, RT_PENDING), 0);
}

/* Asked again after the end, the machine stays done and changes nothing. */
static void test_done_is_stable(void **state)
{
	struct fixture *fx = *state;
	struct ro_action a;
	int step, wave;

	use(fx, 1, 2, "canary; promote 1 0", NULL);
	assert_int_equal(run(fx), END_DONE);
	step = fx->ro->step;
	wave = fx->ro->wave;
	rollout__next(fx->ro, fx->plan, &a);
	assert_int_equal(a.kind, ACT_DONE);
	rollout__next(fx->ro, fx->plan, &a);
	assert_int_equal(a.kind, ACT_DONE);
	assert_int_equal(fx->ro->step, step);
	assert_int_equal(fx->ro->wave, wave);
}

/* LOST before the rollout reached them: never flipped, never judged. */
static void test_lost_never_flipped(void **state)
{
	struct fixture *fx = *state;

	use(fx, 1, 4, "canary; promote 2 1000", "pp");
	fx->ro->t[2].state = RT_LOST;
	assert_int_equal(run(fx), END_DONE);
	assert_string_equal(fx->sim.trace, "0:flip[0] 1:flip[1,3] 1:analyze(1000/1000)[0,1,3] "
					   "1:flip[4] 1:analyze(1000/1000)[4] done");
	assert_string_equal(states(fx->ro), "LLXLL");
}

/* Lost during its flip: left out of the analysis, not flipped again. */
static void test_lost_during_flip(void **state)
{
	struct fixture *fx = *state;

	use(fx, 1, 4, "canary; analyze 1000 1000; promote 2 1000", "ppp");
	fx->sim.lose[fx->sim.nr_lose++] = 2;
	assert_int_equal(run(fx), END_DONE);
	assert_string_equal(fx->sim.trace, "0:flip[0] 1:analyze(1000/1000)[0] "
					   "2:flip[1,2] 2:analyze(1000/1000)[1] "
					   "2:flip[3,4] 2:analyze(1000/1000)[3,4] done");
	assert_string_equal(states(fx->ro), "LLXLL");
}

/* A lost canary is never healthy: its analysis has nothing to judge and fails. */
static void test_lost_canary_fails(void **state)
{
	struct fixture *fx = *state;

	use(fx, 1, 3, "canary; analyze 1000 1000; promote 2 0", NULL);
	fx->sim.lose[fx->sim.nr_lose++] = 0;
	assert_int_equal(run(fx), END_FAILED);
	assert_string_equal(fx->sim.trace, "0:flip[0] 1:analyze(1000/1000)[]!");
	assert_string_equal(states(fx->ro), "XPPP");
}

/* The canary's analysis fails: only the canary is FLIPPED, the rest untouched. */
static void test_canary_analysis_fails(void **state)
{
	struct fixture *fx = *state;

	use(fx, 1, 5, "canary; analyze 10000 1000; promote 2 5000", "f");
	assert_int_equal(run(fx), END_FAILED);
	assert_string_equal(fx->sim.trace, "0:flip[0] 1:analyze(10000/1000)[0]!");
	assert_string_equal(states(fx->ro), "FPPPPP");
	revert_all(fx->ro);
	assert_string_equal(states(fx->ro), "RPPPPP");
}

/* A wave fails: that wave is FLIPPED, the judged canary LIVE, the rest PENDING. */
static void test_wave_analysis_fails(void **state)
{
	struct fixture *fx = *state;

	use(fx, 1, 5, "canary; analyze 10000 1000; promote 2 5000", "pf");
	assert_int_equal(run(fx), END_FAILED);
	assert_string_equal(fx->sim.trace, "0:flip[0] 1:analyze(10000/1000)[0] "
					   "2:flip[1,2] 2:analyze(5000/1000)[1,2]!");
	assert_string_equal(states(fx->ro), "LFFPPP");
	/* the rollback reverts everything this rollout flipped, nothing else */
	revert_all(fx->ro);
	assert_string_equal(states(fx->ro), "RRRPPP");
}

static void test_last_wave_fails(void **state)
{
	struct fixture *fx = *state;

	use(fx, 1, 5, "canary; analyze 10000 1000; promote 2 5000", "pppf");
	assert_int_equal(run(fx), END_FAILED);
	assert_string_equal(states(fx->ro), "LLLLLF");
}

/*
 * on_failure: pause. `promote` goes on with the next wave; the failed
 * wave, still FLIPPED, is judged again with it.
 */
static void test_failure_paused_then_promoted(void **state)
{
	struct fixture *fx = *state;

	use(fx, 1, 5, "canary; analyze 10000 1000; promote 2 5000", "pfpp");
	fx->plan->on_failure = PLAN_ON_FAILURE_PAUSE;
	assert_int_equal(run(fx), END_FAILED);
	assert_int_equal(fx->ro->status, RO_PAUSED);
	assert_string_equal(states(fx->ro), "LFFPPP");
	assert_int_equal(resume(fx), END_DONE);
	assert_string_equal(fx->sim.trace, "2:flip[3,4] 2:analyze(5000/1000)[1,2,3,4] "
					   "2:flip[5] 2:analyze(5000/1000)[5] done");
	assert_string_equal(states(fx->ro), "LLLLLL");
}

/*
 * A soak after a pause: canary, analyze, pause (an operator looks), analyze
 * again, promote. Every interface healthy must end promoted; the second
 * analysis must judge the canary, not fail for having nothing to judge.
 * (plan.c accepts this plan. engine.c judges only FLIPPED targets, and the
 * canary is LIVE since the first analysis: when the engine learns to judge
 * LIVE targets in an analyze step, do_analyze() above follows it.)
 */
static void test_analyze_after_pause(void **state)
{
	struct fixture *fx = *state;
	enum drive_end end;

	use(fx, 1, 2, "canary; analyze 1000 1000; pause; analyze 3000 1000; promote 2 0",
	    "pp");
	assert_int_equal(run(fx), END_PAUSED);
	assert_string_equal(fx->sim.trace, "0:flip[0] 1:analyze(1000/1000)[0] 2:pause");
	end = resume(fx);
	assert_string_equal(fx->sim.trace, "3:analyze(3000/1000)[0] 4:flip[1,2] done");
	assert_int_equal(end, END_DONE);
}

/* The machine's own bookkeeping survives in ro (as the journal keeps it). */
static void test_resume_from_copy(void **state)
{
	struct fixture *fx = *state;
	struct rollout *copy;

	use(fx, 1, 5, "canary; pause; promote 2 1000", "ppp");
	assert_int_equal(run(fx), END_PAUSED);
	/* a fresh process: only what struct rollout holds carries over */
	copy = malloc(sizeof(*copy));
	assert_non_null(copy);
	memcpy(copy, fx->ro, sizeof(*copy));
	free(fx->ro);
	fx->ro = copy;
	assert_int_equal(resume(fx), END_DONE);
	assert_string_equal(fx->sim.trace, "2:flip[1,2] 2:analyze(1000/1000)[0,1,2] "
					   "2:flip[3,4] 2:analyze(1000/1000)[3,4] "
					   "2:flip[5] 2:analyze(1000/1000)[5] done");
}

#define T(f) cmocka_unit_test_setup_teardown(f, setup, teardown)

int main(void)
{
	const struct CMUnitTest tests[] = {
		T(test_count),
		T(test_judged),
		T(test_canary_only),
		T(test_two_canaries_analyzed),
		T(test_canary_analyze_promote),
		T(test_promote_without_analysis),
		T(test_unjudged_canary_judged_with_first_wave),
		T(test_batch_of_one_and_oversized),
		T(test_interval_clamped),
		T(test_second_promote_empty),
		T(test_no_canaries),
		T(test_canary_flag_not_position),
		T(test_pause_then_resume),
		T(test_pause_first_and_twice),
		T(test_steps_end_with_pending),
		T(test_done_is_stable),
		T(test_lost_never_flipped),
		T(test_lost_during_flip),
		T(test_lost_canary_fails),
		T(test_canary_analysis_fails),
		T(test_wave_analysis_fails),
		T(test_last_wave_fails),
		T(test_failure_paused_then_promoted),
		T(test_analyze_after_pause),
		T(test_resume_from_copy),
	};

	return cmocka_run_group_tests_name("rollout", tests, NULL, NULL);
}
