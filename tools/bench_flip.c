// SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause)
/*
 * bench_flip: how long a flip takes and whether traffic notices it.
 *
 *   bench_flip single DIR [-n ITERS] [-L BANKDISP.o]
 *	DIR is an attach point's pin directory (<root>/<ifname>/<hook>) with a
 *	generation in each bank. Times, alternating banks, what slots__flip()
 *	does (head's prog id from the bank slot, fd by id, write slot 0,
 *	close) and the raw bpf_map_update_elem() of slot 0 with the heads'
 *	fds already open; with -L, also a flip by bpf_link_update() to one
 *	of two per-bank dispatchers (bench_bankdisp.bpf.o), real one put back.
 *   bench_flip fleet ROOT HOOK PREFIX COUNT [-n ROUNDS]
 *	Promotion across COUNT attach points ROOT/PREFIX<i>/HOOK whose
 *	generations are already loaded: every round flips all of them to the
 *	other bank, slots__flip() style, and is timed from the decision to
 *	the last slot 0 written.
 *   bench_flip churn DIR [-i FLIP_MS] [-d SECONDS]
 *	Flips DIR's slot 0 between the banks every FLIP_MS (0: never) for SECONDS, the
 *	way slots__flip() does, while tools/tgtraffic carries traffic (the
 *	bench starts both); prints the flips, the slowest one, and from DIR's
 *	pinned stats the packets the hook saw and the tail misses, drops and
 *	aborts in the window.
 *
 * Self-contained: libbpf only, like every tools/ program.
 */
#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>
#include <bpf/bpf.h>
#include <bpf/btf.h>
#include <bpf/libbpf.h>

#include "../bpf/include/tailgate_abi.h"

#define MAX_ITERS	200000
#define MAX_IFACES	256

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

/* slots__flip() of orchestrator/slots.c, step for step */

static int slot_id(int slots_fd, __u32 slot, __u32 *id)
{
	if (bpf_map_lookup_elem(slots_fd, &slot, id)) {
		if (errno != ENOENT)
			return -errno;
		*id = 0;
	}
	return 0;
}

static int flip(int slots_fd, unsigned int bank)
{
	__u32 id, key = TG_SLOT_ENTRY;
	int fd, err;

	err = slot_id(slots_fd, TG_BANK_BASE(bank), &id);
	if (err)
		return err;
	if (!id)
		return -ENOENT;
	fd = bpf_prog_get_fd_by_id(id);
	if (fd < 0)
		return -errno;
	err = bpf_map_update_elem(slots_fd, &key, &fd, BPF_ANY) ? -errno : 0;
	close(fd);
	return err;
}

/* Which bank slot 0 points into, or -1. */
static int live_bank(int slots_fd)
{
	__u32 live, head;
	unsigned int b;

	if (slot_id(slots_fd, TG_SLOT_ENTRY, &live) || !live)
		return -1;
	for (b = 0; b < TG_NR_BANKS; b++)
		if (!slot_id(slots_fd, TG_BANK_BASE(b), &head) && head == live)
			return b;
	return -1;
}

static int open_pin(const char *dir, const char *name)
{
	char path[PATH_MAX];
	int fd;

	if (snprintf(path, sizeof(path), "%s/%s", dir, name) >= (int)sizeof(path))
		die(dir, ENAMETOOLONG);
	fd = bpf_obj_get(path);
	if (fd < 0)
		die(path, errno);
	return fd;
}

static void need_two_banks(int slots_fd, const char *dir)
{
	__u32 a, b;

	if (slot_id(slots_fd, TG_BANK_BASE(0), &a) || slot_id(slots_fd, TG_BANK_BASE(1), &b) ||
	    !a || !b || live_bank(slots_fd) < 0) {
		fprintf(stderr, "bench_flip: %s needs a live generation and one in the other bank (apply twice)\n",
			dir);
		exit(1);
	}
}


/*
 * The alternative measured next to the slot-0 flip: one dispatcher per
 * bank (tests/bpf/progs/bench_bankdisp.bpf.c, entry key = the bank's head
 * slot, patched once at load), and a flip is bpf_link_update() of the
 * attach point's pinned link to the other bank's dispatcher.
 */
