# SPDX-License-Identifier: BSD-2-Clause
# shellcheck shell=dash
#
# /rig/lib.sh: helpers for Xen rig jobs (tests/xen/rig). A job sources it:
#
#   . /rig/lib.sh
#
# It works under both shells in dom0: busybox ash (/bin/sh) and bash.
# Results go to $RIG_OUT (/job/out), which the rig ships back to the host.
# TIMEOUT arguments are seconds and may have decimals ("0.5"). The wait_*
# helpers return 0 when the condition holds, 1 on timeout (after logging
# why), so a job can write `wait_console g 'ready' 10 || exit 1`.
#
#   now_ms                         wall-clock time, ms since the epoch
#   uptime_ms                      dom0 uptime in ms (/proc/uptime; 10 ms steps)
#   rig_log MSG...                 timestamped line on stderr (→ job.log)
#   xl_create CFG [KEY=VALUE...]   xl create; prints the new domid
#   domid_of NAME                  prints NAME's domid, fails if none
#   domain_state NAME              prints xl list's state column (r-----)
#   console_file NAME              prints the xenconsoled log of NAME
#   wait_console NAME REGEX TIMEOUT  ERE matched in NAME's console log
#   wait_dmesg REGEX TIMEOUT       ERE matched in `xl dmesg` (e.g. '^\(d1\)')
#   wait_domain_state NAME LETTERS TIMEOUT
#                                  state shows any of LETTERS (e.g. "sc"
#                                  for shutdown or crashed)
#   wait_domain_gone NAME TIMEOUT  no domain NAME any more
#   wait_xs PATH VALUE TIMEOUT     xenstore-read PATH prints VALUE
#   dump_xenstore FILE [PATH]      xenstore-ls -f PATH (default /) to FILE
#   wait_until TIMEOUT WHAT CMD... run CMD until it succeeds (WHAT is for
#                                  the timeout message)

RIG_OUT=${RIG_OUT:-/job/out}
RIG_CONSOLE_DIR=/var/log/xen/console
# How often the wait_* helpers look. Every look forks a process or two,
# which costs a few ms in dom0 under TCG.
RIG_POLL=${RIG_POLL:-0.02}

# _rig_ms SECONDS: "1.5" -> 1500 (decimals beyond ms are dropped).
_rig_ms() {
	case $1 in
	*.*)
		_i=${1%%.*}
		_f=${1#*.}000
		_f=${_f%"${_f#???}"}
		;;
	*)
		_i=$1
		_f=000
		;;
	esac
	# Strip leading zeros: shell arithmetic reads 010 as octal.
	_f=${_f#0}
	_f=${_f#0}
	echo $((${_i:-0} * 1000 + _f))
}

uptime_ms() {
	read -r _u _ </proc/uptime
	_rig_ms "$_u"
}

# bash has the time as a variable; ash must ask bash (busybox date has no %N).
now_ms() {
	if [ -n "${EPOCHREALTIME:-}" ]; then
		_rig_ms "$EPOCHREALTIME"
	else
		_rig_ms "$(bash -c 'echo "$EPOCHREALTIME"')"
	fi
}

rig_log() {
	echo "[$(uptime_ms) ms] $*" >&2
}

# wait_until TIMEOUT WHAT COMMAND...: run COMMAND until it succeeds or
# TIMEOUT has passed (measured on dom0's uptime clock).
wait_until() {
	_end=$(($(uptime_ms) + $(_rig_ms "$1")))
	_wu_what=$2
	shift 2
	while :; do
		if "$@"; then
			return 0
		fi
		if [ "$(uptime_ms)" -ge "$_end" ]; then
			rig_log "timed out: $_wu_what"
			return 1
		fi
		sleep "$RIG_POLL"
	done
}

# _rig_cfg_name CFG [KEY=VALUE...]: the domain name, from a name=... override
# on the command line or else from the config file.
_rig_cfg_name() {
	_n=
	_cfg=$1
	shift
	for _kv in "$@"; do
		case $_kv in
		name=*) _n=${_kv#name=} ;;
		esac
	done
	if [ -z "$_n" ]; then
		_n=$(sed -n 's/^[[:space:]]*name[[:space:]]*=[[:space:]]*//p' "$_cfg" | tail -n 1)
	fi
	# Drop quotes and a trailing comment.
	_n=${_n%%#*}
	echo "$_n" | tr -d "\"' \t"
}

xl_create() {
	_name=$(_rig_cfg_name "$@")
	if [ -z "$_name" ]; then
		rig_log "xl_create: no name= in $1"
		return 1
	fi
	xl create "$@" >&2 || return
	domid_of "$_name"
}

domid_of() {
	xl domid "$1" 2>/dev/null
}

domain_state() {
	xl list "$1" 2>/dev/null | awk 'NR == 2 { print $5 }'
}

console_file() {
	echo "$RIG_CONSOLE_DIR/guest-$1.log"
}

_rig_console_has() {
	[ -f "$1" ] && grep -Eq -- "$2" "$1"
}

wait_console() {
	wait_until "$3" "console of $1 matching /$2/" \
		_rig_console_has "$(console_file "$1")" "$2"
}

_rig_dmesg_has() {
	xl dmesg 2>/dev/null | grep -Eq -- "$1"
}

wait_dmesg() {
	wait_until "$2" "xl dmesg matching /$1/" _rig_dmesg_has "$1"
}

_rig_state_has() {
	_s=$(domain_state "$1")
	[ -n "$_s" ] && [ "$(echo "$_s" | tr -d -c "$2")" != "" ]
}

wait_domain_state() {
	wait_until "$3" "domain $1 in a state of [$2]" _rig_state_has "$1" "$2"
}

_rig_gone() {
	! xl domid "$1" >/dev/null 2>&1
}

wait_domain_gone() {
	wait_until "$2" "domain $1 gone" _rig_gone "$1"
}

_rig_xs_is() {
	[ "$(xenstore-read "$1" 2>/dev/null)" = "$2" ]
}

wait_xs() {
	wait_until "$3" "xenstore $1 = \"$2\"" _rig_xs_is "$1" "$2"
}

dump_xenstore() {
	xenstore-ls -f "${2:-/}" >"$1" 2>&1
}
