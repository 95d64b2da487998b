// SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause)
/*
 * tp_seed_tc: the seed article's packet counter as a third party would
 * write it for tc (the verbatim XDP program cannot run on a tc hook):
 * same map, same (*value)++, a plain SEC("tc") program, no tailgate
 * header.
 */
#include <linux/bpf.h>
#include <linux/pkt_cls.h>
#include <bpf/bpf_helpers.h>

struct {
	__uint(type, BPF_MAP_TYPE_ARRAY);
	__uint(max_entries, 1);
	__type(key, __u32);
	__type(value, __u64);
} packet_count_map SEC(".maps");

SEC("tc")
int tc_packet_counter(struct __sk_buff *skb)
{
	__u32 key = 0;
	__u64 *value = bpf_map_lookup_elem(&packet_count_map, &key);

	if (value) {
		(*value)++;
	}
	return TC_ACT_OK;
}

char _license[] SEC("license") = "GPL";
