// SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause)
/*
 * Mappings checked against tables of typed fields. The table says what a
 * key may hold and where it goes; schema__parse_map() walks the mapping
 * in file order and hands each value straight to its field, so the first
 * error in the file is the one reported, at the node that has it.
 */
#include <ctype.h>
#include <errno.h>
#include <inttypes.h>
#include <math.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "schema.h"

int schema__fail(struct schema *s, const struct ynode *at, const char *fmt,
		 ...)
{
	va_list ap;

	va_start(ap, fmt);
	ynode__verror(s->err, at->line, at->col, fmt, ap);
	va_end(ap);
	return -EINVAL;
}

/* Mappings */

static int unknown_key(struct schema *s, const struct ynode *k,
		       const struct schema_map *m)
{
	char expected[256] = "none";
	size_t off = 0, i;

	for (i = 0; i < m->nr && off < sizeof(expected); i++)
		off += snprintf(expected + off, sizeof(expected) - off, "%s%s",
				i ? ", " : "", m->fields[i].key);
	return schema__fail(s, k, "unknown key '%s' in %s (expected %s)",
			    YSHOW(k->str), m->what, expected);
}

static int find_field(struct schema *s, const struct ynode *k,
		      const struct schema_map *m, const struct field **f)
{
	size_t i;

	if (k->type != YNODE_SCALAR)
		return schema__fail(s, k, "%s: a key must be a string, got %s",
				    m->what, ynode__type_name(k));
	for (i = 0; i < m->nr; i++) {
		if (!strcmp(k->str, m->fields[i].key)) {
			*f = &m->fields[i];
			return 0;
		}
	}
	return unknown_key(s, k, m);
}

/* The key before @k in @map that reads the same, or NULL. */
static const struct ynode *earlier_key(const struct ynode *map,
				       const struct ynode *k)
{
	const struct ynode *e, *v;

	ynode_for_each_pair(e, v, map) {
		if (e == k)
			break;
		if (e->type == YNODE_SCALAR && !strcmp(e->str, k->str))
			return e;
	}
	return NULL;
}

int schema__parse_map(struct schema *s, const struct ynode *map,
		      const struct schema_map *m, void *obj)
{
	const struct ynode *k, *v, *dup;
	const struct field *f = NULL;
	size_t i;
	int err;

	if (map->type != YNODE_MAP && !ynode__is_null(map))
		return schema__fail(s, map, "%s: expected a mapping, got %s",
				    m->what, ynode__type_name(map));
	ynode_for_each_pair(k, v, map) {
		err = find_field(s, k, m, &f);
		if (err)
			return err;
		dup = earlier_key(map, k);
		if (dup)
			return schema__fail(s, k, "duplicate key '%s' in %s (first at line %d)",
					    f->key, m->what, dup->line);
		err = f->parse(s, f, v, obj);
		if (err)
			return err;
	}
	for (i = 0; i < m->nr; i++)
		if (m->fields[i].required && !ynode__get(map, m->fields[i].key))
			return schema__fail(s, map, "missing required key '%s' in %s",
					    m->fields[i].key, m->what);
	return 0;
}

int schema__map(struct schema *s, const struct field *f,
		const struct ynode *v, void *obj)
{
	return schema__parse_map(s, v, f->map, (char *)obj + f->off);
}

int schema__want_seq(struct schema *s, const struct field *f,
		     const struct ynode *v)
{
	if (v->type != YNODE_SEQ && !ynode__is_null(v))
		return schema__fail(s, v, "%s: expected a sequence, got %s",
				    f->key, ynode__type_name(v));
	return 0;
}

/* Strings and names */

int schema__get_str(struct schema *s, const struct field *f,
		    const struct ynode *v, const char **str)
{
	if (v->type != YNODE_SCALAR || ynode__is_null(v))
		return schema__fail(s, v, "%s: expected a string, got %s",
				    f->key, ynode__type_name(v));
	*str = v->str;
	return 0;
}

int schema__check_name(struct schema *s, const struct ynode *v,
		       const char *what, const char *str, size_t size)
{
	size_t len = strlen(str), i;

	if (!len || len >= size)
		return schema__fail(s, v, "%s '%s' must be 1..%zu characters long",
				    what, YSHOW(str), size - 1);
	for (i = 0; i < len; i++) {
		if (!isalnum((unsigned char)str[i]) && !strchr("_.-", str[i]))
			return schema__fail(s, v, "%s '%s' has a character outside [A-Za-z0-9_.-]",
					    what, YSHOW(str));
	}
	return 0;
}

int schema__name(struct schema *s, const struct field *f,
		 const struct ynode *v, void *obj)
{
	const char *str = NULL;
	int err;

	err = schema__get_str(s, f, v, &str) ?:
	      schema__check_name(s, v, f->key, str, f->size);
	if (!err)
		strcpy((char *)obj + f->off, str);
	return err;
}

int schema__string(struct schema *s, const struct field *f,
		   const struct ynode *v, void *obj)
{
	const char *str = NULL;
	int err;

	err = schema__get_str(s, f, v, &str);
	if (err)
		return err;
	if (strlen(str) >= f->size)
		return schema__fail(s, v, "%s: longer than %zu characters",
				    f->key, f->size - 1);
	strcpy((char *)obj + f->off, str);
	return 0;
}

/* Choices */

static void choice_list(const char *const *names, char *buf, size_t len)
{
	size_t off = 0, i;

	buf[0] = '\0';
	for (i = 0; names[i] && off < len; i++)
		off += snprintf(buf + off, len - off, "%s%s",
				!i ? "" : names[i + 1] ? ", " : " or ",
				names[i]);
}

