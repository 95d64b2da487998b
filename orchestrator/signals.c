// SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause)
#include <errno.h>
#include <string.h>
#include <time.h>

#include "signals.h"

volatile sig_atomic_t signals__stop;

static void on_signal(int sig)
{
	struct sigaction dfl = { .sa_handler = SIG_DFL };

	signals__stop = sig;
	/* The next one takes the default action: exit now, recover later. */
	sigaction(SIGINT, &dfl, NULL);
	sigaction(SIGTERM, &dfl, NULL);
	sigaction(SIGHUP, &dfl, NULL);
}

void signals__install(void)
{
	struct sigaction sa = { .sa_handler = on_signal }, ign = { .sa_handler = SIG_IGN };

	sigemptyset(&sa.sa_mask);
	sigaction(SIGINT, &sa, NULL);
	sigaction(SIGTERM, &sa, NULL);
	/* The operator's terminal went away (ssh dropped): the same as
	 * SIGTERM, never a canary left on an unvetted generation. */
	sigaction(SIGHUP, &sa, NULL);
	sigaction(SIGPIPE, &ign, NULL);
}

const char *signals__name(int sig)
{
	switch (sig) {
	case SIGINT:
		return "SIGINT";
	case SIGTERM:
		return "SIGTERM";
	case SIGHUP:
		return "SIGHUP";
	default:
		return "a signal";
	}
}

int signals__pending(void)
{
	return signals__stop;
}

bool signals__sleep(uint64_t ms)
{
	struct timespec ts = { ms / 1000, (ms % 1000) * 1000000L };

	while (!signals__stop && nanosleep(&ts, &ts) && errno == EINTR)
		;
	return !signals__stop;
}
