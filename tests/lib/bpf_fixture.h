/* SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause) */
/*
 * BPF_PROG_TEST_RUN fixture for tailgate's datapath, with libbpf only (no
 * orchestrator code): the kernel selftests' tailcalls.c fill-run-delete
 * pattern.
 *
 * One fixture is one attach point: its own "slots" prog array and "stats"
 * per-CPU array, created here, and a dispatcher plus any number of stages
 * loaded onto those maps (bpf_map__reuse_fd) with their rodata slots set
 * before load. A prog array takes the program type of the first program
 * loaded against it, so a fixture is either XDP or tc, never both.
 *
 * Header-only on purpose: the Makefile builds each tests/bpf/test_*.c from
 * that one source file, so helpers must come in through #include.
 */
#ifndef __TAILGATE_BPF_FIXTURE_H
#define __TAILGATE_BPF_FIXTURE_H

#include <errno.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <arpa/inet.h>
#include <bpf/bpf.h>
#include <bpf/btf.h>
#include <bpf/libbpf.h>

#include "../../bpf/include/tailgate_abi.h"

#define FX_MAX_OBJS	8
#define FX_PKT_LEN	64

struct fx {
	bool ready;			/* maps created: fx__fini has work */
	bool xdp;			/* XDP programs, else tc */
	int slots_fd;
	int stats_fd;
	int dispatch_fd;		/* program every run enters through */
	int nr_objs;
	struct bpf_object *objs[FX_MAX_OBJS];
	char err[1024];			/* why the last call failed */
};

/* Directory of the project's BPF objects; test-only ones live beside it. */
static inline const char *fx__bpf_dir(void)
{
	const char *d = getenv("TAILGATE_BPF_DIR");

	return d && *d ? d : "build/bpf";
}

static inline const char *fx__test_bpf_dir(void)
{
	const char *d = getenv("TAILGATE_TEST_BPF_DIR");

	return d && *d ? d : "build/tests/bpf";
}

/* Internal map of @obj whose name ends in @suffix (".rodata", ".data"). */
static inline struct bpf_map *fx__internal_map(struct bpf_object *obj,
					       const char *suffix)
{
	size_t ls = strlen(suffix), ln;
	struct bpf_map *m;
	const char *n;

	bpf_object__for_each_map(m, obj) {
		n = bpf_map__name(m);
		ln = strlen(n);
		if (bpf_map__is_internal(m) && ln >= ls &&
		    !strcmp(n + ln - ls, suffix))
			return m;
	}
	return NULL;
}

/*
 * Set the u32 global @var in data section @sec (".rodata", ".data") of an
 * opened, not yet loaded object. The offset comes from the BTF DATASEC,
 * which libbpf has fixed up at open time; the value goes straight into the
 * section's initial image that libbpf loads.
 * @return 0 or negative errno (-ENOENT: no such variable)
 */
static inline int fx__set_var_u32(struct bpf_object *obj, const char *sec,
				  const char *var, __u32 val)
{
	const struct btf_var_secinfo *vs;
	const struct btf_type *ds, *t;
	struct btf *btf = bpf_object__btf(obj);
	struct bpf_map *m = fx__internal_map(obj, sec);
	size_t sz;
	char *data;
	int id, i;

	if (!btf || !m)
		return -ENOENT;
	id = btf__find_by_name_kind(btf, sec, BTF_KIND_DATASEC);
	if (id < 0)
		return -ENOENT;
	ds = btf__type_by_id(btf, id);
	vs = btf_var_secinfos(ds);
	for (i = 0; i < btf_vlen(ds); i++, vs++) {
		t = btf__type_by_id(btf, vs->type);
		if (strcmp(btf__name_by_offset(btf, t->name_off), var))
			continue;
		data = (char *)bpf_map__initial_value(m, &sz);
		if (!data || vs->size != sizeof(val) ||
		    vs->offset + sizeof(val) > sz)
			return -EINVAL;
		memcpy(data + vs->offset, &val, sizeof(val));
		return 0;
	}
	return -ENOENT;
}

