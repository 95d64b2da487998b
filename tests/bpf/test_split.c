// SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause)
/*
 * BPF_PROG_TEST_RUN tables of the splitting dispatcher (bpf/split.bpf.c),
 * XDP and tc. Every case enters through the real split program on a real
 * "slots" prog array: the old generation's head (a stub returning
 * XDP_PASS / TC_ACT_OK) in slot 1 and slot 0, the new one's (XDP_TX /
 * TC_ACT_SHOT) in slot 17, so the verdict says which generation a packet
 * met. The stubs count nothing: "stats" shows only what the split itself
 * decided.
 *
 * The oracle is user space's prediction through the same tailgate_flow.h
 * the BPF side is built from. Table rows pin the bucket the datapath
 * computed, not just a side: at weight b (the predicted bucket) a flow
 * must stay old, at b + 1 it must move, so a parser that read one wrong
 * byte is caught with odds of 9999 in 10000.
 *
 * The attach point is the orchestrator's own, in memory
 * (ap__prepare_mem()), its split loaded by disp__load() and its share set
 * by ap__set_weight(), as a weighted step does. Objects come from
 * TAILGATE_BPF_DIR (default build/bpf) and build/tests/bpf (test-only);
 * run from the repo root, as root.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>
#include <math.h>
#include <linux/pkt_cls.h>
#include <bpf/bpf.h>

#include "bpf_fixture.h"
#include "bpf_model.h"
#include "pkt.h"
#include "slots.h"
#include "../../bpf/include/tailgate_flow.h"

#define OLD_HEAD	TG_BANK_BASE(0)
#define NEW_HEAD	TG_BANK_BASE(1)
#define SEED		0x7a11ca7eu
#define SEED2		0x0badf00du
#define NR_FLOWS	20000
#define TOL_SIGMAS	4.0

enum gen { OLD, NEW };

/*
 * One case: its hook (the split's own fallback verdicts are the hook's
 * pass and drop), its attach point, the two stubs' fds and verdicts.
 */
struct t {
	const struct tm_hook *h;
	struct fx *fx;
	int old_fd, new_fd;
	__u32 old, new;		/* XDP_PASS / TC_ACT_OK, XDP_TX / TC_ACT_SHOT */
};

/* Fixture */

static void put(struct t *t, __u32 slot, int fd)
{
	int err = slots__set(t->fx->ap.slots_fd, slot, fd);

	if (err)
		fail_msg("%s: slots[%u] = fd %d: %s", t->h->name, slot, fd,
			 strerror(-err));
}

static void clear(struct t *t, __u32 slot)
{
	int err = slots__clear(t->fx->ap.slots_fd, slot);

	if (err)
		fail_msg("%s: delete slots[%u]: %s", t->h->name, slot,
			 strerror(-err));
}

/*
 * The case's attach point (skips when not root): the split in front,
 * the old generation live (its head in bank A and slot 0), the new one's
 * head in B. Cases run one at a time: one struct t serves them all.
 */
static struct t *begin(void **state)
{
	static struct t cur;
	struct tm_case *c = tm__begin(state);
	struct t *t = &cur;

	memset(t, 0, sizeof(*t));
	t->h = c->h;
	t->fx = &c->fx;
	t->old = t->h->pass;
	t->new = t->h->xdp ? XDP_TX : TC_ACT_SHOT;
	t->old_fd = fx__prog(t->fx, fx__tbpf("split_stubs"),
			     fx__pick(t->fx, "gen_old", "gen_old_tc"));
	t->new_fd = fx__prog(t->fx, fx__tbpf("split_stubs"),
			     fx__pick(t->fx, "gen_new", "gen_new_tc"));
	fx__split(t->fx, NEW_HEAD, false);
	put(t, OLD_HEAD, t->old_fd);
	put(t, NEW_HEAD, t->new_fd);
	put(t, 0, t->old_fd);
	return t;
}

static void set_split(struct t *t, __u32 weight_bp, __u32 seed)
{
	int err = ap__set_weight(&t->fx->ap, weight_bp, seed);

	if (err)
		fail_msg("%s: split = {%u, %#x}: %s", t->h->name, weight_bp,
			 seed, strerror(-err));
}

static __u32 run(struct t *t, const void *pkt, __u32 len)
{
	return fx__run(t->fx, pkt, len, 1);
}

