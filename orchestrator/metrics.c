// SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause)
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <sys/stat.h>

#include "counters.h"
#include "history.h"
#include "journal.h"
#include "json_writer.h"
#include "jsonr.h"
#include "metrics.h"
#include "pins.h"
#include "slots.h"
#include "store.h"
#include "tailgate.h"

static const char *health_of(const struct stats_ap *a)
{
	if (a->err)
		return a->err == -ENODEV ? "lost" : a->err == -ESTALE ? "stale" : "error";
	if (a->ap.live == AP_BANK_FOREIGN)
		return "drift";
	if (a->ap.live == AP_BANK_NONE)
		return "empty";
	return a->ap.disp.kind == DISP_SPLIT ? "split" : "ok";
}

/* Stage names (and shadow modes) of a bank: from its captured plan. */
static void bank_names(const struct ap *ap, int b, char names[][PLAN_MAX_NAME], bool *shadow,
		       const char **role)
{
	struct gen_record g;
	struct plan *p = NULL;
	size_t len;
	char *text;
	int i;

	*role = b == ap->live ? "live" : "previous";
	for (i = 0; i < (int)TG_BANK_SLOTS; i++) {
		snprintf(names[i], PLAN_MAX_NAME, "stage%d", i + 1);
		shadow[i] = false;
	}
	if (!ap->bank[b].gen || store__load_gen(ap->bank[b].gen, &g))
		return;
	for (i = 0; i < g.nr_stages && i < (int)TG_BANK_SLOTS; i++)
		shadow[i] = g.shadow[i];
	if (b != ap->live && (g.outcome == GEN_ROLLED_BACK || g.outcome == GEN_ABORTED))
		*role = "rejected";
	text = store__get(g.plan_sha, PLAN_MAX_FILE_SIZE, &len);
	if (text)
		p = plan__parse_buf(text, len, "captured", g.plan_dir, NULL);
	for (i = 0; p && i < p->nr_stages; i++)
		snprintf(names[i], PLAN_MAX_NAME, "%s", p->stages[i].name);
	plan__free(p);
	free(text);
}

static void add_row(struct stats_ap *a, __u32 slot, const char *stage, bool shadow,
		    const char *role, uint64_t gen)
{
	struct stats_row *r = &a->row[a->nr];

	if (a->nr >= (int)STATS_MAX_ROWS || counters__read(a->ap.stats_fd, slot, &r->now))
		return;
	r->slot = slot;
	snprintf(r->stage, sizeof(r->stage), "%s", stage);
	r->shadow = shadow;
	r->role = role;
	r->gen = gen;
	r->before = r->now;
	a->nr++;
}

void metrics__read_ap(struct stats_ap *a, const char *ifname, enum plan_hook hook)
{
	char names[TG_BANK_SLOTS][PLAN_MAX_NAME];
	bool shadow[TG_BANK_SLOTS];
	const char *role;
	__u32 seed;
	int b, i, n;

	memset(a, 0, sizeof(*a));
	snprintf(a->ifname, sizeof(a->ifname), "%s", ifname);
	a->hook = hook;
	a->err = ap__open(&a->ap, ifname, hook);
	a->health = health_of(a);
	if (a->ap.stats_fd < 0)
		return;
	ap__get_weight(&a->ap, &a->weight_bp, &seed);
	a->live_gen = a->ap.live >= 0 ? a->ap.bank[a->ap.live].gen : 0;
	add_row(a, TG_SLOT_ENTRY, "(dispatcher)", false, "dispatcher", 0);
	for (b = 0; b < (int)TG_NR_BANKS; b++) {
		if (!a->ap.bank[b].nr)
			continue;
		bank_names(&a->ap, b, names, shadow, &role);
		n = a->ap.bank[b].fused ? a->ap.bank[b].nr_stages : a->ap.bank[b].nr;
		for (i = 0; i < n && i < (int)TG_BANK_SLOTS; i++)
			add_row(a, TG_BANK_BASE(b) + i, names[i], shadow[i], role,
				a->ap.bank[b].gen);
	}
}

void metrics__rates(struct stats_set *set, uint64_t ms)
{
	int i, k;

	for (i = 0; i < set->nr; i++) {
		struct stats_ap *a = &set->ap[i];

		for (k = 0; k < a->nr && a->ap.stats_fd >= 0; k++) {
			if (counters__read(a->ap.stats_fd, a->row[k].slot, &a->row[k].now))
				continue;
			a->row[k].pps = ms ? (a->row[k].now.packets - a->row[k].before.packets) * 1000.0 / ms : 0;
		}
	}
}

void metrics__free(struct stats_set *set)
{
	int i;

	if (!set)
		return;
	for (i = 0; i < set->nr; i++)
		ap__close(&set->ap[i].ap);
	free(set);
}

