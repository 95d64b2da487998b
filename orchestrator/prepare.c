// SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause)
#include <errno.h>
#include <inttypes.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <sys/syscall.h>
#include <net/if_arp.h>
#include <linux/capability.h>
#include <bpf/libbpf.h>

#include "fault.h"
#include "files.h"
#include "log.h"
#include "pins.h"
#include "prepare.h"
#include "steps.h"
#include "targets.h"
#include "ui.h"
#include "xdpfeat.h"

#ifndef CAP_BPF
#define CAP_BPF 39
#endif

/* The process */

static bool has_cap(const struct __user_cap_data_struct *d, int cap)
{
	return d[cap / 32].effective & (1u << (cap % 32));
}

int prepare__environment(const char *verb, bool state, bool create)
{
	struct __user_cap_header_struct hdr = { _LINUX_CAPABILITY_VERSION_3, 0 };
	struct __user_cap_data_struct d[2] = {};
	const char *missing = NULL;
	int err;

	if (syscall(SYS_capget, &hdr, d))
		return -errno;
	if (!has_cap(d, CAP_SYS_ADMIN) && !has_cap(d, CAP_BPF))
		missing = "CAP_BPF (or CAP_SYS_ADMIN)";
	else if (!has_cap(d, CAP_NET_ADMIN))
		missing = "CAP_NET_ADMIN";
	else if (!has_cap(d, CAP_SYS_ADMIN))
		missing = "CAP_SYS_ADMIN (pinning and reading programs by id)";
	if (missing) {
		pr_warn("%s: missing privilege %s; run as root\n", verb, missing);
		return -EPERM;
	}
	err = pins__ensure_bpffs();
	if (!err && state)
		err = files__check_state_dir(create);
	if (err == -ENOENT && state && !create)
		err = 0;	/* nothing recorded yet */
	return err;
}

/* The plan and its objects */

int prepare__plan(struct run *r, const char *path)
{
	char dir[PLAN_MAX_PATH], absdir[PATH_MAX];
	struct plan_error perr;
	char msg[700];
	int err;

	err = plan__read_file(path, &r->plan_text, &r->plan_len, dir, &perr);
	if (!err) {
		r->plan = plan__parse_buf(r->plan_text, r->plan_len, path, dir, &perr);
		err = r->plan ? 0 : -errno;
	}
	if (err) {
		plan__format_error(&perr, path, msg, sizeof(msg));
		pr_warn("%s\n", msg);
		return TG_ERR_USAGE;
	}
	r->own_plan = true;
	/* Exec checks run from the plan's directory, also for a later promote. */
	snprintf(r->rec.plan_dir, sizeof(r->rec.plan_dir), "%s", realpath(dir, absdir) ? absdir : dir);
	return 0;
}

int prepare__objects(struct run *r)
{
	int i, err;

	for (i = 0; i < r->plan->nr_stages; i++) {
		err = object__read(&r->plan->stages[i], &r->src[i]);
		if (err)
			return TG_ERR_PREFLIGHT;
	}
	return 0;
}

int prepare__captured(struct run *r)
{
	struct plan_error perr;
	char msg[700];
	size_t len;
	void *elf;
	int i;

	r->plan_text = store__get(r->rec.plan_sha, PLAN_MAX_FILE_SIZE, &r->plan_len);
	if (!r->plan_text) {
		pr_warn("the captured plan of generation %" PRIu64 " is missing from %s/store (%s); run 'tailgate abort' or 'tailgate recover'\n",
			r->rec.gen, pins__state_dir(), strerror(errno));
		return TG_ERR_INCONSISTENT;
	}
	r->plan = plan__parse_buf(r->plan_text, r->plan_len, r->ro ? r->ro->plan_path : r->rec.plan_name,
				  r->rec.plan_dir, &perr);
	if (!r->plan) {
		plan__format_error(&perr, "captured plan", msg, sizeof(msg));
		pr_warn("%s\n", msg);
		return TG_ERR_INCONSISTENT;
	}
	r->own_plan = true;
	for (i = 0; i < r->plan->nr_stages && i < r->rec.nr_stages; i++) {
		elf = store__get(r->rec.obj_sha[i], STORE_MAX_OBJECT, &len);
		if (!elf || object__adopt(&r->plan->stages[i], elf, len, &r->src[i])) {
			if (!elf)
				free(elf);
			pr_warn("stage '%s': its captured object is missing or damaged in %s/store; run 'tailgate abort' or 'tailgate recover'\n",
				r->plan->stages[i].name, pins__state_dir());
			return TG_ERR_INCONSISTENT;
		}
	}
	return 0;
}

