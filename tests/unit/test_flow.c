// SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause)
/*
 * The weighted canary's flow hash (bpf/include/tailgate_flow.h), in user
 * space, where the orchestrator predicts with it what the datapath does:
 * known answers, the word layout, bucket bounds, avalanche, and shares
 * over many seeds for the structured traffic a canary really sees.
 * test_split.c checks that the BPF side computes the same thing.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>
#include <math.h>
#include <arpa/inet.h>
#include <cmocka.h>

#include "../../bpf/include/tailgate_flow.h"

static __u64 splitmix64(__u64 *s)
{
	__u64 z = (*s += 0x9e3779b97f4a7c15ULL);

	z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ULL;
	z = (z ^ (z >> 27)) * 0x94d049bb133111ebULL;
	return z ^ (z >> 31);
}

static __be32 a4(const char *s)
{
	struct in_addr a;

	assert_int_equal(inet_pton(AF_INET, s, &a), 1);
	return a.s_addr;
}

static void a6(const char *s, __be32 w[4])
{
	assert_int_equal(inet_pton(AF_INET6, s, w), 1);
}

/*
 * Known answers. A change here reassigns every flow: a datapath loaded by
 * one tailgate and predicted by another would disagree mid-rollout. Change
 * them only together with a new datapath ABI version. (Words are host
 * order loads, so the figures are those of a little-endian host.)
 */
static void test_known_answers(void **state)
{
	__u32 ports = tg_flow_ports(htons(40000), htons(53));
	__be32 s6[4], d6[4];

	(void)state;
#if __BYTE_ORDER__ != __ORDER_LITTLE_ENDIAN__
	skip();
#endif
	a6("2001:2::1", s6);
	a6("2001:2:0:1::2", d6);
	assert_int_equal(tg_flow_hash_v4(a4("198.18.0.1"), a4("198.19.0.2"),
					 17, ports, 0),
			 0x9cbbcf81);
	assert_int_equal(tg_flow_hash_v4(a4("198.18.0.1"), a4("198.19.0.2"),
					 17, ports, 0x7a11ca7e),
			 0x601a9a54);
	ports = tg_flow_ports(htons(51515), htons(443));
	assert_int_equal(tg_flow_hash_v6(s6, d6, 6, ports, 0), 0x470640da);
	assert_int_equal(tg_flow_hash_v6(s6, d6, 6, ports, 0x7a11ca7e),
			 0xf8a3e1d1);
}

/* The layout tailgate_flow.h documents, and the ports word's bytes. */
static void test_layout(void **state)
{
	__u8 l4[4] = { 0x9c, 0x40, 0x00, 0x35 };	/* 40000 -> 53 */
	__be32 s6[4], d6[4];
	__u32 w[TG_FLOW_MAX_WORDS], load;

	(void)state;
	memcpy(&load, l4, 4);
	assert_int_equal(tg_flow_ports(htons(40000), htons(53)), load);
	w[0] = a4("198.18.0.1");
	w[1] = a4("198.19.0.2");
	w[2] = load;
	w[3] = 17;
	assert_int_equal(tg_flow_hash(w, TG_FLOW_WORDS_V4, 5),
			 tg_flow_hash_v4(w[0], w[1], 17, load, 5));
	a6("2001:2::1", s6);
	a6("2001:2:0:1::2", d6);
	memcpy(w, s6, 16);
	memcpy(w + 4, d6, 16);
	w[8] = load;
	w[9] = 6;
	assert_int_equal(tg_flow_hash(w, TG_FLOW_WORDS_V6, 5),
			 tg_flow_hash_v6(s6, d6, 6, load, 5));
	/* the length is hashed: a trailing zero word is not nothing */
	w[3] = 0;
	assert_int_not_equal(tg_flow_hash(w, 3, 5), tg_flow_hash(w, 4, 5));
	/* and it is capped: nothing past TG_FLOW_MAX_WORDS is read */
	assert_int_equal(tg_flow_hash(w, TG_FLOW_MAX_WORDS + 5, 5),
			 tg_flow_hash(w, TG_FLOW_MAX_WORDS, 5));
}

