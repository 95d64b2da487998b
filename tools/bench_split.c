// SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause)
/*
 * bench_split: what the splitting dispatcher costs a packet over the plain
 * one (target: at most 5 ns), XDP and tc.
 *
 *   bench_split [-r REPEAT] [-n ROUNDS]
 *
 * One attach point per hook, as test_split.c builds it: the real
 * dispatcher and the real split program on one "slots" prog array, a
 * stub generation (a bare "return pass" / "return tx") in slot 0 and in
 * slot 17. Each variant is a frame and a split weight. Every round runs
 * each variant right after the plain dispatcher on the same frame, and
 * the cost of the split is the median over the rounds of those paired
 * differences (the mean of their middle half): load from other tenants of
 * a shared machine moves both halves of a pair alike, and the outer
 * quarters take the bursts. ns/packet is the kernel's own timing of the
 * test-run loop. The attach point, its dispatchers and the split's share
 * are the orchestrator's own (ap__prepare_mem(), disp__load_mem(),
 * ap__set_weight()); the stubs come from build/tests/bpf
 * (TAILGATE_TEST_BPF_DIR); run from the repo root, as root.
 */
#include <errno.h>
#include <getopt.h>
#include <sched.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>
#include <sys/resource.h>
#include <linux/pkt_cls.h>
#include <bpf/libbpf.h>

#include "ap.h"
#include "bpfutil.h"
#include "disp.h"
#include "slots.h"
#include "../tests/lib/pkt.h"

#define NEW_HEAD   TG_BANK_BASE(1)
#define MAX_ROUNDS 256

struct variant {
	const char *name;
	bool split; /* else the plain dispatcher */
	__u32 weight;
	struct pkt_spec s;
	bool to_new;		 /* which stub it must reach */
	double ns[MAX_ROUNDS];	 /* this variant */
	double base[MAX_ROUNDS]; /* the plain dispatcher just before */
};

static void die(const char *what, const char *why)
{
	fprintf(stderr, "bench_split: %s: %s\n", what, why);
	exit(1);
}

static int cmp_double(const void *a, const void *b)
{
	double x = *(const double *)a, y = *(const double *)b;

	return x < y ? -1 : x > y;
}

static double median(const double *v, int n)
{
	double s[MAX_ROUNDS];

	memcpy(s, v, n * sizeof(*s));
	qsort(s, n, sizeof(*s), cmp_double);
	return n & 1 ? s[n / 2] : (s[n / 2 - 1] + s[n / 2]) / 2;
}

/* Same as tools/bench_dispatch.c: one CPU, and no preemption if we can. */
static void pin_cpu(void)
{
	struct sched_param sp = {.sched_priority = 10};
	int cpu = sched_getcpu();
	cpu_set_t set;

	CPU_ZERO(&set);
	CPU_SET(cpu < 0 ? 0 : cpu, &set);
	sched_setaffinity(0, sizeof(set), &set);
	if (sched_setscheduler(0, SCHED_FIFO, &sp))
		setpriority(PRIO_PROCESS, 0, -10);
}

static struct pkt_spec spec(int family, __u8 proto, int nr_vlan)
{
	struct pkt_spec s = {
	    .family = family, .proto = proto, .sport = 40000, .dport = 53, .nr_vlan = nr_vlan};

	pkt_addr(s.saddr, family == AF_INET6 ? "2001:2::1" : "198.18.0.1");
	pkt_addr(s.daddr, family == AF_INET6 ? "2001:2::2" : "198.18.0.2");
	return s;
}

/* A stub generation of split_stubs.bpf.o, loaded as it is. */
static int load_stub(const char *prog, struct bpf_object **obj)
{
	const char *dir = getenv("TAILGATE_TEST_BPF_DIR");
	struct bpf_program *p;
	char path[512];
	int err;

	snprintf(path, sizeof(path), "%s/split_stubs.bpf.o", dir && *dir ? dir : "build/tests/bpf");
	*obj = bpfutil__open_prog(path, prog, &p);
	if (!*obj)
		die(path, strerror(errno));
	err = bpf_object__load(*obj);
	if (err)
		die(prog, strerror(-err));
	return bpf_program__fd(p);
}

