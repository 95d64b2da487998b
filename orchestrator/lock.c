// SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause)
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdio.h>
#include <string.h>
#include <sys/file.h>
#include <unistd.h>

#include "lock.h"
#include "log.h"
#include "pins.h"
#include "state.h"

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
	int fd, n, err;

	if (lock_fd >= 0)
		return 0;
	err = pins__mkdir_p(pins__state_dir(), 0700);
	if (err || state__path(path, sizeof(path), "lock"))
		return err ?: -ENAMETOOLONG;
	fd = open(path, O_RDWR | O_CREAT | O_CLOEXEC | O_NOFOLLOW, 0600);
	if (fd < 0)
		return -errno;
	if (flock(fd, LOCK_EX | LOCK_NB)) {
		err = -errno;
		if (err == -EWOULDBLOCK) {
			report_holder(fd, verb);
			err = -EBUSY;
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
