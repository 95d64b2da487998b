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
#include <getopt.h>
#include <limits.h>
#include <sched.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>
#include <net/if.h>

#include "log.h"
#include "pins.h"
#include "state.h"
#include "tailgate.h"

#define SANDBOX_MAX		64
#define SANDBOX_DEFAULT		4
#define SANDBOX_DIR		"sandbox"

struct sandbox_opts {
	int count;
	int rate;		/* packets per second per interface */
	int lifetime;		/* seconds the traffic runs */
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
		if (log__level() <= LOG_INFO && (fd = open("/dev/null", O_WRONLY)) >= 0) {
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

static int host_up(int i)
{
	char ns[16], ifn[16], a4[32], p4[32], a6[48], p6[48];
	int err;

	names(i, ns, ifn, a4, p4, a6, p6);
	/* Idempotent: whatever an earlier sandbox left goes first. */
	RUN("ip", "netns", "del", ns);
	RUN("ip", "link", "del", ifn);
	err = RUN("ip", "netns", "add", ns) ||
	      RUN("ip", "link", "add", ifn, "type", "veth", "peer", "name", "eth0", "netns", ns) ||
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
	snprintf(life, sizeof(life), "%d", o->lifetime);
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
		n = open("/dev/null", O_RDWR);
		dup2(n, STDIN_FILENO);
		dup2(n, STDOUT_FILENO);
		dup2(n, STDERR_FILENO);
		execlp("ping", "ping", "-q", "-i", ival, "-w", life, dst, (char *)NULL);
		_exit(127);
	}
	n = snprintf(pidbuf, sizeof(pidbuf), "%d\n", pid);
	return pins__write_atomic(path, pidbuf, n);
}

static pid_t traffic_pid(int i)
{
	char path[PATH_MAX], proc[64], comm[32] = "", *buf;
	pid_t pid;
	FILE *f;

	if (pid_path(path, sizeof(path), i) || !(buf = pins__read_file(path, 64, NULL)))
		return 0;
	pid = atoi(buf);
	free(buf);
	/* Guard against pid reuse: only ever signal our ping. */
	snprintf(proc, sizeof(proc), "/proc/%d/comm", pid);
	f = fopen(proc, "r");
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
	buf = pins__read_file(path, 64, NULL);
	n = buf ? atoi(buf) : 0;
	free(buf);
	return n > 0 && n <= SANDBOX_MAX ? n : 0;
}

static int do_down(void)
{
	char ns[16], ifn[16], a4[32], p4[32], a6[48], p6[48], dir[PATH_MAX];
	int i, n = sandbox_count();
	pid_t pid;

	/* Without a record, remove what a default sandbox would have made. */
	if (!n)
		n = SANDBOX_MAX;
	for (i = 0; i < n; i++) {
		pid = traffic_pid(i);
		if (pid > 0)
			kill(pid, SIGTERM);
		names(i, ns, ifn, a4, p4, a6, p6);
		/* Deleting the namespace deletes its veth pair too. */
		snprintf(dir, sizeof(dir), "/run/netns/%s", ns);
		if (!access(dir, F_OK))
			RUN("ip", "netns", "del", ns);
	}
	if (!pins__path(dir, sizeof(dir), "%s/%s", pins__state_dir(), SANDBOX_DIR))
		pins__rm_rf(dir);
	printf("sandbox down; dispatchers and pins stay until 'tailgate detach'\n");
	return 0;
}

static int do_up(const struct sandbox_opts *o)
{
	char dir[PATH_MAX], path[PATH_MAX], buf[16];
	int i, n, err;

	err = pins__path(dir, sizeof(dir), "%s/%s", pins__state_dir(), SANDBOX_DIR) ?:
	      pins__mkdir_p(dir, 0700);
	if (err)
		return err;
	for (i = 0; i < o->count; i++) {
		err = host_up(i) ?: traffic_start(i, o);
		if (err)
			return err;
	}
	n = snprintf(buf, sizeof(buf), "%d\n", o->count);
	if (pins__path(path, sizeof(path), "%s/count", dir) ||
	    pins__write_atomic(path, buf, n))
		return -EIO;
	printf("sandbox up: tg0..tg%d, each with %d pps of ping for %d s from namespace tgsb<i> (198.18.<i>.2 -> 198.18.<i>.1)\n",
	       o->count - 1, o->rate, o->lifetime);
	return 0;
}

static int do_show(void)
{
	int i, n = sandbox_count();
	char ifn[16];

	if (tg_opts.json)
		printf("[");
	for (i = 0; i < n; i++) {
		snprintf(ifn, sizeof(ifn), "tg%d", i);
		if (tg_opts.json)
			printf("%s{\"ifname\":\"%s\",\"ifindex\":%u,\"netns\":\"tgsb%d\",\"traffic\":%s}",
			       i ? "," : "", ifn, if_nametoindex(ifn), i,
			       traffic_pid(i) ? "true" : "false");
		else
			printf("%-6s ifindex %-5u netns tgsb%-3d traffic %s\n", ifn,
			       if_nametoindex(ifn), i, traffic_pid(i) ? "running" : "stopped");
	}
	if (tg_opts.json)
		printf("]\n");
	else if (!n)
		printf("no sandbox; 'tailgate sandbox up' makes one\n");
	return 0;
}

static int parse_up(int argc, char **argv, struct sandbox_opts *o)
{
	static const struct option opts[] = {
		{ "count", required_argument, NULL, 'c' },
		{ "rate", required_argument, NULL, 'r' },
		{ "lifetime", required_argument, NULL, 'l' },
		{ 0 },
	};
	int c;

	while ((c = getopt_long(argc, argv, "c:r:l:", opts, NULL)) != -1) {
		if (c == 'c')
			o->count = atoi(optarg);
		else if (c == 'r')
			o->rate = atoi(optarg);
		else if (c == 'l')
			o->lifetime = atoi(optarg);
		else
			return -EINVAL;
	}
	if (o->count < 1 || o->count > SANDBOX_MAX || o->rate < 1 || o->rate > 1000 ||
	    o->lifetime < 1 || o->lifetime > 86400) {
		fprintf(stderr, "sandbox up: --count 1..%d, --rate 1..1000 pps, --lifetime 1..86400 s\n",
			SANDBOX_MAX);
		return -EINVAL;
	}
	return 0;
}

int do_sandbox(int argc, char **argv)
{
	struct sandbox_opts o = { SANDBOX_DEFAULT, 100, 3600 };

	if (argc >= 2 && !strcmp(argv[1], "up")) {
		if (geteuid()) {
			pr_warn("sandbox: run as root (it creates namespaces and veth pairs)\n");
			return -EPERM;
		}
		if (parse_up(argc - 1, argv + 1, &o))
			return TG_ERR_USAGE;
		return do_up(&o);
	}
	if (argc == 2 && !strcmp(argv[1], "down"))
		return do_down();
	if (argc == 2 && !strcmp(argv[1], "status"))
		return do_show();
	fprintf(stderr, "usage: tailgate sandbox up [--count N] [--rate PPS] [--lifetime SEC] | down | status\n");
	return TG_ERR_USAGE;
}
