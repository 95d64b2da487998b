// SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause)
#include <errno.h>
#include <fcntl.h>
#include <stddef.h>
#include <string.h>
#include <unistd.h>
#include <bpf/bpf.h>
#include <bpf/libbpf.h>

#include "bpfutil.h"
#include "disp.h"
#include "dispatcher.skel.h"
#include "split.skel.h"

static int dup_fd(int fd)
{
	int d = fcntl(fd, F_DUPFD_CLOEXEC, 3);

	return d < 0 ? -errno : d;
}

static int reuse(struct bpf_map *m, int fd)
{
	return fd >= 0 && bpf_map__reuse_fd(m, fd) ? -errno : 0;
}

/* Hand the caller its own fds of what the skeleton made or reused. */
static int take(struct bpf_program *p, struct bpf_map *slots, struct bpf_map *stats,
		struct bpf_map *info, struct bpf_map *split, int *prog_fd, struct disp_maps *made)
{
	struct disp_maps m = { -1, -1, -1, -1 };

	*prog_fd = dup_fd(bpf_program__fd(p));
	if (*prog_fd < 0)
		return *prog_fd;
	if (!made)
		return 0;
	m.slots_fd = dup_fd(bpf_map__fd(slots));
	m.stats_fd = dup_fd(bpf_map__fd(stats));
	m.info_fd = dup_fd(bpf_map__fd(info));
	if (split)
		m.split_fd = dup_fd(bpf_map__fd(split));
	if (m.slots_fd < 0 || m.stats_fd < 0 || m.info_fd < 0 || (split && m.split_fd < 0)) {
		close(*prog_fd);
		int fds[] = { m.slots_fd, m.stats_fd, m.info_fd, m.split_fd };

		for (size_t i = 0; i < sizeof(fds) / sizeof(fds[0]); i++)
			if (fds[i] >= 0)
				close(fds[i]);
		return -EMFILE;
	}
	*made = m;
	return 0;
}

static int load_plain(enum plan_hook hook, const struct disp_state *want,
		      const struct disp_maps *r, int *prog_fd, struct disp_maps *made)
{
	bool xdp = hook == PLAN_HOOK_XDP;
	struct dispatcher *skel = dispatcher__open();
	int err;

	if (!skel)
		return -errno;
	/* Per-load setting: the verdict of an empty slot 0. */
	skel->rodata->tg_fail_closed = want->fail_closed;
	bpf_program__set_autoload(skel->progs.tg_dispatch_xdp, xdp);
	bpf_program__set_autoload(skel->progs.tg_dispatch_tc, !xdp);
	err = reuse(skel->maps.slots, r->slots_fd) ?: reuse(skel->maps.stats, r->stats_fd) ?:
	      reuse(skel->maps.info, r->info_fd) ?: dispatcher__load(skel);
	if (!err)
		err = take(xdp ? skel->progs.tg_dispatch_xdp : skel->progs.tg_dispatch_tc,
			   skel->maps.slots, skel->maps.stats, skel->maps.info, NULL, prog_fd, made);
	dispatcher__destroy(skel);
	return err;
}

static int load_split(enum plan_hook hook, const struct disp_state *want,
		      const struct disp_maps *r, int *prog_fd, struct disp_maps *made)
{
	bool xdp = hook == PLAN_HOOK_XDP;
	struct split *skel = split__open();
	int err;

	if (!skel)
		return -errno;
	/* The new bank's head: a constant key, so the JIT jumps directly. */
	skel->rodata->tg_new_slot = want->new_slot;
	skel->rodata->tg_fail_closed = want->fail_closed;
	bpf_program__set_autoload(skel->progs.tg_split_xdp, xdp);
	bpf_program__set_autoload(skel->progs.tg_split_tc, !xdp);
	err = reuse(skel->maps.slots, r->slots_fd) ?: reuse(skel->maps.stats, r->stats_fd) ?:
	      reuse(skel->maps.info, r->info_fd) ?: reuse(skel->maps.split, r->split_fd) ?:
	      split__load(skel);
	if (!err)
		err = take(xdp ? skel->progs.tg_split_xdp : skel->progs.tg_split_tc,
			   skel->maps.slots, skel->maps.stats, skel->maps.info, skel->maps.split,
			   prog_fd, made);
	split__destroy(skel);
	return err;
}

