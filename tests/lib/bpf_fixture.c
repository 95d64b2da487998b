// SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause)
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <arpa/inet.h>
#include <net/if_arp.h>
#include <sys/mman.h>
#include <cmocka.h>
#include <linux/if_ether.h>
#include <linux/in.h>
#include <linux/ip.h>
#include <linux/ipv6.h>
#include <linux/tcp.h>
#include <linux/udp.h>
#include <bpf/bpf.h>
#include <bpf/btf.h>
#include <bpf/libbpf.h>

#include "bpf_fixture.h"
#include "bpfutil.h"
#include "compose.h"
#include "counters.h"
#include "disp.h"
#include "slots.h"

/* libbpf's chatter (verifier logs of the cases that expect a rejection)
 * only with FX_VERBOSE set. */
static int fx_libbpf_print(enum libbpf_print_level level, const char *fmt, va_list ap)
{
	return getenv("FX_VERBOSE") ? vfprintf(stderr, fmt, ap) : 0;
}

void fx__init(struct fx *fx, enum plan_hook hook)
{
	int err;

	memset(fx, 0, sizeof(*fx));
	ap__init(&fx->ap);
	fx->disp_fd = -1;
	fx->ready = true;
	fx->hook = hook;
	fx->xdp = hook == PLAN_HOOK_XDP;
	if (geteuid() != 0) {
		print_message("not root: creating maps, loading programs and BPF_PROG_TEST_RUN need CAP_BPF, CAP_NET_ADMIN and CAP_SYS_ADMIN; run as root\n");
		skip();
	}
	libbpf_set_print(fx_libbpf_print);
	fx->plan = calloc(1, sizeof(*fx->plan));
	if (!fx->plan)
		fail_msg("out of memory");
	fx__plan(fx);
	err = ap__prepare_mem(&fx->ap, FX_IFNAME, hook);
	if (err)
		fail_msg("%s: in-memory attach point: %s", plan__hook_name(hook), strerror(-err));
	fx__dispatcher(fx, false);
}

/* Runs enter through the newest dispatcher. */
static void load_dispatcher(struct fx *fx, const struct disp_state *want)
{
	int fd, err = disp__load_mem(&fx->ap, want, &fd);

	if (err)
		fail_msg("%s: %s dispatcher: %s", plan__hook_name(fx->hook),
			 want->kind == DISP_SPLIT ? "splitting" : "plain", strerror(-err));
	if (fx->disp_fd >= 0)
		close(fx->disp_fd);
	fx->disp_fd = fd;
}

void fx__dispatcher(struct fx *fx, bool fail_closed)
{
	struct disp_state want = { .kind = DISP_PLAIN, .fail_closed = fail_closed };

	load_dispatcher(fx, &want);
}

void fx__split(struct fx *fx, __u32 new_slot, bool fail_closed)
{
	struct disp_state want = { .kind = DISP_SPLIT, .fail_closed = fail_closed,
				   .new_slot = new_slot };

	load_dispatcher(fx, &want);
}

void fx__fini(struct fx *fx)
{
	unsigned int b;
	__u32 k;
	int i;

	if (!fx->ready)
		return;
	if (fx->ap.slots_fd >= 0)
		for (k = 0; k < TG_NR_SLOTS; k++)
			slots__clear(fx->ap.slots_fd, k);
	for (b = 0; b < TG_NR_BANKS; b++)
		fx__release(fx, b);
	for (i = 0; i < TG_MAX_STAGES; i++)
		object__free(&fx->src[i]);
	if (fx->disp_fd >= 0)
		close(fx->disp_fd);
	for (i = 0; i < fx->nr_objs; i++)
		bpf_object__close(fx->objs[i]);
	ap__close(&fx->ap);
	free(fx->plan);
	memset(fx, 0, sizeof(*fx));
}

void fx__own(struct fx *fx, struct bpf_object *obj)
{
	if (fx->nr_objs >= (int)(sizeof(fx->objs) / sizeof(fx->objs[0])))
		fail_msg("fx__own: too many objects");
	fx->objs[fx->nr_objs++] = obj;
}

