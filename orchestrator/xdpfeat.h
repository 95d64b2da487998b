/* SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause) */
/*
 * Does an interface's driver run XDP natively? The kernel says so in the
 * "netdev" generic netlink family (xdp-features, kernel >= 6.3), which
 * lets preflight refuse xdp_mode: native on such a driver before
 * anything is loaded or attached. libbpf 1.1 has no call for it.
 */
#ifndef __TG_XDPFEAT_H
#define __TG_XDPFEAT_H

#include <stdbool.h>

/*
 * Set *@native to whether @ifindex's driver has native XDP
 * (NETDEV_XDP_ACT_BASIC). @return 0, or negative errno when the kernel
 * cannot say (-EOPNOTSUPP: no netdev family; the attach will tell).
 */
int xdpfeat__native(int ifindex, bool *native);

#endif /* __TG_XDPFEAT_H */
