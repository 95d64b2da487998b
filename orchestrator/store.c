// SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause)
#include <dirent.h>
#include <errno.h>
#include <inttypes.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "files.h"
#include "record.h"
#include "log.h"
#include "pins.h"
#include "store.h"

#define RECORD_MAX	(16u << 10)

static const char *const outcome_names[] = {
	[GEN_RUNNING] = "running",
	[GEN_PROMOTED] = "promoted",
	[GEN_ROLLED_BACK] = "rolled_back",
	[GEN_ABORTED] = "aborted",
	[GEN_UNKNOWN] = "unknown",
};

const char *store__outcome_name(enum gen_outcome o)
{
	return (unsigned int)o <= GEN_UNKNOWN ? outcome_names[o] : "?";
}

static int store_path(char *buf, size_t len, const uint8_t sha[SHA256_LEN])
{
	char hex[2 * SHA256_LEN + 1];

	sha256__hex(sha, hex);
	return pins__path(buf, len, "%s/store/%s", pins__state_dir(), hex);
}

/* Content store */

int store__put(const void *data, size_t len, uint8_t sha[SHA256_LEN])
{
	char path[PATH_MAX];
	size_t have;
	void *cur;
	int err;

	sha256__digest(data, len, sha);
	err = files__mkdir("store");
	if (err)
		return err;
	if (store_path(path, sizeof(path), sha))
		return -ENAMETOOLONG;
	/* Content-addressed: an intact copy is already right. */
	cur = files__read(path, STORE_MAX_OBJECT, &have);
	if (cur) {
		bool same = have == len && !memcmp(cur, data, len);

		free(cur);
		if (same)
			return 0;
	}
	return files__write(path, data, len);
}

void *store__get(const uint8_t sha[SHA256_LEN], size_t max, size_t *len)
{
	uint8_t got[SHA256_LEN];
	char path[PATH_MAX];
	void *buf;
	size_t n;

	if (store_path(path, sizeof(path), sha)) {
		errno = ENAMETOOLONG;
		return NULL;
	}
	buf = files__read(path, max, &n);
	if (!buf)
		return NULL;
	sha256__digest(buf, n, got);
	if (memcmp(got, sha, SHA256_LEN)) {
		free(buf);
		errno = EBADMSG;
		return NULL;
	}
	if (len)
		*len = n;
	return buf;
}

/* Records */

int store__format_gen(const struct gen_record *g, char *buf, size_t len)
{
	char hex[2 * SHA256_LEN + 1];
	size_t off = 0;
	int i;

	if (strchr(g->plan_dir, '\n'))
		return -EINVAL;
	record__put(buf, len, &off, "generation %" PRIu64 "\nplan_name %s\nhook %s\n", g->gen, g->plan_name,
	    plan__hook_name(g->hook));
	sha256__hex(g->plan_sha, hex);
	record__put(buf, len, &off, "plan_sha256 %s\nplan_dir %s\n", hex, g->plan_dir);
	record__put(buf, len, &off, "shape %s\nfail_closed %d\nabi %u\noutcome %s\nstarted %" PRId64 "\n",
	    g->shape == GEN_FUSED ? "fused" : "chained", g->fail_closed, g->abi,
	    store__outcome_name(g->outcome), g->started);
	sha256__hex(g->fingerprint, hex);
	record__put(buf, len, &off, "fingerprint %s\n", hex);
	for (i = 0; i < g->nr_stages; i++) {
		sha256__hex(g->obj_sha[i], hex);
		record__put(buf, len, &off, "object %d %s %x %d\n", i, hex, g->continue_on[i], g->shadow[i]);
	}
	record__put(buf, len, &off, "end\n");
	return off < len ? (int)off : -E2BIG;
}