/* Which generation the frame met; anything else fails. */
static enum gen gen_of(struct t *t, const void *pkt, __u32 len,
		       const char *what)
{
	__u32 rv = run(t, pkt, len);

	if (rv == t->old)
		return OLD;
	if (rv == t->new)
		return NEW;
	fail_msg("%s: %s: verdict %u is neither generation's", t->h->name,
		 what, rv);
	return OLD;
}

/* The split counts only what it decided itself: nothing, here. */
static void expect_no_counts(struct t *t)
{
	__u32 k;

	for (k = 0; k < TG_NR_SLOTS; k++)
		fx__expect_slot(t->fx, k, ST(0), "nothing decided by the split");
}

/* Frames and the user-space prediction */

static struct pkt_spec v4(const char *src, const char *dst, __u8 proto,
			  __u16 sport, __u16 dport)
{
	struct pkt_spec s = { .family = AF_INET, .proto = proto,
			      .sport = sport, .dport = dport };

	pkt_addr(s.saddr, src);
	pkt_addr(s.daddr, dst);
	return s;
}

static struct pkt_spec v6(const char *src, const char *dst, __u8 proto,
			  __u16 sport, __u16 dport)
{
	struct pkt_spec s = v4("0.0.0.0", "0.0.0.0", proto, sport, dport);

	s.family = AF_INET6;
	pkt_addr(s.saddr, src);
	pkt_addr(s.daddr, dst);
	return s;
}

/*
 * The flow of @s as tailgate_flow_bpf.h defines it, hashed by the shared
 * header. @return false: no flow (ARP).
 */
static bool predict(const struct pkt_spec *s, __u32 seed, __u32 *hash)
{
	bool l4 = s->proto == IPPROTO_TCP || s->proto == IPPROTO_UDP;
	__u32 ports = tg_flow_ports(htons(s->sport), htons(s->dport));
	__be32 sa[4], da[4];

	memcpy(sa, s->saddr, 16);
	memcpy(da, s->daddr, 16);
	switch (s->family) {
	case AF_INET:
		if (!l4 || (s->frag_off & 0x3fff))
			ports = 0; /* MF or an offset: a fragment, no ports */
		*hash = tg_flow_hash_v4(sa[0], da[0], s->proto, ports, seed);
		return true;
	case AF_INET6:
		if (!l4 || s->hbh)
			ports = 0;	/* extension headers are not walked */
		*hash = tg_flow_hash_v6(sa, da,
					s->hbh ? IPPROTO_HOPOPTS : s->proto,
					ports, seed);
		return true;
	}
	return false;
}

static enum gen predict_gen(const struct pkt_spec *s, __u32 seed,
			    __u32 weight)
{
	__u32 h;

	return predict(s, seed, &h) && tg_flow_bucket(h) < weight ? NEW : OLD;
}

static size_t build(struct t *t, const struct pkt_spec *s, __u8 *b,
		    const char *what)
{
	size_t n = pkt_build(s, b, NULL);

	if (!n)
		fail_msg("%s: %s: bad test frame", t->h->name, what);
	return n;
}

/* Cases 1: table rows with a flow, each one's bucket pinned */

struct row {
	const char *name;
	struct pkt_spec s;
};

#define FRAG_MF		0x2000
#define FRAG_DF		0x4000

static struct pkt_spec tagged(struct pkt_spec s, int nr_vlan)
{
	s.nr_vlan = nr_vlan;
	return s;
}

static struct pkt_spec with(struct pkt_spec s, __u16 frag_off,
			    __u8 opt_words, bool hbh)
{
	s.frag_off = frag_off;
	s.opt_words = opt_words;
	s.hbh = hbh;
	return s;
}

#define U4	v4("198.18.0.1", "198.19.0.2", IPPROTO_UDP, 40000, 53)
#define T4	v4("198.18.7.9", "198.19.1.1", IPPROTO_TCP, 51515, 443)
#define U6	v6("2001:2::1", "2001:2:0:1::2", IPPROTO_UDP, 40000, 53)
#define T6	v6("2001:2::7:9", "2001:2:0:ff::1", IPPROTO_TCP, 51515, 443)

