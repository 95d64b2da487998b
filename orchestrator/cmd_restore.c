// SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause)
/*
 * tailgate restore [IFACE...]: after a reboot (bpffs empty) or for a
 * re-created interface, re-install each recorded attach point's last
 * promoted generation from the plan and objects captured when it rolled
 * out, kept maps refilled from their snapshots, then one write of slot 0.
 * tailgate save: snapshot the kept maps (the unit runs it at shutdown).
 */
#include <errno.h>
#include <stdarg.h>
#include <inttypes.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cli.h"
#include "history.h"
#include "journal.h"
#include "log.h"
#include "out.h"
#include "pins.h"
#include "prepare.h"
#include "snapshot.h"
#include "store.h"
#include "tailgate.h"
#include "ui.h"

struct restore {
	char **names;
	int nr;
	int done, failed, skipped;
};

static bool named(const struct restore *rs, const char *ifname)
{
	int i;

	for (i = 0; i < rs->nr; i++)
		if (!strcmp(rs->names[i], ifname))
			return true;
	return !rs->nr;
}

static void report(struct restore *rs, const struct ap_record *rec, const char *state, const char *fmt, ...)
	__attribute__((format(printf, 4, 5)));

static void report(struct restore *rs, const struct ap_record *rec, const char *state, const char *fmt, ...)
{
	char msg[400];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(msg, sizeof(msg), fmt, ap);
	va_end(ap);
	if (!strcmp(state, "failed")) {
		pr_warn("restore %s\n", msg);
		rs->failed++;
	} else if (!strcmp(state, "restored")) {
		rs->done++;
		history__event("restore", msg);
	} else {
		rs->skipped++;
	}
	if (out__json()) {
		jsonw_start_object(out__json());
		jsonw_string_field(out__json(), "ifname", rec->ifname);
		jsonw_string_field(out__json(), "hook", plan__hook_name(rec->hook));
		jsonw_string_field(out__json(), "state", state);
		jsonw_uint_field(out__json(), "generation", rec->live_gen);
		jsonw_string_field(out__json(), "message", msg);
		jsonw_end_object(out__json());
	} else if (strcmp(state, "failed")) {
		out__info("%s", msg);
	}
}

/* Kept maps come back with what `save` snapshot of them. */
static void refill(const struct ap_record *rec, struct gen_load *gl)
{
	int i, n;

	for (i = 0; i < gl->kept.nr; i++) {
		n = snapshot__load(rec->ifname, rec->hook, gl->kept.m[i].name, gl->kept.m[i].fd);
		if (n > 0)
			pr_info("%s/%s: kept map '%s': %d entries from its snapshot\n", rec->ifname,
				plan__hook_name(rec->hook), gl->kept.m[i].name, n);
	}
}

static int install(const struct ap_record *rec, struct run *r, struct ap *ap)
{
	struct gen_spec spec = { .plan = r->plan, .src = r->src, .gen = rec->live_gen,
				 .datapath = r->rec.shape == GEN_FUSED ? PLAN_DP_FUSED : PLAN_DP_CHAINED };
	struct gen_load gl;
	struct ap_record nrec = *rec;
	int err;

	err = ap__prepare(ap, rec->ifname, rec->hook);
	if (err)
		return err;
	err = gen__load(ap, &spec, 0, false, &gl);
	if (err)
		return err;
	err = ap__commit(ap, r->plan->xdp_mode == PLAN_XDP_SKB) ?: gen__install(ap, &gl);
	if (!err) {
		refill(rec, &gl);
		err = ap__serve(ap, 0, r->rec.fail_closed);
	}
	gen__release(&gl);
	if (!err) {
		nrec.ifindex = ap->ifindex;
		store__save_ap(&nrec);
	}
	return err;
}

