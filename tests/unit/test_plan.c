// SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause)
/*
 * Plan parser: every error names its line and column; a valid plan comes
 * out field by field; defaults, durations, ratios and the file checks.
 */
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <sys/stat.h>
#include <cmocka.h>

#include "plan.h"

/* A minimal valid plan; whatever a test appends starts at line 10. */
#define HEAD				\
	"name: t\n"			\
	"hook: xdp\n"			\
	"interfaces:\n"			\
	"  canary: [tg0]\n"		\
	"  fleet: [tg1]\n"
#define PIPE				\
	"pipeline:\n"			\
	"  - name: s\n"			\
	"    object: s.o\n"		\
	"    program: p\n"
#define BASE HEAD PIPE

struct bad {
	const char *yaml;
	int line, col;
	const char *msg;	/* a substring of the message */
};

static struct plan *parse(const char *yaml, struct plan_error *err)
{
	return plan__parse_buf(yaml, strlen(yaml), "t.yaml", "/plans", err);
}

static void check_bad(const struct bad *b, const char *file, int line)
{
	struct plan_error err;
	struct plan *p;

	errno = 0;
	p = parse(b->yaml, &err);
	if (p) {
		plan__free(p);
		fail_msg("%s:%d: parsed, expected %d:%d: ...%s...\n%s", file,
			 line, b->line, b->col, b->msg, b->yaml);
	}
	if (errno != EINVAL || err.line != b->line || err.col != b->col ||
	    !strstr(err.msg, b->msg))
		fail_msg("%s:%d: got %d:%d: %s (errno %d)\nwant %d:%d: ...%s...\n%s",
			 file, line, err.line, err.col, err.msg, errno, b->line,
			 b->col, b->msg, b->yaml);
}

#define EXPECT_BAD(yaml_, line_, col_, msg_)				\
	check_bad(&(struct bad){ (yaml_), (line_), (col_), (msg_) },	\
		  __FILE__, __LINE__)

#define EXPECT_TABLE(t)							\
	do {								\
		size_t i_;						\
		for (i_ = 0; i_ < sizeof(t) / sizeof((t)[0]); i_++)	\
			check_bad(&(t)[i_], __FILE__, __LINE__);	\
	} while (0)

static struct plan *must_parse(const char *yaml)
{
	struct plan_error err;
	struct plan *p = parse(yaml, &err);

	if (!p)
		fail_msg("%d:%d: %s\n%s", err.line, err.col, err.msg, yaml);
	return p;
}

/* No program: the object's only one of the hook's type, chosen at load */
static void test_program_optional(void **state)
{
	struct plan *p = must_parse(HEAD "pipeline:\n  - {name: s, object: s.o}\n");

	assert_string_equal(p->stages[0].program, "");
	plan__free(p);
	(void)state;
}

/* A valid plan */

static const char full_plan[] =
	"# the DESIGN.md example\n"
	"name: counter-v2\n"
	"hook: tc-egress\n"
	"interfaces:\n"
	"  canary: [tg0]\n"
	"  fleet:  [tg1, tg2, \"tg[3-9]*\"]\n"
	"pipeline:\n"
	"  - name: counter\n"
	"    object: ../build/bpf/counter.bpf.o\n"
	"    program: count_packets\n"
	"    sha256: 9F2C000102030405060708090a0b0c0d0e0f101112131415161718191a1b1cff\n"
	"    keep_maps: [packet_count, totals]\n"
	"  - name: blocklist\n"
	"    object: /abs/blocklist.bpf.o\n"
	"    program: blocklist\n"
	"steps:\n"
	"  - canary: {}\n"
	"  - analyze: {duration: 10s, interval: 250ms}\n"
	"  - promote: {batch: 2, analyze: 5s}\n"
	"  - pause: {}\n"
	"  - promote: {}\n"
	"gates:\n"
	"  min_packets: 18446744073709551615\n"
	"  max_drop_ratio: 0.01\n"
	"  max_drop_ratio_delta: 5e-3\n"
	"  max_aborted: 3\n"
	"  max_tail_misses: 0\n"
	"  exec: \"examples/probe.sh {ifname}\"\n"
	"  exec_timeout: 2m\n"
	"on_failure: pause\n"
	"on_tail_miss: drop\n";

static void test_full_plan(void **state)
{
	static const uint8_t sha[32] = {
		0x9f, 0x2c, 0x00, 0x01, 0x02, 0x03, 0x04, 0x05, 0x06, 0x07, 0x08,
		0x09, 0x0a, 0x0b, 0x0c, 0x0d, 0x0e, 0x0f, 0x10, 0x11, 0x12, 0x13,
		0x14, 0x15, 0x16, 0x17, 0x18, 0x19, 0x1a, 0x1b, 0x1c, 0xff,
	};
	struct plan *p = must_parse(full_plan);
	const struct plan_stage *s = p->stages;

	assert_string_equal(p->path, "t.yaml");
	assert_string_equal(p->dir, "/plans");
	assert_string_equal(p->name, "counter-v2");
	assert_int_equal(p->hook, PLAN_HOOK_TC_EGRESS);
	assert_int_equal(p->nr_canary, 1);
	assert_string_equal(p->canary[0], "tg0");
	assert_int_equal(p->nr_fleet, 3);
	assert_string_equal(p->fleet[0], "tg1");
	assert_string_equal(p->fleet[1], "tg2");
	assert_string_equal(p->fleet[2], "tg[3-9]*");

	assert_int_equal(p->nr_stages, 2);
	assert_string_equal(s[0].name, "counter");
	assert_string_equal(s[0].object, "/plans/../build/bpf/counter.bpf.o");
	assert_string_equal(s[0].program, "count_packets");
	assert_true(s[0].has_sha256);
	assert_memory_equal(s[0].sha256, sha, 32);
	assert_int_equal(s[0].nr_keep_maps, 2);
	assert_string_equal(s[0].keep_maps[0], "packet_count");
	assert_string_equal(s[0].keep_maps[1], "totals");
	assert_int_equal(s[0].line, 8);
	assert_string_equal(s[1].name, "blocklist");
	assert_string_equal(s[1].object, "/abs/blocklist.bpf.o");
	assert_false(s[1].has_sha256);
	assert_int_equal(s[1].nr_keep_maps, 0);
	assert_int_equal(s[1].line, 13);

	assert_int_equal(p->nr_steps, 5);
	assert_int_equal(p->steps[0].kind, PLAN_STEP_CANARY);
	assert_int_equal(p->steps[0].weight_bp, TG_WEIGHT_FULL);
	assert_int_equal(p->steps[0].line, 17);
	assert_int_equal(p->steps[1].kind, PLAN_STEP_ANALYZE);
	assert_int_equal(p->steps[1].duration_ms, 10000);
	assert_int_equal(p->steps[1].interval_ms, 250);
	assert_int_equal(p->steps[2].kind, PLAN_STEP_PROMOTE);
	assert_int_equal(p->steps[2].batch, 2);
	assert_int_equal(p->steps[2].analyze_ms, 5000);
	assert_int_equal(p->steps[3].kind, PLAN_STEP_PAUSE);
	assert_int_equal(p->steps[4].kind, PLAN_STEP_PROMOTE);
	assert_int_equal(p->steps[4].batch, 1);		/* defaults */
	assert_int_equal(p->steps[4].analyze_ms, 0);
	assert_int_equal(p->steps[4].line, 21);

	assert_true(p->gates.min_packets == UINT64_MAX);
	assert_true(p->gates.max_drop_ratio == 0.01);
	assert_true(p->gates.max_drop_ratio_delta == 0.005);
	assert_int_equal(p->gates.max_aborted, 3);
	assert_int_equal(p->gates.max_tail_misses, 0);
	assert_int_equal(p->gates.nr_exec, 2);
	assert_string_equal(p->gates.exec[0], "examples/probe.sh");
	assert_string_equal(p->gates.exec[1], "{ifname}");
	assert_int_equal(p->gates.exec_timeout_ms, 120000);
	assert_int_equal(p->on_failure, PLAN_ON_FAILURE_PAUSE);
	assert_true(p->fail_closed);
	plan__free(p);
}

/* DESIGN.md's plan, as printed there, with every key it shows */
static const char design_plan[] =
	"name: counter-v2\n"
	"hook: xdp                       # xdp | tc-ingress | tc-egress\n"
	"interfaces:\n"
	"  canary: [tg0]\n"
	"  fleet:  [tg1, tg2, tg3]       # names; a glob such as \"tg*\" may be allowed\n"
	"pipeline:                       # chain order, 1..16 stages\n"
	"  - name: counter\n"
	"    object: ../build/bpf/counter.bpf.o   # relative to this plan file\n"
	"    program: counter\n"
	"    keep_maps: [packet_count]   # carried over from the running generation\n"
	"  - name: filter                # an unmodified third-party program\n"
	"    object: /usr/lib/somewhere/filter.o\n"
	"    program: filter_ipv4\n"
	"    continue_on: [pass]         # verdicts that go on to the next stage (default [pass])\n"
	"    mode: shadow                # enforce (default) | shadow: count, never act\n"
	"datapath: chained               # chained (default) | fused | auto\n"
	"steps:\n"
	"  - canary: {weight: 5%}        # 5% of flows on the canary interfaces\n"
	"  - analyze: {duration: 1m, interval: 5s}\n"
	"  - canary: {}                  # all flows on the canary interfaces\n"
	"  - analyze: {duration: 10s, interval: 1s}\n"
	"  - promote: {batch: 2, analyze: 5s}   # flip the fleet in waves, judge each\n"
	"gates:\n"
	"  min_packets: 100              # fewer = inconclusive, never healthy\n"
	"  max_drop_ratio: 0.01\n"
	"  max_drop_ratio_delta: 0.005   # canary vs baseline\n"
	"  max_aborted: 0\n"
	"  max_tail_misses: 0\n"
	"  exec: \"examples/probe.sh {ifname}\"   # optional external check, non-zero = unhealthy\n"
	"on_failure: rollback            # rollback | pause\n";

static void test_design_plan(void **state)
{
	struct plan *p = must_parse(design_plan);
	const struct plan_stage *s = p->stages;

	assert_int_equal(p->nr_stages, 2);
	assert_false(s[0].has_continue_on);
	assert_int_equal(s[0].continue_on, TG_VERDICT_BIT(TG_PASS));
	assert_int_equal(s[0].mode, PLAN_MODE_ENFORCE);
	assert_true(s[1].has_continue_on);
	assert_int_equal(s[1].continue_on, TG_VERDICT_BIT(TG_PASS));
	assert_int_equal(s[1].mode, PLAN_MODE_SHADOW);
	assert_int_equal(p->datapath, PLAN_DP_CHAINED);
	assert_int_equal(p->xdp_mode, PLAN_XDP_NATIVE);
	assert_int_equal(p->nr_steps, 5);
	assert_int_equal(p->steps[0].kind, PLAN_STEP_CANARY);
	assert_int_equal(p->steps[0].weight_bp, 500);
	assert_int_equal(p->steps[1].duration_ms, 60000);
	assert_int_equal(p->steps[1].interval_ms, 5000);
	assert_int_equal(p->steps[2].kind, PLAN_STEP_CANARY);
	assert_int_equal(p->steps[2].weight_bp, TG_WEIGHT_FULL);
	assert_int_equal(p->steps[4].batch, 2);
	assert_int_equal(p->gates.nr_exec, 2);
	assert_string_equal(p->gates.exec[0], "examples/probe.sh");
	assert_string_equal(p->gates.exec[1], "{ifname}");
	assert_true(p->gates.max_verdict_delta == 0.05);
	assert_true(p->gates.min_rate_ratio == 0.5);
	plan__free(p);
}

