// SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause)
/*
 * BPF_PROG_TEST_RUN table tests of the datapath, XDP and tc: every case
 * enters through the real dispatcher, tail-calls through a real "slots"
 * prog array into real stages, and checks the verdict and every counter of
 * every slot it touches (exact, all nine fields), then the identity
 *
 *	packets == pass + drop + aborted + tx + redirect + continued
 *
 * on all 33 slots. Objects come from TAILGATE_BPF_DIR (default build/bpf)
 * and build/tests/bpf (test-only); run from the repo root, as root.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <cmocka.h>
#include <linux/pkt_cls.h>

#include "../lib/bpf_fixture.h"

#define N		1000	/* opts.repeat for the counting cases */
#define SRC4		"198.18.0.1"
#define DST4		"198.18.0.2"
#define SRC6		"2001:2::1"
#define DST6		"2001:2::2"

struct hook {
	const char *name;
	bool xdp;
	__u32 pass;		/* XDP_PASS / TC_ACT_OK */
	__u32 drop;		/* XDP_DROP / TC_ACT_SHOT */
};

static const struct hook xdp_hook = { "xdp", true, XDP_PASS, XDP_DROP };
static const struct hook tc_hook = { "tc", false, TC_ACT_OK, TC_ACT_SHOT };

struct t {
	const struct hook *h;
	struct fx fx;
	__u8 pkt[FX_PKT_LEN];	/* default: Ethernet+IPv4+UDP, 64 bytes */
};

/* Fixture */

/* libbpf warnings (a verifier log on a failed load) to stderr, no chatter. */
static int libbpf_warn(enum libbpf_print_level level, const char *fmt,
		       va_list ap)
{
	return level == LIBBPF_WARN ? vfprintf(stderr, fmt, ap) : 0;
}

static int setup(void **state)
{
	const struct hook *h = *state;
	struct t *t = calloc(1, sizeof(*t));

	if (!t)
		return -1;
	t->h = h;
	pkt_ipv4_udp(t->pkt, SRC4, DST4, 0);
	*state = t;
	if (geteuid() != 0)
		return 0;	/* the case itself skips, saying why */
	if (fx__init(&t->fx, h->xdp) || fx__load_dispatcher(&t->fx, 0) < 0) {
		print_error("%s fixture: %s\n", h->name, t->fx.err);
		fx__fini(&t->fx);
		free(t);
		return -1;
	}
	return 0;
}

static int teardown(void **state)
{
	struct t *t = *state;

	fx__fini(&t->fx);
	free(t);
	return 0;
}

static struct t *begin(void **state)
{
	struct t *t = *state;

	if (!t->fx.ready) {
		print_message("not root: creating maps, loading programs and BPF_PROG_TEST_RUN need CAP_BPF/CAP_NET_ADMIN/CAP_SYS_ADMIN; run as root\n");
		skip();
	}
	return t;
}

static int stage_in(struct t *t, const char *dir, const char *name,
		    __u32 self, __u32 next, __u32 fail_closed,
		    struct bpf_object **obj)
{
	int fd = fx__load_stage(&t->fx, dir, name, self, next, fail_closed,
				obj);

	if (fd < 0)
		fail_msg("%s: load stage %s: %s", t->h->name, name, t->fx.err);
	return fd;
}

static int stage(struct t *t, const char *name, __u32 self, __u32 next,
		 __u32 fail_closed, struct bpf_object **obj)
{
	return stage_in(t, fx__bpf_dir(), name, self, next, fail_closed, obj);
}

static void put(struct t *t, __u32 slot, int prog_fd)
{
	int err = fx__set_slot(&t->fx, slot, prog_fd);

	if (err)
		fail_msg("%s: slots[%u] = fd %d: %s", t->h->name, slot, prog_fd,
			 strerror(-err));
}

static void clear(struct t *t, __u32 slot)
{
	int err = fx__clear_slot(&t->fx, slot);

	if (err)
		fail_msg("%s: delete slots[%u]: %s", t->h->name, slot,
			 strerror(-err));
}

