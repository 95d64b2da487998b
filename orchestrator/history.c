// SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause)
#include <errno.h>
#include <inttypes.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>

#include "files.h"
#include "history.h"
#include "json_writer.h"
#include "jsonr.h"
#include "pins.h"
#include "sha256.h"

static int path_of(char *buf, size_t len, const char *suffix)
{
	return pins__path(buf, len, "%s/%s%s", pins__state_dir(), HISTORY_FILE, suffix);
}

/* Keep the current file below HISTORY_ROTATE: the older one goes to .1. */
static void rotate(size_t adding)
{
	char cur[PATH_MAX], old[PATH_MAX];
	struct stat st;

	if (path_of(cur, sizeof(cur), "") || path_of(old, sizeof(old), ".1"))
		return;
	if (!lstat(cur, &st) && S_ISREG(st.st_mode) && (size_t)st.st_size + adding > HISTORY_ROTATE)
		rename(cur, old);
}

/* One line built by @emit through a JSON writer, appended. */
static int append(void (*emit)(jsonw_t *, const void *), const void *arg)
{
	char path[PATH_MAX], *buf = NULL;
	size_t len = 0;
	jsonw_t *w;
	FILE *f;
	int err;

	if (path_of(path, sizeof(path), ""))
		return -ENAMETOOLONG;
	f = open_memstream(&buf, &len);
	if (!f)
		return -errno;
	w = jsonw_new(f);
	if (!w) {
		fclose(f);
		free(buf);
		return -ENOMEM;
	}
	emit(w, arg);
	jsonw_destroy(&w);
	fclose(f);
	err = files__check_state_dir(true);
	if (!err) {
		rotate(len);
		err = files__append(path, buf, len);
	}
	free(buf);
	return err;
}

static void emit_rollout(jsonw_t *w, const void *arg)
{
	const struct rollout *ro = arg;
	char hex[2 * SHA256_LEN + 1];

	sha256__hex(ro->plan_sha, hex);
	jsonw_start_object(w);
	jsonw_string_field(w, "type", "rollout");
	jsonw_uint_field(w, "id", ro->id);
	jsonw_uint_field(w, "generation", ro->id);
	jsonw_uint_field(w, "previous_generation", ro->prev_gen);
	jsonw_string_field(w, "plan", ro->plan_name);
	jsonw_string_field(w, "plan_sha256", hex);
	jsonw_string_field(w, "hook", plan__hook_name(ro->hook));
	jsonw_string_field(w, "outcome", journal__status_name(ro->status));
	jsonw_int_field(w, "started", ro->started);
	jsonw_int_field(w, "ended", ro->ended);
	jsonw_string_field(w, "reason", ro->reason);
	if (ro->breach.gate[0]) {
		jsonw_name(w, "breach");
		jsonw_start_object(w);
		jsonw_string_field(w, "gate", ro->breach.gate);
		jsonw_string_field(w, "ifname", ro->breach.ifname);
		jsonw_float_field(w, "value", ro->breach.value);
		jsonw_float_field(w, "threshold", ro->breach.threshold);
		jsonw_end_object(w);
	}
	history__json_interfaces(w, ro);
	jsonw_end_object(w);
}

void history__json_interfaces(jsonw_t *w, const struct rollout *ro)
{
	int i;

	jsonw_name(w, "interfaces");
	jsonw_start_array(w);
	for (i = 0; i < ro->nr; i++) {
		jsonw_start_object(w);
		jsonw_string_field(w, "ifname", ro->t[i].ifname);
		jsonw_bool_field(w, "canary", ro->t[i].canary);
		jsonw_string_field(w, "state", journal__target_state_name(ro->t[i].state));
		jsonw_end_object(w);
	}
	jsonw_end_array(w);
}

int history__rollout(const struct rollout *ro)
{
	return append(emit_rollout, ro);
}

struct event {
	const char *what;
	const char *detail;
};

static void emit_event(jsonw_t *w, const void *arg)
{
	const struct event *ev = arg;

	jsonw_start_object(w);
	jsonw_string_field(w, "type", "event");
	jsonw_string_field(w, "what", ev->what);
	jsonw_int_field(w, "time", time(NULL));
	jsonw_string_field(w, "detail", ev->detail);
	jsonw_end_object(w);
}

int history__event(const char *what, const char *detail)
{
	struct event ev = { what, detail };

	return append(emit_event, &ev);
}

/* Lines of one file, newest first. @return entries given to @cb, or -errno. */
static int read_file(const char *suffix, int (*cb)(const char *, void *), void *ctx, int max)
{
	char path[PATH_MAX], *buf, *end, *line;
	int n = 0, err;

	if (path_of(path, sizeof(path), suffix))
		return -ENAMETOOLONG;
	/* Whatever its size (an older tailgate did not rotate): its newest lines. */
	buf = files__read_tail(path, 2 * HISTORY_ROTATE + (64u << 10), NULL);
	if (!buf)
		return errno == ENOENT ? 0 : -errno;
	end = buf + strlen(buf);
	while (end > buf && (!max || n < max)) {
		while (end > buf && end[-1] == '\n')
			*--end = '\0';
		line = end;
		while (line > buf && line[-1] != '\n')
			line--;
		if (line < end && !jsonr__check(line)) {
			err = cb(line, ctx);
			if (err) {
				free(buf);
				return err;
			}
			n++;
		}
		end = line;
	}
	free(buf);
	return n;
}

int history__read(int (*cb)(const char *line, void *ctx), void *ctx, int max)
{
	int n = read_file("", cb, ctx, max), m;

	if (n < 0)
		return n;
	if (max && n >= max)
		return 0;
	m = read_file(".1", cb, ctx, max ? max - n : 0);
	return m < 0 ? m : 0;
}