static const char *obj_path(const char *env, const char *dflt, const char *name)
{
	static char buf[8][512];
	static int next;
	const char *dir = getenv(env);
	char *p = buf[next++ % 8];

	snprintf(p, sizeof(buf[0]), "%s/%s.bpf.o", dir && *dir ? dir : dflt, name);
	return p;
}

const char *fx__bpf(const char *name)
{
	return obj_path("TAILGATE_BPF_DIR", "build/bpf", name);
}

const char *fx__tbpf(const char *name)
{
	return obj_path("TAILGATE_TEST_BPF_DIR", "build/tests/bpf", name);
}

const char *fx__pick(const struct fx *fx, const char *xdp_prog, const char *tc_prog)
{
	return fx->xdp ? xdp_prog : tc_prog;
}

/*
 * @object with only @prog to load, as @hook's program type. NULL with
 * errno set (ENOENT: no such program).
 */
static struct bpf_object *open_one(const char *object, const char *prog, enum plan_hook hook,
				   struct bpf_program **out)
{
	struct bpf_object *obj = bpfutil__open_prog(object, prog, out);
	struct bpf_map *m;

	if (!obj)
		return NULL;
	bpf_program__set_type(*out, ap__prog_type(hook));
	/* Maps pinned by name must not land in /sys/fs/bpf from a test either. */
	bpf_object__for_each_map(m, obj)
		bpf_map__set_pin_path(m, NULL);
	return obj;
}

int fx__prog(struct fx *fx, const char *object, const char *prog)
{
	struct bpf_program *p;
	struct bpf_object *obj = open_one(object, prog, fx->hook, &p);
	int err;

	if (!obj)
		fail_msg("%s: open %s of %s: %s (run 'make')", plan__hook_name(fx->hook), prog,
			 object, strerror(errno));
	fx__own(fx, obj);
	err = bpf_object__load(obj);
	if (err)
		fail_msg("%s: load %s of %s: %s", plan__hook_name(fx->hook), prog, object,
			 strerror(-err));
	return bpf_program__fd(p);
}

/* Plans */

void fx__plan(struct fx *fx)
{
	memset(fx->plan, 0, sizeof(*fx->plan));
	snprintf(fx->plan->name, sizeof(fx->plan->name), "table");
	fx->plan->hook = fx->hook;
}

struct plan_stage *fx__stage(struct fx *fx, const char *name, const char *object,
			     const char *program)
{
	struct plan_stage *ps;

	if (fx->plan->nr_stages >= TG_MAX_STAGES)
		fail_msg("more than %d stages", TG_MAX_STAGES);
	ps = &fx->plan->stages[fx->plan->nr_stages++];
	memset(ps, 0, sizeof(*ps));
	snprintf(ps->name, sizeof(ps->name), "%s", name);
	snprintf(ps->object, sizeof(ps->object), "%s", object);
	snprintf(ps->program, sizeof(ps->program), "%s", program);
	return ps;
}

void fx__continue_on(struct plan_stage *ps, uint32_t mask)
{
	ps->has_continue_on = true;
	ps->continue_on = mask;
}

/* Generations */

void fx__release(struct fx *fx, unsigned int bank)
{
	if (fx->loaded[bank])
		gen__release(&fx->gl[bank]);
	fx->loaded[bank] = false;
}

int fx__try_load(struct fx *fx, unsigned int bank, enum plan_datapath dp, bool warn)
{
	struct gen_spec spec = { .plan = fx->plan, .src = fx->src, .datapath = dp };
	int i, err;

	fx__release(fx, bank);
	for (i = 0; i < fx->plan->nr_stages; i++) {
		object__free(&fx->src[i]);
		err = object__read(&fx->plan->stages[i], &fx->src[i]);
		if (err)
			fail_msg("stage '%s': cannot read %s (run 'make' first): %s",
				 fx->plan->stages[i].name, fx->plan->stages[i].object, strerror(-err));
	}
	spec.gen = ++fx->gen;
	err = gen__load(&fx->ap, &spec, bank, warn, &fx->gl[bank]);
	fx->loaded[bank] = !err;
	return err;
}