/* Buckets: [0, 10000), monotone, and w buckets hold w / 10000 of 2^32. */
static void test_bucket(void **state)
{
	static const __u32 ws[] = { 1, 100, 1000, 5000, 9999 };
	__u64 first;
	size_t i;

	(void)state;
	assert_int_equal(tg_flow_bucket(0), 0);
	assert_int_equal(tg_flow_bucket(0xffffffffu), TG_WEIGHT_FULL - 1);
	for (i = 0; i < sizeof(ws) / sizeof(ws[0]); i++) {
		/* the first hash in bucket w: ceil(w * 2^32 / 10000) */
		first = (((__u64)ws[i] << 32) + TG_WEIGHT_FULL - 1) /
			TG_WEIGHT_FULL;
		assert_int_equal(tg_flow_bucket(first - 1), ws[i] - 1);
		assert_int_equal(tg_flow_bucket(first), ws[i]);
		/* share of hash values below weight w: off by < 1 value */
		assert_true(fabs((double)first - ws[i] * 4294967296.0 /
						   TG_WEIGHT_FULL) < 1);
	}
}

/*
 * Avalanche: flipping any one bit of the words or of the seed flips each
 * output bit with probability 1/2. 20,000 inputs per bit: one cell's noise
 * is sigma = 0.0035, the largest of the ~5,000 cells of a perfect hash
 * would sit near 4.3 sigma (0.015); 0.025 is 7 sigma.
 *
 * Random words and seeds alone would let a hash without a finalizer pass:
 * NH's products of random factors are random already. So the test also
 * runs sparse words (only the low byte of each set, like ports and host
 * parts that differ in a few bits) under one fixed seed: every factor is
 * then nearly its key, a flipped bit moves the sum by an almost fixed
 * amount, and only the finalizer makes the output change random (without
 * it, input bit 0 flips output bit 8 with p = 0.44).
 */
static void avalanche(__u32 n, __u32 mask)
{
	enum { TRIALS = 20000 };
	static __u32 flips[(TG_FLOW_MAX_WORDS + 1) * 32][32];
	__u32 w[TG_FLOW_MAX_WORDS], seed, h0, d, bit, o, nbits = (n + 1) * 32;
	double p, worst = 0;
	__u64 rng = 1;
	int t;

	memset(flips, 0, sizeof(flips));
	for (t = 0; t < TRIALS; t++) {
		for (o = 0; o < n; o++)
			w[o] = splitmix64(&rng) & mask;
		seed = mask == ~0u ? splitmix64(&rng) : 0x7a11ca7e;
		h0 = tg_flow_hash(w, n, seed);
		for (bit = 0; bit < nbits; bit++) {
			if (bit < n * 32) {
				w[bit / 32] ^= 1u << (bit % 32);
				d = h0 ^ tg_flow_hash(w, n, seed);
				w[bit / 32] ^= 1u << (bit % 32);
			} else {
				d = h0 ^ tg_flow_hash(w, n,
						      seed ^ 1u << (bit % 32));
			}
			for (o = 0; o < 32; o++)
				flips[bit][o] += d >> o & 1;
		}
	}
	for (bit = 0; bit < nbits; bit++)
		for (o = 0; o < 32; o++) {
			p = fabs(flips[bit][o] / (double)TRIALS - 0.5);
			worst = p > worst ? p : worst;
			if (p > 0.025)
				fail_msg("%u %s words: input bit %u (%s) flips output bit %u with p = %.4f",
					 n, mask == ~0u ? "random" : "sparse",
					 bit, bit < n * 32 ? "word" : "seed",
					 o, flips[bit][o] / (double)TRIALS);
		}
	print_message("%u %s words + seed: worst avalanche bias %.4f over %u x 32 cells\n",
		      n, mask == ~0u ? "random" : "sparse", worst, nbits);
}

static void test_avalanche_v4(void **state)
{
	(void)state;
	avalanche(TG_FLOW_WORDS_V4, ~0u);
	avalanche(TG_FLOW_WORDS_V4, 0xff);
}

