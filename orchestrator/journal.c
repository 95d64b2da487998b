// SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause)
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <limits.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "files.h"
#include "record.h"
#include "journal.h"
#include "pins.h"
#include "sha256.h"

#define JOURNAL_MAX_SIZE	(256u << 10)

static const char *const status_names[] = {
	[RO_RUNNING] = "running",
	[RO_PAUSED] = "paused",
	[RO_PROMOTED] = "promoted",
	[RO_ROLLED_BACK] = "rolled_back",
	[RO_ABORTED] = "aborted",
};

static const char *const target_names[] = {
	[RT_PENDING] = "pending",
	[RT_FLIPPING] = "flipping",
	[RT_FLIPPED] = "flipped",
	[RT_LIVE] = "live",
	[RT_REVERTING] = "reverting",
	[RT_REVERTED] = "reverted",
	[RT_LOST] = "lost",
	[RT_SPLIT] = "split",
	[RT_DONE] = "done",
};

const char *journal__status_name(enum ro_status s)
{
	return s <= RO_ABORTED ? status_names[s] : "?";
}

const char *journal__target_state_name(enum ro_target_state s)
{
	return s <= RT_DONE ? target_names[s] : "?";
}

static int name_index(const char *const *names, int n, const char *name)
{
	int i;

	for (i = 0; i < n; i++)
		if (!strcmp(names[i], name))
			return i;
	return -1;
}

int journal__format(const struct rollout *ro, char *buf, size_t len)
{
	char hex[2 * SHA256_LEN + 1];
	size_t off = 0;
	int i;

	/* One record a line: a newline in a field would forge the next one. */
	if (strchr(ro->plan_name, '\n') || strchr(ro->plan_path, '\n') ||
	    strchr(ro->reason, '\n'))
		return -EINVAL;

	record__put(buf, len, &off, "id %" PRIu64 "\nplan_name %s\nhook %s\nstatus %s\n", ro->id,
	    ro->plan_name, plan__hook_name(ro->hook), journal__status_name(ro->status));
	record__put(buf, len, &off, "step %d\nwave %d\nstarted %" PRId64 "\nended %" PRId64 "\n",
	    ro->step, ro->wave, ro->started, ro->ended);
	record__put(buf, len, &off, "prev_gen %" PRIu64 "\nplan_path %s\nreason %s\n", ro->prev_gen,
	    ro->plan_path, ro->reason);
	sha256__hex(ro->plan_sha, hex);
	record__put(buf, len, &off, "plan_sha256 %s\nweight %u\nseed %u\n", hex, ro->weight_bp, ro->seed);
	if (ro->breach.gate[0])
		record__put(buf, len, &off, "breach %s %s %.17g %.17g\n", ro->breach.gate,
		    ro->breach.ifname[0] ? ro->breach.ifname : "-", ro->breach.value,
		    ro->breach.threshold);
	for (i = 0; i < ro->nr; i++)
		record__put(buf, len, &off, "target %s %u %d %d %d %d %s %" PRIu64 " %d\n", ro->t[i].ifname,
		    ro->t[i].ifindex, ro->t[i].canary, ro->t[i].prev_bank, ro->t[i].new_bank,
		    ro->t[i].created, journal__target_state_name(ro->t[i].state),
		    ro->t[i].prev_gen, ro->t[i].prev_fc);
	record__put(buf, len, &off, "end\n");
	return off < len ? (int)off : -E2BIG;
}

/* Every field is range-checked: a crafted journal must not steer anything. */
static bool bank_ok(int b, bool none_ok)
{
	return (b >= 0 && b < (int)TG_NR_BANKS) || (none_ok && b == -1);
}

static int parse_target(struct rollout *ro, const char *val)
{
	char name[IF_NAMESIZE], st[16];
	unsigned long long prev = 0;
	struct ro_target *t;
	int canary, created, fc = 0, idx, n;

	if (ro->nr >= PLAN_MAX_IFACES)
		return -E2BIG;
	t = &ro->t[ro->nr];
	n = sscanf(val, "%15s %u %d %d %d %d %15s %llu %d", name, &t->ifindex, &canary,
		   &t->prev_bank, &t->new_bank, &created, st, &prev, &fc);
	if (n < 7 || (canary != 0 && canary != 1) || (created != 0 && created != 1) ||
	    (fc != 0 && fc != 1) ||
	    !bank_ok(t->prev_bank, true) || !bank_ok(t->new_bank, false) ||
	    t->prev_bank == t->new_bank)
		return -EINVAL;
	idx = name_index(target_names, RT_DONE + 1, st);
	if (idx < 0)
		return -EINVAL;
	snprintf(t->ifname, sizeof(t->ifname), "%s", name);
	t->canary = canary;
	t->created = created;
	t->state = idx;
	t->prev_gen = prev;
	t->prev_fc = fc;
	ro->nr++;
	return 0;
}

