/* SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause) */
/*
 * Stage objects as a rollout reads and captures them: a regular file (no
 * symlink at the last component, never a FIFO), an ELF BPF object of a
 * sane size, the plan's sha256 if it gives one, and its license section
 * (the kernel checks GPL-only helpers against it). Everything after this
 * works on the bytes in memory, so a file swapped later changes nothing.
 */
#ifndef __TG_OBJECT_H
#define __TG_OBJECT_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "plan.h"
#include "sha256.h"

/* A stage object as the rollout captured it. */
struct stage_src {
	char path[PLAN_MAX_PATH];	/* where it came from, for messages */
	void *elf;
	size_t len;
	uint8_t sha[SHA256_LEN];
	char license[128];
};

/*
 * Read, check and capture @ps's object. @return 0 or negative errno,
 * message printed.
 */
int object__read(const struct plan_stage *ps, struct stage_src *src);

/* Adopt a captured copy (from the store). @elf is owned by @src after. */
int object__adopt(const struct plan_stage *ps, void *elf, size_t len, struct stage_src *src);

void object__free(struct stage_src *src);

/* Is @license one the kernel treats as GPL-compatible? */
bool object__gpl_compatible(const char *license);

#endif /* __TG_OBJECT_H */
