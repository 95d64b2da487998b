// SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause)
/*
 * tp_pinned: a third-party program whose map asks libbpf to pin it by name
 * (LIBBPF_PIN_BY_NAME: /sys/fs/bpf/tp_pinned_seen, shared by every loader
 * of the object). tailgate must keep it private to each attach point and
 * generation instead, and pin nothing outside its own pin root.
 */
#include <linux/bpf.h>
#include <linux/pkt_cls.h>
#include <bpf/bpf_helpers.h>

struct {
	__uint(type, BPF_MAP_TYPE_ARRAY);
	__uint(max_entries, 1);
	__type(key, __u32);
	__type(value, __u64);
	__uint(pinning, LIBBPF_PIN_BY_NAME);
} tp_pinned_seen SEC(".maps");

static __always_inline void seen(void)
{
	__u32 key = 0;
	__u64 *v = bpf_map_lookup_elem(&tp_pinned_seen, &key);

	if (v)
		__sync_fetch_and_add(v, 1);
}

SEC("xdp")
int tp_pin_xdp(struct xdp_md *ctx)
{
	seen();
	return XDP_PASS;
}

SEC("tc")
int tp_pin_tc(struct __sk_buff *skb)
{
	seen();
	return TC_ACT_OK;
}

char LICENSE[] SEC("license") = "Dual BSD/GPL";