struct linkflip {
	int link_fd;
	int orig_fd;		/* the real dispatcher, put back at the end */
	int disp_fd[TG_NR_BANKS];
	struct bpf_object *obj[TG_NR_BANKS];
};

static int rodata_u32(struct bpf_object *obj, const char *var, __u32 val)
{
	struct btf *btf = bpf_object__btf(obj);
	const struct btf_var_secinfo *vs;
	const struct btf_type *sec;
	struct bpf_map *m = NULL, *it;
	const void *cur;
	char *data;
	size_t sz;
	int id, i, err;

	bpf_object__for_each_map(it, obj)
		if (bpf_map__is_internal(it) && strstr(bpf_map__name(it), ".rodata"))
			m = it;
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
		if (!cur || vs->offset + sizeof(val) > sz || !(data = malloc(sz)))
			return -EINVAL;
		memcpy(data, cur, sz);
		memcpy(data + vs->offset, &val, sizeof(val));
		err = bpf_map__set_initial_value(m, data, sz);
		free(data);
		return err;
	}
	return -ENOENT;
}

static void linkflip_setup(struct linkflip *lf, const char *dir, const char *object)
{
	struct bpf_link_info info = {};
	__u32 len = sizeof(info);
	struct bpf_program *p;
	unsigned int b;
	int err;

	lf->link_fd = open_pin(dir, TG_PIN_LINK);
	if (bpf_obj_get_info_by_fd(lf->link_fd, &info, &len))
		die("link info", errno);
	lf->orig_fd = bpf_prog_get_fd_by_id(info.prog_id);
	if (lf->orig_fd < 0)
		die("dispatcher fd", errno);
	for (b = 0; b < TG_NR_BANKS; b++) {
		int slots_fd = open_pin(dir, TG_MAP_SLOTS), stats_fd = open_pin(dir, TG_MAP_STATS);

		lf->obj[b] = bpf_object__open_file(object, NULL);
		if (!lf->obj[b])
			die(object, errno);
		p = bpf_object__find_program_by_name(lf->obj[b], "bench_bankdisp");
		if (!p)
			die("bench_bankdisp", ENOENT);
		bpf_object__for_each_program(p, lf->obj[b])
			bpf_program__set_autoload(p, !strcmp(bpf_program__name(p), "bench_bankdisp"));
		err = rodata_u32(lf->obj[b], "tg_entry_slot", TG_BANK_BASE(b)) ?:
		      bpf_map__reuse_fd(bpf_object__find_map_by_name(lf->obj[b], TG_MAP_SLOTS), slots_fd) ?:
		      bpf_map__reuse_fd(bpf_object__find_map_by_name(lf->obj[b], TG_MAP_STATS), stats_fd) ?:
		      bpf_object__load(lf->obj[b]);
		if (err)
			die("load bench_bankdisp", err);
		lf->disp_fd[b] = bpf_program__fd(bpf_object__find_program_by_name(lf->obj[b],
										  "bench_bankdisp"));
		close(slots_fd);
		close(stats_fd);
	}
}

static int linkflip(struct linkflip *lf, unsigned int bank)
{
	return bpf_link_update(lf->link_fd, lf->disp_fd[bank], NULL) ? -errno : 0;
}

static void linkflip_teardown(struct linkflip *lf)
{
	unsigned int b;

	if (bpf_link_update(lf->link_fd, lf->orig_fd, NULL))
		die("put the real dispatcher back", errno);
	for (b = 0; b < TG_NR_BANKS; b++)
		bpf_object__close(lf->obj[b]);
	close(lf->orig_fd);
	close(lf->link_fd);
}

/*
 * Control: the same prog-array write into a slot no program tail-calls
 * with a constant key (the last slot of the inactive bank, when empty), so
 * the kernel has no direct jump to re-patch. What slot 0 would cost if the
 * dispatcher's entry jump were not a JIT-patched direct one.
 */
static void spare_write(int slots_fd, int prog_fd, int iters, double *t)
{
	int live = live_bank(slots_fd), i;
	__u32 key = TG_BANK_BASE(live ^ 1) + TG_BANK_SLOTS - 1, id;
	double t0;

	if (slot_id(slots_fd, key, &id) || id)
		return;
	for (i = 0; i < iters; i++) {
		t0 = now_us();
		if (bpf_map_update_elem(slots_fd, &key, &prog_fd, BPF_ANY))
			die("update spare slot", errno);
		t[i] = now_us() - t0;
		bpf_map_delete_elem(slots_fd, &key);
	}
	print_dist("control: same write into a slot with no direct-jump site (no text poke)", t,
		   iters, "µs");
}

