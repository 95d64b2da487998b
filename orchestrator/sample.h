/* SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause) */
/*
 * Reading one generation's counters off an attach point, summed over its
 * stages, with the verdicts it let packets leave with (from each stage's
 * verdicts and the ones it hands on: its continue_on, or every verdict in
 * shadow mode). The same for chained and fused generations: both count
 * each stage under its own slot.
 */
#ifndef __TG_SAMPLE_H
#define __TG_SAMPLE_H

#include <stdbool.h>

#include "ap.h"
#include "health.h"
#include "store.h"

struct gen_view {
	int bank;			/* AP_BANK_NONE: no generation (slot 0 alone) */
	int nr_stages;
	uint32_t continue_on[TG_MAX_STAGES];
	bool shadow[TG_MAX_STAGES];
	bool legacy;			/* ABI 1 counting: exclusive verdict buckets */
	bool fail_closed;		/* verdict of a missed hand-over */
};

/* A view of @bank from its generation's record (legacy without one). */
void sample__view(const struct ap *ap, int bank, struct gen_view *v);

/* A view from a record in hand. */
void sample__view_record(const struct gen_record *g, int bank, struct gen_view *v);

/* Counters of the generation @v describes, now. @return 0 or -errno. */
int sample__read(const struct ap *ap, const struct gen_view *v, struct health_sample *s);

/* Milliseconds on CLOCK_MONOTONIC. */
uint64_t sample__now_ms(void);

#endif /* __TG_SAMPLE_H */
