// SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause)
#include <errno.h>
#include <inttypes.h>
#include <math.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>

#include "json_writer.h"

enum ctx_kind {
	CTX_OBJECT,
	CTX_ARRAY,
};

struct json_writer {
	FILE *f;
	int err;		/* first -EINVAL (misuse) or -ENOMEM, kept */
	bool pretty;
	bool named;		/* a name was written, its value not yet */
	bool root_done;		/* one document per writer */
	bool wrote;
	unsigned int depth;
	unsigned int floor;	/* ends may not close levels <= floor */
	unsigned char kind[JSONW_MAX_DEPTH];
	unsigned int count[JSONW_MAX_DEPTH];	/* members written per level */
};

jsonw_t *jsonw_new(FILE *f)
{
	jsonw_t *w;

	if (!f) {
		errno = EINVAL;
		return NULL;
	}
	w = calloc(1, sizeof(*w));
	if (!w)
		return NULL;
	w->f = f;
	return w;
}

void jsonw_destroy(jsonw_t **w)
{
	if (!w || !*w)
		return;
	jsonw_unwind(*w, 0);
	if ((*w)->wrote)
		fputc('\n', (*w)->f);
	fflush((*w)->f);
	free(*w);
	*w = NULL;
}

void jsonw_pretty(jsonw_t *w, bool on)
{
	w->pretty = on;
}

int jsonw_error(const jsonw_t *w)
{
	if (w->err)
		return w->err;
	return ferror(w->f) ? -EIO : 0;
}

unsigned int jsonw_depth(const jsonw_t *w)
{
	return w->depth;
}

/* A misuse is refused, not written: the document stays valid. */
static void misuse(jsonw_t *w)
{
	if (!w->err)
		w->err = -EINVAL;
}

static void newline(jsonw_t *w)
{
	unsigned int i;

	if (!w->pretty)
		return;
	fputc('\n', w->f);
	for (i = 0; i < w->depth; i++)
		fputs("    ", w->f);
}

/* Separator and indent for one more member of the innermost container. */
static void next_member(jsonw_t *w)
{
	if (w->count[w->depth - 1]++)
		fputc(',', w->f);
	newline(w);
}

/* Is a value allowed here? Writes what must precede it. */
static bool begin_value(jsonw_t *w)
{
	if (!w->depth) {
		if (w->root_done) {
			misuse(w);
			return false;
		}
	} else if (w->kind[w->depth - 1] == CTX_OBJECT) {
		if (!w->named) {
			misuse(w);
			return false;
		}
		w->named = false;
	} else {
		next_member(w);
	}
	w->wrote = true;
	return true;
}

static void end_value(jsonw_t *w)
{
	if (!w->depth)
		w->root_done = true;
}

/*
 * Length of the valid UTF-8 sequence at @p (RFC 3629: no overlong forms,
 * no surrogates, nothing above U+10FFFF), 0 if there is none.
 */
size_t jsonw_utf8_seq(const unsigned char *p, size_t n)
{
	unsigned char lo = 0x80, hi = 0xbf;
	size_t len, i;

	if (p[0] >= 0xc2 && p[0] <= 0xdf)
		len = 2;
	else if (p[0] >= 0xe0 && p[0] <= 0xef)
		len = 3;
	else if (p[0] >= 0xf0 && p[0] <= 0xf4)
		len = 4;
	else
		return 0;
	if (p[0] == 0xe0)
		lo = 0xa0;
	else if (p[0] == 0xed)
		hi = 0x9f;
	else if (p[0] == 0xf0)
		lo = 0x90;
	else if (p[0] == 0xf4)
		hi = 0x8f;
	if (n < len || p[1] < lo || p[1] > hi)
		return 0;
	for (i = 2; i < len; i++)
		if (p[i] < 0x80 || p[i] > 0xbf)
			return 0;
	return len;
}

static void write_ascii(FILE *f, unsigned char c)
{
	switch (c) {
	case '"':
		fputs("\\\"", f);
		break;
	case '\\':
		fputs("\\\\", f);
		break;
	case '\n':
		fputs("\\n", f);
		break;
	case '\r':
		fputs("\\r", f);
		break;
	case '\t':
		fputs("\\t", f);
		break;
	default:
		/* DEL too: names end up on terminals through jq. */
		if (c < 0x20 || c == 0x7f)
			fprintf(f, "\\u%04x", c);
		else
			fputc(c, f);
	}
}

static void write_str(FILE *f, const char *s, size_t n)
{
	const unsigned char *p = (const unsigned char *)s;
	size_t i = 0, k;

	fputc('"', f);
	while (i < n) {
		if (p[i] < 0x80) {
			write_ascii(f, p[i++]);
			continue;
		}
		k = jsonw_utf8_seq(p + i, n - i);
		if (k) {
			fwrite(p + i, 1, k, f);
			i += k;
		} else {
			/* Not UTF-8: keep the byte, as the code point of its value. */
			fprintf(f, "\\u%04x", p[i++]);
		}
	}
	fputc('"', f);
}

static void start(jsonw_t *w, enum ctx_kind kind)
{
	if (w->depth == JSONW_MAX_DEPTH) {
		misuse(w);
		return;
	}
	if (!begin_value(w))
		return;
	fputc(kind == CTX_OBJECT ? '{' : '[', w->f);
	w->kind[w->depth] = kind;
	w->count[w->depth] = 0;
	w->depth++;
}

