// SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause)
/*
 * bench_flip: how long a flip and a weight change take, and whether
 * traffic notices a flip. Attach points are the pinned ones under
 * TAILGATE_PIN_ROOT, opened with ap__open() and changed with ap.c, the
 * code tailgate itself runs (linked in, as the unit tests link it).
 *
 *   bench_flip single IFNAME [-n ITERS]
 *	IFNAME's XDP attach point, a generation in each bank: ap__flip()
 *	between the banks, timed; the raw slots__set() of slot 0 with the
 *	heads' fds already open; as a control, the same write into a slot no
 *	program tail-calls with a constant key (nothing to re-patch).
 *   bench_flip fleet PREFIX COUNT [-n ROUNDS]
 *	Promotion across PREFIX0 .. PREFIX<COUNT-1>, generations already
 *	loaded: every round flips all of them to the other bank, timed from
 *	the first ap__flip() to the last.
 *   bench_flip weight PREFIX COUNT [-n ROUNDS]
 *	The weighted canary's changes on those attach points: the splitting
 *	dispatcher swapped in (ap__set_dispatcher), the weight changed on one
 *	attach point (ap__set_weight: one map write) and across all COUNT,
 *	then the plain dispatcher back (ap__serve), checked by program name.
 *   bench_flip churn IFNAME [-i FLIP_MS] [-d SECONDS]
 *	ap__flip() between the banks every FLIP_MS (0: never) for SECONDS
 *	while tools/tgtraffic carries traffic (the bench starts both); prints
 *	the flips, the slowest one, and from the attach point's counters
 *	(counters.c) the packets the hook saw and the tail misses, drops and
 *	aborts in the window.
 */
#include <errno.h>
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>
#include <bpf/bpf.h>

#include "ap.h"
#include "counters.h"
#include "log.h"
#include "slots.h"

#define MAX_ITERS	200000
#define MAX_IFACES	256
#define CANARY_BP	100	/* 1 %: the weight a canary starts with */

static void die(const char *what, int err)
{
	fprintf(stderr, "bench_flip: %s: %s\n", what, strerror(err < 0 ? -err : err));
	exit(1);
}

static double now_us(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec * 1e6 + ts.tv_nsec / 1e3;
}

static int cmp_double(const void *a, const void *b)
{
	double x = *(const double *)a, y = *(const double *)b;

	return x < y ? -1 : x > y;
}

/* sorts @v in place */
static void print_dist(const char *what, double *v, int n, const char *unit)
{
	double sum = 0;
	int i;

	qsort(v, n, sizeof(*v), cmp_double);
	for (i = 0; i < n; i++)
		sum += v[i];
	printf("| %s | %d | %.2f | %.2f | %.2f | %.2f | %.2f | %s |\n", what, n, v[n / 2], v[0],
	       v[(int)(n * 0.99)], v[n - 1], sum / n, unit);
}

static void print_dist_header(void)
{
	printf("| what | samples | median | min | p99 | max | mean | unit |\n");
	printf("|---|---:|---:|---:|---:|---:|---:|---|\n");
}

/* An XDP attach point with a live generation and one in the other bank. */
static void open_ap(struct ap *ap, const char *ifname)
{
	int err = ap__open(ap, ifname, PLAN_HOOK_XDP);

	if (err) {
		fprintf(stderr, "bench_flip: %s: %s\n", ifname, ap__strerror(err));
		exit(1);
	}
	if (ap->live < 0 || !ap->bank[0].nr || !ap->bank[1].nr) {
		fprintf(stderr, "bench_flip: %s needs a live generation and one in the other bank (apply twice)\n",
			ifname);
		exit(1);
	}
}

/*
 * Control: the same prog-array write into a slot no program tail-calls
 * with a constant key (the inactive bank's last slot, empty when the
 * generation is shorter), so the kernel has no direct jump to re-patch.
 */
