// SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause)
/*
 * tailgate rollback IFACE... | --all: make the other bank live again on
 * every hook of the named interfaces, one write of slot 0 each. Refused
 * while a rollout owns the banks (abort it instead), and onto a
 * generation whose rollout failed unless --force. --hook limits it to the
 * attach points of one hook (a fleet engine undoing one plan's rollout
 * leaves the interface's other hooks alone). Goes on past a failing
 * attach point and says what was and was not done (exit 4 when partial).
 */
#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cli.h"
#include "fault.h"
#include "history.h"
#include "journal.h"
#include "log.h"
#include "out.h"
#include "pins.h"
#include "store.h"
#include "tailgate.h"

struct rollback_cfg {
	bool all;
	bool force;
	const char *hook_name;	/* --hook: only attach points of this hook */
	enum plan_hook hook;
	int matched;		/* attach points of that hook that were named */
};

static void result(const char *ifname, enum plan_hook hook, const char *state, uint64_t gen,
		   const char *msg)
{
	jsonw_t *w = out__json();

	if (!w) {
		if (msg)
			out__info("%s", msg);
		return;
	}
	jsonw_start_object(w);
	jsonw_string_field(w, "ifname", ifname);
	jsonw_string_field(w, "hook", plan__hook_name(hook));
	jsonw_string_field(w, "state", state);
	jsonw_uint_field(w, "generation", gen);
	jsonw_string_field(w, "message", msg ? msg : "");
	jsonw_end_object(w);
}

static enum cli_each rollback_cb(const char *ifname, enum plan_hook hook, void *ctx)
{
	struct rollback_cfg *c = ctx;
	const char *hk = plan__hook_name(hook);
	struct gen_record g = {};
	struct ap_record rec;
	char msg[256];
	struct ap ap;
	int to, err;

	if (c->hook_name && hook != c->hook)
		return CLI_SKIPPED;
	c->matched++;
	err = ap__open(&ap, ifname, hook);
	if (err || ap.live == AP_BANK_FOREIGN) {
		snprintf(msg, sizeof(msg), "%s/%s: %s", ifname, hk,
			 err ? ap__strerror(err) : "slot 0 heads neither bank; run 'tailgate recover'");
		pr_warn("rollback %s\n", msg);
		result(ifname, hook, "failed", 0, msg);
		ap__close(&ap);
		return CLI_FAILED;
	}
	to = ap.live == AP_BANK_NONE ? -1 : !ap.live;
	if (to < 0 || !ap.bank[to].nr || (ap.bank[to].gen && !ap.bank[to].complete)) {
		/* Nothing to go back to is no error; with --all it is no news. */
		snprintf(msg, sizeof(msg), "%s/%s: %s", ifname, hk, to < 0 ?
			 "no generation is live, nothing to roll back" :
			 "no complete previous generation is loaded, nothing to roll back to");
		if (!c->all)
			pr_warn("rollback %s\n", msg);
		result(ifname, hook, c->all ? "skipped" : "refused", to < 0 ? 0 : ap.bank[ap.live].gen, msg);
		ap__close(&ap);
		return c->all ? CLI_SKIPPED : CLI_REFUSED;
	}
	/*
	 * Only a promoted generation was vetted. No rollout is in progress
	 * (check_no_rollout), so one still "running" is a rollout whose end
	 * could not be recorded (a full state file system): never vetted.
	 */
	if (ap.bank[to].gen && !store__load_gen(ap.bank[to].gen, &g) && g.outcome != GEN_PROMOTED &&
	    g.outcome != GEN_UNKNOWN && !c->force) {
		snprintf(msg, sizeof(msg), "%s/%s: bank %c holds generation %" PRIu64 " (%s), which %s; nothing older is loaded. 'tailgate rollback --force %s' flips onto it anyway",
			 ifname, hk, 'A' + to, ap.bank[to].gen, g.plan_name,
			 g.outcome == GEN_RUNNING ? "was never promoted (its rollout's end was not recorded)" :
						    "failed its rollout", ifname);
		pr_warn("rollback %s\n", msg);
		result(ifname, hook, "refused", ap.bank[ap.live].gen, msg);
		ap__close(&ap);
		return CLI_REFUSED;
	}
	err = ap__serve(&ap, to, ap.bank[to].gen && g.gen ? g.fail_closed : ap.disp.fail_closed);
	fault__point("after-rollback-flip");
	if (err) {
		snprintf(msg, sizeof(msg), "%s/%s: %s", ifname, hk, ap__strerror(err));
		pr_warn("rollback %s\n", msg);
		result(ifname, hook, "failed", 0, msg);
		ap__close(&ap);
		return CLI_FAILED;
	}
	snprintf(msg, sizeof(msg), "%s/%s: rolled back to generation %" PRIu64 " (%s), bank %c", ifname,
		 hk, ap.bank[to].gen, g.plan_name[0] ? g.plan_name : "?", 'A' + to);
	if (!store__load_ap(ifname, hook, &rec)) {
		rec.live_gen = ap.bank[to].gen;
		rec.ifindex = ap.ifindex;
		err = store__save_ap(&rec);
		if (err) {
			/* Served, not recorded: a restore after a reboot would
			 * bring the other generation back. */
			pr_warn("rollback %s, but its record cannot be written in %s (%s): 'tailgate restore' would bring back generation %" PRIu64 "; run 'tailgate recover' once there is room\n",
				msg, pins__state_dir(), strerror(-err), ap.bank[!to].gen);
			history__event("rollback", msg);
			result(ifname, hook, "unrecorded", ap.bank[to].gen, msg);
			ap__close(&ap);
			return CLI_FAILED;
		}
	}
	history__event("rollback", msg);
	result(ifname, hook, "rolled_back", ap.bank[to].gen, msg);
	ap__close(&ap);
	return CLI_DONE;
}

