// SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause)
/*
 * BPF_PROG_TEST_RUN tables of real stages, wrapped as tailgate wraps
 * every stage, XDP and tc: the header stages of bpf/ (counter, blocklist,
 * drop_all), the seed article's counter exactly as printed
 * (bpf/seed_counter.bpf.c), third-party objects written the ways real
 * projects write them (tests/bpf/progs/tp_*.bpf.c: subprograms and a
 * global function, .rodata/.data/.bss, a LIBBPF_PIN_BY_NAME map, CO-RE
 * relocations, several programs in one object), and xdp-filter's object
 * as Debian's xdp-tools ships it. Each row checks the verdict, the
 * stage's own maps where it has them, and tailgate's counters of every
 * slot involved.
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
#include <linux/in.h>
#include <linux/pkt_cls.h>
#include <bpf/bpf.h>
#include <bpf/libbpf.h>

#include "bpf_fixture.h"
#include "bpf_model.h"

#define N	500	/* test_run repeats of the counting rows */

/* The default frame: Ethernet + IPv4 + UDP, 64 bytes. */
static __u8 dpkt[256];
static size_t dlen;

static struct tm_case *begin(void **state)
{
	struct tm_case *t = tm__begin(state);

	dlen = fx__pkt(dpkt, sizeof(dpkt), &(struct fx_pkt){ 0 });
	return t;
}

static __u64 array_u64(int fd, __u32 key)
{
	__u64 v = 0;

	if (bpf_map_lookup_elem(fd, &key, &v))
		fail_msg("map lookup of key %u: %s", key, strerror(errno));
	return v;
}

/* A map's value at key 0, then the fd closed. */
static __u64 stage_count(struct tm_case *t, unsigned int bank, int stage, const char *map)
{
	int fd = fx__stage_map(&t->fx, bank, stage, map);
	__u64 v = array_u64(fd, 0);

	close(fd);
	return v;
}

/* Cases 1: the header stages */

static void t_counter(void **state)
{
	struct tm_case *t = begin(state);
	__u32 s = TG_BANK_BASE(0);

	fx__stage(&t->fx, "counter", fx__bpf("counter"), "counter");
	fx__go(&t->fx, 0, PLAN_DP_CHAINED);
	assert_int_equal(fx__run(&t->fx, dpkt, dlen, N), t->h->pass);
	fx__expect_slot(&t->fx, s, ST(.packets = N, .bytes = N * dlen, .pass = N), "counter");
	assert_int_equal(stage_count(t, 0, 0, "packet_count"), N);
	fx__expect_slot(&t->fx, TG_SLOT_ENTRY, ST(0), "the dispatcher counts only its own misses");
	fx__expect_identity(&t->fx);
}

static void t_counter_drop_all(void **state)
{
	struct tm_case *t = begin(state);
	__u32 s = TG_BANK_BASE(1);

	fx__stage(&t->fx, "counter", fx__bpf("counter"), "counter");
	fx__stage(&t->fx, "drop_all", fx__bpf("drop_all"), "drop_all");
	fx__go(&t->fx, 1, PLAN_DP_CHAINED);
	assert_int_equal(fx__run(&t->fx, dpkt, dlen, N), t->h->drop);
	fx__expect_slot(&t->fx, s, ST(.packets = N, .bytes = N * dlen, .pass = N, .continued = N),
			"counter");
	fx__expect_slot(&t->fx, s + 1, ST(.packets = N, .bytes = N * dlen, .drop = N), "drop_all");
	assert_int_equal(stage_count(t, 1, 0, "packet_count"), N);
	fx__expect_identity(&t->fx);
}

/* Case 2: blocklist, then counter */

enum frame { V4, V4_VLAN, V4_QINQ, V6, V6_QINQ, ARP };

struct bl_row {
	const char *name;
	const char *block;	/* the one prefix in "blocked" for the row */
	enum frame frame;
	const char *src;
	__u32 len;		/* bytes handed to the program; < 64 cuts the frame */
	bool xdp_only;		/* tc test_run refuses it (see the runts) */
	bool drop;
};

