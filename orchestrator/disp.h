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
 * Load the dispatcher @want describes for @hook, bound to @slots_fd,
 * @stats_fd and @info_fd (-1: a new info map is made). For DISP_SPLIT,
 * @split_fd is reused or, when -1, made and returned in *@split_out.
 * Returns the program fd in *@prog_fd; *@maps (optional) gets the fds of
 * the maps made, for a first attach: slots, stats, info.
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

/* What program @prog_id is: kind, fail-closed, split target. */
int disp__inspect(__u32 prog_id, struct disp_state *st);

#endif /* __TG_DISP_H */
