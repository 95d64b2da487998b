// SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause)
#include <ctype.h>
#include <dirent.h>
#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <bpf/bpf.h>
#include <bpf/libbpf.h>
#include <linux/if_link.h>

#include "ap.h"
#include "attach.h"
#include "disp.h"
#include "fault.h"
#include "log.h"
#include "pins.h"
#include "slots.h"
#include "store.h"

/* Maps made for an attach point that is not pinned yet. */
struct ap_prepared {
	struct disp_maps maps;
};

int ap__prog_type(enum plan_hook hook)
{
	return hook == PLAN_HOOK_XDP ? BPF_PROG_TYPE_XDP : BPF_PROG_TYPE_SCHED_CLS;
}

const char *ap__strerror(int err)
{
	switch (err) {
	case -ENOENT:
		return "no tailgate dispatcher there";
	case -ENODEV:
		return "the interface does not exist (deleted, or moved to another network namespace)";
	case -ESTALE:
		return "the interface was re-created (or moved to another namespace) since tailgate attached to it; run 'tailgate recover', then 'tailgate restore' or apply again";
	case -ENOLINK:
		return "the dispatcher was detached but its pins remain (interrupted detach?); run 'tailgate recover'";
	case -EUCLEAN:
		return "slot 0 holds a program that heads neither bank; run 'tailgate recover'";
	case -EPROTONOSUPPORT:
		return "it was made by a newer tailgate; use that version";
	case -EPERM:
		return "operation not permitted; run as root (CAP_BPF, CAP_NET_ADMIN, CAP_SYS_ADMIN)";
	default:
		return strerror(-err);
	}
}

/* Names */

void ap__prog_name(char buf[16], uint64_t gen, int idx, const char *stage, bool fused, int n)
{
	char tail[16];
	int len, i;

	len = fused ? snprintf(buf, 16, "tg%" PRIu64 "f%d", gen, n) :
		      snprintf(buf, 16, "tg%" PRIu64 "s%d", gen, idx);
	snprintf(tail, sizeof(tail), "_%s", fused ? "gen" : stage);
	/* The kernel takes [A-Za-z0-9_.] in names. */
	for (i = 0; tail[i]; i++)
		if (!isalnum((unsigned char)tail[i]) && tail[i] != '_' && tail[i] != '.')
			tail[i] = '_';
	/* Truncated to what fits: the prefix alone identifies it. */
	for (i = 0; len > 0 && len < 15 && tail[i]; i++)
		buf[len++] = tail[i];
	if (len > 0 && len < 16)
		buf[len] = '\0';
}

int ap__parse_prog_name(const char *name, uint64_t *gen, bool *fused, int *n)
{
	char *end;

	if (strncmp(name, "tg", 2) || !isdigit((unsigned char)name[2]))
		return -EINVAL;
	*gen = strtoull(name + 2, &end, 10);
	if ((*end != 's' && *end != 'f') || !isdigit((unsigned char)end[1]) || !*gen)
		return -EINVAL;
	*fused = *end == 'f';
	*n = strtol(end + 1, &end, 10);
	if ((*end && *end != '_') || *n < 0 || *n > TG_MAX_STAGES)
		return -EINVAL;
	return 0;
}

static int prog_name(__u32 id, char name[16])
{
	struct bpf_prog_info info = {};
	__u32 len = sizeof(info);
	int fd, err = 0;

	name[0] = '\0';
	fd = bpf_prog_get_fd_by_id(id);
	if (fd < 0)
		return -errno;
	if (bpf_obj_get_info_by_fd(fd, &info, &len))
		err = -errno;
	else
		memcpy(name, info.name, 16);
	close(fd);
	name[15] = '\0';
	return err;
}

/* Lifecycle */

void ap__init(struct ap *ap)
{
	memset(ap, 0, sizeof(*ap));
	ap->slots_fd = ap->stats_fd = ap->info_fd = ap->split_fd = -1;
	ap->link_fd = ap->prog_fd = -1;
	ap->live = AP_BANK_NONE;
}

static void close_fd(int *fd)
{
	if (*fd >= 0)
		close(*fd);
	*fd = -1;
}

void ap__close(struct ap *ap)
{
	if (!ap)
		return;
	close_fd(&ap->slots_fd);
	close_fd(&ap->stats_fd);
	close_fd(&ap->info_fd);
	close_fd(&ap->split_fd);
	close_fd(&ap->link_fd);
	close_fd(&ap->prog_fd);
	free(ap->prep);
	ap->prep = NULL;
	ap->attached = false;
}

