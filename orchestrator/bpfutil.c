// SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause)
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <bpf/bpf.h>
#include <bpf/btf.h>
#include <bpf/libbpf.h>

#include "bpfutil.h"

static struct bpf_map *rodata_map(struct bpf_object *obj)
{
	struct bpf_map *m;
	size_t n;

	bpf_object__for_each_map(m, obj) {
		n = strlen(bpf_map__name(m));
		/* libbpf names it "<obj prefix>.rodata" */
		if (bpf_map__is_internal(m) && n >= 7 &&
		    !strcmp(bpf_map__name(m) + n - 7, ".rodata"))
			return m;
	}
	return NULL;
}

int bpfutil__set_rodata(struct bpf_object *obj, const char *var, const void *val, size_t len)
{
	struct btf *btf = bpf_object__btf(obj);
	struct bpf_map *m = rodata_map(obj);
	const struct btf_var_secinfo *vs;
	const struct btf_type *sec, *t;
	const void *cur;
	size_t sz;
	char *data;
	int id, i, err;

	id = btf && m ? btf__find_by_name_kind(btf, ".rodata", BTF_KIND_DATASEC) : -ENOENT;
	if (id < 0)
		return -ENOENT;
	sec = btf__type_by_id(btf, id);
	vs = btf_var_secinfos(sec);
	for (i = 0; i < btf_vlen(sec); i++, vs++) {
		t = btf__type_by_id(btf, vs->type);
		if (strcmp(btf__name_by_offset(btf, t->name_off), var))
			continue;
		cur = bpf_map__initial_value(m, &sz);
		if (!cur || vs->size != len || vs->offset + len > sz)
			return -EINVAL;
		data = malloc(sz);
		if (!data)
			return -ENOMEM;
		memcpy(data, cur, sz);
		memcpy(data + vs->offset, val, len);
		err = bpf_map__set_initial_value(m, data, sz);
		free(data);
		return err;
	}
	return -ENOENT;
}

int bpfutil__test_run(int prog_fd, const void *pkt, __u32 len, __u32 repeat, __u32 *retval,
		      __u32 *duration_ns)
{
	LIBBPF_OPTS(bpf_test_run_opts, o, .data_in = pkt, .data_size_in = len, .repeat = repeat);

	if (bpf_prog_test_run_opts(prog_fd, &o))
		return -errno;
	*retval = o.retval;
	if (duration_ns)
		*duration_ns = o.duration;
	return 0;
}
