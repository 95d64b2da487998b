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

#include "cli.h"
#include "journal.h"
#include "pins.h"
#include "state.h"

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
};

const char *journal__status_name(enum ro_status s)
{
	return s <= RO_ABORTED ? status_names[s] : "?";
}

const char *journal__target_state_name(enum ro_target_state s)
{
	return s <= RT_LOST ? target_names[s] : "?";
}

static int name_index(const char *const *names, int n, const char *name)
{
	int i;

	for (i = 0; i < n; i++)
		if (!strcmp(names[i], name))
			return i;
	return -1;
}

/* Appends to buf at *off; a full buffer makes the final check fail. */
static void put(char *buf, size_t len, size_t *off, const char *fmt, ...)
{
	va_list ap;
	int n;

	if (*off >= len)
		return;
	va_start(ap, fmt);
	n = vsnprintf(buf + *off, len - *off, fmt, ap);
	va_end(ap);
	*off += n > 0 ? (size_t)n : 0;
}

int journal__format(const struct rollout *ro, char *buf, size_t len)
{
	size_t off = 0;
	int i;

	/* One record a line: a newline in a field would forge the next one. */
	if (strchr(ro->plan_name, '\n') || strchr(ro->plan_path, '\n') ||
	    strchr(ro->reason, '\n'))
		return -EINVAL;

	put(buf, len, &off, "id %" PRIu64 "\nplan_name %s\nhook %s\nstatus %s\n", ro->id,
	    ro->plan_name, plan__hook_name(ro->hook), journal__status_name(ro->status));
	put(buf, len, &off, "step %d\nwave %d\nstarted %" PRId64 "\nended %" PRId64 "\n",
	    ro->step, ro->wave, ro->started, ro->ended);
	put(buf, len, &off, "prev_gen %" PRIu64 "\nplan_path %s\nreason %s\n", ro->prev_gen,
	    ro->plan_path, ro->reason);
	if (ro->breach.gate[0])
		put(buf, len, &off, "breach %s %s %.17g %.17g\n", ro->breach.gate,
		    ro->breach.ifname[0] ? ro->breach.ifname : "-", ro->breach.value,
		    ro->breach.threshold);
	for (i = 0; i < ro->nr; i++)
		put(buf, len, &off, "target %s %u %d %d %d %d %s\n", ro->t[i].ifname,
		    ro->t[i].ifindex, ro->t[i].canary, ro->t[i].prev_bank, ro->t[i].new_bank,
		    ro->t[i].created, journal__target_state_name(ro->t[i].state));
	put(buf, len, &off, "end\n");
	return off < len ? (int)off : -E2BIG;
}

static int parse_target(struct rollout *ro, const char *val)
{
	char name[IF_NAMESIZE], st[16];
	struct ro_target *t;
	int canary, created, idx;

	if (ro->nr >= PLAN_MAX_IFACES)
		return -E2BIG;
	t = &ro->t[ro->nr];
	if (sscanf(val, "%15s %u %d %d %d %d %15s", name, &t->ifindex, &canary, &t->prev_bank,
		   &t->new_bank, &created, st) != 7)
		return -EINVAL;
	idx = name_index(target_names, RT_LOST + 1, st);
	if (idx < 0)
		return -EINVAL;
	snprintf(t->ifname, sizeof(t->ifname), "%s", name);
	t->canary = canary;
	t->created = created;
	t->state = idx;
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
	int idx;

	if (!strcmp(key, "id"))
		ro->id = strtoull(val, NULL, 10);
	else if (!strcmp(key, "plan_name"))
		snprintf(ro->plan_name, sizeof(ro->plan_name), "%s", val);
	else if (!strcmp(key, "plan_path"))
		snprintf(ro->plan_path, sizeof(ro->plan_path), "%s", val);
	else if (!strcmp(key, "reason"))
		snprintf(ro->reason, sizeof(ro->reason), "%s", val);
	else if (!strcmp(key, "hook"))
		return plan__hook_from_name(val, &ro->hook);
	else if (!strcmp(key, "status")) {
		idx = name_index(status_names, RO_ABORTED + 1, val);
		if (idx < 0)
			return -EINVAL;
		ro->status = idx;
	} else if (!strcmp(key, "step"))
		ro->step = atoi(val);
	else if (!strcmp(key, "wave"))
		ro->wave = atoi(val);
	else if (!strcmp(key, "started"))
		ro->started = strtoll(val, NULL, 10);
	else if (!strcmp(key, "ended"))
		ro->ended = strtoll(val, NULL, 10);
	else if (!strcmp(key, "prev_gen"))
		ro->prev_gen = strtoull(val, NULL, 10);
	else if (!strcmp(key, "target"))
		return parse_target(ro, val);
	else if (!strcmp(key, "breach"))
		return parse_breach(ro, val);
	else
		return -EINVAL;
	return 0;
}

