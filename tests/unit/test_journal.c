// SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause)
/*
 * The rollout journal: the text format round-trips, anything torn,
 * truncated or foreign is refused (a crash must never be read as a
 * different rollout), and save/load/finish/event work on a private
 * TAILGATE_STATE_DIR: atomic journal, one JSON line per history entry,
 * journal gone once the rollout is over.
 */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>
#include <cmocka.h>

#include "history.h"
#include "journal.h"
#include "plan.h"
#include "rollout.h"

#define BUF_LEN (256 << 10)

/* Fixtures */

static void fill(struct rollout *ro, int nr)
{
	int i;

	memset(ro, 0, sizeof(*ro));
	ro->id = 18446744073709551000ull;	/* near UINT64_MAX: no 32-bit slip */
	snprintf(ro->plan_path, sizeof(ro->plan_path), "/srv/plans/counter v2.yaml");
	snprintf(ro->plan_name, sizeof(ro->plan_name), "counter-v2");
	ro->hook = PLAN_HOOK_TC_EGRESS;
	ro->status = RO_PAUSED;
	ro->step = 2;
	ro->wave = 3;
	ro->started = 1700000000;
	ro->ended = -1;
	ro->prev_gen = 41;
	snprintf(ro->reason, sizeof(ro->reason),
		 "step 2 (analyze): gate breached: max_drop_ratio 0.052 > limit 0.01 on tg1 after 3.0s");
	ro->nr = nr;
	for (i = 0; i < nr; i++) {
		snprintf(ro->t[i].ifname, IF_NAMESIZE, i ? "tg%d" : "averylongname15", i);
		ro->t[i].ifindex = 4000000000u - i;
		ro->t[i].canary = i < 2;
		ro->t[i].prev_bank = i % 3 - 1;	/* -1, 0, 1 */
		/* A generation never goes into the bank it replaces. */
		ro->t[i].new_bank = ro->t[i].prev_bank == 0 ? 1 : 0;
		ro->t[i].created = i % 2;
		ro->t[i].state = i % (RT_LOST + 1);
	}
}

static void assert_same(const struct rollout *a, const struct rollout *b)
{
	int i;

	assert_int_equal(a->id, b->id);
	assert_string_equal(a->plan_path, b->plan_path);
	assert_string_equal(a->plan_name, b->plan_name);
	assert_int_equal(a->hook, b->hook);
	assert_int_equal(a->status, b->status);
	assert_int_equal(a->step, b->step);
	assert_int_equal(a->wave, b->wave);
	assert_true(a->started == b->started);
	assert_true(a->ended == b->ended);
	assert_int_equal(a->prev_gen, b->prev_gen);
	assert_string_equal(a->reason, b->reason);
	assert_int_equal(a->nr, b->nr);
	for (i = 0; i < a->nr; i++) {
		assert_string_equal(a->t[i].ifname, b->t[i].ifname);
		assert_int_equal(a->t[i].ifindex, b->t[i].ifindex);
		assert_int_equal(a->t[i].canary, b->t[i].canary);
		assert_int_equal(a->t[i].prev_bank, b->t[i].prev_bank);
		assert_int_equal(a->t[i].new_bank, b->t[i].new_bank);
		assert_int_equal(a->t[i].created, b->t[i].created);
		assert_int_equal(a->t[i].state, b->t[i].state);
	}
	/* nothing else in the struct either (both were zeroed first) */
	assert_memory_equal(a, b, sizeof(*a));
}

struct bufs {
	struct rollout *a, *b;
	char *text, *text2;
};

static int setup_bufs(void **state)
{
	struct bufs *s = calloc(1, sizeof(*s));

	if (!s)
		return -1;
	s->a = calloc(1, sizeof(*s->a));
	s->b = calloc(1, sizeof(*s->b));
	s->text = calloc(1, BUF_LEN);
	s->text2 = calloc(1, BUF_LEN);
	*state = s;
	return s->a && s->b && s->text && s->text2 ? 0 : -1;
}

static int teardown_bufs(void **state)
{
	struct bufs *s = *state;

	free(s->a);
	free(s->b);
	free(s->text);
	free(s->text2);
	free(s);
	return 0;
}

/* Format and parse */

