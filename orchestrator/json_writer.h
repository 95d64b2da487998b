/* SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause) */
/*
 * A streaming JSON writer in the manner of bpftool's json_writer.h: the
 * writer tracks nesting and commas, so callers never print JSON syntax.
 *
 * Whatever the caller does, the output stays valid JSON:
 *  - strings are escaped ('"', '\\', every control character and DEL);
 *    valid UTF-8 passes through, any byte that is not part of valid UTF-8
 *    is written as \u00XX (nothing is dropped, nothing is invalid);
 *  - NaN and infinities are written as null;
 *  - a misuse (a value in an object without a name, an end that does not
 *    match its start or would cross the floor, a second root value,
 *    nesting deeper than JSONW_MAX_DEPTH) is refused: that call writes
 *    nothing and jsonw_error() reports -EINVAL from then on; later calls
 *    are judged on their own, so an error path can still add its fields,
 *    and jsonw_unwind()/jsonw_destroy() close what is open.
 * The writer does not check for duplicate names.
 */
#ifndef __TG_JSON_WRITER_H
#define __TG_JSON_WRITER_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

#define JSONW_MAX_DEPTH 64

typedef struct json_writer jsonw_t;

/*
 * A writer on @f (not owned: jsonw_destroy() flushes it, never closes it).
 * @return the writer, or NULL with errno set.
 */
jsonw_t *jsonw_new(FILE *f);

/*
 * Close every open container (a pending name gets null), end the document
 * with a newline if anything was written, flush, free, and set *@w to
 * NULL. Accepts NULL and a pointer to NULL.
 */
void jsonw_destroy(jsonw_t **w);

/* Newlines and four-space indents from now on (default: compact). */
void jsonw_pretty(jsonw_t *w, bool on);

/*
 * @return 0, -EINVAL after a misuse, -ENOMEM if jsonw_stringf() could not
 * format (it wrote null), or -EIO once the stream failed.
 */
int jsonw_error(const jsonw_t *w);

/* Open containers, the root one included (0 before and after the root). */
unsigned int jsonw_depth(const jsonw_t *w);

/*
 * Close containers until jsonw_depth() is @depth; a name still waiting
 * for its value gets null. Works after a misuse, so error paths can
 * always finish a valid document.
 */
void jsonw_unwind(jsonw_t *w, unsigned int depth);

/*
 * Refuse ends that would close a container at a depth <= @depth, so code
 * handed the writer inside a document cannot close what it did not open
 * (out.c keeps its root object this way). jsonw_unwind() is not bound.
 */
void jsonw_set_floor(jsonw_t *w, unsigned int depth);

void jsonw_start_object(jsonw_t *w);
void jsonw_end_object(jsonw_t *w);
void jsonw_start_array(jsonw_t *w);
void jsonw_end_array(jsonw_t *w);

/* The name of the next member; only inside an object. */
void jsonw_name(jsonw_t *w, const char *name);

/* Values: in an array, after a name in an object, or as the root. */
void jsonw_string(jsonw_t *w, const char *s);	/* NULL is written as null */
void jsonw_strn(jsonw_t *w, const char *s, size_t len);	/* may hold NULs */
void jsonw_stringf(jsonw_t *w, const char *fmt, ...)
	__attribute__((format(printf, 2, 3)));
void jsonw_bool(jsonw_t *w, bool v);
void jsonw_null(jsonw_t *w);
void jsonw_uint(jsonw_t *w, uint64_t v);
void jsonw_int(jsonw_t *w, int64_t v);
void jsonw_float(jsonw_t *w, double v);	/* shortest form that reads back */

/* A name and its value in one call. */
void jsonw_string_field(jsonw_t *w, const char *name, const char *v);
void jsonw_strn_field(jsonw_t *w, const char *name, const char *v, size_t len);
void jsonw_bool_field(jsonw_t *w, const char *name, bool v);
void jsonw_null_field(jsonw_t *w, const char *name);
void jsonw_uint_field(jsonw_t *w, const char *name, uint64_t v);
void jsonw_int_field(jsonw_t *w, const char *name, int64_t v);
void jsonw_float_field(jsonw_t *w, const char *name, double v);

/*
 * Length of the valid UTF-8 sequence at @p (at most @n bytes; @p[0] >=
 * 0x80), 0 if there is none. A byte that is not UTF-8 is written as the
 * code point of its value (0xff: U+00FF); metrics.c does the same.
 */
size_t jsonw_utf8_seq(const unsigned char *p, size_t n);

#endif /* __TG_JSON_WRITER_H */
