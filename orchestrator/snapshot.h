/* SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause) */
/*
 * Kept maps across a reboot: `tailgate save` (the unit runs it at
 * shutdown) copies every kept map of every attach point into
 * <state dir>/snapshots/<ifname>.<hook>/<map>, and `restore` fills the
 * new maps from them, only when the layout (type, key and value size,
 * max_entries, flags, CPUs for per-CPU maps) is the same.
 */
#ifndef __TG_SNAPSHOT_H
#define __TG_SNAPSHOT_H

#include "plan.h"

/* Save every kept map of @ifname/@hook (pins under @maps_dir). */
int snapshot__save(const char *ifname, enum plan_hook hook, const char *maps_dir, int *nr_maps);

/*
 * Fill map @fd from the snapshot of @name, if there is one.
 * @return entries restored, 0 when there is no snapshot, -EPROTO when the
 * layout differs (message printed), or negative errno.
 */
int snapshot__load(const char *ifname, enum plan_hook hook, const char *name, int fd);

#endif /* __TG_SNAPSHOT_H */
