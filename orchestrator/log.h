/* SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause) */
/* Leveled logging to stderr; libbpf's own output one level down. */
#ifndef __TG_LOG_H
#define __TG_LOG_H

#include <stdarg.h>
#include <stdio.h>

enum log_level {
	LOG_WARN = 0,
	LOG_INFO,
	LOG_DEBUG,
};

/* Set the level (default LOG_WARN + 1 = info) and hook libbpf's printer. */
void log__init(int verbosity);
int log__level(void);
/* libbpf's last warning (its "libbpf: " prefix and final newline cut), or "". */
const char *log__libbpf_last(void);
void log__libbpf_clear(void);
/* vfprintf, with control characters but newline and tab shown as '?'. */
void log__vfprint(FILE *f, const char *fmt, va_list ap);

void log__printf(enum log_level level, const char *fmt, ...)
	__attribute__((format(printf, 2, 3)));

#define pr_warn(fmt, ...)  log__printf(LOG_WARN, "tailgate: " fmt, ##__VA_ARGS__)
#define pr_info(fmt, ...)  log__printf(LOG_INFO, fmt, ##__VA_ARGS__)
#define pr_debug(fmt, ...) log__printf(LOG_DEBUG, fmt, ##__VA_ARGS__)

#endif /* __TG_LOG_H */