/* Run @pkt through the dispatcher @repeat times; @return its verdict. */
static __u32 run(struct t *t, const void *pkt, __u32 len, __u32 repeat)
{
	__u32 rv = ~0u;
	int err = fx__run(&t->fx, pkt, len, repeat, &rv);

	if (err)
		fail_msg("%s: BPF_PROG_TEST_RUN: %s", t->h->name, strerror(-err));
	return rv;
}

static struct tg_stats slot_stats(struct t *t, __u32 slot)
{
	struct tg_stats s;
	int err = fx__stats(&t->fx, slot, &s);

	if (err)
		fail_msg("%s: read stats[%u]: %s", t->h->name, slot,
			 strerror(-err));
	return s;
}

#define ST(...) ((struct tg_stats){ __VA_ARGS__ })

/* All nine counters of @slot, exactly: an unexpected count fails too. */
static void expect_slot(struct t *t, __u32 slot, struct tg_stats want)
{
	struct tg_stats got = slot_stats(t, slot);

	if (memcmp(&got, &want, sizeof(got)))
		fail_msg("%s: stats[%u]\n"
			 "  got  packets=%llu bytes=%llu pass=%llu drop=%llu aborted=%llu tx=%llu redirect=%llu continued=%llu tail_miss=%llu\n"
			 "  want packets=%llu bytes=%llu pass=%llu drop=%llu aborted=%llu tx=%llu redirect=%llu continued=%llu tail_miss=%llu",
			 t->h->name, slot, got.packets, got.bytes, got.pass,
			 got.drop, got.aborted, got.tx, got.redirect,
			 got.continued, got.tail_miss, want.packets, want.bytes,
			 want.pass, want.drop, want.aborted, want.tx,
			 want.redirect, want.continued, want.tail_miss);
}

/* The counter identity of tailgate_abi.h, on every slot. */
static void expect_invariants(struct t *t)
{
	struct tg_stats s;
	__u32 k;

	for (k = 0; k < TG_NR_SLOTS; k++) {
		s = slot_stats(t, k);
		if (s.packets != s.pass + s.drop + s.aborted + s.tx +
					 s.redirect + s.continued)
			fail_msg("%s: stats[%u]: packets=%llu but pass+drop+aborted+tx+redirect+continued=%llu",
				 t->h->name, k, s.packets,
				 s.pass + s.drop + s.aborted + s.tx +
					 s.redirect + s.continued);
	}
}

static __u64 packet_count(struct bpf_object *obj)
{
	struct bpf_map *m = bpf_object__find_map_by_name(obj, "packet_count");
	__u32 k = 0;
	__u64 v = 0;

	assert_non_null(m);
	assert_int_equal(bpf_map_lookup_elem(bpf_map__fd(m), &k, &v), 0);
	return v;
}

/* Cases 1: the dispatcher alone */

static void t_empty_entry_fail_open(void **state)
{
	struct t *t = begin(state);

	assert_int_equal(run(t, t->pkt, FX_PKT_LEN, 1), t->h->pass);
	expect_slot(t, 0, ST(.packets = 1, .bytes = FX_PKT_LEN, .pass = 1,
			     .tail_miss = 1));
	expect_slot(t, 1, ST(0));
	expect_invariants(t);
}

static void t_empty_entry_fail_closed(void **state)
{
	struct t *t = begin(state);

	if (fx__load_dispatcher(&t->fx, 1) < 0)
		fail_msg("%s: dispatcher: %s", t->h->name, t->fx.err);
	assert_int_equal(run(t, t->pkt, FX_PKT_LEN, 1), t->h->drop);
	expect_slot(t, 0, ST(.packets = 1, .bytes = FX_PKT_LEN, .drop = 1,
			     .tail_miss = 1));
	expect_invariants(t);
}

/* Cases 2-4: counter and drop_all chains */

