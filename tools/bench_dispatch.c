// SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause)
/*
 * bench_dispatch: what a packet pays for tailgate's dispatcher and tail
 * calls, against a monolithic program doing the same work and against a
 * model of libxdp's dispatcher; proof that the tail calls are the direct
 * kind; and what one stage costs to load and verify.
 *
 *   bench_dispatch run  [-b BUILD] [-r REPEAT] [-n ROUNDS] [-o RAW.tsv] [-s SUMMARY]
 *   bench_dispatch jit  [-b BUILD] [-o DIR]
 *   bench_dispatch load [-b BUILD] [-n ITERS] [-B BTF] OBJ:PROG...
 *
 * Chains are loaded the way orchestrator/loader.c loads them: the real
 * dispatcher object creates "slots" and "stats", each stage object is
 * opened with tg_self_slot/tg_next_slot/tg_fail_closed set in .rodata,
 * bound to those maps with bpf_map__reuse_fd(), loaded tail to head,
 * written into bank A tail to head, and slot 0 is written last.
 *
 * Self-contained on purpose (libbpf only): the Makefile links each tools/NAME.c
 * against libbpf, libelf, zlib and libyaml and nothing of the orchestrator.
 * Output is Markdown on stdout; raw figures go to the -o file.
 */
#include <errno.h>
#include <getopt.h>
#include <limits.h>
#include <sched.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <arpa/inet.h>
#include <netinet/in.h>
#include <linux/if_ether.h>
#include <linux/ip.h>
#include <linux/udp.h>
#include <linux/pkt_cls.h>
#include <bpf/bpf.h>
#include <bpf/btf.h>
#include <bpf/libbpf.h>

#include "../bpf/include/tailgate_abi.h"

#define MAX_CHAIN	8
#define MAX_ROUNDS	32
#define PKT_LEN		64
#define XDP_PASS_CODE	2

static const int chain_lens[] = { 1, 2, 4, 8 };
#define NR_LENS		((int)(sizeof(chain_lens) / sizeof(chain_lens[0])))

static const char *build_dir = "build";

static double now_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec * 1e9 + ts.tv_nsec;
}

static void die(const char *what, int err)
{
	fprintf(stderr, "bench_dispatch: %s: %s\n", what, strerror(err < 0 ? -err : err));
	exit(1);
}

static int libbpf_quiet(enum libbpf_print_level level, const char *fmt, va_list ap)
{
	return level == LIBBPF_WARN ? vfprintf(stderr, fmt, ap) : 0;
}

/* Objects and .rodata, as the loader does it */

static char *obj_path(const char *rel)
{
	static char buf[4][PATH_MAX];
	static int i;

	i = (i + 1) % 4;
	snprintf(buf[i], sizeof(buf[i]), "%s/%s", build_dir, rel);
	return buf[i];
}

static struct bpf_map *rodata_map(struct bpf_object *obj)
{
	struct bpf_map *m;
	const char *n;

	bpf_object__for_each_map(m, obj) {
		n = bpf_map__name(m);
		if (bpf_map__is_internal(m) && strlen(n) >= 7 &&
		    !strcmp(n + strlen(n) - 7, ".rodata"))
			return m;
	}
	return NULL;
}

/* Write @len bytes of @val into the .rodata variable @var before load. */
static int rodata_set(struct bpf_object *obj, const char *var, const void *val, size_t len)
{
	struct btf *btf = bpf_object__btf(obj);
	const struct btf_var_secinfo *vs;
	struct bpf_map *m = rodata_map(obj);
	const struct btf_type *sec;
	const void *cur;
	size_t sz;
	char *data;
	int id, i, err;

	id = btf && m ? btf__find_by_name_kind(btf, ".rodata", BTF_KIND_DATASEC) : -ENOENT;
	if (id < 0)
		return -ENOENT;
	sec = btf__type_by_id(btf, id);
	vs = btf_var_secinfos(sec);
	for (i = 0; i < btf_vlen(sec); i++, vs++) {
		const struct btf_type *t = btf__type_by_id(btf, vs->type);

		if (strcmp(btf__name_by_offset(btf, t->name_off), var))
			continue;
		cur = bpf_map__initial_value(m, &sz);
		if (!cur || vs->size != len || vs->offset + len > sz)
			return -EINVAL;
		data = malloc(sz);
		if (!data)
			return -ENOMEM;
		memcpy(data, cur, sz);
		memcpy(data + vs->offset, val, len);
		err = bpf_map__set_initial_value(m, data, sz);
		free(data);
		return err;
	}
	return -ENOENT;
}

static int rodata_u32(struct bpf_object *obj, const char *var, __u32 v)
{
	return rodata_set(obj, var, &v, sizeof(v));
}

/* Autoload only @name (NAME, or NAME_tc for tc) and return it. */
static struct bpf_program *only_prog(struct bpf_object *obj, const char *name, int tc)
{
	struct bpf_program *p, *want;
	char full[128];

	snprintf(full, sizeof(full), "%s%s", name, tc ? "_tc" : "");
	want = bpf_object__find_program_by_name(obj, full);
	if (!want)
		return NULL;
	bpf_object__for_each_program(p, obj)
		bpf_program__set_autoload(p, p == want);
	return want;
}

