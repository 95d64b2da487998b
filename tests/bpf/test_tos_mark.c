// SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause)
/*
 * BPF_PROG_TEST_RUN tables of the tos_mark test stages
 * (tests/bpf/progs/tos_mark_{a,b}.bpf.c), XDP and tc: the frame each
 * program leaves behind, byte for byte. A marked IPv4 frame differs from
 * its input in the TOS byte and the header checksum only, and the header
 * still checks; an IPv6 frame in the traffic class bits only; ECN bits
 * survive; anything else passes untouched. Run from the repo root, as
 * root.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <string.h>
#include <cmocka.h>

#include "bpf_fixture.h"
#include "bpf_model.h"
#include "pkt.h"

/* One case: its hook, its attach point, the two programs' fds. */
struct t {
	const struct tm_hook *h;
	struct fx *fx;
	int fd[2];		/* tos_mark_a, tos_mark_b */
};

static const char *const objs[2] = { "tos_mark_a", "tos_mark_b" };
static const __u8 marks[2] = { 0x20, 0x40 };

/*
 * The case (skips when not root) and both programs, loaded as they are:
 * they use no map. Cases run one at a time: one struct t serves them all.
 */
static struct t *begin(void **state)
{
	static struct t cur;
	struct tm_case *c = tm__begin(state);
	struct t *t = &cur;
	int i;

	memset(t, 0, sizeof(*t));
	t->h = c->h;
	t->fx = &c->fx;
	for (i = 0; i < 2; i++)
		t->fd[i] = fx__prog(t->fx, fx__tbpf(objs[i]),
				    fx__pick(t->fx, "tos_mark", "tos_mark_tc"));
	return t;
}

static struct pkt_spec spec(int family, __u8 proto, __u8 tos)
{
	struct pkt_spec s = { .family = family, .proto = proto, .tos = tos,
			      .sport = 40000, .dport = 53,
			      .flowlabel = 0xabcde };

	pkt_addr(s.saddr, family == AF_INET6 ? "2001:2::1" : "198.18.0.1");
	pkt_addr(s.daddr, family == AF_INET6 ? "2001:2::2" : "198.19.0.2");
	return s;
}

/* Run @in through object @k; @return the frame it left in @out. */
static __u32 run(struct t *t, int k, const __u8 *in, __u32 len, __u8 *out,
		 const char *what)
{
	__u32 out_len = 0;
	__u32 rv = fx__run_out(t->fx, t->fd[k], in, len, out, PKT_MAX_LEN,
			       &out_len);

	if (rv != (__u32)t->h->pass)
		fail_msg("%s: %s: %s: verdict %u, want pass", t->h->name,
			 objs[k], what, rv);
	if (out_len != len)
		fail_msg("%s: %s: %s: %u bytes out of %u", t->h->name, objs[k],
			 what, out_len, len);
	return out_len;
}

/* Only the bytes at offsets @may[0..@n) may differ between @in and @out. */
static void expect_only(struct t *t, int k, const __u8 *in, const __u8 *out,
			__u32 len, const size_t *may, int n, const char *what)
{
	__u32 i;
	int j;

	for (i = 0; i < len; i++) {
		for (j = 0; j < n && may[j] != i; j++)
			;
		if (j == n && in[i] != out[i])
			fail_msg("%s: %s: %s: byte %u changed (%#x -> %#x)",
				 t->h->name, objs[k], what, i, in[i], out[i]);
	}
}

/* TOS = mark + the ECN bits it had; checksum good; nothing else moved. */
static void expect_v4(struct t *t, int k, const struct pkt_spec *s,
		      const char *what)
{
	__u8 in[PKT_MAX_LEN], out[PKT_MAX_LEN];
	struct pkt_layout lo;
	size_t len = pkt_build(s, in, &lo), hl = 20 + 4 * s->opt_words;
	const size_t may[] = { lo.l3 + 1, lo.l3 + 10, lo.l3 + 11 };
	__u8 want = marks[k] | (s->tos & 0x03);
	struct iphdr ip;

	if (!len)
		fail_msg("%s: bad test frame", what);
	run(t, k, in, len, out, what);
	memcpy(&ip, out + lo.l3, sizeof(ip));
	if (ip.tos != want)
		fail_msg("%s: %s: %s: TOS %#x, want %#x", t->h->name, objs[k],
			 what, ip.tos, want);
	if (pkt_csum(out + lo.l3, hl))
		fail_msg("%s: %s: %s: IPv4 header checksum %#x does not check",
			 t->h->name, objs[k], what, ntohs(ip.check));
	expect_only(t, k, in, out, len, may, 3, what);
}

