// SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause)
/*
 * libFuzzer target for the plan parser. Besides memory errors and leaks
 * (ASan/LSan/UBSan), it traps when a result breaks what callers rely on:
 * a plan within every limit, or an error with a printable message.
 */
#include <errno.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include "plan.h"

#define CHECK(cond)                                                                                \
	do {                                                                                       \
		if (!(cond))                                                                       \
			__builtin_trap();                                                          \
	} while (0)

static void check_str(const char *s, size_t size)
{
	CHECK(memchr(s, '\0', size));
}

static void check_stage(const struct plan_stage *st)
{
	int i;

	check_str(st->name, sizeof(st->name));
	check_str(st->program, sizeof(st->program));
	check_str(st->object, sizeof(st->object));
	CHECK(st->name[0] && st->object[0]); /* no program: the object's only one */
	CHECK(st->nr_keep_maps >= 0 && st->nr_keep_maps <= PLAN_MAX_KEEP_MAPS);
	for (i = 0; i < st->nr_keep_maps; i++)
		check_str(st->keep_maps[i], sizeof(st->keep_maps[i]));
	CHECK(st->continue_on && !(st->continue_on & ~TG_VERDICT_ALL));
	CHECK(st->has_continue_on || st->continue_on == TG_VERDICT_BIT(TG_PASS));
	CHECK(st->mode == PLAN_MODE_ENFORCE || st->mode == PLAN_MODE_SHADOW);
}

static void check_step(const struct plan_step *s)
{
	if (s->kind == PLAN_STEP_CANARY)
		CHECK(s->weight_bp >= 1 && s->weight_bp <= TG_WEIGHT_FULL);
	else
		CHECK(s->weight_bp == 0);
	if (s->kind == PLAN_STEP_ANALYZE)
		CHECK(s->interval_ms >= 1 && s->interval_ms <= s->duration_ms);
	if (s->kind == PLAN_STEP_PROMOTE)
		CHECK(s->batch >= 1 && s->batch <= PLAN_MAX_IFACES);
	CHECK(s->duration_ms <= 24ULL * 3600 * 1000);
	CHECK(s->analyze_ms <= 24ULL * 3600 * 1000);
}

/* Weighted canaries rise, and come before any full canary or promote. */
static void check_weights(const struct plan *p)
{
	uint32_t last = 0;
	bool all = false;
	int i;

	for (i = 0; i < p->nr_steps; i++) {
		const struct plan_step *s = &p->steps[i];

		if (s->kind == PLAN_STEP_PROMOTE ||
		    (s->kind == PLAN_STEP_CANARY && s->weight_bp == TG_WEIGHT_FULL)) {
			all = true;
		} else if (s->kind == PLAN_STEP_CANARY) {
			CHECK(!all && s->weight_bp > last);
			last = s->weight_bp;
		}
	}
}

static void check_exec(const struct plan_gates *g)
{
	int i;

	CHECK(g->nr_exec >= 0 && g->nr_exec <= PLAN_MAX_EXEC_ARGS);
	for (i = 0; i < g->nr_exec; i++) {
		check_str(g->exec[i], sizeof(g->exec[i]));
		CHECK(g->exec[i][0]);
	}
}

static void check_plan(const struct plan *p)
{
	int i;

	check_str(p->name, sizeof(p->name));
	CHECK(p->nr_canary >= 0 && p->nr_fleet >= 0);
	CHECK(p->nr_canary + p->nr_fleet >= 1);
	CHECK(p->nr_canary + p->nr_fleet <= PLAN_MAX_IFACES);
	for (i = 0; i < p->nr_canary; i++)
		CHECK(p->canary[i][0] && memchr(p->canary[i], '\0', IF_NAMESIZE));
	for (i = 0; i < p->nr_fleet; i++)
		CHECK(p->fleet[i][0] && memchr(p->fleet[i], '\0', IF_NAMESIZE));
	CHECK(p->nr_stages >= 1 && p->nr_stages <= TG_MAX_STAGES);
	for (i = 0; i < p->nr_stages; i++)
		check_stage(&p->stages[i]);
	CHECK(p->nr_steps >= 1 && p->nr_steps <= PLAN_MAX_STEPS);
	for (i = 0; i < p->nr_steps; i++)
		check_step(&p->steps[i]);
	check_weights(p);
	CHECK(p->hook <= PLAN_HOOK_TC_EGRESS);
	CHECK(p->datapath <= PLAN_DP_AUTO);
	CHECK(p->xdp_mode == PLAN_XDP_NATIVE ||
	      (p->xdp_mode == PLAN_XDP_SKB && p->hook == PLAN_HOOK_XDP));
	CHECK(p->gates.max_drop_ratio >= 0 && p->gates.max_drop_ratio <= 1);
	CHECK(p->gates.max_drop_ratio_delta >= 0 && p->gates.max_drop_ratio_delta <= 1);
	CHECK(p->gates.max_verdict_delta >= 0 && p->gates.max_verdict_delta <= 1);
	CHECK(p->gates.min_rate_ratio >= 0 && p->gates.min_rate_ratio <= 1);
	check_exec(&p->gates);
	CHECK(p->gates.exec_timeout_ms >= 1);
}

/* Messages go to terminals: printable ASCII only, never empty. */
static void check_error(const struct plan_error *err)
{
	size_t i, len = strnlen(err->msg, sizeof(err->msg));

	CHECK(len > 0 && len < sizeof(err->msg));
	for (i = 0; i < len; i++)
		CHECK(err->msg[i] >= 0x20 && err->msg[i] < 0x7f);
	CHECK(err->line >= 0 && err->col >= 0);
	CHECK(!err->line == !err->col);
	CHECK(errno == EINVAL || errno == ENOMEM || errno == EFBIG);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct plan_error err;
	struct plan *plan;

	errno = 0;
	plan = plan__parse_buf((const char *)data, size, "fuzz.yaml", "/plans", &err);
	if (plan)
		check_plan(plan);
	else
		check_error(&err);
	plan__free(plan);
	return 0;
}
