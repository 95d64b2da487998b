// SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause)
/*
 * What tailgate finds in a stage before and while the kernel verifies it,
 * XDP and tc:
 *
 *  - the static analysis (orchestrator/analyze.c): the seed article's
 *    (*value)++ race found at its instruction, with the map named, where
 *    an atomic add or a per-CPU value is not; packet rewrites (helpers,
 *    direct writes) told from reads, and the shadow-mode warning they
 *    bring; stack use against the verifier's own figure; own tail calls;
 *  - the preflight limits against the kernel: what tailgate refuses
 *    before the kernel is asked is exactly what the kernel would refuse
 *    once wrapped (the 512-byte stack with the wrapper's frame, the
 *    256-byte rule for tail calls from a subprogram);
 *  - verifier-negative programs: each says next to its code what it
 *    expects (tests/bpf/progs/expect.h); the table finds them by those
 *    annotations in every test object, loads each as the third stage of
 *    a chained and of a fused generation, and checks that tailgate's
 *    message names the stage, the program, the reason and the
 *    instruction in the program's own numbering (for a program refused
 *    once wrapped: the composed program's index mapped back).
 */
#include <errno.h>
#include <glob.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <cmocka.h>
#include <bpf/bpf.h>
#include <bpf/libbpf.h>

#include "analyze.h"
#include "bpf_fixture.h"
#include "bpf_model.h"
#include "compose.h"
#include "gen.h"

/* Load one stage (warnings on); its facts; what tailgate said. */
static const struct stage_facts *one_stage(struct tm_case *t, const char *name, const char *object,
					   const char *prog, bool shadow, char **out)
{
	struct plan_stage *ps;
	int err;

	fx__plan(&t->fx);
	ps = fx__stage(&t->fx, name, object, prog);
	ps->mode = shadow ? PLAN_MODE_SHADOW : PLAN_MODE_ENFORCE;
	fx__capture_begin();
	err = fx__try_load(&t->fx, 0, PLAN_DP_CHAINED, true);
	*out = fx__capture_end();
	if (err)
		fail_msg("%s: stage %s (%s of %s) refused: %s\n%s", t->h->name, name, prog, object,
			 strerror(-err), *out);
	return &t->fx.gl[0].st[0].facts;
}

/* Cases 1: the seed's race */

struct race_row {
	const char *name;
	bool test_obj;
	const char *object, *xdp_prog, *tc_prog;
	const char *map;	/* NULL: no race */
};

static const struct race_row races[] = {
	{ "seed", false, "seed_counter", "xdp_packet_counter", NULL, "packet_count_map" },
	{ "racy", true, "bad_counter_racy", "counter_racy", "counter_racy_tc", "racy_count" },
	{ "hash", true, "rmw", "rmw_hash", NULL, "rmw_shared" },
	{ "global", true, "rmw", "rmw_global", NULL, ".bss" },
	{ "percpu", true, "rmw", "rmw_percpu", NULL, NULL },
	{ "atomic", true, "rmw", "rmw_atomic", NULL, NULL },
	{ "counter", false, "counter", "counter", "counter", NULL },
};

/* The instruction that completes a (*v)++: the one store not to the stack. */
static long value_store(const struct bpf_insn *in, size_t cnt)
{
	long found = -1;
	size_t i;

	for (i = 0; i < cnt; i++) {
		if (BPF_CLASS(in[i].code) == BPF_STX && BPF_MODE(in[i].code) == BPF_MEM &&
		    in[i].dst_reg != BPF_REG_10) {
			if (found >= 0)
				fail_msg("two stores to memory at %ld and %zu: the oracle needs one",
					 found, i);
			found = i;
		}
		if (in[i].code == (BPF_LD | BPF_IMM | BPF_DW))
			i++;
	}
	return found;
}

