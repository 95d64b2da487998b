// SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause)
#include <errno.h>
#include <unistd.h>
#include <bpf/bpf.h>

#include "slots.h"

int slots__prog_id(int slots_fd, __u32 slot, __u32 *id)
{
	/* A prog array reads back program ids, never fds. */
	if (bpf_map_lookup_elem(slots_fd, &slot, id)) {
		if (errno != ENOENT)
			return -errno;
		*id = 0;
	}
	return 0;
}

int slots__set(int slots_fd, __u32 slot, int prog_fd)
{
	__u32 val = prog_fd;

	if (bpf_map_update_elem(slots_fd, &slot, &val, BPF_ANY))
		return -errno;
	return 0;
}

int slots__clear(int slots_fd, __u32 slot)
{
	if (bpf_map_delete_elem(slots_fd, &slot) && errno != ENOENT)
		return -errno;
	return 0;
}

int slots__flip(int slots_fd, unsigned int bank)
{
	__u32 id;
	int fd, err;

	err = slots__prog_id(slots_fd, TG_BANK_BASE(bank), &id);
	if (err)
		return err;
	if (!id)
		return -ENOENT;
	fd = bpf_prog_get_fd_by_id(id);
	if (fd < 0)
		return -errno;
	err = slots__set(slots_fd, TG_SLOT_ENTRY, fd);
	close(fd);
	return err;
}

int slots__live_bank(int slots_fd, int *bank)
{
	__u32 live, head;
	unsigned int b;
	int err;

	err = slots__prog_id(slots_fd, TG_SLOT_ENTRY, &live);
	if (err)
		return err;
	*bank = SLOTS_BANK_NONE;
	if (!live)
		return 0;
	for (b = 0; b < TG_NR_BANKS; b++) {
		err = slots__prog_id(slots_fd, TG_BANK_BASE(b), &head);
		if (err)
			return err;
		if (head == live) {
			*bank = b;
			return 0;
		}
	}
	return -EUCLEAN;
}

int slots__bank_ids(int slots_fd, unsigned int bank, __u32 ids[TG_BANK_SLOTS])
{
	unsigned int i;
	int err;

	for (i = 0; i < TG_BANK_SLOTS; i++) {
		err = slots__prog_id(slots_fd, TG_BANK_BASE(bank) + i, &ids[i]);
		if (err)
			return err;
		if (!ids[i])
			break;
	}
	return i;
}
