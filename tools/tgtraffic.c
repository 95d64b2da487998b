// SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause)
/*
 * tgtraffic: sequence-numbered UDP traffic for tests and benchmarks,
 * always bounded in count and time, and only towards the benchmarking
 * ranges 198.18.0.0/15 and 2001:2::/48.
 *
 *   tgtraffic send --dst ADDR --port P [--rate PPS] [--count N]
 *                  [--duration SEC] [--size BYTES] [--stream ID]
 *                  [--flows N] [--sport-base PORT] [--json]
 *   tgtraffic recv --bind ADDR --port P [--duration SEC] [--idle-ms MS]
 *                  [--per-flow FILE] [--json]
 *
 * send paces at --rate (0: as fast as it can, then --count or --duration
 * must bound it), ends with END markers carrying the number sent, and
 * prints "sent=N"; SIGINT or SIGTERM ends it early the same way. recv counts per stream until every sender's END (plus
 * a short grace), the idle timeout or the duration, and prints
 * "received=N lost=N dup=N reordered=N expected=N".
 *
 * Flows, for testing a flow split: send --flows N sends from N UDP source
 * ports, --sport-base (default 40000) upwards, one socket each, the
 * packets round-robin over them (one sequence space, so recv's summary
 * means what it always did; the END markers go from the first flow).
 * recv --per-flow FILE writes one line per flow (source address and
 * port) seen: "src=ADDR sport=N received=N tos=0x20,0x40", the data
 * datagrams it sent and every IPv4 TOS / IPv6 traffic class byte they
 * arrived with, from IP_RECVTOS / IPV6_RECVTCLASS.
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
#include <sys/resource.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#define MAGIC		0x74677466u	/* "tgtf" */
#define FLAG_END	1u
#define MAX_DURATION	600
#define MAX_STREAMS	64
#define BATCH		32
#define SEEN_BITS	(1u << 24)	/* dup detection window (16M packets) */
#define MAX_FLOWS	4096		/* send --flows: one socket each */
#define SPORT_BASE	40000		/* send --flows without --sport-base */
#define MAX_RX_FLOWS	65536		/* recv --per-flow: flows tracked */

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
	int flows, sport_base;		/* send: 0 = one socket, port by the kernel */
	const char *per_flow;		/* recv: per-flow report file */
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

/* One UDP socket per flow, bound to its source port, connected to @ss. */
static int open_flows(const struct opts *o, const struct sockaddr_storage *ss, socklen_t sl, int *fds)
{
	struct sockaddr_storage src;
	struct rlimit rl;
	int i;

	if (getrlimit(RLIMIT_NOFILE, &rl) == 0 && rl.rlim_cur < (rlim_t)o->flows + 16) {
		rl.rlim_cur = rl.rlim_max < (rlim_t)o->flows + 16 ? rl.rlim_max : (rlim_t)o->flows + 16;
		setrlimit(RLIMIT_NOFILE, &rl);
	}
	for (i = 0; i < o->flows; i++) {
		memset(&src, 0, sizeof(src));
		src.ss_family = ss->ss_family;
		if (ss->ss_family == AF_INET)
			((struct sockaddr_in *)&src)->sin_port = htons(o->sport_base + i);
		else
			((struct sockaddr_in6 *)&src)->sin6_port = htons(o->sport_base + i);
		fds[i] = socket(ss->ss_family, SOCK_DGRAM, 0);
		if (fds[i] < 0 || bind(fds[i], (struct sockaddr *)&src, sl) ||
		    connect(fds[i], (const struct sockaddr *)ss, sl)) {
			fprintf(stderr, "tgtraffic: flow %d: UDP socket from port %d: %s\n", i,
				o->sport_base + i, strerror(errno));
			if (fds[i] >= 0)
				close(fds[i]);
			while (i--)
				close(fds[i]);
			return -1;
		}
	}
	return 0;
}