int journal__parse(const char *buf, struct rollout *ro)
{
	char line[PLAN_MAX_PATH + 64], *sp;
	const char *p = buf, *nl;
	bool ended = false;
	int err;

	memset(ro, 0, sizeof(*ro));
	for (; *p; p = nl + 1) {
		nl = strchr(p, '\n');
		if (!nl || (size_t)(nl - p) >= sizeof(line))
			return -EINVAL;	/* torn or oversized: not ours */
		snprintf(line, sizeof(line), "%.*s", (int)(nl - p), p);
		if (!strcmp(line, "end")) {
			ended = true;
			break;
		}
		sp = strchr(line, ' ');
		if (sp)
			*sp++ = '\0';
		err = parse_kv(ro, line, sp ? sp : "");
		if (err)
			return err;
	}
	return ended ? 0 : -EINVAL;
}

static int journal_path(char *buf, size_t len, const char *name)
{
	return state__path(buf, len, name);
}

int journal__load(struct rollout *ro)
{
	char path[PATH_MAX], *buf;
	int err;

	if (journal_path(path, sizeof(path), JOURNAL_FILE))
		return -ENAMETOOLONG;
	buf = pins__read_file(path, JOURNAL_MAX_SIZE, NULL);
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
	err = pins__mkdir_p(pins__state_dir(), 0700);
	if (err)
		return err;
	buf = malloc(JOURNAL_MAX_SIZE);
	if (!buf)
		return -ENOMEM;
	n = journal__format(ro, buf, JOURNAL_MAX_SIZE);
	err = n < 0 ? n : pins__write_atomic(path, buf, n);
	free(buf);
	return err;
}

/* One JSON object per line, appended and fsynced. */
static int history_append(void (*emit)(FILE *, const void *), const void *arg)
{
	char path[PATH_MAX];
	FILE *f;
	int fd, err = 0;

	if (journal_path(path, sizeof(path), HISTORY_FILE))
		return -ENAMETOOLONG;
	err = pins__mkdir_p(pins__state_dir(), 0700);
	if (err)
		return err;
	fd = open(path, O_WRONLY | O_APPEND | O_CREAT | O_CLOEXEC | O_NOFOLLOW, 0600);
	if (fd < 0)
		return -errno;
	f = fdopen(fd, "a");
	if (!f) {
		close(fd);
		return -errno;
	}
	emit(f, arg);
	fputc('\n', f);
	if (fflush(f) || fsync(fd))
		err = -errno;
	fclose(f);
	return err;
}

static void emit_rollout(FILE *f, const void *arg)
{
	const struct rollout *ro = arg;
	int i;

	fprintf(f, "{\"type\":\"rollout\",\"id\":%" PRIu64 ",\"generation\":%" PRIu64
		   ",\"previous_generation\":%" PRIu64 ",\"plan\":", ro->id, ro->id, ro->prev_gen);
	cli__json_str(f, ro->plan_name);
	fprintf(f, ",\"hook\":\"%s\",\"outcome\":\"%s\",\"started\":%" PRId64 ",\"ended\":%" PRId64
		   ",\"reason\":", plan__hook_name(ro->hook), journal__status_name(ro->status),
		ro->started, ro->ended);
	cli__json_str(f, ro->reason);
	if (ro->breach.gate[0]) {
		fprintf(f, ",\"breach\":{\"gate\":");
		cli__json_str(f, ro->breach.gate);
		fprintf(f, ",\"ifname\":");
		cli__json_str(f, ro->breach.ifname);
		fprintf(f, ",\"value\":%.6g,\"threshold\":%.6g}", ro->breach.value,
			ro->breach.threshold);
	}
	fprintf(f, ",\"interfaces\":[");
	for (i = 0; i < ro->nr; i++) {
		fprintf(f, "%s{\"ifname\":", i ? "," : "");
		cli__json_str(f, ro->t[i].ifname);
		fprintf(f, ",\"canary\":%s,\"state\":\"%s\"}", ro->t[i].canary ? "true" : "false",
			journal__target_state_name(ro->t[i].state));
	}
	fprintf(f, "]}");
}

int journal__finish(const struct rollout *ro)
{
	char path[PATH_MAX];
	int err;

	err = history_append(emit_rollout, ro);
	if (err)
		return err;
	if (journal_path(path, sizeof(path), JOURNAL_FILE))
		return -ENAMETOOLONG;
	if (unlink(path) && errno != ENOENT)
		return -errno;
	return 0;
}

struct event {
	const char *what;
	const char *detail;
};

static void emit_event(FILE *f, const void *arg)
{
	const struct event *ev = arg;

	fprintf(f, "{\"type\":\"event\",\"what\":");
	cli__json_str(f, ev->what);
	fprintf(f, ",\"time\":%lld,\"detail\":", (long long)time(NULL));
	cli__json_str(f, ev->detail);
	fprintf(f, "}");
}

int journal__event(const char *what, const char *detail)
{
	struct event ev = { what, detail };

	return history_append(emit_event, &ev);
}
