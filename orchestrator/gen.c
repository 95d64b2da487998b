// SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause)
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <bpf/bpf.h>
#include <bpf/libbpf.h>

#include "compose.h"
#include "gen.h"
#include "log.h"
#include "pins.h"
#include "slots.h"
#include "vlog.h"

struct gen_ctx {
	struct ap *ap;
	const struct gen_spec *spec;
	struct gen_load *gl;
	struct stage_load sl[TG_MAX_STAGES];
	char *log;
};

static const char *hk(const struct gen_ctx *c)
{
	return plan__hook_name(c->ap->hook);
}

/* Limits a wrapped stage must fit, checked before the kernel is asked. */
static int check_stage(const struct gen_ctx *c, int i)
{
	const struct plan_stage *ps = &c->spec->plan->stages[i];
	const struct stage_facts *f = &c->sl[i].facts;

	if (f->ld_abs) {
		pr_warn("stage '%s' on %s/%s: program '%s' uses legacy LD_ABS/LD_IND packet loads, which the kernel does not allow in a program with BPF-to-BPF calls, and tailgate calls every stage from its wrapper: rewrite it with direct packet access (or bpf_skb_load_bytes)\n",
			ps->name, c->ap->ifname, hk(c), c->sl[i].program);
		return -EOPNOTSUPP;
	}
	if (COMPOSE_MAIN_STACK + f->stack > GEN_MAX_STACK) {
		pr_warn("stage '%s' on %s/%s: wrapped, its stack (%u bytes in its deepest call chain) and tailgate's wrapper frame (%u) exceed the kernel's %u bytes: shrink the stage's stack by %u bytes\n",
			ps->name, c->ap->ifname, hk(c), f->stack, COMPOSE_MAIN_STACK, GEN_MAX_STACK,
			COMPOSE_MAIN_STACK + f->stack - GEN_MAX_STACK);
		return -E2BIG;
	}
	/*
	 * Wrapped, a stage is a subprogram, and the kernel allows a tail call
	 * in a subprogram only while the frames above it (its callers', not
	 * its own: a tail call unwinds that) stay below 256 bytes; the
	 * composed program carries BTF function info for it (compose.h).
	 */
	if (f->tail_calls && COMPOSE_MAIN_STACK + f->tail_call_depth >= GEN_TAIL_CALL_STACK) {
		pr_warn("stage '%s' on %s/%s: program '%s' makes its own tail calls; wrapped, they come from a subprogram, where the kernel allows them only below %u bytes of stack in the frames above: wrapper %u + stage %u = %u; shrink the stack above its tail calls\n",
			ps->name, c->ap->ifname, hk(c), c->sl[i].program, GEN_TAIL_CALL_STACK,
			COMPOSE_MAIN_STACK, f->tail_call_depth, COMPOSE_MAIN_STACK + f->tail_call_depth);
		return -E2BIG;
	}
	return 0;
}

/* The stage (or stages, fused) a verifier complaint is about. */
static void explain(const struct gen_ctx *c, const struct compose_prog *cp, int first,
		    const char *log, const char *what)
{
	const struct plan_stage *ps = &c->spec->plan->stages[first];
	size_t at = 0;
	char reason[256];
	long insn;
	int s;

	vlog__reason(log, reason, sizeof(reason), &insn);
	if (strstr(reason, "combined stack size")) {
		pr_warn("%s on %s/%s: wrapped, the stack is too large: %s (the kernel allows %u bytes per call chain; tailgate's wrapper frame is %u)\n",
			what, c->ap->ifname, hk(c), reason, GEN_MAX_STACK, COMPOSE_MAIN_STACK);
	} else if (strstr(reason, "tail_calls are not allowed")) {
		pr_warn("%s on %s/%s: a stage's own tail calls, made from a subprogram once wrapped, break the kernel's %u-byte stack rule: %s\n",
			what, c->ap->ifname, hk(c), GEN_TAIL_CALL_STACK, reason);
	} else if (insn >= 0 && (s = compose__origin(cp, insn, &at)) >= 0) {
		ps = &c->spec->plan->stages[first + s];
		pr_warn("stage '%s' on %s/%s: verifier rejected it once wrapped, at insn %zu of program '%s': %s; see -v for the full verifier log\n",
			ps->name, c->ap->ifname, hk(c), at, c->sl[first + s].program, reason);
	} else {
		pr_warn("%s on %s/%s: verifier rejected tailgate's wrapper%s%.0ld: %s; see -v for the full verifier log\n",
			what, c->ap->ifname, hk(c), insn >= 0 ? " at insn " : "", insn >= 0 ? insn : 0,
			reason);
	}
	if (log__level() > LOG_INFO)
		log__printf(LOG_WARN, "--- verifier log of %s ---\n%s--- end ---\n", what, log);
}

