// SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause)
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <poll.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>
#include <dirent.h>
#include <stdio.h>
#include <sys/prctl.h>
#include <sys/resource.h>
#include <sys/syscall.h>
#include <sys/wait.h>

#include "gate_exec.h"

#define SLICE_MS	50	/* how soon a stop flag is seen */
#define DRAIN_MS	100	/* output still read after the check exited */
#define IFNAME_TOKEN	"{ifname}"
#define SWEEP_MS	500	/* longest wait for escaped processes to die */

extern char **environ;

/* Everything the child needs, built before fork(): it must not allocate. */
struct prep {
	char *argv[GATE_EXEC_MAX_ARGS + 1];
	char **envp;
	const char *cwd;
	int max_fd;		/* close_range() fallback */
};

struct run {
	struct gate_exec_result *res;
	pid_t pid;
	int out_fd;		/* -1 once at EOF */
	int err_fd;		/* the child's exec errno; -1 once at EOF */
	int exec_err;
	int status;
};

static uint64_t now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec * 1000ull + ts.tv_nsec / 1000000;
}

const char *gate_exec__outcome_name(enum gate_exec_outcome outcome)
{
	static const char *const names[] = {
		[GATE_EXEC_OK] = "ok",
		[GATE_EXEC_EXITED] = "exited",
		[GATE_EXEC_SIGNALED] = "signaled",
		[GATE_EXEC_TIMED_OUT] = "timed_out",
		[GATE_EXEC_INTERRUPTED] = "interrupted",
		[GATE_EXEC_NO_START] = "no_start",
	};

	if ((unsigned int)outcome >= sizeof(names) / sizeof(names[0]))
		return "unknown";
	return names[outcome];
}

/* @tmpl with every "{ifname}" replaced; the result is one argument. */
static int expand(const char *tmpl, const char *ifname, char **out)
{
	size_t tok = strlen(IFNAME_TOKEN), n = 0, len;
	const char *p, *hit;
	char *s;

	for (p = tmpl; (hit = strstr(p, IFNAME_TOKEN)); p = hit + tok)
		n++;
	if (n && !ifname)
		return -EINVAL;
	len = strlen(tmpl) + n * (ifname ? strlen(ifname) : 0) - n * tok;
	if (len > GATE_EXEC_MAX_ARG_LEN)
		return -E2BIG;
	s = malloc(len + 1);
	if (!s)
		return -ENOMEM;
	*out = s;
	for (p = tmpl; (hit = strstr(p, IFNAME_TOKEN)); p = hit + tok) {
		memcpy(s, p, hit - p);
		s += hit - p;
		memcpy(s, ifname, strlen(ifname));
		s += strlen(ifname);
	}
	strcpy(s, p);
	return 0;
}

static size_t name_len(const char *entry)
{
	return strcspn(entry, "=");
}

/* Is @entry's variable set again by one of @extra? */
static bool overridden(const char *entry, const char *const *extra)
{
	size_t n = name_len(entry);

	for (; extra && *extra; extra++)
		if (name_len(*extra) == n && !strncmp(*extra, entry, n))
			return true;
	return false;
}

/* tailgate's environment with @extra added or replacing; not copied. */
static int build_env(const char *const *extra, char ***envp)
{
	size_t n = 0, i = 0, k;
	char **e;

	for (k = 0; extra && extra[k]; k++)
		if (k >= GATE_EXEC_MAX_ENV || !strchr(extra[k], '=') || extra[k][0] == '=')
			return -EINVAL;
	while (environ && environ[n])
		n++;
	e = calloc(n + k + 1, sizeof(*e));
	if (!e)
		return -ENOMEM;
	for (n = 0; environ && environ[n]; n++)
		if (!overridden(environ[n], extra))
			e[i++] = environ[n];
	for (k = 0; extra && extra[k]; k++)
		e[i++] = (char *)extra[k];
	*envp = e;
	return 0;
}

static void prep_free(struct prep *p)
{
	int i;

	for (i = 0; p->argv[i]; i++)
		free(p->argv[i]);
	free(p->envp);
}

