// SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause)
/*
 * Rollout plans. A plan is hostile input until proven otherwise: the file
 * is read with care (no symlink, no FIFO, a size limit), ynode turns the
 * YAML into a tree with every node's position, and the tables here say
 * what each key of a plan may hold, so every error points at the exact
 * spot in the file. Stages are in plan_pipeline.c, steps in plan_steps.c.
 */
#include <ctype.h>
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <sys/stat.h>

#include "plan_internal.h"

#define DEFAULT_EXEC_TIMEOUT_MS	10000

_Static_assert(YNODE_MAX_DEPTH == PLAN_MAX_DEPTH, "one depth limit");
_Static_assert(sizeof(((struct plan_error *)0)->msg) ==
	       sizeof(((struct ynode_error *)0)->msg), "one message size");

/* Names; each list ends with NULL for schema__choice() */

static const char *const hook_names[] = {
	[PLAN_HOOK_XDP] = "xdp",
	[PLAN_HOOK_TC_INGRESS] = "tc-ingress",
	[PLAN_HOOK_TC_EGRESS] = "tc-egress",
	NULL,
};

static const char *const step_names[] = {
	[PLAN_STEP_CANARY] = "canary",
	[PLAN_STEP_ANALYZE] = "analyze",
	[PLAN_STEP_PROMOTE] = "promote",
	[PLAN_STEP_PAUSE] = "pause",
	NULL,
};

static const char *const on_failure_names[] = {
	[PLAN_ON_FAILURE_ROLLBACK] = "rollback",
	[PLAN_ON_FAILURE_PAUSE] = "pause",
	NULL,
};

/* Into plan->fail_closed: "drop" is true. */
static const char *const on_tail_miss_names[] = { "pass", "drop", NULL };

const char *const plan_verdict_names[] = {
	[TG_PASS] = "pass",
	[TG_DROP] = "drop",
	[TG_ABORTED] = "aborted",
	[TG_TX] = "tx",
	[TG_REDIRECT] = "redirect",
	NULL,
};

_Static_assert(ARRAY_SIZE(plan_verdict_names) == TG_NR_VERDICTS + 1,
	       "a name for every verdict a stage can end with");

static const char *const datapath_names[] = {
	[PLAN_DP_CHAINED] = "chained",
	[PLAN_DP_FUSED] = "fused",
	[PLAN_DP_AUTO] = "auto",
	NULL,
};

static const char *const xdp_mode_names[] = {
	[PLAN_XDP_NATIVE] = "native",
	[PLAN_XDP_SKB] = "skb",
	NULL,
};

/* @i's name in @names (@nr entries, the last the NULL), or "unknown" */
static const char *name_of(const char *const *names, size_t nr,
			   unsigned int i)
{
	return i < nr - 1 ? names[i] : "unknown";
}

static int index_of(const char *const *names, const char *name)
{
	int i;

	for (i = 0; name && names[i]; i++)
		if (!strcmp(name, names[i]))
			return i;
	return -EINVAL;
}

const char *plan__hook_name(enum plan_hook hook)
{
	return name_of(hook_names, ARRAY_SIZE(hook_names), hook);
}

int plan__hook_from_name(const char *name, enum plan_hook *hook)
{
	int i = index_of(hook_names, name);

	if (i < 0)
		return i;
	*hook = i;
	return 0;
}

const char *plan__step_name(enum plan_step_kind kind)
{
	return name_of(step_names, ARRAY_SIZE(step_names), kind);
}

const char *plan__verdict_name(enum tg_verdict v)
{
	return name_of(plan_verdict_names, ARRAY_SIZE(plan_verdict_names), v);
}

int plan__verdict_from_name(const char *name, enum tg_verdict *v)
{
	int i = index_of(plan_verdict_names, name);

	if (i < 0)
		return i;
	*v = i;
	return 0;
}

const char *plan__datapath_name(enum plan_datapath dp)
{
	return name_of(datapath_names, ARRAY_SIZE(datapath_names), dp);
}

int plan__parse_duration(const char *s, uint64_t *ms)
{
	return schema__parse_duration(s, ms);
}