static const struct row *flow_rows(size_t *nr)
{
	static struct row rows[20];
	size_t n = 0;

	rows[n++] = (struct row){ "IPv4 UDP", U4 };
	rows[n++] = (struct row){ "IPv4 TCP", T4 };
	rows[n++] = (struct row){ "IPv6 UDP", U6 };
	rows[n++] = (struct row){ "IPv6 TCP", T6 };
	rows[n++] = (struct row){ "IPv4 ICMP: addresses and protocol",
				  v4("198.18.0.1", "198.19.0.2", IPPROTO_ICMP,
				     0, 0) };
	rows[n++] = (struct row){ "IPv6 ICMPv6: addresses and next header",
				  v6("2001:2::1", "2001:2:0:1::2",
				     IPPROTO_ICMPV6, 0, 0) };
	rows[n++] = (struct row){ "IPv6 hop-by-hop + UDP: no ports (not walked)",
				  with(U6, 0, 0, true) };
	rows[n++] = (struct row){ "802.1Q IPv4 UDP", tagged(U4, 1) };
	rows[n++] = (struct row){ "QinQ IPv4 UDP", tagged(U4, 2) };
	rows[n++] = (struct row){ "802.1Q IPv6 TCP", tagged(T6, 1) };
	rows[n++] = (struct row){ "QinQ IPv6 UDP", tagged(U6, 2) };
	rows[n++] = (struct row){ "QinQ IPv4 TCP", tagged(T4, 2) };
	rows[n++] = (struct row){ "IPv4 DF set: ports", with(U4, FRAG_DF, 0, 0) };
	rows[n++] = (struct row){ "IPv4 first fragment (MF): no ports", with(U4, FRAG_MF, 0, 0) };
	rows[n++] = (struct row){ "IPv4 middle fragment: no ports",
				  with(U4, FRAG_MF | 185, 0, 0) };
	rows[n++] = (struct row){ "IPv4 last fragment: no ports",
				  with(T4, 370, 0, 0) };
	rows[n++] = (struct row){ "IPv4 options (IHL 8): ports after them",
				  with(U4, 0, 3, 0) };
	rows[n++] = (struct row){ "QinQ IPv4 options (IHL 15) TCP",
				  tagged(with(T4, 0, 10, 0), 2) };
	*nr = n;
	return rows;
}

/*
 * At weight b, b = the flow's predicted bucket, it is old; at b + 1 new.
 * Also the same twice in a row: a flow sticks to its generation.
 */
static void pin_bucket(struct t *t, const struct row *r, __u32 seed)
{
	__u8 b[PKT_MAX_LEN];
	size_t n = build(t, &r->s, b, r->name);
	__u32 h, bucket;

	assert_true(predict(&r->s, seed, &h));
	bucket = tg_flow_bucket(h);
	set_split(t, bucket, seed);
	if (gen_of(t, b, n, r->name) != OLD)
		fail_msg("%s: row '%s': weight %u = its bucket: went new",
			 t->h->name, r->name, bucket);
	set_split(t, bucket + 1, seed);
	if (gen_of(t, b, n, r->name) != NEW ||
	    gen_of(t, b, n, r->name) != NEW)
		fail_msg("%s: row '%s': weight %u = its bucket + 1: stayed old (the datapath hashed something else)",
			 t->h->name, r->name, bucket + 1);
}

static void t_flow_rows(void **state)
{
	struct t *t = begin(state);
	size_t i, nr;
	const struct row *rows = flow_rows(&nr);

	for (i = 0; i < nr; i++) {
		pin_bucket(t, &rows[i], SEED);
		pin_bucket(t, &rows[i], SEED2);
	}
	expect_no_counts(t);
}

/*
 * The rows above pin buckets; these make sure they pin something that
 * tells the cases apart: the prediction with and without ports (or with
 * the ports misread) lands in different buckets, else a parser that got
 * it wrong would pass.
 */
