// SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause)
#include <elf.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "files.h"
#include "log.h"
#include "object.h"
#include "store.h"

#ifndef EM_BPF
#define EM_BPF 247
#endif

static int check_elf(const struct plan_stage *ps, const void *elf, size_t len)
{
	const Elf64_Ehdr *eh = elf;

	if (len < sizeof(*eh) || memcmp(eh->e_ident, ELFMAG, SELFMAG) ||
	    eh->e_ident[EI_CLASS] != ELFCLASS64 || eh->e_type != ET_REL || eh->e_machine != EM_BPF) {
		pr_warn("stage '%s': %s is not an ELF BPF object (build it with 'clang -target bpf')\n",
			ps->name, ps->object);
		return -ENOEXEC;
	}
	return 0;
}

/* The "license" section, which the kernel checks GPL-only helpers against. */
static void read_license(const void *elf, size_t len, char *out, size_t out_len)
{
	const Elf64_Ehdr *eh = elf;
	const Elf64_Shdr *sh, *strs;
	const char *names;
	int i;

	snprintf(out, out_len, "%s", "");
	if (eh->e_shoff >= len || eh->e_shentsize != sizeof(*sh) ||
	    eh->e_shoff + (size_t)eh->e_shnum * sizeof(*sh) > len || eh->e_shstrndx >= eh->e_shnum)
		return;
	sh = (const Elf64_Shdr *)((const char *)elf + eh->e_shoff);
	strs = &sh[eh->e_shstrndx];
	if (strs->sh_offset >= len || strs->sh_size > len - strs->sh_offset)
		return;
	names = (const char *)elf + strs->sh_offset;
	for (i = 0; i < eh->e_shnum; i++) {
		if (sh[i].sh_name >= strs->sh_size ||
		    strncmp(names + sh[i].sh_name, "license", strs->sh_size - sh[i].sh_name))
			continue;
		if (sh[i].sh_offset >= len || sh[i].sh_size > len - sh[i].sh_offset)
			return;
		snprintf(out, out_len, "%.*s", (int)strnlen((const char *)elf + sh[i].sh_offset,
							    sh[i].sh_size),
			 (const char *)elf + sh[i].sh_offset);
		return;
	}
}

bool object__gpl_compatible(const char *l)
{
	/* The kernel's license_is_gpl_compatible(). */
	return !strcmp(l, "GPL") || !strcmp(l, "GPL v2") || !strcmp(l, "GPL and additional rights") ||
	       !strcmp(l, "Dual BSD/GPL") || !strcmp(l, "Dual MIT/GPL") || !strcmp(l, "Dual MPL/GPL");
}

int object__adopt(const struct plan_stage *ps, void *elf, size_t len, struct stage_src *src)
{
	int err;

	memset(src, 0, sizeof(*src));
	snprintf(src->path, sizeof(src->path), "%s", ps->object);
	src->elf = elf;
	src->len = len;
	err = check_elf(ps, elf, len);
	if (err)
		return err;
	sha256__digest(elf, len, src->sha);
	if (ps->has_sha256 && memcmp(src->sha, ps->sha256, SHA256_LEN)) {
		char want[2 * SHA256_LEN + 1], got[2 * SHA256_LEN + 1];

		sha256__hex(ps->sha256, want);
		sha256__hex(src->sha, got);
		pr_warn("stage '%s': %s has sha256 %s, the plan expects %s; rebuild the object or fix the plan\n",
			ps->name, ps->object, got, want);
		return -EBADMSG;
	}
	read_license(elf, len, src->license, sizeof(src->license));
	return 0;
}

int object__read(const struct plan_stage *ps, struct stage_src *src)
{
	struct stat st;
	void *elf;
	ssize_t n;
	int fd, err;

	memset(src, 0, sizeof(*src));
	/* No symlink at the last component, never blocking on a FIFO. */
	fd = files__open_regular(ps->object);
	if (fd < 0) {
		pr_warn("stage '%s': cannot open object %s: %s%s\n", ps->name, ps->object,
			fd == -EINVAL ? "not a regular file" : strerror(-fd),
			fd == -ELOOP ? " (symlinks are refused)" :
			fd == -ENOENT ? "; build it with 'make' or fix the path" : "");
		return fd;
	}
	if (fstat(fd, &st) || st.st_size > STORE_MAX_OBJECT || st.st_size < (off_t)sizeof(Elf64_Ehdr)) {
		pr_warn("stage '%s': %s is not a regular file of a BPF object's size\n", ps->name,
			ps->object);
		close(fd);
		return -EINVAL;
	}
	elf = malloc(st.st_size);
	if (!elf) {
		close(fd);
		return -ENOMEM;
	}
	n = read(fd, elf, st.st_size);
	close(fd);
	if (n != st.st_size) {
		pr_warn("stage '%s': short read of %s\n", ps->name, ps->object);
		free(elf);
		return -EIO;
	}
	err = object__adopt(ps, elf, n, src);
	if (err)
		object__free(src);
	return err;
}

void object__free(struct stage_src *src)
{
	if (!src)
		return;
	free(src->elf);
	src->elf = NULL;
}

