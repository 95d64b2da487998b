// SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause)
/*
 * bench_dispatch: what a packet pays for tailgate's datapath, fused and
 * chained, against a monolithic program doing the same work and against a
 * model of libxdp's dispatcher; what wrapping costs per stage against the
 * old self-counting stage header; what the splitting dispatcher adds.
 *
 *   bench_dispatch IFNAME [-b BUILD] [-r REPEAT] [-n ROUNDS] [-o RAW.tsv] [-s SUMMARY]
 *
 * Every tailgate variant is loaded by the orchestrator's own code, linked
 * in: ap__prepare() makes an attach point's maps in memory for IFNAME
 * (nothing pinned, nothing attached), a plan is parsed by plan.c, the
 * stage objects read by object.c, gen__load() wraps and loads them (fused
 * or chained, as the plan's datapath says), gen__install() writes the
 * bank, ap__flip() slot 0; the dispatchers come from disp.c and the
 * counters are read through counters.c. The packet goes through the
 * dispatcher with BPF_PROG_TEST_RUN (bpfutil.c).
 *
 * Output is Markdown on stdout; every run's figures go to RAW.tsv and the
 * medians, slopes and ratios bench.sh quotes to SUMMARY ("key med min max").
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
#include <arpa/inet.h>
#include <linux/if_ether.h>
#include <linux/ip.h>
#include <linux/udp.h>
#include <linux/pkt_cls.h>
#include <bpf/bpf.h>
#include <bpf/libbpf.h>

#include "ap.h"
#include "bpfutil.h"
#include "counters.h"
#include "disp.h"
#include "gen.h"
#include "log.h"
#include "object.h"
#include "plan.h"
#include "slots.h"
#include "stage.h"
#include "lib/bench_dispatch.h"

/* Attach points of their own (V_SPLIT uses V_FUSED's). */
static bool has_ap(enum variant v)
{
	return v == V_FUSED || v == V_CHAINED || v == V_PLAIN || v == V_OLDHDR;
}

static const char *build_dir = "build";
static const char *ifname;

static void die(const char *what, int err)
{
	fprintf(stderr, "bench_dispatch: %s: %s\n", what, strerror(err < 0 ? -err : err));
	exit(1);
}

static double now_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec * 1e9 + ts.tv_nsec;
}

static const char *path(const char *rel)
{
	static char buf[4][PATH_MAX];
	static int i;

	i = (i + 1) % 4;
	snprintf(buf[i], sizeof(buf[i]), "%s/%s", build_dir, rel);
	return buf[i];
}

/* One attach point in memory, its dispatcher(s) and what its banks hold. */
struct tgap {
	struct ap ap;
	int disp_fd;
	int split_fd;			/* splitting dispatcher, V_FUSED only */
	struct gen_load gl[TG_NR_BANKS];
	struct bpf_object *old[TG_MAX_STAGES];
	__u64 sent;			/* packets run through its dispatchers */
};

struct hook_bench {
	enum plan_hook hook;
	bool xdp;
	struct tgap tg[NR_VARIANTS][NR_LENS];
	struct bpf_object *mono;
	int mono_fd[NR_LENS], floor_fd;
	struct bpf_object *libxdp[NR_LENS];
	int libxdp_fd[NR_LENS];
	struct bench_results res;
};

/* Loading, the way tailgate loads */

/* A plan of @n copies of one stage, parsed by plan.c like any plan file. */
static struct plan *make_plan(enum plan_hook hook, const char *obj, const char *prog, int n,
			      const char *datapath)
{
	struct plan_error perr;
	struct plan *p;
	char buf[8192];
	int len, i;

	len = snprintf(buf, sizeof(buf),
		       "name: bench\nhook: %s\ndatapath: %s\ninterfaces:\n  canary: [%s]\npipeline:\n",
		       plan__hook_name(hook), datapath, ifname);
	for (i = 0; i < n; i++)
		len += snprintf(buf + len, sizeof(buf) - len,
				"  - name: s%d\n    object: %s\n    program: %s\n", i, path(obj), prog);
	len += snprintf(buf + len, sizeof(buf) - len, "steps:\n  - canary: {}\n");
	p = plan__parse_buf(buf, len, "bench-plan", build_dir, &perr);
	if (!p) {
		fprintf(stderr, "bench_dispatch: plan: %s\n", perr.msg);
		exit(1);
	}
	return p;
}

