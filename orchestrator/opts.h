/* SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause) */
/*
 * One option table per verb (the xdp-tools params.c / DEFINE_OPTION idea):
 * the table generates the getopt_long() strings, parses typed and
 * range-checked values, and prints the verb's usage, the top-level help
 * and the words shell completion offers. Nothing about a verb's options
 * is written down twice, so help and completion cannot drift.
 *
 *	struct stats_cfg { uint64_t interval_ms; int hook; struct opts_list ifaces; };
 *	static const struct opt stats_opts[] = {
 *		OPTION_DURATION("interval", 'i', struct stats_cfg, interval_ms,
 *				"refresh every DURATION", 100, 60000),
 *		OPTION_ENUM("hook", 0, struct stats_cfg, hook, "HOOK",
 *			    "only this hook", hook_names),
 *		OPTION_LIST("iface", 0, struct stats_cfg, ifaces, "IFACE",
 *			    "only this interface"),
 *		OPTION_END,
 *	};
 *	const struct verb_def stats_verb = {
 *		.name = "stats", .args = "", .summary = "per-stage counters and rates",
 *		.opts = stats_opts, .max_pos = 0, .flags = OPTS_NO_PRIVS,
 *	};
 *
 * Every verb also takes the global options -v/--verbose (repeatable),
 * -j/--json, -q/--quiet, -h/--help and --version, anywhere on its line.
 */
#ifndef __TG_OPTS_H
#define __TG_OPTS_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

#define OPTS_MAX	32	/* options per verb, globals not counted */
#define OPTS_LIST_MAX	64	/* values of one OPT_LIST option */

enum opt_type {
	OPT_FLAG,	/* bool: set when given */
	OPT_COUNT,	/* int: +1 each time given (-vvv) */
	OPT_U64,	/* uint64_t: decimal digits only, in [min, max] */
	OPT_DURATION,	/* uint64_t ms: plan syntax (250ms, 10s, 2m), in [min, max] */
	OPT_STRING,	/* const char *: points into argv */
	OPT_ENUM,	/* int: index of the value in names[] */
	OPT_LIST,	/* struct opts_list: each occurrence appended */
};

struct opts_list {
	const char *v[OPTS_LIST_MAX];	/* point into argv */
	int n;
};

struct opt {
	const char *name;	/* long name, without "--"; NULL ends a table */
	char short_name;	/* 0: long only */
	enum opt_type type;
	size_t off;		/* of the value in the verb's config struct */
	const char *metavar;	/* NULL: N, DURATION or VALUE */
	const char *help;
	uint64_t min, max;	/* OPT_U64, OPT_DURATION; max 0: no upper bound */
	const char *const *names;	/* OPT_ENUM: NULL-terminated */
};

/* A compile error, not a crash, when a field has the wrong type. */
#define OPTS__TYPED(cfg, field, type)						\
	(offsetof(cfg, field) +							\
	 sizeof(char[1 - 2 * !__builtin_types_compatible_p(			\
		__typeof__(((cfg *)0)->field), type)]) - 1)

#define OPTION_FLAG(name_, short_, cfg, field, help_)				\
	{ .name = name_, .short_name = short_, .type = OPT_FLAG,		\
	  .off = OPTS__TYPED(cfg, field, bool), .help = help_ }
#define OPTION_COUNT(name_, short_, cfg, field, help_)				\
	{ .name = name_, .short_name = short_, .type = OPT_COUNT,		\
	  .off = OPTS__TYPED(cfg, field, int), .help = help_ }
#define OPTION_U64(name_, short_, cfg, field, metavar_, help_, min_, max_)	\
	{ .name = name_, .short_name = short_, .type = OPT_U64,			\
	  .off = OPTS__TYPED(cfg, field, uint64_t), .metavar = metavar_,	\
	  .help = help_, .min = min_, .max = max_ }
#define OPTION_DURATION(name_, short_, cfg, field, help_, min_ms, max_ms)	\
	{ .name = name_, .short_name = short_, .type = OPT_DURATION,		\
	  .off = OPTS__TYPED(cfg, field, uint64_t), .help = help_,		\
	  .min = min_ms, .max = max_ms }
