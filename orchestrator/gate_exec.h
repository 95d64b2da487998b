/* SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause) */
/*
 * The exec health gate: run an operator's check for one interface, as
 * root, without a shell. "{ifname}" is replaced inside an argv entry, which
 * stays ONE argument whatever the name holds, so an interface named
 * "x;reboot" is only ever a name.
 *
 * The check runs in its own process group with stdin from /dev/null,
 * stdout and stderr into one pipe, and no other file descriptor. It is
 * bounded by a timeout and by a stop flag that a signal handler sets; on
 * either, or when it exits and leaves processes behind, the whole group
 * is killed with SIGKILL. What leaves the group (setsid, double forks)
 * comes back to tailgate, the checks' subreaper, and is killed as well:
 * nothing a check starts outlives it.
 *
 * Its output is kept (first GATE_EXEC_OUTPUT_MAX bytes, raw: escape it
 * before showing it) and never written to tailgate's stdout.
 */
#ifndef __TG_GATE_EXEC_H
#define __TG_GATE_EXEC_H

#include <signal.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define GATE_EXEC_MAX_ARGS	32
#define GATE_EXEC_MAX_ENV	16
#define GATE_EXEC_MAX_ARG_LEN	4096	/* one argv entry after substitution */
#define GATE_EXEC_OUTPUT_MAX	4096

enum gate_exec_outcome {
	GATE_EXEC_OK,		/* exited 0 */
	GATE_EXEC_EXITED,	/* exited non-zero: exit_code */
	GATE_EXEC_SIGNALED,	/* died of a signal not sent by us: signal */
	GATE_EXEC_TIMED_OUT,	/* still running at timeout_ms: killed */
	GATE_EXEC_INTERRUPTED,	/* *stop was set: killed */
	GATE_EXEC_NO_START,	/* pipe, fork, chdir or exec failed: err */
};

struct gate_exec_req {
	/*
	 * The command, NULL-terminated, 1..GATE_EXEC_MAX_ARGS entries. An
	 * argv[0] without '/' is looked up in tailgate's PATH (execvp()); one
	 * with '/' is relative to @cwd.
	 */
	const char *const *argv;
	const char *ifname;		/* for "{ifname}"; NULL: none allowed */
	/*
	 * "NAME=value" entries added to tailgate's environment (replacing
	 * a variable of the same name), NULL-terminated; NULL for none.
	 * E.g. TAILGATE_IFNAME, TAILGATE_HOOK, TAILGATE_GENERATION.
	 */
	const char *const *env;
	const char *cwd;		/* NULL: tailgate's */
	uint64_t timeout_ms;		/* > 0 */
	volatile sig_atomic_t *stop;	/* NULL, or set by a signal handler */
};

struct gate_exec_result {
	enum gate_exec_outcome outcome;
	int exit_code;			/* GATE_EXEC_OK, GATE_EXEC_EXITED */
	int signal;			/* GATE_EXEC_SIGNALED */
	int err;			/* GATE_EXEC_NO_START: a positive errno */
	uint64_t elapsed_ms;
	/* stdout and stderr as written, NUL-terminated after output_len. */
	char output[GATE_EXEC_OUTPUT_MAX + 1];
	size_t output_len;
	uint64_t output_total;		/* bytes read in all */
	bool truncated;			/* output_total > output_len */
};

/*
 * Run @req's check and wait for its outcome (at most about timeout_ms,
 * less once *stop is set). The caller must not ignore SIGCHLD (SIG_IGN
 * would reap the check before its status is read).
 * @return 0 when @res holds an outcome (GATE_EXEC_NO_START included),
 * -EINVAL for a malformed request, -E2BIG for an entry longer than
 * GATE_EXEC_MAX_ARG_LEN after substitution, -ENOMEM; nothing runs then.
 */
int gate_exec__run(const struct gate_exec_req *req, struct gate_exec_result *res);

/* "ok", "exited", "signaled", "timed_out", "interrupted", "no_start". */
const char *gate_exec__outcome_name(enum gate_exec_outcome outcome);

/*
 * Split a plan's one-line command ("probe.sh --if {ifname}") into argv
 * words, as a shell would split it but with nothing else of a shell:
 * blanks separate words; '...' is literal; "..." is literal but for \"
 * and \\; outside quotes a backslash takes the next character as is.
 * No variables, globs, ~, redirections or ';'. The words are written
 * into @buf and pointed to from @argv, NULL-terminated.
 * @return the number of words (>= 1), -EINVAL for an unterminated quote
 * or an empty command, -E2BIG if @buf or @max is too small.
 */
int gate_exec__split(const char *line, char *buf, size_t len, const char **argv,
		     int max);

#endif /* __TG_GATE_EXEC_H */