static const char *license_of(const struct gen_ctx *c, int first, int n)
{
	int i;

	/* One program: GPL only if every stage in it allows it. */
	for (i = first; i < first + n; i++)
		if (!object__gpl_compatible(c->spec->src[i].license))
			return c->spec->src[i].license;
	return "GPL";
}

static int load_composed(struct gen_ctx *c, const struct compose_prog *cp, int first, int n,
			 const char *name, const char *what, int slot_idx, bool quiet)
{
	bool xdp = c->ap->hook == PLAN_HOOK_XDP;
	LIBBPF_OPTS(bpf_prog_load_opts, o, .expected_attach_type = xdp ? BPF_XDP : 0,
		    .log_buf = c->log, .log_size = VLOG_STATS_SIZE, .log_level = VLOG_LEVEL_STATS);
	struct bpf_prog_info info = {};
	struct compose_btf fb = {};
	__u32 len = sizeof(info);
	char *full;
	int fd, err;

	if (compose__needs_func_info(cp)) {
		err = compose__func_info(cp, &fb);
		if (err) {
			pr_warn("%s on %s/%s: cannot build the BTF function info its own tail calls need: %s\n",
				what, c->ap->ifname, hk(c), strerror(-err));
			return err;
		}
		compose__func_info_opts(&fb, &o);
	}
	c->log[0] = '\0';
	fd = bpf_prog_load(ap__prog_type(c->ap->hook), name, license_of(c, first, n), cp->insns,
			   cp->cnt, &o);
	if (fd < 0) {
		err = -errno;
		if (quiet)
			return err;
		if (err != -EACCES && err != -EINVAL && err != -E2BIG) {
			pr_warn("%s on %s/%s: loading it failed: %s\n", what, c->ap->ifname, hk(c),
				strerror(-err));
			goto out_free_btf;
		}
		full = malloc(VLOG_FULL_SIZE);
		if (full) {
			o.log_buf = full;
			o.log_size = VLOG_FULL_SIZE;
			o.log_level = 1;
			full[0] = '\0';
			bpf_prog_load(ap__prog_type(c->ap->hook), name, license_of(c, first, n),
				      cp->insns, cp->cnt, &o);
		}
		explain(c, cp, first, full && full[0] ? full : c->log, what);
		free(full);
		goto out_free_btf;
	}
	err = 0;
	c->gl->prog_fd[slot_idx] = fd;
	if (!bpf_obj_get_info_by_fd(fd, &info, &len))
		c->gl->prog_id[slot_idx] = info.id;
	c->gl->st[first].wrapped_stack = vlog__stack(c->log);
	if (n > 1)
		c->gl->fused_verified = info.verified_insns ?: vlog__number(c->log, "processed ");
out_free_btf:
	compose__func_info_free(&fb);
	return err;
}

static struct compose_opts copts(const struct gen_ctx *c)
{
	struct compose_opts o = {
		.xdp = c->ap->hook == PLAN_HOOK_XDP,
		.stats_fd = c->ap->stats_fd,
		.slots_fd = c->ap->slots_fd,
		.fail_closed = c->spec->plan->fail_closed,
	};

