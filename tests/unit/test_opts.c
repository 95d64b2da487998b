// SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause)
/*
 * Option tables: every type, ranges and bad values with the exact message
 * an operator reads, options on either side of positionals, "--", --help
 * winning over errors, repeated -v, positional counts, and the usage,
 * top-level help and completion words generated from the same table.
 */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <cmocka.h>

#include "opts.h"

struct cfg {
	bool force;
	int level;
	uint64_t count;
	uint64_t batch;
	uint64_t interval_ms;
	const char *output;
	int hook;
	struct opts_list ifaces;
};

static const char *const hooks[] = { "xdp", "tc-ingress", "tc-egress", NULL };

static const struct opt stats_opts[] = {
	OPTION_FLAG("force", 'f', struct cfg, force, "roll it out again"),
	OPTION_COUNT("level", 'l', struct cfg, level, "one level deeper"),
	OPTION_U64("count", 'n', struct cfg, count, "N", "stop after N refreshes", 1, 100),
	OPTION_U64("batch", 0, struct cfg, batch, NULL, "interfaces per wave", 1, 0),
	OPTION_DURATION("interval", 'i', struct cfg, interval_ms, "refresh every DURATION",
			100, 60000),
	OPTION_STRING("output", 'o', struct cfg, output, "FILE", "write to FILE"),
	OPTION_ENUM("hook", 0, struct cfg, hook, "HOOK", "only this hook", hooks),
	OPTION_LIST("iface", 0, struct cfg, ifaces, "IFACE", "only this interface"),
	OPTION_END,
};

static const struct verb_def stats_verb = {
	.name = "stats", .args = "[IFACE...]", .summary = "per-stage counters and rates",
	.opts = stats_opts, .min_pos = 0, .max_pos = 2, .flags = OPTS_NO_PRIVS,
};

static const struct verb_def plan_verb = {
	.name = "plan", .args = "PLAN", .summary = "validate and preflight; changes nothing",
	.min_pos = 1, .max_pos = 1,
};

static const struct verb_def complete_verb = {
	.name = "__complete", .args = "[VERB]", .summary = "words for shell completion",
	.max_pos = 1, .flags = OPTS_HIDDEN | OPTS_NO_PRIVS,
};

static const struct verb_def top_verb = {
	.name = "", .args = "VERB [ARGS]", .summary = "the command line",
	.min_pos = 1, .max_pos = -1, .flags = OPTS_IN_ORDER,
};

static const struct verb_def *const verbs[] = { &plan_verb, &stats_verb, &complete_verb };

struct run {
	struct cfg cfg;
	struct opts_global g;
	char *argv[128];
	char **pos;
	int nr_pos;
	int ret;
	char err[4096];		/* what went to stderr */
};

static struct run r;

/* Run opts__parse() on a NULL-terminated word list, capturing stderr. */
static int parse_v(const struct verb_def *def, const char *first, va_list ap)
{
	const char *w;
	int argc = 0, saved;
	FILE *tmp = tmpfile();
	size_t n;

	assert_non_null(tmp);
	memset(&r, 0, sizeof(r));
	r.cfg.interval_ms = 1000;	/* defaults survive when not given */
	r.cfg.hook = -1;
	for (w = first; w; w = va_arg(ap, const char *))
		r.argv[argc++] = (char *)w;
	fflush(stderr);
	saved = dup(STDERR_FILENO);
	dup2(fileno(tmp), STDERR_FILENO);
	r.ret = opts__parse(def, &r.g, argc, r.argv, &r.cfg, &r.pos, &r.nr_pos);
	fflush(stderr);
	dup2(saved, STDERR_FILENO);
	close(saved);
	rewind(tmp);
	n = fread(r.err, 1, sizeof(r.err) - 1, tmp);
	r.err[n] = '\0';
	fclose(tmp);
	return r.ret;
}

static int parse(const struct verb_def *def, const char *first, ...)
{
	va_list ap;
	int ret;

	va_start(ap, first);
	ret = parse_v(def, first, ap);
	va_end(ap);
	return ret;
}

/* The command line must fail with exactly @msg (and show the synopsis). */
static void expect_error(const char *msg)
{
	assert_int_equal(r.ret, -EINVAL);
	assert_string_equal(r.g.error, msg);
	assert_non_null(strstr(r.err, msg));
	assert_non_null(strstr(r.err, "Usage: tailgate "));
}

