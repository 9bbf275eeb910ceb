#!/usr/bin/env python3
# SPDX-License-Identifier: BSD-2-Clause
"""Connection-tracking conformance checks through the firewall (issue 15).

Run by tests/net/fwconform.test as root, with the namespaces of
tests/net/fwlib.sh: one AF_PACKET socket on the client's eth0 and one on
the server's (opened after setns() into each namespace), crafted frames
sent on one side, and what arrives on the other compared byte for byte.

The crafted flows use addresses no namespace owns (10.9.0.11 <-> 10.9.0.12,
fd09::11 <-> fd09::12) with the real MAC addresses, so the kernels at both
ends drop them silently and never answer: only this script speaks for the
endpoints. Standard library only (no scapy): frames are built here.

Usage: fwconform.py CLI_NETNS SRV_NETNS CLI_MAC SRV_MAC [--only NAME]...
Prints "ok"/"FAIL" lines and exits 1 on any failure.
"""

import ctypes
import os
import select
import socket
import struct
import sys
import time

ETH_P_ALL = 0x0003
CLONE_NEWNET = 0x40000000
PACKET_OUTGOING = 4
WAIT_YES = 3.0  # s for an expected frame (TCG guest)
WAIT_NO = 1.0  # s of silence for a dropped one

C4, S4, R4 = "10.9.0.11", "10.9.0.12", "10.9.0.13"
C6, S6 = "fd09::11", "fd09::12"


def setns(name):
    libc = ctypes.CDLL(None, use_errno=True)
    fd = os.open("/var/run/netns/" + name, os.O_RDONLY)
    try:
        if libc.setns(fd, CLONE_NEWNET) != 0:
            raise OSError(ctypes.get_errno(), "setns " + name)
    finally:
        os.close(fd)


def open_side(ns):
    setns(ns)
    s = socket.socket(socket.AF_PACKET, socket.SOCK_RAW, socket.htons(ETH_P_ALL))
    s.bind(("eth0", 0))
    s.setblocking(False)
    return s


