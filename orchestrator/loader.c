// SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause)
#include <ctype.h>
#include <elf.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>
#include <bpf/bpf.h>
#include <bpf/btf.h>
#include <bpf/libbpf.h>

#include "loader.h"
#include "log.h"
#include "pins.h"
#include "sha256.h"
#include "slots.h"

#ifndef EM_BPF
#define EM_BPF 247
#endif
#ifndef BPF_F_XDP_HAS_FRAGS
#define BPF_F_XDP_HAS_FRAGS (1U << 5)
#endif

/*
 * Verifier log per load: level 4 (BPF_LOG_STATS) prints only the error
 * and the stats we report (instructions processed, stack depth), so every
 * load can afford it. A rejection is loaded again at level 1 for the
 * instruction index and, with -v, the full log.
 */
#define STATS_LOG_SIZE		(64u << 10)
#define FULL_LOG_SIZE		(16u << 20)
#define BPF_LOG_STATS		4

/* Reading objects */

static int read_object(const struct plan_stage *ps, void **elf, size_t *len)
{
	struct stat st;
	ssize_t n;
	int fd, err;

	/* O_NOFOLLOW: a symlink swapped in after preflight is refused. */
	fd = open(ps->object, O_RDONLY | O_CLOEXEC | O_NOFOLLOW);
	if (fd < 0) {
		err = -errno;
		pr_warn("stage '%s': cannot open object %s: %s%s\n", ps->name,
			ps->object, strerror(-err),
			err == -ELOOP ? " (symlinks are refused)" : "; build it with 'make'");
		return err;
	}
	if (fstat(fd, &st) || !S_ISREG(st.st_mode) ||
	    st.st_size > LOADER_MAX_OBJECT_SIZE || st.st_size < (off_t)sizeof(Elf64_Ehdr)) {
		pr_warn("stage '%s': %s is not a regular file of a BPF object's size\n",
			ps->name, ps->object);
		close(fd);
		return -EINVAL;
	}
	*elf = malloc(st.st_size);
	if (!*elf) {
		close(fd);
		return -ENOMEM;
	}
	n = read(fd, *elf, st.st_size);
	close(fd);
	*len = n;
	if (n != st.st_size) {
		pr_warn("stage '%s': short read of %s\n", ps->name, ps->object);
		return -EIO;
	}
	return 0;
}

static int check_elf(const struct plan_stage *ps, const void *elf, size_t len)
{
	const Elf64_Ehdr *eh = elf;

	if (memcmp(eh->e_ident, ELFMAG, SELFMAG) || eh->e_ident[EI_CLASS] != ELFCLASS64 ||
	    eh->e_type != ET_REL || eh->e_machine != EM_BPF) {
		pr_warn("stage '%s': %s is not an ELF BPF object (build it with 'clang -target bpf')\n",
			ps->name, ps->object);
		return -ENOEXEC;
	}
	return 0;
}

static int check_sha256(const struct plan_stage *ps, const void *elf, size_t len)
{
	uint8_t d[SHA256_LEN];
	char want[2 * SHA256_LEN + 1], got[2 * SHA256_LEN + 1];

	if (!ps->has_sha256)
		return 0;
	sha256__digest(elf, len, d);
	if (!memcmp(d, ps->sha256, SHA256_LEN))
		return 0;
	sha256__hex(ps->sha256, want);
	sha256__hex(d, got);
	pr_warn("stage '%s': %s has sha256 %s, the plan expects %s; rebuild the object or fix the plan\n",
		ps->name, ps->object, got, want);
	return -EBADMSG;
}

int loader__read_objects(const struct plan *plan, struct loader_objs *objs)
{
	const struct plan_stage *ps;
	int i, err;

	memset(objs, 0, sizeof(*objs));
	for (i = 0; i < plan->nr_stages; i++) {
		ps = &plan->stages[i];
		err = read_object(ps, &objs->obj[i].elf, &objs->obj[i].len);
		objs->nr = i + 1;
		if (!err)
			err = check_elf(ps, objs->obj[i].elf, objs->obj[i].len) ?:
			      check_sha256(ps, objs->obj[i].elf, objs->obj[i].len);
		if (err) {
			loader__free_objects(objs);
			return err;
		}
	}
	return 0;
}

void loader__free_objects(struct loader_objs *objs)
{
	int i;

	if (!objs)
		return;
	for (i = 0; i < objs->nr; i++)
		free(objs->obj[i].elf);
	objs->nr = 0;
}

/* Finding and configuring the stage's program */