static void spare_write(struct ap *ap, int prog_fd, int iters, double *t)
{
	__u32 key = TG_BANK_BASE(ap->live ^ 1) + TG_BANK_SLOTS - 1, id;
	double t0;
	int i;

	if (slots__prog_id(ap->slots_fd, key, &id) || id)
		return;
	for (i = 0; i < iters; i++) {
		t0 = now_us();
		if (slots__set(ap->slots_fd, key, prog_fd))
			die("write spare slot", errno);
		t[i] = now_us() - t0;
		slots__clear(ap->slots_fd, key);
	}
	print_dist("control: same write into a slot with no direct-jump site (no text poke)", t,
		   iters, "µs");
}

static int cmd_single(const char *ifname, int iters)
{
	static double t_flip[MAX_ITERS], t_raw[MAX_ITERS];
	int head_fd[TG_NR_BANKS], bank, i, err;
	struct ap ap;
	double t0;

	if (iters < 2 || iters > MAX_ITERS)
		die("iterations", EINVAL);
	open_ap(&ap, ifname);
	bank = ap.live;
	for (i = 0; i < (int)TG_NR_BANKS; i++) {
		head_fd[i] = bpf_prog_get_fd_by_id(ap.bank[i].ids[0]);
		if (head_fd[i] < 0)
			die("head fd", errno);
	}
	/* Even counts: every loop ends on the bank it started on. */
	iters &= ~1;
	for (i = 0; i < iters; i++) {
		t0 = now_us();
		err = ap__flip(&ap, bank ^ ((i & 1) ? 0 : 1));
		t_flip[i] = now_us() - t0;
		if (err)
			die("ap__flip", err);
	}
	for (i = 0; i < iters; i++) {
		t0 = now_us();
		err = slots__set(ap.slots_fd, TG_SLOT_ENTRY, head_fd[bank ^ ((i & 1) ? 0 : 1)]);
		t_raw[i] = now_us() - t0;
		if (err)
			die("slots__set(0)", err);
	}
	print_dist_header();
	print_dist("flip, ap__flip() (slots__flip: head's id, fd by id, slot 0 write, close)",
		   t_flip, iters, "µs");
	print_dist("flip, raw slots__set(slot 0), head fds already open", t_raw, iters, "µs");
	spare_write(&ap, head_fd[bank], iters, t_raw);
	close(head_fd[0]);
	close(head_fd[1]);
	ap__close(&ap);
	return 0;
}

static int open_fleet(struct ap *aps, const char *prefix, int count)
{
	char name[IF_NAMESIZE];
	int i;

	if (count < 1 || count > MAX_IFACES)
		die("count", EINVAL);
	for (i = 0; i < count; i++) {
		if (snprintf(name, sizeof(name), "%s%d", prefix, i) >= (int)sizeof(name))
			die(prefix, ENAMETOOLONG);
		open_ap(&aps[i], name);
	}
	return count;
}

static int cmd_fleet(const char *prefix, int count, int rounds)
{
	static struct ap aps[MAX_IFACES];
	static double t_round[MAX_ITERS];
	int bank[MAX_IFACES], i, r, err;
	char what[128];
	double t0, t_open;

	if (rounds < 2 || rounds > MAX_ITERS)
		die("rounds", EINVAL);
	t0 = now_us();
	open_fleet(aps, prefix, count);
	t_open = now_us() - t0;
	for (i = 0; i < count; i++)
		bank[i] = aps[i].live;
	rounds &= ~1;
	for (r = 0; r < rounds; r++) {
		t0 = now_us();
		for (i = 0; i < count; i++)
			if ((err = ap__flip(&aps[i], bank[i] ^ ((r & 1) ? 0 : 1))))
				die("ap__flip", err);
		t_round[r] = (now_us() - t0) / 1e3;
	}
	print_dist_header();
	snprintf(what, sizeof(what), "promotion: ap__flip() of %d loaded interfaces (one round)", count);
	print_dist(what, t_round, rounds, "ms");
	printf("\nOpening the %d attach points first (ap__open: pins, link, slots and banks read back from the kernel; apply holds them open): %.2f ms.\n",
	       count, t_open / 1e3);
	for (i = 0; i < count; i++)
		ap__close(&aps[i]);
	return 0;
}

