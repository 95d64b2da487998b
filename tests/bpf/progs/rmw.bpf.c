// SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause)
/*
 * rmw: read-modify-writes of map values, the seed article's race and its
 * look-alikes, for the static analysis. Deliberately non-atomic; never use
 * them outside tests.
 *
 *   rmw_hash     (*v)++ on a HASH value every CPU shares: a race
 *   rmw_global   count++ on a .bss global (an ARRAY every CPU shares): a race
 *   rmw_percpu   (*v)++ on a PERCPU_ARRAY value: each CPU has its own, fine
 *   rmw_atomic   an atomic add on the shared HASH value: fine
 */
#include <linux/bpf.h>
#include <bpf/bpf_helpers.h>

struct {
	__uint(type, BPF_MAP_TYPE_HASH);
	__uint(max_entries, 1);
	__type(key, __u32);
	__type(value, __u64);
} rmw_shared SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_PERCPU_ARRAY);
	__uint(max_entries, 1);
	__type(key, __u32);
	__type(value, __u64);
} rmw_mine SEC(".maps");

__u64 rmw_count;

SEC("xdp")
int rmw_hash(struct xdp_md *ctx)
{
	__u32 key = 0;
	__u64 *v = bpf_map_lookup_elem(&rmw_shared, &key);

	if (v)
		(*v)++;
	return XDP_PASS;
}

SEC("xdp")
int rmw_global(struct xdp_md *ctx)
{
	rmw_count++;
	return XDP_PASS;
}

SEC("xdp")
int rmw_percpu(struct xdp_md *ctx)
{
	__u32 key = 0;
	__u64 *v = bpf_map_lookup_elem(&rmw_mine, &key);

	if (v)
		(*v)++;
	return XDP_PASS;
}

SEC("xdp")
int rmw_atomic(struct xdp_md *ctx)
{
	__u32 key = 0;
	__u64 *v = bpf_map_lookup_elem(&rmw_shared, &key);

	if (v)
		__sync_fetch_and_add(v, 1);
	return XDP_PASS;
}

char LICENSE[] SEC("license") = "Dual BSD/GPL";
