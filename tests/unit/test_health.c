// SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause)
/*
 * Gate math: every gate on both sides of its threshold, the order in
 * which gates decide, and when a baseline counts.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>
#include <cmocka.h>

#include "health.h"

/* The DESIGN.md example gates. */
static const struct plan_gates gates = {
	.min_packets = 100,
	.max_drop_ratio = 0.01,
	.max_drop_ratio_delta = 0.005,
	.max_aborted = 0,
	.max_tail_misses = 0,
};

static struct health_sample smp(uint64_t packets, uint64_t drop, uint64_t aborted,
				uint64_t tail_miss)
{
	struct health_sample s = { packets, drop, aborted, tail_miss, { 0 } };

	return s;
}

static void judge(const struct plan_gates *g, struct health_sample s,
		  const struct health_sample *base, struct health_result *r)
{
	memset(r, 0xa5, sizeof(*r));	/* judge must set every field it reports */
	health__judge(g, &s, base, r);
}

static void test_drop_ratio(void **state)
{
	struct health_sample s = smp(0, 0, 0, 0);

	assert_true(health__drop_ratio(&s) == 0.0);
	s = smp(1000, 25, 0, 0);
	assert_true(health__drop_ratio(&s) == 0.025);
	s = smp(4, 4, 0, 0);
	assert_true(health__drop_ratio(&s) == 1.0);
}

static void test_add(void **state)
{
	struct health_sample a = smp(10, 1, 2, 3), b = smp(100, 10, 20, 30);

	health__add(&a, &b);
	assert_int_equal(a.packets, 110);
	assert_int_equal(a.drop, 11);
	assert_int_equal(a.aborted, 22);
	assert_int_equal(a.tail_miss, 33);
	/* b is untouched */
	assert_int_equal(b.packets, 100);
}

static void test_worst_and_names(void **state)
{
	assert_int_equal(health__worst(HEALTH_OK, HEALTH_OK), HEALTH_OK);
	assert_int_equal(health__worst(HEALTH_OK, HEALTH_INCONCLUSIVE), HEALTH_INCONCLUSIVE);
	assert_int_equal(health__worst(HEALTH_INCONCLUSIVE, HEALTH_OK), HEALTH_INCONCLUSIVE);
	assert_int_equal(health__worst(HEALTH_INCONCLUSIVE, HEALTH_FAIL), HEALTH_FAIL);
	assert_int_equal(health__worst(HEALTH_FAIL, HEALTH_OK), HEALTH_FAIL);
	assert_string_equal(health__verdict_name(HEALTH_OK), "healthy");
	assert_string_equal(health__verdict_name(HEALTH_INCONCLUSIVE), "inconclusive");
	assert_string_equal(health__verdict_name(HEALTH_FAIL), "unhealthy");
}

static void test_healthy_no_baseline(void **state)
{
	struct health_result r;

	judge(&gates, smp(1000, 5, 0, 0), NULL, &r);
	assert_int_equal(r.verdict, HEALTH_OK);
	assert_null(r.gate);
	assert_true(r.drop_ratio == 0.005);
	assert_true(r.base_drop_ratio < 0);
	assert_non_null(strstr(r.reason, "no baseline"));
}

/* Too few packets is never healthy, however clean they were. */
static void test_min_packets_inconclusive(void **state)
{
	struct health_result r;

	judge(&gates, smp(99, 0, 0, 0), NULL, &r);
	assert_int_equal(r.verdict, HEALTH_INCONCLUSIVE);
	assert_string_equal(r.gate, "min_packets");
	assert_true(r.value == 99);
	assert_true(r.threshold == 100);
	assert_non_null(strstr(r.reason, "99"));
	assert_non_null(strstr(r.reason, "100"));

	/* exactly min_packets is enough */
	judge(&gates, smp(100, 0, 0, 0), NULL, &r);
	assert_int_equal(r.verdict, HEALTH_OK);
}