static int gen_kv(struct gen_record *g, const char *k, const char *v)
{
	uint64_t n;
	int idx;

	if (!strcmp(k, "generation"))
		return record__u64(v, STORE_MAX_GEN, &g->gen);
	if (!strcmp(k, "plan_name"))
		return snprintf(g->plan_name, sizeof(g->plan_name), "%s", v) <
			       (int)sizeof(g->plan_name) ? 0 : -EINVAL;
	if (!strcmp(k, "hook"))
		return plan__hook_from_name(v, &g->hook);
	if (!strcmp(k, "plan_sha256"))
		return record__sha(v, g->plan_sha);
	if (!strcmp(k, "plan_dir"))
		return snprintf(g->plan_dir, sizeof(g->plan_dir), "%s", v) <
			       (int)sizeof(g->plan_dir) ? 0 : -EINVAL;
	if (!strcmp(k, "shape")) {
		g->shape = !strcmp(v, "fused") ? GEN_FUSED : GEN_CHAINED;
		return !strcmp(v, "fused") || !strcmp(v, "chained") ? 0 : -EINVAL;
	}
	if (!strcmp(k, "fail_closed") || !strcmp(k, "abi") || !strcmp(k, "started")) {
		if (record__u64(v, INT64_MAX, &n))
			return -EINVAL;
		if (k[0] == 'f')
			g->fail_closed = n != 0;
		else if (k[0] == 'a')
			g->abi = n > UINT32_MAX ? 0 : n;
		else
			g->started = n;
		return 0;
	}
	if (!strcmp(k, "outcome")) {
		for (idx = 0; idx <= GEN_UNKNOWN; idx++)
			if (!strcmp(v, outcome_names[idx])) {
				g->outcome = idx;
				return 0;
			}
		return -EINVAL;
	}
	if (!strcmp(k, "fingerprint"))
		return record__sha(v, g->fingerprint);
	if (!strcmp(k, "object")) {
		char hex[2 * SHA256_LEN + 2];
		unsigned int cont;
		int shadow;

		if (sscanf(v, "%d %65s %x %d", &idx, hex, &cont, &shadow) != 4 || idx != g->nr_stages ||
		    idx >= TG_MAX_STAGES || cont > TG_VERDICT_ALL || (shadow != 0 && shadow != 1))
			return -EINVAL;
		g->nr_stages++;
		g->continue_on[idx] = cont;
		g->shadow[idx] = shadow;
		return record__sha(hex, g->obj_sha[idx]);
	}
	return -EINVAL;
}

static int gen_kv_cb(void *obj, const char *k, const char *v)
{
	return gen_kv(obj, k, v);
}

int store__parse_gen(const char *buf, struct gen_record *g)
{
	memset(g, 0, sizeof(*g));
	return record__parse(buf, PATH_MAX + 64, g, gen_kv_cb);
}

static int gen_path(char *buf, size_t len, uint64_t gen)
{
	return pins__path(buf, len, "%s/gens/%" PRIu64, pins__state_dir(), gen);
}

int store__save_gen(const struct gen_record *g)
{
	char path[PATH_MAX], buf[RECORD_MAX];
	int n, err;

	err = files__mkdir("gens");
	if (err)
		return err;
	if (gen_path(path, sizeof(path), g->gen))
		return -ENAMETOOLONG;
	n = store__format_gen(g, buf, sizeof(buf));
	return n < 0 ? n : files__write(path, buf, n);
}

int store__load_gen(uint64_t gen, struct gen_record *g)
{
	char path[PATH_MAX], *buf;
	int err;

	if (gen_path(path, sizeof(path), gen))
		return -ENAMETOOLONG;
	buf = files__read(path, RECORD_MAX, NULL);
	if (!buf)
		return -errno;
	err = store__parse_gen(buf, g);
	free(buf);
	if (!err && g->gen != gen)
		err = -EINVAL;
	return err;
}

/* Attach point records */

static int ap_path(char *buf, size_t len, const char *ifname, enum plan_hook hook)
{
	return pins__path(buf, len, "%s/aps/%s.%s", pins__state_dir(), ifname,
			  plan__hook_name(hook));
}

/* tailgate 0.1 wrote "bank B gen G plan P stages a,b ids 1,2" lines. */
static void legacy_bank(struct ap_record *r, const char *v)
{
	char plan[PLAN_MAX_NAME], stages[1100], ids[256];
	unsigned int b, head;
	uint64_t gen;

	if (sscanf(v, "%u gen %" SCNu64 " plan %63s stages %1099s ids %255s", &b, &gen, plan,
		   stages, ids) != 5 || b >= TG_NR_BANKS || gen > STORE_MAX_GEN)
		return;
	head = strtoul(ids, NULL, 10);
	r->legacy_gen[b] = gen;
	r->legacy_head_id[b] = head;
	snprintf(r->legacy_plan[b], sizeof(r->legacy_plan[b]), "%s", strcmp(plan, "-") ? plan : "");
}

static int ap_kv(void *obj, const char *k, const char *v)
{
	struct ap_record *r = obj;
	uint64_t n;

	if (!strcmp(k, "ifindex")) {
		if (record__u64(v, UINT32_MAX, &n))
			return -EINVAL;
		r->ifindex = n;
	} else if (!strcmp(k, "live")) {
		return record__u64(v, STORE_MAX_GEN, &r->live_gen);
	} else if (!strcmp(k, "bank")) {
		legacy_bank(r, v);
	} else if (!strcmp(k, "rejected")) {
		if (!record__u64(v, TG_NR_BANKS - 1, &n))
			r->legacy_rejected[n] = true;
	}
	/* fail_closed and other 0.1 lines: the kernel and gens/ say it now */
	return 0;
}

