/* SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause) */
/*
 * One attach point (interface + hook), rebuilt from the kernel's own
 * state each time it is opened, like libxdp's xdp_multiprog: the pinned
 * link (or clsact filter), "slots", "stats", "info", the dispatcher that
 * runs, slot 0 and both banks, with each bank's generation read from its
 * programs' names (tg<gen>s<stage>_..., or tg<gen>f<stages>_gen fused).
 * Every change to an attach point goes through here: attach, flip,
 * revert, dispatcher swaps (fail-closed, splitting), upgrade, detach.
 * Rollouts, `rollback`, `recover` and `restore` share these.
 */
#ifndef __TG_AP_H
#define __TG_AP_H

#include <limits.h>
#include <stdbool.h>
#include <stdint.h>
#include <net/if.h>
#include <linux/types.h>

#include "plan.h"

#define AP_BANK_NONE	(-1)	/* slot 0 is empty */
#define AP_BANK_FOREIGN	(-2)	/* slot 0 holds a program that heads neither bank */

struct ap_bank {
	int nr;				/* programs from the bank's head on */
	__u32 ids[TG_BANK_SLOTS];
	uint64_t gen;			/* from the head's name; 0: not tailgate's naming */
	bool fused;
	int nr_stages;			/* stages the generation holds */
	bool complete;			/* every stage present, one generation */
};

enum disp_kind {
	DISP_PLAIN = 0,		/* slot 0, nothing else */
	DISP_SPLIT,		/* weighted canary: a share of flows to the new bank */
};

struct disp_state {
	enum disp_kind kind;
	bool fail_closed;	/* verdict when slot 0 is empty */
	__u32 new_slot;		/* DISP_SPLIT: head slot of the new bank */
	__u32 prog_id;
};

struct attach_ops;

struct ap {
	char ifname[IF_NAMESIZE];
	enum plan_hook hook;
	int ifindex;
	char dir[PATH_MAX];		/* <pin root>/<ifname>/<hook> */
	int slots_fd;
	int stats_fd;
	int info_fd;
	int split_fd;			/* pinned while a weighted step runs */
	int link_fd;			/* XDP or TCX link */
	int prog_fd;			/* clsact: the filter's pinned program */
	const struct attach_ops *ops;
	bool attached;			/* pins exist, dispatcher on */
	bool skb_mode;			/* XDP attached in generic mode */
	unsigned int abi;		/* TG_ABI_VERSION it was made with (1: no info) */
	/* The kernel's view, as of the last ap__refresh(). */
	__u32 slot0;
	int live;			/* bank, AP_BANK_NONE or AP_BANK_FOREIGN */
	struct ap_bank bank[TG_NR_BANKS];
	struct disp_state disp;
	struct ap_prepared *prep;	/* maps made for a first attach, not pinned yet */
};

/* "nothing open"; ap__close() is fine afterwards. */
void ap__init(struct ap *ap);

/*
 * Open the pinned attach point and read its state from the kernel.
 * @return 0, -ENOENT (none), -ENODEV (interface gone), -ESTALE (interface
 * re-created or moved to another namespace since it was attached),
 * -ENOLINK (the link was detached: an interrupted detach), -EPROTONOSUPPORT
 * (made by a newer tailgate: message printed), or another negative errno.
 * On -ESTALE/-ENOLINK the fds stay open: detach and recover need them.
 */
int ap__open(struct ap *ap, const char *ifname, enum plan_hook hook);

/* Re-read slot 0, the banks and the dispatcher. @return 0 or -errno. */
int ap__refresh(struct ap *ap);

/*
 * Open the attach point, or when there is none make its maps in memory
 * (nothing pinned, nothing attached) so stages can be loaded against them.
 */
int ap__prepare(struct ap *ap, const char *ifname, enum plan_hook hook);

/*
 * The maps of an attach point named @name, in memory only, with no
 * interface behind it (ifindex 0): what ap__prepare() makes for an
 * interface tailgate has not attached to yet, for loading generations
 * and running them with BPF_PROG_TEST_RUN (the BPF test tables, the
 * benchmarks). ap__commit() must not be called on it.
 * @return 0 or negative errno.
 */
int ap__prepare_mem(struct ap *ap, const char *name, enum plan_hook hook);

/*
 * Pin the maps and attach a fail-open dispatcher (a no-op when attached):
 * until this attach point's own flip fills slot 0, it passes every packet,
 * whatever the plan's on_tail_miss. @skb: generic XDP.
 * @return 0 or negative errno; on error nothing is left pinned.
 */
int ap__commit(struct ap *ap, bool skb);

/* One write: slot 0 = head of @bank. @return 0, -ENOENT empty bank, -errno. */
int ap__flip(struct ap *ap, int bank);

/* Empty slot 0 (the dispatcher then passes, or drops when fail-closed). */
int ap__clear(struct ap *ap);

/*
 * The one way an attach point changes what serves: slot 0 to @bank's
 * head (AP_BANK_NONE: empty, the dispatcher passes), then, if needed,
 * the plain dispatcher with @fail_closed swapped in (this also ends a
 * weighted split: slot 0 already holds the generation that is to serve
 * when the split goes). Flips, reverts, rollbacks, recover and restore
 * all come here. @return 0 or negative errno.
 */
int ap__serve(struct ap *ap, int bank, bool fail_closed);

/*
 * Swap the dispatcher in place (bpf_link_update, or an atomic filter
 * replace): no detach, no gap. For DISP_SPLIT the split map is created,
 * set to @weight_bp/@seed and pinned; leaving DISP_SPLIT unpins it.
 */
int ap__set_dispatcher(struct ap *ap, const struct disp_state *want, __u32 weight_bp, __u32 seed);

/* Change the share of a running split: one map write. */
int ap__set_weight(struct ap *ap, __u32 weight_bp, __u32 seed);

/* Current split settings. @return 0 or -ENOENT when not splitting. */
int ap__get_weight(const struct ap *ap, __u32 *weight_bp, __u32 *seed);

/*
 * An attach point made by an older tailgate (abi < TG_ABI_VERSION): swap
 * in this version's dispatcher and record the ABI. The live generation,
 * its kept maps and counters stay. @return 0 or negative errno.
 */
int ap__upgrade(struct ap *ap);

/* Detach the dispatcher and remove every pin of the attach point. */
int ap__detach(struct ap *ap);

void ap__close(struct ap *ap);

/* The bank holding generation @gen, or AP_BANK_NONE. */
int ap__bank_of_gen(const struct ap *ap, uint64_t gen);

/*
 * Call @cb for each attach point pinned under the pin root, in name
 * order; stops at the first non-zero return.
 */
int ap__foreach(int (*cb)(const char *ifname, enum plan_hook hook, void *ctx), void *ctx);

/* Program names: "tg<gen>s<idx>_<stage>" and "tg<gen>f<n>_gen" (15 chars max). */
void ap__prog_name(char buf[16], uint64_t gen, int idx, const char *stage, bool fused, int n);
int ap__parse_prog_name(const char *name, uint64_t *gen, bool *fused, int *n);

/* BPF program type of a hook. */
int ap__prog_type(enum plan_hook hook);

/* An explanation of an ap__open() error for messages. */
const char *ap__strerror(int err);

#endif /* __TG_AP_H */
