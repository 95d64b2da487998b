// SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause)
/* tos_mark_a: marks DSCP CS1 (TOS byte 0x20); see tos_mark.h. */
#define TOS_MARK 0x20
#include "tos_mark.h"