static int reuse_maps(struct bpf_object *obj, int slots_fd, int stats_fd)
{
	struct bpf_map *m;
	int err;

	m = bpf_object__find_map_by_name(obj, TG_MAP_SLOTS);
	if (m && (err = bpf_map__reuse_fd(m, slots_fd)))
		return err;
	m = bpf_object__find_map_by_name(obj, TG_MAP_STATS);
	if (m && (err = bpf_map__reuse_fd(m, stats_fd)))
		return err;
	return 0;
}

/* One attach point's worth: the real dispatcher and a chain in bank A. */
struct chain {
	int n;
	int tc;
	int disp_fd;
	int slots_fd;
	int stats_fd;
	int st_fd[MAX_CHAIN];
	struct bpf_object *objs[MAX_CHAIN + 1];
};

/* The real dispatcher, unless a bench object's is asked for. */
static void chain_dispatcher(struct chain *c, const char *object, const char *prog)
{
	struct bpf_object *obj;
	struct bpf_program *p;
	int err;

	obj = bpf_object__open_file(obj_path(object ?: "bpf/dispatcher.bpf.o"), NULL);
	if (!obj)
		die("open dispatcher object (run make)", errno);
	if (object)
		p = only_prog(obj, prog, c->tc);
	else
		p = only_prog(obj, c->tc ? "tg_dispatch_tc" : "tg_dispatch_xdp", 0);
	if (!p)
		die("dispatcher program", ENOENT);
	err = rodata_u32(obj, "tg_fail_closed", 0) ?: bpf_object__load(obj);
	if (err)
		die("load dispatcher", err);
	c->objs[MAX_CHAIN] = obj;
	c->disp_fd = bpf_program__fd(p);
	c->slots_fd = bpf_map__fd(bpf_object__find_map_by_name(obj, TG_MAP_SLOTS));
	c->stats_fd = bpf_map__fd(bpf_object__find_map_by_name(obj, TG_MAP_STATS));
}

static int stage_load(struct chain *c, int i, const char *object, const char *prog)
{
	__u32 self = TG_BANK_BASE(0) + i;
	__u32 next = i + 1 < c->n ? self + 1 : TG_SLOT_NONE;
	struct bpf_object *obj;
	struct bpf_program *p;
	int err;

	obj = bpf_object__open_file(obj_path(object), NULL);
	if (!obj)
		return -errno;
	p = only_prog(obj, prog, c->tc);
	if (!p)
		return -ENOENT;
	err = rodata_u32(obj, "tg_self_slot", self) ?:
	      rodata_u32(obj, "tg_next_slot", next) ?:
	      rodata_u32(obj, "tg_fail_closed", 0) ?:
	      reuse_maps(obj, c->slots_fd, c->stats_fd) ?:
	      bpf_object__load(obj);
	if (err)
		return err;
	c->objs[i] = obj;
	c->st_fd[i] = bpf_program__fd(p);
	return 0;
}

static void chain_build(struct chain *c, int tc, int n, const char *disp_object,
			const char *disp_prog, const char *object, const char *prog)
{
	__u32 key;
	int i, err;

	memset(c, 0, sizeof(*c));
	c->n = n;
	c->tc = tc;
	chain_dispatcher(c, disp_object, disp_prog);
	/* Tail to head, as loader__load() and loader__install() do. */
	for (i = n - 1; i >= 0; i--) {
		err = stage_load(c, i, object, prog);
		if (err)
			die("load stage", err);
	}
	for (i = n - 1; i >= 0; i--) {
		key = TG_BANK_BASE(0) + i;
		if (bpf_map_update_elem(c->slots_fd, &key, &c->st_fd[i], BPF_ANY))
			die("write bank", errno);
	}
	key = TG_SLOT_ENTRY;
	if (bpf_map_update_elem(c->slots_fd, &key, &c->st_fd[0], BPF_ANY))
		die("flip slot 0", errno);
}

static void chain_free(struct chain *c)
{
	int i;

	for (i = 0; i <= MAX_CHAIN; i++)
		bpf_object__close(c->objs[i]);
	memset(c, 0, sizeof(*c));
}

/* Sum of one slot's per-CPU counters. */
static int stats_read(int stats_fd, __u32 slot, struct tg_stats *sum)
{
	int ncpu = libbpf_num_possible_cpus(), i;
	struct tg_stats *v = calloc(ncpu, sizeof(*v));

	if (!v)
		return -ENOMEM;
	memset(sum, 0, sizeof(*sum));
	if (bpf_map_lookup_elem(stats_fd, &slot, v)) {
		free(v);
		return -errno;
	}
	for (i = 0; i < ncpu; i++) {
		sum->packets += v[i].packets;
		sum->pass += v[i].pass;
		sum->continued += v[i].continued;
		sum->tail_miss += v[i].tail_miss;
	}
	free(v);
	return 0;
}

/* A 64-byte Ethernet/IPv4/UDP frame, 198.18.0.1 -> 198.18.0.2. */
static void make_packet(unsigned char *pkt)
{
	struct ethhdr *eth = (void *)pkt;
	struct iphdr *ip = (void *)(eth + 1);
	struct udphdr *udp = (void *)(ip + 1);

	memset(pkt, 0, PKT_LEN);
	memcpy(eth->h_dest, "\x02\x00\x00\x00\x00\x02", ETH_ALEN);
	memcpy(eth->h_source, "\x02\x00\x00\x00\x00\x01", ETH_ALEN);
	eth->h_proto = htons(ETH_P_IP);
	ip->version = 4;
	ip->ihl = 5;
	ip->ttl = 64;
	ip->protocol = IPPROTO_UDP;
	ip->tot_len = htons(PKT_LEN - sizeof(*eth));
	ip->saddr = htonl(0xc6120001);
	ip->daddr = htonl(0xc6120002);
	udp->source = htons(4000);
	udp->dest = htons(5000);
	udp->len = htons(PKT_LEN - sizeof(*eth) - sizeof(*ip));
}

