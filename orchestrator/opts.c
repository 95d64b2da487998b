// SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause)
#include <errno.h>
#include <getopt.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>

#include "opts.h"
#include "opts_internal.h"
#include "plan.h"

#define OPT_VAL_BASE	256	/* getopt_long() vals above any short option */

const struct opt opts__globals[NR_GLOBALS + 1] = {
	OPTION_COUNT("verbose", 'v', struct opts_global, verbose,
		     "more detail; repeat for more (-vv, -vvv)"),
	OPTION_FLAG("json", 'j', struct opts_global, json,
		    "one JSON document on stdout, for scripts"),
	OPTION_FLAG("quiet", 'q', struct opts_global, quiet,
		    "no informational output, errors only"),
	OPTION_FLAG("help", 'h', struct opts_global, help,
		    "show this help and exit"),
	OPTION_FLAG("version", 0, struct opts_global, version,
		    "show the version and exit"),
	OPTION_END,
};

struct parse {
	const struct verb_def *def;
	struct opts_global *g;
	void *cfg;
	int nr;			/* the verb's options; the globals follow */
	bool seen[OPTS_MAX];
	int match[2];		/* an ambiguous abbreviation's candidates */
};

int opts__nr(const struct opt *t)
{
	int n = 0;

	while (t && t[n].name)
		n++;
	return n;
}

/* Option @i of the combined table: the verb's, then the globals. */
static const struct opt *opt_at(const struct parse *p, int i)
{
	return i < p->nr ? &p->def->opts[i] : &opts__globals[i - p->nr];
}

static void *value_at(const struct parse *p, int i)
{
	if (i < p->nr)
		return (char *)p->cfg + p->def->opts[i].off;
	return (char *)p->g + opts__globals[i - p->nr].off;
}

/* Keep the first error only: the one that explains the others. */
static void __attribute__((format(printf, 2, 3)))
errorf(struct parse *p, const char *fmt, ...)
{
	int n;
	va_list ap;

	if (p->g->error[0])
		return;
	n = snprintf(p->g->error, sizeof(p->g->error), "tailgate%s%s: ",
		     *p->def->name ? " " : "", p->def->name);
	if (n < 0 || (size_t)n >= sizeof(p->g->error))
		return;
	va_start(ap, fmt);
	vsnprintf(p->g->error + n, sizeof(p->g->error) - n, fmt, ap);
	va_end(ap);
}

/* @ms in the largest unit that keeps it whole, as plans write it. */
static void fmt_duration(char *buf, size_t len, uint64_t ms)
{
	if (ms && ms % 60000 == 0)
		snprintf(buf, len, "%llum", (unsigned long long)(ms / 60000));
	else if (ms && ms % 1000 == 0)
		snprintf(buf, len, "%llus", (unsigned long long)(ms / 1000));
	else
		snprintf(buf, len, "%llums", (unsigned long long)ms);
}

/* "MIN..MAX", or "at least MIN" without an upper bound, in @o's units. */
void opts__fmt_range(char *buf, size_t len, const struct opt *o)
{
	char lo[24], hi[24];

	if (o->type == OPT_DURATION) {
		fmt_duration(lo, sizeof(lo), o->min);
		fmt_duration(hi, sizeof(hi), o->max);
	} else {
		snprintf(lo, sizeof(lo), "%llu", (unsigned long long)o->min);
		snprintf(hi, sizeof(hi), "%llu", (unsigned long long)o->max);
	}
	if (o->max)
		snprintf(buf, len, "%s..%s", lo, hi);
	else
		snprintf(buf, len, "at least %s", lo);
}

static bool in_range(const struct opt *o, uint64_t v)
{
	return v >= o->min && (!o->max || v <= o->max);
}

static int check_range(struct parse *p, const struct opt *o, const char *arg,
		       uint64_t v)
{
	char range[64];

	if (in_range(o, v))
		return 0;
	opts__fmt_range(range, sizeof(range), o);
	errorf(p, "--%s: %s is out of range (%s)", o->name, arg, range);
	return -EINVAL;
}

