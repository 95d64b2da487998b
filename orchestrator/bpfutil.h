/* SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause) */
/*
 * BPF plumbing shared by the orchestrator, the BPF test tables and the
 * bench tools, so none of them carries its own copy: setting a .rodata
 * variable by name before load, and BPF_PROG_TEST_RUN of one packet.
 */
#ifndef __TG_BPFUTIL_H
#define __TG_BPFUTIL_H

#include <stddef.h>
#include <linux/types.h>

struct bpf_object;

/*
 * Write @len bytes of @val into the .rodata variable @var of @obj (opened,
 * not loaded yet), found through the object's BTF. @return 0, -ENOENT
 * (no such variable, or no BTF), -EINVAL (size differs) or -errno.
 */
int bpfutil__set_rodata(struct bpf_object *obj, const char *var, const void *val, size_t len);

/*
 * Run @prog_fd on the packet @pkt (@len bytes) @repeat times. *@retval
 * gets the program's return code; *@duration_ns (optional) the kernel's
 * own mean per run, whole ns. @return 0 or negative errno.
 */
int bpfutil__test_run(int prog_fd, const void *pkt, __u32 len, __u32 repeat, __u32 *retval,
		      __u32 *duration_ns);

#endif /* __TG_BPFUTIL_H */
