// SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause)
/*
 * Rollout plans. A plan is hostile input until proven otherwise: libyaml's
 * event stream is turned into a small tree (every node keeps its line and
 * column), refusing anchors, aliases, tags, a second document and deep
 * nesting on the way; the tree is then checked against tables of known keys,
 * so every error can point at the exact spot in the file.
 */
#include <ctype.h>
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <math.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <sys/stat.h>
#include <yaml.h>

#include "plan.h"

#define DURATION_MAX_MS		(24ULL * 60 * 60 * 1000)
#define DEFAULT_INTERVAL_MS	1000
#define DEFAULT_ANALYZE_MS	10000
#define DEFAULT_EXEC_TIMEOUT_MS	10000
#define MAX_FIELDS		8	/* keys of the widest mapping (the plan) */
#define SHOW_MAX		48

/* Copy of user text that is safe to print: short, printable ASCII only. */
#define SHOW(s) show((s), (char[SHOW_MAX]){ 0 })

enum pnode_type {
	PN_SCALAR,
	PN_SEQ,
	PN_MAP,
};

/* One YAML node; a mapping's children alternate key, value, key, ... */
struct pnode {
	enum pnode_type type;
	bool quoted;		/* scalar written in quotes or as a block */
	int line, col;		/* 1-based */
	char *str;		/* scalar text, NUL-terminated, no inner NUL */
	int nr;			/* children */
	struct pnode *first, *last, *next;
};

struct builder {
	yaml_parser_t parser;
	const char *buf;
	size_t len;
	struct plan_error *err;
	struct pnode *root;
	struct pnode *stack[PLAN_MAX_DEPTH];
	int depth;
	int docs;
	bool done;
};

struct ctx {
	struct plan *plan;
	struct plan_error *err;
	const struct pnode *steps;	/* for checks that need interfaces */
};

enum field_type {
	F_NAME,		/* char[PLAN_MAX_NAME], [A-Za-z0-9_.-] */
	F_STRING,	/* char[size], any text */
	F_U64,		/* uint64_t, plain decimal */
	F_RATIO,	/* double, 0..1 */
	F_DURATION,	/* uint64_t ms */
	F_FUNC,		/* fn() does it */
};

struct field {
	const char *key;
	enum field_type type;
	bool required;
	size_t off;	/* into the object being filled */
	size_t size;	/* F_STRING buffer */
	int (*fn)(struct ctx *c, const struct field *f, const struct pnode *v,
		  void *obj);
};

static const char *const hook_names[] = {
	[PLAN_HOOK_XDP] = "xdp",
	[PLAN_HOOK_TC_INGRESS] = "tc-ingress",
	[PLAN_HOOK_TC_EGRESS] = "tc-egress",
};

static const char *const step_names[] = {
	[PLAN_STEP_CANARY] = "canary",
	[PLAN_STEP_ANALYZE] = "analyze",
	[PLAN_STEP_PROMOTE] = "promote",
	[PLAN_STEP_PAUSE] = "pause",
};

#define ARRAY_SIZE(a) (sizeof(a) / sizeof((a)[0]))

const char *plan__hook_name(enum plan_hook hook)
{
	if ((unsigned int)hook >= ARRAY_SIZE(hook_names))
		return "unknown";
	return hook_names[hook];
}

int plan__hook_from_name(const char *name, enum plan_hook *hook)
{
	unsigned int i;

	for (i = 0; name && i < ARRAY_SIZE(hook_names); i++) {
		if (!strcmp(name, hook_names[i])) {
			*hook = i;
			return 0;
		}
	}
	return -EINVAL;
}

const char *plan__step_name(enum plan_step_kind kind)
{
	if ((unsigned int)kind >= ARRAY_SIZE(step_names))
		return "unknown";
	return step_names[kind];
}

void plan__format_error(const struct plan_error *err, const char *file,
			char *buf, size_t len)
{
	if (err->line)
		snprintf(buf, len, "%s:%d:%d: %s", file, err->line, err->col,
			 err->msg);
	else
		snprintf(buf, len, "%s: %s", file, err->msg);
}

void plan__free(struct plan *plan)
{
	free(plan);
}

/* Errors */

static const char *show(const char *s, char *buf)
{
	size_t i;

	for (i = 0; s[i] && i < SHOW_MAX - 4; i++)
		buf[i] = s[i] >= 0x20 && s[i] < 0x7f ? s[i] : '?';
	if (s[i]) {
		memcpy(buf + i, "...", 3);
		i += 3;
	}
	buf[i] = '\0';
	return buf;
}

static int verr(struct plan_error *err, int line, int col, const char *fmt,
		va_list ap)
{
	err->line = line;
	err->col = col;
	vsnprintf(err->msg, sizeof(err->msg), fmt, ap);
	return -EINVAL;
}

__attribute__((format(printf, 4, 5)))
static int set_err(struct plan_error *err, int line, int col,
		   const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	verr(err, line, col, fmt, ap);
	va_end(ap);
	return -EINVAL;
}

/* An error at a libyaml mark (0-based) */
__attribute__((format(printf, 3, 4)))
static int mark_err(struct builder *b, yaml_mark_t m, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	verr(b->err, m.line + 1, m.column + 1, fmt, ap);
	va_end(ap);
	return -EINVAL;
}

/* An error at a node of the tree */
__attribute__((format(printf, 3, 4)))
static int fail(struct ctx *c, const struct pnode *at, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	verr(c->err, at->line, at->col, fmt, ap);
	va_end(ap);
	return -EINVAL;
}

/* Building the tree from libyaml events */

static void free_tree(struct pnode *n)
{
	struct pnode *next;

	for (; n; n = next) {
		next = n->next;
		free_tree(n->first);
		free(n->str);
		free(n);
	}
}