static void test_defaults(void **state)
{
	struct plan *p = must_parse(BASE);

	assert_int_equal(p->hook, PLAN_HOOK_XDP);
	assert_int_equal(p->gates.min_packets, 100);
	assert_true(p->gates.max_drop_ratio == 0.01);
	assert_true(p->gates.max_drop_ratio_delta == 0.005);
	assert_int_equal(p->gates.max_aborted, 0);
	assert_int_equal(p->gates.max_tail_misses, 0);
	assert_int_equal(p->gates.nr_exec, 0);
	assert_int_equal(p->gates.exec_timeout_ms, 10000);
	assert_true(p->gates.max_verdict_delta == 0.05);
	assert_true(p->gates.min_rate_ratio == 0.5);
	assert_int_equal(p->on_failure, PLAN_ON_FAILURE_ROLLBACK);
	assert_false(p->fail_closed);
	assert_int_equal(p->datapath, PLAN_DP_CHAINED);
	assert_int_equal(p->xdp_mode, PLAN_XDP_NATIVE);
	/* A stage without continue_on goes on after pass only, and acts. */
	assert_false(p->stages[0].has_continue_on);
	assert_int_equal(p->stages[0].continue_on, TG_VERDICT_BIT(TG_PASS));
	assert_int_equal(p->stages[0].mode, PLAN_MODE_ENFORCE);
	/* Default steps: canary, judge 10s every 1s, then the rest at once. */
	assert_int_equal(p->nr_steps, 3);
	assert_int_equal(p->steps[0].kind, PLAN_STEP_CANARY);
	assert_int_equal(p->steps[0].weight_bp, TG_WEIGHT_FULL);
	assert_int_equal(p->steps[1].kind, PLAN_STEP_ANALYZE);
	assert_int_equal(p->steps[1].duration_ms, 10000);
	assert_int_equal(p->steps[1].interval_ms, 1000);
	assert_int_equal(p->steps[2].kind, PLAN_STEP_PROMOTE);
	assert_int_equal(p->steps[2].batch, PLAN_MAX_IFACES);
	assert_int_equal(p->steps[2].analyze_ms, 0);
	assert_int_equal(p->stages[0].line, 7);
	plan__free(p);
}

static void test_defaults_fleet_only(void **state)
{
	struct plan *p = must_parse("name: t\nhook: tc-ingress\n"
				    "interfaces: {fleet: [tg1]}\n" PIPE);

	assert_int_equal(p->hook, PLAN_HOOK_TC_INGRESS);
	assert_int_equal(p->nr_canary, 0);
	/* No canaries: the whole fleet in one wave, judged 10s. */
	assert_int_equal(p->nr_steps, 1);
	assert_int_equal(p->steps[0].kind, PLAN_STEP_PROMOTE);
	assert_int_equal(p->steps[0].batch, PLAN_MAX_IFACES);
	assert_int_equal(p->steps[0].analyze_ms, 10000);
	plan__free(p);
}

static void test_null_values(void **state)
{
	/* `gates:` and `fleet:` with nothing read as empty; `canary: ~` too */
	struct plan *p = must_parse("name: t\nhook: xdp\ninterfaces:\n"
				    "  canary: ~\n  fleet: [tg1]\n" PIPE
				    "gates:\nsteps:\n  - promote:\n");

	assert_int_equal(p->nr_canary, 0);
	assert_int_equal(p->gates.min_packets, 100);
	assert_int_equal(p->nr_steps, 1);
	assert_int_equal(p->steps[0].batch, 1);
	plan__free(p);
}

static void test_analyze_interval(void **state)
{
	struct plan *p = must_parse(BASE "steps:\n"
				    "  - canary: {}\n"
				    "  - analyze: {duration: 300ms}\n"
				    "  - analyze: {duration: 1m}\n"
				    "  - analyze: {duration: 2s, interval: 2s}\n");

	/* The 1s default interval never exceeds a short duration. */
	assert_int_equal(p->steps[1].interval_ms, 300);
	assert_int_equal(p->steps[2].interval_ms, 1000);
	assert_int_equal(p->steps[3].interval_ms, 2000);
	plan__free(p);
}

static void test_interval_longer(void **state)
{
	EXPECT_BAD(BASE "steps:\n  - canary: {}\n"
		   "  - analyze: {duration: 1s, interval: 1001ms}\n",
		   12, 39, "interval: 1001ms is longer than the duration 1s");
}

static void test_relative_object(void **state)
{
	struct plan_error err;
	struct plan *p;

	p = plan__parse_buf(BASE, strlen(BASE), "x", "some/dir", &err);
	assert_non_null(p);
	assert_string_equal(p->stages[0].object, "some/dir/s.o");
	plan__free(p);
	p = plan__parse_buf(BASE, strlen(BASE), NULL, NULL, &err);
	assert_non_null(p);
	assert_string_equal(p->stages[0].object, "./s.o");
	assert_string_equal(p->dir, ".");
	assert_string_equal(p->path, "<buffer>");
	plan__free(p);
	p = plan__parse_buf(BASE, strlen(BASE), "x", "/", &err);
	assert_non_null(p);
	assert_string_equal(p->stages[0].object, "/s.o");
	plan__free(p);
}

static void test_object_path_long(void **state)
{
	static char yaml[PLAN_MAX_PATH + 256], obj[PLAN_MAX_PATH];
	struct plan *p;

	/* "/plans/" + 4088 = 4095 bytes: fits; one more does not. */
	memset(obj, 'o', PLAN_MAX_PATH - 8);
	obj[PLAN_MAX_PATH - 8] = '\0';
	snprintf(yaml, PLAN_MAX_PATH + 256, HEAD "pipeline:\n  - name: s\n"
		 "    object: %s\n    program: p\n", obj);
	p = must_parse(yaml);
	assert_int_equal(strlen(p->stages[0].object), PLAN_MAX_PATH - 1);
	plan__free(p);
	strcat(obj, "o");
	snprintf(yaml, PLAN_MAX_PATH + 256, HEAD "pipeline:\n  - name: s\n"
		 "    object: %s\n    program: p\n", obj);
	EXPECT_BAD(yaml, 8, 13, "object: path longer than 4095 bytes");
}

/* Durations and numbers */

static void test_duration_valid(void **state)
{
	static const struct {
		const char *s;
		uint64_t ms;
	} ok[] = {
		{ "1ms", 1 }, { "250ms", 250 }, { "10s", 10000 },
		{ "2m", 120000 }, { "86400000ms", 86400000 },
		{ "86400s", 86400000 }, { "1440m", 86400000 }, { "1h", 3600000 }, { "24h", 86400000 },
		{ "007s", 7000 },
	};
	uint64_t ms;
	size_t i;

	for (i = 0; i < sizeof(ok) / sizeof(ok[0]); i++) {
		ms = 0;
		assert_int_equal(plan__parse_duration(ok[i].s, &ms), 0);
		assert_true(ms == ok[i].ms);
	}
}

static void test_duration_invalid(void **state)
{
	static const char *const einval[] = {
		"", "10", "s", "ms", "10d", "10 s", " 10s", "10s ", "1.5s",
		"-1s", "+1s", "10S", "10sec", "0x10s", "10mss", "1e3ms",
		"99999999999999999999999",
	};
	static const char *const erange[] = {
		"0ms", "0s", "0m", "86400001ms", "86401s", "1441m",
		"18446744073709551615ms", "18446744073709551616ms",
		"99999999999999999999999999999m", "307445734561825861m",
	};
	uint64_t ms = 42;
	size_t i;

	for (i = 0; i < sizeof(einval) / sizeof(einval[0]); i++)
		if (plan__parse_duration(einval[i], &ms) != -EINVAL)
			fail_msg("'%s' should be -EINVAL", einval[i]);
	for (i = 0; i < sizeof(erange) / sizeof(erange[0]); i++)
		if (plan__parse_duration(erange[i], &ms) != -ERANGE)
			fail_msg("'%s' should be -ERANGE", erange[i]);
	assert_int_equal(plan__parse_duration(NULL, &ms), -EINVAL);
	assert_true(ms == 42);	/* untouched on error */
}

static void test_duration_errors(void **state)
{
	static const struct bad t[] = {
		{ BASE "steps:\n  - canary: {}\n  - analyze: {duration: 10}\n",
		  12, 25, "duration: '10' needs a unit: ms, s, m or h" },
		{ BASE "steps:\n  - canary: {}\n  - analyze: {duration: 10d}\n",
		  12, 25, "duration: '10d' is not a duration" },
		{ BASE "steps:\n  - canary: {}\n  - analyze: {duration: 1.5s}\n",
		  12, 25, "'1.5s' is not a duration" },
		{ BASE "steps:\n  - canary: {}\n  - analyze: {duration: 0s}\n",
		  12, 25, "duration: 0s is out of range 1ms..24h" },
		{ BASE "steps:\n  - canary: {}\n  - analyze: {duration: 25h}\n",
		  12, 25, "25h is out of range 1ms..24h" },
		{ BASE "steps:\n  - canary: {}\n  - analyze: {duration: 1441m}\n",
		  12, 25, "1441m is out of range 1ms..24h" },
		{ BASE "steps:\n  - canary: {}\n"
		  "  - analyze: {duration: 99999999999999999999999s}\n",
		  12, 25, "is out of range 1ms..24h" },
		{ BASE "steps:\n  - canary: {}\n  - analyze: {duration: [1s]}\n",
		  12, 25, "duration: expected a string, got a sequence" },
		{ BASE "steps:\n  - promote: {analyze: 0s}\n",
		  11, 24, "analyze: 0s is out of range" },
		{ BASE "gates:\n  exec_timeout: 5\n",
		  11, 17, "exec_timeout: '5' needs a unit" },
		{ BASE "gates:\n  exec_timeout:\n",
		  11, 16, "exec_timeout: expected a string, got nothing (null)" },
	};

	EXPECT_TABLE(t);
}

static void test_integers(void **state)
{
	static const struct bad t[] = {
		{ BASE "gates:\n  min_packets: abc\n", 11, 16,
		  "min_packets: 'abc' is not an unsigned decimal integer" },
		{ BASE "gates:\n  min_packets: -1\n", 11, 16,
		  "'-1' is not an unsigned decimal integer" },
		{ BASE "gates:\n  min_packets: +1\n", 11, 16,
		  "'+1' is not an unsigned decimal integer" },
		{ BASE "gates:\n  min_packets: 010\n", 11, 16,
		  "'010' is not an unsigned decimal integer (no sign, no leading zero)" },
		{ BASE "gates:\n  max_aborted: 0x10\n", 11, 16,
		  "max_aborted: '0x10' is not" },
		{ BASE "gates:\n  max_aborted: 1.0\n", 11, 16,
		  "max_aborted: '1.0' is not" },
		{ BASE "gates:\n  max_tail_misses: 18446744073709551616\n",
		  11, 20, "max_tail_misses: 18446744073709551616 is too large" },
		{ BASE "gates:\n  min_packets: \"100\"\n", 11, 16,
		  "min_packets: expected an unsigned integer, got a quoted string" },
		{ BASE "gates:\n  min_packets: {a: 1}\n", 11, 16,
		  "min_packets: expected an unsigned integer, got a mapping" },
		{ BASE "gates:\n  min_packets:\n", 11, 15,
		  "expected an unsigned integer, got nothing (null)" },
	};
	struct plan *p = must_parse(BASE "gates: {min_packets: 0, max_aborted: 18446744073709551615}\n");

	assert_int_equal(p->gates.min_packets, 0);
	assert_true(p->gates.max_aborted == UINT64_MAX);
	plan__free(p);
	EXPECT_TABLE(t);
}

