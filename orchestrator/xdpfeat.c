// SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause)
#include <errno.h>
#include <stdint.h>
#include <string.h>
#include <unistd.h>
#include <sys/socket.h>
#include <linux/genetlink.h>
#include <linux/netlink.h>

#include "xdpfeat.h"

/* include/uapi/linux/netdev.h (6.3); Debian 12's headers predate it. */
#define TG_NETDEV_FAMILY		"netdev"
#define TG_NETDEV_CMD_DEV_GET		1
#define TG_NETDEV_A_DEV_IFINDEX		1
#define TG_NETDEV_A_DEV_XDP_FEATURES	3
#define TG_NETDEV_XDP_ACT_BASIC		(1ULL << 0)

struct req {
	struct nlmsghdr nh;
	struct genlmsghdr gh;
	char attrs[64];
};

static void put_attr(struct req *r, __u16 type, const void *data, __u16 len)
{
	struct nlattr *a = (struct nlattr *)((char *)r + NLMSG_ALIGN(r->nh.nlmsg_len));

	a->nla_type = type;
	a->nla_len = NLA_HDRLEN + len;
	memcpy((char *)a + NLA_HDRLEN, data, len);
	r->nh.nlmsg_len = NLMSG_ALIGN(r->nh.nlmsg_len) + NLA_ALIGN(a->nla_len);
}

/* Send @r, receive one reply into @buf. @return its length or -errno. */
static int transact(int fd, struct req *r, char *buf, size_t len)
{
	struct nlmsghdr *nh = (struct nlmsghdr *)buf;
	ssize_t n;

	if (send(fd, r, r->nh.nlmsg_len, 0) < 0)
		return -errno;
	n = recv(fd, buf, len, 0);
	if (n < 0)
		return -errno;
	if (n < (ssize_t)NLMSG_HDRLEN || !NLMSG_OK(nh, (size_t)n))
		return -EPROTO;
	if (nh->nlmsg_type == NLMSG_ERROR) {
		const struct nlmsgerr *e = NLMSG_DATA(nh);

		return e->error ? e->error : -EPROTO;
	}
	return n;
}

/* The attribute @type of the one message in @buf, or NULL. */
static const struct nlattr *find_attr(const char *buf, int n, __u16 type)
{
	const struct nlmsghdr *nh = (const struct nlmsghdr *)buf;
	const char *p = (const char *)NLMSG_DATA(nh) + GENL_HDRLEN;
	const char *end = buf + (nh->nlmsg_len < (__u32)n ? nh->nlmsg_len : (__u32)n);
	const struct nlattr *a;

	while (p + NLA_HDRLEN <= end) {
		a = (const struct nlattr *)p;
		if (a->nla_len < NLA_HDRLEN || p + a->nla_len > end)
			return NULL;
		if ((a->nla_type & NLA_TYPE_MASK) == type)
			return a;
		p += NLA_ALIGN(a->nla_len);
	}
	return NULL;
}

static void start(struct req *r, __u16 type, __u8 cmd, __u8 version)
{
	memset(r, 0, sizeof(*r));
	r->nh.nlmsg_len = NLMSG_LENGTH(GENL_HDRLEN);
	r->nh.nlmsg_type = type;
	r->nh.nlmsg_flags = NLM_F_REQUEST;
	r->gh.cmd = cmd;
	r->gh.version = version;
}

static int family_id(int fd, __u16 *id)
{
	const struct nlattr *a;
	char buf[4096];
	struct req r;
	int n;

	start(&r, GENL_ID_CTRL, CTRL_CMD_GETFAMILY, 1);
	put_attr(&r, CTRL_ATTR_FAMILY_NAME, TG_NETDEV_FAMILY, sizeof(TG_NETDEV_FAMILY));
	n = transact(fd, &r, buf, sizeof(buf));
	if (n == -ENOENT)
		return -EOPNOTSUPP;	/* kernel without the netdev family */
	if (n < 0)
		return n;
	a = find_attr(buf, n, CTRL_ATTR_FAMILY_ID);
	if (!a || a->nla_len < NLA_HDRLEN + sizeof(__u16))
		return -EPROTO;
	memcpy(id, (const char *)a + NLA_HDRLEN, sizeof(*id));
	return 0;
}

int xdpfeat__native(int ifindex, bool *native)
{
	const struct nlattr *a;
	__u32 idx = ifindex;
	char buf[4096];
	__u64 feat;
	struct req r;
	__u16 id;
	int fd, n;

	fd = socket(AF_NETLINK, SOCK_RAW | SOCK_CLOEXEC, NETLINK_GENERIC);
	if (fd < 0)
		return -errno;
	n = family_id(fd, &id);
	if (n)
		goto out_close;
	start(&r, id, TG_NETDEV_CMD_DEV_GET, 1);
	put_attr(&r, TG_NETDEV_A_DEV_IFINDEX, &idx, sizeof(idx));
	n = transact(fd, &r, buf, sizeof(buf));
	if (n < 0)
		goto out_close;
	a = find_attr(buf, n, TG_NETDEV_A_DEV_XDP_FEATURES);
	if (!a || a->nla_len < NLA_HDRLEN + sizeof(feat)) {
		n = -EOPNOTSUPP;
		goto out_close;
	}
	memcpy(&feat, (const char *)a + NLA_HDRLEN, sizeof(feat));
	*native = feat & TG_NETDEV_XDP_ACT_BASIC;
	n = 0;
out_close:
	close(fd);
	return n;
}
