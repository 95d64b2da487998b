/* SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause) */
/*
 * Attach points: one dispatcher instance per (interface, hook), with its
 * own pinned link, "slots" prog array and "stats" counters.
 *
 * Creating one is split in two so preflight can load stages against the
 * real maps before anything is attached or pinned: attach__prepare()
 * creates the maps in memory, attach__commit() pins them and attaches the
 * dispatcher. An attach point that already exists is simply opened.
 *
 * tc hooks attach through a TCX link (kernel >= 6.6). Where TCX is
 * missing, or with TAILGATE_TC_ATTACH=clsact, they fall back to a
 * direct-action filter on the clsact qdisc; the dispatcher program is
 * then pinned as "prog" in place of "link", and upgrades replace the
 * filter's program atomically (BPF_TC_F_REPLACE).
 */
#ifndef __TG_ATTACH_H
#define __TG_ATTACH_H

#include <limits.h>
#include <stdbool.h>
#include <net/if.h>

#include "plan.h"

struct dispatcher;

struct ap {
	char ifname[IF_NAMESIZE];
	enum plan_hook hook;
	int ifindex;
	char dir[PATH_MAX];	/* <pin root>/<ifname>/<hook> */
	int slots_fd;
	int stats_fd;
	int link_fd;		/* -1 until attached (or in clsact mode) */
	int prog_fd;		/* clsact mode: the pinned dispatcher */
	bool clsact;		/* tc through a clsact filter, not TCX */
	bool attached;		/* pins exist and the dispatcher is on */
	struct dispatcher *skel;	/* set while prepared, not yet committed */
};

/* Reset @ap to "nothing open"; safe to attach__close() afterwards. */
void attach__init(struct ap *ap);

/*
 * Open the pinned attach point of @ifname/@hook.
 * @return 0, -ENOENT when there is none, -ENODEV when the interface is
 * gone, -ESTALE when the interface was re-created since it was attached,
 * -ENOLINK when the pinned link was detached (an interrupted detach), or
 * another negative errno.
 */
int attach__open(struct ap *ap, const char *ifname, enum plan_hook hook);

/*
 * Open the attach point if it exists, otherwise load a dispatcher whose
 * verdict on an empty slot 0 is drop when @fail_closed, creating its maps
 * in memory only (not pinned, nothing attached).
 * @return 0 or negative errno.
 */
int attach__prepare(struct ap *ap, const char *ifname, enum plan_hook hook,
		    bool fail_closed);

/*
 * Pin the maps and attach the dispatcher (a no-op when already attached).
 * @return 0 or negative errno; on error nothing is left pinned.
 */
int attach__commit(struct ap *ap);

/*
 * Replace the dispatcher program under the live link (bpf_link_update):
 * no detach, no gap; the new program uses the same pinned maps.
 * @return 0, -ENOLINK when not attached, or negative errno.
 */
int attach__upgrade(struct ap *ap, bool fail_closed);

/* Detach the dispatcher and remove every pin of the attach point. */
int attach__detach(struct ap *ap);

/* Close fds; NULL and closed attach points are fine. */
void attach__close(struct ap *ap);

/*
 * Call @cb for each attach point pinned under the pin root, in name
 * order. Stops at and returns the first non-zero value of @cb.
 */
int attach__foreach(int (*cb)(const char *ifname, enum plan_hook hook,
			      void *ctx),
		    void *ctx);

/* bpf_link attach type for a hook (BPF_XDP, BPF_TCX_INGRESS/EGRESS). */
int attach__link_type(enum plan_hook hook);

/* BPF program type the hook runs (XDP or SCHED_CLS). */
int attach__prog_type(enum plan_hook hook);

#endif /* __TG_ATTACH_H */
