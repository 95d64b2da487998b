/* SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause) */
/*
 * Verifier logs: loads run at log level 4 (BPF_LOG_STATS: the error and
 * the statistics only, cheap enough for every load); a rejection is
 * loaded again at level 1 for the failing instruction and, with -v, the
 * whole log.
 */
#ifndef __TG_VLOG_H
#define __TG_VLOG_H

#include <stddef.h>
#include <linux/types.h>

#define VLOG_STATS_SIZE		(64u << 10)
#define VLOG_FULL_SIZE		(16u << 20)
#define VLOG_LEVEL_STATS	4

/* The number after @key ("processed ", "stack depth "), 0 if absent. */
__u32 vlog__number(const char *log, const char *key);

/*
 * The line that says why (the last one that is not statistics) into
 * @buf; *@insn the index of the last instruction the log names, or -1.
 */
void vlog__reason(const char *log, char *buf, size_t len, long *insn);

/* Sum of "stack depth A+B+..." (the frames the verifier saw). */
__u32 vlog__stack(const char *log);

#endif /* __TG_VLOG_H */
