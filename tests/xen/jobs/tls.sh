#!/bin/bash
# SPDX-License-Identifier: BSD-2-Clause
# Runs in dom0 (tests/xen/rig): the TLS terminator appliance on real Xen.
# /job holds (from tests/xen/tls.test, made on the host): tls.elf,
# sluice-ctl, tlsprobe (a static TLS 1.3 client: dom0 has none),
# config.tar (the config disk: tls.cfg and certs/), and two push
# directories, bad/ (a.key and d.key swapped: no entry of the listener is
# usable, so the appliance refuses the whole set) and good/ (a new a.test
# certificate, subject O=gen2).
#
# Topology (dom0 itself has no address on either bridge):
#
#   client ns  eth0 10.0.0.1/24 --xenbr0-- vif net0 10.0.0.2:443  [tls]
#   backend ns eth0 10.1.0.11/24 --xenbr1-- vif net1 10.1.0.2
#
# The backend is busybox nc -ll on 8080: every connection's bytes go to a
# file of their own. What is checked:
#   - dom0 has no libarchive, so sluice-ctl's pushes go through its
#     fallback, busybox tar (tools/ctl_archive.c);
#   - TLS 1.3 handshakes: SNI a.test gets the a.test certificate (O=gen1)
#     and ALPN h2, no SNI and an unknown name get the default one;
#   - 1 MiB through the terminator arrives at the backend intact (sha256);
#   - a 2 MiB transfer is half sent; then a push whose keys do not match
#     their certificates (bad/) is refused naming the file, by sluice-ctl
#     and (with --no-validate) by the appliance, and a.test still gets
#     gen1 (generation 0, the boot's, stays in force); a good push is
#     applied and a.test gets the new certificate (O=gen2); the
#     transfer then finishes and arrives intact;
#   - sluice-ctl stats: the good push's generation, the handshakes counted.
# Prints "ok"/"FAIL" lines; exits with the number of failures.
# shellcheck disable=SC1091 # dom0's, from tests/xen/dom0/lib.sh
. /rig/lib.sh
export LC_ALL=C
CTL=/job/sluice-ctl
PROBE=/job/tlsprobe
fails=0
ok() { echo "ok $*"; }
fail() {
	echo "FAIL $*"
	fails=$((fails + 1))
}
check() {
	_what=$1
	shift
	if "$@"; then ok "$_what"; else fail "$_what"; fi
}
# run_ctl ARGS...: sluice-ctl with stdout in /tmp/ctl.out, stderr in /tmp/ctl.err, status in $rc.
run_ctl() {
	"$CTL" "$@" >/tmp/ctl.out 2>/tmp/ctl.err
	rc=$?
	echo "  \$ sluice-ctl $* -> $rc"
	sed 's/^/  | /' /tmp/ctl.out /tmp/ctl.err
}

