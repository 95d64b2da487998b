// SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause)
/*
 * tailgate recover: reconcile the kernel (what is live) with the journal
 * and the records (what was intended) after a crash, so nothing is left
 * for a person to untangle.
 *
 * 1. The journal. A rollout that ended but was not recorded is recorded.
 *    An interrupted one is rolled back: every target goes to where the
 *    journal says it was (first installs are detached), with the plain
 *    dispatcher. A paused one is left for promote or abort. An unreadable
 *    journal is moved aside, and step 2 decides from the records.
 * 2. Every attach point. Pins of a gone, re-created or detached interface
 *    are removed. A splitting dispatcher with no weighted step running is
 *    replaced by the plain one. A slot 0 that heads neither bank, or a
 *    generation that failed its rollout, goes back to the generation the
 *    records say should serve. The records follow what serves.
 */
#include <errno.h>
#include <inttypes.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "cli.h"
#include "fault.h"
#include "history.h"
#include "journal.h"
#include "log.h"
#include "out.h"
#include "pins.h"
#include "steps.h"
#include "store.h"
#include "tailgate.h"

struct recover {
	int fixed;
	int errors;
	struct rollout *paused;		/* its targets are left alone */
};

static void note(struct recover *rc, const char *ifname, enum plan_hook hook, const char *what)
{
	char detail[256];

	snprintf(detail, sizeof(detail), "%s/%s: %s", ifname, plan__hook_name(hook), what);
	if (out__json()) {
		jsonw_start_object(out__json());
		jsonw_string_field(out__json(), "ifname", ifname);
		jsonw_string_field(out__json(), "hook", plan__hook_name(hook));
		jsonw_string_field(out__json(), "fix", what);
		jsonw_end_object(out__json());
	} else {
		out__info("%s", detail);
	}
	history__event("recover", detail);
	rc->fixed++;
}

static void problem(struct recover *rc, const char *ifname, enum plan_hook hook, int err)
{
	pr_warn("recover %s/%s: %s\n", ifname, plan__hook_name(hook), ap__strerror(err));
	rc->errors++;
}

/* Put one interrupted target back where the journal says it was. */
static void revert_target(struct recover *rc, const struct rollout *ro, struct ro_target *t)
{
	struct ap ap;
	int err;

	if (t->state == RT_DONE || t->state == RT_LOST || t->state == RT_REVERTED)
		return;
	if (ap__open(&ap, t->ifname, ro->hook)) {
		ap__close(&ap);
		return;	/* gone: step 2 cleans its pins */
	}
	if (!t->created && ap.live == t->prev_bank && ap.disp.kind == DISP_PLAIN &&
	    ap.disp.fail_closed == t->prev_fc) {
		ap__close(&ap);
		return;	/* never flipped */
	}
	err = steps__revert_target(&ap, t);
	fault__point("recover-after-target");
	if (err)
		problem(rc, t->ifname, ro->hook, err);
	else
		note(rc, t->ifname, ro->hook, t->created ?
		     "dispatcher attached by the interrupted rollout removed: the interface is as it was" :
		     "interrupted rollout reverted to the previous generation");
	ap__close(&ap);
}

static int settle_journal(struct recover *rc)
{
	struct rollout *ro = calloc(1, sizeof(*ro));
	struct gen_record g;
	char where[PATH_MAX];
	int i, err;

	if (!ro)
		return -ENOMEM;
	err = journal__load(ro);
	if (err == -ENOENT) {
		free(ro);
		return 0;
	}
	if (err) {
		err = journal__move_aside(where, sizeof(where));
		pr_warn("recover: the rollout journal is unreadable; %s%s; deciding from the records and the kernel\n",
			err ? "and could not be moved aside: " : "moved it to ",
			err ? strerror(-err) : where);
		free(ro);
		return err;
	}
	if (ro->status == RO_PAUSED) {
		out__info("rollout of %s (generation %" PRIu64 ") is paused: left as it is; 'tailgate promote' or 'tailgate abort' continue it",
			  ro->plan_name, ro->id);
		rc->paused = ro;
		return 0;
	}
	if (!journal__ended(ro)) {
		for (i = 0; i < ro->nr; i++)
			revert_target(rc, ro, &ro->t[i]);
		snprintf(ro->reason, sizeof(ro->reason),
			 "interrupted at step %d; recover restored the previous generation", ro->step + 1);
		ro->status = RO_ABORTED;
		ro->ended = time(NULL);
		if (!store__load_gen(ro->id, &g)) {
			g.outcome = GEN_ABORTED;
			store__save_gen(&g);
		}
		out__info("rollout of %s (generation %" PRIu64 "): interrupted, rolled back",
			  ro->plan_name, ro->id);
	}
	err = history__rollout(ro) ?: journal__remove();
	if (err)
		pr_warn("recover: the rollout of %s (generation %" PRIu64 ") cannot be recorded in the history under %s: %s; the journal is kept until it can (make the history writable, or free space, and run 'tailgate recover' again)\n",
			ro->plan_name, ro->id, pins__state_dir(), strerror(-err));
	free(ro);
	return err;
}

static bool in_paused(const struct recover *rc, const char *ifname, enum plan_hook hook)
{
	int i;

	if (!rc->paused || rc->paused->hook != hook)
		return false;
	for (i = 0; i < rc->paused->nr; i++)
		if (!strcmp(rc->paused->t[i].ifname, ifname))
			return true;
	return false;
}

