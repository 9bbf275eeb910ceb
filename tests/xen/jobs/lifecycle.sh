#!/bin/bash
# SPDX-License-Identifier: BSD-2-Clause
# Runs in dom0 (tests/xen/rig): the domain life cycle of the same images that
# boot on QEMU. /job holds tests/xen/hello.cfg, hello.elf and boottest.elf;
# the hello image is installed where hello.cfg expects it, as `make install`
# would. Every check prints "ok ..." or "FAIL ..."; the exit status is the
# number of failures (capped).
. /rig/lib.sh
mkdir -p /usr/local/lib/sluice
cp hello.elf /usr/local/lib/sluice/hello.elf
BOOTTEST=/job/boottest.elf
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
has() { grep -Eq -- "$2" "$1"; }
count() { grep -Ec -- "$2" "$1" 2>/dev/null || true; }

# ---- 1. xl create boots the image; console ring, xenstore name/domid, status.
con=$(console_file hello)
domid=$(xl_create tests/xen/hello.cfg) || { fail "xl create hello.cfg"; exit 1; }
ok "xl create tests/xen/hello.cfg (domid $domid)"
check "hello reaches ready" wait_console hello '^ready: hello up' 20
check "banner through the console ring" has "$con" '^Sluice [0-9.]+: hello appliance on xen$'
check "name and domid from xenstore" has "$con" "^xen: domain 'hello' \\(domid $domid\\)$"
check "data/sluice/status = ready" wait_xs "/local/domain/$domid/data/sluice/status" ready 5
check "control/feature-poweroff = 1" wait_xs "/local/domain/$domid/control/feature-poweroff" 1 1
check "control/feature-reboot = 1" wait_xs "/local/domain/$domid/control/feature-reboot" 1 1
check "no feature-suspend" test -z "$(xenstore-read "/local/domain/$domid/control/feature-suspend" 2>/dev/null)"
# An NMI from the toolstack: a state dump on the console, and the appliance carries on.
xl trigger hello nmi >&2 || fail "xl trigger hello nmi"
check "NMI: a state dump on the console" wait_console hello '^NMI 1: end of state dump$' 10
check "NMI: the kernel's counters in it" has "$con" '^state: up [0-9]+\.[0-9]{3} s, heap '
check "NMI: no fault report" sh -c "! grep -q '^FAULT' '$con'"
check "NMI: the domain still runs" test "$(xenstore-read "/local/domain/$domid/data/sluice/status")" = ready
# sysrq keys through control/sysrq: acknowledged (the key cleared) and acted on.
xl sysrq hello t >&2 || fail "xl sysrq hello t"
check "sysrq t: a state dump" wait_console hello '^sysrq: t: state dump$' 10
check "sysrq t: acknowledged (control/sysrq cleared)" \
	wait_xs "/local/domain/$domid/control/sysrq" "" 5
xl sysrq hello h >&2 || fail "xl sysrq hello h"
check "sysrq h: the keys listed" wait_console hello '^sysrq: keys: h help, t state dump' 10
xenstore-ls -f "/local/domain/$domid" >out/xenstore-hello.txt 2>&1

# ---- 2. xl reboot restarts it: a new domain of the same name boots again.
xl reboot hello >&2 || fail "xl reboot"
reborn() {
	_new=$(domid_of hello) && [ -n "$_new" ] && [ "$_new" != "$domid" ] &&
		[ "$(count "$con" '^ready: hello up')" -ge 2 ]
}
check "xl reboot: a new domain boots to ready" wait_until 20 "rebooted hello" reborn
check "reboot acknowledged" has "$con" '^xen: reboot requested by the toolstack$'
old=$domid
domid=$(domid_of hello)

# ---- 3. xl shutdown stops it cleanly within 2 s, console drained.
t0=$(now_ms)
xl shutdown hello >&2 || fail "xl shutdown"
if wait_domain_gone hello 10; then
	t1=$(now_ms)
	echo "xl shutdown -> domain gone: $((t1 - t0)) ms" | tee out/shutdown-ms.txt
	check "xl shutdown within 2 s ($((t1 - t0)) ms)" test $((t1 - t0)) -le 2000
else
	fail "xl shutdown: domain still there after 10 s"
fi
check "poweroff acknowledged" has "$con" '^xen: poweroff requested by the toolstack$'
last_is() { tail -n 1 "$1" | grep -Eq -- "$2"; }
check "console drained to the last line" last_is "$con" '^sluice: stopping with status 0$'

# ---- 4. xl destroy leaves no backend or domain state behind.
domid=$(xl_create tests/xen/hello.cfg name='"hello2"') || fail "xl create hello2"
wait_console hello2 '^ready: hello up' 20 || fail "hello2 ready"
xl destroy hello2 >&2 || fail "xl destroy"
check "xl destroy: domain gone" wait_domain_gone hello2 10
for gone in $old $domid; do
	check "no /local/domain/$gone left" \
		test -z "$(xenstore-ls "/local/domain/$gone" 2>/dev/null)"
	check "no backend entries for domain $gone" \
		test -z "$(xenstore-ls -f /local/domain/0/backend 2>/dev/null | grep -E "/$gone/")"
done