static int set_names(struct ap *ap, const char *ifname, enum plan_hook hook)
{
	char name[IF_NAMESIZE];

	if (strlen(ifname) >= sizeof(ap->ifname))
		return -ENAMETOOLONG;
	/* @ifname may point into @ap, which ap__init() clears. */
	snprintf(name, sizeof(name), "%s", ifname);
	ap__init(ap);
	snprintf(ap->ifname, sizeof(ap->ifname), "%s", name);
	ap->hook = hook;
	return pins__ap_dir(ap->dir, sizeof(ap->dir), name, hook);
}

static int pin_get(const struct ap *ap, const char *name)
{
	char path[PATH_MAX];
	int fd;

	if (pins__path(path, sizeof(path), "%s/%s", ap->dir, name))
		return -ENAMETOOLONG;
	fd = bpf_obj_get(path);
	return fd < 0 ? -errno : fd;
}

static int pin_fd(const struct ap *ap, int fd, const char *name)
{
	char path[PATH_MAX];

	if (pins__path(path, sizeof(path), "%s/%s", ap->dir, name))
		return -ENAMETOOLONG;
	return bpf_obj_pin(fd, path) ? -errno : 0;
}

static void unpin(const struct ap *ap, const char *name)
{
	char path[PATH_MAX];

	if (!pins__path(path, sizeof(path), "%s/%s", ap->dir, name))
		unlink(path);
}

/* The version this attach point was made with; newer ones are refused. */
static int read_info(struct ap *ap)
{
	struct tg_ap_info info = {};
	__u32 k = 0;

	ap->info_fd = pin_get(ap, TG_PIN_INFO);
	if (ap->info_fd == -ENOENT) {
		ap->info_fd = -1;
		ap->abi = 1;	/* tailgate 0.1 recorded nothing */
		return 0;
	}
	if (ap->info_fd < 0)
		return ap->info_fd;
	if (bpf_map_lookup_elem(ap->info_fd, &k, &info) || info.magic != TG_ABI_MAGIC)
		return -EBADMSG;
	ap->abi = info.abi_version;
	if (ap->abi > TG_ABI_VERSION) {
		pr_warn("%s/%s: made by a newer tailgate (datapath ABI %u, this one knows %u): use that version, or detach with it\n",
			ap->ifname, plan__hook_name(ap->hook), ap->abi, TG_ABI_VERSION);
		return -EPROTONOSUPPORT;
	}
	if (info.nr_slots != TG_NR_SLOTS || info.stats_size != sizeof(struct tg_stats))
		return -EBADMSG;
	return 0;
}

/* Is the dispatcher still on the interface this attach point was made for? */
static int check_iface(struct ap *ap, __u32 on_ifindex)
{
	struct ap_record rec;

	ap->ifindex = if_nametoindex(ap->ifname);
	if (!ap->ifindex)
		return -ENODEV;
	if (!on_ifindex) {
		/*
		 * A link reads ifindex 0 when its interface went away and
		 * when a detach died before unpinning; the index recorded
		 * at attach time tells the two apart.
		 */
		if (!store__load_ap(ap->ifname, ap->hook, &rec) && rec.ifindex &&
		    rec.ifindex != (__u32)ap->ifindex)
			return -ESTALE;
		return ap->ops == &attach__clsact ? -ESTALE : -ENOLINK;
	}
	return on_ifindex == (__u32)ap->ifindex ? 0 : -ESTALE;
}

int ap__open(struct ap *ap, const char *ifname, enum plan_hook hook)
{
	__u32 prog_id = 0, on = 0;
	int err;

	err = set_names(ap, ifname, hook);
	if (err)
		return err;
	ap->ops = &attach__link;
	err = ap->ops->open(ap);
	if (err == -ENOENT && hook != PLAN_HOOK_XDP) {
		ap->ops = &attach__clsact;
		ap->ifindex = if_nametoindex(ap->ifname);
		err = ap->ops->open(ap);
	}
	if (err)
		goto out_close;
	ap->slots_fd = pin_get(ap, TG_MAP_SLOTS);
	ap->stats_fd = pin_get(ap, TG_MAP_STATS);
	if (ap->slots_fd < 0 || ap->stats_fd < 0) {
		err = ap->slots_fd < 0 ? ap->slots_fd : ap->stats_fd;
		goto out_close;
	}
	ap->split_fd = pin_get(ap, TG_MAP_SPLIT);
	err = read_info(ap);
	if (err)
		goto out_close;
	ap->attached = true;
	err = ap->ops->query(ap, &prog_id, &on);
	if (!err)
		err = check_iface(ap, on);
	if (!err && hook == PLAN_HOOK_XDP) {
		LIBBPF_OPTS(bpf_xdp_query_opts, q);

		if (!bpf_xdp_query(ap->ifindex, 0, &q))
			ap->skb_mode = q.attach_mode == XDP_ATTACHED_SKB;
	}
	if (!err)
		err = ap__refresh(ap);
	return err;	/* fds stay open on -ESTALE/-ENOLINK: detach and recover need them */

out_close:
	ap__close(ap);
	return err;
}

