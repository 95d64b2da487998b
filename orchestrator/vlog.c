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

void vlog__reason(const char *log, char *buf, size_t len, long *insn)
{
	const char *line = log, *next, *best = NULL;
	size_t best_len = 0, n;

	*insn = -1;
	for (; line && *line; line = next) {
		next = strchr(line, '\n');
		n = next ? (size_t)(next - line) : strlen(line);
		if (next)
			next++;
		if (isdigit((unsigned char)line[0]) && strstr(line, ": ("))
			*insn = strtol(line, NULL, 10);
		if (n && !is_stats(line)) {
			best = line;
			best_len = n;
		}
	}
	if (!best) {
		best = "no reason logged";
		best_len = strlen(best);
	}
	snprintf(buf, len, "%.*s", (int)best_len, best);
}