static int load_dispatcher(struct ap *ap, const struct disp_state *want)
{
	int fd, err = disp__load_mem(ap, want, &fd);

	if (err)
		die(want->kind == DISP_SPLIT ? "splitting dispatcher" : "plain dispatcher",
		    strerror(-err));
	return fd;
}

/*
 * ns per packet of @repeat runs of @fd on the frame, as the kernel timed
 * the loop (BPF_PROG_TEST_RUN's duration: whole ns, but without the
 * syscall and, for XDP, the 15-25 ms this kernel spends setting up and
 * tearing down a repeated run, which wall time would spread over the
 * packets); dies if the verdict is not @want.
 */
static double run(int fd, const void *b, size_t n, int repeat, __u32 want, const char *what)
{
	struct bpfutil_run r = {.data = b, .len = n, .repeat = repeat};
	int err = bpfutil__test_run(fd, &r);

	if (err)
		die("BPF_PROG_TEST_RUN", strerror(-err));
	if (r.retval != want)
		die(what, "reached the wrong generation");
	return r.duration;
}

static void bench_hook(bool xdp, struct variant *v, int nr, int repeat, int rounds)
{
	const struct disp_state plain = {.kind = DISP_PLAIN};
	const struct disp_state split = {.kind = DISP_SPLIT, .new_slot = NEW_HEAD};
	__u32 want_old = xdp ? XDP_PASS : TC_ACT_OK;
	__u32 want_new = xdp ? XDP_TX : TC_ACT_SHOT;
	struct bpf_object *old_obj, *new_obj;
	int disp, spl, old, new, r, i, err;
	__u8 b[PKT_MAX_LEN];
	struct ap ap;
	double t;
	size_t n;

	err = ap__prepare_mem(&ap, "bench_split", xdp ? PLAN_HOOK_XDP : PLAN_HOOK_TC_INGRESS);
	if (err)
		die("attach point in memory", strerror(-err));
	disp = load_dispatcher(&ap, &plain);
	spl = load_dispatcher(&ap, &split);
	old = load_stub(xdp ? "gen_old" : "gen_old_tc", &old_obj);
	new = load_stub(xdp ? "gen_new" : "gen_new_tc", &new_obj);
	err = slots__set(ap.slots_fd, 0, old) ?: slots__set(ap.slots_fd, NEW_HEAD, new);
	if (err)
		die("slots", strerror(-err));
	for (r = -1; r < rounds; r++) {
		for (i = 0; i < nr; i++) {
			err = ap__set_weight(&ap, v[i].weight, 0x7a11ca7e);
			if (err)
				die("split map", strerror(-err));
			n = pkt_build(&v[i].s, b, NULL);
			if (r >= 0)
				v[i].base[r] =
				    run(disp, b, n, repeat, want_old, "plain dispatcher");
			t = run(v[i].split ? spl : disp, b, n, r < 0 ? repeat / 10 + 1 : repeat,
				v[i].to_new ? want_new : want_old, v[i].name);
			if (r >= 0)
				v[i].ns[r] = t;
		}
	}
	/* Fill-run-delete: the prog array holds the stubs, empty it first. */
	slots__clear(ap.slots_fd, 0);
	slots__clear(ap.slots_fd, NEW_HEAD);
	close(disp);
	close(spl);
	bpf_object__close(old_obj);
	bpf_object__close(new_obj);
	ap__close(&ap);
}

/* Mean of the middle half of @v (sorted in place): robust and not whole ns. */
static double iq_mean(double *v, int n)
{
	double sum = 0;
	int i, lo = n / 4, hi = n - n / 4;

	qsort(v, n, sizeof(*v), cmp_double);
	for (i = lo; i < hi; i++)
		sum += v[i];
	return sum / (hi - lo);
}

