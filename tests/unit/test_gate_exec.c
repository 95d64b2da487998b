// SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause)
/*
 * The exec gate against real processes: outcomes, a timeout that kills a
 * background grandchild, a check that exits leaving one behind, 1 MiB of
 * output capped, a hostile interface name that stays one literal
 * argument, a clean fd table, the environment, a stop flag set from a
 * timer, and the plan-line splitter. Helper scripts live in a mktemp
 * directory; this binary doubles as the fd-reporting helper.
 */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <setjmp.h>
#include <signal.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <sys/stat.h>
#include <sys/time.h>
#include <sys/wait.h>
#include <cmocka.h>

#include "gate_exec.h"

static char dir[64];
static char self[PATH_MAX];
static struct gate_exec_result res;

/* The helper side: what a check sees of its process. */
static int report_fds(void)
{
	struct stat s1, s2;
	char link[PATH_MAX] = "";
	struct dirent *e;
	DIR *d = opendir("/proc/self/fd");

	if (!d)
		return 2;
	printf("fds:");
	while ((e = readdir(d)))
		if (e->d_name[0] != '.' && atoi(e->d_name) != dirfd(d))
			printf(" %s", e->d_name);
	closedir(d);
	if (readlink("/proc/self/fd/0", link, sizeof(link) - 1) < 0)
		strcpy(link, "?");
	fstat(1, &s1);
	fstat(2, &s2);
	printf("\nstdin: %s\nshared: %s\nleader: %s\n", link,
	       s1.st_ino == s2.st_ino ? "yes" : "no", getpgrp() == getpid() ? "yes" : "no");
	return 0;
}

static void script(const char *name, const char *body)
{
	char path[256];
	FILE *f;

	snprintf(path, sizeof(path), "%s/%s", dir, name);
	f = fopen(path, "w");
	assert_non_null(f);
	fprintf(f, "#!/bin/sh\n%s\n", body);
	fclose(f);
	assert_int_equal(chmod(path, 0755), 0);
}

static const char *path_of(const char *name)
{
	static char path[4][256];
	static int i;

	i = (i + 1) % 4;
	snprintf(path[i], sizeof(path[i]), "%s/%s", dir, name);
	return path[i];
}

static int setup(void **state)
{
	char body[512];

	snprintf(dir, sizeof(dir), "/tmp/tg-gate-exec.XXXXXX");
	if (!mkdtemp(dir) || readlink("/proc/self/exe", self, sizeof(self) - 1) < 0)
		return -1;
	script("fail.sh", "echo failing; echo on stderr >&2; exit 3");
	script("sigterm.sh", "kill -TERM $$; sleep 5");
	snprintf(body, sizeof(body), "sleep 300 &\necho $! > %s/gc.pid\nwait", dir);
	script("hang.sh", body);
	snprintf(body, sizeof(body), "sleep 300 &\necho $! > %s/gc2.pid\necho done", dir);
	script("leave.sh", body);
	/* Out of the group: a new session, the escapee's pid written down. */
	snprintf(body, sizeof(body), "setsid sh -c 'echo $$ > %s/gc3.pid; exec sleep 300' &\nwait\nsleep 300", dir);
	script("escape.sh", body);
	snprintf(body, sizeof(body), "setsid -f sh -c 'echo $$ > %s/gc4.pid; exec sleep 300'\n"
		 "while [ ! -s %s/gc4.pid ]; do sleep 0.01; done\necho left", dir, dir);
	script("escape_exit.sh", body);
	script("args.sh", "for a in \"$@\"; do printf '<%s>\\n' \"$a\"; done");
	script("env.sh", "printf '%s|%s|%s|%s|%s\\n' \"$TAILGATE_IFNAME\" \"$TAILGATE_HOOK\" "
			 "\"$TAILGATE_GENERATION\" \"$HOME\" \"$TG_TEST_INHERITED\"");
	script("bytes.sh", "printf 'a\\000b\\001\\377\\n'");
	return 0;
}

static int teardown(void **state)
{
	char cmd[128];

	snprintf(cmd, sizeof(cmd), "rm -rf '%s'", dir);
	return system(cmd) ? -1 : 0;
}

