// SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause)
/*
 * libyaml's event stream into a tree of ynodes. The input is hostile until
 * proven otherwise: every node keeps its position so that whoever checks
 * the tree can point at the exact spot, and the YAML features a
 * configuration file has no business using are refused here, once.
 */
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <yaml.h>

#include "ynode.h"

#define ARRAY_SIZE(a) (sizeof(a) / sizeof((a)[0]))

struct builder {
	yaml_parser_t parser;
	const char *buf;
	size_t len;
	struct ynode_error *err;
	struct ynode *root;
	struct ynode *stack[YNODE_MAX_DEPTH];
	int depth;
	int docs;
	bool done;
};

/* Errors */

const char *ynode__show(const char *s, char *buf)
{
	size_t i;

	for (i = 0; i < YNODE_SHOW_MAX - 4 && s[i]; i++)
		buf[i] = s[i] >= 0x20 && s[i] < 0x7f ? s[i] : '?';
	if (s[i]) {
		memcpy(buf + i, "...", 3);
		i += 3;
	}
	buf[i] = '\0';
	return buf;
}

int ynode__verror(struct ynode_error *err, int line, int col,
		  const char *fmt, va_list ap)
{
	err->line = line;
	err->col = col;
	vsnprintf(err->msg, sizeof(err->msg), fmt, ap);
	return -EINVAL;
}

int ynode__error(struct ynode_error *err, int line, int col,
		 const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	ynode__verror(err, line, col, fmt, ap);
	va_end(ap);
	return -EINVAL;
}

int ynode__fail(struct ynode_error *err, const struct ynode *at,
		const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	ynode__verror(err, at->line, at->col, fmt, ap);
	va_end(ap);
	return -EINVAL;
}

/* An error at a libyaml mark (0-based) */
__attribute__((format(printf, 3, 4)))
static int mark_err(struct builder *b, yaml_mark_t m, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	ynode__verror(b->err, m.line + 1, m.column + 1, fmt, ap);
	va_end(ap);
	return -EINVAL;
}

/* The tree */

void ynode__free(struct ynode *n)
{
	struct ynode *next;

	for (; n; n = next) {
		next = n->next;
		ynode__free(n->first);
		free(n->str);
		free(n);
	}
}

bool ynode__is_null(const struct ynode *n)
{
	static const char *const nulls[] = { "", "~", "null", "Null", "NULL" };
	unsigned int i;

	if (n->type != YNODE_SCALAR || n->quoted)
		return false;
	for (i = 0; i < ARRAY_SIZE(nulls); i++)
		if (!strcmp(n->str, nulls[i]))
			return true;
	return false;
}

const char *ynode__type_name(const struct ynode *n)
{
	if (n->type == YNODE_MAP)
		return "a mapping";
	if (n->type == YNODE_SEQ)
		return "a sequence";
	if (ynode__is_null(n))
		return "nothing (null)";
	return n->quoted ? "a quoted string" : "a string";
}

const struct ynode *ynode__key(const struct ynode *map, const char *key)
{
	const struct ynode *k, *v;

	if (map->type != YNODE_MAP)
		return NULL;
	ynode_for_each_pair(k, v, map)
		if (k->type == YNODE_SCALAR && !strcmp(k->str, key))
			return k;
	return NULL;
}

const struct ynode *ynode__get(const struct ynode *map, const char *key)
{
	const struct ynode *k = ynode__key(map, key);

	return k ? k->next : NULL;
}

/* Building the tree from libyaml events */

/* The tree owns @n from here on, whatever happens next. */
static void attach(struct builder *b, struct ynode *n)
{
	struct ynode *p = b->depth ? b->stack[b->depth - 1] : NULL;

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

static struct ynode *new_node(enum ynode_type type, const yaml_event_t *ev)
{
	struct ynode *n = calloc(1, sizeof(*n));

	if (!n)
		return NULL;
	n->type = type;
	n->line = ev->start_mark.line + 1;
	n->col = ev->start_mark.column + 1;
	return n;
}

/* Anchors and tags would let a file mean something other than it reads. */
static int check_props(struct builder *b, const yaml_event_t *ev,
		       const yaml_char_t *anchor, const yaml_char_t *tag)
{
	if (anchor)
		return mark_err(b, ev->start_mark,
				"YAML anchors are not allowed (&%s); write the value out",
				YSHOW((const char *)anchor));
	if (tag)
		return mark_err(b, ev->start_mark,
				"YAML tags are not allowed (%s)",
				YSHOW((const char *)tag));
	return 0;
}

static int add_scalar(struct builder *b, const yaml_event_t *ev)
{
	const char *val = (const char *)ev->data.scalar.value;
	size_t len = ev->data.scalar.length;
	struct ynode *n;
	int err;

	err = check_props(b, ev, ev->data.scalar.anchor, ev->data.scalar.tag);
	if (err)
		return err;
	/* "a\0b" in quotes: C strings would silently cut it. */
	if (memchr(val, '\0', len))
		return mark_err(b, ev->start_mark, "NUL character in a string");
	n = new_node(YNODE_SCALAR, ev);
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
	struct ynode *n;
	int err;

	if (map)
		err = check_props(b, ev, ev->data.mapping_start.anchor,
				  ev->data.mapping_start.tag);
	else
		err = check_props(b, ev, ev->data.sequence_start.anchor,
				  ev->data.sequence_start.tag);
	if (err)
		return err;
	if (b->depth >= YNODE_MAX_DEPTH)
		return mark_err(b, ev->start_mark,
				"nesting deeper than %d levels", YNODE_MAX_DEPTH);
	n = new_node(map ? YNODE_MAP : YNODE_SEQ, ev);
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
				YSHOW((const char *)ev->data.alias.anchor));
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
		return ynode__error(b->err, line, col, "invalid input: %s (0x%x)",
				    p->problem, p->problem_value);
	return ynode__error(b->err, line, col, "invalid input: %s", p->problem);
}

static int syntax_error(struct builder *b)
{
	const yaml_parser_t *p = &b->parser;
	const char *problem = p->problem ? p->problem : "unknown error";

	if (p->error == YAML_MEMORY_ERROR)
		return -ENOMEM;
	if (p->error == YAML_READER_ERROR)
		return reader_error(b);
	if (p->context)
		return mark_err(b, p->problem_mark,
				"YAML syntax error: %s (%s at line %zu, column %zu)",
				problem, p->context, p->context_mark.line + 1,
				p->context_mark.column + 1);
	return mark_err(b, p->problem_mark, "YAML syntax error: %s", problem);
}

/* @return 0 with b->root set, or -errno; b->root is the caller's either way */
static int build_tree(struct builder *b)
{
	yaml_event_t ev;
	int err = 0;

	if (!yaml_parser_initialize(&b->parser))
		return -ENOMEM;
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
	return err;
}

struct ynode *ynode__parse(const char *buf, size_t len,
			   struct ynode_error *err)
{
	struct builder b = {
		.buf = buf ?: "",
		.len = buf ? len : 0,
		.err = err,
	};
	int ret;

	memset(err, 0, sizeof(*err));
	ret = build_tree(&b);
	if (!ret && !b.root)
		ret = ynode__error(err, 1, 1, "empty document");
	if (ret) {
		if (ret == -ENOMEM)
			ynode__error(err, 0, 0, "out of memory");
		ynode__free(b.root);
		errno = -ret;
		return NULL;
	}
	return b.root;
}