static void t_rows_discriminate(void **state)
{
	struct pkt_spec wrong;
	__u32 ok, bad;

	wrong = with(U4, 0, 0, 0);		/* fragment hashed with ports */
	assert_true(predict(&wrong, SEED, &bad));
	wrong.frag_off = FRAG_MF | 185;
	assert_true(predict(&wrong, SEED, &ok));
	assert_int_not_equal(tg_flow_bucket(ok), tg_flow_bucket(bad));
	wrong = U6;				/* hop-by-hop walked to UDP */
	assert_true(predict(&wrong, SEED, &bad));
	wrong.hbh = true;
	assert_true(predict(&wrong, SEED, &ok));
	assert_int_not_equal(tg_flow_bucket(ok), tg_flow_bucket(bad));
	wrong = with(U4, 0, 3, 0);		/* options: ports still read */
	wrong.sport = 0x0101, wrong.dport = 0x0101;	/* as NOPs would */
	assert_true(predict(&wrong, SEED, &bad));
	wrong = with(U4, 0, 3, 0);
	assert_true(predict(&wrong, SEED, &ok));
	assert_int_not_equal(tg_flow_bucket(ok), tg_flow_bucket(bad));
	/* a first fragment hashed with its ports, as a whole datagram is */
	wrong = with(U4, 0, 0, 0);
	assert_true(predict(&wrong, SEED, &bad));
	wrong.frag_off = FRAG_MF;
	assert_true(predict(&wrong, SEED, &ok));
	assert_int_not_equal(tg_flow_bucket(ok), tg_flow_bucket(bad));
	/* one datagram, one hash: its first, middle and last fragments */
	wrong.frag_off = FRAG_MF | 185;
	assert_true(predict(&wrong, SEED, &bad));
	assert_int_equal(ok, bad);
	wrong.frag_off = 370;
	assert_true(predict(&wrong, SEED, &bad));
	assert_int_equal(ok, bad);
}

/* Cases 2: weight 0 and full; frames without a flow */

struct noflow {
	const char *name;
	struct pkt_spec s;
	__u32 len;		/* cut the frame to this many bytes; 0: don't */
	int ihl;		/* > 0: overwrite the IPv4 IHL */
	bool xdp_only;		/* tc test_run refuses it (a cut IP header) */
};

static const struct noflow *noflow_rows(size_t *nr)
{
	static struct noflow rows[12];
	struct pkt_spec arp = v4("198.18.0.1", "198.19.0.2", 0, 0, 0);
	size_t n = 0;

	arp.family = 0;
	rows[n++] = (struct noflow){ .name = "ARP", .s = arp };
	rows[n++] = (struct noflow){ .name = "802.1Q ARP",
				     .s = tagged(arp, 1) };
	rows[n++] = (struct noflow){ .name = "IPv4 IHL 4", .s = U4, .ihl = 4 };
	/*
	 * Runts: test_run refuses < ETH_HLEN bytes, and tc test_run pulls
	 * a whole IPv4/IPv6 header before the program runs, so frames cut
	 * inside L3 are XDP-only; cut VLAN tags and L4 reach both.
	 */
	rows[n++] = (struct noflow){ .name = "runt: IPv4 header cut at 16 bytes",
				     .s = U4, .len = 14 + 16, .xdp_only = true };
	rows[n++] = (struct noflow){ .name = "runt: IPv6 header cut at 30 bytes",
				     .s = U6, .len = 14 + 30, .xdp_only = true };
	rows[n++] = (struct noflow){ .name = "runt: VLAN tag cut",
				     .s = tagged(U4, 1), .len = 16 };
	rows[n++] = (struct noflow){ .name = "runt: second VLAN tag cut",
				     .s = tagged(U4, 2), .len = 20 };
	rows[n++] = (struct noflow){ .name = "runt: IPv4 UDP ports cut",
				     .s = U4, .len = 14 + 20 + 3 };
	rows[n++] = (struct noflow){ .name = "runt: IPv4 options run past the end",
				     .s = with(T4, 0, 10, 0), .len = 14 + 44 };
	rows[n++] = (struct noflow){ .name = "runt: IPv6 TCP ports cut",
				     .s = T6, .len = 14 + 40 + 2 };
	rows[n++] = (struct noflow){ .name = "runt: QinQ IPv6 ports cut",
				     .s = tagged(U6, 2), .len = 22 + 40 + 3 };
	*nr = n;
	return rows;
}

static size_t build_noflow(struct t *t, const struct noflow *r, __u8 *b)
{
	struct pkt_layout lo;
	struct iphdr ip;
	size_t n = pkt_build(&r->s, b, &lo);

	if (!n)
		fail_msg("%s: %s: bad test frame", t->h->name, r->name);
	if (r->ihl) {
		memcpy(&ip, b + lo.l3, sizeof(ip));
		ip.ihl = r->ihl;
		memcpy(b + lo.l3, &ip, sizeof(ip));
	}
	return r->len ? r->len : n;
}

