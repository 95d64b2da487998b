/* SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause) */
/*
 * The interfaces a plan names: names and globs resolved against the
 * interfaces that exist now, canaries first, then the fleet in name
 * order (tg2 before tg10); an interface named twice counts once, as a
 * canary if it is one.
 */
#ifndef __TG_TARGETS_H
#define __TG_TARGETS_H

#include <stdbool.h>
#include <net/if.h>

#include "plan.h"

struct target_name {
	char ifname[IF_NAMESIZE];
	bool canary;
};

/*
 * Resolve @plan's interfaces into @out (PLAN_MAX_IFACES entries).
 * @return the number of targets, or negative errno (message printed
 * naming the interface or pattern).
 */
int targets__resolve(const struct plan *plan, struct target_name *out);

#endif /* __TG_TARGETS_H */