/* Close the innermost container, whatever state the writer is in. */
static void close_one(jsonw_t *w)
{
	if (w->named) {
		fputs("null", w->f);
		w->named = false;
	}
	w->depth--;
	if (w->count[w->depth])
		newline(w);
	fputc(w->kind[w->depth] == CTX_OBJECT ? '}' : ']', w->f);
	end_value(w);
}

static void end(jsonw_t *w, enum ctx_kind kind)
{
	if (w->depth <= w->floor || w->kind[w->depth - 1] != kind || w->named) {
		misuse(w);
		return;
	}
	close_one(w);
}

void jsonw_unwind(jsonw_t *w, unsigned int depth)
{
	while (w->depth > depth)
		close_one(w);
}

void jsonw_set_floor(jsonw_t *w, unsigned int depth)
{
	w->floor = depth;
}

void jsonw_start_object(jsonw_t *w)
{
	start(w, CTX_OBJECT);
}

void jsonw_end_object(jsonw_t *w)
{
	end(w, CTX_OBJECT);
}

void jsonw_start_array(jsonw_t *w)
{
	start(w, CTX_ARRAY);
}

void jsonw_end_array(jsonw_t *w)
{
	end(w, CTX_ARRAY);
}

void jsonw_name(jsonw_t *w, const char *name)
{
	if (!w->depth || w->kind[w->depth - 1] != CTX_OBJECT || w->named || !name) {
		misuse(w);
		return;
	}
	next_member(w);
	write_str(w->f, name, strlen(name));
	fputs(w->pretty ? ": " : ":", w->f);
	w->named = true;
}

void jsonw_strn(jsonw_t *w, const char *s, size_t len)
{
	if (!begin_value(w))
		return;
	write_str(w->f, s, len);
	end_value(w);
}

void jsonw_string(jsonw_t *w, const char *s)
{
	if (!s)
		jsonw_null(w);
	else
		jsonw_strn(w, s, strlen(s));
}

void jsonw_stringf(jsonw_t *w, const char *fmt, ...)
{
	char *s = NULL;
	va_list ap;
	int n;

	va_start(ap, fmt);
	n = vasprintf(&s, fmt, ap);
	va_end(ap);
	if (n < 0) {
		/* A name may be waiting: give it a value, not the next one's. */
		if (!w->err)
			w->err = -ENOMEM;
		jsonw_null(w);
		return;
	}
	jsonw_strn(w, s, n);
	free(s);
}

/* Literals and numbers: text that needs no escaping. */
static void raw_value(jsonw_t *w, const char *text)
{
	if (!begin_value(w))
		return;
	fputs(text, w->f);
	end_value(w);
}

void jsonw_bool(jsonw_t *w, bool v)
{
	raw_value(w, v ? "true" : "false");
}

void jsonw_null(jsonw_t *w)
{
	raw_value(w, "null");
}

void jsonw_uint(jsonw_t *w, uint64_t v)
{
	char buf[24];

	snprintf(buf, sizeof(buf), "%" PRIu64, v);
	raw_value(w, buf);
}

void jsonw_int(jsonw_t *w, int64_t v)
{
	char buf[24];

	snprintf(buf, sizeof(buf), "%" PRId64, v);
	raw_value(w, buf);
}

void jsonw_float(jsonw_t *w, double v)
{
	char buf[40], *p;
	int prec;

	/* JSON has no NaN or infinity; null says "no number" honestly. */
	if (!isfinite(v)) {
		jsonw_null(w);
		return;
	}
	/* 0.01 as "0.01", not "0.010000000000000000208". */
	for (prec = 15; prec < 17; prec++) {
		snprintf(buf, sizeof(buf), "%.*g", prec, v);
		if (strtod(buf, NULL) == v)
			break;
	}
	if (prec == 17)
		snprintf(buf, sizeof(buf), "%.17g", v);
	/* A locale with a decimal comma must not break the document. */
	for (p = buf; *p; p++)
		if (*p == ',')
			*p = '.';
	raw_value(w, buf);
}

void jsonw_string_field(jsonw_t *w, const char *name, const char *v)
{
	jsonw_name(w, name);
	jsonw_string(w, v);
}

void jsonw_strn_field(jsonw_t *w, const char *name, const char *v, size_t len)
{
	jsonw_name(w, name);
	jsonw_strn(w, v, len);
}

void jsonw_bool_field(jsonw_t *w, const char *name, bool v)
{
	jsonw_name(w, name);
	jsonw_bool(w, v);
}

void jsonw_null_field(jsonw_t *w, const char *name)
{
	jsonw_name(w, name);
	jsonw_null(w);
}

void jsonw_uint_field(jsonw_t *w, const char *name, uint64_t v)
{
	jsonw_name(w, name);
	jsonw_uint(w, v);
}

void jsonw_int_field(jsonw_t *w, const char *name, int64_t v)
{
	jsonw_name(w, name);
	jsonw_int(w, v);
}

void jsonw_float_field(jsonw_t *w, const char *name, double v)
{
	jsonw_name(w, name);
	jsonw_float(w, v);
}