static void t_races(void **state)
{
	struct tm_case *t = tm__begin(state);
	const struct stage_facts *f;
	struct bpf_insn *insns;
	char *out, want[256];
	size_t i, cnt;
	long at;

	for (i = 0; i < sizeof(races) / sizeof(races[0]); i++) {
		const struct race_row *r = &races[i];
		const char *prog = t->h->xdp ? r->xdp_prog : r->tc_prog;
		const char *obj = r->test_obj ? fx__tbpf(r->object) : fx__bpf(r->object);

		if (!prog)
			continue;
		f = one_stage(t, r->name, obj, prog, false, &out);
		if (!r->map) {
			if (f->nr_races || strstr(out, "read-modify-write"))
				fail_msg("%s: %s: no race, but %d found: %s", t->h->name, r->name,
					 f->nr_races, out);
			free(out);
			continue;
		}
		assert_int_equal(fx__orig_insns(obj, prog, t->h->hook, &insns, &cnt), 0);
		at = value_store(insns, cnt);
		free(insns);
		if (f->nr_races != 1 || (long)f->race[0].insn != at)
			fail_msg("%s: %s: want the race at insn %ld, found %d (first at %zu)", t->h->name,
				 r->name, at, f->nr_races, f->nr_races ? f->race[0].insn : 0);
		snprintf(want, sizeof(want), "stage '%s': insn %ld of '%s' does a read-modify-write",
			 r->name, at, prog);
		if (!strstr(out, want) || !strstr(out, r->map))
			fail_msg("%s: %s: want a warning \"%s ... %s ...\", got: %s", t->h->name, r->name,
				 want, r->map, out);
		free(out);
	}
}

/* Case 2: packet rewrites, and shadow stages that do them */

struct rw_row {
	const char *xdp_prog, *tc_prog;
	int helper;		/* the rewriting helper found, or 0 */
	bool writes;		/* a direct packet write */
	const char *says;	/* in the shadow warning */
};

static const struct rw_row rws[] = {
	{ "rw_adjust", NULL, BPF_FUNC_xdp_adjust_head, false, "calls bpf_xdp_adjust_head" },
	{ NULL, "rw_store_tc", BPF_FUNC_skb_store_bytes, false, "calls bpf_skb_store_bytes" },
	{ "rw_write", "rw_write_tc", 0, true, "writes packet data" },
	{ "rw_read", "rw_read_tc", 0, false, NULL },
};

static void t_rewrites(void **state)
{
	struct tm_case *t = tm__begin(state);
	const struct stage_facts *f;
	int shadow;
	char *out;
	size_t i;

	for (i = 0; i < sizeof(rws) / sizeof(rws[0]); i++) {
		const char *prog = t->h->xdp ? rws[i].xdp_prog : rws[i].tc_prog;

		for (shadow = 0; prog && shadow < 2; shadow++) {
			f = one_stage(t, "rw", fx__tbpf("rewrite"), prog, shadow, &out);
			if (f->rewrite_helper != rws[i].helper || f->writes_packet != rws[i].writes)
				fail_msg("%s: %s: found helper %d, write %d; want %d, %d", t->h->name,
					 prog, f->rewrite_helper, f->writes_packet, rws[i].helper,
					 rws[i].writes);
			if (shadow && rws[i].says &&
			    (!strstr(out, "stage 'rw' is in shadow mode but") || !strstr(out, rws[i].says)))
				fail_msg("%s: %s in shadow: want a warning that it %s; got: %s",
					 t->h->name, prog, rws[i].says, out);
			if ((!shadow || !rws[i].says) && strstr(out, "shadow mode"))
				fail_msg("%s: %s (%s): unexpected warning: %s", t->h->name, prog,
					 shadow ? "shadow" : "enforce", out);
			free(out);
		}
	}
	/* the header stages read packets and never write them */
	f = one_stage(t, "blocklist", fx__bpf("blocklist"), "blocklist", true, &out);
	assert_false(f->writes_packet);
	assert_int_equal(f->rewrite_helper, 0);
	free(out);
}

/* Case 3: stack estimates against the verifier's own figure */

