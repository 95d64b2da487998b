// SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause)
#include <dirent.h>
#include <errno.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <bpf/bpf.h>
#include <bpf/libbpf.h>

#include "files.h"
#include "log.h"
#include "pins.h"
#include "snapshot.h"

#define SNAP_MAGIC	"tailgate-snapshot 1"
#define SNAP_MAX	(256u << 20)

struct snap_hdr {
	char magic[24];
	__u32 type, key_size, value_size, max_entries, flags, ncpus;
	__u64 count;
};

static bool per_cpu(__u32 type)
{
	return type == BPF_MAP_TYPE_PERCPU_ARRAY || type == BPF_MAP_TYPE_PERCPU_HASH ||
	       type == BPF_MAP_TYPE_LRU_PERCPU_HASH;
}

/* Bytes of one value as user space reads it. */
static size_t value_bytes(const struct bpf_map_info *mi, int ncpus)
{
	return per_cpu(mi->type) ? ((mi->value_size + 7) & ~7u) * (size_t)ncpus : mi->value_size;
}

static int snap_path(char *buf, size_t len, const char *ifname, enum plan_hook hook, const char *map)
{
	return pins__path(buf, len, "%s/snapshots/%s.%s%s%s", pins__state_dir(), ifname,
			  plan__hook_name(hook), map ? "/" : "", map ? map : "");
}

static bool iterable(__u32 type)
{
	return type == BPF_MAP_TYPE_ARRAY || type == BPF_MAP_TYPE_HASH ||
	       type == BPF_MAP_TYPE_LRU_HASH || type == BPF_MAP_TYPE_LPM_TRIE || per_cpu(type);
}

static int save_map(const char *path, int fd, const struct bpf_map_info *mi)
{
	int ncpus = libbpf_num_possible_cpus();
	size_t vb = value_bytes(mi, ncpus), rec = mi->key_size + vb, cap = 0, len;
	struct snap_hdr *h;
	char *buf = NULL, *key, *next, *p;
	int err;

	if (!iterable(mi->type))
		return -EOPNOTSUPP;
	cap = sizeof(*h) + rec * (size_t)mi->max_entries;
	if (cap > SNAP_MAX)
		return -EFBIG;
	buf = calloc(1, cap + 2 * mi->key_size);
	if (!buf)
		return -ENOMEM;
	h = (struct snap_hdr *)buf;
	snprintf(h->magic, sizeof(h->magic), "%s", SNAP_MAGIC);
	h->type = mi->type;
	h->key_size = mi->key_size;
	h->value_size = mi->value_size;
	h->max_entries = mi->max_entries;
	h->flags = mi->map_flags;
	h->ncpus = ncpus;
	key = buf + cap;
	next = key + mi->key_size;
	p = buf + sizeof(*h);
	for (err = bpf_map_get_next_key(fd, NULL, next); !err && h->count < mi->max_entries;
	     err = bpf_map_get_next_key(fd, key, next)) {
		memcpy(key, next, mi->key_size);
		memcpy(p, key, mi->key_size);
		if (bpf_map_lookup_elem(fd, key, p + mi->key_size))
			continue;	/* deleted meanwhile */
		p += rec;
		h->count++;
	}
	len = p - buf;
	err = files__write(path, buf, len);
	free(buf);
	return err;
}

int snapshot__save(const char *ifname, enum plan_hook hook, const char *maps_dir, int *nr_maps)
{
	char dir[PATH_MAX], path[PATH_MAX], pin[PATH_MAX];
	struct bpf_map_info mi;
	struct dirent *de;
	__u32 len;
	DIR *d;
	int fd, err = 0;

	*nr_maps = 0;
	d = opendir(maps_dir);
	if (!d)
		return errno == ENOENT ? 0 : -errno;
	if (snap_path(dir, sizeof(dir), ifname, hook, NULL) || files__mkdir("snapshots") ||
	    pins__mkdir_p(dir, 0700)) {
		closedir(d);
		return -EIO;
	}
	while ((de = readdir(d))) {
		if (de->d_name[0] == '.' || pins__path(pin, sizeof(pin), "%s/%s", maps_dir, de->d_name) ||
		    snap_path(path, sizeof(path), ifname, hook, de->d_name))
			continue;
		fd = bpf_obj_get(pin);
		if (fd < 0)
			continue;
		memset(&mi, 0, sizeof(mi));
		len = sizeof(mi);
		if (!bpf_obj_get_info_by_fd(fd, &mi, &len)) {
			int e = save_map(path, fd, &mi);

			if (e && e != -EOPNOTSUPP)
				err = e;
			else if (!e)
				(*nr_maps)++;
		}
		close(fd);
	}
	closedir(d);
	return err;
}

int snapshot__load(const char *ifname, enum plan_hook hook, const char *name, int fd)
{
	int ncpus = libbpf_num_possible_cpus();
	struct bpf_map_info mi = {};
	__u32 len = sizeof(mi);
	char path[PATH_MAX], *buf, *p;
	struct snap_hdr *h;
	size_t size, rec;
	__u64 i;
	int err = 0;

	if (snap_path(path, sizeof(path), ifname, hook, name))
		return -ENAMETOOLONG;
	buf = files__read(path, SNAP_MAX, &size);
	if (!buf)
		return errno == ENOENT ? 0 : -errno;
	if (bpf_obj_get_info_by_fd(fd, &mi, &len)) {
		free(buf);
		return -errno;
	}
	h = (struct snap_hdr *)buf;
	rec = mi.key_size + value_bytes(&mi, ncpus);
	if (size < sizeof(*h) || strncmp(h->magic, SNAP_MAGIC, sizeof(h->magic)) ||
	    h->type != mi.type || h->key_size != mi.key_size || h->value_size != mi.value_size ||
	    h->max_entries != mi.max_entries || h->flags != mi.map_flags ||
	    (per_cpu(mi.type) && h->ncpus != (__u32)ncpus) || size != sizeof(*h) + h->count * rec) {
		pr_warn("%s/%s: the snapshot of kept map '%s' does not match the map's layout (or is damaged); the map starts empty\n",
			ifname, plan__hook_name(hook), name);
		free(buf);
		return -EPROTO;
	}
	for (i = 0, p = buf + sizeof(*h); i < h->count && !err; i++, p += rec)
		if (bpf_map_update_elem(fd, p, p + mi.key_size, BPF_ANY))
			err = -errno;
	free(buf);
	return err ?: (int)h->count;
}
