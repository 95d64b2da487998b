/* SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause) */
/*
 * What a rollout intends, kept in the state directory (the kernel keeps
 * what is live: slot 0, the banks and their programs' names):
 *
 *   store/<sha256>          every plan and stage object a rollout ran, as
 *                           it was when the rollout started (content-
 *                           addressed): `promote` after a pause and
 *                           `restore` after a reboot run these copies
 *   gens/<generation>       what a generation is: its plan and objects by
 *                           sha256, datapath shape, fingerprint, outcome
 *   aps/<ifname>.<hook>     an attach point: its interface index and the
 *                           generation that should serve there
 *   generation              the last generation number handed out
 *
 * No program id is stored anywhere: bank contents are read from the
 * kernel, and program names say which generation and stage they are.
 */
#ifndef __TG_STORE_H
#define __TG_STORE_H

#include <limits.h>
#include <stdbool.h>
#include <stdint.h>
#include <net/if.h>

#include "plan.h"
#include "sha256.h"

/* Generation numbers fit program names (tg<gen>s<stage>): 10 digits. */
#define STORE_MAX_GEN		9999999999ULL
#define STORE_MAX_OBJECT	(64u << 20)

enum gen_outcome {
	GEN_RUNNING = 0,	/* its rollout is in progress (or paused) */
	GEN_PROMOTED,
	GEN_ROLLED_BACK,	/* failed its gates: "rejected" */
	GEN_ABORTED,		/* aborted, interrupted, or failed to install */
	GEN_UNKNOWN,		/* made by an older tailgate, no record */
};

enum gen_shape {
	GEN_CHAINED = 0,
	GEN_FUSED,
};

struct gen_record {
	uint64_t gen;
	char plan_name[PLAN_MAX_NAME];
	enum plan_hook hook;
	uint8_t plan_sha[SHA256_LEN];
	char plan_dir[PATH_MAX];	/* the plan's directory when captured */
	enum gen_shape shape;
	bool fail_closed;
	int nr_stages;
	uint8_t obj_sha[TG_MAX_STAGES][SHA256_LEN];
	uint32_t continue_on[TG_MAX_STAGES];	/* resolved, TG_VERDICT_BIT()s */
	bool shadow[TG_MAX_STAGES];
	uint8_t fingerprint[SHA256_LEN];	/* what makes two rollouts the same */
	enum gen_outcome outcome;
	uint32_t abi;			/* datapath ABI it was loaded with */
	int64_t started;
};

struct ap_record {
	char ifname[IF_NAMESIZE];
	enum plan_hook hook;
	uint32_t ifindex;		/* the interface it was attached to */
	uint64_t live_gen;		/* generation that should serve, 0: none */
	/* tailgate 0.1's state file: bank generations, checked against ids */
	uint64_t legacy_gen[TG_NR_BANKS];
	uint32_t legacy_head_id[TG_NR_BANKS];
	char legacy_plan[TG_NR_BANKS][PLAN_MAX_NAME];
	bool legacy_rejected[TG_NR_BANKS];
};

/* Capture @data under its sha256. @return 0 or negative errno. */
int store__put(const void *data, size_t len, uint8_t sha[SHA256_LEN]);

/* A captured copy, checked against its sha256. NULL + errno on error. */
void *store__get(const uint8_t sha[SHA256_LEN], size_t max, size_t *len);

int store__save_gen(const struct gen_record *g);
/* @return 0, -ENOENT when there is no record, or negative errno. */
int store__load_gen(uint64_t gen, struct gen_record *g);

int store__save_ap(const struct ap_record *r);
/* @return 0 (a zeroed record with the names when there is no file) or -errno. */
int store__load_ap(const char *ifname, enum plan_hook hook, struct ap_record *r);
int store__remove_ap(const char *ifname, enum plan_hook hook);

/* Call @cb for every recorded attach point, in name order. */
int store__foreach_ap(int (*cb)(const struct ap_record *r, void *ctx), void *ctx);

/*
 * Hand out the next generation number: above every number ever handed
 * out or seen in @seen (e.g. in the kernel's program names), persisted
 * before it is returned. @return 0 or negative errno (-EOVERFLOW past
 * STORE_MAX_GEN).
 */
int store__next_gen(uint64_t seen, uint64_t *gen);

/*
 * The number store__next_gen() would hand out, without recording it: a
 * preflight names its programs with it and changes nothing when it fails;
 * store__claim_gen() records it before the first live write.
 */
int store__peek_gen(uint64_t seen, uint64_t *gen);
int store__claim_gen(uint64_t gen);

const char *store__outcome_name(enum gen_outcome o);

/* Serialise/parse records (exposed for unit tests). */
int store__format_gen(const struct gen_record *g, char *buf, size_t len);
int store__parse_gen(const char *buf, struct gen_record *g);

#endif /* __TG_STORE_H */
