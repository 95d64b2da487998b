/* SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause) */
/*
 * YAML as tailgate reads it: libyaml's event stream turned into a small
 * tree of scalars, sequences and mappings, each node with its line and
 * column. What a plan has no use for and what would let a file mean
 * something other than it reads is refused on the way: anchors, aliases,
 * tags, a second document, nesting deeper than YNODE_MAX_DEPTH, NUL bytes.
 *
 * libyaml is used in ynode.c and nowhere else. (The module is not called
 * yaml.c/yaml.h: with -Iorchestrator, an orchestrator/yaml.h would hide
 * libyaml's own <yaml.h>.)
 */
#ifndef __TG_YNODE_H
#define __TG_YNODE_H

#include <stdarg.h>
#include <stdbool.h>
#include <stddef.h>

#define YNODE_MAX_DEPTH		8	/* nested sequences and mappings */
#define YNODE_SHOW_MAX		48	/* user text quoted in messages */

enum ynode_type {
	YNODE_SCALAR,
	YNODE_SEQ,
	YNODE_MAP,
};

/*
 * One node. A sequence's children are its entries; a mapping's children
 * alternate key, value, key, value (see ynode_for_each_pair()).
 */
struct ynode {
	enum ynode_type type;
	bool quoted;		/* scalar written in quotes or as a block */
	int line, col;		/* 1-based, where the node starts */
	char *str;		/* scalar text, NUL-terminated, no inner NUL */
	int nr;			/* children */
	struct ynode *first, *last, *next;
};

/* Where and why: line and col are 1-based, 0 when there is no position. */
struct ynode_error {
	int line;
	int col;
	char msg[512];
};

#define ynode_for_each_pair(k, v, map) \
	for ((k) = (map)->first; (k) && ((v) = (k)->next); (k) = (v)->next)

/*
 * Parse @len bytes of @buf (one YAML document) into a tree.
 * @return the root, or NULL with errno set (EINVAL, ENOMEM) and @err
 * filled; an empty document is an error.
 */
struct ynode *ynode__parse(const char *buf, size_t len,
			   struct ynode_error *err);

/* Free a tree from ynode__parse(); NULL is fine. */
void ynode__free(struct ynode *root);

/*
 * The value of @key in the mapping @map (the first, if a broken file has
 * it twice), or NULL. Checks that look across keys use it to point at the
 * value they complain about.
 */
const struct ynode *ynode__get(const struct ynode *map, const char *key);
/* The same, but the key's own node: for errors about the key itself. */
const struct ynode *ynode__key(const struct ynode *map, const char *key);

/* An unquoted "", "~" or "null": YAML's null. */
bool ynode__is_null(const struct ynode *n);

/* "a mapping", "a quoted string", "nothing (null)"...: for messages. */
const char *ynode__type_name(const struct ynode *n);

/*
 * Fill @err; the position is @at's, or @line/@col.
 * @return -EINVAL, so callers can "return ynode__fail(...)".
 */
__attribute__((format(printf, 3, 4)))
int ynode__fail(struct ynode_error *err, const struct ynode *at,
		const char *fmt, ...);
__attribute__((format(printf, 4, 5)))
int ynode__error(struct ynode_error *err, int line, int col,
		 const char *fmt, ...);
__attribute__((format(printf, 4, 0)))
int ynode__verror(struct ynode_error *err, int line, int col,
		  const char *fmt, va_list ap);

/*
 * @s made safe to print into @buf (YNODE_SHOW_MAX bytes): printable ASCII,
 * anything else as '?', long text cut with "...". User text never reaches
 * a terminal unfiltered.
 */
const char *ynode__show(const char *s, char *buf);
#define YSHOW(s) ynode__show((s), (char[YNODE_SHOW_MAX]){ 0 })

#endif /* __TG_YNODE_H */
