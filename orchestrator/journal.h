/* SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause) */
/*
 * The rollout journal: the whole state of the one rollout in progress,
 * rewritten atomically (write, fsync, rename) BEFORE every live write it
 * describes, so a crash at any instant leaves a journal that says what may
 * have happened. The kernel says what did: one slot-0 write is atomic, so
 * each target is either on its previous or on its new generation, and
 * `tailgate recover` settles which by reading slot 0 back.
 *
 * Finished rollouts move to the history (history.c).
 */
#ifndef __TG_JOURNAL_H
#define __TG_JOURNAL_H

#include <stdbool.h>
#include <stdint.h>
#include <net/if.h>

#include "plan.h"

#define JOURNAL_FILE	"rollout.journal"

enum ro_status {
	RO_RUNNING = 0,	/* a process is driving it (or crashed doing so) */
	RO_PAUSED,	/* waiting for `promote` or `abort` */
	RO_PROMOTED,	/* every target flipped and judged healthy */
	RO_ROLLED_BACK,	/* a gate failed; flipped targets went back */
	RO_ABORTED,	/* the operator aborted, or recover after a crash */
};

enum ro_target_state {
	RT_PENDING = 0,	/* new generation loaded, not live */
	RT_FLIPPING,	/* slot-0 write to the new generation may have happened */
	RT_FLIPPED,	/* the new generation is live, not yet judged */
	RT_LIVE,	/* live and judged healthy (or no judgement asked) */
	RT_REVERTING,	/* slot-0 write back may have happened */
	RT_REVERTED,	/* back on the previous generation */
	RT_LOST,	/* the interface went away (or was re-created) */
	RT_SPLIT,	/* weighted canary: the splitting dispatcher sends the
			 * rollout's weight of flows to the new generation (may
			 * already be on when the journal says so) */
	RT_DONE,	/* already ran this plan: not part of the rollout */
};

struct ro_target {
	char ifname[IF_NAMESIZE];
	uint32_t ifindex;	/* the interface this rollout saw */
	bool canary;
	int prev_bank;		/* -1: none (slot 0 was empty) */
	int new_bank;
	bool created;		/* this rollout attached its dispatcher */
	uint64_t prev_gen;	/* generation live before, 0 if none */
	bool prev_fc;		/* its dispatcher was fail-closed */
	enum ro_target_state state;
};

struct rollout {
	uint64_t id;		/* = the generation it rolls out */
	char plan_path[PLAN_MAX_PATH];	/* as given, for messages */
	char plan_name[PLAN_MAX_NAME];
	uint8_t plan_sha[32];		/* the captured plan the rollout runs */
	enum plan_hook hook;
	enum ro_status status;
	int step;		/* index of the step to run next */
	int wave;		/* promote: waves done within the step */
	int64_t started;	/* unix seconds */
	int64_t ended;
	uint64_t prev_gen;	/* generation live before, 0 if none */
	uint32_t weight_bp;	/* weighted step in force: share of flows, 0 none */
	uint32_t seed;		/* of the flow hash, per rollout */
	char reason[512];	/* why it ended/paused, with numbers */
	struct {
		char gate[32];	/* the gate that failed, "" if none */
		char ifname[IF_NAMESIZE];
		double value;	/* measured */
		double threshold;
	} breach;
	int nr;
	struct ro_target t[PLAN_MAX_IFACES];
};

/*
 * Load the journal of the rollout in progress.
 * @return 0, -ENOENT when none is in progress, or negative errno.
 */
int journal__load(struct rollout *ro);

/* Persist @ro atomically; call before the live write it announces. */
int journal__save(const struct rollout *ro);

/* Remove the journal: the rollout is over (and in the history). */
int journal__remove(void);

/* Move an unreadable journal aside (rollout.journal.corrupt.<time>). */
int journal__move_aside(char *where, size_t len);

/* Is the rollout over (promoted, rolled back, aborted)? */
bool journal__ended(const struct rollout *ro);

/* Names for messages and the history. */
const char *journal__status_name(enum ro_status s);
const char *journal__target_state_name(enum ro_target_state s);

/* Serialise/parse (exposed for unit tests). @return bytes / 0 or -errno. */
int journal__format(const struct rollout *ro, char *buf, size_t len);
int journal__parse(const char *buf, struct rollout *ro);

#endif /* __TG_JOURNAL_H */