static void t_weight_zero(void **state)
{
	struct t *t = begin(state);
	size_t i, nr, nr_nf;
	const struct row *rows = flow_rows(&nr);
	const struct noflow *nf = noflow_rows(&nr_nf);
	__u8 b[PKT_MAX_LEN];

	set_split(t, 0, SEED);
	for (i = 0; i < nr; i++)
		if (gen_of(t, b, build(t, &rows[i].s, b, rows[i].name),
			   rows[i].name) != OLD)
			fail_msg("%s: weight 0: '%s' went new", t->h->name,
				 rows[i].name);
	for (i = 0; i < nr_nf; i++)
		if ((t->h->xdp || !nf[i].xdp_only) &&
		    gen_of(t, b, build_noflow(t, &nf[i], b), nf[i].name) != OLD)
			fail_msg("%s: weight 0: '%s' went new", t->h->name,
				 nf[i].name);
	expect_no_counts(t);
}

static void t_weight_full(void **state)
{
	struct t *t = begin(state);
	size_t i, nr, nr_nf;
	const struct row *rows = flow_rows(&nr);
	const struct noflow *nf = noflow_rows(&nr_nf);
	__u8 b[PKT_MAX_LEN];

	set_split(t, TG_WEIGHT_FULL, SEED);
	for (i = 0; i < nr; i++)
		if (gen_of(t, b, build(t, &rows[i].s, b, rows[i].name),
			   rows[i].name) != NEW)
			fail_msg("%s: weight 10000: '%s' stayed old", t->h->name,
				 rows[i].name);
	/* no flow, no hash: such frames always meet the old generation */
	for (i = 0; i < nr_nf; i++)
		if ((t->h->xdp || !nf[i].xdp_only) &&
		    gen_of(t, b, build_noflow(t, &nf[i], b), nf[i].name) != OLD)
			fail_msg("%s: weight 10000: '%s' (no flow) went new",
				 t->h->name, nf[i].name);
	expect_no_counts(t);
}

/* A split map nobody wrote is weight 0: everything old. */
static void t_split_unset(void **state)
{
	struct t *t = begin(state);
	struct pkt_spec s = T4;
	__u8 b[PKT_MAX_LEN];

	assert_int_equal(gen_of(t, b, build(t, &s, b, "T4"), "T4"), OLD);
	expect_no_counts(t);
}

/* A weight past 10000 is everything that has a flow, like 10000. */
static void t_weight_over_full(void **state)
{
	struct t *t = begin(state);
	struct pkt_spec s = U6;
	__u8 b[PKT_MAX_LEN];

	set_split(t, ~0u, SEED);
	assert_int_equal(gen_of(t, b, build(t, &s, b, "U6"), "U6"), NEW);
}

/* Cases 3: empty slots */

/* An empty new head: the packet still finds the old one, no miss. */
static void t_new_slot_empty(void **state)
{
	struct t *t = begin(state);
	struct pkt_spec s = U4;
	__u8 b[PKT_MAX_LEN];
	size_t n = build(t, &s, b, "U4");

	clear(t, NEW_HEAD);
	set_split(t, TG_WEIGHT_FULL, SEED);
	assert_int_equal(gen_of(t, b, n, "U4"), OLD);
	expect_no_counts(t);
}