static int parse_breach(struct rollout *ro, const char *val)
{
	if (sscanf(val, "%31s %15s %lg %lg", ro->breach.gate, ro->breach.ifname,
		   &ro->breach.value, &ro->breach.threshold) != 4)
		return -EINVAL;
	if (!strcmp(ro->breach.ifname, "-"))
		ro->breach.ifname[0] = '\0';
	return 0;
}

static int parse_kv(struct rollout *ro, const char *key, const char *val)
{
	uint64_t u;
	int64_t n;
	int idx, err;

	if (!strcmp(key, "id"))
		return record__u64(val, UINT64_MAX, &ro->id);
	if (!strcmp(key, "plan_name"))
		return record__copy(ro->plan_name, sizeof(ro->plan_name), val);
	if (!strcmp(key, "plan_path"))
		return record__copy(ro->plan_path, sizeof(ro->plan_path), val);
	if (!strcmp(key, "plan_sha256"))
		return record__sha(val, ro->plan_sha);
	if (!strcmp(key, "reason"))
		return record__copy(ro->reason, sizeof(ro->reason), val);
	if (!strcmp(key, "hook"))
		return plan__hook_from_name(val, &ro->hook);
	if (!strcmp(key, "status")) {
		idx = name_index(status_names, RO_ABORTED + 1, val);
		if (idx < 0)
			return -EINVAL;
		ro->status = idx;
		return 0;
	}
	if (!strcmp(key, "step") || !strcmp(key, "wave")) {
		/* step may point one past the last step: the steps are used up */
		err = record__s64(val, 0, !strcmp(key, "step") ? PLAN_MAX_STEPS : 2 * PLAN_MAX_IFACES + 2, &n);
		*(key[0] == 's' ? &ro->step : &ro->wave) = n;
		return err;
	}
	if (!strcmp(key, "started") || !strcmp(key, "ended")) {
		err = record__s64(val, INT64_MIN, INT64_MAX, &n);
		*(key[0] == 's' ? &ro->started : &ro->ended) = n;
		return err;
	}
	if (!strcmp(key, "prev_gen"))
		return record__u64(val, UINT64_MAX, &ro->prev_gen);
	if (!strcmp(key, "weight") || !strcmp(key, "seed")) {
		err = record__u64(val, key[0] == 'w' ? TG_WEIGHT_FULL : UINT32_MAX, &u);
		*(key[0] == 'w' ? &ro->weight_bp : &ro->seed) = u;
		return err;
	}
	if (!strcmp(key, "target"))
		return parse_target(ro, val);
	if (!strcmp(key, "breach"))
		return parse_breach(ro, val);
	return -EINVAL;
}

static int parse_cb(void *obj, const char *key, const char *value)
{
	return parse_kv(obj, key, value);
}

int journal__parse(const char *buf, struct rollout *ro)
{
	memset(ro, 0, sizeof(*ro));
	return record__parse(buf, PLAN_MAX_PATH + 64, ro, parse_cb);
}

static int journal_path(char *buf, size_t len, const char *name)
{
	return files__path(buf, len, name);
}

int journal__load(struct rollout *ro)
{
	char path[PATH_MAX], *buf;
	int err;

	if (journal_path(path, sizeof(path), JOURNAL_FILE))
		return -ENAMETOOLONG;
	buf = files__read(path, JOURNAL_MAX_SIZE, NULL);
	if (!buf)
		return -errno;
	err = journal__parse(buf, ro);
	free(buf);
	return err;
}

int journal__save(const struct rollout *ro)
{
	char path[PATH_MAX], *buf;
	int n, err;

	if (journal_path(path, sizeof(path), JOURNAL_FILE))
		return -ENAMETOOLONG;
	err = files__check_state_dir(true);
	if (err)
		return err;
	buf = malloc(JOURNAL_MAX_SIZE);
	if (!buf)
		return -ENOMEM;
	n = journal__format(ro, buf, JOURNAL_MAX_SIZE);
	err = n < 0 ? n : files__write(path, buf, n);
	free(buf);
	return err;
}

int journal__remove(void)
{
	char path[PATH_MAX];

	if (journal_path(path, sizeof(path), JOURNAL_FILE))
		return -ENAMETOOLONG;
	return files__remove(path);
}

int journal__move_aside(char *where, size_t len)
{
	char path[PATH_MAX], to[PATH_MAX];

	if (journal_path(path, sizeof(path), JOURNAL_FILE) ||
	    pins__path(to, sizeof(to), "%s.corrupt.%lld", path, (long long)time(NULL)))
		return -ENAMETOOLONG;
	if (rename(path, to))
		return -errno;
	snprintf(where, len, "%s", to);
	return 0;
}

bool journal__ended(const struct rollout *ro)
{
	return ro->status == RO_PROMOTED || ro->status == RO_ROLLED_BACK || ro->status == RO_ABORTED;
}
