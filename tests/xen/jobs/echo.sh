#!/bin/bash
# SPDX-License-Identifier: BSD-2-Clause
# Runs in dom0 (tests/xen/rig, job.conf gives xenbr0 169.254.1.1/16): the echo
# appliance with a vif on xenbr0. From dom0: ping, TCP echo of 1 MiB compared
# byte for byte, HTTP GET; then xl network-detach and network-attach and the
# same traffic again, without restarting the guest. Prints "ok"/"FAIL" lines;
# exits with the number of failures.
. /rig/lib.sh
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
IP=169.254.1.2
MAC=00:16:3e:5c:00:02

cat >echo.cfg <<CFG
name = "echo"
type = "pvh"
kernel = "/job/echo.elf"
memory = 32
vcpus = 1
vif = ['bridge=xenbr0,mac=$MAC']
cmdline = "net0.ip=$IP/16"
on_crash = "preserve"
CFG

dd if=/dev/urandom of=/tmp/payload bs=1024 count=1024 2>/dev/null

traffic() { # traffic LABEL
	check "$1: ping" ping -c 5 -W 2 $IP
	check "$1: ping with 1400-byte payloads" ping -c 5 -s 1400 -W 2 $IP
	rm -f /tmp/echoed
	# busybox nc: -w bounds the final read after stdin is sent.
	nc -w 5 $IP 7 </tmp/payload >/tmp/echoed
	check "$1: TCP echo of 1 MiB byte for byte" cmp -s /tmp/payload /tmp/echoed
	ls -l /tmp/echoed | awk '{ print "  echoed bytes:", $5 }'
	body=$(wget -q -O - "http://$IP/" 2>&1)
	check "$1: HTTP GET / body" test "$body" = "sluice echo appliance"
}

domid=$(xl_create echo.cfg) || { fail "xl create"; exit 1; }
check "echo ready" wait_console echo '^ready: echo up' 30
check "netfront vif up" wait_console echo '^net0: .* link up' 5
traffic "before detach"

xl network-detach echo 0 >&2 || fail "xl network-detach"
check "link down after detach" wait_console echo 'net0: link down' 10
wait_until 10 "vif backend gone" sh -c "! xenstore-ls /local/domain/0/backend/vif/$domid 2>/dev/null | grep -q state"
xl network-attach echo bridge=xenbr0 mac=$MAC >&2 || fail "xl network-attach"
check "link up after attach" wait_until 20 "link up again" \
	sh -c "[ \$(grep -c 'link up' $(console_file echo)) -ge 2 ]"
sleep 1
traffic "after re-attach"

xl destroy echo >&2
echo "$fails failure(s)"
exit $((fails > 100 ? 100 : fails))
