// SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause)
#include <dirent.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <bpf/bpf.h>
#include <bpf/libbpf.h>
#include <linux/if_link.h>

#include "attach.h"
#include "dispatcher.skel.h"
#include "fault.h"
#include "log.h"
#include "pins.h"
#include "state.h"

/* Debian's uapi headers predate TCX (kernel 6.6); the values are ABI. */
#define TG_BPF_TCX_INGRESS	46
#define TG_BPF_TCX_EGRESS	47

int attach__link_type(enum plan_hook hook)
{
	switch (hook) {
	case PLAN_HOOK_TC_INGRESS:
		return TG_BPF_TCX_INGRESS;
	case PLAN_HOOK_TC_EGRESS:
		return TG_BPF_TCX_EGRESS;
	default:
		return BPF_XDP;
	}
}

int attach__prog_type(enum plan_hook hook)
{
	return hook == PLAN_HOOK_XDP ? BPF_PROG_TYPE_XDP : BPF_PROG_TYPE_SCHED_CLS;
}

void attach__init(struct ap *ap)
{
	memset(ap, 0, sizeof(*ap));
	ap->slots_fd = -1;
	ap->stats_fd = -1;
	ap->link_fd = -1;
	ap->prog_fd = -1;
}

void attach__close(struct ap *ap)
{
	if (!ap)
		return;
	dispatcher__destroy(ap->skel);
	/* The skeleton owned these fds when it was set. */
	if (!ap->skel) {
		if (ap->slots_fd >= 0)
			close(ap->slots_fd);
		if (ap->stats_fd >= 0)
			close(ap->stats_fd);
	}
	if (ap->link_fd >= 0)
		close(ap->link_fd);
	if (ap->prog_fd >= 0)
		close(ap->prog_fd);
	ap->skel = NULL;
	ap->slots_fd = ap->stats_fd = ap->link_fd = ap->prog_fd = -1;
	ap->attached = false;
}

static int ap_set_names(struct ap *ap, const char *ifname, enum plan_hook hook)
{
	if (strlen(ifname) >= sizeof(ap->ifname))
		return -ENAMETOOLONG;
	/* @ifname may be ap->ifname itself. */
	memmove(ap->ifname, ifname, strlen(ifname) + 1);
	ap->hook = hook;
	return pins__ap_dir(ap->dir, sizeof(ap->dir), ifname, hook);
}

static int obj_get(const struct ap *ap, const char *name)
{
	char path[PATH_MAX];

	if (pins__path(path, sizeof(path), "%s/%s", ap->dir, name))
		return -ENAMETOOLONG;
	return bpf_obj_get(path);
}

/* The interface the pinned link is on (0 when it went away). */
static int link_ifindex(int link_fd, __u32 *ifindex)
{
	struct bpf_link_info info = {};
	__u32 len = sizeof(info);

	if (bpf_obj_get_info_by_fd(link_fd, &info, &len))
		return -errno;
	/* xdp.ifindex and tcx.ifindex share the union's first word. */
	*ifindex = info.xdp.ifindex;
	return 0;
}

static int check_link_iface(struct ap *ap)
{
	__u32 linked = 0;
	int err;

	err = link_ifindex(ap->link_fd, &linked);
	if (err)
		return err;
	ap->ifindex = if_nametoindex(ap->ifname);
	if (!ap->ifindex)
		return -ENODEV;
	/*
	 * A link whose interface went away reads ifindex 0, and so does one
	 * detached by a `tailgate detach` that died before unpinning: the
	 * ifindex recorded at attach time tells the two apart.
	 */
	if (!linked) {
		struct state_ap st;

		if (!state__load_ap(ap->ifname, ap->hook, &st) && st.ifindex &&
		    st.ifindex != (__u32)ap->ifindex)
			return -ESTALE;
		return -ENOLINK;
	}
	if (linked != (__u32)ap->ifindex)
		return -ESTALE;
	return 0;
}

/* The clsact fallback */

#define TG_TC_HANDLE	0x7467		/* "tg" */
#define TG_TC_PRIO	1

static bool force_clsact(void)
{
	const char *m = getenv("TAILGATE_TC_ATTACH");

	return m && !strcmp(m, "clsact");
}

static void tc_hook(const struct ap *ap, struct bpf_tc_hook *h)
{
	memset(h, 0, sizeof(*h));
	h->sz = sizeof(*h);
	h->ifindex = ap->ifindex;
	h->attach_point = ap->hook == PLAN_HOOK_TC_EGRESS ? BPF_TC_EGRESS : BPF_TC_INGRESS;
}

static int clsact_attach(const struct ap *ap, int prog_fd, bool replace)
{
	LIBBPF_OPTS(bpf_tc_opts, o, .prog_fd = prog_fd, .handle = TG_TC_HANDLE,
		    .priority = TG_TC_PRIO, .flags = replace ? BPF_TC_F_REPLACE : 0);
	struct bpf_tc_hook h;
	int err;

	tc_hook(ap, &h);
	err = bpf_tc_hook_create(&h);
	if (err && err != -EEXIST)
		return err;
	return bpf_tc_attach(&h, &o);
}

