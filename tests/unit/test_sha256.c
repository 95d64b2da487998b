// SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause)
/*
 * SHA-256 against the FIPS 180-4 example vectors, plus the padding
 * boundaries (55/56/63/64/119/120 bytes) where a one-off in the tail
 * handling would go unnoticed by the short vectors.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>

#include "sha256.h"

static void check(const void *data, size_t len, const char *want)
{
	uint8_t d[SHA256_LEN];
	char hex[2 * SHA256_LEN + 1];

	sha256__digest(data, len, d);
	sha256__hex(d, hex);
	assert_string_equal(hex, want);
}

static void test_empty(void **state)
{
	check("", 0, "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855");
}

static void test_abc(void **state)
{
	check("abc", 3, "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad");
}

/* 448 bits: the padding no longer fits the message's block. */
static void test_448_bits(void **state)
{
	const char *m = "abcdbcdecdefdefgefghfghighijhijkijkljklmklmnlmnomnopnopq";

	assert_int_equal(strlen(m), 56);
	check(m, strlen(m),
	      "248d6a61d20638b8e5c026930c3e6039a33ce45964ff2167f6ecedd419db06c1");
}

static void test_896_bits(void **state)
{
	const char *m = "abcdefghbcdefghicdefghijdefghijkefghijklfghijklmghijklmn"
			"hijklmnoijklmnopjklmnopqklmnopqrlmnopqrsmnopqrstnopqrstu";

	assert_int_equal(strlen(m), 112);
	check(m, strlen(m),
	      "cf5b16a778af8380036ce59e7b0492370b249b11e8f07a51afac45037afee9d1");
}

static void test_million_a(void **state)
{
	size_t n = 1000000;
	char *m = malloc(n);

	assert_non_null(m);
	memset(m, 'a', n);
	check(m, n, "cdc76e5c9914fb9281a1c7e284d73e67f1809a48a497200e046d39ccc7112cd0");
	free(m);
}

/* Reference digests from coreutils sha256sum of n bytes of 'x'. */
static void test_padding_boundaries(void **state)
{
	static const struct {
		size_t n;
		const char *hex;
	} v[] = {
		{ 55, "d5e285683cd4efc02d021a5c62014694958901005d6f71e89e0989fac77e4072" },
		{ 56, "04c26261370ee7541549d16dee320c723e3fd14671e66a099afe0a377c16888e" },
		{ 63, "75220b47218278e656f2013bb8f0c455a25eaf01e86c64924e9d48d89776d6f2" },
		{ 64, "7ce100971f64e7001e8fe5a51973ecdfe1ced42befe7ee8d5fd6219506b5393c" },
		{ 65, "9537c5fdf120482f7d58d25e9ed583f52c02b4e304ea814db1633ad565aed7e9" },
		{ 119, "000b48d4edf0fa7bee3c6236ecd2785baa5db4eeb8bb54341b029e0d9fa5fb0c" },
		{ 120, "13f05a0b594787f5ecd315edc96141bd3243203d1b7d4f0836f37308b276ba98" },
		{ 128, "24da1b81d0b16df6428eee73c69fcb2a93c76bc6df706f0c6670fe6bfe800464" },
	};
	char m[128];
	size_t i;

	memset(m, 'x', sizeof(m));
	for (i = 0; i < sizeof(v) / sizeof(v[0]); i++)
		check(m, v[i].n, v[i].hex);
}

/* Bytes >= 0x80 and NUL are data like any other (no sign or strlen slips). */
static void test_binary(void **state)
{
	static const uint8_t m[] = { 0x00, 0xff, 0x80 };

	check(m, sizeof(m), "f742b965f156c10374bc23aea96e3a8aff8facd6fc079defeaa30219ad86f211");
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_empty),
		cmocka_unit_test(test_abc),
		cmocka_unit_test(test_448_bits),
		cmocka_unit_test(test_896_bits),
		cmocka_unit_test(test_million_a),
		cmocka_unit_test(test_padding_boundaries),
		cmocka_unit_test(test_binary),
	};

	return cmocka_run_group_tests_name("sha256", tests, NULL, NULL);
}