/* Digits only: strtoull() would take " -1" and wrap it around. */
static int parse_u64(struct parse *p, const struct opt *o, const char *arg,
		     uint64_t *v)
{
	char *end;

	if (!*arg || strspn(arg, "0123456789") != strlen(arg)) {
		errorf(p, "--%s: '%s' is not a whole number", o->name, arg);
		return -EINVAL;
	}
	errno = 0;
	*v = strtoull(arg, &end, 10);
	if (errno == ERANGE) {
		errorf(p, "--%s: '%s' is too large", o->name, arg);
		return -EINVAL;
	}
	return check_range(p, o, arg, *v);
}

static int parse_duration(struct parse *p, const struct opt *o, const char *arg,
			  uint64_t *v)
{
	int err;

	/* "0" means "none" (--interval 0: no rates) where the range allows it. */
	if (!strcmp(arg, "0") && !o->min) {
		*v = 0;
		return 0;
	}
	err = plan__parse_duration(arg, v);
	if (err == -ERANGE) {
		errorf(p, "--%s: '%s' is out of range (1ms..24h)", o->name, arg);
		return -EINVAL;
	}
	if (err && *arg && strspn(arg, "0123456789") == strlen(arg)) {
		errorf(p, "--%s: '%s' needs a unit: ms, s, m or h (e.g. %sms, %ss)",
		       o->name, arg, arg, arg);
		return -EINVAL;
	}
	if (err) {
		errorf(p, "--%s: '%s' is not a duration (e.g. 500ms, 2s, 1m)", o->name, arg);
		return -EINVAL;
	}
	return check_range(p, o, arg, *v);
}

void opts__join_names(char *buf, size_t len, const char *const *names)
{
	size_t off = 0;
	int i;

	buf[0] = '\0';
	for (i = 0; names[i] && off < len; i++)
		off += snprintf(buf + off, len - off, "%s%s", i ? ", " : "", names[i]);
}

static int parse_enum(struct parse *p, const struct opt *o, const char *arg, int *v)
{
	char list[160];
	int i;

	for (i = 0; o->names[i]; i++) {
		if (!strcmp(arg, o->names[i])) {
			*v = i;
			return 0;
		}
	}
	opts__join_names(list, sizeof(list), o->names);
	errorf(p, "--%s: '%s' is not one of: %s", o->name, arg, list);
	return -EINVAL;
}

static int list_add(struct parse *p, const struct opt *o, const char *arg,
		    struct opts_list *l)
{
	if (l->n == OPTS_LIST_MAX) {
		errorf(p, "--%s: at most %d values", o->name, OPTS_LIST_MAX);
		return -EINVAL;
	}
	l->v[l->n++] = arg;
	return 0;
}

/* Store option @i's value; errors name the verb, the option and the value. */
static void set_value(struct parse *p, int i, const char *arg)
{
	const struct opt *o = opt_at(p, i);
	void *v = value_at(p, i);
	uint64_t u;

	if (i < p->nr && o->type != OPT_FLAG && o->type != OPT_COUNT &&
	    o->type != OPT_LIST) {
		/* A script that says it twice means one of them by mistake. */
		if (p->seen[i]) {
			errorf(p, "--%s given twice", o->name);
			return;
		}
		p->seen[i] = true;
	}
	switch (o->type) {
	case OPT_FLAG:
		*(bool *)v = true;
		break;
	case OPT_COUNT:
		(*(int *)v)++;
		break;
	case OPT_U64:
		if (!parse_u64(p, o, arg, &u))
			*(uint64_t *)v = u;
		break;
	case OPT_DURATION:
		if (!parse_duration(p, o, arg, &u))
			*(uint64_t *)v = u;
		break;
	case OPT_STRING:
		*(const char **)v = arg;
		break;
	case OPT_ENUM:
		parse_enum(p, o, arg, v);
		break;
	case OPT_LIST:
		list_add(p, o, arg, v);
		break;
	}
}

bool opts__takes_value(const struct opt *o)
{
	return o->type != OPT_FLAG && o->type != OPT_COUNT;
}

const char *opts__metavar(const struct opt *o)
{
	if (o->metavar)
		return o->metavar;
	switch (o->type) {
	case OPT_U64:
		return "N";
	case OPT_DURATION:
		return "DURATION";
	default:
		return "VALUE";
	}
}

