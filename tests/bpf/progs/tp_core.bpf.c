// SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause)
/*
 * tp_core: a third-party program built against vmlinux.h that relies on
 * CO-RE relocations, which libbpf resolves against the running kernel's
 * BTF at load. Its local types are deliberately unlike the kernel's, so
 * only relocated code behaves right:
 *
 *  - struct ethhdr___tp puts h_proto first; the field relocation moves the
 *    load to the kernel's offset (12). Unrelocated, it would read the
 *    destination MAC.
 *  - enum xdp_action___tp / tcx_action_base___tp give the verdicts values
 *    the kernel does not use; the enum value relocations replace them with
 *    the kernel's. Unrelocated, every return code would be invalid.
 *
 * Drops IPv6, passes everything else.
 */
#include "vmlinux.h"
#include <bpf/bpf_core_read.h>
#include <bpf/bpf_endian.h>
#include <bpf/bpf_helpers.h>

#define ETH_P_IPV6	0x86DD

struct ethhdr___tp {
	__be16 h_proto;
	unsigned char h_source[6];
	unsigned char h_dest[6];
} __attribute__((preserve_access_index));

enum xdp_action___tp {
	XDP_DROP___tp = 41,
	XDP_PASS___tp = 42,
};

enum tcx_action_base___tp {
	TCX_PASS___tp = 40,
	TCX_DROP___tp = 42,
};

static __always_inline int is_ipv6(void *data, void *data_end)
{
	struct ethhdr___tp *eth = data;

	if (data + 14 > data_end)
		return 0;
	return eth->h_proto == bpf_htons(ETH_P_IPV6);
}

SEC("xdp")
int tp_core_xdp(struct xdp_md *ctx)
{
	if (is_ipv6((void *)(long)ctx->data, (void *)(long)ctx->data_end))
		return bpf_core_enum_value(enum xdp_action___tp, XDP_DROP___tp);
	return bpf_core_enum_value(enum xdp_action___tp, XDP_PASS___tp);
}

SEC("tc")
int tp_core_tc(struct __sk_buff *skb)
{
	if (is_ipv6((void *)(long)skb->data, (void *)(long)skb->data_end))
		return bpf_core_enum_value(enum tcx_action_base___tp, TCX_DROP___tp);
	return bpf_core_enum_value(enum tcx_action_base___tp, TCX_PASS___tp);
}

char LICENSE[] SEC("license") = "Dual BSD/GPL";