/* The verifier's per-function stack depths ("stack depth A+B+...") of @prog alone. */
static int verifier_depths(const char *object, const char *prog, enum plan_hook hook,
			   unsigned int *depth, int max)
{
	struct bpf_object *obj = bpf_object__open_file(object, NULL);
	char *log = calloc(1, 1 << 16), *p, *end;
	struct bpf_program *q, *mine = NULL;
	int n = 0;

	if (!obj || !log)
		fail_msg("open %s: %s", object, strerror(errno));
	bpf_object__for_each_program(q, obj) {
		bpf_program__set_autoload(q, !strcmp(bpf_program__name(q), prog));
		if (!strcmp(bpf_program__name(q), prog))
			mine = q;
	}
	assert_non_null(mine);
	for (struct bpf_map *m = bpf_object__next_map(obj, NULL); m; m = bpf_object__next_map(obj, m))
		bpf_map__set_pin_path(m, NULL);	/* nothing pinned under /sys/fs/bpf */
	bpf_program__set_type(mine, ap__prog_type(hook));
	bpf_program__set_log_buf(mine, log, 1 << 16);
	bpf_program__set_log_level(mine, 4);	/* BPF_LOG_STATS */
	if (bpf_object__load(obj))
		fail_msg("%s refused alone: %s", prog, log);
	p = strstr(log, "stack depth ");
	assert_non_null(p);
	for (p += strlen("stack depth "); n < max; p = end + 1) {
		depth[n++] = strtoul(p, &end, 10);
		if (*end != '+')
			break;
	}
	free(log);
	bpf_object__close(obj);
	return n;
}

/* Deepest call chain of @insns, each function's frame as the verifier rounds @depth. */
static unsigned int verifier_chain(const struct bpf_insn *in, size_t cnt, const unsigned int *depth,
				   int nfuncs, int func, size_t *start)
{
	unsigned int best = 0, d;
	size_t i, end = func + 1 < nfuncs ? start[func + 1] : cnt;
	int k;

	for (i = start[func]; i < end; i++) {
		if (in[i].code != (BPF_JMP | BPF_CALL) || in[i].src_reg != BPF_PSEUDO_CALL)
			continue;
		for (k = 0; k < nfuncs; k++)
			if (start[k] == i + in[i].imm + 1)
				break;
		assert_true(k < nfuncs);
		d = verifier_chain(in, cnt, depth, nfuncs, k, start);
		best = d > best ? d : best;
	}
	return analyze__frame(depth[func]) + best;
}

static int cmp_size(const void *a, const void *b)
{
	size_t x = *(const size_t *)a, y = *(const size_t *)b;

	return x < y ? -1 : x > y;
}

/* Functions start at 0 and at every call target, as the verifier numbers them. */
static int func_starts(const struct bpf_insn *in, size_t cnt, size_t *start, int max)
{
	size_t i;
	int n = 1, k;

	start[0] = 0;
	for (i = 0; i < cnt; i++) {
		if (in[i].code == (BPF_JMP | BPF_CALL) && in[i].src_reg == BPF_PSEUDO_CALL) {
			size_t to = i + in[i].imm + 1;

			for (k = 0; k < n && start[k] != to; k++)
				;
			if (k == n && n < max)
				start[n++] = to;
		}
		if (in[i].code == (BPF_LD | BPF_IMM | BPF_DW))
			i++;
	}
	qsort(start, n, sizeof(*start), cmp_size);
	return n;
}

struct stack_row {
	bool test_obj;
	const char *object, *xdp_prog, *tc_prog;
};

static const struct stack_row stacks[] = {
	{ true, "stack", "stack_none", NULL },
	{ true, "stack", "stack_key", NULL },
	{ true, "stack", "stack_chain", NULL },
	{ true, "stack", "stack_tree", NULL },
	{ true, "stack", "stack_480", NULL },
	{ true, "deep_calls", "deep_xdp", "deep_tc" },
	{ true, "tp_subprogs", "tp_sub_xdp", "tp_sub_tc" },
	{ true, "tail_self", "tail_main", "tail_main_tc" },
	{ false, "blocklist", "blocklist", "blocklist_tc" },
	{ false, "seed_counter", "xdp_packet_counter", NULL },
};

