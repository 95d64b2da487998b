// SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause)
/*
 * tailgate recover: reconcile the pins (the datapath's source of truth)
 * with the journal and the state files after a crash.
 *
 * 1. An interrupted rollout (journal status "running") is rolled back:
 *    every target whose slot 0 points at the new generation goes back to
 *    its previous one (one write each); dispatchers that rollout attached
 *    and that serve nothing are detached. A paused rollout is left alone.
 * 2. Every attach point is checked: pins of a gone or re-created
 *    interface, or a directory without a link (a crash between pinning
 *    and attaching), are removed; a bank without its head is forgotten;
 *    the state files are rewritten from the program ids in the kernel.
 */
#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "attach.h"
#include "cli.h"
#include "journal.h"
#include "lock.h"
#include "fault.h"
#include "log.h"
#include "slots.h"
#include "state.h"
#include "tailgate.h"

struct recover {
	int fixed;
	int errors;
};

static void note(struct recover *rc, const char *fmt, const char *ifname, enum plan_hook hook,
		 const char *what)
{
	char detail[256];

	snprintf(detail, sizeof(detail), fmt, ifname, plan__hook_name(hook), what);
	printf("%s\n", detail);
	journal__event("recover", detail);
	rc->fixed++;
}

/* Put one interrupted target back on its previous generation. */
static void revert_target(struct recover *rc, const struct rollout *ro, const struct ro_target *t)
{
	struct ap ap;
	int live, err;

	if (attach__open(&ap, t->ifname, ro->hook)) {
		attach__close(&ap);
		return;	/* gone: step 2 cleans its pins */
	}
	err = slots__live_bank(ap.slots_fd, &live);
	if (!err && live == t->new_bank) {
		err = t->prev_bank < 0 ? slots__clear(ap.slots_fd, TG_SLOT_ENTRY) :
					 slots__flip(ap.slots_fd, t->prev_bank);
		if (!err)
			note(rc, "%s/%s: %s", t->ifname, ro->hook,
			     "interrupted rollout reverted to the previous generation");
	}
	if (!err && t->created && t->prev_bank < 0) {
		err = attach__detach(&ap);
		state__remove_ap(t->ifname, ro->hook);
		if (!err)
			note(rc, "%s/%s: %s", t->ifname, ro->hook,
			     "dispatcher attached by the interrupted rollout removed");
	}
	if (err) {
		pr_warn("recover %s/%s: %s\n", t->ifname, plan__hook_name(ro->hook), strerror(-err));
		rc->errors++;
	}
	attach__close(&ap);
}

static int settle_journal(struct recover *rc)
{
	struct rollout *ro = calloc(1, sizeof(*ro));
	int i, err;

	if (!ro)
		return -ENOMEM;
	err = journal__load(ro);
	if (err == -ENOENT || (!err && ro->status == RO_PAUSED)) {
		if (!err)
			printf("rollout of %s (generation %" PRIu64 ") is paused: left as it is; 'tailgate promote' or 'tailgate abort' continue it\n",
			       ro->plan_name, ro->id);
		free(ro);
		return 0;
	}
	if (err) {
		pr_warn("recover: the journal is unreadable (%s); checking the pins only\n",
			strerror(-err));
		free(ro);
		return 0;
	}
	for (i = 0; i < ro->nr; i++) {
		revert_target(rc, ro, &ro->t[i]);
		fault__point("recover-after-target");
	}
	snprintf(ro->reason, sizeof(ro->reason),
		 "interrupted at step %d; recover restored the previous generation", ro->step + 1);
	ro->status = RO_ABORTED;
	ro->ended = time(NULL);
	err = journal__finish(ro);
	printf("rollout of %s (generation %" PRIu64 "): interrupted, rolled back\n", ro->plan_name,
	       ro->id);
	free(ro);
	return err;
}

/* The kernel's view of a bank overrides the state file's. */
static bool sync_bank(int slots_fd, struct state_bank *b, unsigned int bank)
{
	__u32 ids[TG_BANK_SLOTS];
	int n = slots__bank_ids(slots_fd, bank, ids), i;
	bool changed = false;

	if (n < 0)
		return false;
	if (n != b->nr_stages) {
		if (!n)
			memset(b, 0, sizeof(*b));	/* no head: nothing to flip to */
		b->nr_stages = n;
		changed = true;
	}
	for (i = 0; i < n; i++) {
		changed |= b->prog_id[i] != ids[i];
		b->prog_id[i] = ids[i];
		if (!b->stage[i][0])
			snprintf(b->stage[i], sizeof(b->stage[i]), "stage%d", i + 1);
	}
	return changed;
}

static int check_ap(const char *ifname, enum plan_hook hook, void *ctx)
{
	struct recover *rc = ctx;
	struct state_ap st;
	unsigned int b;
	bool changed = false;
	struct ap ap;
	int err, live;

	err = attach__open(&ap, ifname, hook);
	if (err == -ENOENT || err == -ENODEV || err == -ESTALE || err == -ENOLINK) {
		attach__detach(&ap);
		state__remove_ap(ifname, hook);
		note(rc, "%s/%s: %s", ifname, hook,
		     err == -ENOENT  ? "pins without an attached dispatcher removed" :
		     err == -ENODEV  ? "interface is gone: its pins were removed" :
		     err == -ENOLINK ? "dispatcher already detached (interrupted detach?): its pins were removed" :
				       "interface was re-created: the old pins were removed; apply again to attach");
		return 0;
	}
	if (err) {
		pr_warn("recover %s/%s: %s\n", ifname, plan__hook_name(hook), strerror(-err));
		rc->errors++;
		attach__close(&ap);
		return 0;
	}
	if (slots__live_bank(ap.slots_fd, &live) == -EUCLEAN) {
		pr_warn("recover %s/%s: slot 0 runs a program that heads neither bank (written by hand?); roll back or apply to fix\n",
			ifname, plan__hook_name(hook));
		rc->errors++;
	}
	state__load_ap(ifname, hook, &st);
	for (b = 0; b < TG_NR_BANKS; b++)
		changed |= sync_bank(ap.slots_fd, &st.bank[b], b);
	if (st.ifindex != (__u32)ap.ifindex) {
		st.ifindex = ap.ifindex;
		changed = true;
	}
	if (changed) {
		state__save_ap(ifname, hook, &st);
		note(rc, "%s/%s: %s", ifname, hook, "state file rewritten from the kernel's slots");
	}
	attach__close(&ap);
	return 0;
}

int do_recover(int argc, char **argv)
{
	struct recover rc = {};
	int err;

	if (argc != 1) {
		fprintf(stderr, "usage: tailgate recover\n");
		return TG_ERR_USAGE;
	}
	err = cli__need_kernel("recover") ?: lock__acquire("recover");
	if (err)
		return err;
	err = settle_journal(&rc) ?: attach__foreach(check_ap, &rc);
	if (err)
		return err;
	printf("recover: %d fix%s, %d problem%s left\n", rc.fixed, rc.fixed == 1 ? "" : "es",
	       rc.errors, rc.errors == 1 ? "" : "s");
	return rc.errors ? TG_ERR_INCONSISTENT : 0;
}