void plan__format_error(const struct plan_error *err, const char *file,
			char *buf, size_t len)
{
	if (err->line)
		snprintf(buf, len, "%s:%d:%d: %s", file, err->line, err->col,
			 err->msg);
	else
		snprintf(buf, len, "%s: %s", file, err->msg);
}

void plan__free(struct plan *plan)
{
	free(plan);
}

__attribute__((format(printf, 2, 3)))
static void set_err(struct plan_error *err, const char *fmt, ...)
{
	va_list ap;

	err->line = 0;
	err->col = 0;
	va_start(ap, fmt);
	vsnprintf(err->msg, sizeof(err->msg), fmt, ap);
	va_end(ap);
}

/* Interfaces */

/* Like the kernel's dev_valid_name(), with glob characters allowed. */
static int check_ifname(struct schema *s, const struct ynode *v,
			const char *str)
{
	size_t len = strlen(str), i;

	if (!len || len >= IF_NAMESIZE)
		return schema__fail(s, v, "interface name '%s' must be 1..%d characters long",
				    YSHOW(str), IF_NAMESIZE - 1);
	if (!strcmp(str, ".") || !strcmp(str, ".."))
		return schema__fail(s, v, "'%s' is not an interface name", str);
	for (i = 0; i < len; i++) {
		if (str[i] == '/' || str[i] == ':' ||
		    isspace((unsigned char)str[i]) ||
		    (unsigned char)str[i] < 0x20 || str[i] == 0x7f)
			return schema__fail(s, v, "interface name '%s' has a '/', ':', space or control character",
					    YSHOW(str));
	}
	return 0;
}

static int check_iface_dup(struct schema *s, const struct plan *p,
			   const struct ynode *v)
{
	int i;

	for (i = 0; i < p->nr_canary; i++)
		if (!strcmp(p->canary[i], v->str))
			return schema__fail(s, v, "interface '%s' is listed twice (already in canary)",
					    v->str);
	for (i = 0; i < p->nr_fleet; i++)
		if (!strcmp(p->fleet[i], v->str))
			return schema__fail(s, v, "interface '%s' is listed twice (already in fleet)",
					    v->str);
	return 0;
}

static int parse_iface_list(struct schema *s, const struct field *f,
			    const struct ynode *v, struct plan *p,
			    char (*names)[IF_NAMESIZE], int *nr)
{
	const struct ynode *n;
	const char *str = NULL;
	int err;

	err = schema__want_seq(s, f, v);
	for (n = v->first; !err && n; n = n->next) {
		err = schema__get_str(s, f, n, &str) ?:
		      check_ifname(s, n, str) ?: check_iface_dup(s, p, n);
		if (err)
			break;
		if (p->nr_canary + p->nr_fleet >= PLAN_MAX_IFACES)
			return schema__fail(s, n, "more than %d interfaces in canary and fleet",
					    PLAN_MAX_IFACES);
		strcpy(names[(*nr)++], str);
	}
	return err;
}

static int parse_canary(struct schema *s, const struct field *f,
			const struct ynode *v, void *obj)
{
	struct plan *p = obj;

	return parse_iface_list(s, f, v, p, p->canary, &p->nr_canary);
}

static int parse_fleet(struct schema *s, const struct field *f,
		       const struct ynode *v, void *obj)
{
	struct plan *p = obj;

	return parse_iface_list(s, f, v, p, p->fleet, &p->nr_fleet);
}

static const struct field iface_fields[] = {
	{ .key = "canary", .parse = parse_canary },
	{ .key = "fleet", .parse = parse_fleet },
};

static const struct schema_map iface_map = SCHEMA_MAP("interfaces",
						      iface_fields);

static int parse_interfaces(struct schema *s, const struct field *f,
			    const struct ynode *v, void *obj)
{
	struct plan *p = obj;
	int err;

	err = schema__parse_map(s, v, &iface_map, p);
	if (err)
		return err;
	if (!p->nr_canary && !p->nr_fleet)
		return schema__fail(s, v, "no interfaces: list at least one in canary or fleet");
	return 0;
}

/* Gates */

