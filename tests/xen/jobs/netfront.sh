#!/bin/bash
# SPDX-License-Identifier: BSD-2-Clause
# Runs in dom0 (tests/xen/rig; job.conf gives xenbr0 169.254.1.1/16): the
# netfront driver against the real netback. /job/netfronttest.elf answers
# ARP and ping for $IP on its vifs (tests/xen/netfronttest.c), sending its
# replies in 512-byte fragments (multi-slot TX). Checks: the vif comes up,
# ping -s 1400 gets every answer, jumbo pings (MTU 9000: multi-slot RX and
# TX) too, and after xl network-detach + network-attach the same netdev
# comes back and answers again, without restarting the guest; then a second
# vif (new devid: a new netdev). Every check prints "ok ..." or "FAIL ...";
# the exit status is the number of failures.
. /rig/lib.sh
MAC=00:16:3e:00:00:01
MAC2=00:16:3e:00:00:02
IP=169.254.1.2
fails=0
ok() { echo "ok $*"; }
fail() {
	echo "FAIL $*"
	fails=$((fails + 1))
}
check() { # check DESCRIPTION CMD...
	_what=$1
	shift
	if "$@"; then ok "$_what"; else fail "$_what"; fi
}
count() { grep -Ec -- "$2" "$1" 2>/dev/null || true; }
at_least() { [ "$(count "$1" "$2")" -ge "$3" ]; }

# ping_run NAME ARGS...: 20 pings; passes on 0% loss; keeps the output and the RTT line.
ping_run() {
	_name=$1
	shift
	ping "$@" "$IP" >"out/ping-$_name.txt" 2>&1
	sed 's/^/    /' "out/ping-$_name.txt"
	grep -q ' 0% packet loss' "out/ping-$_name.txt"
}

cat >nf.cfg <<EOF
name = "nf"
type = "pvh"
kernel = "/job/netfronttest.elf"
memory = 32
vcpus = 1
vif = ['bridge=xenbr0,mac=$MAC']
cmdline = "addr=$IP frag=512"
on_poweroff = "destroy"
on_crash = "preserve"
EOF

domid=$(xl_create nf.cfg) || {
	fail "xl create"
	exit 1
}
con=$(console_file nf)
ok "xl create (domid $domid)"
check "net0 comes up" wait_console nf "^netfronttest: net0 netfront mac $MAC link up" 30
xenstore-ls -f "/local/domain/$domid/device/vif" >out/xs-frontend-1.txt 2>&1
xenstore-ls -f "/local/domain/0/backend/vif/$domid" >out/xs-backend-1.txt 2>&1
fe=/local/domain/$domid/device/vif/0
check "frontend keys: request-rx-copy feature-sg feature-rx-notify no-csum" test \
	"$(xenstore-read $fe/request-rx-copy $fe/feature-sg $fe/feature-rx-notify \
		$fe/feature-no-csum-offload | tr -d '\n')" = 1111
check "no multi-queue or split-channel keys" test -z \
	"$(xenstore-ls $fe 2>/dev/null | grep -E 'multi-queue-num-queues|event-channel-(tx|rx)')"

check "ping -c 20 -s 1400 (first attach)" ping_run 1 -c 20 -s 1400

# Jumbo frames: the bridge and the vif at MTU 9000, netback slices RX into several slots.
vif=vif$domid.0
if ip link set dev "$vif" mtu 9000 && ip link set dev xenbr0 mtu 9000; then
	check "ping -s 8000 (multi-slot RX and TX)" ping_run jumbo -c 5 -s 8000
	ip link set dev xenbr0 mtu 1500 2>/dev/null
else
	fail "cannot set MTU 9000 on $vif"
fi

# Detach: the driver closes (link down), the toolstack removes the nodes.
xl network-list nf >out/network-list-1.txt 2>&1
t0=$(now_ms)
xl network-detach nf 0 >&2 || fail "xl network-detach"
t1=$(now_ms)
echo "xl network-detach took $((t1 - t0)) ms" | tee out/detach-ms.txt
check "detach finishes within 5 s" test $((t1 - t0)) -le 5000
check "net0 goes down" wait_console nf "^netfronttest: net0 netfront mac $MAC link down" 10
gone() { [ -z "$(xenstore-ls "/local/domain/0/backend/vif/$domid" 2>/dev/null)" ]; }
check "backend nodes removed" wait_until 10 "backend removal" gone

# Attach again: same devid, same netdev, answers again.
xl network-attach nf bridge=xenbr0 mac=$MAC >&2 || fail "xl network-attach"
check "net0 comes back up" wait_until 30 "second link up" \
	at_least "$con" "^netfronttest: net0 netfront mac $MAC link up" 2
xenstore-ls -f "/local/domain/$domid/device/vif" >out/xs-frontend-2.txt 2>&1
check "ping -c 20 -s 1400 (after detach + attach)" ping_run 2 -c 20 -s 1400

# A second vif is a new devid: a new netdev, answering too.
xl network-attach nf bridge=xenbr0 mac=$MAC2 >&2 || fail "xl network-attach (second vif)"
check "net1 comes up" wait_console nf "^netfronttest: net1 netfront mac $MAC2 link up" 30
xl network-list nf >out/network-list-2.txt 2>&1

check "no device marked broken" test "$(count "$con" 'disabled:')" -eq 0
check "no event storm" test "$(count "$con" 'event storm')" -eq 0
check "no quarantined pages" test "$(count "$con" 'quarantined')" -eq 0
check "guest still running" test -n "$(domid_of nf)"
grep -E ' min/avg/max ' out/ping-*.txt | tee out/rtt.txt

xl destroy nf >&2
wait_domain_gone nf 10 || fail "domain gone after xl destroy"
echo "$fails failure(s)"
[ "$fails" -lt 100 ] || fails=100
exit "$fails"
