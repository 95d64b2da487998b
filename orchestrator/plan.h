/* SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause) */
/*
 * Rollout plans: the YAML file of DESIGN.md parsed into a struct plan.
 * libyaml is used in ynode.c and nowhere else.
 */
#ifndef __TG_PLAN_H
#define __TG_PLAN_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <net/if.h>

#include "../bpf/include/tailgate_abi.h"

/* Hostile-input limits: a plan past any of them is refused. */
#define PLAN_MAX_FILE_SIZE	(256 * 1024)
#define PLAN_MAX_DEPTH		8
#define PLAN_MAX_NAME		64	/* plan, stage, map and program names */
#define PLAN_MAX_PATH		4096
#define PLAN_MAX_IFACES		256	/* canary + fleet */
#define PLAN_MAX_STEPS		32
#define PLAN_MAX_KEEP_MAPS	16
#define PLAN_MAX_EXEC_ARGS	32	/* exec: argv entries */
#define PLAN_MAX_EXEC_ARG	256	/* bytes per argv entry */

enum plan_hook {
	PLAN_HOOK_XDP = 0,
	PLAN_HOOK_TC_INGRESS,
	PLAN_HOOK_TC_EGRESS,
};

enum plan_step_kind {
	PLAN_STEP_CANARY = 0,	/* flip the canary interfaces */
	PLAN_STEP_ANALYZE,	/* judge flipped vs baseline for duration */
	PLAN_STEP_PROMOTE,	/* flip the rest in waves of batch */
	PLAN_STEP_PAUSE,	/* stop until "tailgate promote" or "abort" */
};

enum plan_datapath {
	PLAN_DP_CHAINED = 0,	/* one program per stage, tail calls between */
	PLAN_DP_FUSED,		/* the generation as one program */
	PLAN_DP_AUTO,		/* fused wherever the kernel's limits allow */
};

enum plan_xdp_mode {
	PLAN_XDP_NATIVE = 0,	/* driver XDP */
	PLAN_XDP_SKB,		/* generic XDP */
};

enum plan_stage_mode {
	PLAN_MODE_ENFORCE = 0,
	PLAN_MODE_SHADOW,	/* verdicts counted, packet always continues */
};

enum plan_on_failure {
	PLAN_ON_FAILURE_ROLLBACK = 0,
	PLAN_ON_FAILURE_PAUSE,
};

struct plan_stage {
	char name[PLAN_MAX_NAME];
	char object[PLAN_MAX_PATH];	/* resolved against the plan's dir */
	char program[PLAN_MAX_NAME];
	bool has_sha256;
	uint8_t sha256[32];
	int nr_keep_maps;
	char keep_maps[PLAN_MAX_KEEP_MAPS][PLAN_MAX_NAME];
	/*
	 * Verdicts that go on to the next stage, TG_VERDICT_BIT()s. Without
	 * continue_on in the plan: [pass] (or the object's libxdp
	 * XDP_RUN_CONFIG chain_call_actions, see the loader).
	 */
	bool has_continue_on;
	uint32_t continue_on;
	enum plan_stage_mode mode;
	int line;			/* where the stage starts, for messages */
};

struct plan_step {
	enum plan_step_kind kind;
	uint64_t duration_ms;	/* analyze */
	uint64_t interval_ms;	/* analyze */
	uint32_t batch;		/* promote: interfaces per wave, >= 1 */
	uint64_t analyze_ms;	/* promote: judge each wave this long, 0 = no */
	uint32_t weight_bp;	/* canary: share of flows in 0.01 %; TG_WEIGHT_FULL
				 * (10000) for canary: {} */
	int line;
};

