// SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause)
#include <ctype.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "vlog.h"

__u32 vlog__number(const char *log, const char *key)
{
	const char *p = log ? strstr(log, key) : NULL;

	return p ? strtoul(p + strlen(key), NULL, 10) : 0;
}

__u32 vlog__stack(const char *log)
{
	const char *p = log ? strstr(log, "stack depth ") : NULL;
	unsigned long sum = 0;
	char *end;

	if (!p)
		return 0;
	for (p += strlen("stack depth "); isdigit((unsigned char)*p); p = end + (*end == '+')) {
		sum += strtoul(p, &end, 10);
		if (*end != '+')
			break;
	}
	return sum;
}

static bool is_stats(const char *line)
{
	return !strncmp(line, "processed ", 10) || !strncmp(line, "verification time", 17) ||
	       !strncmp(line, "stack depth", 11) || !strncmp(line, "-- END", 6);
}

/* An instruction dump line ("12: (61) r2 = ..."), not a message. */
static bool is_insn(const char *line)
{
	return isdigit((unsigned char)line[0]) && strstr(line, ": (");
}

void vlog__reason(const char *log, char *buf, size_t len, long *insn)
{
	const char *line = log, *next, *best = NULL, *prev = NULL;
	size_t best_len = 0, prev_len = 0, n;

	*insn = -1;
	for (; line && *line; line = next) {
		next = strchr(line, '\n');
		n = next ? (size_t)(next - line) : strlen(line);
		if (next)
			next++;
		if (is_insn(line))
			*insn = strtol(line, NULL, 10);
		if (n && !is_stats(line)) {
			prev = best && !is_insn(best) ? best : NULL;
			prev_len = best_len;
			best = line;
			best_len = n;
		}
	}
	if (!best) {
		snprintf(buf, len, "no reason logged");
		return;
	}
	/* The last message is often the summary; the one before says where. */
	if (prev && strncmp(prev, best, best_len))
		snprintf(buf, len, "%.*s (%.*s)", (int)best_len, best, (int)prev_len, prev);
	else
		snprintf(buf, len, "%.*s", (int)best_len, best);
}
