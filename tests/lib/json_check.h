/* SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause) */
/*
 * A strict JSON (RFC 8259) syntax checker for the tests: exactly one value
 * with optional whitespace around it; strings must be valid UTF-8 with no
 * raw control characters and only the standard escapes (lone surrogate
 * escapes are refused); numbers follow the grammar exactly (no NaN, no
 * leading zeros, no "+"). Independent of json_writer.c on purpose: it is
 * what the writer's output is judged by.
 */
#ifndef __TG_TEST_JSON_CHECK_H
#define __TG_TEST_JSON_CHECK_H

#include <stdbool.h>
#include <stddef.h>
#include <string.h>

struct jc {
	const unsigned char *p, *end;
	int depth;
};

static int jc_value(struct jc *c);

static void jc_ws(struct jc *c)
{
	while (c->p < c->end && (*c->p == ' ' || *c->p == '\t' || *c->p == '\n' || *c->p == '\r'))
		c->p++;
}

static bool jc_eat(struct jc *c, char ch)
{
	if (c->p < c->end && *c->p == (unsigned char)ch) {
		c->p++;
		return true;
	}
	return false;
}

static int jc_lit(struct jc *c, const char *lit)
{
	size_t n = strlen(lit);

	if ((size_t)(c->end - c->p) < n || memcmp(c->p, lit, n))
		return -1;
	c->p += n;
	return 0;
}

static bool jc_digit(struct jc *c)
{
	return c->p < c->end && *c->p >= '0' && *c->p <= '9';
}

static int jc_digits(struct jc *c)
{
	if (!jc_digit(c))
		return -1;
	while (jc_digit(c))
		c->p++;
	return 0;
}

static int jc_number(struct jc *c)
{
	jc_eat(c, '-');
	if (jc_eat(c, '0')) {
		if (jc_digit(c))
			return -1;
	} else if (jc_digits(c)) {
		return -1;
	}
	if (jc_eat(c, '.') && jc_digits(c))
		return -1;
	if (jc_eat(c, 'e') || jc_eat(c, 'E')) {
		if (!jc_eat(c, '+'))
			jc_eat(c, '-');
		if (jc_digits(c))
			return -1;
	}
	return 0;
}

static int jc_hex4(struct jc *c, unsigned int *v)
{
	int i;

	*v = 0;
	for (i = 0; i < 4; i++, c->p++) {
		unsigned char h;

		if (c->p >= c->end)
			return -1;
		h = *c->p;
		*v <<= 4;
		if (h >= '0' && h <= '9')
			*v |= h - '0';
		else if (h >= 'a' && h <= 'f')
			*v |= h - 'a' + 10;
		else if (h >= 'A' && h <= 'F')
			*v |= h - 'A' + 10;
		else
			return -1;
	}
	return 0;
}

static int jc_escape(struct jc *c)
{
	unsigned int u, lo;

	if (c->p >= c->end)
		return -1;
	if (strchr("\"\\/bfnrt", *c->p) && *c->p) {
		c->p++;
		return 0;
	}
	if (!jc_eat(c, 'u') || jc_hex4(c, &u))
		return -1;
	if (u >= 0xdc00 && u <= 0xdfff)
		return -1;
	if (u >= 0xd800 && u <= 0xdbff) {
		if (!jc_eat(c, '\\') || !jc_eat(c, 'u') || jc_hex4(c, &lo))
			return -1;
		if (lo < 0xdc00 || lo > 0xdfff)
			return -1;
	}
	return 0;
}

/* One UTF-8 sequence (RFC 3629), lead byte >= 0x80. */
static int jc_utf8(struct jc *c)
{
	unsigned char b = *c->p, lo = 0x80, hi = 0xbf;
	int len, i;

	if (b >= 0xc2 && b <= 0xdf)
		len = 2;
	else if (b >= 0xe0 && b <= 0xef)
		len = 3;
	else if (b >= 0xf0 && b <= 0xf4)
		len = 4;
	else
		return -1;
	if (b == 0xe0)
		lo = 0xa0;
	if (b == 0xed)
		hi = 0x9f;
	if (b == 0xf0)
		lo = 0x90;
	if (b == 0xf4)
		hi = 0x8f;
	if (c->end - c->p < len || c->p[1] < lo || c->p[1] > hi)
		return -1;
	for (i = 2; i < len; i++)
		if (c->p[i] < 0x80 || c->p[i] > 0xbf)
			return -1;
	c->p += len;
	return 0;
}

static int jc_string(struct jc *c)
{
	if (!jc_eat(c, '"'))
		return -1;
	while (c->p < c->end) {
		unsigned char b = *c->p;

		if (b == '"') {
			c->p++;
			return 0;
		}
		if (b < 0x20)
			return -1;
		if (b == '\\') {
			c->p++;
			if (jc_escape(c))
				return -1;
		} else if (b >= 0x80) {
			if (jc_utf8(c))
				return -1;
		} else {
			c->p++;
		}
	}
	return -1;
}

/* Members of an object (@obj) or elements of an array, after the opener. */
static int jc_container(struct jc *c, bool obj)
{
	char close = obj ? '}' : ']';

	if (++c->depth > 512)
		return -1;
	jc_ws(c);
	if (jc_eat(c, close))
		goto out;
	for (;;) {
		if (obj) {
			jc_ws(c);
			if (jc_string(c))
				return -1;
			jc_ws(c);
			if (!jc_eat(c, ':'))
				return -1;
		}
		if (jc_value(c))
			return -1;
		jc_ws(c);
		if (jc_eat(c, close))
			break;
		if (!jc_eat(c, ','))
			return -1;
	}
out:
	c->depth--;
	return 0;
}

static int jc_value(struct jc *c)
{
	jc_ws(c);
	if (c->p >= c->end)
		return -1;
	switch (*c->p) {
	case '{':
		c->p++;
		return jc_container(c, true);
	case '[':
		c->p++;
		return jc_container(c, false);
	case '"':
		return jc_string(c);
	case 't':
		return jc_lit(c, "true");
	case 'f':
		return jc_lit(c, "false");
	case 'n':
		return jc_lit(c, "null");
	default:
		return jc_number(c);
	}
}

/* Is @s (@n bytes) exactly one JSON document? */
static inline bool json_valid(const char *s, size_t n)
{
	struct jc c = { (const unsigned char *)s, (const unsigned char *)s + n, 0 };

	if (jc_value(&c))
		return false;
	jc_ws(&c);
	return c.p == c.end;
}

#endif /* __TG_TEST_JSON_CHECK_H */
