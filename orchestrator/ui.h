/* SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause) */
/*
 * What the operator sees of a rollout: on a terminal, a live progress
 * line redrawn in place; otherwise plain lines; with --json, one JSON
 * object per line (an "event" field names it).
 */
#ifndef __TG_UI_H
#define __TG_UI_H

#include <stdbool.h>
#include <stdint.h>

#include "health.h"

void ui__init(bool json);

/* A one-line event: @text for people; @json_fields ("\"k\":v,...") or NULL. */
void ui__event(const char *event, const char *json_fields, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));

/*
 * Progress of an analysis: elapsed/duration, and per judged interface its
 * window (packets, drop ratio vs baseline) and verdict.
 */
void ui__analysis(int step, uint64_t elapsed_ms, uint64_t duration_ms, const char *ifname,
		  const struct health_sample *s, const struct health_result *r,
		  const struct plan_gates *g);

/* End a live progress line so the next output starts clean. */
void ui__flush(void);

#endif /* __TG_UI_H */