static const char *prog_type_name(enum bpf_prog_type t)
{
	const char *s = libbpf_bpf_prog_type_str(t);

	return s ? s : "unknown";
}

/*
 * The named program if its type fits the hook; else NAME_tc for tc hooks
 * (TG_STAGE's naming), or NAME without _tc for XDP.
 */
static struct bpf_program *find_prog(struct bpf_object *obj, const char *name,
				     enum bpf_prog_type want)
{
	struct bpf_program *p = bpf_object__find_program_by_name(obj, name);
	char alt[PLAN_MAX_NAME + 4];
	size_t n = strlen(name);

	if (p && bpf_program__type(p) == want)
		return p;
	if (want == BPF_PROG_TYPE_SCHED_CLS)
		snprintf(alt, sizeof(alt), "%s_tc", name);
	else if (n > 3 && !strcmp(name + n - 3, "_tc"))
		snprintf(alt, sizeof(alt), "%.*s", (int)(n - 3), name);
	else
		return p;
	return bpf_object__find_program_by_name(obj, alt) ?: p;
}

static void list_progs(struct bpf_object *obj, char *buf, size_t len)
{
	struct bpf_program *p;
	size_t off = 0;

	buf[0] = '\0';
	bpf_object__for_each_program(p, obj) {
		if (off < len)
			off += snprintf(buf + off, len - off, "%s%s (%s)", off ? ", " : "",
					bpf_program__name(p),
					prog_type_name(bpf_program__type(p)));
	}
}

/*
 * libbpf (1.1 as Debian ships it) adds BPF_F_XDP_HAS_FRAGS for SEC("xdp.frags")
 * only in the load request it builds, so bpf_program__flags() reads 0 before
 * load: the section name is what tells.
 */
static bool is_xdp_frags(const struct bpf_program *p)
{
	const char *sec = bpf_program__section_name(p);

	return (bpf_program__flags(p) & BPF_F_XDP_HAS_FRAGS) ||
	       !strcmp(sec, "xdp.frags") || !strncmp(sec, "xdp.frags/", 10);
}

static int pick_prog(struct bpf_object *obj, const struct ap *ap,
		     const struct plan_stage *ps, struct bpf_program **out)
{
	enum bpf_prog_type want = attach__prog_type(ap->hook);
	struct bpf_program *p = find_prog(obj, ps->program, want), *q;
	char have[512];

	if (!p || bpf_program__type(p) != want) {
		list_progs(obj, have, sizeof(have));
		pr_warn("stage '%s' on %s/%s: %s '%s' in %s; hook %s runs %s programs; the object has: %s\n",
			ps->name, ap->ifname, plan__hook_name(ap->hook), p ? "wrong program type for" : "no program",
			ps->program, ps->object, plan__hook_name(ap->hook),
			prog_type_name(want), have[0] ? have : "none");
		return -ENOENT;
	}
	if (want == BPF_PROG_TYPE_XDP && is_xdp_frags(p)) {
		pr_warn("stage '%s' on %s/%s: program '%s' is built for multi-buffer XDP (SEC(\"xdp.frags\")) but the dispatcher is not; the kernel refuses mixing them in one prog array: build the stage with SEC(\"xdp\")\n",
			ps->name, ap->ifname, plan__hook_name(ap->hook), bpf_program__name(p));
		return -EINVAL;
	}
	bpf_object__for_each_program(q, obj)
		bpf_program__set_autoload(q, q == p);
	*out = p;
	return 0;
}

static int rodata_off(struct bpf_object *obj, const char *var, size_t *off)
{
	const struct btf_var_secinfo *vs;
	const struct btf_type *sec, *t;
	struct btf *btf = bpf_object__btf(obj);
	int id, i;

	id = btf ? btf__find_by_name_kind(btf, ".rodata", BTF_KIND_DATASEC) : -ENOENT;
	if (id < 0)
		return -ENOENT;
	sec = btf__type_by_id(btf, id);
	vs = btf_var_secinfos(sec);
	for (i = 0; i < btf_vlen(sec); i++, vs++) {
		t = btf__type_by_id(btf, vs->type);
		if (!strcmp(btf__name_by_offset(btf, t->name_off), var)) {
			*off = vs->offset;
			return vs->size == sizeof(__u32) ? 0 : -EINVAL;
		}
	}
	return -ENOENT;
}

static struct bpf_map *rodata_map(struct bpf_object *obj)
{
	struct bpf_map *m;
	const char *n;