/* Every test: nothing of ours is left to reap, or running. */
static void no_children(void)
{
	errno = 0;
	assert_int_equal(waitpid(-1, NULL, WNOHANG), -1);
	assert_int_equal(errno, ECHILD);
}

/*
 * Give this process a pipe as stdin (write end kept open) so a check that
 * inherited it would see a pipe, and block reading it. @return the old fd 0.
 */
static int stdin_pipe(int *keep)
{
	int p[2], saved = dup(STDIN_FILENO);

	assert_int_equal(pipe(p), 0);
	assert_true(dup2(p[0], STDIN_FILENO) == STDIN_FILENO);
	close(p[0]);
	*keep = p[1];
	return saved;
}

static void stdin_restore(int saved, int keep)
{
	dup2(saved, STDIN_FILENO);
	close(saved);
	close(keep);
}

static int run(const char *const *argv, const char *ifname, uint64_t timeout_ms)
{
	struct gate_exec_req req = { .argv = argv, .ifname = ifname, .timeout_ms = timeout_ms };
	int err = gate_exec__run(&req, &res);

	no_children();
	return err;
}

/* Is the process in @pidfile gone (absent, or a zombie nobody reaped yet)? */
static bool gone(const char *pidfile)
{
	char path[64], stat[256] = "", *p;
	FILE *f = fopen(pidfile, "r");
	int pid = 0, tries;

	assert_non_null(f);
	assert_int_equal(fscanf(f, "%d", &pid), 1);
	fclose(f);
	snprintf(path, sizeof(path), "/proc/%d/stat", pid);
	for (tries = 0; tries < 100; tries++) {
		f = fopen(path, "r");
		if (!f)
			return true;
		p = fgets(stat, sizeof(stat), f) ? strrchr(stat, ')') : NULL;
		fclose(f);
		if (p && p[1] == ' ' && p[2] == 'Z')
			return true;
		usleep(10000);
	}
	return false;
}

static void test_ok_via_path(void **state)
{
	static const char *const argv[] = { "true", NULL };

	assert_int_equal(run(argv, NULL, 5000), 0);
	assert_int_equal(res.outcome, GATE_EXEC_OK);
	assert_int_equal(res.exit_code, 0);
	assert_int_equal(res.output_len, 0);
	assert_string_equal(gate_exec__outcome_name(res.outcome), "ok");
}

static void test_exit_3(void **state)
{
	const char *argv[] = { path_of("fail.sh"), NULL };

	assert_int_equal(run(argv, NULL, 5000), 0);
	assert_int_equal(res.outcome, GATE_EXEC_EXITED);
	assert_int_equal(res.exit_code, 3);
	/* stdout and stderr in one stream, in order. */
	assert_string_equal(res.output, "failing\non stderr\n");
	assert_false(res.truncated);
}

static void test_signal(void **state)
{
	const char *argv[] = { path_of("sigterm.sh"), NULL };

	assert_int_equal(run(argv, NULL, 5000), 0);
	assert_int_equal(res.outcome, GATE_EXEC_SIGNALED);
	assert_int_equal(res.signal, SIGTERM);
}

static void test_timeout_kills_grandchild(void **state)
{
	const char *argv[] = { path_of("hang.sh"), NULL };

	assert_int_equal(run(argv, NULL, 300), 0);
	assert_int_equal(res.outcome, GATE_EXEC_TIMED_OUT);
	assert_in_range(res.elapsed_ms, 300, 2000);
	assert_true(gone(path_of("gc.pid")));
}

/* It exits, its background child keeps the pipe open: no hang, no leftover. */
static void test_exit_leaves_grandchild(void **state)
{
	const char *argv[] = { path_of("leave.sh"), NULL };

	assert_int_equal(run(argv, NULL, 20000), 0);
	assert_int_equal(res.outcome, GATE_EXEC_OK);
	assert_string_equal(res.output, "done\n");
	assert_true(res.elapsed_ms < 2000);
	assert_true(gone(path_of("gc2.pid")));
}

