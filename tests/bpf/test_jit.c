// SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause)
/*
 * Tail calls with constant keys are direct jumps, XDP and tc: the
 * dispatcher's (key 0) and the hand-over of every wrapped stage (compose.c
 * emits it with the next slot as an immediate).
 *
 * What does NOT show it: the xlated dump. The verifier turns a
 * constant-key tail call into BPF_JMP|BPF_TAIL_CALL with imm = poke
 * descriptor index + 1 (0 for an unknown key), but BPF_OBJ_GET_INFO
 * rewrites every tail call back to "call bpf_tail_call#12", so both kinds
 * dump alike; the verifier log does not say it either.
 *
 * What does: a direct tail call is a site the kernel text-pokes whenever
 * the prog array slot it names changes (map_poke_run). So the caller's JIT
 * image, read back with BPF_OBJ_GET_INFO (the live text), changes when the
 * slot is filled and changes back when it is emptied. An indirect tail
 * call loads the target from the array at run time and jumps through a
 * register (a retpoline thunk with spectre_v2=retpoline): its image never
 * changes. tests/bpf/progs/indirect_stage.bpf.c (key in .data, unknown to
 * the verifier) is the control.
 *
 * On x86-64 the patched site is checked to the byte: filling the slot
 * turns the 5-byte NOP at each tail-call site into "jmp rel32" into the
 * target program's image and each bypass "jmp rel32" into a NOP; and when
 * the kernel reports retpolines, only the indirect control jumps to an
 * __x86_indirect_thunk_* (found in /proc/kallsyms).
 */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <cmocka.h>
#include <bpf/bpf.h>
#include <bpf/libbpf.h>

#include "bpf_fixture.h"
#include "bpf_model.h"
#include "bpfutil.h"
#include "slots.h"

static bool same_image(const struct fx_image *a, const struct fx_image *b)
{
	return a->len == b->len && !memcmp(a->b, b->b, a->len);
}

/* The control: a program of its own on the attach point's maps, not a stage. */
static int load_indirect(struct tm_case *t, __u32 key)
{
	struct bpf_object *obj = bpf_object__open_file(fx__tbpf("indirect_stage"), NULL);
	const char *want = t->h->xdp ? "indirect_stage" : "indirect_stage_tc";
	struct bpf_program *p, *mine = NULL;
	int err;

	if (!obj)
		fail_msg("open indirect_stage: %s (run 'make')", strerror(errno));
	fx__own(&t->fx, obj);
	bpf_object__for_each_program(p, obj) {
		bpf_program__set_autoload(p, !strcmp(bpf_program__name(p), want));
		if (!strcmp(bpf_program__name(p), want))
			mine = p;
	}
	err = bpfutil__set_var(obj, ".data", "tg_next_key", &key, sizeof(key)) ?:
	      bpf_map__reuse_fd(bpf_object__find_map_by_name(obj, TG_MAP_SLOTS), t->fx.ap.slots_fd) ?:
	      bpf_map__reuse_fd(bpf_object__find_map_by_name(obj, TG_MAP_STATS), t->fx.ap.stats_fd) ?:
	      bpf_map__reuse_fd(bpf_object__find_map_by_name(obj, TG_PIN_INFO), t->fx.ap.info_fd) ?:
	      bpf_object__load(obj);
	if (err || !mine)
		fail_msg("load indirect_stage: %s", strerror(-err));
	return bpf_program__fd(mine);
}

#if defined(__x86_64__)
static const __u8 nop5[5] = { 0x0f, 0x1f, 0x44, 0x00, 0x00 };

/* Target of "jmp rel32" (e9) at @off of @img, or 0. */
static __u64 x86_jmp_target(const struct fx_image *img, __u32 off)
{
	__s32 rel;

	if (off + 5 > img->len || img->b[off] != 0xe9)
		return 0;
	memcpy(&rel, img->b + off + 1, 4);
	return img->addr + off + 5 + (__s64)rel;
}

/*
 * @before -> @after differ only in 5-byte sites: NOPs become jumps into
 * @target's image (the tail calls), jumps become NOPs (their bypasses),
 * as many of one as of the other. @return the number of tail-call sites.
 */