	bpf_object__for_each_map(m, obj) {
		n = bpf_map__name(m);
		if (bpf_map__is_internal(m) && strlen(n) >= 7 &&
		    !strcmp(n + strlen(n) - 7, ".rodata"))
			return m;
	}
	return NULL;
}

static int set_rodata(struct bpf_object *obj, const char *var, __u32 val)
{
	struct bpf_map *m = rodata_map(obj);
	const void *cur;
	size_t off, sz;
	char *data;
	int err;

	if (!m || rodata_off(obj, var, &off))
		return -ENOENT;
	cur = bpf_map__initial_value(m, &sz);
	if (!cur || off + sizeof(val) > sz)
		return -EINVAL;
	data = malloc(sz);
	if (!data)
		return -ENOMEM;
	memcpy(data, cur, sz);
	memcpy(data + off, &val, sizeof(val));
	err = bpf_map__set_initial_value(m, data, sz);
	free(data);
	return err;
}

static int set_slots(struct bpf_object *obj, const struct ap *ap,
		     const struct plan_stage *ps, __u32 self, __u32 next,
		     bool fail_closed)
{
	int err;

	err = set_rodata(obj, "tg_self_slot", self) ?:
	      set_rodata(obj, "tg_next_slot", next) ?:
	      set_rodata(obj, "tg_fail_closed", fail_closed);
	if (err)
		pr_warn("stage '%s': %s is not a tailgate stage (no tg_self_slot/tg_next_slot/tg_fail_closed in .rodata); include bpf/include/tailgate_stage.h and use TG_STAGE()\n",
			ps->name, ps->object);
	return err;
}

/* Maps */

static size_t map_bytes(const struct bpf_map *m)
{
	return ((size_t)bpf_map__key_size(m) + bpf_map__value_size(m)) *
	       bpf_map__max_entries(m);
}

static int map_compat(const struct ap *ap, const struct plan_stage *ps,
		      const struct bpf_map *m, int fd, const char *what)
{
	struct bpf_map_info info = {};
	__u32 len = sizeof(info);

	if (bpf_obj_get_info_by_fd(fd, &info, &len))
		return -errno;
	if (info.type == bpf_map__type(m) && info.key_size == bpf_map__key_size(m) &&
	    info.value_size == bpf_map__value_size(m) &&
	    info.max_entries == bpf_map__max_entries(m) &&
	    info.map_flags == bpf_map__map_flags(m))
		return 0;
	pr_warn("stage '%s' on %s/%s: map '%s' does not match the %s map: object has %s key %u value %u entries %u flags 0x%x, %s has %s key %u value %u entries %u flags 0x%x; keep the layout, or rename the map to start it afresh\n",
		ps->name, ap->ifname, plan__hook_name(ap->hook), bpf_map__name(m), what,
		libbpf_bpf_map_type_str(bpf_map__type(m)), bpf_map__key_size(m),
		bpf_map__value_size(m), bpf_map__max_entries(m), bpf_map__map_flags(m),
		what, libbpf_bpf_map_type_str(info.type), info.key_size,
		info.value_size, info.max_entries, info.map_flags);
	return -EPROTO;
}

static bool is_kept(const struct plan_stage *ps, const char *name)
{
	int i;

	for (i = 0; i < ps->nr_keep_maps; i++)
		if (!strcmp(ps->keep_maps[i], name))
			return true;
	return false;
}

static struct loaded_map *gen_map(struct loaded_gen *gen, const char *name)
{
	int i;

	for (i = 0; i < gen->nr_maps; i++)
		if (!strcmp(gen->maps[i].name, name))
			return &gen->maps[i];
	return NULL;
}

/* The fd a kept map reuses: this generation's, else the pinned one. */
static int kept_fd(const struct ap *ap, struct loaded_gen *gen,
		   const char *name, const char **what)
{
	struct loaded_map *lm = gen_map(gen, name);
	char path[PATH_MAX];
	int fd;

	if (lm) {
		*what = "same generation's";
		return dup(lm->fd);
	}
	*what = "pinned";
	if (!ap->attached ||
	    pins__path(path, sizeof(path), "%s/%s/%s", ap->dir, TG_PIN_MAPS_DIR, name))
		return -ENOENT;
	fd = bpf_obj_get(path);
	return fd < 0 ? -errno : fd;
}