/* --flows: packet k goes out of flow k % N, one send each. */
static uint64_t send_flows(const struct opts *o, const int *fds, char *buf, double start, double end)
{
	uint64_t sent = 0, n, i;
	struct hdr *h = (struct hdr *)buf;

	while ((!o->count || sent < o->count) && now() < end && !stop) {
		n = BATCH;
		if (o->count && o->count - sent < n)
			n = o->count - sent;
		if (o->rate && n > o->rate / 1000 + 1)
			n = o->rate / 1000 + 1;	/* about a millisecond's worth */
		for (i = 0; i < n && !stop; i++) {
			*h = (struct hdr){ MAGIC, o->stream, sent, 0 };
			if (send(fds[sent % o->flows], buf, o->size, 0) < 0) {
				if (errno == ENOBUFS || errno == EAGAIN || errno == ECONNREFUSED)
					continue;	/* the same packet again */
				perror("tgtraffic: send");
				return sent;
			}
			sent++;
		}
		if (o->rate)
			pace(start, sent, o->rate);
	}
	return sent;
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
	int fd, i, k, *fds = NULL;

	if (parse_addr(o->addr, o->port, &ss, &sl) || !allowed(&ss)) {
		fprintf(stderr, "tgtraffic: refusing destination %s: only 198.18.0.0/15 and 2001:2::/48\n",
			o->addr);
		return 2;
	}
	if (o->flows) {
		fds = calloc(o->flows, sizeof(*fds));
		if (!fds || open_flows(o, &ss, sl, fds)) {
			free(fds);
			return 1;
		}
		fd = fds[0];
	} else {
		fd = socket(ss.ss_family, SOCK_DGRAM, 0);
		if (fd < 0 || connect(fd, (struct sockaddr *)&ss, sl)) {
			perror("tgtraffic: socket/connect");
			return 1;
		}
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
	if (fds)
		sent = send_flows(o, fds, buf[0], start, end);
	while (!fds && (!o->count || sent < o->count) && now() < end && !stop) {
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
	if (fds) {
		for (i = 0; i < o->flows; i++)
			close(fds[i]);
		free(fds);
	} else {
		close(fd);
	}
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

/* recv --per-flow: datagrams and TOS bytes per source address and port. */
struct rxflow {
	bool used;
	uint8_t family;		/* AF_INET or AF_INET6 */
	uint8_t addr[16];	/* IPv4 in the first 4 bytes */
	uint16_t port;		/* host order */
	uint64_t received;
	uint8_t tos[32];	/* bitmap of the TOS / traffic class bytes seen */
};

struct rxflows {
	struct rxflow *t;
	size_t cap, nr;		/* cap: a power of two, at most half full */
	uint64_t untracked;	/* datagrams of flows past MAX_RX_FLOWS */
};

static size_t rxflow_hash(const struct rxflow *k)
{
	uint64_t h = 1469598103934665603ull;	/* FNV-1a */
	int i;

	for (i = 0; i < 16; i++)
		h = (h ^ k->addr[i]) * 1099511628211ull;
	h = (h ^ k->port) * 1099511628211ull;
	return (size_t)(h ^ k->family);
}

static struct rxflow *rxflow_slot(struct rxflow *t, size_t cap, const struct rxflow *k)
{
	size_t i = rxflow_hash(k) & (cap - 1);

	while (t[i].used && (t[i].family != k->family || t[i].port != k->port ||
			     memcmp(t[i].addr, k->addr, 16)))
		i = (i + 1) & (cap - 1);
	return &t[i];
}

/* The entry of @k, made if new; NULL when the table is full or memory is out. */
static struct rxflow *rxflow_of(struct rxflows *f, const struct rxflow *k)
{
	struct rxflow *e, *t;
	size_t i, cap;

	if (f->cap && (e = rxflow_slot(f->t, f->cap, k))->used)
		return e;
	if (f->nr >= MAX_RX_FLOWS)
		return NULL;
	if (2 * (f->nr + 1) > f->cap) {
		cap = f->cap ? 2 * f->cap : 64;
		t = calloc(cap, sizeof(*t));
		if (!t)
			return NULL;
		for (i = 0; i < f->cap; i++)
			if (f->t[i].used)
				*rxflow_slot(t, cap, &f->t[i]) = f->t[i];
		free(f->t);
		f->t = t;
		f->cap = cap;
	}
	e = rxflow_slot(f->t, f->cap, k);
	*e = *k;
	e->used = true;
	f->nr++;
	return e;
}

/* Source and TOS of a received datagram into @k; @return the TOS or -1. */
static int rx_source(const struct msghdr *m, struct rxflow *k)
{
	const struct sockaddr_in *a4 = m->msg_name;
	const struct sockaddr_in6 *a6 = m->msg_name;
	static const uint8_t mapped[12] = { [10] = 0xff, [11] = 0xff };
	struct cmsghdr *c;
	int tos = -1;

	memset(k, 0, sizeof(*k));
	if (a4->sin_family == AF_INET) {
		k->family = AF_INET;
		memcpy(k->addr, &a4->sin_addr, 4);
		k->port = ntohs(a4->sin_port);
	} else if (!memcmp(a6->sin6_addr.s6_addr, mapped, 12)) {
		k->family = AF_INET;	/* IPv4 on an IPv6 socket */
		memcpy(k->addr, a6->sin6_addr.s6_addr + 12, 4);
		k->port = ntohs(a6->sin6_port);
	} else {
		k->family = AF_INET6;
		memcpy(k->addr, &a6->sin6_addr, 16);
		k->port = ntohs(a6->sin6_port);
	}
	for (c = CMSG_FIRSTHDR((struct msghdr *)m); c; c = CMSG_NXTHDR((struct msghdr *)m, c)) {
		if (c->cmsg_level == IPPROTO_IP && c->cmsg_type == IP_TOS)
			tos = *(uint8_t *)CMSG_DATA(c);
		else if (c->cmsg_level == IPPROTO_IPV6 && c->cmsg_type == IPV6_TCLASS)
			tos = *(int *)CMSG_DATA(c) & 0xff;
	}
	return tos;
}

static void rx_count(struct rxflows *f, const struct msghdr *m)
{
	struct rxflow k, *e;
	int tos = rx_source(m, &k);

	e = rxflow_of(f, &k);
	if (!e) {
		f->untracked++;
		return;
	}
	e->received++;
	if (tos >= 0)
		e->tos[tos / 8] |= 1u << (tos % 8);
}

static int rxflow_cmp(const void *a, const void *b)
{
	const struct rxflow *x = a, *y = b;
	int d = x->family - y->family;

	if (!d)
		d = memcmp(x->addr, y->addr, 16);
	return d ? d : x->port - y->port;
}

/* One line per flow to @out (then closed), sorted by address and port. @return 0 or -1. */
static int write_flows(FILE *out, const char *path, struct rxflows *f)
{
	char addr[INET6_ADDRSTRLEN];
	size_t i, n = 0;
	int t, first, err;

	for (i = 0; i < f->cap; i++)
		if (f->t[i].used)
			f->t[n++] = f->t[i];
	qsort(f->t, n, sizeof(*f->t), rxflow_cmp);
	for (i = 0; i < n; i++) {
		inet_ntop(f->t[i].family, f->t[i].addr, addr, sizeof(addr));
		fprintf(out, "src=%s sport=%u received=%llu tos=", addr, f->t[i].port,
			(unsigned long long)f->t[i].received);
		for (t = 0, first = 1; t < 256; t++)
			if (f->t[i].tos[t / 8] & (1u << (t % 8))) {
				fprintf(out, "%s0x%02x", first ? "" : ",", t);
				first = 0;
			}
		fputc('\n', out);
	}
	err = ferror(out);
	if (fclose(out) || err) {
		fprintf(stderr, "tgtraffic: --per-flow %s: write failed\n", path);
		return -1;
	}
	if (f->untracked)
		fprintf(stderr, "tgtraffic: --per-flow: more than %d flows, %llu datagrams of the rest not in %s\n",
			MAX_RX_FLOWS, (unsigned long long)f->untracked, path);
	return 0;
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
	if (o->per_flow) {
		int on = 1;

		/* IPv4 TOS; on an IPv6 socket also for IPv4-mapped senders */
		if (setsockopt(fd, IPPROTO_IP, IP_RECVTOS, &on, sizeof(on)) && ss.ss_family == AF_INET) {
			perror("tgtraffic: IP_RECVTOS");
			close(fd);
			return -1;
		}
		if (ss.ss_family == AF_INET6 &&
		    setsockopt(fd, IPPROTO_IPV6, IPV6_RECVTCLASS, &on, sizeof(on))) {
			perror("tgtraffic: IPV6_RECVTCLASS");
			close(fd);
			return -1;
		}
	}
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
	char buf[2048], cbuf[CMSG_SPACE(sizeof(int)) * 4];
	struct sockaddr_storage from;
	struct iovec iov = { buf, sizeof(buf) };
	struct msghdr m;
	struct rxflows flows = { 0 };
	struct stream *s;
	FILE *pf = NULL;
	ssize_t n;
	int fd, rc = 0;

	/* a report that cannot be written fails now, not after the run */
	if (o->per_flow && !(pf = fopen(o->per_flow, "w"))) {
		fprintf(stderr, "tgtraffic: --per-flow %s: %s\n", o->per_flow, strerror(errno));
		return 1;
	}
	fd = open_recv(o);
	if (fd < 0) {
		if (pf)
			fclose(pf);
		return 1;
	}
	while (now() - start < o->duration) {
		if (ended_at && now() - ended_at > 0.2)
			break;	/* every sender said END; a little grace for stragglers */
		if (o->idle_ms && now() - last > o->idle_ms / 1000.0)
			break;
		m = (struct msghdr){ .msg_name = &from, .msg_namelen = sizeof(from),
				     .msg_iov = &iov, .msg_iovlen = 1,
				     .msg_control = cbuf, .msg_controllen = sizeof(cbuf) };
		n = recvmsg(fd, &m, 0);
		if (n < (ssize_t)sizeof(struct hdr))
			continue;
		if (((struct hdr *)buf)->magic != MAGIC)
			continue;
		last = now();
		if (o->per_flow && !(((struct hdr *)buf)->flags & FLAG_END))
			rx_count(&flows, &m);
		s = stream_of(st, ((struct hdr *)buf)->stream);
		if (s)
			account(s, (struct hdr *)buf);
		if (!ended_at && all_ended(st))
			ended_at = now();
	}
	report(o, st);
	close(fd);
	if (pf && write_flows(pf, o->per_flow, &flows))
		rc = 1;
	free(flows.t);
	return rc;
}

static int parse(int argc, char **argv, struct opts *o)
{
	static const struct option lo[] = {
		{ "dst", 1, NULL, 'd' }, { "bind", 1, NULL, 'b' }, { "port", 1, NULL, 'p' },
		{ "rate", 1, NULL, 'r' }, { "count", 1, NULL, 'c' }, { "duration", 1, NULL, 't' },
		{ "size", 1, NULL, 's' }, { "stream", 1, NULL, 'S' }, { "idle-ms", 1, NULL, 'i' },
		{ "json", 0, NULL, 'j' }, { "flows", 1, NULL, 'f' }, { "sport-base", 1, NULL, 'B' },
		{ "per-flow", 1, NULL, 'P' }, { 0 },
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
		case 'f': o->flows = atoi(optarg); if (o->flows < 1) return -1; break;
		case 'B': o->sport_base = atoi(optarg); if (o->sport_base < 1) return -1; break;
		case 'P': o->per_flow = optarg; break;
		default: return -1;
		}
	}
	if (!o->addr[0] || o->port <= 0 || o->port > 65535)
		return -1;
	if (o->send && o->per_flow)
		return -1;
	if (!o->send && (o->flows || o->sport_base))
		return -1;
	if (o->sport_base && !o->flows)
		o->flows = 1;	/* one flow, from that port */
	if (o->flows && !o->sport_base)
		o->sport_base = SPORT_BASE;
	if (o->flows > MAX_FLOWS || o->sport_base + o->flows - 1 > 65535) {
		fprintf(stderr, "tgtraffic: --flows 1..%d, and --sport-base + --flows - 1 at most 65535\n",
			MAX_FLOWS);
		return -1;
	}
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
	fprintf(stderr, "usage: tgtraffic send --dst ADDR --port P [--rate PPS] [--count N] [--duration SEC] [--size B] [--stream ID]\n"
			"                      [--flows N] [--sport-base PORT] [--json]\n"
			"       tgtraffic recv --bind ADDR --port P [--duration SEC] [--idle-ms MS] [--per-flow FILE] [--json]\n"
			"(--flows N: N UDP source ports from --sport-base, default %d, packets round-robin;\n"
			" --per-flow FILE: per source address and port, datagrams and TOS/traffic class seen)\n"
			"(send needs --count or --duration; addresses only from 198.18.0.0/15 and 2001:2::/48)\n",
		SPORT_BASE);
	return 2;
}
