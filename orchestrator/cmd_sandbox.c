// SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause)
/*
 * tailgate sandbox up [--count N] [--rate PPS] [--lifetime SEC] | down | status
 *
 * A demo fleet on this host: for each i, a namespace tgsb<i> holding the
 * far end (eth0, 198.18.<i>.2/24, 2001:2:0:<i>::2/64) of a veth pair whose
 * near end tg<i> (198.18.<i>.1/24, 2001:2:0:<i>::1/64) stays in the root
 * namespace, where tailgate attaches. A ping from inside each namespace
 * gives live traffic both ways (requests in, replies out), bounded by its
 * lifetime. Addresses are from the benchmarking ranges only.
 */
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <sched.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>
#include <net/if.h>

#include "files.h"
#include "log.h"
#include "out.h"
#include "pins.h"
#include "tailgate.h"

#define SANDBOX_MAX		64
#define SANDBOX_DEFAULT		4
#define SANDBOX_DIR		"sandbox"
#define SANDBOX_ALIAS		"tailgate-sandbox"	/* marks what the sandbox made */

struct sandbox_opts {
	uint64_t count;
	uint64_t rate;		/* packets per second per interface */
	uint64_t lifetime;	/* seconds the traffic runs */
};

/* Run argv (NULL-terminated), quietly unless -v. @return exit status. */
static int run(char *const argv[])
{
	int status, fd;
	pid_t pid;

	pid = fork();
	if (pid < 0)
		return -errno;
	if (!pid) {
		if (log__level() <= LOG_INFO && (fd = open("/dev/null", O_WRONLY | O_CLOEXEC)) >= 0) {
			dup2(fd, STDOUT_FILENO);
			dup2(fd, STDERR_FILENO);
		}
		execvp(argv[0], argv);
		_exit(127);
	}
	if (waitpid(pid, &status, 0) < 0)
		return -errno;
	return WIFEXITED(status) ? WEXITSTATUS(status) : 128;
}

#define RUN(...) run((char *const[]){ __VA_ARGS__, NULL })

static void names(int i, char *ns, char *ifname, char *a4, char *p4, char *a6, char *p6)
{
	sprintf(ns, "tgsb%d", i);
	sprintf(ifname, "tg%d", i);
	sprintf(a4, "198.18.%d.1/24", i);
	sprintf(p4, "198.18.%d.2/24", i);
	sprintf(a6, "2001:2:0:%x::1/64", i);
	sprintf(p6, "2001:2:0:%x::2/64", i);
}

/* Did the sandbox make interface @ifn? Its alias says so. */
static bool ours(const char *ifn)
{
	char path[64], alias[64] = "";
	FILE *f;

	snprintf(path, sizeof(path), "/sys/class/net/%s/ifalias", ifn);
	f = fopen(path, "re");
	if (!f)
		return false;
	if (!fgets(alias, sizeof(alias), f))
		alias[0] = '\0';
	fclose(f);
	alias[strcspn(alias, "\n")] = '\0';
	return !strcmp(alias, SANDBOX_ALIAS);
}

static bool ns_exists(const char *ns)
{
	char path[64];

	snprintf(path, sizeof(path), "/run/netns/%s", ns);
	return !access(path, F_OK);
}

/* Remove host @i, only what the sandbox made. */
static void host_down(int i)
{
	char ns[16], ifn[16], a4[32], p4[32], a6[48], p6[48];
	bool mine;

	names(i, ns, ifn, a4, p4, a6, p6);
	mine = ours(ifn);
	if (mine)
		RUN("ip", "link", "del", ifn);
	/* The namespace only goes with its interface (or when that is gone). */
	if (ns_exists(ns) && (mine || !if_nametoindex(ifn)))
		RUN("ip", "netns", "del", ns);
}