static void test_types(void **state)
{
	assert_int_equal(parse(&stats_verb, "stats", "-f", "-ll", "--count", "5", "--batch=7",
			       "-i", "250ms", "-o", "out.json", "--hook", "tc-egress",
			       "--iface", "tg0", "--iface=tg1", NULL), OPTS_OK);
	assert_true(r.cfg.force);
	assert_int_equal(r.cfg.level, 2);
	assert_int_equal(r.cfg.count, 5);
	assert_int_equal(r.cfg.batch, 7);
	assert_int_equal(r.cfg.interval_ms, 250);
	assert_string_equal(r.cfg.output, "out.json");
	assert_int_equal(r.cfg.hook, 2);
	assert_int_equal(r.cfg.ifaces.n, 2);
	assert_string_equal(r.cfg.ifaces.v[0], "tg0");
	assert_string_equal(r.cfg.ifaces.v[1], "tg1");
	assert_int_equal(r.nr_pos, 0);
	assert_string_equal(r.err, "");

	assert_int_equal(parse(&stats_verb, "stats", NULL), OPTS_OK);
	assert_false(r.cfg.force);
	assert_int_equal(r.cfg.interval_ms, 1000);
	assert_int_equal(r.cfg.hook, -1);
	assert_null(r.cfg.output);

	/* Clustered shorts, a value glued to its short option. */
	assert_int_equal(parse(&stats_verb, "stats", "-fn3", "-i2s", NULL), OPTS_OK);
	assert_true(r.cfg.force);
	assert_int_equal(r.cfg.count, 3);
	assert_int_equal(r.cfg.interval_ms, 2000);
}

static void test_ranges(void **state)
{
	assert_int_equal(parse(&stats_verb, "stats", "-n", "1", "-i", "100ms", NULL), OPTS_OK);
	assert_int_equal(parse(&stats_verb, "stats", "-n", "100", "-i", "1m", NULL), OPTS_OK);
	parse(&stats_verb, "stats", "--count", "0", NULL);
	expect_error("tailgate stats: --count: 0 is out of range (1..100)");
	parse(&stats_verb, "stats", "--count", "101", NULL);
	expect_error("tailgate stats: --count: 101 is out of range (1..100)");
	parse(&stats_verb, "stats", "--interval", "99ms", NULL);
	expect_error("tailgate stats: --interval: 99ms is out of range (100ms..1m)");
	parse(&stats_verb, "stats", "--interval", "61s", NULL);
	expect_error("tailgate stats: --interval: 61s is out of range (100ms..1m)");
	parse(&stats_verb, "stats", "--batch", "0", NULL);
	expect_error("tailgate stats: --batch: 0 is out of range (at least 1)");
	assert_int_equal(parse(&stats_verb, "stats", "--batch", "18446744073709551615", NULL),
			 OPTS_OK);
	assert_true(r.cfg.batch == UINT64_MAX);
	parse(&stats_verb, "stats", "--batch", "18446744073709551616", NULL);
	expect_error("tailgate stats: --batch: '18446744073709551616' is too large");
}

static void test_bad_values(void **state)
{
	static const char *const not_numbers[] = { "abc", "-1", " 5", "5x", "", "+5", "0x10" };
	char want[128];
	size_t i;

	for (i = 0; i < sizeof(not_numbers) / sizeof(not_numbers[0]); i++) {
		parse(&stats_verb, "stats", "--count", not_numbers[i], NULL);
		snprintf(want, sizeof(want), "tailgate stats: --count: '%s' is not a whole number",
			 not_numbers[i]);
		expect_error(want);
	}
	parse(&stats_verb, "stats", "--interval", "abc", NULL);
	expect_error("tailgate stats: --interval: 'abc' is not a duration (e.g. 500ms, 2s, 1m)");
	parse(&stats_verb, "stats", "-i", "5", NULL);
	expect_error("tailgate stats: --interval: '5' needs a unit: ms, s, m or h (e.g. 5ms, 5s)");
	parse(&stats_verb, "stats", "-i", "-1s", NULL);
	expect_error("tailgate stats: --interval: '-1s' is not a duration (e.g. 500ms, 2s, 1m)");
	parse(&stats_verb, "stats", "-i", "99999999m", NULL);
	expect_error("tailgate stats: --interval: '99999999m' is out of range (1ms..24h)");
	parse(&stats_verb, "stats", "--hook", "XDP", NULL);
	expect_error("tailgate stats: --hook: 'XDP' is not one of: xdp, tc-ingress, tc-egress");
	/* The first error is the one reported, and the value is not set. */
	parse(&stats_verb, "stats", "--count", "x", "--hook", "y", NULL);
	expect_error("tailgate stats: --count: 'x' is not a whole number");
	assert_int_equal(r.cfg.count, 0);
}

