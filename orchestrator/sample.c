// SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause)
#include <string.h>
#include <time.h>

#include "counters.h"
#include "sample.h"

uint64_t sample__now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec * 1000ull + ts.tv_nsec / 1000000;
}

void sample__view_record(const struct gen_record *g, int bank, struct gen_view *v)
{
	int i;

	memset(v, 0, sizeof(*v));
	v->bank = bank;
	v->nr_stages = g->nr_stages;
	v->fail_closed = g->fail_closed;
	for (i = 0; i < g->nr_stages; i++) {
		v->continue_on[i] = g->continue_on[i];
		v->shadow[i] = g->shadow[i];
	}
}

void sample__view(const struct ap *ap, int bank, struct gen_view *v)
{
	struct gen_record g;

	memset(v, 0, sizeof(*v));
	v->bank = bank;
	if (bank < 0)
		return;
	if (ap->bank[bank].gen && !store__load_gen(ap->bank[bank].gen, &g) &&
	    g.nr_stages == ap->bank[bank].nr_stages) {
		sample__view_record(&g, bank, v);
		return;
	}
	/* A bank without tailgate's names was loaded by 0.1 (or by hand). */
	v->legacy = !ap->bank[bank].gen;
	v->nr_stages = ap->bank[bank].nr_stages ?: ap->bank[bank].nr;
	for (bank = 0; bank < v->nr_stages; bank++)
		v->continue_on[bank] = TG_VERDICT_BIT(TG_PASS);
}

static const __u64 *verdicts(const struct tg_stats *c)
{
	return &c->pass;	/* pass, drop, aborted, tx, redirect: enum order */
}

int sample__read(const struct ap *ap, const struct gen_view *v, struct health_sample *s)
{
	struct tg_stats c;
	const __u64 *vc;
	int i, k, err, last = v->nr_stages - 1;
	uint32_t on;

	memset(s, 0, sizeof(*s));
	if (v->bank < 0) {
		/* No generation: the dispatcher passes (or drops) alone. */
		err = counters__read(ap->stats_fd, TG_SLOT_ENTRY, &c);
		s->packets = c.packets;
		s->drop = c.drop;
		s->out[TG_PASS] = c.pass;
		s->out[TG_DROP] = c.drop;
		return err;
	}
	for (i = 0; i <= last; i++) {
		err = counters__read(ap->stats_fd, TG_BANK_BASE(v->bank) + i, &c);
		if (err)
			return err;
		if (!i)
			s->packets = c.packets;
		s->drop += c.drop;
		s->aborted += c.aborted;
		s->tail_miss += c.tail_miss;
		vc = verdicts(&c);
		on = v->shadow[i] ? TG_VERDICT_ALL : v->continue_on[i];
		for (k = 0; k < TG_NR_VERDICTS; k++) {
			if (v->legacy || !(on & TG_VERDICT_BIT(k)))
				s->out[k] += vc[k];	/* left the chain here */
			else if (i == last)
				s->out[TG_PASS] += vc[k];	/* the chain's pass */
		}
		/* 0.1 counted the fallback verdict of a miss already. */
		if (!v->legacy)
			s->out[v->fail_closed ? TG_DROP : TG_PASS] += c.tail_miss;
	}
	return 0;
}