/* Empty slot 0: counted in stats[0] exactly as the plain dispatcher. */
static void entry_empty(void **state, __u32 fail_closed)
{
	struct t *t = begin(state);
	struct pkt_spec s = U4, arp = U4;
	__u32 fb = fail_closed ? t->h->drop : t->h->pass;
	__u8 b[PKT_MAX_LEN], a[PKT_MAX_LEN];
	size_t n = build(t, &s, b, "U4"), na;

	arp.family = 0;
	na = build(t, &arp, a, "ARP");
	if (fail_closed)
		fx__split(t->fx, NEW_HEAD, true);
	clear(t, 0);
	set_split(t, 0, SEED);				/* old: slot 0 */
	assert_int_equal(run(t, b, n), fb);
	set_split(t, TG_WEIGHT_FULL, SEED);		/* no flow: slot 0 */
	assert_int_equal(run(t, a, na), fb);
	clear(t, NEW_HEAD);				/* new, then slot 0 */
	assert_int_equal(run(t, b, n), fb);
	fx__expect_slot(t->fx, 0, ST(.packets = 3, .bytes = 2 * n + na,
				     .pass = fail_closed ? 0 : 3,
				     .drop = fail_closed ? 3 : 0, .tail_miss = 3),
			"empty slot 0, three misses");
	put(t, NEW_HEAD, t->new_fd);			/* new: no miss */
	assert_int_equal(gen_of(t, b, n, "U4"), NEW);
	fx__expect_slot(t->fx, 0, ST(.packets = 3, .bytes = 2 * n + na,
				     .pass = fail_closed ? 0 : 3,
				     .drop = fail_closed ? 3 : 0, .tail_miss = 3),
			"empty slot 0, the new head filled again");
}

static void t_entry_empty_fail_open(void **state)
{
	entry_empty(state, 0);
}

static void t_entry_empty_fail_closed(void **state)
{
	entry_empty(state, 1);
}

/* No new slot set before load: nothing goes anywhere but slot 0. */
static void t_new_slot_unset(void **state)
{
	struct t *t = begin(state);
	struct pkt_spec s = T6;
	__u8 b[PKT_MAX_LEN];

	fx__split(t->fx, TG_SLOT_NONE, false);
	set_split(t, TG_WEIGHT_FULL, SEED);
	assert_int_equal(gen_of(t, b, build(t, &s, b, "T6"), "T6"), OLD);
	expect_no_counts(t);
}

/*
 * Case 4: both tail calls are direct. As test_datapath.c explains, a
 * direct tail call is a site the kernel text-pokes when the slot it names
 * changes, so the split's live jited image must change when slot 17 is
 * filled, change again for slot 0, and come back when both are emptied.
 */
static struct fx_image image(struct t *t)
{
	return fx__jited(t->fx->disp_fd, "split");
}

static bool same(const struct fx_image *a, const struct fx_image *b)
{
	return a->len == b->len && !memcmp(a->b, b->b, a->len);
}

static void t_direct_tail_calls(void **state)
{
	struct t *t = begin(state);
	struct bpf_prog_info info = {};
	__u32 ilen = sizeof(info);
	struct fx_image i0, i1, i2, i3;

	clear(t, NEW_HEAD);
	clear(t, 0);
	i0 = image(t);
	put(t, NEW_HEAD, t->new_fd);
	i1 = image(t);
	put(t, 0, t->old_fd);
	i2 = image(t);
	clear(t, NEW_HEAD);
	clear(t, 0);
	i3 = image(t);
	if (same(&i0, &i1))
		fail_msg("%s: filling slot %u left the split's image alone: tg_new_slot's tail call is not direct",
			 t->h->name, NEW_HEAD);
	if (same(&i1, &i2))
		fail_msg("%s: filling slot 0 left the split's image alone: slot 0's tail call is not direct",
			 t->h->name);
	if (!same(&i0, &i3))
		fail_msg("%s: emptying both slots did not restore the image",
			 t->h->name);
	assert_int_equal(bpf_obj_get_info_by_fd(t->fx->disp_fd, &info,
						&ilen), 0);
	print_message("%s: %s: xlated %u bytes (%u insns), jited %u bytes\n",
		      t->h->name, info.name, info.xlated_prog_len,
		      info.xlated_prog_len / 8, info.jited_prog_len);
	fx__image_free(&i0), fx__image_free(&i1), fx__image_free(&i2), fx__image_free(&i3);
}

/* Cases 5: statistics over 20,000 flows */

static __u64 splitmix64(__u64 *s)
{
	__u64 z = (*s += 0x9e3779b97f4a7c15ULL);

	z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ULL;
	z = (z ^ (z >> 27)) * 0x94d049bb133111ebULL;
	return z ^ (z >> 31);
}

/*
 * Flow @i of a set. "random": IPv4/IPv6 x UDP/TCP in turn, addresses
 * random in 198.18.0.0/15 or 2001:2::/48, both ports random.
 * "one client": 198.18.0.1 to 198.19.0.1:443 over TCP from sequential
 * source ports, the shape a canary really sees from a busy client.
 */
