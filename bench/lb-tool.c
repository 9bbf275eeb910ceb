// SPDX-License-Identifier: BSD-2-Clause
/*
 * sluice-lbtool: traffic for bench/lb (built static on the host, run in the
 * bench's own namespaces). Every mode is bounded in time.
 *   udp DST PORT SECONDS PPS PAYLOAD  UDP datagrams of PAYLOAD bytes (one
 *                          flow) for SECONDS, PPS a second (0: flat out),
 *                          sendmmsg batches of 64, paced by sleeping;
 *                          prints "SENT SECONDS ERRORS"
 *   udpsink PORT SECONDS   binds UDP PORT and never reads (the kernel drops
 *                          what overflows, and sends no port unreachable)
 *   tcpsrv PORT SECONDS    accepts on PORT, writes one byte, closes (the
 *                          server closes first: TIME_WAIT stays here)
 *   conn DST PORT SECONDS PROCS
 *                          PROCS processes each connect, read to EOF and
 *                          close, again and again; prints "OK SECONDS ERRORS"
 *   first DST PORT SECONDS tries a connection every ~120 ms (100 ms each)
 *                          until one is answered; prints its wall-clock
 *                          time in ns (CLOCK_REALTIME), or exits 1
 */
#define _GNU_SOURCE
#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#define BATCH 64

static double now(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec + ts.tv_nsec / 1e9;
}

static void sleep_s(double w)
{
	struct timespec d = {(time_t)w, (long)((w - (time_t)w) * 1e9)};

	nanosleep(&d, NULL);
}

static int addr(struct sockaddr_in *a, const char *ip, const char *port)
{
	memset(a, 0, sizeof(*a));
	a->sin_family = AF_INET;
	a->sin_port = htons((unsigned short)atoi(port));
	return ip ? (inet_pton(AF_INET, ip, &a->sin_addr) == 1 ? 0 : -1) : 0;
}

static int udp_gen(char **v)
{
	struct sockaddr_in a;
	static char payload[1472];
	struct mmsghdr m[BATCH];
	struct iovec iov;
	unsigned long long sent = 0, errs = 0;
	double secs = atof(v[2]), pps = atof(v[3]), t0, t;
	size_t len = strtoul(v[4], NULL, 0);
	int s, i;

	if (addr(&a, v[0], v[1]) < 0)
		return 2;
	len = len > sizeof(payload) ? sizeof(payload) : len;
	memset(payload, 0x5a, sizeof(payload));
	s = socket(AF_INET, SOCK_DGRAM, 0);
	if (s < 0 || connect(s, (struct sockaddr *)&a, sizeof(a)) < 0) {
		perror("sluice-lbtool udp");
		return 1;
	}
	iov.iov_base = payload;
	iov.iov_len = len;
	memset(m, 0, sizeof(m));
	for (i = 0; i < BATCH; i++) {
		m[i].msg_hdr.msg_iov = &iov;
		m[i].msg_hdr.msg_iovlen = 1;
	}
	t0 = now();
	for (t = t0; t < t0 + secs; t = now()) {
		double due = t0 + (sent + errs) / (pps > 0 ? pps : 1e30);

		if (pps > 0 && due > t) {
			/* Sleeping, not spinning: the guest keeps the CPU. */
			sleep_s(due - t);
			continue;
		}
		int n = sendmmsg(s, m, BATCH, 0);

		if (n > 0)
			sent += n;
		else if (n < 0 && errno != EINTR)
			errs++; /* ENOBUFS, EAGAIN, ECONNREFUSED: counted */
	}
	printf("%llu %.6f %llu\n", sent, now() - t0, errs);
	return 0;
}

static int listener(int type, const char *port)
{
	struct sockaddr_in a;
	int one = 1, s = socket(AF_INET, type, 0);

	addr(&a, NULL, port);
	if (s < 0 || setsockopt(s, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one)) < 0 ||
	    bind(s, (struct sockaddr *)&a, sizeof(a)) < 0 ||
	    (type == SOCK_STREAM && listen(s, 1024) < 0)) {
		perror("sluice-lbtool: listen");
		exit(1);
	}
	return s;
}

