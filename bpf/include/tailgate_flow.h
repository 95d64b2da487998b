/* SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause) */
/*
 * The weighted canary's flow hash, one definition for both sides: the
 * splitting dispatcher hashes each packet's flow with it (through
 * tailgate_flow_bpf.h), user space predicts with it which flows a weight
 * sends to the new generation. Nothing here may be copied to either side.
 *
 * It must compile in BPF programs (vmlinux.h already provides the __uN
 * types) and in user space (linux/types.h), like tailgate_abi.h.
 *
 * A flow is a short list of __u32 words, each the header bytes exactly as
 * a __u32 load from the packet gives them (host byte order on both sides,
 * which share the host): nobody swaps bytes, so the BPF side loads and
 * hashes.
 *
 *   IPv4 (TG_FLOW_WORDS_V4):  saddr, daddr, ports, protocol
 *   IPv6 (TG_FLOW_WORDS_V6):  saddr[0..3], daddr[0..3], ports, next header
 *
 * ports is tg_flow_ports(source, dest) for TCP and UDP, 0 for anything
 * else and for every IPv4 fragment (the first included: one datagram, one
 * hash). The word count is part of the hash, so the families never share
 * a layout by accident.
 */
#ifndef __TAILGATE_FLOW_H
#define __TAILGATE_FLOW_H

#ifndef __VMLINUX_H__
#include <linux/types.h>
#endif
#include "tailgate_abi.h"

/* Not __always_inline: glibc's sys/cdefs.h defines that one differently. */
#define TG_FLOW_INLINE		static inline __attribute__((always_inline))

#define TG_FLOW_WORDS_V4	4
#define TG_FLOW_WORDS_V6	10
#define TG_FLOW_MAX_WORDS	10

/*
 * Word j's key is seed + TG_FLOW_KEY(j): 2^32 / golden ratio steps (a Weyl
 * sequence, so no two words share a key), kept below 2^31 so that BPF
 * adds each one as an immediate.
 */
#define TG_FLOW_GOLDEN		0x9e3779b9u
#define TG_FLOW_KEY(j)		(((__u32)(j) + 1) * TG_FLOW_GOLDEN & 0x7fffffffu)

/* MurmurHash3's 64-bit finalizer: a bijection with full avalanche. */
TG_FLOW_INLINE __u64 tg__flow_fmix64(__u64 x)
{
	x ^= x >> 33;
	x *= 0xff51afd7ed558ccdULL;
	x ^= x >> 33;
	x *= 0xc4ceb9fe1a85ec53ULL;
	x ^= x >> 33;
	return x;
}

/*
 * Hash of @n words (at most TG_FLOW_MAX_WORDS) with @seed.
 *
 * NH (the inner hash of UMAC and VMAC) compresses the words in pairs,
 * keyed by the seed: acc = n + the sum of (w[2i] + k[2i]) * (w[2i+1] +
 * k[2i+1]), with k[j] = seed + TG_FLOW_KEY(j), in 64-bit arithmetic (a
 * word plus its key never wraps, so no factor is ever 0, and BPF needs no
 * 32-bit truncations). The products do not depend on each other, so the
 * CPU runs them side by side (IPv4: 2, IPv6: 5), and each mixes two words
 * non-linearly, so structured inputs (sequential ports, neighbouring
 * addresses) do not line up. The seed is in every factor: another seed is
 * another function (products of seed and words), not the same one shifted.
 * MurmurHash3's fmix64 then spreads every bit of the sum over the 32 bits
 * returned, the high ones being what tg_flow_bucket() uses. (One
 * xorshift-multiply round passes tests/unit/test_flow.c too, but it saves
 * nothing tools/bench_split can measure, so the full finalizer stays.)
 * Pure: same words and seed, same hash, on both sides.
 */
TG_FLOW_INLINE __u32 tg_flow_hash(const __u32 *w, __u32 n, __u32 seed)
{
	__u64 acc, a, b;
	__u32 i;

	if (n > TG_FLOW_MAX_WORDS)
		n = TG_FLOW_MAX_WORDS;
	acc = n;
	for (i = 0; i < n; i += 2) {
		a = (__u64)w[i] + seed + TG_FLOW_KEY(i);
		b = (__u64)(i + 1 < n ? w[i + 1] : 0) + seed +
		    TG_FLOW_KEY(i + 1);
		acc += a * b;
	}
	return tg__flow_fmix64(acc) >> 32;
}

/*
 * The ports word: the first four bytes of a TCP or UDP header, i.e. what
 * a __u32 load of them gives (the BPF side does just that load).
 */
TG_FLOW_INLINE __u32 tg_flow_ports(__be16 sport, __be16 dport)
{
	union {
		__be16 p[2];
		__u32 w;
	} u = { .p = { sport, dport } };

	return u.w;
}

/* Addresses and ports in network order, as they are in the headers. */
TG_FLOW_INLINE __u32 tg_flow_hash_v4(__be32 saddr, __be32 daddr, __u8 proto,
				     __u32 ports, __u32 seed)
{
	const __u32 w[TG_FLOW_WORDS_V4] = { saddr, daddr, ports, proto };

	return tg_flow_hash(w, TG_FLOW_WORDS_V4, seed);
}

TG_FLOW_INLINE __u32 tg_flow_hash_v6(const __be32 *saddr, const __be32 *daddr,
				     __u8 nexthdr, __u32 ports, __u32 seed)
{
	const __u32 w[TG_FLOW_WORDS_V6] = {
		saddr[0], saddr[1], saddr[2], saddr[3],
		daddr[0], daddr[1], daddr[2], daddr[3],
		ports,	  nexthdr,
	};

	return tg_flow_hash(w, TG_FLOW_WORDS_V6, seed);
}

/*
 * The hash scaled to [0, TG_WEIGHT_FULL): a flow is on the new generation
 * when its bucket is below struct tg_split's weight_bp. The high bits
 * decide (multiply-shift, no division). Every bucket holds 429496 or
 * 429497 of the 2^32 hash values, so weight_bp buckets hold weight_bp /
 * 10000 of them to within one value.
 */
TG_FLOW_INLINE __u32 tg_flow_bucket(__u32 hash)
{
	return ((__u64)hash * TG_WEIGHT_FULL) >> 32;
}

#endif /* __TAILGATE_FLOW_H */
