// SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause)
#include <errno.h>
#include <limits.h>
#include <unistd.h>
#include <bpf/bpf.h>
#include <bpf/libbpf.h>
#include <linux/if_link.h>

#include "ap.h"
#include "attach.h"
#include "pins.h"

/* Debian's uapi headers predate TCX (kernel 6.6); the values are ABI. */
#define TG_BPF_TCX_INGRESS	46
#define TG_BPF_TCX_EGRESS	47

static int link_type(enum plan_hook hook)
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

static int pin_path(const struct ap *ap, char *buf, size_t len)
{
	return pins__path(buf, len, "%s/%s", ap->dir, TG_PIN_LINK);
}

static int link_open(struct ap *ap)
{
	char path[PATH_MAX];

	if (pin_path(ap, path, sizeof(path)))
		return -ENAMETOOLONG;
	ap->link_fd = bpf_obj_get(path);
	return ap->link_fd < 0 ? -errno : 0;
}

static int link_attach(struct ap *ap, int prog_fd, bool skb)
{
	/* Native when asked for native: a driver without it says so. */
	LIBBPF_OPTS(bpf_link_create_opts, o,
		    .flags = ap->hook != PLAN_HOOK_XDP ? 0 :
			     skb ? XDP_FLAGS_SKB_MODE : XDP_FLAGS_DRV_MODE);
	char path[PATH_MAX];
	int fd, err;

	if (pin_path(ap, path, sizeof(path)))
		return -ENAMETOOLONG;
	fd = bpf_link_create(prog_fd, ap->ifindex, link_type(ap->hook), &o);
	if (fd < 0)
		return -errno;
	if (bpf_obj_pin(fd, path)) {
		err = -errno;
		bpf_link_detach(fd);
		close(fd);
		return err;
	}
	ap->link_fd = fd;
	ap->skb_mode = skb;
	return 0;
}

static int link_replace(struct ap *ap, int prog_fd)
{
	return bpf_link_update(ap->link_fd, prog_fd, NULL) ? -errno : 0;
}

static int link_detach(struct ap *ap)
{
	if (ap->link_fd >= 0 && bpf_link_detach(ap->link_fd) && errno != ENOLINK && errno != EINVAL)
		return -errno;
	return 0;
}

static int link_query(const struct ap *ap, __u32 *prog_id, __u32 *ifindex)
{
	struct bpf_link_info info = {};
	__u32 len = sizeof(info);

	if (bpf_obj_get_info_by_fd(ap->link_fd, &info, &len))
		return -errno;
	*prog_id = info.prog_id;
	/* xdp.ifindex and tcx.ifindex share the union's first word; a
	 * link whose interface went away (or was detached) reads 0. */
	*ifindex = info.xdp.ifindex;
	return 0;
}

const struct attach_ops attach__link = {
	.name = "link",
	.open = link_open,
	.attach = link_attach,
	.replace = link_replace,
	.detach = link_detach,
	.query = link_query,
};
