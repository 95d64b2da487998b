// SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause)
/*
 * BPF_PROG_TEST_RUN tables of the wrapper every stage gets at load
 * (orchestrator/compose.c), XDP and tc: every return code a stage can give
 * x continue_on x enforce/shadow x last stage or not, chained and fused.
 * Each row enters through the real dispatcher of an attach point made by
 * ap__prepare_mem(), into a generation loaded by gen__load(), installed by
 * gen__install() and made live by ap__flip(), and checks the verdict and
 * all nine counters of every slot the packet could touch against a model
 * of the contract (DESIGN.md, tailgate_abi.h), written here from the
 * contract and not from compose.c:
 *
 *   every stage that runs counts packets, bytes and the class of what it
 *   returned; a verdict in continue_on (any verdict, in shadow) goes on:
 *   "continued" on that stage, the next stage runs; past the last stage
 *   it is the chain's pass (a pass keeps the stage's own code); anything
 *   else leaves with the stage's own return code. A hand-over that finds
 *   the next slot empty is a tail miss: the fallback verdict (pass, or
 *   drop when fail-closed), "continued" not counted.
 *
 * The stages are verdicts.bpf.c's: stage K returns byte K of the UDP
 * payload, so one loaded chain runs every verdict at every position.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <cmocka.h>
#include <linux/pkt_cls.h>
#include <bpf/bpf.h>

#include "bpf_fixture.h"
#include "bpf_model.h"
#include "compose.h"
#include "counters.h"
#include "slots.h"

#define R		2	/* test_run repeats per row: counters must scale */

/* Running rows */

static const char *verdicts_prog(const struct tm_hook *h, int k)
{
	static char buf[4][16];
	static int next;
	char *p = buf[next++ % 4];

	snprintf(p, sizeof(buf[0]), "%s_v%d", h->xdp ? "xdp" : "tc", k);
	return p;
}

static void add_verdict_stage(struct tm_case *t, int k, const struct tm_stage *m)
{
	char name[16];
	struct plan_stage *ps;

	snprintf(name, sizeof(name), "v%d", k);
	ps = fx__stage(&t->fx, name, fx__tbpf("verdicts"), verdicts_prog(t->h, k));
	if (m->continue_on != TG_VERDICT_BIT(TG_PASS))
		fx__continue_on(ps, m->continue_on);
	ps->mode = m->shadow ? PLAN_MODE_SHADOW : PLAN_MODE_ENFORCE;
}

/*
 * One row: @codes through the live generation, whose stages sit from
 * @base on; the verdict and every stage slot against the model, slot 0
 * and the other stage slots of both banks untouched.
 */
static void row(struct tm_case *t, __u32 base, const struct tm_stage *m, int n, const int *codes,
		int missing, bool fail_closed, const char *what)
{
	struct tg_stats d[TG_NR_SLOTS];
	__u8 pkt[128];
	size_t len = fx__verdict_pkt(pkt, sizeof(pkt), codes, n);
	struct tm_run want;
	__u32 ret;

	tm__run(t->h, m, n, codes, missing, fail_closed, R, len, &want);
	ret = fx__run_deltas(&t->fx, pkt, len, R, d);
	tm__check(&t->fx, t->h, base, n, codes, &want, ret, d, what);
}

/* Every code of the hook at stage @at, the stages before it passing. */
static void rows_at(struct tm_case *t, __u32 base, const struct tm_stage *m, int n, int at,
		    const char *what)
{
	int codes[TG_MAX_STAGES], i, tail;
	size_t c;

	for (c = 0; c < t->h->nr_codes; c++) {
		/* after it: a pass, then (when there is a next stage) a drop,
		 * so what reaches the next stage is visible in the verdict */
		for (tail = 0; tail < (at + 1 < n ? 2 : 1); tail++) {
			for (i = 0; i < n; i++)
				codes[i] = i < at ? t->h->pass : tail ? t->h->drop : t->h->pass;
			codes[at] = t->h->codes[c].code;
			row(t, base, m, n, codes, -1, false, what);
		}
	}
}