/* The tree owns @n from here on, whatever happens next. */
static void attach(struct builder *b, struct pnode *n)
{
	struct pnode *p = b->depth ? b->stack[b->depth - 1] : NULL;

	if (!p) {
		n->next = b->root;	/* only ever one root: one document */
		b->root = n;
		return;
	}
	if (p->last)
		p->last->next = n;
	else
		p->first = n;
	p->last = n;
	p->nr++;
}

static struct pnode *new_node(struct builder *b, enum pnode_type type,
			      const yaml_event_t *ev)
{
	struct pnode *n = calloc(1, sizeof(*n));

	if (!n)
		return NULL;
	n->type = type;
	n->line = ev->start_mark.line + 1;
	n->col = ev->start_mark.column + 1;
	return n;
}

/* Anchors and tags would let a plan mean something other than it reads. */
static int check_props(struct builder *b, const yaml_event_t *ev,
		       const yaml_char_t *anchor, const yaml_char_t *tag)
{
	if (anchor)
		return mark_err(b, ev->start_mark,
				"YAML anchors are not allowed (&%s); write the value out",
				SHOW((const char *)anchor));
	if (tag)
		return mark_err(b, ev->start_mark,
				"YAML tags are not allowed (%s)",
				SHOW((const char *)tag));
	return 0;
}

static int add_scalar(struct builder *b, const yaml_event_t *ev)
{
	const char *val = (const char *)ev->data.scalar.value;
	size_t len = ev->data.scalar.length;
	struct pnode *n;
	int err;

	err = check_props(b, ev, ev->data.scalar.anchor, ev->data.scalar.tag);
	if (err)
		return err;
	if (memchr(val, '\0', len))
		return mark_err(b, ev->start_mark, "NUL character in a string");
	n = new_node(b, PN_SCALAR, ev);
	if (!n)
		return -ENOMEM;
	attach(b, n);
	n->str = malloc(len + 1);
	if (!n->str)
		return -ENOMEM;
	memcpy(n->str, val, len);
	n->str[len] = '\0';
	n->quoted = ev->data.scalar.style != YAML_PLAIN_SCALAR_STYLE;
	return 0;
}

static int push(struct builder *b, const yaml_event_t *ev)
{
	bool map = ev->type == YAML_MAPPING_START_EVENT;
	struct pnode *n;
	int err;

	if (map)
		err = check_props(b, ev, ev->data.mapping_start.anchor,
				  ev->data.mapping_start.tag);
	else
		err = check_props(b, ev, ev->data.sequence_start.anchor,
				  ev->data.sequence_start.tag);
	if (err)
		return err;
	if (b->depth >= PLAN_MAX_DEPTH)
		return mark_err(b, ev->start_mark,
				"nesting deeper than %d levels", PLAN_MAX_DEPTH);
	n = new_node(b, map ? PN_MAP : PN_SEQ, ev);
	if (!n)
		return -ENOMEM;
	attach(b, n);
	b->stack[b->depth++] = n;
	return 0;
}

static int on_event(struct builder *b, const yaml_event_t *ev)
{
	switch (ev->type) {
	case YAML_DOCUMENT_START_EVENT:
		if (b->docs++)
			return mark_err(b, ev->start_mark,
					"a second YAML document; a plan is exactly one document");
		return 0;
	case YAML_ALIAS_EVENT:
		return mark_err(b, ev->start_mark,
				"YAML aliases are not allowed (*%s); write the value out",
				SHOW((const char *)ev->data.alias.anchor));
	case YAML_SCALAR_EVENT:
		return add_scalar(b, ev);
	case YAML_SEQUENCE_START_EVENT:
	case YAML_MAPPING_START_EVENT:
		return push(b, ev);
	case YAML_SEQUENCE_END_EVENT:
	case YAML_MAPPING_END_EVENT:
		b->depth--;
		return 0;
	case YAML_STREAM_END_EVENT:
		b->done = true;
		if (!b->docs)
			return mark_err(b, ev->start_mark, "empty document");
		return 0;
	default:
		return 0;
	}
}

/*
 * The reader reports a byte offset only; count lines, and characters as
 * the rest of libyaml does (UTF-8 continuation bytes are not columns).
 */
static int reader_error(struct builder *b)
{
	const yaml_parser_t *p = &b->parser;
	size_t i, end = p->problem_offset < b->len ? p->problem_offset : b->len;
	int line = 1, col = 1;

	for (i = 0; i < end; i++) {
		if (b->buf[i] == '\n') {
			line++;
			col = 1;
		} else if (((unsigned char)b->buf[i] & 0xc0) != 0x80) {
			col++;
		}
	}
	if (p->problem_value >= 0)
		return set_err(b->err, line, col, "invalid input: %s (0x%x)",
			       p->problem, p->problem_value);
	return set_err(b->err, line, col, "invalid input: %s", p->problem);
}

static int syntax_error(struct builder *b)
{
	const yaml_parser_t *p = &b->parser;
	const char *problem = p->problem ? p->problem : "unknown error";

	if (p->error == YAML_MEMORY_ERROR) {
		set_err(b->err, 0, 0, "out of memory");
		return -ENOMEM;
	}
	if (p->error == YAML_READER_ERROR)
		return reader_error(b);
	if (p->context)
		return mark_err(b, p->problem_mark,
				"YAML syntax error: %s (%s at line %zu, column %zu)",
				problem, p->context, p->context_mark.line + 1,
				p->context_mark.column + 1);
	return mark_err(b, p->problem_mark, "YAML syntax error: %s", problem);
}

/* @return 0 with b->root set (owned by the caller even on error), or -errno */
static int build_tree(struct builder *b)
{
	yaml_event_t ev;
	int err = 0;

	if (!yaml_parser_initialize(&b->parser)) {
		set_err(b->err, 0, 0, "out of memory");
		return -ENOMEM;
	}
	yaml_parser_set_input_string(&b->parser,
				     (const unsigned char *)b->buf, b->len);
	while (!err && !b->done) {
		if (!yaml_parser_parse(&b->parser, &ev)) {
			err = syntax_error(b);
			break;
		}
		err = on_event(b, &ev);
		yaml_event_delete(&ev);
	}
	yaml_parser_delete(&b->parser);
	if (err == -ENOMEM && !b->err->msg[0])
		set_err(b->err, 0, 0, "out of memory");
	return err;
}

