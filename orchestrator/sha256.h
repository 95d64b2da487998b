/* SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause) */
/* SHA-256 (FIPS 180-4) for checking stage objects against their plan. */
#ifndef __TG_SHA256_H
#define __TG_SHA256_H

#include <stddef.h>
#include <stdint.h>

#define SHA256_LEN 32

void sha256__digest(const void *data, size_t len, uint8_t out[SHA256_LEN]);

/* Lower-case hex into @hex (65 bytes). */
void sha256__hex(const uint8_t digest[SHA256_LEN], char hex[2 * SHA256_LEN + 1]);

#endif /* __TG_SHA256_H */
