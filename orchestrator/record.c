// SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause)
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "record.h"

void record__put(char *buf, size_t len, size_t *off, const char *fmt, ...)
{
	va_list ap;
	int n;

	if (*off >= len)
		return;
	va_start(ap, fmt);
	n = vsnprintf(buf + *off, len - *off, fmt, ap);
	va_end(ap);
	*off += n > 0 ? (size_t)n : 0;
}

int record__parse(const char *buf, size_t max_line, void *obj,
		  int (*kv)(void *obj, const char *key, const char *value))
{
	const char *p = buf, *nl;
	char *line, *sp;
	int err;

	line = malloc(max_line);
	if (!line)
		return -ENOMEM;
	for (; *p; p = nl + 1) {
		nl = strchr(p, '\n');
		if (!nl || (size_t)(nl - p) >= max_line) {
			free(line);
			return -EINVAL;	/* torn or oversized: not ours */
		}
		snprintf(line, max_line, "%.*s", (int)(nl - p), p);
		if (!strcmp(line, "end")) {
			free(line);
			return 0;
		}
		sp = strchr(line, ' ');
		if (sp)
			*sp++ = '\0';
		err = kv(obj, line, sp ? sp : "");
		if (err) {
			free(line);
			return err;
		}
	}
	free(line);
	return -EINVAL;	/* no "end" */
}

int record__u64(const char *s, uint64_t max, uint64_t *out)
{
	char *end;

	errno = 0;
	if (*s < '0' || *s > '9')
		return -EINVAL;
	*out = strtoull(s, &end, 10);
	return errno || *end || *out > max ? -EINVAL : 0;
}

int record__s64(const char *s, int64_t min, int64_t max, int64_t *out)
{
	char *end;

	errno = 0;
	*out = strtoll(s, &end, 10);
	return errno || end == s || *end || *out < min || *out > max ? -EINVAL : 0;
}

int record__sha(const char *s, uint8_t out[32])
{
	unsigned int v;
	int i;

	if (strlen(s) != 64 || strspn(s, "0123456789abcdefABCDEF") != 64)
		return -EINVAL;
	for (i = 0; i < 32; i++) {
		if (sscanf(s + 2 * i, "%2x", &v) != 1)
			return -EINVAL;
		out[i] = v;
	}
	return 0;
}

int record__copy(char *dst, size_t len, const char *v)
{
	return snprintf(dst, len, "%s", v) < (int)len ? 0 : -EINVAL;
}