static int host_up(int i)
{
	char ns[16], ifn[16], a4[32], p4[32], a6[48], p6[48];
	int err;

	names(i, ns, ifn, a4, p4, a6, p6);
	if (if_nametoindex(ifn) && !ours(ifn)) {
		if (i)
			pr_warn("sandbox: %s exists and was not made by the sandbox; it is left alone: remove it yourself, or run the sandbox with fewer interfaces (--count %d)\n",
				ifn, i);
		else
			pr_warn("sandbox: %s exists and was not made by the sandbox; it is left alone: remove it yourself to run the sandbox\n",
				ifn);
		return -EEXIST;
	}
	if (ns_exists(ns) && if_nametoindex(ifn) == 0) {
		pr_warn("sandbox: namespace %s exists without the sandbox's %s; it is left alone: remove it yourself ('ip netns del %s')\n",
			ns, ifn, ns);
		return -EEXIST;
	}
	/* Idempotent: what an earlier sandbox left goes first. */
	host_down(i);
	err = RUN("ip", "netns", "add", ns) ||
	      RUN("ip", "link", "add", ifn, "type", "veth", "peer", "name", "eth0", "netns", ns) ||
	      RUN("ip", "link", "set", "dev", ifn, "alias", SANDBOX_ALIAS) ||
	      RUN("ip", "addr", "add", a4, "dev", ifn) ||
	      RUN("ip", "addr", "add", a6, "dev", ifn, "nodad") ||
	      RUN("ip", "link", "set", ifn, "up") ||
	      RUN("ip", "-n", ns, "addr", "add", p4, "dev", "eth0") ||
	      RUN("ip", "-n", ns, "addr", "add", p6, "dev", "eth0", "nodad") ||
	      RUN("ip", "-n", ns, "link", "set", "eth0", "up") ||
	      RUN("ip", "-n", ns, "link", "set", "lo", "up");
	if (err) {
		pr_warn("sandbox: setting up %s (namespace %s) failed; is iproute2 installed and are you root? (-v shows the ip commands' output)\n",
			ifn, ns);
		return -EIO;
	}
	return 0;
}

static int pid_path(char *buf, size_t len, int i)
{
	return pins__path(buf, len, "%s/%s/ping.%d", pins__state_dir(), SANDBOX_DIR, i);
}

/* A detached ping inside namespace tgsb<i> towards the root end. */
static int traffic_start(int i, const struct sandbox_opts *o)
{
	char path[PATH_MAX], ns[PATH_MAX], dst[32], ival[16], life[16], pidbuf[16];
	int nsfd, n;
	pid_t pid;

	snprintf(ns, sizeof(ns), "/run/netns/tgsb%d", i);
	snprintf(dst, sizeof(dst), "198.18.%d.1", i);
	snprintf(ival, sizeof(ival), "%.4f", 1.0 / o->rate);
	snprintf(life, sizeof(life), "%d", (int)o->lifetime);
	if (pid_path(path, sizeof(path), i))
		return -ENAMETOOLONG;
	pid = fork();
	if (pid < 0)
		return -errno;
	if (!pid) {
		setsid();
		nsfd = open(ns, O_RDONLY | O_CLOEXEC);
		if (nsfd < 0 || setns(nsfd, CLONE_NEWNET))
			_exit(126);
		n = open("/dev/null", O_RDWR | O_CLOEXEC);
		if (n < 0)
			_exit(126);
		dup2(n, STDIN_FILENO);
		dup2(n, STDOUT_FILENO);
		dup2(n, STDERR_FILENO);
		execlp("ping", "ping", "-q", "-i", ival, "-w", life, dst, (char *)NULL);
		_exit(127);
	}
	n = snprintf(pidbuf, sizeof(pidbuf), "%d\n", pid);
	return files__write(path, pidbuf, n);
}

static pid_t traffic_pid(int i)
{
	char path[PATH_MAX], proc[64], comm[32] = "", *buf;
	pid_t pid;
	FILE *f;

	if (pid_path(path, sizeof(path), i) || !(buf = files__read(path, 64, NULL)))
		return 0;
	pid = atoi(buf);
	free(buf);
	/* Guard against pid reuse: only ever signal our ping. */
	snprintf(proc, sizeof(proc), "/proc/%d/comm", pid);
	f = fopen(proc, "re");
	if (!f)
		return 0;
	if (!fgets(comm, sizeof(comm), f))
		comm[0] = '\0';
	fclose(f);
	return strncmp(comm, "ping", 4) ? 0 : pid;
}

static int sandbox_count(void)
{
	char path[PATH_MAX], *buf;
	int n;

	if (pins__path(path, sizeof(path), "%s/%s/count", pins__state_dir(), SANDBOX_DIR))
		return 0;
	buf = files__read(path, 64, NULL);
	n = buf ? atoi(buf) : 0;
	free(buf);
	return n > 0 && n <= SANDBOX_MAX ? n : 0;
}

