// SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause)
/*
 * bench_plain: a third-party pass-through program, as someone else would
 * ship it: no tailgate header, no maps, uapi headers only. tailgate wraps
 * it at load like any stage; tools/bench_dispatch compares it with the
 * same body written with the stage header (bench_pass) and with the old
 * self-counting header (bench_oldhdr).
 */
#include <linux/bpf.h>
#include <linux/pkt_cls.h>
#include <bpf/bpf_helpers.h>

SEC("xdp")
int bench_plain(struct xdp_md *ctx)
{
	return XDP_PASS;
}

SEC("tc")
int bench_plain_tc(struct __sk_buff *skb)
{
	return TC_ACT_OK;
}

char LICENSE[] SEC("license") = "Dual BSD/GPL";
