# shellcheck shell=sh
# SPDX-License-Identifier: BSD-2-Clause
# Topology for firewall tests and benchmarks: client — firewall VM — server.
# Sourced by tests/net/firewall.test and bench/firewall, after
# tests/net/lib.sh (which this file sources itself: its environment checks,
# qemu_stop, net_show_console and TCP echo client are reused).
#
# Three network namespaces of our own, none linked to the root namespace:
#
#   cli (sluice-fw-PID-cli)     fw (sluice-fw-PID-fw)                srv (sluice-fw-PID-srv)
#   eth0 10.9.0.1/24  ==veth==  vc -[brc]- tap0 ~ QEMU net0
#        fd09::1/64                                  firewall
#                                          QEMU net1 ~ tap1 -[brs]- vs  ==veth==  eth0 10.9.0.2/24
#                                                                                      fd09::2/64
#
# Both taps live in the fw namespace, where QEMU runs (a tap must be opened
# from its own namespace); each is a port of a bridge there whose other port
# is a veth to the client or the server. The fw namespace has no address and
# IPv6 is off there, so it adds no frames of its own: everything between
# cli and srv crosses the guest. The guest is a bump in the wire (bridge
# mode): the same subnet on both sides, ARP and neighbour discovery pass
# through it. cli's eth0 has MAC 02:00:00:09:00:01, srv's 02:00:00:09:00:02;
# the guest's net0 52:54:00:00:09:01 (cli side), net1 52:54:00:00:09:02.
#
#   fw_setup                 check the environment (else exit 77, or 1 with
#                            SLUICE_NET_REQUIRE=1), make the namespaces;
#                            installs EXIT/INT/TERM/HUP traps -> fw_teardown
#   fw_teardown              stop QEMU and everything in the namespaces,
#                            delete them and the temporary directory
#   fw_boot IMAGE MACHINE ARGS [CONFIG_TAR]
#                            boot IMAGE (an ELF appliance, or the word
#                            "linux": the nftables reference guest of
#                            bench/linux-guest --with-nft, fw=bridge) on
#                            MACHINE (q35/pc: virtio-net-pci x2 [+
#                            virtio-blk-pci]; microvm: virtio-net-device x2
#                            [+ virtio-blk-device]) with ARGS on its command
#                            line and CONFIG_TAR as a read-only raw disk;
#                            wait for a console line matching FW_READY_RE
#                            (^ready:). Returns 1 (console shown) if it does
#                            not come up. Sets FW_BOOT_MS (QEMU start ->
#                            ready) and FW_QEMU_T0_NS (QEMU start, wall
#                            clock). Not in a subshell: QEMU dies with the
#                            shell that started it. FW_MEM (MiB) overrides
#                            the memory size (128; Linux 256),
#                            FW_BOOT_TIMEOUT the wait (s; 120, Linux 30 a
#                            try, 3 tries). FW_LINUX_KERNEL/FW_LINUX_INITRD
#                            choose another Linux guest, FW_LINUX_MODE its
#                            mode words (default fw=bridge; bench/lb: lb=...).
#   fw_stop                  stop the guest
#   fw_services_start        TCP echo on 22, 80, 443, 8080 and UDP echo on 53
#                            in srv (IPv4 and IPv6), TCP echo on 80 in cli
#                            (for traffic that srv starts)
#   fw_cli CMD... / fw_srv CMD... / fw_fwns CMD...   run CMD in a namespace
#   tcp_connect_result HOST PORT [SRC]
#                            from cli: "open" (handshake and a 16-byte echo),
#                            "refused" (RST), "timeout" (dropped),
#                            "unreachable" (ICMP), "stalled" (handshake but
#                            no echo) or "error: ..."
#   tcp_connect_result_from_srv HOST PORT   the same, from srv
#   tcp_transfer HOST PORT BYTES             from cli: BYTES of random data
#                            through the echo, verified byte for byte;
#                            prints the rate; status 1 if it failed
#   udp_probe HOST PORT [SRC]   from cli: "reply" (echoed exactly) or "timeout"
#   ping_result HOST         from cli: "reply" or "timeout" (v4 or v6)
#   fw_ping HOST [COUNT] / fw_ping6 HOST [COUNT]   COUNT replies needed
#   fw_static_neigh          permanent ARP/ND entries in cli and srv (for
#                            floods that must not wait for ARP)