static void test_ratios(void **state)
{
	static const struct bad t[] = {
		{ BASE "gates:\n  max_drop_ratio: 1.5\n", 11, 19,
		  "max_drop_ratio: 1.5 is out of range 0..1" },
		{ BASE "gates:\n  max_drop_ratio: -0.1\n", 11, 19,
		  "-0.1 is out of range 0..1" },
		{ BASE "gates:\n  max_drop_ratio: 1e999\n", 11, 19,
		  "1e999 is out of range 0..1" },
		{ BASE "gates:\n  max_drop_ratio_delta: 1.0000001\n", 11, 25,
		  "max_drop_ratio_delta: 1.0000001 is out of range" },
		{ BASE "gates:\n  max_drop_ratio: nan\n", 11, 19,
		  "max_drop_ratio: 'nan' is not a number" },
		{ BASE "gates:\n  max_drop_ratio: .nan\n", 11, 19,
		  "'.nan' is not a number" },
		{ BASE "gates:\n  max_drop_ratio: inf\n", 11, 19,
		  "'inf' is not a number" },
		{ BASE "gates:\n  max_drop_ratio: 0x1p-3\n", 11, 19,
		  "'0x1p-3' is not a number" },
		{ BASE "gates:\n  max_drop_ratio: 1e\n", 11, 19,
		  "'1e' is not a number" },
		{ BASE "gates:\n  max_drop_ratio: 0.1.2\n", 11, 19,
		  "'0.1.2' is not a number" },
		{ BASE "gates:\n  max_drop_ratio: 1%\n", 11, 19,
		  "'1%' is not a number" },
		{ BASE "gates:\n  max_drop_ratio: '0.1'\n", 11, 19,
		  "max_drop_ratio: expected a number, got a quoted string" },
		{ BASE "gates:\n  max_drop_ratio: [0.1]\n", 11, 19,
		  "expected a number, got a sequence" },
	};
	struct plan *p = must_parse(BASE "gates: {max_drop_ratio: 0, max_drop_ratio_delta: 1}\n");

	assert_true(p->gates.max_drop_ratio == 0);
	assert_true(p->gates.max_drop_ratio_delta == 1);
	plan__free(p);
	p = must_parse(BASE "gates: {max_drop_ratio: 1e-3, max_drop_ratio_delta: .5}\n");
	assert_true(p->gates.max_drop_ratio == 0.001);
	assert_true(p->gates.max_drop_ratio_delta == 0.5);
	plan__free(p);
	EXPECT_TABLE(t);
}

/* Keys */

static void test_unknown_keys(void **state)
{
	static const struct bad t[] = {
		{ BASE "nmae: x\n", 10, 1,
		  "unknown key 'nmae' in plan (expected name, hook, xdp_mode, interfaces, pipeline, datapath, steps, gates, on_failure, on_tail_miss)" },
		{ "name: t\nhook: xdp\ninterfaces:\n  fleeet: [tg1]\n", 4, 3,
		  "unknown key 'fleeet' in interfaces (expected canary, fleet)" },
		{ HEAD "pipeline:\n  - name: s\n    objekt: s.o\n", 8, 5,
		  "unknown key 'objekt' in pipeline stage (expected name, object, program, sha256, keep_maps, continue_on, mode)" },
		{ BASE "steps:\n  - canary: {count: 1}\n", 11, 14,
		  "unknown key 'count' in canary step (expected weight)" },
		{ BASE "steps:\n  - canary: {}\n  - analyze: {duration: 1s, every: 1s}\n",
		  12, 29, "unknown key 'every' in analyze step (expected duration, interval)" },
		{ BASE "steps:\n  - promote: {batch: 1, wait: 1s}\n", 11, 25,
		  "unknown key 'wait' in promote step (expected batch, analyze)" },
		{ BASE "steps:\n  - pause: {for: 1s}\n", 11, 13,
		  "unknown key 'for' in pause step (expected none)" },
		{ BASE "gates:\n  max_drops: 1\n", 11, 3,
		  "unknown key 'max_drops' in gates (expected min_packets, max_drop_ratio, max_drop_ratio_delta, max_verdict_delta, min_rate_ratio, max_aborted, max_tail_misses, exec, exec_timeout)" },
		{ BASE "steps:\n  - rollout: {}\n", 11, 5,
		  "unknown step 'rollout' (expected canary, analyze, promote or pause)" },
		/* Hostile text is shortened and made printable. */
		{ BASE "\"\\e[31m\\x01aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa\": 1\n",
		  10, 1, "unknown key '?[31m?aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa...' in plan" },
		{ BASE "? [a]\n: 1\n", 10, 3, "plan: a key must be a string, got a sequence" },
		{ BASE "{a: 1}: 1\n", 10, 1, "plan: a key must be a string, got a mapping" },
	};

	EXPECT_TABLE(t);
}

static void test_duplicate_keys(void **state)
{
	static const struct bad t[] = {
		{ BASE "name: u\n", 10, 1,
		  "duplicate key 'name' in plan (first at line 1)" },
		{ BASE "pipeline: []\n", 10, 1,
		  "duplicate key 'pipeline' in plan (first at line 6)" },
		{ "name: t\nhook: xdp\ninterfaces:\n  canary: [tg0]\n  canary: [tg1]\n",
		  5, 3, "duplicate key 'canary' in interfaces (first at line 4)" },
		{ HEAD "pipeline:\n  - name: s\n    object: s.o\n    program: p\n"
		  "    object: t.o\n", 10, 5,
		  "duplicate key 'object' in pipeline stage (first at line 8)" },
		{ BASE "steps:\n  - canary: {}\n"
		  "  - analyze: {duration: 1s,\n      duration: 2s}\n", 13, 7,
		  "duplicate key 'duration' in analyze step (first at line 12)" },
		{ BASE "gates:\n  max_aborted: 1\n  max_aborted: 1\n", 12, 3,
		  "duplicate key 'max_aborted' in gates (first at line 11)" },
		{ BASE "on_failure: pause\n\"on_failure\": pause\n", 11, 1,
		  "duplicate key 'on_failure' in plan (first at line 10)" },
	};

	EXPECT_TABLE(t);
}

static void test_missing_keys(void **state)
{
	static const struct bad t[] = {
		{ "hook: xdp\ninterfaces: {fleet: [a]}\n" PIPE, 1, 1,
		  "missing required key 'name' in plan" },
		{ "name: t\ninterfaces: {fleet: [a]}\n" PIPE, 1, 1,
		  "missing required key 'hook' in plan" },
		{ "name: t\nhook: xdp\n" PIPE, 1, 1, "missing required key 'interfaces' in plan" },
		{ HEAD, 1, 1, "missing required key 'pipeline' in plan" },
		{ HEAD "pipeline:\n  - object: s.o\n    program: p\n", 7, 5,
		  "missing required key 'name' in pipeline stage" },
		{ HEAD "pipeline:\n  - name: s\n    program: p\n", 7, 5,
		  "missing required key 'object' in pipeline stage" },
		{ HEAD "pipeline:\n  - {name: s, object: s.o, program: \"\"}\n", 7, 37,
		  "program '' must be 1..63 characters long" },
		{ BASE "steps:\n  - canary: {}\n  - analyze: {interval: 1s}\n", 12, 14,
		  "missing required key 'duration' in analyze step" },
		{ BASE "steps:\n  - canary: {}\n  - analyze: {}\n", 12, 14,
		  "missing required key 'duration' in analyze step" },
	};

	EXPECT_TABLE(t);
}

/* YAML features a plan refuses */

static void test_aliases_anchors_tags(void **state)
{
	static const struct bad t[] = {
		{ "name: &n t\n", 1, 7,
		  "YAML anchors are not allowed (&n)" },
		{ BASE "gates: &g\n  max_aborted: 1\n", 10, 8,
		  "YAML anchors are not allowed (&g)" },
		{ HEAD "pipeline: &p\n  - {name: s, object: s.o, program: p}\n",
		  6, 11, "YAML anchors are not allowed (&p)" },
		{ "name: t\nhook: xdp\ninterfaces:\n  canary: &c [tg0]\n", 4, 11,
		  "YAML anchors are not allowed (&c)" },
		{ "name: *n\n", 1, 7, "YAML aliases are not allowed (*n)" },
		{ "name: !!str t\n", 1, 7, "YAML tags are not allowed" },
		{ "name: !local t\n", 1, 7, "YAML tags are not allowed (!local)" },
		{ "name: ! t\n", 1, 7, "YAML tags are not allowed (!)" },
		{ BASE "gates: !!map {}\n", 10, 8, "YAML tags are not allowed" },
		{ BASE "steps: !!seq []\n", 10, 8, "YAML tags are not allowed" },
		{ "!!map\nname: t\n", 1, 1, "YAML tags are not allowed" },
		{ "name: \"a\\0b\"\n", 1, 7, "NUL character in a string" },
	};

	EXPECT_TABLE(t);
}

static void test_yaml_syntax(void **state)
{
	static const struct bad t[] = {
		{ "name: t\nhook: [xdp\n", 3, 1,
		  "YAML syntax error: did not find expected ',' or ']' (while parsing a flow sequence at line 2, column 7)" },
		{ "name: t\n  hook: xdp\n", 2, 7,
		  "YAML syntax error: mapping values are not allowed in this context" },
		{ "name: t\n\tbad: 1\n", 2, 1, "YAML syntax error" },
		{ "name: @t\n", 1, 7,
		  "YAML syntax error: found character that cannot start any token" },
		{ "name: \"t\n", 2, 1, "YAML syntax error: found unexpected end of stream" },
		{ "name: t\xff\n", 1, 8, "invalid input: invalid leading UTF-8 octet (0xff)" },
		{ "name: t\xc3", 1, 8, "invalid input: incomplete UTF-8 octet sequence" },
		/* columns count characters: the surrogate is the 8th on line 2 */
		{ "name: t\nhook: \xc3\xa9\xed\xa0\x80\n", 2, 8,
		  "invalid input: invalid Unicode character (0xd800)" },
		{ "name: t\nhook: \x01\n", 2, 7, "invalid input: control characters are not allowed" },
	};

	EXPECT_TABLE(t);
}

static void test_documents(void **state)
{
	static const struct bad t[] = {
		{ "", 1, 1, "empty document" },
		{ "# just a comment\n\n", 3, 1, "empty document" },
		{ "---\n", 2, 1, "empty document" },
		{ "~\n", 1, 1, "empty document" },
		{ BASE "---\n" BASE, 10, 1,
		  "a second YAML document; a plan is exactly one document" },
		{ BASE "...\n---\nname: u\n", 11, 1, "a second YAML document" },
		{ "- name: t\n", 1, 1, "plan: expected a mapping, got a sequence" },
		{ "counter-v2\n", 1, 1, "plan: expected a mapping, got a string" },
	};

	EXPECT_TABLE(t);
}