void fx__load(struct fx *fx, unsigned int bank, enum plan_datapath dp)
{
	int err = fx__try_load(fx, bank, dp, false);

	if (err)
		fail_msg("%s: loading plan '%s' (%d stages, %s) into bank %u: %s",
			 plan__hook_name(fx->hook), fx->plan->name, fx->plan->nr_stages,
			 plan__datapath_name(dp), bank, strerror(-err));
}

void fx__install(struct fx *fx, unsigned int bank)
{
	int err = gen__install(&fx->ap, &fx->gl[bank]);

	if (err)
		fail_msg("%s: gen__install into bank %u: %s", plan__hook_name(fx->hook), bank,
			 strerror(-err));
}

void fx__flip(struct fx *fx, unsigned int bank)
{
	int err = ap__flip(&fx->ap, bank);

	if (err)
		fail_msg("%s: ap__flip to bank %u: %s", plan__hook_name(fx->hook), bank,
			 strerror(-err));
}

void fx__go(struct fx *fx, unsigned int bank, enum plan_datapath dp)
{
	fx__load(fx, bank, dp);
	fx__install(fx, bank);
	fx__flip(fx, bank);
}

int fx__stage_map(struct fx *fx, unsigned int bank, int stage, const char *name)
{
	const struct gen_load *gl = &fx->gl[bank];
	int j, nth = 0, fd;

	if (!fx->loaded[bank] || stage >= gl->nr_stages)
		fail_msg("no stage %d loaded in bank %u", stage, bank);
	if (gl->shape == GEN_CHAINED) {
		fd = bpfutil__prog_map(gl->prog_fd[stage], name, 0);
	} else {
		for (j = 0; j < stage; j++)
			nth += !strcmp(fx->plan->stages[j].object, fx->plan->stages[stage].object);
		fd = bpfutil__prog_map(gl->prog_fd[0], name, nth);
	}
	if (fd < 0)
		fail_msg("stage %d in bank %u: no map '%s': %s", stage, bank, name, strerror(-fd));
	return fd;
}

void fx__stage_load(struct fx *fx, const char *object, const char *program,
		    struct stage_load *sl)
{
	struct kept_set kept = {};
	struct stage_env env = { .ifname = FX_IFNAME, .hook = fx->hook, .kept = &kept };
	struct plan_stage ps = {};
	struct stage_src src;
	int err;

	snprintf(ps.name, sizeof(ps.name), "%s", program);
	snprintf(ps.object, sizeof(ps.object), "%s", object);
	snprintf(ps.program, sizeof(ps.program), "%s", program);
	err = object__read(&ps, &src);
	if (!err)
		err = stage__load(&env, &ps, &src, sl);
	object__free(&src);
	stage__free_kept(&kept);
	if (err)
		fail_msg("%s: stage__load %s of %s: %s", plan__hook_name(fx->hook), program, object,
			 strerror(-err));
}