static int add_exec_arg(struct schema *s, const struct ynode *at,
			struct plan_gates *g, const char *str, size_t len)
{
	if (g->nr_exec >= PLAN_MAX_EXEC_ARGS)
		return schema__fail(s, at, "exec: more than %d arguments",
				    PLAN_MAX_EXEC_ARGS);
	if (!len)
		return schema__fail(s, at, "exec: argument %d is empty",
				    g->nr_exec + 1);
	if (len >= PLAN_MAX_EXEC_ARG)
		return schema__fail(s, at, "exec: argument %d is longer than %d bytes",
				    g->nr_exec + 1, PLAN_MAX_EXEC_ARG - 1);
	memcpy(g->exec[g->nr_exec], str, len);
	g->exec[g->nr_exec++][len] = '\0';
	return 0;
}

/*
 * exec is an argv, never a shell command: a string is split at ASCII
 * white space and nothing else (no quotes, variables or globs), a
 * sequence gives one argument per entry. "{ifname}" stays as written; the
 * engine replaces it in each argument. '' (no words) is no check. NUL
 * cannot be in an argument: ynode refuses it in any string.
 */
static int parse_exec(struct schema *s, const struct field *f,
		      const struct ynode *v, void *obj)
{
	static const char space[] = " \t\n\v\f\r";
	struct plan_gates *g = obj;
	const struct ynode *n;
	const char *str = NULL;
	size_t len;
	int err;

	if (v->type == YNODE_SEQ) {
		if (!v->first)
			return schema__fail(s, v, "exec: an empty list runs nothing; leave exec out for no check");
		for (n = v->first; n; n = n->next) {
			err = schema__get_str(s, f, n, &str) ?:
			      add_exec_arg(s, n, g, str, strlen(str));
			if (err)
				return err;
		}
		return 0;
	}
	if (v->type != YNODE_SCALAR || ynode__is_null(v))
		return schema__fail(s, v, "exec: expected a string or a sequence of strings, got %s",
				    ynode__type_name(v));
	for (str = v->str + strspn(v->str, space); *str;
	     str += strspn(str, space)) {
		len = strcspn(str, space);
		err = add_exec_arg(s, v, g, str, len);
		if (err)
			return err;
		str += len;
	}
	return 0;
}

static const struct field gate_fields[] = {
	{ .key = "min_packets", .parse = schema__u64,
	  FIELD_AT(struct plan_gates, min_packets) },
	{ .key = "max_drop_ratio", .parse = schema__ratio,
	  FIELD_AT(struct plan_gates, max_drop_ratio) },
	{ .key = "max_drop_ratio_delta", .parse = schema__ratio,
	  FIELD_AT(struct plan_gates, max_drop_ratio_delta) },
	{ .key = "max_verdict_delta", .parse = schema__ratio,
	  FIELD_AT(struct plan_gates, max_verdict_delta) },
	{ .key = "min_rate_ratio", .parse = schema__ratio,
	  FIELD_AT(struct plan_gates, min_rate_ratio) },
	{ .key = "max_aborted", .parse = schema__u64,
	  FIELD_AT(struct plan_gates, max_aborted) },
	{ .key = "max_tail_misses", .parse = schema__u64,
	  FIELD_AT(struct plan_gates, max_tail_misses) },
	{ .key = "exec", .parse = parse_exec },
	{ .key = "exec_timeout", .parse = schema__duration,
	  FIELD_AT(struct plan_gates, exec_timeout_ms) },
};

static const struct schema_map gates_map = SCHEMA_MAP("gates", gate_fields);

static void default_gates(struct plan_gates *g)
{
	g->min_packets = 100;
	g->max_drop_ratio = 0.01;
	g->max_drop_ratio_delta = 0.005;
	g->max_verdict_delta = 0.05;
	g->min_rate_ratio = 0.5;
	g->exec_timeout_ms = DEFAULT_EXEC_TIMEOUT_MS;
}

/* The plan */

