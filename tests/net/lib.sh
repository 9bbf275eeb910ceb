# shellcheck shell=sh
# SPDX-License-Identifier: BSD-2-Clause
# Helpers for network tests and benchmarks: a guest on QEMU TCG with
# virtio-net NICs on taps, and clients that talk to it. Sourced by
# tests/net/*.test and bench/net.
#
# Everything lives in one network namespace of our own, "sluice-net-PID",
# which has no link to the root namespace (no veth, no route, no NAT): the
# guest can reach only the test's bridges, and the clients only the guest.
# For NIC i (0..8) the namespace has a bridge bri with the host side's
# addresses 10.i.0.1/24 and fd0i::1/64 and a persistent tap tapi enslaved to
# it; QEMU runs inside the namespace (a tap must be opened from the namespace
# it lives in) and gives the guest's NIC i the MAC 52:54:00:00:00:0<i+1>.
# The guest is expected at 10.i.0.2 and fd0i::2 (net_ip4 i, net_ip6 i).
# rp_filter and arp_ignore are strict in the namespace, so a guest that
# answers on the wrong NIC gets no traffic through.
#
#   net_setup [NICS]        check the environment (else exit 77, or 1 with
#                           SLUICE_NET_REQUIRE=1), make the namespace with
#                           NICS (default 1) bridges and taps; installs the
#                           EXIT/INT/TERM/HUP traps that call net_teardown
#   net_teardown            stop QEMU and anything else in the namespace,
#                           delete it and the temporary directory
#   net_guest echo|linux    choose the guest (NET_GUEST_*); returns 1 if the
#                           echo appliance is not built / the Linux guest
#                           cannot be prepared
#   qemu_start_bg MACHINE NICS ARGS
#                           boot the chosen guest (microvm: virtio-net-device
#                           on virtio-mmio; q35/pc: virtio-net-pci) with ARGS
#                           on its command line, console to NET_QEMU_LOG, and
#                           wait for a console line matching NET_READY_RE
#                           (default ^ready:) for NET_BOOT_TIMEOUT s (120; the
#                           Linux guest: 30 s, 3 tries).
#                           Returns 1 (console shown) if it does not come up;
#                           else NET_BOOT_MS is the time QEMU start -> ready.
#                           Do not call it in a subshell: QEMU dies with the
#                           shell that started it.
#   qemu_stop               stop the guest
#   net_ip4 I / net_ip6 I   the guest's addresses on NIC I
#   net_ns CMD...           run CMD in the namespace
#   net_ping ADDR [COUNT]   ping (iputils), COUNT replies needed (default 3)
#   net_tcp_echo ADDR BYTES [OPTS]   random payload through TCP echo (port 7),
#                           verified byte for byte, the server must close
#                           after our FIN; prints the time and rate
#   net_udp_echo ADDR [OPTS] datagrams of several sizes through UDP echo
#   net_http_get ADDR PATH BODYFILE  prints the HTTP status, body to BODYFILE
#   net_client SUBCOMMAND ARGS...    the python client itself (--help)

srcdir=${srcdir:-.}
top_builddir=${top_builddir:-.}
NET_QEMU=${SLUICE_QEMU:-qemu-system-x86_64}
NET_PYTHON=${SLUICE_PYTHON:-python3}
NET_READY_RE=${NET_READY_RE:-'^ready:'}
NET_BOOT_TIMEOUT=${NET_BOOT_TIMEOUT:-120}
NET_NS=
NET_TMP=
NET_QEMU_PID=
NET_QEMU_LOG=
NET_NICS=0
NET_NBOOT=0
NET_BOOT_MS=
NET_GUEST=
NET_GUEST_KERNEL=
NET_GUEST_INITRD=
NET_GUEST_APPEND=
NET_GUEST_MEM=128
NET_GUEST_BOOT_TIMEOUT=$NET_BOOT_TIMEOUT
NET_GUEST_TRIES=1
NET_LINUX_TSC_KHZ=

# net_skip REASON: the environment cannot run network tests.
net_skip() {
	if [ "${SLUICE_NET_REQUIRE:-0}" = 1 ]; then
		echo "FAIL: $1 (SLUICE_NET_REQUIRE=1)"
		exit 1
	fi
	echo "SKIP: $1"
	exit 77
}

