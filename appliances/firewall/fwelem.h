/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * The firewall's elements: parse and filter (fwfilter.c), the answers to
 * rejected packets (fwreject.c, pure), the reject branch (fwreply.c).
 * The pure parts are also built into tests/unit/test_fwapp.c.
 */
#ifndef SLUICE_FWELEM_H
#define SLUICE_FWELEM_H

#include "fw.h"
#include "sluice/nf/answer.h"

extern const struct pl_class fw_filter_class; /* priv: struct fw_filter; 0 accept, 1 reject */
/*
 * The parse element's bypass (nf_parse.bypass): well-formed ARP, IPv6
 * neighbour discovery (RS/RA/NS/NA) and MLD, which pass regardless of rules.
 */
bool fw_always_pass(const struct pkt_meta *m);

/* Which answer a reject verdict gives @m; the ICMP type and code in *@type, *@icode. */
enum nf_answer fw_reject_choose(const struct pkt_meta *m, uint8_t reject, uint8_t code,
				uint8_t *type, uint8_t *icode);
/* The answer to a rejected @frame (nf_answer_build): its length, or 0 when none may be sent. */
size_t fw_reject_build(const uint8_t *frame, size_t len, const struct pkt_meta *m, uint8_t reject,
		       uint8_t code, uint8_t *out, size_t cap);

/* Add the reject branch (rate limit, then answer) to @ctx's graph; *@first is its entry. */
int fw_add_reject(struct fw_ctx *ctx, struct pl_elem **first);
/* The TX pool for answers (and probes): once the NICs have their receive rings. */
void fw_reject_pool(struct fw_ctx *ctx);
/* Stats section "reject sent=.. limited=.. unanswerable=.. nobuf=.." (arg: struct fw_rejecter). */
size_t fw_reject_format(void *rej, char *buf, size_t len);

#endif