static void test_round_trip(void **state)
{
	struct bufs *s = *state;
	int n, n2;

	fill(s->a, 9);	/* every target state, banks -1/0/1 */
	n = journal__format(s->a, s->text, BUF_LEN);
	assert_true(n > 0);
	assert_int_equal(n, strlen(s->text));
	assert_int_equal(journal__parse(s->text, s->b), 0);
	assert_same(s->a, s->b);
	/* and the same text again */
	n2 = journal__format(s->b, s->text2, BUF_LEN);
	assert_int_equal(n, n2);
	assert_string_equal(s->text, s->text2);
	/* a journal ends with its end marker */
	assert_true(n >= 4);
	assert_string_equal(s->text + n - 4, "end\n");
}

static void test_round_trip_every_status_and_hook(void **state)
{
	struct bufs *s = *state;
	int st, hook;

	for (st = RO_RUNNING; st <= RO_ABORTED; st++) {
		for (hook = PLAN_HOOK_XDP; hook <= PLAN_HOOK_TC_EGRESS; hook++) {
			fill(s->a, 1);
			s->a->status = st;
			s->a->hook = hook;
			assert_true(journal__format(s->a, s->text, BUF_LEN) > 0);
			assert_int_equal(journal__parse(s->text, s->b), 0);
			assert_int_equal(s->b->status, st);
			assert_int_equal(s->b->hook, hook);
		}
	}
}

/* Empty strings and no targets: a journal written before any target exists. */
static void test_round_trip_empty(void **state)
{
	struct bufs *s = *state;

	memset(s->a, 0, sizeof(*s->a));
	assert_true(journal__format(s->a, s->text, BUF_LEN) > 0);
	assert_int_equal(journal__parse(s->text, s->b), 0);
	assert_same(s->a, s->b);
}

static void test_names(void **state)
{
	assert_string_equal(journal__status_name(RO_RUNNING), "running");
	assert_string_equal(journal__status_name(RO_PAUSED), "paused");
	assert_string_equal(journal__status_name(RO_PROMOTED), "promoted");
	assert_string_equal(journal__status_name(RO_ROLLED_BACK), "rolled_back");
	assert_string_equal(journal__status_name(RO_ABORTED), "aborted");
	assert_string_equal(journal__status_name(RO_ABORTED + 1), "?");
	assert_string_equal(journal__target_state_name(RT_PENDING), "pending");
	assert_string_equal(journal__target_state_name(RT_FLIPPING), "flipping");
	assert_string_equal(journal__target_state_name(RT_FLIPPED), "flipped");
	assert_string_equal(journal__target_state_name(RT_LIVE), "live");
	assert_string_equal(journal__target_state_name(RT_REVERTING), "reverting");
	assert_string_equal(journal__target_state_name(RT_REVERTED), "reverted");
	assert_string_equal(journal__target_state_name(RT_LOST), "lost");
	assert_string_equal(journal__target_state_name(RT_SPLIT), "split");
	assert_string_equal(journal__target_state_name(RT_DONE), "done");
	assert_string_equal(journal__target_state_name(RT_DONE + 1), "?");
}

/* A crash mid-write: every strict prefix of a journal is refused. */
static void test_every_prefix_refused(void **state)
{
	struct bufs *s = *state;
	int n, cut;

	fill(s->a, 4);
	n = journal__format(s->a, s->text, BUF_LEN);
	assert_true(n > 0);
	for (cut = 0; cut < n; cut++) {
		memcpy(s->text2, s->text, cut);
		s->text2[cut] = '\0';
		if (journal__parse(s->text2, s->b) == 0)
			fail_msg("a journal cut after %d of %d bytes was accepted: \"%s\"", cut, n,
				 s->text2);
	}
	assert_int_equal(journal__parse(s->text, s->b), 0);
}

/* Without its end line, even a journal of whole lines is not trusted. */
static void test_missing_end(void **state)
{
	struct bufs *s = *state;
	int n;

	fill(s->a, 2);
	n = journal__format(s->a, s->text, BUF_LEN);
	s->text[n - 4] = '\0';	/* drop "end\n", keep every other line whole */
	assert_int_equal(s->text[n - 5], '\n');
	assert_int_equal(journal__parse(s->text, s->b), -EINVAL);
	/* the end marker must be a line of its own */
	strcat(s->text, "ending\n");
	assert_int_not_equal(journal__parse(s->text, s->b), 0);
}