	return o;
}

static struct compose_stage cstage(const struct gen_ctx *c, int i)
{
	struct compose_stage s = {
		.insns = c->sl[i].insns,
		.cnt = c->sl[i].cnt,
		.slot = TG_BANK_BASE(c->gl->bank) + i,
		.continue_on = c->sl[i].continue_on,
		.shadow = c->sl[i].shadow,
	};

	return s;
}

/*
 * The frames compose.c inlines stages by: the verifier's own frame of
 * each stage loaded alone (or the static estimate where that is larger).
 * @return @fr, or NULL when a frame is unknown: the stages are called.
 */
static const struct compose_frame *cframes(const struct gen_ctx *c, int first, int n,
					   struct compose_frame *fr)
{
	const struct stage_load *sl;
	int i;

	for (i = 0; i < n; i++) {
		sl = &c->sl[first + i];
		if (sl->frame < 0)
			return NULL;
		fr[i].frame = (unsigned int)sl->frame > sl->facts.frame0 ? (unsigned int)sl->frame :
									  sl->facts.frame0;
		fr[i].stack = sl->facts.stack;
	}
	return fr;
}

/*
 * Compose and load one program: the @n stages fused, or stage @slot_idx
 * chained (handing over to @next), into bank position @slot_idx. Inlined
 * first where compose.c allows it; should the kernel refuse that, the
 * stages are called as subprograms instead, and only that refusal is
 * explained.
 */
static int load_shape(struct gen_ctx *c, struct compose_opts *o, bool fused,
		      const struct compose_stage *s, int n, __u32 next, const char *name,
		      const char *what, int slot_idx)
{
	int first = fused ? 0 : slot_idx, err;
	struct compose_frame fr[TG_MAX_STAGES];
	struct compose_prog cp;
	bool retry;

	o->frames = cframes(c, first, n, fr);
	do {
		err = fused ? compose__fused(o, s, n, &cp) : compose__chained(o, s, next, &cp);
		if (err)
			return err;
		retry = cp.inlined;
		err = load_composed(c, &cp, first, n, name, what, slot_idx, retry);
		if (err && retry)
			pr_debug("%s on %s/%s: the kernel refused it inlined (%s); calling its stages instead\n",
				 what, c->ap->ifname, hk(c), strerror(-err));
		compose__free(&cp);
		o->frames = NULL;
	} while (err && retry);
	return err;
}

static int load_chained(struct gen_ctx *c)
{
	const struct plan *plan = c->spec->plan;
	struct compose_opts o = copts(c);
	struct compose_stage s;
	char name[16], what[PLAN_MAX_NAME + 16];
	__u32 next;
	int i, err;

	/* Tail to head: the order install writes them in. */
	for (i = plan->nr_stages - 1; i >= 0; i--) {
		s = cstage(c, i);
		next = i + 1 < plan->nr_stages ? s.slot + 1 : TG_SLOT_NONE;
		ap__prog_name(name, c->spec->gen, i, plan->stages[i].name, false, 0);
		snprintf(what, sizeof(what), "stage '%s'", plan->stages[i].name);
		err = load_shape(c, &o, false, &s, 1, next, name, what, i);
		if (err)
			return err;
	}
	c->gl->nr_progs = plan->nr_stages;
	return 0;
}

static int load_fused(struct gen_ctx *c)
{
	const struct plan *plan = c->spec->plan;
	struct compose_stage s[TG_MAX_STAGES];
	struct compose_opts o = copts(c);
	char name[16];
	int i, err;

	for (i = 0; i < plan->nr_stages; i++)
		s[i] = cstage(c, i);
	ap__prog_name(name, c->spec->gen, 0, NULL, true, plan->nr_stages);
	err = load_shape(c, &o, true, s, plan->nr_stages, TG_SLOT_NONE, name,
			 "the fused generation", 0);
	c->gl->nr_progs = 1;
	return err;
}

