// SPDX-License-Identifier: BSD-2-Clause
/*
 * TCP connection tracking: the state machine and the window checks behind
 * conntrack.c (see sluice/conntrack.h). It follows Linux's
 * nf_conntrack_proto_tcp in spirit: the same states and the same four
 * window checks (tcp_window()), simplified transitions (tcp_next()), and
 * closing states derived from which FINs were sent and acknowledged
 * (tcp_closing()). Segments come from hostile senders, so a segment that
 * fails a check changes nothing: a forged packet must not move the tracked
 * state or window, or it could open a hole or kill a connection.
 */
#include <stdbool.h>
#include <stdint.h>
#include <string.h>

#include "sluice/nf/conntrack.h"

#define TH_FIN 0x01
#define TH_SYN 0x02
#define TH_RST 0x04
#define TH_ACK 0x10
#define TH_URG 0x20

/* Linux's MAXACKWINCONST: acks may lag this far even behind tiny windows. */
#define MAXACKWIN_MIN 66000

static bool before(uint32_t a, uint32_t b)
{
	return (int32_t)(a - b) < 0;
}

static bool after(uint32_t a, uint32_t b)
{
	return before(b, a);
}

/* Flag combinations a real stack sends (Linux's tcp_valid_flags; PSH, ECE, CWR ignored). */
static bool tcp_flags_valid(uint8_t f)
{
	switch (f & (TH_FIN | TH_SYN | TH_RST | TH_ACK | TH_URG)) {
	case TH_SYN:
	case TH_SYN | TH_URG:
	case TH_SYN | TH_ACK:
	case TH_RST:
	case TH_RST | TH_ACK:
	case TH_FIN | TH_ACK:
	case TH_FIN | TH_ACK | TH_URG:
	case TH_ACK:
	case TH_ACK | TH_URG:
		return true;
	default:
		return false;
	}
}

/* Sequence space the segment occupies: payload plus one each for SYN and FIN. */
static uint32_t tcp_end(const struct pkt_meta *m)
{
	uint32_t lend = (uint32_t)m->l4_off + m->l4_len, len = 0;

	if (lend > m->payload_off)
		len = lend - m->payload_off;
	return m->tcp_seq + len + !!(m->tcp_flags & TH_SYN) + !!(m->tcp_flags & TH_FIN);
}

static void side_init_syn(struct ct_tcp_side *s, const struct pkt_meta *m, uint32_t end)
{
	s->end = s->maxend = end;
	s->maxwin = m->tcp_win ? m->tcp_win : 1;
	s->flags &= (uint8_t)~CT_TS_WSCALE;
	s->wscale = 0;
	if (m->tcp_wscale != 0xff) {
		s->flags |= CT_TS_WSCALE;
		s->wscale = m->tcp_wscale;
	}
}

/*
 * Linux's tcp_in_window() checks, on copies of both sides that are written
 * back only if the segment passes:
 *   I   seq <= the highest sequence the receiver's window allows;
 *   II  end >= what the sender sent, minus the receiver's largest window;
 *   III ack <= what the receiver has sent (no acknowledging the future);
 *   IV  ack >= that, minus the sender's largest window.
 * Returns false if the segment fails them (nothing is changed then).
 */
static bool tcp_window(struct ct_entry *e, int dir, const struct pkt_meta *m, uint32_t end)
{
	struct ct_tcp_side s = e->tcp[dir], r = e->tcp[!dir];
	uint8_t fl = m->tcp_flags;
	uint32_t seq = m->tcp_seq, ack = m->tcp_ack, win = m->tcp_win, ackwin;

	if (s.maxwin == 0) { /* this side's first segment */
		if (!(fl & TH_SYN)) {
			/* Reply side of a picked-up connection: believe the packet. */
			s.end = end;
			s.maxwin = win ? win : 1;
			s.maxend = end + s.maxwin;
		} else {
			side_init_syn(&s, m, end);
			/* RFC 7323: scaling only if both SYNs carried the option. */
			if (!(s.flags & r.flags & CT_TS_WSCALE))
				s.wscale = r.wscale = 0;
			if (!(fl & TH_ACK)) { /* simultaneous open: nothing to check yet */
				e->tcp[dir] = s;
				e->tcp[!dir] = r;
				return true;
			}
		}
	} else if ((fl & TH_SYN) && after(end, s.end) &&
		   ((e->tcp_state == CT_TCP_SYN_SENT && dir == CT_DIR_ORIG) ||
		    (e->tcp_state == CT_TCP_SYN_RECV && dir == CT_DIR_REPLY))) {
		side_init_syn(&s, m, end); /* SYN resent with a new ISN (RFC 793 reinit) */
	}
	/* No ACK, or the zero ack of broken stacks' RST|ACK: pretend it acks everything. */
	if (!(fl & TH_ACK) || ((fl & TH_RST) && ack == 0))
		ack = r.end;
	ackwin = s.maxwin > MAXACKWIN_MIN ? s.maxwin : MAXACKWIN_MIN;
	if (after(seq, s.maxend) || before(end, s.end - r.maxwin) || after(ack, r.end) ||
	    before(ack, r.end - ackwin))
		return false;
	if (!(fl & TH_SYN))
		win <<= s.wscale;
	if (s.maxwin < win)
		s.maxwin = win;
	if (after(end, s.end))
		s.end = end;
	if ((fl & TH_ACK) && (!(s.flags & CT_TS_MAXACK) || after(ack, s.maxack))) {
		s.maxack = ack;
		s.flags |= CT_TS_MAXACK;
	}
	if (r.maxwin && after(end, s.maxend))
		r.maxwin += end - s.maxend;
	if (after(ack + win, r.maxend - 1))
		r.maxend = ack + win + (win == 0);
	e->tcp[dir] = s;
	e->tcp[!dir] = r;
	return true;
}

