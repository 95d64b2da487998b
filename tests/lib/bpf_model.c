// SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause)
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>
#include <linux/bpf.h>
#include <linux/pkt_cls.h>

#include "bpf_fixture.h"
#include "bpf_model.h"

static const struct tm_code xdp_codes[] = {
	{ XDP_ABORTED, "XDP_ABORTED", TG_ABORTED },
	{ XDP_DROP, "XDP_DROP", TG_DROP },
	{ XDP_PASS, "XDP_PASS", TG_PASS },
	{ XDP_TX, "XDP_TX", TG_TX },
	{ XDP_REDIRECT, "XDP_REDIRECT", TG_REDIRECT },
	/* the kernel treats an unknown XDP action as an exception: aborted */
	{ 7, "invalid 7", TG_ABORTED },
	{ -1, "invalid -1", TG_ABORTED },
};

static const struct tm_code tc_codes[] = {
	{ TC_ACT_OK, "TC_ACT_OK", TG_PASS },
	{ TC_ACT_SHOT, "TC_ACT_SHOT", TG_DROP },
	{ TC_ACT_REDIRECT, "TC_ACT_REDIRECT", TG_REDIRECT },
	{ TC_ACT_UNSPEC, "TC_ACT_UNSPEC", TG_PASS },	/* tcx: next program */
	{ TC_ACT_PIPE, "TC_ACT_PIPE", TG_PASS },
	{ TC_ACT_RECLASSIFY, "TC_ACT_RECLASSIFY", TG_PASS },
	{ TC_ACT_REPEAT, "TC_ACT_REPEAT", TG_PASS },
	/*
	 * Consumed by tc (clsact frees the skb): counted as drops. Through
	 * TCX the kernel maps them to TCX_NEXT instead, i.e. the packet goes
	 * on; the tables hold compose.c to its documented classes.
	 */
	{ TC_ACT_STOLEN, "TC_ACT_STOLEN", TG_DROP },
	{ TC_ACT_QUEUED, "TC_ACT_QUEUED", TG_DROP },
	{ TC_ACT_TRAP, "TC_ACT_TRAP", TG_DROP },
	{ 9, "unknown 9", TG_PASS },
};

const struct tm_hook tm_xdp = { "xdp", PLAN_HOOK_XDP, true, XDP_PASS, XDP_DROP, xdp_codes,
				sizeof(xdp_codes) / sizeof(xdp_codes[0]) };
const struct tm_hook tm_tc = { "tc", PLAN_HOOK_TC_INGRESS, false, TC_ACT_OK, TC_ACT_SHOT,
			       tc_codes, sizeof(tc_codes) / sizeof(tc_codes[0]) };

enum tg_verdict tm__class(const struct tm_hook *h, int code)
{
	size_t i;

	for (i = 0; i < h->nr_codes; i++)
		if (h->codes[i].code == code)
			return h->codes[i].v;
	fail_msg("code %d is not in the %s table", code, h->name);
	return TG_PASS;
}

static void bump(struct tg_stats *s, enum tg_verdict v, __u64 n)
{
	__u64 *c[] = { &s->pass, &s->drop, &s->aborted, &s->tx, &s->redirect };

	*c[v] += n;
}

void tm__run(const struct tm_hook *h, const struct tm_stage *m, int n, const int *codes,
	     int missing, bool fail_closed, __u64 runs, __u32 len, struct tm_run *o)
{
	enum tg_verdict v;
	int i;

	memset(o, 0, sizeof(*o));
	for (i = 0; i < n; i++) {
		v = tm__class(h, codes[i]);
		o->st[i].packets += runs;
		o->st[i].bytes += runs * len;
		bump(&o->st[i], v, runs);
		if (!m[i].shadow && !(m[i].continue_on & TG_VERDICT_BIT(v))) {
			o->ret = codes[i];
			return;
		}
		if (i == n - 1) {
			o->ret = v == TG_PASS ? codes[i] : h->pass;
			return;
		}
		if (i + 1 == missing) {
			o->st[i].tail_miss += runs;
			o->ret = fail_closed ? h->drop : h->pass;
			return;
		}
		o->st[i].continued += runs;
	}
}

const char *tm__codes_str(const struct tm_hook *h, const int *codes, int n, char *buf, size_t len)
{
	size_t off = 0, j;
	int i;

	buf[0] = '\0';
	for (i = 0; i < n && off < len; i++)
		for (j = 0; j < h->nr_codes; j++)
			if (h->codes[j].code == codes[i])
				off += snprintf(buf + off, len - off, "%s%s", i ? ", " : "",
						h->codes[j].name);
	return buf;
}

void tm__check(struct fx *fx, const struct tm_hook *h, __u32 base, int n, const int *codes,
	       const struct tm_run *want, __u32 ret, const struct tg_stats *d, const char *what)
{
	static const struct tg_stats zero;
	const struct tg_stats *w;
	char cs[512], g[256], ws[256];
	__u32 k;

	if (ret != want->ret)
		fail_msg("%s: %s: codes [%s]: returned %d, want %d", h->name, what,
			 tm__codes_str(h, codes, n, cs, sizeof(cs)), (int)ret, (int)want->ret);
	for (k = 0; k < TG_NR_SLOTS; k++) {
		w = k >= base && k < base + n ? &want->st[k - base] : &zero;
		if (memcmp(&d[k], w, sizeof(*w)))
			fail_msg("%s: %s: codes [%s]: stats[%u] (%s) moved by\n  got  %s\n  want %s",
				 h->name, what, tm__codes_str(h, codes, n, cs, sizeof(cs)), k,
				 w != &zero ? "a stage's slot" : "not in the chain",
				 fx__fmt_stats(&d[k], g, sizeof(g)), fx__fmt_stats(w, ws, sizeof(ws)));
	}
	(void)fx;
}

static int new_case(void **state, const struct tm_hook *h)
{
	struct tm_case *c = calloc(1, sizeof(*c));

	if (!c)
		return -1;
	c->h = h;
	c->row = *state;
	*state = c;
	return 0;
}

int tm__setup(void **state)
{
	return new_case(state, *state);
}

int tm__setup_row(void **state)
{
	return new_case(state, *(const struct tm_hook *const *)*state);
}

int tm__teardown(void **state)
{
	struct tm_case *c = *state;

	fx__fini(&c->fx);
	free(c);
	return 0;
}

struct tm_case *tm__begin(void **state)
{
	struct tm_case *c = *state;

	fx__init(&c->fx, c->h->hook);
	return c;
}