/* Cases 1: the matrix, through gen__load() */

struct matrix {
	const struct tm_hook *h;
	enum plan_datapath dp;
	__u32 continue_on;
	const char *cont_name;
	bool shadow;
	char name[96];
};

/*
 * The stage under test alone (last) in bank A; in bank B followed by a
 * default stage (not last). Both installed, flipped between.
 */
static void matrix_case(struct tm_case *t, const struct matrix *mx)
{
	struct tm_stage m[2] = { { mx->continue_on, mx->shadow }, { TG_VERDICT_BIT(TG_PASS), false } };
	const char *name = mx->name + strlen(mx->h->name) + 2;	/* without "xdp: " */
	char what[128];

	fx__plan(&t->fx);
	add_verdict_stage(t, 0, &m[0]);
	fx__load(&t->fx, 0, mx->dp);
	fx__install(&t->fx, 0);
	fx__plan(&t->fx);
	add_verdict_stage(t, 0, &m[0]);
	add_verdict_stage(t, 1, &m[1]);
	fx__load(&t->fx, 1, mx->dp);
	fx__install(&t->fx, 1);
	assert_int_equal(t->fx.gl[1].shape, mx->dp == PLAN_DP_FUSED ? GEN_FUSED : GEN_CHAINED);

	snprintf(what, sizeof(what), "%s, last stage", name);
	fx__flip(&t->fx, 0);
	rows_at(t, TG_BANK_BASE(0), m, 1, 0, what);
	snprintf(what, sizeof(what), "%s, then a default stage", name);
	fx__flip(&t->fx, 1);
	rows_at(t, TG_BANK_BASE(1), m, 2, 0, what);
	fx__expect_slot(&t->fx, TG_SLOT_ENTRY, ST(0), "the dispatcher counts only its own misses");
	fx__expect_identity(&t->fx);
}

/* Cases 2: what a plan cannot say, through compose.c directly */

/*
 * continue_on with no verdict at all (plans refuse an empty list; the
 * wrapper must still do the obvious): enforce never hands on, shadow
 * always does. Wrapped by hand, chained and fused.
 */
static void none_case(struct tm_case *t, bool fused, bool shadow)
{
	struct tm_stage m[2] = { { 0, shadow }, { TG_VERDICT_BIT(TG_PASS), false } };
	struct compose_stage cs[2];
	struct stage_load sl[2];
	__u32 base = TG_BANK_BASE(0);
	char what[96];
	int fd[2], i;

	for (i = 0; i < 2; i++) {
		fx__stage_load(&t->fx, fx__tbpf("verdicts"), verdicts_prog(t->h, i), &sl[i]);
		cs[i] = (struct compose_stage){ sl[i].insns, sl[i].cnt, base + i, m[i].continue_on,
						m[i].shadow };
	}
	if (fused) {
		fd[0] = fx__compose_load(&t->fx, cs, 2, true, 0, false, NULL, 0);
		fd[1] = -1;
	} else {
		fd[1] = fx__compose_load(&t->fx, &cs[1], 1, false, TG_SLOT_NONE, false, NULL, 0);
		fd[0] = fx__compose_load(&t->fx, &cs[0], 1, false, base + 1, false, NULL, 0);
	}
	if (fd[0] < 0 || (!fused && fd[1] < 0))
		fail_msg("%s: wrapped stage refused: %s", t->h->name, strerror(-fd[0]));
	for (i = fused ? 0 : 1; i >= 0; i--)
		assert_int_equal(slots__set(t->fx.ap.slots_fd, base + i, fd[i]), 0);
	assert_int_equal(slots__flip(t->fx.ap.slots_fd, 0), 0);
	snprintf(what, sizeof(what), "%s, continue_on [], %s", fused ? "fused" : "chained",
		 shadow ? "shadow" : "enforce");
	rows_at(t, base, m, 2, 0, what);
	fx__expect_identity(&t->fx);
	for (i = 0; i < 2; i++) {
		slots__clear(t->fx.ap.slots_fd, base + i);
		if (fd[i] >= 0)
			close(fd[i]);
		stage__close(&sl[i]);
	}
	slots__clear(t->fx.ap.slots_fd, TG_SLOT_ENTRY);
}