int fx__compose_load(struct fx *fx, const struct compose_stage *s, int n, bool fused,
		     __u32 next_slot, bool fail_closed, char *log, size_t log_len)
{
	struct compose_opts o = {
		.xdp = fx->xdp,
		.stats_fd = fx->ap.stats_fd,
		.slots_fd = fx->ap.slots_fd,
		.fail_closed = fail_closed,
	};
	LIBBPF_OPTS(bpf_prog_load_opts, lo, .expected_attach_type = fx->xdp ? BPF_XDP : 0,
		    .log_buf = log, .log_size = log ? log_len : 0, .log_level = log ? 1 : 0);
	struct compose_btf fb = {};
	struct compose_prog cp;
	int fd, err;

	err = fused ? compose__fused(&o, s, n, &cp) : compose__chained(&o, s, next_slot, &cp);
	if (err)
		fail_msg("compose__%s: %s", fused ? "fused" : "chained", strerror(-err));
	/* As gen.c loads it: with function info where a stage tail-calls. */
	if (compose__needs_func_info(&cp)) {
		err = compose__func_info(&cp, &fb);
		if (err)
			fail_msg("compose__func_info: %s", strerror(-err));
		compose__func_info_opts(&fb, &lo);
	}
	if (log)
		log[0] = '\0';
	fd = bpf_prog_load(ap__prog_type(fx->hook), "tgtest_wrap", "Dual BSD/GPL", cp.insns, cp.cnt,
			   &lo);
	err = fd < 0 ? -errno : fd;
	compose__func_info_free(&fb);
	compose__free(&cp);
	return err;
}

/* Running */

static void test_run(struct fx *fx, int prog_fd, struct bpfutil_run *r)
{
	int err = bpfutil__test_run(prog_fd, r);

	if (err)
		fail_msg("%s: BPF_PROG_TEST_RUN (%u bytes): %s", plan__hook_name(fx->hook), r->len,
			 strerror(-err));
}

__u32 fx__run_prog(struct fx *fx, int prog_fd, const void *pkt, __u32 len, __u32 repeat)
{
	struct bpfutil_run r = { .data = pkt, .len = len, .repeat = repeat };

	test_run(fx, prog_fd, &r);
	return r.retval;
}

__u32 fx__run_out(struct fx *fx, int prog_fd, const void *pkt, __u32 len, void *out, __u32 cap,
		  __u32 *out_len)
{
	struct bpfutil_run r = { .data = pkt, .len = len, .data_out = out, .size_out = cap };

	test_run(fx, prog_fd, &r);
	*out_len = r.size_out;
	return r.retval;
}

__u32 fx__run(struct fx *fx, const void *pkt, __u32 len, __u32 repeat)
{
	return fx__run_prog(fx, fx->disp_fd, pkt, len, repeat);
}

__u32 fx__run_deltas(struct fx *fx, const void *pkt, __u32 len, __u32 repeat,
		     struct tg_stats d[TG_NR_SLOTS])
{
	struct tg_stats before[TG_NR_SLOTS], after[TG_NR_SLOTS];
	__u32 ret, k;

	fx__all_slots(fx, before);
	ret = fx__run(fx, pkt, len, repeat);
	fx__all_slots(fx, after);
	for (k = 0; k < TG_NR_SLOTS; k++)
		counters__sub(&d[k], &after[k], &before[k]);
	return ret;
}

/* Counters */

struct tg_stats fx__slot(struct fx *fx, __u32 slot)
{
	struct tg_stats s;
	int err = counters__read(fx->ap.stats_fd, slot, &s);

	if (err)
		fail_msg("stats[%u]: %s", slot, strerror(-err));
	return s;
}

void fx__all_slots(struct fx *fx, struct tg_stats out[TG_NR_SLOTS])
{
	__u32 k;

	for (k = 0; k < TG_NR_SLOTS; k++)
		out[k] = fx__slot(fx, k);
}

const char *fx__fmt_stats(const struct tg_stats *s, char *buf, size_t len)
{
	const __u64 *v = (const __u64 *)s;
	size_t i, off = 0;

	buf[0] = '\0';
	for (i = 0; i < COUNTERS_NR && off < len; i++)
		off += snprintf(buf + off, len - off, "%s%s=%llu", i ? " " : "", counters__names[i],
				(unsigned long long)v[i]);
	return buf;
}

void fx__expect_slot(struct fx *fx, __u32 slot, struct tg_stats want, const char *what)
{
	struct tg_stats got = fx__slot(fx, slot);
	char g[256], w[256];

	if (memcmp(&got, &want, sizeof(got)))
		fail_msg("%s: %s: stats[%u]\n  got  %s\n  want %s", plan__hook_name(fx->hook), what,
			 slot, fx__fmt_stats(&got, g, sizeof(g)), fx__fmt_stats(&want, w, sizeof(w)));
}

