// SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause)
/*
 * The JSON writer: hostile strings (quotes, backslashes, control bytes,
 * bytes that are not UTF-8), nesting and commas, numbers, and misuse that
 * must still end in a valid document. Every output is judged by the strict
 * checker in tests/lib/json_check.h, which is itself tested first.
 */
#include <errno.h>
#include <math.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>

#include "json_check.h"
#include "json_writer.h"

struct cap {
	char *buf;
	size_t len;
	FILE *f;
	jsonw_t *w;
};

static jsonw_t *cap_open(struct cap *c)
{
	memset(c, 0, sizeof(*c));
	c->f = open_memstream(&c->buf, &c->len);
	assert_non_null(c->f);
	c->w = jsonw_new(c->f);
	assert_non_null(c->w);
	return c->w;
}

/* Destroy the writer and return what it wrote, checked for validity. */
static const char *cap_close(struct cap *c)
{
	jsonw_destroy(&c->w);
	assert_null(c->w);
	fclose(c->f);
	if (!json_valid(c->buf, c->len))
		fail_msg("invalid JSON: %s", c->buf);
	return c->buf;
}

/* One string value, compact: the exact bytes expected (newline included). */
static void check_strn(const char *s, size_t n, const char *want)
{
	struct cap c;

	jsonw_strn(cap_open(&c), s, n);
	assert_string_equal(cap_close(&c), want);
	free(c.buf);
}

static void check_str(const char *s, const char *want)
{
	check_strn(s, strlen(s), want);
}

static void test_checker_rejects(void **state)
{
	static const char *const bad[] = {
		"", "{", "[1,]", "[1 2]", "01", "-", "1.", ".5", "+1", "1e", "nan",
		"{\"a\"}", "{\"a\":1,}", "{a:1}", "1 2", "\"\\x\"", "\"\\ud800\"",
		"\"\\udc00\"", "\"\x01\"", "\"\xff\"", "\"\xc0\xaf\"", "\"\xe2\x82\"",
		"\"abc", "tru", "[]]", "\"\xed\xa0\x80\"",
	};
	static const char *const good[] = {
		"0", "-0.5e+10", "\"\\ud83d\\ude00\"", "{\"a\":[1,{},[]]}",
		" \n{ \"a\" : null }\t", "\"h\xc3\xa9\"", "1E-5",
	};
	size_t i;

	for (i = 0; i < sizeof(bad) / sizeof(bad[0]); i++)
		if (json_valid(bad[i], strlen(bad[i])))
			fail_msg("checker accepted '%s'", bad[i]);
	for (i = 0; i < sizeof(good) / sizeof(good[0]); i++)
		if (!json_valid(good[i], strlen(good[i])))
			fail_msg("checker refused '%s'", good[i]);
}

static void test_escapes(void **state)
{
	check_str("\"", "\"\\\"\"\n");
	check_str("\\", "\"\\\\\"\n");
	check_str("a\nb\r\t", "\"a\\nb\\r\\t\"\n");
	check_str("\x01\x1f\x7f", "\"\\u0001\\u001f\\u007f\"\n");
	check_str("x\";{}\\", "\"x\\\";{}\\\\\"\n");
	check_str("", "\"\"\n");
	check_strn("a\0b", 3, "\"a\\u0000b\"\n");
}

static void test_not_utf8(void **state)
{
	check_str("\xff", "\"\\u00ff\"\n");
	/* Truncated euro sign: both bytes kept, each escaped. */
	check_str("a\xe2\x82", "\"a\\u00e2\\u0082\"\n");
	check_str("\xe2\x82z", "\"\\u00e2\\u0082z\"\n");
	/* Overlong '/', a surrogate, above U+10FFFF, a lone continuation. */
	check_str("\xc0\xaf", "\"\\u00c0\\u00af\"\n");
	check_str("\xed\xa0\x80", "\"\\u00ed\\u00a0\\u0080\"\n");
	check_str("\xf4\x90\x80\x80", "\"\\u00f4\\u0090\\u0080\\u0080\"\n");
	check_str("\x80", "\"\\u0080\"\n");
}

static void test_utf8_passes(void **state)
{
	/* é, €, U+10FFFF and a G clef: the bytes as they are. */
	check_str("h\xc3\xa9 \xe2\x82\xac \xf4\x8f\xbf\xbf \xf0\x9d\x84\x9e",
		  "\"h\xc3\xa9 \xe2\x82\xac \xf4\x8f\xbf\xbf \xf0\x9d\x84\x9e\"\n");
}

