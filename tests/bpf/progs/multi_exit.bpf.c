// SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause)
/*
 * multi_exit: a test-only stage with what inlining a stage into tailgate's
 * wrapper has to get right (orchestrator/compose.c): a stack frame of its
 * own, a static subprogram and a global function (not a bpf_loop()
 * callback: the wrapped program carries no BTF, and the kernel wants
 * func_info for callbacks, called or inlined). Its verdict comes from
 * the UDP destination port: 7000 + v gives verdict class v (pass, drop,
 * aborted, tx, redirect); anything else passes. tests/bpf/test_inline.c
 * runs it called and inlined and wants the same verdicts and counters.
 */
#include <linux/bpf.h>
#include <linux/if_ether.h>
#include <linux/ip.h>
#include <linux/in.h>
#include <linux/udp.h>
#include <linux/pkt_cls.h>
#include <bpf/bpf_helpers.h>
#include <bpf/bpf_endian.h>

struct {
	__uint(type, BPF_MAP_TYPE_ARRAY);
	__uint(max_entries, 8);
	__type(key, __u32);
	__type(value, __u64);
} multi_hits SEC(".maps");

/* Verdict class from the UDP port, -1 when the packet is not 7000..7004. */
static __attribute__((noinline)) int port_class(void *data, void *data_end)
{
	struct ethhdr *eth = data;
	struct iphdr *ip = (void *)(eth + 1);
	struct udphdr *udp = (void *)(ip + 1);
	int p;

	if ((void *)(udp + 1) > data_end || eth->h_proto != bpf_htons(ETH_P_IP) ||
	    ip->protocol != IPPROTO_UDP)
		return -1;
	p = bpf_ntohs(udp->dest) - 7000;
	return p >= 0 && p <= 4 ? p : -1;
}

__attribute__((noinline)) int multi_count(__u32 k)
{
	__u64 *v = bpf_map_lookup_elem(&multi_hits, &k);

	if (!v)
		return 0;
	__sync_fetch_and_add(v, 1);
	return 1;
}

/* A frame of its own: bytes the wrapper must not put its state in. */
static __always_inline int scratch(int c)
{
	volatile char buf[40];
	int i, sum = 0;

	for (i = 0; i < 40; i++)
		buf[i] = c + i;
	for (i = 0; i < 40; i += 8)
		sum += buf[i];
	return sum;
}

SEC("xdp")
int multi_exit(struct xdp_md *ctx)
{
	void *data = (void *)(long)ctx->data, *data_end = (void *)(long)ctx->data_end;
	int c;

	c = port_class(data, data_end);
	multi_count(c < 0 ? 7 : c);
	if (scratch(c) == 12345)
		return XDP_ABORTED;
	if (c == 1)
		return XDP_DROP;
	if (c == 2)
		return XDP_ABORTED;
	if (c == 3)
		return XDP_TX;
	if (c == 4)
		return XDP_REDIRECT;
	return XDP_PASS;
}

SEC("tc")
int multi_exit_tc(struct __sk_buff *skb)
{
	void *data = (void *)(long)skb->data, *data_end = (void *)(long)skb->data_end;
	int c;

	c = port_class(data, data_end);
	multi_count(c < 0 ? 7 : c);
	if (scratch(c) == 12345)
		return TC_ACT_SHOT;
	if (c == 1)
		return TC_ACT_SHOT;
	if (c == 2)
		return TC_ACT_UNSPEC;
	if (c == 3)
		return TC_ACT_STOLEN;
	if (c == 4)
		return TC_ACT_REDIRECT;
	return TC_ACT_OK;
}

char LICENSE[] SEC("license") = "Dual BSD/GPL";
