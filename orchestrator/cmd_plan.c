// SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause)
/*
 * tailgate plan PLAN: everything apply checks before its first live
 * write (the plan, its objects, every stage loaded and verified on every
 * interface, map layouts, limits, the datapath shape and why), and what
 * would change. Changes nothing.
 */
#include <stdio.h>
#include <string.h>

#include "cli.h"
#include "compose.h"
#include "out.h"
#include "runner.h"
#include "tailgate.h"
#include "ui.h"

static const char *live_of(const struct ro_target *rt)
{
	static char buf[64];

	if (rt->created)
		return "(no dispatcher yet: one is attached)";
	if (rt->prev_bank < 0)
		return "(empty slot 0)";
	snprintf(buf, sizeof(buf), "generation %llu in bank %c", (unsigned long long)rt->prev_gen,
		 'A' + rt->prev_bank);
	return buf;
}

static void verdicts(char *buf, size_t len, uint32_t mask)
{
	size_t off = 0;
	int v;

	buf[0] = '\0';
	for (v = 0; v < TG_NR_VERDICTS; v++)
		if (mask & TG_VERDICT_BIT(v))
			off += snprintf(buf + off, off < len ? len - off : 0, "%s%s", off ? "," : "",
					plan__verdict_name(v));
}

static const struct gen_load *first_load(const struct run *r)
{
	int i;

	for (i = 0; i < r->ro->nr; i++)
		if (r->t[i].loaded)
			return &r->t[i].gl;
	return NULL;
}

static void print_text(const struct run *r)
{
	const struct gen_load *gl = first_load(r);
	const struct plan *p = r->plan;
	char cont[64];
	int i;

	out__printf("plan %s (%s): hook %s, %d stage%s, %d interface%s\n", p->name, p->path,
		    plan__hook_name(p->hook), p->nr_stages, p->nr_stages == 1 ? "" : "s", r->ro->nr,
		    r->ro->nr == 1 ? "" : "s");
	for (i = 0; i < r->ro->nr; i++)
		out__printf("  %-15s %-6s live: %-40s new: bank %c%s\n", r->ro->t[i].ifname,
			    r->ro->t[i].canary ? "canary" : "fleet", live_of(&r->ro->t[i]),
			    'A' + r->ro->t[i].new_bank,
			    r->ro->t[i].state == RT_DONE ? " (already runs this plan: unchanged)" :
							   "");
	if (!gl)
		return;
	out__printf("stages (wrapped and verified in the kernel on %s):\n", r->ro->t[0].ifname);
	for (i = 0; i < p->nr_stages; i++) {
		verdicts(cont, sizeof(cont), gl->st[i].continue_on);
		out__printf(
			"  %2d %-16s program %-20s insns %6u verified %7u of 1000000  stack %3u+%u of 512  continue_on [%s]%s%s\n",
			i + 1, p->stages[i].name, gl->st[i].program, gl->st[i].insns,
			gl->st[i].verified, gl->st[i].stack, COMPOSE_MAIN_STACK, cont,
			gl->st[i].run_config ? " (XDP_RUN_CONFIG)" : "",
			p->stages[i].mode == PLAN_MODE_SHADOW ? " shadow" : "");
	}
	out__printf("datapath: %s\n", gl->shape_why);
	if (gl->shape == GEN_CHAINED)
		out__printf("tail calls per packet: %d of %u allowed (dispatcher + %d stage%s)\n",
			    p->nr_stages, TG_KERNEL_TAIL_CALL_LIMIT, p->nr_stages,
			    p->nr_stages == 1 ? "" : "s");
	out__printf("new map memory: about %zu KiB per interface\n", gl->map_bytes / 1024);
	out__printf("preflight ok: nothing changed\n");
}

static void print_json(jsonw_t *w, const struct run *r)
{
	const struct gen_load *gl = first_load(r);
	int i;

	jsonw_string_field(w, "plan", r->plan->name);
	jsonw_string_field(w, "hook", plan__hook_name(r->plan->hook));
	jsonw_bool_field(w, "ok", true);
	jsonw_name(w, "interfaces");
	jsonw_start_array(w);
	for (i = 0; i < r->ro->nr; i++) {
		jsonw_start_object(w);
		jsonw_string_field(w, "ifname", r->ro->t[i].ifname);
		jsonw_bool_field(w, "canary", r->ro->t[i].canary);
		jsonw_bool_field(w, "attached", !r->ro->t[i].created);
		jsonw_int_field(w, "live_bank", r->ro->t[i].prev_bank);
		jsonw_int_field(w, "new_bank", r->ro->t[i].new_bank);
		jsonw_uint_field(w, "live_generation", r->ro->t[i].prev_gen);
		jsonw_bool_field(w, "unchanged", r->ro->t[i].state == RT_DONE);
		jsonw_end_object(w);
	}
	jsonw_end_array(w);
	if (!gl)
		return;
	jsonw_string_field(w, "datapath", gl->shape == GEN_FUSED ? "fused" : "chained");
	jsonw_string_field(w, "datapath_reason", gl->shape_why);
	jsonw_name(w, "stages");
	jsonw_start_array(w);
	for (i = 0; i < r->plan->nr_stages; i++) {
		jsonw_start_object(w);
		jsonw_string_field(w, "name", r->plan->stages[i].name);
		jsonw_string_field(w, "program", gl->st[i].program);
		jsonw_uint_field(w, "insns", gl->st[i].insns);
		jsonw_uint_field(w, "verified_insns", gl->st[i].verified);
		jsonw_uint_field(w, "stack_depth", gl->st[i].stack);
		jsonw_uint_field(w, "continue_on", gl->st[i].continue_on);
		jsonw_bool_field(w, "shadow", r->plan->stages[i].mode == PLAN_MODE_SHADOW);
		jsonw_end_object(w);
	}
	jsonw_end_array(w);
	jsonw_uint_field(w, "map_bytes_per_interface", gl->map_bytes);
}

static int run_plan(void *cfg, char **pos, int nr)
{
	struct run *r = NULL;
	int err;

	ui__init(tg_global.json ? UI_JSON : UI_TEXT, true);
	err = runner__preflight(pos[0], &r);
	if (!err && out__json())
		print_json(out__json(), r);
	else if (!err)
		print_text(r);
	runner__free(r);
	return err;
}

const struct tg_verb verb_plan = {
	.def = { .name = "plan", .args = "PLAN", .min_pos = 1, .max_pos = 1,
		 .summary = "validate and preflight: load and verify every stage, change nothing" },
	.run = run_plan,
};