/* Traffic class = mark + ECN; version and flow label kept; nothing else. */
static void expect_v6(struct t *t, int k, const struct pkt_spec *s,
		      const char *what)
{
	__u8 in[PKT_MAX_LEN], out[PKT_MAX_LEN];
	struct pkt_layout lo;
	size_t len = pkt_build(s, in, &lo);
	const size_t may[] = { lo.l3, lo.l3 + 1 };
	__u8 want = marks[k] | (s->tos & 0x03);
	__u32 vtcfl;

	if (!len)
		fail_msg("%s: bad test frame", what);
	run(t, k, in, len, out, what);
	memcpy(&vtcfl, out + lo.l3, 4);
	vtcfl = ntohl(vtcfl);
	if ((vtcfl >> 20 & 0xff) != want || vtcfl >> 28 != 6 ||
	    (vtcfl & 0xfffff) != s->flowlabel)
		fail_msg("%s: %s: %s: version %u traffic class %#x flow label %#x, want 6 %#x %#x",
			 t->h->name, objs[k], what, vtcfl >> 28,
			 vtcfl >> 20 & 0xff, vtcfl & 0xfffff, want,
			 s->flowlabel);
	expect_only(t, k, in, out, len, may, 2, what);
}

/* The frame (cut to @cut bytes if non-zero) comes out as it went in. */
static void expect_untouched(struct t *t, int k, const struct pkt_spec *s,
			     __u32 cut, const char *what)
{
	__u8 in[PKT_MAX_LEN], out[PKT_MAX_LEN];
	size_t len = pkt_build(s, in, NULL);

	if (!len)
		fail_msg("%s: bad test frame", what);
	len = cut ? cut : len;
	run(t, k, in, len, out, what);
	expect_only(t, k, in, out, len, NULL, 0, what);
}

/* Cases */

enum want { MARK4, MARK6, UNTOUCHED };

struct row {
	const char *name;
	struct pkt_spec s;
	enum want want;
	__u32 cut;		/* frame cut to this many bytes; 0: whole */
	bool xdp_only;		/* tc test_run refuses a cut IP header */
};

static struct pkt_spec with(struct pkt_spec s, __u8 opt_words, int nr_vlan)
{
	s.opt_words = opt_words;
	s.nr_vlan = nr_vlan;
	return s;
}

#define ROW(n, sp, w, ...) \
	((struct row){ .name = (n), .s = (sp), .want = (w), __VA_ARGS__ })

static const struct row *rows(size_t *nr)
{
	static struct row r[16];
	struct pkt_spec arp = spec(AF_INET, 0, 0);
	size_t n = 0;

	arp.family = 0;
	r[n++] = ROW("IPv4 UDP, TOS 0", spec(AF_INET, IPPROTO_UDP, 0), MARK4);
	r[n++] = ROW("IPv4 TCP, EF replaced", spec(AF_INET, IPPROTO_TCP, 0xb8),
		     MARK4);
	r[n++] = ROW("IPv4, ECN CE kept", spec(AF_INET, IPPROTO_UDP, 0x03),
		     MARK4);
	r[n++] = ROW("IPv4, AF11 + ECT(0): ECT(0) kept",
		     spec(AF_INET, IPPROTO_UDP, 0x2a), MARK4);
	r[n++] = ROW("IPv4 options (IHL 8)",
		     with(spec(AF_INET, IPPROTO_UDP, 0x10), 3, 0), MARK4);
	r[n++] = ROW("IPv4 ICMP", spec(AF_INET, IPPROTO_ICMP, 0), MARK4);
	r[n++] = ROW("IPv6 UDP, class 0", spec(AF_INET6, IPPROTO_UDP, 0),
		     MARK6);
	r[n++] = ROW("IPv6 TCP, EF + ECT(1): ECT(1) kept",
		     spec(AF_INET6, IPPROTO_TCP, 0xb9), MARK6);
	r[n++] = ROW("IPv6, class 0xff", spec(AF_INET6, IPPROTO_UDP, 0xff),
		     MARK6);
	r[n++] = ROW("ARP", arp, UNTOUCHED);
	r[n++] = ROW("802.1Q IPv4: not parsed, untouched",
		     with(spec(AF_INET, IPPROTO_UDP, 0), 0, 1), UNTOUCHED);
	r[n++] = ROW("runt: IPv4 header cut at 19 bytes",
		     spec(AF_INET, IPPROTO_UDP, 0), UNTOUCHED, .cut = 14 + 19,
		     .xdp_only = true);
	r[n++] = ROW("runt: IPv6 header cut at 39 bytes",
		     spec(AF_INET6, IPPROTO_UDP, 0), UNTOUCHED, .cut = 14 + 39,
		     .xdp_only = true);
	*nr = n;
	return r;
}

