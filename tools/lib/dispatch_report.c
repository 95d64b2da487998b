// SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause)
/* The Markdown report of tools/bench_dispatch: medians, slopes, ratios. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "bench_dispatch.h"


static int cmp_double(const void *a, const void *b)
{
	double x = *(const double *)a, y = *(const double *)b;

	return x < y ? -1 : x > y;
}

struct summary {
	double med, min, max;
};

static struct summary summarize(const double *vals, int n)
{
	double s[MAX_ROUNDS * NR_LENS];
	struct summary r = { 0 };

	if (n < 1 || n > MAX_ROUNDS * NR_LENS)
		return r;
	memcpy(s, vals, n * sizeof(*s));
	qsort(s, n, sizeof(*s), cmp_double);
	r.min = s[0];
	r.max = s[n - 1];
	r.med = n % 2 ? s[n / 2] : (s[n / 2 - 1] + s[n / 2]) / 2;
	return r;
}

/* Least-squares fit of ns against stages within run @r, over the first
 * @nl lengths: the slope, or with @icpt the intercept (the cost at zero
 * stages). */
static double fit_n(const struct bench_results *h, enum variant v, int r, bool icpt, int nl)
{
	double sx = 0, sy = 0, sxx = 0, sxy = 0, x, y, slope;
	int li;

	for (li = 0; li < nl; li++) {
		x = lens[li];
		y = h->ns[v][li][r];
		sx += x;
		sy += y;
		sxx += x * x;
		sxy += x * y;
	}
	slope = (nl * sxy - sx * sy) / (nl * sxx - sx * sx);
	return icpt ? (sy - slope * sx) / nl : slope;
}

static double fit_round(const struct bench_results *h, enum variant v, int r, bool icpt)
{
	return fit_n(h, v, r, icpt, NR_LENS);
}

/* Slope of @a − slope of @b over 1, 2 and 4 stages, per run. */
static struct summary short_slope_sum(const struct bench_results *h, enum variant a,
				      enum variant b, int rounds)
{
	double v[MAX_ROUNDS];
	int r;

	for (r = 0; r < rounds; r++)
		v[r] = fit_n(h, a, r, false, 3) - fit_n(h, b, r, false, 3);
	return summarize(v, rounds);
}

static double slope_round(const struct bench_results *h, enum variant v, int r)
{
	return fit_round(h, v, r, false);
}

/* Intercept of @a − intercept of @b, per run: a fixed cost per packet. */
static struct summary icpt_sum(const struct bench_results *h, enum variant a, enum variant b,
			       int rounds)
{
	double v[MAX_ROUNDS];
	int r;

	for (r = 0; r < rounds; r++)
		v[r] = fit_round(h, a, r, true) - fit_round(h, b, r, true);
	return summarize(v, rounds);
}

/*
 * Paired statistics: the variants of one run execute back to back, so
 * per-run slopes, differences and ratios cancel most of the load other
 * tasks put on this shared machine; their median is reported.
 * @b = NR_VARIANTS: the slope of @a alone.
 */
static struct summary slope_sum(const struct bench_results *h, enum variant a, enum variant b, int rounds)
{
	double v[MAX_ROUNDS];
	int r;

	for (r = 0; r < rounds; r++)
		v[r] = slope_round(h, a, r) - (b == NR_VARIANTS ? 0 : slope_round(h, b, r));
	return summarize(v, rounds);
}

static struct summary ratio_sum(const struct bench_results *h, enum variant a, enum variant b, int li,
				int rounds)
{
	double v[MAX_ROUNDS];
	int r;

	for (r = 0; r < rounds; r++)
		v[r] = h->ns[a][li][r] / h->ns[b][li][r];
	return summarize(v, rounds);
}

/* @a − @b per run, over every length (li < 0) or one. */
static struct summary diff_sum(const struct bench_results *h, enum variant a, enum variant b, int li,
			       int rounds)
{
	double v[MAX_ROUNDS * NR_LENS];
	int r, l, n = 0;

	for (l = li < 0 ? 0 : li; l < (li < 0 ? NR_LENS : li + 1); l++)
		for (r = 0; r < rounds; r++)
			v[n++] = h->ns[a][l][r] - h->ns[b][l][r];
	return summarize(v, n);
}

static FILE *sumf;

static void put(const char *hook, const char *key, struct summary s)
{
	if (sumf)
		fprintf(sumf, "%s_%s %.3f %.3f %.3f\n", hook, key, s.med, s.min, s.max);
}

static void cell(struct summary s)
{
	printf(" %.2f (%.2f–%.2f) |", s.med, s.min, s.max);
}

static void xcell(struct summary s)
{
	printf(" %.2fx (%.2f–%.2f) |", s.med, s.min, s.max);
}