/*
 * A torn write: the file has its length but its tail is zeros, or the
 * tail is bytes of something else. Either way the end line is gone.
 */
static void test_torn_tail(void **state)
{
	struct bufs *s = *state;
	int n, at;

	fill(s->a, 3);
	n = journal__format(s->a, s->text, BUF_LEN);
	for (at = 0; at < n; at += 7) {
		memcpy(s->text2, s->text, n + 1);
		memset(s->text2 + at, '\0', n - at);
		assert_int_not_equal(journal__parse(s->text2, s->b), 0);
		memcpy(s->text2, s->text, n + 1);
		memset(s->text2 + at, 'Z', n - at);
		assert_int_not_equal(journal__parse(s->text2, s->b), 0);
	}
}

/* Insert @line before the end marker of a valid journal and parse it. */
static int parse_with(struct bufs *s, const char *line)
{
	int n;

	fill(s->a, 2);
	n = journal__format(s->a, s->text, BUF_LEN);
	snprintf(s->text + n - 4, BUF_LEN - n + 4, "%s\nend\n", line);
	return journal__parse(s->text, s->b);
}

static void test_unknown_or_bad_lines_refused(void **state)
{
	struct bufs *s = *state;

	assert_int_equal(parse_with(s, "target tg9 9 0 -1 0 0 live"), 0);	/* control */
	assert_int_equal(s->b->nr, 3);
	assert_int_equal(parse_with(s, "colour blue"), -EINVAL);
	assert_int_equal(parse_with(s, "Status paused"), -EINVAL);
	assert_int_equal(parse_with(s, ""), -EINVAL);
	assert_int_equal(parse_with(s, "status sleeping"), -EINVAL);
	assert_int_equal(parse_with(s, "status"), -EINVAL);
	assert_int_not_equal(parse_with(s, "hook tc-sideways"), 0);
	assert_int_equal(parse_with(s, "target tg9 9 0 -1 0 0 dancing"), -EINVAL);
	assert_int_equal(parse_with(s, "target tg9 9 0 -1 0 0"), -EINVAL);
	assert_int_equal(parse_with(s, "target tg9"), -EINVAL);
	assert_int_equal(parse_with(s, "target"), -EINVAL);
}

static void test_oversized_line_refused(void **state)
{
	struct bufs *s = *state;
	char *line = malloc(PLAN_MAX_PATH + 200);

	assert_non_null(line);
	memcpy(line, "plan_path /", 11);
	memset(line + 11, 'p', PLAN_MAX_PATH + 100);
	line[11 + PLAN_MAX_PATH + 100] = '\0';
	assert_int_equal(parse_with(s, line), -EINVAL);
	free(line);
}

static int format_targets(struct bufs *s, int nr)
{
	size_t off;
	int i, n;

	fill(s->a, 0);
	n = journal__format(s->a, s->text, BUF_LEN);
	off = n - 4;
	for (i = 0; i < nr; i++)
		off += snprintf(s->text + off, BUF_LEN - off, "target t%d %d 0 -1 0 0 pending\n", i,
				i + 1);
	snprintf(s->text + off, BUF_LEN - off, "end\n");
	return journal__parse(s->text, s->b);
}

static void test_target_limit(void **state)
{
	struct bufs *s = *state;

	assert_int_equal(format_targets(s, PLAN_MAX_IFACES), 0);
	assert_int_equal(s->b->nr, PLAN_MAX_IFACES);
	assert_string_equal(s->b->t[PLAN_MAX_IFACES - 1].ifname, "t255");
	assert_int_equal(format_targets(s, PLAN_MAX_IFACES + 1), -E2BIG);
}

static void test_full_fleet_round_trip(void **state)
{
	struct bufs *s = *state;

	fill(s->a, PLAN_MAX_IFACES);
	assert_true(journal__format(s->a, s->text, BUF_LEN) > 0);
	assert_int_equal(journal__parse(s->text, s->b), 0);
	assert_same(s->a, s->b);
}

/* A buffer one byte short is an error, never a silently cut journal. */
static void test_format_buffer_too_small(void **state)
{
	struct bufs *s = *state;
	int n, len;

	fill(s->a, 3);
	n = journal__format(s->a, s->text, BUF_LEN);
	assert_true(n > 0);
	assert_int_equal(journal__format(s->a, s->text2, n + 1), n);
	assert_string_equal(s->text, s->text2);
	for (len = 1; len <= n; len++)
		assert_int_equal(journal__format(s->a, s->text2, len), -E2BIG);
}

