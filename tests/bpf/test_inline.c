// SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause)
/*
 * test_inline: a stage inlined into tailgate's wrapper (compose.c) behaves
 * exactly as the same stage called as a subprogram. For each hook and both
 * shapes (chained and fused), one generation of real stage objects (loaded
 * by stage.c: counter, multi_exit with a stack frame, a static subprogram
 * and a global function, in shadow and enforcing, blocklist,
 * bench_plain) and one of a hand-written stage with several exits and a
 * subprogram are composed both ways, each onto maps of its own behind the
 * real dispatcher; every packet must get the same verdict both ways and
 * every slot the same nine counters, and the inlined side must really be
 * inlined. And a call chain as deep as the kernel allows is refused
 * called (the wrapper's main a frame too many) and loads inlined. Objects come from build/bpf and build/tests/bpf (TAILGATE_BPF_DIR
 * for the first); run from the repo root, as root.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <cmocka.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <linux/pkt_cls.h>
#include <bpf/bpf.h>
#include <bpf/libbpf.h>

#include "ap.h"
#include "bpf_fixture.h"
#include "bpfutil.h"
#include "compose.h"
#include "counters.h"
#include "disp.h"
#include "insn.h"
#include "log.h"
#include "object.h"
#include "slots.h"
#include "stage.h"

#define MAX_ST		8
#define REPEAT		3

/* One side: its own maps and dispatcher, the generation composed one way. */
struct side {
	struct disp_maps m;
	int disp_fd;
	int prog_fd[MAX_ST];
	int nr;
};

struct gen {
	enum plan_hook hook;
	int n;
	struct compose_stage st[MAX_ST];
	struct compose_frame fr[MAX_ST];
	struct stage_load sl[MAX_ST];
	int nr_loaded;
};

static const char *obj_path(const char *name)
{
	static char buf[4][256];
	static int i;
	const char *d = getenv("TAILGATE_BPF_DIR");

	i = (i + 1) % 4;
	if (!strncmp(name, "tests/", 6))
		snprintf(buf[i], sizeof(buf[i]), "build/%s", name);
	else
		snprintf(buf[i], sizeof(buf[i]), "%s/%s", d ? d : "build/bpf", name);
	return buf[i];
}

/* A stage object loaded by stage.c, as gen.c does, into @g's next place. */
static void add_object(struct gen *g, const char *object, const char *program, __u32 cont,
		       bool shadow)
{
	struct stage_env env = { .ifname = "test", .hook = g->hook };
	static struct kept_set kept;
	struct plan_stage ps = { 0 };
	struct stage_src src;
	struct stage_load *sl = &g->sl[g->n];
	struct compose_stage *s = &g->st[g->n];

	env.kept = &kept;
	snprintf(ps.name, sizeof(ps.name), "s%d", g->n);
	snprintf(ps.object, sizeof(ps.object), "%s", obj_path(object));
	snprintf(ps.program, sizeof(ps.program), "%s", program);
	ps.has_continue_on = cont != 0;
	ps.continue_on = cont;
	ps.mode = shadow ? PLAN_MODE_SHADOW : PLAN_MODE_ENFORCE;
	assert_int_equal(object__read(&ps, &src), 0);
	assert_int_equal(stage__load(&env, &ps, &src, sl), 0);
	object__free(&src);
	*s = (struct compose_stage){
		.insns = sl->insns, .cnt = sl->cnt, .continue_on = sl->continue_on,
		.shadow = sl->shadow,
	};
	/* the verifier's frame, as gen.c passes it */
	assert_true(sl->frame >= 0);
	g->fr[g->n] = (struct compose_frame){ .frame = sl->frame, .stack = sl->facts.stack };
	g->n++;
	g->nr_loaded = g->n;
}

/*
 * Hand-written: class = packet length - 60 (0..4 or, beyond, pass), from a
 * subprogram; the length kept in an 8-byte stack slot; one exit per
 * verdict; r6-r9 overwritten first. Codes for XDP or tc.
 */
static struct bpf_insn synth[40];