static bool rejected(uint64_t gen)
{
	struct gen_record g;

	return gen && !store__load_gen(gen, &g) &&
	       (g.outcome == GEN_ROLLED_BACK || g.outcome == GEN_ABORTED || g.outcome == GEN_RUNNING);
}

/*
 * The bank that should serve. The kernel says what is live: a complete
 * generation that did not fail its rollout stays (a manual rollback the
 * records had no time to note included). Otherwise the one the records
 * say served last, else any complete one that did not fail.
 */
static int wanted_bank(const struct ap *ap, const struct ap_record *rec)
{
	int b;

	if (ap->live >= 0 && (ap->bank[ap->live].complete || !ap->bank[ap->live].gen) &&
	    !rejected(ap->bank[ap->live].gen))
		return ap->live;
	b = ap__bank_of_gen(ap, rec->live_gen);
	if (b >= 0 && ap->bank[b].complete)
		return b;
	for (b = 0; b < (int)TG_NR_BANKS; b++)
		if (ap->bank[b].complete && !rejected(ap->bank[b].gen))
			return b;
	return ap->live >= 0 ? ap->live : AP_BANK_NONE;
}

static void repair(struct recover *rc, struct ap *ap, struct ap_record *rec)
{
	struct gen_record g = {};
	int want = wanted_bank(ap, rec), err;
	bool fc;

	if (want >= 0 && ap->bank[want].gen)
		store__load_gen(ap->bank[want].gen, &g);
	fc = want >= 0 && g.gen ? g.fail_closed : ap->disp.fail_closed;
	if (want == ap->live && ap->disp.kind == DISP_PLAIN && ap->live != AP_BANK_FOREIGN) {
		if (want >= 0 && ap->bank[want].gen && !ap->bank[want].complete) {
			pr_warn("recover %s/%s: generation %" PRIu64 " serves with stages missing from its slots and no complete generation is loaded to serve instead; 'tailgate apply --force PLAN' installs a whole one\n",
				ap->ifname, plan__hook_name(ap->hook), ap->bank[want].gen);
			rc->errors++;
		}
		return;
	}
	err = ap__serve(ap, want, fc);
	if (err) {
		problem(rc, ap->ifname, ap->hook, err);
		return;
	}
	note(rc, ap->ifname, ap->hook, want == AP_BANK_NONE ? "slot 0 emptied: no complete generation to serve" :
	     "slot 0 and the dispatcher set back to the generation that should serve");
}

static int check_ap(const char *ifname, enum plan_hook hook, void *ctx)
{
	struct recover *rc = ctx;
	struct ap_record rec;
	struct ap ap;
	int err;

	err = ap__open(&ap, ifname, hook);
	if (err == -ENOENT || err == -ENODEV || err == -ESTALE || err == -ENOLINK) {
		ap__detach(&ap);
		/* A gone or re-created interface keeps its record: 'tailgate
		 * restore IFACE' re-installs its generation from it once back. */
		if (err != -ENODEV && err != -ESTALE)
			store__remove_ap(ifname, hook);
		note(rc, ifname, hook,
		     err == -ENOENT  ? "pins without an attached dispatcher removed" :
		     err == -ENODEV  ? "interface is gone: its pins were removed" :
		     err == -ENOLINK ? "dispatcher already detached (interrupted detach?): its pins were removed" :
				       "interface was re-created: the old pins were removed; 'tailgate restore' re-installs its generation");
		return 0;
	}
	if (err) {
		problem(rc, ifname, hook, err);
		ap__close(&ap);
		return 0;
	}
	if (!in_paused(rc, ifname, hook)) {
		store__load_ap(ifname, hook, &rec);
		repair(rc, &ap, &rec);
		if (ap.live >= 0 && (rec.live_gen != ap.bank[ap.live].gen || rec.ifindex != (__u32)ap.ifindex)) {
			rec.live_gen = ap.bank[ap.live].gen;
			rec.ifindex = ap.ifindex;
			store__save_ap(&rec);
		}
	}
	ap__close(&ap);
	return 0;
}

static int run_recover(void *cfg, char **pos, int nr)
{
	struct recover rc = {};
	int err;

	err = cli__kernel("recover", true);
	if (err)
		return err;
	if (out__json()) {
		jsonw_name(out__json(), "fixes");
		jsonw_start_array(out__json());
	}
	err = settle_journal(&rc);
	if (err && err != -ENOENT)
		rc.errors++;
	err = ap__foreach(check_ap, &rc);
	free(rc.paused);
	if (err)
		return err;
	if (out__json()) {
		jsonw_end_array(out__json());
		jsonw_int_field(out__json(), "fixed", rc.fixed);
		jsonw_int_field(out__json(), "problems", rc.errors);
	} else {
		out__info("recover: %d fix%s, %d problem%s left", rc.fixed, rc.fixed == 1 ? "" : "es",
			  rc.errors, rc.errors == 1 ? "" : "s");
	}
	return rc.errors ? TG_ERR_INCONSISTENT : 0;
}

const struct tg_verb verb_recover = {
	.def = { .name = "recover", .args = "", .max_pos = 0,
		 .summary = "reconcile the pins with the journal after a crash" },
	.run = run_recover,
};
