// SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause)
/*
 * tailgate status: per attach point what the kernel runs (slot 0, both
 * banks read back from the prog array, their generations from the
 * programs' names, the dispatcher and its split) beside what the state
 * directory says the generations are, and a rollout in progress.
 *
 * --ready [PLAN] is a readiness check (for a DaemonSet's probe): exit 0
 * when every attach point serves a complete generation with no rollout
 * interrupted and, given PLAN, PLAN's datapath (its fingerprint) is live
 * everywhere it names; exit 1 when not (yet); 4 when recover is needed.
 */
#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cli.h"
#include "journal.h"
#include "out.h"
#include "pins.h"
#include "prepare.h"
#include "runner.h"
#include "sha256.h"
#include "store.h"
#include "tailgate.h"
#include "ui.h"

struct status_cfg {
	bool ready;
};

struct view {
	const char *ifname;
	enum plan_hook hook;
	int err;
	struct ap ap;
	struct gen_record rec[TG_NR_BANKS];
	bool has_rec[TG_NR_BANKS];
	const char *health;
	__u32 weight;
};

struct status {
	int n;
	int not_ok;
	int broken;
};

static const char *judge(const struct view *v)
{
	switch (v->err) {
	case 0:
		break;
	case -ENODEV:
		return "lost";
	case -ESTALE:
		return "stale";
	case -ENOLINK:
		return "detached";
	case -EPROTONOSUPPORT:
		return "newer";
	default:
		return "error";
	}
	if (v->ap.live == AP_BANK_FOREIGN)
		return "drift";	/* slot 0 heads neither bank */
	if (v->ap.live == AP_BANK_NONE)
		return "empty";
	if (!v->ap.bank[v->ap.live].complete && v->ap.bank[v->ap.live].gen)
		return "drift";
	if (v->ap.disp.kind == DISP_SPLIT)
		return "split";
	return "ok";
}

static void read_view(struct view *v)
{
	__u32 seed;
	int b;

	v->err = ap__open(&v->ap, v->ifname, v->hook);
	for (b = 0; b < (int)TG_NR_BANKS && v->ap.slots_fd >= 0; b++)
		v->has_rec[b] = v->ap.bank[b].gen && !store__load_gen(v->ap.bank[b].gen, &v->rec[b]);
	ap__get_weight(&v->ap, &v->weight, &seed);
	v->health = judge(v);
}

/* Stage names of bank @b from its captured plan, if any. */
static const char *stage_name(const struct view *v, int b, int i, struct plan **cache)
{
	size_t len;
	char *text;

	if (!v->has_rec[b])
		return NULL;
	if (!cache[b]) {
		text = store__get(v->rec[b].plan_sha, PLAN_MAX_FILE_SIZE, &len);
		if (text)
			cache[b] = plan__parse_buf(text, len, "captured", v->rec[b].plan_dir, NULL);
		free(text);
	}
	return cache[b] && i < cache[b]->nr_stages ? cache[b]->stages[i].name : NULL;
}

static const char *bank_role(const struct view *v, int b)
{
	if (b == v->ap.live)
		return "live";
	if (v->has_rec[b] && (v->rec[b].outcome == GEN_ROLLED_BACK || v->rec[b].outcome == GEN_ABORTED))
		return "rejected";
	return "previous";
}

