/* SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause) */
/*
 * The prog array of an attach point: reading slot program ids back from
 * the kernel, writing banks, and the one-write flip of slot 0.
 */
#ifndef __TG_SLOTS_H
#define __TG_SLOTS_H

#include <linux/types.h>

#include "../bpf/include/tailgate_abi.h"

/* No generation is live: slot 0 is empty. */
#define SLOTS_BANK_NONE		(-1)

/* Program id in @slot, 0 when empty. @return 0 or negative errno. */
int slots__prog_id(int slots_fd, __u32 slot, __u32 *id);

/* Put @prog_fd into @slot. @return 0 or negative errno. */
int slots__set(int slots_fd, __u32 slot, int prog_fd);

/* Empty @slot (already empty is fine). @return 0 or negative errno. */
int slots__clear(int slots_fd, __u32 slot);

/*
 * Make the generation whose head sits at @bank's first slot live: one
 * write of slot 0. @return 0, -ENOENT when the bank is empty, or errno.
 */
int slots__flip(int slots_fd, unsigned int bank);

/*
 * Which bank is live: the one whose head is the program in slot 0.
 * @return 0 with *bank set (SLOTS_BANK_NONE when slot 0 is empty), or
 * -EUCLEAN when slot 0 holds a program that heads neither bank.
 */
int slots__live_bank(int slots_fd, int *bank);

/* Program ids of a bank's slots, stopping at the first empty one.
 * @return the number of stages found, or negative errno. */
int slots__bank_ids(int slots_fd, unsigned int bank,
		    __u32 ids[TG_BANK_SLOTS]);

#endif /* __TG_SLOTS_H */