void fx__expect_delta(struct fx *fx, __u32 slot, const struct tg_stats *before,
		      struct tg_stats want, const char *what)
{
	struct tg_stats now = fx__slot(fx, slot), d;
	char g[256], w[256];

	counters__sub(&d, &now, before);
	if (memcmp(&d, &want, sizeof(d)))
		fail_msg("%s: %s: stats[%u] moved by\n  got  %s\n  want %s", plan__hook_name(fx->hook),
			 what, slot, fx__fmt_stats(&d, g, sizeof(g)), fx__fmt_stats(&want, w, sizeof(w)));
}

void fx__expect_identity(struct fx *fx)
{
	struct tg_stats s;
	char b[256];
	__u32 k;

	for (k = 0; k < TG_NR_SLOTS; k++) {
		s = fx__slot(fx, k);
		if (s.packets != s.pass + s.drop + s.aborted + s.tx + s.redirect ||
		    s.continued + s.tail_miss > s.packets)
			fail_msg("%s: stats[%u] breaks packets == pass+drop+aborted+tx+redirect, continued+tail_miss <= packets: %s",
				 plan__hook_name(fx->hook), k, fx__fmt_stats(&s, b, sizeof(b)));
	}
}

/* Packets */

static const __u8 mac_dst[ETH_ALEN] = { 0x02, 0, 0, 0, 0, 0x02 };
static const __u8 mac_src[ETH_ALEN] = { 0x02, 0, 0, 0, 0, 0x01 };

/* An 802.1Q/802.1ad tag (the kernel's struct vlan_hdr is not uapi). */
struct fx_vlan {
	__be16 tci;
	__be16 proto;
};

/* ARP for IPv4 over Ethernet: the addresses uapi's struct arphdr leaves out. */
struct fx_arp {
	struct arphdr h;
	__u8 sha[ETH_ALEN];
	__be32 spa;
	__u8 tha[ETH_ALEN];
	__be32 tpa;
} __attribute__((packed));

static __u16 csum(const void *p, size_t n)
{
	const __u8 *b = p;
	__u32 s = 0;
	size_t i;

	for (i = 0; i + 1 < n; i += 2)
		s += (b[i] << 8) | b[i + 1];
	if (n & 1)
		s += b[n - 1] << 8;
	while (s >> 16)
		s = (s & 0xffff) + (s >> 16);
	return htons(~s & 0xffff);
}

static void addr(int af, const char *s, void *out, const char *dflt)
{
	if (inet_pton(af, s ? s : dflt, out) != 1)
		fail_msg("bad test address '%s'", s ? s : dflt);
}

/* Ethernet header and tags; @return the L3 offset. */
static size_t put_eth(__u8 *b, __u16 l3, int vlans)
{
	struct ethhdr *eth = (struct ethhdr *)b;
	size_t off = sizeof(*eth), type_at = offsetof(struct ethhdr, h_proto);
	struct fx_vlan v;
	__be16 type;
	int i;

	memcpy(eth->h_dest, mac_dst, ETH_ALEN);
	memcpy(eth->h_source, mac_src, ETH_ALEN);
	for (i = 0; i < vlans; i++) {
		/* QinQ: an 802.1ad service tag (vid 7) outside the 802.1Q one (vid 100). */
		type = htons(vlans == 2 && i == 0 ? ETH_P_8021AD : ETH_P_8021Q);
		memcpy(b + type_at, &type, sizeof(type));
		v.tci = htons(vlans == 2 && i == 0 ? 7 : 100);
		memcpy(b + off, &v, sizeof(v));
		type_at = off + offsetof(struct fx_vlan, proto);
		off += sizeof(v);
	}
	type = htons(l3);
	memcpy(b + type_at, &type, sizeof(type));
	return off;
}

