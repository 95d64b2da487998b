// SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause)
#include <elf.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>
#include <bpf/bpf.h>
#include <bpf/btf.h>
#include <bpf/libbpf.h>

#include "files.h"
#include "log.h"
#include "pins.h"
#include "stage.h"
#include "store.h"
#include "vlog.h"

#ifndef EM_BPF
#define EM_BPF 247
#endif
#ifndef BPF_F_XDP_HAS_FRAGS
#define BPF_F_XDP_HAS_FRAGS (1U << 5)
#endif

/* Picking the program */

static const char *type_name(enum bpf_prog_type t)
{
	const char *s = libbpf_bpf_prog_type_str(t);

	return s ? s : "unknown";
}

static enum bpf_prog_type hook_type(enum plan_hook hook)
{
	return hook == PLAN_HOOK_XDP ? BPF_PROG_TYPE_XDP : BPF_PROG_TYPE_SCHED_CLS;
}

/* A section libbpf 1.1 does not know (tcx/ingress, ...) leaves the type open. */
static bool fits(const struct bpf_program *p, enum bpf_prog_type want)
{
	enum bpf_prog_type t = bpf_program__type(p);

	return t == want || t == BPF_PROG_TYPE_UNSPEC;
}

/* No name in the plan: the object's one program of the hook's type, if one. */
static struct bpf_program *only_prog(struct bpf_object *obj, enum bpf_prog_type want, int *nr)
{
	struct bpf_program *p, *found = NULL;

	*nr = 0;
	bpf_object__for_each_program(p, obj)
		if (fits(p, want) && !(*nr)++)
			found = p;
	return *nr == 1 ? found : NULL;
}

static struct bpf_program *find_prog(struct bpf_object *obj, const char *name,
				     enum bpf_prog_type want)
{
	struct bpf_program *p = bpf_object__find_program_by_name(obj, name);
	char alt[PLAN_MAX_NAME + 4];
	size_t n = strlen(name);

	if (p && fits(p, want))
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
	bpf_object__for_each_program(p, obj)
		if (off < len)
			off += snprintf(buf + off, len - off, "%s%s (%s)", off ? ", " : "",
					bpf_program__name(p), type_name(bpf_program__type(p)));
}

/* libbpf 1.1 sets BPF_F_XDP_HAS_FRAGS only at load: the section tells. */
static bool is_xdp_frags(const struct bpf_program *p)
{
	const char *sec = bpf_program__section_name(p);

	return (bpf_program__flags(p) & BPF_F_XDP_HAS_FRAGS) || !strcmp(sec, "xdp.frags") ||
	       !strncmp(sec, "xdp.frags/", 10);
}

static int pick_prog(struct bpf_object *obj, const struct stage_env *env,
		     const struct plan_stage *ps, struct bpf_program **out)
{
	enum bpf_prog_type want = hook_type(env->hook);
	const char *hk = plan__hook_name(env->hook);
	struct bpf_program *p, *q;
	char have[512];
	int nr;

	if (!ps->program[0]) {
		p = only_prog(obj, want, &nr);
		if (!p) {
			list_progs(obj, have, sizeof(have));
			pr_warn("stage '%s' on %s/%s: %s has %s %s program; name one with 'program:' (the object has: %s)\n",
				ps->name, env->ifname, hk, ps->object, nr ? "more than one" : "no",
				type_name(want), have[0] ? have : "none");
			return -ENOENT;
		}
	} else {
		p = find_prog(obj, ps->program, want);
	}
	if (!p || !fits(p, want)) {
		list_progs(obj, have, sizeof(have));
		pr_warn("stage '%s' on %s/%s: %s '%s' in %s; hook %s runs %s programs; the object has: %s\n",
			ps->name, env->ifname, hk, p ? "wrong program type for" : "no program",
			ps->program, ps->object, hk, type_name(want), have[0] ? have : "none");
		return -ENOENT;
	}
	if (want == BPF_PROG_TYPE_XDP && is_xdp_frags(p)) {
		pr_warn("stage '%s' on %s/%s: program '%s' is built for multi-buffer XDP (SEC(\"xdp.frags\")) but the dispatcher is not; the kernel refuses to mix them in one prog array: build the stage with SEC(\"xdp\")\n",
			ps->name, env->ifname, hk, bpf_program__name(p));
		return -EINVAL;
	}
	bpf_object__for_each_program(q, obj)
		bpf_program__set_autoload(q, q == p);
	/* Verified as the dispatcher's prog array needs it, whatever the
	 * section said (xdp/devmap, tcx/ingress, ...). */
	bpf_program__set_type(p, want);
	bpf_program__set_expected_attach_type(p, want == BPF_PROG_TYPE_XDP ? BPF_XDP : 0);
	*out = p;
	return 0;
}