/*
 * A RST answering a segment that was let through untracked (ignored, see
 * tcp_ignore()): the window data may belong to a dead connection, so it is
 * matched against what that segment said instead (Linux's rule for RSTs to
 * ignored packets). Trust: only the exact number the ignored segment
 * carried is accepted, which an off-path sender cannot know unless it
 * forged that segment too; the worst it can then do is close an entry
 * whose connection it could already disturb (as with Linux).
 */
static bool tcp_rst_to_ignored(const struct ct_entry *e, int dir, const struct pkt_meta *m)
{
	const struct ct_tcp_side *r = &e->tcp[!dir];

	/* The server has no such connection: RST|ACK acknowledging the SYN. */
	if ((r->ign & CT_IGN_SYN) && (m->tcp_flags & TH_ACK) && m->tcp_ack == e->last_val)
		return true;
	/* RFC 793 3.4 / RFC 5961 4: <SEQ=SEG.ACK><CTL=RST> answering the challenge ACK. */
	return (r->ign & CT_IGN_ACK) && !(e->status & CT_S_ASSURED) && m->tcp_seq == e->last_val;
}

/*
 * A RST is honoured only in window (else anyone could tear connections
 * down by guessing ports). Answering a SYN it must acknowledge that SYN
 * (RFC 793 3.4); otherwise it must pass the window checks and not lie
 * before what the receiver has already acknowledged.
 */
static bool tcp_rst_ok(struct ct_entry *e, int dir, const struct pkt_meta *m, uint32_t end,
		       bool liberal)
{
	const struct ct_tcp_side *r = &e->tcp[!dir];

	if (tcp_rst_to_ignored(e, dir, m))
		return true;
	/*
	 * Kept stricter than Linux (which passes a RST without ACK whose seq
	 * is 0): the client's TCP ignores such a RST in SYN-SENT (RFC 793
	 * 3.9), so passing it could only help blind resets.
	 */
	if (e->tcp_state == CT_TCP_SYN_SENT && dir == CT_DIR_REPLY)
		return (m->tcp_flags & TH_ACK) && m->tcp_ack == r->end;
	/* Checked first: tcp_window() commits its updates when it passes. */
	if ((r->flags & CT_TS_MAXACK) && before(m->tcp_seq, r->maxack))
		return false;
	return tcp_window(e, dir, m, end) || liberal;
}

/* tcp_next(): let the segment through untracked (Linux's sIG). */
#define NEXT_IGNORE (-2)