/* ns per packet measured around the syscall (sub-ns resolution; the
 * kernel's own "duration" is rounded down to whole ns). */
static double test_run(int fd, int tc, int repeat, __u32 *kern_ns)
{
	unsigned char pkt[PKT_LEN];
	LIBBPF_OPTS(bpf_test_run_opts, o, .data_in = pkt, .data_size_in = sizeof(pkt),
		    .repeat = repeat);
	double t0, t1;

	make_packet(pkt);
	t0 = now_ns();
	if (bpf_prog_test_run_opts(fd, &o))
		die("BPF_PROG_TEST_RUN", errno);
	t1 = now_ns();
	if (o.retval != (tc ? TC_ACT_OK : XDP_PASS_CODE)) {
		fprintf(stderr, "bench_dispatch: unexpected verdict %u\n", o.retval);
		exit(1);
	}
	if (kern_ns)
		*kern_ns = o.duration;
	return (t1 - t0) / repeat;
}

/* run: dispatch overhead */

enum variant { V_TG, V_MONO, V_LIBXDP, V_DYN, V_LEAN, V_BARE, V_FLOOR, NR_VARIANTS };

static const char *variant_name[] = {
	[V_TG] = "tailgate", [V_MONO] = "monolith", [V_LIBXDP] = "libxdp-model",
	[V_DYN] = "tailgate-map-key", [V_LEAN] = "tailgate-lean-prototype",
	[V_BARE] = "bare-tail-calls", [V_FLOOR] = "empty-program",
};

/* The chain variants: dispatcher object/program (NULL: the real one),
 * stage object/program. */
static const struct {
	const char *disp_obj, *disp_prog, *obj, *prog;
} chain_kind[NR_VARIANTS] = {
	[V_TG] = { NULL, NULL, "tests/bpf/bench_pass.bpf.o", "bench_pass" },
	[V_DYN] = { NULL, NULL, "tests/bpf/bench_dyn.bpf.o", "bench_dyn" },
	[V_LEAN] = { "tests/bpf/bench_lean.bpf.o", "bench_lean_disp",
		     "tests/bpf/bench_lean.bpf.o", "bench_lean" },
	[V_BARE] = { "tests/bpf/bench_bare.bpf.o", "bench_bare_disp",
		     "tests/bpf/bench_bare.bpf.o", "bench_bare" },
};

static int is_chain(enum variant v)
{
	return chain_kind[v].obj != NULL;
}

struct hook_bench {
	int tc;
	struct chain ch[NR_VARIANTS][NR_LENS];
	struct chain scratch;	/* own slots/stats for monolith and libxdp model */
	struct bpf_object *mono;
	int mono_fd[NR_LENS];
	int floor_fd;
	struct bpf_object *libxdp[NR_LENS];
	int libxdp_fd[NR_LENS];
	double ns[NR_VARIANTS][NR_LENS][MAX_ROUNDS];
	__u32 kns[NR_VARIANTS][NR_LENS][MAX_ROUNDS];
};

static void load_mono(struct hook_bench *h)
{
	struct bpf_program *p;
	char name[64];
	int i, err;

	h->mono = bpf_object__open_file(obj_path("tests/bpf/bench_mono.bpf.o"), NULL);
	if (!h->mono)
		die("open bench_mono.bpf.o", errno);
	bpf_object__for_each_program(p, h->mono)
		bpf_program__set_autoload(p, (bpf_program__type(p) == BPF_PROG_TYPE_SCHED_CLS) == h->tc);
	/* A stats map like the chains' (same type and layout), its own so
	 * the chains' counters can be checked afterwards. */
	err = reuse_maps(h->mono, h->scratch.slots_fd, h->scratch.stats_fd) ?:
	      bpf_object__load(h->mono);
	if (err)
		die("load bench_mono", err);
	for (i = 0; i <= NR_LENS; i++) {
		snprintf(name, sizeof(name), "bench_mono_%d%s", i ? chain_lens[i - 1] : 0,
			 h->tc ? "_tc" : "");
		p = bpf_object__find_program_by_name(h->mono, name);
		if (!p)
			die(name, ENOENT);
		if (i)
			h->mono_fd[i - 1] = bpf_program__fd(p);
		else
			h->floor_fd = bpf_program__fd(p);
	}
}

/* libxdp's struct xdp_dispatcher_config, reduced to what the model uses. */
struct bench_disp_conf {
	__u8 num_progs_enabled;
	__u32 chain_call_actions[MAX_CHAIN];
};