# mk_ns BRIDGE ADDR GW: as tests/xen/jobs/lb.sh (a namespace held by a
# sleeping process, eth0 = ADDR, default route via GW, the veth's other
# end a port of BRIDGE; busybox's ip ignores "peer name").
mk_ns() {
	local host=v$RANDOM peer='' idx pid f
	unshare -n sleep 100000 </dev/null >/dev/null 2>&1 &
	pid=$!
	ip link add "$host" type veth || return 1
	idx=$(cat "/sys/class/net/$host/iflink")
	for f in /sys/class/net/*/ifindex; do
		[ "$(cat "$f")" = "$idx" ] && peer=$(basename "$(dirname "$f")")
	done
	[ -n "$peer" ] || return 1
	ip link set "$peer" netns "$pid" &&
		nsenter -t "$pid" -n ip link set "$peer" name eth0 &&
		nsenter -t "$pid" -n ip addr add "$2" dev eth0 &&
		nsenter -t "$pid" -n ip link set eth0 up &&
		nsenter -t "$pid" -n ip link set lo up &&
		nsenter -t "$pid" -n ip route add default via "$3" &&
		ip link set "$host" master "$1" &&
		ip link set "$host" up || return 1
	echo "$pid"
}
in_cli() { nsenter -t "$CLI" -n "$@"; }

# probe NAME ARGS...: tlsprobe from the client namespace; its line in
# /tmp/probe.NAME, its status in $prc.
probe() {
	local n=$1
	shift
	in_cli "$PROBE" -t 120 "$@" 10.0.0.2 443 >"/tmp/probe.$n" 2>&1 </dev/null
	prc=$?
	echo "  probe $n ($*) -> $prc: $(cat "/tmp/probe.$n")"
}
# subject NAME: the subject tlsprobe printed in /tmp/probe.NAME.
subject() { sed -n 's/.* subject=//p' "/tmp/probe.$1"; }
# shellcheck disable=SC2317 # called through check
tls13() { grep -q '^version=TLSv1\.3 cipher=TLS1-3-' "/tmp/probe.$1"; }
# received SHA: a backend file with this sha256 exists.
# shellcheck disable=SC2317 # called through wait_until
received() { sha256sum /tmp/recv/c.* 2>/dev/null | grep -q "^$1 "; }

if ! /lib64/ld-linux-x86-64.so.2 --list "$CTL" >out/ldd.txt 2>&1 || grep -q 'not found' out/ldd.txt; then
	echo "FAIL sluice-ctl's shared libraries are not all in dom0 (tests/xen/rig packs them):"
	grep -E 'not found|error' out/ldd.txt | sed 's/^/  /'
	exit 1
fi
ok "sluice-ctl's shared libraries are all in dom0"
check "tlsprobe runs in dom0 (static)" sh -c "$PROBE 2>&1 | grep -q '^usage: tlsprobe'"
check "dom0 has no libarchive: pushes use sluice-ctl's tar fallback" \
	sh -c "! ls /usr/lib/x86_64-linux-gnu/libarchive.so* /lib/x86_64-linux-gnu/libarchive.so* 2>/dev/null | grep -q ."
modprobe veth
modprobe loop
if ! { ip link add xenbr1 type bridge && ip link set xenbr1 up; }; then
	echo "FAIL create xenbr1"
	exit 1
fi
CLI=$(mk_ns xenbr0 10.0.0.1/24 10.0.0.2) || {
	echo "FAIL client namespace"
	exit 1
}
BE=$(mk_ns xenbr1 10.1.0.11/24 10.1.0.2) || {
	echo "FAIL backend namespace"
	exit 1
}
mkdir -p /tmp/recv
printf '#!/bin/sh\nexec cat >/tmp/recv/c.$$\n' >/tmp/sink.sh
chmod +x /tmp/sink.sh
nsenter -t "$BE" -n nc -ll -p 8080 -e /tmp/sink.sh &
ok "client namespace on xenbr0, backend 10.1.0.11:8080 on xenbr1"

cat >tls.cfg <<'CFG'
name = "tls"
type = "pvh"
kernel = "/job/tls.elf"
memory = 32
vcpus = 1
vif = ['bridge=xenbr0,mac=00:16:3e:71:50:00', 'bridge=xenbr1,mac=00:16:3e:71:50:01']
disk = ['format=raw, vdev=xvda, access=ro, target=/job/config.tar']
cmdline = "config-file=tls.cfg net0.ip=10.0.0.2/24 net1.ip=10.1.0.2/24 stats-interval-ms=1000"
on_crash = "preserve"
CFG
t0=$(now_ms)
d=$(xl_create tls.cfg) || {
	echo "FAIL xl create tls"
	exit 1
}
base=/local/domain/$d/data/sluice
check "tls ready" wait_xs "$base/status" ready 60 || exit 1
echo "  tls: xl create to ready in $(($(now_ms) - t0)) ms"
check "tls: appliance key" test "$(xenstore-read "$base/appliance")" = tls
check "tls: listening on 10.0.0.2:443" wait_console tls 'tls: listening on 10\.0\.0\.2:443' 5

# ------------------------------------------------------- handshakes, SNI
# The first connection also waits for ARP on both sides.
wait_until 60 "a first handshake" sh -c \
	"nsenter -t $CLI -n $PROBE -t 30 -n a.test 10.0.0.2 443 </dev/null | grep -q '^version=TLSv1.3 '"
probe sni -n a.test -a h2,http/1.1
check "SNI a.test: TLS 1.3" tls13 sni
check "SNI a.test: the a.test certificate (gen1)" test "$(subject sni)" = "CN=a.test, O=gen1"
check "SNI a.test: ALPN h2" grep -q ' alpn=h2 ' /tmp/probe.sni
probe nosni
check "no SNI: TLS 1.3" tls13 nosni
check "no SNI: the default certificate" test "$(subject nosni)" = "CN=default.test"
probe other -n other.test
check "unknown name: the default certificate" test "$(subject other)" = "CN=default.test"

# ------------------------------------------------------------- transfer
dd if=/dev/urandom of=/tmp/up1 bs=65536 count=16 2>/dev/null
h1=$(sha256sum </tmp/up1 | cut -d' ' -f1)
t1=$(now_ms)
probe up1 -n a.test -s /tmp/up1
check "1 MiB sent: exit 0" test "$prc" = 0
check "1 MiB at the backend, intact" wait_until 60 "the 1 MiB file" received "$h1"
echo "  1 MiB in $(($(now_ms) - t1)) ms"

# ------------------------------------------------- reload during a transfer
dd if=/dev/urandom of=/tmp/up2 bs=65536 count=32 2>/dev/null
h2=$(sha256sum </tmp/up2 | cut -d' ' -f1)
rm -f /tmp/pushed
in_cli "$PROBE" -t 500 -n a.test -d 20 -W /tmp/pushed -s /tmp/up2 10.0.0.2 443 \
	>/tmp/probe.up2 2>&1 </dev/null &
xfer=$!
# Half of it (1 MiB) at the backend before the pushes: in one file, the
# transfer's, the only one still growing.
half=$((32 * 65536 / 2))
wait_until 120 "the transfer's first half" sh -c \
	"for f in /tmp/recv/c.*; do [ \$(wc -c <\$f) -ge $half ] && ! sha256sum \$f | grep -q '^$h1 ' && exit 0; done; exit 1" ||
	fail "the transfer's first half arrived"
got=$(cat /tmp/recv/c.* | wc -c)

run_ctl push -t 60 tls /job/bad/tls.cfg
check "bad push: refused by sluice-ctl (exit 1)" test "$rc" = 1
check "bad push: sluice-ctl names certs/a.key" grep -q 'certs/a\.key' /tmp/ctl.err
run_ctl push -t 60 --no-validate tls /job/bad/tls.cfg
check "unchecked bad push: refused by the appliance (exit 1)" test "$rc" = 1
check "unchecked bad push: the appliance names certs/a.key" grep -q 'certs/a\.key' /tmp/ctl.err
check "unchecked bad push: generation 0 (the boot's) stays in force" \
	grep -q 'generation 0 stays in force' /tmp/ctl.err
probe afterbad -n a.test
check "after the refused pushes a.test still gets gen1" \
	test "$(subject afterbad)" = "CN=a.test, O=gen1"

tp=$(now_ms)
run_ctl push -t 60 tls /job/good/tls.cfg
echo "  good push took $(($(now_ms) - tp)) ms"
check "good push: exit 0" test "$rc" = 0
gen=$(sed -n 's/^applied generation \([0-9]*\):.*/\1/p' /tmp/ctl.out)
check "good push: applied (generation ${gen:-none})" test -n "$gen"
probe aftergood -n a.test
check "after the good push a.test gets the new certificate (gen2)" \
	test "$(subject aftergood)" = "CN=a.test, O=gen2"
probe aftergood0
check "after the good push the default certificate is still served" \
	test "$(subject aftergood0)" = "CN=default.test"
check "the transfer's second half came after the pushes (at $got bytes then)" \
	test "$(cat /tmp/recv/c.* | wc -c)" -lt $((1048576 + 32 * 65536))
touch /tmp/pushed
wait "$xfer"
xrc=$?
echo "  transfer across the pushes -> $xrc: $(cat /tmp/probe.up2)"
check "the transfer across the pushes: exit 0, gen1 (it began before)" \
	sh -c "[ $xrc = 0 ] && grep -q 'subject=CN=a.test, O=gen1' /tmp/probe.up2"
check "the transfer across the pushes arrived intact (2 MiB, sha256)" \
	wait_until 60 "the 2 MiB file" received "$h2"

# Published every second (stats-interval-ms=1000): wait for the last ones.
wait_until 10 "stats with every handshake" sh -c \
	"$CTL stats tls | grep -Eq ' handshakes_full=(9|[1-9][0-9]+) '"
run_ctl stats tls
check "stats: generation $gen, 9 or more full handshakes" \
	sh -c "[ $rc = 0 ] && grep -qx generation=$gen /tmp/ctl.out && grep -Eq ' handshakes_full=(9|[1-9][0-9]+) ' /tmp/ctl.out"

xl destroy tls
wait_domain_gone tls 10
echo "$fails failure(s)"
exit $((fails > 100 ? 100 : fails))
