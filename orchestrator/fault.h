/* SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause) */
/*
 * Fault points for crash tests. With TAILGATE_FAULT=NAME, NAME:K or N,
 * the process SIGKILLs itself at the point called NAME (its K-th hit),
 * or at the N-th point it reaches (1-based). TAILGATE_FAULT_TRACE=1 prints every point reached
 * ("fault point N: NAME") to stderr, so a test can enumerate them.
 * Without the variables a fault point costs one getenv() on first use.
 */
#ifndef __TG_FAULT_H
#define __TG_FAULT_H

void fault__point(const char *name);

#endif /* __TG_FAULT_H */