# shellcheck source=tests/net/lib.sh disable=SC1091 # followed with shellcheck -x
. "${srcdir:-.}/tests/net/lib.sh"

FW_READY_RE=${FW_READY_RE:-'^ready:'}
FW_NS_CLI=
FW_NS_SRV=
FW_NS_FW=
FW_TMP=
FW_BOOT_MS=
FW_QEMU_T0_NS=
FW_NBOOT=0
FW_LINUX_TSC_KHZ=
FW_CLI_MAC=02:00:00:09:00:01
FW_SRV_MAC=02:00:00:09:00:02
FW_CLI_IP=10.9.0.1
FW_SRV_IP=10.9.0.2
FW_CLI_IP6=fd09::1
FW_SRV_IP6=fd09::2

fw_cli() { ip netns exec "$FW_NS_CLI" "$@"; }
fw_srv() { ip netns exec "$FW_NS_SRV" "$@"; }
fw_fwns() { ip netns exec "$FW_NS_FW" "$@"; }

# fw_pdeath: a prefix that gives a background process SIGKILL when this
# shell dies without running its traps (SIGKILL), so nothing outlives us.
fw_pdeath() {
	if command -v setpriv >/dev/null 2>&1; then
		echo "setpriv --pdeathsig KILL"
	fi
}

