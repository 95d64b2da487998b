/* SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause) */
/*
 * Test-only glue for the BPF_PROG_TEST_RUN tables (tests/bpf). The
 * plumbing itself is the orchestrator's, linked in: an attach point's maps
 * without an interface (ap__prepare_mem), its dispatcher, plain or
 * splitting (disp__load_mem), the share of a split (ap__set_weight),
 * whole generations loaded, wrapped and verified (gen__load), written into
 * a bank (gen__install) and made live with one write (ap__flip), counters
 * summed over CPUs (counters__read), test runs (bpfutil__test_run). What
 * is left here is what only tests need: plans built in memory, packets
 * built from the uapi header structs, exact counter expectations, stderr
 * captured to check what tailgate says, the expectations test programs
 * write next to their code (tests/bpf/progs/expect.h), and reading a
 * program's JIT image.
 *
 * The fx__ calls that can only fail on a broken fixture fail the cmocka
 * case themselves (fail_msg); fx__try_load() returns the error, for the
 * cases that expect one. Run from the repository root, as root.
 */
#ifndef __TAILGATE_BPF_FIXTURE_H
#define __TAILGATE_BPF_FIXTURE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <linux/bpf.h>

#include "ap.h"
#include "gen.h"
#include "plan.h"
#include "stage.h"

#define FX_IFNAME	"tgtest"	/* the in-memory attach point's name */
#define FX_PKT_LEN	64

/* One attach point in memory, its dispatcher, a plan and both banks. */
struct fx {
	bool ready;			/* fx__init() ran: fx__fini() has work */
	enum plan_hook hook;
	bool xdp;
	struct ap ap;
	int disp_fd;			/* every run enters through it */
	struct plan *plan;		/* what fx__load() loads next */
	struct stage_src src[TG_MAX_STAGES];
	struct gen_load gl[TG_NR_BANKS];
	bool loaded[TG_NR_BANKS];
	uint64_t gen;			/* last generation number used */
	int nr_objs;
	struct bpf_object *objs[4];	/* fx__own(): closed by fx__fini() */
};

/* Skips the case (saying why) when not root. */
void fx__init(struct fx *fx, enum plan_hook hook);
/* Empties every slot (fill-run-delete), then releases everything. */
void fx__fini(struct fx *fx);
/* @obj is closed by fx__fini(), after the slots are emptied. */
void fx__own(struct fx *fx, struct bpf_object *obj);
/* (Re)load the plain dispatcher; runs enter through the newest one. */
void fx__dispatcher(struct fx *fx, bool fail_closed);
/*
 * (Re)load the splitting dispatcher of a weighted canary (DISP_SPLIT) for
 * the new bank's head @new_slot; runs enter through it. Its split map is
 * new (weight 0) and the attach point's: ap__set_weight() sets the share.
 */
void fx__split(struct fx *fx, __u32 new_slot, bool fail_closed);

/* Objects: build/bpf/@name.bpf.o and build/tests/bpf/@name.bpf.o. */
const char *fx__bpf(const char *name);
const char *fx__tbpf(const char *name);
/* The program for the fixture's hook. */
const char *fx__pick(const struct fx *fx, const char *xdp_prog, const char *tc_prog);
/*
 * A program of one's own, not a stage: program @prog of @object alone,
 * loaded as it is (nothing bound to the attach point's maps), closed by
 * fx__fini(). @return its fd.
 */
int fx__prog(struct fx *fx, const char *object, const char *prog);

/* Start a new plan / append a stage (defaults: continue_on [pass], enforce). */
void fx__plan(struct fx *fx);
struct plan_stage *fx__stage(struct fx *fx, const char *name, const char *object,
			     const char *program);
void fx__continue_on(struct plan_stage *ps, uint32_t mask);

/* gen__load() of the plan into @bank; nothing written. @return its error. */
int fx__try_load(struct fx *fx, unsigned int bank, enum plan_datapath dp, bool warn);
void fx__load(struct fx *fx, unsigned int bank, enum plan_datapath dp);
void fx__install(struct fx *fx, unsigned int bank);
void fx__flip(struct fx *fx, unsigned int bank);
/* Load, install and flip. */
void fx__go(struct fx *fx, unsigned int bank, enum plan_datapath dp);
void fx__release(struct fx *fx, unsigned int bank);

/*
 * Map @name of stage @stage of the generation in @bank (the fd is the
 * caller's). Fused, a generation's one program holds every stage's maps:
 * stages of the same object have maps of the same names, told apart by
 * the order the program uses them in, which is chain order.
 */
int fx__stage_map(struct fx *fx, unsigned int bank, int stage, const char *name);