/* Prometheus */

/*
 * A label value: backslash, double quote and newline escaped, and valid
 * UTF-8 whatever bytes an interface name holds (the format requires it):
 * a byte that is not UTF-8 becomes the code point of its value, as in
 * the JSON output, so both name an interface the same way.
 */
static void label(FILE *f, const char *name, const char *v, bool first)
{
	const unsigned char *p = (const unsigned char *)v;
	size_t n = strlen(v), i = 0, k;

	fprintf(f, "%s%s=\"", first ? "" : ",", name);
	while (i < n) {
		if (p[i] == '\\' || p[i] == '"') {
			fprintf(f, "\\%c", p[i++]);
		} else if (p[i] == '\n') {
			fputs("\\n", f);
			i++;
		} else if (p[i] < 0x80) {
			fputc(p[i++], f);
		} else if ((k = jsonw_utf8_seq(p + i, n - i))) {
			fwrite(p + i, 1, k, f);
			i += k;
		} else {
			fputc(0xc0 | p[i] >> 6, f);
			fputc(0x80 | (p[i++] & 0x3f), f);
		}
	}
	fputc('"', f);
}

static void ap_labels(FILE *f, const struct stats_ap *a)
{
	label(f, "interface", a->ifname, true);
	label(f, "hook", plan__hook_name(a->hook), false);
}

static void row_labels(FILE *f, const struct stats_ap *a, const struct stats_row *r)
{
	char gen[24], slot[12];

	snprintf(gen, sizeof(gen), "%" PRIu64, r->gen);
	snprintf(slot, sizeof(slot), "%u", r->slot);
	ap_labels(f, a);
	label(f, "generation", gen, false);
	label(f, "stage", r->stage, false);
	label(f, "slot", slot, false);
	label(f, "role", r->role, false);
}

static void header(FILE *f, const char *name, const char *type, const char *help)
{
	fprintf(f, "# HELP %s %s\n# TYPE %s %s\n", name, help, name, type);
}

static void stage_counter(FILE *f, const struct stats_set *set, const char *name, const char *help,
			  size_t off)
{
	int i, k;

	header(f, name, "counter", help);
	for (i = 0; i < set->nr; i++)
		for (k = 0; k < set->ap[i].nr; k++) {
			fprintf(f, "%s{", name);
			row_labels(f, &set->ap[i], &set->ap[i].row[k]);
			fprintf(f, "} %llu\n",
				(unsigned long long)*(const __u64 *)((const char *)&set->ap[i].row[k].now + off));
		}
}

static void verdicts(FILE *f, const struct stats_set *set)
{
	const char *name = "tailgate_stage_verdicts_total";
	const __u64 *v;
	int i, k, j;

	header(f, name, "counter", "Packets by the verdict the stage decided (pass, drop, aborted, tx, redirect).");
	for (i = 0; i < set->nr; i++)
		for (k = 0; k < set->ap[i].nr; k++) {
			v = &set->ap[i].row[k].now.pass;
			for (j = 0; j < TG_NR_VERDICTS; j++) {
				fprintf(f, "%s{", name);
				row_labels(f, &set->ap[i], &set->ap[i].row[k]);
				label(f, "verdict", plan__verdict_name(j), false);
				fprintf(f, "} %llu\n", (unsigned long long)v[j]);
			}
		}
}

static void ap_gauges(FILE *f, const struct stats_set *set)
{
	int i;

	header(f, "tailgate_attach_point_info", "gauge", "One per attach point; health and dispatcher as labels.");
	for (i = 0; i < set->nr; i++) {
		fprintf(f, "tailgate_attach_point_info{");
		ap_labels(f, &set->ap[i]);
		label(f, "health", set->ap[i].health, false);
		label(f, "dispatcher", set->ap[i].ap.disp.kind == DISP_SPLIT ? "split" : "plain", false);
		fprintf(f, "} 1\n");
	}
	header(f, "tailgate_live_generation", "gauge", "Generation in slot 0 (0: none).");
	for (i = 0; i < set->nr; i++) {
		fprintf(f, "tailgate_live_generation{");
		ap_labels(f, &set->ap[i]);
		fprintf(f, "} %" PRIu64 "\n", set->ap[i].live_gen);
	}
	header(f, "tailgate_split_weight_ratio", "gauge", "Share of flows on the new generation while a weighted canary runs.");
	for (i = 0; i < set->nr; i++) {
		fprintf(f, "tailgate_split_weight_ratio{");
		ap_labels(f, &set->ap[i]);
		fprintf(f, "} %g\n", set->ap[i].ap.disp.kind == DISP_SPLIT ? set->ap[i].weight_bp / 10000.0 : 0);
	}
}

