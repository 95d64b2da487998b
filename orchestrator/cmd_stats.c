// SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause)
/*
 * tailgate stats: per-stage counters of every attach point (slot 0 and
 * every occupied bank slot, live and previous generation), with rates
 * over one interval: every attach point is read, the interval waited
 * once, and every attach point read again. --prometheus writes the text
 * exposition format (metrics.c), --output FILE replaces FILE atomically.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cli.h"
#include "counters.h"
#include "log.h"
#include "metrics.h"
#include "out.h"
#include "signals.h"
#include "slots.h"
#include "tailgate.h"

struct stats_cfg {
	uint64_t interval_ms;
	bool prometheus;
	const char *output;
};

struct collect {
	struct stats_set *set;
	int err;
};

static int collect_cb(const char *ifname, enum plan_hook hook, void *ctx)
{
	struct collect *c = ctx;

	if (c->set->nr >= STATS_MAX_APS)
		return -E2BIG;
	metrics__read_ap(&c->set->ap[c->set->nr], ifname, hook);
	c->set->nr++;
	return 0;
}

static void print_text(const struct stats_ap *a, bool rates)
{
	char stage[PLAN_MAX_NAME + 16];
	int i, k;

	out__printf("%s/%s:\n  %-4s %-16s %-3s", a->ifname, plan__hook_name(a->hook), "slot",
		    "stage", "gen");
	for (k = 0; k < (int)COUNTERS_NR; k++)
		out__printf(" %12s", counters__names[k]);
	out__printf("%s\n", rates ? "        pps" : "");
	for (i = 0; i < a->nr; i++) {
		snprintf(stage, sizeof(stage), "%s%s", a->row[i].stage,
			 a->row[i].shadow ? " (shadow)" : "");
		out__printf("  %-4u %-16s %-3s", a->row[i].slot, stage, a->row[i].role);
		for (k = 0; k < (int)COUNTERS_NR; k++)
			out__printf(" %12llu", (unsigned long long)((__u64 *)&a->row[i].now)[k]);
		if (rates)
			out__printf(" %10.1f", a->row[i].pps);
		out__printf("\n");
	}
}

static void print_json(jsonw_t *w, const struct stats_ap *a, bool rates)
{
	int i, k;

	jsonw_start_object(w);
	jsonw_string_field(w, "ifname", a->ifname);
	jsonw_string_field(w, "hook", plan__hook_name(a->hook));
	if (a->err)
		jsonw_string_field(w, "error", strerror(-a->err));
	jsonw_name(w, "slots");
	jsonw_start_array(w);
	for (i = 0; i < a->nr; i++) {
		jsonw_start_object(w);
		jsonw_uint_field(w, "slot", a->row[i].slot);
		jsonw_string_field(w, "stage", a->row[i].stage);
		jsonw_string_field(w, "generation_role", a->row[i].role);
		jsonw_bool_field(w, "shadow", a->row[i].shadow);
		jsonw_uint_field(w, "generation", a->row[i].gen);
		for (k = 0; k < (int)COUNTERS_NR; k++)
			jsonw_uint_field(w, counters__names[k], ((__u64 *)&a->row[i].now)[k]);
		if (rates)
			jsonw_float_field(w, "pps", a->row[i].pps);
		jsonw_end_object(w);
	}
	jsonw_end_array(w);
	jsonw_end_object(w);
}

static int run_stats(void *cfg, char **pos, int nr)
{
	struct stats_cfg *c = cfg;
	struct stats_set *set = calloc(1, sizeof(*set));
	struct collect col = { .set = set };
	bool rates = c->interval_ms && !c->prometheus;
	jsonw_t *w = out__json();
	int i, err;

	if (!set)
		return -ENOMEM;
	/* One document on stdout: the metrics go to a file, or JSON is off. */
	if (c->output && !c->prometheus) {
		pr_warn("stats: --output writes the Prometheus text format: add --prometheus\n");
		free(set);
		return TG_ERR_USAGE;
	}
	if (c->prometheus && !c->output && w) {
		pr_warn("stats: --prometheus and --json both want stdout: drop one, or give --output FILE for the metrics\n");
		free(set);
		return TG_ERR_USAGE;
	}
	err = cli__kernel("stats", false) ?: ap__foreach(collect_cb, &col);
	if (!err && rates) {
		signals__install();
		signals__sleep(c->interval_ms);
		metrics__rates(set, c->interval_ms);
	}
	if (!err && c->prometheus) {
		err = metrics__write(set, c->output);
		if (err && c->output)
			pr_warn("stats: cannot write %s: %s (does its directory exist, and is it writable?)\n",
				c->output, strerror(-err));
		else if (!err && w)
			jsonw_string_field(w, "output", c->output);
	}
	else if (!err && w) {
		jsonw_name(w, "attach_points");
		jsonw_start_array(w);
		for (i = 0; i < set->nr; i++)
			print_json(w, &set->ap[i], rates);
		jsonw_end_array(w);
	} else if (!err) {
		for (i = 0; i < set->nr; i++)
			print_text(&set->ap[i], rates);
		if (!set->nr)
			out__printf("no tailgate dispatchers\n");
	}
	metrics__free(set);
	return err;
}

static void stats_defaults(void *cfg)
{
	((struct stats_cfg *)cfg)->interval_ms = 1000;
}

static const struct opt stats_opts[] = {
	OPTION_DURATION("interval", 'i', struct stats_cfg, interval_ms,
			"rates over DURATION (0: counters only)", 0, 3600000),
	OPTION_FLAG("prometheus", 0, struct stats_cfg, prometheus,
		    "Prometheus text exposition format (counters only)"),
	OPTION_STRING("output", 'o', struct stats_cfg, output, "FILE",
		      "write to FILE atomically (node_exporter's textfile collector)"),
	OPTION_END,
};

const struct tg_verb verb_stats = {
	.def = { .name = "stats", .args = "", .opts = stats_opts, .max_pos = 0,
		 .summary = "per-stage counters and rates of every attach point" },
	.cfg_size = sizeof(struct stats_cfg),
	.defaults = stats_defaults,
	.run = run_stats,
};
