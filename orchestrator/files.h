/* SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause) */
/*
 * Files in the state directory, which is root's alone: tailgate refuses a
 * directory or file that another user owns or that group or others may
 * write (a journal planted by another user would make root run that
 * user's exec gate), creates directories 0700 and files 0600, never
 * follows a symlink, never blocks on a FIFO or a device, and writes
 * atomically (temp file, fsync, rename, fsync of the directory).
 *
 * A full file system must never stop tailgate from recording a move back
 * to the previous generation: a rollout holds a reserve file, released
 * (and the write retried) when a write fails with ENOSPC or EDQUOT.
 */
#ifndef __TG_FILES_H
#define __TG_FILES_H

#include <stdbool.h>
#include <stddef.h>
#include <sys/types.h>

/*
 * Check the state directory (TAILGATE_STATE_DIR), creating it 0700 when
 * @create and missing. @return 0 or negative errno, message printed.
 */
int files__check_state_dir(bool create);

/* <state dir>/<rel> into @buf. @return 0 or -ENAMETOOLONG. */
int files__path(char *buf, size_t len, const char *rel);

/* mkdir -p of <state dir>/<rel>, 0700, checked. @return 0 or -errno. */
int files__mkdir(const char *rel);

/*
 * Read a whole regular file (owned by us, not group/other-writable) of at
 * most @max bytes into a NUL-terminated heap buffer.
 * @return the buffer, or NULL with errno set (ENOENT, EFBIG, EPERM for a
 * bad owner or mode, EINVAL for a file that is not regular, ...).
 */
char *files__read(const char *path, size_t max, size_t *len);

/*
 * Like files__read(), but a file larger than @max is not refused: its
 * last @max bytes are read, from the first line that starts in them.
 * @return a NUL-terminated heap buffer, or NULL with errno set.
 */
char *files__read_tail(const char *path, size_t max, size_t *len);

/* Write @path (0600) atomically. @return 0 or negative errno. */
int files__write(const char *path, const void *data, size_t len);

/* Append @len bytes and fsync. @return 0 or negative errno. */
int files__append(const char *path, const void *data, size_t len);

/* Remove a file; missing is fine. @return 0 or negative errno. */
int files__remove(const char *path);

/*
 * Make sure the reserve (1 MiB of allocated space) exists.
 * @return 0, or negative errno when even that much space is missing.
 */
int files__reserve(void);

/* Is @err a "file system full" error? */
bool files__is_full(int err);

/* Open a file for reading without following symlinks or blocking on a
 * FIFO; regular files only. @return fd or negative errno. */
int files__open_regular(const char *path);

#endif /* __TG_FILES_H */