net_check_env() {
	[ "$(id -u)" -eq 0 ] || net_skip "network tests need root (namespaces, taps)"
	[ -c /dev/net/tun ] || net_skip "no /dev/net/tun"
	for _nt in ip:iproute2 ping:iputils-ping "$NET_PYTHON":python3 "$NET_QEMU":qemu-system-x86; do
		command -v "${_nt%%:*}" >/dev/null 2>&1 ||
			net_skip "no ${_nt%%:*} (Debian package ${_nt##*:}; see scripts/install-build-deps)"
	done
}

# net_reap_stale: namespaces and temporary directories of earlier runs that
# were killed outright (SIGKILL gives no chance to clean up). Only ours by
# name, only if the process that made them is gone, nothing runs inside the
# namespace and it is over a minute old (a run in another PID namespace
# could be between two guests).
net_reap_stale() {
	_nnow=$(date +%s)
	for _nns in $(ip netns list 2>/dev/null | sed -n 's/^\(sluice-net-[0-9][0-9]*\)\( .*\)\{0,1\}$/\1/p'); do
		_npid=${_nns#sluice-net-}
		[ "$_npid" != $$ ] || continue
		kill -0 "$_npid" 2>/dev/null && continue
		[ -z "$(ip netns pids "$_nns" 2>/dev/null)" ] || continue
		_nage=$(stat -c %Y "/run/netns/$_nns" 2>/dev/null) || continue
		[ $((_nnow - _nage)) -gt 60 ] || continue
		ip netns del "$_nns" 2>/dev/null && echo "net: removed stale namespace $_nns"
	done
	for _nd in "${TMPDIR:-/tmp}"/sluice-net-[0-9]*.*; do
		[ -d "$_nd" ] || continue
		_npid=${_nd##*/sluice-net-}
		_npid=${_npid%%.*}
		kill -0 "$_npid" 2>/dev/null || rm -rf "$_nd"
	done
	return 0
}

net_setup() {
	_nnics=${1:-1}
	case $_nnics in
	[1-9]) ;;
	*) net_fatal "net_setup: 1 to 9 NICs, not $_nnics" ;;
	esac
	net_check_env
	net_reap_stale
	NET_TMP=$(mktemp -d "${TMPDIR:-/tmp}/sluice-net-$$.XXXXXX") || exit 1
	NET_NS=sluice-net-$$
	trap 'net_teardown' EXIT
	trap 'exit 130' INT
	trap 'exit 143' TERM
	trap 'exit 129' HUP
	net_write_client "$NET_TMP/netclient.py"
	if ! ip netns add "$NET_NS"; then
		NET_NS=
		net_skip "cannot create a network namespace"
	fi
	# Strict source checks (see the top of this file); no DAD on the
	# bridges, so their IPv6 addresses are usable at once.
	# shellcheck disable=SC2016 # $k is the inner shell's
	ip netns exec "$NET_NS" sh -c '
		for k in all default; do
			echo 1 >/proc/sys/net/ipv4/conf/$k/rp_filter
			echo 1 >/proc/sys/net/ipv4/conf/$k/arp_ignore
			echo 2 >/proc/sys/net/ipv4/conf/$k/arp_announce
			echo 0 >/proc/sys/net/ipv6/conf/$k/accept_dad
		done' || net_fatal "cannot configure the namespace"
	ip -n "$NET_NS" link set lo up || net_fatal "cannot bring up lo"
	_ni=0
	while [ "$_ni" -lt "$_nnics" ]; do
		# No STP (ports forward at once); no multicast snooping, so IPv6
		# neighbour discovery works with guests that send no MLD reports.
		# The tap needs no IPv6 of its own: it is only a bridge port.
		if ! { ip -n "$NET_NS" link add "br$_ni" type bridge stp_state 0 forward_delay 0 mcast_snooping 0 &&
			ip -n "$NET_NS" addr add "10.$_ni.0.1/24" dev "br$_ni" &&
			ip -n "$NET_NS" -6 addr add "fd0$_ni::1/64" dev "br$_ni" nodad &&
			ip -n "$NET_NS" tuntap add dev "tap$_ni" mode tap &&
			ip netns exec "$NET_NS" sh -c "echo 1 >/proc/sys/net/ipv6/conf/tap$_ni/disable_ipv6" &&
			ip -n "$NET_NS" link set "tap$_ni" master "br$_ni" up &&
			ip -n "$NET_NS" link set "br$_ni" up; }; then
			net_fatal "cannot set up br$_ni/tap$_ni"
		fi
		_ni=$((_ni + 1))
	done
	NET_NICS=$_nnics
}