static void t_counter_alone(void **state)
{
	struct t *t = begin(state);
	struct bpf_object *obj;
	int c = stage(t, "counter", 1, TG_SLOT_NONE, 0, &obj);

	put(t, 1, c);
	put(t, 0, c);
	assert_int_equal(run(t, t->pkt, FX_PKT_LEN, N), t->h->pass);
	expect_slot(t, 0, ST(0));	/* the dispatcher counts only misses */
	expect_slot(t, 1, ST(.packets = N, .bytes = N * FX_PKT_LEN, .pass = N));
	assert_int_equal(packet_count(obj), N);
	expect_invariants(t);
}

static void t_counter_then_drop_all(void **state)
{
	struct t *t = begin(state);
	struct bpf_object *obj;
	int d = stage(t, "drop_all", 2, TG_SLOT_NONE, 0, NULL);
	int c = stage(t, "counter", 1, 2, 0, &obj);

	/* tail to head, the head into slot 0 last, as the loader does */
	put(t, 2, d);
	put(t, 1, c);
	put(t, 0, c);
	assert_int_equal(run(t, t->pkt, FX_PKT_LEN, N), t->h->drop);
	expect_slot(t, 0, ST(0));	/* the dispatcher counts only misses */
	expect_slot(t, 1, ST(.packets = N, .bytes = N * FX_PKT_LEN,
			     .continued = N));
	expect_slot(t, 2, ST(.packets = N, .bytes = N * FX_PKT_LEN, .drop = N));
	assert_int_equal(packet_count(obj), N);
	expect_invariants(t);
}

static void next_slot_empty(void **state, __u32 fail_closed)
{
	struct t *t = begin(state);
	int c = stage(t, "counter", 1, 2, fail_closed, NULL);
	__u32 want = fail_closed ? t->h->drop : t->h->pass;

	put(t, 1, c);
	put(t, 0, c);
	assert_int_equal(run(t, t->pkt, FX_PKT_LEN, N), want);
	expect_slot(t, 0, ST(0));	/* the dispatcher counts only misses */
	expect_slot(t, 1, ST(.packets = N, .bytes = N * FX_PKT_LEN,
			     .pass = fail_closed ? 0 : N,
			     .drop = fail_closed ? N : 0, .tail_miss = N));
	expect_slot(t, 2, ST(0));
	expect_invariants(t);
}

static void t_next_empty_fail_open(void **state)
{
	next_slot_empty(state, 0);
}

static void t_next_empty_fail_closed(void **state)
{
	next_slot_empty(state, 1);
}

/*
 * A stage whose next slot is itself: the kernel stops the loop after
 * MAX_TAIL_CALL_CNT (33) tail calls per packet, one of them the
 * dispatcher's, so the stage runs 33 times; the 33rd continue misses and
 * is counted as the miss the header promises for "the kernel's limit".
 */
static void t_tail_call_limit(void **state)
{
	struct t *t = begin(state);
	int c = stage(t, "counter", 1, 1, 0, NULL);
	const __u64 runs = TG_KERNEL_TAIL_CALL_LIMIT;

	put(t, 1, c);
	put(t, 0, c);
	assert_int_equal(run(t, t->pkt, FX_PKT_LEN, N), t->h->pass);
	expect_slot(t, 1, ST(.packets = runs * N,
			     .bytes = runs * N * FX_PKT_LEN, .pass = N,
			     .continued = (runs - 1) * N, .tail_miss = N));
	expect_invariants(t);
}

/* Case 5: blocklist */

/* Key of the "blocked" LPM trie: the ABI header's, never a copy. */
#define lpm_key tg_lpm_key

enum frame { V4, V4_VLAN, V4_QINQ, V6, ARP };

struct bl_row {
	const char *name;
	const char *block;	/* the one prefix in "blocked" for the row */
	enum frame frame;
	const char *src;
	__u32 len;		/* frame bytes; < 64 cuts the frame short */
	bool xdp_only;		/* tc test_run refuses it (see runts) */
	bool drop;
};

