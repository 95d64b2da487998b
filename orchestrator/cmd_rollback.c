// SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause)
/*
 * tailgate rollback IFACE... | --all: make the other bank live again on
 * every hook of the named interfaces: one write of slot 0 each.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "attach.h"
#include "cli.h"
#include "journal.h"
#include "lock.h"
#include "fault.h"
#include "log.h"
#include "slots.h"
#include "state.h"
#include "tailgate.h"

static int rollback_cb(const char *ifname, enum plan_hook hook, void *ctx)
{
	const char *hk = plan__hook_name(hook);
	char msg[256];
	struct state_ap st;
	unsigned int to;
	struct ap ap;
	int live, err;

	err = attach__open(&ap, ifname, hook);
	if (err) {
		pr_warn("rollback %s/%s: %s; run 'tailgate recover'\n", ifname, hk, strerror(-err));
		attach__close(&ap);
		return TG_ERR_INCONSISTENT;
	}
	err = slots__live_bank(ap.slots_fd, &live);
	if (err || live == SLOTS_BANK_NONE) {
		pr_warn("rollback %s/%s: %s\n", ifname, hk,
			err ? "slot 0 heads neither bank; run 'tailgate recover'" :
			      "no generation is live, nothing to roll back");
		attach__close(&ap);
		return err ? TG_ERR_INCONSISTENT : (int)-ENOENT;
	}
	to = !live;
	state__load_ap(ifname, hook, &st);
	if (st.bank[to].rejected && !*(bool *)ctx) {
		pr_warn("rollback %s/%s: bank %c holds generation %llu (%s), which failed its rollout and was rolled back; nothing older is loaded. Use 'tailgate rollback --force %s' to flip onto it anyway\n",
			ifname, hk, 'A' + to, (unsigned long long)st.bank[to].gen, st.bank[to].plan,
			ifname);
		attach__close(&ap);
		return -EEXIST;
	}
	err = slots__flip(ap.slots_fd, to);
	fault__point("after-rollback-flip");
	attach__close(&ap);
	if (err) {
		pr_warn("rollback %s/%s: %s\n", ifname, hk,
			err == -ENOENT ? "no previous generation is loaded" : strerror(-err));
		return err;
	}
	snprintf(msg, sizeof(msg), "%s/%s: rolled back to generation %llu (%s), bank %c", ifname, hk,
		 (unsigned long long)st.bank[to].gen, st.bank[to].plan[0] ? st.bank[to].plan : "?",
		 'A' + to);
	printf("%s\n", msg);
	journal__event("rollback", msg);
	return 0;
}

/*
 * A paused (or interrupted) rollout owns its targets' banks: flipping one
 * by hand would put the unvetted generation into service behind the
 * rollout's back, or leave the journal describing a state that is gone.
 */
static int check_no_rollout(void)
{
	struct rollout *ro = calloc(1, sizeof(*ro));
	bool paused;
	int err;

	if (!ro)
		return -ENOMEM;
	err = journal__load(ro);
	if (err == -ENOENT) {
		free(ro);
		return 0;
	}
	paused = !err && ro->status == RO_PAUSED;
	if (paused)
		pr_warn("rollback: the rollout of %s (generation %llu) is paused; 'tailgate abort' rolls it back, 'tailgate promote' continues it\n",
			ro->plan_name, (unsigned long long)ro->id);
	else
		pr_warn("rollback: a rollout was interrupted; run 'tailgate recover' first\n");
	free(ro);
	return paused ? -EBUSY : TG_ERR_INCONSISTENT;
}

int do_rollback(int argc, char **argv)
{
	bool force = argc > 1 && !strcmp(argv[1], "--force");
	int err;

	err = cli__need_kernel("rollback") ?: lock__acquire("rollback") ?: check_no_rollout();
	if (err)
		return err;
	if (force) {
		argv[1] = argv[0];
		return cli__foreach_named(argc - 1, argv + 1, "rollback", rollback_cb, &force);
	}
	return cli__foreach_named(argc, argv, "rollback", rollback_cb, &force);
}
