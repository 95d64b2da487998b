// SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause)
#include <errno.h>
#include <fnmatch.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <net/if.h>
#include <net/if_arp.h>
#include <bpf/libbpf.h>

#include "fleet.h"
#include "fault.h"
#include "log.h"
#include "pins.h"
#include "slots.h"

/* Resolving names */

static bool has_glob(const char *s)
{
	return strpbrk(s, "*?[") != NULL;
}

static int find_target(const struct fleet *f, const char *ifname)
{
	int i;

	for (i = 0; i < f->nr; i++)
		if (!strcmp(f->t[i].ap.ifname, ifname))
			return i;
	return -1;
}

static int add_target(struct fleet *f, const char *ifname, bool canary)
{
	struct target *t;

	if (find_target(f, ifname) >= 0)
		return 0;
	if (f->nr >= PLAN_MAX_IFACES) {
		pr_warn("plan %s: more than %d interfaces\n", f->plan->path, PLAN_MAX_IFACES);
		return -E2BIG;
	}
	t = &f->t[f->nr++];
	memset(t, 0, sizeof(*t));
	attach__init(&t->ap);
	snprintf(t->ap.ifname, sizeof(t->ap.ifname), "%s", ifname);
	t->canary = canary;
	t->prev_bank = -1;
	return 0;
}

static int cmp_names(const void *a, const void *b)
{
	return strverscmp(*(const char *const *)a, *(const char *const *)b);
}

static int add_glob(struct fleet *f, const char *pat, bool canary)
{
	struct if_nameindex *all = if_nameindex(), *i;
	const char *names[1024];
	int n = 0, k, err = 0;

	if (!all)
		return -errno;
	for (i = all; i->if_index && n < 1024; i++)
		if (!fnmatch(pat, i->if_name, 0))
			names[n++] = i->if_name;
	qsort(names, n, sizeof(names[0]), cmp_names);
	for (k = 0; k < n && !err; k++)
		err = add_target(f, names[k], canary);
	if_freenameindex(all);
	if (!n)
		pr_warn("plan %s: interface pattern '%s' matches no interface\n",
			f->plan->path, pat);
	return err ?: (n ? 0 : -ENODEV);
}

static int add_names(struct fleet *f, char (*names)[IF_NAMESIZE], int nr, bool canary)
{
	int i, err;

	for (i = 0; i < nr; i++) {
		if (has_glob(names[i])) {
			err = add_glob(f, names[i], canary);
		} else if (!if_nametoindex(names[i])) {
			pr_warn("plan %s: interface '%s' does not exist; create it or remove it from the plan\n",
				f->plan->path, names[i]);
			err = -ENODEV;
		} else {
			err = add_target(f, names[i], canary);
		}
		if (err)
			return err;
	}
	return 0;
}

int fleet__resolve(const struct plan *plan, struct fleet *f)
{
	int err;

	memset(f, 0, sizeof(*f));
	f->plan = plan;
	f->t = calloc(PLAN_MAX_IFACES, sizeof(*f->t));
	if (!f->t)
		return -ENOMEM;
	err = add_names(f, (char (*)[IF_NAMESIZE])plan->canary, plan->nr_canary, true);
	f->nr_canary = f->nr;
	if (!err)
		err = add_names(f, (char (*)[IF_NAMESIZE])plan->fleet, plan->nr_fleet, false);
	if (!err && !f->nr) {
		pr_warn("plan %s: no interfaces to roll out to\n", plan->path);
		err = -ENODEV;
	}
	return err;
}

/* Preflight */

static const char *ap_error(int err)
{
	switch (err) {
	case -ENODEV:
		return "the interface does not exist";
	case -ESTALE:
		return "the interface was re-created since tailgate attached to it; run 'tailgate recover'";
	case -ENOLINK:
		return "the dispatcher was detached but its pins remain (interrupted detach?); run 'tailgate recover'";
	case -EUCLEAN:
		return "slot 0 holds a program that heads neither bank; run 'tailgate recover'";
	case -EPERM:
		return "operation not permitted; run as root (CAP_BPF, CAP_NET_ADMIN, CAP_SYS_ADMIN)";
	default:
		return strerror(-err);
	}
}

/*
 * An interface carries one XDP program: someone else's would make our
 * attach fail half-way through a rollout. Say so now, before anything.
 */
static int check_foreign_xdp(const struct target *t)
{
	__u32 id = 0;

	if (t->ap.hook != PLAN_HOOK_XDP || t->ap.attached)
		return 0;
	if (bpf_xdp_query_id(t->ap.ifindex, 0, &id) || !id)
		return 0;
	pr_warn("%s/xdp: the interface already runs XDP program id %u that tailgate does not manage; detach it first (ip link set dev %s xdp off) or leave the interface out of the plan\n",
		t->ap.ifname, id, t->ap.ifname);
	return -EBUSY;
}

/*
 * Stages parse Ethernet frames: an interface of another link type
 * (loopback, a tun, an IP tunnel) would feed them something else.
 */