static struct pkt_spec flow(int set, __u64 *rng, int i)
{
	struct pkt_spec s = { .family = AF_INET, .proto = IPPROTO_TCP };
	__u64 r = splitmix64(rng), q = splitmix64(rng), p = splitmix64(rng);
	__u32 a;
	int k;

	if (set == 1) {
		s = T4;
		s.sport = 1024 + i;
		return s;
	}
	s.family = i & 2 ? AF_INET6 : AF_INET;
	s.proto = i & 1 ? IPPROTO_UDP : IPPROTO_TCP;
	s.sport = 1 + p % 65535;
	s.dport = 1 + (p >> 16) % 65535;
	if (s.family == AF_INET) {
		a = htonl(0xc6120000u | (r & 0x1ffff));
		memcpy(s.saddr, &a, 4);
		a = htonl(0xc6120000u | (q & 0x1ffff));
		memcpy(s.daddr, &a, 4);
		return s;
	}
	pkt_addr(s.saddr, "2001:2::");
	pkt_addr(s.daddr, "2001:2::");
	for (k = 6; k < 16; k++) {
		s.saddr[k] = r >> (8 * (k & 7));
		s.daddr[k] = q >> (8 * (k & 7));
	}
	return s;
}

static const char *const set_names[] = { "random", "one client" };

/* Tolerance: TOL_SIGMAS binomial standard deviations of a share @p. */
static double tol(double p)
{
	return TOL_SIGMAS * sqrt(p * (1 - p) / NR_FLOWS);
}

/*
 * Each flow's generation at each weight, checked flow by flow against the
 * prediction; @return how many went new.
 */
static int run_set(struct t *t, int set, __u32 weight, __u32 seed,
		   __u8 *gens)
{
	__u64 rng = 0x5eed;
	__u8 b[PKT_MAX_LEN];
	struct pkt_spec s;
	int i, nr_new = 0, wrong = 0;
	size_t n;

	set_split(t, weight, seed);
	for (i = 0; i < NR_FLOWS; i++) {
		s = flow(set, &rng, i);
		n = build(t, &s, b, "flow");
		gens[i] = gen_of(t, b, n, "flow");
		nr_new += gens[i] == NEW;
		if (gens[i] != predict_gen(&s, seed, weight) && !wrong++)
			print_error("%s: %s flow %d at weight %u: datapath says %s, prediction %s\n",
				    t->h->name, set_names[set], i, weight,
				    gens[i] == NEW ? "new" : "old",
				    gens[i] == NEW ? "old" : "new");
	}
	if (wrong)
		fail_msg("%s: %s flows, weight %u, seed %#x: %d of %d differ from tg_flow_bucket(tg_flow_hash()) < weight",
			 t->h->name, set_names[set], weight, seed, wrong,
			 NR_FLOWS);
	return nr_new;
}

static void stats_set(struct t *t, int set)
{
	static const __u32 weights[] = { 100, 1000, 5000 };
	static __u8 gens[3][NR_FLOWS], other[NR_FLOWS];
	double p, share, d;
	int w, i, nr_new, moved_back = 0, differ = 0;

	for (w = 0; w < 3; w++) {
		nr_new = run_set(t, set, weights[w], SEED, gens[w]);
		p = weights[w] / (double)TG_WEIGHT_FULL;
		share = nr_new / (double)NR_FLOWS;
		print_message("%s: %s flows, weight %5.2f%%: %5d of %d new = %6.3f%% (tolerance %.3f..%.3f%%)\n",
			      t->h->name, set_names[set], 100 * p, nr_new,
			      NR_FLOWS, 100 * share, 100 * (p - tol(p)),
			      100 * (p + tol(p)));
		if (fabs(share - p) > tol(p))
			fail_msg("%s: %s flows: weight %.2f%% put %.3f%% on the new generation, beyond %.0f sigma",
				 t->h->name, set_names[set], 100 * p,
				 100 * share, TOL_SIGMAS);
	}
	/* raising the weight only ever moves flows from old to new */
	for (i = 0; i < NR_FLOWS; i++)
		for (w = 1; w < 3; w++)
			moved_back += gens[w - 1][i] == NEW && gens[w][i] == OLD;
	if (moved_back)
		fail_msg("%s: %s flows: %d moved back from new to old as the weight rose",
			 t->h->name, set_names[set], moved_back);
	/*
	 * Another seed, another assignment: at 50% two independent
	 * assignments disagree on half the flows (2p(1-p)).
	 */
	run_set(t, set, 5000, SEED2, other);
	for (i = 0; i < NR_FLOWS; i++)
		differ += other[i] != gens[2][i];
	d = differ / (double)NR_FLOWS;
	print_message("%s: %s flows, weight 50%%, seed %#x vs %#x: %d of %d flows differ = %.3f%% (tolerance %.3f..%.3f%%)\n",
		      t->h->name, set_names[set], SEED, SEED2, differ, NR_FLOWS,
		      100 * d, 100 * (0.5 - tol(0.5)), 100 * (0.5 + tol(0.5)));
	if (fabs(d - 0.5) > tol(0.5))
		fail_msg("%s: %s flows: another seed moved %.3f%% of the flows, not about half",
			 t->h->name, set_names[set], 100 * d);
}