static void test_depth(void **state)
{
	/* 8 levels is the limit: the ninth is refused wherever it is. */
	struct plan *p = must_parse(BASE "gates: {exec: x}\n");

	plan__free(p);
	EXPECT_BAD(BASE "gates: {exec: [[[[[[[1]]]]]]]}\n", 10, 21,
		   "nesting deeper than 8 levels");
	EXPECT_BAD(BASE "gates: {exec: [[[[[[{}]]]]]]}\n", 10, 21,
		   "nesting deeper than 8 levels");
	/*
	 * Root, gates and six sequences: eight levels pass the builder (exec
	 * takes a list, so its first entry is the one refused).
	 */
	EXPECT_BAD(BASE "gates: {exec: [[[[[[1]]]]]]}\n", 10, 16,
		   "exec: expected a string, got a sequence");
	EXPECT_BAD("a:\n b:\n  c:\n   d:\n    e:\n     f:\n      g:\n"
		   "       h:\n        i: 1\n", 9, 9,
		   "nesting deeper than 8 levels");
}

static void test_size_limit(void **state)
{
	size_t len = PLAN_MAX_FILE_SIZE + 1;
	struct plan_error err;
	char *buf = malloc(len);
	struct plan *p;

	assert_non_null(buf);
	memset(buf, '#', len);
	errno = 0;
	p = plan__parse_buf(buf, len, "big", "/", &err);
	assert_null(p);
	assert_int_equal(errno, EFBIG);
	assert_int_equal(err.line, 0);
	assert_int_equal(err.col, 0);
	assert_non_null(strstr(err.msg, "plan is 262145 bytes, more than the limit of 262144"));
	/* At the limit it is parsed (and is only a comment). */
	p = plan__parse_buf(buf, len - 1, "big", "/", &err);
	assert_null(p);
	assert_int_equal(errno, EINVAL);
	assert_non_null(strstr(err.msg, "empty document"));
	free(buf);
}

/* Types */

static void test_wrong_types(void **state)
{
	static const struct bad t[] = {
		{ "name: {a: b}\n", 1, 7, "name: expected a string, got a mapping" },
		{ "name: [t]\n", 1, 7, "name: expected a string, got a sequence" },
		{ "name:\nhook: xdp\n", 1, 6, "name: expected a string, got nothing (null)" },
		{ "name: t\nhook: [xdp]\n", 2, 7, "hook: expected a string, got a sequence" },
		{ "name: t\nhook: xdp\ninterfaces: [tg0]\n", 3, 13,
		  "interfaces: expected a mapping, got a sequence" },
		{ "name: t\nhook: xdp\ninterfaces: {canary: tg0}\n", 3, 22,
		  "canary: expected a sequence, got a string" },
		{ "name: t\nhook: xdp\ninterfaces: {fleet: {tg0: 1}}\n", 3, 21,
		  "fleet: expected a sequence, got a mapping" },
		{ "name: t\nhook: xdp\ninterfaces: {fleet: [[tg0]]}\n", 3, 22,
		  "fleet: expected a string, got a sequence" },
		{ "name: t\nhook: xdp\ninterfaces: {fleet: [~]}\n", 3, 22,
		  "fleet: expected a string, got nothing (null)" },
		{ HEAD "pipeline: {name: s}\n", 6, 11,
		  "pipeline: expected a sequence, got a mapping" },
		{ HEAD "pipeline:\n  - s.o\n", 7, 5,
		  "pipeline stage: expected a mapping, got a string" },
		{ HEAD "pipeline:\n  - name: s\n    object: [s.o]\n", 8, 13,
		  "object: expected a string, got a sequence" },
		{ HEAD "pipeline:\n  - {name: s, object: s.o, program: p, keep_maps: m}\n",
		  7, 51, "keep_maps: expected a sequence, got a string" },
		{ HEAD "pipeline:\n  - {name: s, object: s.o, program: p, keep_maps: [{a: 1}]}\n",
		  7, 52, "keep_maps: expected a string, got a mapping" },
		{ HEAD "pipeline:\n  - {name: s, object: s.o, program: p, sha256: 1}\n",
		  7, 48, "sha256: expected 64 hex digits, got 1 characters" },
		{ HEAD "pipeline:\n  - {name: s, object: s.o, program: p, sha256: {}}\n",
		  7, 48, "sha256: expected a string, got a mapping" },
		{ BASE "steps: canary\n", 10, 8, "steps: expected a sequence, got a string" },
		{ BASE "steps:\n  - canary\n", 11, 5,
		  "steps: expected a mapping such as 'canary: {}', got a string" },
		{ BASE "steps:\n  - [canary]\n", 11, 5,
		  "expected a mapping such as 'canary: {}', got a sequence" },
		{ BASE "steps:\n  - canary: []\n", 11, 13,
		  "canary step: expected a mapping, got a sequence" },
		{ BASE "steps:\n  - promote: 2\n", 11, 14,
		  "promote step: expected a mapping, got a string" },
		{ BASE "steps:\n  - {[canary]: {}}\n", 11, 6,
		  "unknown step 'a sequence'" },
		{ BASE "gates: []\n", 10, 8, "gates: expected a mapping, got a sequence" },
		{ BASE "gates: {exec: 1.5.6, exec_timeout: {}}\n", 10, 36,
		  "exec_timeout: expected a string, got a mapping" },
		{ BASE "on_failure: [pause]\n", 10, 13,
		  "on_failure: expected a string, got a sequence" },
	};

	EXPECT_TABLE(t);
}

static void test_choices(void **state)
{
	static const struct bad t[] = {
		{ "name: t\nhook: XDP\n", 2, 7,
		  "hook: unknown value 'XDP' (expected xdp, tc-ingress or tc-egress)" },
		{ "name: t\nhook: tc\n", 2, 7, "hook: unknown value 'tc'" },
		{ BASE "on_failure: retry\n", 10, 13,
		  "on_failure: unknown value 'retry' (expected rollback or pause)" },
		{ BASE "on_tail_miss: abort\n", 10, 15,
		  "on_tail_miss: unknown value 'abort' (expected pass or drop)" },
	};
	struct plan *p = must_parse(BASE "on_tail_miss: pass\non_failure: rollback\n");

	assert_false(p->fail_closed);
	assert_int_equal(p->on_failure, PLAN_ON_FAILURE_ROLLBACK);
	plan__free(p);
	EXPECT_TABLE(t);
}

/* Names */

static void test_names(void **state)
{
	/* clang-format off */
	static const struct bad t[] = {
		{ "name: ''\n", 1, 7, "name '' must be 1..63 characters long" },
		{ "name: 0123456789012345678901234567890123456789012345678901234567890123\n",
		  1, 7, "must be 1..63 characters long" },
		{ "name: a b\n", 1, 7,
		  "name 'a b' has a character outside [A-Za-z0-9_.-]" },
		{ "name: a/b\n", 1, 7, "has a character outside [A-Za-z0-9_.-]" },
		{ "name: \"caf\xc3\xa9\"\n", 1, 7,
		  "name 'caf?" "?' has a character outside" },
		{ HEAD "pipeline:\n  - {name: s!, object: s.o, program: p}\n", 7, 12,
		  "name 's!' has a character outside" },
		{ HEAD "pipeline:\n  - {name: s, object: s.o, program: 'p()'}\n", 7, 37,
		  "program 'p()' has a character outside" },
		{ HEAD "pipeline:\n  - {name: s, object: s.o, program: p, keep_maps: [a, 'b c']}\n",
		  7, 55, "map name 'b c' has a character outside" },
		{ HEAD "pipeline:\n  - {name: s, object: '', program: p}\n", 7, 23,
		  "object: empty path" },
		{ HEAD "pipeline:\n  - {name: s, object: \"a\\e[31m.o\", program: p}\n", 7, 23,
		  "object: path 'a?[31m.o' has a control character" },
	};
	/* clang-format on */
	struct plan *p;

	/* 63 characters and every allowed class */
	p = must_parse("name: aZ09_.-" "01234567890123456789012345678901234567890123456789" "012345\n"
		       "hook: xdp\ninterfaces: {fleet: [e]}\n" PIPE);
	assert_int_equal(strlen(p->name), PLAN_MAX_NAME - 1);
	plan__free(p);
	EXPECT_TABLE(t);
}

static void test_stage_names_unique(void **state)
{
	EXPECT_BAD(HEAD "pipeline:\n"
		   "  - {name: a, object: a.o, program: p}\n"
		   "  - {name: b, object: b.o, program: p}\n"
		   "  - {name: a, object: c.o, program: p}\n",
		   9, 12, "stage name 'a' is used twice (first at line 7)");
}

static void test_stage_count(void **state)
{
	char yaml[4096];
	struct plan *p;
	size_t off;
	int i;

	off = snprintf(yaml, sizeof(yaml), HEAD "pipeline:\n");
	for (i = 0; i < TG_MAX_STAGES; i++)
		off += snprintf(yaml + off, sizeof(yaml) - off,
				"  - {name: s%d, object: s.o, program: p}\n", i);
	p = must_parse(yaml);
	assert_int_equal(p->nr_stages, TG_MAX_STAGES);
	assert_string_equal(p->stages[15].name, "s15");
	assert_int_equal(p->stages[15].line, 22);
	plan__free(p);
	snprintf(yaml + off, sizeof(yaml) - off,
		 "  - {name: s16, object: s.o, program: p}\n");
	EXPECT_BAD(yaml, 23, 5, "pipeline: more than 16 stages");
	EXPECT_BAD(HEAD "pipeline: []\n", 6, 11,
		   "pipeline: at least one stage is needed");
	EXPECT_BAD(HEAD "pipeline:\n", 6, 10,
		   "pipeline: at least one stage is needed");
}

static void test_sha256(void **state)
{
	static const struct bad t[] = {
		{ HEAD "pipeline:\n  - {name: s, object: s.o, program: p, sha256: "
		  "9f2c}\n", 7, 48,
		  "sha256: expected 64 hex digits, got 4 characters" },
		{ HEAD "pipeline:\n  - {name: s, object: s.o, program: p, sha256: "
		  "00000000000000000000000000000000000000000000000000000000000000000}\n",
		  7, 48, "expected 64 hex digits, got 65 characters" },
		{ HEAD "pipeline:\n  - {name: s, object: s.o, program: p, sha256: "
		  "000000000000000000000000000000000000000000000000000000000000000g}\n",
		  7, 48, "sha256: character 64 is not a hex digit" },
		{ HEAD "pipeline:\n  - {name: s, object: s.o, program: p, sha256: "
		  "x000000000000000000000000000000000000000000000000000000000000000}\n",
		  7, 48, "sha256: character 1 is not a hex digit" },
		{ HEAD "pipeline:\n  - {name: s, object: s.o, program: p, sha256: "
		  "'00000000000000000000000000000000000000000000000000000000000000 0'}\n",
		  7, 48, "sha256: character 63 is not a hex digit" },
	};
	struct plan *p;
	int i;

	p = must_parse(HEAD "pipeline:\n  - {name: s, object: s.o, program: p, sha256: "
		       "ABCDEF0123456789abcdef0123456789ABCDEF0123456789abcdef0123456789}\n");
	assert_true(p->stages[0].has_sha256);
	for (i = 0; i < 32; i += 8) {
		assert_int_equal(p->stages[0].sha256[i], 0xab);
		assert_int_equal(p->stages[0].sha256[i + 3], 0x01);
		assert_int_equal(p->stages[0].sha256[i + 7], 0x89);
	}
	plan__free(p);
	EXPECT_TABLE(t);
}

