#!/bin/bash
# SPDX-License-Identifier: BSD-2-Clause
# Runs in dom0 (tests/xen/rig): the blkfront driver against the real
# blkback, raw image files on loop devices. /job/blkfronttest.elf
# (tests/xen/blkfronttest.c) gets xvda = ro.img read-only and xvdb = rw.img
# writable. Checks: the pattern dom0 put on ro.img reads back right, writes
# to xvda are refused (and blkback never saw one, and ro.img is unchanged),
# the pattern the guest wrote to xvdb is in rw.img (compared in dom0 with
# awk/dd/cmp) and nothing else there changed, and after `xl reboot` and
# again after a second `xl create` the guest finds what it wrote. Every
# check prints "ok ..." or "FAIL ..."; the exit status is the number of
# failures.
. /rig/lib.sh
fails=0
ok() { echo "ok $*"; }
fail() {
	echo "FAIL $*"
	fails=$((fails + 1))
}
check() { # check DESCRIPTION CMD... (not $_what: lib.sh's wait_until sets that)
	_desc=$1
	shift
	if "$@"; then ok "$_desc"; else fail "$_desc"; fi
}
count() { grep -Ec -- "$2" "$1" 2>/dev/null || true; }
at_least() { [ "$(count "$1" "$2")" -ge "$3" ]; }

# The block hotplug script's claim_lock (locking.sh) runs `stat -L /dev/stdin`
# until it succeeds. devtmpfs has no /dev/stdin or /dev/fd (udev makes
# those), so without them the script spins until libxl kills it and
# `xl create` fails with "unable to add disk devices".
[ -e /dev/fd ] || ln -s /proc/self/fd /dev/fd
[ -e /dev/stdin ] || ln -s /proc/self/fd/0 /dev/stdin
[ -e /dev/stdout ] || ln -s /proc/self/fd/1 /dev/stdout
[ -e /dev/stderr ] || ln -s /proc/self/fd/2 /dev/stderr
# Raw files are served by blkback through a loop device the script sets up.
modprobe loop || fail "modprobe loop"

# gen TAG FIRST COUNT: the pattern of blkfronttest.c for COUNT sectors from FIRST.
gen() {
	awk -v tag="$1" -v first="$2" -v n="$3" 'BEGIN {
		for (s = first; s < first + n; s++)
			for (r = 0; r < 32; r++)
				printf "%s%08d%02d\n", tag, s, r
	}'
}
# sectors FILE FIRST COUNT: those sectors of FILE on stdout.
sectors() { dd if="$1" bs=512 skip="$2" count="$3" 2>/dev/null; }

RO_SECTORS=16384 # 8 MiB
RW_SECTORS=32768 # 16 MiB
RW_START=2048
RW_COUNT=2048
dd if=/dev/zero of=ro.img bs=512 count=0 seek=$RO_SECTORS 2>/dev/null
gen SLURO 0 1024 | dd of=ro.img conv=notrunc 2>/dev/null
gen SLURO $((RO_SECTORS - 128)) 128 | dd of=ro.img bs=512 seek=$((RO_SECTORS - 128)) \
	conv=notrunc 2>/dev/null
cp ro.img ro.orig
dd if=/dev/zero of=rw.img bs=512 count=0 seek=$RW_SECTORS 2>/dev/null
gen SLURW $RW_START $RW_COUNT >rw.expect
check "test images made" test "$(stat -c %s ro.img rw.img | tr '\n' ' ')" = "8388608 16777216 "

cat >bf.cfg <<EOF
name = "bf"
type = "pvh"
kernel = "/job/blkfronttest.elf"
memory = 32
vcpus = 1
disk = ['format=raw, vdev=xvda, access=ro, target=/job/ro.img',
        'format=raw, vdev=xvdb, access=rw, target=/job/rw.img']
on_poweroff = "destroy"
on_reboot = "restart"
on_crash = "preserve"
EOF

t0=$(now_ms)
domid=$(xl_create bf.cfg) || {
	fail "xl create"
	exit 1
}
ok "xl create (domid $domid, $(($(now_ms) - t0)) ms)"
con=$(console_file bf)
check "guest finishes its checks" wait_console bf '^blkfronttest: (SUCCESS|FAILED)' 120
check "guest: SUCCESS" at_least "$con" '^blkfronttest: SUCCESS' 1
check "two blkfront disks: xvda ro, xvdb rw" test \
	"$(count "$con" '^blkfronttest: blk[0-9] blkfront xvda sectors 16384 sector-size 512 ro')$(count "$con" '^blkfronttest: blk[0-9] blkfront xvdb sectors 32768 sector-size 512 rw flush yes')" = 11
check "ro: pattern from dom0 read back" at_least "$con" '^blkfronttest: ro: pattern ok' 1
check "ro: write refused with -EROFS" at_least "$con" '^blkfronttest: ro: write refused: -30$' 1
check "rw: pattern written, flushed, read back" at_least "$con" '^blkfronttest: rw: wrote the pattern' 1

