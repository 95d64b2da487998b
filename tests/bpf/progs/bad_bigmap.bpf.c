// SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause)
/*
 * bad_bigmap: a stage whose map the kernel cannot allocate: an ARRAY of
 * 2^32 - 1 values of 4 KiB, i.e. 16 TiB. Why this is safe to try: the
 * array is one bpf_map_area_alloc(), and vmalloc refuses any size above
 * the machine's total RAM before it touches a page, so map creation fails
 * with ENOMEM in microseconds and nothing is allocated (checked on 6.18).
 * Preflight must report it cleanly and leave nothing behind.
 */
#include "tailgate_stage.h"

struct big_value {
	__u8 bytes[4096];
};

struct {
	__uint(type, BPF_MAP_TYPE_ARRAY);
	__uint(max_entries, 0xffffffff);
	__type(key, __u32);
	__type(value, struct big_value);
} huge SEC(".maps");

static __always_inline enum tg_verdict big_body(struct tg_pkt *pkt)
{
	__u32 key = pkt->len;
	struct big_value *v = bpf_map_lookup_elem(&huge, &key);

	if (v)
		v->bytes[0] = 1;
	return TG_CONTINUE;
}

TG_STAGE(bigmap, big_body)

char LICENSE[] SEC("license") = "Dual BSD/GPL";