static void load_libxdp(struct hook_bench *h, int li)
{
	struct bench_disp_conf conf = { .num_progs_enabled = chain_lens[li] };
	struct bpf_object *obj;
	struct bpf_program *p;
	int i, err;

	for (i = 0; i < MAX_CHAIN; i++)
		conf.chain_call_actions[i] = 1u << (h->tc ? TC_ACT_OK : XDP_PASS_CODE);
	obj = bpf_object__open_file(obj_path("tests/bpf/bench_libxdp.bpf.o"), NULL);
	if (!obj)
		die("open bench_libxdp.bpf.o", errno);
	p = only_prog(obj, "bench_libxdp", h->tc);
	err = p ? 0 : -ENOENT;
	err = err ?: rodata_set(obj, "bench_conf", &conf, sizeof(conf)) ?:
	      reuse_maps(obj, h->scratch.slots_fd, h->scratch.stats_fd) ?:
	      bpf_object__load(obj);
	if (err)
		die("load bench_libxdp", err);
	h->libxdp[li] = obj;
	h->libxdp_fd[li] = bpf_program__fd(p);
}

static void hook_setup(struct hook_bench *h, int tc)
{
	int i;

	memset(h, 0, sizeof(*h));
	h->tc = tc;
	h->scratch.tc = tc;
	chain_dispatcher(&h->scratch, NULL, NULL);
	for (i = 0; i < NR_LENS; i++) {
		enum variant v;

		for (v = 0; v < NR_VARIANTS; v++)
			if (is_chain(v))
				chain_build(&h->ch[v][i], tc, chain_lens[i], chain_kind[v].disp_obj,
					    chain_kind[v].disp_prog, chain_kind[v].obj,
					    chain_kind[v].prog);
		load_libxdp(h, i);
	}
	load_mono(h);
}

static int variant_fd(struct hook_bench *h, enum variant v, int li)
{
	if (is_chain(v))
		return h->ch[v][li].disp_fd;
	switch (v) {
	case V_MONO:
		return h->mono_fd[li];
	case V_LIBXDP:
		return h->libxdp_fd[li];
	default:
		return h->floor_fd;
	}
}

/* Interleaved: every round runs every variant once, so drift and other
 * load on the machine hit all columns alike. */
static void hook_measure(struct hook_bench *h, int repeat, int rounds)
{
	enum variant v;
	int r, li;

	for (v = 0; v < NR_VARIANTS; v++)	/* warm-up */
		for (li = 0; li < NR_LENS; li++)
			test_run(variant_fd(h, v, li), h->tc, repeat / 10 + 1, NULL);
	for (r = 0; r < rounds; r++)
		for (li = 0; li < NR_LENS; li++)
			for (v = 0; v < NR_VARIANTS; v++) {
				if (v == V_FLOOR && li)
					continue;
				h->ns[v][li][r] = test_run(variant_fd(h, v, li), h->tc, repeat,
							   &h->kns[v][li][r]);
			}
}

static int cmp_double(const void *a, const void *b)
{
	double x = *(const double *)a, y = *(const double *)b;

	return x < y ? -1 : x > y;
}

struct summary {
	double med, min, max;
};

static struct summary summarize(const double *vals, int n)
{
	double s[MAX_ROUNDS];
	struct summary r;

	memcpy(s, vals, n * sizeof(*s));
	qsort(s, n, sizeof(*s), cmp_double);
	r.min = s[0];
	r.max = s[n - 1];
	r.med = n % 2 ? s[n / 2] : (s[n / 2 - 1] + s[n / 2]) / 2;
	return r;
}

/* Least-squares slope of ns against chain length within run @r. */
static double slope_round(struct hook_bench *h, enum variant v, int r)
{
	double sx = 0, sy = 0, sxx = 0, sxy = 0, x, y;
	int li;

	for (li = 0; li < NR_LENS; li++) {
		x = chain_lens[li];
		y = h->ns[v][li][r];
		sx += x;
		sy += y;
		sxx += x * x;
		sxy += x * y;
	}
	return (NR_LENS * sxy - sx * sy) / (NR_LENS * sxx - sx * sx);
}

/*
 * Paired statistics: the variants of one run execute back to back, so
 * per-run slopes, slope differences and ratios cancel most of the load
 * other tasks put on this shared machine; their median is reported.
 * @b = NR_VARIANTS: the slope of @a alone.
 */
static struct summary slope_sum(struct hook_bench *h, enum variant a, enum variant b, int rounds)
{
	double v[MAX_ROUNDS];
	int r;

	for (r = 0; r < rounds; r++)
		v[r] = slope_round(h, a, r) - (b == NR_VARIANTS ? 0 : slope_round(h, b, r));
	return summarize(v, rounds);
}

static struct summary ratio_sum(struct hook_bench *h, enum variant a, enum variant b, int li,
				int rounds)
{
	double v[MAX_ROUNDS];
	int r;

	for (r = 0; r < rounds; r++)
		v[r] = h->ns[a][li][r] / h->ns[b][li][r];
	return summarize(v, rounds);
}

/*
 * Every packet the head stage saw reached the last stage's pass counter,
 * and no tail call missed anywhere (slot 0 included: the dispatcher
 * counts only the packets that find slot 0 empty).
 */
static int hook_check(struct hook_bench *h, char *buf, size_t len)
{
	static const enum variant kinds[] = { V_TG, V_DYN, V_LEAN, V_BARE };
	struct tg_stats head, last, s;
	__u64 miss = 0;
	int li, k, bad = 0, n = 0;

	for (li = 0; li < NR_LENS; li++)
		for (k = 0; k < 3; k++) {	/* bare chains count nothing */
			struct chain *c = &h->ch[kinds[k]][li];
			__u32 slot;

			if (stats_read(c->stats_fd, TG_BANK_BASE(0), &head) ||
			    stats_read(c->stats_fd, TG_BANK_BASE(0) + c->n - 1, &last))
				return -EIO;
			for (slot = 0; slot <= TG_BANK_BASE(0) + c->n - 1; slot++) {
				if (stats_read(c->stats_fd, slot, &s))
					return -EIO;
				miss += s.tail_miss;
			}
			if (head.packets == 0 || last.pass != head.packets)
				bad++;
			n++;
		}
	snprintf(buf, len, "%s: on all %d counting chains every packet the head stage counted reached the last stage's pass counter; tail misses %llu",
		 bad || miss ? "FAILED" : "ok", n, (unsigned long long)miss);
	return bad || miss ? -EPROTO : 0;
}

