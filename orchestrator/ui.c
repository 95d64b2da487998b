// SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause)
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "jsonr.h"
#include "out.h"
#include "ui.h"

#define UI_MAX_EVENTS	4096

static enum ui_mode ui_mode;
static bool ui_quiet, ui_tty, ui_line_open;
static char *events[UI_MAX_EVENTS];
static int nr_events;

/* The event being built. */
static FILE *cur_f;
static char *cur_buf;
static size_t cur_len;
static jsonw_t *cur_w;
static jsonw_t *sink_w;		/* a writer to nowhere when memory runs out */

void ui__init(enum ui_mode mode, bool quiet)
{
	ui_mode = mode;
	ui_quiet = quiet;
	ui_tty = mode == UI_TEXT && out__tty();
}

void ui__flush(void)
{
	if (ui_line_open)
		fputc('\n', stdout);
	ui_line_open = false;
	fflush(stdout);
}

static double now_s(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_REALTIME, &ts);
	return ts.tv_sec + ts.tv_nsec / 1e9;
}

jsonw_t *ui__begin(const char *event)
{
	cur_buf = NULL;
	cur_f = open_memstream(&cur_buf, &cur_len);
	cur_w = cur_f ? jsonw_new(cur_f) : NULL;
	if (!cur_w) {
		if (cur_f)
			fclose(cur_f);
		free(cur_buf);
		cur_f = NULL;
		cur_buf = NULL;
		if (!sink_w)
			sink_w = jsonw_new(fopen("/dev/null", "we"));
		return sink_w;
	}
	jsonw_start_object(cur_w);
	jsonw_string_field(cur_w, "event", event);
	jsonw_float_field(cur_w, "time", now_s());
	return cur_w;
}

static void keep(char *line)
{
	size_t n = strlen(line);

	/* The writer ends its document with a newline: one line per event. */
	if (n && line[n - 1] == '\n')
		line[n - 1] = '\0';
	if (ui_mode == UI_EVENTS) {
		fputs(line, stdout);
		fputc('\n', stdout);
		fflush(stdout);
	}
	if (nr_events < UI_MAX_EVENTS)
		events[nr_events++] = line;
	else
		free(line);
}

/* Close the event being built; @print: show @text to people too. */
static void finish(const char *text, bool print)
{
	if (cur_w) {
		jsonw_string_field(cur_w, "message", text);
		jsonw_end_object(cur_w);
		jsonw_destroy(&cur_w);
		fclose(cur_f);
		cur_f = NULL;
		keep(cur_buf);
		cur_buf = NULL;
	}
	if (!print || ui_mode != UI_TEXT || ui_quiet)
		return;
	ui__flush();
	out__printf("%s\n", text);
	fflush(stdout);
}

void ui__end(const char *fmt, ...)
{
	char text[1024];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(text, sizeof(text), fmt, ap);
	va_end(ap);
	finish(text, true);
}

void ui__event(const char *event, const char *fmt, ...)
{
	char text[1024];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(text, sizeof(text), fmt, ap);
	va_end(ap);
	ui__begin(event);
	ui__end("%s", text);
}

static void analysis_fields(jsonw_t *w, int step, uint64_t elapsed_ms, uint64_t duration_ms,
			    const char *ifname, const struct health_sample *s,
			    const struct health_sample *base, const struct health_result *r)
{
	jsonw_int_field(w, "step", step + 1);
	jsonw_uint_field(w, "elapsed_ms", elapsed_ms);
	jsonw_uint_field(w, "duration_ms", duration_ms);
	jsonw_string_field(w, "ifname", ifname);
	jsonw_uint_field(w, "packets", s->packets);
	jsonw_uint_field(w, "drop", s->drop);
	jsonw_uint_field(w, "aborted", s->aborted);
	jsonw_uint_field(w, "tail_miss", s->tail_miss);
	if (base)
		jsonw_uint_field(w, "baseline_packets", base->packets);
	else
		jsonw_null_field(w, "baseline_packets");
	jsonw_float_field(w, "drop_ratio", r->drop_ratio);
	if (r->base_drop_ratio >= 0)
		jsonw_float_field(w, "baseline_drop_ratio", r->base_drop_ratio);
	else
		jsonw_null_field(w, "baseline_drop_ratio");
	jsonw_string_field(w, "verdict", health__verdict_name(r->verdict));
	if (r->gate)
		jsonw_string_field(w, "gate", r->gate);
	else
		jsonw_null_field(w, "gate");
	jsonw_string_field(w, "reason", r->reason);
}

void ui__analysis(int step, uint64_t elapsed_ms, uint64_t duration_ms, const char *ifname,
		  const struct health_sample *s, const struct health_sample *base,
		  const struct health_result *r, const struct plan_gates *g)
{
	char bdr[32] = "n/a";

	/* Kept and streamed like any event; the text is drawn below. */
	analysis_fields(ui__begin("analysis"), step, elapsed_ms, duration_ms, ifname, s, base, r);
	finish(r->reason, false);
	if (ui_mode != UI_TEXT || ui_quiet)
		return;
	if (r->base_drop_ratio >= 0)
		snprintf(bdr, sizeof(bdr), "%.4f", r->base_drop_ratio);
	if (ui_tty && ui_line_open)
		printf("\r\033[K");
	out__printf(
		"  step %d analyze %5.1fs/%.1fs %-10s packets %-8llu drop %.4f (max %.4f, baseline %s, delta max %.4f) aborted %llu/%llu misses %llu/%llu: %s",
		step + 1, elapsed_ms / 1000.0, duration_ms / 1000.0, ifname,
		(unsigned long long)s->packets, r->drop_ratio, g->max_drop_ratio, bdr,
		g->max_drop_ratio_delta, (unsigned long long)s->aborted,
		(unsigned long long)g->max_aborted, (unsigned long long)s->tail_miss,
		(unsigned long long)g->max_tail_misses, health__verdict_name(r->verdict));
	if (r->verdict != HEALTH_OK)
		out__printf(" (%s)", r->reason);
	if (ui_tty)
		ui_line_open = true;
	else
		printf("\n");
	fflush(stdout);
}

void ui__write_events(jsonw_t *w)
{
	int i;

	jsonw_start_array(w);
	for (i = 0; i < nr_events; i++)
		jsonr__copy(events[i], w);
	jsonw_end_array(w);
}

void ui__reset(void)
{
	while (nr_events > 0)
		free(events[--nr_events]);
}
