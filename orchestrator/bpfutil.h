/* SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause) */
/*
 * BPF plumbing the orchestrator, the BPF test tables (tests/bpf) and the
 * bench tools (tools/) share instead of each keeping a copy: setting an
 * object's globals by name before load, opening an object for one of its
 * programs, finding the maps a loaded program uses, and running a program
 * with BPF_PROG_TEST_RUN. The rest of the
 * shared plumbing has its own module: per-CPU sums are counters__read()
 * (counters.c), prog array writes and the one-write flip slots__*()
 * (slots.c) and ap__flip(), opening and wrapping a stage stage__load() and
 * compose__*(), a whole generation gen__load(), an attach point's maps
 * without an interface ap__prepare_mem().
 */
#ifndef __TG_BPFUTIL_H
#define __TG_BPFUTIL_H

#include <stddef.h>
#include <linux/types.h>

struct bpf_object;

/*
 * Write @len bytes at @val into global @name of data section @sec
 * (".rodata", ".data", ".bss") of an opened, not yet loaded object. The
 * offset comes from the section's BTF, which libbpf fixed up at open; the
 * value goes into the initial image libbpf loads (for .rodata: what the
 * verifier then treats as a constant).
 * @return 0, -ENOENT (no such section or variable), -EINVAL (@len is not
 * the variable's size), or another negative errno.
 */
int bpfutil__set_var(struct bpf_object *obj, const char *sec, const char *name, const void *val,
		     size_t len);

/* bpfutil__set_var() of a `const volatile` setting in .rodata. */
int bpfutil__set_rodata(struct bpf_object *obj, const char *name, const void *val, size_t len);

struct bpf_program;

/*
 * Open the object file @path with only program @prog set to load (libbpf
 * would load every program of the object otherwise).
 * @return the object (the caller closes it) with *@p its program, or NULL
 * with errno set (ENOENT: no program @prog in it).
 */
struct bpf_object *bpfutil__open_prog(const char *path, const char *prog, struct bpf_program **p);

/*
 * An fd of map @name used by the loaded program @prog_fd; @nth picks among
 * maps of the same name (0: the first, in the order the program's code
 * first references them). @name is matched against the kernel's name of
 * the map (15 characters at most); one that starts with '.' matches the
 * end, for libbpf's internal maps ("<object>.rodata").
 * @return the fd (the caller closes it), -ENOENT, or negative errno.
 */
int bpfutil__prog_map(int prog_fd, const char *name, int nth);

/* One BPF_PROG_TEST_RUN. */
struct bpfutil_run {
	const void *data;	/* the packet */
	__u32 len;
	__u32 repeat;		/* 0 or 1: once */
	void *data_out;		/* optional: the packet as the program left it */
	__u32 size_out;		/* in: room at data_out; out: bytes written */
	__u32 retval;		/* out: the program's return code (the last run's) */
	__u32 duration;		/* out: mean ns per run, as the kernel measured it */
};

/* Run @prog_fd on @r->data; nothing needs to be attached. @return 0 or -errno. */
int bpfutil__test_run(int prog_fd, struct bpfutil_run *r);

#endif /* __TG_BPFUTIL_H */