static void tgap_open(struct hook_bench *h, struct tgap *t)
{
	struct disp_state plain = { .kind = DISP_PLAIN };
	int err;

	memset(t, 0, sizeof(*t));
	t->disp_fd = t->split_fd = -1;
	err = ap__prepare(&t->ap, ifname, h->hook);
	if (err)
		die("ap__prepare (is the interface there?)", err);
	if (t->ap.attached)
		die("the interface already has a tailgate dispatcher; use a fresh pin root", EEXIST);
	err = disp__load_mem(&t->ap, &plain, &t->disp_fd);
	if (err)
		die("disp__load_mem", err);
}

/* gen__load() + gen__install() of @n stages into @bank. */
static void tgap_gen(struct tgap *t, unsigned int bank, uint64_t gen, const char *obj,
		     const char *prog, int n, const char *datapath)
{
	struct stage_src src[TG_MAX_STAGES];
	struct gen_spec spec = { .gen = gen };
	struct plan *p = make_plan(t->ap.hook, obj, prog, n, datapath);
	int i, err;

	for (i = 0; i < n; i++)
		if ((err = object__read(&p->stages[i], &src[i])))
			die("stage__read", err);
	spec.plan = p;
	spec.src = src;
	spec.datapath = p->datapath;
	err = gen__load(&t->ap, &spec, bank, false, &t->gl[bank]);
	if (err)
		die("gen__load", err);
	err = gen__install(&t->ap, &t->gl[bank]);
	if (err)
		die("gen__install", err);
	for (i = 0; i < n; i++)
		object__free(&src[i]);
	plan__free(p);
}

/* The ABI 1 baseline: self-counting stages, slots in .rodata, bank 0. */
static void tgap_oldhdr(struct hook_bench *h, struct tgap *t, int n)
{
	__u32 self, next, zero = 0;
	struct bpf_program *p, *want;
	int i, err;

	for (i = n - 1; i >= 0; i--) {
		self = TG_BANK_BASE(0) + i;
		next = i + 1 < n ? self + 1 : TG_SLOT_NONE;
		t->old[i] = bpf_object__open_file(path("tests/bpf/bench_oldhdr.bpf.o"), NULL);
		if (!t->old[i])
			die("open bench_oldhdr.bpf.o", errno);
		want = bpf_object__find_program_by_name(t->old[i], h->xdp ? "bench_oldhdr" :
									    "bench_oldhdr_tc");
		bpf_object__for_each_program(p, t->old[i])
			bpf_program__set_autoload(p, p == want);
		err = bpfutil__set_rodata(t->old[i], "tg_self_slot", &self, 4) ?:
		      bpfutil__set_rodata(t->old[i], "tg_next_slot", &next, 4) ?:
		      bpfutil__set_rodata(t->old[i], "tg_fail_closed", &zero, 4) ?:
		      bpf_map__reuse_fd(bpf_object__find_map_by_name(t->old[i], TG_MAP_SLOTS),
					t->ap.slots_fd) ?:
		      bpf_map__reuse_fd(bpf_object__find_map_by_name(t->old[i], TG_MAP_STATS),
					t->ap.stats_fd) ?:
		      bpf_object__load(t->old[i]) ?:
		      slots__set(t->ap.slots_fd, self, bpf_program__fd(want));
		if (err)
			die("load bench_oldhdr", err);
	}
}

/* The splitting dispatcher on @t's maps, new bank 1, weight SPLIT_WEIGHT. */
static void tgap_split(struct tgap *t)
{
	struct disp_state want = { .kind = DISP_SPLIT, .new_slot = TG_BANK_BASE(1) };
	int err;

	err = disp__load_mem(&t->ap, &want, &t->split_fd);
	if (err)
		die("disp__load_mem (split)", err);
	err = ap__set_weight(&t->ap, SPLIT_WEIGHT, 0x5eed);
	if (err)
		die("ap__set_weight", err);
}