/* UDP or TCP header and payload at @b; @return the L4 length. */
static size_t put_l4(__u8 *b, const struct fx_pkt *p, size_t room)
{
	size_t hl = p->l4 == IPPROTO_TCP ? sizeof(struct tcphdr) : sizeof(struct udphdr);
	__u16 sport = p->sport ? p->sport : 40000, dport = p->dport ? p->dport : 53;

	if (p->l4 == IPPROTO_TCP) {
		struct tcphdr *t = (struct tcphdr *)b;

		t->source = htons(sport);
		t->dest = htons(dport);
		t->doff = sizeof(*t) / 4;
		t->syn = 1;
		t->window = htons(65535);
	} else {
		struct udphdr *u = (struct udphdr *)b;

		u->source = htons(sport);
		u->dest = htons(dport);
		u->len = htons(room);	/* to the frame's end: the padding is payload */
		/* checksum 0: "none" for IPv4; nothing here verifies it */
	}
	memcpy(b + hl, p->payload, p->payload_len);
	return hl + p->payload_len;
}

size_t fx__pkt(__u8 *buf, size_t cap, const struct fx_pkt *p)
{
	__u16 l3 = p->l3 ? p->l3 : ETH_P_IP;
	size_t l3len = l3 == ETH_P_IP ? sizeof(struct iphdr) :
		       l3 == ETH_P_IPV6 ? sizeof(struct ipv6hdr) : sizeof(struct fx_arp);
	size_t l4len = l3 == ETH_P_ARP ? 0 :
		       p->l4 == IPPROTO_TCP ? sizeof(struct tcphdr) : sizeof(struct udphdr);
	size_t need = sizeof(struct ethhdr) + p->vlans * sizeof(struct fx_vlan) + l3len + l4len +
		      p->payload_len;
	size_t len = p->len ? p->len : FX_PKT_LEN, off;

	if (len < need && !p->len)
		len = need;
	if (len > cap || len < need || p->vlans < 0 || p->vlans > 2)
		fail_msg("test frame of %zu bytes does not fit (%zu needed, %zu room)", len, need, cap);
	memset(buf, 0, len);
	off = put_eth(buf, l3, p->vlans);
	if (l3 == ETH_P_IP) {
		struct iphdr *ip = (struct iphdr *)(buf + off);

		ip->version = 4;
		ip->ihl = sizeof(*ip) / 4;
		ip->tot_len = htons(len - off);
		ip->ttl = 64;
		ip->protocol = p->l4 ? p->l4 : IPPROTO_UDP;
		addr(AF_INET, p->src, &ip->saddr, "198.18.0.1");
		addr(AF_INET, p->dst, &ip->daddr, "198.18.0.2");
		ip->check = csum(ip, sizeof(*ip));
		put_l4(buf + off + sizeof(*ip), p, len - off - sizeof(*ip));
	} else if (l3 == ETH_P_IPV6) {
		struct ipv6hdr *ip6 = (struct ipv6hdr *)(buf + off);

		ip6->version = 6;
		ip6->payload_len = htons(len - off - sizeof(*ip6));
		ip6->nexthdr = p->l4 ? p->l4 : IPPROTO_UDP;
		ip6->hop_limit = 64;
		addr(AF_INET6, p->src, &ip6->saddr, "2001:2::1");
		addr(AF_INET6, p->dst, &ip6->daddr, "2001:2::2");
		put_l4(buf + off + sizeof(*ip6), p, len - off - sizeof(*ip6));
	} else if (l3 == ETH_P_ARP) {
		struct fx_arp *a = (struct fx_arp *)(buf + off);

		memset(buf, 0xff, ETH_ALEN);	/* who-has: broadcast */
		a->h.ar_hrd = htons(ARPHRD_ETHER);
		a->h.ar_pro = htons(ETH_P_IP);
		a->h.ar_hln = ETH_ALEN;
		a->h.ar_pln = 4;
		a->h.ar_op = htons(ARPOP_REQUEST);
		memcpy(a->sha, mac_src, ETH_ALEN);
		addr(AF_INET, p->src, &a->spa, "198.18.0.1");
		addr(AF_INET, p->dst, &a->tpa, "198.18.0.2");
	} else {
		fail_msg("fx__pkt: no builder for EtherType %#x", l3);
	}
	return len;
}