static void test_keep_maps(void **state)
{
	char yaml[2048];
	struct plan *p;
	size_t off;
	int i;

	off = snprintf(yaml, sizeof(yaml), HEAD "pipeline:\n"
		       "  - name: s\n    object: s.o\n    program: p\n"
		       "    keep_maps:\n");
	for (i = 0; i < PLAN_MAX_KEEP_MAPS; i++)
		off += snprintf(yaml + off, sizeof(yaml) - off, "      - m%d\n", i);
	p = must_parse(yaml);
	assert_int_equal(p->stages[0].nr_keep_maps, PLAN_MAX_KEEP_MAPS);
	assert_string_equal(p->stages[0].keep_maps[15], "m15");
	plan__free(p);
	snprintf(yaml + off, sizeof(yaml) - off, "      - m16\n");
	EXPECT_BAD(yaml, 27, 9, "keep_maps: more than 16 maps");
	EXPECT_BAD(HEAD "pipeline:\n  - {name: s, object: s.o, program: p, "
		   "keep_maps: [a, b, a]}\n", 7, 58,
		   "keep_maps: 'a' is listed twice");
}

/* Interfaces */

static void test_ifnames(void **state)
{
	static const struct bad t[] = {
		{ "name: t\nhook: xdp\ninterfaces: {fleet: [abcdefghijklmnop]}\n",
		  3, 22, "interface name 'abcdefghijklmnop' must be 1..15 characters long" },
		{ "name: t\nhook: xdp\ninterfaces: {fleet: ['']}\n", 3, 22,
		  "interface name '' must be 1..15 characters long" },
		{ "name: t\nhook: xdp\ninterfaces: {fleet: [a/b]}\n", 3, 22,
		  "interface name 'a/b' has a '/', ':', space or control character" },
		{ "name: t\nhook: xdp\ninterfaces: {fleet: ['a b']}\n", 3, 22,
		  "interface name 'a b' has a '/'" },
		{ "name: t\nhook: xdp\ninterfaces: {fleet: [\"a\\tb\"]}\n", 3, 22,
		  "interface name 'a?b' has a '/'" },
		{ "name: t\nhook: xdp\ninterfaces: {fleet: ['eth0:1']}\n", 3, 22,
		  "has a '/', ':', space" },
		{ "name: t\nhook: xdp\ninterfaces: {fleet: [..]}\n", 3, 22,
		  "'..' is not an interface name" },
		{ "name: t\nhook: xdp\ninterfaces: {fleet: [.]}\n", 3, 22,
		  "'.' is not an interface name" },
	};
	struct plan *p;

	/* IFNAMSIZ - 1 characters and glob characters are fine */
	p = must_parse("name: t\nhook: xdp\ninterfaces:\n"
		       "  fleet: [abcdefghijklmno, \"tg*\", \"tg?\", \"tg[0-9]\"]\n" PIPE);
	assert_int_equal(p->nr_fleet, 4);
	assert_string_equal(p->fleet[0], "abcdefghijklmno");
	assert_string_equal(p->fleet[1], "tg*");
	assert_string_equal(p->fleet[3], "tg[0-9]");
	plan__free(p);
	EXPECT_TABLE(t);
}

static void test_iface_duplicates(void **state)
{
	static const struct bad t[] = {
		{ "name: t\nhook: xdp\ninterfaces:\n  canary: [tg0]\n"
		  "  fleet: [tg1, tg0]\n", 5, 16,
		  "interface 'tg0' is listed twice (already in canary)" },
		{ "name: t\nhook: xdp\ninterfaces:\n  fleet: [tg1, tg0]\n"
		  "  canary: [tg0]\n", 5, 12,
		  "interface 'tg0' is listed twice (already in fleet)" },
		{ "name: t\nhook: xdp\ninterfaces:\n  fleet: [tg1, tg1]\n", 4, 16,
		  "interface 'tg1' is listed twice (already in fleet)" },
		{ "name: t\nhook: xdp\ninterfaces:\n  canary: [\"tg*\", \"tg*\"]\n",
		  4, 19, "interface 'tg*' is listed twice (already in canary)" },
	};

	EXPECT_TABLE(t);
}

static void test_iface_count(void **state)
{
	size_t size = 16 * (PLAN_MAX_IFACES + 2) + 512, off;
	char *yaml = malloc(size);
	struct plan *p;
	int i;

	assert_non_null(yaml);
	off = snprintf(yaml, size, "name: t\nhook: xdp\ninterfaces:\n"
		       "  canary: [c0, c1]\n  fleet:\n");
	for (i = 2; i < PLAN_MAX_IFACES; i++)
		off += snprintf(yaml + off, size - off, "  - f%d\n", i);
	snprintf(yaml + off, size - off, PIPE);
	p = must_parse(yaml);
	assert_int_equal(p->nr_canary, 2);
	assert_int_equal(p->nr_fleet, PLAN_MAX_IFACES - 2);
	assert_string_equal(p->fleet[PLAN_MAX_IFACES - 3], "f255");
	plan__free(p);
	off += snprintf(yaml + off, size - off, "  - f256\n");
	snprintf(yaml + off, size - off, PIPE);
	/* header is 5 lines, then f2..f255, so f256 is on line 5 + 255 */
	EXPECT_BAD(yaml, 260, 5, "more than 256 interfaces in canary and fleet");
	free(yaml);
}

static void test_no_interfaces(void **state)
{
	static const struct bad t[] = {
		{ "name: t\nhook: xdp\ninterfaces: {canary: [], fleet: []}\n" PIPE,
		  3, 13, "no interfaces: list at least one in canary or fleet" },
		{ "name: t\nhook: xdp\ninterfaces: {}\n" PIPE, 3, 13,
		  "no interfaces" },
		{ "name: t\nhook: xdp\ninterfaces:\n" PIPE, 3, 12, "no interfaces" },
	};
	struct plan *p = must_parse("name: t\nhook: xdp\ninterfaces: {canary: [tg0]}\n"
				    PIPE);

	/* Canaries alone are a complete rollout. */
	assert_int_equal(p->nr_canary, 1);
	assert_int_equal(p->nr_fleet, 0);
	plan__free(p);
	EXPECT_TABLE(t);
}

/* Steps */

static void test_step_shapes(void **state)
{
	static const struct bad t[] = {
		{ BASE "steps:\n  - {}\n", 11, 5,
		  "steps: empty step (expected canary, analyze, promote or pause)" },
		{ BASE "steps:\n  - canary: {}\n    promote: {}\n", 12, 5,
		  "steps: one kind per step; put 'promote' in a list item of its own" },
		{ BASE "steps: []\n", 10, 8, "steps: empty; leave steps out for the default" },
		{ BASE "steps:\n", 10, 7, "steps: empty" },
		{ BASE "steps:\n  - promote: {batch: 0}\n", 11, 22,
		  "batch: 0 is out of range 1..256" },
		{ BASE "steps:\n  - promote: {batch: 257}\n", 11, 22,
		  "batch: 257 is out of range 1..256" },
		{ BASE "steps:\n  - promote: {batch: 99999999999999999999}\n", 11, 22,
		  "batch: 99999999999999999999 is too large" },
		{ BASE "steps:\n  - promote: {batch: all}\n", 11, 22,
		  "batch: 'all' is not an unsigned decimal integer" },
		{ BASE "steps:\n  - promote: {batch: '2'}\n", 11, 22,
		  "batch: expected an unsigned integer, got a quoted string" },
	};
	struct plan *p = must_parse(BASE "steps:\n  - promote: {batch: 256}\n");

	assert_int_equal(p->steps[0].batch, 256);
	plan__free(p);
	EXPECT_TABLE(t);
}

static void test_step_count(void **state)
{
	char yaml[2048];
	struct plan *p;
	size_t off;
	int i;

	off = snprintf(yaml, sizeof(yaml), BASE "steps:\n");
	for (i = 0; i < PLAN_MAX_STEPS; i++)
		off += snprintf(yaml + off, sizeof(yaml) - off, "  - pause: {}\n");
	p = must_parse(yaml);
	assert_int_equal(p->nr_steps, PLAN_MAX_STEPS);
	assert_int_equal(p->steps[31].kind, PLAN_STEP_PAUSE);
	assert_int_equal(p->steps[31].line, 42);
	plan__free(p);
	snprintf(yaml + off, sizeof(yaml) - off, "  - pause: {}\n");
	EXPECT_BAD(yaml, 43, 5, "steps: more than 32 steps");
}

static void test_step_order(void **state)
{
	static const struct bad t[] = {
		{ BASE "steps:\n  - analyze: {duration: 1s}\n  - canary: {}\n", 11, 5,
		  "analyze step before any canary or promote step: nothing to judge" },
		{ BASE "steps:\n  - pause: {}\n  - analyze: {duration: 1s}\n", 12, 5,
		  "analyze step before any canary or promote step" },
		{ "name: t\nhook: xdp\ninterfaces: {fleet: [tg1]}\n" PIPE
		  "steps:\n  - canary: {}\n  - promote: {}\n", 9, 5,
		  "canary step, but interfaces has no canary" },
		/* The interfaces may come after the steps. */
		{ "name: t\nhook: xdp\n" PIPE "steps:\n  - canary: {}\n"
		  "interfaces: {fleet: [tg1]}\n", 8, 5,
		  "canary step, but interfaces has no canary" },
	};
	struct plan *p = must_parse(BASE "steps:\n  - promote: {batch: 1}\n"
				    "  - analyze: {duration: 1s}\n");

	assert_int_equal(p->nr_steps, 2);
	plan__free(p);
	EXPECT_TABLE(t);
}

/* exec: an argv, never a shell */

static void test_exec(void **state)
{
	struct plan *p;

	/* '' and white space have no words: no check, as without exec */
	p = must_parse(BASE "gates:\n  exec: ''\n");
	assert_int_equal(p->gates.nr_exec, 0);
	plan__free(p);
	p = must_parse(BASE "gates:\n  exec: \" \\t \"\n");
	assert_int_equal(p->gates.nr_exec, 0);
	plan__free(p);
}

static void test_exec_string(void **state)
{
	struct plan *p;

	/* Split at ASCII white space only; {ifname} stays for the engine. */
	p = must_parse(BASE "gates:\n  exec: \"  probe\\t -i  {ifname}\\n\"\n");
	assert_int_equal(p->gates.nr_exec, 3);
	assert_string_equal(p->gates.exec[0], "probe");
	assert_string_equal(p->gates.exec[1], "-i");
	assert_string_equal(p->gates.exec[2], "{ifname}");
	plan__free(p);
	/* No shell: ; $() ` * ' " are plain characters of their word. */
	p = must_parse(BASE "gates:\n  exec: \"x;rm -rf / $(id) `id` * 'a b'\"\n");
	assert_int_equal(p->gates.nr_exec, 8);
	assert_string_equal(p->gates.exec[0], "x;rm");
	assert_string_equal(p->gates.exec[1], "-rf");
	assert_string_equal(p->gates.exec[2], "/");
	assert_string_equal(p->gates.exec[3], "$(id)");
	assert_string_equal(p->gates.exec[4], "`id`");
	assert_string_equal(p->gates.exec[5], "*");
	assert_string_equal(p->gates.exec[6], "'a");
	assert_string_equal(p->gates.exec[7], "b'");
	plan__free(p);
	/* A plain scalar works too; --x={ifname} stays one word. */
	p = must_parse(BASE "gates:\n  exec: ./probe --if={ifname}\n");
	assert_int_equal(p->gates.nr_exec, 2);
	assert_string_equal(p->gates.exec[1], "--if={ifname}");
	plan__free(p);
}