static void print_cell(struct summary s)
{
	printf(" %.2f (%.2f–%.2f) |", s.med, s.min, s.max);
}

static void hook_report(struct hook_bench *h, int rounds, int repeat, FILE *raw, FILE *sum)
{
	const char *hook = h->tc ? "tc" : "xdp";
	struct summary m[NR_VARIANTS][NR_LENS], sl[NR_VARIANTS], hop, dyn, rm, rl, fl;
	char check[256];
	int li, r;
	enum variant v;

	for (v = 0; v < NR_VARIANTS; v++)
		for (li = 0; li < NR_LENS; li++) {
			if (v == V_FLOOR && li)
				continue;
			m[v][li] = summarize(h->ns[v][li], rounds);
			for (r = 0; r < rounds && raw; r++)
				fprintf(raw, "%s\t%s\t%d\t%d\t%.3f\t%u\n", hook, variant_name[v],
					v == V_FLOOR ? 0 : chain_lens[li], r + 1, h->ns[v][li][r],
					h->kns[v][li][r]);
		}
	for (v = 0; v < V_FLOOR; v++)
		sl[v] = slope_sum(h, v, NR_VARIANTS, rounds);
	hop = slope_sum(h, V_TG, V_MONO, rounds);
	dyn = slope_sum(h, V_DYN, V_TG, rounds);
	fl = m[V_FLOOR][0];
	printf("\n#### %s: BPF_PROG_TEST_RUN, %d-byte packet, repeat %d, %d runs; ns/packet, median (min–max)\n\n",
	       h->tc ? "tc (SCHED_CLS)" : "XDP", PKT_LEN, repeat, rounds);
	printf("| stages | tailgate | monolith | libxdp model | tailgate − monolith | tailgate / monolith | tailgate / libxdp model |\n");
	printf("|---:|---:|---:|---:|---:|---:|---:|\n");
	for (li = 0; li < NR_LENS; li++) {
		rm = ratio_sum(h, V_TG, V_MONO, li, rounds);
		rl = ratio_sum(h, V_TG, V_LIBXDP, li, rounds);
		printf("| %d |", chain_lens[li]);
		print_cell(m[V_TG][li]);
		print_cell(m[V_MONO][li]);
		print_cell(m[V_LIBXDP][li]);
		printf(" %+.2f ns | %.2fx (%.2f–%.2f) | %.2fx (%.2f–%.2f) |\n",
		       m[V_TG][li].med - m[V_MONO][li].med, rm.med, rm.min, rm.max, rl.med, rl.min,
		       rl.max);
		if (sum)
			fprintf(sum, "%s_ratio_monolith_%d %.3f %.3f %.3f\n%s_ratio_libxdp_%d %.3f %.3f %.3f\n",
				hook, chain_lens[li], rm.med, rm.min, rm.max, hook, chain_lens[li],
				rl.med, rl.min, rl.max);
	}
	printf("\nRatios and slopes are medians of per-run values (the variants of a run execute back to back, which cancels most load from other tasks); the ns columns are medians of each variant on its own.\n");
	printf("Slope of ns vs chain length (least squares over 1, 2, 4, 8 stages): tailgate **%.2f ns/stage** (%.2f–%.2f), monolith %.2f (%.2f–%.2f), libxdp model %.2f (%.2f–%.2f).\n",
	       sl[V_TG].med, sl[V_TG].min, sl[V_TG].max, sl[V_MONO].med, sl[V_MONO].min,
	       sl[V_MONO].max, sl[V_LIBXDP].med, sl[V_LIBXDP].min, sl[V_LIBXDP].max);
	printf("One tail-call hop (%s): **%.2f ns** (%.2f–%.2f) beyond the same work inlined (tailgate − monolith slope); %.2f ns per added stage including the stage's own counter work.\n",
	       hook, hop.med, hop.min, hop.max, sl[V_TG].med);
	printf("Empty program (the test-run harness floor, in every figure above): %.2f ns (%.2f–%.2f).\n",
	       fl.med, fl.min, fl.max);
	printf("\nMechanism checks (%s), same harness:\n\n", hook);
	printf("| stages | tailgate (rodata key, direct) | map-read key (indirect) | lean prototype (bench_lean) | bare tail calls, no counters |\n");
	printf("|---:|---:|---:|---:|---:|\n");
	for (li = 0; li < NR_LENS; li++) {
		printf("| %d |", chain_lens[li]);
		print_cell(m[V_TG][li]);
		print_cell(m[V_DYN][li]);
		print_cell(m[V_LEAN][li]);
		print_cell(m[V_BARE][li]);
		printf("\n");
	}
	printf("\nSlopes: direct %.2f, map-read key %.2f (**+%.2f ns per hop (%.2f–%.2f) when the key is not a load-time constant**: indirect, retpolined tail call), lean prototype %.2f, bare %.2f ns/stage.\n",
	       sl[V_TG].med, sl[V_DYN].med, dyn.med, dyn.min, dyn.max, sl[V_LEAN].med,
	       sl[V_BARE].med);
	hook_check(h, check, sizeof(check));
	printf("Counter check: %s.\n", check);
	for (v = 0; v < NR_VARIANTS && sum; v++) {
		for (li = 0; li < NR_LENS; li++)
			if (v != V_FLOOR || !li)
				fprintf(sum, "%s_%s_%d %.3f %.3f %.3f\n", hook, variant_name[v],
					v == V_FLOOR ? 0 : chain_lens[li], m[v][li].med,
					m[v][li].min, m[v][li].max);
		if (v != V_FLOOR)
			fprintf(sum, "%s_slope_%s %.3f %.3f %.3f\n", hook, variant_name[v],
				sl[v].med, sl[v].min, sl[v].max);
	}
	if (sum)
		fprintf(sum, "%s_hop %.3f %.3f %.3f\n%s_mapkey_extra %.3f %.3f %.3f\n", hook, hop.med,
			hop.min, hop.max, hook, dyn.med, dyn.min, dyn.max);
	if (raw) {
		fprintf(raw, "# %s slope", hook);
		for (v = 0; v < V_FLOOR; v++)
			fprintf(raw, " %s=%.3f", variant_name[v], sl[v].med);
		fprintf(raw, " floor=%.3f\n", fl.med);
	}
}

