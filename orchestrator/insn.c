// SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause)
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "insn.h"

void insn__init(struct insn_buf *b)
{
	memset(b, 0, sizeof(*b));
}

void insn__free(struct insn_buf *b)
{
	if (!b)
		return;
	free(b->insns);
	b->insns = NULL;
	b->cnt = b->cap = 0;
}

static bool reserve(struct insn_buf *b, size_t n)
{
	struct bpf_insn *p;
	size_t cap;

	if (b->err)
		return false;
	if (b->cnt + n <= b->cap)
		return true;
	cap = b->cap ? b->cap * 2 : 256;
	while (cap < b->cnt + n)
		cap *= 2;
	p = realloc(b->insns, cap * sizeof(*p));
	if (!p) {
		b->err = -ENOMEM;
		return false;
	}
	b->insns = p;
	b->cap = cap;
	return true;
}

void insn__emit(struct insn_buf *b, struct bpf_insn i)
{
	if (reserve(b, 1))
		b->insns[b->cnt++] = i;
}

void insn__ld_map_fd(struct insn_buf *b, __u8 dst, int fd)
{
	insn__emit(b, insn__make(BPF_LD | BPF_DW | BPF_IMM, dst, BPF_PSEUDO_MAP_FD, 0, fd));
	insn__emit(b, insn__make(0, 0, 0, 0, 0));
}

void insn__append(struct insn_buf *b, const struct bpf_insn *insns, size_t n)
{
	if (!reserve(b, n))
		return;
	memcpy(b->insns + b->cnt, insns, n * sizeof(*insns));
	b->cnt += n;
}

int insn__new_label(struct insn_buf *b)
{
	if (b->nr_labels >= INSN_MAX_LABELS) {
		b->err = b->err ?: -E2BIG;
		return 0;
	}
	b->label_at[b->nr_labels] = -1;
	return b->nr_labels++;
}

void insn__place(struct insn_buf *b, int label)
{
	if (!b->err)
		b->label_at[label] = b->cnt;
}

static void fixup(struct insn_buf *b, int label, bool call)
{
	if (b->err)
		return;
	if (b->nr_fixups >= (int)(sizeof(b->fixup) / sizeof(b->fixup[0]))) {
		b->err = -E2BIG;
		return;
	}
	b->fixup[b->nr_fixups].insn = b->cnt;
	b->fixup[b->nr_fixups].label = label;
	b->fixup[b->nr_fixups].call = call;
	b->nr_fixups++;
}

void insn__jmp_imm(struct insn_buf *b, __u8 op, __u8 dst, __s32 imm, int label)
{
	fixup(b, label, false);
	insn__emit(b, insn__make(BPF_JMP | op | BPF_K, dst, 0, 0, imm));
}

void insn__ja(struct insn_buf *b, int label)
{
	fixup(b, label, false);
	insn__emit(b, insn__make(BPF_JMP | BPF_JA, 0, 0, 0, 0));
}

void insn__call_label(struct insn_buf *b, int label)
{
	fixup(b, label, true);
	insn__emit(b, insn__make(BPF_JMP | BPF_CALL, 0, BPF_PSEUDO_CALL, 0, 0));
}

int insn__finish(struct insn_buf *b)
{
	long rel;
	int i;

	if (b->err)
		return b->err;
	for (i = 0; i < b->nr_fixups; i++) {
		long at = b->label_at[b->fixup[i].label];
		struct bpf_insn *in = &b->insns[b->fixup[i].insn];

		if (at < 0)
			return -EINVAL;
		/* Offsets count from the instruction after the jump. */
		rel = at - (long)b->fixup[i].insn - 1;
		if (b->fixup[i].call) {
			in->imm = rel;
		} else {
			if (rel < -32768 || rel > 32767)
				return -E2BIG;
			in->off = rel;
		}
	}
	return 0;
}