static int bind_maps(struct bpf_object *obj, const struct ap *ap,
		     const struct plan_stage *ps, struct loaded_gen *gen,
		     int *fds, int *nr_fds)
{
	const char *name, *what;
	struct bpf_map *m;
	int fd, err;

	bpf_object__for_each_map(m, obj) {
		name = bpf_map__name(m);
		if (!strcmp(name, TG_MAP_SLOTS) || !strcmp(name, TG_MAP_STATS)) {
			fd = !strcmp(name, TG_MAP_SLOTS) ? ap->slots_fd : ap->stats_fd;
			err = map_compat(ap, ps, m, fd, "attach point's");
			if (!err)
				err = bpf_map__reuse_fd(m, fd);
			if (err)
				return err;
			continue;
		}
		if (!is_kept(ps, name)) {
			if (!bpf_map__is_internal(m))
				gen->map_bytes += map_bytes(m);
			continue;
		}
		fd = kept_fd(ap, gen, name, &what);
		if (fd == -ENOENT) {
			gen->map_bytes += map_bytes(m);
			continue;
		}
		if (fd < 0)
			return fd;
		fds[(*nr_fds)++] = fd;
		err = map_compat(ap, ps, m, fd, what) ?: bpf_map__reuse_fd(m, fd);
		if (err)
			return err;
	}
	return 0;
}

static int check_keep_present(struct bpf_object *obj, const struct plan_stage *ps)
{
	int i;

	for (i = 0; i < ps->nr_keep_maps; i++) {
		if (bpf_object__find_map_by_name(obj, ps->keep_maps[i]))
			continue;
		pr_warn("stage '%s': keep_maps names '%s' but %s has no such map\n",
			ps->name, ps->keep_maps[i], ps->object);
		return -ENOENT;
	}
	return 0;
}

/* Remember the kept maps this load created so install can pin them. */
static int record_kept(struct bpf_object *obj, const struct plan_stage *ps,
		       struct loaded_gen *gen)
{
	struct loaded_map *lm;
	int i;

	for (i = 0; i < ps->nr_keep_maps; i++) {
		struct bpf_map *m = bpf_object__find_map_by_name(obj, ps->keep_maps[i]);

		if (gen_map(gen, ps->keep_maps[i]))
			continue;
		if (gen->nr_maps >= LOADER_MAX_KEPT)
			return -E2BIG;
		lm = &gen->maps[gen->nr_maps];
		lm->fd = dup(bpf_map__fd(m));
		if (lm->fd < 0)
			return -errno;
		snprintf(lm->name, sizeof(lm->name), "%s", ps->keep_maps[i]);
		lm->created = true;
		gen->nr_maps++;
	}
	return 0;
}

/* Verifier output */

static __u32 log_number(const char *log, const char *key)
{
	const char *p = log ? strstr(log, key) : NULL;

	return p ? strtoul(p + strlen(key), NULL, 10) : 0;
}

/* Last line of @log that is neither empty nor verifier statistics. */
static void log_reason(const char *log, char *buf, size_t len, long *insn)
{
	const char *line = log, *next, *best = NULL;
	size_t best_len = 0;

	*insn = -1;
	for (; line && *line; line = next) {
		next = strchr(line, '\n');
		size_t n = next ? (size_t)(next - line) : strlen(line);

		if (next)
			next++;
		if (isdigit((unsigned char)line[0]) && strstr(line, ": ("))
			*insn = strtol(line, NULL, 10);
		if (n && strncmp(line, "processed ", 10) && strncmp(line, "verification time", 17) &&
		    strncmp(line, "stack depth", 11) && strncmp(line, "-- END", 6)) {
			best = line;
			best_len = n;
		}
	}
	if (!best) {
		best = "no reason logged";
		best_len = strlen(best);
	}
	snprintf(buf, len, "%.*s", (int)best_len, best);
}

static void report_reject(const struct ap *ap, const struct plan_stage *ps,
			  const char *log)
{
	char reason[256];
	long insn;

	log_reason(log, reason, sizeof(reason), &insn);
	if (insn >= 0)
		pr_warn("stage '%s' on %s/%s: verifier rejected program '%s' at insn %ld: %s; see -v for the full verifier log\n",
			ps->name, ap->ifname, plan__hook_name(ap->hook), ps->program,
			insn, reason);
	else
		pr_warn("stage '%s' on %s/%s: verifier rejected program '%s': %s; see -v for the full verifier log\n",
			ps->name, ap->ifname, plan__hook_name(ap->hook), ps->program,
			reason);
	if (log__level() > LOG_INFO)
		log__printf(LOG_WARN, "--- verifier log of stage '%s' ---\n%s--- end ---\n",
			    ps->name, log);
}