static void read_bank(struct ap *ap, int b)
{
	struct ap_bank *bk = &ap->bank[b];
	struct gen_record rec;
	uint64_t gen, g;
	char name[16];
	bool fused, f;
	int i, n, k;

	memset(bk, 0, sizeof(*bk));
	bk->nr = slots__bank_ids(ap->slots_fd, b, bk->ids);
	if (bk->nr <= 0) {
		bk->nr = 0;
		return;
	}
	if (prog_name(bk->ids[0], name) || ap__parse_prog_name(name, &gen, &fused, &n))
		return;	/* tailgate 0.1's programs are named after their functions */
	if (fused) {
		bk->gen = gen;
		bk->fused = true;
		bk->nr_stages = n;
		bk->complete = n >= 1;
		return;
	}
	bk->gen = gen;
	bk->nr_stages = bk->nr;
	bk->complete = n == 0;
	for (i = 1; i < bk->nr && bk->complete; i++)
		bk->complete = !prog_name(bk->ids[i], name) &&
			       !ap__parse_prog_name(name, &g, &f, &k) && g == gen && !f && k == i;
	/* The slots stop at the first empty one: a stage deleted from the
	 * middle or the end leaves a shorter chain that looks whole. Its
	 * record knows how many stages it has. */
	if (bk->complete && !store__load_gen(gen, &rec) && rec.nr_stages > 0 &&
	    rec.nr_stages != bk->nr)
		bk->complete = false;
}

int ap__refresh(struct ap *ap)
{
	__u32 prog_id = 0, on = 0;
	int b, err;

	err = slots__prog_id(ap->slots_fd, TG_SLOT_ENTRY, &ap->slot0);
	if (err)
		return err;
	ap->live = ap->slot0 ? AP_BANK_FOREIGN : AP_BANK_NONE;
	for (b = 0; b < (int)TG_NR_BANKS; b++) {
		read_bank(ap, b);
		if (ap->slot0 && ap->bank[b].nr && ap->bank[b].ids[0] == ap->slot0)
			ap->live = b;
	}
	if (ap->ops && !ap->ops->query(ap, &prog_id, &on) && prog_id)
		disp__inspect(prog_id, &ap->disp);
	return 0;
}

int ap__bank_of_gen(const struct ap *ap, uint64_t gen)
{
	int b;

	for (b = 0; b < (int)TG_NR_BANKS && gen; b++)
		if (ap->bank[b].gen == gen && ap->bank[b].nr)
			return b;
	return AP_BANK_NONE;
}

/* Creating */

/* The attach point's maps, in memory: nothing pinned, nothing attached. */
static int make_maps(struct ap *ap)
{
	struct disp_state open = { .kind = DISP_PLAIN };
	struct disp_maps none = { -1, -1, -1, -1 };
	int prog_fd, err;

	ap->prep = calloc(1, sizeof(*ap->prep));
	if (!ap->prep)
		return -ENOMEM;
	/* Loading a dispatcher makes the maps with their BTF and gives the
	 * prog array its owner program type. */
	err = disp__load(ap->hook, &open, &none, &prog_fd, &ap->prep->maps);
	if (err)
		return err;
	close(prog_fd);
	ap->slots_fd = ap->prep->maps.slots_fd;
	ap->stats_fd = ap->prep->maps.stats_fd;
	ap->info_fd = ap->prep->maps.info_fd;
	ap->abi = TG_ABI_VERSION;
	return 0;
}

int ap__prepare(struct ap *ap, const char *ifname, enum plan_hook hook)
{
	int err;

	err = ap__open(ap, ifname, hook);
	if (err != -ENOENT)
		return err;
	err = set_names(ap, ifname, hook);
	if (err)
		return err;
	ap->ifindex = if_nametoindex(ifname);
	if (!ap->ifindex)
		return -ENODEV;
	return make_maps(ap);
}

int ap__prepare_mem(struct ap *ap, const char *name, enum plan_hook hook)
{
	int err = set_names(ap, name, hook);

	return err ?: make_maps(ap);
}

