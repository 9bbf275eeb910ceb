/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * Answers to packets a network function refuses: a TCP RST or an ICMP /
 * ICMPv6 error, built safely (nf/answer.c says what is never answered).
 */
#ifndef SLUICE_NF_ANSWER_H
#define SLUICE_NF_ANSWER_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "sluice/nf/pktmeta.h"

enum nf_answer { NFA_NONE, NFA_TCP_RST, NFA_ICMP, NFA_ICMPV6 };

/* May @m be answered at all: well-formed unicast IP, first fragment, no ICMP error, no RST. */
bool nf_answerable(const struct pkt_meta *m);
/*
 * Build answer @a to @frame (@len bytes, parsed into @m) into @out: the
 * L2 header of the frame with the MAC addresses swapped, then a TCP RST or
 * an ICMP(v6) error of @type/@code from the packet's destination to its
 * source. Returns its length (padded to 60), or 0 when nothing may be
 * sent (@m not answerable, @a not for its family, @cap too small).
 */
size_t nf_answer_build(const uint8_t *frame, size_t len, const struct pkt_meta *m, enum nf_answer a,
		       uint8_t type, uint8_t code, uint8_t *out, size_t cap);

#endif