static const struct bl_row bl_rows[] = {
	{ "IPv4 source in /24", "198.18.5.0/24", V4, "198.18.5.7", 64, false, true },
	{ "IPv4 source outside /24", "198.18.5.0/24", V4, "198.19.0.9", 64, false, false },
	{ "IPv4 /32 exact", "198.18.5.7/32", V4, "198.18.5.7", 64, false, true },
	{ "IPv4 next to a /32", "198.18.5.7/32", V4, "198.18.5.8", 64, false, false },
	{ "IPv6 source in /48", "2001:2::/48", V6, "2001:2:0:1::7", 64, false, true },
	{ "IPv6 source outside /64", "2001:2:0:ff::/64", V6, "2001:2:0:1::7", 64, false, false },
	{ "VLAN IPv4 source in /24", "198.18.5.0/24", V4_VLAN, "198.18.5.7", 64, false, true },
	{ "VLAN IPv4 source outside /24", "198.18.5.0/24", V4_VLAN, "198.19.0.9", 64, false, false },
	{ "QinQ IPv4 source in /24", "198.18.5.0/24", V4_QINQ, "198.18.5.7", 64, false, true },
	{ "QinQ IPv4 source outside /24", "198.18.5.0/24", V4_QINQ, "198.19.0.9", 64, false, false },
	{ "QinQ IPv6 source in /48", "2001:2::/48", V6_QINQ, "2001:2:0:1::7", 90, false, true },
	{ "ARP from a blocked address", "198.18.0.0/15", ARP, "198.18.5.7", 64, false, false },
	/*
	 * Runts. Nothing shorter than an Ethernet header reaches either
	 * program: test_run refuses < ETH_HLEN bytes; and tc test_run pulls
	 * a whole IPv4/IPv6 header before the program runs, so L3-truncated
	 * frames are XDP-only; VLAN-typed runts reach both.
	 */
	{ "runt: Ethernet header only, IPv4 type", "198.18.0.0/15", V4, "198.18.5.7", 14, true, false },
	{ "runt: IPv4 header cut at 16 bytes", "198.18.0.0/15", V4, "198.18.5.7", 30, true, false },
	{ "runt: IPv6 header cut short", "2001:2::/48", V6, "2001:2:0:1::7", 40, true, false },
	{ "runt: VLAN tag cut short", "198.18.0.0/15", V4_VLAN, "198.18.5.7", 16, false, false },
	{ "runt: VLAN IPv4 header cut at 12 bytes", "198.18.0.0/15", V4_VLAN, "198.18.5.7", 30,
	  false, false },
	{ "runt: QinQ, inner tag cut short", "198.18.0.0/15", V4_QINQ, "198.18.5.7", 20, false,
	  false },
};

/* Key of the "blocked" trie: the ABI header's struct, never a copy. */
static void lpm_key(const char *cidr, struct tg_lpm_key *k)
{
	char a[64], *slash;
	int plen;

	memset(k, 0, sizeof(*k));
	snprintf(a, sizeof(a), "%s", cidr);
	slash = strchr(a, '/');
	assert_non_null(slash);
	*slash = '\0';
	plen = atoi(slash + 1);
	if (inet_pton(AF_INET6, a, k->addr) == 1) {
		k->prefixlen = plen;
		return;
	}
	/* IPv4 as IPv4-mapped IPv6: ::ffff:a.b.c.d, prefix + 96 */
	k->addr[10] = 0xff;
	k->addr[11] = 0xff;
	assert_int_equal(inet_pton(AF_INET, a, &k->addr[12]), 1);
	k->prefixlen = plen + 96;
}

static size_t bl_frame(const struct bl_row *r, __u8 *b, size_t cap)
{
	static const __u16 l3[] = { ETH_P_IP, ETH_P_IP, ETH_P_IP, ETH_P_IPV6, ETH_P_IPV6, ETH_P_ARP };
	static const int vlans[] = { 0, 1, 2, 0, 2, 0 };
	struct fx_pkt p = { .l3 = l3[r->frame], .vlans = vlans[r->frame], .src = r->src,
			    .len = r->len > 64 ? r->len : 64 };

	return fx__pkt(b, cap, &p);
}