static void tgap_close(struct tgap *t)
{
	unsigned int b;
	int i;

	for (b = 0; b < TG_NR_BANKS; b++)
		gen__release(&t->gl[b]);
	for (i = 0; i < TG_MAX_STAGES; i++)
		bpf_object__close(t->old[i]);
	if (t->disp_fd >= 0)
		close(t->disp_fd);
	if (t->split_fd >= 0)
		close(t->split_fd);
	ap__close(&t->ap);
}

static struct bpf_object *load_obj(const char *rel, bool xdp)
{
	struct bpf_object *obj = bpf_object__open_file(path(rel), NULL);
	struct bpf_program *p;
	int err;

	if (!obj)
		die(rel, errno);
	bpf_object__for_each_program(p, obj)
		bpf_program__set_autoload(p, (bpf_program__type(p) == BPF_PROG_TYPE_XDP) == xdp);
	err = bpf_object__load(obj);
	if (err)
		die(rel, err);
	return obj;
}

static int prog_fd(struct bpf_object *obj, const char *name, bool xdp)
{
	char full[64];
	struct bpf_program *p;

	snprintf(full, sizeof(full), "%s%s", name, xdp ? "" : "_tc");
	p = bpf_object__find_program_by_name(obj, full);
	if (!p)
		die(full, ENOENT);
	return bpf_program__fd(p);
}

/* libxdp's struct xdp_dispatcher_config, as the model has it. */
struct bench_disp_conf {
	__u8 num_progs_enabled;
	__u32 chain_call_actions[TG_MAX_STAGES];
};

static void load_libxdp(struct hook_bench *h, int li)
{
	struct bench_disp_conf conf = { .num_progs_enabled = lens[li] };
	const char *name = h->xdp ? "bench_libxdp" : "bench_libxdp_tc";
	struct bpf_program *p, *want;
	struct bpf_object *obj;
	int i, err;

	for (i = 0; i < TG_MAX_STAGES; i++)
		conf.chain_call_actions[i] = 1u << (h->xdp ? XDP_PASS : TC_ACT_OK);
	obj = bpf_object__open_file(path("tests/bpf/bench_libxdp.bpf.o"), NULL);
	if (!obj)
		die("open bench_libxdp.bpf.o", errno);
	want = bpf_object__find_program_by_name(obj, name);
	bpf_object__for_each_program(p, obj)
		bpf_program__set_autoload(p, p == want);
	err = bpfutil__set_rodata(obj, "bench_conf", &conf, sizeof(conf)) ?: bpf_object__load(obj);
	if (err)
		die("load bench_libxdp", err);
	h->libxdp[li] = obj;
	h->libxdp_fd[li] = bpf_program__fd(want);
}

static void hook_setup(struct hook_bench *h, enum plan_hook hook)
{
	static const char *pass = "tests/bpf/bench_pass.bpf.o", *plain = "tests/bpf/bench_plain.bpf.o";
	int li, n;

	memset(h, 0, sizeof(*h));
	h->hook = hook;
	h->xdp = h->res.xdp = hook == PLAN_HOOK_XDP;
	for (li = 0; li < NR_LENS; li++) {
		n = lens[li];
		for (enum variant v = 0; v < NR_VARIANTS; v++)
			if (has_ap(v))
				tgap_open(h, &h->tg[v][li]);
		/* Both banks: the splitting dispatcher needs a new generation. */
		tgap_gen(&h->tg[V_FUSED][li], 0, 1, pass, "bench_pass", n, "fused");
		tgap_gen(&h->tg[V_FUSED][li], 1, 2, pass, "bench_pass", n, "fused");
		tgap_gen(&h->tg[V_CHAINED][li], 0, 1, pass, "bench_pass", n, "chained");
		tgap_gen(&h->tg[V_PLAIN][li], 0, 1, plain, "bench_plain", n, "chained");
		tgap_oldhdr(h, &h->tg[V_OLDHDR][li], n);
		for (enum variant v = 0; v < NR_VARIANTS; v++)
			if (has_ap(v) && ap__flip(&h->tg[v][li].ap, 0))
				die("ap__flip", errno);
		tgap_split(&h->tg[V_FUSED][li]);
		load_libxdp(h, li);
	}
	h->mono = load_obj("tests/bpf/bench_mono.bpf.o", h->xdp);
	h->floor_fd = prog_fd(h->mono, "bench_mono_0", h->xdp);
	for (li = 0; li < NR_LENS; li++) {
		char name[32];

		snprintf(name, sizeof(name), "bench_mono_%d", lens[li]);
		h->mono_fd[li] = prog_fd(h->mono, name, h->xdp);
	}
}