/*
 * What the journal holds comes back as it was, or it is not written at
 * all: a plan path with a newline (legal on Linux) must not produce a
 * journal that `recover` and `promote` then refuse to read.
 */
static void test_newline_in_field(void **state)
{
	struct bufs *s = *state;
	int n;

	fill(s->a, 1);
	snprintf(s->a->plan_path, sizeof(s->a->plan_path), "/tmp/a\nstatus promoted");
	n = journal__format(s->a, s->text, BUF_LEN);
	if (n < 0)
		return;	/* refused to write it: fine */
	assert_int_equal(journal__parse(s->text, s->b), 0);
	assert_same(s->a, s->b);
}

/* Save, load, finish, event in a private state directory */

struct dir {
	char root[PATH_MAX / 4];
	char state[PATH_MAX / 2];
	struct rollout *a, *b;
};

static int setup_dir(void **state)
{
	struct dir *d = calloc(1, sizeof(*d));

	if (!d)
		return -1;
	snprintf(d->root, sizeof(d->root), "%s/tg-journal-XXXXXX",
		 getenv("TMPDIR") ? getenv("TMPDIR") : "/tmp");
	if (!mkdtemp(d->root))
		return -1;
	/* a missing directory (two levels) that save must create */
	snprintf(d->state, sizeof(d->state), "%s/var/tailgate", d->root);
	setenv("TAILGATE_STATE_DIR", d->state, 1);
	d->a = calloc(1, sizeof(*d->a));
	d->b = calloc(1, sizeof(*d->b));
	*state = d;
	return d->a && d->b ? 0 : -1;
}

static void rm_rf(const char *path)
{
	char child[PATH_MAX];
	struct dirent *de;
	DIR *dir = opendir(path);

	if (!dir) {
		unlink(path);
		return;
	}
	while ((de = readdir(dir))) {
		if (!strcmp(de->d_name, ".") || !strcmp(de->d_name, ".."))
			continue;
		snprintf(child, sizeof(child), "%s/%s", path, de->d_name);
		rm_rf(child);
	}
	closedir(dir);
	rmdir(path);
}

static int teardown_dir(void **state)
{
	struct dir *d = *state;

	unsetenv("TAILGATE_STATE_DIR");
	rm_rf(d->root);
	free(d->a);
	free(d->b);
	free(d);
	return 0;
}

static void path_of(const struct dir *d, const char *name, char *buf)
{
	snprintf(buf, PATH_MAX, "%s/%s", d->state, name);
}

static bool exists(const struct dir *d, const char *name)
{
	char p[PATH_MAX];

	path_of(d, name, p);
	return !access(p, F_OK);
}

/* Names in the state directory other than @keep..., NULL-terminated. */
static int stray_files(const struct dir *d, const char *keep1, const char *keep2)
{
	DIR *dir = opendir(d->state);
	struct dirent *de;
	int n = 0;

	assert_non_null(dir);
	while ((de = readdir(dir))) {
		if (!strcmp(de->d_name, ".") || !strcmp(de->d_name, "..") ||
		    (keep1 && !strcmp(de->d_name, keep1)) || (keep2 && !strcmp(de->d_name, keep2)))
			continue;
		print_error("stray file in the state dir: %s\n", de->d_name);
		n++;
	}
	closedir(dir);
	return n;
}

static char *slurp(const struct dir *d, const char *name)
{
	char p[PATH_MAX], *buf;
	FILE *f;
	long n;

	path_of(d, name, p);
	f = fopen(p, "r");
	assert_non_null(f);
	assert_int_equal(fseek(f, 0, SEEK_END), 0);
	n = ftell(f);
	rewind(f);
	buf = calloc(1, n + 1);
	assert_non_null(buf);
	assert_int_equal(fread(buf, 1, n, f), n);
	fclose(f);
	return buf;
}

/*
 * A small strict JSON checker: one value, nothing after it. Enough to
 * catch an unescaped quote, a raw control character or a missing brace.
 */
static const char *json_value(const char *p);

static const char *json_ws(const char *p)
{
	while (*p == ' ' || *p == '\t')
		p++;
	return p;
}

