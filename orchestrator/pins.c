// SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause)
#include <dirent.h>
#include <stdbool.h>
#include <errno.h>
#include <fcntl.h>
#include <libgen.h>
#include <limits.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mount.h>
#include <sys/stat.h>
#include <sys/vfs.h>
#include <unistd.h>
#include <linux/magic.h>

#include "log.h"
#include "pins.h"

const char *pins__root(void)
{
	const char *r = getenv("TAILGATE_PIN_ROOT");

	return r && *r ? r : PINS_DEFAULT_ROOT;
}

const char *pins__state_dir(void)
{
	const char *r = getenv("TAILGATE_STATE_DIR");

	return r && *r ? r : PINS_DEFAULT_STATE;
}

int pins__path(char *buf, size_t len, const char *fmt, ...)
{
	va_list ap;
	int n;

	va_start(ap, fmt);
	n = vsnprintf(buf, len, fmt, ap);
	va_end(ap);
	if (n < 0 || (size_t)n >= len)
		return -ENAMETOOLONG;
	return 0;
}

int pins__ap_dir(char *buf, size_t len, const char *ifname,
		 enum plan_hook hook)
{
	return pins__path(buf, len, "%s/%s/%s", pins__root(), ifname,
			  plan__hook_name(hook));
}

static bool is_bpffs(const char *path)
{
	struct statfs st;

	return !statfs(path, &st) && st.f_type == BPF_FS_MAGIC;
}

/* The nearest existing ancestor of the pin root (or the root itself). */
static void existing_ancestor(char *buf, size_t len)
{
	char tmp[PATH_MAX];
	struct stat st;

	snprintf(buf, len, "%s", pins__root());
	/* dirname() works in place: never print buf into itself. */
	while (stat(buf, &st) && strcmp(buf, "/") && strcmp(buf, ".")) {
		snprintf(tmp, sizeof(tmp), "%s", buf);
		snprintf(buf, len, "%s", dirname(tmp));
	}
}

/*
 * The process whose mounts outlive ours: pid 1, or where /proc/1 is hidden
 * from us (EACCES under some sandboxes and LSMs) our parent, which for
 * 'ip netns exec' or 'unshare -m' is still in the namespace we left.
 * @return its pid, or -1 when neither can be read.
 */
static int witness(void)
{
	char path[64];
	struct stat st;

	if (!stat("/proc/1/ns/mnt", &st))
		return 1;
	snprintf(path, sizeof(path), "/proc/%d/ns/mnt", (int)getppid());
	return stat(path, &st) ? -1 : (int)getppid();
}

/* Is this process in a mount namespace of its own (ip netns exec makes one)?
 * @return 1 yes, 0 no, -1 cannot tell. */
static int private_mount_ns(void)
{
	struct stat self, other;
	char path[64];
	int pid = witness();

	if (stat("/proc/self/ns/mnt", &self))
		return 0;	/* no namespaces at all */
	if (pid < 0)
		return -1;
	snprintf(path, sizeof(path), "/proc/%d/ns/mnt", pid);
	if (stat(path, &other))
		return -1;
	return self.st_ino != other.st_ino || self.st_dev != other.st_dev;
}

/* Is @path the same file system for the witness (which outlives us)? */
static bool shared_with_init(const char *path)
{
	char there[PATH_MAX + 32];
	struct stat a, b;
	int pid = witness();

	if (pid < 0)
		return false;
	snprintf(there, sizeof(there), "/proc/%d/root%s", pid, path);
	return !stat(path, &a) && !stat(there, &b) && a.st_dev == b.st_dev;
}

static int refuse_private(const char *what)
{
	pr_warn("this tailgate runs in a mount namespace of its own (ip netns exec?), where %s: pins made here die with the namespace and the datapath with them. Run tailgate in the host's mount namespace: 'nsenter --net=/run/netns/NAME tailgate ...' changes only the network namespace\n",
		what);
	return -EXDEV;
}

int pins__ensure_bpffs(void)
{
	char anc[PATH_MAX];
	int err;

	existing_ancestor(anc, sizeof(anc));
	if (is_bpffs(anc)) {
		if (private_mount_ns() == 1 && !shared_with_init(anc))
			return refuse_private("the bpffs under the pin root is not the host's");
		return 0;
	}
	/* A bpffs we mount must outlive us: not when we cannot tell either. */
	if (private_mount_ns())
		return refuse_private("no bpffs is mounted under the pin root");
	/* Never stack a bpffs on one: it would hide every pin below it. */
	if (strncmp(pins__root(), PINS_BPFFS "/", strlen(PINS_BPFFS) + 1) || is_bpffs(PINS_BPFFS)) {
		pr_warn("pin root %s is not on a bpffs; mount one there or set TAILGATE_PIN_ROOT under %s\n",
			pins__root(), PINS_BPFFS);
		return -ENOTSUP;
	}
	if (mount("bpffs", PINS_BPFFS, "bpf", 0, "mode=0700")) {
		err = -errno;
		pr_warn("bpffs is not mounted at %s and mounting it failed: %s; run 'mount -t bpf bpffs %s' as root\n",
			PINS_BPFFS, strerror(-err), PINS_BPFFS);
		return err;
	}
	pr_debug("mounted bpffs at %s\n", PINS_BPFFS);
	return 0;
}

int pins__mkdir_p(const char *path, mode_t mode)
{
	char tmp[PATH_MAX];
	char *p;

	if (pins__path(tmp, sizeof(tmp), "%s", path))
		return -ENAMETOOLONG;
	for (p = tmp + 1; *p; p++) {
		if (*p != '/')
			continue;
		*p = '\0';
		if (mkdir(tmp, mode) && errno != EEXIST)
			return -errno;
		*p = '/';
	}
	if (mkdir(tmp, mode) && errno != EEXIST)
		return -errno;
	return 0;
}

static int rm_dir_entries(const char *path)
{
	char child[PATH_MAX];
	struct dirent *de;
	int err = 0, sub;
	DIR *d;

	d = opendir(path);
	if (!d)
		return -errno;
	while ((de = readdir(d))) {
		if (!strcmp(de->d_name, ".") || !strcmp(de->d_name, ".."))
			continue;
		if (pins__path(child, sizeof(child), "%s/%s", path, de->d_name)) {
			err = -ENAMETOOLONG;
			continue;
		}
		sub = pins__rm_rf(child);
		if (sub)
			err = sub;
	}
	closedir(d);
	return err;
}

int pins__rm_rf(const char *path)
{
	struct stat st;
	int err;

	if (lstat(path, &st))
		return errno == ENOENT ? 0 : -errno;
	if (S_ISDIR(st.st_mode)) {
		err = rm_dir_entries(path);
		if (rmdir(path) && errno != ENOENT)
			return -errno;
		return err;
	}
	if (unlink(path) && errno != ENOENT)
		return -errno;
	return 0;
}