static void t_continue_on_none(void **state)
{
	struct tm_case *t = tm__begin(state);

	none_case(t, false, false);
	none_case(t, false, true);
	none_case(t, true, false);
	none_case(t, true, true);
}

/*
 * A stage whose next slot is its own: the kernel stops the loop after
 * MAX_TAIL_CALL_CNT (33) tail calls per packet, one of them the
 * dispatcher's, so the stage runs 33 times and the 33rd hand-over misses
 * and is counted as one: the "continue" the kernel refused.
 */
static void t_tail_call_limit(void **state)
{
	struct tm_case *t = tm__begin(state);
	const __u64 runs = TG_KERNEL_TAIL_CALL_LIMIT, n = 100;
	__u32 slot = TG_BANK_BASE(0);
	struct compose_stage cs;
	struct stage_load sl;
	__u8 pkt[128];
	size_t len;
	int fd, code;

	code = t->h->pass;
	len = fx__verdict_pkt(pkt, sizeof(pkt), &code, 1);
	fx__stage_load(&t->fx, fx__tbpf("verdicts"), verdicts_prog(t->h, 0), &sl);
	cs = (struct compose_stage){ sl.insns, sl.cnt, slot, TG_VERDICT_BIT(TG_PASS), false };
	fd = fx__compose_load(&t->fx, &cs, 1, false, slot, false, NULL, 0);
	if (fd < 0)
		fail_msg("%s: self-looping stage refused: %s", t->h->name, strerror(-fd));
	assert_int_equal(slots__set(t->fx.ap.slots_fd, slot, fd), 0);
	assert_int_equal(slots__flip(t->fx.ap.slots_fd, 0), 0);
	assert_int_equal(fx__run(&t->fx, pkt, len, n), t->h->pass);
	fx__expect_slot(&t->fx, slot,
			ST(.packets = runs * n, .bytes = runs * n * len, .pass = runs * n,
			   .continued = (runs - 1) * n, .tail_miss = n),
			"self loop");
	fx__expect_identity(&t->fx);
	slots__clear(t->fx.ap.slots_fd, TG_SLOT_ENTRY);
	slots__clear(t->fx.ap.slots_fd, slot);
	close(fd);
	stage__close(&sl);
}

/* Cases 3: the dispatcher, tail misses, banks and flips */

static void empty_entry(void **state, bool fail_closed)
{
	struct tm_case *t = tm__begin(state);
	__u8 pkt[128];
	size_t len = fx__pkt(pkt, sizeof(pkt), &(struct fx_pkt){ 0 });

	fx__dispatcher(&t->fx, fail_closed);
	assert_int_equal(fx__run(&t->fx, pkt, len, 10), fail_closed ? t->h->drop : t->h->pass);
	fx__expect_slot(&t->fx, TG_SLOT_ENTRY,
			ST(.packets = 10, .bytes = 10 * len, .pass = fail_closed ? 0 : 10,
			   .drop = fail_closed ? 10 : 0, .tail_miss = 10),
			"empty slot 0");
	fx__expect_identity(&t->fx);
}

static void t_empty_entry_open(void **state)
{
	empty_entry(state, false);
}

static void t_empty_entry_closed(void **state)
{
	empty_entry(state, true);
}

