// SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause)
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <bpf/bpf.h>
#include <bpf/libbpf.h>

#include "ap.h"
#include "attach.h"
#include "pins.h"

#define TG_TC_HANDLE	0x7467		/* "tg" */
#define TG_TC_PRIO	1

bool attach__force_clsact(void)
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

static int pin_path(const struct ap *ap, char *buf, size_t len)
{
	return pins__path(buf, len, "%s/%s", ap->dir, TG_PIN_PROG);
}

static int filter(const struct ap *ap, int prog_fd, bool replace)
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

static int clsact_open(struct ap *ap)
{
	char path[PATH_MAX];

	if (pin_path(ap, path, sizeof(path)))
		return -ENAMETOOLONG;
	ap->prog_fd = bpf_obj_get(path);
	return ap->prog_fd < 0 ? -errno : 0;
}

/* The pin keeps the running program findable (and its fd for queries). */
static int repin(struct ap *ap, int prog_fd)
{
	char path[PATH_MAX];
	int fd;

	if (pin_path(ap, path, sizeof(path)))
		return -ENAMETOOLONG;
	unlink(path);
	if (bpf_obj_pin(prog_fd, path))
		return -errno;
	fd = fcntl(prog_fd, F_DUPFD_CLOEXEC, 3);
	if (fd < 0)
		return -errno;
	if (ap->prog_fd >= 0)
		close(ap->prog_fd);
	ap->prog_fd = fd;
	return 0;
}

static int clsact_attach(struct ap *ap, int prog_fd, bool skb)
{
	char path[PATH_MAX];
	int err;

	if (pin_path(ap, path, sizeof(path)))
		return -ENAMETOOLONG;
	if (bpf_obj_pin(prog_fd, path))
		return -errno;
	err = filter(ap, prog_fd, false);
	if (err) {
		unlink(path);
		return err;
	}
	ap->prog_fd = fcntl(prog_fd, F_DUPFD_CLOEXEC, 3);
	return ap->prog_fd < 0 ? -errno : 0;
}

static int clsact_replace(struct ap *ap, int prog_fd)
{
	int err = filter(ap, prog_fd, true);

	return err ?: repin(ap, prog_fd);
}

static int clsact_detach(struct ap *ap)
{
	LIBBPF_OPTS(bpf_tc_opts, o, .handle = TG_TC_HANDLE, .priority = TG_TC_PRIO);
	struct bpf_tc_hook h;
	int err;

	/* A re-created interface has another index: nothing of ours on it. */
	if (if_nametoindex(ap->ifname) != (unsigned int)ap->ifindex)
		return 0;
	tc_hook(ap, &h);
	err = bpf_tc_detach(&h, &o);
	return err == -ENOENT || err == -EINVAL ? 0 : err;
}

static int clsact_query(const struct ap *ap, __u32 *prog_id, __u32 *ifindex)
{
	LIBBPF_OPTS(bpf_tc_opts, o, .handle = TG_TC_HANDLE, .priority = TG_TC_PRIO);
	struct bpf_tc_hook h;

	*prog_id = *ifindex = 0;
	if (!ap->ifindex)
		return 0;
	tc_hook(ap, &h);
	if (bpf_tc_query(&h, &o))
		return 0;
	*prog_id = o.prog_id;
	*ifindex = ap->ifindex;
	return 0;
}

const struct attach_ops attach__clsact = {
	.name = "clsact",
	.open = clsact_open,
	.attach = clsact_attach,
	.replace = clsact_replace,
	.detach = clsact_detach,
	.query = clsact_query,
};