static void bl_row(struct tm_case *t, int blocked_fd, const struct bl_row *r, __u32 s)
{
	struct tg_stats b1 = fx__slot(&t->fx, s), b2 = fx__slot(&t->fx, s + 1);
	struct tg_lpm_key key;
	char what[160];
	__u8 frame[256], one = 1;
	__u32 rv;

	bl_frame(r, frame, sizeof(frame));
	lpm_key(r->block, &key);
	assert_int_equal(bpf_map_update_elem(blocked_fd, &key, &one, BPF_ANY), 0);
	rv = fx__run(&t->fx, frame, r->len, 1);
	assert_int_equal(bpf_map_delete_elem(blocked_fd, &key), 0);
	snprintf(what, sizeof(what), "row '%s' (block %s)", r->name, r->block);
	if ((int)rv != (r->drop ? t->h->drop : t->h->pass))
		fail_msg("%s: %s: verdict %u, want %u", t->h->name, what, rv,
			 r->drop ? t->h->drop : t->h->pass);
	fx__expect_delta(&t->fx, s, &b1,
			 ST(.packets = 1, .bytes = r->len, .pass = !r->drop, .drop = r->drop,
			    .continued = !r->drop),
			 what);
	fx__expect_delta(&t->fx, s + 1, &b2,
			 ST(.packets = !r->drop, .bytes = r->drop ? 0 : r->len, .pass = !r->drop),
			 what);
}

static void blocklist(struct tm_case *t, enum plan_datapath dp)
{
	__u32 s = TG_BANK_BASE(0);
	size_t i;
	int fd;

	fx__stage(&t->fx, "blocklist", fx__bpf("blocklist"), "blocklist");
	fx__stage(&t->fx, "counter", fx__bpf("counter"), "counter");
	fx__go(&t->fx, 0, dp);
	fd = fx__stage_map(&t->fx, 0, 0, "blocked");
	for (i = 0; i < sizeof(bl_rows) / sizeof(bl_rows[0]); i++)
		if (t->h->xdp || !bl_rows[i].xdp_only)
			bl_row(t, fd, &bl_rows[i], s);
	close(fd);
	fx__expect_identity(&t->fx);
}

static void t_blocklist(void **state)
{
	blocklist(begin(state), PLAN_DP_CHAINED);
}

static void t_blocklist_fused(void **state)
{
	blocklist(begin(state), PLAN_DP_FUSED);
}

/* Case 3: the seed article's counter, verbatim */

static void seed(struct tm_case *t, enum plan_datapath dp)
{
	__u32 s = TG_BANK_BASE(1);

	fx__stage(&t->fx, "seed", fx__bpf("seed_counter"), "xdp_packet_counter");
	fx__stage(&t->fx, "counter", fx__bpf("counter"), "counter");
	fx__go(&t->fx, 1, dp);
	assert_int_equal(fx__run(&t->fx, dpkt, dlen, N), XDP_PASS);
	/* its own map: one CPU runs test_run, so even (*value)++ is exact here */
	assert_int_equal(stage_count(t, 1, 0, "packet_count_map"), N);
	assert_int_equal(stage_count(t, 1, 1, "packet_count"), N);
	fx__expect_slot(&t->fx, s, ST(.packets = N, .bytes = N * dlen, .pass = N, .continued = N),
			"seed counter");
	fx__expect_slot(&t->fx, s + 1, ST(.packets = N, .bytes = N * dlen, .pass = N), "counter");
	fx__expect_identity(&t->fx);
}

static void t_seed(void **state)
{
	struct tm_case *t = begin(state);

	if (!t->h->xdp) {
		char *out;
		int err;

		/* SEC("xdp") only, and XDP_PASS (2) is TC_ACT_SHOT on tc:
		 * refused, saying what the hook runs and what the object has */
		fx__stage(&t->fx, "seed", fx__bpf("seed_counter"), "xdp_packet_counter");
		fx__capture_begin();
		err = fx__try_load(&t->fx, 0, PLAN_DP_CHAINED, false);
		out = fx__capture_end();
		if (err != -ENOENT || !strstr(out, "stage 'seed' on " FX_IFNAME "/tc-ingress") ||
		    !strstr(out, "wrong program type") || !strstr(out, "xdp_packet_counter (xdp)"))
			fail_msg("seed counter on tc: want a refusal naming the stage, the hook and the object's programs; got %d: %s",
				 err, out);
		free(out);
		return;
	}
	seed(t, PLAN_DP_CHAINED);
}

static void t_seed_fused(void **state)
{
	seed(begin(state), PLAN_DP_FUSED);	/* an XDP row only */
}

/* Cases 4: third-party objects */

