/* SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause) */
/*
 * The maps of an attach point, as its dispatchers see them. tailgate
 * replaces them, before load, with the attach point's pinned maps
 * (bpf_map__reuse_fd), so the definitions here only fix their layout.
 * Stages never include this: their wrapper (orchestrator/compose.c)
 * counts into "stats" and tail-calls through "slots" for them.
 */
#ifndef __TAILGATE_MAPS_H
#define __TAILGATE_MAPS_H

#include "vmlinux.h"
#include <bpf/bpf_helpers.h>
#include "tailgate_abi.h"
#include "tailgate_codes.h"

struct {
	__uint(type, BPF_MAP_TYPE_PROG_ARRAY);
	__uint(max_entries, TG_NR_SLOTS);
	__type(key, __u32);
	__type(value, __u32);
} slots SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_PERCPU_ARRAY);
	__uint(max_entries, TG_NR_SLOTS);
	__type(key, __u32);
	__type(value, struct tg_stats);
} stats SEC(".maps");

/*
 * The attach point's record of the datapath ABI it was built with
 * (struct tg_ap_info), readable with stock bpftool. Declared here so the
 * dispatcher's object creates it with BTF; no program reads it.
 */
struct {
	__uint(type, BPF_MAP_TYPE_ARRAY);
	__uint(max_entries, 1);
	__type(key, __u32);
	__type(value, struct tg_ap_info);
} info SEC(".maps");

/*
 * Tail call whose key is a load-time constant.
 *
 * Why: the verifier only records a tail call's key as constant (and lets
 * the JIT patch a direct jump instead of an indirect, retpolined one) when
 * every path reaching the call insn carries the same known key. A key read
 * from frozen .rodata is known to the verifier, but LLVM may still merge
 * call sites from different paths; the asm block pins one call insn with
 * r2/r3 set right before it, as libbpf's bpf_tail_call_static() does for
 * compile-time constants. The static assert fails the build for any key
 * that is not a const volatile __u32, i.e. anything the loader cannot fix
 * before load.
 */
#define tg_tail_call_rodata(ctx, map, key_var)					\
	({									\
		_Static_assert(__builtin_types_compatible_p(			\
				       __typeof__(&(key_var)),			\
				       const volatile __u32 *),			\
			       "tail-call key must be const volatile rodata");	\
		__u32 __tg_key = (key_var);					\
		asm volatile("r1 = %[c]\n\t"					\
			     "r2 = %[m]\n\t"					\
			     "r3 = %[k]\n\t"					\
			     "call 12"						\
			     :: [c]"r"(ctx), [m]"r"(map), [k]"r"(__tg_key)	\
			     : "r0", "r1", "r2", "r3", "r4", "r5");		\
	})

static __always_inline struct tg_stats *tg__stats(__u32 slot)
{
	return bpf_map_lookup_elem(&stats, &slot);
}

/* Per-CPU counters: plain adds are exact, no other writer shares the CPU slot. */
static __always_inline void tg__count_verdict(struct tg_stats *s,
					      enum tg_verdict v)
{
	if (!s)
		return;
	switch (v) {
	case TG_PASS:
		s->pass++;
		break;
	case TG_DROP:
		s->drop++;
		break;
	case TG_ABORTED:
		s->aborted++;
		break;
	case TG_TX:
		s->tx++;
		break;
	case TG_REDIRECT:
		s->redirect++;
		break;
	case TG_CONTINUE:
		s->continued++;
		break;
	}
}

/*
 * The entry program (the dispatcher, or the splitting dispatcher while a
 * weighted step runs) found slot 0 empty: it decides itself, and slot 0
 * of "stats" counts the packet, the miss and the fallback verdict.
 */
static __always_inline enum tg_verdict tg__entry_missed(__u32 len,
							__u32 fail_closed)
{
	enum tg_verdict v = fail_closed ? TG_DROP : TG_PASS;
	struct tg_stats *s = tg__stats(TG_SLOT_ENTRY);

	if (s) {
		s->packets++;
		s->bytes += len;
		s->tail_miss++;
	}
	tg__count_verdict(s, v);
	return v;
}

#endif /* __TAILGATE_MAPS_H */
