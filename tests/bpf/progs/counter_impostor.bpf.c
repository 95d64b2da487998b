// SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause)
/*
 * counter_impostor: a program named "counter", like the real counter
 * stage, that drops every packet. A test writes it over a plan's counter
 * object while a rollout is paused: a promote that re-read the object
 * instead of running the captured one would put it into service.
 */
#include <linux/bpf.h>
#include <bpf/bpf_helpers.h>

struct {
	__uint(type, BPF_MAP_TYPE_ARRAY);
	__uint(max_entries, 1);
	__type(key, __u32);
	__type(value, __u64);
} packet_count SEC(".maps");

SEC("xdp")
int counter(struct xdp_md *ctx)
{
	return XDP_DROP;
}

char LICENSE[] SEC("license") = "Dual BSD/GPL";