static int x86_expect_poked(struct tm_case *t, const struct fx_image *before,
			    const struct fx_image *after, const struct fx_image *target,
			    const char *what)
{
	int to_target = 0, bypass = 0;
	__u64 dst;
	__u32 i;

	for (i = 0; i < before->len; i++) {
		if (before->b[i] == after->b[i])
			continue;
		dst = x86_jmp_target(after, i);
		if (i + 5 <= before->len && !memcmp(before->b + i, nop5, 5) &&
		    dst >= target->addr && dst < target->addr + target->len)
			to_target++;
		else if (before->b[i] == 0xe9 && i + 5 <= after->len && !memcmp(after->b + i, nop5, 5))
			bypass++;
		else
			fail_msg("%s: %s: unexpected change at +%#x of the jited image", t->h->name,
				 what, i);
		i += 4;
	}
	if (!to_target || to_target != bypass)
		fail_msg("%s: %s: want each nop5 -> jmp into the target matched by a jmp -> nop5 bypass, got %d and %d",
			 t->h->name, what, to_target, bypass);
	return to_target;
}

static __u64 ksym(const char *name)
{
	char line[256], sym[128], type;
	unsigned long long addr;
	FILE *f = fopen("/proc/kallsyms", "r");
	__u64 found = 0;

	if (!f)
		return 0;
	while (!found && fgets(line, sizeof(line), f))
		if (sscanf(line, "%llx %c %127s", &addr, &type, sym) == 3 && !strcmp(sym, name))
			found = addr;
	fclose(f);
	return found;
}

/* Number of "jmp rel32" in @img that land on any retpoline thunk. */
static int x86_thunk_jumps(const struct fx_image *img, const __u64 *thunks, int nr)
{
	int n = 0, k;
	__u64 dst;
	__u32 i;

	for (i = 0; i + 5 <= img->len; i++) {
		dst = x86_jmp_target(img, i);
		for (k = 0; dst && k < nr; k++)
			n += dst == thunks[k];
	}
	return n;
}

static bool x86_retpolines(void)
{
	char line[256] = "";
	FILE *f = fopen("/sys/devices/system/cpu/vulnerabilities/spectre_v2", "r");

	if (!f)
		return false;
	if (!fgets(line, sizeof(line), f))
		line[0] = '\0';
	fclose(f);
	return strstr(line, "Retpoline") != NULL;
}

/*
 * With retpolines on, the JIT sends an indirect tail call through
 * __x86_indirect_thunk_<reg>: the control must jump to one, the wrapped
 * stage must not. Other mitigations (IBRS, none) emit other sequences;
 * the poke check covers those kernels.
 */
static void x86_expect_thunks(struct tm_case *t, const struct fx_image *direct,
			      const struct fx_image *indirect)
{
	static const char *const regs[] = { "rax", "rcx", "rdx", "rbx", "rsi",
					    "rdi", "r8",  "r9",  "r10", "r11" };
	__u64 thunks[10];
	char name[64];
	int i, nr = 0;

	if (!x86_retpolines()) {
		print_message("note: spectre_v2 does not say Retpolines: thunk check not applicable\n");
		return;
	}
	for (i = 0; i < 10; i++) {
		snprintf(name, sizeof(name), "__x86_indirect_thunk_%s", regs[i]);
		thunks[nr] = ksym(name);
		nr += thunks[nr] != 0;
	}
	if (!nr)
		fail_msg("%s: spectre_v2 says retpolines, but /proc/kallsyms shows no __x86_indirect_thunk_*",
			 t->h->name);
	if (!x86_thunk_jumps(indirect, thunks, nr))
		fail_msg("%s: key from .data: no jump through a retpoline thunk in the jited image",
			 t->h->name);
	if (x86_thunk_jumps(direct, thunks, nr))
		fail_msg("%s: wrapped stage jumps through a retpoline thunk", t->h->name);
}
#endif