int schema__choice_index(struct schema *s, const struct field *f,
			 const struct ynode *v, const char *const *names)
{
	const char *str = NULL;
	char expected[256];
	int i, err;

	err = schema__get_str(s, f, v, &str);
	if (err)
		return err;
	for (i = 0; names[i]; i++)
		if (!strcmp(str, names[i]))
			return i;
	choice_list(names, expected, sizeof(expected));
	return schema__fail(s, v, "%s: unknown value '%s' (expected %s)",
			    f->key, YSHOW(str), expected);
}

int schema__choice(struct schema *s, const struct field *f,
		   const struct ynode *v, void *obj)
{
	char *dst = (char *)obj + f->off;
	int i = schema__choice_index(s, f, v, f->choices);

	if (i < 0)
		return i;
	if (f->size == sizeof(bool))
		*(bool *)dst = i;
	else if (f->size == sizeof(unsigned int))
		*(unsigned int *)dst = i;	/* an enum of names' indices */
	else
		return schema__fail(s, v, "%s: internal error: a choice of %zu bytes",
				    f->key, f->size);
	return 0;
}

/* Numbers */

/* Numbers must be plain scalars: "100" in quotes is a string in YAML. */
static int get_number(struct schema *s, const struct field *f,
		      const struct ynode *v, const char *what, const char **str)
{
	if (v->type != YNODE_SCALAR || v->quoted || ynode__is_null(v))
		return schema__fail(s, v, "%s: expected %s, got %s", f->key,
				    what, ynode__type_name(v));
	*str = v->str;
	return 0;
}

/* Plain decimal: no sign, no leading zero (YAML 1.1 reads 010 as octal). */
static int parse_u64(const char *str, uint64_t *out)
{
	uint64_t v = 0;
	unsigned int d;

	if (!*str || (str[0] == '0' && str[1]))
		return -EINVAL;
	for (; *str; str++) {
		if (*str < '0' || *str > '9')
			return -EINVAL;
		d = *str - '0';
		if (v > (UINT64_MAX - d) / 10)
			return -ERANGE;
		v = v * 10 + d;
	}
	*out = v;
	return 0;
}

int schema__get_u64(struct schema *s, const struct field *f,
		    const struct ynode *v, uint64_t *out)
{
	const char *str = NULL;
	int err;

	err = get_number(s, f, v, "an unsigned integer", &str);
	if (err)
		return err;
	err = parse_u64(str, out);
	if (err == -ERANGE)
		return schema__fail(s, v, "%s: %s is too large (at most %" PRIu64 ")",
				    f->key, YSHOW(str), UINT64_MAX);
	if (err)
		return schema__fail(s, v, "%s: '%s' is not an unsigned decimal integer (no sign, no leading zero)",
				    f->key, YSHOW(str));
	return 0;
}

int schema__u64(struct schema *s, const struct field *f,
		const struct ynode *v, void *obj)
{
	return schema__get_u64(s, f, v, (uint64_t *)((char *)obj + f->off));
}

int schema__ratio(struct schema *s, const struct field *f,
		  const struct ynode *v, void *obj)
{
	const char *str = NULL;
	char *end;
	double d;
	int err;

	err = get_number(s, f, v, "a number", &str);
	if (err)
		return err;
	/* No hex floats, nan or inf: digits, point, exponent only. */
	if (!*str || str[strspn(str, "0123456789.eE+-")])
		return schema__fail(s, v, "%s: '%s' is not a number", f->key,
				    YSHOW(str));
	d = strtod(str, &end);
	if (*end)
		return schema__fail(s, v, "%s: '%s' is not a number", f->key,
				    YSHOW(str));
	if (!isfinite(d) || d < 0 || d > 1)
		return schema__fail(s, v, "%s: %s is out of range 0..1", f->key,
				    YSHOW(str));
	memcpy((char *)obj + f->off, &d, sizeof(d));
	return 0;
}

/* Durations */

int schema__parse_duration(const char *str, uint64_t *ms)
{
	uint64_t v = 0, unit;
	bool big = false;
	const char *p;

	if (!str || *str < '0' || *str > '9')
		return -EINVAL;
	for (p = str; *p >= '0' && *p <= '9'; p++) {
		if (v > (UINT64_MAX - (*p - '0')) / 10)
			big = true;
		else
			v = v * 10 + (*p - '0');
	}
	if (!strcmp(p, "ms"))
		unit = 1;
	else if (!strcmp(p, "s"))
		unit = 1000;
	else if (!strcmp(p, "m"))
		unit = 60 * 1000;
	else if (!strcmp(p, "h"))
		unit = 60 * 60 * 1000;
	else
		return -EINVAL;
	if (big || !v || v > SCHEMA_DURATION_MAX_MS / unit)
		return -ERANGE;
	*ms = v * unit;
	return 0;
}

int schema__duration(struct schema *s, const struct field *f,
		     const struct ynode *v, void *obj)
{
	const char *str = NULL;
	int err;

	err = schema__get_str(s, f, v, &str);
	if (err)
		return err;
	err = schema__parse_duration(str, (uint64_t *)((char *)obj + f->off));
	if (err == -ERANGE)
		return schema__fail(s, v, "%s: %s is out of range 1ms..24h",
				    f->key, YSHOW(str));
	if (err && *str && !str[strspn(str, "0123456789")])
		return schema__fail(s, v, "%s: '%s' needs a unit: ms, s, m or h",
				    f->key, YSHOW(str));
	if (err)
		return schema__fail(s, v, "%s: '%s' is not a duration (a whole number and ms, s, m or h: 250ms, 10s, 2m, 1h)",
				    f->key, YSHOW(str));
	return 0;
}