/* Zero packets is inconclusive even when the plan asks for none. */
static void test_zero_packets_with_min_zero(void **state)
{
	struct plan_gates g = gates;
	struct health_result r;

	g.min_packets = 0;
	judge(&g, smp(0, 0, 0, 0), NULL, &r);
	assert_int_equal(r.verdict, HEALTH_INCONCLUSIVE);
	assert_string_equal(r.gate, "min_packets");
	judge(&g, smp(1, 0, 0, 0), NULL, &r);
	assert_int_equal(r.verdict, HEALTH_OK);
}

/* Ratios are not judged below min_packets: 50% drops of 10 packets are noise. */
static void test_ratio_not_judged_below_min(void **state)
{
	struct health_result r;

	judge(&gates, smp(10, 5, 0, 0), NULL, &r);
	assert_int_equal(r.verdict, HEALTH_INCONCLUSIVE);
	assert_string_equal(r.gate, "min_packets");
	assert_true(r.drop_ratio == 0.5);
}

static void test_max_drop_ratio(void **state)
{
	struct health_result r;

	/* at the limit passes */
	judge(&gates, smp(1000, 10, 0, 0), NULL, &r);
	assert_int_equal(r.verdict, HEALTH_OK);
	/* one more drop fails */
	judge(&gates, smp(1000, 11, 0, 0), NULL, &r);
	assert_int_equal(r.verdict, HEALTH_FAIL);
	assert_string_equal(r.gate, "max_drop_ratio");
	assert_true(r.value == 0.011);
	assert_true(r.threshold == 0.01);
	assert_non_null(strstr(r.reason, "max_drop_ratio 0.011"));
	assert_non_null(strstr(r.reason, "0.01"));
	/* everything dropped */
	judge(&gates, smp(500, 500, 0, 0), NULL, &r);
	assert_int_equal(r.verdict, HEALTH_FAIL);
	assert_true(r.drop_ratio == 1.0);
}

/* Hard failures count even below min_packets. */
static void test_aborted_below_min(void **state)
{
	struct health_result r;

	judge(&gates, smp(3, 0, 1, 0), NULL, &r);
	assert_int_equal(r.verdict, HEALTH_FAIL);
	assert_string_equal(r.gate, "max_aborted");
	assert_true(r.value == 1);
	assert_true(r.threshold == 0);
}

static void test_tail_miss_below_min(void **state)
{
	struct health_result r;

	judge(&gates, smp(0, 0, 0, 2), NULL, &r);
	assert_int_equal(r.verdict, HEALTH_FAIL);
	assert_string_equal(r.gate, "max_tail_misses");
	assert_true(r.value == 2);
}

static void test_hard_limits_inclusive(void **state)
{
	struct plan_gates g = gates;
	struct health_result r;

	g.max_aborted = 3;
	g.max_tail_misses = 2;
	judge(&g, smp(1000, 0, 3, 2), NULL, &r);
	assert_int_equal(r.verdict, HEALTH_OK);
	judge(&g, smp(1000, 0, 4, 2), NULL, &r);
	assert_int_equal(r.verdict, HEALTH_FAIL);
	assert_string_equal(r.gate, "max_aborted");
	judge(&g, smp(1000, 0, 3, 3), NULL, &r);
	assert_int_equal(r.verdict, HEALTH_FAIL);
	assert_string_equal(r.gate, "max_tail_misses");
}

/* Aborted decides before tail misses, both before ratios. */
static void test_gate_order(void **state)
{
	struct health_result r;

	judge(&gates, smp(1000, 900, 1, 1), NULL, &r);
	assert_string_equal(r.gate, "max_aborted");
	judge(&gates, smp(1000, 900, 0, 1), NULL, &r);
	assert_string_equal(r.gate, "max_tail_misses");
	judge(&gates, smp(1000, 900, 0, 0), NULL, &r);
	assert_string_equal(r.gate, "max_drop_ratio");
}

