// SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause)
/* tailgate plan PLAN: validate and preflight; changes nothing. */
#include <errno.h>
#include <stdio.h>

#include "cli.h"
#include "fleet.h"
#include "log.h"
#include "slots.h"
#include "tailgate.h"

static const char *bank_name(int bank)
{
	return bank == 0 ? "A" : bank == 1 ? "B" : "-";
}

static void print_target(const struct target *t)
{
	const struct state_bank *live = t->prev_bank >= 0 ? &t->st.bank[t->prev_bank] : NULL;

	printf("  %-15s %-6s live: %-28s new: bank %s%s\n", t->ap.ifname,
	       t->canary ? "canary" : "fleet",
	       live && live->gen ? live->plan : (t->existed ? "(empty slot 0)" : "(no dispatcher yet)"),
	       bank_name(t->gen.bank), t->existed ? "" : ", dispatcher will be attached");
}

static void print_stages(const struct fleet *f)
{
	const struct loaded_gen *g = &f->t[0].gen;
	int i;

	printf("stages (verified in the kernel on %s):\n", f->t[0].ap.ifname);
	for (i = 0; i < g->nr_stages; i++)
		printf("  %2d %-16s program %-16s slot %2u  insns %6u of 1000000  stack %3u of 512 bytes\n",
		       i + 1, g->st[i].name, g->st[i].program, g->st[i].slot,
		       g->st[i].verified_insns, g->st[i].stack_depth);
	printf("tail calls per packet: %d of %u allowed (dispatcher + %d stages)\n",
	       g->nr_stages, TG_KERNEL_TAIL_CALL_LIMIT, g->nr_stages);
	printf("new map memory: about %zu KiB per interface, %zu KiB in all\n",
	       g->map_bytes / 1024, g->map_bytes * f->nr / 1024);
}

static void print_json(const struct fleet *f)
{
	const struct loaded_gen *g = &f->t[0].gen;
	int i;

	printf("{\"plan\":");
	cli__json_str(stdout, f->plan->name);
	printf(",\"hook\":\"%s\",\"ok\":true,\"interfaces\":[", plan__hook_name(f->plan->hook));
	for (i = 0; i < f->nr; i++) {
		printf("%s{\"ifname\":", i ? "," : "");
		cli__json_str(stdout, f->t[i].ap.ifname);
		printf(",\"canary\":%s,\"attached\":%s,\"live_bank\":%d,\"new_bank\":%u}",
		       f->t[i].canary ? "true" : "false", f->t[i].existed ? "true" : "false",
		       f->t[i].prev_bank, f->t[i].gen.bank);
	}
	printf("],\"stages\":[");
	for (i = 0; i < g->nr_stages; i++) {
		printf("%s{\"name\":", i ? "," : "");
		cli__json_str(stdout, g->st[i].name);
		printf(",\"program\":");
		cli__json_str(stdout, g->st[i].program);
		printf(",\"verified_insns\":%u,\"stack_depth\":%u}", g->st[i].verified_insns,
		       g->st[i].stack_depth);
	}
	printf("],\"map_bytes_per_interface\":%zu}\n", g->map_bytes);
}

int do_plan(int argc, char **argv)
{
	struct fleet f = {};
	struct plan *plan;
	int i, err;

	if (argc != 2) {
		fprintf(stderr, "usage: tailgate plan PLAN\n");
		return TG_ERR_USAGE;
	}
	plan = cli__load_plan(argv[1]);
	if (!plan)
		return TG_ERR_USAGE;
	err = cli__need_kernel("plan") ?: fleet__resolve(plan, &f) ?: fleet__preflight(&f);
	if (err) {
		pr_warn("preflight of %s failed: nothing changed\n", argv[1]);
		err = TG_ERR_PREFLIGHT;
		goto out;
	}
	if (tg_opts.json) {
		print_json(&f);
		goto out;
	}
	printf("plan %s (%s): hook %s, %d stage%s, %d interface%s\n", plan->name, argv[1],
	       plan__hook_name(plan->hook), plan->nr_stages, plan->nr_stages == 1 ? "" : "s",
	       f.nr, f.nr == 1 ? "" : "s");
	for (i = 0; i < f.nr; i++)
		print_target(&f.t[i]);
	print_stages(&f);
	printf("preflight ok: nothing changed\n");
out:
	fleet__free(&f);
	plan__free(plan);
	return err;
}