static const struct bl_row bl_rows[] = {
	{ "IPv4 source in /24", "198.18.5.0/24", V4, "198.18.5.7", 64,
	  false, true },
	{ "IPv4 source outside /24", "198.18.5.0/24", V4, "198.19.0.9", 64,
	  false, false },
	{ "IPv4 /32 exact", "198.18.5.7/32", V4, "198.18.5.7", 64, false,
	  true },
	{ "IPv4 next to a /32", "198.18.5.7/32", V4, "198.18.5.8", 64, false,
	  false },
	{ "IPv6 source in /48", "2001:2::/48", V6, "2001:2:0:1::7", 64, false,
	  true },
	{ "IPv6 source outside /64", "2001:2:0:ff::/64", V6, "2001:2:0:1::7",
	  64, false, false },
	{ "VLAN IPv4 source in /24", "198.18.5.0/24", V4_VLAN, "198.18.5.7",
	  64, false, true },
	{ "VLAN IPv4 source outside /24", "198.18.5.0/24", V4_VLAN,
	  "198.19.0.9", 64, false, false },
	{ "QinQ IPv4 source in /24", "198.18.5.0/24", V4_QINQ, "198.18.5.7",
	  64, false, true },
	{ "QinQ IPv4 source outside /24", "198.18.5.0/24", V4_QINQ,
	  "198.19.0.9", 64, false, false },
	{ "ARP from a blocked address", "198.18.0.0/15", ARP, "198.18.5.7",
	  64, false, false },
	/*
	 * Runts. Nothing shorter than an Ethernet header reaches either
	 * program: test_run refuses < ETH_HLEN bytes (XDP: also behind
	 * metadata; bpf_xdp_adjust_head/tail enforce the same floor), and tc
	 * test_run pulls a whole IPv4/IPv6 header before the program runs, so
	 * L3-truncated frames are XDP-only; VLAN-typed runts reach both.
	 */
	{ "runt: Ethernet header only, IPv4 type", "198.18.0.0/15", V4,
	  "198.18.5.7", 14, true, false },
	{ "runt: IPv4 header cut at 16 bytes", "198.18.0.0/15", V4,
	  "198.18.5.7", 30, true, false },
	{ "runt: IPv6 header cut short", "2001:2::/48", V6, "2001:2:0:1::7",
	  40, true, false },
	{ "runt: VLAN tag cut short", "198.18.0.0/15", V4_VLAN, "198.18.5.7",
	  16, false, false },
	{ "runt: VLAN IPv4 header cut at 12 bytes", "198.18.0.0/15", V4_VLAN,
	  "198.18.5.7", 30, false, false },
};

static int lpm_key(const char *cidr, struct lpm_key *k)
{
	char a[64], *slash;
	int plen;

	memset(k, 0, sizeof(*k));
	snprintf(a, sizeof(a), "%s", cidr);
	slash = strchr(a, '/');
	if (!slash)
		return -EINVAL;
	*slash = '\0';
	plen = atoi(slash + 1);
	if (inet_pton(AF_INET6, a, k->addr) == 1) {
		k->prefixlen = plen;
		return 0;
	}
	/* IPv4 as IPv4-mapped IPv6: ::ffff:a.b.c.d, prefix + 96 */
	k->addr[10] = 0xff;
	k->addr[11] = 0xff;
	if (inet_pton(AF_INET, a, &k->addr[12]) != 1)
		return -EINVAL;
	k->prefixlen = plen + 96;
	return 0;
}

static size_t bl_frame(const struct bl_row *r, __u8 *b)
{
	switch (r->frame) {
	case V4:
		return pkt_ipv4_udp(b, r->src, DST4, 0);
	case V4_VLAN:
		return pkt_ipv4_udp(b, r->src, DST4, 100);
	case V4_QINQ:
		return pkt_ipv4_udp(b, r->src, DST4, FX_QINQ | 100);
	case V6:
		return pkt_ipv6_udp(b, r->src, DST6);
	case ARP:
		return pkt_arp(b, r->src, DST4);
	}
	return 0;
}

/*
 * One row: its prefix in "blocked", the frame through the dispatcher,
 * the verdict, and what blocklist (slot 1) and the counter after it
 * (slot 2) counted.
 */
