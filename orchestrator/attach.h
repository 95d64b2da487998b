/* SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause) */
/*
 * How a dispatcher is attached: one table of operations per mechanism, so
 * the attach point (ap.c) never asks which one it has.
 *
 *   attach__link    XDP and TCX (kernel >= 6.6) through a bpf_link,
 *                   pinned as "link"; swaps are bpf_link_update()
 *   attach__clsact  tc where TCX is missing (or TAILGATE_TC_ATTACH=clsact):
 *                   a direct-action filter on the clsact qdisc, its
 *                   program pinned as "prog"; swaps replace the filter's
 *                   program atomically (BPF_TC_F_REPLACE)
 */
#ifndef __TG_ATTACH_H
#define __TG_ATTACH_H

#include <stdbool.h>
#include <linux/types.h>

struct ap;

struct attach_ops {
	const char *name;
	/* Find the pinned handle. @return 0, -ENOENT, or -errno. */
	int (*open)(struct ap *ap);
	/* Attach @prog_fd and pin the handle. @return 0 or -errno. */
	int (*attach)(struct ap *ap, int prog_fd, bool skb);
	/* Swap the running program, atomically. */
	int (*replace)(struct ap *ap, int prog_fd);
	/* Take the dispatcher off the interface (pins are ap.c's). */
	int (*detach)(struct ap *ap);
	/* What runs and on which interface (0: not attached any more). */
	int (*query)(const struct ap *ap, __u32 *prog_id, __u32 *ifindex);
};

extern const struct attach_ops attach__link;
extern const struct attach_ops attach__clsact;

/* tc through clsact even where TCX exists (TAILGATE_TC_ATTACH=clsact). */
bool attach__force_clsact(void);

#endif /* __TG_ATTACH_H */
