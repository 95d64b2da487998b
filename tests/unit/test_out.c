// SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause)
/*
 * The output contract: with --json, one valid document on stdout whatever
 * the verb did (failed first, left containers open, tried to close the
 * root), errors and warnings in it and on stderr; quiet; when escape codes
 * are allowed.
 */
#include <errno.h>
#include <fcntl.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <cmocka.h>

#include "json_check.h"
#include "log.h"
#include "out.h"

struct cap {
	char *out, *err;
	size_t out_len, err_len;
	FILE *fout, *ferr;
};

static struct cap cap;

static int setup(void **state)
{
	memset(&cap, 0, sizeof(cap));
	cap.fout = open_memstream(&cap.out, &cap.out_len);
	cap.ferr = open_memstream(&cap.err, &cap.err_len);
	if (!cap.fout || !cap.ferr)
		return -1;
	out__set_streams(cap.fout, cap.ferr);
	return 0;
}

static int teardown(void **state)
{
	out__finish(0);		/* a failed test may leave a run open */
	out__set_streams(NULL, NULL);
	if (cap.fout)
		fclose(cap.fout);
	if (cap.ferr)
		fclose(cap.ferr);
	free(cap.out);
	free(cap.err);
	return 0;
}

/* Close both streams and make sure stdout holds one valid document. */
static void done_json(void)
{
	fclose(cap.fout);
	fclose(cap.ferr);
	cap.fout = cap.ferr = NULL;
	if (!json_valid(cap.out, cap.out_len))
		fail_msg("not one JSON document: '%s'", cap.out);
}

static void done_text(void)
{
	fclose(cap.fout);
	fclose(cap.ferr);
	cap.fout = cap.ferr = NULL;
}

static void test_error_first(void **state)
{
	assert_int_equal(out__init("plan", true, false), 0);
	out__err("%s: no such plan file", "x\";{}\\");
	assert_int_equal(out__finish(1), 1);
	done_json();
	assert_string_equal(cap.out,
			    "{\"schema_version\":1,\"verb\":\"plan\",\"exit_code\":1,"
			    "\"result\":\"usage_or_plan_error\","
			    "\"errors\":[\"x\\\";{}\\\\: no such plan file\"],\"warnings\":[]}\n");
	/* The operator on the terminal sees it too. */
	assert_string_equal(cap.err, "tailgate: x\";{}\\: no such plan file\n");
}

static void test_fields_and_success(void **state)
{
	jsonw_t *w;

	assert_int_equal(out__init("status", true, false), 0);
	w = out__json();
	assert_non_null(w);
	assert_true(out__is_json());
	jsonw_name(w, "interfaces");
	jsonw_start_array(w);
	jsonw_string(w, "tg0");
	jsonw_end_array(w);
	out__warn("tg1: no dispatcher");
	assert_int_equal(out__finish(0), 0);
	assert_null(out__json());
	done_json();
	assert_string_equal(cap.out,
			    "{\"schema_version\":1,\"verb\":\"status\",\"interfaces\":[\"tg0\"],"
			    "\"exit_code\":0,\"result\":\"ok\",\"errors\":[],"
			    "\"warnings\":[\"tg1: no dispatcher\"]}\n");
	assert_string_equal(cap.err, "tailgate: tg1: no dispatcher\n");
}

static void test_open_containers(void **state)
{
	jsonw_t *w;

	out__init("apply", true, false);
	w = out__json();
	jsonw_name(w, "steps");
	jsonw_start_array(w);
	jsonw_start_object(w);
	jsonw_name(w, "verdict");	/* the error comes before its value */
	out__err("tg0: lost the dispatcher");
	assert_int_equal(out__finish(4), 4);
	done_json();
	assert_non_null(strstr(cap.out, "\"steps\":[{\"verdict\":null}],\"exit_code\":4,"
					"\"result\":\"inconsistent\","
					"\"errors\":[\"tg0: lost the dispatcher\"]"));
}

static void test_root_is_not_the_verbs(void **state)
{
	out__init("stats", true, false);
	jsonw_end_object(out__json());
	jsonw_end_object(out__json());
	out__finish(5);
	done_json();
	assert_non_null(strstr(cap.out, "\"exit_code\":5,\"result\":\"busy\""));
}

static void test_hostile_message(void **state)
{
	out__init("detach", true, false);
	out__err("no dispatcher on '%s'", "\xff\x01\n");
	out__finish(1);
	done_json();
	assert_non_null(strstr(cap.out, "[\"no dispatcher on '\\u00ff\\u0001\\n'\"]"));
}

static void test_info_json(void **state)
{
	out__init("rollback", true, false);
	out__info("tg0: back on generation 3");
	out__finish(0);
	done_json();
	assert_null(strstr(cap.out, "generation"));
	assert_int_equal(cap.err_len, 0);
}

static void test_text_quiet(void **state)
{
	out__init("rollback", false, true);
	assert_null(out__json());
	assert_false(out__is_json());
	out__info("tg0: back on generation 3\n");
	out__err("tg1: busy");
	assert_int_equal(out__finish(3), 3);
	done_text();
	assert_int_equal(cap.out_len, 0);
	assert_string_equal(cap.err, "tailgate: tg1: busy\n");
}

