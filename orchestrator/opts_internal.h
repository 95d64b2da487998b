/* SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause) */
/* What opts.c (parsing) and opts_help.c (generated text) share. */
#ifndef __TG_OPTS_INTERNAL_H
#define __TG_OPTS_INTERNAL_H

#include <stdbool.h>
#include <stddef.h>
#include <stdio.h>

#include "opts.h"

#define NR_GLOBALS	5

/* -v, -j, -q, -h, --version; their offsets are into struct opts_global. */
extern const struct opt opts__globals[NR_GLOBALS + 1];

/* Options in @t before OPTION_END (0 for NULL). */
int opts__nr(const struct opt *t);

bool opts__takes_value(const struct opt *o);

/* @o's metavar, or the one its type implies (N, DURATION, VALUE). */
const char *opts__metavar(const struct opt *o);

/* @o's range as "MIN..MAX" or "at least MIN", durations as plans write them. */
void opts__fmt_range(char *buf, size_t len, const struct opt *o);

/* "a, b, c" from a NULL-terminated list, truncated to @len. */
void opts__join_names(char *buf, size_t len, const char *const *names);

#endif /* __TG_OPTS_INTERNAL_H */