static void hook_free(struct hook_bench *h)
{
	int li;

	for (li = 0; li < NR_LENS; li++) {
		for (enum variant v = 0; v < NR_VARIANTS; v++)
			if (has_ap(v))
				tgap_close(&h->tg[v][li]);
		bpf_object__close(h->libxdp[li]);
	}
	bpf_object__close(h->mono);
}

/* Measuring */

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

static int variant_fd(struct hook_bench *h, enum variant v, int li)
{
	switch (v) {
	case V_MONO:
		return h->mono_fd[li];
	case V_LIBXDP:
		return h->libxdp_fd[li];
	case V_FLOOR:
		return h->floor_fd;
	case V_SPLIT:
		return h->tg[V_FUSED][li].split_fd;
	default:
		return h->tg[v][li].disp_fd;
	}
}

/*
 * ns per packet as the kernel times it around the program runs (whole ns).
 * Not wall time: with repeat > 1 an XDP test run adds the program to the
 * kernel's XDP dispatcher and removes it again (bpf_prog_change_xdp(), a
 * text poke and an RCU grace period: milliseconds that vary from call to
 * call), outside the kernel's timed loop; wall time per packet goes to the
 * raw data only.
 */
static double run_one(struct hook_bench *h, enum variant v, int li, __u32 repeat, double *wall)
{
	unsigned char pkt[PKT_LEN];
	struct bpfutil_run run = { .data = pkt, .len = sizeof(pkt), .repeat = repeat };
	double t0, t1;
	int err;

	make_packet(pkt);
	t0 = now_ns();
	err = bpfutil__test_run(variant_fd(h, v, li), &run);
	t1 = now_ns();
	if (err)
		die("BPF_PROG_TEST_RUN", err);
	if (run.retval != (h->xdp ? XDP_PASS : TC_ACT_OK)) {
		fprintf(stderr, "bench_dispatch: %s/%d: unexpected verdict %u\n", vname[v], lens[li],
			run.retval);
		exit(1);
	}
	if (has_ap(v) || v == V_SPLIT)
		h->tg[v == V_SPLIT ? V_FUSED : v][li].sent += repeat;
	if (wall)
		*wall = (t1 - t0) / repeat;
	return run.duration;
}

/* Interleaved: every round runs every variant once, so drift and other
 * load on the machine hit all columns alike. */
static void hook_measure(struct hook_bench *h, __u32 repeat, int rounds)
{
	int r, li;

	for (li = 0; li < NR_LENS; li++)	/* warm-up */
		for (enum variant v = 0; v < NR_VARIANTS; v++)
			run_one(h, v, li, repeat / 10 + 1, NULL);
	for (r = 0; r < rounds; r++)
		for (li = 0; li < NR_LENS; li++)
			for (enum variant v = 0; v < NR_VARIANTS; v++)
				h->res.ns[v][li][r] = run_one(h, v, li, repeat, &h->res.wall[v][li][r]);
}

/*
 * Every packet sent through an attach point's dispatchers was counted by
 * a bank head and passed by that bank's last stage; no tail call missed
 * anywhere (slot 0 included) and every slot keeps the ABI's identity.
 */
