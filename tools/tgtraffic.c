// SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause)
/*
 * tgtraffic: sequence-numbered UDP traffic for tests and benchmarks,
 * always bounded in count and time, and only towards the benchmarking
 * ranges 198.18.0.0/15 and 2001:2::/48.
 *
 *   tgtraffic send --dst ADDR --port P [--rate PPS] [--count N]
 *                  [--duration SEC] [--size BYTES] [--stream ID] [--json]
 *   tgtraffic recv --bind ADDR --port P [--duration SEC] [--idle-ms MS] [--json]
 *
 * send paces at --rate (0: as fast as it can, then --count or --duration
 * must bound it), ends with END markers carrying the number sent, and
 * prints "sent=N"; SIGINT or SIGTERM ends it early the same way. recv counts per stream until every sender's END (plus
 * a short grace), the idle timeout or the duration, and prints
 * "received=N lost=N dup=N reordered=N expected=N".
 */
#include <arpa/inet.h>
#include <errno.h>
#include <getopt.h>
#include <signal.h>
#include <netinet/in.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#define MAGIC		0x74677466u	/* "tgtf" */
#define FLAG_END	1u
#define MAX_DURATION	600
#define MAX_STREAMS	64
#define BATCH		32
#define SEEN_BITS	(1u << 24)	/* dup detection window (16M packets) */

struct hdr {
	uint32_t magic;
	uint32_t stream;
	uint64_t seq;		/* data: 0..; END: number sent */
	uint32_t flags;
} __attribute__((packed));

struct opts {
	bool send;
	char addr[64];
	int port;
	uint64_t rate, count;
	double duration;
	int size, stream, idle_ms;
	bool json;
};

/* SIGINT/SIGTERM end a send early, END markers and report included. */
static volatile sig_atomic_t stop;

static void on_signal(int sig)
{
	stop = 1;
}

static double now(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec + ts.tv_nsec / 1e9;
}

static int parse_addr(const char *s, int port, struct sockaddr_storage *ss, socklen_t *len)
{
	struct sockaddr_in *a4 = (struct sockaddr_in *)ss;
	struct sockaddr_in6 *a6 = (struct sockaddr_in6 *)ss;

	memset(ss, 0, sizeof(*ss));
	if (inet_pton(AF_INET, s, &a4->sin_addr) == 1) {
		a4->sin_family = AF_INET;
		a4->sin_port = htons(port);
		*len = sizeof(*a4);
		return 0;
	}
	if (inet_pton(AF_INET6, s, &a6->sin6_addr) == 1) {
		a6->sin6_family = AF_INET6;
		a6->sin6_port = htons(port);
		*len = sizeof(*a6);
		return 0;
	}
	return -EINVAL;
}

/* The safety net: nothing but the benchmarking ranges is ever a target. */
static bool allowed(const struct sockaddr_storage *ss)
{
	const uint8_t *b;

	if (ss->ss_family == AF_INET) {
		b = (const uint8_t *)&((const struct sockaddr_in *)ss)->sin_addr;
		return b[0] == 198 && (b[1] & 0xfe) == 18;
	}
	b = ((const struct sockaddr_in6 *)ss)->sin6_addr.s6_addr;
	return b[0] == 0x20 && b[1] == 0x01 && b[2] == 0x00 && b[3] == 0x02 && !b[4] && !b[5];
}

static void pace(double start, uint64_t sent, uint64_t rate)
{
	double due = start + (double)sent / rate, d = due - now();
	struct timespec ts;

	if (d <= 0)
		return;
	ts.tv_sec = (time_t)d;
	ts.tv_nsec = (long)((d - ts.tv_sec) * 1e9);
	nanosleep(&ts, NULL);
}