static void hook_free(struct hook_bench *h)
{
	int i;

	for (i = 0; i < NR_LENS; i++) {
		enum variant v;

		for (v = 0; v < NR_VARIANTS; v++)
			chain_free(&h->ch[v][i]);
		bpf_object__close(h->libxdp[i]);
	}
	bpf_object__close(h->mono);
	chain_free(&h->scratch);
}

static void pin_cpu(void)
{
	cpu_set_t set;
	int cpu = sched_getcpu();

	struct sched_param sp = { .sched_priority = 10 };

	/* Stay on one CPU: test runs are migrate-disabled anyway, and a
	 * move mid-run would charge the cold caches to one variant. */
	CPU_ZERO(&set);
	CPU_SET(cpu < 0 ? 0 : cpu, &set);
	sched_setaffinity(0, sizeof(set), &set);
	/* Wall-clock timing: keep other tasks on this shared machine from
	 * preempting a run (RT throttling still leaves them 5%). */
	if (sched_setscheduler(0, SCHED_FIFO, &sp))
		setpriority(PRIO_PROCESS, 0, -10);
}

static int cmd_run(int repeat, int rounds, const char *raw_path, const char *sum_path)
{
	static struct hook_bench h;
	FILE *raw = NULL, *sum = NULL;
	int tc;

	if (rounds < 1 || rounds > MAX_ROUNDS)
		die("rounds must be 1..32", EINVAL);
	if (raw_path && !(raw = fopen(raw_path, "w")))
		die(raw_path, errno);
	if (sum_path && !(sum = fopen(sum_path, "w")))
		die(sum_path, errno);
	if (raw)
		fprintf(raw, "# hook\tvariant\tstages\trun\tns_per_pkt_wall\tns_per_pkt_kernel\n");
	pin_cpu();
	for (tc = 0; tc <= 1; tc++) {
		hook_setup(&h, tc);
		hook_measure(&h, repeat, rounds);
		hook_report(&h, rounds, repeat, raw, sum);
		hook_free(&h);
	}
	if (raw)
		fclose(raw);
	if (sum)
		fclose(sum);
	return 0;
}

/* jit: direct or indirect tail calls, from the JIT image itself */

struct jit_img {
	__u64 addr;
	__u32 len;
	__u32 id;
	unsigned char *buf;
};

static int jit_get(int fd, struct jit_img *j)
{
	struct bpf_prog_info info = {};
	__u32 len = sizeof(info), ilen;
	__u64 ksym[4] = {};

	if (bpf_obj_get_info_by_fd(fd, &info, &len))
		return -errno;
	ilen = info.jited_prog_len;
	j->id = info.id;
	j->buf = calloc(1, ilen);
	if (!j->buf)
		return -ENOMEM;
	memset(&info, 0, sizeof(info));
	info.jited_prog_len = ilen;
	info.jited_prog_insns = (__u64)(unsigned long)j->buf;
	info.nr_jited_ksyms = 4;
	info.jited_ksyms = (__u64)(unsigned long)ksym;
	len = sizeof(info);
	if (bpf_obj_get_info_by_fd(fd, &info, &len))
		return -errno;
	j->len = ilen;
	j->addr = ksym[0];
	return j->addr && j->len ? 0 : -EPERM;
}

struct ksym {
	__u64 addr;
	char name[128];
};

static int thunks_load(struct ksym *t, int max)
{
	FILE *f = fopen("/proc/kallsyms", "r");
	char line[256], name[128], type;
	unsigned long long a;
	int n = 0;

	if (!f)
		return 0;
	while (n < max && fgets(line, sizeof(line), f))
		if (sscanf(line, "%llx %c %127s", &a, &type, name) == 3 &&
		    !strncmp(name, "__x86_indirect", 14) && a) {
			t[n].addr = a;
			snprintf(t[n].name, sizeof(t[n].name), "%s", name);
			n++;
		}
	fclose(f);
	return n;
}