def csum(data):
    if len(data) % 2:
        data += b"\0"
    s = sum(struct.unpack("!%dH" % (len(data) // 2), data))
    while s >> 16:
        s = (s & 0xFFFF) + (s >> 16)
    return (~s) & 0xFFFF


def mac(text):
    return bytes(int(x, 16) for x in text.split(":"))


class Net:
    def __init__(self, cli_ns, srv_ns, cli_mac, srv_mac):
        self.cli = open_side(cli_ns)
        self.srv = open_side(srv_ns)
        self.mac = {"cli": mac(cli_mac), "srv": mac(srv_mac)}
        self.ipid = 1000

    def eth(self, frm, v6, payload):
        to = "srv" if frm == "cli" else "cli"
        return self.mac[to] + self.mac[frm] + struct.pack("!H", 0x86DD if v6 else 0x0800) + payload

    # ---- IPv4 ----
    def ip4(self, frm, src, dst, proto, payload, frag=0, ident=None):
        if ident is None:
            self.ipid += 1
            ident = self.ipid
        h = struct.pack("!BBHHHBBH4s4s", 0x45, 0, 20 + len(payload), ident, frag, 64, proto, 0,
                        socket.inet_aton(src), socket.inet_aton(dst))
        h = h[:10] + struct.pack("!H", csum(h)) + h[12:]
        return self.eth(frm, False, h + payload)

    @staticmethod
    def tcp(src, dst, sp, dp, flags, seq, ack, data=b"", win=65535, v6=False):
        h = struct.pack("!HHIIBBHHH", sp, dp, seq & 0xFFFFFFFF, ack & 0xFFFFFFFF, 5 << 4, flags,
                        win, 0, 0)
        seg = h + data
        fam = socket.AF_INET6 if v6 else socket.AF_INET
        if v6:
            ph = socket.inet_pton(fam, src) + socket.inet_pton(fam, dst) + struct.pack("!I3xB", len(seg), 6)
        else:
            ph = socket.inet_pton(fam, src) + socket.inet_pton(fam, dst) + struct.pack("!xBH", 6, len(seg))
        return seg[:16] + struct.pack("!H", csum(ph + seg)) + seg[18:]

    @staticmethod
    def udp(src, dst, sp, dp, data, v6=False, length=None):
        ln = 8 + len(data) if length is None else length
        seg = struct.pack("!HHHH", sp, dp, ln, 0) + data
        fam = socket.AF_INET6 if v6 else socket.AF_INET
        if v6:
            ph = socket.inet_pton(fam, src) + socket.inet_pton(fam, dst) + struct.pack("!I3xB", len(seg), 17)
        else:
            ph = socket.inet_pton(fam, src) + socket.inet_pton(fam, dst) + struct.pack("!xBH", 17, len(seg))
        c = csum(ph + seg) or 0xFFFF
        return seg[:6] + struct.pack("!H", c) + seg[8:]

    def tcp4(self, frm, src, dst, sp, dp, flags, seq, ack, data=b""):
        return self.ip4(frm, src, dst, 6, self.tcp(src, dst, sp, dp, flags, seq, ack, data))

    def frags4(self, frm, src, dst, proto, payload, cuts, ident):
        """Fragments of @payload cut at byte offsets @cuts: [(off, end, more)]."""
        return [self.ip4(frm, src, dst, proto, payload[a:b], (0x2000 if more else 0) | (a // 8), ident)
                for a, b, more in cuts]

    # ---- IPv6 ----
    def ip6(self, frm, src, dst, nh, payload):
        h = struct.pack("!IHBB16s16s", 6 << 28, len(payload), nh, 64,
                        socket.inet_pton(socket.AF_INET6, src), socket.inet_pton(socket.AF_INET6, dst))
        return self.eth(frm, True, h + payload)

    def frags6(self, frm, src, dst, nh, payload, cuts, ident):
        return [self.ip6(frm, src, dst, 44, struct.pack("!BBHI", nh, 0, a | (1 if more else 0), ident) + payload[a:b])
                for a, b, more in cuts]

    # ---- sending and watching ----
    def drain(self):
        for s in (self.cli, self.srv):
            while True:
                try:
                    s.recvfrom(65536)
                except BlockingIOError:
                    break

    def send(self, frm, frames):
        sock = self.cli if frm == "cli" else self.srv
        for f in frames:
            sock.send(f)

    def arrivals(self, to, frames, wait):
        """Which of @frames (bytes) arrive on side @to within @wait s (stops early when all did)."""
        sock = self.cli if to == "cli" else self.srv
        want = list(frames)
        got = []
        end = time.monotonic() + wait
        while want and time.monotonic() < end:
            r, _, _ = select.select([sock], [], [], max(0.0, end - time.monotonic()))
            if not r:
                break
            try:
                data, addr = sock.recvfrom(65536)
            except BlockingIOError:
                continue
            if addr[2] == PACKET_OUTGOING:
                continue
            for f in want:
                # veth may pad short frames to 60 bytes: compare the frame's own bytes.
                if data[:len(f)] == f and len(data) <= max(len(f), 60):
                    want.remove(f)
                    got.append(f)
                    break
        return got


class Runner:
    def __init__(self, net):
        self.net = net
        self.failed = 0
        self.passed = 0

    def expect(self, what, frm, frames, arrive):
        """Send @frames from side @frm; @arrive: True (all, unchanged), False (none)."""
        if isinstance(frames, bytes):
            frames = [frames]
        self.net.drain()
        self.net.send(frm, frames)
        to = "srv" if frm == "cli" else "cli"
        got = self.net.arrivals(to, frames, WAIT_YES if arrive else WAIT_NO)
        good = len(got) == len(frames) if arrive else not got
        if good:
            self.passed += 1
            print("ok   %s: %s" % (what, "passed" if arrive else "dropped"))
        else:
            self.failed += 1
            print("FAIL %s: expected %s, %d of %d frames arrived" %
                  (what, "all to pass" if arrive else "none to pass", len(got), len(frames)))
        return good


# Each scenario: its own ports, so that none depends on another's state.

def handshake(r, n, sp, isn_c=1000, isn_s=5000, dp=80):
    ok = r.expect("handshake %d: SYN" % sp, "cli", n.tcp4("cli", C4, S4, sp, dp, 0x02, isn_c, 0), True)
    ok &= r.expect("handshake %d: SYN|ACK" % sp, "srv", n.tcp4("srv", S4, C4, dp, sp, 0x12, isn_s, isn_c + 1), True)
    ok &= r.expect("handshake %d: ACK" % sp, "cli", n.tcp4("cli", C4, S4, sp, dp, 0x10, isn_c + 1, isn_s + 1), True)
    return ok


def d1_fragment_window_bypass(r, n):
    """Defect 1: an out-of-window first fragment must not turn window checks off."""
    handshake(r, n, 41001)
    far = 1001 + (1 << 30)
    seg = n.tcp(C4, S4, 41001, 80, 0x10, far, 5001, b"x" * 1000)
    r.expect("d1 out-of-window TCP first fragment (never completed)", "cli",
             n.frags4("cli", C4, S4, 6, seg, [(0, 504, True)], 4242), False)
    r.expect("d1 out-of-window data afterwards", "cli", n.tcp4("cli", C4, S4, 41001, 80, 0x10, far, 5001, b"y" * 100), False)
    r.expect("d1 RST 2^30 away afterwards", "srv", n.tcp4("srv", S4, C4, 80, 41001, 0x04, 5001 + (1 << 30), 0), False)
    r.expect("d1 in-window data still passes", "cli", n.tcp4("cli", C4, S4, 41001, 80, 0x18, 1001, 5001, b"z" * 10), True)


def d2_stale_entry(r, n):
    """Defect 2: a SYN on a tuple held as ESTABLISHED passes and re-tracks."""
    handshake(r, n, 41002)
    r.expect("d2 new SYN on the ESTABLISHED tuple", "cli", n.tcp4("cli", C4, S4, 41002, 80, 0x02, 900000, 0), True)
    r.expect("d2 the server's SYN|ACK to it", "srv", n.tcp4("srv", S4, C4, 80, 41002, 0x12, 7000000, 900001), True)
    r.expect("d2 the client's ACK", "cli", n.tcp4("cli", C4, S4, 41002, 80, 0x10, 900001, 7000001), True)
    r.expect("d2 data on the new connection", "cli", n.tcp4("cli", C4, S4, 41002, 80, 0x18, 900001, 7000001, b"hello"), True)


def d3_challenge_ack(r, n):
    """Defect 3: RFC 5961 challenge ACK and the RST answering it pass (with and without an entry)."""
    handshake(r, n, 41003)
    r.expect("d3 fresh SYN while the server holds the old connection", "cli",
             n.tcp4("cli", C4, S4, 41003, 80, 0x02, 900000, 0), True)
    r.expect("d3 the server's challenge ACK", "srv", n.tcp4("srv", S4, C4, 80, 41003, 0x10, 5001, 1001), True)
    r.expect("d3 the client's RST answering it", "cli", n.tcp4("cli", C4, S4, 41003, 80, 0x04, 1001, 0), True)
    r.expect("d3 the retried SYN", "cli", n.tcp4("cli", C4, S4, 41003, 80, 0x02, 900000, 0), True)
    # No entry in the firewall (its old entry expired): the SYN makes one.
    r.expect("d3b SYN (no entry)", "cli", n.tcp4("cli", C4, S4, 41013, 80, 0x02, 900000, 0), True)
    r.expect("d3b challenge ACK", "srv", n.tcp4("srv", S4, C4, 80, 41013, 0x10, 777777, 123456), True)
    r.expect("d3b a RST with a guessed seq", "cli", n.tcp4("cli", C4, S4, 41013, 80, 0x04, 123999, 0), False)
    r.expect("d3b the RST answering it", "cli", n.tcp4("cli", C4, S4, 41013, 80, 0x04, 123456, 0), True)


def d4_icmp(r, n):
    """Defect 4: ICMP errors are RELATED only towards the quoted packet's sender; 4-byte quotes work."""
    q = n.ip4("cli", C4, S4, 17, n.udp(C4, S4, 5004, 53, b"q" * 20))[14:]
    r.expect("d4 UDP query", "cli", n.eth("cli", False, q), True)
    r.expect("d4 UDP answer", "srv", n.ip4("srv", S4, C4, 17, n.udp(S4, C4, 53, 5004, b"a")), True)

    def err(frm, src, dst, quote):
        body = struct.pack("!BBHI", 3, 3, 0, 0) + quote
        body = body[:2] + struct.pack("!H", csum(body)) + body[4:]
        return n.ip4(frm, src, dst, 1, body)

    r.expect("d4 error from a router to the sender", "srv", err("srv", R4, C4, q[:28]), True)
    r.expect("d4 error quoting 4 bytes of UDP", "srv", err("srv", R4, C4, q[:24]), True)
    r.expect("d4 error to the quoted packet's destination", "cli", err("cli", R4, S4, q[:28]), False)
    r.expect("d4 error to an uninvolved host", "srv", err("srv", R4, "10.9.0.14", q[:28]), False)


def d5_fragments(r, n):
    """Defect 5: overlaps discard the datagram, tiny first fragments pass, no work-around needed."""
    syn = n.tcp(C4, S4, 41005, 80, 0x02, 1000, 0)
    r.expect("d5 SYN in an 8-byte first fragment and the rest", "cli",
             n.frags4("cli", C4, S4, 6, syn, [(0, 8, True), (8, 20, False)], 5005), True)
    dns = n.udp(C4, S4, 5005, 53, b"d" * 1992)
    r.expect("d5 fragmented UDP to port 53 (no work-around rule)", "cli",
             n.frags4("cli", C4, S4, 17, dns, [(0, 1200, True), (1200, 2000, False)], 5006), True)
    other = n.udp(C4, S4, 5005, 54, b"d" * 1992)
    r.expect("d5 fragmented UDP to port 54 (not accepted)", "cli",
             n.frags4("cli", C4, S4, 17, other, [(0, 1200, True), (1200, 2000, False)], 5007), False)
    ov = n.udp(C4, S4, 5005, 53, b"o" * 40)
    r.expect("d5 overlapping IPv4 fragments", "cli",
             n.frags4("cli", C4, S4, 17, ov, [(0, 24, True), (16, 40, True), (40, 48, False)], 5008), False)
    ov6 = n.udp(C6, S6, 5005, 53, b"o" * 40, v6=True)
    r.expect("d5 overlapping IPv6 fragments", "cli",
             n.frags6("cli", C6, S6, 17, ov6, [(0, 24, True), (16, 40, True), (40, 48, False)], 5009), False)
    r.expect("d5 IPv6 fragments to port 53", "cli",
             n.frags6("cli", C6, S6, 17, ov6, [(0, 24, True), (24, 48, False)], 5010), True)


def d6_timeouts(r, n):
    """Defect 6: the timeouts are settable (this boot: ct-timeout-udp-stream=3, ct-timeout-udp=3)."""
    r.expect("d6 UDP query", "cli", n.ip4("cli", C4, S4, 17, n.udp(C4, S4, 5006, 53, b"q")), True)
    r.expect("d6 UDP answer within the timeout", "srv", n.ip4("srv", S4, C4, 17, n.udp(S4, C4, 53, 5006, b"a")), True)
    time.sleep(4.5)
    r.expect("d6 UDP answer after the 3 s timeout", "srv", n.ip4("srv", S4, C4, 17, n.udp(S4, C4, 53, 5006, b"a")), False)


def d7_kept_strict(r, n):
    """Defect 7: stricter than nftables on purpose (docs/firewall.md, Differences from nftables)."""
    rh0 = struct.pack("!BBBB4x", 17, 2, 0, 1) + socket.inet_pton(socket.AF_INET6, S6)
    r.expect("d7 IPv6 routing header type 0 with segments left", "cli",
             n.ip6("cli", C6, S6, 43, rh0 + n.udp(C6, S6, 5007, 53, b"r", v6=True)), False)
    r.expect("d7 SYN for the RST test", "cli", n.tcp4("cli", C4, S4, 41007, 80, 0x02, 1000, 0), True)
    r.expect("d7 RST without ACK answering a SYN", "srv", n.tcp4("srv", S4, C4, 80, 41007, 0x04, 0, 0), False)


SCENARIOS = [d1_fragment_window_bypass, d2_stale_entry, d3_challenge_ack, d4_icmp, d5_fragments,
             d7_kept_strict, d6_timeouts]


def main():
    args = sys.argv[1:]
    only = []
    while "--only" in args:
        i = args.index("--only")
        only.append(args[i + 1])
        del args[i:i + 2]
    if len(args) != 4:
        print(__doc__)
        return 2
    net = Net(*args)
    r = Runner(net)
    t0 = time.monotonic()
    for sc in SCENARIOS:
        if only and sc.__name__.split("_")[0] not in only:
            continue
        sc(r, net)
    print("fwconform: %d passed, %d failed in %.1f s" % (r.passed, r.failed, time.monotonic() - t0))
    return 1 if r.failed else 0


if __name__ == "__main__":
    sys.exit(main())