static void rollout_gauge(FILE *f)
{
	static const char *const states[] = { "running", "paused" };
	struct rollout *ro = calloc(1, sizeof(*ro));
	bool have = ro && !journal__load(ro);
	int s;

	header(f, "tailgate_rollout_state", "gauge", "1 for the state of the rollout in progress.");
	for (s = 0; s < 2; s++) {
		fprintf(f, "tailgate_rollout_state{");
		label(f, "state", states[s], true);
		fprintf(f, "} %d\n", have && (int)ro->status == s);
	}
	free(ro);
}

struct outcomes {
	uint64_t n[5];
	char gate[16][32];
	uint64_t gate_n[16];
	int nr_gates;
};

static int count_cb(const char *line, void *ctx)
{
	static const char *const names[] = { "promoted", "rolled_back", "aborted", "paused", "running" };
	struct outcomes *o = ctx;
	char v[64], g[32];
	int i;

	if (jsonr__field(line, "type", v, sizeof(v)) || strcmp(v, "rollout") ||
	    jsonr__field(line, "outcome", v, sizeof(v)))
		return 0;
	for (i = 0; i < 5; i++)
		o->n[i] += !strcmp(v, names[i]);
	if (jsonr__field(line, "gate", g, sizeof(g)))
		return 0;
	for (i = 0; i < o->nr_gates && strcmp(o->gate[i], g); i++)
		;
	if (i == o->nr_gates && o->nr_gates < 16)
		snprintf(o->gate[o->nr_gates++], sizeof(o->gate[0]), "%s", g);
	if (i < 16)
		o->gate_n[i]++;
	return 0;
}

static void outcome_counters(FILE *f)
{
	static const char *const names[] = { "promoted", "rolled_back", "aborted" };
	struct outcomes o = {};
	int i;

	history__read(count_cb, &o, 0);
	header(f, "tailgate_rollouts_total", "counter", "Finished rollouts in the history, by outcome.");
	for (i = 0; i < 3; i++) {
		fprintf(f, "tailgate_rollouts_total{");
		label(f, "outcome", names[i], true);
		fprintf(f, "} %" PRIu64 "\n", o.n[i]);
	}
	header(f, "tailgate_breaches_total", "counter", "Rollouts ended by a gate, by gate.");
	for (i = 0; i < o.nr_gates; i++) {
		fprintf(f, "tailgate_breaches_total{");
		label(f, "gate", o.gate[i], true);
		fprintf(f, "} %" PRIu64 "\n", o.gate_n[i]);
	}
}

static void write_all(FILE *f, const struct stats_set *set)
{
	header(f, "tailgate_build_info", "gauge", "tailgate's version and datapath ABI.");
	fprintf(f, "tailgate_build_info{version=\"%s\",abi=\"%u\"} 1\n", TG_VERSION, TG_ABI_VERSION);
	stage_counter(f, set, "tailgate_stage_packets_total", "Packets that entered the stage (slot 0: that found it empty).",
		      offsetof(struct tg_stats, packets));
	stage_counter(f, set, "tailgate_stage_bytes_total", "Bytes that entered the stage.",
		      offsetof(struct tg_stats, bytes));
	verdicts(f, set);
	stage_counter(f, set, "tailgate_stage_continued_total", "Packets the stage handed to the next one.",
		      offsetof(struct tg_stats, continued));
	stage_counter(f, set, "tailgate_tail_misses_total", "Hand-overs that found their slot empty.",
		      offsetof(struct tg_stats, tail_miss));
	ap_gauges(f, set);
	rollout_gauge(f);
	outcome_counters(f);
}

int metrics__write(const struct stats_set *set, const char *path)
{
	char tmp[PATH_MAX];
	FILE *f;
	int fd, err = 0;

	if (!path) {
		write_all(stdout, set);
		return fflush(stdout) ? -errno : 0;
	}
	if (pins__path(tmp, sizeof(tmp), "%s.tmp.%d", path, getpid()))
		return -ENAMETOOLONG;
	/* Readable by node_exporter; never follows a planted symlink. */
	fd = open(tmp, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC | O_NOFOLLOW, 0644);
	if (fd < 0)
		return -errno;
	f = fdopen(fd, "w");
	if (!f) {
		close(fd);
		unlink(tmp);
		return -ENOMEM;
	}
	fchmod(fd, 0644);
	write_all(f, set);
	if (fflush(f) || fsync(fd))
		err = -errno;
	if (fclose(f) && !err)
		err = -errno;
	if (!err && rename(tmp, path))
		err = -errno;
	if (err)
		unlink(tmp);
	return err;
}