xenstore-ls -f "/local/domain/$domid/device/vbd" >out/xs-frontend.txt 2>&1
xenstore-ls -f "/local/domain/0/backend/vbd/$domid" >out/xs-backend.txt 2>&1
fe=/local/domain/$domid/device/vbd
check "frontend keys: protocol, feature-persistent, Connected" test \
	"$(xenstore-read $fe/51712/protocol $fe/51728/feature-persistent $fe/51712/state \
		$fe/51728/state | tr '\n' ' ')" = "x86_64-abi 1 4 4 "
stats() { cat "/sys/bus/xen-backend/devices/vbd-$domid-$1/statistics/$2" 2>/dev/null; }
for d in 51712 51728; do
	for s in rd_req wr_req f_req oo_req rd_sect wr_sect; do
		echo "vbd $d $s $(stats $d $s)"
	done
done | tee out/blkback-stats.txt
check "blkback: no write and no flush reached xvda" test "$(stats 51712 wr_req)/$(stats 51712 f_req)" = 0/0
check "blkback: xvdb got writes and a flush" test "$(stats 51728 wr_req)" -gt 0 -a "$(stats 51728 f_req)" -gt 0
check "blkback: xvdb got $RW_COUNT sectors written" test "$(stats 51728 wr_sect)" -eq $RW_COUNT

# What reached the files, seen from dom0 (the loop devices write through its page cache).
check "ro.img unchanged" cmp ro.img ro.orig
sectors rw.img $RW_START $RW_COUNT >rw.got
check "rw.img holds the guest's pattern (cmp with dom0's awk)" cmp rw.got rw.expect
od -A d -c rw.got | head -4 | tee out/rw-od.txt
rest=$((RW_SECTORS - RW_START - RW_COUNT))
sectors rw.img 0 $RW_START >before.got
sectors /dev/zero 0 $RW_START >before.zero
sectors rw.img $((RW_START + RW_COUNT)) $rest >after.got
sectors /dev/zero 0 $rest >after.zero
check "rw.img still zero before the region" cmp before.got before.zero
check "rw.img still zero after the region" cmp after.got after.zero
rm -f before.* after.*

# xl reboot: a new domain on the same images finds what the last one wrote.
xl reboot bf >&2 || fail "xl reboot"
check "after xl reboot: the guest finds its pattern" wait_until 120 "second boot" \
	at_least "$con" '^blkfronttest: rw: found the pattern written earlier' 1
check "after xl reboot: SUCCESS again" wait_until 30 "second SUCCESS" \
	at_least "$con" '^blkfronttest: SUCCESS' 2

# A second xl create after the domain is gone (loop devices released and set up again).
xl destroy bf >&2
check "domain gone after xl destroy" wait_domain_gone bf 20
check "loop devices released" wait_until 20 "losetup empty" test -z "$(losetup -a)"
domid=$(xl_create bf.cfg) || fail "second xl create"
con=$(console_file bf)
check "second xl create: the guest finds its pattern" wait_until 120 "third boot" \
	at_least "$con" '^blkfronttest: rw: found the pattern written earlier' 2
check "second xl create: SUCCESS" wait_until 30 "third SUCCESS" \
	at_least "$con" '^blkfronttest: SUCCESS' 3
sectors rw.img $RW_START $RW_COUNT >rw.got
check "rw.img still holds the pattern" cmp rw.got rw.expect

# Hot detach and re-attach of xvdb: the close handshake with the real
# blkback (it unmaps its persistent grants: nothing to quarantine), then the
# same blkdev reconnects and reads the pattern again.
seen=$(count "$con" '^blk1: blkfront xvdb: 32768 sectors')
t0=$(now_ms)
xl block-detach bf xvdb >&2 || fail "xl block-detach"
echo "xl block-detach took $(($(now_ms) - t0)) ms" | tee out/detach-ms.txt
check "block-detach: blkfront disconnects" wait_console bf 'blkfront: xvdb: disconnected' 10
check "block-detach: loop device of rw.img released" wait_until 20 "one loop device left" \
	test "$(losetup -a | grep -c rw.img)" -eq 0
xl block-attach bf 'format=raw, vdev=xvdb, access=rw, target=/job/rw.img' >&2 ||
	fail "xl block-attach"
check "block-attach: xvdb reconnects on the same blkdev" wait_until 30 "reconnect" \
	at_least "$con" '^blk1: blkfront xvdb: 32768 sectors' $((seen + 1))
check "block-attach: the pattern reads back" wait_until 30 "read after reconnect" \
	at_least "$con" '^blkfronttest: rw: reconnected, read 0, pattern ok' 1

check "no device marked broken" test "$(count "$con" 'disabled:')" -eq 0
check "no quarantined pages" test "$(count "$con" 'quarantined [1-9]|backend still maps')" -eq 0
check "no FAILED" test "$(count "$con" 'FAILED')" -eq 0
xl destroy bf >&2
wait_domain_gone bf 20 || fail "domain gone after the last xl destroy"
echo "$fails failure(s)"
[ "$fails" -lt 100 ] || fails=100
exit "$fails"