/*
 * Below gen__load(): one stage opened and loaded on its own (stage__load)
 * for this attach point, and stages wrapped by compose.c and loaded by
 * hand, for what a plan cannot say (a stage with no continue_on at all, a
 * stage whose next slot is its own) and for the kernel's own verdict on a
 * composed program. fx__compose_load() returns the program fd, or
 * negative errno with the verifier's log (level 1) in @log.
 */
void fx__stage_load(struct fx *fx, const char *object, const char *program,
		    struct stage_load *sl);
struct compose_stage;
int fx__compose_load(struct fx *fx, const struct compose_stage *s, int n, bool fused,
		     __u32 next_slot, bool fail_closed, char *log, size_t log_len);

/* Run @pkt through the dispatcher @repeat times. @return the verdict. */
__u32 fx__run(struct fx *fx, const void *pkt, __u32 len, __u32 repeat);
/* ... through a program of one's own. */
__u32 fx__run_prog(struct fx *fx, int prog_fd, const void *pkt, __u32 len, __u32 repeat);
/* ... once, and the frame as @prog_fd left it: into @out (@cap bytes), its length *@out_len. */
__u32 fx__run_out(struct fx *fx, int prog_fd, const void *pkt, __u32 len, void *out, __u32 cap,
		  __u32 *out_len);

/* Run @repeat times; what every slot counted meanwhile into @d. @return the verdict. */
__u32 fx__run_deltas(struct fx *fx, const void *pkt, __u32 len, __u32 repeat,
		     struct tg_stats d[TG_NR_SLOTS]);

/* Counters */

struct tg_stats fx__slot(struct fx *fx, __u32 slot);
void fx__all_slots(struct fx *fx, struct tg_stats out[TG_NR_SLOTS]);
#define ST(...) ((struct tg_stats){ __VA_ARGS__ })
/* All nine counters of @slot, exactly. @what names the case in a failure. */
void fx__expect_slot(struct fx *fx, __u32 slot, struct tg_stats want, const char *what);
/* What @slot counted since @before, exactly. */
void fx__expect_delta(struct fx *fx, __u32 slot, const struct tg_stats *before,
		      struct tg_stats want, const char *what);
/* ABI 2 on every slot: packets == pass + drop + aborted + tx + redirect,
 * continued + tail_miss <= packets. */
void fx__expect_identity(struct fx *fx);
/* "packets=.. bytes=.. ..." */
const char *fx__fmt_stats(const struct tg_stats *s, char *buf, size_t len);

/* Packets, built from the uapi header structs */

struct fx_pkt {
	__u16 l3;			/* ETH_P_IP (default), ETH_P_IPV6, ETH_P_ARP */
	int vlans;			/* 0; 1: 802.1Q; 2: 802.1ad + 802.1Q (QinQ) */
	const char *src, *dst;		/* addresses of the family; ARP: IPv4 */
	__u8 l4;			/* IPPROTO_UDP (default), IPPROTO_TCP */
	__u16 sport, dport;		/* host order; defaults 40000, 53 */
	const void *payload;
	size_t payload_len;
	size_t len;			/* frame length, zero padded; 0: FX_PKT_LEN */
};

/* @return the frame length, or 0 (fails the case) when it does not fit. */
size_t fx__pkt(__u8 *buf, size_t cap, const struct fx_pkt *p);

/* IPv4/UDP frame whose payload byte k is @codes[k] (verdicts.bpf.c). */
size_t fx__verdict_pkt(__u8 *buf, size_t cap, const int *codes, int n);

/* What tailgate prints */

void fx__capture_begin(void);
/* Everything written to stderr since fx__capture_begin() (malloc'd). */
char *fx__capture_end(void);

/* Expectations of a test program (tests/bpf/progs/expect.h) */

struct fx_expect {
	char reject[32];		/* "", "standalone", "wrapped", "preflight" */
	char msg[256];
	char insn[32];			/* "OP[@DEPTH]" */
};

/* Tags of @prog (or of @prog minus "_tc"). @return 0, -ENOENT: none. */
int fx__expect(const char *object, const char *prog, struct fx_expect *e);

/*
 * @prog's instructions as libbpf relocates them for loading on its own
 * (subprograms appended), or, when the kernel refuses it alone, as they
 * are in the object. *@insns is malloc'd. @return 0 or negative errno.
 */
int fx__orig_insns(const char *object, const char *prog, enum plan_hook hook,
		   struct bpf_insn **insns, size_t *cnt);

/* Index of the instruction an "OP[@DEPTH]" spec names, or -1. */
long fx__find_insn(const struct bpf_insn *insns, size_t cnt, const char *spec);

/* JIT images */

struct fx_image {
	__u8 *b;
	__u32 len;
	__u64 addr;			/* kernel address of the image */
};

/* The program's machine code as it is in memory now (text pokes included). */
struct fx_image fx__jited(int prog_fd, const char *what);
void fx__image_free(struct fx_image *img);

#endif /* __TAILGATE_BPF_FIXTURE_H */