size_t fx__verdict_pkt(__u8 *buf, size_t cap, const int *codes, int n)
{
	__s8 payload[TG_MAX_STAGES];
	struct fx_pkt p = { .payload = payload, .payload_len = n };
	int i;

	for (i = 0; i < n; i++)
		payload[i] = codes[i];
	return fx__pkt(buf, cap, &p);
}

/* What tailgate prints */

static int cap_fd = -1, saved_fd = -1;

void fx__capture_begin(void)
{
	fflush(stderr);
	cap_fd = memfd_create("fx-stderr", MFD_CLOEXEC);
	saved_fd = dup(STDERR_FILENO);
	if (cap_fd < 0 || saved_fd < 0 || dup2(cap_fd, STDERR_FILENO) < 0)
		fail_msg("capturing stderr: %s", strerror(errno));
}

char *fx__capture_end(void)
{
	off_t n;
	char *buf;

	fflush(stderr);
	dup2(saved_fd, STDERR_FILENO);
	close(saved_fd);
	n = lseek(cap_fd, 0, SEEK_END);
	buf = calloc(1, n + 1);
	if (!buf || pread(cap_fd, buf, n, 0) != n)
		fail_msg("reading captured stderr: %s", strerror(errno));
	close(cap_fd);
	cap_fd = saved_fd = -1;
	if (getenv("FX_VERBOSE"))
		fputs(buf, stderr);
	return buf;
}

/* Expectations */

static void tag(struct fx_expect *e, const char *t)
{
	static const struct {
		const char *key;
		size_t off, len;
	} keys[] = {
		{ "tg_reject:", offsetof(struct fx_expect, reject), sizeof(e->reject) },
		{ "tg_msg:", offsetof(struct fx_expect, msg), sizeof(e->msg) },
		{ "tg_insn:", offsetof(struct fx_expect, insn), sizeof(e->insn) },
	};
	size_t i, n;

	for (i = 0; i < sizeof(keys) / sizeof(keys[0]); i++) {
		n = strlen(keys[i].key);
		if (!strncmp(t, keys[i].key, n))
			snprintf((char *)e + keys[i].off, keys[i].len, "%s", t + n);
	}
}

/* The decl tags on function @name. @return how many. */
static int tags_of(const struct btf *btf, const char *name, struct fx_expect *e)
{
	int func = btf__find_by_name_kind(btf, name, BTF_KIND_FUNC), id, found = 0;
	const struct btf_type *t;

	for (id = 1; func > 0 && id < (int)btf__type_cnt(btf); id++) {
		t = btf__type_by_id(btf, id);
		if (btf_is_decl_tag(t) && t->type == (__u32)func) {
			tag(e, btf__name_by_offset(btf, t->name_off));
			found++;
		}
	}
	return found;
}

int fx__expect(const char *object, const char *prog, struct fx_expect *e)
{
	struct btf *btf = btf__parse_elf(object, NULL);
	char name[PLAN_MAX_NAME];
	size_t n = strlen(prog);
	int found;

	memset(e, 0, sizeof(*e));
	if (!btf)
		return -errno;
	found = tags_of(btf, prog, e);
	if (!found && n > 3 && n < sizeof(name) && !strcmp(prog + n - 3, "_tc")) {
		/* TG_STAGE()'s tc twin carries no tags: it expects what the XDP one does */
		snprintf(name, sizeof(name), "%.*s", (int)(n - 3), prog);
		found = tags_of(btf, name, e);
	}
	btf__free(btf);
	return found ? 0 : -ENOENT;
}