/*
 * What makes two rollouts the same: the plan's name, hook, tail-miss
 * verdict, shape asked for, XDP mode, and per stage its object, program,
 * continue_on, mode and kept maps. Gates and steps are not part of it:
 * they say how to roll out, not what runs.
 */
static int fingerprint(struct run *r, const char *ifname)
{
	char buf[8192], hex[2 * SHA256_LEN + 1], prog[PLAN_MAX_NAME];
	const struct plan *p = r->plan;
	size_t off;
	uint32_t cont;
	int i, k, err;

	off = snprintf(buf, sizeof(buf), "tailgate generation\nplan %s\nhook %s\nfail_closed %d\ndatapath %s\nxdp_mode %d\n",
		       p->name, plan__hook_name(p->hook), p->fail_closed,
		       plan__datapath_name(p->datapath), p->xdp_mode);
	for (i = 0; i < p->nr_stages && off < sizeof(buf); i++) {
		err = stage__describe(&p->stages[i], &r->src[i], ifname, p->hook, prog, &cont);
		if (err)
			return TG_ERR_PREFLIGHT;
		r->rec.continue_on[i] = cont;
		r->rec.shadow[i] = p->stages[i].mode == PLAN_MODE_SHADOW;
		memcpy(r->rec.obj_sha[i], r->src[i].sha, SHA256_LEN);
		sha256__hex(r->src[i].sha, hex);
		off += snprintf(buf + off, sizeof(buf) - off, "stage %d %s %s cont %x shadow %d keep",
				i, hex, prog, cont, r->rec.shadow[i]);
		for (k = 0; k < p->stages[i].nr_keep_maps && off < sizeof(buf); k++)
			off += snprintf(buf + off, sizeof(buf) - off, " %s", p->stages[i].keep_maps[k]);
		if (off < sizeof(buf))
			buf[off++] = '\n';
	}
	if (off >= sizeof(buf))
		return -E2BIG;
	r->rec.nr_stages = p->nr_stages;
	sha256__digest(buf, off, r->rec.fingerprint);
	return 0;
}

/* Targets */

static const char *hk(const struct run *r)
{
	return plan__hook_name(r->plan->hook);
}