static void report_main(const struct bench_results *h, const char *hk, int rounds, __u32 repeat,
			struct summary m[NR_VARIANTS][NR_LENS])
{
	static const enum variant cols[] = { V_FUSED, V_CHAINED, V_MONO, V_LIBXDP };
	struct summary sl[NR_VARIANTS], s;
	char key[64];
	int li, c;

	printf("\n#### %s: BPF_PROG_TEST_RUN, %d-byte packet, repeat %u, %d runs; ns/packet as the kernel times it, median (min–max)\n\n",
	       h->xdp ? "XDP" : "tc (SCHED_CLS)", PKT_LEN, repeat, rounds);
	printf("| stages | fused | chained | monolith | libxdp model | fused / monolith | chained / monolith | fused / libxdp model | chained / libxdp model |\n");
	printf("|---:|---:|---:|---:|---:|---:|---:|---:|---:|\n");
	for (li = 0; li < NR_LENS; li++) {
		printf("| %d |", lens[li]);
		for (c = 0; c < 4; c++)
			cell(m[cols[c]][li]);
		for (c = 0; c < 4; c++) {
			s = ratio_sum(h, cols[c % 2], c < 2 ? V_MONO : V_LIBXDP, li, rounds);
			xcell(s);
			snprintf(key, sizeof(key), "ratio_%s_%s_%d", vname[cols[c % 2]],
				 c < 2 ? "monolith" : "libxdp", lens[li]);
			put(hk, key, s);
		}
		printf("\n");
	}
	for (enum variant v = 0; v < V_SPLIT; v++) {
		sl[v] = slope_sum(h, v, NR_VARIANTS, rounds);
		snprintf(key, sizeof(key), "slope_%s", vname[v]);
		put(hk, key, sl[v]);
	}
	printf("\nRatios, slopes and differences are medians of per-run values (the variants of a run execute back to back, which cancels most load from other tasks); the ns columns are medians of each variant on its own.\n");
	printf("Slope of ns against stages (least squares over 1, 2, 4, 8, 16): fused **%.2f ns/stage** (%.2f–%.2f), chained **%.2f** (%.2f–%.2f), monolith %.2f (%.2f–%.2f), libxdp model %.2f (%.2f–%.2f).\n",
	       sl[V_FUSED].med, sl[V_FUSED].min, sl[V_FUSED].max, sl[V_CHAINED].med,
	       sl[V_CHAINED].min, sl[V_CHAINED].max, sl[V_MONO].med, sl[V_MONO].min,
	       sl[V_MONO].max, sl[V_LIBXDP].med, sl[V_LIBXDP].min, sl[V_LIBXDP].max);
	s = slope_sum(h, V_FUSED, V_MONO, rounds);
	put(hk, "hop_fused", s);
	printf("One hop beyond the same work in one program (slope of tailgate − slope of the monolith): fused **%.2f ns** (%.2f–%.2f)",
	       s.med, s.min, s.max);
	s = slope_sum(h, V_CHAINED, V_MONO, rounds);
	put(hk, "hop_chained", s);
	printf(", chained **%.2f ns** (%.2f–%.2f)", s.med, s.min, s.max);
	s = slope_sum(h, V_LIBXDP, V_MONO, rounds);
	put(hk, "hop_libxdp", s);
	printf("; the libxdp model's call %.2f ns (%.2f–%.2f).\n", s.med, s.min, s.max);
	s = icpt_sum(h, V_FUSED, V_MONO, rounds);
	put(hk, "fixed_fused", s);
	printf("Fixed cost per packet beyond the monolith (intercept of the fit, fused − monolith: the dispatcher, its tail call, the generation's entry): **%.2f ns** (%.2f–%.2f)",
	       s.med, s.min, s.max);
	s = icpt_sum(h, V_LIBXDP, V_MONO, rounds);
	put(hk, "fixed_libxdp", s);
	printf("; libxdp model − monolith: %.2f ns (%.2f–%.2f).\n", s.med, s.min, s.max);
	printf("A tail call, per program added to a chain ((chained − fused) / (stages − 1), per run):");
	for (li = 1; li < NR_LENS; li++) {
		double v[MAX_ROUNDS];
		int r;

		for (r = 0; r < rounds; r++)
			v[r] = (h->ns[V_CHAINED][li][r] - h->ns[V_FUSED][li][r]) / (lens[li] - 1);
		s = summarize(v, rounds);
		snprintf(key, sizeof(key), "tailhop_%d", lens[li]);
		put(hk, key, s);
		printf("%s %d stages %.2f ns (%.2f–%.2f)", li > 1 ? "," : "", lens[li], s.med, s.min,
		       s.max);
	}
	printf(".\n");
	printf("Empty program (the test-run harness floor, in every figure above): %.2f ns (%.2f–%.2f).\n",
	       m[V_FLOOR][0].med, m[V_FLOOR][0].min, m[V_FLOOR][0].max);
}

