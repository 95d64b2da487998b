// SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause)
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <bpf/bpf.h>
#include <bpf/libbpf.h>

#include "counters.h"

const char *const counters__names[COUNTERS_NR] = {
	"packets", "bytes", "pass", "drop", "aborted", "tx", "redirect",
	"continued", "tail_miss",
};

int counters__read(int stats_fd, __u32 slot, struct tg_stats *sum)
{
	static struct tg_stats *percpu;
	static int ncpus;
	__u64 *s = (__u64 *)sum;
	int cpu, i;

	if (!percpu) {
		ncpus = libbpf_num_possible_cpus();
		if (ncpus <= 0)
			return ncpus ?: -EINVAL;
		/* 72-byte values: already 8-aligned as per-CPU lookups need. */
		percpu = calloc(ncpus, sizeof(*percpu));
		if (!percpu)
			return -ENOMEM;
	}
	memset(sum, 0, sizeof(*sum));
	if (bpf_map_lookup_elem(stats_fd, &slot, percpu))
		return -errno;
	for (cpu = 0; cpu < ncpus; cpu++)
		for (i = 0; i < (int)COUNTERS_NR; i++)
			s[i] += ((__u64 *)&percpu[cpu])[i];
	return 0;
}

void counters__add(struct tg_stats *a, const struct tg_stats *b)
{
	__u64 *x = (__u64 *)a;
	const __u64 *y = (const __u64 *)b;
	size_t i;

	for (i = 0; i < COUNTERS_NR; i++)
		x[i] += y[i];
}

void counters__sub(struct tg_stats *out, const struct tg_stats *a,
		   const struct tg_stats *b)
{
	const __u64 *x = (const __u64 *)a, *y = (const __u64 *)b;
	__u64 *o = (__u64 *)out;
	size_t i;

	for (i = 0; i < COUNTERS_NR; i++)
		o[i] = x[i] - y[i];
}
