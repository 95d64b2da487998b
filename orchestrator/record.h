/* SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause) */
/*
 * The state directory's small text records (the journal, generation and
 * attach-point records): "key value" lines ending in a line "end", so a
 * torn write is never mistaken for a whole one, and values range-checked
 * as they are read.
 */
#ifndef __TG_RECORD_H
#define __TG_RECORD_H

#include <stddef.h>
#include <stdint.h>

/* Append to @buf at *@off; a full buffer makes the caller's final check fail. */
void record__put(char *buf, size_t len, size_t *off, const char *fmt, ...)
	__attribute__((format(printf, 4, 5)));

/*
 * Call @kv for every "key value" line of @buf up to "end".
 * @return 0, the first error of @kv, or -EINVAL (a line too long, no "end").
 */
int record__parse(const char *buf, size_t max_line, void *obj,
		  int (*kv)(void *obj, const char *key, const char *value));

/* Unsigned decimal, digits only, at most @max. @return 0 or -EINVAL. */
int record__u64(const char *s, uint64_t max, uint64_t *out);

/* Signed decimal in [@min, @max]. @return 0 or -EINVAL. */
int record__s64(const char *s, int64_t min, int64_t max, int64_t *out);

/* 64 hex digits into 32 bytes. @return 0 or -EINVAL. */
int record__sha(const char *s, uint8_t out[32]);

/* Copy @v into @dst of @len bytes, refusing what does not fit. */
int record__copy(char *dst, size_t len, const char *v);

#endif /* __TG_RECORD_H */