/* Scalars */

static bool is_null(const struct pnode *n)
{
	static const char *const nulls[] = { "", "~", "null", "Null", "NULL" };
	unsigned int i;

	if (n->type != PN_SCALAR || n->quoted)
		return false;
	for (i = 0; i < ARRAY_SIZE(nulls); i++)
		if (!strcmp(n->str, nulls[i]))
			return true;
	return false;
}

static const char *type_name(const struct pnode *n)
{
	if (n->type == PN_MAP)
		return "a mapping";
	if (n->type == PN_SEQ)
		return "a sequence";
	if (is_null(n))
		return "nothing (null)";
	return n->quoted ? "a quoted string" : "a string";
}

static int get_str(struct ctx *c, const struct field *f, const struct pnode *v,
		   const char **s)
{
	if (v->type != PN_SCALAR || is_null(v))
		return fail(c, v, "%s: expected a string, got %s", f->key,
			    type_name(v));
	*s = v->str;
	return 0;
}

/* Numbers must be plain scalars: "100" in quotes is a string in YAML. */
static int get_number(struct ctx *c, const struct field *f,
		      const struct pnode *v, const char *what, const char **s)
{
	if (v->type != PN_SCALAR || v->quoted || is_null(v))
		return fail(c, v, "%s: expected %s, got %s", f->key, what,
			    type_name(v));
	*s = v->str;
	return 0;
}

static int check_name(struct ctx *c, const struct pnode *v, const char *what,
		      const char *s)
{
	size_t len = strlen(s), i;

	if (!len || len >= PLAN_MAX_NAME)
		return fail(c, v, "%s '%s' must be 1..%d characters long", what,
			    SHOW(s), PLAN_MAX_NAME - 1);
	for (i = 0; i < len; i++) {
		if (!isalnum((unsigned char)s[i]) && !strchr("_.-", s[i]))
			return fail(c, v, "%s '%s' has a character outside [A-Za-z0-9_.-]",
				    what, SHOW(s));
	}
	return 0;
}

/* Plain decimal: no sign, no leading zero (YAML 1.1 reads 010 as octal). */
static int parse_u64(const char *s, uint64_t *out)
{
	uint64_t v = 0;
	unsigned int d;

	if (!*s || (s[0] == '0' && s[1]))
		return -EINVAL;
	for (; *s; s++) {
		if (*s < '0' || *s > '9')
			return -EINVAL;
		d = *s - '0';
		if (v > (UINT64_MAX - d) / 10)
			return -ERANGE;
		v = v * 10 + d;
	}
	*out = v;
	return 0;
}

static int get_u64(struct ctx *c, const struct field *f, const struct pnode *v,
		   uint64_t *out)
{
	const char *s = NULL;
	int err;

	err = get_number(c, f, v, "an unsigned integer", &s);
	if (err)
		return err;
	err = parse_u64(s, out);
	if (err == -ERANGE)
		return fail(c, v, "%s: %s is too large (at most %" PRIu64 ")",
			    f->key, SHOW(s), UINT64_MAX);
	if (err)
		return fail(c, v, "%s: '%s' is not an unsigned decimal integer (no sign, no leading zero)",
			    f->key, SHOW(s));
	return 0;
}

static int get_ratio(struct ctx *c, const struct field *f,
		     const struct pnode *v, double *out)
{
	const char *s = NULL;
	char *end;
	double d;
	int err;

	err = get_number(c, f, v, "a number", &s);
	if (err)
		return err;
	/* No hex floats, nan or inf: digits, point, exponent only. */
	if (!*s || s[strspn(s, "0123456789.eE+-")])
		return fail(c, v, "%s: '%s' is not a number", f->key, SHOW(s));
	d = strtod(s, &end);
	if (*end)
		return fail(c, v, "%s: '%s' is not a number", f->key, SHOW(s));
	if (!isfinite(d) || d < 0 || d > 1)
		return fail(c, v, "%s: %s is out of range 0..1", f->key, SHOW(s));
	*out = d;
	return 0;
}