# fw_reap_stale: namespaces and directories of earlier runs that were killed
# outright. Only ours by name, only if the process that made them is gone,
# nothing runs inside and they are over a minute old.
fw_reap_stale() {
	_fnow=$(date +%s)
	for _fns in $(ip netns list 2>/dev/null | sed -n 's/^\(sluice-fw-[0-9][0-9]*-[a-z]*\)\( .*\)\{0,1\}$/\1/p'); do
		_fpid=${_fns#sluice-fw-}
		_fpid=${_fpid%%-*}
		[ "$_fpid" != $$ ] || continue
		kill -0 "$_fpid" 2>/dev/null && continue
		[ -z "$(ip netns pids "$_fns" 2>/dev/null)" ] || continue
		_fage=$(stat -c %Y "/run/netns/$_fns" 2>/dev/null) || continue
		[ $((_fnow - _fage)) -gt 60 ] || continue
		ip netns del "$_fns" 2>/dev/null && echo "fw: removed stale namespace $_fns"
	done
	for _fd in "${TMPDIR:-/tmp}"/sluice-fw-[0-9]*.*; do
		[ -d "$_fd" ] || continue
		_fpid=${_fd##*/sluice-fw-}
		_fpid=${_fpid%%.*}
		kill -0 "$_fpid" 2>/dev/null || rm -rf "$_fd"
	done
	return 0
}

fw_fatal() {
	echo "fw: error: $*"
	exit 1
}

fw_setup() {
	net_check_env
	fw_reap_stale
	FW_TMP=$(mktemp -d "${TMPDIR:-/tmp}/sluice-fw-$$.XXXXXX") || exit 1
	# lib.sh's helpers keep their files here too.
	NET_TMP=$FW_TMP
	trap 'fw_teardown' EXIT
	trap 'exit 130' INT
	trap 'exit 143' TERM
	trap 'exit 129' HUP
	net_write_client "$FW_TMP/netclient.py"
	fw_write_tool "$FW_TMP/fwtool.py"
	for _fw in cli srv fw; do
		if ! ip netns add "sluice-fw-$$-$_fw"; then
			net_skip "cannot create a network namespace"
		fi
		case $_fw in
		cli) FW_NS_CLI=sluice-fw-$$-cli ;;
		srv) FW_NS_SRV=sluice-fw-$$-srv ;;
		fw) FW_NS_FW=sluice-fw-$$-fw ;;
		esac
		ip -n "sluice-fw-$$-$_fw" link set lo up || fw_fatal "cannot bring up lo in $_fw"
	done
	# The middle namespace is a wire: IPv6 off before any interface exists
	# (no link-local addresses, no router solicitations, no MLD).
	# shellcheck disable=SC2016 # $k is the inner shell's
	fw_fwns sh -c 'for k in all default; do echo 1 >/proc/sys/net/ipv6/conf/$k/disable_ipv6; done' ||
		fw_fatal "cannot configure the fw namespace"
	# The ends: no DAD (addresses usable at once), no router solicitations
	# (nothing would answer; fewer stray frames in the benchmark).
	for _fns in "$FW_NS_CLI" "$FW_NS_SRV"; do
		# shellcheck disable=SC2016
		ip netns exec "$_fns" sh -c '
			for k in all default; do
				echo 0 >/proc/sys/net/ipv6/conf/$k/accept_dad
				echo 0 >/proc/sys/net/ipv6/conf/$k/accept_ra
				echo 0 >/proc/sys/net/ipv6/conf/$k/router_solicitations
			done' || fw_fatal "cannot configure $_fns"
	done
	# No STP (ports forward at once), no multicast snooping (neighbour
	# solicitations reach guests that send no MLD reports).
	for _fs in c:cli s:srv; do
		_fb=br${_fs%%:*} _fv=v${_fs%%:*} _ft=tap0
		[ "${_fs%%:*}" = c ] || _ft=tap1
		case ${_fs#*:} in
		cli) _fpeer=$FW_NS_CLI _fmac=$FW_CLI_MAC _f4=$FW_CLI_IP _f6=$FW_CLI_IP6 ;;
		*) _fpeer=$FW_NS_SRV _fmac=$FW_SRV_MAC _f4=$FW_SRV_IP _f6=$FW_SRV_IP6 ;;
		esac
		if ! { ip -n "$FW_NS_FW" link add "$_fb" type bridge stp_state 0 forward_delay 0 mcast_snooping 0 &&
			ip -n "$FW_NS_FW" tuntap add dev "$_ft" mode tap &&
			ip -n "$FW_NS_FW" link set "$_ft" master "$_fb" up &&
			ip -n "$FW_NS_FW" link add "$_fv" type veth peer name eth0 netns "$_fpeer" &&
			ip -n "$FW_NS_FW" link set "$_fv" master "$_fb" up &&
			ip -n "$FW_NS_FW" link set "$_fb" up &&
			ip -n "$_fpeer" link set eth0 address "$_fmac" &&
			ip -n "$_fpeer" addr add "$_f4/24" dev eth0 &&
			ip -n "$_fpeer" -6 addr add "$_f6/64" dev eth0 nodad &&
			ip -n "$_fpeer" link set eth0 up; }; then
			fw_fatal "cannot set up $_fb/$_ft/$_fv"
		fi
	done
}

fw_teardown() {
	qemu_stop
	for _fns in "$FW_NS_CLI" "$FW_NS_SRV" "$FW_NS_FW"; do
		[ -n "$_fns" ] || continue
		# Whatever still runs inside is ours (servers, a client cut short).
		_fpids=$(ip netns pids "$_fns" 2>/dev/null)
		if [ -n "$_fpids" ]; then
			# shellcheck disable=SC2086 # one PID a word
			kill -TERM $_fpids 2>/dev/null
			sleep 0.3
			_fpids=$(ip netns pids "$_fns" 2>/dev/null)
			# shellcheck disable=SC2086
			[ -z "$_fpids" ] || kill -KILL $_fpids 2>/dev/null
		fi
		# Taps, bridges and veths go with the namespaces.
		ip netns del "$_fns" 2>/dev/null || echo "fw: warning: cannot delete namespace $_fns"
	done
	FW_NS_CLI='' FW_NS_SRV='' FW_NS_FW=''
	[ -z "$FW_TMP" ] || rm -rf "$FW_TMP"
	FW_TMP='' NET_TMP=''
}