int disp__load(enum plan_hook hook, const struct disp_state *want, const struct disp_maps *reuse_fds,
	       int *prog_fd, struct disp_maps *made)
{
	if (want->kind == DISP_SPLIT && want->new_slot != TG_BANK_BASE(0) &&
	    want->new_slot != TG_BANK_BASE(1) && want->new_slot != TG_SLOT_NONE)
		return -EINVAL;
	return want->kind == DISP_SPLIT ? load_split(hook, want, reuse_fds, prog_fd, made) :
					  load_plain(hook, want, reuse_fds, prog_fd, made);
}

int disp__load_mem(struct ap *ap, const struct disp_state *want, int *prog_fd)
{
	struct disp_maps r = { ap->slots_fd, ap->stats_fd, ap->info_fd, -1 }, made;
	bool split = want->kind == DISP_SPLIT;
	int err = disp__load(ap->hook, want, &r, prog_fd, split ? &made : NULL);

	if (err)
		return err;
	if (split) {
		close(made.slots_fd);
		close(made.stats_fd);
		close(made.info_fd);
		if (ap->split_fd >= 0)
			close(ap->split_fd);
		ap->split_fd = made.split_fd;
	}
	ap->disp = *want;
	return 0;
}

/* A __u32 at @off in the program's frozen .rodata. */
static int rodata_u32(const struct bpf_prog_info *pi, size_t off, __u32 *val)
{
	struct bpf_map_info mi = {};
	__u32 ml = sizeof(mi), k = 0;
	char value[64];
	int pfd, fd, err;

	pfd = bpf_prog_get_fd_by_id(pi->id);
	if (pfd < 0)
		return -errno;
	fd = bpfutil__prog_map(pfd, ".rodata", 0);
	close(pfd);
	if (fd < 0)
		return fd;
	err = bpf_obj_get_info_by_fd(fd, &mi, &ml) ? -errno : 0;
	if (!err && (mi.value_size > sizeof(value) || off + sizeof(*val) > mi.value_size))
		err = -ENOENT;
	if (!err && bpf_map_lookup_elem(fd, &k, value))
		err = -errno;
	if (!err)
		memcpy(val, value + off, sizeof(*val));
	close(fd);
	return err;
}

int disp__inspect(__u32 prog_id, struct disp_state *st)
{
	struct bpf_prog_info pi = {};
	__u32 len = sizeof(pi), v = 0;
	int fd, err;

	memset(st, 0, sizeof(*st));
	st->prog_id = prog_id;
	if (!prog_id)
		return -ENOENT;
	fd = bpf_prog_get_fd_by_id(prog_id);
	if (fd < 0)
		return -errno;
	err = bpf_obj_get_info_by_fd(fd, &pi, &len) ? -errno : 0;
	close(fd);
	if (err)
		return err;
	if (!strncmp(pi.name, "tg_split", 8)) {
		st->kind = DISP_SPLIT;
		err = rodata_u32(&pi, offsetof(struct split__rodata, tg_fail_closed), &v);
		st->fail_closed = !err && v;
		if (!rodata_u32(&pi, offsetof(struct split__rodata, tg_new_slot), &v))
			st->new_slot = v;
		return err;
	}
	if (strncmp(pi.name, "tg_dispatch", 11))
		return -EUCLEAN;	/* not a dispatcher of ours */
	/* tailgate 0.1's dispatcher had the same .rodata. */
	err = rodata_u32(&pi, offsetof(struct dispatcher__rodata, tg_fail_closed), &v);
	st->fail_closed = !err && v;
	return err;
}