static const char *json_string(const char *p)
{
	if (*p++ != '"')
		return NULL;
	for (; *p && *p != '"'; p++) {
		if ((unsigned char)*p < 0x20)
			return NULL;
		if (*p == '\\') {
			p++;
			if (*p == 'u') {
				int k;

				for (k = 1; k <= 4; k++)
					if (!strchr("0123456789abcdefABCDEF", p[k]) || !p[k])
						return NULL;
				p += 4;
			} else if (!*p || !strchr("\"\\/bfnrt", *p)) {
				return NULL;
			}
		}
	}
	return *p == '"' ? p + 1 : NULL;
}

static const char *json_seq(const char *p, char close, bool keys)
{
	p = json_ws(p);
	if (*p == close)
		return p + 1;
	for (;;) {
		if (keys) {
			p = json_string(json_ws(p));
			if (!p)
				return NULL;
			p = json_ws(p);
			if (*p++ != ':')
				return NULL;
		}
		p = json_value(p);
		if (!p)
			return NULL;
		p = json_ws(p);
		if (*p == close)
			return p + 1;
		if (*p++ != ',')
			return NULL;
	}
}

static const char *json_value(const char *p)
{
	p = json_ws(p);
	if (*p == '{')
		return json_seq(p + 1, '}', true);
	if (*p == '[')
		return json_seq(p + 1, ']', false);
	if (*p == '"')
		return json_string(p);
	if (!strncmp(p, "true", 4) || !strncmp(p, "null", 4))
		return p + 4;
	if (!strncmp(p, "false", 5))
		return p + 5;
	if (*p == '-' || (*p >= '0' && *p <= '9')) {
		char *end;

		strtod(p, &end);
		return end;
	}
	return NULL;
}

static void assert_json_object(const char *line, size_t len)
{
	char *copy = strndup(line, len);
	const char *end;

	assert_non_null(copy);
	assert_int_equal(copy[0], '{');
	end = json_value(copy);
	if (!end || *json_ws(end))
		fail_msg("not one JSON object: %s", copy);
	free(copy);
}

/* The lines of the history, each checked as JSON. @return how many. */
static int history_lines(const struct dir *d, char **text)
{
	const char *p, *nl;
	int n = 0;

	*text = slurp(d, HISTORY_FILE);
	for (p = *text; *p; p = nl + 1) {
		nl = strchr(p, '\n');
		if (!nl)
			fail_msg("history line %d does not end with a newline", n + 1);
		assert_json_object(p, nl - p);
		n++;
	}
	return n;
}

static void test_load_none(void **state)
{
	struct dir *d = *state;

	assert_int_equal(journal__load(d->a), -ENOENT);
	assert_false(exists(d, JOURNAL_FILE));
}

static void test_save_load(void **state)
{
	struct dir *d = *state;
	char p[PATH_MAX];
	struct stat st;

	fill(d->a, 5);
	assert_int_equal(journal__save(d->a), 0);
	assert_true(exists(d, JOURNAL_FILE));
	assert_int_equal(stray_files(d, JOURNAL_FILE, NULL), 0);	/* no temp file left */
	path_of(d, JOURNAL_FILE, p);
	assert_int_equal(stat(p, &st), 0);
	assert_int_equal(st.st_mode & 0777, 0600);
	assert_int_equal(stat(d->state, &st), 0);
	assert_int_equal(st.st_mode & 0777, 0700);

	assert_int_equal(journal__load(d->b), 0);
	assert_same(d->a, d->b);

	/* a later save replaces the journal whole */
	d->a->t[3].state = RT_FLIPPED;
	d->a->wave = 4;
	d->a->nr = 4;
	memset(&d->a->t[4], 0, sizeof(d->a->t[4]));	/* gone from the fleet */
	assert_int_equal(journal__save(d->a), 0);
	assert_int_equal(journal__load(d->b), 0);
	assert_same(d->a, d->b);
	assert_int_equal(stray_files(d, JOURNAL_FILE, NULL), 0);
}

static void write_file(const struct dir *d, const char *name, const char *text, size_t len)
{
	char p[PATH_MAX];
	FILE *f;

	path_of(d, name, p);
	f = fopen(p, "w");
	assert_non_null(f);
	assert_int_equal(fwrite(text, 1, len, f), len);
	assert_int_equal(fclose(f), 0);
}