net_fatal() {
	echo "net: error: $*"
	exit 1
}

net_teardown() {
	qemu_stop
	if [ -n "$NET_NS" ]; then
		# Whatever still runs inside is ours (a client cut short by a signal).
		_npids=$(ip netns pids "$NET_NS" 2>/dev/null)
		if [ -n "$_npids" ]; then
			# shellcheck disable=SC2086 # one PID a word
			kill -TERM $_npids 2>/dev/null
			sleep 0.5
			_npids=$(ip netns pids "$NET_NS" 2>/dev/null)
			# shellcheck disable=SC2086
			[ -z "$_npids" ] || kill -KILL $_npids 2>/dev/null
		fi
		# The taps and bridges go with the namespace.
		ip netns del "$NET_NS" 2>/dev/null || echo "net: warning: cannot delete namespace $NET_NS"
		NET_NS=
	fi
	[ -z "$NET_TMP" ] || rm -rf "$NET_TMP"
	NET_TMP=
}

# net_ms: a wall clock in milliseconds; net_fmt_ms MS: "1.234".
net_ms() { echo $(($(date +%s%N) / 1000000)); }
net_fmt_ms() { printf '%d.%03d' $(($1 / 1000)) $(($1 % 1000)); }

net_ip4() { echo "10.$1.0.2"; }
net_ip6() { echo "fd0$1::2"; }
net_ns() { ip netns exec "$NET_NS" "$@"; }

# net_guest echo|linux: the image (and initrd) to boot, and the words its
# command line starts with.
net_guest() {
	NET_GUEST=$1 NET_GUEST_INITRD=
	NET_GUEST_BOOT_TIMEOUT=$NET_BOOT_TIMEOUT NET_GUEST_TRIES=1
	case $1 in
	echo)
		NET_GUEST_KERNEL=${SLUICE_ECHO_IMAGE:-$top_builddir/appliances/echo/echo.elf}
		NET_GUEST_APPEND=
		NET_GUEST_MEM=${SLUICE_ECHO_MEM:-128}
		[ -f "$NET_GUEST_KERNEL" ] || return 1
		;;
	linux)
		# Linux measures the TSC against the PIT, which fails now and then
		# under TCG on a busy host; on microvm (no HPET, no ACPI PM timer)
		# it then hangs early in boot. So a hung boot is tried again, and
		# once a boot has said the frequency (tsc_khz= in its ready line),
		# later ones get it as tsc_early_khz=.
		NET_GUEST_BOOT_TIMEOUT=${NET_LINUX_BOOT_TIMEOUT:-30}
		NET_GUEST_TRIES=3
		# Line 1 the kernel (vmlinux: PVH boot, no decompression under
		# TCG), line 2 the initramfs.
		_nlg=$(bash "$srcdir/bench/linux-guest" --vmlinux) || return 1
		NET_GUEST_KERNEL=$(echo "$_nlg" | sed -n 1p)
		NET_GUEST_INITRD=$(echo "$_nlg" | sed -n 2p)
		NET_GUEST_APPEND='console=ttyS0 quiet panic=-1'
		NET_GUEST_MEM=256
		;;
	*) net_fatal "net_guest: unknown guest $1" ;;
	esac
}

qemu_start_bg() {
	_nmachine=$1 _nnics=$2 _nargs=$3
	qemu_stop
	[ "$_nnics" -le "$NET_NICS" ] || net_fatal "qemu_start_bg: $_nnics NICs, but net_setup made $NET_NICS"
	case $_nmachine in
	microvm) _nnicdev=virtio-net-device ;;
	q35 | pc) _nnicdev=virtio-net-pci ;;
	*) net_fatal "qemu_start_bg: unknown machine $_nmachine" ;;
	esac
	_ntry=1
	while ! net_boot_once; do
		[ "$_ntry" -lt "$NET_GUEST_TRIES" ] || return 1
		_ntry=$((_ntry + 1))
		echo "net: trying again ($_ntry of $NET_GUEST_TRIES)"
	done
	# The Linux guest says the TSC frequency it measured: later boots take
	# it from the command line instead of measuring (see net_guest).
	if [ "$NET_GUEST" = linux ] && [ -z "$NET_LINUX_TSC_KHZ" ]; then
		NET_LINUX_TSC_KHZ=$(tr -d '\r' <"$NET_QEMU_LOG" | sed -n 's/^ready:.* tsc_khz=\([0-9][0-9]*\).*/\1/p' | head -n 1)
	fi
	return 0
}