int store__load_ap(const char *ifname, enum plan_hook hook, struct ap_record *r)
{
	char path[PATH_MAX], *buf, *fixed;
	int err;

	memset(r, 0, sizeof(*r));
	snprintf(r->ifname, sizeof(r->ifname), "%s", ifname);
	r->hook = hook;
	if (ap_path(path, sizeof(path), ifname, hook))
		return -ENAMETOOLONG;
	buf = files__read(path, RECORD_MAX, NULL);
	if (!buf)
		return errno == ENOENT ? 0 : -errno;
	/* 0.1's files have no "end" line; accept both. */
	if (!strstr(buf, "\nend\n") && (fixed = malloc(strlen(buf) + 6))) {
		sprintf(fixed, "%s%send\n", buf, buf[0] && buf[strlen(buf) - 1] != '\n' ? "\n" : "");
		free(buf);
		buf = fixed;
	}
	err = record__parse(buf, PATH_MAX + 64, r, ap_kv);
	free(buf);
	return err;
}

int store__save_ap(const struct ap_record *r)
{
	char path[PATH_MAX], buf[256];
	int n, err;

	err = files__mkdir("aps");
	if (err)
		return err;
	if (ap_path(path, sizeof(path), r->ifname, r->hook))
		return -ENAMETOOLONG;
	n = snprintf(buf, sizeof(buf), "version 2\nifindex %u\nlive %" PRIu64 "\nend\n", r->ifindex,
		     r->live_gen);
	return files__write(path, buf, n);
}

int store__remove_ap(const char *ifname, enum plan_hook hook)
{
	char path[PATH_MAX];

	if (ap_path(path, sizeof(path), ifname, hook))
		return -ENAMETOOLONG;
	return files__remove(path);
}

int store__foreach_ap(int (*cb)(const struct ap_record *r, void *ctx), void *ctx)
{
	char dir[PATH_MAX], name[256], *dot;
	struct ap_record r;
	struct dirent **ents;
	enum plan_hook hook;
	int i, n, err = 0;

	if (files__path(dir, sizeof(dir), "aps"))
		return -ENAMETOOLONG;
	n = scandir(dir, &ents, NULL, alphasort);
	if (n < 0)
		return errno == ENOENT ? 0 : -errno;
	for (i = 0; i < n; i++) {
		memcpy(name, ents[i]->d_name, sizeof(name));
		name[sizeof(name) - 1] = '\0';
		free(ents[i]);
		dot = strrchr(name, '.');
		if (err || name[0] == '.' || !dot || strstr(name, ".tmp."))
			continue;
		*dot = '\0';
		if (strlen(name) >= IF_NAMESIZE || plan__hook_from_name(dot + 1, &hook))
			continue;
		if (store__load_ap(name, hook, &r)) {
			pr_warn("state file aps/%s.%s is unreadable; 'tailgate recover' rewrites it\n",
				name, dot + 1);
			continue;
		}
		err = cb(&r, ctx);
	}
	free(ents);
	return err;
}

/* Generation numbers */

/* The highest generation that has a record: a lost counter never repeats one. */
static uint64_t max_recorded_gen(void)
{
	char dir[PATH_MAX];
	struct dirent *de;
	uint64_t max = 0, g;
	DIR *d;

	if (files__path(dir, sizeof(dir), "gens"))
		return 0;
	d = opendir(dir);
	if (!d)
		return 0;
	while ((de = readdir(d)))
		if (!record__u64(de->d_name, STORE_MAX_GEN, &g) && g > max)
			max = g;
	closedir(d);
	return max;
}

int store__peek_gen(uint64_t seen, uint64_t *gen)
{
	char path[PATH_MAX], *buf;
	uint64_t cur = 0;

	if (files__path(path, sizeof(path), "generation"))
		return -ENAMETOOLONG;
	buf = files__read(path, 64, NULL);
	if (buf) {
		/* A corrupt counter must not restart numbering at 1. */
		if (sscanf(buf, "%" SCNu64, &cur) != 1) {
			free(buf);
			pr_warn("%s is corrupt; refusing to hand out a generation number that may repeat: write the highest generation in history into it\n",
				path);
			return -EBADMSG;
		}
		free(buf);
	} else if (errno != ENOENT) {
		return -errno;
	}
	if (seen > cur)
		cur = seen;
	if (max_recorded_gen() > cur)
		cur = max_recorded_gen();
	if (cur >= STORE_MAX_GEN)
		return -EOVERFLOW;
	*gen = cur + 1;
	return 0;
}

int store__claim_gen(uint64_t gen)
{
	char path[PATH_MAX], out[32];
	int n;

	if (files__path(path, sizeof(path), "generation"))
		return -ENAMETOOLONG;
	n = snprintf(out, sizeof(out), "%" PRIu64 "\n", gen);
	return files__write(path, out, n);
}

int store__next_gen(uint64_t seen, uint64_t *gen)
{
	return store__peek_gen(seen, gen) ?: store__claim_gen(*gen);
}