/* A torn journal on disk is refused, not half-loaded. */
static void test_load_torn(void **state)
{
	struct dir *d = *state;
	char *text = calloc(1, BUF_LEN);
	int n;

	assert_non_null(text);
	fill(d->a, 3);
	assert_int_equal(journal__save(d->a), 0);	/* creates the directory */
	n = journal__format(d->a, text, BUF_LEN);
	write_file(d, JOURNAL_FILE, text, n - 10);
	assert_int_equal(journal__load(d->b), -EINVAL);
	/* zero-length: the state a crash before the first write would leave */
	write_file(d, JOURNAL_FILE, text, 0);
	assert_int_equal(journal__load(d->b), -EINVAL);
	free(text);
}

/* A huge file is not read at all. */
static void test_load_oversized(void **state)
{
	struct dir *d = *state;
	size_t len = (256u << 10) + 1;
	char *text = malloc(len);

	assert_non_null(text);
	memset(text, '\n', len);
	fill(d->a, 1);
	assert_int_equal(journal__save(d->a), 0);
	write_file(d, JOURNAL_FILE, text, len);
	assert_int_not_equal(journal__load(d->b), 0);
	free(text);
}

/* A rollout ends as the runner ends it: into the history, journal gone. */
static int finish_rollout(const struct rollout *ro)
{
	return history__rollout(ro) ?: journal__remove();
}

static void test_finish_appends_history(void **state)
{
	struct dir *d = *state;
	char *text, *second;

	fill(d->a, 3);
	d->a->id = 12;
	d->a->prev_gen = 11;
	d->a->status = RO_PROMOTED;
	d->a->t[0].state = RT_LIVE;
	d->a->t[1].state = RT_LIVE;
	d->a->t[2].state = RT_LIVE;
	assert_int_equal(journal__save(d->a), 0);
	assert_int_equal(finish_rollout(d->a), 0);
	assert_false(exists(d, JOURNAL_FILE));
	assert_int_equal(journal__load(d->b), -ENOENT);
	assert_int_equal(history_lines(d, &text), 1);
	assert_non_null(strstr(text, "\"type\":\"rollout\""));
	assert_non_null(strstr(text, "\"id\":12,"));
	assert_non_null(strstr(text, "\"generation\":12,"));
	assert_non_null(strstr(text, "\"previous_generation\":11,"));
	assert_non_null(strstr(text, "\"plan\":\"counter-v2\""));
	assert_non_null(strstr(text, "\"hook\":\"tc-egress\""));
	assert_non_null(strstr(text, "\"outcome\":\"promoted\""));
	assert_non_null(strstr(text, "{\"ifname\":\"tg1\",\"canary\":true,\"state\":\"live\"}"));
	assert_non_null(strstr(text, "{\"ifname\":\"tg2\",\"canary\":false,\"state\":\"live\"}"));
	free(text);

	/* the next rollout: one more line, the first one untouched */
	d->a->id = 13;
	d->a->prev_gen = 12;
	d->a->status = RO_ROLLED_BACK;
	d->a->t[1].state = RT_REVERTED;
	snprintf(d->a->reason, sizeof(d->a->reason), "exec \"probe.sh tg1\" said \\no\\\t(tab)");
	assert_int_equal(journal__save(d->a), 0);
	assert_int_equal(finish_rollout(d->a), 0);
	assert_false(exists(d, JOURNAL_FILE));
	assert_int_equal(history_lines(d, &text), 2);
	second = strchr(text, '\n') + 1;
	assert_non_null(strstr(text, "\"id\":12,"));
	assert_null(strstr(second, "\"id\":12,"));
	assert_non_null(strstr(second, "\"id\":13,"));
	assert_non_null(strstr(second, "\"outcome\":\"rolled_back\""));
	assert_non_null(strstr(second, "\"state\":\"reverted\""));
	assert_non_null(strstr(second, "\"reason\":\"exec \\\"probe.sh tg1\\\" said \\\\no\\\\"));
	assert_int_equal(stray_files(d, HISTORY_FILE, NULL), 0);
	free(text);
}

