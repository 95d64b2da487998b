// SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause)
#include <errno.h>
#include <limits.h>
#include <stdint.h>
#include <string.h>
#include <unistd.h>
#include <sys/syscall.h>
#include <linux/capability.h>

#include "attach.h"
#include "cli.h"
#include "log.h"
#include "pins.h"
#include "tailgate.h"

#ifndef CAP_BPF
#define CAP_BPF 39
#endif

/* Here, not in main.c: the unit tests link every module but main.o. */
struct tg_options tg_opts;

struct plan *cli__load_plan(const char *path)
{
	struct plan_error err = {};
	struct plan *plan;

	/* The journal keeps one record a line; such a path cannot go in it. */
	if (strchr(path, '\n')) {
		fprintf(stderr, "plan path contains a newline; rename the file\n");
		return NULL;
	}
	plan = plan__parse_file(path, &err);
	if (plan)
		return plan;
	if (err.line)
		fprintf(stderr, "%s:%d:%d: %s\n", path, err.line, err.col, err.msg);
	else
		fprintf(stderr, "%s: %s\n", path, err.msg);
	return NULL;
}

static bool has_cap(const struct __user_cap_data_struct *d, int cap)
{
	return d[cap / 32].effective & (1u << (cap % 32));
}

int cli__need_kernel(const char *verb)
{
	struct __user_cap_header_struct hdr = { _LINUX_CAPABILITY_VERSION_3, 0 };
	struct __user_cap_data_struct d[2] = {};
	const char *missing = NULL;

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
	return pins__ensure_bpffs();
}

void cli__json_str(FILE *f, const char *s)
{
	fputc('"', f);
	for (; *s; s++) {
		if (*s == '"' || *s == '\\')
			fprintf(f, "\\%c", *s);
		else if ((unsigned char)*s < 0x20)
			fprintf(f, "\\u%04x", *s);
		else
			fputc(*s, f);
	}
	fputc('"', f);
}

struct named {
	const char *ifname;
	int (*cb)(const char *, enum plan_hook, void *);
	void *ctx;
	int found;
};

static int named_cb(const char *ifname, enum plan_hook hook, void *ctx)
{
	struct named *n = ctx;

	if (n->ifname && strcmp(n->ifname, ifname))
		return 0;
	n->found++;
	return n->cb(ifname, hook, n->ctx);
}

int cli__foreach_named(int argc, char **argv, const char *verb,
		       int (*cb)(const char *ifname, enum plan_hook hook, void *ctx),
		       void *ctx)
{
	struct named n = { .cb = cb, .ctx = ctx };
	int i, err = 0;

	if (argc < 2) {
		fprintf(stderr, "usage: tailgate %s IFACE... | --all\n", verb);
		return TG_ERR_USAGE;
	}
	if (argc == 2 && !strcmp(argv[1], "--all"))
		return attach__foreach(named_cb, &n);
	for (i = 1; i < argc && !err; i++) {
		n.ifname = argv[i];
		n.found = 0;
		err = attach__foreach(named_cb, &n);
		if (!err && !n.found) {
			pr_warn("%s: no tailgate dispatcher on '%s' (see 'tailgate status')\n",
				verb, argv[i]);
			err = -ENOENT;
		}
	}
	return err;
}