static int do_down(void)
{
	char dir[PATH_MAX];
	int i, n = sandbox_count();
	pid_t pid;

	/* Without a record, look for what a sandbox would have made. */
	if (!n)
		n = SANDBOX_MAX;
	for (i = 0; i < n; i++) {
		pid = traffic_pid(i);
		if (pid > 0)
			kill(pid, SIGTERM);
		host_down(i);
	}
	if (!pins__path(dir, sizeof(dir), "%s/%s", pins__state_dir(), SANDBOX_DIR))
		pins__rm_rf(dir);
	out__info("sandbox down; dispatchers and pins stay until 'tailgate detach'");
	return 0;
}

static int do_up(const struct sandbox_opts *o)
{
	char dir[PATH_MAX], path[PATH_MAX], buf[16];
	int i, n, err;

	err = files__check_state_dir(true) ?:
	      pins__path(dir, sizeof(dir), "%s/%s", pins__state_dir(), SANDBOX_DIR) ?:
	      files__mkdir(SANDBOX_DIR);
	if (err)
		return err;
	for (i = 0; i < (int)o->count; i++) {
		err = host_up(i) ?: traffic_start(i, o);
		if (err)
			return err;
	}
	n = snprintf(buf, sizeof(buf), "%d\n", (int)o->count);
	if (pins__path(path, sizeof(path), "%s/count", dir) || files__write(path, buf, n))
		return -EIO;
	out__info("sandbox up: tg0..tg%d, each with %d pps of ping for %d s from namespace tgsb<i> (198.18.<i>.2 -> 198.18.<i>.1)",
		  (int)o->count - 1, (int)o->rate, (int)o->lifetime);
	if (out__json())
		jsonw_uint_field(out__json(), "count", o->count);
	return 0;
}

static int do_show(void)
{
	jsonw_t *w = out__json();
	int i, n = sandbox_count();
	char ifn[16];

	if (w) {
		jsonw_name(w, "interfaces");
		jsonw_start_array(w);
	}
	for (i = 0; i < n; i++) {
		snprintf(ifn, sizeof(ifn), "tg%d", i);
		if (w) {
			jsonw_start_object(w);
			jsonw_string_field(w, "ifname", ifn);
			jsonw_uint_field(w, "ifindex", if_nametoindex(ifn));
			jsonw_bool_field(w, "traffic", traffic_pid(i) != 0);
			jsonw_end_object(w);
		} else {
			out__printf("%-6s ifindex %-5u netns tgsb%-3d traffic %s\n", ifn,
				    if_nametoindex(ifn), i, traffic_pid(i) ? "running" : "stopped");
		}
	}
	if (w)
		jsonw_end_array(w);
	else if (!n)
		out__info("no sandbox; 'tailgate sandbox up' makes one");
	return 0;
}

static int run_sandbox(void *cfg, char **pos, int nr)
{
	struct sandbox_opts *o = cfg;

	if (geteuid()) {
		pr_warn("sandbox: run as root (it creates namespaces and veth pairs)\n");
		return -EPERM;
	}
	if (!strcmp(pos[0], "up"))
		return do_up(o);
	if (!strcmp(pos[0], "down"))
		return do_down();
	if (!strcmp(pos[0], "status"))
		return do_show();
	pr_warn("sandbox: '%s': expected up, down or status\n", pos[0]);
	return TG_ERR_USAGE;
}

static void sandbox_defaults(void *cfg)
{
	struct sandbox_opts *o = cfg;

	o->count = SANDBOX_DEFAULT;
	o->rate = 100;
	o->lifetime = 3600;
}

static const struct opt sandbox_opts[] = {
	OPTION_U64("count", 'c', struct sandbox_opts, count, "N", "interfaces tg0..tgN-1 (up)", 1, SANDBOX_MAX),
	OPTION_U64("rate", 'r', struct sandbox_opts, rate, "PPS", "ping rate per interface (up)", 1, 1000),
	OPTION_U64("lifetime", 'l', struct sandbox_opts, lifetime, "SEC", "seconds the traffic runs (up)", 1, 86400),
	OPTION_END,
};

const struct tg_verb verb_sandbox = {
	.def = { .name = "sandbox", .args = "up|down|status", .opts = sandbox_opts, .min_pos = 1,
		 .max_pos = 1, .summary = "a demo fleet of veth interfaces with live traffic" },
	.cfg_size = sizeof(struct sandbox_opts),
	.defaults = sandbox_defaults,
	.run = run_sandbox,
};
