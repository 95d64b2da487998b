// SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause)
/*
 * tp_bigstack: a program with a frame of about 490 bytes. The kernel
 * loads it on its own (512 bytes allowed); wrapped, tailgate's 32-byte
 * frame comes on top and the call chain would exceed 512: preflight must
 * refuse it, naming the stage and the numbers.
 */
#include <linux/bpf.h>
#include <bpf/bpf_helpers.h>

#define BUF 500

SEC("xdp")
int xdp_bigstack(struct xdp_md *ctx)
{
	volatile __u8 buf[BUF];
	__u32 i, sum = 0;

	for (i = 0; i < BUF; i++)
		buf[i] = i;
	for (i = 0; i < BUF; i += 61)
		sum += buf[i];
	return sum == 0xffffffff ? XDP_DROP : XDP_PASS;
}

char _license[] SEC("license") = "GPL";
