/* SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause) */
/*
 * What the operator sees of a rollout while it runs. Every event is one
 * JSON object built through the JSON writer ("event", "time", its
 * fields, "message") and kept: `apply --json` puts them all in its one
 * document, `--events` streams them as JSON lines while they happen. On
 * a terminal, an analysis redraws one progress line in place; elsewhere
 * (or with NO_COLOR) every line is plain text.
 */
#ifndef __TG_UI_H
#define __TG_UI_H

#include <stdbool.h>
#include <stdint.h>

#include "health.h"
#include "json_writer.h"

enum ui_mode {
	UI_TEXT = 0,	/* lines for people on stdout */
	UI_JSON,	/* nothing live on stdout; events go in the document */
	UI_EVENTS,	/* one JSON line per event on stdout, as it happens */
};

void ui__init(enum ui_mode mode, bool quiet);

/*
 * Start event @event; add its fields to the returned writer, then end it
 * with ui__end() and the text for people. Never NULL.
 */
jsonw_t *ui__begin(const char *event);
void ui__end(const char *fmt, ...) __attribute__((format(printf, 1, 2)));

/* An event with no fields of its own. */
void ui__event(const char *event, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

/* Progress of an analysis for one judged interface. */
void ui__analysis(int step, uint64_t elapsed_ms, uint64_t duration_ms, const char *ifname,
		  const struct health_sample *s, const struct health_sample *base,
		  const struct health_result *r, const struct plan_gates *g);

/* End a live progress line so the next output starts clean. */
void ui__flush(void);

/* Write the events so far as an array value (after a jsonw_name()). */
void ui__write_events(jsonw_t *w);

/* Forget them (after a run). */
void ui__reset(void);

#endif /* __TG_UI_H */
