/* SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause) */
/*
 * Typed fields: a mapping of the ynode tree checked against a table of the
 * keys it may have, each value handed to its field's parse callback, which
 * checks it and stores it into the object being filled. Unknown keys,
 * duplicate keys, missing required keys, wrong types and out-of-range
 * values are errors at the line and column of the node at fault.
 *
 *	static const struct field gate_fields[] = {
 *		{ .key = "min_packets", .parse = schema__u64,
 *		  FIELD_AT(struct plan_gates, min_packets) },
 *		{ .key = "exec", .parse = parse_exec },
 *	};
 *	static const struct schema_map gates = SCHEMA_MAP("gates", gate_fields);
 */
#ifndef __TG_SCHEMA_H
#define __TG_SCHEMA_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "ynode.h"

#ifndef ARRAY_SIZE
#define ARRAY_SIZE(a) (sizeof(a) / sizeof((a)[0]))
#endif

#define SCHEMA_DURATION_MAX_MS	(24ULL * 60 * 60 * 1000)

/* One parse: where errors go, and the caller's own context. */
struct schema {
	struct ynode_error *err;
	void *user;
};

struct field;

/*
 * Check @v, the value of @f's key, and store it into @obj (the object the
 * mapping fills; the standard callbacks write at obj + f->off).
 * @return 0 or -EINVAL with s->err filled.
 */
typedef int (*field_parse_fn)(struct schema *s, const struct field *f,
			      const struct ynode *v, void *obj);

struct field {
	const char *key;
	bool required;
	field_parse_fn parse;
	size_t off;			/* FIELD_AT(): the member filled */
	size_t size;			/* and its size */
	const char *const *choices;	/* schema__choice: NULL-terminated */
	const struct schema_map *map;	/* schema__map: the nested table */
};

/* The member of @type a standard callback fills. */
#define FIELD_AT(type, member)					\
	.off = offsetof(type, member),				\
	.size = sizeof(((type *)0)->member)

struct schema_map {
	const char *what;		/* "gates", "pipeline stage": messages */
	const struct field *fields;
	size_t nr;
};

#define SCHEMA_MAP(what_, fields_) \
	{ .what = (what_), .fields = (fields_), .nr = ARRAY_SIZE(fields_) }
#define SCHEMA_MAP_EMPTY(what_) { .what = (what_) }

/*
 * Hand each value of @map to its field in @m, in file order; then refuse
 * what is missing. A null value (`gates:` with nothing) reads as an empty
 * mapping.
 * @return 0 or -EINVAL with s->err filled.
 */
int schema__parse_map(struct schema *s, const struct ynode *map,
		      const struct schema_map *m, void *obj);

/*
 * Standard callbacks, each for a member of the type named (the size comes
 * from FIELD_AT()):
 *	schema__name	 char[], 1..size-1 of [A-Za-z0-9_.-]
 *	schema__string	 char[], any text shorter than size
 *	schema__u64	 uint64_t, plain decimal: no sign, no leading zero
 *	schema__ratio	 double, 0..1, digits, point and exponent only
 *	schema__duration uint64_t ms, 1ms..24h (see schema__parse_duration)
 *	schema__choice	 the index of the name in f->choices, into an
 *			 enum or bool member (names[0] = 0 / false)
 *	schema__map	 a nested mapping, f->map, at obj + f->off
 */
int schema__name(struct schema *s, const struct field *f,
		 const struct ynode *v, void *obj);
int schema__string(struct schema *s, const struct field *f,
		   const struct ynode *v, void *obj);
int schema__u64(struct schema *s, const struct field *f,
		const struct ynode *v, void *obj);
int schema__ratio(struct schema *s, const struct field *f,
		  const struct ynode *v, void *obj);
int schema__duration(struct schema *s, const struct field *f,
		     const struct ynode *v, void *obj);
int schema__choice(struct schema *s, const struct field *f,
		   const struct ynode *v, void *obj);
int schema__map(struct schema *s, const struct field *f,
		const struct ynode *v, void *obj);

/* Pieces for callbacks of their own; errors name f->key. */
int schema__get_str(struct schema *s, const struct field *f,
		    const struct ynode *v, const char **str);
int schema__get_u64(struct schema *s, const struct field *f,
		    const struct ynode *v, uint64_t *out);
/* @v is a sequence (or null: an empty one) */
int schema__want_seq(struct schema *s, const struct field *f,
		     const struct ynode *v);
/* @str is 1..@size-1 of [A-Za-z0-9_.-]; @what names it in the message */
int schema__check_name(struct schema *s, const struct ynode *v,
		       const char *what, const char *str, size_t size);
/* @return the index of @v's text in @names (NULL-terminated), or -EINVAL */
int schema__choice_index(struct schema *s, const struct field *f,
			 const struct ynode *v, const char *const *names);

/*
 * "10s" into milliseconds: a decimal integer and a unit (ms, s, m),
 * 1ms..24h.
 * @return 0, -EINVAL (not a duration) or -ERANGE (out of range).
 */
int schema__parse_duration(const char *str, uint64_t *ms);

__attribute__((format(printf, 3, 4)))
int schema__fail(struct schema *s, const struct ynode *at,
		 const char *fmt, ...);

#endif /* __TG_SCHEMA_H */