static int clsact_detach(const struct ap *ap)
{
	LIBBPF_OPTS(bpf_tc_opts, o, .handle = TG_TC_HANDLE, .priority = TG_TC_PRIO);
	struct bpf_tc_hook h;
	int err;

	tc_hook(ap, &h);
	err = bpf_tc_detach(&h, &o);
	return err == -ENOENT || err == -EINVAL ? 0 : err;
}

/* Is our filter on the interface, running the pinned dispatcher? */
static int clsact_check(struct ap *ap)
{
	LIBBPF_OPTS(bpf_tc_opts, o, .handle = TG_TC_HANDLE, .priority = TG_TC_PRIO);
	struct bpf_prog_info info = {};
	__u32 len = sizeof(info);
	struct bpf_tc_hook h;

	ap->ifindex = if_nametoindex(ap->ifname);
	if (!ap->ifindex)
		return -ENODEV;
	if (bpf_obj_get_info_by_fd(ap->prog_fd, &info, &len))
		return -errno;
	tc_hook(ap, &h);
	if (bpf_tc_query(&h, &o) || o.prog_id != info.id)
		return -ESTALE;
	return 0;
}

static int open_clsact(struct ap *ap)
{
	ap->prog_fd = obj_get(ap, TG_PIN_PROG);
	if (ap->prog_fd < 0)
		return errno == ENOENT ? -ENOENT : -errno;
	ap->clsact = true;
	return 0;
}

int attach__open(struct ap *ap, const char *ifname, enum plan_hook hook)
{
	char name[IF_NAMESIZE];
	int err;

	/* @ifname may point into @ap, which attach__init() clears. */
	snprintf(name, sizeof(name), "%s", ifname);
	attach__init(ap);
	err = ap_set_names(ap, name, hook);
	if (err)
		return err;
	ap->link_fd = obj_get(ap, TG_PIN_LINK);
	if (ap->link_fd < 0) {
		err = errno == ENOENT ? -ENOENT : -errno;
		if (err == -ENOENT && hook != PLAN_HOOK_XDP)
			err = open_clsact(ap);
		if (err)
			goto out_close;
	}
	ap->slots_fd = obj_get(ap, TG_MAP_SLOTS);
	ap->stats_fd = obj_get(ap, TG_MAP_STATS);
	if (ap->slots_fd < 0 || ap->stats_fd < 0) {
		err = -errno;
		goto out_close;
	}
	ap->attached = true;
	err = ap->clsact ? clsact_check(ap) : check_link_iface(ap);
	if (err)
		return err;	/* fds stay open: detach and recover need them */
	return 0;

out_close:
	attach__close(ap);
	return err;
}

static struct dispatcher *dispatcher_open(enum plan_hook hook, bool fail_closed)
{
	struct dispatcher *skel;
	bool xdp = hook == PLAN_HOOK_XDP;

	skel = dispatcher__open();
	if (!skel)
		return NULL;
	skel->rodata->tg_fail_closed = fail_closed;
	bpf_program__set_autoload(skel->progs.tg_dispatch_xdp, xdp);
	bpf_program__set_autoload(skel->progs.tg_dispatch_tc, !xdp);
	return skel;
}

static int dispatcher_prog_fd(const struct ap *ap, struct dispatcher *skel)
{
	return bpf_program__fd(ap->hook == PLAN_HOOK_XDP ?
			       skel->progs.tg_dispatch_xdp :
			       skel->progs.tg_dispatch_tc);
}

int attach__prepare(struct ap *ap, const char *ifname, enum plan_hook hook,
		    bool fail_closed)
{
	int err;

	err = attach__open(ap, ifname, hook);
	if (err != -ENOENT)
		return err;
	err = ap_set_names(ap, ifname, hook);
	if (err)
		return err;
	ap->ifindex = if_nametoindex(ifname);
	if (!ap->ifindex)
		return -ENODEV;
	/* Loading the dispatcher creates slots/stats with their BTF and
	 * makes the prog array's owner the hook's program type. */
	ap->skel = dispatcher_open(hook, fail_closed);
	if (!ap->skel)
		return -errno;
	err = dispatcher__load(ap->skel);
	if (err) {
		attach__close(ap);
		return err;
	}
	ap->slots_fd = bpf_map__fd(ap->skel->maps.slots);
	ap->stats_fd = bpf_map__fd(ap->skel->maps.stats);
	return 0;
}

static int pin_fd(const struct ap *ap, int fd, const char *name)
{
	char path[PATH_MAX];

	if (pins__path(path, sizeof(path), "%s/%s", ap->dir, name))
		return -ENAMETOOLONG;
	if (bpf_obj_pin(fd, path))
		return -errno;
	return 0;
}

static void unpin_all(const struct ap *ap)
{
	char parent[PATH_MAX];

	pins__rm_rf(ap->dir);
	/* The interface's directory goes with its last hook. */
	if (!pins__path(parent, sizeof(parent), "%s/%s", pins__root(), ap->ifname))
		rmdir(parent);
}