static void t_stats_random(void **state)
{
	stats_set(begin(state), 0);
}

static void t_stats_one_client(void **state)
{
	stats_set(begin(state), 1);
}

/* VLAN tags change nothing, flow by flow. */
static void t_tags_same_choice(void **state)
{
	struct t *t = begin(state);
	__u64 rng = 0x7a95;
	__u8 b[PKT_MAX_LEN];
	struct pkt_spec s;
	enum gen g0;
	int i, k;

	set_split(t, 5000, SEED);
	for (i = 0; i < 2000; i++) {
		s = flow(0, &rng, i);
		g0 = gen_of(t, b, build(t, &s, b, "flow"), "flow");
		for (k = 1; k <= 2; k++) {
			s.nr_vlan = k;
			if (gen_of(t, b, build(t, &s, b, "flow"), "flow") != g0)
				fail_msg("%s: flow %d with %d VLAN tag(s) met the other generation",
					 t->h->name, i, k);
		}
	}
	expect_no_counts(t);
}

/* Table */

#define CASE(pfx, name, fn, hk) { pfx name, fn, tm__setup, tm__teardown, (void *)&hk }
#define CASES(hk, pfx)										\
	CASE(pfx, "rows: each flow's bucket pinned (two seeds)", t_flow_rows, hk),		\
	CASE(pfx, "rows tell ports/no ports/options apart", t_rows_discriminate, hk),		\
	CASE(pfx, "weight 0: everything old", t_weight_zero, hk),				\
	CASE(pfx, "weight 10000: every flow new, no flow (ARP, runts) old",			\
	     t_weight_full, hk),								\
	CASE(pfx, "split map never written: old", t_split_unset, hk),				\
	CASE(pfx, "weight past 10000: new", t_weight_over_full, hk),				\
	CASE(pfx, "empty new head: slot 0, no miss", t_new_slot_empty, hk),			\
	CASE(pfx, "tg_new_slot not set: slot 0", t_new_slot_unset, hk),				\
	CASE(pfx, "empty slot 0, fail-open: pass, miss in stats[0]",				\
	     t_entry_empty_fail_open, hk),							\
	CASE(pfx, "empty slot 0, fail-closed: drop, miss in stats[0]",				\
	     t_entry_empty_fail_closed, hk),							\
	CASE(pfx, "both tail calls direct (JIT text is poked)", t_direct_tail_calls, hk),	\
	CASE(pfx, "VLAN and QinQ: the untagged choice, 2000 flows",				\
	     t_tags_same_choice, hk),								\
	CASE(pfx, "20000 random flows: shares, prediction, monotone, seed",			\
	     t_stats_random, hk),								\
	CASE(pfx, "20000 flows of one client: shares, prediction, monotone, seed",		\
	     t_stats_one_client, hk)

int main(void)
{
	const struct CMUnitTest xdp_tests[] = { CASES(tm_xdp, "xdp: ") };
	const struct CMUnitTest tc_tests[] = { CASES(tm_tc, "tc: ") };
	int failed;

	failed = cmocka_run_group_tests_name("split_xdp", xdp_tests, NULL,
					     NULL);
	failed += cmocka_run_group_tests_name("split_tc", tc_tests, NULL, NULL);
	return failed ? 1 : 0;
}