int plan__parse_duration(const char *s, uint64_t *ms)
{
	uint64_t v = 0, unit;
	bool big = false;
	const char *p;

	if (!s || *s < '0' || *s > '9')
		return -EINVAL;
	for (p = s; *p >= '0' && *p <= '9'; p++) {
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
	else
		return -EINVAL;
	if (big || !v || v > DURATION_MAX_MS / unit)
		return -ERANGE;
	*ms = v * unit;
	return 0;
}

static int get_duration(struct ctx *c, const struct field *f,
			const struct pnode *v, uint64_t *ms)
{
	const char *s = NULL;
	int err;

	err = get_str(c, f, v, &s);
	if (err)
		return err;
	err = plan__parse_duration(s, ms);
	if (err == -ERANGE)
		return fail(c, v, "%s: %s is out of range 1ms..24h", f->key,
			    SHOW(s));
	if (err && *s && !s[strspn(s, "0123456789")])
		return fail(c, v, "%s: '%s' needs a unit: ms, s or m", f->key,
			    SHOW(s));
	if (err)
		return fail(c, v, "%s: '%s' is not a duration (a whole number and ms, s or m: 250ms, 10s, 2m)",
			    f->key, SHOW(s));
	return 0;
}

/* Mappings against tables of known keys */

static int parse_field(struct ctx *c, const struct field *f,
		       const struct pnode *v, void *obj)
{
	char *p = (char *)obj + f->off;
	const char *s = NULL;
	int err;

	switch (f->type) {
	case F_NAME:
	case F_STRING:
		err = get_str(c, f, v, &s);
		if (err)
			return err;
		if (f->type == F_NAME)
			err = check_name(c, v, f->key, s);
		else if (strlen(s) >= f->size)
			err = fail(c, v, "%s: longer than %zu characters",
				   f->key, f->size - 1);
		if (!err)
			strcpy(p, s);
		return err;
	case F_U64:
		return get_u64(c, f, v, (uint64_t *)p);
	case F_RATIO:
		return get_ratio(c, f, v, (double *)p);
	case F_DURATION:
		return get_duration(c, f, v, (uint64_t *)p);
	case F_FUNC:
		return f->fn(c, f, v, obj);
	}
	return -EINVAL;
}

static int unknown_key(struct ctx *c, const struct pnode *k, const char *what,
		       const struct field *f, int nr)
{
	char expected[256] = "none";
	size_t off = 0;
	int i;

	for (i = 0; i < nr && off < sizeof(expected); i++)
		off += snprintf(expected + off, sizeof(expected) - off, "%s%s",
				i ? ", " : "", f[i].key);
	return fail(c, k, "unknown key '%s' in %s (expected %s)", SHOW(k->str),
		    what, expected);
}

static int find_key(struct ctx *c, const struct pnode *k, const char *what,
		    const struct field *f, int nr)
{
	int i;

	if (k->type != PN_SCALAR)
		return fail(c, k, "%s: a key must be a string, got %s", what,
			    type_name(k));
	for (i = 0; i < nr; i++)
		if (!strcmp(k->str, f[i].key))
			return i;
	return unknown_key(c, k, what, f, nr);
}

/*
 * Fill @obj from @map by the table @f; @vals[i] gets the value node of
 * f[i] (NULL when absent) for checks across keys. A null value (`gates:`)
 * reads as an empty mapping.
 */
static int parse_map(struct ctx *c, const struct pnode *map, const char *what,
		     const struct field *f, int nr, void *obj,
		     const struct pnode **vals)
{
	const struct pnode *keys[MAX_FIELDS] = {}, *k, *v;
	int i, err;

	if (map->type != PN_MAP && !is_null(map))
		return fail(c, map, "%s: expected a mapping, got %s", what,
			    type_name(map));
	for (i = 0; i < nr; i++)
		vals[i] = NULL;
	for (k = map->first; k && (v = k->next); k = v->next) {
		i = find_key(c, k, what, f, nr);
		if (i < 0)
			return i;
		if (keys[i])
			return fail(c, k, "duplicate key '%s' in %s (first at line %d)",
				    f[i].key, what, keys[i]->line);
		keys[i] = k;
		vals[i] = v;
		err = parse_field(c, &f[i], v, obj);
		if (err)
			return err;
	}
	for (i = 0; i < nr; i++)
		if (f[i].required && !keys[i])
			return fail(c, map, "missing required key '%s' in %s",
				    f[i].key, what);
	return 0;
}

/* A sequence; a null value (`fleet:`) reads as an empty one. */
static int want_seq(struct ctx *c, const struct field *f,
		    const struct pnode *v)
{
	if (v->type != PN_SEQ && !is_null(v))
		return fail(c, v, "%s: expected a sequence, got %s", f->key,
			    type_name(v));
	return 0;
}

static int parse_choice(struct ctx *c, const struct field *f,
			const struct pnode *v, const char *const *names, int nr,
			const char *expected)
{
	const char *s = NULL;
	int i, err;

	err = get_str(c, f, v, &s);
	if (err)
		return err;
	for (i = 0; i < nr; i++)
		if (!strcmp(s, names[i]))
			return i;
	return fail(c, v, "%s: unknown value '%s' (expected %s)", f->key,
		    SHOW(s), expected);
}

/* Interfaces */

/* Like the kernel's dev_valid_name(), with glob characters allowed. */
static int check_ifname(struct ctx *c, const struct pnode *v, const char *s)
{
	size_t len = strlen(s), i;

	if (!len || len >= IF_NAMESIZE)
		return fail(c, v, "interface name '%s' must be 1..%d characters long",
			    SHOW(s), IF_NAMESIZE - 1);
	if (!strcmp(s, ".") || !strcmp(s, ".."))
		return fail(c, v, "'%s' is not an interface name", s);
	for (i = 0; i < len; i++) {
		if (s[i] == '/' || s[i] == ':' || isspace((unsigned char)s[i]) ||
		    (unsigned char)s[i] < 0x20 || s[i] == 0x7f)
			return fail(c, v, "interface name '%s' has a '/', ':', space or control character",
				    SHOW(s));
	}
	return 0;
}

static int check_iface_dup(struct ctx *c, const struct pnode *v)
{
	const struct plan *p = c->plan;
	int i;

	for (i = 0; i < p->nr_canary; i++)
		if (!strcmp(p->canary[i], v->str))
			return fail(c, v, "interface '%s' is listed twice (already in canary)",
				    v->str);
	for (i = 0; i < p->nr_fleet; i++)
		if (!strcmp(p->fleet[i], v->str))
			return fail(c, v, "interface '%s' is listed twice (already in fleet)",
				    v->str);
	return 0;
}

static int parse_iface_list(struct ctx *c, const struct field *f,
			    const struct pnode *v, char (*names)[IF_NAMESIZE],
			    int *nr)
{
	const struct pnode *n;
	const char *s = NULL;
	int err;

	err = want_seq(c, f, v);
	for (n = v->first; !err && n; n = n->next) {
		err = get_str(c, f, n, &s) ?: check_ifname(c, n, s) ?:
		      check_iface_dup(c, n);
		if (err)
			break;
		if (c->plan->nr_canary + c->plan->nr_fleet >= PLAN_MAX_IFACES)
			return fail(c, n, "more than %d interfaces in canary and fleet",
				    PLAN_MAX_IFACES);
		strcpy(names[(*nr)++], s);
	}
	return err;
}

static int parse_canary(struct ctx *c, const struct field *f,
			const struct pnode *v, void *obj)
{
	return parse_iface_list(c, f, v, c->plan->canary, &c->plan->nr_canary);
}

static int parse_fleet(struct ctx *c, const struct field *f,
		       const struct pnode *v, void *obj)
{
	return parse_iface_list(c, f, v, c->plan->fleet, &c->plan->nr_fleet);
}

static const struct field iface_fields[] = {
	{ .key = "canary", .type = F_FUNC, .fn = parse_canary },
	{ .key = "fleet", .type = F_FUNC, .fn = parse_fleet },
};

static int parse_interfaces(struct ctx *c, const struct field *f,
			    const struct pnode *v, void *obj)
{
	const struct pnode *vals[ARRAY_SIZE(iface_fields)];
	int err;

	err = parse_map(c, v, "interfaces", iface_fields,
			ARRAY_SIZE(iface_fields), c->plan, vals);
	if (err)
		return err;
	if (!c->plan->nr_canary && !c->plan->nr_fleet)
		return fail(c, v, "no interfaces: list at least one in canary or fleet");
	return 0;
}

/* Pipeline */

static int parse_object(struct ctx *c, const struct field *f,
			const struct pnode *v, void *obj)
{
	struct plan_stage *st = obj;
	const char *s = NULL, *dir = c->plan->dir;
	int n, err;

	err = get_str(c, f, v, &s);
	if (err)
		return err;
	if (!*s)
		return fail(c, v, "object: empty path");
	if (s[0] == '/')
		n = snprintf(st->object, sizeof(st->object), "%s", s);
	else
		n = snprintf(st->object, sizeof(st->object), "%s%s%s", dir,
			     dir[0] && dir[strlen(dir) - 1] == '/' ? "" : "/",
			     s);
	if (n < 0 || (size_t)n >= sizeof(st->object))
		return fail(c, v, "object: path longer than %d bytes once resolved",
			    PLAN_MAX_PATH - 1);
	return 0;
}

static int hex_digit(char ch)
{
	if (ch >= '0' && ch <= '9')
		return ch - '0';
	ch = tolower((unsigned char)ch);
	if (ch >= 'a' && ch <= 'f')
		return ch - 'a' + 10;
	return -1;
}

static int parse_sha256(struct ctx *c, const struct field *f,
			const struct pnode *v, void *obj)
{
	struct plan_stage *st = obj;
	const char *s = NULL;
	int i, hi, lo, err;

	err = get_str(c, f, v, &s);
	if (err)
		return err;
	if (strlen(s) != 2 * sizeof(st->sha256))
		return fail(c, v, "sha256: expected %zu hex digits, got %zu characters",
			    2 * sizeof(st->sha256), strlen(s));
	for (i = 0; i < (int)sizeof(st->sha256); i++) {
		hi = hex_digit(s[2 * i]);
		lo = hex_digit(s[2 * i + 1]);
		if (hi < 0 || lo < 0)
			return fail(c, v, "sha256: character %d is not a hex digit",
				    2 * i + (hi < 0 ? 1 : 2));
		st->sha256[i] = hi << 4 | lo;
	}
	st->has_sha256 = true;
	return 0;
}

static int parse_keep_maps(struct ctx *c, const struct field *f,
			   const struct pnode *v, void *obj)
{
	struct plan_stage *st = obj;
	const struct pnode *n;
	const char *s = NULL;
	int i, err;

	err = want_seq(c, f, v);
	for (n = v->first; !err && n; n = n->next) {
		err = get_str(c, f, n, &s) ?: check_name(c, n, "map name", s);
		if (err)
			break;
		if (st->nr_keep_maps >= PLAN_MAX_KEEP_MAPS)
			return fail(c, n, "keep_maps: more than %d maps",
				    PLAN_MAX_KEEP_MAPS);
		for (i = 0; i < st->nr_keep_maps; i++)
			if (!strcmp(st->keep_maps[i], s))
				return fail(c, n, "keep_maps: '%s' is listed twice", s);
		strcpy(st->keep_maps[st->nr_keep_maps++], s);
	}
	return err;
}

static const struct field stage_fields[] = {
	{ .key = "name", .type = F_NAME, .required = true,
	  .off = offsetof(struct plan_stage, name) },
	{ .key = "object", .type = F_FUNC, .required = true, .fn = parse_object },
	{ .key = "program", .type = F_NAME, .required = true,
	  .off = offsetof(struct plan_stage, program) },
	{ .key = "sha256", .type = F_FUNC, .fn = parse_sha256 },
	{ .key = "keep_maps", .type = F_FUNC, .fn = parse_keep_maps },
};

static int parse_stage(struct ctx *c, const struct pnode *v,
		       struct plan_stage *st)
{
	const struct pnode *vals[ARRAY_SIZE(stage_fields)];
	int i, err;

	err = parse_map(c, v, "pipeline stage", stage_fields,
			ARRAY_SIZE(stage_fields), st, vals);
	if (err)
		return err;
	st->line = v->line;
	for (i = 0; &c->plan->stages[i] != st; i++)
		if (!strcmp(c->plan->stages[i].name, st->name))
			return fail(c, vals[0], "stage name '%s' is used twice (first at line %d)",
				    st->name, c->plan->stages[i].line);
	return 0;
}

static int parse_pipeline(struct ctx *c, const struct field *f,
			  const struct pnode *v, void *obj)
{
	struct plan *p = c->plan;
	const struct pnode *n;
	int err;

	err = want_seq(c, f, v);
	for (n = v->first; !err && n; n = n->next) {
		if (p->nr_stages >= TG_MAX_STAGES)
			return fail(c, n, "pipeline: more than %d stages",
				    TG_MAX_STAGES);
		err = parse_stage(c, n, &p->stages[p->nr_stages++]);
	}
	if (!err && !p->nr_stages)
		return fail(c, v, "pipeline: at least one stage is needed");
	return err;
}

/* Steps */

static int parse_batch(struct ctx *c, const struct field *f,
		       const struct pnode *v, void *obj)
{
	struct plan_step *s = obj;
	uint64_t batch;
	int err;

	err = get_u64(c, f, v, &batch);
	if (err)
		return err;
	if (batch < 1 || batch > PLAN_MAX_IFACES)
		return fail(c, v, "batch: %" PRIu64 " is out of range 1..%d",
			    batch, PLAN_MAX_IFACES);
	s->batch = batch;
	return 0;
}

static const struct field analyze_fields[] = {
	{ .key = "duration", .type = F_DURATION, .required = true,
	  .off = offsetof(struct plan_step, duration_ms) },
	{ .key = "interval", .type = F_DURATION,
	  .off = offsetof(struct plan_step, interval_ms) },
};

static const struct field promote_fields[] = {
	{ .key = "batch", .type = F_FUNC, .fn = parse_batch },
	{ .key = "analyze", .type = F_DURATION,
	  .off = offsetof(struct plan_step, analyze_ms) },
};

static const struct {
	const char *what;
	const struct field *fields;
	int nr;
} step_kinds[] = {
	[PLAN_STEP_CANARY] = { "canary step", NULL, 0 },
	[PLAN_STEP_ANALYZE] = { "analyze step", analyze_fields,
				ARRAY_SIZE(analyze_fields) },
	[PLAN_STEP_PROMOTE] = { "promote step", promote_fields,
				ARRAY_SIZE(promote_fields) },
	[PLAN_STEP_PAUSE] = { "pause step", NULL, 0 },
};

/* The options of one step; defaults first, then what the plan says. */
static int parse_step_opts(struct ctx *c, const struct pnode *v,
			   struct plan_step *s)
{
	const struct pnode *vals[2] = {};
	int err;

	s->batch = 1;
	err = parse_map(c, v, step_kinds[s->kind].what,
			step_kinds[s->kind].fields, step_kinds[s->kind].nr, s,
			vals);
	if (err || s->kind != PLAN_STEP_ANALYZE)
		return err;
	if (!vals[1]) {
		/* The default never exceeds a short duration. */
		s->interval_ms = s->duration_ms < DEFAULT_INTERVAL_MS ?
				 s->duration_ms : DEFAULT_INTERVAL_MS;
	} else if (s->interval_ms > s->duration_ms) {
		return fail(c, vals[1], "interval: %s is longer than the duration %s",
			    SHOW(vals[1]->str), SHOW(vals[0]->str));
	}
	return 0;
}

static int parse_step(struct ctx *c, const struct pnode *v,
		      struct plan_step *s)
{
	const struct pnode *k = v->first;
	unsigned int i;

	if (v->type != PN_MAP)
		return fail(c, v, "steps: expected a mapping such as 'canary: {}', got %s",
			    type_name(v));
	if (!k)
		return fail(c, v, "steps: empty step (expected canary, analyze, promote or pause)");
	if (k->next->next)
		return fail(c, k->next->next, "steps: one kind per step; put '%s' in a list item of its own",
			    SHOW(k->next->next->type == PN_SCALAR ?
				 k->next->next->str : "?"));
	s->line = v->line;
	for (i = 0; k->type == PN_SCALAR && i < ARRAY_SIZE(step_names); i++) {
		if (!strcmp(k->str, step_names[i])) {
			s->kind = i;
			return parse_step_opts(c, k->next, s);
		}
	}
	return fail(c, k, "unknown step '%s' (expected canary, analyze, promote or pause)",
		    k->type == PN_SCALAR ? SHOW(k->str) : type_name(k));
}

static int parse_steps(struct ctx *c, const struct field *f,
		       const struct pnode *v, void *obj)
{
	struct plan *p = c->plan;
	const struct pnode *n;
	int err;

	err = want_seq(c, f, v);
	for (n = v->first; !err && n; n = n->next) {
		if (p->nr_steps >= PLAN_MAX_STEPS)
			return fail(c, n, "steps: more than %d steps",
				    PLAN_MAX_STEPS);
		err = parse_step(c, n, &p->steps[p->nr_steps++]);
	}
	if (!err && !p->nr_steps)
		return fail(c, v, "steps: empty; leave steps out for the default");
	c->steps = v;
	return err;
}

/*
 * Steps that cannot work with these interfaces. An analyze step before any
 * flip would judge nothing and always end inconclusive, i.e. fail.
 */
static int check_steps(struct ctx *c)
{
	const struct plan *p = c->plan;
	const struct pnode *n = c->steps->first;
	bool flipped = false;
	int i;

	for (i = 0; i < p->nr_steps; i++, n = n->next) {
		switch (p->steps[i].kind) {
		case PLAN_STEP_CANARY:
			if (!p->nr_canary)
				return fail(c, n, "canary step, but interfaces has no canary");
			flipped = true;
			break;
		case PLAN_STEP_PROMOTE:
			flipped = true;
			break;
		case PLAN_STEP_ANALYZE:
			if (!flipped)
				return fail(c, n, "analyze step before any canary or promote step: nothing to judge");
			break;
		case PLAN_STEP_PAUSE:
			break;
		}
	}
	return 0;
}

/*
 * Without steps: flip the canaries, judge them 10s (so the gates always
 * have a say), then the rest in one wave. Without canaries: flip the whole
 * fleet in one wave and judge it 10s, so a bad version still rolls back.
 */
static void default_steps(struct plan *p)
{
	const struct plan_step canary = { .kind = PLAN_STEP_CANARY };
	const struct plan_step analyze = {
		.kind = PLAN_STEP_ANALYZE,
		.duration_ms = DEFAULT_ANALYZE_MS,
		.interval_ms = DEFAULT_INTERVAL_MS,
	};
	struct plan_step promote = {
		.kind = PLAN_STEP_PROMOTE,
		.batch = PLAN_MAX_IFACES,
	};

	p->nr_steps = 0;
	if (p->nr_canary) {
		p->steps[p->nr_steps++] = canary;
		p->steps[p->nr_steps++] = analyze;
	} else {
		promote.analyze_ms = DEFAULT_ANALYZE_MS;
	}
	p->steps[p->nr_steps++] = promote;
}

/* Gates and the rest of the plan */

static int add_exec_arg(struct ctx *c, const struct pnode *at, const char *s,
			size_t len)
{
	struct plan_gates *g = &c->plan->gates;

	if (g->nr_exec >= PLAN_MAX_EXEC_ARGS)
		return fail(c, at, "exec: more than %d arguments",
			    PLAN_MAX_EXEC_ARGS);
	if (!len)
		return fail(c, at, "exec: argument %d is empty", g->nr_exec + 1);
	if (len >= PLAN_MAX_EXEC_ARG)
		return fail(c, at, "exec: argument %d is longer than %d bytes",
			    g->nr_exec + 1, PLAN_MAX_EXEC_ARG - 1);
	memcpy(g->exec[g->nr_exec], s, len);
	g->exec[g->nr_exec++][len] = '\0';
	return 0;
}

/*
 * exec is an argv, never a shell command: a string is split at ASCII
 * white space and nothing else (no quotes, variables or globs), a
 * sequence gives one argument per entry. "{ifname}" stays as written; the
 * engine replaces it in each argument. '' (no words) is no check.
 */
static int parse_exec(struct ctx *c, const struct field *f,
		      const struct pnode *v, void *obj)
{
	static const char space[] = " \t\n\v\f\r";
	const struct pnode *n;
	const char *s = NULL;
	size_t len;
	int err;

	c->plan->gates.nr_exec = 0;
	if (v->type == PN_SEQ) {
		if (!v->first)
			return fail(c, v, "exec: an empty list runs nothing; leave exec out for no check");
		for (n = v->first; n; n = n->next) {
			err = get_str(c, f, n, &s) ?:
			      add_exec_arg(c, n, s, strlen(s));
			if (err)
				return err;
		}
		return 0;
	}
	err = get_str(c, f, v, &s);
	if (err)
		return err;
	for (s += strspn(s, space); !err && *s; s += strspn(s, space)) {
		len = strcspn(s, space);
		err = add_exec_arg(c, v, s, len);
		s += len;
	}
	return err;
}

static const struct field gate_fields[] = {
	{ .key = "min_packets", .type = F_U64,
	  .off = offsetof(struct plan_gates, min_packets) },
	{ .key = "max_drop_ratio", .type = F_RATIO,
	  .off = offsetof(struct plan_gates, max_drop_ratio) },
	{ .key = "max_drop_ratio_delta", .type = F_RATIO,
	  .off = offsetof(struct plan_gates, max_drop_ratio_delta) },
	{ .key = "max_aborted", .type = F_U64,
	  .off = offsetof(struct plan_gates, max_aborted) },
	{ .key = "max_tail_misses", .type = F_U64,
	  .off = offsetof(struct plan_gates, max_tail_misses) },
	{ .key = "exec", .type = F_FUNC, .fn = parse_exec },
	{ .key = "exec_timeout", .type = F_DURATION,
	  .off = offsetof(struct plan_gates, exec_timeout_ms) },
};

static int parse_gates(struct ctx *c, const struct field *f,
		       const struct pnode *v, void *obj)
{
	const struct pnode *vals[ARRAY_SIZE(gate_fields)];

	return parse_map(c, v, "gates", gate_fields, ARRAY_SIZE(gate_fields),
			 &c->plan->gates, vals);
}

static int parse_hook(struct ctx *c, const struct field *f,
		      const struct pnode *v, void *obj)
{
	int i = parse_choice(c, f, v, hook_names, ARRAY_SIZE(hook_names),
			     "xdp, tc-ingress or tc-egress");

	if (i >= 0)
		c->plan->hook = i;
	return i < 0 ? i : 0;
}

static int parse_on_failure(struct ctx *c, const struct field *f,
			    const struct pnode *v, void *obj)
{
	static const char *const names[] = {
		[PLAN_ON_FAILURE_ROLLBACK] = "rollback",
		[PLAN_ON_FAILURE_PAUSE] = "pause",
	};
	int i = parse_choice(c, f, v, names, ARRAY_SIZE(names),
			     "rollback or pause");

	if (i >= 0)
		c->plan->on_failure = i;
	return i < 0 ? i : 0;
}

static int parse_on_tail_miss(struct ctx *c, const struct field *f,
			      const struct pnode *v, void *obj)
{
	static const char *const names[] = { "pass", "drop" };
	int i = parse_choice(c, f, v, names, ARRAY_SIZE(names),
			     "pass or drop");

	if (i >= 0)
		c->plan->fail_closed = i == 1;
	return i < 0 ? i : 0;
}

static const struct field plan_fields[] = {
	{ .key = "name", .type = F_NAME, .required = true,
	  .off = offsetof(struct plan, name) },
	{ .key = "hook", .type = F_FUNC, .required = true, .fn = parse_hook },
	{ .key = "interfaces", .type = F_FUNC, .required = true,
	  .fn = parse_interfaces },
	{ .key = "pipeline", .type = F_FUNC, .required = true,
	  .fn = parse_pipeline },
	{ .key = "steps", .type = F_FUNC, .fn = parse_steps },
	{ .key = "gates", .type = F_FUNC, .fn = parse_gates },
	{ .key = "on_failure", .type = F_FUNC, .fn = parse_on_failure },
	{ .key = "on_tail_miss", .type = F_FUNC, .fn = parse_on_tail_miss },
};

_Static_assert(ARRAY_SIZE(plan_fields) <= MAX_FIELDS, "raise MAX_FIELDS");
_Static_assert(ARRAY_SIZE(gate_fields) <= MAX_FIELDS, "raise MAX_FIELDS");

static int parse_root(struct ctx *c, const struct pnode *root)
{
	const struct pnode *vals[ARRAY_SIZE(plan_fields)];
	struct plan_gates *g = &c->plan->gates;
	int err;

	if (!root)
		return set_err(c->err, 1, 1, "empty document");
	if (is_null(root))
		return fail(c, root, "empty document");
	g->min_packets = 100;
	g->max_drop_ratio = 0.01;
	g->max_drop_ratio_delta = 0.005;
	g->exec_timeout_ms = DEFAULT_EXEC_TIMEOUT_MS;
	c->plan->on_failure = PLAN_ON_FAILURE_ROLLBACK;
	err = parse_map(c, root, "plan", plan_fields, ARRAY_SIZE(plan_fields),
			c->plan, vals);
	if (err)
		return err;
	if (!c->steps)
		default_steps(c->plan);
	return c->steps ? check_steps(c) : 0;
}

/* Entry points */

static struct plan *plan_new(const char *name, const char *dir,
			     struct plan_error *err)
{
	struct plan *plan;

	if (strlen(dir) >= PLAN_MAX_PATH) {
		set_err(err, 0, 0, "directory name longer than %d bytes",
			PLAN_MAX_PATH - 1);
		errno = ENAMETOOLONG;
		return NULL;
	}
	plan = calloc(1, sizeof(*plan));
	if (!plan) {
		set_err(err, 0, 0, "out of memory");
		errno = ENOMEM;
		return NULL;
	}
	snprintf(plan->path, sizeof(plan->path), "%s", name);
	strcpy(plan->dir, dir);
	return plan;
}

struct plan *plan__parse_buf(const char *buf, size_t len, const char *name,
			     const char *dir, struct plan_error *err)
{
	struct plan_error local;
	struct builder b = {};
	struct ctx c = {};
	int ret;

	err = err ?: &local;
	memset(err, 0, sizeof(*err));
	c.err = b.err = err;
	if (len > PLAN_MAX_FILE_SIZE) {
		set_err(err, 0, 0, "plan is %zu bytes, more than the limit of %d",
			len, PLAN_MAX_FILE_SIZE);
		errno = EFBIG;
		return NULL;
	}
	c.plan = plan_new(name ?: "<buffer>", dir ?: ".", err);
	if (!c.plan)
		return NULL;
	b.buf = buf ?: "";
	b.len = buf ? len : 0;
	ret = build_tree(&b) ?: parse_root(&c, b.root);
	free_tree(b.root);
	if (ret) {
		plan__free(c.plan);
		errno = -ret;
		return NULL;
	}
	return c.plan;
}

static int read_error(struct plan_error *err, const char *path, int errnum)
{
	set_err(err, 0, 0, "cannot read plan %s: %s%s", path, strerror(errnum),
		errnum == ELOOP ? " (a symlink: give the file it points to)" : "");
	return -errnum;
}

static int check_stat(int fd, const char *path, struct plan_error *err)
{
	struct stat st;

	if (fstat(fd, &st))
		return read_error(err, path, errno);
	if (S_ISDIR(st.st_mode))
		return read_error(err, path, EISDIR);
	if (!S_ISREG(st.st_mode)) {
		set_err(err, 0, 0, "cannot read plan %s: not a regular file", path);
		return -EINVAL;
	}
	if (st.st_size > PLAN_MAX_FILE_SIZE) {
		set_err(err, 0, 0, "plan %s is %jd bytes, more than the limit of %d",
			path, (intmax_t)st.st_size, PLAN_MAX_FILE_SIZE);
		return -EFBIG;
	}
	return 0;
}

/* Read all of @fd, refusing more than the limit even if the file grows. */
static int read_all(int fd, const char *path, char *buf, size_t *len,
		    struct plan_error *err)
{
	ssize_t n;

	*len = 0;
	do {
		n = read(fd, buf + *len, PLAN_MAX_FILE_SIZE + 1 - *len);
		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0)
			return read_error(err, path, errno);
		*len += n;
	} while (n > 0 && *len <= PLAN_MAX_FILE_SIZE);
	if (*len > PLAN_MAX_FILE_SIZE) {
		set_err(err, 0, 0, "plan %s is more than the limit of %d bytes",
			path, PLAN_MAX_FILE_SIZE);
		return -EFBIG;
	}
	return 0;
}