/* The getopt_long() view of the table: "-:" or "+:", shorts, longs. */
static void build_getopt(const struct parse *p, struct option *longs, char *shorts)
{
	int i, n = 0, total = p->nr + NR_GLOBALS;

	shorts[n++] = p->def->flags & OPTS_IN_ORDER ? '+' : '-';
	shorts[n++] = ':';
	for (i = 0; i < total; i++) {
		const struct opt *o = opt_at(p, i);

		longs[i] = (struct option){ o->name,
					    opts__takes_value(o) ? required_argument : no_argument,
					    NULL, OPT_VAL_BASE + i };
		if (o->short_name) {
			shorts[n++] = o->short_name;
			if (opts__takes_value(o))
				shorts[n++] = ':';
		}
	}
	longs[total] = (struct option){ 0 };
	shorts[n] = '\0';
}

static int index_of_short(const struct parse *p, int c)
{
	int i;

	for (i = 0; i < p->nr + NR_GLOBALS; i++)
		if (opt_at(p, i)->short_name == c)
			return i;
	return -1;
}

/* Does the abbreviation @arg ("--ver", "--ver=x") fit two long names? */
static bool ambiguous(struct parse *p, const char *arg)
{
	size_t len;
	int i, n = 0;

	if (strncmp(arg, "--", 2))
		return false;
	arg += 2;
	len = strcspn(arg, "=");
	for (i = 0; i < p->nr + NR_GLOBALS && n < 2; i++)
		if (!strncmp(opt_at(p, i)->name, arg, len))
			p->match[n++] = i;
	return n == 2;
}

/* getopt_long() said '?' or ':'; say which option and what is wrong. */
static void bad_option(struct parse *p, int c, char **argv)
{
	const char *arg = argv[optind - 1];
	int i = optopt >= OPT_VAL_BASE ? optopt - OPT_VAL_BASE : index_of_short(p, optopt);
	const struct opt *o = i >= 0 && optopt ? opt_at(p, i) : NULL;

	if (c == ':' && o)
		errorf(p, "--%s needs a value (%s)", o->name, opts__metavar(o));
	else if (o && optopt >= OPT_VAL_BASE)
		errorf(p, "--%s takes no value", o->name);
	else if (optopt)
		errorf(p, "unknown option '-%c'", optopt);
	else if (ambiguous(p, arg))
		errorf(p, "option '%s' is ambiguous; say which: --%s or --%s", arg,
		       opt_at(p, p->match[0])->name, opt_at(p, p->match[1])->name);
	else
		errorf(p, "unknown option '%s'", arg);
}

static int check_positionals(struct parse *p, char **pos, int n)
{
	const struct verb_def *d = p->def;

	if (n < d->min_pos) {
		errorf(p, "missing %s", d->args && *d->args ? d->args : "arguments");
		return -EINVAL;
	}
	if (d->max_pos >= 0 && n > d->max_pos) {
		errorf(p, "unexpected argument '%s'", pos[d->max_pos]);
		return -EINVAL;
	}
	return 0;
}

/* " VERB" for a verb, "" for the top level (a verb_def named ""). */
static const char *space_name(const struct verb_def *def, char *buf, size_t len)
{
	snprintf(buf, len, "%s%s", *def->name ? " " : "", def->name);
	return buf;
}

void opts__synopsis(FILE *f, const struct verb_def *def)
{
	char name[64];

	fprintf(f, "Usage: tailgate%s [OPTIONS]%s%s\n", space_name(def, name, sizeof(name)),
		def->args && *def->args ? " " : "", def->args ? def->args : "");
}