static int restore_cb(const struct ap_record *rec, void *ctx)
{
	struct restore *rs = ctx;
	struct run *r = calloc(1, sizeof(*r));
	const char *hk = plan__hook_name(rec->hook);
	struct ap ap;
	int err;

	if (!r)
		return -ENOMEM;
	if (!named(rs, rec->ifname) || !rec->live_gen)
		goto out;
	err = ap__open(&ap, rec->ifname, rec->hook);
	if (!err && ap.live >= 0 && ap.bank[ap.live].gen == rec->live_gen) {
		report(rs, rec, "unchanged", "%s/%s: already serves generation %" PRIu64, rec->ifname, hk,
		       rec->live_gen);
		goto out_close;
	}
	if (err == -ENODEV) {
		report(rs, rec, rs->nr ? "failed" : "skipped", "%s/%s: the interface does not exist; restore it once it is back",
		       rec->ifname, hk);
		goto out_close;
	}
	if (!err) {
		report(rs, rec, "skipped", "%s/%s: attached and serving generation %" PRIu64 " (recorded: %" PRIu64 "); 'tailgate recover' reconciles",
		       rec->ifname, hk, ap.live >= 0 ? ap.bank[ap.live].gen : 0, rec->live_gen);
		goto out_close;
	}
	if (err != -ENOENT)	/* stale pins of a re-created interface: clean first */
		ap__detach(&ap);
	ap__close(&ap);
	err = store__load_gen(rec->live_gen, &r->rec) ?: prepare__captured(r);
	if (err) {
		report(rs, rec, "failed", "%s/%s: generation %" PRIu64 " has no captured plan and objects (made by an older tailgate?): apply its plan again",
		       rec->ifname, hk, rec->live_gen);
		goto out;
	}
	err = install(rec, r, &ap);
	if (err)
		report(rs, rec, "failed", "%s/%s: re-installing generation %" PRIu64 " failed: %s", rec->ifname,
		       hk, rec->live_gen, ap__strerror(err));
	else
		report(rs, rec, "restored", "%s/%s: generation %" PRIu64 " (%s) restored from its captured plan and objects",
		       rec->ifname, hk, rec->live_gen, r->rec.plan_name);
out_close:
	ap__close(&ap);
out:
	runner__free(r);
	return 0;
}

static int run_restore(void *cfg, char **pos, int nr)
{
	struct restore rs = { .names = pos, .nr = nr };
	struct rollout ro;
	int err;

	err = cli__kernel("restore", true);
	if (err)
		return err;
	if (!journal__load(&ro) && !journal__ended(&ro)) {
		pr_warn("restore: a rollout is %s; %s first\n", journal__status_name(ro.status),
			ro.status == RO_PAUSED ? "'tailgate promote' or 'tailgate abort'" : "'tailgate recover'");
		return TG_ERR_USAGE;
	}
	ui__init(UI_JSON, true);
	if (out__json()) {
		jsonw_name(out__json(), "attach_points");
		jsonw_start_array(out__json());
	}
	err = store__foreach_ap(restore_cb, &rs);
	if (out__json())
		jsonw_end_array(out__json());
	out__info("restore: %d restored, %d unchanged or skipped, %d failed", rs.done, rs.skipped,
		  rs.failed);
	return err ?: rs.failed ? TG_ERR_INCONSISTENT : 0;
}

struct save {
	int aps, maps, failed;
};

static int save_cb(const char *ifname, enum plan_hook hook, void *ctx)
{
	char dir[PATH_MAX];
	struct save *s = ctx;
	int n = 0, err;

	if (pins__ap_dir(dir, sizeof(dir), ifname, hook) ||
	    pins__path(dir + strlen(dir), sizeof(dir) - strlen(dir), "/%s", TG_PIN_MAPS_DIR))
		return 0;
	err = snapshot__save(ifname, hook, dir, &n);
	if (err) {
		pr_warn("save %s/%s: %s\n", ifname, plan__hook_name(hook), strerror(-err));
		s->failed++;
	}
	s->aps++;
	s->maps += n;
	return 0;
}

static int run_save(void *cfg, char **pos, int nr)
{
	struct save s = {};
	int err;

	err = cli__kernel("save", true) ?: ap__foreach(save_cb, &s);
	if (err)
		return err;
	if (out__json()) {
		jsonw_int_field(out__json(), "attach_points", s.aps);
		jsonw_int_field(out__json(), "maps", s.maps);
	} else {
		out__info("save: %d kept map%s of %d attach point%s", s.maps, s.maps == 1 ? "" : "s",
			  s.aps, s.aps == 1 ? "" : "s");
	}
	return s.failed ? TG_ERR_INCONSISTENT : 0;
}

const struct tg_verb verb_restore = {
	.def = { .name = "restore", .args = "[IFACE...]", .max_pos = -1,
		 .summary = "re-install the last promoted generations (after a reboot, or a re-created interface)" },
	.run = run_restore,
};

const struct tg_verb verb_save = {
	.def = { .name = "save", .args = "", .max_pos = 0,
		 .summary = "snapshot kept maps for restore (run at shutdown)" },
	.run = run_save,
};
