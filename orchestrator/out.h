/* SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause) */
/*
 * The output contract of every verb (bpftool's json_wtr, p_err(), p_info()).
 *
 * Text mode: errors and warnings go to stderr as "tailgate: MSG", info to
 * stdout unless quiet.
 *
 * JSON mode: stdout carries exactly ONE document per run:
 *
 *	{"schema_version":1,"verb":"status", ...the verb's fields...,
 *	 "exit_code":0,"result":"ok","errors":[],"warnings":[]}
 *
 * out__init() opens it, the verb adds fields through out__json(),
 * out__finish() closes it, also when the verb left containers open on an
 * error path. Errors and warnings are collected into the arrays AND still
 * written to stderr, for an operator watching the terminal; info is not
 * written at all. pr_warn() (log.c) lands in "warnings" too. The names
 * schema_version, verb, exit_code, result, errors and warnings are the
 * envelope's: verbs do not use them at the top level.
 */
#ifndef __TG_OUT_H
#define __TG_OUT_H

#include <stdarg.h>
#include <stdbool.h>
#include <stdio.h>

#include "json_writer.h"

#define OUT_SCHEMA_VERSION	1
#define OUT_MAX_MSGS		64	/* per array; the rest are counted */

enum out_kind {
	OUT_ERROR,
	OUT_WARNING,
};

/*
 * Start the output of @verb (which must outlive the run). In JSON mode the
 * root object and its first two fields are written at once.
 * @return 0, -EALREADY if a run is open, -ENOMEM.
 */
int out__init(const char *verb, bool json, bool quiet);

/*
 * Test hook: where stdout's and stderr's output goes from the next
 * out__init() on (NULL: stdout, stderr). Not owned.
 */
void out__set_streams(FILE *out, FILE *err);

/*
 * The writer for the verb's own fields, positioned inside the root object;
 * NULL in text mode and outside a run. The root cannot be closed through it.
 */
jsonw_t *out__json(void);

bool out__is_json(void);

/*
 * May the UI use escape codes and redraw lines? Only when stdout is a
 * terminal, NO_COLOR is unset or empty, TERM is not "dumb", and not JSON.
 */
bool out__tty(void);

/* A message without the "tailgate: " prefix; a trailing newline is optional. */
void out__err(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
void out__warn(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
void out__info(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
/* printf for a verb's human-readable output: control characters shown as '?'. */
void out__printf(const char *fmt, ...) __attribute__((format(printf, 1, 2)));

/*
 * Collect a message into "errors" or "warnings" without printing it, for
 * text already shown on stderr (pr_warn(), option errors). A leading
 * "tailgate: " and trailing newlines are dropped. Nothing happens outside
 * a JSON run.
 */
void out__record(enum out_kind kind, const char *fmt, ...)
	__attribute__((format(printf, 2, 3)));
void out__vrecord(enum out_kind kind, const char *fmt, va_list ap);

/* Is a JSON run collecting messages? */
bool out__capturing(void);

/*
 * End the run: in JSON mode close whatever the verb left open, write
 * exit_code, result, errors and warnings, close the root, flush. With a
 * non-zero @exit_code and no error recorded, the warnings are the errors
 * (verbs report failures with pr_warn()): "errors" says why. Without
 * a run it only returns @exit_code.
 * @return @exit_code, so a verb can end with "return out__finish(err);".
 */
int out__finish(int exit_code);

/*
 * DESIGN.md's exit codes as words: 0 "ok", 1 "usage_or_plan_error",
 * 2 "preflight_failed", 3 "rolled_back", 4 "inconsistent", 5 "busy";
 * anything else "unknown".
 */
const char *out__result_name(int exit_code);

#endif /* __TG_OUT_H */