# fw_static_neigh: permanent neighbour entries, so that a flood from cli
# needs no ARP/ND through the guest (and starts before the guest is up).
fw_static_neigh() {
	fw_cli ip neigh replace "$FW_SRV_IP" lladdr "$FW_SRV_MAC" dev eth0 nud permanent &&
		fw_cli ip -6 neigh replace "$FW_SRV_IP6" lladdr "$FW_SRV_MAC" dev eth0 nud permanent &&
		fw_srv ip neigh replace "$FW_CLI_IP" lladdr "$FW_CLI_MAC" dev eth0 nud permanent &&
		fw_srv ip -6 neigh replace "$FW_CLI_IP6" lladdr "$FW_CLI_MAC" dev eth0 nud permanent
}

# fw_linux_image: the Linux nftables guest's kernel and initramfs.
fw_linux_image() {
	_flg=$(bash "$srcdir/bench/linux-guest" --vmlinux --with-nft) || return 1
	FW_LINUX_KERNEL=$(echo "$_flg" | sed -n 1p)
	FW_LINUX_INITRD=$(echo "$_flg" | sed -n 2p)
}

fw_boot() {
	_fimage=$1 _fmachine=$2 _fargs=$3 _ftar=${4:-}
	qemu_stop
	case $_fmachine in
	microvm) _fnic=virtio-net-device _fblk=virtio-blk-device ;;
	q35 | pc) _fnic=virtio-net-pci _fblk=virtio-blk-pci ;;
	*) fw_fatal "fw_boot: unknown machine $_fmachine" ;;
	esac
	[ -z "$_ftar" ] || [ -f "$_ftar" ] || fw_fatal "fw_boot: no config archive $_ftar"
	if [ "$_fimage" = linux ]; then
		[ -n "${FW_LINUX_KERNEL:-}" ] || fw_linux_image || {
			echo "fw: the Linux nftables guest cannot be prepared (bench/linux-guest --with-nft)"
			return 1
		}
		_fkernel=$FW_LINUX_KERNEL _finitrd=$FW_LINUX_INITRD
		_fmem=${FW_MEM:-256}
		_fappend="console=ttyS0 quiet panic=-1 ${FW_LINUX_MODE:-fw=bridge} $_fargs"
		# Linux measures the TSC against the PIT, which now and then fails
		# under TCG and then hangs on microvm (see tests/net/lib.sh): a
		# hung boot is tried again, and later boots get the frequency
		# that an earlier one printed.
		_ftimeout=${FW_BOOT_TIMEOUT:-30} _ftries=3
	else
		[ -f "$_fimage" ] || fw_fatal "fw_boot: no image $_fimage"
		_fkernel=$_fimage _finitrd=
		_fmem=${FW_MEM:-128}
		_fappend=$_fargs
		_ftimeout=${FW_BOOT_TIMEOUT:-$NET_BOOT_TIMEOUT} _ftries=1
	fi
	_ftry=1
	while ! fw_boot_once; do
		[ "$_ftry" -lt "$_ftries" ] || return 1
		_ftry=$((_ftry + 1))
		echo "fw: trying again ($_ftry of $_ftries)"
	done
	if [ "$_fimage" = linux ] && [ -z "$FW_LINUX_TSC_KHZ" ]; then
		FW_LINUX_TSC_KHZ=$(tr -d '\r' <"$NET_QEMU_LOG" | sed -n 's/^ready:.* tsc_khz=\([0-9][0-9]*\).*/\1/p' | head -n 1)
	fi
	return 0
}

