// SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause)
#include <errno.h>
#include <fcntl.h>
#include <libgen.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "files.h"
#include "log.h"
#include "pins.h"

#define RESERVE_FILE	"reserve"
#define RESERVE_BYTES	(1u << 20)

bool files__is_full(int err)
{
	return err == -ENOSPC || err == -EDQUOT;
}

int files__path(char *buf, size_t len, const char *rel)
{
	return pins__path(buf, len, "%s/%s", pins__state_dir(), rel);
}

/* Owned by us, not writable by group or others. */
static int check_mode(const struct stat *st, const char *path, bool dir)
{
	if (dir ? !S_ISDIR(st->st_mode) : !S_ISREG(st->st_mode)) {
		pr_warn("%s is not a %s; move it away (tailgate keeps its state there)\n", path,
			dir ? "directory" : "regular file");
		return dir ? -ENOTDIR : -EINVAL;
	}
	if (st->st_uid != geteuid() || (st->st_mode & (S_IWGRP | S_IWOTH))) {
		pr_warn("%s is owned by uid %u with mode %04o: tailgate's state must be root's alone (owner %u, not writable by group or others); fix it with chown %u and chmod go-w, or set TAILGATE_STATE_DIR\n",
			path, (unsigned int)st->st_uid, (unsigned int)(st->st_mode & 07777),
			(unsigned int)geteuid(), (unsigned int)geteuid());
		return -EPERM;
	}
	return 0;
}

/*
 * The directories below hold the records: one others can write lets them
 * swap root's own files (a rejected generation's record for a promoted
 * one's). They are checked as the state directory is, wherever they exist.
 */
static int check_subdirs(void)
{
	static const char *const subdirs[] = { "gens", "store", "aps", "snapshots" };
	char path[PATH_MAX];
	struct stat st;
	size_t i;
	int err;

	for (i = 0; i < sizeof(subdirs) / sizeof(subdirs[0]); i++) {
		if (files__path(path, sizeof(path), subdirs[i]))
			return -ENAMETOOLONG;
		if (lstat(path, &st))
			continue;
		err = check_mode(&st, path, true);
		if (err)
			return err;
	}
	return 0;
}

int files__check_state_dir(bool create)
{
	const char *dir = pins__state_dir();
	struct stat st;
	int err;

	if (lstat(dir, &st)) {
		err = -errno;
		if (err != -ENOENT || !create) {
			if (err != -ENOENT)
				pr_warn("state directory %s: %s\n", dir, strerror(-err));
			return err;
		}
		err = pins__mkdir_p(dir, 0700);
		if (err) {
			pr_warn("cannot create the state directory %s: %s\n", dir, strerror(-err));
			return err;
		}
		if (lstat(dir, &st))
			return -errno;
	}
	if (S_ISLNK(st.st_mode)) {
		pr_warn("state directory %s is a symlink; point TAILGATE_STATE_DIR at the real directory\n",
			dir);
		return -ELOOP;
	}
	err = check_mode(&st, dir, true);
	return err ?: check_subdirs();
}

int files__mkdir(const char *rel)
{
	char path[PATH_MAX];
	struct stat st;
	int err;

	if (files__path(path, sizeof(path), rel))
		return -ENAMETOOLONG;
	if (mkdir(path, 0700) && errno != EEXIST)
		return -errno;
	if (lstat(path, &st))
		return -errno;
	err = check_mode(&st, path, true);
	return err;
}

int files__open_regular(const char *path)
{
	struct stat st;
	int fd, err;

	/* O_NONBLOCK: opening a FIFO must not wait for a writer. */
	fd = open(path, O_RDONLY | O_CLOEXEC | O_NOFOLLOW | O_NONBLOCK | O_NOCTTY);
	if (fd < 0)
		return -errno;
	if (fstat(fd, &st)) {
		err = -errno;
		close(fd);
		return err;
	}
	if (!S_ISREG(st.st_mode)) {
		close(fd);
		return -EINVAL;
	}
	/* Regular files never block; clear it for plain reads. */
	fcntl(fd, F_SETFL, 0);
	return fd;
}

char *files__read(const char *path, size_t max, size_t *len)
{
	struct stat st;
	char *buf;
	ssize_t n;
	int fd, err;

	fd = files__open_regular(path);
	if (fd < 0) {
		errno = -fd;
		return NULL;
	}
	if (fstat(fd, &st)) {
		err = errno;
		goto out_close;
	}
	if (st.st_uid != geteuid() || (st.st_mode & (S_IWGRP | S_IWOTH))) {
		check_mode(&st, path, false);
		err = EPERM;
		goto out_close;
	}
	if ((size_t)st.st_size > max) {
		err = EFBIG;
		goto out_close;
	}
	buf = malloc(st.st_size + 1);
	if (!buf) {
		err = ENOMEM;
		goto out_close;
	}
	n = read(fd, buf, st.st_size);
	close(fd);
	if (n != st.st_size) {
		free(buf);
		errno = EIO;
		return NULL;
	}
	buf[n] = '\0';
	if (len)
		*len = n;
	return buf;

out_close:
	close(fd);
	errno = err;
	return NULL;
}

