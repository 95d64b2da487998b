// SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause)
/*
 * tailgate stats [--json] [--interval MS]: per-stage counters of every
 * attach point, live and previous generation, with rates over a short
 * sample (default 1000 ms; 0 = totals only).
 */
#include <errno.h>
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "attach.h"
#include "cli.h"
#include "counters.h"
#include "log.h"
#include "slots.h"
#include "state.h"
#include "tailgate.h"

struct stats_run {
	unsigned long interval_ms;
	int n;
};

struct slot_row {
	__u32 slot;
	const char *stage;
	struct tg_stats now, rate;
};

static const char *slot_stage(const struct state_ap *st, __u32 slot)
{
	unsigned int b, i;

	if (slot == TG_SLOT_ENTRY)
		return "(dispatcher)";
	b = (slot - 1) / TG_BANK_SLOTS;
	i = (slot - 1) % TG_BANK_SLOTS;
	if (b < TG_NR_BANKS && (int)i < st->bank[b].nr_stages)
		return st->bank[b].stage[i];
	return "?";
}

static void sleep_ms(unsigned long ms)
{
	struct timespec ts = { ms / 1000, (ms % 1000) * 1000000L };

	while (nanosleep(&ts, &ts) && errno == EINTR)
		;
}

/* Rows for slot 0 and every occupied bank slot, with rates. */
static int collect(const struct ap *ap, const struct state_ap *st,
		   unsigned long interval_ms, struct slot_row *rows)
{
	struct tg_stats before[TG_NR_SLOTS];
	__u32 slot, id;
	int n = 0, i, k, err;

	for (slot = 0; slot < TG_NR_SLOTS; slot++) {
		err = slots__prog_id(ap->slots_fd, slot, &id);
		if (err)
			return err;
		if (slot && !id)
			continue;
		rows[n].slot = slot;
		rows[n].stage = slot_stage(st, slot);
		err = counters__read(ap->stats_fd, slot, &before[n]);
		if (err)
			return err;
		n++;
	}
	if (interval_ms)
		sleep_ms(interval_ms);
	for (i = 0; i < n; i++) {
		err = counters__read(ap->stats_fd, rows[i].slot, &rows[i].now);
		if (err)
			return err;
		counters__sub(&rows[i].rate, &rows[i].now, &before[i]);
		for (k = 0; k < (int)COUNTERS_NR && interval_ms; k++)
			((__u64 *)&rows[i].rate)[k] = ((__u64 *)&rows[i].rate)[k] * 1000 / interval_ms;
	}
	return n;
}

static void print_text(const struct ap *ap, const struct slot_row *rows, int n,
		       bool rates)
{
	int i, k;

	printf("%s/%s:\n  %-4s %-16s", ap->ifname, plan__hook_name(ap->hook), "slot", "stage");
	for (k = 0; k < (int)COUNTERS_NR; k++)
		printf(" %12s", counters__names[k]);
	printf("%s\n", rates ? "   pps" : "");
	for (i = 0; i < n; i++) {
		printf("  %-4u %-16s", rows[i].slot, rows[i].stage);
		for (k = 0; k < (int)COUNTERS_NR; k++)
			printf(" %12llu", (unsigned long long)((__u64 *)&rows[i].now)[k]);
		if (rates)
			printf(" %6llu", (unsigned long long)rows[i].rate.packets);
		printf("\n");
	}
}

static void print_json(const struct ap *ap, const struct slot_row *rows, int n,
		       bool first)
{
	int i, k;

	printf("%s{\"ifname\":", first ? "" : ",");
	cli__json_str(stdout, ap->ifname);
	printf(",\"hook\":\"%s\",\"slots\":[", plan__hook_name(ap->hook));
	for (i = 0; i < n; i++) {
		printf("%s{\"slot\":%u,\"stage\":", i ? "," : "", rows[i].slot);
		cli__json_str(stdout, rows[i].stage);
		for (k = 0; k < (int)COUNTERS_NR; k++)
			printf(",\"%s\":%llu", counters__names[k],
			       (unsigned long long)((__u64 *)&rows[i].now)[k]);
		printf(",\"rate\":{\"packets\":%llu,\"bytes\":%llu,\"drop\":%llu}}",
		       (unsigned long long)rows[i].rate.packets,
		       (unsigned long long)rows[i].rate.bytes,
		       (unsigned long long)rows[i].rate.drop);
	}
	printf("]}");
}

static int stats_cb(const char *ifname, enum plan_hook hook, void *ctx)
{
	struct slot_row rows[TG_NR_SLOTS];
	struct stats_run *run = ctx;
	struct state_ap st;
	struct ap ap;
	int n, err;

	err = attach__open(&ap, ifname, hook);
	if (err && ap.stats_fd < 0) {
		pr_warn("%s/%s: cannot open pins: %s\n", ifname, plan__hook_name(hook), strerror(-err));
		return 0;
	}
	state__load_ap(ifname, hook, &st);
	n = collect(&ap, &st, run->interval_ms, rows);
	if (n >= 0 && tg_opts.json)
		print_json(&ap, rows, n, run->n == 0);
	else if (n >= 0)
		print_text(&ap, rows, n, run->interval_ms);
	attach__close(&ap);
	run->n++;
	return n < 0 ? n : 0;
}

int do_stats(int argc, char **argv)
{
	static const struct option opts[] = {
		{ "json", no_argument, NULL, 'j' },
		{ "interval", required_argument, NULL, 'i' },
		{ 0 },
	};
	struct stats_run run = { .interval_ms = 1000 };
	char *end;
	int c, err;

	while ((c = getopt_long(argc, argv, "ji:", opts, NULL)) != -1) {
		if (c == 'j') {
			tg_opts.json = true;
		} else if (c == 'i') {
			run.interval_ms = strtoul(optarg, &end, 10);
			if (*end || run.interval_ms > 60000)
				c = '?';
		}
		if (c == '?') {
			fprintf(stderr, "usage: tailgate stats [--json] [--interval MS (0..60000)]\n");
			return TG_ERR_USAGE;
		}
	}
	err = cli__need_kernel("stats");
	if (err)
		return err;
	if (tg_opts.json)
		printf("[");
	err = attach__foreach(stats_cb, &run);
	if (tg_opts.json)
		printf("]\n");
	return err;
}
