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
	static const char *want;
	static bool trace, init;
	static long count;
	char *end;
	long n;

	if (!init) {
		want = getenv("TAILGATE_FAULT");
		trace = getenv("TAILGATE_FAULT_TRACE") != NULL;
		init = true;
	}
	if (!want && !trace)
		return;
	count++;
	if (trace)
		fprintf(stderr, "fault point %ld: %s\n", count, name);
	if (!want)
		return;
	n = strtol(want, &end, 10);
	if ((!*end && n == count) || !strcmp(want, name)) {
		fflush(NULL);
		kill(getpid(), SIGKILL);
	}
}