/*
 * libxdp's XDP_RUN_CONFIG: a struct in .xdp_run_config named _<prog>
 * whose members name the actions that chain on (__uint(XDP_PASS, 1)).
 * Honoured as the default continue_on; its priority is not (the plan's
 * order is the chain's order).
 */
static int run_config(struct bpf_object *obj, const char *prog, uint32_t *mask)
{
	static const char *const acts[] = { "XDP_ABORTED", "XDP_DROP", "XDP_PASS", "XDP_TX",
					    "XDP_REDIRECT" };
	static const enum tg_verdict verdict[] = { TG_ABORTED, TG_DROP, TG_PASS, TG_TX, TG_REDIRECT };
	struct btf *btf = bpf_object__btf(obj);
	const struct btf_var_secinfo *vs;
	const struct btf_type *sec, *var, *st;
	const struct btf_member *m;
	char want[PLAN_MAX_NAME + 2];
	int id, i, j, k;

	id = btf ? btf__find_by_name_kind(btf, ".xdp_run_config", BTF_KIND_DATASEC) : -ENOENT;
	if (id < 0)
		return -ENOENT;
	snprintf(want, sizeof(want), "_%s", prog);
	sec = btf__type_by_id(btf, id);
	vs = btf_var_secinfos(sec);
	for (i = 0; i < btf_vlen(sec); i++, vs++) {
		var = btf__type_by_id(btf, vs->type);
		if (strcmp(btf__name_by_offset(btf, var->name_off), want))
			continue;
		st = btf__type_by_id(btf, var->type);
		while (st && (btf_is_typedef(st) || btf_is_const(st) || btf_is_volatile(st)))
			st = btf__type_by_id(btf, st->type);
		if (!st || !btf_is_struct(st))
			return -EINVAL;
		*mask = 0;
		m = btf_members(st);
		for (j = 0; j < btf_vlen(st); j++, m++)
			for (k = 0; k < 5; k++)
				if (!strcmp(btf__name_by_offset(btf, m->name_off), acts[k]))
					*mask |= TG_VERDICT_BIT(verdict[k]);
		if (!*mask)
			*mask = TG_VERDICT_BIT(TG_PASS);	/* libxdp's default */
		return 0;
	}
	return -ENOENT;
}

/* Maps */