static __attribute__((noreturn)) void tcp_srv(char **v)
{
	int s = listener(SOCK_STREAM, v[0]);

	alarm((unsigned int)atoi(v[1]));
	printf("listening\n");
	fflush(stdout);
	for (;;) {
		int c = accept(s, NULL, NULL);

		if (c < 0)
			continue;
		if (write(c, "x", 1) < 0)
			(void)0; /* a client that went away: nothing to do */
		close(c);
	}
}

/* One connection: connect, read to EOF, close. 0 if a byte came back. */
static int one_conn(const struct sockaddr_in *a)
{
	struct timeval tv = {2, 0};
	char b[64];
	ssize_t n, got = 0;
	int s = socket(AF_INET, SOCK_STREAM, 0);

	if (s < 0)
		return -1;
	setsockopt(s, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof(tv));
	setsockopt(s, SOL_SOCKET, SO_SNDTIMEO, &tv, sizeof(tv));
	if (connect(s, (const struct sockaddr *)a, sizeof(*a)) < 0) {
		close(s);
		return -1;
	}
	while ((n = read(s, b, sizeof(b))) > 0)
		got += n;
	close(s);
	return n == 0 && got > 0 ? 0 : -1;
}

static int conn_rate(char **v)
{
	struct sockaddr_in a;
	double secs = atof(v[2]), t0;
	int procs = atoi(v[3]), p[2], i;
	unsigned long long ok = 0, err = 0, o, e;
	FILE *f;

	if (addr(&a, v[0], v[1]) < 0 || procs < 1 || procs > 64 || pipe(p) < 0)
		return 2;
	t0 = now();
	for (i = 0; i < procs; i++) {
		if (fork() == 0) {
			close(p[0]);
			o = e = 0;
			while (now() < t0 + secs) {
				if (one_conn(&a) == 0)
					o++;
				else
					e++;
			}
			dprintf(p[1], "%llu %llu\n", o, e);
			_exit(0);
		}
	}
	close(p[1]);
	f = fdopen(p[0], "r");
	while (f && fscanf(f, "%llu %llu", &o, &e) == 2) {
		ok += o;
		err += e;
	}
	while (wait(NULL) > 0)
		;
	printf("%llu %.6f %llu\n", ok, now() - t0, err);
	return 0;
}

static int first(char **v)
{
	struct sockaddr_in a;
	double end = now() + atof(v[2]);

	if (addr(&a, v[0], v[1]) < 0)
		return 2;
	while (now() < end) {
		int s = socket(AF_INET, SOCK_STREAM | SOCK_NONBLOCK, 0);
		struct pollfd pf = {s, POLLIN, 0};
		struct timespec ts;
		char b;

		if (s < 0)
			return 1;
		/* The SYN goes now; an answer (a byte from a backend) within 100 ms counts. */
		connect(s, (struct sockaddr *)&a, sizeof(a));
		if (poll(&pf, 1, 100) == 1 && read(s, &b, 1) == 1) {
			clock_gettime(CLOCK_REALTIME, &ts);
			printf("%lld%09ld\n", (long long)ts.tv_sec, ts.tv_nsec);
			return 0;
		}
		close(s);
		sleep_s(0.02);
	}
	return 1;
}

int main(int argc, char **argv)
{
	signal(SIGPIPE, SIG_IGN);
	setvbuf(stdout, NULL, _IOLBF, 0);
	if (argc == 7 && !strcmp(argv[1], "udp"))
		return udp_gen(argv + 2);
	if (argc == 4 && !strcmp(argv[1], "udpsink")) {
		listener(SOCK_DGRAM, argv[2]);
		printf("listening\n");
		sleep((unsigned int)atoi(argv[3]));
		return 0;
	}
	if (argc == 4 && !strcmp(argv[1], "tcpsrv"))
		tcp_srv(argv + 2);
	if (argc == 6 && !strcmp(argv[1], "conn"))
		return conn_rate(argv + 2);
	if (argc == 5 && !strcmp(argv[1], "first"))
		return first(argv + 2);
	fprintf(stderr,
		"usage: sluice-lbtool udp|udpsink|tcpsrv|conn|first ARGS (see bench/lb-tool.c)\n");
	return 2;
}