struct plan_gates {
	uint64_t min_packets;
	double max_drop_ratio;		/* 0..1 */
	double max_drop_ratio_delta;	/* 0..1 */
	uint64_t max_aborted;
	uint64_t max_tail_misses;
	/* Largest change in any final verdict's share vs the baseline. */
	double max_verdict_delta;	/* 0..1 */
	/* Packet rate per interval vs before the flip (and vs the baseline's
	 * own change) below this ratio is a collapse; 0 disables. */
	double min_rate_ratio;		/* 0..1 */
	/*
	 * External check: argv, never a shell. "{ifname}" in an entry is
	 * replaced by the interface name (the entry stays one argument).
	 */
	int nr_exec;			/* 0 = none */
	char exec[PLAN_MAX_EXEC_ARGS][PLAN_MAX_EXEC_ARG];
	uint64_t exec_timeout_ms;
};

struct plan {
	char path[PLAN_MAX_PATH];	/* as given */
	char dir[PLAN_MAX_PATH];	/* directory that relative paths use */
	char name[PLAN_MAX_NAME];
	enum plan_hook hook;
	int nr_canary;
	char canary[PLAN_MAX_IFACES][IF_NAMESIZE];
	int nr_fleet;
	char fleet[PLAN_MAX_IFACES][IF_NAMESIZE];
	int nr_stages;
	struct plan_stage stages[TG_MAX_STAGES];
	int nr_steps;
	struct plan_step steps[PLAN_MAX_STEPS];
	struct plan_gates gates;
	enum plan_on_failure on_failure;
	bool fail_closed;	/* on_tail_miss: drop (default pass) */
	enum plan_datapath datapath;
	enum plan_xdp_mode xdp_mode;
};

/*
 * Where and why parsing failed: "FILE:LINE:COL: message". line/col are
 * 1-based, 0 when the error has no position (e.g. the file is missing).
 */
struct plan_error {
	int line;
	int col;
	char msg[512];
};

/*
 * Parse the plan at @path. Relative object paths are resolved against the
 * plan file's directory. Interface globs in fleet/canary are kept as
 * written; plan__expand_ifaces() resolves them.
 * @return a new plan, or NULL with errno set and @err filled.
 */
struct plan *plan__parse_file(const char *path, struct plan_error *err);

/*
 * Read the plan file at @path as plan__parse_file() does (regular file,
 * no symlink, size limit) into a heap buffer, and its directory into @dir.
 * @return 0 or negative errno with @err filled.
 */
int plan__read_file(const char *path, char **buf, size_t *len, char dir[PLAN_MAX_PATH],
		    struct plan_error *err);

/*
 * Parse a plan from memory (the fuzzer and unit tests use this). @name is
 * used in messages and @dir for relative object paths.
 * @return a new plan, or NULL with errno set and @err filled.
 */
struct plan *plan__parse_buf(const char *buf, size_t len, const char *name,
			     const char *dir, struct plan_error *err);

/* Free a plan; NULL is fine. */
void plan__free(struct plan *plan);

/*
 * "FILE:LINE:COL: msg", or "FILE: msg" when @err has no position, into
 * @buf (always NUL-terminated when @len > 0).
 */
void plan__format_error(const struct plan_error *err, const char *file,
			char *buf, size_t len);

/*
 * Parse a duration such as "10s", "250ms", "2m" into milliseconds: a
 * decimal integer and a unit (ms, s, m), 1ms..24h.
 * @return 0, -EINVAL (not a duration, no unit) or -ERANGE (out of range).
 */
int plan__parse_duration(const char *s, uint64_t *ms);

/* Hook names as written in plans and pin paths: "xdp", "tc-ingress", ... */
const char *plan__hook_name(enum plan_hook hook);
int plan__hook_from_name(const char *name, enum plan_hook *hook);

const char *plan__step_name(enum plan_step_kind kind);

/* Verdict names as plans write them: "pass", "drop", "aborted", "tx", "redirect". */
const char *plan__verdict_name(enum tg_verdict v);
int plan__verdict_from_name(const char *name, enum tg_verdict *v);

const char *plan__datapath_name(enum plan_datapath dp);

#endif /* __TG_PLAN_H */