/* tp_subprogs: a global function and a static subprogram. */
static void t_subprogs(void **state)
{
	struct tm_case *t = begin(state);
	__u8 nine[256];
	size_t l9 = fx__pkt(nine, sizeof(nine), &(struct fx_pkt){ .dport = 9 });
	__u32 s = TG_BANK_BASE(0);

	fx__stage(&t->fx, "subprogs", fx__tbpf("tp_subprogs"),
		  fx__pick(&t->fx, "tp_sub_xdp", "tp_sub_tc"));
	fx__go(&t->fx, 0, PLAN_DP_CHAINED);
	assert_true(t->fx.gl[0].st[0].facts.nr_subprogs >= 3);
	assert_int_equal(fx__run(&t->fx, dpkt, dlen, N), t->h->pass);
	assert_int_equal(fx__run(&t->fx, nine, l9, N), t->h->drop);
	fx__expect_slot(&t->fx, s, ST(.packets = 2 * N, .bytes = N * (dlen + l9), .pass = N,
				      .drop = N), "subprograms");
	fx__expect_identity(&t->fx);
}

/*
 * tp_loop: a bpf_loop() callback, which the verifier takes only with BTF
 * function info; named by its object alone.
 */
static void t_loop(void **state)
{
	struct tm_case *t = begin(state);
	__u8 nine[256];
	size_t l9 = fx__pkt(nine, sizeof(nine), &(struct fx_pkt){ .dport = 9 });
	__u32 s = TG_BANK_BASE(0);

	/* no program named: the object's one of the hook's type */
	fx__stage(&t->fx, "loop", fx__tbpf("tp_loop"), "");
	fx__go(&t->fx, 0, PLAN_DP_CHAINED);
	assert_string_equal(t->fx.gl[0].st[0].program,
			    fx__pick(&t->fx, "tp_loop_xdp", "tp_loop_tc"));
	assert_int_equal(fx__run(&t->fx, dpkt, dlen, N), t->h->pass);
	assert_int_equal(fx__run(&t->fx, nine, l9, N), t->h->drop);
	fx__expect_slot(&t->fx, s,
			ST(.packets = 2 * N, .bytes = N * (dlen + l9), .pass = N, .drop = N),
			"bpf_loop callback");
	fx__expect_identity(&t->fx);
}

/* tp_globals: .rodata fixed at load, .data changed at run time, .bss counted. */
static void t_globals(void **state)
{
	struct tm_case *t = begin(state);
	__u8 seven[256];
	size_t l7 = fx__pkt(seven, sizeof(seven), &(struct fx_pkt){ .dport = 7 });
	__u32 s = TG_BANK_BASE(0), zero = 0, other = t->h->xdp ? XDP_TX : TC_ACT_REDIRECT;
	int data, bss, ro;
	struct {
		__u32 xdp_hit_verdict, tc_hit_verdict;
	} d;
	__u16 port = 8;

	fx__stage(&t->fx, "globals", fx__tbpf("tp_globals"),
		  fx__pick(&t->fx, "tp_glob_xdp", "tp_glob_tc"));
	fx__go(&t->fx, 0, PLAN_DP_CHAINED);
	data = fx__stage_map(&t->fx, 0, 0, ".data");
	bss = fx__stage_map(&t->fx, 0, 0, ".bss");
	ro = fx__stage_map(&t->fx, 0, 0, ".rodata");
	assert_int_equal(fx__run(&t->fx, seven, l7, N), t->h->drop);
	assert_int_equal(fx__run(&t->fx, dpkt, dlen, N), t->h->pass);
	assert_int_equal(array_u64(bss, 0), N);
	/* the verdict of a hit, rewritten in .data while the stage is live */
	assert_int_equal(bpf_map_lookup_elem(data, &zero, &d), 0);
	d.xdp_hit_verdict = d.tc_hit_verdict = other;	/* the hook reads its own */
	assert_int_equal(bpf_map_update_elem(data, &zero, &d, BPF_ANY), 0);
	assert_int_equal(fx__run(&t->fx, seven, l7, N), other);
	assert_int_equal(array_u64(bss, 0), 2 * N);
	/* .rodata is frozen: the port stays what the object was built with */
	assert_int_not_equal(bpf_map_update_elem(ro, &zero, &port, BPF_ANY), 0);
	fx__expect_slot(&t->fx, s,
			ST(.packets = 3 * N, .bytes = N * (2 * l7 + dlen), .pass = N, .drop = N,
			   .tx = t->h->xdp ? N : 0, .redirect = t->h->xdp ? 0 : N),
			"globals");
	fx__expect_identity(&t->fx);
	close(data), close(bss), close(ro);
}