/* setsid leaves the process group; the check's subreaper still gets it. */
static void test_timeout_kills_escaped(void **state)
{
	const char *argv[] = { path_of("escape.sh"), NULL };

	assert_int_equal(run(argv, NULL, 500), 0);
	assert_int_equal(res.outcome, GATE_EXEC_TIMED_OUT);
	assert_true(gone(path_of("gc3.pid")));
}

/* It exits at once, leaving a process in a session of its own behind. */
static void test_exit_leaves_escaped(void **state)
{
	const char *argv[] = { path_of("escape_exit.sh"), NULL };

	assert_int_equal(run(argv, NULL, 20000), 0);
	assert_int_equal(res.outcome, GATE_EXEC_OK);
	assert_string_equal(res.output, "left\n");
	assert_true(gone(path_of("gc4.pid")));
}

static void test_output_capped(void **state)
{
	static const char *const argv[] = { "head", "-c", "1048576", "/dev/zero", NULL };
	const char *bytes[] = { path_of("bytes.sh"), NULL };
	size_t i;

	assert_int_equal(run(argv, NULL, 10000), 0);
	assert_int_equal(res.outcome, GATE_EXEC_OK);
	assert_int_equal(res.output_len, GATE_EXEC_OUTPUT_MAX);
	assert_int_equal(res.output_total, 1048576);
	assert_true(res.truncated);
	for (i = 0; i < res.output_len; i++)
		assert_int_equal(res.output[i], 0);

	/* NUL and non-printable bytes kept as they are. */
	assert_int_equal(run(bytes, NULL, 5000), 0);
	assert_int_equal(res.output_len, 6);
	assert_memory_equal(res.output, "a\0b\001\377\n", 6);
}

static void test_hostile_ifname(void **state)
{
	char ifname[512], want[2560];
	const char *argv[] = { path_of("args.sh"), "--if={ifname}", "{ifname}",
			       "{ifname}{ifname}", "{ifnam}", "", NULL };
	struct stat st;

	snprintf(ifname, sizeof(ifname), "x;touch %s/pwned `touch %s/pwned2` $(touch %s/pwned3)",
		 dir, dir, dir);
	assert_int_equal(run(argv, ifname, 5000), 0);
	assert_int_equal(res.outcome, GATE_EXEC_OK);
	snprintf(want, sizeof(want), "<--if=%s>\n<%s>\n<%s%s>\n<{ifnam}>\n<>\n", ifname, ifname,
		 ifname, ifname);
	assert_string_equal(res.output, want);
	assert_int_equal(stat(path_of("pwned"), &st), -1);
	assert_int_equal(stat(path_of("pwned2"), &st), -1);
	assert_int_equal(stat(path_of("pwned3"), &st), -1);
}

static void test_only_std_fds(void **state)
{
	const char *argv[] = { self, "--report-fds", NULL };
	int leak = open("/dev/null", O_RDONLY);		/* no O_CLOEXEC, on purpose */
	int p[2], keep, saved = stdin_pipe(&keep);

	assert_true(leak >= 0);
	assert_int_equal(pipe(p), 0);
	assert_int_equal(run(argv, NULL, 5000), 0);
	stdin_restore(saved, keep);
	close(leak);
	close(p[0]);
	close(p[1]);
	assert_int_equal(res.outcome, GATE_EXEC_OK);
	assert_string_equal(res.output, "fds: 0 1 2\nstdin: /dev/null\nshared: yes\nleader: yes\n");
}

/* stdin is /dev/null: a check that reads it ends at once. */
static void test_stdin_null(void **state)
{
	static const char *const argv[] = { "cat", NULL };
	int keep, saved = stdin_pipe(&keep);

	assert_int_equal(run(argv, NULL, 3000), 0);
	stdin_restore(saved, keep);
	assert_int_equal(res.outcome, GATE_EXEC_OK);
	assert_true(res.elapsed_ms < 1000);
}