static int write_info(struct ap *ap, bool clsact)
{
	struct tg_ap_info info = {
		.magic = TG_ABI_MAGIC,
		.abi_version = TG_ABI_VERSION,
		.nr_slots = TG_NR_SLOTS,
		.stats_size = sizeof(struct tg_stats),
		.ifindex = ap->ifindex,
		.flags = clsact ? TG_AP_F_CLSACT : 0,
	};
	__u32 k = 0;

	return bpf_map_update_elem(ap->info_fd, &k, &info, BPF_ANY) ? -errno : 0;
}

static int unpin_all(const struct ap *ap)
{
	char parent[PATH_MAX];
	int err;

	err = pins__rm_rf(ap->dir);
	/* The interface's directory goes with its last hook. */
	if (!pins__path(parent, sizeof(parent), "%s/%s", pins__root(), ap->ifname))
		rmdir(parent);
	return err;
}

/* Attach through a link; tc falls back to clsact where TCX is missing. */
static int attach_any(struct ap *ap, int prog_fd, bool skb)
{
	int err = -EOPNOTSUPP;

	ap->ops = &attach__link;
	if (ap->hook == PLAN_HOOK_XDP || !attach__force_clsact())
		err = ap->ops->attach(ap, prog_fd, skb);
	if (ap->hook != PLAN_HOOK_XDP && (err == -EINVAL || err == -EOPNOTSUPP)) {
		pr_debug("%s/%s: no TCX here, attaching through clsact\n", ap->ifname,
			 plan__hook_name(ap->hook));
		ap->ops = &attach__clsact;
		err = ap->ops->attach(ap, prog_fd, skb);
	}
	return err;
}

int ap__commit(struct ap *ap, bool skb)
{
	struct disp_state open = { .kind = DISP_PLAIN };
	struct disp_maps r = { ap->slots_fd, ap->stats_fd, ap->info_fd, -1 };
	int prog_fd, err;

	if (ap->attached)
		return 0;
	err = pins__mkdir_p(ap->dir, 0700);
	if (err)
		return err;
	err = pin_fd(ap, ap->slots_fd, TG_MAP_SLOTS) ?: pin_fd(ap, ap->stats_fd, TG_MAP_STATS);
	if (err)
		goto out_unpin;
	fault__point("after-pin-maps");
	/* Fail-open until this interface's own flip, whatever the plan. */
	err = disp__load(ap->hook, &open, &r, &prog_fd, NULL);
	if (err)
		goto out_unpin;
	/* Maps first, link last: a crash leaves maps to clean, never an
	 * attached dispatcher whose prog array nobody can find. The info
	 * record goes in before the link so stock bpftool can read it. */
	err = write_info(ap, false) ?: pin_fd(ap, ap->info_fd, TG_PIN_INFO) ?:
	      attach_any(ap, prog_fd, skb);
	if (!err && ap->ops == &attach__clsact)
		err = write_info(ap, true);
	close(prog_fd);
	if (err)
		goto out_unpin;
	ap->attached = true;
	free(ap->prep);
	ap->prep = NULL;
	return ap__refresh(ap);

out_unpin:
	unpin_all(ap);
	return err;
}

/* Changing it */

int ap__flip(struct ap *ap, int bank)
{
	int err;

	if (bank < 0 || bank >= (int)TG_NR_BANKS)
		return -EINVAL;
	err = slots__flip(ap->slots_fd, bank);
	if (!err)
		ap->live = bank, ap->slot0 = ap->bank[bank].ids[0];
	return err;
}

int ap__clear(struct ap *ap)
{
	int err = slots__clear(ap->slots_fd, TG_SLOT_ENTRY);

	if (!err)
		ap->live = AP_BANK_NONE, ap->slot0 = 0;
	return err;
}

int ap__serve(struct ap *ap, int bank, bool fail_closed)
{
	struct disp_state want = { .kind = DISP_PLAIN, .fail_closed = bank >= 0 && fail_closed };
	bool same;
	int err;

	same = ap->disp.kind == DISP_PLAIN && ap->disp.fail_closed == want.fail_closed &&
	       ap->disp.prog_id;
	/* Emptying slot 0: fail-open first, or packets meet a fail-closed
	 * dispatcher with nothing to call in between. */
	if (bank < 0) {
		err = same ? 0 : ap__set_dispatcher(ap, &want, 0, 0);
		return err ?: ap__clear(ap);
	}
	err = ap__flip(ap, bank);
	if (err || same)
		return err;
	return ap__set_dispatcher(ap, &want, 0, 0);
}