static void test_positionals_anywhere(void **state)
{
	assert_int_equal(parse(&stats_verb, "stats", "tg0", "-f", "tg1", "--count=3", NULL),
			 OPTS_OK);
	assert_true(r.cfg.force);
	assert_int_equal(r.cfg.count, 3);
	assert_int_equal(r.nr_pos, 2);
	assert_string_equal(r.pos[0], "tg0");
	assert_string_equal(r.pos[1], "tg1");
	assert_null(r.pos[2]);
}

/* POSIXLY_CORRECT must not turn a trailing option into a positional. */
static void test_posixly_correct(void **state)
{
	setenv("POSIXLY_CORRECT", "1", 1);
	assert_int_equal(parse(&stats_verb, "stats", "tg0", "-f", NULL), OPTS_OK);
	unsetenv("POSIXLY_CORRECT");
	assert_true(r.cfg.force);
	assert_int_equal(r.nr_pos, 1);
}

static void test_double_dash(void **state)
{
	assert_int_equal(parse(&stats_verb, "stats", "tg0", "-f", "--", "--count", NULL),
			 OPTS_OK);
	assert_true(r.cfg.force);
	assert_int_equal(r.cfg.count, 0);
	assert_int_equal(r.nr_pos, 2);
	assert_string_equal(r.pos[0], "tg0");
	assert_string_equal(r.pos[1], "--count");
	/* "--help" after "--" is a name, not a request for help. */
	assert_int_equal(parse(&plan_verb, "plan", "--", "--help", NULL), OPTS_OK);
	assert_int_equal(r.nr_pos, 1);
	assert_string_equal(r.pos[0], "--help");
	assert_false(r.g.help);
	/* A lone "-" is a positional (a plan on stdin). */
	assert_int_equal(parse(&plan_verb, "plan", "-", NULL), OPTS_OK);
	assert_string_equal(r.pos[0], "-");
}

static void test_help_wins(void **state)
{
	assert_int_equal(parse(&plan_verb, "plan", "--help", NULL), OPTS_HELP);
	assert_string_equal(r.err, "");
	assert_int_equal(parse(&stats_verb, "stats", "--count", "abc", "a", "b", "c", "-h",
			       NULL), OPTS_HELP);
	assert_string_equal(r.err, "");
	assert_int_equal(parse(&stats_verb, "stats", "--bogus", "--he", NULL), OPTS_HELP);
	assert_int_equal(parse(&plan_verb, "plan", "--version", NULL), OPTS_VERSION);
}

static void test_globals(void **state)
{
	assert_int_equal(parse(&stats_verb, "stats", "-v", "tg0", "-vv", "--verbose", "-jq",
			       NULL), OPTS_OK);
	assert_int_equal(r.g.verbose, 4);
	assert_true(r.g.json);
	assert_true(r.g.quiet);
	assert_int_equal(r.nr_pos, 1);
	/* Globals work for a verb without options of its own, too. */
	assert_int_equal(parse(&plan_verb, "plan", "p.yaml", "--json", NULL), OPTS_OK);
	assert_true(r.g.json);
	assert_string_equal(r.pos[0], "p.yaml");
}

static void test_unknown_and_malformed(void **state)
{
	parse(&stats_verb, "stats", "--foo", NULL);
	expect_error("tailgate stats: unknown option '--foo'");
	parse(&stats_verb, "stats", "--foo=bar", NULL);
	expect_error("tailgate stats: unknown option '--foo=bar'");
	parse(&stats_verb, "stats", "-fx", NULL);
	expect_error("tailgate stats: unknown option '-x'");
	parse(&plan_verb, "plan", "p", "--json=yes", NULL);
	expect_error("tailgate plan: --json takes no value");
	parse(&stats_verb, "stats", "--count", NULL);
	expect_error("tailgate stats: --count needs a value (N)");
	parse(&stats_verb, "stats", "-i", NULL);
	expect_error("tailgate stats: --interval needs a value (DURATION)");
	parse(&plan_verb, "plan", "p", "--ver", NULL);
	expect_error("tailgate plan: option '--ver' is ambiguous; say which: --verbose or --version");
	/* An unambiguous abbreviation is getopt_long()'s usual service. */
	assert_int_equal(parse(&stats_verb, "stats", "--inter", "2s", NULL), OPTS_OK);
	assert_int_equal(r.cfg.interval_ms, 2000);
}

static void test_positional_counts(void **state)
{
	parse(&plan_verb, "plan", NULL);
	expect_error("tailgate plan: missing PLAN");
	parse(&plan_verb, "plan", "a", "b", NULL);
	expect_error("tailgate plan: unexpected argument 'b'");
	parse(&stats_verb, "stats", "a", "b", "c", NULL);
	expect_error("tailgate stats: unexpected argument 'c'");
	assert_int_equal(parse(&plan_verb, "plan", "a", NULL), OPTS_OK);
	assert_string_equal(r.err, "");
}