static int prepare(const struct gate_exec_req *req, struct prep *p)
{
	struct rlimit rl = {};
	int i, err;

	memset(p, 0, sizeof(*p));
	if (!req->argv || !req->argv[0] || !req->argv[0][0] || !req->timeout_ms)
		return -EINVAL;
	for (i = 0; req->argv[i]; i++) {
		if (i == GATE_EXEC_MAX_ARGS) {
			err = -EINVAL;
			goto out_free;
		}
		err = expand(req->argv[i], req->ifname, &p->argv[i]);
		if (err)
			goto out_free;
	}
	err = build_env(req->env, &p->envp);
	if (err)
		goto out_free;
	p->cwd = req->cwd;
	getrlimit(RLIMIT_NOFILE, &rl);
	p->max_fd = rl.rlim_cur > 0 && rl.rlim_cur < 65536 ? (int)rl.rlim_cur : 65536;
	return 0;
out_free:
	prep_free(p);
	return err;
}

/* Between fork() and exec(): async-signal-safe calls only. */
static void close_from(int first, int max_fd)
{
	int fd;

#ifdef SYS_close_range
	if (!syscall(SYS_close_range, first, ~0U, 0))
		return;
#endif
	for (fd = first; fd < max_fd; fd++)
		close(fd);
}

static void reset_signals(void)
{
	struct sigaction sa = { .sa_handler = SIG_DFL };
	sigset_t none;
	int sig;

	/* Ignored signals stay ignored across exec; the check gets defaults. */
	for (sig = 1; sig < NSIG; sig++)
		sigaction(sig, &sa, NULL);
	sigemptyset(&none);
	sigprocmask(SIG_SETMASK, &none, NULL);
}

static void __attribute__((noreturn)) fail_child(int fd, int code)
{
	int err = errno;

	if (write(fd, &err, sizeof(err)) < 0)
		_exit(code);
	_exit(code);
}

/*
 * The child: own group, fds 0-2 only (stdin /dev/null, stdout and stderr
 * the pipe), fd 3 the close-on-exec pipe that reports a failed exec.
 */
static void __attribute__((noreturn)) child(const struct prep *p, int out_w, int err_w)
{
	int out, err, null;

	setpgid(0, 0);
	reset_signals();
	/* Above 2 first: tailgate may run with stdin or stdout closed. */
	out = fcntl(out_w, F_DUPFD, 3);
	err = fcntl(err_w, F_DUPFD_CLOEXEC, 3);
	null = open("/dev/null", O_RDONLY);
	if (out < 0 || err < 0 || null < 0)
		fail_child(err < 0 ? err_w : err, 126);
	if (dup2(null, 0) < 0 || dup2(out, 1) < 0 || dup2(out, 2) < 0)
		fail_child(err, 126);
	if (err != 3 && dup3(err, 3, O_CLOEXEC) < 0)
		fail_child(err, 126);
	close_from(4, p->max_fd);
	if (p->cwd && chdir(p->cwd))
		fail_child(3, 126);
	execvpe(p->argv[0], p->argv, p->envp);
	fail_child(3, 127);
}

/* Keep the first bytes, count them all. */
static void take_output(struct gate_exec_result *res, const char *buf, size_t n)
{
	size_t room = GATE_EXEC_OUTPUT_MAX - res->output_len;
	size_t keep = n < room ? n : room;

	memcpy(res->output + res->output_len, buf, keep);
	res->output_len += keep;
	res->output[res->output_len] = '\0';
	res->output_total += n;
	res->truncated = res->output_total > res->output_len;
}

/* Read what @fd has; -1 on EOF or error, so poll() stops watching it. */
static int read_some(struct run *r, int fd)
{
	char buf[16384];
	ssize_t n = read(fd, buf, sizeof(buf));

	if (n < 0 && (errno == EINTR || errno == EAGAIN))
		return fd;
	if (n <= 0) {
		close(fd);
		return -1;
	}
	if (fd == r->out_fd)
		take_output(r->res, buf, n);
	else if ((size_t)n >= sizeof(int))
		memcpy(&r->exec_err, buf, sizeof(int));
	return fd;
}

