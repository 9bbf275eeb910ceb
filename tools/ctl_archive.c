// SPDX-License-Identifier: BSD-2-Clause
/*
 * Making the archive a TLS terminator's push carries (tools/ctl_tls.c).
 *
 * libarchive is loaded when a push first needs it, not linked: every other
 * command of sluice-ctl then runs where libarchive is absent. That matters
 * in a minimal dom0 (the Xen test rig's has only what the toolstack
 * needs): Debian's libarchive pulls in libxml2 and ICU, tens of megabytes
 * that sluice-ctl's other commands never use. Only the writer calls a
 * ustar push uses are looked up; the soname is the one Debian 12's
 * libarchive13 ships, which configure's version check (libarchive >= 3.4)
 * pairs with the headers.
 *
 * Where libarchive cannot be loaded, the system's tar program (GNU tar,
 * busybox tar) packs the same members from a private temporary directory
 * (docs/hostcfg.md, "The TLS terminator's archive"): the appliance's
 * reader takes ustar and GNU headers alike, and the names are the
 * configuration's, in the same order, so the archive's layout is the same.
 */
#define _GNU_SOURCE /* pipe2(), nftw()'s FTW_DEPTH and FTW_PHYS */
#include <dlfcn.h>
#include <errno.h>
#include <fcntl.h>
#include <ftw.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include "ctl_archive.h"

#define LIBARCHIVE_SONAME "libarchive.so.13"

static struct ctl_archive_api api;
static int loaded; /* 0: not tried, 1: usable, -1: failed */
static char failure[512];

/* Each symbol by its name, into the matching member. */
#define SYM(member, name)                                                                          \
	{                                                                                          \
		(void **)&api.member, name                                                         \
	}

const struct ctl_archive_api *ctl_archive(char *why, size_t len)
{
	const struct {
		void **slot;
		const char *name;
	} syms[] = {
		SYM(write_new, "archive_write_new"),
		SYM(write_set_format_ustar, "archive_write_set_format_ustar"),
		SYM(write_add_filter_none, "archive_write_add_filter_none"),
		SYM(write_set_bytes_in_last_block, "archive_write_set_bytes_in_last_block"),
		SYM(write_open_memory, "archive_write_open_memory"),
		SYM(write_header, "archive_write_header"),
		SYM(write_data, "archive_write_data"),
		SYM(write_close, "archive_write_close"),
		SYM(write_free, "archive_write_free"),
		SYM(error_string, "archive_error_string"),
		SYM(entry_new, "archive_entry_new"),
		SYM(entry_free, "archive_entry_free"),
		SYM(entry_set_pathname, "archive_entry_set_pathname"),
		SYM(entry_set_filetype, "archive_entry_set_filetype"),
		SYM(entry_set_perm, "archive_entry_set_perm"),
		SYM(entry_set_size, "archive_entry_set_size"),
	};
	const char *force = getenv("SLUICE_CTL_ARCHIVER");
	void *h;

	/* SLUICE_CTL_ARCHIVER=tar: the tar program even where libarchive is
	 * installed (the unit test of that path; docs/hostcfg.md). */
	if (force && strcmp(force, "tar") == 0) {
		snprintf(why, len, "SLUICE_CTL_ARCHIVER=tar");
		return NULL;
	}
	if (loaded)
		goto out;
	loaded = -1;
	h = dlopen(LIBARCHIVE_SONAME, RTLD_NOW | RTLD_LOCAL);
	if (!h) {
		snprintf(failure, sizeof(failure), "%s (Debian: libarchive13)", dlerror());
		goto out;
	}
	for (size_t i = 0; i < sizeof(syms) / sizeof(syms[0]); i++) {
		*syms[i].slot = dlsym(h, syms[i].name);
		if (!*syms[i].slot) {
			snprintf(failure, sizeof(failure), "%s lacks %s", LIBARCHIVE_SONAME,
				 syms[i].name);
			dlclose(h);
			goto out;
		}
	}
	loaded = 1; /* the handle stays open for the process's lifetime */
out:
	if (loaded < 0)
		snprintf(why, len, "%s", failure);
	return loaded > 0 ? &api : NULL;
}

/* ---- the system tar program, when libarchive cannot be loaded ---- */

struct ctl_tardir {
	char root[4096];
	char **names; /* members, in the order added */
	size_t n, cap;
};

static int rm_one(const char *p, const struct stat *st, int type, struct FTW *ftw)
{
	(void)st;
	(void)ftw;
	return type == FTW_DP ? rmdir(p) : unlink(p);
}

int ctl_tardir_open(struct ctl_tardir **out)
{
	const char *tmp = getenv("TMPDIR");
	struct ctl_tardir *d = calloc(1, sizeof(*d));

	if (!d)
		return -ENOMEM;
	snprintf(d->root, sizeof(d->root), "%s/sluice-ctl.XXXXXX", tmp && *tmp ? tmp : "/tmp");
	/* mkdtemp makes it 0700: the keys inside are never readable by others. */
	if (!mkdtemp(d->root)) {
		int r = -errno;

		fprintf(stderr, "sluice-ctl: %s: %s\n", d->root, strerror(-r));
		free(d);
		return r;
	}
	*out = d;
	return 0;
}

void ctl_tardir_close(struct ctl_tardir *d)
{
	if (!d)
		return;
	nftw(d->root, rm_one, 16, FTW_DEPTH | FTW_PHYS);
	for (size_t i = 0; i < d->n; i++)
		free(d->names[i]);
	free(d->names);
	free(d);
}