static inline int set_rodata_u32(struct bpf_object *obj, const char *var,
				 __u32 val)
{
	return fx__set_var_u32(obj, ".rodata", var, val);
}

/* @return 0 or negative errno; fx->err says why */
static inline int fx__init(struct fx *fx, bool xdp)
{
	int err;

	memset(fx, 0, sizeof(*fx));
	fx->xdp = xdp;
	fx->dispatch_fd = -1;
	fx->slots_fd = bpf_map_create(BPF_MAP_TYPE_PROG_ARRAY, TG_MAP_SLOTS,
				      sizeof(__u32), sizeof(__u32),
				      TG_NR_SLOTS, NULL);
	if (fx->slots_fd < 0) {
		err = -errno;
		snprintf(fx->err, sizeof(fx->err), "create slots: %s",
			 strerror(-err));
		return err;
	}
	fx->stats_fd = bpf_map_create(BPF_MAP_TYPE_PERCPU_ARRAY, TG_MAP_STATS,
				      sizeof(__u32), sizeof(struct tg_stats),
				      TG_NR_SLOTS, NULL);
	if (fx->stats_fd < 0) {
		err = -errno;
		snprintf(fx->err, sizeof(fx->err), "create stats: %s",
			 strerror(-err));
		close(fx->slots_fd);
		return err;
	}
	fx->ready = true;
	return 0;
}

/*
 * Empty every slot first (fill-run-delete): the prog array holds the
 * programs, the programs hold the array; the kernel also breaks that cycle
 * when the last fd goes, but a test should not rely on it.
 */
static inline void fx__fini(struct fx *fx)
{
	__u32 k;
	int i;

	if (!fx || !fx->ready)
		return;
	for (k = 0; k < TG_NR_SLOTS; k++)
		bpf_map_delete_elem(fx->slots_fd, &k);
	for (i = 0; i < fx->nr_objs; i++)
		bpf_object__close(fx->objs[i]);
	close(fx->slots_fd);
	close(fx->stats_fd);
	memset(fx, 0, sizeof(*fx));
}

struct fx_var {
	const char *sec;		/* ".rodata" or ".data" */
	const char *name;
	__u32 val;
};

/*
 * Open @dir/@file, point its slots/stats at the fixture's when @bind
 * (else the object must not use them), set @vars, keep only program
 * @xdp_prog or @tc_prog (per the fixture's hook) and load.
 * @return the loaded program's fd (owned by the fixture), or negative errno
 */
static inline int fx__load_obj(struct fx *fx, const char *dir,
			       const char *file, const char *xdp_prog,
			       const char *tc_prog, const struct fx_var *vars,
			       int nr_vars, bool bind, struct bpf_object **objp)
{
	const char *want = fx->xdp ? xdp_prog : tc_prog;
	struct bpf_program *p, *keep = NULL;
	struct bpf_object *obj;
	struct bpf_map *m;
	char path[512];
	int err, i;

	if (fx->nr_objs == FX_MAX_OBJS)
		return -ENOSPC;
	snprintf(path, sizeof(path), "%s/%s", dir, file);
	obj = bpf_object__open_file(path, NULL);
	if (!obj) {
		err = -errno;
		snprintf(fx->err, sizeof(fx->err),
			 "open %s: %s (run 'make bpf' from the repo root, or set TAILGATE_BPF_DIR)",
			 path, strerror(-err));
		return err;
	}
	err = -ENOENT;
	m = bpf_object__find_map_by_name(obj, TG_MAP_SLOTS);
	if (bind && (!m || (err = bpf_map__reuse_fd(m, fx->slots_fd))))
		goto out_close;
	m = bpf_object__find_map_by_name(obj, TG_MAP_STATS);
	if (bind && (!m || (err = bpf_map__reuse_fd(m, fx->stats_fd))))
		goto out_close;
	for (i = 0; i < nr_vars; i++) {
		err = fx__set_var_u32(obj, vars[i].sec, vars[i].name,
				      vars[i].val);
		if (err) {
			snprintf(fx->err, sizeof(fx->err), "%s: set %s %s: %s",
				 path, vars[i].sec, vars[i].name,
				 strerror(-err));
			goto out_close_quiet;
		}
	}
	bpf_object__for_each_program(p, obj) {
		bool mine = !strcmp(bpf_program__name(p), want);

		bpf_program__set_autoload(p, mine);
		if (mine)
			keep = p;
	}
	err = -ENOENT;
	if (!keep)
		goto out_close;
	err = bpf_object__load(obj);
	if (err)
		goto out_close;
	fx->objs[fx->nr_objs++] = obj;
	if (objp)
		*objp = obj;
	return bpf_program__fd(keep);

out_close:
	snprintf(fx->err, sizeof(fx->err), "%s: program %s: %s", path, want,
		 strerror(-err));
out_close_quiet:
	bpf_object__close(obj);
	return err;
}