/* Wait up to @ms for output or the exec report, and read it. */
static void watch(struct run *r, int ms)
{
	struct pollfd fds[2] = {
		{ .fd = r->out_fd, .events = POLLIN },
		{ .fd = r->err_fd, .events = POLLIN },
	};

	if (poll(fds, 2, ms) <= 0)
		return;
	if (fds[0].revents)
		r->out_fd = read_some(r, r->out_fd);
	if (fds[1].revents)
		r->err_fd = read_some(r, r->err_fd);
}

/* Has the check exited? Not reaped, so its pid (and group) stays ours. */
static bool exited(const struct run *r)
{
	siginfo_t si = {};

	if (waitid(P_PID, r->pid, &si, WEXITED | WNOHANG | WNOWAIT))
		return errno == ECHILD;
	return si.si_pid == r->pid;
}

/* SIGKILL the check and whatever it started, then reap it. */
static void kill_and_reap(struct run *r)
{
	pid_t got;

	kill(-r->pid, SIGKILL);
	kill(r->pid, SIGKILL);		/* in case it left its group */
	while ((got = waitpid(r->pid, &r->status, 0)) < 0 && errno == EINTR)
		;
	/* Reaped behind our back (SIGCHLD ignored): no status to trust. */
	if (got < 0)
		r->exec_err = errno;
}

/* The parent pid in /proc/PID/stat, or -1. */
static pid_t parent_of(const char *pid)
{
	char path[sizeof("/proc//stat") + NAME_MAX], buf[512], *p;
	ssize_t n;
	int fd;

	snprintf(path, sizeof(path), "/proc/%s/stat", pid);
	fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return -1;
	n = read(fd, buf, sizeof(buf) - 1);
	close(fd);
	if (n <= 0)
		return -1;
	buf[n] = '\0';
	/* "PID (COMM) STATE PPID ...": COMM may hold spaces and ')'. */
	p = strrchr(buf, ')');
	if (!p || strlen(p) < 5)
		return -1;
	return (pid_t)strtol(p + 4, NULL, 10);
}

/* SIGKILL and reap every child of ours; @return how many there were. */
static int kill_children(void)
{
	pid_t self = getpid(), pid;
	struct dirent *de;
	int n = 0;
	DIR *d;

	d = opendir("/proc");
	if (!d)
		return 0;
	while ((de = readdir(d))) {
		if (de->d_name[0] < '1' || de->d_name[0] > '9' || parent_of(de->d_name) != self)
			continue;
		pid = (pid_t)strtol(de->d_name, NULL, 10);
		kill(-pid, SIGKILL);
		kill(pid, SIGKILL);
		while (waitpid(pid, NULL, 0) < 0 && errno == EINTR)
			;
		n++;
	}
	closedir(d);
	return n;
}

/*
 * A check that left its process group (setsid, a double fork) is not
 * reached by the kill by group. tailgate is the checks' subreaper, so
 * whatever they started is reparented to it when its parent dies: kill
 * those too, until none is left. tailgate starts no other children.
 */
static void sweep_escaped(void)
{
	uint64_t end = now_ms() + SWEEP_MS;
	struct timespec ts = { 0, 5 * 1000 * 1000 };
	int quiet = 0;

	while (quiet < 3 && now_ms() < end) {
		if (kill_children())
			quiet = 0;
		else
			quiet++;
		nanosleep(&ts, NULL);
	}
}

/* It exited: read what is left, briefly; its leftovers may hold the pipe. */
static void finish_exited(struct run *r)
{
	uint64_t end = now_ms() + DRAIN_MS, now;

	while ((r->out_fd >= 0 || r->err_fd >= 0) && (now = now_ms()) < end)
		watch(r, end - now);
	kill_and_reap(r);
	if (r->exec_err) {
		/* Failed chdir or exec, reported by the child itself. */
		r->res->outcome = GATE_EXEC_NO_START;
		r->res->err = r->exec_err;
	} else if (WIFEXITED(r->status)) {
		r->res->exit_code = WEXITSTATUS(r->status);
		r->res->outcome = r->res->exit_code ? GATE_EXEC_EXITED : GATE_EXEC_OK;
	} else {
		r->res->signal = WTERMSIG(r->status);
		r->res->outcome = GATE_EXEC_SIGNALED;
	}
}

