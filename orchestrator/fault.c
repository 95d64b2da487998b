// SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause)
#include <signal.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "fault.h"

void fault__point(const char *name)
{
	static char want[64];
	static bool trace, init, armed;
	static long count, nth, seen;
	const char *env, *colon;
	char *end;
	long n;

	if (!init) {
		env = getenv("TAILGATE_FAULT");
		armed = env && *env;
		/* NAME, NAME:K (its K-th hit) or N (the N-th fault point of the run) */
		snprintf(want, sizeof(want), "%s", armed ? env : "");
		colon = strchr(want, ':');
		nth = colon ? strtol(colon + 1, NULL, 10) : 1;
		if (colon)
			want[colon - want] = '\0';
		trace = getenv("TAILGATE_FAULT_TRACE") != NULL;
		init = true;
	}
	if (!armed && !trace)
		return;
	count++;
	if (trace)
		fprintf(stderr, "fault point %ld: %s\n", count, name);
	if (!armed)
		return;
	n = strtol(want, &end, 10);
	if ((!*end && n == count) || (!strcmp(want, name) && ++seen == nth)) {
		fflush(NULL);
		kill(getpid(), SIGKILL);
	}
}