static size_t private_map_bytes(const struct stage_load *sl, const struct plan_stage *ps)
{
	const struct bpf_map *m;
	size_t sum = 0;
	int k;

	bpf_object__for_each_map(m, sl->obj) {
		bool kept = false;

		for (k = 0; k < ps->nr_keep_maps; k++)
			kept |= !strcmp(ps->keep_maps[k], bpf_map__name(m));
		if (!kept && !bpf_map__is_internal(m))
			sum += ((size_t)bpf_map__key_size(m) + bpf_map__value_size(m)) *
			       bpf_map__max_entries(m);
	}
	return sum;
}

static void fill_info(struct gen_ctx *c, int i)
{
	struct gen_stage_info *st = &c->gl->st[i];
	const struct stage_load *sl = &c->sl[i];

	snprintf(st->program, sizeof(st->program), "%s", sl->program);
	st->continue_on = sl->continue_on;
	st->run_config = sl->run_config;
	st->insns = sl->cnt;
	st->verified = sl->verified_insns;
	st->stack = sl->facts.stack;
	st->facts = sl->facts;
	c->gl->map_bytes += private_map_bytes(sl, &c->spec->plan->stages[i]);
}

int gen__load(struct ap *ap, const struct gen_spec *spec, unsigned int bank, bool warn,
	      struct gen_load *gl)
{
	struct gen_ctx c = { .ap = ap, .spec = spec, .gl = gl };
	char maps_dir[PATH_MAX];
	struct stage_env env = {
		.ifname = ap->ifname,
		.hook = ap->hook,
		.kept = &gl->kept,
		.warn = warn,
	};
	int i, err = 0;

	memset(gl, 0, sizeof(*gl));
	for (i = 0; i < TG_MAX_STAGES; i++)
		gl->prog_fd[i] = -1;
	gl->bank = bank;
	gl->nr_stages = spec->plan->nr_stages;
	if (ap->attached && !pins__path(maps_dir, sizeof(maps_dir), "%s/%s", ap->dir, TG_PIN_MAPS_DIR))
		env.maps_dir = maps_dir;
	c.log = malloc(VLOG_STATS_SIZE);
	if (!c.log)
		return -ENOMEM;
	for (i = 0; i < spec->plan->nr_stages && !err; i++) {
		err = stage__load(&env, &spec->plan->stages[i], &spec->src[i], &c.sl[i]);
		if (!err) {
			fill_info(&c, i);
			err = check_stage(&c, i);
		}
	}
	if (!err) {
		int shape = gen__choose_shape(spec->datapath, gl->st, spec->plan->nr_stages,
					      gl->shape_why, sizeof(gl->shape_why));

		if (shape < 0) {
			pr_warn("plan %s on %s/%s: datapath fused: %s; use datapath: chained (or auto)\n",
				spec->plan->name, ap->ifname, plan__hook_name(ap->hook), gl->shape_why);
			err = shape;
		} else {
			gl->shape = shape;
			err = shape == GEN_FUSED ? load_fused(&c) : load_chained(&c);
		}
	}
	for (i = 0; i < spec->plan->nr_stages; i++)
		stage__close(&c.sl[i]);
	free(c.log);
	if (err)
		gen__release(gl);
	return err;
}

static int pin_new_maps(struct ap *ap, struct gen_load *gl)
{
	char dir[PATH_MAX], path[PATH_MAX];
	int i, err;

	if (pins__path(dir, sizeof(dir), "%s/%s", ap->dir, TG_PIN_MAPS_DIR))
		return -ENAMETOOLONG;
	for (i = 0; i < gl->kept.nr; i++) {
		if (!gl->kept.m[i].created)
			continue;
		err = pins__mkdir_p(dir, 0700);
		if (err)
			return err;
		if (pins__path(path, sizeof(path), "%s/%s", dir, gl->kept.m[i].name))
			return -ENAMETOOLONG;
		if (bpf_obj_pin(gl->kept.m[i].fd, path) && errno != EEXIST)
			return -errno;
		gl->kept.m[i].created = false;
	}
	return 0;
}