int fx__orig_insns(const char *object, const char *prog, enum plan_hook hook,
		   struct bpf_insn **insns, size_t *cnt)
{
	struct bpf_program *p;
	struct bpf_object *obj = open_one(object, prog, hook, &p);
	int err = -ENOENT;

	if (!obj)
		return -errno;
	if (bpf_object__load(obj)) {
		/* Refused alone: the object's own instructions (no subprograms
		 * appended; the program's own indices are the same). */
		bpf_object__close(obj);
		obj = open_one(object, prog, hook, &p);
	}
	if (p) {
		*cnt = bpf_program__insn_cnt(p);
		*insns = malloc(*cnt * sizeof(**insns));
		err = *insns ? 0 : -ENOMEM;
		if (!err)
			memcpy(*insns, bpf_program__insns(p), *cnt * sizeof(**insns));
	}
	bpf_object__close(obj);
	return err;
}

static bool is_call(const struct bpf_insn *in)
{
	return in->code == (BPF_JMP | BPF_CALL) && in->src_reg == BPF_PSEUDO_CALL;
}

/* Call depth of the function each instruction is in (0: the program). */
static int *depths(const struct bpf_insn *insns, size_t cnt)
{
	int *d = malloc(cnt * sizeof(*d));
	bool changed = true;
	size_t i, j;

	if (!d)
		return NULL;
	for (i = 0; i < cnt; i++)
		d[i] = i ? -1 : 0;
	/* A function runs from its entry to the next entry: propagate. */
	while (changed) {
		changed = false;
		for (i = 1; i < cnt; i++)
			if (d[i] < 0 && d[i - 1] >= 0) {
				bool entry = false;

				for (j = 0; j < cnt; j++)
					entry |= is_call(&insns[j]) && (long)j + insns[j].imm + 1 == (long)i;
				if (!entry)
					d[i] = d[i - 1], changed = true;
			}
		for (i = 0; i < cnt; i++)
			if (is_call(&insns[i]) && d[i] >= 0) {
				long t = (long)i + insns[i].imm + 1;

				if (t >= 0 && (size_t)t < cnt && (d[t] < 0 || d[t] > d[i] + 1))
					d[t] = d[i] + 1, changed = true;
			}
	}
	return d;
}

long fx__find_insn(const struct bpf_insn *insns, size_t cnt, const char *spec)
{
	char *at = strchr(spec, '@');
	int op = strtol(spec, NULL, 16), depth = at ? atoi(at + 1) : -1;
	int *d = depth >= 0 ? depths(insns, cnt) : NULL;
	long found = -1;
	size_t i;

	for (i = 0; i < cnt && found < 0; i++) {
		if (insns[i].code == op && (depth < 0 || (d && d[i] == depth)))
			found = i;
		if (insns[i].code == (BPF_LD | BPF_IMM | BPF_DW))
			i++;
	}
	free(d);
	return found;
}

/* JIT images */

struct fx_image fx__jited(int prog_fd, const char *what)
{
	struct bpf_prog_info info = {};
	struct fx_image img = {};
	__u32 len = sizeof(info);

	if (bpf_obj_get_info_by_fd(prog_fd, &info, &len) || !info.jited_prog_len)
		fail_msg("%s: no jited image: is the JIT off (net.core.bpf_jit_enable)? no JIT, no direct tail calls",
			 what);
	img.len = info.jited_prog_len;
	img.b = calloc(1, img.len);
	if (!img.b)
		fail_msg("out of memory");
	memset(&info, 0, sizeof(info));
	info.jited_prog_len = img.len;
	info.jited_prog_insns = (__u64)(unsigned long)img.b;
	info.nr_jited_ksyms = 1;
	info.jited_ksyms = (__u64)(unsigned long)&img.addr;
	len = sizeof(info);
	if (bpf_obj_get_info_by_fd(prog_fd, &info, &len))
		fail_msg("%s: reading the jited image: %s", what, strerror(errno));
	return img;
}

void fx__image_free(struct fx_image *img)
{
	free(img->b);
	img->b = NULL;
}
