// SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause)
#include <stdarg.h>
#include <stdio.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "cli.h"
#include "ui.h"

static bool ui_json, ui_tty, ui_line_open;

void ui__init(bool json)
{
	ui_json = json;
	ui_tty = !json && isatty(STDOUT_FILENO);
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

void ui__event(const char *event, const char *json_fields, const char *fmt, ...)
{
	char text[1024];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(text, sizeof(text), fmt, ap);
	va_end(ap);
	if (ui_json) {
		printf("{\"event\":\"%s\",\"time\":%.3f,", event, now_s());
		if (json_fields && *json_fields)
			printf("%s,", json_fields);
		printf("\"message\":");
		cli__json_str(stdout, text);
		printf("}\n");
		fflush(stdout);
		return;
	}
	ui__flush();
	printf("%s\n", text);
	fflush(stdout);
}

void ui__analysis(int step, uint64_t elapsed_ms, uint64_t duration_ms, const char *ifname,
		  const struct health_sample *s, const struct health_result *r,
		  const struct plan_gates *g)
{
	char base[32] = "n/a";

	if (r->base_drop_ratio >= 0)
		snprintf(base, sizeof(base), "%.4f", r->base_drop_ratio);
	if (ui_json) {
		printf("{\"event\":\"analysis\",\"time\":%.3f,\"step\":%d,\"elapsed_ms\":%llu,"
		       "\"duration_ms\":%llu,\"ifname\":\"%s\",\"packets\":%llu,\"drop\":%llu,"
		       "\"aborted\":%llu,\"tail_miss\":%llu,\"drop_ratio\":%.6f,"
		       "\"baseline_drop_ratio\":%s,\"verdict\":\"%s\",\"gate\":%s%s%s}\n",
		       now_s(), step + 1, (unsigned long long)elapsed_ms,
		       (unsigned long long)duration_ms, ifname, (unsigned long long)s->packets,
		       (unsigned long long)s->drop, (unsigned long long)s->aborted,
		       (unsigned long long)s->tail_miss, r->drop_ratio,
		       r->base_drop_ratio >= 0 ? base : "null", health__verdict_name(r->verdict),
		       r->gate ? "\"" : "", r->gate ? r->gate : "null", r->gate ? "\"" : "");
		fflush(stdout);
		return;
	}
	if (ui_tty && ui_line_open)
		printf("\r\033[K");
	printf("  step %d analyze %5.1fs/%.1fs %-10s packets %-8llu drop %.4f (max %.4f, baseline %s, delta max %.4f) aborted %llu/%llu misses %llu/%llu: %s",
	       step + 1, elapsed_ms / 1000.0, duration_ms / 1000.0, ifname,
	       (unsigned long long)s->packets, r->drop_ratio, g->max_drop_ratio, base,
	       g->max_drop_ratio_delta, (unsigned long long)s->aborted,
	       (unsigned long long)g->max_aborted, (unsigned long long)s->tail_miss,
	       (unsigned long long)g->max_tail_misses, health__verdict_name(r->verdict));
	if (r->verdict != HEALTH_OK)
		printf(" (%s)", r->reason);
	if (ui_tty) {
		ui_line_open = true;
	} else {
		printf("\n");
	}
	fflush(stdout);
}