static void t_rows(void **state)
{
	struct t *t = begin(state);
	const struct row *r;
	size_t i, nr;
	int k;

	r = rows(&nr);
	for (k = 0; k < 2; k++)
		for (i = 0; i < nr; i++) {
			if (r[i].xdp_only && !t->h->xdp)
				continue;
			if (r[i].want == MARK4)
				expect_v4(t, k, &r[i].s, r[i].name);
			else if (r[i].want == MARK6)
				expect_v6(t, k, &r[i].s, r[i].name);
			else
				expect_untouched(t, k, &r[i].s, r[i].cut,
						 r[i].name);
		}
}

/* Already marked: the frame comes out identical, checksum included. */
static void t_idempotent(void **state)
{
	struct t *t = begin(state);
	struct pkt_spec s;
	int k;

	for (k = 0; k < 2; k++) {
		s = spec(AF_INET, IPPROTO_UDP, marks[k] | 0x01);
		expect_untouched(t, k, &s, 0, "IPv4 already marked");
		s = spec(AF_INET6, IPPROTO_UDP, marks[k]);
		expect_untouched(t, k, &s, 0, "IPv6 already marked");
	}
}

static __u64 splitmix64(__u64 *s)
{
	__u64 z = (*s += 0x9e3779b97f4a7c15ULL);

	z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ULL;
	z = (z ^ (z >> 27)) * 0x94d049bb133111ebULL;
	return z ^ (z >> 31);
}

/*
 * 2,000 random IPv4 headers (TOS, addresses, fragment fields, options):
 * after the incremental update the header must check every time, end-
 * around carries included.
 */
static void t_random_ipv4(void **state)
{
	struct t *t = begin(state);
	__u64 rng = 0x70511;
	struct pkt_spec s;
	__u32 r, a;
	int i, k;

	for (i = 0; i < 2000; i++) {
		r = splitmix64(&rng);
		s = spec(AF_INET, i & 1 ? IPPROTO_UDP : IPPROTO_TCP, r);
		s.frag_off = (r >> 8) & 0x3fff;
		s.opt_words = (r >> 16) % 4;
		a = splitmix64(&rng);
		memcpy(s.saddr, &a, 4);
		a = splitmix64(&rng);
		memcpy(s.daddr, &a, 4);
		for (k = 0; k < 2; k++)
			expect_v4(t, k, &s, "random IPv4 header");
	}
}

#define CASE(pfx, name, fn, hk) { pfx name, fn, tm__setup, tm__teardown, (void *)&hk }
#define CASES(hk, pfx)										\
	CASE(pfx, "table: IPv4, IPv6, ECN, options, untouched frames", t_rows, hk),		\
	CASE(pfx, "already marked: identical frame", t_idempotent, hk),				\
	CASE(pfx, "2000 random IPv4 headers: checksum always checks", t_random_ipv4, hk)

int main(void)
{
	const struct CMUnitTest xdp_tests[] = { CASES(tm_xdp, "xdp: ") };
	const struct CMUnitTest tc_tests[] = { CASES(tm_tc, "tc: ") };
	int failed;

	failed = cmocka_run_group_tests_name("tos_mark_xdp", xdp_tests, NULL,
					     NULL);
	failed += cmocka_run_group_tests_name("tos_mark_tc", tc_tests, NULL,
					      NULL);
	return failed ? 1 : 0;
}
