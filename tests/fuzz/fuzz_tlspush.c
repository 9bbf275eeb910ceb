// SPDX-License-Identifier: BSD-2-Clause
/*
 * The TLS terminator's push path as the appliance runs it
 * (appliances/tls/tlsrt.c, tls_rt_push): the host channel's value, base64,
 * decoded; the ustar archive indexed (kernel/lib/ustar.c); tls.cfg parsed
 * (tlsconf.c); every certificate, key and CA bundle it names loaded from
 * the archive (tls/certstore.c, mbedTLS) and one mbedTLS server config
 * built per listener. All of it is untrusted (docs/tls.md, "Trust").
 *
 * Input: one byte of mode, then the rest. Mode bit 0 clear: the rest is
 * the archive, base64-encoded here (the fuzzer mutates tar bytes, the
 * common case); set: the rest is the pushed text itself (the decoder's
 * side). Checked: a refusal carries a message; an accepted configuration
 * has a listener, each listener a certificate, and frees cleanly
 * (LeakSanitizer checks every path). Seeds hold private keys, so they are
 * made at build time (tests/fuzz/mktlspushseeds), never committed.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "fuzz.h"
#include "mbedtls/base64.h"
#include "psa/crypto.h"
#include "sluice/configdisk.h"
#include "tls.h"

/* tlsrt.c's other callers' symbols, which a push never reaches. */
mbedtls_ssl_ticket_context tls_tickets;
int tls_sess_sni(void *arg, mbedtls_ssl_context *ssl, const unsigned char *name, size_t len)
{
	(void)arg, (void)ssl, (void)name, (void)len;
	return -1;
}
int tls_sess_ticket_parse(void *p, mbedtls_ssl_session *sess, unsigned char *buf, size_t len)
{
	(void)p, (void)sess, (void)buf, (void)len;
	return -1;
}
bool configdisk_mounted(void)
{
	abort(); /* the boot path: not a push */
}
int configdisk_mount(struct blkdev *dev)
{
	(void)dev;
	abort();
}
int configdisk_load(const char *path, size_t max, char **data, size_t *len)
{
	(void)path, (void)max, (void)data, (void)len;
	abort();
}

int LLVMFuzzerInitialize(int *argc, char ***argv);
int LLVMFuzzerInitialize(int *argc, char ***argv)
{
	(void)argc, (void)argv;
	/* The appliance initialises PSA once at boot; the DRBG is seeded from getrandom(). */
	if (psa_crypto_init() != PSA_SUCCESS)
		abort();
	/* The certificate store's messages (the console's lines) would drown libFuzzer's. */
	if (!freopen("/dev/null", "w", stdout))
		abort();
	return 0;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static char b64[4 * (1 << 20) / 3 + 8];
	struct tls_rt *rt = NULL;
	char msg[512] = "";
	size_t n = 0;
	int rc;

	if (size == 0 || size > (3u << 20) / 4)
		return -1;
	if (data[0] & 1) {
		memcpy(b64, data + 1, size - 1);
		n = size - 1;
	} else if (mbedtls_base64_encode((unsigned char *)b64, sizeof(b64), &n, data + 1,
					 size - 1) != 0) {
		abort();
	}
	rc = tls_rt_push(b64, n, &rt, msg, sizeof(msg));
	if (rc < 0) {
		if (rt || msg[0] == '\0')
			abort(); /* a refusal says why and builds nothing */
		return 0;
	}
	if (!rt || rt->conf->nlisteners == 0 || rt->refs != 1)
		abort();
	for (unsigned int i = 0; i < rt->conf->nlisteners; i++)
		if (rt->conf->listeners[i].ncerts == 0)
			abort();
	tls_rt_put(rt);
	return 0;
}