# fw_boot_once: one boot for fw_boot.
fw_boot_once() {
	FW_NBOOT=$((FW_NBOOT + 1))
	NET_QEMU_LOG=$FW_TMP/console.$FW_NBOOT
	: >"$NET_QEMU_LOG"
	_fa=$_fappend
	if [ -n "$_finitrd" ] && [ -n "$FW_LINUX_TSC_KHZ" ]; then
		_fa="tsc_early_khz=$FW_LINUX_TSC_KHZ $_fa"
	fi
	# scripts/run-qemu's machine, plus two NICs and the config disk.
	set -- -accel tcg -M "$_fmachine" -cpu max -m "$_fmem" -smp 1 \
		-kernel "$_fkernel" -append "$_fa" \
		-nodefaults -no-user-config -no-reboot -display none -monitor none \
		-serial "file:$NET_QEMU_LOG" -device isa-debug-exit
	[ -z "$_finitrd" ] || set -- "$@" -initrd "$_finitrd"
	set -- "$@" \
		-netdev tap,id=n0,ifname=tap0,script=no,downscript=no \
		-device "$_fnic,netdev=n0,mac=52:54:00:00:09:01" \
		-netdev tap,id=n1,ifname=tap1,script=no,downscript=no \
		-device "$_fnic,netdev=n1,mac=52:54:00:00:09:02"
	if [ -n "$_ftar" ]; then
		set -- "$@" -drive "file=$_ftar,format=raw,if=none,id=cfg,readonly=on" \
			-device "$_fblk,drive=cfg"
	fi
	# FW_QEMU_EXTRA: more QEMU words (a control socket, say); no blanks inside a word.
	# shellcheck disable=SC2086 # split into words on purpose
	[ -z "${FW_QEMU_EXTRA:-}" ] || set -- "$@" $FW_QEMU_EXTRA
	echo "fw: booting ${_fimage##*/} on $_fmachine, -m $_fmem${_ftar:+, config disk ${_ftar##*/}}: $(echo "$_fa" | cut -c1-300)"
	# Not through fw_fwns: a function in the background is a subshell,
	# and $! would be the subshell's PID, not QEMU's.
	# shellcheck disable=SC2046 # fw_pdeath is empty or three words
	ip netns exec "$FW_NS_FW" $(fw_pdeath) "$NET_QEMU" "$@" </dev/null >"$NET_QEMU_LOG.err" 2>&1 &
	NET_QEMU_PID=$!
	# shellcheck disable=SC2034 # for the caller (bench/firewall)
	FW_QEMU_T0_NS=$(date +%s%N)
	_ft0=$(net_ms)
	while :; do
		if tr -d '\r' <"$NET_QEMU_LOG" | grep -Eq -- "$FW_READY_RE"; then
			FW_BOOT_MS=$(($(net_ms) - _ft0))
			echo "fw: guest up after $(net_fmt_ms "$FW_BOOT_MS") s: $(tr -d '\r' <"$NET_QEMU_LOG" | grep -E -m1 -- "$FW_READY_RE")"
			return 0
		fi
		if ! kill -0 "$NET_QEMU_PID" 2>/dev/null; then
			_frc=0
			wait "$NET_QEMU_PID" || _frc=$?
			NET_QEMU_PID=
			echo "fw: QEMU exited with status $_frc before the guest was ready"
			net_show_console
			return 1
		fi
		if [ $(($(net_ms) - _ft0)) -ge $((_ftimeout * 1000)) ]; then
			echo "fw: no console line matching /$FW_READY_RE/ after $_ftimeout s"
			qemu_stop
			net_show_console
			return 1
		fi
		sleep 0.1
	done
}

fw_stop() { qemu_stop; }

# fw_bg NS OUTFILE CMD...: CMD in namespace NS in the background, its PID in
# FW_BG_PID.
fw_bg() {
	_fbns=$1 _fbout=$2
	shift 2
	# shellcheck disable=SC2046 # fw_pdeath is empty or three words
	ip netns exec "$_fbns" $(fw_pdeath) "$@" </dev/null >"$_fbout" 2>&1 &
	# shellcheck disable=SC2034 # for the caller
	FW_BG_PID=$!
}