/* A 3-stage chain whose second slot is emptied after install. */
static void next_empty(void **state, bool fail_closed)
{
	struct tm_case *t = tm__begin(state);
	struct tm_stage m[3] = { { TG_VERDICT_BIT(TG_PASS), false }, { TG_VERDICT_BIT(TG_PASS), false },
			       { TG_VERDICT_BIT(TG_PASS), false } };
	__u32 base = TG_BANK_BASE(1);
	int codes[3], i;

	fx__plan(&t->fx);
	for (i = 0; i < 3; i++)
		add_verdict_stage(t, i, &m[i]);
	t->fx.plan->fail_closed = fail_closed;
	fx__go(&t->fx, 1, PLAN_DP_CHAINED);
	assert_int_equal(slots__clear(t->fx.ap.slots_fd, base + 1), 0);
	for (i = 0; i < 3; i++)
		codes[i] = t->h->pass;
	row(t, base, m, 3, codes, 1, fail_closed,
	    fail_closed ? "next slot empty, fail-closed" : "next slot empty, fail-open");
	/* a stage that leaves never looks at the empty slot */
	codes[0] = t->h->drop;
	row(t, base, m, 3, codes, 1, fail_closed, "next slot empty, first stage drops");
	fx__expect_identity(&t->fx);
}

static void t_next_empty_open(void **state)
{
	next_empty(state, false);
}

static void t_next_empty_closed(void **state)
{
	next_empty(state, true);
}

/*
 * Two generations, one per bank, three stages each; A -> B -> A, each
 * flip ONE write: slot 0 is the only slot whose program changes, and each
 * bank's counters hold exactly the packets it served.
 */
static void flip_one_write(struct tm_case *t, unsigned int bank)
{
	__u32 before[TG_NR_SLOTS], after[TG_NR_SLOTS], k;

	for (k = 0; k < TG_NR_SLOTS; k++)
		assert_int_equal(slots__prog_id(t->fx.ap.slots_fd, k, &before[k]), 0);
	fx__flip(&t->fx, bank);
	for (k = 0; k < TG_NR_SLOTS; k++) {
		assert_int_equal(slots__prog_id(t->fx.ap.slots_fd, k, &after[k]), 0);
		if (k && after[k] != before[k])
			fail_msg("%s: flip to bank %u changed slot %u (id %u -> %u)", t->h->name, bank,
				 k, before[k], after[k]);
	}
	if (after[0] != before[TG_BANK_BASE(bank)])
		fail_msg("%s: flip to bank %u: slot 0 holds id %u, the bank's head is %u", t->h->name,
			 bank, after[0], before[TG_BANK_BASE(bank)]);
}

static void t_flip(void **state)
{
	struct tm_case *t = tm__begin(state);
	struct tm_stage m = { TG_VERDICT_BIT(TG_PASS), false };
	int pass[3], drop[3] = { 0 }, i;
	__u32 n = 50, b, k;
	__u8 pkt_a[128], pkt_b[128];
	size_t la, lb;

	for (b = 0; b < TG_NR_BANKS; b++) {
		fx__plan(&t->fx);
		for (i = 0; i < 3; i++)
			add_verdict_stage(t, i, &m);
		fx__load(&t->fx, b, b ? PLAN_DP_FUSED : PLAN_DP_CHAINED);
		fx__install(&t->fx, b);
	}
	for (i = 0; i < 3; i++)
		pass[i] = drop[i] = t->h->pass;
	drop[2] = t->h->drop;
	la = fx__verdict_pkt(pkt_a, sizeof(pkt_a), pass, 3);
	lb = fx__verdict_pkt(pkt_b, sizeof(pkt_b), drop, 3);
	flip_one_write(t, 0);
	assert_int_equal(fx__run(&t->fx, pkt_a, la, n), t->h->pass);
	flip_one_write(t, 1);
	assert_int_equal(fx__run(&t->fx, pkt_b, lb, n), t->h->drop);
	flip_one_write(t, 0);
	assert_int_equal(fx__run(&t->fx, pkt_a, la, n), t->h->pass);
	for (i = 0; i < 3; i++) {
		k = TG_BANK_BASE(0) + i;
		fx__expect_slot(&t->fx, k,
				ST(.packets = 2 * n, .bytes = 2 * n * la, .pass = 2 * n,
				   .continued = i < 2 ? 2 * n : 0),
				"bank A (chained), served twice");
		k = TG_BANK_BASE(1) + i;
		fx__expect_slot(&t->fx, k,
				ST(.packets = n, .bytes = n * lb, .pass = i < 2 ? n : 0,
				   .drop = i == 2 ? n : 0, .continued = i < 2 ? n : 0),
				"bank B (fused), served once");
	}
	fx__expect_slot(&t->fx, TG_SLOT_ENTRY, ST(0), "the dispatcher counts only its own misses");
	fx__expect_identity(&t->fx);
}