static void test_exec_list(void **state)
{
	struct plan *p;

	/* Each entry is one argument, spaces and all. */
	p = must_parse(BASE "gates:\n  exec: [\"x;rm -rf /\"]\n");
	assert_int_equal(p->gates.nr_exec, 1);
	assert_string_equal(p->gates.exec[0], "x;rm -rf /");
	plan__free(p);
	p = must_parse(BASE "gates:\n  exec:\n    - /opt/my probe\n"
		       "    - \"{ifname}\"\n    - '$HOME'\n    - 5\n");
	assert_int_equal(p->gates.nr_exec, 4);
	assert_string_equal(p->gates.exec[0], "/opt/my probe");
	assert_string_equal(p->gates.exec[1], "{ifname}");
	assert_string_equal(p->gates.exec[2], "$HOME");
	assert_string_equal(p->gates.exec[3], "5");
	plan__free(p);
}

static void test_exec_limits(void **state)
{
	char arg[PLAN_MAX_EXEC_ARG + 1], yaml[4096];
	struct plan *p;
	size_t off;
	int i;

	/* 255 bytes fit, 256 do not, in both forms */
	memset(arg, 'a', PLAN_MAX_EXEC_ARG - 1);
	arg[PLAN_MAX_EXEC_ARG - 1] = '\0';
	snprintf(yaml, sizeof(yaml), BASE "gates:\n  exec: \"p %s\"\n", arg);
	p = must_parse(yaml);
	assert_int_equal(strlen(p->gates.exec[1]), PLAN_MAX_EXEC_ARG - 1);
	plan__free(p);
	strcat(arg, "a");
	snprintf(yaml, sizeof(yaml), BASE "gates:\n  exec: \"p %s\"\n", arg);
	EXPECT_BAD(yaml, 11, 9, "exec: argument 2 is longer than 255 bytes");
	snprintf(yaml, sizeof(yaml), BASE "gates:\n  exec: [p, %s]\n", arg);
	EXPECT_BAD(yaml, 11, 13, "exec: argument 2 is longer than 255 bytes");

	/* 32 words fit, 33 do not */
	off = snprintf(yaml, sizeof(yaml), BASE "gates:\n  exec: \"");
	for (i = 0; i < PLAN_MAX_EXEC_ARGS; i++)
		off += snprintf(yaml + off, sizeof(yaml) - off, "a%d ", i);
	snprintf(yaml + off, sizeof(yaml) - off, "\"\n");
	p = must_parse(yaml);
	assert_int_equal(p->gates.nr_exec, PLAN_MAX_EXEC_ARGS);
	assert_string_equal(p->gates.exec[31], "a31");
	plan__free(p);
	snprintf(yaml + off, sizeof(yaml) - off, "a32\"\n");
	EXPECT_BAD(yaml, 11, 9, "exec: more than 32 arguments");

	/* The list form points at the entry too much */
	off = snprintf(yaml, sizeof(yaml), BASE "gates:\n  exec:\n");
	for (i = 0; i <= PLAN_MAX_EXEC_ARGS; i++)
		off += snprintf(yaml + off, sizeof(yaml) - off, "    - a%d\n", i);
	EXPECT_BAD(yaml, 44, 7, "exec: more than 32 arguments");
}

static void test_exec_errors(void **state)
{
	static const struct bad t[] = {
		{ BASE "gates:\n  exec: []\n", 11, 9,
		  "exec: an empty list runs nothing; leave exec out for no check" },
		{ BASE "gates:\n  exec: [probe, '']\n", 11, 17,
		  "exec: argument 2 is empty" },
		{ BASE "gates:\n  exec: [probe, ~]\n", 11, 17,
		  "exec: expected a string, got nothing (null)" },
		{ BASE "gates:\n  exec: [probe, [a]]\n", 11, 17,
		  "exec: expected a string, got a sequence" },
		{ BASE "gates:\n  exec: [probe, {a: b}]\n", 11, 17,
		  "exec: expected a string, got a mapping" },
		{ BASE "gates:\n  exec: {probe: 1}\n", 11, 9,
		  "exec: expected a string or a sequence of strings, got a mapping" },
		{ BASE "gates:\n  exec:\n", 11, 8,
		  "exec: expected a string or a sequence of strings, got nothing (null)" },
		{ BASE "gates:\n  exec: [probe, \"a\\0b\"]\n", 11, 17,
		  "NUL character in a string" },
		{ BASE "gates:\n  exec: \"probe a\\0b\"\n", 11, 9,
		  "NUL character in a string" },
		{ BASE "gates:\n  exec: a\n  exec: [b]\n", 12, 3,
		  "duplicate key 'exec' in gates (first at line 11)" },
	};

	EXPECT_TABLE(t);
}

/* Stages: continue_on and mode */

#define STAGE HEAD "pipeline:\n  - name: s\n    object: s.o\n    program: p\n"

static void test_continue_on(void **state)
{
	static const struct bad t[] = {
		{ STAGE "    continue_on: [pass, pass]\n", 10, 25,
		  "continue_on: 'pass' is listed twice" },
		{ STAGE "    continue_on: [drop, tx, drop]\n", 10, 29,
		  "continue_on: 'drop' is listed twice" },
		{ STAGE "    continue_on: [pass, accept]\n", 10, 25,
		  "continue_on: unknown value 'accept' (expected pass, drop, aborted, tx or redirect)" },
		{ STAGE "    continue_on: [PASS]\n", 10, 19,
		  "continue_on: unknown value 'PASS'" },
		{ STAGE "    continue_on: [continue]\n", 10, 19,
		  "continue_on: unknown value 'continue'" },
		{ STAGE "    continue_on: []\n", 10, 18,
		  "continue_on: empty; list the verdicts that go on to the next stage" },
		{ STAGE "    continue_on:\n", 10, 17, "continue_on: empty" },
		{ STAGE "    continue_on: pass\n", 10, 18,
		  "continue_on: expected a sequence, got a string" },
		{ STAGE "    continue_on: [[pass]]\n", 10, 19,
		  "continue_on: expected a string, got a sequence" },
		{ STAGE "    continue_on: [~]\n", 10, 19,
		  "continue_on: expected a string, got nothing (null)" },
	};
	struct plan *p;

	p = must_parse(STAGE "    continue_on: [pass, drop, aborted, tx, redirect]\n");
	assert_true(p->stages[0].has_continue_on);
	assert_int_equal(p->stages[0].continue_on, TG_VERDICT_ALL);
	plan__free(p);
	p = must_parse(STAGE "    continue_on:\n      - tx\n      - drop\n"
		       "  - {name: t, object: t.o, program: p}\n");
	assert_true(p->stages[0].has_continue_on);
	assert_int_equal(p->stages[0].continue_on,
			 TG_VERDICT_BIT(TG_TX) | TG_VERDICT_BIT(TG_DROP));
	/* one stage's continue_on is not the next one's */
	assert_false(p->stages[1].has_continue_on);
	assert_int_equal(p->stages[1].continue_on, TG_VERDICT_BIT(TG_PASS));
	plan__free(p);
	p = must_parse(STAGE "    continue_on: [pass]\n");
	assert_true(p->stages[0].has_continue_on);
	assert_int_equal(p->stages[0].continue_on, TG_VERDICT_BIT(TG_PASS));
	plan__free(p);
	EXPECT_TABLE(t);
}

static void test_stage_mode(void **state)
{
	static const struct bad t[] = {
		{ STAGE "    mode: Shadow\n", 10, 11,
		  "mode: unknown value 'Shadow' (expected enforce or shadow)" },
		{ STAGE "    mode: [shadow]\n", 10, 11,
		  "mode: expected a string, got a sequence" },
		{ STAGE "    mode:\n", 10, 10,
		  "mode: expected a string, got nothing (null)" },
		{ STAGE "    mode: shadow\n    mode: enforce\n", 11, 5,
		  "duplicate key 'mode' in pipeline stage (first at line 10)" },
	};
	struct plan *p;

	p = must_parse(STAGE "    mode: shadow\n"
		       "  - {name: t, object: t.o, program: p, mode: enforce}\n"
		       "  - {name: u, object: u.o, program: p}\n");
	assert_int_equal(p->stages[0].mode, PLAN_MODE_SHADOW);
	assert_int_equal(p->stages[1].mode, PLAN_MODE_ENFORCE);
	assert_int_equal(p->stages[2].mode, PLAN_MODE_ENFORCE);
	plan__free(p);
	EXPECT_TABLE(t);
}

/* datapath and xdp_mode */

static void test_datapath(void **state)
{
	static const struct bad t[] = {
		{ BASE "datapath: fast\n", 10, 11,
		  "datapath: unknown value 'fast' (expected chained, fused or auto)" },
		{ BASE "datapath: {fused: 1}\n", 10, 11,
		  "datapath: expected a string, got a mapping" },
	};
	static const struct {
		const char *yaml;
		enum plan_datapath dp;
	} ok[] = {
		{ BASE "datapath: chained\n", PLAN_DP_CHAINED },
		{ BASE "datapath: fused\n", PLAN_DP_FUSED },
		{ BASE "datapath: auto\n", PLAN_DP_AUTO },
		{ "datapath: fused\n" BASE, PLAN_DP_FUSED },
	};
	struct plan *p;
	size_t i;

	for (i = 0; i < sizeof(ok) / sizeof(ok[0]); i++) {
		p = must_parse(ok[i].yaml);
		assert_int_equal(p->datapath, ok[i].dp);
		plan__free(p);
	}
	EXPECT_TABLE(t);
}

static void test_xdp_mode(void **state)
{
	static const struct bad t[] = {
		{ BASE "xdp_mode: generic\n", 10, 11,
		  "xdp_mode: unknown value 'generic' (expected native or skb)" },
		{ "name: t\nhook: tc-ingress\nxdp_mode: skb\n"
		  "interfaces: {fleet: [tg1]}\n" PIPE, 3, 1,
		  "xdp_mode applies to hook xdp only (this plan's hook is tc-ingress)" },
		/* hook after xdp_mode: still the key's position */
		{ "name: t\nxdp_mode: native\ninterfaces: {fleet: [tg1]}\n"
		  PIPE "hook: tc-egress\n", 2, 1,
		  "xdp_mode applies to hook xdp only (this plan's hook is tc-egress)" },
		{ "name: t\nhook: tc-egress\ninterfaces: {fleet: [tg1]}\n"
		  PIPE "gates: {}\n  # comment\nxdp_mode: skb\n", 10, 1,
		  "xdp_mode applies to hook xdp only" },
		/* a bad value is reported before the hook is compared */
		{ "name: t\nhook: tc-egress\nxdp_mode: 1\n", 3, 11,
		  "xdp_mode: unknown value '1' (expected native or skb)" },
	};
	struct plan *p;

	p = must_parse(BASE "xdp_mode: skb\n");
	assert_int_equal(p->xdp_mode, PLAN_XDP_SKB);
	plan__free(p);
	p = must_parse("xdp_mode: native\n" BASE);
	assert_int_equal(p->xdp_mode, PLAN_XDP_NATIVE);
	plan__free(p);
	/* without xdp_mode, any hook is fine and the mode is native */
	p = must_parse("name: t\nhook: tc-ingress\ninterfaces: {fleet: [tg1]}\n" PIPE);
	assert_int_equal(p->xdp_mode, PLAN_XDP_NATIVE);
	plan__free(p);
	EXPECT_TABLE(t);
}