int ap__set_dispatcher(struct ap *ap, const struct disp_state *want, __u32 weight_bp, __u32 seed)
{
	struct disp_maps r = { ap->slots_fd, ap->stats_fd, ap->info_fd, -1 }, made;
	struct tg_split sp = { .weight_bp = weight_bp, .seed = seed };
	__u32 k = 0;
	int prog_fd, err;

	if (!ap->attached)
		return -ENOLINK;
	err = disp__load(ap->hook, want, &r, &prog_fd, want->kind == DISP_SPLIT ? &made : NULL);
	if (err)
		return err;
	if (want->kind == DISP_SPLIT) {
		close(made.slots_fd);
		close(made.stats_fd);
		close(made.info_fd);
		unpin(ap, TG_MAP_SPLIT);
		/* The share is in place before the first packet meets it. */
		err = bpf_map_update_elem(made.split_fd, &k, &sp, BPF_ANY) ? -errno :
		      pin_fd(ap, made.split_fd, TG_MAP_SPLIT);
		if (err) {
			close(made.split_fd);
			close(prog_fd);
			return err;
		}
		close_fd(&ap->split_fd);
		ap->split_fd = made.split_fd;
	}
	err = ap->ops->replace(ap, prog_fd);
	close(prog_fd);
	if (err)
		return err;
	if (want->kind != DISP_SPLIT) {
		unpin(ap, TG_MAP_SPLIT);
		close_fd(&ap->split_fd);
	}
	return ap__refresh(ap);
}

int ap__set_weight(struct ap *ap, __u32 weight_bp, __u32 seed)
{
	struct tg_split sp = { .weight_bp = weight_bp, .seed = seed };
	__u32 k = 0;

	if (ap->split_fd < 0)
		return -ENOENT;
	return bpf_map_update_elem(ap->split_fd, &k, &sp, BPF_ANY) ? -errno : 0;
}

int ap__get_weight(const struct ap *ap, __u32 *weight_bp, __u32 *seed)
{
	struct tg_split sp = {};
	__u32 k = 0;

	if (ap->split_fd < 0 || ap->disp.kind != DISP_SPLIT)
		return -ENOENT;
	if (bpf_map_lookup_elem(ap->split_fd, &k, &sp))
		return -errno;
	*weight_bp = sp.weight_bp;
	*seed = sp.seed;
	return 0;
}

int ap__upgrade(struct ap *ap)
{
	struct disp_state want = { .kind = DISP_PLAIN, .fail_closed = ap->disp.fail_closed };
	struct disp_maps r = { ap->slots_fd, ap->stats_fd, -1, -1 }, made;
	int prog_fd, err;

	if (ap->abi >= TG_ABI_VERSION)
		return 0;
	/* 0.1 had no info map: this dispatcher load makes one. */
	err = disp__load(ap->hook, &want, &r, &prog_fd, &made);
	if (err)
		return err;
	close(made.slots_fd);
	close(made.stats_fd);
	close_fd(&ap->info_fd);
	ap->info_fd = made.info_fd;
	err = write_info(ap, ap->ops == &attach__clsact) ?: ap->ops->replace(ap, prog_fd);
	close(prog_fd);
	if (!err)
		err = pin_fd(ap, ap->info_fd, TG_PIN_INFO);
	if (!err)
		ap->abi = TG_ABI_VERSION;
	return err ?: ap__refresh(ap);
}

int ap__detach(struct ap *ap)
{
	int err = 0, unpin_err;

	if (ap->ops)
		err = ap->ops->detach(ap);
	fault__point("after-link-detach");
	/* Pins left behind are not "detached": say so, the next run retries. */
	unpin_err = unpin_all(ap);
	if (unpin_err)
		err = unpin_err;
	ap__close(ap);
	return err;
}

/* Walking the pin root */

static int foreach_hook(const char *ifname, int (*cb)(const char *, enum plan_hook, void *),
			void *ctx)
{
	char dir[PATH_MAX];
	enum plan_hook h;
	int err;

	for (h = PLAN_HOOK_XDP; h <= PLAN_HOOK_TC_EGRESS; h++) {
		if (pins__ap_dir(dir, sizeof(dir), ifname, h) || access(dir, F_OK))
			continue;
		err = cb(ifname, h, ctx);
		if (err)
			return err;
	}
	return 0;
}

int ap__foreach(int (*cb)(const char *ifname, enum plan_hook hook, void *ctx), void *ctx)
{
	struct dirent **names;
	int i, n, err = 0;

	n = scandir(pins__root(), &names, NULL, alphasort);
	if (n < 0)
		return errno == ENOENT ? 0 : -errno;
	for (i = 0; i < n; i++) {
		if (!err && names[i]->d_name[0] != '.' && strlen(names[i]->d_name) < IF_NAMESIZE)
			err = foreach_hook(names[i]->d_name, cb, ctx);
		free(names[i]);
	}
	free(names);
	return err;
}