/* Under max_drop_ratio, but much worse than the old generation. */
static void test_delta_fails(void **state)
{
	struct health_sample base = smp(10000, 20, 0, 0);	/* 0.002 */
	struct health_result r;

	judge(&gates, smp(1000, 9, 0, 0), &base, &r);	/* 0.009: +0.007 */
	assert_int_equal(r.verdict, HEALTH_FAIL);
	assert_string_equal(r.gate, "max_drop_ratio_delta");
	assert_true(r.base_drop_ratio == 0.002);
	assert_true(r.value > 0.0069 && r.value < 0.0071);
	assert_true(r.threshold == 0.005);
	/* the same canary without a baseline is healthy */
	judge(&gates, smp(1000, 9, 0, 0), NULL, &r);
	assert_int_equal(r.verdict, HEALTH_OK);
}

static void test_delta_passes(void **state)
{
	struct health_sample base = smp(10000, 20, 0, 0);	/* 0.002 */
	struct health_result r;

	judge(&gates, smp(1000, 6, 0, 0), &base, &r);	/* +0.004 */
	assert_int_equal(r.verdict, HEALTH_OK);
	assert_null(r.gate);
	assert_true(r.base_drop_ratio == 0.002);
	assert_non_null(strstr(r.reason, "baseline compared"));
}

/* Better than the baseline is never a failure. */
static void test_delta_negative(void **state)
{
	struct health_sample base = smp(1000, 9, 0, 0);
	struct health_result r;

	judge(&gates, smp(1000, 0, 0, 0), &base, &r);
	assert_int_equal(r.verdict, HEALTH_OK);
}

/*
 * A delta exactly at the limit passes, as every other gate does at its
 * limit. 0.014 - 0.009 is 0.005000000000000001 in doubles: the gate
 * must not turn that rounding into a breach.
 */
static void test_delta_at_limit(void **state)
{
	struct health_sample base = smp(1000, 9, 0, 0);
	struct health_result r;
	uint64_t d;

	for (d = 0; d <= 5; d++) {
		base = smp(1000, d, 0, 0);
		judge(&gates, smp(1000, d + 5, 0, 0), &base, &r);
		assert_int_equal(r.verdict, HEALTH_OK);
	}
	base = smp(1000, 9, 0, 0);
	judge(&gates, smp(1000, 14, 0, 0), &base, &r);	/* 0.014 > 0.01 anyway */
	assert_string_equal(r.gate, "max_drop_ratio");

	/* a plan with a loose max_drop_ratio: only the delta gate judges */
	{
		struct plan_gates g = gates;

		g.max_drop_ratio = 1.0;
		for (d = 0; d < 200; d++) {
			base = smp(1000, d, 0, 0);
			judge(&g, smp(1000, d + 5, 0, 0), &base, &r);
			if (r.verdict != HEALTH_OK)
				fail_msg("base %lu/1000, canary %lu/1000: delta at the limit judged %s (%s)",
					 (unsigned long)d, (unsigned long)d + 5,
					 health__verdict_name(r.verdict), r.reason);
			judge(&g, smp(1000, d + 6, 0, 0), &base, &r);
			assert_int_equal(r.verdict, HEALTH_FAIL);
			assert_string_equal(r.gate, "max_drop_ratio_delta");
		}
	}
}

/* A baseline below min_packets is noise: the delta gate ignores it. */
static void test_small_baseline_unused(void **state)
{
	struct health_sample base = smp(99, 0, 0, 0);
	struct health_result r;

	judge(&gates, smp(1000, 9, 0, 0), &base, &r);	/* +0.009 vs 0 */
	assert_int_equal(r.verdict, HEALTH_OK);
	assert_true(r.base_drop_ratio < 0);
	assert_non_null(strstr(r.reason, "no baseline"));

	base = smp(100, 0, 0, 0);	/* at min_packets it counts */
	judge(&gates, smp(1000, 9, 0, 0), &base, &r);
	assert_int_equal(r.verdict, HEALTH_FAIL);
	assert_string_equal(r.gate, "max_drop_ratio_delta");
}