static int do_send(const struct opts *o)
{
	char buf[BATCH][2048];
	struct mmsghdr msgs[BATCH];
	struct iovec iov[BATCH];
	struct sockaddr_storage ss;
	socklen_t sl;
	uint64_t sent = 0, n;
	double start = now(), end = start + o->duration;
	struct hdr *h;
	int fd, i, k;

	if (parse_addr(o->addr, o->port, &ss, &sl) || !allowed(&ss)) {
		fprintf(stderr, "tgtraffic: refusing destination %s: only 198.18.0.0/15 and 2001:2::/48\n",
			o->addr);
		return 2;
	}
	fd = socket(ss.ss_family, SOCK_DGRAM, 0);
	if (fd < 0 || connect(fd, (struct sockaddr *)&ss, sl)) {
		perror("tgtraffic: socket/connect");
		return 1;
	}
	memset(buf, 0, sizeof(buf));
	memset(msgs, 0, sizeof(msgs));
	for (i = 0; i < BATCH; i++) {
		iov[i].iov_base = buf[i];
		iov[i].iov_len = o->size;
		msgs[i].msg_hdr.msg_iov = &iov[i];
		msgs[i].msg_hdr.msg_iovlen = 1;
	}
	signal(SIGINT, on_signal);
	signal(SIGTERM, on_signal);
	while ((!o->count || sent < o->count) && now() < end && !stop) {
		n = BATCH;
		if (o->count && o->count - sent < n)
			n = o->count - sent;
		if (o->rate && n > o->rate / 1000 + 1)
			n = o->rate / 1000 + 1;	/* about a millisecond's worth */
		for (i = 0; i < (int)n; i++) {
			h = (struct hdr *)buf[i];
			*h = (struct hdr){ MAGIC, o->stream, sent + i, 0 };
		}
		k = sendmmsg(fd, msgs, n, 0);
		if (k < 0) {
			if (errno == ENOBUFS || errno == EAGAIN || errno == ECONNREFUSED)
				continue;
			perror("tgtraffic: sendmmsg");
			break;
		}
		sent += k;
		if (o->rate)
			pace(start, sent, o->rate);
	}
	for (i = 0; i < 5; i++) {
		h = (struct hdr *)buf[0];
		*h = (struct hdr){ MAGIC, o->stream, sent, FLAG_END };
		send(fd, buf[0], o->size, 0);
		usleep(2000);
	}
	if (o->json)
		printf("{\"sent\":%llu,\"seconds\":%.3f}\n", (unsigned long long)sent, now() - start);
	else
		printf("sent=%llu\n", (unsigned long long)sent);
	close(fd);
	return 0;
}

struct stream {
	bool used, ended;
	uint32_t id;
	uint64_t received, dup, reordered, max_seq, expected;
	uint8_t *seen;
};

static struct stream *stream_of(struct stream *st, uint32_t id)
{
	int i;

	for (i = 0; i < MAX_STREAMS; i++) {
		if (st[i].used && st[i].id == id)
			return &st[i];
		if (!st[i].used) {
			st[i].used = true;
			st[i].id = id;
			st[i].seen = calloc(SEEN_BITS / 8, 1);
			return st[i].seen ? &st[i] : NULL;
		}
	}
	return NULL;
}

static void account(struct stream *s, const struct hdr *h)
{
	uint64_t bit = h->seq % SEEN_BITS;

	if (h->flags & FLAG_END) {
		s->ended = true;
		s->expected = h->seq;
		return;
	}
	if (s->seen[bit / 8] & (1u << (bit % 8))) {
		s->dup++;
		return;
	}
	s->seen[bit / 8] |= 1u << (bit % 8);
	s->received++;
	if (h->seq < s->max_seq)
		s->reordered++;
	else
		s->max_seq = h->seq;
}

static bool all_ended(const struct stream *st)
{
	int i, n = 0;

	for (i = 0; i < MAX_STREAMS; i++) {
		if (st[i].used && !st[i].ended)
			return false;
		n += st[i].used;
	}
	return n > 0;
}

static int open_recv(const struct opts *o)
{
	struct sockaddr_storage ss;
	struct timeval tv = { 0, 100000 };
	int fd, sz = 8 << 20;
	socklen_t sl;

	if (parse_addr(o->addr, o->port, &ss, &sl)) {
		fprintf(stderr, "tgtraffic: bad --bind address %s\n", o->addr);
		return -1;
	}
	fd = socket(ss.ss_family, SOCK_DGRAM, 0);
	if (fd < 0)
		return -1;
	/* A deep buffer so socket overflow never poses as datapath loss. */
	if (setsockopt(fd, SOL_SOCKET, SO_RCVBUFFORCE, &sz, sizeof(sz)))
		setsockopt(fd, SOL_SOCKET, SO_RCVBUF, &sz, sizeof(sz));
	setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof(tv));
	if (bind(fd, (struct sockaddr *)&ss, sl)) {
		perror("tgtraffic: bind");
		close(fd);
		return -1;
	}
	return fd;
}

