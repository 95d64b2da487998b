/* SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause) */
/*
 * Where things live: the bpffs pin root (TAILGATE_PIN_ROOT, default
 * /sys/fs/bpf/tailgate) and the state directory (TAILGATE_STATE_DIR,
 * default /var/lib/tailgate), plus the file-system chores around them.
 */
#ifndef __TG_PINS_H
#define __TG_PINS_H

#include <stddef.h>
#include <sys/types.h>

#include "plan.h"

#define PINS_DEFAULT_ROOT	"/sys/fs/bpf/tailgate"
#define PINS_DEFAULT_STATE	"/var/lib/tailgate"
#define PINS_BPFFS		"/sys/fs/bpf"

const char *pins__root(void);
const char *pins__state_dir(void);

/*
 * Make sure the pin root sits on a bpffs: mount one at /sys/fs/bpf when
 * that is where it belongs and nothing is mounted there yet.
 * @return 0 or negative errno (message printed).
 */
int pins__ensure_bpffs(void);

/* <root>/<ifname>/<hook> into @buf. @return 0 or -ENAMETOOLONG. */
int pins__ap_dir(char *buf, size_t len, const char *ifname,
		 enum plan_hook hook);

/* snprintf that reports truncation. @return 0 or -ENAMETOOLONG. */
int pins__path(char *buf, size_t len, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));

/* mkdir -p. @return 0 or negative errno. */
int pins__mkdir_p(const char *path, mode_t mode);

/* Remove @path and, if it is a directory, everything below it. */
int pins__rm_rf(const char *path);

#endif /* __TG_PINS_H */