static const struct field plan_fields[] = {
	{ .key = "name", .parse = schema__name, .required = true,
	  FIELD_AT(struct plan, name) },
	{ .key = "hook", .parse = schema__choice, .required = true,
	  .choices = hook_names, FIELD_AT(struct plan, hook) },
	{ .key = "xdp_mode", .parse = schema__choice,
	  .choices = xdp_mode_names, FIELD_AT(struct plan, xdp_mode) },
	{ .key = "interfaces", .parse = parse_interfaces, .required = true },
	{ .key = "pipeline", .parse = plan_pipeline__parse, .required = true },
	{ .key = "datapath", .parse = schema__choice,
	  .choices = datapath_names, FIELD_AT(struct plan, datapath) },
	{ .key = "steps", .parse = plan_steps__parse },
	{ .key = "gates", .parse = schema__map, .map = &gates_map,
	  FIELD_AT(struct plan, gates) },
	{ .key = "on_failure", .parse = schema__choice,
	  .choices = on_failure_names, FIELD_AT(struct plan, on_failure) },
	{ .key = "on_tail_miss", .parse = schema__choice,
	  .choices = on_tail_miss_names, FIELD_AT(struct plan, fail_closed) },
};

static const struct schema_map plan_map = SCHEMA_MAP("plan", plan_fields);

/* hook may come after xdp_mode in the file: checked once both are read. */
static int check_xdp_mode(struct plan_ctx *c, const struct ynode *root)
{
	const struct ynode *k = ynode__key(root, "xdp_mode");

	if (k && c->plan->hook != PLAN_HOOK_XDP)
		return schema__fail(&c->s, k, "xdp_mode applies to hook xdp only (this plan's hook is %s); leave xdp_mode out",
				    plan__hook_name(c->plan->hook));
	return 0;
}

static int parse_root(struct plan_ctx *c, const struct ynode *root)
{
	struct plan *p = c->plan;
	int err;

	if (ynode__is_null(root))
		return schema__fail(&c->s, root, "empty document");
	default_gates(&p->gates);
	p->on_failure = PLAN_ON_FAILURE_ROLLBACK;
	p->datapath = PLAN_DP_CHAINED;
	p->xdp_mode = PLAN_XDP_NATIVE;
	err = schema__parse_map(&c->s, root, &plan_map, p) ?:
	      check_xdp_mode(c, root);
	if (err)
		return err;
	if (!c->steps) {
		plan_steps__defaults(p);
		return 0;
	}
	return plan_steps__check(c);
}

/* Entry points */

static struct plan *plan_new(const char *name, const char *dir,
			     struct plan_error *err)
{
	struct plan *plan;

	if (strlen(dir) >= PLAN_MAX_PATH) {
		set_err(err, "directory name longer than %d bytes",
			PLAN_MAX_PATH - 1);
		errno = ENAMETOOLONG;
		return NULL;
	}
	plan = calloc(1, sizeof(*plan));
	if (!plan) {
		set_err(err, "out of memory");
		errno = ENOMEM;
		return NULL;
	}
	snprintf(plan->path, sizeof(plan->path), "%s", name);
	strcpy(plan->dir, dir);
	return plan;
}

static void copy_error(struct plan_error *to, const struct ynode_error *from)
{
	to->line = from->line;
	to->col = from->col;
	memcpy(to->msg, from->msg, sizeof(to->msg));
}

struct plan *plan__parse_buf(const char *buf, size_t len, const char *name,
			     const char *dir, struct plan_error *err)
{
	struct plan_error local = {};
	struct ynode_error yerr = {};
	struct plan_ctx c = {};
	struct ynode *root;
	int ret;

	err = err ?: &local;
	memset(err, 0, sizeof(*err));
	if (len > PLAN_MAX_FILE_SIZE) {
		set_err(err, "plan is %zu bytes, more than the limit of %d",
			len, PLAN_MAX_FILE_SIZE);
		errno = EFBIG;
		return NULL;
	}
	c.plan = plan_new(name ?: "<buffer>", dir ?: ".", err);
	if (!c.plan)
		return NULL;
	c.s.err = &yerr;
	c.s.user = &c;
	root = ynode__parse(buf, len, &yerr);
	ret = root ? parse_root(&c, root) : -errno;
	ynode__free(root);
	if (ret) {
		copy_error(err, &yerr);
		plan__free(c.plan);
		errno = -ret;
		return NULL;
	}
	return c.plan;
}

/* Files */