/* A program on the attach point's slots/stats (a stage, a dispatcher). */
static inline int fx__load(struct fx *fx, const char *dir, const char *file,
			   const char *xdp_prog, const char *tc_prog,
			   const struct fx_var *vars, int nr_vars,
			   struct bpf_object **objp)
{
	return fx__load_obj(fx, dir, file, xdp_prog, tc_prog, vars, nr_vars,
			    true, objp);
}

/*
 * A plain program that knows nothing of tailgate (a third-party stage, a
 * test stub): nothing bound, nothing set.
 */
static inline int fx__load_plain(struct fx *fx, const char *dir,
				 const char *file, const char *xdp_prog,
				 const char *tc_prog, struct bpf_object **objp)
{
	return fx__load_obj(fx, dir, file, xdp_prog, tc_prog, NULL, 0, false,
			    objp);
}

/* A TG_STAGE() program: @name for XDP, @name_tc for tc. */
static inline int fx__load_stage(struct fx *fx, const char *dir,
				 const char *name, __u32 self, __u32 next,
				 __u32 fail_closed, struct bpf_object **objp)
{
	const struct fx_var vars[] = {
		{ ".rodata", "tg_self_slot", self },
		{ ".rodata", "tg_next_slot", next },
		{ ".rodata", "tg_fail_closed", fail_closed },
	};
	char file[128], tc[128];

	snprintf(file, sizeof(file), "%s.bpf.o", name);
	snprintf(tc, sizeof(tc), "%s_tc", name);
	return fx__load(fx, dir, file, name, tc, vars, 3, objp);
}

/* (Re)load the dispatcher; runs enter through the latest one. */
static inline int fx__load_dispatcher(struct fx *fx, __u32 fail_closed)
{
	const struct fx_var var = { ".rodata", "tg_fail_closed", fail_closed };
	int fd;

	fd = fx__load(fx, fx__bpf_dir(), "dispatcher.bpf.o", "tg_dispatch_xdp",
		      "tg_dispatch_tc", &var, 1, NULL);
	if (fd >= 0)
		fx->dispatch_fd = fd;
	return fd;
}

static inline int fx__set_slot(struct fx *fx, __u32 slot, int prog_fd)
{
	return bpf_map_update_elem(fx->slots_fd, &slot, &prog_fd, BPF_ANY) ?
		       -errno : 0;
}

static inline int fx__clear_slot(struct fx *fx, __u32 slot)
{
	return bpf_map_delete_elem(fx->slots_fd, &slot) ? -errno : 0;
}

/*
 * Run @pkt through @prog_fd @repeat times. test_run wants at least ETH_HLEN
 * bytes (tc: plus a whole IPv4/IPv6 header when the EtherType says so).
 * @return 0 or negative errno; *retval = program return code
 */
static inline int fx__run_prog(struct fx *fx, int prog_fd, const void *pkt,
			       __u32 len, __u32 repeat, __u32 *retval)
{
	LIBBPF_OPTS(bpf_test_run_opts, opts, .data_in = pkt,
		    .data_size_in = len, .repeat = repeat);

	if (bpf_prog_test_run_opts(prog_fd, &opts))
		return -errno;
	*retval = opts.retval;
	return 0;
}