static void bl_run_row(struct t *t, int blocked_fd, const struct bl_row *r)
{
	struct tg_stats b1 = slot_stats(t, 1), b2 = slot_stats(t, 2), a1, a2;
	__u8 frame[FX_PKT_LEN];
	__u32 rv = ~0u;
	struct lpm_key key;
	__u8 one = 1;
	int err;

	if (!bl_frame(r, frame) || lpm_key(r->block, &key))
		fail_msg("row '%s': bad test data", r->name);
	assert_int_equal(bpf_map_update_elem(blocked_fd, &key, &one, BPF_ANY), 0);
	err = fx__run(&t->fx, frame, r->len, 1, &rv);
	assert_int_equal(bpf_map_delete_elem(blocked_fd, &key), 0);
	if (err)
		fail_msg("%s: row '%s': BPF_PROG_TEST_RUN: %s", t->h->name,
			 r->name, strerror(-err));
	a1 = slot_stats(t, 1);
	a2 = slot_stats(t, 2);
	if (rv != (r->drop ? t->h->drop : t->h->pass) ||
	    a1.packets - b1.packets != 1 || a1.bytes - b1.bytes != r->len ||
	    a1.drop - b1.drop != r->drop ||
	    a1.continued - b1.continued != !r->drop ||
	    a2.pass - b2.pass != !r->drop)
		fail_msg("%s: row '%s' (block %s): verdict %u, want %u; blocklist drop +%llu continued +%llu bytes +%llu; counter pass +%llu",
			 t->h->name, r->name, r->block, rv,
			 r->drop ? t->h->drop : t->h->pass, a1.drop - b1.drop,
			 a1.continued - b1.continued, a1.bytes - b1.bytes,
			 a2.pass - b2.pass);
}

static void t_blocklist(void **state)
{
	struct t *t = begin(state);
	struct bpf_object *obj;
	struct bpf_map *m;
	size_t i;
	int b, c;

	c = stage(t, "counter", 2, TG_SLOT_NONE, 0, NULL);
	b = stage(t, "blocklist", 1, 2, 0, &obj);
	m = bpf_object__find_map_by_name(obj, "blocked");
	assert_non_null(m);
	/* the key layout is copied from the .bpf.c: catch it drifting */
	assert_int_equal(bpf_map__key_size(m), sizeof(struct lpm_key));
	put(t, 2, c);
	put(t, 1, b);
	put(t, 0, b);
	for (i = 0; i < sizeof(bl_rows) / sizeof(bl_rows[0]); i++)
		if (t->h->xdp || !bl_rows[i].xdp_only)
			bl_run_row(t, bpf_map__fd(m), &bl_rows[i]);
	expect_invariants(t);
}

/* Case 7: two generations, one write flips between them */

static void t_flip(void **state)
{
	struct t *t = begin(state);
	__u32 a_head = TG_BANK_BASE(0), b_head = TG_BANK_BASE(1);
	struct bpf_object *obj;
	int a = stage(t, "counter", a_head, TG_SLOT_NONE, 0, &obj);
	int b = stage(t, "drop_all", b_head, TG_SLOT_NONE, 0, NULL);

	put(t, a_head, a);
	put(t, b_head, b);
	put(t, 0, a);
	assert_int_equal(run(t, t->pkt, FX_PKT_LEN, N), t->h->pass);
	put(t, 0, b);
	assert_int_equal(run(t, t->pkt, FX_PKT_LEN, N), t->h->drop);
	put(t, 0, a);
	assert_int_equal(run(t, t->pkt, FX_PKT_LEN, N), t->h->pass);

	expect_slot(t, 0, ST(0));	/* the dispatcher counts only misses */
	expect_slot(t, a_head, ST(.packets = 2 * N,
				  .bytes = 2 * N * FX_PKT_LEN, .pass = 2 * N));
	expect_slot(t, b_head, ST(.packets = N, .bytes = N * FX_PKT_LEN,
				  .drop = N));
	assert_int_equal(packet_count(obj), 2 * N);
	expect_invariants(t);
}