static void add_synthetic(struct gen *g, __u32 cont)
{
	bool xdp = g->hook == PLAN_HOOK_XDP;
	int code[5] = { xdp ? XDP_PASS : TC_ACT_OK, xdp ? XDP_DROP : TC_ACT_SHOT,
			xdp ? XDP_ABORTED : TC_ACT_STOLEN, xdp ? XDP_TX : TC_ACT_QUEUED,
			xdp ? XDP_REDIRECT : TC_ACT_REDIRECT };
	struct bpf_insn *p = synth;
	int v, call;

	/* every callee-saved register clobbered: the wrapper's must survive */
	for (v = BPF_REG_6; v <= BPF_REG_9; v++)
		*p++ = I_MOV64_IMM(v, 1000 + v);
	if (xdp) {
		*p++ = I_LDX_W(BPF_REG_2, BPF_REG_1, 0);	/* data */
		*p++ = I_LDX_W(BPF_REG_3, BPF_REG_1, 4);	/* data_end */
		*p++ = I_SUB64_REG(BPF_REG_3, BPF_REG_2);
	} else {
		*p++ = I_LDX_W(BPF_REG_3, BPF_REG_1, 0);	/* skb->len */
	}
	*p++ = I_STX_DW(BPF_REG_10, BPF_REG_3, -8);
	*p++ = I_LDX_DW(BPF_REG_1, BPF_REG_10, -8);
	call = p - synth;
	*p++ = insn__make(BPF_JMP | BPF_CALL, 0, BPF_PSEUDO_CALL, 0, 0);	/* imm below */
	for (v = 1; v < 5; v++) {
		/* if r0 == v goto +2; (r0 = code; exit) of the next test */
		*p++ = insn__make(BPF_JMP | BPF_JNE | BPF_K, BPF_REG_0, 0, 2, v);
		*p++ = I_MOV64_IMM(BPF_REG_0, code[v]);
		*p++ = I_EXIT();
	}
	*p++ = I_MOV64_IMM(BPF_REG_0, code[0]);
	*p++ = I_EXIT();
	/* sub: r0 = r1 - 60, or -1 beyond 0..4 */
	synth[call].imm = (int)(p - synth) - call - 1;
	*p++ = I_MOV64_REG(BPF_REG_0, BPF_REG_1);
	*p++ = I_ADD64_IMM(BPF_REG_0, -60);
	*p++ = insn__make(BPF_JMP | BPF_JGT | BPF_K, BPF_REG_0, 0, 1, 4);
	*p++ = I_EXIT();
	*p++ = I_MOV64_IMM(BPF_REG_0, -1);
	*p++ = I_EXIT();
	g->st[g->n] = (struct compose_stage){ .insns = synth, .cnt = p - synth, .continue_on = cont };
	g->fr[g->n] = (struct compose_frame){ .frame = 8, .stack = 8 };
	g->n++;
}

static int load(enum plan_hook hook, const struct compose_prog *cp)
{
	LIBBPF_OPTS(bpf_prog_load_opts, o, .expected_attach_type = hook == PLAN_HOOK_XDP ? BPF_XDP : 0);
	int fd = bpf_prog_load(ap__prog_type(hook), "tgtest", "GPL", cp->insns, cp->cnt, &o);
	size_t len = 16 << 20;
	char *log;

	if (fd >= 0)
		return fd;
	/* again with the verifier's story */
	log = calloc(1, len);
	o.log_buf = log;
	o.log_size = len;
	o.log_level = 1;
	bpf_prog_load(ap__prog_type(hook), "tgtest", "GPL", cp->insns, cp->cnt, &o);
	fail_msg("load: %s\n%s", strerror(errno), log ? log : "");
	return -1;
}