# fw_wait_file FILE PATTERN SECONDS: until FILE has a line matching PATTERN.
fw_wait_file() {
	_fwn=0
	while ! grep -q -- "$2" "$1" 2>/dev/null; do
		[ "$_fwn" -lt $(($3 * 10)) ] || return 1
		sleep 0.1
		_fwn=$((_fwn + 1))
	done
}

fw_services_start() {
	# They run until fw_teardown, which ends everything in the namespaces.
	fw_bg "$FW_NS_SRV" "$FW_TMP/srv.log" "$NET_PYTHON" "$FW_TMP/fwtool.py" serve --tcp 22,80,443,8080 --udp 53
	fw_bg "$FW_NS_CLI" "$FW_TMP/cli.log" "$NET_PYTHON" "$FW_TMP/fwtool.py" serve --tcp 80
	if ! fw_wait_file "$FW_TMP/srv.log" '^listening' 10 || ! fw_wait_file "$FW_TMP/cli.log" '^listening' 10; then
		echo "fw: the servers did not start:"
		cat "$FW_TMP/srv.log" "$FW_TMP/cli.log"
		return 1
	fi
}

fw_tool_cli() { fw_cli "$NET_PYTHON" "$FW_TMP/fwtool.py" "$@"; }

tcp_connect_result() { fw_tool_cli connect "$1" "$2" ${3:+--src "$3"}; }
tcp_connect_result_from_srv() { fw_srv "$NET_PYTHON" "$FW_TMP/fwtool.py" connect "$1" "$2"; }
udp_probe() { fw_tool_cli udp "$1" "$2" ${3:+--src "$3"}; }
tcp_transfer() { fw_cli "$NET_PYTHON" "$FW_TMP/netclient.py" tcp-echo "$1" "$3" --port "$2" --timeout 120; }
ping_result() {
	if fw_cli ping -n -q -c 1 -W 2 "$1" >/dev/null 2>&1; then echo reply; else echo timeout; fi
}
# COUNT replies needed, within 30 s.
fw_ping() { fw_cli ping -n -q -c "${2:-3}" -i 0.2 -W 2 -w 30 "$1"; }
fw_ping6() { fw_cli ping -6 -n -q -c "${2:-3}" -i 0.2 -W 2 -w 30 "$1"; }