/* Stages parse Ethernet frames: another link type would feed them junk. */
static int check_link_type(const struct run *r, const struct target *t)
{
	char path[128];
	long type = ARPHRD_ETHER;
	FILE *fp;

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

/* One XDP program per interface: someone else's would fail our attach. */
static int check_xdp(const struct run *r, const struct target *t)
{
	bool skb = r->plan->xdp_mode == PLAN_XDP_SKB, native;
	__u32 id = 0;

	if (r->plan->hook != PLAN_HOOK_XDP)
		return 0;
	if (t->ap.attached) {
		if (t->ap.skb_mode == skb)
			return 0;
		pr_warn("%s/xdp: the dispatcher is attached in %s mode and the plan asks for xdp_mode: %s; the mode cannot change under traffic: detach first (tailgate detach %s) or keep xdp_mode: %s\n",
			t->ap.ifname, t->ap.skb_mode ? "skb" : "native", skb ? "skb" : "native",
			t->ap.ifname, t->ap.skb_mode ? "skb" : "native");
		return -EINVAL;
	}
	if (!bpf_xdp_query_id(t->ap.ifindex, 0, &id) && id) {
		pr_warn("%s/xdp: the interface already runs XDP program id %u that tailgate does not manage; detach it first (ip link set dev %s xdp off) or leave the interface out of the plan\n",
			t->ap.ifname, id, t->ap.ifname);
		return -EBUSY;
	}
	/* Said before anything is loaded; kernels that cannot say fail at attach. */
	if (!skb && !xdpfeat__native(t->ap.ifindex, &native) && !native) {
		pr_warn("%s/xdp: the driver has no native XDP: set xdp_mode: skb in the plan (generic XDP, slower) or leave the interface out\n",
			t->ap.ifname);
		return -EOPNOTSUPP;
	}
	return 0;
}

/* The generation a bank holds, also for attach points made by 0.1. */
static uint64_t bank_gen(const struct ap *ap, int bank)
{
	struct ap_record rec;

	if (bank < 0)
		return 0;
	if (ap->bank[bank].gen)
		return ap->bank[bank].gen;
	if (!store__load_ap(ap->ifname, ap->hook, &rec) &&
	    rec.legacy_head_id[bank] == ap->bank[bank].ids[0])
		return rec.legacy_gen[bank];
	return 0;
}

static bool runs_this_plan(const struct run *r, const struct target *t)
{
	struct gen_record g;
	uint64_t gen = bank_gen(&t->ap, t->ap.live);

	return gen && !store__load_gen(gen, &g) && g.outcome == GEN_PROMOTED &&
	       !memcmp(g.fingerprint, r->rec.fingerprint, SHA256_LEN) && t->ap.disp.kind == DISP_PLAIN;
}

static int open_target(struct run *r, int i, bool force)
{
	struct target *t = &r->t[i];
	struct ro_target *rt = t->rt;
	int err;

	err = ap__prepare(&t->ap, rt->ifname, r->plan->hook);
	if (!err && t->ap.attached && t->ap.live == AP_BANK_FOREIGN)
		err = -EUCLEAN;
	if (err) {
		/* Preflight failed, nothing changed; the message says what to run. */
		if (err != -EPROTONOSUPPORT)
			pr_warn("%s/%s: %s\n", rt->ifname, hk(r), ap__strerror(err));
		return TG_ERR_PREFLIGHT;
	}
	if (check_link_type(r, t) || check_xdp(r, t))
		return TG_ERR_PREFLIGHT;
	rt->ifindex = t->ap.ifindex;
	rt->created = !t->ap.attached;
	rt->prev_bank = t->ap.attached ? t->ap.live : AP_BANK_NONE;
	rt->new_bank = rt->prev_bank == 0 ? 1 : 0;
	rt->prev_gen = bank_gen(&t->ap, rt->prev_bank);
	rt->prev_fc = t->ap.disp.fail_closed;
	rt->state = !force && t->ap.attached && runs_this_plan(r, t) ? RT_DONE : RT_PENDING;
	sample__view(&t->ap, rt->prev_bank, &t->old_view);
	if (t->ap.attached && rt->prev_bank >= 0 && !t->ap.bank[rt->prev_bank].gen && rt->prev_gen)
		t->old_view.legacy = true;
	return 0;
}

int prepare__targets(struct run *r, bool force)
{
	struct target_name names[PLAN_MAX_IFACES];
	int n, i, err;

	n = targets__resolve(r->plan, names);
	if (n < 0)
		return TG_ERR_PREFLIGHT;
	err = fingerprint(r, names[0].ifname);
	if (err)
		return err < 0 ? TG_ERR_PREFLIGHT : err;
	r->t = calloc(n, sizeof(*r->t));
	if (!r->t)
		return -ENOMEM;
	r->ro->nr = n;
	for (i = 0; i < n; i++) {
		ap__init(&r->t[i].ap);
		r->t[i].rt = &r->ro->t[i];
		memcpy(r->ro->t[i].ifname, names[i].ifname, IF_NAMESIZE);
		r->ro->t[i].canary = names[i].canary;
	}
	for (i = 0; i < n; i++) {
		err = open_target(r, i, force);
		if (err)
			return err;
	}
	return 0;
}

int prepare__moving(const struct run *r)
{
	int i, n = 0;

	for (i = 0; i < r->ro->nr; i++)
		n += r->ro->t[i].state != RT_DONE;
	return n;
}

/* Loading and installing */

static void new_view(struct run *r, struct target *t)
{
	int i;

	memset(&t->new_view, 0, sizeof(t->new_view));
	t->new_view.bank = t->rt->new_bank;
	t->new_view.nr_stages = r->plan->nr_stages;
	t->new_view.fail_closed = r->plan->fail_closed;
	for (i = 0; i < r->plan->nr_stages; i++) {
		t->new_view.continue_on[i] = r->rec.continue_on[i];
		t->new_view.shadow[i] = r->rec.shadow[i];
	}
}

int prepare__load(struct run *r, uint64_t gen)
{
	struct gen_spec spec = { .plan = r->plan, .src = r->src, .gen = gen,
				 .datapath = r->plan->datapath };
	bool first = true;
	struct target *t;
	int i, err;

	for (i = 0; i < r->ro->nr; i++) {
		t = &r->t[i];
		if (t->rt->state == RT_DONE)
			continue;
		err = gen__load(&t->ap, &spec, t->rt->new_bank, first, &t->gl);
		if (err)
			return TG_ERR_PREFLIGHT;
		t->loaded = true;
		if (first) {
			r->rec.shape = t->gl.shape;
			snprintf(r->shape_why, sizeof(r->shape_why), "%s", t->gl.shape_why);
			/* The rest get the same shape, whatever auto would say. */
			spec.datapath = t->gl.shape == GEN_FUSED ? PLAN_DP_FUSED : PLAN_DP_CHAINED;
		}
		first = false;
		new_view(r, t);
	}
	return 0;
}

int prepare__capture(struct run *r)
{
	uint8_t sha[SHA256_LEN];
	int i, err;

	err = files__reserve();
	if (err) {
		if (files__is_full(err))
			pr_warn("the state file system under %s has no room for tailgate's records (%s); free space first: nothing changed\n",
				pins__state_dir(), strerror(-err));
		else
			pr_warn("cannot make tailgate's reserve under %s (%s): nothing changed\n",
				pins__state_dir(), strerror(-err));
		return err;
	}
	err = store__put(r->plan_text, r->plan_len, r->rec.plan_sha);
	for (i = 0; i < r->plan->nr_stages && !err; i++)
		err = store__put(r->src[i].elf, r->src[i].len, sha);
	if (!err) {
		memcpy(r->ro->plan_sha, r->rec.plan_sha, SHA256_LEN);
		err = store__save_gen(&r->rec);
	}
	/* The captures may have used the reserve up: the rollout needs it whole. */
	if (!err && files__reserve()) {
		pr_warn("the state file system under %s has no room left for tailgate's reserve once the rollout is captured; free space first: nothing changed\n",
			pins__state_dir());
		return -ENOSPC;
	}
	if (err)
		pr_warn("cannot record the rollout in %s: %s; nothing changed\n", pins__state_dir(),
			strerror(-err));
	return err;
}

static int install_one(struct run *r, struct target *t)
{
	bool skb = r->plan->xdp_mode == PLAN_XDP_SKB;
	int err;

	err = ap__commit(&t->ap, skb);
	if (!err && t->ap.abi < TG_ABI_VERSION) {
		ui__event("upgrade", "%s/%s: attach point made by an older tailgate (datapath ABI %u): dispatcher upgraded in place",
			  t->ap.ifname, hk(r), t->ap.abi);
		err = ap__upgrade(&t->ap);
	}
	if (!err)
		err = gen__install(&t->ap, &t->gl);
	if (err) {
		if (err == -EOPNOTSUPP && r->plan->hook == PLAN_HOOK_XDP && !skb)
			pr_warn("%s/xdp: the driver has no native XDP: set xdp_mode: skb in the plan (generic XDP, slower)\n",
				t->ap.ifname);
		else
			pr_warn("%s/%s: installing generation %" PRIu64 " failed: %s\n", t->ap.ifname,
				hk(r), r->ro->id, ap__strerror(err));
		return err;
	}
	steps__mark(r, t - r->t);
	return 0;
}

int prepare__install(struct run *r)
{
	struct ap_record rec;
	int i, err;

	for (i = 0; i < r->ro->nr; i++) {
		if (r->ro->t[i].state == RT_DONE)
			continue;
		err = install_one(r, &r->t[i]);
		if (err)
			return err;
		if (r->ro->t[i].created) {
			memset(&rec, 0, sizeof(rec));
			snprintf(rec.ifname, sizeof(rec.ifname), "%s", r->ro->t[i].ifname);
			rec.hook = r->plan->hook;
			rec.ifindex = r->ro->t[i].ifindex;
			store__save_ap(&rec);
		}
		fault__point("after-install-target");
	}
	return 0;
}

void prepare__undo_install(struct run *r)
{
	struct target *t;
	int i;

	for (i = 0; i < r->ro->nr; i++) {
		t = &r->t[i];
		if (!r->ro->t[i].created || !t->ap.attached)
			continue;
		ap__detach(&t->ap);
		store__remove_ap(r->ro->t[i].ifname, r->plan->hook);
	}
}

int prepare__reopen(struct run *r)
{
	struct target *t;
	int i, err;

	r->t = calloc(r->ro->nr ?: 1, sizeof(*r->t));
	if (!r->t)
		return -ENOMEM;
	for (i = 0; i < r->ro->nr; i++) {
		t = &r->t[i];
		ap__init(&t->ap);
		t->rt = &r->ro->t[i];
		if (t->rt->state == RT_DONE || t->rt->state == RT_LOST)
			continue;
		err = ap__open(&t->ap, t->rt->ifname, r->ro->hook);
		if (err || (uint32_t)t->ap.ifindex != t->rt->ifindex) {
			t->rt->state = RT_LOST;
			ui__event("lost", "%s/%s: %s; it is skipped", t->rt->ifname,
				  plan__hook_name(r->ro->hook), err ? ap__strerror(err) :
				  "the interface was re-created");
			continue;
		}
		sample__view(&t->ap, t->rt->prev_bank, &t->old_view);
		if (r->plan)
			new_view(r, t);
	}
	return 0;
}
