// SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause)
/*
 * tailgate history [--json]: rollouts and events, newest first. The file
 * is tailgate's own JSON lines; --json prints them as one array.
 */
#include <errno.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "journal.h"
#include "pins.h"
#include "state.h"
#include "tailgate.h"

#define HISTORY_MAX_SIZE (64u << 20)

/* The string value of "key" in one of our own JSON lines, unescaped. */
static void get_str(const char *line, const char *key, char *out, size_t len)
{
	char pat[64];
	const char *p;
	size_t n = 0;

	snprintf(pat, sizeof(pat), "\"%s\":\"", key);
	p = strstr(line, pat);
	out[0] = '\0';
	if (!p)
		return;
	for (p += strlen(pat); *p && *p != '"' && n + 1 < len; p++) {
		if (*p == '\\' && p[1])
			p++;
		out[n++] = *p;
	}
	out[n] = '\0';
}

static long long get_num(const char *line, const char *key)
{
	char pat[64];
	const char *p;

	snprintf(pat, sizeof(pat), "\"%s\":", key);
	p = strstr(line, pat);
	return p ? strtoll(p + strlen(pat), NULL, 10) : 0;
}

static void fmt_time(long long t, char *buf, size_t len)
{
	time_t tt = t;
	struct tm tm;

	strftime(buf, len, "%Y-%m-%d %H:%M:%S", localtime_r(&tt, &tm));
}

static void print_line(const char *line)
{
	char when[32], plan[PLAN_MAX_NAME], outcome[32], reason[600], hook[16];

	if (strstr(line, "\"type\":\"event\"")) {
		fmt_time(get_num(line, "time"), when, sizeof(when));
		get_str(line, "what", outcome, sizeof(outcome));
		get_str(line, "detail", reason, sizeof(reason));
		printf("%s  %-11s %s\n", when, outcome, reason);
		return;
	}
	fmt_time(get_num(line, "ended"), when, sizeof(when));
	get_str(line, "plan", plan, sizeof(plan));
	get_str(line, "outcome", outcome, sizeof(outcome));
	get_str(line, "reason", reason, sizeof(reason));
	get_str(line, "hook", hook, sizeof(hook));
	printf("%s  %-11s generation %lld (previous %lld) plan %s on %s%s%s\n", when, outcome,
	       get_num(line, "generation"), get_num(line, "previous_generation"), plan, hook,
	       reason[0] ? ": " : "", reason);
}

int do_history(int argc, char **argv)
{
	char path[PATH_MAX], *buf, *lines[65536];
	int n = 0, i;
	char *save = NULL, *l;

	if (argc == 2 && !strcmp(argv[1], "--json"))
		tg_opts.json = true;
	else if (argc != 1) {
		fprintf(stderr, "usage: tailgate history [--json]\n");
		return TG_ERR_USAGE;
	}
	if (state__path(path, sizeof(path), HISTORY_FILE))
		return -ENAMETOOLONG;
	buf = pins__read_file(path, HISTORY_MAX_SIZE, NULL);
	if (!buf && errno != ENOENT)
		return -errno;
	for (l = buf ? strtok_r(buf, "\n", &save) : NULL; l && n < 65536; l = strtok_r(NULL, "\n", &save))
		lines[n++] = l;
	if (tg_opts.json)
		printf("[");
	for (i = n - 1; i >= 0; i--) {
		if (tg_opts.json)
			printf("%s%s", i == n - 1 ? "" : ",\n", lines[i]);
		else
			print_line(lines[i]);
	}
	if (tg_opts.json)
		printf("]\n");
	else if (!n)
		printf("no rollouts yet\n");
	free(buf);
	return 0;
}