static void t_stack(void **state)
{
	struct tm_case *t = tm__begin(state);
	unsigned int depth[ANALYZE_MAX_SUBPROGS], want;
	size_t start[ANALYZE_MAX_SUBPROGS], cnt, i;
	struct stage_facts f;
	struct bpf_insn *in;
	int n, nf;

	for (i = 0; i < sizeof(stacks) / sizeof(stacks[0]); i++) {
		const struct stack_row *r = &stacks[i];
		const char *prog = t->h->xdp ? r->xdp_prog : r->tc_prog;
		const char *obj = r->test_obj ? fx__tbpf(r->object) : fx__bpf(r->object);

		if (!prog)
			continue;
		n = verifier_depths(obj, prog, t->h->hook, depth, ANALYZE_MAX_SUBPROGS);
		assert_int_equal(fx__orig_insns(obj, prog, t->h->hook, &in, &cnt), 0);
		nf = func_starts(in, cnt, start, ANALYZE_MAX_SUBPROGS);
		if (nf != n)
			fail_msg("%s: %s: %d functions, the verifier lists %d stack depths", t->h->name,
				 prog, nf, n);
		want = verifier_chain(in, cnt, depth, nf, 0, start);
		assert_int_equal(analyze__stage(in, cnt, t->h->xdp, NULL, NULL, &f), 0);
		free(in);
		if (f.stack != want || f.frame0 != analyze__frame(depth[0]) || f.nr_subprogs != nf)
			fail_msg("%s: %s: analysis says stack %u (own frame %u, %d functions), the verifier %u (own frame %u, %d functions)",
				 t->h->name, prog, f.stack, f.frame0, f.nr_subprogs, want,
				 analyze__frame(depth[0]), nf);
	}
}

/* Case 4: preflight limits against the kernel's own verdict */

/*
 * @prog wrapped by hand (compose.c) and loaded: what the kernel says of
 * the composed program, beside what gen__load() (preflight included)
 * says; both must agree, and a refusal must say why in tailgate's words.
 */
static void limit_row(struct tm_case *t, const char *prog, const char *kernel_says,
		      const char *tailgate_says)
{
	struct compose_stage cs;
	struct stage_load sl;
	char *log = calloc(1, 1 << 20), *out;
	int fd, err;

	assert_non_null(log);
	fx__stage_load(&t->fx, t->fx.plan->stages[0].object, prog, &sl);
	cs = (struct compose_stage){ sl.insns, sl.cnt, TG_BANK_BASE(0), TG_VERDICT_BIT(TG_PASS),
				     false };
	fd = fx__compose_load(&t->fx, &cs, 1, false, TG_SLOT_NONE, false, log, 1 << 20);
	stage__close(&sl);
	if (fd >= 0)
		close(fd);
	fx__capture_begin();
	err = fx__try_load(&t->fx, 0, PLAN_DP_CHAINED, false);
	out = fx__capture_end();
	if ((fd >= 0) != !err)
		fail_msg("%s: %s: the kernel %s it wrapped, tailgate %s it (%s)\nkernel: %.400s\ntailgate: %s",
			 t->h->name, prog, fd >= 0 ? "accepts" : "refuses", err ? "refuses" : "accepts",
			 strerror(-err), fd >= 0 ? "" : log, out);
	if (fd < 0 && (!strstr(log, kernel_says) || !strstr(out, tailgate_says)))
		fail_msg("%s: %s: want the kernel to say \"%s\" and tailgate \"%s\"; kernel: %.400s\ntailgate: %s",
			 t->h->name, prog, kernel_says, tailgate_says, log, out);
	free(out);
	free(log);
}