/*
 * tp_pinned: LIBBPF_PIN_BY_NAME would share the map through
 * /sys/fs/bpf/tp_pinned_seen across every loader; tailgate keeps it
 * private: two attach points, two maps, nothing pinned.
 */
static void t_pin_by_name(void **state)
{
	struct tm_case *t = begin(state);
	const char *pin = "/sys/fs/bpf/tp_pinned_seen";
	struct bpf_map_info a = {}, b = {};
	__u32 la = sizeof(a), lb = sizeof(b);
	struct fx other;
	int fa, fb;

	if (!access(pin, F_OK))
		fail_msg("%s exists before the test: remove it (something pinned it by name)", pin);
	fx__init(&other, t->h->hook);
	fx__stage(&t->fx, "pinned", fx__tbpf("tp_pinned"), fx__pick(&t->fx, "tp_pin_xdp", "tp_pin_tc"));
	fx__stage(&other, "pinned", fx__tbpf("tp_pinned"), fx__pick(&t->fx, "tp_pin_xdp", "tp_pin_tc"));
	fx__go(&t->fx, 0, PLAN_DP_CHAINED);
	fx__go(&other, 0, PLAN_DP_CHAINED);
	if (!access(pin, F_OK))
		fail_msg("loading pinned %s: tailgate must keep LIBBPF_PIN_BY_NAME maps private", pin);
	fa = fx__stage_map(&t->fx, 0, 0, "tp_pinned_seen");
	fb = fx__stage_map(&other, 0, 0, "tp_pinned_seen");
	assert_int_equal(bpf_obj_get_info_by_fd(fa, &a, &la), 0);
	assert_int_equal(bpf_obj_get_info_by_fd(fb, &b, &lb), 0);
	if (a.id == b.id)
		fail_msg("two attach points share map id %u", a.id);
	assert_int_equal(fx__run(&t->fx, dpkt, dlen, N), t->h->pass);
	assert_int_equal(fx__run(&other, dpkt, dlen, 3), t->h->pass);
	assert_int_equal(array_u64(fa, 0), N);
	assert_int_equal(array_u64(fb, 0), 3);
	close(fa), close(fb);
	fx__fini(&other);
}

/* tp_core: right only if libbpf's CO-RE relocations reached the wrapped code. */
static void t_core(void **state)
{
	struct tm_case *t = begin(state);
	__u8 v6[256];
	size_t l6 = fx__pkt(v6, sizeof(v6), &(struct fx_pkt){ .l3 = ETH_P_IPV6 });
	__u32 s = TG_BANK_BASE(0);

	fx__stage(&t->fx, "core", fx__tbpf("tp_core"), fx__pick(&t->fx, "tp_core_xdp", "tp_core_tc"));
	fx__go(&t->fx, 0, PLAN_DP_CHAINED);
	assert_int_equal(fx__run(&t->fx, dpkt, dlen, N), t->h->pass);
	assert_int_equal(fx__run(&t->fx, v6, l6, N), t->h->drop);
	fx__expect_slot(&t->fx, s, ST(.packets = 2 * N, .bytes = N * (dlen + l6), .pass = N,
				      .drop = N), "CO-RE");
	fx__expect_identity(&t->fx);
}

/* verdicts: the plan picks one of an object's 32 programs. */
static void t_several_programs(void **state)
{
	struct tm_case *t = begin(state);
	int codes[4] = { t->h->drop, t->h->drop, t->h->drop, t->h->pass };
	__u8 pkt[256];
	size_t len = fx__verdict_pkt(pkt, sizeof(pkt), codes, 4);

	fx__stage(&t->fx, "third", fx__tbpf("verdicts"), fx__pick(&t->fx, "xdp_v3", "tc_v3"));
	fx__go(&t->fx, 0, PLAN_DP_CHAINED);
	assert_string_equal(t->fx.gl[0].st[0].program, fx__pick(&t->fx, "xdp_v3", "tc_v3"));
	assert_int_equal(fx__run(&t->fx, pkt, len, N), t->h->pass);
	fx__expect_slot(&t->fx, TG_BANK_BASE(0), ST(.packets = N, .bytes = N * len, .pass = N),
			"program 3 of 32");
}