/* Weighted canaries */

static void test_weights(void **state)
{
	static const struct {
		const char *weight;
		uint32_t bp;
	} ok[] = {
		{ "5%", 500 }, { "0.5%", 50 }, { "12.25%", 1225 },
		{ "0.01%", 1 }, { "99.99%", 9999 }, { "7.5%", 750 },
		{ "'5%'", 500 }, { "\"50.10%\"", 5010 }, { "05%", 500 },
	};
	char yaml[512];
	struct plan *p;
	size_t i;

	for (i = 0; i < sizeof(ok) / sizeof(ok[0]); i++) {
		snprintf(yaml, sizeof(yaml), BASE "steps:\n  - canary: {weight: %s}\n",
			 ok[i].weight);
		p = must_parse(yaml);
		assert_int_equal(p->steps[0].kind, PLAN_STEP_CANARY);
		if (p->steps[0].weight_bp != ok[i].bp)
			fail_msg("%s: weight_bp %u, want %u", ok[i].weight,
				 p->steps[0].weight_bp, ok[i].bp);
		plan__free(p);
	}
	/* rising weights, then every flow, then the fleet */
	p = must_parse(BASE "steps:\n"
		       "  - canary: {weight: 1%}\n"
		       "  - analyze: {duration: 1m, interval: 5s}\n"
		       "  - canary:\n      weight: 5%\n"
		       "  - pause: {}\n"
		       "  - canary: {weight: 5.01%}\n"
		       "  - canary: {}\n"
		       "  - canary:\n"
		       "  - promote: {}\n");
	assert_int_equal(p->nr_steps, 8);
	assert_int_equal(p->steps[0].weight_bp, 100);
	assert_int_equal(p->steps[1].weight_bp, 0);	/* not a canary */
	assert_int_equal(p->steps[2].weight_bp, 500);
	assert_int_equal(p->steps[4].weight_bp, 501);
	assert_int_equal(p->steps[5].weight_bp, TG_WEIGHT_FULL);
	assert_int_equal(p->steps[6].weight_bp, TG_WEIGHT_FULL);
	assert_int_equal(p->steps[7].weight_bp, 0);
	plan__free(p);
}

#define CANARY(w) BASE "steps:\n  - canary: {weight: " w "}\n"

static void test_weight_values(void **state)
{
	static const struct bad t[] = {
		{ CANARY("0%"), 11, 22,
		  "weight: 0% sends no flows to the new generation" },
		{ CANARY("0.00%"), 11, 22, "weight: 0.00% sends no flows" },
		{ CANARY("100%"), 11, 22,
		  "weight: 100% is not less than 100%; for all flows write canary: {}" },
		{ CANARY("100.00%"), 11, 22, "weight: 100.00% is not less than 100%" },
		{ CANARY("150%"), 11, 22, "weight: 150% is not less than 100%" },
		{ CANARY("99999999999999999999%"), 11, 22,
		  "is not less than 100%" },
		{ CANARY("5"), 11, 22, "weight: '5' needs a '%': write 5%" },
		{ CANARY("0.5"), 11, 22, "weight: '0.5' needs a '%': write 0.5%" },
		{ CANARY("5.001%"), 11, 22,
		  "weight: '5.001%' has more than two decimals (the finest weight is 0.01%)" },
		{ CANARY("0.001%"), 11, 22, "more than two decimals" },
		{ CANARY("-1%"), 11, 22,
		  "weight: '-1%' is not a percentage (such as 5%, 0.5% or 12.25%)" },
		{ CANARY("+1%"), 11, 22, "'+1%' is not a percentage" },
		{ CANARY(".5%"), 11, 22, "'.5%' is not a percentage" },
		{ CANARY("5.%"), 11, 22, "'5.%' is not a percentage" },
		{ CANARY("5%%"), 11, 22, "'5%%' is not a percentage" },
		{ CANARY("5 %"), 11, 22, "'5 %' is not a percentage" },
		{ CANARY("1e1%"), 11, 22, "'1e1%' is not a percentage" },
		{ CANARY("0x5%"), 11, 22, "'0x5%' is not a percentage" },
		{ CANARY("5%x"), 11, 22, "'5%x' is not a percentage" },
		{ CANARY("five%"), 11, 22, "'five%' is not a percentage" },
		{ CANARY("''"), 11, 22, "'' is not a percentage" },
		{ CANARY("~"), 11, 22,
		  "weight: expected a percentage such as 5%, got nothing (null)" },
		{ CANARY("[5%]"), 11, 22,
		  "weight: expected a percentage such as 5%, got a sequence" },
		{ BASE "steps:\n  - canary: {weight: 5%, weight: 6%}\n", 11, 26,
		  "duplicate key 'weight' in canary step (first at line 11)" },
		{ BASE "steps:\n  - canary: {share: 5%}\n", 11, 14,
		  "unknown key 'share' in canary step (expected weight)" },
	};

	EXPECT_TABLE(t);
}

static void test_weight_order(void **state)
{
	static const struct bad t[] = {
		{ BASE "steps:\n  - canary: {weight: 10%}\n"
		  "  - canary: {weight: 5%}\n", 12, 22,
		  "falling weight 5% after 10% (line 11): weighted canary steps must rise" },
		{ BASE "steps:\n  - canary: {weight: 10%}\n"
		  "  - analyze: {duration: 1s}\n  - pause: {}\n"
		  "  - canary: {weight: 9.99%}\n", 14, 22,
		  "falling weight 9.99% after 10% (line 11)" },
		{ BASE "steps:\n  - canary: {weight: 5%}\n"
		  "  - canary: {weight: '5.00%'}\n", 12, 22,
		  "repeated weight 5.00% after 5% (line 11): weighted canary steps must rise" },
		{ BASE "steps:\n  - canary: {}\n  - canary: {weight: 5%}\n",
		  12, 22,
		  "weight 5% after a full canary (line 11): a weighted canary comes before full canaries and promote steps" },
		{ BASE "steps:\n  - canary: {weight: 1%}\n  - canary:\n"
		  "  - analyze: {duration: 1s}\n  - canary:\n      weight: 50%\n",
		  15, 15, "weight 50% after a full canary (line 12)" },
		{ BASE "steps:\n  - promote: {}\n  - canary: {weight: 5%}\n",
		  12, 22, "weight 5% after a promote step (line 11)" },
		{ BASE "steps:\n  - canary: {weight: 1%}\n"
		  "  - promote: {batch: 1}\n  - canary: {}\n"
		  "  - canary: {weight: 2%}\n", 14, 22,
		  "weight 2% after a promote step (line 12)" },
		/* a weighted canary needs canaries like any canary step */
		{ "name: t\nhook: xdp\ninterfaces: {fleet: [tg1]}\n" PIPE
		  "steps:\n  - canary: {weight: 5%}\n", 9, 5,
		  "canary step, but interfaces has no canary" },
	};

	EXPECT_TABLE(t);
}

/* Gates new with the verdict and rate checks */

static void test_gate_ratios(void **state)
{
	static const struct bad t[] = {
		{ BASE "gates:\n  max_verdict_delta: 1.5\n", 11, 22,
		  "max_verdict_delta: 1.5 is out of range 0..1" },
		{ BASE "gates:\n  max_verdict_delta: 5%\n", 11, 22,
		  "max_verdict_delta: '5%' is not a number" },
		{ BASE "gates:\n  min_rate_ratio: -0.5\n", 11, 19,
		  "min_rate_ratio: -0.5 is out of range 0..1" },
		{ BASE "gates:\n  min_rate_ratio: '0.5'\n", 11, 19,
		  "min_rate_ratio: expected a number, got a quoted string" },
		{ BASE "gates:\n  min_rate_ratio:\n", 11, 18,
		  "min_rate_ratio: expected a number, got nothing (null)" },
	};
	struct plan *p;

	p = must_parse(BASE "gates: {max_verdict_delta: 0.2, min_rate_ratio: 0}\n");
	assert_true(p->gates.max_verdict_delta == 0.2);
	assert_true(p->gates.min_rate_ratio == 0);	/* 0 disables */
	/* the others keep their defaults */
	assert_true(p->gates.max_drop_ratio == 0.01);
	assert_int_equal(p->gates.min_packets, 100);
	plan__free(p);
	p = must_parse(BASE "gates: {max_verdict_delta: 1, min_rate_ratio: 1e-1}\n");
	assert_true(p->gates.max_verdict_delta == 1);
	assert_true(p->gates.min_rate_ratio == 0.1);
	plan__free(p);
	EXPECT_TABLE(t);
}

/* The plans that ship with tailgate (tests run from the top directory) */

static void test_shipped_plans(void **state)
{
	static const char *const paths[] = {
		"examples/counter-v1.yaml", "examples/counter-v2.yaml",
		"examples/bad-drop-all.yaml", "policies/cautious-canary.yaml",
		"policies/fast-fleet.yaml", "policies/manual-approval.yaml",
	};
	struct plan_error err;
	struct plan *p;
	char buf[768];
	size_t i;

	if (access(paths[0], R_OK)) {
		print_message("not run from the top directory: %s\n",
			      strerror(errno));
		skip();
	}
	for (i = 0; i < sizeof(paths) / sizeof(paths[0]); i++) {
		p = plan__parse_file(paths[i], &err);
		if (!p) {
			plan__format_error(&err, paths[i], buf, sizeof(buf));
			fail_msg("%s", buf);
		}
		plan__free(p);
	}
}

/* API details */