/* Compose @g onto @sd (its own maps), install it in bank A, go live. */
static void side_build(struct side *sd, struct gen *g, bool fused, bool call)
{
	struct disp_state plain = { .kind = DISP_PLAIN };
	struct disp_maps none = { -1, -1, -1, -1 };
	struct compose_opts o = { .xdp = g->hook == PLAN_HOOK_XDP, .frames = call ? NULL : g->fr };
	struct compose_prog cp;
	int i;

	memset(sd, 0, sizeof(*sd));
	assert_int_equal(disp__load(g->hook, &plain, &none, &sd->disp_fd, &sd->m), 0);
	o.stats_fd = sd->m.stats_fd;
	o.slots_fd = sd->m.slots_fd;
	for (i = 0; i < g->n; i++)
		g->st[i].slot = TG_BANK_BASE(0) + i;
	if (fused) {
		assert_int_equal(compose__fused(&o, g->st, g->n, &cp), 0);
		assert_int_equal(cp.inlined, !call);
		sd->prog_fd[sd->nr++] = load(g->hook, &cp);
		compose__free(&cp);
	} else {
		for (i = 0; i < g->n; i++) {
			__u32 next = i + 1 < g->n ? TG_BANK_BASE(0) + i + 1 : TG_SLOT_NONE;

			o.frames = call ? NULL : &g->fr[i];
			assert_int_equal(compose__chained(&o, &g->st[i], next, &cp), 0);
			assert_int_equal(cp.inlined, !call);
			sd->prog_fd[sd->nr++] = load(g->hook, &cp);
			compose__free(&cp);
		}
	}
	for (i = sd->nr - 1; i >= 0; i--)
		assert_int_equal(slots__set(sd->m.slots_fd, TG_BANK_BASE(0) + i, sd->prog_fd[i]), 0);
	assert_int_equal(slots__set(sd->m.slots_fd, TG_SLOT_ENTRY, sd->prog_fd[0]), 0);
}

static void side_free(struct side *sd)
{
	int i;

	for (i = 0; i < sd->nr; i++)
		close(sd->prog_fd[i]);
	close(sd->disp_fd);
	close(sd->m.slots_fd);
	close(sd->m.stats_fd);
	close(sd->m.info_fd);
}

static void compare(struct gen *g, bool fused)
{
	struct side call, inl;
	unsigned char pkt[128];
	struct bpfutil_run ra = { .data = pkt, .repeat = REPEAT }, rb = ra;
	struct tg_stats a, b;
	int port, len, sent = 0;
	__u32 k;

	side_build(&call, g, fused, true);
	side_build(&inl, g, fused, false);
	for (port = 6999; port <= 7005; port++)
		for (len = 60; len <= 66; len++) {
			fx__pkt(pkt, sizeof(pkt),
				&(struct fx_pkt){ .sport = 4000, .dport = port, .len = len });
			ra.len = rb.len = len;
			assert_int_equal(bpfutil__test_run(call.disp_fd, &ra), 0);
			assert_int_equal(bpfutil__test_run(inl.disp_fd, &rb), 0);
			if (ra.retval != rb.retval)
				fail_msg("%s %s, port %d, %d bytes: verdict %u called, %u inlined",
					 plan__hook_name(g->hook), fused ? "fused" : "chained", port, len,
					 ra.retval, rb.retval);
			sent += REPEAT;
		}
	for (k = 0; k < TG_NR_SLOTS; k++) {
		assert_int_equal(counters__read(call.m.stats_fd, k, &a), 0);
		assert_int_equal(counters__read(inl.m.stats_fd, k, &b), 0);
		if (memcmp(&a, &b, sizeof(a)))
			fail_msg("%s %s: stats[%u] differ: packets %llu/%llu pass %llu/%llu drop %llu/%llu continued %llu/%llu bytes %llu/%llu",
				 plan__hook_name(g->hook), fused ? "fused" : "chained", k, a.packets,
				 b.packets, a.pass, b.pass, a.drop, b.drop, a.continued, b.continued,
				 a.bytes, b.bytes);
		assert_true(a.packets == a.pass + a.drop + a.aborted + a.tx + a.redirect);
	}
	assert_int_equal(counters__read(inl.m.stats_fd, TG_BANK_BASE(0), &b), 0);
	assert_int_equal(b.packets, sent);
	side_free(&call);
	side_free(&inl);
}

static void gen_free(struct gen *g)
{
	int i;

	for (i = 0; i < g->nr_loaded; i++)
		stage__close(&g->sl[i]);
}

static void need_root(void)
{
	if (geteuid() != 0) {
		print_message("not root: loading programs and BPF_PROG_TEST_RUN need CAP_BPF/CAP_NET_ADMIN/CAP_SYS_ADMIN; run as root\n");
		skip();
	}
}