/* Case 5: xdp-filter as Debian's xdp-tools ships it */

#define XDPFILT		"/usr/lib/x86_64-linux-gnu/bpf/xdpfilt_alw_udp.o"
/* xdp-filter's common_kern_user.h: flags in filter_ports values */
#define XF_MAP_FLAG_DST	(1 << 1)
#define XF_MAP_FLAG_UDP	(1 << 3)

static void t_xdp_filter(void **state)
{
	struct tm_case *t;
	int ncpu = libbpf_num_possible_cpus(), ports, stats, i;
	__u8 dns[256], other[256];
	size_t ld, lo;
	__u64 *v;
	__u32 key;
	struct {
		__u64 packets, bytes;
	} *rec;

	if (access(XDPFILT, R_OK)) {
		print_message("skipped: %s missing: install Debian's xdp-tools\n", XDPFILT);
		skip();
	}
	t = begin(state);
	ld = fx__pkt(dns, sizeof(dns), &(struct fx_pkt){ .dport = 53 });
	lo = fx__pkt(other, sizeof(other), &(struct fx_pkt){ .dport = 54 });
	fx__stage(&t->fx, "xdpfilt", XDPFILT, "xdpfilt_alw_udp");
	fx__stage(&t->fx, "counter", fx__bpf("counter"), "counter");
	fx__go(&t->fx, 0, PLAN_DP_CHAINED);
	/* its XDP_RUN_CONFIG (XDP_PASS chains on) is the default continue_on */
	assert_true(t->fx.gl[0].st[0].run_config);
	assert_int_equal(t->fx.gl[0].st[0].continue_on, TG_VERDICT_BIT(TG_PASS));
	/* what "xdp-filter port 53 --mode dst --proto udp" writes: per-CPU flags */
	v = calloc(ncpu, sizeof(*v));
	rec = calloc(ncpu, sizeof(*rec));
	assert_true(v && rec);
	for (i = 0; i < ncpu; i++)
		v[i] = XF_MAP_FLAG_DST | XF_MAP_FLAG_UDP;
	key = htons(53);
	ports = fx__stage_map(&t->fx, 0, 0, "filter_ports");
	assert_int_equal(bpf_map_update_elem(ports, &key, v, BPF_ANY), 0);
	assert_int_equal(fx__run(&t->fx, dns, ld, N), XDP_DROP);
	assert_int_equal(fx__run(&t->fx, other, lo, N), XDP_PASS);
	fx__expect_slot(&t->fx, TG_BANK_BASE(0),
			ST(.packets = 2 * N, .bytes = N * (ld + lo), .pass = N, .drop = N,
			   .continued = N), "xdp-filter");
	fx__expect_slot(&t->fx, TG_BANK_BASE(0) + 1, ST(.packets = N, .bytes = N * lo, .pass = N),
			"counter after xdp-filter");
	/* its own statistics agree with tailgate's */
	stats = fx__stage_map(&t->fx, 0, 0, "xdp_stats_map");
	key = XDP_DROP;
	assert_int_equal(bpf_map_lookup_elem(stats, &key, rec), 0);
	for (i = 1; i < ncpu; i++)
		rec[0].packets += rec[i].packets;
	assert_int_equal(rec[0].packets, N);
	if (!access("/sys/fs/bpf/filter_ports", F_OK) || !access("/sys/fs/bpf/xdp_stats_map", F_OK))
		print_message("note: /sys/fs/bpf holds xdp-filter pins (not tailgate's: its maps are private)\n");
	close(ports), close(stats);
	free(v), free(rec);
	fx__expect_identity(&t->fx);
}

/*
 * tp_tailcall's tail_small: tail calls of its own, through a prog array
 * tailgate loads empty. Missing, the stage passes and the chain goes on.
 * Landing (the operator filled it), the target's verdict is the stage's:
 * a tail call made in a subprogram returns to its caller, the wrapper,
 * which counts it and applies continue_on as for any verdict.
 */