static void report_load_error(const struct ap *ap, const struct plan_stage *ps,
			      int err)
{
	const char *hint = "";

	if (err == -EPERM)
		hint = "; run as root (CAP_BPF, CAP_NET_ADMIN and CAP_SYS_ADMIN are needed)";
	else if (err == -ENOMEM || err == -E2BIG)
		hint = "; the kernel could not allocate the stage's maps or program: shrink max_entries or free memory";
	pr_warn("stage '%s' on %s/%s: loading %s failed: %s%s\n", ps->name, ap->ifname,
		plan__hook_name(ap->hook), ps->object, strerror(-err), hint);
}

/* Loading */

struct load_ctx {
	const struct ap *ap;
	const struct plan *plan;
	const struct loader_objs *objs;
	struct loaded_gen *gen;
	int idx;
	char *log;
	size_t log_size;
	int log_level;
	bool reported;		/* the failure was already explained */
};

static void close_fds(int *fds, int n)
{
	while (n-- > 0)
		close(fds[n]);
}

static int stage_info(struct loaded_stage *ls, struct bpf_program *p, const char *log)
{
	struct bpf_prog_info info = {};
	__u32 len = sizeof(info);

	ls->prog_fd = dup(bpf_program__fd(p));
	if (ls->prog_fd < 0)
		return -errno;
	if (bpf_obj_get_info_by_fd(ls->prog_fd, &info, &len))
		return -errno;
	ls->prog_id = info.id;
	ls->verified_insns = info.verified_insns ?: log_number(log, "processed ");
	ls->stack_depth = log_number(log, "stack depth ");
	snprintf(ls->program, sizeof(ls->program), "%s", bpf_program__name(p));
	return 0;
}

static int configure(struct load_ctx *c, struct bpf_object *obj,
		     struct bpf_program **prog, int *fds, int *nr_fds)
{
	const struct plan_stage *ps = &c->plan->stages[c->idx];
	__u32 base = TG_BANK_BASE(c->gen->bank), self = base + c->idx;
	__u32 next = c->idx + 1 < c->plan->nr_stages ? self + 1 : TG_SLOT_NONE;
	int err;

	err = pick_prog(obj, c->ap, ps, prog) ?:
	      set_slots(obj, c->ap, ps, self, next, c->plan->fail_closed) ?:
	      check_keep_present(obj, ps);
	if (err)
		return err;
	err = bind_maps(obj, c->ap, ps, c->gen, fds, nr_fds);
	if (err && err != -EPROTO)	/* -EPROTO: map_compat() explained */
		pr_warn("stage '%s' on %s/%s: binding its maps to the attach point's failed: %s; run 'tailgate recover'\n",
			ps->name, c->ap->ifname, plan__hook_name(c->ap->hook), strerror(-err));
	if (err)
		return err;
	bpf_program__set_log_buf(*prog, c->log, c->log_size);
	bpf_program__set_log_level(*prog, c->log_level);
	return 0;
}

static int load_one(struct load_ctx *c, struct loaded_stage *ls)
{
	const struct plan_stage *ps = &c->plan->stages[c->idx];
	LIBBPF_OPTS(bpf_object_open_opts, oo, .object_name = ps->name);
	int fds[LOADER_MAX_KEPT], nr_fds = 0, err;
	struct bpf_program *prog;
	struct bpf_object *obj;

	obj = bpf_object__open_mem(c->objs->obj[c->idx].elf,
				   c->objs->obj[c->idx].len, &oo);
	if (!obj) {
		err = -errno;
		pr_warn("stage '%s': libbpf cannot open %s: %s\n", ps->name,
			ps->object, strerror(-err));
		return err;
	}
	c->log[0] = '\0';
	c->reported = false;
	err = configure(c, obj, &prog, fds, &nr_fds);
	if (err) {
		c->reported = true;	/* configure() says what and what to do */
		goto out_close;
	}
	err = bpf_object__load(obj);
	if (err)
		goto out_close;
	snprintf(ls->name, sizeof(ls->name), "%s", ps->name);
	ls->slot = TG_BANK_BASE(c->gen->bank) + c->idx;
	err = stage_info(ls, prog, c->log) ?: record_kept(obj, ps, c->gen);
out_close:
	close_fds(fds, nr_fds);
	bpf_object__close(obj);
	return err;
}