/* An empty baseline is never used, even with min_packets 0. */
static void test_empty_baseline_min_zero(void **state)
{
	struct plan_gates g = gates;
	struct health_sample base = smp(0, 0, 0, 0);
	struct health_result r;

	g.min_packets = 0;
	judge(&g, smp(1000, 9, 0, 0), &base, &r);
	assert_int_equal(r.verdict, HEALTH_OK);
	assert_true(r.base_drop_ratio < 0);
}

/* An inconclusive canary stays inconclusive whatever the baseline says. */
static void test_inconclusive_with_baseline(void **state)
{
	struct health_sample base = smp(10000, 0, 0, 0);
	struct health_result r;

	judge(&gates, smp(50, 10, 0, 0), &base, &r);
	assert_int_equal(r.verdict, HEALTH_INCONCLUSIVE);
	assert_true(r.base_drop_ratio == 0.0);
}

/* A sample with its final verdicts: pass, drop, aborted, tx, redirect. */
static struct health_sample outs(uint64_t pass, uint64_t drop, uint64_t tx, uint64_t redirect)
{
	struct health_sample s = { pass + drop + tx + redirect, drop, 0, 0,
				   { pass, drop, 0, tx, redirect } };

	return s;
}

static const struct plan_gates vgates = {
	.min_packets = 100,
	.max_drop_ratio = 1,		/* out of the way: the verdict gate decides */
	.max_drop_ratio_delta = 1,
	.max_verdict_delta = 0.05,
	.min_rate_ratio = 0.5,
};

/* A stage that bounces every packet (XDP_TX) drops nothing: caught here. */
static void test_verdict_tx_bounce(void **state)
{
	struct health_sample s = outs(0, 0, 1000, 0), b = outs(1000, 0, 0, 0);
	struct health_result r;

	health__judge(&vgates, &s, &b, &r);
	assert_int_equal(r.verdict, HEALTH_FAIL);
	assert_string_equal(r.gate, "max_verdict_delta");
	assert_true(r.value > 0.99);
	assert_non_null(strstr(r.reason, "tx is 1 of packets against 0"));
}

/* Pass turned into redirect, just past the bound; just under it passes. */
static void test_verdict_bound(void **state)
{
	struct health_sample b = outs(1000, 0, 0, 0), over = outs(940, 0, 0, 60),
			     under = outs(960, 0, 0, 40);
	struct health_result r;

	health__judge(&vgates, &over, &b, &r);
	assert_int_equal(r.verdict, HEALTH_FAIL);
	assert_string_equal(r.gate, "max_verdict_delta");
	health__judge(&vgates, &under, &b, &r);
	assert_int_equal(r.verdict, HEALTH_OK);
}

/* No baseline, or one below min_packets, or no outcomes: nothing to compare. */
static void test_verdict_needs_baseline(void **state)
{
	struct health_sample s = outs(0, 0, 1000, 0), small = outs(50, 0, 0, 0);
	struct health_result r;

	health__judge(&vgates, &s, NULL, &r);
	assert_int_equal(r.verdict, HEALTH_OK);
	health__judge(&vgates, &s, &small, &r);
	assert_int_equal(r.verdict, HEALTH_OK);
}

static void judge_rate(double now, double before, double base_now, double base_before,
		       double expect, struct health_result *r)
{
	struct health_sample s = outs(1000, 0, 0, 0), b = outs(1000, 0, 0, 0);
	struct health_input in = { .win = &s, .base = &b, .rate_now = now, .rate_before = before,
				   .base_rate_now = base_now, .base_rate_before = base_before,
				   .expect_now = expect };

	health__judge_input(&vgates, &in, r);
}