/*
 * fx__run_prog, and the packet as the program left it into @out (up to
 * @out_cap bytes; *@out_len: its length).
 */
static inline int fx__run_prog_out(int prog_fd, const void *pkt, __u32 len,
				   void *out, __u32 out_cap, __u32 *out_len,
				   __u32 *retval)
{
	LIBBPF_OPTS(bpf_test_run_opts, opts, .data_in = pkt,
		    .data_size_in = len, .data_out = out,
		    .data_size_out = out_cap, .repeat = 1);

	if (bpf_prog_test_run_opts(prog_fd, &opts))
		return -errno;
	*out_len = opts.data_size_out;
	*retval = opts.retval;
	return 0;
}

static inline int fx__run(struct fx *fx, const void *pkt, __u32 len,
			  __u32 repeat, __u32 *retval)
{
	return fx__run_prog(fx, fx->dispatch_fd, pkt, len, repeat, retval);
}

/* Counters of @slot summed over all possible CPUs. */
static inline int fx__stats(struct fx *fx, __u32 slot, struct tg_stats *sum)
{
	int ncpu = libbpf_num_possible_cpus(), c;
	struct tg_stats *v;

	memset(sum, 0, sizeof(*sum));
	if (ncpu <= 0)
		return ncpu ?: -EINVAL;
	v = calloc(ncpu, sizeof(*v));
	if (!v)
		return -ENOMEM;
	if (bpf_map_lookup_elem(fx->stats_fd, &slot, v)) {
		free(v);
		return -errno;
	}
	for (c = 0; c < ncpu; c++) {
		sum->packets += v[c].packets;
		sum->bytes += v[c].bytes;
		sum->pass += v[c].pass;
		sum->drop += v[c].drop;
		sum->aborted += v[c].aborted;
		sum->tx += v[c].tx;
		sum->redirect += v[c].redirect;
		sum->continued += v[c].continued;
		sum->tail_miss += v[c].tail_miss;
	}
	free(v);
	return 0;
}

/*
 * Program info arrays of the loaded program: @what is "jited" (machine
 * code as it is in memory now, including text patched since load) or
 * "xlated" (BPF insns after the verifier). Caller frees *buf.
 */
static inline int fx__prog_image(int prog_fd, bool jited, void **buf,
				 __u32 *len)
{
	struct bpf_prog_info info = {};
	__u32 ilen = sizeof(info), n;

	if (bpf_obj_get_info_by_fd(prog_fd, &info, &ilen))
		return -errno;
	n = jited ? info.jited_prog_len : info.xlated_prog_len;
	if (!n)
		return -ENODATA;
	*buf = calloc(1, n);
	if (!*buf)
		return -ENOMEM;
	memset(&info, 0, sizeof(info));
	ilen = sizeof(info);
	if (jited) {
		info.jited_prog_len = n;
		info.jited_prog_insns = (__u64)(unsigned long)*buf;
	} else {
		info.xlated_prog_len = n;
		info.xlated_prog_insns = (__u64)(unsigned long)*buf;
	}
	if (bpf_obj_get_info_by_fd(prog_fd, &info, &ilen)) {
		free(*buf);
		*buf = NULL;
		return -errno;
	}
	*len = n;
	return 0;
}

/* Packet builder: 64-byte frames, no pcap files. */

static const __u8 fx_mac_dst[6] = { 0x02, 0x00, 0x00, 0x00, 0x00, 0x02 };
static const __u8 fx_mac_src[6] = { 0x02, 0x00, 0x00, 0x00, 0x00, 0x01 };

static inline __u16 fx__csum(const void *p, size_t n)
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

/* FX_QINQ | vid: an 802.1ad outer tag in front of the 802.1Q one. */
#define FX_QINQ 0x8000

/* Ethernet header, one 802.1Q tag when @vlan != 0 (two with FX_QINQ);
 * @return L3 offset. */