static void objects(enum plan_hook hook)
{
	__u32 pdt = TG_VERDICT_BIT(TG_PASS) | TG_VERDICT_BIT(TG_DROP) | TG_VERDICT_BIT(TG_TX);
	struct gen g = { .hook = hook };

	need_root();
	add_object(&g, "counter.bpf.o", "counter", 0, false);
	add_object(&g, "tests/bpf/multi_exit.bpf.o", "multi_exit", 0, true);
	add_object(&g, "tests/bpf/multi_exit.bpf.o", "multi_exit", pdt, false);
	add_object(&g, "blocklist.bpf.o", "blocklist", 0, false);
	add_object(&g, "tests/bpf/bench_plain.bpf.o", "bench_plain", 0, false);
	compare(&g, false);
	compare(&g, true);
	gen_free(&g);
}

static void synthetic(enum plan_hook hook)
{
	__u32 pa = TG_VERDICT_BIT(TG_PASS) | TG_VERDICT_BIT(TG_ABORTED) | TG_VERDICT_BIT(TG_DROP);
	struct gen g = { .hook = hook };

	need_root();
	add_synthetic(&g, pa);
	add_synthetic(&g, TG_VERDICT_BIT(TG_PASS));
	compare(&g, false);
	compare(&g, true);
}

/*
 * A call chain as deep as the kernel allows (8 frames): called from the
 * wrapper's main it is one frame too many; inlined, it loads.
 */
static void deep(enum plan_hook hook)
{
	LIBBPF_OPTS(bpf_prog_load_opts, lo, .expected_attach_type = hook == PLAN_HOOK_XDP ? BPF_XDP : 0);
	struct gen g = { .hook = hook };
	struct disp_maps none = { -1, -1, -1, -1 }, m;
	struct disp_state plain = { .kind = DISP_PLAIN };
	struct compose_opts o = { .xdp = hook == PLAN_HOOK_XDP };
	struct compose_prog cp;
	int disp_fd, fd;

	need_root();
	add_object(&g, "tests/bpf/deep_calls.bpf.o", hook == PLAN_HOOK_XDP ? "deep_xdp" : "deep_tc",
		   0, false);
	assert_int_equal(disp__load(hook, &plain, &none, &disp_fd, &m), 0);
	o.stats_fd = m.stats_fd;
	o.slots_fd = m.slots_fd;
	g.st[0].slot = TG_BANK_BASE(0);
	assert_int_equal(compose__chained(&o, &g.st[0], TG_SLOT_NONE, &cp), 0);
	assert_false(cp.inlined);
	fd = bpf_prog_load(ap__prog_type(hook), "tgtest", "GPL", cp.insns, cp.cnt, &lo);
	assert_true(fd < 0);	/* called: 9 frames */
	compose__free(&cp);
	o.frames = g.fr;
	assert_int_equal(compose__chained(&o, &g.st[0], TG_SLOT_NONE, &cp), 0);
	assert_true(cp.inlined);
	fd = load(hook, &cp);
	compose__free(&cp);
	close(fd);
	close(disp_fd);
	close(m.slots_fd);
	close(m.stats_fd);
	close(m.info_fd);
	gen_free(&g);
}

static void t_objects_xdp(void **state) { objects(PLAN_HOOK_XDP); }
static void t_deep_xdp(void **state) { deep(PLAN_HOOK_XDP); }
static void t_deep_tc(void **state) { deep(PLAN_HOOK_TC_INGRESS); }
static void t_objects_tc(void **state) { objects(PLAN_HOOK_TC_INGRESS); }
static void t_synthetic_xdp(void **state) { synthetic(PLAN_HOOK_XDP); }
static void t_synthetic_tc(void **state) { synthetic(PLAN_HOOK_TC_INGRESS); }

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(t_objects_xdp),
		cmocka_unit_test(t_objects_tc),
		cmocka_unit_test(t_synthetic_xdp),
		cmocka_unit_test(t_synthetic_tc),
		cmocka_unit_test(t_deep_xdp),
		cmocka_unit_test(t_deep_tc),
	};

	log__init(-1);
	return cmocka_run_group_tests(tests, NULL, NULL);
}
