/* SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause) */
/*
 * A model of what a chain of wrapped stages does to a packet, written from
 * the contract (DESIGN.md, tailgate_abi.h) and not from compose.c, for the
 * tables to hold the datapath against:
 *
 *   every stage that runs counts packets, bytes and the class of what it
 *   returned; a verdict in its continue_on (any verdict, in shadow) goes
 *   on: "continued" on that stage, and the next stage runs; past the last
 *   stage it is the chain's pass (a pass keeps the stage's own code);
 *   anything else leaves with the stage's own return code. A hand-over
 *   that finds the next slot empty is a tail miss: the fallback verdict
 *   (pass, or drop when fail-closed), "continued" not counted.
 *
 * And the verdict class of every return code, as a table.
 */
#ifndef __TAILGATE_BPF_MODEL_H
#define __TAILGATE_BPF_MODEL_H

#include <stdbool.h>
#include <stddef.h>
#include <linux/types.h>

#include "plan.h"

struct tm_code {
	int code;
	const char *name;
	enum tg_verdict v;
};

struct tm_hook {
	const char *name;
	enum plan_hook hook;
	bool xdp;
	int pass, drop;			/* XDP_PASS / TC_ACT_OK, XDP_DROP / TC_ACT_SHOT */
	const struct tm_code *codes;	/* every return code the tables try */
	size_t nr_codes;
};

extern const struct tm_hook tm_xdp, tm_tc;

struct tm_stage {
	__u32 continue_on;		/* TG_VERDICT_BIT()s */
	bool shadow;
};

struct tm_run {
	__u32 ret;
	struct tg_stats st[TG_MAX_STAGES];
};

/* The class of @code on @h (fails the case for a code not in the table). */
enum tg_verdict tm__class(const struct tm_hook *h, int code);

/*
 * What @n stages configured as @m, returning @codes, do to @runs packets
 * of @len bytes. @missing: index of the first stage whose slot is empty
 * (chained), or -1.
 */
void tm__run(const struct tm_hook *h, const struct tm_stage *m, int n, const int *codes,
	     int missing, bool fail_closed, __u64 runs, __u32 len, struct tm_run *o);

#include "bpf_fixture.h"

/*
 * One cmocka case of a table: its hook, its row (the case's initial
 * state), its own attach point. tm__setup() takes a struct tm_hook as the
 * initial state, tm__setup_row() a row whose first member is its hook.
 */
struct tm_case {
	const struct tm_hook *h;
	const void *row;
	struct fx fx;
};

int tm__setup(void **state);
int tm__setup_row(void **state);
int tm__teardown(void **state);
/* The case, its attach point made (fx__init) for its hook. */
struct tm_case *tm__begin(void **state);

/*
 * A row against the model: @ret and @d (what every slot counted, from
 * fx__run_deltas()) against @want for the stages at @base .. @base + @n,
 * and nothing anywhere else. @what and @codes name the row in a failure.
 */
void tm__check(struct fx *fx, const struct tm_hook *h, __u32 base, int n, const int *codes,
	       const struct tm_run *want, __u32 ret, const struct tg_stats *d, const char *what);

/* "XDP_PASS, XDP_DROP, ..." */
const char *tm__codes_str(const struct tm_hook *h, const int *codes, int n, char *buf, size_t len);

#endif /* __TAILGATE_BPF_MODEL_H */