/* Finishing with no journal on disk still records the rollout. */
static void test_finish_without_journal(void **state)
{
	struct dir *d = *state;
	char *text;

	fill(d->a, 1);
	d->a->status = RO_ABORTED;
	assert_int_equal(finish_rollout(d->a), 0);
	assert_int_equal(history_lines(d, &text), 1);
	assert_non_null(strstr(text, "\"outcome\":\"aborted\""));
	free(text);
}

static void test_event(void **state)
{
	struct dir *d = *state;
	char *text, *third;

	assert_int_equal(history__event("rollback", "tg0/xdp: back to generation 4"), 0);
	assert_int_equal(history__event("detach", "tg1/\"tc-ingress\"\n"), 0);
	fill(d->a, 1);
	assert_int_equal(finish_rollout(d->a), 0);
	assert_int_equal(history_lines(d, &text), 3);
	assert_true(!strncmp(text, "{\"type\":\"event\",\"what\":\"rollback\",\"time\":", 40));
	assert_non_null(strstr(text, "\"detail\":\"tg0/xdp: back to generation 4\"}\n"));
	assert_non_null(strstr(text, "\"detail\":\"tg1/\\\"tc-ingress\\\"\\n\"}\n"));
	/* events and rollouts share the file, in the order they happened */
	third = strchr(strchr(text, '\n') + 1, '\n') + 1;
	assert_true(!strncmp(third, "{\"type\":\"rollout\",", 18));
	free(text);
}

/*
 * A pause survives a process: the machine's step and wave, saved in the
 * journal and loaded by another process, go on where they stopped.
 */
static void test_pause_resume_through_journal(void **state)
{
	struct dir *d = *state;
	struct plan *plan = calloc(1, sizeof(*plan));
	struct ro_action a;
	int i;

	assert_non_null(plan);
	plan->nr_steps = 3;
	plan->steps[0].kind = PLAN_STEP_CANARY;
	plan->steps[1].kind = PLAN_STEP_PAUSE;
	plan->steps[2].kind = PLAN_STEP_PROMOTE;
	plan->steps[2].batch = 2;
	memset(d->a, 0, sizeof(*d->a));
	d->a->nr = 3;
	for (i = 0; i < 3; i++) {
		snprintf(d->a->t[i].ifname, IF_NAMESIZE, "tg%d", i);
		d->a->t[i].prev_bank = -1;	/* first installs: bank A is new */
	}
	d->a->t[0].canary = true;

	rollout__next(d->a, plan, &a);
	assert_int_equal(a.kind, ACT_FLIP);
	assert_int_equal(a.n, 1);
	d->a->t[0].state = RT_FLIPPED;
	rollout__next(d->a, plan, &a);
	assert_int_equal(a.kind, ACT_PAUSE);
	d->a->status = RO_PAUSED;
	assert_int_equal(journal__save(d->a), 0);

	assert_int_equal(journal__load(d->b), 0);
	assert_int_equal(d->b->status, RO_PAUSED);
	d->b->status = RO_RUNNING;
	rollout__next(d->b, plan, &a);
	assert_int_equal(a.kind, ACT_FLIP);	/* not the pause again */
	assert_int_equal(a.step, 2);
	assert_int_equal(a.n, 2);
	assert_int_equal(a.idx[0], 1);
	assert_int_equal(a.idx[1], 2);
	free(plan);
}

#define TB(f) cmocka_unit_test_setup_teardown(f, setup_bufs, teardown_bufs)
#define TD(f) cmocka_unit_test_setup_teardown(f, setup_dir, teardown_dir)

int main(void)
{
	const struct CMUnitTest tests[] = {
		TB(test_round_trip),
		TB(test_round_trip_every_status_and_hook),
		TB(test_round_trip_empty),
		TB(test_names),
		TB(test_every_prefix_refused),
		TB(test_missing_end),
		TB(test_torn_tail),
		TB(test_unknown_or_bad_lines_refused),
		TB(test_oversized_line_refused),
		TB(test_target_limit),
		TB(test_full_fleet_round_trip),
		TB(test_format_buffer_too_small),
		TB(test_newline_in_field),
		TD(test_load_none),
		TD(test_save_load),
		TD(test_load_torn),
		TD(test_load_oversized),
		TD(test_finish_appends_history),
		TD(test_finish_without_journal),
		TD(test_event),
		TD(test_pause_resume_through_journal),
	};

	return cmocka_run_group_tests_name("journal", tests, NULL, NULL);
}
