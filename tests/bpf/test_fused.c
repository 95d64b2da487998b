// SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause)
/*
 * BPF_PROG_TEST_RUN tables of fused generations (the whole chain composed
 * into one program, orchestrator/compose.c), XDP and tc: 1, 2, 4, 8 and 16
 * stages, every return code at every position, with every stage enforcing,
 * with every other stage in shadow, and with continue_on mixed; and a
 * generation of third-party and header stages. Each fused generation sits
 * in bank A beside the same plan chained in bank B, and every packet runs
 * through both: the verdicts and each stage slot's counters must be the
 * model's (tests/lib/bpf_model.h) and the same in both shapes, and the
 * stages' own maps must end up the same.
 */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <arpa/inet.h>
#include <cmocka.h>
#include <linux/if_ether.h>
#include <linux/pkt_cls.h>
#include <bpf/bpf.h>

#include "bpf_fixture.h"
#include "bpf_model.h"

#define R	1	/* XDP test_run with repeat > 1 re-points the kernel's XDP dispatcher twice (ms each) */

struct variant {
	const char *name;
	void (*cfg)(int i, struct tm_stage *m);
};

static void all_enforce(int i, struct tm_stage *m)
{
	*m = (struct tm_stage){ TG_VERDICT_BIT(TG_PASS), false };
}

static void odd_shadow(int i, struct tm_stage *m)
{
	*m = (struct tm_stage){ TG_VERDICT_BIT(TG_PASS), i % 2 == 1 };
}

static void mixed(int i, struct tm_stage *m)
{
	static const __u32 cont[] = { TG_VERDICT_BIT(TG_PASS),
				      TG_VERDICT_BIT(TG_PASS) | TG_VERDICT_BIT(TG_DROP),
				      TG_VERDICT_ALL };

	*m = (struct tm_stage){ cont[i % 3], false };
}

static const struct variant variants[] = {
	{ "every stage enforcing", all_enforce },
	{ "every other stage in shadow", odd_shadow },
	{ "continue_on [pass] / [pass, drop] / all", mixed },
};

#define NVARIANTS	(sizeof(variants) / sizeof(variants[0]))
static const int sizes[] = { 1, 2, 4, 8, 16 };
#define NSIZES		(sizeof(sizes) / sizeof(sizes[0]))

struct row {
	const struct tm_hook *h;
	int n;
	const struct variant *v;
	char name[128];
};

/* The same plan fused into bank A and chained into bank B. */
static void load_both(struct tm_case *t, int n)
{
	struct bpf_prog_info info = {};
	__u32 len = sizeof(info);
	char want[16];

	fx__load(&t->fx, 0, PLAN_DP_FUSED);
	fx__install(&t->fx, 0);
	fx__load(&t->fx, 1, PLAN_DP_CHAINED);
	fx__install(&t->fx, 1);
	assert_int_equal(t->fx.gl[0].shape, GEN_FUSED);
	assert_int_equal(t->fx.gl[0].nr_progs, 1);
	assert_int_equal(t->fx.gl[1].shape, GEN_CHAINED);
	assert_int_equal(t->fx.gl[1].nr_progs, n);
	/* bpftool prog show says what it is: tg<gen>f<stages>_gen */
	assert_int_equal(bpf_obj_get_info_by_fd(t->fx.gl[0].prog_fd[0], &info, &len), 0);
	snprintf(want, sizeof(want), "tg%lluf%d_gen", (unsigned long long)t->fx.gen - 1, n);
	assert_string_equal(info.name, want);
}

/* One packet through both shapes; both against the model and each other. */
static void both(struct tm_case *t, const struct tm_stage *m, int n, const int *codes, const char *what)
{
	struct tg_stats df[TG_NR_SLOTS], dc[TG_NR_SLOTS];
	__u8 pkt[128];
	size_t len = fx__verdict_pkt(pkt, sizeof(pkt), codes, n);
	struct tm_run want;
	char w[160];
	__u32 rf, rc;
	int i;

	tm__run(t->h, m, n, codes, -1, false, R, len, &want);
	fx__flip(&t->fx, 0);
	rf = fx__run_deltas(&t->fx, pkt, len, R, df);
	fx__flip(&t->fx, 1);
	rc = fx__run_deltas(&t->fx, pkt, len, R, dc);
	snprintf(w, sizeof(w), "%s, fused", what);
	tm__check(&t->fx, t->h, TG_BANK_BASE(0), n, codes, &want, rf, df, w);
	snprintf(w, sizeof(w), "%s, chained", what);
	tm__check(&t->fx, t->h, TG_BANK_BASE(1), n, codes, &want, rc, dc, w);
	for (i = 0; i < n; i++)
		if (memcmp(&df[TG_BANK_BASE(0) + i], &dc[TG_BANK_BASE(1) + i], sizeof(df[0])))
			fail_msg("%s: %s: stage %d counted differently fused and chained", t->h->name,
				 what, i);
}