static inline size_t fx__eth(__u8 *b, __u16 proto, __u16 vlan)
{
	size_t off = 12;

	memcpy(b, fx_mac_dst, 6);
	memcpy(b + 6, fx_mac_src, 6);
	if (vlan & FX_QINQ) {
		b[off++] = 0x88;
		b[off++] = 0xa8;
		b[off++] = 0;
		b[off++] = 7;		/* outer (service) vid 7 */
	}
	if (vlan) {
		b[off++] = 0x81;
		b[off++] = 0x00;
		b[off++] = vlan >> 8 & 0x0f;
		b[off++] = vlan & 0xff;
	}
	b[off++] = proto >> 8;
	b[off++] = proto & 0xff;
	return off;
}

static inline void fx__udp(__u8 *b, size_t len)
{
	b[0] = 0x9c; b[1] = 0x40;	/* sport 40000 */
	b[2] = 0x00; b[3] = 0x35;	/* dport 53 */
	b[4] = len >> 8; b[5] = len & 0xff;
	/* checksum 0: "none" for IPv4; nobody verifies it in these tests */
}

/* Ethernet(+VLAN)+IPv4+UDP, FX_PKT_LEN bytes; @return length or 0. */
static inline size_t pkt_ipv4_udp(__u8 *b, const char *saddr,
				  const char *daddr, __u16 vlan)
{
	size_t l3;
	__u8 *ip;

	memset(b, 0, FX_PKT_LEN);
	l3 = fx__eth(b, 0x0800, vlan);
	ip = b + l3;
	ip[0] = 0x45;
	ip[2] = (FX_PKT_LEN - l3) >> 8;
	ip[3] = (FX_PKT_LEN - l3) & 0xff;
	ip[8] = 64;			/* ttl */
	ip[9] = 17;			/* udp */
	if (inet_pton(AF_INET, saddr, ip + 12) != 1 ||
	    inet_pton(AF_INET, daddr, ip + 16) != 1)
		return 0;
	memcpy(ip + 10, (__u16[]){ fx__csum(ip, 20) }, 2);
	fx__udp(ip + 20, FX_PKT_LEN - l3 - 20);
	return FX_PKT_LEN;
}

/* Ethernet+IPv6+UDP, FX_PKT_LEN bytes; @return length or 0. */
static inline size_t pkt_ipv6_udp(__u8 *b, const char *saddr,
				  const char *daddr)
{
	size_t l3, plen;
	__u8 *ip;

	memset(b, 0, FX_PKT_LEN);
	l3 = fx__eth(b, 0x86dd, 0);
	ip = b + l3;
	plen = FX_PKT_LEN - l3 - 40;
	ip[0] = 0x60;
	ip[4] = plen >> 8;
	ip[5] = plen & 0xff;
	ip[6] = 17;			/* next header: udp */
	ip[7] = 64;			/* hop limit */
	if (inet_pton(AF_INET6, saddr, ip + 8) != 1 ||
	    inet_pton(AF_INET6, daddr, ip + 24) != 1)
		return 0;
	fx__udp(ip + 40, plen);
	return FX_PKT_LEN;
}

/* Ethernet+ARP request (who-has @tpa tell @spa), padded to FX_PKT_LEN. */
static inline size_t pkt_arp(__u8 *b, const char *spa, const char *tpa)
{
	static const __u8 hdr[8] = { 0, 1, 0x08, 0, 6, 4, 0, 1 };
	__u8 *a;

	memset(b, 0, FX_PKT_LEN);
	memset(b, 0xff, 6);
	memcpy(b + 6, fx_mac_src, 6);
	b[12] = 0x08;
	b[13] = 0x06;
	a = b + 14;
	memcpy(a, hdr, sizeof(hdr));
	memcpy(a + 8, fx_mac_src, 6);
	if (inet_pton(AF_INET, spa, a + 14) != 1 ||
	    inet_pton(AF_INET, tpa, a + 24) != 1)
		return 0;
	return FX_PKT_LEN;
}

#endif /* __TAILGATE_BPF_FIXTURE_H */