static void supervise(const struct gate_exec_req *req, struct run *r, uint64_t start)
{
	uint64_t deadline = start + req->timeout_ms, now;
	int slice;

	for (;;) {
		/* A check that finished is reported as finished. */
		if (exited(r)) {
			finish_exited(r);
			return;
		}
		now = now_ms();
		if (now >= deadline || (req->stop && *req->stop)) {
			kill_and_reap(r);
			r->res->outcome = now >= deadline ? GATE_EXEC_TIMED_OUT
							  : GATE_EXEC_INTERRUPTED;
			return;
		}
		/* Nothing to read: only the exit is left to notice, sooner. */
		slice = r->out_fd < 0 && r->err_fd < 0 ? 5 : SLICE_MS;
		watch(r, deadline - now < (uint64_t)slice ? (int)(deadline - now) : slice);
	}
}

static void no_start(struct gate_exec_result *res, int err)
{
	res->outcome = GATE_EXEC_NO_START;
	res->err = err;
}

int gate_exec__run(const struct gate_exec_req *req, struct gate_exec_result *res)
{
	struct run r = { .res = res, .out_fd = -1, .err_fd = -1 };
	int out[2], rep[2], err;
	struct prep p;
	uint64_t start;

	memset(res, 0, sizeof(*res));
	err = prepare(req, &p);
	if (err)
		return err;
	start = now_ms();
	/* What the check starts and abandons comes back to us (sweep_escaped). */
	prctl(PR_SET_CHILD_SUBREAPER, 1, 0, 0, 0);
	if (pipe2(out, O_CLOEXEC)) {
		no_start(res, errno);
		goto out_prep;
	}
	if (pipe2(rep, O_CLOEXEC)) {
		no_start(res, errno);
		goto out_close_out;
	}
	r.pid = fork();
	if (r.pid < 0) {
		no_start(res, errno);
		close(rep[0]);
		close(rep[1]);
		goto out_close_out;
	}
	if (!r.pid)
		child(&p, out[1], rep[1]);
	/* Both sides: no window where a kill by group misses it. */
	setpgid(r.pid, r.pid);
	close(out[1]);
	close(rep[1]);
	r.out_fd = out[0];
	r.err_fd = rep[0];
	supervise(req, &r, start);
	sweep_escaped();
	if (r.out_fd >= 0)
		close(r.out_fd);
	if (r.err_fd >= 0)
		close(r.err_fd);
	res->elapsed_ms = now_ms() - start;
	prep_free(&p);
	return 0;
out_close_out:
	close(out[0]);
	close(out[1]);
out_prep:
	res->elapsed_ms = now_ms() - start;
	prep_free(&p);
	return 0;
}

/* One word of a command line; @q is the quote it is in (0, '\'' or '"'). */
static const char *split_word(const char *s, char **out, char *end, int *err)
{
	char q = 0, *o = *out;

	for (; *s && (q || (*s != ' ' && *s != '\t')); s++) {
		if (!q && (*s == '\'' || *s == '"')) {
			q = *s;
			continue;
		}
		if (q && *s == q) {
			q = 0;
			continue;
		}
		if (*s == '\\' && q != '\'' && s[1] &&
		    (!q || s[1] == '"' || s[1] == '\\'))
			s++;
		if (o == end) {
			*err = -E2BIG;
			return s;
		}
		*o++ = *s;
	}
	if (q)
		*err = -EINVAL;
	if (o == end)
		*err = -E2BIG;
	else
		*o++ = '\0';
	*out = o;
	return s;
}

int gate_exec__split(const char *line, char *buf, size_t len, const char **argv,
		     int max)
{
	char *o = buf, *end = buf + len;
	int n = 0, err = 0;

	while (*line && !err) {
		if (*line == ' ' || *line == '\t') {
			line++;
			continue;
		}
		if (n + 1 >= max)
			return -E2BIG;
		argv[n++] = o;
		line = split_word(line, &o, end, &err);
	}
	if (err)
		return err;
	if (!n)
		return -EINVAL;
	argv[n] = NULL;
	return n;
}