/* Every byte value, and random byte strings: always valid JSON. */
static void test_any_bytes(void **state)
{
	unsigned char all[256], buf[64];
	char name[sizeof(buf) + 1];
	struct cap c;
	int i, j;

	for (i = 0; i < 256; i++)
		all[i] = i;
	jsonw_strn(cap_open(&c), (char *)all, sizeof(all));
	cap_close(&c);
	free(c.buf);

	srand(42);
	for (i = 0; i < 2000; i++) {
		int n = rand() % sizeof(buf);

		for (j = 0; j < n; j++)
			buf[j] = rand() & 1 ? rand() % 256 : 0x80 + rand() % 0x78;
		cap_open(&c);
		jsonw_start_object(c.w);
		/* Names are C strings: the same bytes up to a NUL. */
		memcpy(name, buf, n);
		name[n] = '\0';
		jsonw_strn_field(c.w, name, (char *)buf, n);
		jsonw_end_object(c.w);
		cap_close(&c);
		free(c.buf);
	}
}

static void test_hostile_names(void **state)
{
	struct cap c;

	cap_open(&c);
	jsonw_start_object(c.w);
	jsonw_uint_field(c.w, "x\";{}\\", 1);
	jsonw_string_field(c.w, "\xff\n", "\xe2\x82");
	jsonw_end_object(c.w);
	assert_string_equal(cap_close(&c),
			    "{\"x\\\";{}\\\\\":1,\"\\u00ff\\n\":\"\\u00e2\\u0082\"}\n");
	free(c.buf);
}

static void test_nesting(void **state)
{
	struct cap c;

	cap_open(&c);
	jsonw_start_object(c.w);
	jsonw_string_field(c.w, "verb", "status");
	jsonw_name(c.w, "ifaces");
	jsonw_start_array(c.w);
	jsonw_start_object(c.w);
	jsonw_string_field(c.w, "ifname", "tg0");
	jsonw_name(c.w, "slots");
	jsonw_start_array(c.w);
	jsonw_uint(c.w, 1);
	jsonw_uint(c.w, 2);
	jsonw_end_array(c.w);
	jsonw_end_object(c.w);
	jsonw_start_object(c.w);
	jsonw_end_object(c.w);
	jsonw_start_array(c.w);
	jsonw_end_array(c.w);
	jsonw_end_array(c.w);
	jsonw_bool_field(c.w, "ok", true);
	jsonw_null_field(c.w, "none");
	jsonw_end_object(c.w);
	assert_int_equal(jsonw_error(c.w), 0);
	assert_int_equal(jsonw_depth(c.w), 0);
	assert_string_equal(cap_close(&c),
			    "{\"verb\":\"status\",\"ifaces\":[{\"ifname\":\"tg0\",\"slots\":[1,2]},"
			    "{},[]],\"ok\":true,\"none\":null}\n");
	free(c.buf);
}

static void test_pretty(void **state)
{
	struct cap c;

	cap_open(&c);
	jsonw_pretty(c.w, true);
	jsonw_start_object(c.w);
	jsonw_int_field(c.w, "a", -1);
	jsonw_name(c.w, "b");
	jsonw_start_array(c.w);
	jsonw_bool(c.w, false);
	jsonw_start_object(c.w);
	jsonw_end_object(c.w);
	jsonw_end_array(c.w);
	jsonw_end_object(c.w);
	assert_string_equal(cap_close(&c),
			    "{\n    \"a\": -1,\n    \"b\": [\n        false,\n        {}\n    ]\n}\n");
	free(c.buf);
}

static void test_numbers(void **state)
{
	struct cap c;

	cap_open(&c);
	jsonw_start_array(c.w);
	jsonw_uint(c.w, UINT64_MAX);
	jsonw_int(c.w, INT64_MIN);
	jsonw_int(c.w, INT64_MAX);
	jsonw_float(c.w, 0.01);
	jsonw_float(c.w, 0.1 + 0.2);
	jsonw_float(c.w, 1e300);
	jsonw_float(c.w, -0.0);
	jsonw_float(c.w, 5e-324);
	jsonw_float(c.w, 2.0);
	jsonw_float(c.w, NAN);
	jsonw_float(c.w, INFINITY);
	jsonw_float(c.w, -INFINITY);
	jsonw_end_array(c.w);
	assert_string_equal(cap_close(&c),
			    "[18446744073709551615,-9223372036854775808,9223372036854775807,"
			    "0.01,0.30000000000000004,1e+300,-0,4.94065645841247e-324,2,"
			    "null,null,null]\n");
	free(c.buf);
}

