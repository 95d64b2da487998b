// SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause)
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <bpf/libbpf.h>

#include "log.h"
#include "out.h"

static int log_level = LOG_INFO;

/*
 * Messages carry names from outside (paths, interface names, what libbpf
 * and the kernel say): a control character other than newline and tab is
 * printed as '?', so no escape sequence reaches the operator's terminal.
 */
void log__vfprint(FILE *f, const char *fmt, va_list ap)
{
	char *buf = NULL, *p;
	int n;

	n = vasprintf(&buf, fmt, ap);
	if (n < 0)
		return;
	for (p = buf; *p; p++)
		if (((unsigned char)*p < 0x20 && *p != '\n' && *p != '\t') || *p == 0x7f)
			*p = '?';
	fwrite(buf, 1, n, f);
	free(buf);
}

static char libbpf_last[256];

/*
 * libbpf's warnings are ours' details: shown from -v on, its info from -vv,
 * its debug (verifier chatter) from -vvv.
 */
static int libbpf_print(enum libbpf_print_level level, const char *fmt,
			va_list ap)
{
	int need = level == LIBBPF_WARN ? LOG_DEBUG : LOG_DEBUG + 1 + (level == LIBBPF_DEBUG);
	va_list aq;
	size_t n;

	/* Its reason, not the summary after it or a verifier log (ours tells). */
	if (level == LIBBPF_WARN && !strstr(fmt, "failed to load object") &&
	    !strstr(fmt, "BEGIN PROG LOAD LOG")) {
		va_copy(aq, ap);
		vsnprintf(libbpf_last, sizeof(libbpf_last), fmt, aq);
		va_end(aq);
		n = strlen(libbpf_last);
		while (n && (libbpf_last[n - 1] == '\n' || libbpf_last[n - 1] == '.'))
			libbpf_last[--n] = '\0';
	}
	if (log_level < need)
		return 0;
	log__vfprint(stderr, fmt, ap);
	return 0;
}

const char *log__libbpf_last(void)
{
	const char *s = libbpf_last;

	return strncmp(s, "libbpf: ", 8) ? s : s + 8;
}

void log__libbpf_clear(void)
{
	libbpf_last[0] = '\0';
}

void log__init(int verbosity)
{
	log_level = LOG_INFO + verbosity;
	libbpf_set_print(libbpf_print);
}

int log__level(void)
{
	return log_level;
}

void log__printf(enum log_level level, const char *fmt, ...)
{
	va_list ap;

	if ((int)level > log_level)
		return;
	va_start(ap, fmt);
	/* With --json, a warning must reach the document, not only stderr. */
	if (level == LOG_WARN && out__capturing()) {
		va_list aq;

		va_copy(aq, ap);
		out__vrecord(OUT_WARNING, fmt, aq);
		va_end(aq);
	}
	log__vfprint(stderr, fmt, ap);
	va_end(ap);
}