# ---- 4b. xl pause / unpause: the periodic tick resumes at its next slot and
# says how many it skipped; the missed ticks are not fired in a burst. Order
# and completeness only: the lines after the pause are one tick (two if a
# tick from before the pause reached the file late), then the skip report;
# a burst would be some thirty.
xl_create tests/xen/hello.cfg name='"paused"' cmdline='"ticks=100000 interval-ms=100"' >/dev/null ||
	fail "xl create paused"
pcon=$(console_file paused)
if wait_console paused '^hello: tick 3 at' 30; then
	xl pause paused >&2 || fail "xl pause"
	sleep 0.5 # the console ring drains into the file
	before=$(wc -l <"$pcon")
	sleep 3
	xl unpause paused >&2 || fail "xl unpause"
	skipped_after() { tail -n +"$((before + 1))" "$pcon" | grep -Eq '^hello: [0-9]+ ticks? skipped'; }
	if wait_until 20 "the skip report" skipped_after; then
		tail -n +"$((before + 1))" "$pcon" | sed -n '1,/ticks\{0,1\} skipped/p' >out/pause-lines.txt
		check "unpause: one tick, then the skip report (no burst)" \
			test "$(grep -c '^hello: tick' out/pause-lines.txt)" -le 2
		n=$(sed -n 's/^hello: \([0-9]*\) ticks\{0,1\} skipped.*/\1/p' out/pause-lines.txt | head -n 1)
		check "unpause: at least 10 ticks of a 3 s pause skipped (${n:-none})" test "${n:-0}" -ge 10
	else
		fail "unpause: no skip report"
	fi
else
	fail "paused: hello ticks"
fi
xl destroy paused >&2

# ---- 5. A crash ends with on_crash and the fault report on the console.
xl_create tests/xen/hello.cfg name='"crash"' kernel="\"$BOOTTEST\"" \
	cmdline='"test=nullderef"' on_crash='"preserve"' >/dev/null || fail "xl create crash"
check "crashed domain preserved (on_crash)" wait_domain_state crash c 20
ccon=$(console_file crash)
check "fault report on the console" has "$ccon" '^FAULT: page fault \(#PF\), vector 14'
check "fault cause" has "$ccon" '^cause: NULL pointer dereference$'
check "symbolized backtrace" has "$ccon" '<t_nullderef\+0x[0-9a-f]+>'
check "crash status" has "$ccon" '^sluice: stopping with status 3$'
xl destroy crash >&2

# ---- 6. Timers: 10 ms, 100 ms, 1 s never early and late by at most 5% plus
# 20 ms (a one-CPU nested rig on a loaded host wakes a guest late, never
# early), and dom0's clock against the guest's over one and the same span.
# The guest publishes data/sluice/timers-start and -end around its sleeps
# and prints its pvclock span between the two writes ("timers: span");
# dom0 timestamps each write from its own xenstore watch (one watcher per
# key, no process forked per event: forks take ~100 ms under TCG). The
# domain is created paused so that the watches are in place first.
xl create -p tests/xen/hello.cfg name='"timers"' kernel="\"$BOOTTEST\"" \
	cmdline='"test=timers tolerance-pct=5 late-ms=20"' on_poweroff='"preserve"' >&2 ||
	fail "xl create timers"
tdom=$(domid_of timers)
stamp_second() { # the watch fires once at registration, then on the write
	read -r _ && read -r _ && echo "${EPOCHREALTIME/./}"
}
for k in start end; do
	xenstore-watch -n 2 "/local/domain/$tdom/data/sluice/timers-$k" |
		stamp_second >"out/timers-$k.us" &
done
sleep 0.5
xl unpause timers
check "timers test finishes in the guest" wait_console timers '^timers: (SUCCESS|FAILED)$' 30
check "timers: SUCCESS" has "$(console_file timers)" '^timers: SUCCESS$'
wait_until 5 "dom0 saw timers-end" test -s out/timers-end.us
ts=$(cat out/timers-start.us 2>/dev/null)
te=$(cat out/timers-end.us 2>/dev/null)
tcon=$(console_file timers)
span_us=$(sed -n 's/^timers: span \([0-9]*\) us$/\1/p' "$tcon")
if [ -n "$ts" ] && [ -n "$te" ] && [ -n "$span_us" ]; then
	dom0_us=$((te - ts))
	echo "timers: guest pvclock $span_us us, dom0 clock $dom0_us us" | tee out/timers.txt
	# Both clocks measured one interval, the guest's between its two
	# writes, dom0's between its watchers seeing them: they differ by the
	# writes' and the watchers' latencies, a few ms each on an idle rig,
	# more on a loaded one-CPU rig. A wrong clock rate shows as a
	# proportional error: 5% of the span, plus 100 ms for the latencies.
	diff=$((dom0_us > span_us ? dom0_us - span_us : span_us - dom0_us))
	check "dom0 clock agrees within 5% + 100 ms ($diff us of $span_us)" \
		test $((diff * 100)) -le $((span_us * 5 + 10000000))
else
	fail "timers: missing timestamps (start ${ts:-?} end ${te:-?} span ${span_us:-?})"
fi
pkill xenstore-watch 2>/dev/null
grep '^timers:' "$tcon" >>out/timers.txt
xl destroy timers >&2

echo "$fails failure(s)"
exit $((fails > 100 ? 100 : fails))
