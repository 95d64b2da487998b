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

/*
 * Per-slot counters, one struct per slot and CPU in the per-CPU array
 * "stats". For every slot:
 *
 *   packets = pass + drop + aborted + tx + redirect + continued
 *
 * A continue whose tail call misses is taken back out of "continued",
 * counted in "tail_miss" and in the fallback verdict (pass, or drop when
 * fail-closed), so the identity above always holds. Slot 0 holds what the
 * dispatcher decided itself: only packets that found slot 0 empty (each a
 * tail miss); packets it hands on are counted by the head stage.
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

/* What a stage body returns; the stage header maps it to XDP/tc codes. */
enum tg_verdict {
	TG_PASS = 0,
	TG_DROP,
	TG_ABORTED,
	TG_TX,
	TG_REDIRECT,
	TG_CONTINUE,
};

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