static int hook_check(struct hook_bench *h, char *buf, size_t len)
{
	int li, bad = 0, n = 0, k;
	struct tg_stats s, head, last;
	__u64 miss = 0, seen;

	for (li = 0; li < NR_LENS; li++)
		for (enum variant v = 0; v < NR_VARIANTS; v++) {
			struct tgap *t = &h->tg[v][li];

			if (!has_ap(v))
				continue;
			for (k = 0, seen = 0; k < (int)TG_NR_SLOTS; k++) {
				if (counters__read(t->ap.stats_fd, k, &s))
					return -EIO;
				miss += s.tail_miss;
				/* ABI 1 counted "continued" as a verdict of its own */
				bad += s.packets != s.pass + s.drop + s.aborted + s.tx + s.redirect +
							    (v == V_OLDHDR ? s.continued : 0);
				bad += k == 0 && s.packets;
			}
			for (unsigned int b = 0; b < TG_NR_BANKS; b++) {
				/* fused too: each stage counts under its own slot */
				if (counters__read(t->ap.stats_fd, TG_BANK_BASE(b), &head) ||
				    counters__read(t->ap.stats_fd, TG_BANK_BASE(b) + lens[li] - 1, &last))
					return -EIO;
				seen += head.packets;
				bad += last.pass != head.packets;
			}
			bad += seen != t->sent;
			n++;
		}
	snprintf(buf, len, "%s: on all %d attach points every packet sent through the dispatchers was counted by a bank head and passed by that bank's last stage, every slot's counters keep its ABI's identity; tail misses %llu",
		 bad || miss ? "FAILED" : "ok", n, (unsigned long long)miss);
	return bad || miss ? -EPROTO : 0;
}

static void pin_cpu(void)
{
	struct sched_param sp = { .sched_priority = 10 };
	int cpu = sched_getcpu();
	cpu_set_t set;

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

static void usage(void)
{
	fprintf(stderr, "usage: bench_dispatch IFNAME [-b BUILD] [-r REPEAT] [-n ROUNDS] [-o RAW.tsv] [-s SUMMARY]\n");
	exit(2);
}

int main(int argc, char **argv)
{
	static struct hook_bench h;
	const char *raw_path = NULL, *sum_path = NULL;
	int rounds = 7, c;
	__u32 repeat = 5000000;
	FILE *raw = NULL, *sumf = NULL;

	while ((c = getopt(argc, argv, "b:r:n:o:s:")) != -1) {
		switch (c) {
		case 'b': build_dir = optarg; break;
		case 'r': repeat = strtoul(optarg, NULL, 0); break;
		case 'n': rounds = atoi(optarg); break;
		case 'o': raw_path = optarg; break;
		case 's': sum_path = optarg; break;
		default: usage();
		}
	}
	if (optind + 1 != argc || rounds < 1 || rounds > MAX_ROUNDS || !repeat)
		usage();
	ifname = argv[optind];
	/* Plans resolve object paths against their directory: make them absolute. */
	build_dir = realpath(build_dir, NULL);
	if (!build_dir)
		die("build directory", errno);
	log__init(-1);	/* warnings only; libbpf's below that */
	if (raw_path && !(raw = fopen(raw_path, "w")))
		die(raw_path, errno);
	if (sum_path && !(sumf = fopen(sum_path, "w")))
		die(sum_path, errno);
	if (raw)
		fprintf(raw, "# hook\tvariant\tstages\trun\tns_per_pkt_kernel\tns_per_pkt_wall\n");
	pin_cpu();
	for (int k = 0; k < 2; k++) {
		char check[384];

		hook_setup(&h, k ? PLAN_HOOK_TC_INGRESS : PLAN_HOOK_XDP);
		h.res.rounds = rounds;
		h.res.repeat = repeat;
		hook_measure(&h, repeat, rounds);
		if (hook_check(&h, check, sizeof(check)))
			fprintf(stderr, "bench_dispatch: %s counter check: %s\n", h.xdp ? "xdp" : "tc",
				check);
		bench__report(&h.res, check, raw, sumf);
		hook_free(&h);
	}
	if (raw)
		fclose(raw);
	if (sumf)
		fclose(sumf);
	return 0;
}