static void t_stack_limit(void **state)
{
	struct tm_case *t = tm__begin(state);
	const char *progs[] = { "stack_480", "stack_500" };
	size_t i;

	for (i = 0; i < 2; i++) {
		fx__plan(&t->fx);
		fx__stage(&t->fx, "stack", fx__tbpf("stack"), progs[i]);
		limit_row(t, progs[i], "combined stack size", "exceed the kernel's 512 bytes");
	}
	/* and the two really sit on either side of the limit */
	fx__plan(&t->fx);
	fx__stage(&t->fx, "stack", fx__tbpf("stack"), "stack_480");
	fx__load(&t->fx, 0, PLAN_DP_CHAINED);
	assert_int_equal(COMPOSE_MAIN_STACK + t->fx.gl[0].st[0].stack, GEN_MAX_STACK);
}

static void t_tail_call_rule(void **state)
{
	struct tm_case *t = tm__begin(state);
	const char *progs[] = { t->h->xdp ? "tail_main" : "tail_main_tc",
				t->h->xdp ? "tail_sub" : "tail_sub_tc" };
	struct gen_stage_info st = {};
	struct bpf_insn *in;
	char why[256], *out;
	size_t i, cnt;

	/* tail_main runs wrapped (both accept it); tail_sub breaks the rule */
	for (i = 0; i < 2; i++) {
		fx__plan(&t->fx);
		fx__stage(&t->fx, "tails", fx__tbpf("tail_self"), progs[i]);
		limit_row(t, progs[i], "tail_calls are not allowed when call stack of previous frames",
			  "makes its own tail calls");
	}
	/* own tail calls: found, and they would keep a generation chained */
	assert_int_equal(fx__orig_insns(fx__tbpf("tail_self"), progs[0], t->h->hook, &in, &cnt), 0);
	assert_int_equal(analyze__stage(in, cnt, t->h->xdp, NULL, NULL, &st.facts), 0);
	free(in);
	assert_true(st.facts.tail_calls);
	snprintf(st.program, sizeof(st.program), "%s", progs[0]);
	assert_int_equal(gen__choose_shape(PLAN_DP_AUTO, &st, 1, why, sizeof(why)), GEN_CHAINED);
	assert_non_null(strstr(why, "makes its own tail calls"));
	assert_int_equal(gen__choose_shape(PLAN_DP_FUSED, &st, 1, why, sizeof(why)), -E2BIG);
	out = NULL;
	assert_false(one_stage(t, "counter", fx__bpf("counter"), "counter", false, &out)->tail_calls);
	free(out);
}

/* Case 5: verifier-negative programs, found by their annotations */

struct neg {
	char object[512];
	char prog[64];
	enum plan_hook hook;
	struct fx_expect e;
};

static int find_negatives(struct neg *negs, int max)
{
	struct bpf_program *p;
	struct bpf_object *obj;
	glob_t g = {};
	size_t i;
	int n = 0;

	if (glob(fx__tbpf("*"), 0, NULL, &g))
		fail_msg("no test objects under %s: run 'make'", fx__tbpf("*"));
	for (i = 0; i < g.gl_pathc; i++) {
		obj = bpf_object__open_file(g.gl_pathv[i], NULL);
		if (!obj)
			continue;
		bpf_object__for_each_program(p, obj) {
			struct neg *ng = &negs[n];

			if (n >= max || fx__expect(g.gl_pathv[i], bpf_program__name(p), &ng->e) ||
			    !ng->e.reject[0])
				continue;
			snprintf(ng->object, sizeof(ng->object), "%s", g.gl_pathv[i]);
			snprintf(ng->prog, sizeof(ng->prog), "%s", bpf_program__name(p));
			ng->hook = bpf_program__type(p) == BPF_PROG_TYPE_XDP ? PLAN_HOOK_XDP :
									      PLAN_HOOK_TC_INGRESS;
			n++;
		}
		bpf_object__close(obj);
	}
	globfree(&g);
	return n;
}