static void test_repeats(void **state)
{
	parse(&stats_verb, "stats", "--count", "1", "-n", "2", NULL);
	expect_error("tailgate stats: --count given twice");
	assert_int_equal(parse(&stats_verb, "stats", "-f", "-f", NULL), OPTS_OK);
}

static void test_list_full(void **state)
{
	struct opts_global g = {};
	struct cfg cfg = {};
	char *argv[2 * OPTS_LIST_MAX + 4], **pos;
	int i, n = 0, nr;

	argv[n++] = "stats";
	for (i = 0; i <= OPTS_LIST_MAX; i++) {
		argv[n++] = "--iface";
		argv[n++] = "tg0";
	}
	argv[n] = NULL;
	assert_int_equal(opts__parse(&stats_verb, &g, n, argv, &cfg, &pos, &nr), -EINVAL);
	assert_string_equal(g.error, "tailgate stats: --iface: at most 64 values");
	assert_int_equal(cfg.ifaces.n, OPTS_LIST_MAX);
}

/* Top level: globals, then the verb and everything after it untouched. */
static void test_in_order(void **state)
{
	struct opts_global g;
	char **pos;
	int nr;

	assert_int_equal(parse(&top_verb, "tailgate", "-j", "stats", "--count", "3", "-v", NULL),
			 OPTS_OK);
	assert_true(r.g.json);
	assert_int_equal(r.g.verbose, 0);
	assert_int_equal(r.nr_pos, 4);
	assert_string_equal(r.pos[0], "stats");
	assert_string_equal(r.pos[1], "--count");
	/* The verb's parse adds to the same globals. */
	g = r.g;
	memset(&r.cfg, 0, sizeof(r.cfg));
	assert_int_equal(opts__parse(&stats_verb, &g, r.nr_pos, r.pos, &r.cfg, &pos, &nr),
			 OPTS_OK);
	assert_int_equal(r.cfg.count, 3);
	assert_true(g.json);
	assert_int_equal(g.verbose, 1);

	parse(&top_verb, "tailgate", "-v", NULL);
	expect_error("tailgate: missing VERB [ARGS]");
	assert_non_null(strstr(r.err, "Usage: tailgate [OPTIONS] VERB [ARGS]\n"
				      "Run 'tailgate --help' for more.\n"));
	assert_int_equal(parse(&top_verb, "tailgate", "--help", NULL), OPTS_HELP);
}

static char cap_buf[8192];

/* What @fn prints, in cap_buf. */
static const char *capture(void (*fn)(FILE *, const void *), const void *arg)
{
	FILE *f = fmemopen(cap_buf, sizeof(cap_buf), "w");

	assert_non_null(f);
	fn(f, arg);
	fclose(f);
	return cap_buf;
}

/* Column at which @needle starts within its line of @text. */
static long column_of(const char *text, const char *needle)
{
	const char *at = strstr(text, needle), *line;

	if (!at)
		fail_msg("'%s' missing from:\n%s", needle, text);
	for (line = at; line > text && line[-1] != '\n'; line--)
		;
	return at - line;
}

static void usage_of(FILE *f, const void *def)
{
	opts__usage(f, def);
}

static void test_usage(void **state)
{
	static const char *const want[] = {
		"Usage: tailgate stats [OPTIONS] [IFACE...]\n",
		"\nPer-stage counters and rates.\n",
		"  -f, --force ", "roll it out again\n",
		"  -l, --level ", "one level deeper\n",
		"  -n, --count=N ", "stop after N refreshes (1..100)\n",
		"      --batch=N ", "interfaces per wave (at least 1)\n",
		"  -i, --interval=DURATION ", "refresh every DURATION (100ms..1m)\n",
		"  -o, --output=FILE ", "write to FILE\n",
		"      --hook=HOOK ", "only this hook (xdp, tc-ingress, tc-egress)\n",
		"      --iface=IFACE ", "only this interface (repeatable)\n",
		"\nGlobal options:\n",
		"  -v, --verbose ", "  -j, --json ", "  -q, --quiet ", "  -h, --help ",
		"      --version ",
	};
	const char *text = capture(usage_of, &stats_verb);
	size_t i;

	for (i = 0; i < sizeof(want) / sizeof(want[0]); i++)
		if (!strstr(text, want[i]))
			fail_msg("usage lacks '%s':\n%s", want[i], text);
	/* Every help text starts in one column, globals included. */
	assert_int_equal(column_of(text, "roll it out again"), column_of(text, "write to FILE"));
	assert_int_equal(column_of(text, "roll it out again"),
			 column_of(text, "show this help and exit"));

	text = capture(usage_of, &plan_verb);
	assert_non_null(strstr(text, "Usage: tailgate plan [OPTIONS] PLAN\n"));
	assert_null(strstr(text, "\nOptions:"));
	assert_non_null(strstr(text, "Global options:"));
}