/*
 * Case 8: tail-call keys are verifier constants, i.e. the JIT emits direct
 * jumps.
 *
 * What does NOT show it: the xlated dump. The verifier turns a constant-key
 * tail call into BPF_JMP|BPF_TAIL_CALL with imm = poke descriptor index + 1
 * (imm = 0 when the key is unknown), but BPF_OBJ_GET_INFO rewrites every
 * tail call back to "call bpf_tail_call#12" (bpf_insn_prepare_dump), so
 * both kinds dump identically. Privileged programs get no inline bounds
 * rewrite either (that is unprivileged-only). The verifier log does not
 * say it, and jited length differs between programs for many reasons.
 *
 * What does: a direct tail call is a site the kernel text-pokes whenever
 * the prog array slot it names changes (map_poke_run). So the caller's
 * jited image, read back with BPF_OBJ_GET_INFO (the live text), changes
 * when the slot is filled and changes back when it is emptied. An indirect
 * tail call loads prog->bpf_func from the array at run time and jumps
 * through a register (a retpoline thunk with spectre_v2=retpoline), so its
 * image never changes. test-only indirect_stage (key in .data, so unknown
 * to the verifier) is the control.
 *
 * On x86-64 the patched site is checked to the byte: filling the slot
 * turns the 5-byte NOP at the target site into "jmp rel32" into the
 * target program's image and the bypass "jmp rel32" into a NOP; and when
 * the kernel reports retpolines, only the indirect stage jumps to an
 * __x86_indirect_thunk_* (found in /proc/kallsyms).
 */

struct image {
	__u8 *b;
	__u32 len;
	__u64 addr;		/* kernel address of the image (jited_ksyms[0]) */
};

static struct image jited(struct t *t, int prog_fd, const char *what)
{
	struct bpf_prog_info info = {};
	__u32 ilen = sizeof(info);
	struct image img = {};
	void *b = NULL;
	int err = fx__prog_image(prog_fd, true, &b, &img.len);

	if (err)
		fail_msg("%s: %s: no jited image (%s): is the JIT off (net.core.bpf_jit_enable)? no JIT, no direct tail calls",
			 t->h->name, what, strerror(-err));
	img.b = b;
	info.nr_jited_ksyms = 1;
	info.jited_ksyms = (__u64)(unsigned long)&img.addr;
	assert_int_equal(bpf_obj_get_info_by_fd(prog_fd, &info, &ilen), 0);
	return img;
}

static bool same_image(const struct image *a, const struct image *b)
{
	return a->len == b->len && !memcmp(a->b, b->b, a->len);
}

#if defined(__x86_64__)
static const __u8 nop5[5] = { 0x0f, 0x1f, 0x44, 0x00, 0x00 };

/* Target of "jmp rel32" (e9) at @off of @img, or 0. */
static __u64 x86_jmp_target(const struct image *img, __u32 off)
{
	__s32 rel;

	if (off + 5 > img->len || img->b[off] != 0xe9)
		return 0;
	memcpy(&rel, img->b + off + 1, 4);
	return img->addr + off + 5 + (__s64)rel;
}

/*
 * @before -> @after differ only in 5-byte sites: one NOP -> jmp into
 * @target's image (the tail call), one jmp -> NOP (the bypass).
 */
static void x86_expect_poked(struct t *t, const struct image *before,
			     const struct image *after,
			     const struct image *target, const char *what)
{
	int to_target = 0, bypass = 0;
	__u64 dst;
	__u32 i;

	for (i = 0; i < before->len; i++) {
		if (before->b[i] == after->b[i])
			continue;
		dst = x86_jmp_target(after, i);
		if (i + 5 <= before->len && !memcmp(before->b + i, nop5, 5) &&
		    dst >= target->addr && dst < target->addr + target->len)
			to_target++;
		else if (before->b[i] == 0xe9 && i + 5 <= after->len &&
			 !memcmp(after->b + i, nop5, 5))
			bypass++;
		else
			fail_msg("%s: %s: unexpected change at +%#x of the jited image",
				 t->h->name, what, i);
		i += 4;
	}
	if (to_target != 1 || bypass != 1)
		fail_msg("%s: %s: want 1 nop5->jmp into the target and 1 jmp->nop5 bypass, got %d and %d",
			 t->h->name, what, to_target, bypass);
}