static void test_env(void **state)
{
	const char *argv[] = { path_of("env.sh"), NULL };
	static const char *const env[] = {
		"TAILGATE_IFNAME=tg0", "TAILGATE_HOOK=xdp", "TAILGATE_GENERATION=7",
		"HOME=/override", NULL,
	};
	struct gate_exec_req req = { .argv = argv, .env = env, .timeout_ms = 5000 };

	setenv("TG_TEST_INHERITED", "yes", 1);
	setenv("HOME", "/root-was-here", 1);
	assert_int_equal(gate_exec__run(&req, &res), 0);
	no_children();
	assert_string_equal(res.output, "tg0|xdp|7|/override|yes\n");
}

static void test_cwd(void **state)
{
	static const char *const argv[] = { "pwd", "-P", NULL };
	static const char *const rel[] = { "./args.sh", "ok", NULL };
	struct gate_exec_req req = { .argv = argv, .cwd = dir, .timeout_ms = 5000 };
	char real[PATH_MAX + 1], want[PATH_MAX + 2];

	assert_non_null(realpath(dir, real));
	snprintf(want, sizeof(want), "%s\n", real);
	assert_int_equal(gate_exec__run(&req, &res), 0);
	assert_string_equal(res.output, want);
	/* A relative argv[0] is relative to cwd (the plan's directory). */
	req.argv = rel;
	assert_int_equal(gate_exec__run(&req, &res), 0);
	assert_string_equal(res.output, "<ok>\n");
	no_children();
}

static volatile sig_atomic_t stop;

static void on_alarm(int sig)
{
	stop = 1;
}

static void test_stop_flag(void **state)
{
	static const char *const argv[] = { "sleep", "30", NULL };
	struct gate_exec_req req = { .argv = argv, .timeout_ms = 60000, .stop = &stop };
	struct sigaction sa = { .sa_handler = on_alarm };
	struct itimerval it = { .it_value = { .tv_usec = 200000 } };

	sigaction(SIGALRM, &sa, NULL);
	stop = 0;
	assert_int_equal(setitimer(ITIMER_REAL, &it, NULL), 0);
	assert_int_equal(gate_exec__run(&req, &res), 0);
	signal(SIGALRM, SIG_DFL);
	assert_int_equal(res.outcome, GATE_EXEC_INTERRUPTED);
	assert_in_range(res.elapsed_ms, 150, 1500);
	no_children();
}

static void test_no_start(void **state)
{
	static const char *const missing[] = { "/nonexistent/check", NULL };
	static const char *const not_in_path[] = { "tailgate-no-such-check", NULL };
	const char *not_exec[] = { path_of("gc.pid"), NULL };
	const char *a_dir[] = { dir, NULL };
	struct gate_exec_req req = { .argv = missing, .timeout_ms = 5000 };

	assert_int_equal(run(missing, NULL, 5000), 0);
	assert_int_equal(res.outcome, GATE_EXEC_NO_START);
	assert_int_equal(res.err, ENOENT);
	assert_int_equal(run(not_in_path, NULL, 5000), 0);
	assert_int_equal(res.outcome, GATE_EXEC_NO_START);
	assert_int_equal(res.err, ENOENT);
	assert_int_equal(run(not_exec, NULL, 5000), 0);
	assert_int_equal(res.outcome, GATE_EXEC_NO_START);
	assert_int_equal(res.err, EACCES);
	assert_int_equal(run(a_dir, NULL, 5000), 0);
	assert_int_equal(res.outcome, GATE_EXEC_NO_START);
	assert_int_equal(res.err, EACCES);
	req.argv = (const char *const[]){ "true", NULL };
	req.cwd = "/nonexistent";
	assert_int_equal(gate_exec__run(&req, &res), 0);
	assert_int_equal(res.outcome, GATE_EXEC_NO_START);
	assert_int_equal(res.err, ENOENT);
	no_children();
}