/* Next state for a segment with flags @fl from @dir; -1: invalid, NEXT_IGNORE. */
static int tcp_next(const struct ct_entry *e, int dir, uint8_t fl)
{
	uint8_t st = e->tcp_state;

	if (fl & TH_RST)
		return CT_TCP_CLOSE;
	if ((fl & (TH_SYN | TH_ACK)) == TH_SYN) {
		if (st == CT_TCP_SYN_SENT)
			return dir == CT_DIR_ORIG ? CT_TCP_SYN_SENT : CT_TCP_SYN_SENT2;
		if (st == CT_TCP_SYN_SENT2 || (st == CT_TCP_SYN_RECV && dir == CT_DIR_ORIG))
			return st; /* retransmission */
		/*
		 * A new SYN from the client on a live connection: the client may
		 * have rebooted and reused its port while we (and maybe the
		 * server) still hold the old one. Linux lets it through
		 * untracked; the server's answer (SYN|ACK, or an RFC 5961
		 * challenge ACK) decides.
		 */
		if (dir == CT_DIR_ORIG && st >= CT_TCP_ESTABLISHED && st <= CT_TCP_LAST_ACK)
			return NEXT_IGNORE;
		return -1;
	}
	if (fl & TH_SYN) { /* SYN|ACK */
		if (st == CT_TCP_SYN_SENT)
			return dir == CT_DIR_REPLY ? CT_TCP_SYN_RECV : -1;
		if (st == CT_TCP_SYN_SENT2 || st == CT_TCP_SYN_RECV)
			return CT_TCP_SYN_RECV;
		/* The server resends it when the final ACK was lost past us. */
		if (st == CT_TCP_ESTABLISHED && dir == CT_DIR_REPLY)
			return st;
		/* Linux: may answer a SYN we ignored on a closing connection. */
		return dir == CT_DIR_REPLY ? NEXT_IGNORE : -1;
	}
	/* ACK, possibly with FIN and data. */
	if (st == CT_TCP_SYN_SENT || st == CT_TCP_SYN_SENT2)
		/* A reply ACK here: the server holds an older connection (challenge ACK). */
		return dir == CT_DIR_REPLY && !(fl & TH_FIN) ? NEXT_IGNORE : -1;
	if (st == CT_TCP_SYN_RECV)
		/* Established once the ACK answers a SYN|ACK from the other side. */
		return e->tcp[!dir].flags & CT_TS_SYNACK ? CT_TCP_ESTABLISHED : st;
	return st;
}

/*
 * Let a segment through without tracking it (the entry may be stale), and
 * remember what an answer to it would carry: a SYN's seq + 1 and options,
 * or a challenge ACK's ack. Nothing else in the entry changes, so a forged
 * segment of this kind cannot move the tracked windows.
 */
static int tcp_ignore(struct ct_entry *e, int dir, const struct pkt_meta *m)
{
	struct ct_tcp_side *s = &e->tcp[dir];
	uint8_t fl = m->tcp_flags & (TH_SYN | TH_ACK);

	s->ign = 0;
	if (fl == TH_SYN) {
		s->ign = CT_IGN_SYN;
		s->ign_wscale = 0;
		if (m->tcp_wscale != 0xff) {
			s->ign |= CT_IGN_WSCALE;
			s->ign_wscale = m->tcp_wscale;
		}
		e->last_val = tcp_end(m);
	} else if (fl == TH_ACK) {
		s->ign = CT_IGN_ACK;
		e->last_val = m->tcp_ack;
	}
	e->tcp[!dir].ign = 0;
	return CT_TCP_IGNORED;
}

/*
 * A SYN|ACK acknowledging the SYN we ignored: client and server agree on a
 * new connection and only our entry is stale. Start it again from the
 * ignored SYN (Linux does the same from its last_* fields); the SYN|ACK is
 * then tracked as in SYN_SENT. The client's window is not known yet (its
 * next segment gives it).
 */
static bool tcp_resync(struct ct_entry *e, int dir, const struct pkt_meta *m)
{
	struct ct_tcp_side *c = &e->tcp[!dir];
	uint8_t ign = c->ign, ws = c->ign_wscale;

	if (dir != CT_DIR_REPLY || !(ign & CT_IGN_SYN) || m->tcp_ack != e->last_val ||
	    e->tcp_state < CT_TCP_ESTABLISHED || e->tcp_state > CT_TCP_LAST_ACK)
		return false;
	memset(e->tcp, 0, sizeof(e->tcp));
	c->end = c->maxend = e->last_val;
	c->maxwin = 1;
	if (ign & CT_IGN_WSCALE) {
		c->flags = CT_TS_WSCALE;
		c->wscale = ws;
	}
	e->tcp_state = CT_TCP_SYN_SENT;
	return true;
}

/* From ESTABLISHED on, the state follows from the FINs sent and acknowledged. */
static int tcp_closing(const struct ct_entry *e, int st)
{
	int fins, acked;

	if (st < CT_TCP_ESTABLISHED || st > CT_TCP_LAST_ACK)
		return st;
	fins = !!(e->tcp[0].flags & CT_TS_FIN) + !!(e->tcp[1].flags & CT_TS_FIN);
	acked = !!(e->tcp[0].flags & CT_TS_FINACK) + !!(e->tcp[1].flags & CT_TS_FINACK);
	if (fins == 0)
		return st;
	if (fins == 1)
		return acked ? CT_TCP_CLOSE_WAIT : CT_TCP_FIN_WAIT;
	return acked == 2 ? CT_TCP_TIME_WAIT : CT_TCP_LAST_ACK;
}