static void single_linkflip(const char *dir, const char *object, int bank, int iters, double *t)
{
	struct linkflip lf;
	double t0;
	int i;

	linkflip_setup(&lf, dir, object);
	for (i = 0; i < iters; i++) {
		t0 = now_us();
		if (linkflip(&lf, bank ^ ((i & 1) ? 0 : 1)))
			die("bpf_link_update", errno);
		t[i] = now_us() - t0;
	}
	linkflip_teardown(&lf);
	print_dist("alternative: bpf_link_update() to the other bank's dispatcher (bench_bankdisp)", t,
		   iters, "µs");
}

static int cmd_single(const char *dir, int iters, const char *object)
{
	static double t_flip[MAX_ITERS], t_raw[MAX_ITERS];
	int slots_fd = open_pin(dir, TG_MAP_SLOTS), head_fd[2], bank, i;
	__u32 id, key = TG_SLOT_ENTRY;
	double t0;

	if (iters < 2 || iters > MAX_ITERS)
		die("iterations", EINVAL);
	need_two_banks(slots_fd, dir);
	bank = live_bank(slots_fd);
	for (i = 0; i < 2; i++) {
		if (slot_id(slots_fd, TG_BANK_BASE(i), &id))
			die("read bank head", errno);
		head_fd[i] = bpf_prog_get_fd_by_id(id);
		if (head_fd[i] < 0)
			die("head fd", errno);
	}
	/* Even counts: every loop ends on the bank it started on. */
	iters &= ~1;
	for (i = 0; i < iters; i++) {
		t0 = now_us();
		if (flip(slots_fd, bank ^ ((i & 1) ? 0 : 1)))
			die("flip", errno);
		t_flip[i] = now_us() - t0;
	}
	for (i = 0; i < iters; i++) {
		t0 = now_us();
		if (bpf_map_update_elem(slots_fd, &key, &head_fd[bank ^ ((i & 1) ? 0 : 1)], BPF_ANY))
			die("update slot 0", errno);
		t_raw[i] = now_us() - t0;
	}
	print_dist_header();
	print_dist("flip, slots__flip() steps (id lookup + fd by id + slot 0 write + close)",
		   t_flip, iters, "µs");
	print_dist("flip, raw bpf_map_update_elem(slot 0), head fds already open", t_raw, iters, "µs");
	spare_write(slots_fd, head_fd[bank], iters, t_raw);
	if (object)
		single_linkflip(dir, object, bank, iters, t_raw);
	close(head_fd[0]);
	close(head_fd[1]);
	close(slots_fd);
	return 0;
}

static int cmd_fleet(const char *root, const char *hook, const char *prefix, int count, int rounds)
{
	static double t_round[MAX_ITERS];
	int fds[MAX_IFACES], bank[MAX_IFACES], i, r;
	char dir[PATH_MAX];
	double t0, t_open;

	if (count < 1 || count > MAX_IFACES || rounds < 2 || rounds > MAX_ITERS)
		die("count/rounds", EINVAL);
	t0 = now_us();
	for (i = 0; i < count; i++) {
		if (snprintf(dir, sizeof(dir), "%s/%s%d/%s", root, prefix, i, hook) >= (int)sizeof(dir))
			die(root, ENAMETOOLONG);
		fds[i] = open_pin(dir, TG_MAP_SLOTS);
	}
	t_open = now_us() - t0;
	for (i = 0; i < count; i++) {
		if (snprintf(dir, sizeof(dir), "%s/%s%d/%s", root, prefix, i, hook) >= (int)sizeof(dir))
			die(root, ENAMETOOLONG);
		need_two_banks(fds[i], dir);
		bank[i] = live_bank(fds[i]);
	}
	rounds &= ~1;
	for (r = 0; r < rounds; r++) {
		t0 = now_us();
		for (i = 0; i < count; i++)
			if (flip(fds[i], bank[i] ^ ((r & 1) ? 0 : 1)))
				die("flip", errno);
		t_round[r] = (now_us() - t0) / 1e3;
	}
	print_dist_header();
	snprintf(dir, sizeof(dir), "promotion: flip %d loaded interfaces (one round)", count);
	print_dist(dir, t_round, rounds, "ms");
	printf("\nOpening the %d pinned prog arrays first (bpf_obj_get, not part of a flip: apply holds them open): %.2f ms.\n",
	       count, t_open / 1e3);
	for (i = 0; i < count; i++)
		close(fds[i]);
	return 0;
}

