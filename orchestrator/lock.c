// SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause)
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdio.h>
#include <string.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <unistd.h>

#include "lock.h"
#include "log.h"
#include "pins.h"
#include "files.h"
#include "tailgate.h"

static int lock_fd = -1;

static void report_holder(int fd, const char *verb)
{
	char buf[128] = "";
	ssize_t n;

	n = pread(fd, buf, sizeof(buf) - 1, 0);
	buf[n > 0 ? n : 0] = '\0';
	buf[strcspn(buf, "\n")] = '\0';
	pr_warn("%s: another tailgate is changing the datapath (pid %s); wait for it to finish, or stop it and run 'tailgate recover'\n",
		verb, buf[0] ? buf : "unknown");
}

int lock__acquire(const char *verb)
{
	char path[PATH_MAX], who[128];
	struct stat st;
	int fd, n, err;

	if (lock_fd >= 0)
		return 0;
	err = files__check_state_dir(true);
	if (err)
		return err;
	if (files__path(path, sizeof(path), "lock")) {
		pr_warn("%s: the state directory path is too long: %s\n", verb, pins__state_dir());
		return -ENAMETOOLONG;
	}
	fd = open(path, O_RDWR | O_CREAT | O_CLOEXEC | O_NOFOLLOW | O_NONBLOCK, 0600);
	if (fd < 0) {
		err = -errno;
		pr_warn("%s: cannot open the lock %s: %s%s\n", verb, path, strerror(-err),
			err == -ELOOP ? " (it is a symlink: remove it)" :
			err == -EROFS || err == -EACCES ? " (the state directory is not writable)" : "");
		return err;
	}
	if (fstat(fd, &st) || !S_ISREG(st.st_mode)) {
		pr_warn("%s: the lock %s is not a regular file: move it away\n", verb, path);
		close(fd);
		return -EINVAL;
	}
	if (flock(fd, LOCK_EX | LOCK_NB)) {
		err = -errno;
		if (err == -EWOULDBLOCK) {
			report_holder(fd, verb);
			err = TG_ERR_BUSY;
		}
		close(fd);
		return err;
	}
	n = snprintf(who, sizeof(who), "%d (%s)\n", getpid(), verb);
	if (ftruncate(fd, 0) || pwrite(fd, who, n, 0) != n)
		pr_debug("lock: cannot record holder: %s\n", strerror(errno));
	lock_fd = fd;
	return 0;
}

void lock__release(void)
{
	if (lock_fd < 0)
		return;
	close(lock_fd);
	lock_fd = -1;
}
