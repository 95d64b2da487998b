// SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause)
/*
 * tx_all: a plain XDP program (no stage header) that bounces every packet
 * back out of the interface it came in on. Nothing is dropped, so the drop
 * gates see a healthy stage; only the verdict distribution against the
 * baseline (max_verdict_delta) shows that no packet reaches the host.
 */
#include <linux/bpf.h>
#include <bpf/bpf_helpers.h>

SEC("xdp")
int tx_all(struct xdp_md *ctx)
{
	return XDP_TX;
}

char LICENSE[] SEC("license") = "Dual BSD/GPL";