int opts__parse(const struct verb_def *def, struct opts_global *g, int argc,
		char **argv, void *cfg, char ***pos, int *nr_pos)
{
	struct parse p = { .def = def, .g = g, .cfg = cfg, .nr = opts__nr(def->opts) };
	struct option longs[OPTS_MAX + NR_GLOBALS + 1];
	char shorts[3 + 2 * (OPTS_MAX + NR_GLOBALS)], name[64];
	int c, n = 1;

	if (p.nr > OPTS_MAX || (p.nr && !cfg) || argc < 1)
		return -EINVAL;
	build_getopt(&p, longs, shorts);
	/* 0, not 1: glibc then starts over, also after an earlier verb's parse. */
	optind = 0;
	opterr = 0;
	while ((c = getopt_long(argc, argv, shorts, longs, NULL)) != -1) {
		if (c == 1)			/* a positional, in order */
			argv[n++] = optarg;
		else if (c == '?' || c == ':')
			bad_option(&p, c, argv);
		else if (c >= OPT_VAL_BASE)
			set_value(&p, c - OPT_VAL_BASE, optarg);
		else
			set_value(&p, index_of_short(&p, c), optarg);
	}
	/* After "--" (or the first positional with OPTS_IN_ORDER). */
	while (optind < argc)
		argv[n++] = argv[optind++];
	/* The positionals end in NULL like main()'s argv, whose end this is. */
	if (n < argc)
		argv[n] = NULL;
	*pos = argv + 1;
	*nr_pos = n - 1;
	if (g->help)
		return OPTS_HELP;
	if (g->version)
		return OPTS_VERSION;
	if (!g->error[0])
		check_positionals(&p, *pos, *nr_pos);
	if (!g->error[0])
		return OPTS_OK;
	fprintf(stderr, "%s\n", g->error);
	opts__synopsis(stderr, def);
	fprintf(stderr, "Run 'tailgate%s --help' for more.\n",
		space_name(def, name, sizeof(name)));
	return -EINVAL;
}

const struct verb_def *opts__find(const struct verb_def *const *verbs, size_t n,
				  const char *name)
{
	size_t i;

	for (i = 0; i < n && name; i++)
		if (!strcmp(verbs[i]->name, name))
			return verbs[i];
	return NULL;
}

static int bad_table(const struct verb_def *def, const char *what, const char *name)
{
	fprintf(stderr, "tailgate: option table of '%s': %s%s%s\n",
		def->name ? def->name : "?", what, name ? ": " : "", name ? name : "");
	return -EINVAL;
}

/* Does option @i clash with an earlier one or with a global? */
static int check_clash(const struct verb_def *def, int i)
{
	const struct opt *o = &def->opts[i];
	int j;

	for (j = 0; j < i + NR_GLOBALS; j++) {
		const struct opt *q = j < i ? &def->opts[j] : &opts__globals[j - i];

		if (!strcmp(o->name, q->name))
			return bad_table(def, "duplicate long name", o->name);
		if (o->short_name && o->short_name == q->short_name)
			return bad_table(def, "duplicate short name", o->name);
	}
	return 0;
}

static int check_opt(const struct verb_def *def, int i)
{
	const struct opt *o = &def->opts[i];

	if (!*o->name || o->name[0] == '-' || strchr(o->name, '='))
		return bad_table(def, "bad long name", o->name);
	if (o->short_name && (o->short_name == ':' || o->short_name == '-' ||
			      o->short_name == '+' || o->short_name == '?' ||
			      o->short_name == 1))
		return bad_table(def, "bad short name", o->name);
	if (o->type == OPT_ENUM && (!o->names || !o->names[0]))
		return bad_table(def, "enum without names", o->name);
	if ((o->type == OPT_U64 || o->type == OPT_DURATION) && o->max && o->min > o->max)
		return bad_table(def, "min above max", o->name);
	if (!o->help || !*o->help)
		return bad_table(def, "no help text", o->name);
	return check_clash(def, i);
}

int opts__check(const struct verb_def *def)
{
	int i, n = opts__nr(def->opts), err;

	if (!def->name || !def->summary)
		return bad_table(def, "verb without name or summary", NULL);
	if (n > OPTS_MAX)
		return bad_table(def, "more than OPTS_MAX options", NULL);
	if (def->min_pos < 0 || (def->max_pos >= 0 && def->min_pos > def->max_pos))
		return bad_table(def, "min_pos above max_pos", NULL);
	for (i = 0; i < n; i++) {
		err = check_opt(def, i);
		if (err)
			return err;
	}
	return 0;
}