static __u64 ksym(const char *name)
{
	char line[256], sym[128], type;
	unsigned long long addr;
	FILE *f = fopen("/proc/kallsyms", "r");
	__u64 found = 0;

	if (!f)
		return 0;
	while (fgets(line, sizeof(line), f))
		if (sscanf(line, "%llx %c %127s", &addr, &type, sym) == 3 &&
		    !strcmp(sym, name)) {
			found = addr;
			break;
		}
	fclose(f);
	return found;
}

/* Number of "jmp rel32" in @img that land on any retpoline thunk. */
static int x86_thunk_jumps(const struct image *img, const __u64 *thunks,
			   int nr)
{
	int n = 0, k;
	__u64 dst;
	__u32 i;

	for (i = 0; i + 5 <= img->len; i++) {
		dst = x86_jmp_target(img, i);
		for (k = 0; dst && k < nr; k++)
			n += dst == thunks[k];
	}
	return n;
}

static bool x86_retpolines(void)
{
	char line[256] = "";
	FILE *f = fopen("/sys/devices/system/cpu/vulnerabilities/spectre_v2",
			"r");

	if (!f)
		return false;
	if (!fgets(line, sizeof(line), f))
		line[0] = '\0';
	fclose(f);
	return strstr(line, "Retpoline") != NULL;
}

/*
 * With retpolines on, the JIT sends an indirect tail call through
 * __x86_indirect_thunk_<reg>: the indirect stage must jump to one, the
 * constant-key stage must not. Other mitigations (IBRS, ITS thunks, none)
 * emit other sequences; the poke check above covers those kernels.
 */
static void x86_expect_thunks(struct t *t, const struct image *direct,
			      const struct image *indirect)
{
	static const char *const regs[] = { "rax", "rcx", "rdx", "rbx",
					    "rsi", "rdi", "r8",  "r9",
					    "r10", "r11" };
	__u64 thunks[10];
	char name[64];
	int i, nr = 0;

	if (!x86_retpolines())
		return;
	for (i = 0; i < 10; i++) {
		snprintf(name, sizeof(name), "__x86_indirect_thunk_%s",
			 regs[i]);
		thunks[nr] = ksym(name);
		nr += thunks[nr] != 0;
	}
	if (!nr)
		fail_msg("%s: spectre_v2 says retpolines, but /proc/kallsyms shows no __x86_indirect_thunk_*",
			 t->h->name);
	if (!x86_thunk_jumps(indirect, thunks, nr))
		fail_msg("%s: key from .data: no jump through a retpoline thunk in the jited image",
			 t->h->name);
	if (x86_thunk_jumps(direct, thunks, nr))
		fail_msg("%s: constant-key stage jumps through a retpoline thunk",
			 t->h->name);
}
#endif

