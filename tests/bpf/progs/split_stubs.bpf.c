// SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause)
/*
 * split_stubs: the two generations test_split.c puts behind the splitting
 * dispatcher, told apart by their verdict alone. They count nothing and
 * share no map, so what the split decided is the only thing a run shows:
 *
 *   gen_old / gen_old_tc   XDP_PASS / TC_ACT_OK     (old head, slot 1 and 0)
 *   gen_new / gen_new_tc   XDP_TX   / TC_ACT_SHOT   (new head, slot 17)
 */
#include "vmlinux.h"
#include <bpf/bpf_helpers.h>

#define TC_ACT_OK	0
#define TC_ACT_SHOT	2

SEC("xdp")
int gen_old(struct xdp_md *ctx)
{
	return XDP_PASS;
}

SEC("tc")
int gen_old_tc(struct __sk_buff *skb)
{
	return TC_ACT_OK;
}

SEC("xdp")
int gen_new(struct xdp_md *ctx)
{
	return XDP_TX;
}

SEC("tc")
int gen_new_tc(struct __sk_buff *skb)
{
	return TC_ACT_SHOT;
}

char LICENSE[] SEC("license") = "Dual BSD/GPL";