/* Is the dispatcher serving @ap the plain one? By the kernel's program name. */
static bool plain_dispatcher(struct ap *ap)
{
	struct bpf_prog_info info = {};
	__u32 len = sizeof(info);
	int fd;

	if (ap__refresh(ap) || ap->disp.kind != DISP_PLAIN)
		return false;
	fd = bpf_prog_get_fd_by_id(ap->disp.prog_id);
	if (fd < 0)
		return false;
	if (bpf_obj_get_info_by_fd(fd, &info, &len))
		info.name[0] = '\0';
	close(fd);
	return !strncmp(info.name, "tg_dispatch", 11);
}

static int cmd_weight(const char *prefix, int count, int rounds)
{
	static struct ap aps[MAX_IFACES];
	static double t_in[MAX_IFACES], t_out[MAX_IFACES], t_one[MAX_ITERS], t_all[MAX_ITERS];
	struct disp_state want = { .kind = DISP_SPLIT };
	int i, r, err, plain = 0;
	char what[160];
	double t0;

	if (rounds < 2 || rounds > MAX_ITERS)
		die("rounds", EINVAL);
	open_fleet(aps, prefix, count);
	for (i = 0; i < count; i++) {
		want.new_slot = TG_BANK_BASE(aps[i].live ^ 1);
		want.fail_closed = aps[i].disp.fail_closed;
		t0 = now_us();
		err = ap__set_dispatcher(&aps[i], &want, CANARY_BP, 0x5eed);
		t_in[i] = (now_us() - t0) / 1e3;
		if (err)
			die("ap__set_dispatcher(split)", err);
	}
	for (r = 0; r < rounds; r++) {
		t0 = now_us();
		if ((err = ap__set_weight(&aps[0], CANARY_BP * (1 + (r & 1) * 4), 0x5eed)))
			die("ap__set_weight", err);
		t_one[r] = now_us() - t0;
	}
	for (r = 0; r < rounds; r++) {
		t0 = now_us();
		for (i = 0; i < count; i++)
			if ((err = ap__set_weight(&aps[i], CANARY_BP * (1 + (r & 1) * 4), 0x5eed)))
				die("ap__set_weight", err);
		t_all[r] = (now_us() - t0) / 1e3;
	}
	for (i = 0; i < count; i++) {
		t0 = now_us();
		err = ap__serve(&aps[i], aps[i].live, aps[i].disp.fail_closed);
		t_out[i] = (now_us() - t0) / 1e3;
		if (err)
			die("ap__serve", err);
		plain += plain_dispatcher(&aps[i]);
	}
	print_dist_header();
	print_dist("weight change on one attach point (ap__set_weight: one map write)", t_one, rounds,
		   "µs");
	snprintf(what, sizeof(what), "weight change across %d attach points (one round)", count);
	print_dist(what, t_all, rounds, "ms");
	print_dist("splitting dispatcher swapped in (ap__set_dispatcher: load + link update), per attach point",
		   t_in, count, "ms");
	print_dist("plain dispatcher back (ap__serve), per attach point", t_out, count, "ms");
	printf("\nAfterwards %d of %d attach points run the plain dispatcher again (tg_dispatch_*, by the kernel's program name): the split costs nothing once the rollout ends.\n",
	       plain, count);
	for (i = 0; i < count; i++)
		ap__close(&aps[i]);
	return plain == count ? 0 : 3;
}

/* churn: flips on a timer while tools/tgtraffic carries traffic */

/*
 * Counters of the whole attach point: packets the hook saw (slot 0, which
 * counts the packets that found it empty, plus both banks' heads), and
 * drops, aborts and tail misses of every slot.
 */
