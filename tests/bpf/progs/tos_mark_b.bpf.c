// SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause)
/* tos_mark_b: marks DSCP CS2 (TOS byte 0x40); see tos_mark.h. */
#define TOS_MARK 0x40
#include "tos_mark.h"