static int check_link_type(const struct target *t)
{
	char path[128];
	long type = ARPHRD_ETHER;
	FILE *fp;

	/* sysfs sizes lie (4096): read it as a stream. */
	snprintf(path, sizeof(path), "/sys/class/net/%s/type", t->ap.ifname);
	fp = fopen(path, "re");
	if (!fp)
		return 0;	/* no sysfs here: the kernel will tell */
	if (fscanf(fp, "%ld", &type) != 1)
		type = ARPHRD_ETHER;
	fclose(fp);
	if (type == ARPHRD_ETHER)
		return 0;
	pr_warn("%s: link type %ld is not Ethernet (ARPHRD_ETHER); tailgate stages parse Ethernet frames: leave it out of the plan\n",
		t->ap.ifname, type);
	return -EPROTOTYPE;
}

static int preflight_one(struct fleet *f, struct target *t)
{
	const struct plan *plan = f->plan;
	unsigned int bank = 0;
	int err;

	err = attach__prepare(&t->ap, t->ap.ifname, plan->hook, plan->fail_closed);
	if (!err && t->ap.attached)
		err = slots__live_bank(t->ap.slots_fd, &t->prev_bank) ?:
		      loader__inactive_bank(&t->ap, &bank);
	if (err) {
		pr_warn("%s/%s: %s\n", t->ap.ifname, plan__hook_name(plan->hook), ap_error(err));
		return err;
	}
	t->existed = t->ap.attached;
	err = check_link_type(t) ?: check_foreign_xdp(t);
	if (err)
		return err;
	err = state__load_ap(t->ap.ifname, plan->hook, &t->st);
	if (err)
		return err;
	return loader__load(&t->ap, plan, &f->objs, bank, &t->gen);
}

int fleet__preflight(struct fleet *f)
{
	int i, err;

	err = loader__read_objects(f->plan, &f->objs);
	for (i = 0; i < f->nr && !err; i++)
		err = preflight_one(f, &f->t[i]);
	return err;
}

/* Install */

int fleet__save_state(struct target *t)
{
	return state__save_ap(t->ap.ifname, t->ap.hook, &t->st);
}

static void record_bank(struct fleet *f, struct target *t)
{
	struct state_bank *b = &t->st.bank[t->gen.bank];
	int i;

	memset(b, 0, sizeof(*b));
	b->gen = f->gen_id;
	snprintf(b->plan, sizeof(b->plan), "%s", f->plan->name);
	b->nr_stages = t->gen.nr_stages;
	for (i = 0; i < t->gen.nr_stages; i++) {
		snprintf(b->stage[i], sizeof(b->stage[i]), "%s", t->gen.st[i].name);
		b->prog_id[i] = t->gen.st[i].prog_id;
	}
	t->st.ifindex = t->ap.ifindex;
	t->st.fail_closed = f->plan->fail_closed;
}

static int install_one(struct fleet *f, struct target *t)
{
	int err;

	err = attach__commit(&t->ap);
	if (!err && t->existed && t->st.fail_closed != f->plan->fail_closed)
		err = attach__upgrade(&t->ap, f->plan->fail_closed);
	if (!err)
		err = loader__install(&t->ap, &t->gen);
	if (err) {
		pr_warn("%s/%s: installing generation %llu failed: %s\n", t->ap.ifname,
			plan__hook_name(t->ap.hook), (unsigned long long)f->gen_id,
			ap_error(err));
		return err;
	}
	record_bank(f, t);
	return fleet__save_state(t);
}

int fleet__install(struct fleet *f)
{
	int i, err;

	for (i = 0, err = 0; i < f->nr && !err; i++) {
		err = install_one(f, &f->t[i]);
		fault__point("after-install-target");
	}
	return err;
}

/* Flips */

int fleet__flip(struct fleet *f, int i)
{
	struct target *t = &f->t[i];
	int err;

	err = slots__flip(t->ap.slots_fd, t->gen.bank);
	if (err) {
		pr_warn("%s/%s: flip to generation %llu failed: %s\n", t->ap.ifname,
			plan__hook_name(t->ap.hook), (unsigned long long)f->gen_id,
			ap_error(err));
		return err;
	}
	t->flipped = true;
	return 0;
}

int fleet__rollback(struct fleet *f, int i)
{
	struct target *t = &f->t[i];
	int err;

	if (t->prev_bank == SLOTS_BANK_NONE)
		err = slots__clear(t->ap.slots_fd, TG_SLOT_ENTRY);
	else
		err = slots__flip(t->ap.slots_fd, t->prev_bank);
	if (err) {
		pr_warn("%s/%s: rollback failed: %s\n", t->ap.ifname,
			plan__hook_name(t->ap.hook), ap_error(err));
		return err;
	}
	t->flipped = false;
	return 0;
}

void fleet__free(struct fleet *f)
{
	int i;

	if (!f || !f->t)
		return;
	for (i = 0; i < f->nr; i++) {
		loader__release(&f->t[i].gen);
		attach__close(&f->t[i].ap);
	}
	loader__free_objects(&f->objs);
	free(f->t);
	f->t = NULL;
}