static void toplevel_of(FILE *f, const void *unused)
{
	opts__toplevel(f, verbs, sizeof(verbs) / sizeof(verbs[0]));
}

static void test_toplevel(void **state)
{
	const char *text = capture(toplevel_of, NULL);

	assert_non_null(strstr(text, "  plan PLAN "));
	assert_non_null(strstr(text, "validate and preflight; changes nothing\n"));
	assert_non_null(strstr(text, "  stats [IFACE...] "));
	assert_non_null(strstr(text, "per-stage counters and rates\n"));
	assert_null(strstr(text, "__complete"));
	assert_non_null(strstr(text, "--json"));
	assert_non_null(strstr(text, "5 busy"));
}

static void test_words(void **state)
{
	char *buf = NULL;
	size_t len = 0;
	FILE *f = open_memstream(&buf, &len);

	assert_int_equal(opts__words(f, verbs, 3, NULL), 0);
	fflush(f);
	assert_string_equal(buf, "plan\nstats\n");
	rewind(f);
	assert_int_equal(opts__words(f, verbs, 3, "stats"), 0);
	fputc('\0', f);
	fflush(f);
	assert_string_equal(buf, "--force\n--level\n--count\n--batch\n--interval\n--output\n"
				 "--hook\n--iface\n--verbose\n--json\n--quiet\n--help\n--version\n");
	rewind(f);
	assert_int_equal(opts__enum_words(f, &stats_verb, "--hook"), 0);
	fputc('\0', f);
	fflush(f);
	assert_string_equal(buf, "xdp\ntc-ingress\ntc-egress\n");
	assert_int_equal(opts__words(f, verbs, 3, "nope"), -ENOENT);
	assert_int_equal(opts__enum_words(f, &stats_verb, "count"), -ENOENT);
	fclose(f);
	free(buf);
	assert_ptr_equal(opts__find(verbs, 3, "stats"), &stats_verb);
	assert_null(opts__find(verbs, 3, "stat"));
}

static void test_check(void **state)
{
	static const char *const none[] = { NULL };
	const struct opt clash_global[] = {
		OPTION_FLAG("jason", 'j', struct cfg, force, "clashes with -j"), OPTION_END,
	};
	const struct opt clash_long[] = {
		OPTION_FLAG("force", 0, struct cfg, force, "one"),
		OPTION_COUNT("force", 0, struct cfg, level, "two"), OPTION_END,
	};
	const struct opt clash_json[] = {
		OPTION_FLAG("json", 0, struct cfg, force, "clashes with --json"), OPTION_END,
	};
	const struct opt no_names[] = {
		OPTION_ENUM("hook", 0, struct cfg, hook, "HOOK", "no names", none), OPTION_END,
	};
	const struct opt bad_range[] = {
		OPTION_U64("count", 0, struct cfg, count, "N", "min above max", 5, 4), OPTION_END,
	};
	struct verb_def d = stats_verb;
	const struct opt *bad[] = { clash_global, clash_long, clash_json, no_names, bad_range };
	size_t i;

	assert_int_equal(opts__check(&stats_verb), 0);
	assert_int_equal(opts__check(&plan_verb), 0);
	assert_int_equal(opts__check(&top_verb), 0);
	for (i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		d.opts = bad[i];
		assert_int_equal(opts__check(&d), -EINVAL);
	}
	d.opts = NULL;
	d.min_pos = 3;
	assert_int_equal(opts__check(&d), -EINVAL);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_types),
		cmocka_unit_test(test_ranges),
		cmocka_unit_test(test_bad_values),
		cmocka_unit_test(test_positionals_anywhere),
		cmocka_unit_test(test_posixly_correct),
		cmocka_unit_test(test_double_dash),
		cmocka_unit_test(test_help_wins),
		cmocka_unit_test(test_globals),
		cmocka_unit_test(test_unknown_and_malformed),
		cmocka_unit_test(test_positional_counts),
		cmocka_unit_test(test_repeats),
		cmocka_unit_test(test_list_full),
		cmocka_unit_test(test_in_order),
		cmocka_unit_test(test_usage),
		cmocka_unit_test(test_toplevel),
		cmocka_unit_test(test_words),
		cmocka_unit_test(test_check),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
