/* SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause) */
/*
 * What a stage's instructions say before the kernel sees them: how deep
 * its stack frames go, whether it makes its own tail calls or uses legacy
 * LD_ABS loads (neither mixes freely with BPF-to-BPF calls), whether it
 * writes the packet (a shadow stage must not), and the seed article's
 * race: a read-modify-write of a value in a map every CPU shares.
 *
 * A static scan, so an estimate: the verifier has the last word, and
 * preflight reports what the verifier says when the two disagree.
 */
#ifndef __TG_ANALYZE_H
#define __TG_ANALYZE_H

#include <stdbool.h>
#include <stddef.h>
#include <linux/bpf.h>

#define ANALYZE_MAX_RACES	8
#define ANALYZE_MAX_SUBPROGS	64

struct stage_race {
	size_t insn;		/* the store that completes the read-modify-write */
	int map_fd;		/* the shared map (in the stage's relocated code) */
	int off;		/* offset in the value */
};

struct stage_facts {
	unsigned int stack;		/* deepest call chain, frames rounded as the verifier does */
	unsigned int frame0;		/* the program's own frame */
	int nr_subprogs;		/* including the program itself */
	bool tail_calls;		/* calls bpf_tail_call itself */
	unsigned int tail_call_depth;	/* callers' frames above its deepest tail call */
	bool ld_abs;			/* BPF_LD | BPF_ABS/IND */
	bool writes_packet;		/* stores through a packet pointer */
	int rewrite_helper;		/* first packet-changing helper called, or 0 */
	size_t rewrite_insn;
	int nr_races;
	struct stage_race race[ANALYZE_MAX_RACES];
};

/*
 * Scan @cnt relocated instructions. @map_shared(fd) says whether a map
 * is one every CPU shares (not per-CPU), for the race check; NULL skips it.
 * @return 0 or -EINVAL for code the scan cannot follow (a call outside it).
 */
int analyze__stage(const struct bpf_insn *insns, size_t cnt, bool xdp,
		   bool (*map_shared)(int fd, void *ctx), void *ctx, struct stage_facts *f);

/* Name of a packet-changing helper, for messages. */
const char *analyze__helper_name(int id);

/* A frame as the verifier accounts it: at least 1 byte, rounded up to 32. */
unsigned int analyze__frame(unsigned int bytes);

#endif /* __TG_ANALYZE_H */
