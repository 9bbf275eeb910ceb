#!/bin/bash
# SPDX-License-Identifier: BSD-2-Clause
# Runs in dom0 (tests/xen/rig): the config disk and the log sink through
# blkfront. /job holds cfgtest.elf, config.tar (read-only xvda), log.img (a
# blank writable xvdb) and expect.txt (the lines the guest must print for
# the archive's files, computed on the host). Prints "ok"/"FAIL" lines and
# exits with the number of failures; out/log.img goes back to the host,
# which reads it with sluice-logread.
. /rig/lib.sh
modprobe loop
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

run_guest() { # NAME CMDLINE: one boot with both disks; waits for its verdict
	cat >"$1.cfg" <<CFG
name = "$1"
type = "pvh"
kernel = "/job/cfgtest.elf"
memory = 32
vcpus = 1
disk = ['format=raw, vdev=xvda, access=ro, target=/job/config.tar',
        'format=raw, vdev=xvdb, access=rw, target=/job/log.img']
cmdline = "$2"
on_poweroff = "preserve"
on_crash = "preserve"
CFG
	xl_create "$1.cfg" >/dev/null || { fail "$1: xl create"; return 1; }
	wait_console "$1" '^cfgtest: (SUCCESS|FAILED)$' 60 || fail "$1: no verdict"
	wait_domain_state "$1" sc 10
	xl destroy "$1" >&2
	wait_domain_gone "$1" 10
}

run_guest cfg "test=config"
con=$(console_file cfg)
check "config: SUCCESS" grep -q '^cfgtest: SUCCESS$' "$con"
check "config disk mounted from xvda" grep -Eq '^config: blk[0-9] \(xvda\): ' "$con"
while IFS= read -r line; do
	check "config: $line" grep -Fxq -- "$line" "$con"
done <expect.txt

run_guest log1 "test=logsink tag=xen1 records=30"
check "logsink boot 1" grep -q '^cfgtest: logsink boot 1: 30 records, 0 dropped' "$(console_file log1)"
run_guest log2 "test=logsink tag=xen2 records=30"
check "logsink boot 2 continues the ring" \
	grep -q '^cfgtest: logsink boot 2: 30 records, 0 dropped.*next record #61$' "$(console_file log2)"
cp log.img out/log.img

echo "$fails failure(s)"
exit $((fails > 100 ? 100 : fails))