static void jit_dump(const char *dir, const char *label, const struct jit_img *j)
{
	char path[PATH_MAX];
	FILE *f;

	snprintf(path, sizeof(path), "%s/jit-%s.bin", dir, label);
	f = fopen(path, "w");
	if (!f)
		return;
	fwrite(j->buf, 1, j->len, f);
	fclose(f);
	snprintf(path, sizeof(path), "%s/jit-%s.addr", dir, label);
	f = fopen(path, "w");
	if (f) {
		fprintf(f, "0x%llx\n", (unsigned long long)j->addr);
		fclose(f);
	}
}

/*
 * Scan @from for 5-byte "jmp rel32" (0xe9) whose target lies inside @to
 * (a direct tail call lands just past @to's prologue) or on a retpoline
 * thunk, and for register-indirect "jmp *%reg" (ff e0+r).
 */
static void jit_classify(const char *label, const struct jit_img *from,
			 const struct jit_img *to, const struct ksym *th, int nth)
{
	int direct = 0, thunk = 0, regjmp = 0, k;
	__u32 i;

	for (i = 0; i + 5 <= from->len; i++) {
		__s32 rel;
		__u64 tgt;

		if (from->buf[i] == 0xff && i + 1 < from->len && (from->buf[i + 1] & 0xf8) == 0xe0 &&
		    !(i && (from->buf[i - 1] & 0xf0) == 0x40 && from->buf[i - 1] != 0x41)) {
			/* possible "jmp *%reg"; report, do not over-claim */
			regjmp++;
		}
		if (from->buf[i] != 0xe9)
			continue;
		memcpy(&rel, from->buf + i + 1, 4);
		tgt = from->addr + i + 5 + (__s64)rel;
		if (to && tgt >= to->addr && tgt < to->addr + to->len) {
			printf("- %s: `jmp rel32` (e9) at 0x%llx (+0x%x) → prog id %u + 0x%llx: **direct tail call** patched into the image\n",
			       label, (unsigned long long)(from->addr + i), i, to->id,
			       (unsigned long long)(tgt - to->addr));
			direct++;
		}
		for (k = 0; k < nth; k++)
			if (tgt == th[k].addr) {
				printf("- %s: `jmp %s` (e9) at 0x%llx (+0x%x): **indirect tail call** through the retpoline thunk\n",
				       label, th[k].name, (unsigned long long)(from->addr + i), i);
				thunk++;
			}
	}
	if (!direct && !thunk)
		printf("- %s: no direct jump into the next program and no thunk jump found (%d possible `jmp *%%reg` byte pairs)\n",
		       label, regjmp);
}

static int cmd_jit(const char *dir)
{
	static const enum variant kinds[] = { V_TG, V_DYN, V_LEAN, V_BARE };
	static const char *labels[] = {
		"bench_pass stage, slot 1 → 2 (tg_tail_call_rodata, rodata key)",
		"bench_dyn stage, slot 1 → 2 (key read from a map)",
		"bench_lean stage, slot 1 → 2 (register-pinned rodata key)",
		"bench_bare stage, slot 1 → 2 (rodata key, no counters)",
	};
	struct chain ch[4];
	struct jit_img d, s0, s1;
	struct ksym th[128];
	char name[64];
	int nth = thunks_load(th, 128), k, err;

	mkdir(dir, 0755);
	printf("JIT images of XDP chains of 2 stages (x86-64; %d retpoline/indirect thunk symbols in kallsyms):\n\n",
	       nth);
	for (k = 0; k < 4; k++) {
		enum variant v = kinds[k];

		chain_build(&ch[k], 0, 2, chain_kind[v].disp_obj, chain_kind[v].disp_prog,
			    chain_kind[v].obj, chain_kind[v].prog);
		memset(&d, 0, sizeof(d));
		memset(&s0, 0, sizeof(s0));
		memset(&s1, 0, sizeof(s1));
		err = jit_get(ch[k].disp_fd, &d) ?: jit_get(ch[k].st_fd[0], &s0) ?:
		      jit_get(ch[k].st_fd[1], &s1);
		if (err)
			die("read JIT image (bpf_obj_get_info_by_fd jited_prog_insns)", err);
		if (v == V_TG)
			jit_classify("real dispatcher, slot 0 (bpf_tail_call_static)", &d, &s0, th, nth);
		jit_classify(labels[k], &s0, &s1, th, nth);
		snprintf(name, sizeof(name), "%s-dispatcher", variant_name[v]);
		jit_dump(dir, name, &d);
		snprintf(name, sizeof(name), "%s-stage", variant_name[v]);
		jit_dump(dir, name, &s0);
		printf("  (%s: dispatcher %u bytes, stage %u bytes of x86 code)\n", variant_name[v],
		       d.len, s0.len);
		free(d.buf);
		free(s0.buf);
		free(s1.buf);
	}
	for (k = 0; k < 4; k++)
		chain_free(&ch[k]);
	return 0;
}

/* load: what one stage costs to load and verify, by phase */

static __u64 log_usec(const char *log, const char *key)
{
	const char *p = strstr(log, key);

	return p ? strtoull(p + strlen(key), NULL, 10) : 0;
}

static char *read_file(const char *path, size_t *len)
{
	FILE *f = fopen(path, "r");
	char *buf;
	long n;

	if (!f)
		return NULL;
	fseek(f, 0, SEEK_END);
	n = ftell(f);
	rewind(f);
	buf = malloc(n);
	if (buf && fread(buf, 1, n, f) != (size_t)n) {
		free(buf);
		buf = NULL;
	}
	fclose(f);
	*len = n;
	return buf;
}