static void report(bool xdp, const struct variant *v, int nr, int repeat, int rounds)
{
	double d[MAX_ROUNDS], m;
	int i, r;

	printf("\n#### %s: BPF_PROG_TEST_RUN, repeat %d, %d rounds; ns/packet\n\n",
	       xdp ? "XDP" : "tc (SCHED_CLS)", repeat, rounds);
	printf("| variant | ns/packet, median | plain dispatcher, same rounds | − plain: mean of "
	       "the middle half of the pairs (quartiles) |\n|---|---:|---:|---:|\n");
	for (i = 0; i < nr; i++) {
		for (r = 0; r < rounds; r++)
			d[r] = v[i].ns[r] - v[i].base[r];
		m = iq_mean(d, rounds); /* sorts d */
		printf("| %s | %.0f | %.0f | **%+.2f** (%+.0f, %+.0f) |\n", v[i].name,
		       median(v[i].ns, rounds), median(v[i].base, rounds), m, d[rounds / 4],
		       d[rounds - 1 - rounds / 4]);
	}
}

int main(int argc, char **argv)
{
	int repeat = 1000000, rounds = 41, c, h, i;

	while ((c = getopt(argc, argv, "r:n:")) != -1) {
		switch (c) {
		case 'r':
			repeat = atoi(optarg);
			break;
		case 'n':
			rounds = atoi(optarg);
			break;
		default:
			fprintf(stderr, "usage: bench_split [-r REPEAT] [-n ROUNDS]\n");
			return 2;
		}
	}
	if (repeat < 1 || rounds < 1 || rounds > MAX_ROUNDS) {
		fprintf(stderr, "bench_split: -r >= 1, 1 <= -n <= %d\n", MAX_ROUNDS);
		return 2;
	}
	if (geteuid()) {
		fprintf(stderr, "bench_split: needs root (BPF_PROG_TEST_RUN)\n");
		return 2;
	}
	pin_cpu();
	for (h = 0; h < 2; h++) {
		struct pkt_spec arp = spec(AF_INET, 0, 0);
		struct variant v[] = {
		    {"plain dispatcher, IPv4 UDP (the pairs' noise)",
		     false,
		     0,
		     spec(AF_INET, IPPROTO_UDP, 0),
		     false,
		     {},
		     {}},
		    {"split, weight 0 (no parse), IPv4 UDP",
		     true,
		     0,
		     spec(AF_INET, IPPROTO_UDP, 0),
		     false,
		     {},
		     {}},
		    {"split, IPv4 UDP hashed, to old",
		     true,
		     1,
		     spec(AF_INET, IPPROTO_UDP, 0),
		     false,
		     {},
		     {}},
		    {"split, IPv4 UDP hashed, to new",
		     true,
		     TG_WEIGHT_FULL,
		     spec(AF_INET, IPPROTO_UDP, 0),
		     true,
		     {},
		     {}},
		    {"split, IPv6 TCP hashed, to new",
		     true,
		     TG_WEIGHT_FULL,
		     spec(AF_INET6, IPPROTO_TCP, 0),
		     true,
		     {},
		     {}},
		    {"split, QinQ IPv4 UDP hashed, to new",
		     true,
		     TG_WEIGHT_FULL,
		     spec(AF_INET, IPPROTO_UDP, 2),
		     true,
		     {},
		     {}},
		    {"split, ARP (no flow), to old", true, TG_WEIGHT_FULL, arp, false, {}, {}},
		};
		int nr = sizeof(v) / sizeof(v[0]);

		for (i = 0; i < nr; i++)
			if (!strcmp(v[i].name, "split, ARP (no flow), to old"))
				v[i].s.family = 0;
		bench_hook(h == 0, v, nr, repeat, rounds);
		report(h == 0, v, nr, repeat, rounds);
	}
	return 0;
}