static void test_text_info(void **state)
{
	out__init("rollback", false, false);
	out__info("tg0: back on generation %d\n", 3);
	out__info("tg1: too");
	out__warn("tg2: skipped");
	out__finish(0);
	done_text();
	assert_string_equal(cap.out, "tg0: back on generation 3\ntg1: too\n");
	assert_string_equal(cap.err, "tailgate: tg2: skipped\n");
}

/* pr_warn()'s callers are unchanged; with --json their text is kept too. */
static void test_pr_warn_captured(void **state)
{
	pr_warn("stage '%s' on tg0: map 'x' is not kept\n", "counter");	/* no run */
	out__init("apply", true, false);
	pr_warn("stage '%s' on tg0: shadow stage rewrites packets\n", "filter");
	pr_info("not a warning\n");
	out__record(OUT_ERROR, "tailgate apply: --foo: unknown option\n");
	out__finish(1);
	done_json();
	assert_non_null(strstr(cap.out,
			       "\"errors\":[\"tailgate apply: --foo: unknown option\"],"
			       "\"warnings\":[\"stage 'filter' on tg0: shadow stage rewrites packets\"]}"));
	assert_null(strstr(cap.out, "counter"));
	assert_null(strstr(cap.out, "not a warning"));
}

static void test_many_errors(void **state)
{
	int i;

	out__init("restore", true, false);
	for (i = 0; i < OUT_MAX_MSGS + 36; i++)
		out__err("error %d", i);
	out__finish(4);
	done_json();
	assert_non_null(strstr(cap.out, "\"error 63\",\"... and 36 more (see stderr)\"]"));
	assert_null(strstr(cap.out, "\"error 64\""));
}

static void test_lifecycle(void **state)
{
	assert_int_equal(out__finish(2), 2);		/* no run: just the code */
	assert_int_equal(out__init("plan", false, false), 0);
	assert_int_equal(out__init("plan", false, false), -EALREADY);
	out__finish(0);
	assert_null(out__json());
	done_text();
}

static void test_result_names(void **state)
{
	assert_string_equal(out__result_name(0), "ok");
	assert_string_equal(out__result_name(1), "usage_or_plan_error");
	assert_string_equal(out__result_name(2), "preflight_failed");
	assert_string_equal(out__result_name(3), "rolled_back");
	assert_string_equal(out__result_name(4), "inconsistent");
	assert_string_equal(out__result_name(5), "busy");
	assert_string_equal(out__result_name(6), "unknown");
	assert_string_equal(out__result_name(-1), "unknown");
}

static bool tty_with(FILE *f, const char *no_color, const char *term, bool json)
{
	bool tty;

	if (no_color)
		setenv("NO_COLOR", no_color, 1);
	else
		unsetenv("NO_COLOR");
	if (term)
		setenv("TERM", term, 1);
	else
		unsetenv("TERM");
	out__set_streams(f, cap.ferr);
	out__init("status", json, false);
	tty = out__tty();
	out__finish(0);
	return tty;
}

/* A real terminal (a pty) against a memory stream, under each rule. */
static void test_tty(void **state)
{
	int master, slave;
	FILE *term;

	master = posix_openpt(O_RDWR | O_NOCTTY);
	if (master < 0 || grantpt(master) || unlockpt(master))
		skip();
	slave = open(ptsname(master), O_RDWR | O_NOCTTY);
	assert_true(slave >= 0);
	term = fdopen(slave, "w");
	assert_non_null(term);

	assert_false(tty_with(cap.fout, NULL, "xterm", false));
	assert_true(tty_with(term, NULL, "xterm", false));
	assert_true(tty_with(term, "", NULL, false));
	assert_false(tty_with(term, "1", "xterm", false));
	assert_false(tty_with(term, NULL, "dumb", false));
	assert_false(tty_with(term, NULL, "xterm", true));

	fclose(term);
	close(master);
	out__set_streams(cap.fout, cap.ferr);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(test_error_first, setup, teardown),
		cmocka_unit_test_setup_teardown(test_fields_and_success, setup, teardown),
		cmocka_unit_test_setup_teardown(test_open_containers, setup, teardown),
		cmocka_unit_test_setup_teardown(test_root_is_not_the_verbs, setup, teardown),
		cmocka_unit_test_setup_teardown(test_hostile_message, setup, teardown),
		cmocka_unit_test_setup_teardown(test_info_json, setup, teardown),
		cmocka_unit_test_setup_teardown(test_text_quiet, setup, teardown),
		cmocka_unit_test_setup_teardown(test_text_info, setup, teardown),
		cmocka_unit_test_setup_teardown(test_pr_warn_captured, setup, teardown),
		cmocka_unit_test_setup_teardown(test_many_errors, setup, teardown),
		cmocka_unit_test_setup_teardown(test_lifecycle, setup, teardown),
		cmocka_unit_test_setup_teardown(test_result_names, setup, teardown),
		cmocka_unit_test_setup_teardown(test_tty, setup, teardown),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