static void report_wrap(const struct bench_results *h, const char *hk, int rounds,
			struct summary m[NR_VARIANTS][NR_LENS])
{
	struct summary s, hdr;
	int li;

	printf("\nWrapper against the old header (%s), same runs: chained stages, each behind the real dispatcher.\n\n", hk);
	printf("| stages | third-party stage, wrapped (bench_plain) | header stage, wrapped (bench_pass) | old header, self-counting (bench_oldhdr) | wrapped third-party − old header |\n");
	printf("|---:|---:|---:|---:|---:|\n");
	for (li = 0; li < NR_LENS; li++) {
		printf("| %d |", lens[li]);
		cell(m[V_PLAIN][li]);
		cell(m[V_CHAINED][li]);
		cell(m[V_OLDHDR][li]);
		s = diff_sum(h, V_PLAIN, V_OLDHDR, li, rounds);
		printf(" %+.2f ns |\n", s.med);
	}
	s = slope_sum(h, V_PLAIN, V_OLDHDR, rounds);
	hdr = slope_sum(h, V_CHAINED, V_PLAIN, rounds);
	put(hk, "wrap_vs_oldhdr", s);
	put(hk, "header_vs_plain", hdr);
	printf("\nWrapper cost per stage beyond the old self-counting header (slope of wrapped third-party − slope of old header): **%+.2f ns** (%+.2f–%+.2f); the same body written with the header against the third-party one: %+.2f ns/stage (%+.2f–%+.2f).\n",
	       s.med, s.min, s.max, hdr.med, hdr.min, hdr.max);
	s = short_slope_sum(h, V_PLAIN, V_OLDHDR, rounds);
	hdr = short_slope_sum(h, V_CHAINED, V_PLAIN, rounds);
	put(hk, "wrap_vs_oldhdr_short", s);
	put(hk, "header_vs_plain_short", hdr);
	printf("Over 1, 2 and 4 stages only (chains of 8 and 16 vary between identical chains, see the bounds): wrapper − old header **%+.2f ns** per stage (%+.2f–%+.2f), header − third-party %+.2f (%+.2f–%+.2f).\n",
	       s.med, s.min, s.max, hdr.med, hdr.min, hdr.max);
}

static void report_split(const struct bench_results *h, const char *hk, int rounds,
			 struct summary m[NR_VARIANTS][NR_LENS])
{
	struct summary s;
	int li;

	printf("\nSplitting dispatcher (%s, `bpf/split.bpf.c` as built, weight %.0f %%), same runs, in front of the fused generations above:\n\n",
	       hk, SPLIT_WEIGHT / 100.0);
	printf("| stages | plain dispatcher | splitting dispatcher | extra |\n|---:|---:|---:|---:|\n");
	for (li = 0; li < NR_LENS; li++) {
		s = diff_sum(h, V_SPLIT, V_FUSED, li, rounds);
		printf("| %d |", lens[li]);
		cell(m[V_FUSED][li]);
		cell(m[V_SPLIT][li]);
		printf(" %+.2f ns (%+.2f–%+.2f) |\n", s.med, s.min, s.max);
	}
	s = diff_sum(h, V_SPLIT, V_FUSED, -1, rounds);
	put(hk, "split_extra", s);
	printf("\nExtra per packet while splitting, all lengths and runs: **%+.2f ns** (%+.2f–%+.2f).\n",
	       s.med, s.min, s.max);
}

void bench__report(const struct bench_results *h, const char *check, FILE *raw, FILE *sum)
{
	const char *hk = h->xdp ? "xdp" : "tc";
	struct summary m[NR_VARIANTS][NR_LENS];
	int li, r, rounds = h->rounds;
	char key[64];

	sumf = sum;
	for (enum variant v = 0; v < NR_VARIANTS; v++)
		for (li = 0; li < NR_LENS; li++) {
			m[v][li] = summarize(h->ns[v][li], rounds);
			snprintf(key, sizeof(key), "%s_%d", vname[v], lens[li]);
			put(hk, key, m[v][li]);
			for (r = 0; r < rounds && raw; r++)
				fprintf(raw, "%s\t%s\t%d\t%d\t%.0f\t%.3f\n", hk, vname[v], lens[li],
					r + 1, h->ns[v][li][r], h->wall[v][li][r]);
		}
	report_main(h, hk, rounds, h->repeat, m);
	report_wrap(h, hk, rounds, m);
	report_split(h, hk, rounds, m);
	printf("\nCounter check (counters.c, after every run): %s.\n", check);
}