int gen__install(struct ap *ap, struct gen_load *gl)
{
	__u32 base = TG_BANK_BASE(gl->bank);
	int i, err;

	err = ap__refresh(ap);
	if (err)
		return err;
	if (ap->live == (int)gl->bank)
		return -EBUSY;
	err = pin_new_maps(ap, gl);
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
	for (i = TG_BANK_SLOTS - 1; i >= gl->nr_progs && !err; i--)
		err = slots__clear(ap->slots_fd, base + i);
	for (i = gl->nr_progs - 1; i >= 0 && !err; i--)
		err = slots__set(ap->slots_fd, base + i, gl->prog_fd[i]);
	if (err)
		return err;
	return ap__refresh(ap);
}

void gen__release(struct gen_load *gl)
{
	int i;

	if (!gl)
		return;
	for (i = 0; i < TG_MAX_STAGES; i++) {
		if (gl->prog_fd[i] >= 0)
			close(gl->prog_fd[i]);
		gl->prog_fd[i] = -1;
	}
	stage__free_kept(&gl->kept);
}

int gen__choose_shape(enum plan_datapath dp, const struct gen_stage_info *st, int n, char *why,
		      size_t len)
{
	unsigned long insns = 0, verified = 0;
	unsigned int stack = 0;
	const char *no = NULL;
	char buf[160];
	int i;

	for (i = 0; i < n; i++) {
		insns += st[i].insns + 64;	/* + the wrapper's share */
		verified += st[i].verified;
		stack = st[i].stack > stack ? st[i].stack : stack;
		if (st[i].facts.tail_calls && !no) {
			snprintf(buf, sizeof(buf), "stage %d ('%s') makes its own tail calls", i + 1,
				 st[i].program);
			no = buf;
		}
	}
	if (!no && COMPOSE_MAIN_STACK + stack > GEN_MAX_STACK) {
		snprintf(buf, sizeof(buf), "the deepest stage stack (%u bytes) and the wrapper (%u) exceed %u",
			 stack, COMPOSE_MAIN_STACK, GEN_MAX_STACK);
		no = buf;
	}
	if (!no && (insns > GEN_MAX_INSNS || verified > GEN_MAX_INSNS / 2)) {
		snprintf(buf, sizeof(buf), "%lu instructions (%lu verified) would near the kernel's limit of %u",
			 insns, verified, GEN_MAX_INSNS);
		no = buf;
	}
	switch (dp) {
	case PLAN_DP_FUSED:
		if (no) {
			snprintf(why, len, "fused does not fit: %s", no);
			return -E2BIG;
		}
		snprintf(why, len,
			 "fused, as the plan asks (%d stage%s, %lu instructions, stack %u+%u bytes: the deepest stage + the wrapper)",
			 n, n == 1 ? "" : "s", insns, stack, COMPOSE_MAIN_STACK);
		return GEN_FUSED;
	case PLAN_DP_AUTO:
		if (no) {
			snprintf(why, len, "chained (auto: %s)", no);
			return GEN_CHAINED;
		}
		snprintf(why, len,
			 "fused (auto: fits the kernel's limits: %d stage%s, %lu instructions, stack %u+%u bytes: the deepest stage + the wrapper)",
			 n, n == 1 ? "" : "s", insns, stack, COMPOSE_MAIN_STACK);
		return GEN_FUSED;
	default:
		if (no)
			snprintf(why, len, "chained, as the plan asks (fused would not fit: %s)", no);
		else
			snprintf(why, len, "chained, as the plan asks; fused fits and is recommended: one program, no tail call per stage (datapath: fused)");
		return GEN_CHAINED;
	}
}