/* Make every directory above @rel inside the temporary root. */
static int mkparents(struct ctl_tardir *d, const char *rel)
{
	char p[4096];
	int len = snprintf(p, sizeof(p), "%s/%s", d->root, rel);

	if (len < 0 || (size_t)len >= sizeof(p))
		return -ENAMETOOLONG;
	for (char *s = p + strlen(d->root) + 1; (s = strchr(s, '/')); s++) {
		*s = '\0';
		if (mkdir(p, 0700) < 0 && errno != EEXIST)
			return -errno;
		*s = '/';
	}
	return 0;
}

int ctl_tardir_add(struct ctl_tardir *d, const char *name, const void *data, size_t n)
{
	char p[4096];
	int fd, r;

	/* A ustar name field holds 99 bytes; longer names would make the
	 * tar program write its own extension headers (GNU ././@LongLink). */
	if (strlen(name) > 99)
		return -ENAMETOOLONG;
	if ((r = mkparents(d, name)) < 0)
		return r;
	snprintf(p, sizeof(p), "%s/%s", d->root, name);
	fd = open(p, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0400);
	if (fd < 0)
		return -errno;
	for (size_t off = 0; off < n;) {
		ssize_t w = write(fd, (const char *)data + off, n - off);

		if (w < 0 && errno == EINTR)
			continue;
		if (w <= 0) {
			r = w < 0 ? -errno : -EIO;
			close(fd);
			return r;
		}
		off += (size_t)w;
	}
	if (close(fd) < 0)
		return -errno;
	if (d->n == d->cap) {
		char **nn = realloc(d->names, (d->cap * 2 + 16) * sizeof(*nn));

		if (!nn)
			return -ENOMEM;
		d->names = nn;
		d->cap = d->cap * 2 + 16;
	}
	d->names[d->n] = strdup(name);
	if (!d->names[d->n])
		return -ENOMEM;
	d->n++;
	return 0;
}

/*
 * Where the archive really ends: after the two zero blocks that follow
 * the last member (tar programs pad to 10240 bytes; libarchive's writer,
 * as used here, does not). Walks the headers the tar program wrote; 0
 * when they do not add up.
 */
static size_t tar_end(const unsigned char *p, size_t n)
{
	static const unsigned char zero[512];

	for (size_t off = 0; off + 1024 <= n;) {
		char size[13];
		unsigned long long sz;
		char *end;

		if (memcmp(p + off, zero, 512) == 0)
			return memcmp(p + off + 512, zero, 512) == 0 ? off + 1024 : 0;
		memcpy(size, p + off + 124, 12);
		size[12] = '\0';
		sz = strtoull(size, &end, 8);
		if (end == size || sz > n)
			return 0;
		off += 512 + (size_t)((sz + 511) / 512 * 512);
	}
	return 0;
}

/* Read @fd to its end into @out (at most @cap bytes; -E2BIG beyond). */
static int read_all(int fd, unsigned char *out, size_t cap, size_t *used)
{
	unsigned char sink[4096];
	size_t n = 0;
	int r = 0;

	for (;;) {
		ssize_t k = n < cap ? read(fd, out + n, cap - n) : read(fd, sink, sizeof(sink));

		if (k < 0 && errno == EINTR)
			continue;
		if (k < 0)
			return -errno;
		if (k == 0)
			break;
		if (n < cap)
			n += (size_t)k;
		else
			r = -E2BIG; /* keep reading so that tar is not killed by SIGPIPE */
	}
	*used = n;
	return r;
}

int ctl_tardir_pack(struct ctl_tardir *d, unsigned char *out, size_t cap, size_t *used)
{
	int pfd[2], st, r;
	size_t a = 0;
	pid_t pid;
	const char **argv = calloc(d->n + 8, sizeof(*argv));

	if (!argv)
		return -ENOMEM;

	/* tar -c -f - -C ROOT -- NAME...: the members in the order added. */
	argv[a++] = "tar";
	argv[a++] = "-c";
	argv[a++] = "-f";
	argv[a++] = "-";
	argv[a++] = "-C";
	argv[a++] = d->root;
	argv[a++] = "--";
	for (size_t i = 0; i < d->n; i++)
		argv[a++] = d->names[i];
	argv[a] = NULL;
	if (pipe2(pfd, O_CLOEXEC) < 0) {
		free(argv);
		return -errno;
	}
	pid = fork();
	r = pid < 0 ? -errno : 0;
	if (pid != 0)
		free(argv);
	if (pid == 0) {
		if (dup2(pfd[1], 1) < 0)
			_exit(126);
		execvp("tar", (char *const *)argv);
		fprintf(stderr, "sluice-ctl: tar: %s\n", strerror(errno));
		_exit(127);
	}
	close(pfd[1]);
	if (pid < 0) {
		close(pfd[0]);
		return r;
	}
	r = read_all(pfd[0], out, cap, used);
	close(pfd[0]);
	while (waitpid(pid, &st, 0) < 0)
		if (errno != EINTR)
			return -errno;
	if (!WIFEXITED(st) || WEXITSTATUS(st) != 0) {
		fprintf(stderr, "sluice-ctl: the tar program failed (status %d)\n",
			WIFEXITED(st) ? WEXITSTATUS(st) : 128 + WTERMSIG(st));
		return -EIO;
	}
	if (r < 0)
		return r;
	*used = tar_end(out, *used);
	if (*used == 0) {
		fprintf(stderr, "sluice-ctl: the tar program wrote no valid archive\n");
		return -EIO;
	}
	return 0;
}