static void t_direct_tail_calls(void **state)
{
	struct t *t = begin(state);
	const struct fx_var ivars[] = {
		{ ".rodata", "tg_self_slot", 3 },
		{ ".data", "tg_next_key", 2 },
	};
	struct image c0, c1, c2, i0, i1, i2, d0, d1, d2, tgt;
	int c, dr, ind;

	c = stage(t, "counter", 1, 2, 0, NULL);
	dr = stage(t, "drop_all", 2, TG_SLOT_NONE, 0, NULL);
	ind = fx__load(&t->fx, fx__test_bpf_dir(), "indirect_stage.bpf.o",
		       "indirect_stage", "indirect_stage_tc", ivars, 2, NULL);
	if (ind < 0)
		fail_msg("%s: indirect_stage: %s", t->h->name, t->fx.err);
	put(t, 3, ind);

	c0 = jited(t, c, "counter");
	i0 = jited(t, ind, "indirect_stage");
	d0 = jited(t, t->fx.dispatch_fd, "dispatcher");
	tgt = jited(t, dr, "drop_all");
	put(t, 2, dr);
	put(t, 0, c);
	c1 = jited(t, c, "counter");
	i1 = jited(t, ind, "indirect_stage");
	d1 = jited(t, t->fx.dispatch_fd, "dispatcher");

	/* both really reach drop_all, each its own way */
	assert_int_equal(run(t, t->pkt, FX_PKT_LEN, 1), t->h->drop);
	put(t, 0, ind);
	assert_int_equal(run(t, t->pkt, FX_PKT_LEN, 1), t->h->drop);
	clear(t, 2);
	assert_int_equal(run(t, t->pkt, FX_PKT_LEN, 1), t->h->pass);
	clear(t, 0);
	c2 = jited(t, c, "counter");
	i2 = jited(t, ind, "indirect_stage");
	d2 = jited(t, t->fx.dispatch_fd, "dispatcher");

	if (same_image(&c0, &c1) || !same_image(&c0, &c2))
		fail_msg("%s: counter (key from rodata): jited image not patched by filling/emptying its next slot: tail call is not direct (bpf_jit_harden on?)",
			 t->h->name);
	if (same_image(&d0, &d1) || !same_image(&d0, &d2))
		fail_msg("%s: dispatcher (key 0): jited image not patched by writing slot 0: tail call is not direct",
			 t->h->name);
	if (!same_image(&i0, &i1) || !same_image(&i0, &i2))
		fail_msg("%s: indirect_stage (key from .data): jited image changed with the slot: the control is broken",
			 t->h->name);
#if defined(__x86_64__)
	x86_expect_poked(t, &c0, &c1, &tgt, "counter");
	x86_expect_thunks(t, &c0, &i0);
#endif
	free(c0.b), free(c1.b), free(c2.b), free(i0.b), free(i1.b);
	free(i2.b), free(d0.b), free(d1.b), free(d2.b), free(tgt.b);
	expect_invariants(t);
}

/* Table */

#define CASES(hook, pfx)								\
	{ pfx "empty slot 0, fail-open: pass, miss counted",			\
	  t_empty_entry_fail_open, setup, teardown, (void *)&hook },		\
	{ pfx "empty slot 0, fail-closed dispatcher: drop",			\
	  t_empty_entry_fail_closed, setup, teardown, (void *)&hook },		\
	{ pfx "counter alone as head: pass, counts N",				\
	  t_counter_alone, setup, teardown, (void *)&hook },			\
	{ pfx "counter -> drop_all: drop",						\
	  t_counter_then_drop_all, setup, teardown, (void *)&hook },		\
	{ pfx "counter -> empty slot, fail-open: pass, miss counted",		\
	  t_next_empty_fail_open, setup, teardown, (void *)&hook },		\
	{ pfx "counter -> empty slot, fail-closed: drop, miss counted",		\
	  t_next_empty_fail_closed, setup, teardown, (void *)&hook },		\
	{ pfx "self loop stops at the kernel tail-call limit",			\
	  t_tail_call_limit, setup, teardown, (void *)&hook },			\
	{ pfx "blocklist table (IPv4, IPv6, VLAN, ARP, runts)",			\
	  t_blocklist, setup, teardown, (void *)&hook },				\
	{ pfx "two generations: flip A, B, A with one write each",			\
	  t_flip, setup, teardown, (void *)&hook },				\
	{ pfx "constant keys make direct tail calls (JIT text is poked)",		\
	  t_direct_tail_calls, setup, teardown, (void *)&hook }

int main(void)
{
	const struct CMUnitTest xdp_tests[] = { CASES(xdp_hook, "xdp: ") };
	const struct CMUnitTest tc_tests[] = { CASES(tc_hook, "tc: ") };
	int failed;

	libbpf_set_print(libbpf_warn);
	failed = cmocka_run_group_tests_name("datapath_xdp", xdp_tests, NULL,
					     NULL);
	failed += cmocka_run_group_tests_name("datapath_tc", tc_tests, NULL,
					      NULL);
	return failed ? 1 : 0;
}