/*
 * A paused (or interrupted) rollout owns its targets' banks: flipping one
 * by hand would put the unvetted generation into service behind its back.
 */
static int check_no_rollout(void)
{
	struct rollout *ro = calloc(1, sizeof(*ro));
	int err, ret;

	if (!ro)
		return -ENOMEM;
	err = journal__load(ro);
	if (err == -ENOENT || (!err && journal__ended(ro))) {
		ret = 0;
	} else if (!err && ro->status == RO_PAUSED) {
		pr_warn("rollback: the rollout of %s (generation %" PRIu64 ") is paused; 'tailgate abort' rolls it back, 'tailgate promote' continues it\n",
			ro->plan_name, ro->id);
		ret = TG_ERR_USAGE;
	} else {
		pr_warn("rollback: a rollout was interrupted; run 'tailgate recover' first\n");
		ret = TG_ERR_INCONSISTENT;
	}
	free(ro);
	return ret;
}

static int run_rollback(void *cfg, char **pos, int nr)
{
	struct rollback_cfg *c = cfg;
	int err;

	/* On every path, so a script finds the array (empty when refused). */
	if (out__json()) {
		jsonw_name(out__json(), "attach_points");
		jsonw_start_array(out__json());
	}
	if (c->hook_name && plan__hook_from_name(c->hook_name, &c->hook)) {
		pr_warn("rollback: unknown hook '%s' (xdp, tc-ingress or tc-egress)\n", c->hook_name);
		return TG_ERR_USAGE;
	}
	err = cli__kernel("rollback", true) ?: check_no_rollout();
	if (err)
		return err;
	err = cli__foreach("rollback", pos, nr, c->all, rollback_cb, c);
	if (!err && c->hook_name && !c->matched) {
		pr_warn("rollback: no tailgate dispatcher on hook %s of %s (see 'tailgate status')\n",
			c->hook_name, c->all ? "any interface" : "the named interfaces");
		return TG_ERR_USAGE;
	}
	return err;
}

static const struct opt rollback_opts[] = {
	OPTION_FLAG("all", 'a', struct rollback_cfg, all, "every attach point"),
	OPTION_FLAG("force", 'f', struct rollback_cfg, force,
		    "flip even onto a generation whose rollout failed"),
	OPTION_STRING("hook", 0, struct rollback_cfg, hook_name, "HOOK",
		      "only the attach points of HOOK (xdp, tc-ingress, tc-egress)"),
	OPTION_END,
};

const struct tg_verb verb_rollback = {
	.def = { .name = "rollback", .args = "IFACE... | --all", .opts = rollback_opts,
		 .max_pos = -1, .summary = "flip back to the previous generation, one write each" },
	.cfg_size = sizeof(struct rollback_cfg),
	.run = run_rollback,
};