static int cmd_load(int iters, const char *btf_path, int argc, char **argv)
{
	static char log[64 << 10];
	struct chain ap = { .n = 0 };
	double t0, t1, t2, open_ms[MAX_ROUNDS], load_ms[MAX_ROUNDS], ver_ms[MAX_ROUNDS];
	struct rusage ru;
	int a, i;

	if (iters < 1 || iters > MAX_ROUNDS)
		die("iterations must be 1..32", EINVAL);
	chain_dispatcher(&ap, NULL, NULL);
	/* The vmlinux BTF parse libbpf does for every object with CO-RE
	 * relocations (vmlinux.h types carry preserve_access_index). */
	for (i = 0; i < iters; i++) {
		struct btf *v;

		t0 = now_ns();
		v = btf_path ? btf__parse(btf_path, NULL) : btf__load_vmlinux_btf();
		t1 = now_ns();
		if (!v)
			die("parse BTF", errno);
		btf__free(v);
		open_ms[i] = (t1 - t0) / 1e6;
	}
	struct summary vb = summarize(open_ms, iters);

	printf("| object:program | open (ELF+BTF) ms | load total ms | of which verifier ms | %s parse ms |\n",
	       btf_path ? "custom BTF" : "vmlinux BTF");
	printf("|---|---:|---:|---:|---:|\n");
	for (a = 0; a < argc; a++) {
		char spec[256], *prog;
		size_t len;
		char *elf;

		snprintf(spec, sizeof(spec), "%s", argv[a]);
		prog = strchr(spec, ':');
		if (!prog)
			die("OBJ:PROG expected", EINVAL);
		*prog++ = '\0';
		elf = read_file(spec, &len);
		if (!elf)
			die(spec, errno);
		for (i = 0; i < iters; i++) {
			LIBBPF_OPTS(bpf_object_open_opts, oo, .object_name = prog,
				    .btf_custom_path = btf_path);
			struct bpf_object *obj;
			struct bpf_program *p;
			int err;

			t0 = now_ns();
			obj = bpf_object__open_mem(elf, len, &oo);
			t1 = now_ns();
			if (!obj)
				die("open", errno);
			p = only_prog(obj, prog, 0);
			if (!p)
				die(prog, ENOENT);
			log[0] = '\0';
			bpf_program__set_log_buf(p, log, sizeof(log));
			bpf_program__set_log_level(p, 4);	/* as the loader does */
			/* the dispatcher has only tg_fail_closed */
			rodata_u32(obj, "tg_self_slot", 1);
			rodata_u32(obj, "tg_next_slot", TG_SLOT_NONE);
			rodata_u32(obj, "tg_fail_closed", 0);
			err = reuse_maps(obj, ap.slots_fd, ap.stats_fd) ?: bpf_object__load(obj);
			t2 = now_ns();
			if (err)
				die("load", err);
			open_ms[i] = (t1 - t0) / 1e6;
			load_ms[i] = (t2 - t1) / 1e6;
			ver_ms[i] = log_usec(log, "verification time ") / 1e3;
			bpf_object__close(obj);
		}
		struct summary so = summarize(open_ms, iters), sl = summarize(load_ms, iters),
			       sv = summarize(ver_ms, iters);

		printf("| %s:%s | %.2f | %.2f (%.2f–%.2f) | %.3f | %.2f |\n", strrchr(spec, '/') ?
		       strrchr(spec, '/') + 1 : spec, prog, so.med, sl.med, sl.min, sl.max, sv.med,
		       vb.med);
		free(elf);
	}
	getrusage(RUSAGE_SELF, &ru);
	printf("\nPeak RSS of this loader-like process: %ld KiB.\n", ru.ru_maxrss);
	chain_free(&ap);
	return 0;
}

static void usage(void)
{
	fprintf(stderr,
		"usage: bench_dispatch run  [-b BUILD] [-r REPEAT] [-n ROUNDS] [-o RAW.tsv] [-s SUMMARY]\n"
		"       bench_dispatch jit  [-b BUILD] [-o DIR]\n"
		"       bench_dispatch load [-b BUILD] [-n ITERS] [-B BTF] OBJ:PROG...\n");
	exit(2);
}

int main(int argc, char **argv)
{
	const char *out = NULL, *btf = NULL, *sum = NULL, *cmd;
	int repeat = 10000000, rounds = 5, c;

	if (argc < 2)
		usage();
	cmd = argv[1];
	optind = 2;
	while ((c = getopt(argc, argv, "b:r:n:o:B:s:")) != -1) {
		switch (c) {
		case 'b':
			build_dir = optarg;
			break;
		case 'r':
			repeat = atoi(optarg);
			break;
		case 'n':
			rounds = atoi(optarg);
			break;
		case 'o':
			out = optarg;
			break;
		case 'B':
			btf = optarg;
			break;
		case 's':
			sum = optarg;
			break;
		default:
			usage();
		}
	}
	libbpf_set_print(libbpf_quiet);
	if (!strcmp(cmd, "run"))
		return cmd_run(repeat, rounds, out, sum);
	if (!strcmp(cmd, "jit"))
		return cmd_jit(out ? out : "build/bench");
	if (!strcmp(cmd, "load"))
		return cmd_load(rounds, btf, argc - optind, argv + optind);
	usage();
	return 2;
}
