/* SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause) */
/*
 * Preparing one stage for one attach point, from any BPF object as it is
 * shipped: the plan's program is picked (for tc hooks NAME_tc is tried
 * too, the stage header's naming), maps pinned by name are kept private
 * to the attach point, kept maps are bound to the attach point's pinned
 * ones (layout checked), and the program is loaded as it is, so the
 * kernel verifies the operator's program on its own first and libbpf
 * performs every relocation (CO-RE, subprograms, map fds). Its relocated
 * instructions are what compose.c wraps; the object stays open until the
 * wrapped program holds its maps.
 */
#ifndef __TG_STAGE_H
#define __TG_STAGE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <linux/bpf.h>

#include "analyze.h"
#include "object.h"
#include "plan.h"
#include "sha256.h"

#define STAGE_MAX_KEPT		(TG_MAX_STAGES * PLAN_MAX_KEEP_MAPS)

/* Kept maps of one generation on one attach point, shared by name. */
struct kept_map {
	char name[PLAN_MAX_NAME];
	int fd;
	bool created;			/* new: install pins it */
};

struct kept_set {
	int nr;
	struct kept_map m[STAGE_MAX_KEPT];
};

struct stage_env {
	const char *ifname;		/* for messages */
	enum plan_hook hook;
	const char *maps_dir;		/* <ap>/maps; NULL: nothing pinned yet */
	struct kept_set *kept;
	bool warn;			/* say what the analysis found (once per run) */
};

struct stage_load {
	struct bpf_object *obj;
	struct bpf_program *prog;
	char program[PLAN_MAX_NAME];	/* the program actually loaded */
	const struct bpf_insn *insns;	/* relocated, owned by obj */
	size_t cnt;
	uint32_t continue_on;		/* resolved (plan, else XDP_RUN_CONFIG, else pass) */
	bool run_config;		/* continue_on came from XDP_RUN_CONFIG */
	bool shadow;
	struct stage_facts facts;
	__u32 verified_insns;		/* the program on its own */
	int frame;			/* its own stack frame, bytes, the verifier's; -1: unknown */
};


/*
 * Open, bind and load @ps's program for @env. Every failure is explained
 * (stage, interface, what to do) before it returns.
 * @return 0 or negative errno.
 */
int stage__load(const struct stage_env *env, const struct plan_stage *ps,
		const struct stage_src *src, struct stage_load *sl);

void stage__close(struct stage_load *sl);

/*
 * What @ps resolves to without loading anything: the program that would
 * be loaded for @hook and its continue_on (the plan's, else the object's
 * XDP_RUN_CONFIG, else pass). @return 0 or negative errno (explained).
 */
int stage__describe(const struct plan_stage *ps, const struct stage_src *src, const char *ifname,
		    enum plan_hook hook, char program[PLAN_MAX_NAME], uint32_t *continue_on);

/* Close the fds of a kept set; NULL is fine. */
void stage__free_kept(struct kept_set *ks);


#endif /* __TG_STAGE_H */