static void t_own_tail_call(void **state)
{
	struct tm_case *t = begin(state);
	struct bpf_insn drop[] = {
		{ .code = BPF_ALU64 | BPF_MOV | BPF_K, .dst_reg = BPF_REG_0, .imm = XDP_DROP },
		{ .code = BPF_JMP | BPF_EXIT },
	};
	LIBBPF_OPTS(bpf_prog_load_opts, o, .expected_attach_type = BPF_XDP);
	struct tg_stats tails = ST(.packets = N, .bytes = N * dlen, .pass = N, .continued = N);
	struct tg_stats counter = ST(.packets = N, .bytes = N * dlen, .pass = N);
	__u32 key = 0;
	int jt, fd;

	fx__stage(&t->fx, "tails", fx__tbpf("tp_tailcall"), "tail_small");
	fx__stage(&t->fx, "counter", fx__bpf("counter"), "counter");
	fx__go(&t->fx, 0, PLAN_DP_CHAINED);
	assert_true(t->fx.gl[0].st[0].facts.tail_calls);
	assert_int_equal(fx__run(&t->fx, dpkt, dlen, N), XDP_PASS);
	fx__expect_slot(&t->fx, TG_BANK_BASE(0), tails, "tail_small, its tail call missing");
	fx__expect_slot(&t->fx, TG_BANK_BASE(0) + 1, counter, "counter after tail_small");
	fd = bpf_prog_load(BPF_PROG_TYPE_XDP, "tgt_drop", "GPL", drop, 2, &o);
	assert_true(fd >= 0);
	jt = fx__stage_map(&t->fx, 0, 0, "jmp_table");
	assert_int_equal(bpf_map_update_elem(jt, &key, &fd, BPF_ANY), 0);
	assert_int_equal(fx__run(&t->fx, dpkt, dlen, N), XDP_DROP);
	tails.packets += N, tails.bytes += N * dlen, tails.drop = N;
	fx__expect_slot(&t->fx, TG_BANK_BASE(0), tails, "tail_small, its tail call landing");
	fx__expect_slot(&t->fx, TG_BANK_BASE(0) + 1, counter, "counter: a drop does not go on");
	close(jt);
	close(fd);
	fx__expect_identity(&t->fx);
}

/* Table */

#define CASE(pfx, name, fn, hk) { pfx name, fn, tm__setup, tm__teardown, (void *)&hk }
/* clang-format off */
#define COMMON(hk, pfx)									\
	CASE(pfx, "counter: pass, packet_count and counters exact", t_counter, hk),	\
	CASE(pfx, "counter -> drop_all: drop", t_counter_drop_all, hk),			\
	CASE(pfx, "blocklist -> counter table (IPv4, IPv6, VLAN, QinQ, ARP, runts)",	\
	     t_blocklist, hk),								\
	CASE(pfx, "blocklist -> counter table, fused", t_blocklist_fused, hk),		\
	CASE(pfx, "third party: global function and subprogram", t_subprogs, hk),	\
	CASE(pfx, "third party: bpf_loop callback", t_loop, hk),			\
	CASE(pfx, "third party: .rodata, .data (changed live), .bss", t_globals, hk),	\
	CASE(pfx, "third party: LIBBPF_PIN_BY_NAME map stays private, unpinned",	\
	     t_pin_by_name, hk),							\
	CASE(pfx, "third party: CO-RE relocations", t_core, hk),			\
	CASE(pfx, "third party: one of several programs in an object",		\
	     t_several_programs, hk)
/* clang-format on */

int main(void)
{
	const struct CMUnitTest xdp[] = {
		COMMON(tm_xdp, "xdp: "),
		CASE("xdp: ", "seed counter verbatim -> counter", t_seed, tm_xdp),
		CASE("xdp: ", "seed counter verbatim -> counter, fused", t_seed_fused, tm_xdp),
		CASE("xdp: ", "xdp-filter as shipped (xdpfilt_alw_udp.o) -> counter", t_xdp_filter,
		     tm_xdp),
		CASE("xdp: ", "own tail calls: missing or landing, counted as the stage's verdict",
		     t_own_tail_call, tm_xdp),
	};
	const struct CMUnitTest tc[] = {
		COMMON(tm_tc, "tc: "),
		CASE("tc: ", "seed counter (SEC(\"xdp\") only) refused, explained", t_seed, tm_tc),
	};
	int failed;

	failed = cmocka_run_group_tests_name("stages_xdp", xdp, NULL, NULL);
	failed += cmocka_run_group_tests_name("stages_tc", tc, NULL, NULL);
	return failed ? 1 : 0;
}
