// SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause)
/*
 * redirect_10pct: a plain XDP program that redirects about one packet in
 * ten to an interface index that does not exist, so the kernel drops them
 * after the program returned XDP_REDIRECT. The drop counters never see
 * them: only max_verdict_delta (redirect's share against the baseline)
 * catches this version.
 */
#include <linux/bpf.h>
#include <bpf/bpf_helpers.h>

#define NO_SUCH_IFINDEX	0x7ffffff0

SEC("xdp")
int redirect_10pct(struct xdp_md *ctx)
{
	if (bpf_get_prandom_u32() % 10 == 0)
		return bpf_redirect(NO_SUCH_IFINDEX, 0);
	return XDP_PASS;
}

char LICENSE[] SEC("license") = "Dual BSD/GPL";