static void test_stringf(void **state)
{
	struct cap c;

	cap_open(&c);
	jsonw_stringf(c.w, "%s has %d \"slots\"", "tg\x01", 16);
	assert_string_equal(cap_close(&c), "\"tg\\u0001 has 16 \\\"slots\\\"\"\n");
	free(c.buf);
}

/* Each misuse is refused, recorded, and the document still closes. */
static void test_misuse(void **state)
{
	struct cap c;
	int i;

	cap_open(&c);
	jsonw_start_object(c.w);
	jsonw_uint(c.w, 1);			/* value without a name */
	assert_int_equal(jsonw_error(c.w), -EINVAL);
	/* Later calls are judged on their own: an error path can finish. */
	jsonw_string_field(c.w, "later", "kept");
	assert_int_equal(jsonw_error(c.w), -EINVAL);
	assert_string_equal(cap_close(&c), "{\"later\":\"kept\"}\n");
	free(c.buf);

	cap_open(&c);
	jsonw_start_object(c.w);
	jsonw_end_array(c.w);			/* wrong end */
	assert_int_equal(jsonw_error(c.w), -EINVAL);
	assert_string_equal(cap_close(&c), "{}\n");
	free(c.buf);

	cap_open(&c);
	jsonw_start_array(c.w);
	jsonw_name(c.w, "x");			/* name in an array */
	assert_int_equal(jsonw_error(c.w), -EINVAL);
	assert_string_equal(cap_close(&c), "[]\n");
	free(c.buf);

	cap_open(&c);
	jsonw_uint(c.w, 1);
	jsonw_uint(c.w, 2);			/* second root value */
	jsonw_end_object(c.w);			/* end of nothing */
	assert_int_equal(jsonw_error(c.w), -EINVAL);
	assert_string_equal(cap_close(&c), "1\n");
	free(c.buf);

	cap_open(&c);
	for (i = 0; i < JSONW_MAX_DEPTH + 1; i++)
		jsonw_start_array(c.w);
	assert_int_equal(jsonw_error(c.w), -EINVAL);
	assert_int_equal(jsonw_depth(c.w), JSONW_MAX_DEPTH);
	cap_close(&c);
	free(c.buf);
}

static void test_floor(void **state)
{
	struct cap c;

	cap_open(&c);
	jsonw_start_object(c.w);
	jsonw_set_floor(c.w, 1);
	jsonw_name(c.w, "a");
	jsonw_start_array(c.w);
	jsonw_end_array(c.w);
	jsonw_end_object(c.w);			/* the root is not the caller's */
	assert_int_equal(jsonw_error(c.w), -EINVAL);
	assert_int_equal(jsonw_depth(c.w), 1);
	jsonw_uint_field(c.w, "exit_code", 0);
	assert_string_equal(cap_close(&c), "{\"a\":[],\"exit_code\":0}\n");
	free(c.buf);
}

static void test_unwind(void **state)
{
	struct cap c;

	cap_open(&c);
	jsonw_start_object(c.w);
	jsonw_name(c.w, "a");
	jsonw_start_array(c.w);
	jsonw_start_object(c.w);
	jsonw_name(c.w, "b");			/* its value never comes */
	jsonw_unwind(c.w, 1);
	assert_int_equal(jsonw_depth(c.w), 1);
	jsonw_uint_field(c.w, "after", 7);
	assert_int_equal(jsonw_error(c.w), 0);
	assert_string_equal(cap_close(&c), "{\"a\":[{\"b\":null}],\"after\":7}\n");
	free(c.buf);
}

static void test_new_destroy(void **state)
{
	jsonw_t *w = NULL;

	errno = 0;
	assert_null(jsonw_new(NULL));
	assert_int_equal(errno, EINVAL);
	jsonw_destroy(NULL);
	jsonw_destroy(&w);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_checker_rejects),
		cmocka_unit_test(test_escapes),
		cmocka_unit_test(test_not_utf8),
		cmocka_unit_test(test_utf8_passes),
		cmocka_unit_test(test_any_bytes),
		cmocka_unit_test(test_hostile_names),
		cmocka_unit_test(test_nesting),
		cmocka_unit_test(test_pretty),
		cmocka_unit_test(test_numbers),
		cmocka_unit_test(test_stringf),
		cmocka_unit_test(test_misuse),
		cmocka_unit_test(test_floor),
		cmocka_unit_test(test_unwind),
		cmocka_unit_test(test_new_destroy),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