static void print_text(const struct view *v, struct plan **cache)
{
	const struct ap_bank *bk;
	const char *name;
	int b, i;

	out__printf("%s/%s: %s, slot 0 = prog %u, dispatcher %s%s", v->ifname,
		    plan__hook_name(v->hook), v->health, v->ap.slot0,
		    v->ap.disp.kind == DISP_SPLIT ? "splitting" : "plain",
		    v->ap.disp.fail_closed ? " (fail-closed)" : "");
	if (v->ap.disp.kind == DISP_SPLIT)
		out__printf(", %.2f%% of flows to bank %c", v->weight / 100.0,
			    v->ap.disp.new_slot == TG_BANK_BASE(1) ? 'B' : 'A');
	out__printf("\n");
	for (b = 0; b < (int)TG_NR_BANKS; b++) {
		bk = &v->ap.bank[b];
		if (!bk->nr)
			continue;
		out__printf("    %-8s bank %c  gen %-4" PRIu64 " plan %-20s %s", bank_role(v, b),
			    'A' + b, bk->gen, v->has_rec[b] ? v->rec[b].plan_name : "-",
			    bk->fused ? "fused:" : "");
		for (i = 0; i < (bk->fused ? bk->nr_stages : bk->nr); i++) {
			name = stage_name(v, b, i, cache);
			if (bk->fused)
				out__printf(" %s[%u]", name ? name : "?", TG_BANK_BASE(b) + i);
			else
				out__printf(" %s[%u]=%u", name ? name : "?", TG_BANK_BASE(b) + i,
					    bk->ids[i]);
			if (v->has_rec[b] && v->rec[b].shadow[i])
				out__printf("(shadow)");
		}
		if (bk->fused)
			out__printf(" (one program, id %u)", bk->ids[0]);
		out__printf("\n");
	}
}

static void bank_json(jsonw_t *w, const struct view *v, int b, struct plan **cache)
{
	const struct ap_bank *bk = &v->ap.bank[b];
	char hex[2 * SHA256_LEN + 1];
	const char *name;
	int i, n = bk->fused ? bk->nr_stages : bk->nr;

	jsonw_start_object(w);
	jsonw_string_field(w, "bank", (char[2]){ 'A' + b, 0 });
	jsonw_bool_field(w, "live", b == v->ap.live);
	jsonw_bool_field(w, "rejected", !strcmp(bank_role(v, b), "rejected"));
	jsonw_uint_field(w, "generation", bk->gen);
	jsonw_string_field(w, "plan", v->has_rec[b] ? v->rec[b].plan_name : "");
	sha256__hex(v->rec[b].plan_sha, hex);
	jsonw_string_field(w, "plan_sha256", v->has_rec[b] ? hex : "");
	sha256__hex(v->rec[b].fingerprint, hex);
	jsonw_string_field(w, "fingerprint", v->has_rec[b] ? hex : "");
	jsonw_string_field(w, "outcome", v->has_rec[b] ? store__outcome_name(v->rec[b].outcome) :
							 bk->nr ? "unknown" : "");
	jsonw_string_field(w, "datapath", bk->fused ? "fused" : "chained");
	jsonw_name(w, "stages");
	jsonw_start_array(w);
	for (i = 0; i < n; i++) {
		name = stage_name(v, b, i, cache);
		jsonw_start_object(w);
		jsonw_string_field(w, "name", name ? name : "");
		jsonw_uint_field(w, "slot", TG_BANK_BASE(b) + i);
		jsonw_uint_field(w, "prog_id", bk->ids[bk->fused ? 0 : i]);
		if (v->has_rec[b])
			jsonw_bool_field(w, "shadow", v->rec[b].shadow[i]);
		jsonw_end_object(w);
	}
	jsonw_end_array(w);
	jsonw_end_object(w);
}

static void print_json(jsonw_t *w, const struct view *v, struct plan **cache)
{
	int b;

	jsonw_start_object(w);
	jsonw_string_field(w, "ifname", v->ifname);
	jsonw_string_field(w, "hook", plan__hook_name(v->hook));
	jsonw_string_field(w, "health", v->health);
	jsonw_uint_field(w, "abi", v->ap.abi);
	jsonw_uint_field(w, "slot0_prog_id", v->ap.slot0);
	if (v->ap.live >= 0)
		jsonw_string_field(w, "live_bank", (char[2]){ 'A' + v->ap.live, 0 });
	else
		jsonw_null_field(w, "live_bank");
	jsonw_uint_field(w, "live_generation", v->ap.live >= 0 ? v->ap.bank[v->ap.live].gen : 0);
	jsonw_name(w, "dispatcher");
	jsonw_start_object(w);
	jsonw_string_field(w, "kind", v->ap.disp.kind == DISP_SPLIT ? "split" : "plain");
	jsonw_bool_field(w, "fail_closed", v->ap.disp.fail_closed);
	jsonw_uint_field(w, "prog_id", v->ap.disp.prog_id);
	if (v->ap.disp.kind == DISP_SPLIT)
		jsonw_float_field(w, "weight", v->weight / 100.0);
	jsonw_end_object(w);
	jsonw_name(w, "banks");
	jsonw_start_array(w);
	for (b = 0; b < (int)TG_NR_BANKS; b++)
		bank_json(w, v, b, cache);
	jsonw_end_array(w);
	jsonw_end_object(w);
}

