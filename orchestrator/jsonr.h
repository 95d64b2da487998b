/* SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause) */
/*
 * Reading back JSON tailgate wrote (history lines): a strict parser that
 * copies one value into a JSON writer, so a document that embeds them is
 * valid whatever the file holds. A torn or hostile line is refused whole.
 */
#ifndef __TG_JSONR_H
#define __TG_JSONR_H

#include <stddef.h>

#include "json_writer.h"

/* Is @text exactly one JSON value? */
int jsonr__check(const char *text);

/* Copy the one JSON value in @text into @w. @return 0 or -EINVAL (nothing written). */
int jsonr__copy(const char *text, jsonw_t *w);

/* The string or number field @key of the top-level object in @text, as text. */
int jsonr__field(const char *text, const char *key, char *out, size_t len);

#endif /* __TG_JSONR_H */