static void report(const struct opts *o, struct stream *st)
{
	uint64_t rx = 0, exp = 0, dup = 0, reo = 0, lost;
	int i;

	for (i = 0; i < MAX_STREAMS; i++) {
		if (!st[i].used)
			continue;
		rx += st[i].received;
		dup += st[i].dup;
		reo += st[i].reordered;
		exp += st[i].ended ? st[i].expected : st[i].max_seq + 1;
		free(st[i].seen);
	}
	lost = exp > rx ? exp - rx : 0;
	if (o->json)
		printf("{\"received\":%llu,\"lost\":%llu,\"dup\":%llu,\"reordered\":%llu,\"expected\":%llu}\n",
		       (unsigned long long)rx, (unsigned long long)lost, (unsigned long long)dup,
		       (unsigned long long)reo, (unsigned long long)exp);
	else
		printf("received=%llu lost=%llu dup=%llu reordered=%llu expected=%llu\n",
		       (unsigned long long)rx, (unsigned long long)lost, (unsigned long long)dup,
		       (unsigned long long)reo, (unsigned long long)exp);
}

static int do_recv(const struct opts *o)
{
	static struct stream st[MAX_STREAMS];
	double start = now(), last = start, ended_at = 0;
	char buf[2048];
	struct stream *s;
	ssize_t n;
	int fd;

	fd = open_recv(o);
	if (fd < 0)
		return 1;
	while (now() - start < o->duration) {
		if (ended_at && now() - ended_at > 0.2)
			break;	/* every sender said END; a little grace for stragglers */
		if (o->idle_ms && now() - last > o->idle_ms / 1000.0)
			break;
		n = recv(fd, buf, sizeof(buf), 0);
		if (n < (ssize_t)sizeof(struct hdr))
			continue;
		if (((struct hdr *)buf)->magic != MAGIC)
			continue;
		last = now();
		s = stream_of(st, ((struct hdr *)buf)->stream);
		if (s)
			account(s, (struct hdr *)buf);
		if (!ended_at && all_ended(st))
			ended_at = now();
	}
	report(o, st);
	close(fd);
	return 0;
}

static int parse(int argc, char **argv, struct opts *o)
{
	static const struct option lo[] = {
		{ "dst", 1, NULL, 'd' }, { "bind", 1, NULL, 'b' }, { "port", 1, NULL, 'p' },
		{ "rate", 1, NULL, 'r' }, { "count", 1, NULL, 'c' }, { "duration", 1, NULL, 't' },
		{ "size", 1, NULL, 's' }, { "stream", 1, NULL, 'S' }, { "idle-ms", 1, NULL, 'i' },
		{ "json", 0, NULL, 'j' }, { 0 },
	};
	int c;

	while ((c = getopt_long(argc, argv, "", lo, NULL)) != -1) {
		switch (c) {
		case 'd':
		case 'b':
			snprintf(o->addr, sizeof(o->addr), "%s", optarg);
			break;
		case 'p': o->port = atoi(optarg); break;
		case 'r': o->rate = strtoull(optarg, NULL, 10); break;
		case 'c': o->count = strtoull(optarg, NULL, 10); break;
		case 't': o->duration = atof(optarg); break;
		case 's': o->size = atoi(optarg); break;
		case 'S': o->stream = atoi(optarg); break;
		case 'i': o->idle_ms = atoi(optarg); break;
		case 'j': o->json = true; break;
		default: return -1;
		}
	}
	if (!o->addr[0] || o->port <= 0 || o->port > 65535)
		return -1;
	if (o->duration <= 0 || o->duration > MAX_DURATION)
		o->duration = o->duration > MAX_DURATION ? MAX_DURATION : (o->count ? MAX_DURATION : 0);
	if (o->send && !o->count && o->duration <= 0)
		return -1;	/* never unbounded */
	if (!o->send && o->duration <= 0)
		o->duration = 60;
	if (o->size < (int)sizeof(struct hdr))
		o->size = sizeof(struct hdr);
	if (o->size > 1400)
		o->size = 1400;
	return 0;
}

int main(int argc, char **argv)
{
	struct opts o = { .size = 64 };

	if (argc < 2 || (strcmp(argv[1], "send") && strcmp(argv[1], "recv")))
		goto usage;
	o.send = !strcmp(argv[1], "send");
	if (parse(argc - 1, argv + 1, &o))
		goto usage;
	return o.send ? do_send(&o) : do_recv(&o);
usage:
	fprintf(stderr, "usage: tgtraffic send --dst ADDR --port P [--rate PPS] [--count N] [--duration SEC] [--size B] [--stream ID] [--json]\n"
			"       tgtraffic recv --bind ADDR --port P [--duration SEC] [--idle-ms MS] [--json]\n"
			"(send needs --count or --duration; addresses only from 198.18.0.0/15 and 2001:2::/48)\n");
	return 2;
}
