// SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause)
#include <errno.h>
#include <fnmatch.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "log.h"
#include "targets.h"

struct resolve {
	const struct plan *plan;
	struct target_name *t;
	int nr;
};

static bool has_glob(const char *s)
{
	return strpbrk(s, "*?[") != NULL;
}

static int add(struct resolve *r, const char *ifname, bool canary)
{
	int i;

	for (i = 0; i < r->nr; i++)
		if (!strcmp(r->t[i].ifname, ifname))
			return 0;
	if (r->nr >= PLAN_MAX_IFACES) {
		pr_warn("plan %s: more than %d interfaces\n", r->plan->path, PLAN_MAX_IFACES);
		return -E2BIG;
	}
	snprintf(r->t[r->nr].ifname, IF_NAMESIZE, "%s", ifname);
	r->t[r->nr].canary = canary;
	r->nr++;
	return 0;
}

static int cmp_names(const void *a, const void *b)
{
	return strverscmp(*(const char *const *)a, *(const char *const *)b);
}

static int add_glob(struct resolve *r, const char *pat, bool canary)
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
		err = add(r, names[k], canary);
	if_freenameindex(all);
	if (!n)
		pr_warn("plan %s: interface pattern '%s' matches no interface\n", r->plan->path, pat);
	return err ?: (n ? 0 : -ENODEV);
}

static int add_names(struct resolve *r, const char (*names)[IF_NAMESIZE], int nr, bool canary)
{
	int i, err;

	for (i = 0; i < nr; i++) {
		if (has_glob(names[i])) {
			err = add_glob(r, names[i], canary);
		} else if (!if_nametoindex(names[i])) {
			pr_warn("plan %s: interface '%s' does not exist; create it or remove it from the plan\n",
				r->plan->path, names[i]);
			err = -ENODEV;
		} else {
			err = add(r, names[i], canary);
		}
		if (err)
			return err;
	}
	return 0;
}

int targets__resolve(const struct plan *plan, struct target_name *out)
{
	struct resolve r = { .plan = plan, .t = out };
	int err;

	err = add_names(&r, (const char (*)[IF_NAMESIZE])plan->canary, plan->nr_canary, true) ?:
	      add_names(&r, (const char (*)[IF_NAMESIZE])plan->fleet, plan->nr_fleet, false);
	if (err)
		return err;
	if (!r.nr) {
		pr_warn("plan %s: no interfaces to roll out to\n", plan->path);
		return -ENODEV;
	}
	return r.nr;
}
