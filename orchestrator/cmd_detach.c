// SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause)
/*
 * tailgate detach IFACE... | --all: detach the dispatcher of every hook of
 * the named interfaces and remove their pins and state. Works on stale
 * attach points too (interface gone or re-created).
 */
#include <errno.h>
#include <stdio.h>
#include <string.h>

#include "attach.h"
#include "cli.h"
#include "journal.h"
#include "lock.h"
#include "log.h"
#include "state.h"
#include "tailgate.h"

static int detach_cb(const char *ifname, enum plan_hook hook, void *ctx)
{
	char msg[128];
	struct ap ap;
	int err;

	attach__open(&ap, ifname, hook);
	/* Even a half-open attach point knows its directory: clean it. */
	err = attach__detach(&ap);
	state__remove_ap(ifname, hook);
	if (err) {
		pr_warn("detach %s/%s: %s\n", ifname, plan__hook_name(hook), strerror(-err));
		return err;
	}
	snprintf(msg, sizeof(msg), "%s/%s: detached", ifname, plan__hook_name(hook));
	printf("%s\n", msg);
	journal__event("detach", msg);
	return 0;
}

int do_detach(int argc, char **argv)
{
	int err;

	err = cli__need_kernel("detach") ?: lock__acquire("detach");
	if (err)
		return err;
	return cli__foreach_named(argc, argv, "detach", detach_cb, NULL);
}
