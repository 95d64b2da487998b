/* SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause) */
/*
 * SIGINT, SIGTERM and SIGHUP during a rollout end it the way a breached gate
 * would: what the rollout flipped goes back, exit 3. The first signal
 * sets a flag the rollout checks between steps and while it waits; a
 * second one is not caught (the default action: the process dies at
 * once and the journal is left for `tailgate recover`).
 */
#ifndef __TG_SIGNALS_H
#define __TG_SIGNALS_H

#include <signal.h>
#include <stdbool.h>
#include <stdint.h>

extern volatile sig_atomic_t signals__stop;

/* Catch SIGINT/SIGTERM/SIGHUP once; ignore SIGPIPE. */
void signals__install(void);

/* "SIGINT", "SIGTERM", "SIGHUP" (or "a signal"), for messages. */
const char *signals__name(int sig);

/* The signal that asked to stop, 0 if none. */
int signals__pending(void);

/* Sleep @ms, returning early (false) when asked to stop. */
bool signals__sleep(uint64_t ms);

#endif /* __TG_SIGNALS_H */
