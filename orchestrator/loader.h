/* SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause) */
/*
 * Loading generations: every stage of a plan opened from its object,
 * told its own and its next slot through rodata, bound to the attach
 * point's maps (slots, stats, kept maps), verified by the kernel, and only
 * then written into the inactive bank, tail to head.
 *
 * loader__load() is preflight: it loads and verifies in the kernel but
 * writes nothing live and pins nothing. loader__install() is the first
 * write, and it only touches the inactive bank.
 */
#ifndef __TG_LOADER_H
#define __TG_LOADER_H

#include <stdbool.h>
#include <stddef.h>
#include <linux/types.h>

#include "attach.h"
#include "plan.h"

#define LOADER_MAX_OBJECT_SIZE	(64u << 20)
#define LOADER_MAX_KEPT		(TG_MAX_STAGES * PLAN_MAX_KEEP_MAPS)

/* A plan's stage objects, read once per run, checked, shared by every
 * interface the run loads onto. */
struct loader_objs {
	int nr;
	struct {
		void *elf;
		size_t len;
	} obj[TG_MAX_STAGES];
};

struct loaded_stage {
	char name[PLAN_MAX_NAME];
	char program[PLAN_MAX_NAME];	/* the program actually loaded */
	__u32 slot;
	int prog_fd;
	__u32 prog_id;
	__u32 verified_insns;		/* instructions the verifier processed */
	__u32 stack_depth;		/* bytes, from the verifier's stats */
};

struct loaded_map {
	char name[PLAN_MAX_NAME];
	int fd;
	bool created;			/* new: pin it at install */
};

struct loaded_gen {
	unsigned int bank;
	int nr_stages;
	struct loaded_stage st[TG_MAX_STAGES];
	int nr_maps;
	struct loaded_map maps[LOADER_MAX_KEPT];
	size_t map_bytes;		/* estimate for the new maps */
};

/*
 * Read every stage object of @plan (no symlink followed at the last
 * component), check it is an ELF BPF object and, when the plan gives one,
 * its sha256. @return 0 or negative errno; errors are printed.
 */
int loader__read_objects(const struct plan *plan, struct loader_objs *objs);
void loader__free_objects(struct loader_objs *objs);

/*
 * Load and verify @plan's pipeline for @ap into @bank (slots computed from
 * it) without writing any slot. @return 0, or negative errno with the
 * reason printed naming stage and interface.
 */
int loader__load(const struct ap *ap, const struct plan *plan,
		 const struct loader_objs *objs, unsigned int bank,
		 struct loaded_gen *gen);

/*
 * Pin the new kept maps, write the generation into its bank tail to head
 * and empty the bank's remaining slots. Refuses (-EBUSY) if the bank is
 * live. @return 0 or negative errno.
 */
int loader__install(const struct ap *ap, struct loaded_gen *gen);

/* Close the fds a loaded generation holds; NULL is fine. */
void loader__release(struct loaded_gen *gen);

/* Inactive bank of @ap: the one slot 0 does not point into. */
int loader__inactive_bank(const struct ap *ap, unsigned int *bank);

#endif /* __TG_LOADER_H */
