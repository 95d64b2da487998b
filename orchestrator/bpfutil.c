// SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause)
#include <errno.h>
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <bpf/bpf.h>
#include <bpf/btf.h>
#include <bpf/libbpf.h>

#include "bpfutil.h"

static bool ends_with(const char *s, const char *suffix)
{
	size_t ls = strlen(s), lx = strlen(suffix);

	return ls >= lx && !strcmp(s + ls - lx, suffix);
}

/* libbpf names an internal map "<object prefix><sec>": match the end. */
static struct bpf_map *section_map(struct bpf_object *obj, const char *sec)
{
	struct bpf_map *m;

	bpf_object__for_each_map(m, obj)
		if (bpf_map__is_internal(m) && ends_with(bpf_map__name(m), sec))
			return m;
	return NULL;
}

int bpfutil__set_var(struct bpf_object *obj, const char *sec, const char *name, const void *val,
		     size_t len)
{
	struct btf *btf = bpf_object__btf(obj);
	struct bpf_map *m = section_map(obj, sec);
	const struct btf_var_secinfo *vs;
	const struct btf_type *ds, *var;
	const void *cur;
	size_t size;
	char *data;
	int id, i, err;

	if (!btf || !m)
		return -ENOENT;
	id = btf__find_by_name_kind(btf, sec, BTF_KIND_DATASEC);
	if (id < 0)
		return -ENOENT;
	ds = btf__type_by_id(btf, id);
	vs = btf_var_secinfos(ds);
	for (i = 0; i < btf_vlen(ds); i++, vs++) {
		var = btf__type_by_id(btf, vs->type);
		if (strcmp(btf__name_by_offset(btf, var->name_off), name))
			continue;
		cur = bpf_map__initial_value(m, &size);
		if (!cur || vs->size != len || vs->offset + len > size)
			return -EINVAL;
		/* libbpf 1.1 hands out its image read-only: write a copy back. */
		data = malloc(size);
		if (!data)
			return -ENOMEM;
		memcpy(data, cur, size);
		memcpy(data + vs->offset, val, len);
		err = bpf_map__set_initial_value(m, data, size);
		free(data);
		return err;
	}
	return -ENOENT;
}

int bpfutil__set_rodata(struct bpf_object *obj, const char *name, const void *val, size_t len)
{
	return bpfutil__set_var(obj, ".rodata", name, val, len);
}

struct bpf_object *bpfutil__open_prog(const char *path, const char *prog, struct bpf_program **p)
{
	struct bpf_object *obj = bpf_object__open_file(path, NULL);
	struct bpf_program *q;

	*p = NULL;
	if (!obj)
		return NULL;
	bpf_object__for_each_program(q, obj) {
		bool mine = !strcmp(bpf_program__name(q), prog);

		bpf_program__set_autoload(q, mine);
		if (mine)
			*p = q;
	}
	if (!*p) {
		bpf_object__close(obj);
		errno = ENOENT;
		return NULL;
	}
	return obj;
}

static int map_ids(int prog_fd, __u32 **ids, __u32 *n)
{
	struct bpf_prog_info info = {};
	__u32 len = sizeof(info);

	if (bpf_obj_get_info_by_fd(prog_fd, &info, &len))
		return -errno;
	*n = info.nr_map_ids;
	*ids = calloc(*n ? *n : 1, sizeof(**ids));
	if (!*ids)
		return -ENOMEM;
	memset(&info, 0, sizeof(info));
	info.nr_map_ids = *n;
	info.map_ids = (__u64)(unsigned long)*ids;
	len = sizeof(info);
	if (bpf_obj_get_info_by_fd(prog_fd, &info, &len)) {
		free(*ids);
		return -errno;
	}
	*n = info.nr_map_ids < *n ? info.nr_map_ids : *n;
	return 0;
}

static bool map_named(int fd, const char *name)
{
	struct bpf_map_info info = {};
	__u32 len = sizeof(info);

	if (bpf_obj_get_info_by_fd(fd, &info, &len))
		return false;
	if (name[0] == '.')
		return ends_with(info.name, name);
	/* The kernel keeps BPF_OBJ_NAME_LEN - 1 characters. */
	return !strncmp(info.name, name, sizeof(info.name) - 1);
}

int bpfutil__prog_map(int prog_fd, const char *name, int nth)
{
	__u32 *ids = NULL, n = 0, i;
	int fd, err = map_ids(prog_fd, &ids, &n);

	if (err)
		return err;
	for (i = 0, err = -ENOENT; i < n && err == -ENOENT; i++) {
		fd = bpf_map_get_fd_by_id(ids[i]);
		if (fd < 0) {
			err = -errno;
			break;
		}
		if (map_named(fd, name) && nth-- == 0)
			err = fd;
		else
			close(fd);
	}
	free(ids);
	return err;
}

int bpfutil__test_run(int prog_fd, struct bpfutil_run *r)
{
	LIBBPF_OPTS(bpf_test_run_opts, o, .data_in = r->data, .data_size_in = r->len,
		    .data_out = r->data_out, .data_size_out = r->data_out ? r->size_out : 0,
		    .repeat = r->repeat);

	if (bpf_prog_test_run_opts(prog_fd, &o))
		return -errno;
	r->retval = o.retval;
	r->duration = o.duration;
	r->size_out = o.data_size_out;
	return 0;
}