/* A tracked segment passed its checks: flags, FINs, the new state. */
static void tcp_apply(struct ct_entry *e, int dir, const struct pkt_meta *m, uint32_t end,
		      uint8_t old, int ns)
{
	uint8_t fl = m->tcp_flags;
	struct ct_tcp_side *s = &e->tcp[dir], *r = &e->tcp[!dir];

	if ((fl & (TH_SYN | TH_ACK)) == (TH_SYN | TH_ACK))
		s->flags |= CT_TS_SYNACK;
	if ((fl & TH_FIN) && !(s->flags & CT_TS_FIN)) {
		s->flags |= CT_TS_FIN;
		s->fin_end = end;
	}
	if ((fl & TH_ACK) && (r->flags & CT_TS_FIN) && !before(m->tcp_ack, r->fin_end))
		r->flags |= CT_TS_FINACK;
	/*
	 * An in-window RST that does not sit exactly at the next expected
	 * byte is answered by an RFC 5961 challenge ACK, and the connection
	 * lives on: keep its state (Linux does too), so a blind in-window
	 * guess cannot shorten the entry's timeout.
	 */
	if ((fl & TH_RST) && old == CT_TCP_ESTABLISHED && (r->flags & CT_TS_MAXACK) &&
	    m->tcp_seq != r->maxack && !tcp_rst_to_ignored(e, dir, m))
		ns = old;
	ns = tcp_closing(e, ns);
	if (ns == CT_TCP_ESTABLISHED && (old == CT_TCP_SYN_RECV || old == CT_TCP_ESTABLISHED))
		e->status |= CT_S_ASSURED;
	/* A tracked segment supersedes whatever was let through before it. */
	s->ign = r->ign = 0;
	e->tcp_state = (uint8_t)ns;
}

int ct_tcp_track(struct ct_entry *e, int dir, const struct pkt_meta *m, bool liberal)
{
	uint8_t fl = m->tcp_flags, old = e->tcp_state;
	uint32_t end = tcp_end(m);
	int ns;

	if (!tcp_flags_valid(fl))
		return CT_TCP_BAD;
	if ((fl & (TH_SYN | TH_ACK | TH_RST)) == (TH_SYN | TH_ACK) && tcp_resync(e, dir, m))
		old = e->tcp_state;
	ns = tcp_next(e, dir, fl);
	if (ns == NEXT_IGNORE)
		return tcp_ignore(e, dir, m);
	if (ns < 0)
		return CT_TCP_BAD;
	/* No fragment reaches here: conntrack refuses TCP fragments (reassemble first). */
	liberal = liberal || (e->status & CT_S_LIBERAL);
	if (fl & TH_RST) {
		if (!tcp_rst_ok(e, dir, m, end, liberal))
			return CT_TCP_BAD;
	} else if (!tcp_window(e, dir, m, end) && !liberal) {
		return CT_TCP_BAD;
	}
	tcp_apply(e, dir, m, end, old, ns);
	return CT_TCP_OK;
}

bool ct_tcp_reopens(const struct ct_entry *e, const struct pkt_meta *m)
{
	return (e->tcp_state == CT_TCP_TIME_WAIT || e->tcp_state == CT_TCP_CLOSE) &&
	       (m->tcp_flags & (TH_SYN | TH_ACK | TH_RST | TH_FIN)) == TH_SYN;
}

void ct_tcp_new(struct ct_entry *e, const struct pkt_meta *m)
{
	uint32_t end = tcp_end(m);

	if (m->tcp_flags & TH_SYN) {
		side_init_syn(&e->tcp[0], m, end);
		e->tcp_state = CT_TCP_SYN_SENT;
	} else {
		/* Loose pickup: the history is lost, so the windows are not enforced. */
		e->tcp[0].end = end;
		e->tcp[0].maxwin = m->tcp_win ? m->tcp_win : 1;
		e->tcp[0].maxend = end + e->tcp[0].maxwin;
		e->tcp[1].end = e->tcp[1].maxend = m->tcp_ack;
		e->tcp_state = CT_TCP_ESTABLISHED;
		e->status |= CT_S_LIBERAL;
	}
}

bool ct_tcp_may_create(const struct pkt_meta *m, bool loose)
{
	uint8_t f = m->tcp_flags & (TH_SYN | TH_ACK | TH_RST | TH_FIN);

	if (!tcp_flags_valid(m->tcp_flags))
		return false;
	return f == TH_SYN || (loose && f == TH_ACK);
}
