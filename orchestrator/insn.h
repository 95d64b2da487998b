/* SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause) */
/*
 * Building BPF instructions in user space: the few encodings the wrapper
 * generator needs (the kernel's filter.h macros are not uapi), and a
 * growable buffer with jump labels resolved when the code is done.
 */
#ifndef __TG_INSN_H
#define __TG_INSN_H

#include <stdbool.h>
#include <stddef.h>
#include <linux/bpf.h>

static inline struct bpf_insn insn__make(__u8 code, __u8 dst, __u8 src, __s16 off, __s32 imm)
{
	struct bpf_insn i = { .code = code, .dst_reg = dst, .src_reg = src, .off = off, .imm = imm };

	return i;
}

#define I_MOV64_REG(d, s)	insn__make(BPF_ALU64 | BPF_MOV | BPF_X, d, s, 0, 0)
#define I_MOV64_IMM(d, k)	insn__make(BPF_ALU64 | BPF_MOV | BPF_K, d, 0, 0, k)
#define I_ADD64_IMM(d, k)	insn__make(BPF_ALU64 | BPF_ADD | BPF_K, d, 0, 0, k)
#define I_ADD64_REG(d, s)	insn__make(BPF_ALU64 | BPF_ADD | BPF_X, d, s, 0, 0)
#define I_SUB64_REG(d, s)	insn__make(BPF_ALU64 | BPF_SUB | BPF_X, d, s, 0, 0)
#define I_LDX_W(d, s, o)	insn__make(BPF_LDX | BPF_MEM | BPF_W, d, s, o, 0)
#define I_LDX_DW(d, s, o)	insn__make(BPF_LDX | BPF_MEM | BPF_DW, d, s, o, 0)
#define I_STX_DW(d, s, o)	insn__make(BPF_STX | BPF_MEM | BPF_DW, d, s, o, 0)
#define I_ST_W(d, o, k)		insn__make(BPF_ST | BPF_MEM | BPF_W, d, 0, o, k)
#define I_CALL_HELPER(id)	insn__make(BPF_JMP | BPF_CALL, 0, 0, 0, id)
#define I_EXIT()		insn__make(BPF_JMP | BPF_EXIT, 0, 0, 0, 0)

/* Jump targets are labels, patched when the buffer is finished. */
#define INSN_MAX_LABELS	256

struct insn_buf {
	struct bpf_insn *insns;
	size_t cnt;
	size_t cap;
	int err;			/* first error; every emit after it is a no-op */
	int nr_labels;
	long label_at[INSN_MAX_LABELS];	/* insn index, -1 until placed */
	int nr_fixups;
	struct {
		size_t insn;
		int label;
		bool call;		/* pseudo call: imm, not off */
	} fixup[INSN_MAX_LABELS * 4];
};

void insn__init(struct insn_buf *b);
void insn__free(struct insn_buf *b);

void insn__emit(struct insn_buf *b, struct bpf_insn i);
/* ld_imm64 of a map fd (BPF_PSEUDO_MAP_FD): two instructions. */
void insn__ld_map_fd(struct insn_buf *b, __u8 dst, int fd);
/* Append @n instructions as they are (a stage's code). */
void insn__append(struct insn_buf *b, const struct bpf_insn *insns, size_t n);

int insn__new_label(struct insn_buf *b);
void insn__place(struct insn_buf *b, int label);
/* Jump to @label: unconditional (op BPF_JA) or "if dst OP imm". */
void insn__jmp_imm(struct insn_buf *b, __u8 op, __u8 dst, __s32 imm, int label);
void insn__ja(struct insn_buf *b, int label);
/* BPF-to-BPF call of the subprogram at @label. */
void insn__call_label(struct insn_buf *b, int label);

/*
 * Resolve every jump and call. @return 0 or the first error (-E2BIG for
 * an offset that does not fit, -EINVAL for a label never placed).
 */
int insn__finish(struct insn_buf *b);

#endif /* __TG_INSN_H */