static void t_row(void **state)
{
	struct tm_case *t = tm__begin(state);
	const struct row *r = t->row;
	struct tm_stage m[TG_MAX_STAGES];
	int codes[TG_MAX_STAGES], i, at;
	char name[16], prog[16], what[160];
	struct plan_stage *ps;
	size_t c;

	for (i = 0; i < r->n; i++) {
		r->v->cfg(i, &m[i]);
		snprintf(name, sizeof(name), "v%d", i);
		snprintf(prog, sizeof(prog), "%s_v%d", t->h->xdp ? "xdp" : "tc", i);
		ps = fx__stage(&t->fx, name, fx__tbpf("verdicts"), prog);
		if (m[i].continue_on != TG_VERDICT_BIT(TG_PASS))
			fx__continue_on(ps, m[i].continue_on);
		ps->mode = m[i].shadow ? PLAN_MODE_SHADOW : PLAN_MODE_ENFORCE;
	}
	load_both(t, r->n);
	for (at = 0; at < r->n; at++) {
		for (c = 0; c < t->h->nr_codes; c++) {
			for (i = 0; i < r->n; i++)
				codes[i] = t->h->pass;
			codes[at] = t->h->codes[c].code;
			snprintf(what, sizeof(what), "%d stages, %s, %s at stage %d", r->n, r->v->name,
				 t->h->codes[c].name, at);
			both(t, m, r->n, codes, what);
		}
	}
	fx__expect_slot(&t->fx, TG_SLOT_ENTRY, ST(0), "the dispatcher counts only its own misses");
	fx__expect_identity(&t->fx);
}

/*
 * Third-party and header stages, fused and chained: a packet mix each of
 * them has something to say about, the counters and the stages' own maps
 * compared between the shapes.
 */

#define XDPFILT	"/usr/lib/x86_64-linux-gnu/bpf/xdpfilt_alw_udp.o"

struct own_map {
	int stage;
	const char *map;
};

static __u64 map_u64(struct fx *fx, unsigned int bank, const struct own_map *om)
{
	int fd = fx__stage_map(fx, bank, om->stage, om->map);
	__u32 key = 0;
	__u64 v = 0;

	assert_int_equal(bpf_map_lookup_elem(fd, &key, &v), 0);
	close(fd);
	return v;
}

