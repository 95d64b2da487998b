// SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause)
/*
 * The plan's pipeline: the stages of a generation in chain order, each an
 * object file and a program in it, with what the rollout must know about
 * it (its hash, the maps it keeps).
 */
#include <ctype.h>
#include <errno.h>
#include <stdio.h>
#include <string.h>

#include "plan_internal.h"

/* Relative paths are relative to the plan file, not to where we run. */
static int parse_object(struct schema *s, const struct field *f,
			const struct ynode *v, void *obj)
{
	const char *str = NULL, *dir = plan_ctx(s)->plan->dir;
	struct plan_stage *st = obj;
	int n, err;

	err = schema__get_str(s, f, v, &str);
	if (err)
		return err;
	if (!*str)
		return schema__fail(s, v, "object: empty path");
	for (n = 0; str[n]; n++)
		if ((unsigned char)str[n] < 0x20 || str[n] == 0x7f)
			return schema__fail(s, v, "object: path '%s' has a control character",
					    YSHOW(str));
	if (str[0] == '/')
		n = snprintf(st->object, sizeof(st->object), "%s", str);
	else
		n = snprintf(st->object, sizeof(st->object), "%s%s%s", dir,
			     dir[0] && dir[strlen(dir) - 1] == '/' ? "" : "/",
			     str);
	if (n < 0 || (size_t)n >= sizeof(st->object))
		return schema__fail(s, v, "object: path longer than %d bytes once resolved",
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

static int parse_sha256(struct schema *s, const struct field *f,
			const struct ynode *v, void *obj)
{
	struct plan_stage *st = obj;
	const char *str = NULL;
	int i, hi, lo, err;

	err = schema__get_str(s, f, v, &str);
	if (err)
		return err;
	if (strlen(str) != 2 * sizeof(st->sha256))
		return schema__fail(s, v, "sha256: expected %zu hex digits, got %zu characters",
				    2 * sizeof(st->sha256), strlen(str));
	for (i = 0; i < (int)sizeof(st->sha256); i++) {
		hi = hex_digit(str[2 * i]);
		lo = hex_digit(str[2 * i + 1]);
		if (hi < 0 || lo < 0)
			return schema__fail(s, v, "sha256: character %d is not a hex digit",
					    2 * i + (hi < 0 ? 1 : 2));
		st->sha256[i] = hi << 4 | lo;
	}
	st->has_sha256 = true;
	return 0;
}

static int parse_keep_maps(struct schema *s, const struct field *f,
			   const struct ynode *v, void *obj)
{
	struct plan_stage *st = obj;
	const struct ynode *n;
	const char *str = NULL;
	int i, err;

	err = schema__want_seq(s, f, v);
	for (n = v->first; !err && n; n = n->next) {
		err = schema__get_str(s, f, n, &str) ?:
		      schema__check_name(s, n, "map name", str, PLAN_MAX_NAME);
		if (err)
			break;
		if (st->nr_keep_maps >= PLAN_MAX_KEEP_MAPS)
			return schema__fail(s, n, "keep_maps: more than %d maps",
					    PLAN_MAX_KEEP_MAPS);
		for (i = 0; i < st->nr_keep_maps; i++)
			if (!strcmp(st->keep_maps[i], str))
				return schema__fail(s, n, "keep_maps: '%s' is listed twice",
						    str);
		strcpy(st->keep_maps[st->nr_keep_maps++], str);
	}
	return err;
}

/*
 * The verdicts that hand the packet to the next stage; any other verdict
 * leaves the chain with it. A set, written as a list of verdict names.
 */
static int parse_continue_on(struct schema *s, const struct field *f,
			     const struct ynode *v, void *obj)
{
	struct plan_stage *st = obj;
	const struct ynode *n;
	uint32_t mask = 0;
	int i, err;

	err = schema__want_seq(s, f, v);
	if (err)
		return err;
	if (!v->first)
		return schema__fail(s, v, "continue_on: empty; list the verdicts that go on to the next stage (pass, drop, aborted, tx, redirect) or leave continue_on out for [pass]");
	for (n = v->first; n; n = n->next) {
		i = schema__choice_index(s, f, n, plan_verdict_names);
		if (i < 0)
			return i;
		if (mask & TG_VERDICT_BIT(i))
			return schema__fail(s, n, "continue_on: '%s' is listed twice",
					    plan_verdict_names[i]);
		mask |= TG_VERDICT_BIT(i);
	}
	st->has_continue_on = true;
	st->continue_on = mask;
	return 0;
}

static const char *const mode_names[] = {
	[PLAN_MODE_ENFORCE] = "enforce",
	[PLAN_MODE_SHADOW] = "shadow",
	NULL,
};

/* clang-format off */
static const struct field stage_fields[] = {
	{ .key = "name", .parse = schema__name, .required = true,
	  FIELD_AT(struct plan_stage, name) },
	{ .key = "object", .parse = parse_object, .required = true },
	{ .key = "program", .parse = schema__name, FIELD_AT(struct plan_stage, program) },
	{ .key = "sha256", .parse = parse_sha256 },
	{ .key = "keep_maps", .parse = parse_keep_maps },
	{ .key = "continue_on", .parse = parse_continue_on },
	{ .key = "mode", .parse = schema__choice, .choices = mode_names,
	  FIELD_AT(struct plan_stage, mode) },
};
/* clang-format on */

static const struct schema_map stage_map = SCHEMA_MAP("pipeline stage",
						      stage_fields);

static int parse_stage(struct plan_ctx *c, const struct ynode *v,
		       struct plan_stage *st)
{
	const struct plan *p = c->plan;
	int i, err;

	st->continue_on = TG_VERDICT_BIT(TG_PASS);
	st->mode = PLAN_MODE_ENFORCE;
	err = schema__parse_map(&c->s, v, &stage_map, st);
	if (err)
		return err;
	st->line = v->line;
	for (i = 0; &p->stages[i] != st; i++)
		if (!strcmp(p->stages[i].name, st->name))
			return schema__fail(&c->s, ynode__get(v, "name"),
					    "stage name '%s' is used twice (first at line %d)",
					    st->name, p->stages[i].line);
	return 0;
}

int plan_pipeline__parse(struct schema *s, const struct field *f,
			 const struct ynode *v, void *obj)
{
	struct plan_ctx *c = plan_ctx(s);
	struct plan *p = c->plan;
	const struct ynode *n;
	int err;

	err = schema__want_seq(s, f, v);
	for (n = v->first; !err && n; n = n->next) {
		if (p->nr_stages >= TG_MAX_STAGES)
			return schema__fail(s, n, "pipeline: more than %d stages",
					    TG_MAX_STAGES);
		err = parse_stage(c, n, &p->stages[p->nr_stages++]);
	}
	if (!err && !p->nr_stages)
		return schema__fail(s, v, "pipeline: at least one stage is needed");
	return err;
}
