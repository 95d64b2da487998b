// SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause)
/*
 * tp_kitchen: a third-party object with what shipped objects carry: a map
 * pinned by name (LIBBPF_PIN_BY_NAME), .rodata, .bss and .data, a static
 * subprogram and a global function, and several programs (XDP, tc and a
 * decoy that drops everything, which a plan must never pick by mistake).
 *
 *   kitchen_seen[0]  packets seen (atomic)   kitchen_seen[1]  drops
 *   kitchen_seen[2]  IPv4 packets from 198.18.0.0/15, the source address
 *                    read at an offset libbpf relocates (CO-RE) from the
 *                    kernel's struct iphdr
 *   .bss  bss_packets  packets seen          .data data_packets from 1000
 *   .rodata drop_port (9421): UDP to it is dropped
 */
#include <linux/bpf.h>
#include <linux/if_ether.h>
#include <linux/in.h>
#include <linux/ip.h>
#include <linux/pkt_cls.h>
#include <linux/udp.h>
#include <bpf/bpf_helpers.h>
#include <bpf/bpf_core_read.h>
#include <bpf/bpf_endian.h>

struct {
	__uint(type, BPF_MAP_TYPE_ARRAY);
	__uint(max_entries, 4);
	__type(key, __u32);
	__type(value, __u64);
	__uint(pinning, LIBBPF_PIN_BY_NAME);
} kitchen_seen SEC(".maps");

const volatile __u16 drop_port = 9421;
__u64 bss_packets;
__u64 data_packets = 1000;

/* A real subprogram (not inlined): the UDP destination port, or 0. */
static __attribute__((noinline)) int udp_dport(void *data, void *data_end)
{
	struct ethhdr *eth = data;
	struct iphdr *ip = (void *)(eth + 1);
	struct udphdr *udp = (void *)(ip + 1);

	if ((void *)(udp + 1) > data_end || eth->h_proto != bpf_htons(ETH_P_IP) ||
	    ip->protocol != IPPROTO_UDP || ip->ihl != 5)
		return 0;
	return bpf_ntohs(udp->dest);
}

/* Only the field it reads: libbpf finds saddr's offset in the kernel's BTF. */
struct iphdr___kitchen {
	__be32 saddr;
} __attribute__((preserve_access_index));

static __always_inline void count_bench_src(void *data, void *data_end)
{
	struct ethhdr *eth = data;
	struct iphdr___kitchen *ip = (void *)(eth + 1);
	__u32 key = 2;
	__u64 *v;

	if ((void *)(eth + 1) + sizeof(struct iphdr) > data_end || eth->h_proto != bpf_htons(ETH_P_IP))
		return;
	if ((bpf_ntohl(ip->saddr) & 0xfffe0000) != 0xc6120000)	/* 198.18.0.0/15 */
		return;
	v = bpf_map_lookup_elem(&kitchen_seen, &key);
	if (v)
		__sync_fetch_and_add(v, 1);
}

/* A global function: verified on its own when the object is loaded as is. */
__attribute__((noinline)) int kitchen_count(int port)
{
	__u32 key = 0;
	__u64 *v = bpf_map_lookup_elem(&kitchen_seen, &key);

	if (v)
		__sync_fetch_and_add(v, 1);
	__sync_fetch_and_add(&bss_packets, 1);
	__sync_fetch_and_add(&data_packets, 1);
	if (port != drop_port)
		return 0;
	key = 1;
	v = bpf_map_lookup_elem(&kitchen_seen, &key);
	if (v)
		__sync_fetch_and_add(v, 1);
	return 1;
}

SEC("xdp")
int kitchen_xdp(struct xdp_md *ctx)
{
	int port = udp_dport((void *)(long)ctx->data, (void *)(long)ctx->data_end);

	count_bench_src((void *)(long)ctx->data, (void *)(long)ctx->data_end);
	return kitchen_count(port) ? XDP_DROP : XDP_PASS;
}

SEC("tc")
int kitchen_tc(struct __sk_buff *skb)
{
	int port = udp_dport((void *)(long)skb->data, (void *)(long)skb->data_end);

	count_bench_src((void *)(long)skb->data, (void *)(long)skb->data_end);
	return kitchen_count(port) ? TC_ACT_SHOT : TC_ACT_OK;
}

SEC("xdp")
int kitchen_decoy(struct xdp_md *ctx)
{
	return XDP_DROP;
}

char _license[] SEC("license") = "GPL";
