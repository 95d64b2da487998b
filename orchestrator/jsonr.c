// SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause)
#include <ctype.h>
#include <stdbool.h>
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "jsonr.h"

#define JSONR_MAX_DEPTH	16

struct rd {
	const char *p;
	jsonw_t *w;		/* NULL: check only */
	int depth;
};

static void ws(struct rd *r)
{
	while (*r->p == ' ' || *r->p == '\t' || *r->p == '\n' || *r->p == '\r')
		r->p++;
}

static int hex4(const char *p, unsigned int *v)
{
	int i;

	*v = 0;
	for (i = 0; i < 4; i++) {
		if (!isxdigit((unsigned char)p[i]))
			return -EINVAL;
		*v = *v << 4 | (isdigit((unsigned char)p[i]) ? p[i] - '0' : (tolower(p[i]) - 'a' + 10));
	}
	return 0;
}

/* A string into @buf (UTF-8, \u escapes decoded). */
static int str(struct rd *r, char *buf, size_t cap, size_t *len)
{
	unsigned int u;
	size_t n = 0;

	if (*r->p++ != '"')
		return -EINVAL;
	while (*r->p != '"') {
		unsigned char c = *r->p++;

		if (!c || c < 0x20)
			return -EINVAL;
		if (c == '\\') {
			c = *r->p++;
			switch (c) {
			case '"': case '\\': case '/': break;
			case 'b': c = '\b'; break;
			case 'f': c = '\f'; break;
			case 'n': c = '\n'; break;
			case 'r': c = '\r'; break;
			case 't': c = '\t'; break;
			case 'u':
				if (hex4(r->p, &u))
					return -EINVAL;
				r->p += 4;
				/* Our writer escapes bytes as \u00XX: keep them bytes. */
				if (u < 0x100) {
					c = u;
					break;
				}
				if (n + 3 > cap)
					return -E2BIG;
				if (u < 0x800) {
					buf[n++] = 0xc0 | u >> 6;
				} else {
					buf[n++] = 0xe0 | u >> 12;
					buf[n++] = 0x80 | (u >> 6 & 0x3f);
				}
				c = 0x80 | (u & 0x3f);
				break;
			default:
				return -EINVAL;
			}
		}
		if (n + 1 >= cap)
			return -E2BIG;
		buf[n++] = c;
	}
	r->p++;
	buf[n] = '\0';
	*len = n;
	return 0;
}

static int value(struct rd *r);

static int container(struct rd *r, char open)
{
	char close = open == '{' ? '}' : ']', key[512];
	size_t len;
	int err;

	if (++r->depth > JSONR_MAX_DEPTH)
		return -EINVAL;
	r->p++;
	if (r->w)
		open == '{' ? jsonw_start_object(r->w) : jsonw_start_array(r->w);
	ws(r);
	if (*r->p == close) {
		r->p++;
		goto out;
	}
	for (;;) {
		ws(r);
		if (open == '{') {
			err = str(r, key, sizeof(key), &len);
			if (err)
				return err;
			ws(r);
			if (*r->p++ != ':')
				return -EINVAL;
			if (r->w)
				jsonw_name(r->w, key);
		}
		err = value(r);
		if (err)
			return err;
		ws(r);
		if (*r->p == ',') {
			r->p++;
			continue;
		}
		if (*r->p++ != close)
			return -EINVAL;
		break;
	}
out:
	if (r->w)
		open == '{' ? jsonw_end_object(r->w) : jsonw_end_array(r->w);
	r->depth--;
	return 0;
}

static int number(struct rd *r)
{
	const char *s = r->p;
	char *end;
	double d;

	if (*r->p == '-')
		r->p++;
	if (!isdigit((unsigned char)*r->p))
		return -EINVAL;
	d = strtod(s, &end);
	r->p = end;
	if (r->w) {
		bool frac = memchr(s, '.', end - s) || memchr(s, 'e', end - s) ||
			    memchr(s, 'E', end - s);

		if (frac)
			jsonw_float(r->w, d);
		else if (*s == '-')
			jsonw_int(r->w, strtoll(s, NULL, 10));
		else
			jsonw_uint(r->w, strtoull(s, NULL, 10));
	}
	return 0;
}

static int value(struct rd *r)
{
	static char buf[8192];
	size_t len;
	int err;

	ws(r);
	switch (*r->p) {
	case '{':
	case '[':
		return container(r, *r->p);
	case '"':
		err = str(r, buf, sizeof(buf), &len);
		if (!err && r->w)
			jsonw_strn(r->w, buf, len);
		return err;
	case 't':
		if (strncmp(r->p, "true", 4))
			return -EINVAL;
		r->p += 4;
		if (r->w)
			jsonw_bool(r->w, true);
		return 0;
	case 'f':
		if (strncmp(r->p, "false", 5))
			return -EINVAL;
		r->p += 5;
		if (r->w)
			jsonw_bool(r->w, false);
		return 0;
	case 'n':
		if (strncmp(r->p, "null", 4))
			return -EINVAL;
		r->p += 4;
		if (r->w)
			jsonw_null(r->w);
		return 0;
	default:
		return number(r);
	}
}

int jsonr__check(const char *text)
{
	struct rd r = { .p = text };
	int err = value(&r);

	ws(&r);
	return err ?: (*r.p ? -EINVAL : 0);
}

int jsonr__copy(const char *text, jsonw_t *w)
{
	struct rd r = { .p = text, .w = w };

	if (jsonr__check(text))
		return -EINVAL;
	return value(&r);
}

int jsonr__field(const char *text, const char *key, char *out, size_t len)
{
	char pat[80], buf[1024];
	struct rd r;
	const char *p;
	size_t n;

	out[0] = '\0';
	snprintf(pat, sizeof(pat), "\"%s\":", key);
	p = strstr(text, pat);
	if (!p)
		return -ENOENT;
	r.p = p + strlen(pat);
	r.w = NULL;
	r.depth = 0;
	ws(&r);
	if (*r.p == '"') {
		if (str(&r, buf, sizeof(buf), &n))
			return -EINVAL;
		snprintf(out, len, "%s", buf);
		return 0;
	}
	n = strcspn(r.p, ",}]");
	snprintf(out, len, "%.*s", (int)n, r.p);
	return 0;
}
