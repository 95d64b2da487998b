/* SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause) */
/*
 * What tools/bench_dispatch measures and how its report is written
 * (tools/lib/dispatch_report.c): the variants, the chain lengths, and one
 * hook's figures, every run of every variant.
 */
#ifndef __TG_BENCH_DISPATCH_H
#define __TG_BENCH_DISPATCH_H

#include <stdbool.h>
#include <stdio.h>
#include <linux/types.h>

#define MAX_ROUNDS	32
#define PKT_LEN		64
#define SPLIT_WEIGHT	5000	/* 50 %, in 0.01 % */

static const int lens[] = { 1, 2, 4, 8, 16 };
#define NR_LENS		((int)(sizeof(lens) / sizeof(lens[0])))

enum variant {
	V_FUSED,	/* tailgate, datapath: fused (bench_pass stages) */
	V_CHAINED,	/* tailgate, datapath: chained (bench_pass stages) */
	V_MONO,		/* bench_mono: N atomic counters in one program */
	V_LIBXDP,	/* bench_libxdp: MODEL of libxdp's dispatcher */
	V_PLAIN,	/* tailgate chained, third-party stage (bench_plain) */
	V_OLDHDR,	/* baseline: ABI 1 self-counting stages (bench_oldhdr) */
	V_SPLIT,	/* V_FUSED's attach point behind the splitting dispatcher */
	V_FLOOR,	/* empty program */
	NR_VARIANTS
};

static const char *const vname[NR_VARIANTS] = {
	"fused", "chained", "monolith", "libxdp-model", "chained-third-party",
	"old-header", "split", "empty-program",
};

/* One hook's figures: ns per packet, kernel-timed (ns) and wall (raw data only). */
struct bench_results {
	bool xdp;
	int rounds;
	__u32 repeat;
	double ns[NR_VARIANTS][NR_LENS][MAX_ROUNDS];
	double wall[NR_VARIANTS][NR_LENS][MAX_ROUNDS];
};

/*
 * Markdown tables of @r on stdout (@check: the counter check's sentence);
 * every run to @raw, medians, slopes and ratios to @sum as lines
 * "<hook>_<key> median min max" (either may be NULL).
 */
void bench__report(const struct bench_results *r, const char *check, FILE *raw, FILE *sum);

#endif /* __TG_BENCH_DISPATCH_H */
