// SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause)
/*
 * tailgate status [--json]: per attach point, what the kernel runs (slot
 * program ids read back from the pinned prog array) next to what the
 * state directory says it should be.
 */
#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <string.h>

#include "attach.h"
#include "cli.h"
#include "log.h"
#include "pins.h"
#include "slots.h"
#include "state.h"
#include "tailgate.h"

struct ap_view {
	const char *ifname;
	enum plan_hook hook;
	int open_err;
	int live;			/* bank, SLOTS_BANK_NONE, or -2 unknown */
	__u32 slot0;
	int nr[TG_NR_BANKS];
	__u32 ids[TG_NR_BANKS][TG_BANK_SLOTS];
	struct state_ap st;
	const char *health;
};

static bool bank_matches(const struct ap_view *v, int b)
{
	const struct state_bank *sb = &v->st.bank[b];
	int i;

	if (sb->nr_stages != v->nr[b])
		return false;
	for (i = 0; i < v->nr[b]; i++)
		if (sb->prog_id[i] != v->ids[b][i])
			return false;
	return true;
}

static const char *judge(const struct ap_view *v)
{
	switch (v->open_err) {
	case 0:
		break;
	case -ENODEV:
		return "lost";		/* interface gone */
	case -ESTALE:
		return "stale";		/* interface re-created */
	case -ENOLINK:
		return "detached";	/* link detached, pins left */
	default:
		return "error";
	}
	if (v->live == -2)
		return "drift";		/* slot 0 heads neither bank */
	if (v->live == SLOTS_BANK_NONE)
		return "empty";
	return bank_matches(v, v->live) ? "ok" : "drift";
}

static void read_view(struct ap_view *v)
{
	struct ap ap;
	int b, err;

	v->open_err = attach__open(&ap, v->ifname, v->hook);
	state__load_ap(v->ifname, v->hook, &v->st);
	if (ap.slots_fd >= 0) {
		slots__prog_id(ap.slots_fd, TG_SLOT_ENTRY, &v->slot0);
		err = slots__live_bank(ap.slots_fd, &v->live);
		if (err)
			v->live = -2;
		for (b = 0; b < (int)TG_NR_BANKS; b++) {
			v->nr[b] = slots__bank_ids(ap.slots_fd, b, v->ids[b]);
			if (v->nr[b] < 0)
				v->nr[b] = 0;
		}
	}
	attach__close(&ap);
	v->health = judge(v);
}

static void print_bank_text(const struct ap_view *v, int b, const char *what)
{
	const struct state_bank *sb = &v->st.bank[b];
	int i;

	printf("    %-8s bank %c  gen %-4" PRIu64 " plan %-20s", sb->rejected && b != v->live ?
	       "rejected" : what, 'A' + b, sb->gen, sb->plan[0] ? sb->plan : "-");
	for (i = 0; i < v->nr[b]; i++)
		printf(" %s[%u]=%u", i < sb->nr_stages ? sb->stage[i] : "?",
		       TG_BANK_BASE(b) + i, v->ids[b][i]);
	printf("\n");
}

static void print_text(const struct ap_view *v)
{
	int b;

	printf("%s/%s: %s, slot 0 = prog %u\n", v->ifname, plan__hook_name(v->hook),
	       v->health, v->slot0);
	for (b = 0; b < (int)TG_NR_BANKS; b++) {
		if (!v->nr[b] && !v->st.bank[b].gen)
			continue;
		print_bank_text(v, b, b == v->live ? "live" : "previous");
	}
}

static void print_bank_json(const struct ap_view *v, int b)
{
	const struct state_bank *sb = &v->st.bank[b];
	int i;

	printf("{\"bank\":\"%c\",\"live\":%s,\"rejected\":%s,\"generation\":%" PRIu64 ",\"plan\":",
	       'A' + b, b == v->live ? "true" : "false", sb->rejected ? "true" : "false", sb->gen);
	cli__json_str(stdout, sb->plan);
	printf(",\"stages\":[");
	for (i = 0; i < v->nr[b]; i++) {
		printf("%s{\"name\":", i ? "," : "");
		cli__json_str(stdout, i < sb->nr_stages ? sb->stage[i] : "");
		printf(",\"slot\":%u,\"prog_id\":%u}", TG_BANK_BASE(b) + i, v->ids[b][i]);
	}
	printf("]}");
}

static void print_json(const struct ap_view *v, bool first)
{
	int b;

	printf("%s{\"ifname\":", first ? "" : ",");
	cli__json_str(stdout, v->ifname);
	printf(",\"hook\":\"%s\",\"health\":\"%s\",\"slot0_prog_id\":%u,\"live_bank\":",
	       plan__hook_name(v->hook), v->health, v->slot0);
	if (v->live >= 0)
		printf("\"%c\"", 'A' + v->live);
	else
		printf("null");
	printf(",\"banks\":[");
	for (b = 0; b < (int)TG_NR_BANKS; b++) {
		if (b)
			printf(",");
		print_bank_json(v, b);
	}
	printf("]}");
}

static int status_cb(const char *ifname, enum plan_hook hook, void *ctx)
{
	struct ap_view v = { .ifname = ifname, .hook = hook, .live = SLOTS_BANK_NONE };
	int *n = ctx;

	read_view(&v);
	if (tg_opts.json)
		print_json(&v, *n == 0);
	else
		print_text(&v);
	(*n)++;
	return 0;
}

int do_status(int argc, char **argv)
{
	int n = 0, err;

	if (argc > 2 || (argc == 2 && strcmp(argv[1], "--json"))) {
		fprintf(stderr, "usage: tailgate status [--json]\n");
		return TG_ERR_USAGE;
	}
	if (argc == 2)
		tg_opts.json = true;
	err = cli__need_kernel("status");
	if (err)
		return err;
	if (tg_opts.json)
		printf("[");
	err = attach__foreach(status_cb, &n);
	if (tg_opts.json)
		printf("]\n");
	else if (!n)
		printf("no tailgate dispatchers under %s\n", pins__root());
	return err;
}