static void test_api(void **state)
{
	struct plan_error err = { .line = 7, .col = 3, .msg = "boom" };
	enum plan_hook hook = PLAN_HOOK_XDP;
	char buf[64];
	struct plan *p;

	plan__format_error(&err, "p.yaml", buf, sizeof(buf));
	assert_string_equal(buf, "p.yaml:7:3: boom");
	err.line = 0;
	plan__format_error(&err, "p.yaml", buf, sizeof(buf));
	assert_string_equal(buf, "p.yaml: boom");
	plan__format_error(&err, "p.yaml", buf, 5);
	assert_string_equal(buf, "p.ya");

	assert_string_equal(plan__hook_name(PLAN_HOOK_TC_INGRESS), "tc-ingress");
	assert_string_equal(plan__hook_name((enum plan_hook)9), "unknown");
	assert_int_equal(plan__hook_from_name("tc-egress", &hook), 0);
	assert_int_equal(hook, PLAN_HOOK_TC_EGRESS);
	assert_int_equal(plan__hook_from_name("tc", &hook), -EINVAL);
	assert_int_equal(hook, PLAN_HOOK_TC_EGRESS);
	assert_string_equal(plan__step_name(PLAN_STEP_PROMOTE), "promote");
	assert_string_equal(plan__step_name((enum plan_step_kind)-1), "unknown");
	assert_string_equal(plan__datapath_name(PLAN_DP_CHAINED), "chained");
	assert_string_equal(plan__datapath_name(PLAN_DP_FUSED), "fused");
	assert_string_equal(plan__datapath_name(PLAN_DP_AUTO), "auto");
	assert_string_equal(plan__datapath_name((enum plan_datapath)3), "unknown");

	/* No error struct, NULL buffer, NULL free: all fine. */
	p = plan__parse_buf(BASE, strlen(BASE), NULL, NULL, NULL);
	assert_non_null(p);
	plan__free(p);
	errno = 0;
	assert_null(plan__parse_buf("x: 1\n", 5, NULL, NULL, NULL));
	assert_int_equal(errno, EINVAL);
	assert_null(plan__parse_buf(NULL, 0, NULL, NULL, &err));
	assert_int_equal(errno, EINVAL);
	assert_string_equal(err.msg, "empty document");
	plan__free(NULL);
}

static void test_verdict_names(void **state)
{
	static const char *const names[] = {
		"pass", "drop", "aborted", "tx", "redirect",
	};
	enum tg_verdict v = TG_CONTINUE;
	int i;

	for (i = 0; i < TG_NR_VERDICTS; i++) {
		assert_string_equal(plan__verdict_name(i), names[i]);
		assert_int_equal(plan__verdict_from_name(names[i], &v), 0);
		assert_int_equal(v, i);
	}
	assert_int_equal(plan__verdict_from_name("redirect", &v), 0);
	assert_int_equal(v, TG_REDIRECT);
	/* continue is what a stage returns, not a verdict a plan names */
	assert_string_equal(plan__verdict_name(TG_CONTINUE), "unknown");
	assert_string_equal(plan__verdict_name((enum tg_verdict)-1), "unknown");
	assert_int_equal(plan__verdict_from_name("continue", &v), -EINVAL);
	assert_int_equal(plan__verdict_from_name("PASS", &v), -EINVAL);
	assert_int_equal(plan__verdict_from_name("", &v), -EINVAL);
	assert_int_equal(plan__verdict_from_name(NULL, &v), -EINVAL);
	assert_int_equal(v, TG_REDIRECT);	/* untouched on error */
}

static void test_long_dir(void **state)
{
	char *dir = malloc(PLAN_MAX_PATH + 1);
	struct plan_error err;

	assert_non_null(dir);
	memset(dir, 'd', PLAN_MAX_PATH);
	dir[PLAN_MAX_PATH] = '\0';
	errno = 0;
	assert_null(plan__parse_buf(BASE, strlen(BASE), "x", dir, &err));
	assert_int_equal(errno, ENAMETOOLONG);
	assert_int_equal(err.line, 0);
	assert_non_null(strstr(err.msg, "directory name longer than 4095 bytes"));
	free(dir);
}

/* Files */

struct tmp {
	char dir[64];
	char path[128];
};

static int tmp_setup(void **state)
{
	struct tmp *t = calloc(1, sizeof(*t));

	if (!t)
		return -1;
	strcpy(t->dir, "/tmp/test_plan.XXXXXX");
	if (!mkdtemp(t->dir)) {
		free(t);
		return -1;
	}
	*state = t;
	return 0;
}

static int tmp_teardown(void **state)
{
	struct tmp *t = *state;
	char cmd[128];

	snprintf(cmd, sizeof(cmd), "rm -rf '%s'", t->dir);
	if (system(cmd))
		fprintf(stderr, "cannot remove %s\n", t->dir);
	free(t);
	return 0;
}

static void write_file(const char *path, const char *data, size_t len)
{
	FILE *f = fopen(path, "w");

	assert_non_null(f);
	assert_int_equal(fwrite(data, 1, len, f), len);
	assert_int_equal(fclose(f), 0);
}

static const char *tmp_path(struct tmp *t, const char *name)
{
	snprintf(t->path, sizeof(t->path), "%s/%s", t->dir, name);
	return t->path;
}

static void test_file_ok(void **state)
{
	struct tmp *t = *state;
	char want[256];
	struct plan_error err;
	struct plan *p;

	write_file(tmp_path(t, "plan.yaml"), BASE, strlen(BASE));
	p = plan__parse_file(t->path, &err);
	assert_non_null(p);
	assert_string_equal(p->path, t->path);
	assert_string_equal(p->dir, t->dir);
	snprintf(want, sizeof(want), "%s/s.o", t->dir);
	assert_string_equal(p->stages[0].object, want);
	plan__free(p);
}

static void test_file_bad_plan(void **state)
{
	struct tmp *t = *state;
	struct plan_error err;
	char buf[512], want[256];

	write_file(tmp_path(t, "bad.yaml"), BASE "gates: {max_drop_ratio: 2}\n",
		   strlen(BASE "gates: {max_drop_ratio: 2}\n"));
	errno = 0;
	assert_null(plan__parse_file(t->path, &err));
	assert_int_equal(errno, EINVAL);
	plan__format_error(&err, t->path, buf, sizeof(buf));
	snprintf(want, sizeof(want), "%s:10:25: max_drop_ratio: 2 is out of range 0..1",
		 t->path);
	assert_string_equal(buf, want);
}

static void test_file_symlink(void **state)
{
	struct tmp *t = *state;
	struct plan_error err;
	char target[128];

	write_file(tmp_path(t, "real.yaml"), BASE, strlen(BASE));
	snprintf(target, sizeof(target), "%s", t->path);
	assert_int_equal(symlink(target, tmp_path(t, "link.yaml")), 0);
	errno = 0;
	assert_null(plan__parse_file(t->path, &err));
	assert_int_equal(errno, ELOOP);
	assert_int_equal(err.line, 0);
	assert_non_null(strstr(err.msg, t->path));
	assert_non_null(strstr(err.msg, strerror(ELOOP)));
	assert_non_null(strstr(err.msg, "a symlink"));
}

static void test_file_errors(void **state)
{
	struct tmp *t = *state;
	struct plan_error err;
	char *big;

	errno = 0;
	assert_null(plan__parse_file(tmp_path(t, "missing.yaml"), &err));
	assert_int_equal(errno, ENOENT);
	assert_int_equal(err.line, 0);
	assert_non_null(strstr(err.msg, t->path));
	assert_non_null(strstr(err.msg, strerror(ENOENT)));

	assert_null(plan__parse_file(t->dir, &err));
	assert_int_equal(errno, EISDIR);
	assert_non_null(strstr(err.msg, strerror(EISDIR)));

	assert_int_equal(mkfifo(tmp_path(t, "fifo"), 0600), 0);
	assert_null(plan__parse_file(t->path, &err));	/* must not block */
	assert_int_equal(errno, EINVAL);
	assert_non_null(strstr(err.msg, "not a regular file"));

	big = malloc(PLAN_MAX_FILE_SIZE + 1);
	assert_non_null(big);
	memset(big, '#', PLAN_MAX_FILE_SIZE + 1);
	write_file(tmp_path(t, "big.yaml"), big, PLAN_MAX_FILE_SIZE + 1);
	free(big);
	assert_null(plan__parse_file(t->path, &err));
	assert_int_equal(errno, EFBIG);
	assert_int_equal(err.line, 0);
	assert_non_null(strstr(err.msg, "262145 bytes, more than the limit of 262144"));

	assert_null(plan__parse_file(NULL, &err));
	assert_int_equal(errno, ENAMETOOLONG);
}

static void test_file_relative(void **state)
{
	struct tmp *t = *state;
	struct plan *p;
	char cwd[PATH_MAX];

	assert_non_null(getcwd(cwd, sizeof(cwd)));
	write_file(tmp_path(t, "rel.yaml"), BASE, strlen(BASE));
	assert_int_equal(chdir(t->dir), 0);
	p = plan__parse_file("rel.yaml", NULL);
	assert_int_equal(chdir(cwd), 0);
	assert_non_null(p);
	assert_string_equal(p->dir, ".");
	assert_string_equal(p->stages[0].object, "./s.o");
	plan__free(p);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_full_plan),
		cmocka_unit_test(test_program_optional),
		cmocka_unit_test(test_design_plan),
		cmocka_unit_test(test_defaults),
		cmocka_unit_test(test_defaults_fleet_only),
		cmocka_unit_test(test_null_values),
		cmocka_unit_test(test_analyze_interval),
		cmocka_unit_test(test_interval_longer),
		cmocka_unit_test(test_relative_object),
		cmocka_unit_test(test_object_path_long),
		cmocka_unit_test(test_duration_valid),
		cmocka_unit_test(test_duration_invalid),
		cmocka_unit_test(test_duration_errors),
		cmocka_unit_test(test_integers),
		cmocka_unit_test(test_ratios),
		cmocka_unit_test(test_unknown_keys),
		cmocka_unit_test(test_duplicate_keys),
		cmocka_unit_test(test_missing_keys),
		cmocka_unit_test(test_aliases_anchors_tags),
		cmocka_unit_test(test_yaml_syntax),
		cmocka_unit_test(test_documents),
		cmocka_unit_test(test_depth),
		cmocka_unit_test(test_size_limit),
		cmocka_unit_test(test_wrong_types),
		cmocka_unit_test(test_choices),
		cmocka_unit_test(test_names),
		cmocka_unit_test(test_stage_names_unique),
		cmocka_unit_test(test_stage_count),
		cmocka_unit_test(test_sha256),
		cmocka_unit_test(test_keep_maps),
		cmocka_unit_test(test_ifnames),
		cmocka_unit_test(test_iface_duplicates),
		cmocka_unit_test(test_iface_count),
		cmocka_unit_test(test_no_interfaces),
		cmocka_unit_test(test_step_shapes),
		cmocka_unit_test(test_step_count),
		cmocka_unit_test(test_step_order),
		cmocka_unit_test(test_exec),
		cmocka_unit_test(test_exec_string),
		cmocka_unit_test(test_exec_list),
		cmocka_unit_test(test_exec_limits),
		cmocka_unit_test(test_exec_errors),
		cmocka_unit_test(test_continue_on),
		cmocka_unit_test(test_stage_mode),
		cmocka_unit_test(test_datapath),
		cmocka_unit_test(test_xdp_mode),
		cmocka_unit_test(test_weights),
		cmocka_unit_test(test_weight_values),
		cmocka_unit_test(test_weight_order),
		cmocka_unit_test(test_gate_ratios),
		cmocka_unit_test(test_shipped_plans),
		cmocka_unit_test(test_api),
		cmocka_unit_test(test_verdict_names),
		cmocka_unit_test(test_long_dir),
		cmocka_unit_test_setup_teardown(test_file_ok, tmp_setup, tmp_teardown),
		cmocka_unit_test_setup_teardown(test_file_bad_plan, tmp_setup, tmp_teardown),
		cmocka_unit_test_setup_teardown(test_file_symlink, tmp_setup, tmp_teardown),
		cmocka_unit_test_setup_teardown(test_file_errors, tmp_setup, tmp_teardown),
		cmocka_unit_test_setup_teardown(test_file_relative, tmp_setup, tmp_teardown),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
