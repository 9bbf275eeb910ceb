# shellcheck shell=sh
# SPDX-License-Identifier: BSD-2-Clause
# Helpers for boot tests: boot an image under QEMU TCG, then assert on the
# console and the exit status. Sourced by tests/boot/*.test.
#
#   boot MACHINE IMAGE ARGS [run-qemu options...]  -> sets LOG and STATUS
#   expect_status N
#   expect_line REGEX      (extended regex, matched per console line)
#   expect_no_line REGEX
#   finish                 (exit 0 if every expectation held, 1 otherwise)

srcdir=${srcdir:-.}
top_builddir=${top_builddir:-.}
RUN_QEMU="$srcdir/scripts/run-qemu"
failures=0
nboot=0
TMPDIR_BOOT=$(mktemp -d "${TMPDIR:-/tmp}/sluice-boot.XXXXXX")
trap 'rm -rf "$TMPDIR_BOOT"' EXIT

boot() {
	machine=$1 image=$2 args=$3
	shift 3
	nboot=$((nboot + 1))
	LOG="$TMPDIR_BOOT/console.$nboot"
	WHAT="[$machine: $args]"
	STATUS=0
	"$RUN_QEMU" --machine "$machine" --image "$image" --append "$args" --log "$LOG" \
		--timeout 120 "$@" 2>"$LOG.err" || STATUS=$?
	tr -d '\r' <"$LOG" >"$LOG.txt"
	cat "$LOG.err" >>"$LOG.txt"
	echo "--- $WHAT exit $STATUS"
	sed 's/^/    /' "$LOG.txt"
}

fail() {
	echo "FAIL $WHAT: $*"
	failures=$((failures + 1))
}

expect_status() {
	[ "$STATUS" -eq "$1" ] || fail "status $STATUS, expected $1"
}

expect_line() {
	grep -Eq -- "$1" "$LOG.txt" || fail "no console line matching /$1/"
}

expect_no_line() {
	if grep -Eq -- "$1" "$LOG.txt"; then fail "unexpected console line matching /$1/"; fi
}

finish() {
	if [ "$failures" -ne 0 ]; then
		echo "$failures expectation(s) failed"
		exit 1
	fi
	echo "all expectations held ($nboot boots)"
	exit 0
}