static int link_create(const struct ap *ap, int prog_fd)
{
	int fd;

	fd = bpf_link_create(prog_fd, ap->ifindex, attach__link_type(ap->hook), NULL);
	if (fd < 0)
		return -errno;
	return fd;
}

/* No TCX (kernel < 6.6) or asked for: a clsact filter, program pinned. */
static int commit_clsact(struct ap *ap)
{
	int fd = dispatcher_prog_fd(ap, ap->skel), err;

	pr_debug("%s/%s: attaching through clsact\n", ap->ifname, plan__hook_name(ap->hook));
	err = pin_fd(ap, fd, TG_PIN_PROG);
	if (err)
		goto out_unpin;
	err = clsact_attach(ap, fd, false);
	if (err)
		goto out_unpin;
	ap->prog_fd = dup(fd);
	ap->clsact = true;
	ap->attached = true;
	return 0;

out_unpin:
	unpin_all(ap);
	return err;
}

int attach__commit(struct ap *ap)
{
	int err;

	if (ap->attached)
		return 0;
	err = pins__mkdir_p(ap->dir, 0700);
	if (err)
		return err;
	err = pin_fd(ap, ap->slots_fd, TG_MAP_SLOTS) ?:
	      pin_fd(ap, ap->stats_fd, TG_MAP_STATS);
	if (err)
		goto out_unpin;
	fault__point("after-pin-maps");
	/* Pins first, link last: a crash leaves maps to clean, never an
	 * attached dispatcher whose prog array nobody can find. */
	ap->link_fd = ap->hook != PLAN_HOOK_XDP && force_clsact() ? -EOPNOTSUPP :
		      link_create(ap, dispatcher_prog_fd(ap, ap->skel));
	if (ap->hook != PLAN_HOOK_XDP && (ap->link_fd == -EINVAL || ap->link_fd == -EOPNOTSUPP)) {
		ap->link_fd = -1;
		return commit_clsact(ap);
	}
	if (ap->link_fd < 0) {
		err = ap->link_fd;
		goto out_unpin;
	}
	err = pin_fd(ap, ap->link_fd, TG_PIN_LINK);
	if (err)
		goto out_detach;
	ap->attached = true;
	return 0;

out_detach:
	bpf_link_detach(ap->link_fd);
	close(ap->link_fd);
	ap->link_fd = -1;
out_unpin:
	unpin_all(ap);
	return err;
}

/* Replace the filter's program in place, then the pin. */
static int upgrade_clsact(struct ap *ap, int fd)
{
	char path[PATH_MAX];
	int err;

	err = clsact_attach(ap, fd, true);
	if (err)
		return err;
	if (pins__path(path, sizeof(path), "%s/%s", ap->dir, TG_PIN_PROG))
		return -ENAMETOOLONG;
	unlink(path);
	err = pin_fd(ap, fd, TG_PIN_PROG);
	if (!err) {
		close(ap->prog_fd);
		ap->prog_fd = dup(fd);
	}
	return err;
}

int attach__upgrade(struct ap *ap, bool fail_closed)
{
	struct dispatcher *skel;
	int err;

	if (ap->link_fd < 0 && !ap->clsact)
		return -ENOLINK;
	skel = dispatcher_open(ap->hook, fail_closed);
	if (!skel)
		return -errno;
	err = bpf_map__reuse_fd(skel->maps.slots, ap->slots_fd) ?:
	      bpf_map__reuse_fd(skel->maps.stats, ap->stats_fd) ?:
	      dispatcher__load(skel);
	if (err)
		goto out_destroy;
	if (ap->clsact)
		err = upgrade_clsact(ap, dispatcher_prog_fd(ap, skel));
	else if (bpf_link_update(ap->link_fd, dispatcher_prog_fd(ap, skel), NULL))
		err = -errno;
out_destroy:
	dispatcher__destroy(skel);
	return err;
}

int attach__detach(struct ap *ap)
{
	int err = 0;

	if (ap->link_fd >= 0 && bpf_link_detach(ap->link_fd) && errno != ENOLINK)
		err = -errno;
	fault__point("after-link-detach");
	if (ap->clsact && if_nametoindex(ap->ifname) == (unsigned int)ap->ifindex)
		err = clsact_detach(ap) ?: err;
	unpin_all(ap);
	attach__close(ap);
	return err;
}

static int foreach_hook(const char *ifname,
			int (*cb)(const char *, enum plan_hook, void *),
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

int attach__foreach(int (*cb)(const char *ifname, enum plan_hook hook,
			      void *ctx),
		    void *ctx)
{
	struct dirent **names;
	int i, n, err = 0;

	n = scandir(pins__root(), &names, NULL, alphasort);
	if (n < 0)
		return errno == ENOENT ? 0 : -errno;
	for (i = 0; i < n; i++) {
		if (!err && names[i]->d_name[0] != '.' &&
		    strlen(names[i]->d_name) < IF_NAMESIZE)
			err = foreach_hook(names[i]->d_name, cb, ctx);
		free(names[i]);
	}
	free(names);
	return err;
}