# fw_write_tool FILE: the servers and probes (python3, stdlib only).
fw_write_tool() {
	cat >"$1" <<'EOF'
"""Servers and probes for Sluice's firewall tests (tests/net/fwlib.sh)."""
import argparse
import errno
import os
import selectors
import socket
import sys
import threading
import time


def family(host):
    return socket.AF_INET6 if ":" in host else socket.AF_INET


def serve(a):
    """TCP echo on every --tcp port and UDP echo on every --udp port, on
    [::] with IPv4 included. A TCP echo closes after the peer's FIN, as the
    echo appliance does, so lib.sh's tcp-echo client works against it."""
    sel = selectors.DefaultSelector()
    for p in filter(None, a.tcp.split(",")):
        s = socket.socket(socket.AF_INET6, socket.SOCK_STREAM)
        s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        s.setsockopt(socket.IPPROTO_IPV6, socket.IPV6_V6ONLY, 0)
        s.bind(("::", int(p)))
        s.listen(64)
        sel.register(s, selectors.EVENT_READ, "tcp")
    for p in filter(None, a.udp.split(",")):
        s = socket.socket(socket.AF_INET6, socket.SOCK_DGRAM)
        s.setsockopt(socket.IPPROTO_IPV6, socket.IPV6_V6ONLY, 0)
        s.bind(("::", int(p)))
        sel.register(s, selectors.EVENT_READ, "udp")
    print("listening", flush=True)

    def echo(c):
        try:
            while True:
                d = c.recv(65536)
                if not d:
                    break
                c.sendall(d)
            c.shutdown(socket.SHUT_WR)
        except OSError:
            pass
        finally:
            c.close()

    while True:
        for key, _ in sel.select():
            s = key.fileobj
            if key.data == "tcp":
                try:
                    c, _ = s.accept()
                except OSError:
                    continue
                threading.Thread(target=echo, args=(c,), daemon=True).start()
            else:
                try:
                    d, peer = s.recvfrom(65536)
                    s.sendto(d, peer)
                except OSError:
                    pass


def connect(a):
    """One connection attempt: what came back decides the word printed."""
    s = socket.socket(family(a.host), socket.SOCK_STREAM)
    if a.src:
        s.bind((a.src, 0))
    s.settimeout(a.timeout)
    try:
        s.connect((a.host, a.port))
    except socket.timeout:
        print("timeout")
        return
    except ConnectionRefusedError:
        print("refused")
        return
    except OSError as e:
        if e.errno in (errno.EHOSTUNREACH, errno.ENETUNREACH):
            print("unreachable")
        elif e.errno == errno.ETIMEDOUT:
            print("timeout")
        else:
            print(f"error: {e}")
        return
    # The handshake passed; data must too (replies ride on ct established).
    msg = os.urandom(16)
    try:
        s.sendall(msg)
        got = b""
        while len(got) < len(msg):
            d = s.recv(len(msg) - len(got))
            if not d:
                break
            got += d
    except OSError:
        got = b""
    s.close()
    print("open" if got == msg else "stalled")


def udp(a):
    """A datagram to HOST:PORT, sent again up to --tries times: "reply" when
    the same bytes come back, else "timeout"."""
    s = socket.socket(family(a.host), socket.SOCK_DGRAM)
    if a.src:
        s.bind((a.src, 0))
    s.connect((a.host, a.port))
    s.settimeout(a.wait)
    msg = os.urandom(32)
    for _ in range(a.tries):
        try:
            s.send(msg)
            if s.recv(65536) == msg:
                print("reply")
                return
        except socket.timeout:
            continue
        except OSError as e:
            # An ICMP error came back (port unreachable...).
            print(f"error: {e}")
            return
    print("timeout")


def udpsink(a):
    """A bound UDP port, so that a flood to it draws no ICMP port
    unreachable (which would load the firewall with reverse traffic). With
    --first FILE: the wall-clock time (ns) of the first datagram goes to
    FILE; the socket is then left unread (the kernel drops the rest)."""
    s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    s.bind(("0.0.0.0", a.port))
    print("listening", flush=True)
    if a.first:
        s.recv(2048)
        t = time.time_ns()
        with open(a.first + ".tmp", "w") as f:
            f.write(f"{t}\n")
        os.rename(a.first + ".tmp", a.first)
    deadline = time.monotonic() + a.life
    while time.monotonic() < deadline:
        time.sleep(1)


def main():
    p = argparse.ArgumentParser(description=__doc__)
    sub = p.add_subparsers(dest="cmd", required=True)
    s = sub.add_parser("serve")
    s.add_argument("--tcp", default="")
    s.add_argument("--udp", default="")
    s.set_defaults(fn=serve)
    c = sub.add_parser("connect")
    c.add_argument("host")
    c.add_argument("port", type=int)
    c.add_argument("--src")
    c.add_argument("--timeout", type=float, default=4)
    c.set_defaults(fn=connect)
    u = sub.add_parser("udp")
    u.add_argument("host")
    u.add_argument("port", type=int)
    u.add_argument("--src")
    u.add_argument("--tries", type=int, default=3)
    u.add_argument("--wait", type=float, default=1)
    u.set_defaults(fn=udp)
    k = sub.add_parser("udpsink")
    k.add_argument("port", type=int)
    k.add_argument("--first")
    k.add_argument("--life", type=float, default=3600)
    k.set_defaults(fn=udpsink)
    a = p.parse_args()
    a.fn(a)


main()
EOF
}