/* Traffic stopped mid-analysis (link down): earlier packets do not save it. */
static void test_rate_collapse(void **state)
{
	struct health_result r;

	judge_rate(0, 200, 200, 200, 100, &r);
	assert_int_equal(r.verdict, HEALTH_FAIL);
	assert_string_equal(r.gate, "min_rate_ratio");
	judge_rate(90, 200, 200, 200, 100, &r);	/* 0.45 < 0.5 */
	assert_int_equal(r.verdict, HEALTH_FAIL);
	judge_rate(110, 200, 200, 200, 100, &r);	/* 0.55 */
	assert_int_equal(r.verdict, HEALTH_OK);
}

/* Traffic fell everywhere: not this version's doing, never healthy either. */
static void test_rate_fell_everywhere(void **state)
{
	struct health_result r;

	judge_rate(0, 200, 10, 200, 100, &r);
	assert_int_equal(r.verdict, HEALTH_INCONCLUSIVE);
	assert_string_equal(r.gate, "min_rate_ratio");
}

/* Too little traffic before the flip (or the gate off): no rate judgement. */
static void test_rate_not_judged(void **state)
{
	struct plan_gates off = vgates;
	struct health_result r;

	judge_rate(0, 20, 200, 200, 10, &r);	/* 10 expected packets: says nothing */
	assert_int_equal(r.verdict, HEALTH_OK);
	off.min_rate_ratio = 0;
	{
		struct health_sample s = outs(1000, 0, 0, 0);
		struct health_input in = { .win = &s, .rate_now = 0, .rate_before = 200,
					   .base_rate_now = -1, .base_rate_before = -1,
					   .expect_now = 100 };

		health__judge_input(&off, &in, &r);
	}
	assert_int_equal(r.verdict, HEALTH_OK);
}

/* A verdict gate names the cause before the rate gate does. */
static void test_drop_before_rate(void **state)
{
	struct plan_gates g = vgates;
	struct health_sample s = outs(0, 1000, 0, 0), b = outs(1000, 0, 0, 0);
	struct health_input in = { .win = &s, .base = &b, .rate_now = 0, .rate_before = 200,
				   .base_rate_now = 200, .base_rate_before = 200, .expect_now = 100 };
	struct health_result r;

	g.max_drop_ratio = 0.01;
	health__judge_input(&g, &in, &r);
	assert_string_equal(r.gate, "max_drop_ratio");
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_drop_ratio),
		cmocka_unit_test(test_add),
		cmocka_unit_test(test_worst_and_names),
		cmocka_unit_test(test_healthy_no_baseline),
		cmocka_unit_test(test_min_packets_inconclusive),
		cmocka_unit_test(test_zero_packets_with_min_zero),
		cmocka_unit_test(test_ratio_not_judged_below_min),
		cmocka_unit_test(test_max_drop_ratio),
		cmocka_unit_test(test_aborted_below_min),
		cmocka_unit_test(test_tail_miss_below_min),
		cmocka_unit_test(test_hard_limits_inclusive),
		cmocka_unit_test(test_gate_order),
		cmocka_unit_test(test_delta_fails),
		cmocka_unit_test(test_delta_passes),
		cmocka_unit_test(test_delta_negative),
		cmocka_unit_test(test_delta_at_limit),
		cmocka_unit_test(test_small_baseline_unused),
		cmocka_unit_test(test_empty_baseline_min_zero),
		cmocka_unit_test(test_inconclusive_with_baseline),
		cmocka_unit_test(test_verdict_tx_bounce),
		cmocka_unit_test(test_verdict_bound),
		cmocka_unit_test(test_verdict_needs_baseline),
		cmocka_unit_test(test_rate_collapse),
		cmocka_unit_test(test_rate_fell_everywhere),
		cmocka_unit_test(test_rate_not_judged),
		cmocka_unit_test(test_drop_before_rate),
	};

	return cmocka_run_group_tests_name("health", tests, NULL, NULL);
}
