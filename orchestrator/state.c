// SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause)
#include <errno.h>
#include <inttypes.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "pins.h"
#include "state.h"

#define STATE_MAX_FILE	(64u << 10)

int state__path(char *buf, size_t len, const char *name)
{
	return pins__path(buf, len, "%s/%s", pins__state_dir(), name);
}

static int ap_path(char *buf, size_t len, const char *ifname, enum plan_hook hook)
{
	return pins__path(buf, len, "%s/aps/%s.%s", pins__state_dir(), ifname,
			  plan__hook_name(hook));
}

static void parse_stages(struct state_bank *b, char *list, bool ids)
{
	char *save = NULL, *tok;
	int n = 0;

	/* fmt_bank() writes an empty bank as "stages - ids 0": no stage. */
	if (!strcmp(list, "-"))
		list[0] = '\0';
	for (tok = strtok_r(list, ",", &save); tok && n < TG_MAX_STAGES;
	     tok = strtok_r(NULL, ",", &save), n++) {
		if (ids)
			b->prog_id[n] = strtoul(tok, NULL, 10);
		else
			snprintf(b->stage[n], sizeof(b->stage[n]), "%s", tok);
	}
	if (!ids)
		b->nr_stages = n;
}

static void parse_line(struct state_ap *st, char *line)
{
	char plan[PLAN_MAX_NAME], stages[TG_MAX_STAGES * PLAN_MAX_NAME], ids[256];
	unsigned int b, v;
	uint64_t gen;

	if (sscanf(line, "ifindex %u", &v) == 1) {
		st->ifindex = v;
	} else if (sscanf(line, "fail_closed %u", &v) == 1) {
		st->fail_closed = v;
	} else if (sscanf(line, "rejected %u", &b) == 1 && b < TG_NR_BANKS) {
		st->bank[b].rejected = true;
	} else if (sscanf(line, "bank %u gen %" SCNu64 " plan %63s stages %1023s ids %255s",
			  &b, &gen, plan, stages, ids) == 5 && b < TG_NR_BANKS) {
		st->bank[b].gen = gen;
		snprintf(st->bank[b].plan, sizeof(st->bank[b].plan), "%s",
			 strcmp(plan, "-") ? plan : "");
		parse_stages(&st->bank[b], stages, false);
		parse_stages(&st->bank[b], ids, true);
	}
}

int state__load_ap(const char *ifname, enum plan_hook hook, struct state_ap *st)
{
	char path[PATH_MAX], *buf, *line, *save = NULL;

	memset(st, 0, sizeof(*st));
	if (ap_path(path, sizeof(path), ifname, hook))
		return -ENAMETOOLONG;
	buf = pins__read_file(path, STATE_MAX_FILE, NULL);
	if (!buf)
		return errno == ENOENT ? 0 : -errno;
	for (line = strtok_r(buf, "\n", &save); line; line = strtok_r(NULL, "\n", &save))
		parse_line(st, line);
	free(buf);
	return 0;
}

static size_t fmt_bank(char *buf, size_t len, unsigned int b, const struct state_bank *bk)
{
	size_t off;
	int i;

	off = snprintf(buf, len, "bank %u gen %" PRIu64 " plan %s stages ", b, bk->gen,
		       bk->plan[0] ? bk->plan : "-");
	for (i = 0; i < bk->nr_stages && off < len; i++)
		off += snprintf(buf + off, len - off, "%s%s", i ? "," : "", bk->stage[i]);
	if (!bk->nr_stages && off < len)
		off += snprintf(buf + off, len - off, "-");
	off += snprintf(buf + off, off < len ? len - off : 0, " ids ");
	for (i = 0; i < bk->nr_stages && off < len; i++)
		off += snprintf(buf + off, len - off, "%s%u", i ? "," : "", bk->prog_id[i]);
	if (!bk->nr_stages && off < len)
		off += snprintf(buf + off, len - off, "0");
	off += snprintf(buf + off, off < len ? len - off : 0, "\n");
	return off;
}

int state__save_ap(const char *ifname, enum plan_hook hook, const struct state_ap *st)
{
	char path[PATH_MAX], dir[PATH_MAX], buf[8192];
	size_t off;
	unsigned int b;
	int err;

	if (ap_path(path, sizeof(path), ifname, hook) || state__path(dir, sizeof(dir), "aps"))
		return -ENAMETOOLONG;
	err = pins__mkdir_p(dir, 0700);
	if (err)
		return err;
	off = snprintf(buf, sizeof(buf), "ifindex %u\nfail_closed %u\n", st->ifindex,
		       st->fail_closed);
	for (b = 0; b < TG_NR_BANKS && off < sizeof(buf); b++)
		off += fmt_bank(buf + off, sizeof(buf) - off, b, &st->bank[b]);
	for (b = 0; b < TG_NR_BANKS && off < sizeof(buf); b++)
		if (st->bank[b].rejected)
			off += snprintf(buf + off, sizeof(buf) - off, "rejected %u\n", b);
	if (off >= sizeof(buf))
		return -E2BIG;
	return pins__write_atomic(path, buf, off);
}

int state__remove_ap(const char *ifname, enum plan_hook hook)
{
	char path[PATH_MAX];

	if (ap_path(path, sizeof(path), ifname, hook))
		return -ENAMETOOLONG;
	if (unlink(path) && errno != ENOENT)
		return -errno;
	return 0;
}

int state__next_gen(uint64_t *gen)
{
	char path[PATH_MAX], *buf, out[32];
	uint64_t cur = 0;
	int err, n;

	if (state__path(path, sizeof(path), "generation"))
		return -ENAMETOOLONG;
	err = pins__mkdir_p(pins__state_dir(), 0700);
	if (err)
		return err;
	buf = pins__read_file(path, 64, NULL);
	if (buf) {
		cur = strtoull(buf, NULL, 10);
		free(buf);
	} else if (errno != ENOENT) {
		return -errno;
	}
	*gen = cur + 1;
	n = snprintf(out, sizeof(out), "%" PRIu64 "\n", *gen);
	return pins__write_atomic(path, out, n);
}