/*
 * No symlink at the last component (a plan decides what runs in the
 * kernel); O_NONBLOCK so a FIFO cannot hang us before fstat() refuses it.
 */
static int read_plan(const char *path, char **buf, size_t *len,
		     struct plan_error *err)
{
	int fd, ret;

	fd = open(path, O_RDONLY | O_CLOEXEC | O_NOFOLLOW | O_NONBLOCK);
	if (fd < 0)
		return read_error(err, path, errno);
	ret = check_stat(fd, path, err);
	if (ret)
		goto out_close;
	*buf = malloc(PLAN_MAX_FILE_SIZE + 1);
	if (!*buf) {
		ret = read_error(err, path, ENOMEM);
		goto out_close;
	}
	ret = read_all(fd, path, *buf, len, err);
	if (ret) {
		free(*buf);
		*buf = NULL;
	}
out_close:
	close(fd);
	return ret;
}

static void dir_of(const char *path, char *dir)
{
	const char *slash = strrchr(path, '/');

	if (!slash)
		strcpy(dir, ".");
	else if (slash == path)
		strcpy(dir, "/");
	else
		snprintf(dir, PLAN_MAX_PATH, "%.*s", (int)(slash - path), path);
}

struct plan *plan__parse_file(const char *path, struct plan_error *err)
{
	struct plan_error local;
	char dir[PLAN_MAX_PATH];
	struct plan *plan;
	char *buf = NULL;
	size_t len = 0;
	int ret;

	err = err ?: &local;
	memset(err, 0, sizeof(*err));
	if (!path || strlen(path) >= PLAN_MAX_PATH) {
		set_err(err, 0, 0, "plan path missing or longer than %d bytes",
			PLAN_MAX_PATH - 1);
		errno = ENAMETOOLONG;
		return NULL;
	}
	ret = read_plan(path, &buf, &len, err);
	if (ret) {
		errno = -ret;
		return NULL;
	}
	dir_of(path, dir);
	plan = plan__parse_buf(buf, len, path, dir, err);
	ret = errno;
	free(buf);
	errno = ret;
	return plan;
}
