// SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause)
/*
 * bad_legacy_maps: a tc classifier the way iproute2's examples were
 * written before BTF maps: its map in a "maps" section as struct
 * bpf_elf_map. libbpf 1.0+ refuses such objects; tailgate must say why
 * (libbpf's own reason), not only "Operation not supported".
 */
#include <linux/bpf.h>
#include <linux/pkt_cls.h>
#include <bpf/bpf_helpers.h>

struct bpf_elf_map {
	__u32 type, size_key, size_value, max_elem, flags, id, pinning;
};

struct bpf_elf_map SEC("maps") legacy_counts = {
	.type = BPF_MAP_TYPE_ARRAY,
	.size_key = sizeof(__u32),
	.size_value = sizeof(__u64),
	.max_elem = 1,
};

SEC("classifier")
int legacy_cls(struct __sk_buff *skb)
{
	return TC_ACT_OK;
}

char LICENSE[] SEC("license") = "GPL";