static void negative(struct tm_case *t, const struct neg *ng, enum plan_datapath dp)
{
	char want[256], *out;
	struct bpf_insn *in;
	size_t cnt;
	long at = -1;
	int err, i;

	fx__plan(&t->fx);
	/* third in the chain: the message must pick the right stage */
	for (i = 0; i < 2; i++)
		fx__stage(&t->fx, i ? "pass1" : "pass0", fx__tbpf("verdicts"),
			  fx__pick(&t->fx, i ? "xdp_v1" : "xdp_v0", i ? "tc_v1" : "tc_v0"));
	fx__stage(&t->fx, "negative", ng->object, ng->prog);
	fx__capture_begin();
	err = fx__try_load(&t->fx, 0, dp, false);
	out = fx__capture_end();
	if (!err)
		fail_msg("%s (%s): %s loads, but says it is refused %s", ng->prog,
			 plan__datapath_name(dp), ng->object, ng->e.reject);
	snprintf(want, sizeof(want), "stage 'negative' on %s/%s", FX_IFNAME,
		 plan__hook_name(t->fx.hook));
	if (!strstr(out, want) || !strstr(out, ng->e.msg))
		fail_msg("%s (%s): want \"%s\" and \"%s\" in: %s", ng->prog, plan__datapath_name(dp),
			 want, ng->e.msg, out);
	if (ng->e.insn[0]) {
		assert_int_equal(fx__orig_insns(ng->object, ng->prog, ng->hook, &in, &cnt), 0);
		at = fx__find_insn(in, cnt, ng->e.insn);
		free(in);
		if (at < 0)
			fail_msg("%s: no instruction matches its annotation %s", ng->prog, ng->e.insn);
		/* gen.c's words once wrapped, stage.c's for the program alone */
		if (!strcmp(ng->e.reject, "wrapped"))
			snprintf(want, sizeof(want), "at insn %ld of program '%s'", at, ng->prog);
		else
			snprintf(want, sizeof(want), "program '%s' at insn %ld", ng->prog, at);
		if (!strstr(out, want))
			fail_msg("%s (%s): want \"%s\" (the program's own numbering) in: %s", ng->prog,
				 plan__datapath_name(dp), want, out);
	}
	free(out);
}

static void t_negatives(void **state)
{
	struct tm_case *t = tm__begin(state);
	struct neg negs[32];
	int n = find_negatives(negs, 32), i, seen = 0;

	for (i = 0; i < n; i++) {
		if (negs[i].hook != t->fx.hook)
			continue;
		negative(t, &negs[i], PLAN_DP_CHAINED);
		negative(t, &negs[i], PLAN_DP_FUSED);
		print_message("  %s: %s (refused %s): \"%s\"%s%s\n", t->h->name, negs[i].prog,
			      negs[i].e.reject, negs[i].e.msg, negs[i].e.insn[0] ? ", insn " : "",
			      negs[i].e.insn);
		seen++;
	}
	if (seen < 3)
		fail_msg("%s: only %d annotated verifier-negative programs found", t->h->name, seen);
}

/* Table */

#define CASE(pfx, name, fn, hk) { pfx name, fn, tm__setup, tm__teardown, (void *)&hk }
#define CASES(hk, pfx)										\
	CASE(pfx, "races: (*value)++ on shared values found at their store, not atomics or per-CPU", \
	     t_races, hk),									\
	CASE(pfx, "rewrites: helpers and direct writes found, reads not; shadow warns",	\
	     t_rewrites, hk),									\
	CASE(pfx, "stack estimate == the verifier's deepest chain", t_stack, hk),		\
	CASE(pfx, "tail calls from a wrapped stage: tailgate and the kernel agree",		\
	     t_tail_call_rule, hk),								\
	CASE(pfx, "verifier-negative programs: stage, reason and own insn named", t_negatives, hk)

int main(void)
{
	const struct CMUnitTest xdp[] = {
		CASES(tm_xdp, "xdp: "),
		CASE("xdp: ", "stack limit with the wrapper: tailgate and the kernel agree",
		     t_stack_limit, tm_xdp),
	};
	const struct CMUnitTest tc[] = { CASES(tm_tc, "tc: ") };
	int failed;

	failed = cmocka_run_group_tests_name("analyze_xdp", xdp, NULL, NULL);
	failed += cmocka_run_group_tests_name("analyze_tc", tc, NULL, NULL);
	return failed ? 1 : 0;
}