static void test_bad_requests(void **state)
{
	static const char *const empty[] = { NULL };
	static const char *const token[] = { "echo", "{ifname}", NULL };
	static const char *const ok[] = { "true", NULL };
	static const char *const bad_env[] = { "NOEQUALS", NULL };
	const char *many[GATE_EXEC_MAX_ARGS + 2];
	char *big = malloc(GATE_EXEC_MAX_ARG_LEN + 1);
	struct gate_exec_req req = { .argv = ok };
	int i;

	assert_int_equal(gate_exec__run(&req, &res), -EINVAL);	/* no timeout */
	req.timeout_ms = 1000;
	req.argv = NULL;
	assert_int_equal(gate_exec__run(&req, &res), -EINVAL);
	req.argv = empty;
	assert_int_equal(gate_exec__run(&req, &res), -EINVAL);
	req.argv = token;				/* {ifname} without a name */
	assert_int_equal(gate_exec__run(&req, &res), -EINVAL);
	for (i = 0; i <= GATE_EXEC_MAX_ARGS; i++)
		many[i] = "x";
	many[i] = NULL;
	req.argv = many;
	assert_int_equal(gate_exec__run(&req, &res), -EINVAL);
	many[GATE_EXEC_MAX_ARGS] = NULL;
	many[0] = "true";
	assert_int_equal(gate_exec__run(&req, &res), 0);
	assert_int_equal(res.outcome, GATE_EXEC_OK);
	req.argv = ok;
	req.env = bad_env;
	assert_int_equal(gate_exec__run(&req, &res), -EINVAL);
	req.env = NULL;
	/* GATE_EXEC_MAX_ARG_LEN as written, 5 more once substituted. */
	memset(big, 'a', GATE_EXEC_MAX_ARG_LEN - 8);
	strcpy(big + GATE_EXEC_MAX_ARG_LEN - 8, "{ifname}");
	req.argv = (const char *const[]){ "true", big, NULL };
	req.ifname = "tg0-x-1234567";
	assert_int_equal(gate_exec__run(&req, &res), -E2BIG);
	req.ifname = "tg0";
	assert_int_equal(gate_exec__run(&req, &res), 0);
	assert_int_equal(res.outcome, GATE_EXEC_OK);
	free(big);
	no_children();
}

static void test_split(void **state)
{
	const char *argv[8];
	char buf[128];

	assert_int_equal(gate_exec__split("examples/probe.sh {ifname}", buf, sizeof(buf), argv, 8), 2);
	assert_string_equal(argv[0], "examples/probe.sh");
	assert_string_equal(argv[1], "{ifname}");
	assert_null(argv[2]);
	assert_int_equal(gate_exec__split("  a\t'b c;$X' \"d \\\"e\\\\\" f\\ g ''  ", buf,
					  sizeof(buf), argv, 8), 5);
	assert_string_equal(argv[1], "b c;$X");
	assert_string_equal(argv[2], "d \"e\\");
	assert_string_equal(argv[3], "f g");
	assert_string_equal(argv[4], "");
	assert_int_equal(gate_exec__split("a 'b", buf, sizeof(buf), argv, 8), -EINVAL);
	assert_int_equal(gate_exec__split("   ", buf, sizeof(buf), argv, 8), -EINVAL);
	assert_int_equal(gate_exec__split("a b c", buf, sizeof(buf), argv, 3), -E2BIG);
	assert_int_equal(gate_exec__split("abcdef", buf, 4, argv, 8), -E2BIG);
	assert_int_equal(gate_exec__split("abc", buf, 4, argv, 8), 1);
}

int main(int argc, char **argv)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_ok_via_path),
		cmocka_unit_test(test_exit_3),
		cmocka_unit_test(test_signal),
		cmocka_unit_test(test_timeout_kills_grandchild),
		cmocka_unit_test(test_exit_leaves_grandchild),
		cmocka_unit_test(test_timeout_kills_escaped),
		cmocka_unit_test(test_exit_leaves_escaped),
		cmocka_unit_test(test_output_capped),
		cmocka_unit_test(test_hostile_ifname),
		cmocka_unit_test(test_only_std_fds),
		cmocka_unit_test(test_stdin_null),
		cmocka_unit_test(test_env),
		cmocka_unit_test(test_cwd),
		cmocka_unit_test(test_stop_flag),
		cmocka_unit_test(test_no_start),
		cmocka_unit_test(test_bad_requests),
		cmocka_unit_test(test_split),
	};

	if (argc == 2 && !strcmp(argv[1], "--report-fds"))
		return report_fds();
	return cmocka_run_group_tests(tests, setup, teardown);
}
