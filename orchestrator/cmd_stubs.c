// SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause)
/* Verbs whose modules are being written; each says so plainly. */
#include <errno.h>

#include "log.h"
#include "tailgate.h"

static int not_yet(const char *verb)
{
	pr_warn("%s: not available in this build yet\n", verb);
	return -ENOSYS;
}

int do_history(int argc, char **argv) { return not_yet("history"); }
int do_recover(int argc, char **argv) { return not_yet("recover"); }