/* churn: flips on a timer while tools/tgtraffic carries traffic */

/*
 * Counters of the whole attach point: packets the hook saw (slot 0, which
 * counts the packets that found it empty, plus both banks' heads), and
 * drops, aborts and tail misses of every slot.
 */
static void stats_sum(const char *dir, struct tg_stats *sum)
{
	int fd, ncpu = libbpf_num_possible_cpus(), c;
	struct tg_stats *v = calloc(ncpu, sizeof(*v));
	__u32 slot;

	memset(sum, 0, sizeof(*sum));
	if (!v)
		die("stats", ENOMEM);
	fd = open_pin(dir, TG_MAP_STATS);
	for (slot = 0; slot < TG_NR_SLOTS; slot++) {
		if (bpf_map_lookup_elem(fd, &slot, v))
			continue;
		for (c = 0; c < ncpu; c++) {
			if (slot == TG_SLOT_ENTRY || slot == TG_BANK_BASE(0) ||
			    slot == TG_BANK_BASE(1))
				sum->packets += v[c].packets;
			sum->drop += v[c].drop;
			sum->aborted += v[c].aborted;
			sum->tail_miss += v[c].tail_miss;
		}
	}
	close(fd);
	free(v);
}

static int cmd_churn(const char *dir, int flip_ms, double secs)
{
	int slots_fd = open_pin(dir, TG_MAP_SLOTS), bank, err = 0;
	struct tg_stats before, after;
	struct timespec next;
	double t0, d, end, worst = 0;
	long flips = 0;

	if (flip_ms < 0 || secs <= 0 || secs > 600)
		die("churn needs -i >= 0 and 0 < -d <= 600", EINVAL);
	need_two_banks(slots_fd, dir);
	bank = live_bank(slots_fd);
	stats_sum(dir, &before);
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
		err = flip(slots_fd, bank);
		if (err)
			break;
		d = now_us() - t0;
		if (d > worst)
			worst = d;
		flips++;
	}
	stats_sum(dir, &after);
	printf("flips=%ld flip_max_us=%.1f hook_packets=%llu tail_misses=%llu drops=%llu aborted=%llu flip_err=%d\n",
	       flips, worst, (unsigned long long)(after.packets - before.packets),
	       (unsigned long long)(after.tail_miss - before.tail_miss),
	       (unsigned long long)(after.drop - before.drop),
	       (unsigned long long)(after.aborted - before.aborted), err);
	close(slots_fd);
	return err || after.tail_miss != before.tail_miss ? 3 : 0;
}

static void usage(void)
{
	fprintf(stderr,
		"usage: bench_flip single DIR [-n ITERS] [-L BANKDISP.o]\n"
		"       bench_flip fleet ROOT HOOK PREFIX COUNT [-n ROUNDS]\n"
		"       bench_flip churn DIR [-i FLIP_MS] [-d SECONDS]\n");
	exit(2);
}

int main(int argc, char **argv)
{
	const char *cmd, *link_obj = NULL;
	int iters = 2000, flip_ms = 10, c;
	double secs = 10;

	if (argc < 2)
		usage();
	cmd = argv[1];
	optind = 2;
	while ((c = getopt(argc, argv, "n:d:i:L:")) != -1) {
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
		case 'L':
			link_obj = optarg;
			break;
		default:
			usage();
		}
	}
	if (!strcmp(cmd, "single") && optind + 1 == argc)
		return cmd_single(argv[optind], iters, link_obj);
	if (!strcmp(cmd, "fleet") && optind + 4 == argc)
		return cmd_fleet(argv[optind], argv[optind + 1], argv[optind + 2],
				 atoi(argv[optind + 3]), iters);
	if (!strcmp(cmd, "churn") && optind + 1 == argc)
		return cmd_churn(argv[optind], flip_ms, secs);
	usage();
	return 2;
}