# net_boot_once: one boot for qemu_start_bg.
net_boot_once() {
	NET_NBOOT=$((NET_NBOOT + 1))
	NET_QEMU_LOG=$NET_TMP/console.$NET_NBOOT
	: >"$NET_QEMU_LOG"
	_nappend=${NET_GUEST_APPEND:+$NET_GUEST_APPEND }$_nargs
	if [ "$NET_GUEST" = linux ] && [ -n "$NET_LINUX_TSC_KHZ" ]; then
		_nappend="tsc_early_khz=$NET_LINUX_TSC_KHZ $_nappend"
	fi
	# The same machine as scripts/run-qemu, plus NICs. isa-debug-exit lets
	# a guest that gives up stop QEMU, which we notice at once.
	set -- -accel tcg -M "$_nmachine" -cpu max -m "$NET_GUEST_MEM" -smp 1 \
		-kernel "$NET_GUEST_KERNEL" -append "$_nappend" \
		-nodefaults -no-user-config -no-reboot -display none -monitor none \
		-serial "file:$NET_QEMU_LOG" -device isa-debug-exit
	[ -z "$NET_GUEST_INITRD" ] || set -- "$@" -initrd "$NET_GUEST_INITRD"
	_ni=0
	while [ "$_ni" -lt "$_nnics" ]; do
		set -- "$@" -netdev "tap,id=n$_ni,ifname=tap$_ni,script=no,downscript=no" \
			-device "$_nnicdev,netdev=n$_ni,mac=52:54:00:00:00:0$((_ni + 1))"
		_ni=$((_ni + 1))
	done
	echo "net: booting $NET_GUEST on $_nmachine with $_nnics NIC(s): $_nappend"
	# setpriv: QEMU gets SIGKILL if this shell dies without running its
	# traps (SIGKILL), so no guest outlives the test.
	_npdeath=
	command -v setpriv >/dev/null 2>&1 && _npdeath="setpriv --pdeathsig KILL"
	# shellcheck disable=SC2086 # pdeath is empty or three words
	ip netns exec "$NET_NS" $_npdeath "$NET_QEMU" "$@" </dev/null >"$NET_QEMU_LOG.err" 2>&1 &
	NET_QEMU_PID=$!
	_nt0=$(net_ms)
	while :; do
		if tr -d '\r' <"$NET_QEMU_LOG" | grep -Eq -- "$NET_READY_RE"; then
			NET_BOOT_MS=$(($(net_ms) - _nt0))
			echo "net: guest up after $(net_fmt_ms "$NET_BOOT_MS") s: $(tr -d '\r' <"$NET_QEMU_LOG" | grep -E -m1 -- "$NET_READY_RE")"
			return 0
		fi
		if ! kill -0 "$NET_QEMU_PID" 2>/dev/null; then
			_nrc=0
			wait "$NET_QEMU_PID" || _nrc=$?
			NET_QEMU_PID=
			echo "net: QEMU exited with status $_nrc before the guest was ready"
			net_show_console
			return 1
		fi
		if [ $(($(net_ms) - _nt0)) -ge $((NET_GUEST_BOOT_TIMEOUT * 1000)) ]; then
			echo "net: no console line matching /$NET_READY_RE/ after ${NET_GUEST_BOOT_TIMEOUT} s"
			qemu_stop
			net_show_console
			return 1
		fi
		sleep 0.2
	done
}

net_show_console() {
	echo "--- console ($NET_QEMU_LOG):"
	tr -d '\r' <"$NET_QEMU_LOG" | tail -n 60 | sed 's/^/    /'
	if [ -s "$NET_QEMU_LOG.err" ]; then
		echo "--- QEMU's stderr:"
		sed 's/^/    /' "$NET_QEMU_LOG.err"
	fi
}

# qemu_stop: TERM, then KILL after 3 s.
qemu_stop() {
	[ -n "$NET_QEMU_PID" ] || return 0
	kill -TERM "$NET_QEMU_PID" 2>/dev/null
	_nn=0
	while kill -0 "$NET_QEMU_PID" 2>/dev/null && [ "$_nn" -lt 30 ]; do
		sleep 0.1
		_nn=$((_nn + 1))
	done
	kill -KILL "$NET_QEMU_PID" 2>/dev/null
	wait "$NET_QEMU_PID" 2>/dev/null
	NET_QEMU_PID=
	return 0
}