static int status_cb(const char *ifname, enum plan_hook hook, void *ctx)
{
	struct view *v = calloc(1, sizeof(*v));
	struct plan *cache[TG_NR_BANKS] = {};
	struct status *st = ctx;
	int b;

	if (!v)
		return -ENOMEM;
	v->ifname = ifname;
	v->hook = hook;
	read_view(v);
	if (out__json())
		print_json(out__json(), v, cache);
	else if (!tg_global.quiet)	/* -q: a probe wants the exit code only */
		print_text(v, cache);
	st->n++;
	st->not_ok += strcmp(v->health, "ok") != 0;
	st->broken += v->err || !strcmp(v->health, "drift");
	for (b = 0; b < (int)TG_NR_BANKS; b++)
		plan__free(cache[b]);
	ap__close(&v->ap);
	free(v);
	return 0;
}

/* Is PLAN's datapath live on every interface it names? */
static int plan_live(const char *path, bool *live)
{
	struct run *r = NULL;
	int err, i;

	*live = false;
	ui__init(UI_JSON, true);
	/* Only the fingerprint and the targets: nothing is loaded. */
	err = runner__check(path, &r);
	if (!err) {
		*live = true;
		for (i = 0; i < r->ro->nr; i++)
			*live &= r->ro->t[i].state == RT_DONE;
	}
	if (out__json() && r && r->plan) {
		char hex[2 * SHA256_LEN + 1];

		sha256__hex(r->rec.fingerprint, hex);
		jsonw_string_field(out__json(), "plan", r->plan->name);
		jsonw_string_field(out__json(), "plan_fingerprint", hex);
		jsonw_bool_field(out__json(), "plan_live", *live);
	}
	runner__free(r);
	return err;
}

static int run_status(void *cfg, char **pos, int nr)
{
	struct status_cfg *c = cfg;
	struct status st = {};
	jsonw_t *w = out__json();
	bool live = true;
	int err;

	err = cli__kernel("status", false);
	if (err)
		return err;
	if (w) {
		cli__rollout_json(w);
		jsonw_name(w, "attach_points");
		jsonw_start_array(w);
	}
	err = ap__foreach(status_cb, &st);
	if (w)
		jsonw_end_array(w);
	else if (!st.n && !tg_global.quiet)
		out__printf("no tailgate dispatchers under %s\n", pins__root());
	if (!err && nr)
		err = plan_live(pos[0], &live);
	if (err || !c->ready)
		return err;
	if (st.broken)
		return TG_ERR_INCONSISTENT;
	return st.not_ok || !live || !st.n ? TG_ERR_USAGE : 0;
}

static const struct opt status_opts[] = {
	OPTION_FLAG("ready", 0, struct status_cfg, ready,
		    "readiness check: exit 0 when every attach point serves a complete generation (and PLAN is live), 1 when not, 4 when recover is needed"),
	OPTION_END,
};

const struct tg_verb verb_status = {
	.def = { .name = "status", .args = "[PLAN]", .opts = status_opts, .max_pos = 1,
		 .summary = "per interface and hook: generation, stages, slot ids, dispatcher, health" },
	.cfg_size = sizeof(struct status_cfg),
	.run = run_status,
};