/* A rejected load, again at verifier log level 1 for the whole story. */
static void explain_reject(struct load_ctx *c, struct loaded_stage *ls)
{
	const struct plan_stage *ps = &c->plan->stages[c->idx];
	struct load_ctx full = *c;

	full.log_size = FULL_LOG_SIZE;
	full.log_level = 1;
	full.log = malloc(full.log_size);
	if (!full.log || load_one(&full, ls) != -EACCES) {
		/* Level 1 output may be too much or absent: use stats log. */
		report_reject(c->ap, ps, c->log);
	} else {
		report_reject(c->ap, ps, full.log);
	}
	free(full.log);
}

int loader__load(const struct ap *ap, const struct plan *plan,
		 const struct loader_objs *objs, unsigned int bank,
		 struct loaded_gen *gen)
{
	struct load_ctx c = { .ap = ap, .plan = plan, .objs = objs, .gen = gen,
			      .log_size = STATS_LOG_SIZE, .log_level = BPF_LOG_STATS };
	int err = 0;

	memset(gen, 0, sizeof(*gen));
	gen->bank = bank;
	for (c.idx = 0; c.idx < TG_MAX_STAGES; c.idx++)
		gen->st[c.idx].prog_fd = -1;
	c.log = malloc(c.log_size);
	if (!c.log)
		return -ENOMEM;
	/* Tail to head: the order install writes them in. */
	for (c.idx = plan->nr_stages - 1; c.idx >= 0; c.idx--) {
		struct loaded_stage *ls = &gen->st[c.idx];

		err = load_one(&c, ls);
		if (err && !c.reported && (err == -EACCES || (err == -EINVAL && c.log[0])))
			explain_reject(&c, ls);
		else if (err && !c.reported)
			report_load_error(ap, &plan->stages[c.idx], err);
		if (err)
			break;
	}
	free(c.log);
	if (err)
		loader__release(gen);
	else
		gen->nr_stages = plan->nr_stages;
	return err;
}

/* Installing */

static int pin_new_maps(const struct ap *ap, struct loaded_gen *gen)
{
	char dir[PATH_MAX], path[PATH_MAX];
	int i, err;

	if (pins__path(dir, sizeof(dir), "%s/%s", ap->dir, TG_PIN_MAPS_DIR))
		return -ENAMETOOLONG;
	for (i = 0; i < gen->nr_maps; i++) {
		if (!gen->maps[i].created)
			continue;
		err = pins__mkdir_p(dir, 0700);
		if (err)
			return err;
		if (pins__path(path, sizeof(path), "%s/%s", dir, gen->maps[i].name))
			return -ENAMETOOLONG;
		if (bpf_obj_pin(gen->maps[i].fd, path) && errno != EEXIST)
			return -errno;
		gen->maps[i].created = false;
	}
	return 0;
}

int loader__inactive_bank(const struct ap *ap, unsigned int *bank)
{
	int live, err;

	err = slots__live_bank(ap->slots_fd, &live);
	if (err)
		return err;
	*bank = live == 0 ? 1 : 0;
	return 0;
}

int loader__install(const struct ap *ap, struct loaded_gen *gen)
{
	__u32 base = TG_BANK_BASE(gen->bank);
	int i, live, err;

	err = slots__live_bank(ap->slots_fd, &live);
	if (err)
		return err;
	if (live == (int)gen->bank)
		return -EBUSY;
	err = pin_new_maps(ap, gen);
	if (err)
		return err;
	/*
	 * Head out first: until the new head is written last, this bank has
	 * no head, so a crash half-way leaves nothing anyone could flip to
	 * (an old head in front of new tail stages would be a mixed chain).
	 * Then the slots past the new chain, so an old, longer chain cannot
	 * leak in.
	 */
	err = slots__clear(ap->slots_fd, base);
	for (i = TG_BANK_SLOTS - 1; i >= gen->nr_stages && !err; i--)
		err = slots__clear(ap->slots_fd, base + i);
	if (err)
		return err;
	for (i = gen->nr_stages - 1; i >= 0; i--) {
		err = slots__set(ap->slots_fd, gen->st[i].slot, gen->st[i].prog_fd);
		if (err)
			return err;
	}
	return 0;
}

void loader__release(struct loaded_gen *gen)
{
	int i;

	if (!gen)
		return;
	for (i = 0; i < TG_MAX_STAGES; i++) {
		if (gen->st[i].prog_fd >= 0)
			close(gen->st[i].prog_fd);
		gen->st[i].prog_fd = -1;
	}
	for (i = 0; i < gen->nr_maps; i++)
		close(gen->maps[i].fd);
	gen->nr_maps = 0;
}