# Clients. Each prints one line about what it did; status 0 when it worked.
net_ping() {
	# -w: give up after 30 s; with -c, fewer than COUNT replies fails.
	net_ns ping -n -q -c "${2:-3}" -i 0.2 -W 2 -w 30 "$1"
}
net_client() { net_ns "$NET_PYTHON" "$NET_TMP/netclient.py" "$@"; }
net_tcp_echo() {
	_na=$1 _nb=$2
	shift 2
	net_client tcp-echo "$_na" "$_nb" "$@"
}
net_udp_echo() {
	_na=$1
	shift
	net_client udp-echo "$_na" "$@"
}
net_http_get() { net_client http-get "$1" "$2" --body "$3"; }

# net_write_client FILE: the python client (stdlib only).
net_write_client() {
	cat >"$1" <<'EOF'
"""Clients for Sluice's network tests: tcp-echo, tcp-rr, udp-echo, http-get."""
import argparse
import http.client
import os
import selectors
import socket
import sys
import time


def fail(msg):
    print(msg)
    sys.exit(1)


def family(host):
    return socket.AF_INET6 if ":" in host else socket.AF_INET


def first_diff(a, b):
    for i, (x, y) in enumerate(zip(a, b)):
        if x != y:
            return i
    return min(len(a), len(b))


def tcp_echo(a):
    """Stream a random payload through the echo service while reading the
    echo back (a blocking client would deadlock once both directions' buffers
    fill), verify it byte for byte, then expect the server to close after
    our FIN."""
    data = os.urandom(a.bytes)
    n = a.bytes
    view = memoryview(data)
    what = f"tcp-echo {a.host}:{a.port}"
    t0 = time.monotonic()
    deadline = t0 + a.timeout
    try:
        s = socket.create_connection((a.host, a.port), timeout=min(a.timeout, 10))
    except OSError as e:
        fail(f"{what}: connect: {e}")
    s.setblocking(False)
    sel = selectors.DefaultSelector()
    sel.register(s, selectors.EVENT_READ | selectors.EVENT_WRITE)
    sent = got = 0
    eof = False
    if n == 0:
        s.shutdown(socket.SHUT_WR)
        sel.modify(s, selectors.EVENT_READ)
    t_echoed = None
    while not eof:
        left = deadline - time.monotonic()
        if left <= 0:
            if got == n:
                fail(f"{what}: all {n} bytes echoed, but the server did not close after our FIN")
            fail(f"{what}: timeout after {a.timeout} s: sent {sent}, received {got} of {n} bytes")
        for _, ev in sel.select(min(left, 1.0)):
            try:
                if ev & selectors.EVENT_WRITE and sent < n:
                    sent += s.send(view[sent:sent + 65536])
                    if sent == n:
                        s.shutdown(socket.SHUT_WR)
                        sel.modify(s, selectors.EVENT_READ)
                if ev & selectors.EVENT_READ:
                    chunk = s.recv(262144)
                    if not chunk:
                        eof = True
                        break
                    if got + len(chunk) > n:
                        fail(f"{what}: received more bytes ({got + len(chunk)}) than sent ({n})")
                    if chunk != view[got:got + len(chunk)]:
                        off = got + first_diff(chunk, view[got:got + len(chunk)])
                        fail(f"{what}: byte {off} differs: sent {data[off]:#04x}, received "
                             f"{chunk[off - got]:#04x}")
                    got += len(chunk)
                    if got == n:
                        t_echoed = time.monotonic()
            except BlockingIOError:
                pass
            except OSError as e:
                fail(f"{what}: sent {sent}, received {got} of {n} bytes: {e}")
    t1 = time.monotonic()
    s.close()
    if got != n:
        fail(f"{what}: the server closed after {got} of {n} bytes")
    secs = (t_echoed or t1) - t0
    if a.machine:
        print(f"{n} {secs:.6f}")
    else:
        print(f"{what}: {n} bytes echoed and verified in {secs:.3f} s "
              f"({n / secs / 1e6:.3f} MB/s), closed {t1 - t0 - secs:.3f} s later")


def tcp_rr(a):
    """Round trips of small messages on one connection: request-response
    latency without ICMP."""
    what = f"tcp-rr {a.host}:{a.port}"
    try:
        s = socket.create_connection((a.host, a.port), timeout=a.timeout)
    except OSError as e:
        fail(f"{what}: connect: {e}")
    s.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
    times = []
    for _ in range(a.count):
        msg = os.urandom(a.size)
        t0 = time.monotonic()
        s.sendall(msg)
        back = b""
        while len(back) < a.size:
            chunk = s.recv(a.size - len(back))
            if not chunk:
                fail(f"{what}: connection closed")
            back += chunk
        times.append(time.monotonic() - t0)
        if back != msg:
            fail(f"{what}: reply differs")
    s.close()
    times.sort()
    avg = sum(times) / len(times)
    if a.machine:
        print(f"{times[0] * 1e3:.3f} {avg * 1e3:.3f} {times[-1] * 1e3:.3f}")
    else:
        print(f"{what}: {a.count} x {a.size} bytes: min/avg/max "
              f"{times[0] * 1e3:.3f}/{avg * 1e3:.3f}/{times[-1] * 1e3:.3f} ms")


def udp_echo(a):
    """One datagram of each size, each answered with the same bytes by the
    server's port (a connected socket drops anything else); a lost datagram
    is sent again, up to --tries times."""
    what = f"udp-echo {a.host}:{a.port}"
    s = socket.socket(family(a.host), socket.SOCK_DGRAM)
    s.connect((a.host, a.port))
    s.settimeout(a.wait)
    report = []
    earlier = set()
    for size in (int(x) for x in a.sizes.split(",")):
        msg = os.urandom(size)
        for attempt in range(1, a.tries + 1):
            t0 = time.monotonic()
            s.send(msg)
            try:
                while True:
                    back = s.recv(65536)
                    if back == msg:
                        break
                    # A late answer to an earlier datagram that was sent
                    # again is harmless; anything else is wrong.
                    if back in earlier:
                        continue
                    fail(f"{what}: {size}-byte datagram came back as {len(back)} bytes "
                         f"(first difference at byte {first_diff(back, msg)})")
            except socket.timeout:
                continue
            except OSError as e:
                fail(f"{what}: {size} bytes: {e}")
            report.append(f"{size}B {(time.monotonic() - t0) * 1e3:.1f}ms"
                          + (f" (try {attempt})" if attempt > 1 else ""))
            break
        else:
            fail(f"{what}: no reply to a {size}-byte datagram in {a.tries} tries")
        earlier.add(msg)
    print(f"{what}: echoed " + ", ".join(report))


def http_get(a):
    what = f"http-get {a.host}:{a.port}{a.path}"
    try:
        c = http.client.HTTPConnection(a.host, a.port, timeout=a.timeout)
        c.request("GET", a.path, headers={"Connection": "close"})
        r = c.getresponse()
        body = r.read()
        c.close()
    except (OSError, http.client.HTTPException) as e:
        fail(f"{what}: {e!r}")
    with open(a.body, "wb") as f:
        f.write(body)
    print(r.status)


def main():
    p = argparse.ArgumentParser(description=__doc__)
    sub = p.add_subparsers(dest="cmd", required=True)
    t = sub.add_parser("tcp-echo")
    t.add_argument("host")
    t.add_argument("bytes", type=int)
    t.add_argument("--port", type=int, default=7)
    t.add_argument("--timeout", type=float, default=120)
    t.add_argument("--machine", action="store_true", help="print BYTES SECONDS")
    t.set_defaults(fn=tcp_echo)
    r = sub.add_parser("tcp-rr")
    r.add_argument("host")
    r.add_argument("--port", type=int, default=7)
    r.add_argument("--count", type=int, default=200)
    r.add_argument("--size", type=int, default=64)
    r.add_argument("--timeout", type=float, default=10)
    r.add_argument("--machine", action="store_true", help="print MIN AVG MAX (ms)")
    r.set_defaults(fn=tcp_rr)
    u = sub.add_parser("udp-echo")
    u.add_argument("host")
    u.add_argument("--port", type=int, default=7)
    u.add_argument("--sizes", default="1,64,512,1400")
    u.add_argument("--tries", type=int, default=5)
    u.add_argument("--wait", type=float, default=2)
    u.set_defaults(fn=udp_echo)
    h = sub.add_parser("http-get")
    h.add_argument("host")
    h.add_argument("path")
    h.add_argument("--port", type=int, default=80)
    h.add_argument("--body", required=True)
    h.add_argument("--timeout", type=float, default=20)
    h.set_defaults(fn=http_get)
    a = p.parse_args()
    a.fn(a)


main()
EOF
}