static int map_compat(const struct stage_env *env, const struct plan_stage *ps,
		      const struct bpf_map *m, int fd, const char *what)
{
	struct bpf_map_info info = {};
	__u32 len = sizeof(info);

	if (bpf_obj_get_info_by_fd(fd, &info, &len))
		return -errno;
	if (info.type == bpf_map__type(m) && info.key_size == bpf_map__key_size(m) &&
	    info.value_size == bpf_map__value_size(m) && info.max_entries == bpf_map__max_entries(m) &&
	    info.map_flags == bpf_map__map_flags(m))
		return 0;
	pr_warn("stage '%s' on %s/%s: kept map '%s' does not match the %s map: the object has %s key %u value %u entries %u flags 0x%x, the %s map has %s key %u value %u entries %u flags 0x%x; keep the layout, or rename the map to start it afresh\n",
		ps->name, env->ifname, plan__hook_name(env->hook), bpf_map__name(m), what,
		libbpf_bpf_map_type_str(bpf_map__type(m)), bpf_map__key_size(m),
		bpf_map__value_size(m), bpf_map__max_entries(m), bpf_map__map_flags(m), what,
		libbpf_bpf_map_type_str(info.type), info.key_size, info.value_size, info.max_entries,
		info.map_flags);
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

static struct kept_map *find_kept(struct kept_set *ks, const char *name)
{
	int i;

	for (i = 0; i < ks->nr; i++)
		if (!strcmp(ks->m[i].name, name))
			return &ks->m[i];
	return NULL;
}

/* The map a kept one reuses: this generation's, else the pinned one (fd
 * owned by the caller), or -ENOENT: it is new. */
static int kept_fd(const struct stage_env *env, const char *name, const char **what, bool *own)
{
	struct kept_map *km = find_kept(env->kept, name);
	char path[PATH_MAX];
	int fd;

	*own = false;
	if (km) {
		*what = "same generation's";
		return km->fd;
	}
	*what = "pinned";
	if (!env->maps_dir || pins__path(path, sizeof(path), "%s/%s", env->maps_dir, name))
		return -ENOENT;
	fd = bpf_obj_get(path);
	if (fd < 0)
		return -errno;
	*own = true;
	return fd;
}

/* A kept map reused from its pin joins the generation's set (fd and all). */
static int adopt_pinned(struct kept_set *ks, const char *name, int fd)
{
	struct kept_map *km;

	if (ks->nr >= STAGE_MAX_KEPT) {
		close(fd);
		return -E2BIG;
	}
	km = &ks->m[ks->nr++];
	snprintf(km->name, sizeof(km->name), "%s", name);
	km->fd = fd;
	km->created = false;
	return 0;
}

static int bind_maps(struct bpf_object *obj, const struct stage_env *env,
		     const struct plan_stage *ps)
{
	const char *name, *what;
	struct bpf_map *m;
	int fd, err;
	bool own;

	bpf_object__for_each_map(m, obj) {
		name = bpf_map__name(m);
		/*
		 * LIBBPF_PIN_BY_NAME would share the map through /sys/fs/bpf
		 * across interfaces and generations: tailgate keeps maps per
		 * attach point, and only those the plan keeps.
		 */
		if (bpf_map__pin_path(m))
			bpf_map__set_pin_path(m, NULL);
		if (!is_kept(ps, name))
			continue;
		fd = kept_fd(env, name, &what, &own);
		if (fd == -ENOENT)
			continue;
		if (fd < 0) {
			pr_warn("stage '%s' on %s/%s: cannot open kept map '%s': %s; run 'tailgate recover'\n",
				ps->name, env->ifname, plan__hook_name(env->hook), name, strerror(-fd));
			return fd;
		}
		err = map_compat(env, ps, m, fd, what);
		if (!err && bpf_map__reuse_fd(m, fd))
			err = -errno;
		if (own && !err)
			err = adopt_pinned(env->kept, name, fd);
		else if (own)
			close(fd);
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
		pr_warn("stage '%s': keep_maps names '%s' but %s has no such map\n", ps->name,
			ps->keep_maps[i], ps->object);
		return -ENOENT;
	}
	return 0;
}

/* Remember the kept maps this load created, so install can pin them. */
static int record_kept(struct bpf_object *obj, const struct stage_env *env,
		       const struct plan_stage *ps)
{
	struct kept_set *ks = env->kept;
	struct kept_map *km;
	int i;

	for (i = 0; i < ps->nr_keep_maps; i++) {
		if (find_kept(ks, ps->keep_maps[i]))
			continue;
		if (ks->nr >= STAGE_MAX_KEPT)
			return -E2BIG;
		km = &ks->m[ks->nr];
		km->fd = fcntl(bpf_map__fd(bpf_object__find_map_by_name(obj, ps->keep_maps[i])),
			       F_DUPFD_CLOEXEC, 3);
		if (km->fd < 0)
			return -errno;
		snprintf(km->name, sizeof(km->name), "%s", ps->keep_maps[i]);
		km->created = true;	/* neither pinned nor shared before: new */
		ks->nr++;
	}
	return 0;
}

void stage__free_kept(struct kept_set *ks)
{
	int i;

	if (!ks)
		return;
	for (i = 0; i < ks->nr; i++)
		close(ks->m[i].fd);
	ks->nr = 0;
}

/* Verifier */

static void report_reject(const struct stage_env *env, const struct plan_stage *ps,
			  const char *prog, const char *log)
{
	char reason[256];
	long insn;

	vlog__reason(log, reason, sizeof(reason), &insn);
	pr_warn("stage '%s' on %s/%s: verifier rejected program '%s'%s%.0ld: %s; see -v for the full verifier log\n",
		ps->name, env->ifname, plan__hook_name(env->hook), prog,
		insn >= 0 ? " at insn " : "", insn >= 0 ? insn : 0, reason);
	if (log__level() > LOG_INFO)
		log__printf(LOG_WARN, "--- verifier log of stage '%s' ---\n%s--- end ---\n", ps->name,
			    log);
}

/*
 * The stage's object, opened by libbpf (named after the stage), or NULL
 * with *err set and the reason told: libbpf's own, which says more than
 * the errno.
 */
static struct bpf_object *open_obj(const struct plan_stage *ps, const struct stage_src *src,
				   int *err)
{
	LIBBPF_OPTS(bpf_object_open_opts, oo, .object_name = ps->name);
	struct bpf_object *obj;
	const char *why;

	log__libbpf_clear();
	obj = bpf_object__open_mem(src->elf, src->len, &oo);
	if (obj)
		return obj;
	*err = -errno;
	why = log__libbpf_last();
	pr_warn("stage '%s': libbpf cannot open %s: %s%s%s%s\n", ps->name, ps->object,
		strerror(-*err), why[0] ? " (libbpf: " : "", why, why[0] ? ")" : "");
	return NULL;
}

static void report_load_error(const struct stage_env *env, const struct plan_stage *ps, int err)
{
	const char *hint = "", *why = log__libbpf_last();

	if (err == -EPERM)
		hint = "; run as root (CAP_BPF, CAP_NET_ADMIN and CAP_SYS_ADMIN are needed)";
	else if (err == -ENOMEM || err == -E2BIG)
		hint = "; the kernel could not allocate the stage's maps or program: shrink max_entries or free memory";

	pr_warn("stage '%s' on %s/%s: loading %s failed: %s%s%s%s%s\n", ps->name, env->ifname,
		plan__hook_name(env->hook), ps->object, strerror(-err), why[0] ? " (libbpf: " : "",
		why, why[0] ? ")" : "", hint);
}

/* Loading */

/* What open_and_load() has to say beyond an errno. */
enum load_outcome {
	LOAD_OK = 0,
	LOAD_EXPLAINED,		/* refused before the kernel saw it; message printed */
	LOAD_KERNEL,		/* bpf_object__load() failed: *err, log in the buffer */
};

static enum load_outcome open_and_load(const struct stage_env *env, const struct plan_stage *ps,
				       const struct stage_src *src, struct stage_load *sl,
				       char *log, size_t log_size, int level, int *err)
{
	sl->obj = open_obj(ps, src, err);
	if (!sl->obj)
		return LOAD_EXPLAINED;
	*err = pick_prog(sl->obj, env, ps, &sl->prog) ?: check_keep_present(sl->obj, ps) ?:
	       bind_maps(sl->obj, env, ps);
	if (*err)
		return LOAD_EXPLAINED;
	log[0] = '\0';
	bpf_program__set_log_buf(sl->prog, log, log_size);
	bpf_program__set_log_level(sl->prog, level);
	*err = bpf_object__load(sl->obj);
	return *err ? LOAD_KERNEL : LOAD_OK;
}

/* A rejection, loaded again at level 1 for the instruction and the story. */
static void explain_kernel_error(const struct stage_env *env, const struct plan_stage *ps,
				 const struct stage_src *src, const char *stats_log, int err)
{
	struct stage_load again = {};
	char *full = NULL;
	int err2;

	if (err != -EACCES && !(err == -EINVAL && stats_log[0])) {
		report_load_error(env, ps, err);
		return;
	}
	full = malloc(VLOG_FULL_SIZE);
	if (full && open_and_load(env, ps, src, &again, full, VLOG_FULL_SIZE, 1, &err2) == LOAD_KERNEL &&
	    full[0])
		report_reject(env, ps, bpf_program__name(again.prog), full);
	else
		report_reject(env, ps, again.prog ? bpf_program__name(again.prog) : ps->program,
			      stats_log);
	bpf_object__close(again.obj);
	free(full);
}

static bool map_shared_cb(int fd, void *ctx)
{
	struct bpf_map_info info = {};
	__u32 len = sizeof(info);

	if (bpf_obj_get_info_by_fd(fd, &info, &len))
		return false;
	return info.type == BPF_MAP_TYPE_ARRAY || info.type == BPF_MAP_TYPE_HASH ||
	       info.type == BPF_MAP_TYPE_LRU_HASH;
}

/* The object's name of the map behind @fd: the kernel keeps only 15 characters. */
static const char *map_name(const struct stage_load *sl, int fd, const char *kernel_name)
{
	const struct bpf_map *m;

	bpf_object__for_each_map(m, sl->obj)
		if (bpf_map__fd(m) == fd)
			return bpf_map__name(m);
	return kernel_name;
}

static void warn_races(const struct stage_env *env, const struct plan_stage *ps,
		       const struct stage_load *sl)
{
	struct bpf_map_info info = {};
	__u32 len;
	int i;

	for (i = 0; i < sl->facts.nr_races; i++) {
		len = sizeof(info);
		memset(&info, 0, sizeof(info));
		bpf_obj_get_info_by_fd(sl->facts.race[i].map_fd, &info, &len);
		pr_warn("stage '%s': insn %zu of '%s' does a read-modify-write of a value of map '%s' (%s), which every CPU shares: packets on two CPUs lose updates (the (*value)++ race); use __sync_fetch_and_add() or a per-CPU map\n",
			ps->name, sl->facts.race[i].insn, sl->program,
			map_name(sl, sl->facts.race[i].map_fd, info.name),
			libbpf_bpf_map_type_str(info.type) ?: "?");
	}
}

/*
 * A stage's own tail calls: tailgate loads only the program the plan names,
 * so nothing fills the object's prog arrays the way the object's own loader
 * would. One that lands is fine: made from what is now a subprogram, the
 * kernel returns from it to the wrapper, which counts the target's verdict
 * as the stage's.
 */
static void warn_tail_calls(const struct stage_env *env, const struct plan_stage *ps,
			    const struct stage_load *sl)
{
	const struct bpf_map *m;

	if (!sl->facts.tail_calls)
		return;
	bpf_object__for_each_map(m, sl->obj) {
		if (bpf_map__type(m) != BPF_MAP_TYPE_PROG_ARRAY)
			continue;
		if (is_kept(ps, bpf_map__name(m)))
			pr_info("stage '%s' on %s/%s: '%s' tail-calls through '%s', kept: it lands where you fill maps/%s\n",
				ps->name, env->ifname, plan__hook_name(env->hook), sl->program,
				bpf_map__name(m), bpf_map__name(m));
		else
			pr_warn("stage '%s' on %s/%s: '%s' tail-calls through its own prog array '%s', which tailgate loads empty (its own loader would fill it): every such tail call falls through; keep it (keep_maps) and fill maps/%s for them to land\n",
				ps->name, env->ifname, plan__hook_name(env->hook), sl->program,
				bpf_map__name(m), bpf_map__name(m));
	}
}

static void warn_shadow(const struct plan_stage *ps, const struct stage_load *sl)
{
	const char *h = analyze__helper_name(sl->facts.rewrite_helper);

	if (!sl->shadow || (!h && !sl->facts.writes_packet))
		return;
	pr_warn("stage '%s' is in shadow mode but %s%s%s%s: shadow is for stages that decide, not for stages that rewrite packets; its changes reach the next stage and the wire\n",
		ps->name, h ? "calls " : "", h ? h : "", h && sl->facts.writes_packet ? " and " : "",
		sl->facts.writes_packet ? "writes packet data" : "");
}

static int capture(const struct stage_env *env, const struct plan_stage *ps,
		   struct stage_load *sl, const char *log)
{
	struct bpf_prog_info info = {};
	__u32 len = sizeof(info);
	int err;

	snprintf(sl->program, sizeof(sl->program), "%s", bpf_program__name(sl->prog));
	sl->insns = bpf_program__insns(sl->prog);
	sl->cnt = bpf_program__insn_cnt(sl->prog);
	if (!bpf_obj_get_info_by_fd(bpf_program__fd(sl->prog), &info, &len))
		sl->verified_insns = info.verified_insns;
	if (!sl->verified_insns)
		sl->verified_insns = vlog__number(log, "processed ");
	/* "stack depth A+B+...": A is the program's own frame (compose.c inlines by it) */
	sl->frame = strstr(log, "stack depth ") ? (int)vlog__number(log, "stack depth ") : -1;
	sl->shadow = ps->mode == PLAN_MODE_SHADOW;
	sl->continue_on = ps->continue_on ?: TG_VERDICT_BIT(TG_PASS);
	if (!ps->has_continue_on && env->hook == PLAN_HOOK_XDP &&
	    !run_config(sl->obj, sl->program, &sl->continue_on))
		sl->run_config = true;
	err = analyze__stage(sl->insns, sl->cnt, env->hook == PLAN_HOOK_XDP, map_shared_cb, NULL,
			     &sl->facts);
	if (err) {
		pr_warn("stage '%s': cannot follow the code of '%s' (%s)\n", ps->name, sl->program,
			strerror(-err));
		return err;
	}
	if (env->warn) {
		warn_races(env, ps, sl);
		warn_tail_calls(env, ps, sl);
		warn_shadow(ps, sl);
	}
	return record_kept(sl->obj, env, ps);
}

int stage__load(const struct stage_env *env, const struct plan_stage *ps,
		const struct stage_src *src, struct stage_load *sl)
{
	char *log = malloc(VLOG_STATS_SIZE);
	int err = -ENOMEM;

	memset(sl, 0, sizeof(*sl));
	if (!log)
		return err;
	switch (open_and_load(env, ps, src, sl, log, VLOG_STATS_SIZE, VLOG_LEVEL_STATS, &err)) {
	case LOAD_OK:
		err = capture(env, ps, sl, log);
		break;
	case LOAD_KERNEL:
		explain_kernel_error(env, ps, src, log, err);
		break;
	case LOAD_EXPLAINED:
		break;
	}
	free(log);
	if (err)
		stage__close(sl);
	return err;
}

void stage__close(struct stage_load *sl)
{
	if (!sl)
		return;
	bpf_object__close(sl->obj);
	memset(sl, 0, sizeof(*sl));
}

int stage__describe(const struct plan_stage *ps, const struct stage_src *src, const char *ifname,
		    enum plan_hook hook, char program[PLAN_MAX_NAME], uint32_t *continue_on)
{
	struct stage_env env = { .ifname = ifname, .hook = hook };
	struct bpf_program *p;
	struct bpf_object *obj;
	int err = 0;

	obj = open_obj(ps, src, &err);
	if (!obj)
		return err;
	err = pick_prog(obj, &env, ps, &p) ?: check_keep_present(obj, ps);
	if (!err) {
		snprintf(program, PLAN_MAX_NAME, "%s", bpf_program__name(p));
		*continue_on = ps->continue_on ?: TG_VERDICT_BIT(TG_PASS);
		if (!ps->has_continue_on && hook == PLAN_HOOK_XDP)
			run_config(obj, program, continue_on);
	}
	bpf_object__close(obj);
	return err;
}
