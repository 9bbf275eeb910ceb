// SPDX-License-Identifier: BSD-2-Clause
/*
 * sluice-ctl: a QEMU appliance's control socket, the host end of the
 * virtio-console port org.sluice.ctl.0 (protocol: docs/hostcfg.md,
 * sluice/hcproto.h). QEMU is the socket's server
 * (-chardev socket,server=on,wait=off) and takes one client at a time.
 *
 * The appliance is not trusted with our memory either: every frame header
 * is checked (magic, version, length) before its payload is read, replies
 * must carry the id of the request outstanding, and every wait is bounded.
 */
#include <errno.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <unistd.h>

#include "ctl_int.h"
#include "sluice/hcproto.h"

#define REPLY_TIMEOUT_MS 10000

struct starget {
	int fd;
	uint32_t next_id;
	bool event; /* a watch fired since the last wait */
	bool watching;
	bool gone; /* the appliance closed the connection */
	uint8_t buf[HCP_PAYLOAD_MAX + 1];
};

static int read_full(struct starget *s, void *p, size_t len, uint64_t deadline)
{
	size_t got = 0;

	while (got < len) {
		struct pollfd pf = {.fd = s->fd, .events = POLLIN};
		uint64_t now = ctl_now_ms();
		ssize_t n;
		int r;

		if (now >= deadline)
			return -ETIMEDOUT;
		r = poll(&pf, 1, (int)(deadline - now));
		if (r < 0 && errno == EINTR)
			continue;
		if (r < 0)
			return -errno;
		if (r == 0)
			return -ETIMEDOUT;
		n = read(s->fd, (char *)p + got, len - got);
		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0) {
			s->gone = true;
			return n == 0 ? -ECONNRESET : -errno;
		}
		got += (size_t)n;
	}
	return 0;
}

/* One frame into @h and s->buf (NUL-terminated). */
static int read_frame(struct starget *s, struct hcp_hdr *h, uint64_t deadline)
{
	int r = read_full(s, h, HCP_HDR_LEN, deadline);

	if (r < 0)
		return r;
	/* Untrusted: a header that does not parse means we lost the framing. */
	if (h->magic != HCP_MAGIC || h->version != HCP_VERSION || h->len > HCP_PAYLOAD_MAX)
		return -EPROTO;
	r = read_full(s, s->buf, h->len, deadline);
	if (r < 0)
		return r;
	s->buf[h->len] = '\0';
	if (h->type == HCP_EVENT)
		s->event = true;
	return 0;
}

static int write_all(int fd, const void *p, size_t len)
{
	while (len) {
		ssize_t n = write(fd, p, len);

		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0)
			return -errno;
		p = (const char *)p + n;
		len -= (size_t)n;
	}
	return 0;
}

/*
 * Send a request of @type with the payload @a (NUL-terminated) then @b
 * (@blen bytes), and wait for its reply: 0 with the payload in s->buf and
 * its length in *@rlen, or the appliance's error as a negative errno.
 */
static int talk(struct starget *s, uint8_t type, uint32_t tx, const char *a, const void *b,
		size_t blen, size_t *rlen)
{
	size_t alen = a ? strlen(a) + 1 : 0;
	struct hcp_hdr h = {.magic = HCP_MAGIC,
			    .version = HCP_VERSION,
			    .type = type,
			    .id = ++s->next_id,
			    .tx = tx,
			    .len = (uint32_t)(alen + blen)};
	uint64_t deadline = ctl_now_ms() + REPLY_TIMEOUT_MS;
	int r;

	if (s->gone)
		return -ECONNRESET;
	if (alen + blen > HCP_PAYLOAD_MAX)
		return -E2BIG;
	r = write_all(s->fd, &h, HCP_HDR_LEN);
	if (r == 0 && alen)
		r = write_all(s->fd, a, alen);
	if (r == 0 && blen)
		r = write_all(s->fd, b, blen);
	if (r < 0)
		return r;
	for (;;) {
		struct hcp_hdr rh;

		r = read_frame(s, &rh, deadline);
		if (r < 0)
			return r;
		if (rh.type == HCP_EVENT)
			continue;
		if (rh.id != h.id)
			continue; /* a reply to a request we gave up on: not ours */
		if (rh.type == HCP_ERROR)
			return hcp_errno((const char *)s->buf,
					 strnlen((const char *)s->buf, rh.len));
		if (rh.type != HCP_REPLY)
			return -EPROTO;
		if (rlen)
			*rlen = rh.len;
		return 0;
	}
}

static struct starget *st(struct ctl_target *t)
{
	return t->priv;
}

static char *s_read(struct ctl_target *t, uint32_t tx, const char *key, size_t *len)
{
	size_t n;
	char *v;
	int r = talk(st(t), HCP_READ, tx, key, NULL, 0, &n);

	if (r < 0) {
		errno = -r;
		return NULL;
	}
	v = malloc(n + 1);
	if (!v) {
		errno = ENOMEM;
		return NULL;
	}
	memcpy(v, st(t)->buf, n + 1);
	if (len)
		*len = n;
	return v;
}

