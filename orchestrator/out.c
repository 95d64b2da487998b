// SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause)
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "log.h"
#include "out.h"

struct msgs {
	char *v[OUT_MAX_MSGS];
	size_t n;
	size_t dropped;		/* beyond OUT_MAX_MSGS: counted, not kept */
};

static struct {
	FILE *out_hook, *err_hook;	/* out__set_streams() */
	FILE *out, *err;
	jsonw_t *w;
	bool active, json, quiet;
	struct msgs errors, warnings;
} o;

static const char *const results[] = {
	"ok", "usage_or_plan_error", "preflight_failed", "rolled_back",
	"inconsistent", "busy",
};

const char *out__result_name(int exit_code)
{
	if (exit_code < 0 || exit_code >= (int)(sizeof(results) / sizeof(results[0])))
		return "unknown";
	return results[exit_code];
}

void out__set_streams(FILE *out, FILE *err)
{
	o.out_hook = out;
	o.err_hook = err;
}

/* Before out__init() too: an error can come before the run starts. */
static FILE *err_stream(void)
{
	return o.active ? o.err : o.err_hook ? o.err_hook : stderr;
}

int out__init(const char *verb, bool json, bool quiet)
{
	if (o.active)
		return -EALREADY;
	o.out = o.out_hook ? o.out_hook : stdout;
	o.err = o.err_hook ? o.err_hook : stderr;
	o.json = json;
	o.quiet = quiet;
	if (json) {
		o.w = jsonw_new(o.out);
		if (!o.w)
			return -errno;
		jsonw_start_object(o.w);
		jsonw_set_floor(o.w, 1);
		jsonw_uint_field(o.w, "schema_version", OUT_SCHEMA_VERSION);
		jsonw_string_field(o.w, "verb", verb);
	}
	o.active = true;
	return 0;
}

jsonw_t *out__json(void)
{
	return o.active ? o.w : NULL;
}

bool out__is_json(void)
{
	return o.active && o.json;
}

bool out__capturing(void)
{
	return out__is_json();
}

bool out__tty(void)
{
	const char *no_color = getenv("NO_COLOR");
	const char *term = getenv("TERM");
	FILE *f = o.active ? o.out : o.out_hook ? o.out_hook : stdout;
	int fd = fileno(f);

	if (out__is_json() || (no_color && *no_color))
		return false;
	if (term && !strcmp(term, "dumb"))
		return false;
	return fd >= 0 && isatty(fd);
}

static void msgs_add(struct msgs *m, char *s)
{
	if (m->n < OUT_MAX_MSGS)
		m->v[m->n++] = s;
	else {
		m->dropped++;
		free(s);
	}
}

static void msgs_free(struct msgs *m)
{
	size_t i;

	for (i = 0; i < m->n; i++)
		free(m->v[i]);
	memset(m, 0, sizeof(*m));
}

/* The message as the arrays keep it: no prefix, no trailing newlines. */
static char *clean_copy(const char *fmt, va_list ap)
{
	static const char prefix[] = "tailgate: ";
	char *s = NULL;
	size_t n;

	if (vasprintf(&s, fmt, ap) < 0)
		return NULL;
	if (!strncmp(s, prefix, sizeof(prefix) - 1))
		memmove(s, s + sizeof(prefix) - 1, strlen(s) - sizeof(prefix) + 2);
	n = strlen(s);
	while (n && s[n - 1] == '\n')
		s[--n] = '\0';
	return s;
}

void out__vrecord(enum out_kind kind, const char *fmt, va_list ap)
{
	char *s;

	if (!out__capturing())
		return;
	s = clean_copy(fmt, ap);
	/* Out of memory: the count at least says something was lost. */
	if (!s) {
		(kind == OUT_ERROR ? &o.errors : &o.warnings)->dropped++;
		return;
	}
	msgs_add(kind == OUT_ERROR ? &o.errors : &o.warnings, s);
}

void out__record(enum out_kind kind, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	out__vrecord(kind, fmt, ap);
	va_end(ap);
}

/* "PREFIX" + message + a newline unless it has one. */
static void print_line(FILE *f, const char *prefix, const char *fmt, va_list ap)
{
	size_t n = strlen(fmt);

	fputs(prefix, f);
	log__vfprint(f, fmt, ap);
	if (!n || fmt[n - 1] != '\n')
		fputc('\n', f);
	fflush(f);
}

static void report(enum out_kind kind, const char *fmt, va_list ap)
{
	va_list aq;

	va_copy(aq, ap);
	out__vrecord(kind, fmt, aq);
	va_end(aq);
	print_line(err_stream(), "tailgate: ", fmt, ap);
}

void out__err(const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	report(OUT_ERROR, fmt, ap);
	va_end(ap);
}

void out__warn(const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	report(OUT_WARNING, fmt, ap);
	va_end(ap);
}

void out__printf(const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	log__vfprint(stdout, fmt, ap);
	va_end(ap);
}

void out__info(const char *fmt, ...)
{
	FILE *f = o.active ? o.out : o.out_hook ? o.out_hook : stdout;
	va_list ap;

	/* JSON mode: stdout is the document's alone. */
	if (out__is_json() || (o.active && o.quiet))
		return;
	va_start(ap, fmt);
	print_line(f, "", fmt, ap);
	va_end(ap);
}

static void write_msgs(jsonw_t *w, const char *name, const struct msgs *m)
{
	size_t i;

	jsonw_name(w, name);
	jsonw_start_array(w);
	for (i = 0; i < m->n; i++)
		jsonw_string(w, m->v[i]);
	if (m->dropped)
		jsonw_stringf(w, "... and %zu more (see stderr)", m->dropped);
	jsonw_end_array(w);
}

int out__finish(int exit_code)
{
	if (!o.active)
		return exit_code;
	/*
	 * Verbs report what failed with pr_warn(); on a failure those are the
	 * errors, so a script finds why in "errors" whatever the verb used.
	 */
	if (exit_code && !o.errors.n && !o.errors.dropped && o.warnings.n) {
		o.errors = o.warnings;
		memset(&o.warnings, 0, sizeof(o.warnings));
	}
	if (o.w) {
		/* An error path may have left the verb's containers open. */
		jsonw_unwind(o.w, 1);
		jsonw_int_field(o.w, "exit_code", exit_code);
		jsonw_string_field(o.w, "result", out__result_name(exit_code));
		write_msgs(o.w, "errors", &o.errors);
		write_msgs(o.w, "warnings", &o.warnings);
		jsonw_destroy(&o.w);
	}
	fflush(o.out);
	msgs_free(&o.errors);
	msgs_free(&o.warnings);
	o.active = false;
	return exit_code;
}
