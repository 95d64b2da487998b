/* SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause) */
/*
 * The contract between tailgate's BPF programs and its user space: slot
 * layout, counter layout, map names and verdict codes. Both sides include
 * this file; nothing here may be copied by hand to the other side.
 *
 * It must compile in BPF programs (vmlinux.h already provides the __uN
 * types) and in user space (linux/types.h).
 */
#ifndef __TAILGATE_ABI_H
#define __TAILGATE_ABI_H

#ifndef __VMLINUX_H__
#include <linux/types.h>
#endif

/*
 * Slot map of one attach point's prog array:
 *
 *   0        entry: the head of the live generation
 *   1..16    bank A
 *   17..32   bank B
 *
 * A generation occupies one bank, head at the bank's first slot. Slot 0 is
 * a second reference to that head, so going live (or rolling back) is one
 * write of slot 0.
 */
#define TG_SLOT_ENTRY		0u
#define TG_BANK_SLOTS		16u
#define TG_NR_BANKS		2u
#define TG_NR_SLOTS		(1u + TG_NR_BANKS * TG_BANK_SLOTS)
#define TG_SLOT_NONE		0xffffffffu	/* "no next stage" */

#define TG_BANK_BASE(bank)	(1u + (bank) * TG_BANK_SLOTS)

/*
 * The kernel allows 33 tail calls per packet (MAX_TAIL_CALL_CNT); the
 * dispatcher uses one, so 16 stages stay far below the limit.
 */
#define TG_MAX_STAGES		16	/* == TG_BANK_SLOTS */
#define TG_KERNEL_TAIL_CALL_LIMIT 33u

/* Pin and map names: they become bpffs file names and show in bpftool. */
#define TG_MAP_SLOTS		"slots"
#define TG_MAP_STATS		"stats"
#define TG_PIN_LINK		"link"
#define TG_PIN_PROG		"prog"	/* clsact fallback: no link, the program */
#define TG_PIN_MAPS_DIR		"maps"
#define TG_PIN_INFO		"info"	/* struct tg_ap_info */
#define TG_MAP_SPLIT		"split"	/* struct tg_split, while splitting */

/*
 * Per-slot counters, one struct per slot and CPU in the per-CPU array
 * "stats". For every slot (ABI 2):
 *
 *   packets = pass + drop + aborted + tx + redirect
 *
 * the verdict buckets hold what the stage decided; "continued" counts the
 * packets it handed to the next stage (a subset), "tail_miss" the
 * hand-overs that found the next slot empty (those left with the fallback
 * verdict: pass, or drop when fail-closed; not in "continued"). Slot 0
 * holds what the dispatcher decided itself: only packets that found slot
 * 0 empty (each a tail miss); packets it hands on are counted by the head
 * stage.
 */
struct tg_stats {
	__u64 packets;
	__u64 bytes;
	__u64 pass;
	__u64 drop;
	__u64 aborted;
	__u64 tx;
	__u64 redirect;
	__u64 continued;
	__u64 tail_miss;
};

/*
 * Verdict classes: what a stage decided, for XDP and tc alike (tc:
 * TC_ACT_OK = pass, TC_ACT_SHOT = drop, TC_ACT_REDIRECT = redirect). A
 * stage written with the stage header returns one of these (or
 * TG_CONTINUE, which is pass); plans name them in continue_on.
 */
enum tg_verdict {
	TG_PASS = 0,
	TG_DROP,
	TG_ABORTED,
	TG_TX,
	TG_REDIRECT,
	TG_CONTINUE,
};

#define TG_NR_VERDICTS		5		/* pass .. redirect */
#define TG_VERDICT_BIT(v)	(1u << (v))	/* continue_on masks */
#define TG_VERDICT_ALL		((1u << TG_NR_VERDICTS) - 1)

/*
 * Version of the datapath layout an attach point was built with (slot
 * map, counter layout and meaning, dispatcher protocol). Recorded in the
 * attach point's "info" map; a tailgate refuses an attach point newer
 * than it knows and upgrades older ones in place.
 *
 *   1  tailgate 0.1: stages count themselves, "continued" is one of the
 *      exclusive verdict buckets; no info map.
 *   2  every stage is wrapped at load: the verdict buckets (pass, drop,
 *      aborted, tx, redirect) hold what the stage decided and sum to
 *      packets; "continued" counts the packets handed to the next stage.
 */
#define TG_ABI_VERSION		2u
#define TG_ABI_MAGIC		0x74676174u	/* "tgat" */

/* Value of the attach point's pinned "info" map (one entry, key 0). */
struct tg_ap_info {
	__u32 magic;		/* TG_ABI_MAGIC */
	__u32 abi_version;	/* TG_ABI_VERSION of the tailgate that made it */
	__u32 nr_slots;		/* TG_NR_SLOTS */
	__u32 stats_size;	/* sizeof(struct tg_stats) */
	__u32 ifindex;		/* interface it was attached to */
	__u32 flags;		/* TG_AP_F_* */
};

#define TG_AP_F_CLSACT		(1u << 0)	/* tc through clsact, not TCX */

/*
 * Weighted canary: value of the splitting dispatcher's "split" map (one
 * entry, key 0). A flow goes to the new generation when its hash, scaled
 * to [0, 10000), is below weight_bp; raising the weight only moves flows
 * from the old generation to the new one.
 */
struct tg_split {
	__u32 weight_bp;	/* share of flows in 0.01 %: 1 .. 10000 */
	__u32 seed;		/* per rollout */
};

#define TG_WEIGHT_FULL		10000u

/*
 * Key of the blocklist stage's LPM trie "blocked": one trie for both
 * families, IPv4 stored as IPv4-mapped IPv6 (::ffff:a.b.c.d) with the
 * prefix length + 96.
 */
struct tg_lpm_key {
	__u32 prefixlen;	/* bits */
	__u8 addr[16];
};

#endif /* __TAILGATE_ABI_H */