static int read_error(struct plan_error *err, const char *path, int errnum)
{
	set_err(err, "cannot read plan %s: %s%s", path, strerror(errnum),
		errnum == ELOOP ? " (a symlink: give the file it points to)" : "");
	return -errnum;
}

static int check_stat(int fd, const char *path, struct plan_error *err)
{
	struct stat st;

	if (fstat(fd, &st))
		return read_error(err, path, errno);
	if (S_ISDIR(st.st_mode))
		return read_error(err, path, EISDIR);
	if (!S_ISREG(st.st_mode)) {
		set_err(err, "cannot read plan %s: not a regular file", path);
		return -EINVAL;
	}
	if (st.st_size > PLAN_MAX_FILE_SIZE) {
		set_err(err, "plan %s is %jd bytes, more than the limit of %d",
			path, (intmax_t)st.st_size, PLAN_MAX_FILE_SIZE);
		return -EFBIG;
	}
	return 0;
}

/* Read all of @fd, refusing more than the limit even if the file grows. */
static int read_all(int fd, const char *path, char *buf, size_t *len,
		    struct plan_error *err)
{
	ssize_t n;

	*len = 0;
	do {
		n = read(fd, buf + *len, PLAN_MAX_FILE_SIZE + 1 - *len);
		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0)
			return read_error(err, path, errno);
		*len += n;
	} while (n > 0 && *len <= PLAN_MAX_FILE_SIZE);
	if (*len > PLAN_MAX_FILE_SIZE) {
		set_err(err, "plan %s is more than the limit of %d bytes",
			path, PLAN_MAX_FILE_SIZE);
		return -EFBIG;
	}
	return 0;
}

/*
 * No symlink at the last component (a plan decides what runs in the
 * kernel); O_NONBLOCK so a FIFO cannot hang us before fstat() refuses it.
 */
static int read_plan(const char *path, char **buf, size_t *len,
		     struct plan_error *err)
{
	int fd, ret;

	fd = open(path, O_RDONLY | O_CLOEXEC | O_NOFOLLOW | O_NONBLOCK);
	if (fd < 0)
		return read_error(err, path, errno);
	ret = check_stat(fd, path, err);
	if (ret)
		goto out_close;
	*buf = malloc(PLAN_MAX_FILE_SIZE + 1);
	if (!*buf) {
		ret = read_error(err, path, ENOMEM);
		goto out_close;
	}
	ret = read_all(fd, path, *buf, len, err);
	if (ret) {
		free(*buf);
		*buf = NULL;
	}
out_close:
	close(fd);
	return ret;
}

static void dir_of(const char *path, char *dir)
{
	const char *slash = strrchr(path, '/');

	if (!slash)
		strcpy(dir, ".");
	else if (slash == path)
		strcpy(dir, "/");
	else
		snprintf(dir, PLAN_MAX_PATH, "%.*s", (int)(slash - path), path);
}

int plan__read_file(const char *path, char **buf, size_t *len, char dir[PLAN_MAX_PATH],
		    struct plan_error *err)
{
	int ret;

	memset(err, 0, sizeof(*err));
	if (!path || strlen(path) >= PLAN_MAX_PATH) {
		set_err(err, "plan path missing or longer than %d bytes", PLAN_MAX_PATH - 1);
		return -ENAMETOOLONG;
	}
	ret = read_plan(path, buf, len, err);
	if (!ret)
		dir_of(path, dir);
	return ret;
}

struct plan *plan__parse_file(const char *path, struct plan_error *err)
{
	struct plan_error local = {};
	char dir[PLAN_MAX_PATH];
	struct plan *plan;
	char *buf = NULL;
	size_t len = 0;
	int ret;

	err = err ?: &local;
	memset(err, 0, sizeof(*err));
	if (!path || strlen(path) >= PLAN_MAX_PATH) {
		set_err(err, "plan path missing or longer than %d bytes",
			PLAN_MAX_PATH - 1);
		errno = ENAMETOOLONG;
		return NULL;
	}
	ret = read_plan(path, &buf, &len, err);
	if (ret) {
		errno = -ret;
		return NULL;
	}
	dir_of(path, dir);
	plan = plan__parse_buf(buf, len, path, dir, err);
	ret = errno;
	free(buf);
	errno = ret;
	return plan;
}