/* Table */

#define CONT_PASS	TG_VERDICT_BIT(TG_PASS)
#define CONT_PASS_DROP	(TG_VERDICT_BIT(TG_PASS) | TG_VERDICT_BIT(TG_DROP))
#define NMX		12

static struct matrix mx[2][NMX];

static void fill_matrix(struct matrix *m, const struct tm_hook *h)
{
	static const struct {
		__u32 mask;
		const char *name;
	} conts[] = { { CONT_PASS, "pass" }, { CONT_PASS_DROP, "pass, drop" },
		      { TG_VERDICT_ALL, "all" } };
	int i = 0, dp, c, sh;

	for (dp = 0; dp < 2; dp++)
		for (c = 0; c < 3; c++)
			for (sh = 0; sh < 2; sh++, i++) {
				m[i] = (struct matrix){ h, dp ? PLAN_DP_FUSED : PLAN_DP_CHAINED,
							conts[c].mask, conts[c].name, sh, "" };
				snprintf(m[i].name, sizeof(m[i].name),
					 "%s: %s, continue_on [%s], %s", h->name,
					 dp ? "fused" : "chained", conts[c].name,
					 sh ? "shadow" : "enforce");
			}
}

static void t_matrix(void **state)
{
	struct tm_case *t = tm__begin(state);

	matrix_case(t, t->row);
}

#define CASE(pfx, name, fn, hk) { pfx name, fn, tm__setup, tm__teardown, (void *)&hk }
#define CASES(hk, pfx)										\
	CASE(pfx, "continue_on [] (compose.c alone), chained and fused", t_continue_on_none, hk), \
	CASE(pfx, "self loop stops at the kernel's tail-call limit, miss counted",		\
	     t_tail_call_limit, hk),								\
	CASE(pfx, "empty slot 0, fail-open dispatcher: pass, miss counted",			\
	     t_empty_entry_open, hk),								\
	CASE(pfx, "empty slot 0, fail-closed dispatcher: drop, miss counted",			\
	     t_empty_entry_closed, hk),								\
	CASE(pfx, "next slot empty, fail-open: pass, tail miss counted", t_next_empty_open, hk), \
	CASE(pfx, "next slot empty, fail-closed: drop, tail miss counted",			\
	     t_next_empty_closed, hk),								\
	CASE(pfx, "both banks, flip A -> B -> A, one write each", t_flip, hk)

static int run_group(const char *group, const struct tm_hook *h, struct matrix *m,
		     const struct CMUnitTest *rest, size_t nrest)
{
	struct CMUnitTest tests[NMX + 16];
	size_t i;

	fill_matrix(m, h);
	for (i = 0; i < NMX; i++)
		tests[i] = (struct CMUnitTest){ m[i].name, t_matrix, tm__setup_row, tm__teardown, &m[i] };
	for (i = 0; i < nrest; i++)
		tests[NMX + i] = rest[i];
	return _cmocka_run_group_tests(group, tests, NMX + nrest, NULL, NULL);
}

int main(void)
{
	const struct CMUnitTest xdp[] = { CASES(tm_xdp, "xdp: ") };
	const struct CMUnitTest tc[] = { CASES(tm_tc, "tc: ") };
	int failed;

	failed = run_group("wrapper_xdp", &tm_xdp, mx[0], xdp, sizeof(xdp) / sizeof(xdp[0]));
	failed += run_group("wrapper_tc", &tm_tc, mx[1], tc, sizeof(tc) / sizeof(tc[0]));
	return failed ? 1 : 0;
}