static void t_third_party(void **state)
{
	struct tm_case *t = tm__begin(state);
	struct fx_pkt mix[] = {
		{ .dport = 53 },	 /* everyone passes it */
		{ .dport = 9 },		 /* tp_loop drops */
		{ .dport = 7 },		 /* tp_globals drops */
		{ .l3 = ETH_P_IPV6 },	 /* tp_core drops */
		{ .src = "198.18.5.7" }, /* blocklist drops */
	};
	struct tg_stats df[TG_NR_SLOTS], dc[TG_NR_SLOTS];
	struct own_map maps[8];
	struct tg_lpm_key key = { .prefixlen = 96 + 24 };
	int nmaps = 0, n, i, fd, bl;
	__u8 pkt[256], one = 1;
	unsigned int b;
	size_t len, k;
	__u32 rf, rc;

	if (t->h->xdp) {
		maps[nmaps++] = (struct own_map){ t->fx.plan->nr_stages, "packet_count_map" };
		fx__stage(&t->fx, "seed", fx__bpf("seed_counter"), "xdp_packet_counter");
	}
	maps[nmaps++] = (struct own_map){ t->fx.plan->nr_stages, "packet_count" };
	fx__stage(&t->fx, "counter", fx__bpf("counter"), "counter");
	fx__stage(&t->fx, "loop", fx__tbpf("tp_loop"),
		  fx__pick(&t->fx, "tp_loop_xdp", "tp_loop_tc"));
	fx__stage(&t->fx, "subprogs", fx__tbpf("tp_subprogs"),
		  fx__pick(&t->fx, "tp_sub_xdp", "tp_sub_tc"));
	maps[nmaps++] = (struct own_map){ t->fx.plan->nr_stages, ".bss" };
	fx__stage(&t->fx, "globals", fx__tbpf("tp_globals"),
		  fx__pick(&t->fx, "tp_glob_xdp", "tp_glob_tc"));
	fx__stage(&t->fx, "core", fx__tbpf("tp_core"), fx__pick(&t->fx, "tp_core_xdp", "tp_core_tc"));
	maps[nmaps++] = (struct own_map){ t->fx.plan->nr_stages, "tp_pinned_seen" };
	fx__stage(&t->fx, "pinned", fx__tbpf("tp_pinned"), fx__pick(&t->fx, "tp_pin_xdp", "tp_pin_tc"));
	bl = t->fx.plan->nr_stages;
	fx__stage(&t->fx, "blocklist", fx__bpf("blocklist"), "blocklist");
	if (t->h->xdp && !access(XDPFILT, R_OK))
		fx__stage(&t->fx, "xdpfilt", XDPFILT, "xdpfilt_alw_udp");
	n = t->fx.plan->nr_stages;
	load_both(t, n);
	/* 198.18.5.0/24 blocked in both generations' own tries */
	key.addr[10] = key.addr[11] = 0xff;
	inet_pton(AF_INET, "198.18.5.0", &key.addr[12]);
	for (b = 0; b < TG_NR_BANKS; b++) {
		fd = fx__stage_map(&t->fx, b, bl, "blocked");
		assert_int_equal(bpf_map_update_elem(fd, &key, &one, BPF_ANY), 0);
		close(fd);
	}
	for (k = 0; k < sizeof(mix) / sizeof(mix[0]); k++) {
		len = fx__pkt(pkt, sizeof(pkt), &mix[k]);
		fx__flip(&t->fx, 0);
		rf = fx__run_deltas(&t->fx, pkt, len, R, df);
		fx__flip(&t->fx, 1);
		rc = fx__run_deltas(&t->fx, pkt, len, R, dc);
		if (rf != rc || rf != (k ? (__u32)t->h->drop : (__u32)t->h->pass))
			fail_msg("%s: packet %zu: fused %u, chained %u", t->h->name, k, rf, rc);
		for (i = 0; i < n; i++)
			if (memcmp(&df[TG_BANK_BASE(0) + i], &dc[TG_BANK_BASE(1) + i], sizeof(df[0])))
				fail_msg("%s: packet %zu: stage '%s' counted differently fused and chained",
					 t->h->name, k, t->fx.plan->stages[i].name);
	}
	for (i = 0; i < nmaps; i++)
		if (map_u64(&t->fx, 0, &maps[i]) != map_u64(&t->fx, 1, &maps[i]) ||
		    !map_u64(&t->fx, 0, &maps[i]))
			fail_msg("%s: stage %d's %s: fused %llu, chained %llu", t->h->name,
				 maps[i].stage, maps[i].map,
				 (unsigned long long)map_u64(&t->fx, 0, &maps[i]),
				 (unsigned long long)map_u64(&t->fx, 1, &maps[i]));
	fx__expect_identity(&t->fx);
}

/* Table */

static struct row rows[2][NSIZES * NVARIANTS];

static int run_group(const char *group, const struct tm_hook *h, struct row *rs)
{
	struct CMUnitTest tests[NSIZES * NVARIANTS + 1];
	size_t s, v, i = 0;

	for (s = 0; s < NSIZES; s++)
		for (v = 0; v < NVARIANTS; v++, i++) {
			rs[i] = (struct row){ h, sizes[s], &variants[v], "" };
			snprintf(rs[i].name, sizeof(rs[i].name),
				 "%s: %d stage%s fused == chained == model, %s, every code at every position",
				 h->name, sizes[s], sizes[s] > 1 ? "s" : "", variants[v].name);
			tests[i] = (struct CMUnitTest){ rs[i].name, t_row, tm__setup_row, tm__teardown, &rs[i] };
		}
	tests[i++] = (struct CMUnitTest){ h->xdp ? "xdp: third-party and header stages, fused == chained" :
						   "tc: third-party and header stages, fused == chained",
					  t_third_party, tm__setup, tm__teardown, (void *)h };
	return _cmocka_run_group_tests(group, tests, i, NULL, NULL);
}

int main(void)
{
	int failed;

	failed = run_group("fused_xdp", &tm_xdp, rows[0]);
	failed += run_group("fused_tc", &tm_tc, rows[1]);
	return failed ? 1 : 0;
}
