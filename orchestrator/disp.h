/* SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause) */
/*
 * The dispatcher programs, loaded onto an attach point's maps: the plain
 * one (tail call into slot 0) and the splitting one of a weighted canary
 * (a share of flows into the new bank's head). Which one runs, and with
 * which settings, is read back from the kernel: the program's name and
 * its frozen .rodata.
 */
#ifndef __TG_DISP_H
#define __TG_DISP_H

#include <stdbool.h>
#include <linux/types.h>

#include "ap.h"

/*
 * Load the dispatcher @want describes for @hook, bound to the maps in
 * @reuse (an fd of -1: a new map is made): slots, stats, info and, for
 * DISP_SPLIT, split. DISP_SPLIT's @want->new_slot is a bank's head
 * (TG_BANK_BASE()) or TG_SLOT_NONE (the program's own default: every
 * packet to slot 0; only the BPF tables want that one).
 * Returns the program fd in *@prog_fd; *@made (optional) gets the caller's
 * own fds of the maps the program uses (split only for DISP_SPLIT), for a
 * first attach or a new split map.
 * @return 0 or negative errno.
 */
struct disp_maps {
	int slots_fd;
	int stats_fd;
	int info_fd;
	int split_fd;
};

int disp__load(enum plan_hook hook, const struct disp_state *want, const struct disp_maps *reuse,
	       int *prog_fd, struct disp_maps *made);

/*
 * disp__load() onto the maps of an attach point in memory
 * (ap__prepare_mem()), attached nowhere: runs enter through *@prog_fd
 * (the caller's) with BPF_PROG_TEST_RUN, as in the BPF tables and the
 * benchmarks. DISP_SPLIT gives @ap a new split map (weight 0 until
 * ap__set_weight()). @return 0 or negative errno.
 */
int disp__load_mem(struct ap *ap, const struct disp_state *want, int *prog_fd);

/* What program @prog_id is: kind, fail-closed, split target. */
int disp__inspect(__u32 prog_id, struct disp_state *st);

#endif /* __TG_DISP_H */