static void t_direct(void **state)
{
	struct tm_case *t = tm__begin(state);
	__u32 base = TG_BANK_BASE(0), ind_slot = TG_BANK_BASE(1);
	struct fx_image c0, c1, c2, i0, i1, i2, d0, d1, d2, tgt;
	int codes[2], ind, c, d;
	__u8 pkt[128];
	size_t len;

	codes[0] = t->h->pass;
	codes[1] = t->h->drop;
	len = fx__verdict_pkt(pkt, sizeof(pkt), codes, 2);
	fx__stage(&t->fx, "v0", fx__tbpf("verdicts"), t->h->xdp ? "xdp_v0" : "tc_v0");
	fx__stage(&t->fx, "v1", fx__tbpf("verdicts"), t->h->xdp ? "xdp_v1" : "tc_v1");
	fx__load(&t->fx, 0, PLAN_DP_CHAINED);
	c = t->fx.gl[0].prog_fd[0];
	d = t->fx.gl[0].prog_fd[1];
	ind = load_indirect(t, base + 1);
	assert_int_equal(slots__set(t->fx.ap.slots_fd, ind_slot, ind), 0);

	c0 = fx__jited(c, "wrapped stage 0");
	i0 = fx__jited(ind, "indirect_stage");
	d0 = fx__jited(t->fx.disp_fd, "dispatcher");
	tgt = fx__jited(d, "wrapped stage 1");
	fx__install(&t->fx, 0);	/* slot base + 1, then base */
	fx__flip(&t->fx, 0);	/* slot 0 */
	c1 = fx__jited(c, "wrapped stage 0");
	i1 = fx__jited(ind, "indirect_stage");
	d1 = fx__jited(t->fx.disp_fd, "dispatcher");

	/* both really reach stage 1, each its own way */
	assert_int_equal(fx__run(&t->fx, pkt, len, 1), t->h->drop);
	assert_int_equal(slots__set(t->fx.ap.slots_fd, TG_SLOT_ENTRY, ind), 0);
	assert_int_equal(fx__run(&t->fx, pkt, len, 1), t->h->drop);
	assert_int_equal(slots__clear(t->fx.ap.slots_fd, base + 1), 0);
	assert_int_equal(fx__run(&t->fx, pkt, len, 1), t->h->pass);
	assert_int_equal(slots__clear(t->fx.ap.slots_fd, TG_SLOT_ENTRY), 0);
	c2 = fx__jited(c, "wrapped stage 0");
	i2 = fx__jited(ind, "indirect_stage");
	d2 = fx__jited(t->fx.disp_fd, "dispatcher");

	if (same_image(&c0, &c1) || !same_image(&c0, &c2))
		fail_msg("%s: wrapped stage: jited image not patched by filling/emptying its next slot: its hand-over is not a direct tail call (bpf_jit_harden on?)",
			 t->h->name);
	if (same_image(&d0, &d1) || !same_image(&d0, &d2))
		fail_msg("%s: dispatcher (key 0): jited image not patched by writing slot 0: tail call is not direct",
			 t->h->name);
	if (!same_image(&i0, &i1) || !same_image(&i0, &i2))
		fail_msg("%s: indirect_stage (key from .data): jited image changed with the slot: the control is broken",
			 t->h->name);
#if defined(__x86_64__)
	/*
	 * compose.c emits the hand-over twice, on the counted path and on
	 * the one where the stats lookup returned NULL; the verifier keeps
	 * both (it does not prove a per-CPU array lookup non-NULL), and both
	 * must be direct.
	 */
	assert_int_equal(x86_expect_poked(t, &c0, &c1, &tgt, "wrapped stage 0"), 2);
	x86_expect_thunks(t, &c0, &i0);
#endif
	slots__clear(t->fx.ap.slots_fd, ind_slot);
	fx__image_free(&c0), fx__image_free(&c1), fx__image_free(&c2);
	fx__image_free(&i0), fx__image_free(&i1), fx__image_free(&i2);
	fx__image_free(&d0), fx__image_free(&d1), fx__image_free(&d2);
	fx__image_free(&tgt);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		{ "xdp: constant keys make direct tail calls (JIT text is poked)", t_direct, tm__setup,
		  tm__teardown, (void *)&tm_xdp },
		{ "tc: constant keys make direct tail calls (JIT text is poked)", t_direct, tm__setup,
		  tm__teardown, (void *)&tm_tc },
	};

	return cmocka_run_group_tests_name("jit", tests, NULL, NULL) ? 1 : 0;
}