#define OPTION_STRING(name_, short_, cfg, field, metavar_, help_)		\
	{ .name = name_, .short_name = short_, .type = OPT_STRING,		\
	  .off = OPTS__TYPED(cfg, field, const char *), .metavar = metavar_,	\
	  .help = help_ }
#define OPTION_ENUM(name_, short_, cfg, field, metavar_, help_, names_)	\
	{ .name = name_, .short_name = short_, .type = OPT_ENUM,		\
	  .off = OPTS__TYPED(cfg, field, int), .metavar = metavar_,		\
	  .help = help_, .names = names_ }
#define OPTION_LIST(name_, short_, cfg, field, metavar_, help_)		\
	{ .name = name_, .short_name = short_, .type = OPT_LIST,		\
	  .off = OPTS__TYPED(cfg, field, struct opts_list),			\
	  .metavar = metavar_, .help = help_ }
#define OPTION_END { .name = NULL }

#define OPTS_NO_PRIVS	(1u << 0)	/* runs unprivileged: no caps check, no lock */
#define OPTS_HIDDEN	(1u << 1)	/* left out of help and completion */
#define OPTS_IN_ORDER	(1u << 2)	/* options end at the first positional */

struct verb_def {
	const char *name;	/* "": the top level, before the verb */
	const char *args;	/* positionals as usage shows them: "PLAN" */
	const char *summary;	/* one line, lower case, no full stop */
	const struct opt *opts;	/* ends with OPTION_END; NULL: none */
	int min_pos, max_pos;	/* max_pos < 0: no limit */
	unsigned int flags;
};

/* The global options; zero it once, every opts__parse() adds to it. */
struct opts_global {
	int verbose;
	bool json, quiet, help, version;
	char error[256];	/* the first usage error, for out__record() */
};

enum opts_outcome {
	OPTS_OK = 0,
	OPTS_HELP = 1,		/* print opts__usage() to stdout, exit 0 */
	OPTS_VERSION = 2,	/* print the version, exit 0 */
};

/*
 * Parse @argv (argv[0] is the verb) against @def's table into @cfg (which
 * holds the defaults on entry) and @g. Options go anywhere; "--" ends
 * them. Positionals are moved to the front of argv[1..]: *@pos points to
 * them, *@nr_pos counts them, and they end in NULL when argv did (main()'s
 * does). --help wins over any error on the line. Not reentrant (getopt).
 * @return OPTS_OK, OPTS_HELP, OPTS_VERSION, or -EINVAL: a usage error,
 * printed to stderr with the synopsis, its text kept in g->error.
 */
int opts__parse(const struct verb_def *def, struct opts_global *g, int argc,
		char **argv, void *cfg, char ***pos, int *nr_pos);

/* "Usage: tailgate VERB [OPTIONS] ARGS", one line. */
void opts__synopsis(FILE *f, const struct verb_def *def);

/* A verb's usage: synopsis, summary, each option and the globals, aligned. */
void opts__usage(FILE *f, const struct verb_def *def);

/* The `tailgate --help` text, from the same tables. */
void opts__toplevel(FILE *f, const struct verb_def *const *verbs, size_t n);

/*
 * For shell completion, one word a line: with @verb NULL the verb names,
 * else that verb's long options (its own, then the globals).
 * @return 0, or -ENOENT for an unknown verb.
 */
int opts__words(FILE *f, const struct verb_def *const *verbs, size_t n,
		const char *verb);

/*
 * The values an OPT_ENUM option of @def takes, one a line, for completing
 * "--hook <TAB>". @return 0, or -ENOENT if @def has no such enum option.
 */
int opts__enum_words(FILE *f, const struct verb_def *def, const char *option);

/* The verb named @name, or NULL. */
const struct verb_def *opts__find(const struct verb_def *const *verbs, size_t n,
				  const char *name);

/*
 * Is @def's table sound (names, no clash with another option or a global,
 * enum names, ranges, positional counts)? For a unit test over all verbs.
 * @return 0, or -EINVAL with the problem printed to stderr.
 */
int opts__check(const struct verb_def *def);

#endif /* __TG_OPTS_H */
