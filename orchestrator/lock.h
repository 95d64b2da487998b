/* SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause) */
/*
 * One writer: every verb that changes the datapath holds an flock on
 * <state dir>/lock for its whole run. The kernel drops it when the holder
 * dies, so a crash never leaves the lock behind.
 */
#ifndef __TG_LOCK_H
#define __TG_LOCK_H

/*
 * Take the lock for @verb, or fail at once naming the holder's pid.
 * @return 0, TG_ERR_BUSY when held, or negative errno (message printed).
 */
int lock__acquire(const char *verb);

/* Release it (also done by exit). */
void lock__release(void);

#endif /* __TG_LOCK_H */
