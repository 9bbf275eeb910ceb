/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * The control-port protocol (docs/hostcfg.md): how a host tool reads and
 * writes an appliance's key store (sluice/hcstore.h) over a byte stream,
 * the virtio-console port org.sluice.ctl.0 on QEMU/KVM.
 *
 * Frames: a 16-byte little-endian header (struct hcp_hdr) and at most
 * HCP_PAYLOAD_MAX bytes of payload. The host sends requests; the
 * appliance answers each with one reply carrying the request's id, and
 * sends watch events unasked. The semantics are xenstore's, so one host
 * tool drives both platforms the same way: transactions that fail with
 * EAGAIN when the appliance changed what they touched, watches that fire
 * once when set and then on every change below their key.
 *
 * The server side (struct hcp_conn) is pure logic, also built into the
 * host unit tests and shared with nothing else: the host tool only needs
 * the wire definitions.
 */
#ifndef SLUICE_HCPROTO_H
#define SLUICE_HCPROTO_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "sluice/hcstore.h"

#define HCP_MAGIC 0x4353 /* "SC" on the wire */
#define HCP_VERSION 1
#define HCP_PAYLOAD_MAX 4096

enum hcp_type {
	HCP_HELLO = 1,	  /* -> "sluice-hc 1" */
	HCP_READ = 2,	  /* key -> value */
	HCP_WRITE = 3,	  /* key NUL value -> "" */
	HCP_RM = 4,	  /* key -> "" (absent is fine) */
	HCP_DIR = 5,	  /* key -> names, each NUL-terminated */
	HCP_TX_START = 6, /* "" -> decimal transaction id */
	HCP_TX_END = 7,	  /* "1" commit / "0" abort -> "" or error EAGAIN */
	HCP_WATCH = 8,	  /* key NUL token NUL -> "" */
	HCP_UNWATCH = 9,  /* key NUL token NUL -> "" */
	HCP_REPLY = 0x80, /* payload as above */
	HCP_ERROR = 0x81, /* errno name: "ENOENT", "EAGAIN", ... */
	HCP_EVENT = 0x82, /* key NUL token NUL (id 0) */
};

struct hcp_hdr {
	uint16_t magic;
	uint8_t version;
	uint8_t type;
	uint32_t id; /* the host's request id, echoed in the reply */
	uint32_t tx; /* transaction id, or 0 */
	uint32_t len;
} __attribute__((packed));

#define HCP_HDR_LEN 16u
#define HCP_FRAME_MAX (HCP_HDR_LEN + HCP_PAYLOAD_MAX)

/* Errno names on the wire and back (unknown: "EIO" / -EIO). */
const char *hcp_errname(int err);
int hcp_errno(const char *name, size_t len);

/* ---- server ---- */

#define HCP_WATCHES_MAX 8		/* host watches per connection */
#define HCP_TOKEN_MAX 32		/* bytes of a token, with the NUL */
#define HCP_TX_OPS_MAX 1024		/* writes and removals in one transaction */
#define HCP_TX_BYTES_MAX (640u * 1024)	/* bytes they may carry */
#define HCP_OUT_CAP (4 * HCP_FRAME_MAX) /* replies and events not yet sent */

struct hcp_watch {
	bool used, pending;
	char key[121];
	char token[HCP_TOKEN_MAX];
};

struct hcp_txop {
	struct hcs_op op;
	char *buf; /* owns key (and value after it) */
};

struct hcp_stats {
	uint64_t requests, errors, bad_frames, events;
};

struct hcp_conn {
	struct hcs_store *store;
	/* Input: one frame assembled at a time. */
	uint8_t in[HCP_FRAME_MAX + 1];
	size_t in_got;
	bool broken; /* framing lost: ignore input until the host reconnects */
	/* Output not yet taken by hcp_output(). */
	uint8_t out[HCP_OUT_CAP];
	size_t out_len;
	/* The one open transaction. */
	uint32_t tx_id, next_tx;
	uint64_t tx_ver;
	struct hcp_txop *txops;
	unsigned int ntxops;
	size_t tx_bytes;
	char **tx_reads; /* keys read in the transaction, for the conflict check */
	unsigned int ntx_reads;
	struct hcp_watch watches[HCP_WATCHES_MAX];
	struct hcp_stats stats;
	char last_error[96]; /* why the last frame was refused (for the console) */
};

void hcp_init(struct hcp_conn *c, struct hcs_store *s);
/* The host connected or went away: forget its transaction, watches, half frames. */
void hcp_reset(struct hcp_conn *c);
/*
 * Consume up to @len bytes from the host. Returns how many were taken:
 * fewer when the output has no room for another reply (back-pressure: call
 * again after hcp_output). Never fails: bad frames get an HCP_ERROR reply,
 * or, when the framing itself is lost, one error event and silence until
 * hcp_reset().
 */
size_t hcp_input(struct hcp_conn *c, const uint8_t *p, size_t len);
/* A key changed in the store: mark the host's watches on it. */
void hcp_changed(struct hcp_conn *c, const char *key);
/* Move up to @cap bytes of output (replies, then pending events) to @buf. */
size_t hcp_output(struct hcp_conn *c, uint8_t *buf, size_t cap);
bool hcp_has_output(const struct hcp_conn *c);

#endif