static void test_avalanche_v6(void **state)
{
	(void)state;
	avalanche(TG_FLOW_WORDS_V6, ~0u);
	avalanche(TG_FLOW_WORDS_V6, 0xff);
}

/* Flow @i of a structured set, as flow words. */
static __u32 structured(int set, int i, __u32 *w)
{
	__be32 s6[4], d6[4];

	switch (set) {
	case 0:	/* one client, one service, sequential source ports */
		w[0] = a4("198.18.7.9");
		w[1] = a4("198.19.1.1");
		w[2] = tg_flow_ports(htons(1024 + i), htons(443));
		w[3] = 6;
		return TG_FLOW_WORDS_V4;
	case 1:	/* 256 clients of a /24 x 78 servers of a /24, one port */
		w[0] = htonl(0xc6120000u | (i & 255));
		w[1] = htonl(0xc6130000u | (i >> 8));
		w[2] = tg_flow_ports(htons(40000), htons(53));
		w[3] = 17;
		return TG_FLOW_WORDS_V4;
	default: /* IPv6 clients of one /64 with sequential interface ids */
		a6("2001:2::", s6);
		a6("2001:2:0:1::1", d6);
		s6[3] = htonl(i + 1);
		memcpy(w, s6, 16);
		memcpy(w + 4, d6, 16);
		w[8] = tg_flow_ports(htons(40000), htons(443));
		w[9] = 6;
		return TG_FLOW_WORDS_V6;
	}
}

/*
 * Shares over many seeds: for each of 200 seeds, the share of 20,000
 * structured flows below weights 1 %, 10 %, 50 %, as a z-score against
 * the binomial. A hash that behaves like a random function gives z with
 * mean 0 (sd of the mean over 200 seeds: 0.07) and variance 1 (sd about
 * 0.1); a biased one moves the mean, a lumpy one (flows that travel in
 * groups) inflates the variance. Bounds: |mean| < 0.3, variance in
 * [0.6, 1.5].
 */
static void test_shares_over_seeds(void **state)
{
	enum { SEEDS = 200, FLOWS = 20000 };
	static const __u32 weights[] = { 100, 1000, 5000 };
	static const char *const names[] = { "one client, sequential ports",
					     "/24 x /24 grid",
					     "IPv6 sequential interface ids" };
	__u32 w[TG_FLOW_MAX_WORDS], n, seed, k;
	double p, z, sum, sum2, mean, var;
	int set, s, i, nr;
	__u64 rng = 7;

	(void)state;
	for (set = 0; set < 3; set++)
		for (k = 0; k < 3; k++) {
			p = weights[k] / (double)TG_WEIGHT_FULL;
			sum = sum2 = 0;
			for (s = 0; s < SEEDS; s++) {
				seed = splitmix64(&rng);
				for (i = nr = 0; i < FLOWS; i++) {
					n = structured(set, i, w);
					nr += tg_flow_bucket(tg_flow_hash(
						      w, n, seed)) < weights[k];
				}
				z = (nr / (double)FLOWS - p) /
				    sqrt(p * (1 - p) / FLOWS);
				sum += z;
				sum2 += z * z;
			}
			mean = sum / SEEDS;
			var = sum2 / SEEDS - mean * mean;
			print_message("%s, weight %4.1f%%: z over %d seeds: mean %+.3f, variance %.3f\n",
				      names[set], 100 * p, SEEDS, mean, var);
			if (fabs(mean) > 0.3 || var < 0.6 || var > 1.5)
				fail_msg("%s, weight %.1f%%: shares are not binomial (z mean %.3f, variance %.3f)",
					 names[set], 100 * p, mean, var);
		}
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_known_answers),
		cmocka_unit_test(test_layout),
		cmocka_unit_test(test_bucket),
		cmocka_unit_test(test_avalanche_v4),
		cmocka_unit_test(test_avalanche_v6),
		cmocka_unit_test(test_shares_over_seeds),
	};

	return cmocka_run_group_tests_name("flow", tests, NULL, NULL);
}