char *files__read_tail(const char *path, size_t max, size_t *len)
{
	struct stat st;
	char *buf, *nl;
	off_t from = 0;
	ssize_t n;
	int fd, err;

	fd = files__open_regular(path);
	if (fd < 0) {
		errno = -fd;
		return NULL;
	}
	if (fstat(fd, &st)) {
		err = errno;
		goto out_close;
	}
	if (st.st_uid != geteuid() || (st.st_mode & (S_IWGRP | S_IWOTH))) {
		check_mode(&st, path, false);
		err = EPERM;
		goto out_close;
	}
	if ((size_t)st.st_size > max)
		from = st.st_size - max;
	buf = malloc(st.st_size - from + 1);
	if (!buf) {
		err = ENOMEM;
		goto out_close;
	}
	n = pread(fd, buf, st.st_size - from, from);
	close(fd);
	if (n != st.st_size - from) {
		free(buf);
		errno = EIO;
		return NULL;
	}
	buf[n] = '\0';
	/* Cut into a line: start at the next whole one. */
	if (from && buf[0] != '\n' && (nl = strchr(buf, '\n'))) {
		n -= nl + 1 - buf;
		memmove(buf, nl + 1, n + 1);
	}
	if (len)
		*len = n;
	return buf;

out_close:
	close(fd);
	errno = err;
	return NULL;
}

static int release_reserve(void)
{
	char path[PATH_MAX];

	if (files__path(path, sizeof(path), RESERVE_FILE) || unlink(path))
		return -ENOSPC;
	pr_warn("the state file system is full: released tailgate's reserve to record this change; free space under %s\n",
		pins__state_dir());
	return 0;
}

static int fsync_dir_of(const char *path)
{
	char tmp[PATH_MAX];
	int fd, err = 0;

	snprintf(tmp, sizeof(tmp), "%s", path);
	fd = open(dirname(tmp), O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	if (fd < 0)
		return -errno;
	if (fsync(fd))
		err = -errno;
	close(fd);
	return err;
}

static int write_once(const char *path, const void *data, size_t len)
{
	char tmp[PATH_MAX];
	ssize_t n;
	int fd, err;

	if (pins__path(tmp, sizeof(tmp), "%s.tmp.%d", path, getpid()))
		return -ENAMETOOLONG;
	fd = open(tmp, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC | O_NOFOLLOW, 0600);
	if (fd < 0)
		return -errno;
	n = write(fd, data, len);
	if (n < 0 || (size_t)n != len) {
		err = n < 0 ? -errno : -ENOSPC;
		goto out_unlink;
	}
	if (fsync(fd)) {
		err = -errno;
		goto out_unlink;
	}
	close(fd);
	fd = -1;
	if (rename(tmp, path)) {
		err = -errno;
		goto out_unlink;
	}
	return fsync_dir_of(path);

out_unlink:
	if (fd >= 0)
		close(fd);
	unlink(tmp);
	return err;
}

int files__write(const char *path, const void *data, size_t len)
{
	int err = write_once(path, data, len);

	if (files__is_full(err) && !release_reserve())
		err = write_once(path, data, len);
	return err;
}

static int append_once(const char *path, const void *data, size_t len)
{
	struct stat st;
	ssize_t n;
	int fd, err = 0;

	fd = open(path, O_WRONLY | O_APPEND | O_CREAT | O_CLOEXEC | O_NOFOLLOW | O_NONBLOCK, 0600);
	if (fd < 0)
		return -errno;
	if (fstat(fd, &st) || !S_ISREG(st.st_mode)) {
		close(fd);
		return -EINVAL;
	}
	n = write(fd, data, len);
	if (n < 0 || (size_t)n != len) {
		err = n < 0 ? -errno : -ENOSPC;
		/* A torn line would corrupt the next reader's view: cut it. */
		if (n > 0 && ftruncate(fd, st.st_size))
			err = -errno;
	} else if (fsync(fd)) {
		err = -errno;
	}
	close(fd);
	return err;
}

int files__append(const char *path, const void *data, size_t len)
{
	int err = append_once(path, data, len);

	if (files__is_full(err) && !release_reserve())
		err = append_once(path, data, len);
	return err;
}

int files__remove(const char *path)
{
	if (unlink(path) && errno != ENOENT)
		return -errno;
	return 0;
}

int files__reserve(void)
{
	char path[PATH_MAX];
	struct stat st;
	int fd, err = 0;

	if (files__path(path, sizeof(path), RESERVE_FILE))
		return -ENAMETOOLONG;
	if (!lstat(path, &st) && S_ISREG(st.st_mode) && st.st_size >= RESERVE_BYTES)
		return 0;
	if (!lstat(path, &st) && !S_ISREG(st.st_mode)) {
		pr_warn("%s is not a regular file; move it away (tailgate keeps its ENOSPC reserve there)\n",
			path);
		return -EINVAL;
	}
	/* O_NONBLOCK: a FIFO put there must not hang us waiting for a reader. */
	fd = open(path, O_WRONLY | O_CREAT | O_CLOEXEC | O_NOFOLLOW | O_NONBLOCK, 0600);
	if (fd < 0)
		return -errno;
	if (fstat(fd, &st) || !S_ISREG(st.st_mode)) {
		close(fd);
		pr_warn("%s is not a regular file; move it away (tailgate keeps its ENOSPC reserve there)\n",
			path);
		return -EINVAL;
	}
	fcntl(fd, F_SETFL, 0);
	err = posix_fallocate(fd, 0, RESERVE_BYTES);
	if (err == EOPNOTSUPP || err == EINVAL) {
		/* No fallocate here: write the zeroes out. */
		static const char zero[4096];
		size_t off;

		err = 0;
		for (off = 0; off < RESERVE_BYTES && !err; off += sizeof(zero))
			if (write(fd, zero, sizeof(zero)) != sizeof(zero))
				err = errno ?: ENOSPC;
	}
	if (!err && fsync(fd))
		err = errno;
	close(fd);
	if (err) {
		unlink(path);
		return -err;
	}
	return 0;
}
