/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * Read-only tar archive index: the appliance config disk is a plain
 * `tar -cf config.tar -C dir .` written to a block device. The archive is
 * untrusted input: ustar_index() validates every header before anything is
 * believed, and an archive that fails any check is refused as a whole (no
 * partial index), with a message naming the member and the reason.
 * Pure logic: built into the kernel and into host tests.
 *
 * Supported (everything else is refused with a message naming the member):
 *   formats     POSIX ustar ("ustar\0" "00", with the prefix field), GNU
 *               ("ustar  \0", whose prefix area holds other data and is
 *               ignored), pax (POSIX.1-2001, ustar headers plus 'x' records)
 *   members     regular files ('0', '\0', '7') and directories ('5')
 *   long names  GNU 'L' records; pax 'x' records with `path`
 *   sizes       octal, GNU base-256 (positive only), pax `size`
 *   pax 'x'     `path` and `size` are honoured; `linkpath`, times, owners,
 *               charset and unknown keywords are ignored (they change no
 *               byte of a file's contents); GNU.sparse.* is refused
 *   pax 'g'     accepted and ignored unless it sets `path` or `size`, which
 *               would apply to every following member: refused
 *   refused     hard links, symlinks, devices, FIFOs, GNU sparse/multi-volume
 *               and any other type, with "<kind> not supported"
 *
 * Paths are normalised: "." components vanish ("./etc/rules" is
 * "etc/rules"), one trailing '/' is allowed; "..", a leading '/', empty
 * components and control bytes are refused. The entry for the archive root
 * ("./") is skipped. Duplicate paths (after normalisation) are refused.
 */
#ifndef SLUICE_USTAR_H
#define SLUICE_USTAR_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

#define USTAR_BLOCK 512
#define USTAR_MAX_MEMBERS 256	     /* files and directories, the root excluded */
#define USTAR_PATH_MAX 255	     /* bytes of a normalised path, without the NUL */
#define USTAR_FILE_MAX (64ULL << 20) /* bytes of one member */
#define USTAR_EXT_MAX 4096	     /* bytes of one pax header or GNU long name */
#define USTAR_ERR_HINT 64	     /* bytes of a member name quoted in a message */

/*
 * Read exactly @len bytes at byte offset @off of the archive: 0 or -errno.
 * ustar_index() reads whole 512-byte blocks at block-aligned offsets;
 * ustar_read() passes the caller's range as it is.
 */
typedef int (*ustar_read_fn)(void *ctx, uint64_t off, void *buf, size_t len);

struct ustar_member {
	char path[USTAR_PATH_MAX + 1]; /* normalised, NUL-terminated */
	uint64_t offset;	       /* of the first data byte in the archive */
	uint64_t size;		       /* 0 for directories */
	bool dir;
};

/*
 * About 75 KiB: allocate it statically or on the heap, not on a stack.
 * Fields are read-only for users; `scratch` is ustar_index()'s own.
 */
struct ustar {
	ustar_read_fn read;
	void *ctx;
	uint64_t end;	     /* bytes up to and including the end-of-archive blocks */
	unsigned int n;	     /* members in m[] */
	unsigned int nfiles; /* regular files among them */
	uint64_t file_bytes; /* sum of the regular files' sizes */
	struct ustar_member m[USTAR_MAX_MEMBERS];
	char scratch[USTAR_EXT_MAX + 1];
};

/*
 * Walk the archive of @size bytes behind @read and index its members, which
 * reads every header but no file data. The archive must end
 * with two zero blocks within @size (anything after them is ignored, e.g.
 * tar's record padding or the rest of a disk). Returns 0, or -EINVAL for an
 * invalid archive, -E2BIG past a limit, -EEXIST for a duplicate path, the
 * reader's -errno; with a message in @err (always NUL-terminated when
 * @errlen > 0) such as "member 'etc/../x': path traversal". On error @u
 * holds no members.
 */
int ustar_index(struct ustar *u, ustar_read_fn read, void *ctx, uint64_t size, char *err,
		size_t errlen);

/*
 * Find a member by path; the path is normalised like member names, and a
 * leading '/' is accepted ("/etc/rules", "./etc/rules" and "etc/rules" are
 * the same). NULL when absent or when the path is not valid.
 */
const struct ustar_member *ustar_lookup(const struct ustar *u, const char *path);

/* Members in archive order, i < u->n (NULL past the end). */
const struct ustar_member *ustar_member(const struct ustar *u, unsigned int i);

/*
 * Copy up to @len bytes of @m's data from offset @off into @buf. Returns
 * the bytes copied (0 at or past the end of the member), or -errno from
 * the reader. Directories have no data.
 */
ssize_t ustar_read(const struct ustar *u, const struct ustar_member *m, uint64_t off, void *buf,
		   size_t len);

/*
 * Normalise @in into @out (@outlen bytes) by the rules above. @dir allows
 * (and strips) one trailing '/'. Returns 0, or -EINVAL with a reason in
 * *@why ("path traversal", "absolute path", ...). An empty result (the
 * archive root) is 0 with out[0] == '\0'.
 */
int ustar_normalize(const char *in, bool dir, char *out, size_t outlen, const char **why);

#endif