static void stats_sum(const struct ap *ap, struct tg_stats *sum)
{
	struct tg_stats s;
	__u32 slot;

	memset(sum, 0, sizeof(*sum));
	for (slot = 0; slot < TG_NR_SLOTS; slot++) {
		if (counters__read(ap->stats_fd, slot, &s))
			continue;
		if (slot == TG_SLOT_ENTRY || slot == TG_BANK_BASE(0) || slot == TG_BANK_BASE(1))
			sum->packets += s.packets;
		sum->drop += s.drop;
		sum->aborted += s.aborted;
		sum->tail_miss += s.tail_miss;
	}
}

static int cmd_churn(const char *ifname, int flip_ms, double secs)
{
	struct tg_stats before, after;
	double t0, d, end, worst = 0;
	struct timespec next;
	int bank, err = 0;
	long flips = 0;
	struct ap ap;

	if (flip_ms < 0 || secs <= 0 || secs > 600)
		die("churn needs -i >= 0 and 0 < -d <= 600", EINVAL);
	open_ap(&ap, ifname);
	bank = ap.live;
	stats_sum(&ap, &before);
	clock_gettime(CLOCK_MONOTONIC, &next);
	end = now_us() + secs * 1e6;
	if (!flip_ms)		/* a baseline: counters only */
		usleep(secs * 1e6);
	while (flip_ms && now_us() < end) {
		next.tv_nsec += flip_ms * 1000000L;
		while (next.tv_nsec >= 1000000000L) {
			next.tv_nsec -= 1000000000L;
			next.tv_sec++;
		}
		clock_nanosleep(CLOCK_MONOTONIC, TIMER_ABSTIME, &next, NULL);
		bank ^= 1;
		t0 = now_us();
		err = ap__flip(&ap, bank);
		if (err)
			break;
		d = now_us() - t0;
		if (d > worst)
			worst = d;
		flips++;
	}
	stats_sum(&ap, &after);
	printf("flips=%ld flip_max_us=%.1f hook_packets=%llu tail_misses=%llu drops=%llu aborted=%llu flip_err=%d\n",
	       flips, worst, (unsigned long long)(after.packets - before.packets),
	       (unsigned long long)(after.tail_miss - before.tail_miss),
	       (unsigned long long)(after.drop - before.drop),
	       (unsigned long long)(after.aborted - before.aborted), err);
	ap__close(&ap);
	return err || after.tail_miss != before.tail_miss ? 3 : 0;
}

static void usage(void)
{
	fprintf(stderr,
		"usage: bench_flip single IFNAME [-n ITERS]\n"
		"       bench_flip fleet PREFIX COUNT [-n ROUNDS]\n"
		"       bench_flip weight PREFIX COUNT [-n ROUNDS]\n"
		"       bench_flip churn IFNAME [-i FLIP_MS] [-d SECONDS]\n");
	exit(2);
}

int main(int argc, char **argv)
{
	int iters = 2000, flip_ms = 10, c;
	double secs = 10;
	const char *cmd;

	if (argc < 2)
		usage();
	cmd = argv[1];
	optind = 2;
	while ((c = getopt(argc, argv, "n:d:i:")) != -1) {
		switch (c) {
		case 'n':
			iters = atoi(optarg);
			break;
		case 'd':
			secs = atof(optarg);
			break;
		case 'i':
			flip_ms = atoi(optarg);
			break;
		default:
			usage();
		}
	}
	log__init(-1);
	if (!strcmp(cmd, "single") && optind + 1 == argc)
		return cmd_single(argv[optind], iters);
	if (!strcmp(cmd, "fleet") && optind + 2 == argc)
		return cmd_fleet(argv[optind], atoi(argv[optind + 1]), iters);
	if (!strcmp(cmd, "weight") && optind + 2 == argc)
		return cmd_weight(argv[optind], atoi(argv[optind + 1]), iters);
	if (!strcmp(cmd, "churn") && optind + 1 == argc)
		return cmd_churn(argv[optind], flip_ms, secs);
	usage();
	return 2;
}
