// SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause)
/* Text generated from the option tables: usage, top-level help, completion. */
#include <ctype.h>
#include <errno.h>
#include <string.h>

#include "opts.h"
#include "opts_internal.h"

#define HELP_COL_MAX	32	/* a longer left column gets a line of its own */

/* "-i, --interval=DURATION" or "    --hook=HOOK", as usage shows it. */
static void opt_left(char *buf, size_t len, const struct opt *o)
{
	int n;

	if (o->short_name)
		n = snprintf(buf, len, "-%c, --%s", o->short_name, o->name);
	else
		n = snprintf(buf, len, "    --%s", o->name);
	if (opts__takes_value(o) && n >= 0 && (size_t)n < len)
		snprintf(buf + n, len - n, "=%s", opts__metavar(o));
}

/* What the table knows beyond the help text: range, values, repeats. */
static void opt_extra(char *buf, size_t len, const struct opt *o)
{
	char tmp[160];

	buf[0] = '\0';
	if ((o->type == OPT_U64 || o->type == OPT_DURATION) && (o->min || o->max)) {
		opts__fmt_range(tmp, sizeof(tmp), o);
		snprintf(buf, len, " (%s)", tmp);
	} else if (o->type == OPT_ENUM) {
		opts__join_names(tmp, sizeof(tmp), o->names);
		snprintf(buf, len, " (%s)", tmp);
	} else if (o->type == OPT_LIST) {
		snprintf(buf, len, " (repeatable)");
	}
}

static int left_width(const struct opt *t)
{
	char left[80];
	int i, w = 0, n;

	for (i = 0; t && t[i].name; i++) {
		opt_left(left, sizeof(left), &t[i]);
		n = strlen(left);
		if (n > w)
			w = n;
	}
	return w;
}

/* One line per option; a left column too wide for @width gets its own line. */
static void print_opts(FILE *f, const struct opt *t, int width)
{
	char left[80], extra[200];
	int i;

	for (i = 0; t && t[i].name; i++) {
		opt_left(left, sizeof(left), &t[i]);
		opt_extra(extra, sizeof(extra), &t[i]);
		if ((int)strlen(left) > width)
			fprintf(f, "  %s\n  %-*s  %s%s\n", left, width, "",
				t[i].help ? t[i].help : "", extra);
		else
			fprintf(f, "  %-*s  %s%s\n", width, left, t[i].help ? t[i].help : "",
				extra);
	}
}

static int column(const struct opt *t)
{
	int w = left_width(t), g = left_width(opts__globals);

	w = w > g ? w : g;
	return w < HELP_COL_MAX ? w : HELP_COL_MAX;
}

void opts__usage(FILE *f, const struct verb_def *def)
{
	int width = column(def->opts);

	opts__synopsis(f, def);
	/* Summaries are table entries in lower case; here they are a sentence. */
	if (def->summary && *def->summary)
		fprintf(f, "\n%c%s.\n", toupper((unsigned char)def->summary[0]),
			def->summary + 1);
	if (opts__nr(def->opts)) {
		fprintf(f, "\nOptions:\n");
		print_opts(f, def->opts, width);
	}
	fprintf(f, "\nGlobal options:\n");
	print_opts(f, opts__globals, width);
}

void opts__toplevel(FILE *f, const struct verb_def *const *verbs, size_t n)
{
	char left[80];
	int width = column(NULL);
	size_t i;

	for (i = 0; i < n; i++) {
		int w = snprintf(left, sizeof(left), "%s %s", verbs[i]->name,
				 verbs[i]->args ? verbs[i]->args : "");

		if (!(verbs[i]->flags & OPTS_HIDDEN) && w > width && w <= HELP_COL_MAX)
			width = w;
	}
	fprintf(f, "Usage: tailgate [OPTIONS] VERB [ARGS]\n\n"
		   "Roll XDP and tc program upgrades onto live interfaces.\n\nVerbs:\n");
	for (i = 0; i < n; i++) {
		if (verbs[i]->flags & OPTS_HIDDEN)
			continue;
		snprintf(left, sizeof(left), "%s %s", verbs[i]->name,
			 verbs[i]->args ? verbs[i]->args : "");
		fprintf(f, "  %-*s  %s\n", width, left,
			verbs[i]->summary ? verbs[i]->summary : "");
	}
	fprintf(f, "\nGlobal options (every verb, anywhere on the line):\n");
	print_opts(f, opts__globals, width);
	fprintf(f, "\nExit codes: 0 done (or nothing to do); 1 usage or plan error;\n"
		   "2 preflight failed; 3 rolled back (or paused); 4 inconsistent, run\n"
		   "'tailgate recover'; 5 busy, retry later. 1, 2 and 5 changed nothing.\n"
		   "\nRun 'tailgate VERB --help' for the options of a verb.\n");
}

int opts__words(FILE *f, const struct verb_def *const *verbs, size_t n,
		const char *verb)
{
	const struct verb_def *def;
	int i;

	if (!verb) {
		for (i = 0; i < (int)n; i++)
			if (!(verbs[i]->flags & OPTS_HIDDEN))
				fprintf(f, "%s\n", verbs[i]->name);
		return 0;
	}
	def = opts__find(verbs, n, verb);
	if (!def)
		return -ENOENT;
	for (i = 0; i < opts__nr(def->opts); i++)
		fprintf(f, "--%s\n", def->opts[i].name);
	for (i = 0; i < NR_GLOBALS; i++)
		fprintf(f, "--%s\n", opts__globals[i].name);
	return 0;
}

int opts__enum_words(FILE *f, const struct verb_def *def, const char *option)
{
	int i, j;

	if (option && !strncmp(option, "--", 2))
		option += 2;
	for (i = 0; i < opts__nr(def->opts); i++) {
		const struct opt *o = &def->opts[i];

		if (o->type != OPT_ENUM || !option || strcmp(o->name, option))
			continue;
		for (j = 0; o->names[j]; j++)
			fprintf(f, "%s\n", o->names[j]);
		return 0;
	}
	return -ENOENT;
}