static int s_write(struct ctl_target *t, uint32_t tx, const char *key, const void *val, size_t len)
{
	return talk(st(t), HCP_WRITE, tx, key, val, len, NULL);
}

static int s_rm(struct ctl_target *t, uint32_t tx, const char *key)
{
	return talk(st(t), HCP_RM, tx, key, NULL, 0, NULL);
}

static int s_tx_start(struct ctl_target *t, uint32_t *tx)
{
	uint64_t id;
	int r = talk(st(t), HCP_TX_START, 0, NULL, NULL, 0, NULL);

	if (r < 0)
		return r;
	if (ctl_parse_u64((const char *)st(t)->buf, &id) < 0 || id == 0 || id > UINT32_MAX)
		return -EPROTO;
	*tx = (uint32_t)id;
	return 0;
}

static int s_tx_end(struct ctl_target *t, uint32_t tx, bool commit)
{
	return talk(st(t), HCP_TX_END, tx, commit ? "1" : "0", NULL, 0, NULL);
}

static int s_watch_start(struct ctl_target *t)
{
	int r = talk(st(t), HCP_WATCH, 0, CTL_KEY_RESULT, "result", 7, NULL);

	if (r == 0)
		r = talk(st(t), HCP_WATCH, 0, CTL_KEY_STATUS, "status", 7, NULL);
	st(t)->watching = r == 0;
	return r;
}

static void s_watch_stop(struct ctl_target *t)
{
	if (!st(t)->watching || st(t)->gone)
		return;
	talk(st(t), HCP_UNWATCH, 0, CTL_KEY_RESULT, "result", 7, NULL);
	talk(st(t), HCP_UNWATCH, 0, CTL_KEY_STATUS, "status", 7, NULL);
	st(t)->watching = false;
}

static int s_wait(struct ctl_target *t, uint64_t deadline_ms)
{
	struct starget *s = st(t);
	uint64_t now = ctl_now_ms(), cap;
	struct hcp_hdr h;
	int r;

	if (s->event) {
		s->event = false;
		return 0;
	}
	if (now >= deadline_ms)
		return -ETIMEDOUT;
	/* Capped, as on Xen: a lost event costs a re-read a second later. */
	cap = deadline_ms - now < 1000 ? deadline_ms : now + 1000;
	r = read_frame(s, &h, cap);
	s->event = false;
	if (r == -ETIMEDOUT || r == -ECONNRESET)
		return 0; /* the caller re-reads, and alive() tells a gone appliance */
	return r;
}

static int s_alive(struct ctl_target *t)
{
	return st(t)->gone ? 0 : 1;
}

static void s_close(struct ctl_target *t)
{
	struct starget *s = st(t);

	if (!s)
		return;
	s_watch_stop(t);
	close(s->fd);
	free(s);
	t->priv = NULL;
}

static const struct ctl_kv_ops sock_ops = {
	.read = s_read,
	.write = s_write,
	.rm = s_rm,
	.tx_start = s_tx_start,
	.tx_end = s_tx_end,
	.watch_start = s_watch_start,
	.wait = s_wait,
	.watch_stop = s_watch_stop,
	.alive = s_alive,
	.close = s_close,
};

int ctl_sock_target(const char *path, struct ctl_target *out, bool quiet)
{
	struct sockaddr_un sa = {.sun_family = AF_UNIX};
	struct starget *s;
	int r;

	if (strlen(path) >= sizeof(sa.sun_path)) {
		if (!quiet)
			fprintf(stderr, "sluice-ctl: %s: socket path too long\n", path);
		return -ENAMETOOLONG;
	}
	memcpy(sa.sun_path, path, strlen(path) + 1);
	s = calloc(1, sizeof(*s));
	memset(out, 0, sizeof(*out));
	out->name = strdup(path);
	if (!s || !out->name) {
		free(s);
		free(out->name);
		fprintf(stderr, "sluice-ctl: out of memory\n");
		return -ENOMEM;
	}
	s->fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
	if (s->fd < 0 || connect(s->fd, (struct sockaddr *)&sa, sizeof(sa)) < 0) {
		r = -errno;
		if (!quiet)
			fprintf(stderr, "sluice-ctl: %s: cannot connect: %s\n", path,
				strerror(errno));
		goto fail;
	}
	out->ops = &sock_ops;
	out->priv = s;
	out->is_socket = true;
	/* QEMU accepts while the guest has not opened its port yet: ask who is there. */
	r = talk(s, HCP_HELLO, 0, NULL, NULL, 0, NULL);
	if (r < 0) {
		if (!quiet)
			fprintf(stderr, "sluice-ctl: %s: no appliance answers on it: %s\n", path,
				r == -ETIMEDOUT ? "no reply" : strerror(-r));
		goto fail;
	}
	return 0;
fail:
	if (s->fd >= 0)
		close(s->fd);
	free(s);
	free(out->name);
	memset(out, 0, sizeof(*out));
	return r;
}
