/* SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause) */
/*
 * The history: finished rollouts and the events that are not rollouts
 * (manual rollbacks, detaches, recovers, restores), one JSON object per
 * line, appended and fsynced. The file rotates at HISTORY_ROTATE bytes
 * (history.jsonl -> history.jsonl.1); readers see the newest entries
 * first whatever the sizes.
 */
#ifndef __TG_HISTORY_H
#define __TG_HISTORY_H

#include <stdbool.h>

#include "journal.h"
#include "json_writer.h"

#define HISTORY_FILE		"history.jsonl"
#define HISTORY_ROTATE		(1u << 20)

/* A finished rollout. @return 0 or negative errno. */
int history__rollout(const struct rollout *ro);

/*
 * "interfaces": [{ifname, canary, state}, ...] of @ro, the same shape in
 * the history and in `tailgate status --json`.
 */
void history__json_interfaces(jsonw_t *w, const struct rollout *ro);

/* One event: @what a short verb ("rollback"), @detail for people. */
int history__event(const char *what, const char *detail);

/*
 * Call @cb with each entry, newest first, at most @max (0: all). Lines
 * that are not valid JSON are skipped. @return 0 or negative errno.
 */
int history__read(int (*cb)(const char *line, void *ctx), void *ctx, int max);

#endif /* __TG_HISTORY_H */
