#!/bin/bash
# SPDX-License-Identifier: BSD-2-Clause
# Runs in dom0 (tests/xen/rig): the load balancer appliance on real Xen.
# /job holds lb.elf and sluice-ctl (built on the host).
#
# Topology (dom0 itself has no address on either bridge):
#
#   client ns  eth0 10.0.0.1/24 --xenbr0-- vif net0 10.0.0.2   [lb]
#   backend ns b11 eth0 10.1.0.11/24 -+
#   backend ns b12 eth0 10.1.0.12/24 -+--xenbr1-- vif net1 10.1.0.2
#   backend ns b13 eth0 10.1.0.13/24 -+     (default route via 10.1.0.2)
#
# Each backend runs busybox httpd on 80 (/id names the backend, /healthz
# for the checks) and a sink on 5001 (busybox nc -ll; every connection's
# bytes go to a file of their own). Services, method nat, Maglev:
# 10.0.0.2:80 with an HTTP check (interval 1s, timeout 1s, rise 2, fall 2)
# and 10.0.0.2:5001 without checks. What is checked:
#   - 36 GETs reach every backend (each at least 2: a fair split gives
#     fewer with p < 1e-5), with the client's own address seen (NAT);
#   - b12's httpd stopped: the console says it is down within
#     fall x interval + timeout + 6 s (2 + 1 + 6 = 9 s; the 6 s cover the
#     console relay and a loaded, nested, emulated host), 12 GETs avoid it;
#     restarted: up within rise x interval + timeout + 8 s (11 s), and
#     30 GETs reach it again (all missing it has p = 5e-6);
#   - 6 paced transfers of 512 KiB each on :5001; once they run, a
#     `sluice-ctl push` drains the backend that holds most of them and
#     doubles another's weight; every transfer arrives whole on exactly one
#     backend with its sha256 (a flow moved by the push would split or be
#     reset), and GETs after the push avoid the drained backend;
#   - sluice-ctl stats shows the drained backend as drain.
# Prints "ok"/"FAIL" lines; exits with the number of failures.
# shellcheck disable=SC1091 # dom0's, from tests/xen/dom0/lib.sh
. /rig/lib.sh
export LC_ALL=C
CTL=/job/sluice-ctl
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

# mk_ns BRIDGE ADDR GW: a network namespace (held by a sleeping process,
# whose pid is printed) with eth0 = ADDR and a default route via GW, a
# veth whose other end is a port of BRIDGE. Busybox's ip has no netns
# command and ignores "peer name": the peer is found through iflink.
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
in_be() {
	local b=$1
	shift
	nsenter -t "${NS[$b]}" -n "$@"
}

# start_httpd B: busybox httpd in backend B's namespace (foreground, so its
# pid is the one to stop: nsenter without -p execs it, no fork).
start_httpd() {
	# nsenter itself, not the in_be function: a function in the background
	# is a subshell, and $! would be the subshell's pid.
	nsenter -t "${NS[$1]}" -n httpd -f -p 80 -h "/tmp/www$1" &
	HTTPD[$1]=$!
}

# gets N OUT [PATH]: N GETs through the VIP, in one nsenter; OUT gets one
# line per answer, failures as "error". PATH: /id (default, a file naming
# the backend) or /cgi-bin/id (also the client address the backend saw:
# a fork on the backend per request, so only where that is checked).
# Busybox 1.35's wget crashes with -T: timeout(1) bounds it.
gets() {
	: >"$2"
	in_cli sh -c "for i in \$(seq 1 $1); do timeout 10 wget -q -O - http://10.0.0.2${3:-/id} 2>/dev/null || echo error; done" >>"$2"
}
count() { grep -c "^$1 " "$2"; }
# nfiles GLOB...: how many of the expanded names exist (0 for an unmatched glob).
nfiles() {
	local n=0 f
	for f in "$@"; do [ -e "$f" ] && n=$((n + 1)); done
	echo "$n"
}

# sluice-ctl is the host's build: dom0 must have every library it links.
if ! /lib64/ld-linux-x86-64.so.2 --list "$CTL" >out/ldd.txt 2>&1 || grep -q 'not found' out/ldd.txt; then
	echo "FAIL sluice-ctl's shared libraries are not all in dom0 (tests/xen/rig packs them):"
	grep -E 'not found|error' out/ldd.txt | sed 's/^/  /'
	exit 1
fi
ok "sluice-ctl's shared libraries are all in dom0"
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
declare -A NS HTTPD
for b in 11 12 13; do
	NS[$b]=$(mk_ns xenbr1 10.1.0.$b/24 10.1.0.2) || {
		echo "FAIL backend namespace $b"
		exit 1
	}
	mkdir -p "/tmp/www$b" "/tmp/recv$b"
	# /cgi-bin/id names the backend and the client address it sees
	# (httpd's CGI environment, IPv4-mapped: [::ffff:10.0.0.1]): NAT keeps the
# client's.
	mkdir -p "/tmp/www$b/cgi-bin"
	# shellcheck disable=SC2016 # $REMOTE_ADDR is the CGI script's
	printf '#!/bin/sh\nprintf "Content-Type: text/plain\\r\\n\\r\\nb%s %%s\\n" "$REMOTE_ADDR"\n' \
		"$b" >"/tmp/www$b/cgi-bin/id"
	chmod +x "/tmp/www$b/cgi-bin/id"
	echo ok >"/tmp/www$b/healthz"
	echo "b$b -" >"/tmp/www$b/id"
	# Every connection's bytes into a file of their own: a flow that moved
	# mid-transfer would leave two partial files, or none complete.
	printf '#!/bin/sh\nexec cat >/tmp/recv%s/c.$$\n' "$b" >"/tmp/sink$b.sh"
	chmod +x "/tmp/sink$b.sh"
	start_httpd "$b"
	in_be "$b" nc -ll -p 5001 -e "/tmp/sink$b.sh" &
done
ok "client namespace on xenbr0, backends 10.1.0.11-13 on xenbr1"
check "no path from the client to the backends without the load balancer" \
	sh -c "! nsenter -t $CLI -n ping -c 1 -W 1 10.1.0.11 >/dev/null"

mkdir -p /tmp/lbcfg
cat >/tmp/lbcfg/lb.conf <<'EOF'
service 10.0.0.2:80 tcp method nat
  backend 10.1.0.11:80
  backend 10.1.0.12:80
  backend 10.1.0.13:80
  check http /healthz expect 200 interval 1s timeout 1s rise 2 fall 2
service 10.0.0.2:5001 tcp method nat
  backend 10.1.0.11:5001
  backend 10.1.0.12:5001
  backend 10.1.0.13:5001
EOF
tar -cf /tmp/lbconfig.tar -C /tmp/lbcfg lb.conf
cat >lb.cfg <<'CFG'
name = "lb"
type = "pvh"
kernel = "/job/lb.elf"
memory = 32
vcpus = 1
vif = ['bridge=xenbr0,mac=00:16:3e:5c:1b:00', 'bridge=xenbr1,mac=00:16:3e:5c:1b:01']
disk = ['format=raw, vdev=xvda, access=ro, target=/tmp/lbconfig.tar']
cmdline = "config-file=lb.conf net0.ip=10.0.0.2/24 net1.ip=10.1.0.2/24 flows=4096 stats-interval-ms=500"
on_crash = "preserve"
CFG
t0=$(now_ms)
d=$(xl_create lb.cfg) || {
	echo "FAIL xl create lb"
	exit 1
}
base=/local/domain/$d/data/sluice
check "lb ready" wait_xs "$base/status" ready 30 || exit 1
echo "  lb: xl create to ready in $(($(now_ms) - t0)) ms"
check "lb: appliance key" test "$(xenstore-read "$base/appliance")" = lb
check "lb: the boot configuration's summary" wait_console lb \
	'lb: 2 services, 6 backends from lb\.conf' 5
run_ctl list
check "list: lb is a ready lb" grep -Eq "^lb +$d +[-rb]{2}---- +lb +ready " /tmp/ctl.out

# ---------------------------------------------------------------- spread
# The first GET also waits for the checks' first round and the ARP entries.
wait_until 20 "a first balanced GET" sh -c "nsenter -t $CLI -n timeout 5 wget -q -O - http://10.0.0.2/cgi-bin/id | grep -q '^b1[123] '" ||
	fail "a first balanced connection"
echo "  first balanced GET at +$(($(now_ms) - t0)) ms after xl create"
gets 36 /tmp/spread /cgi-bin/id
sed 's/^/  spread| /' /tmp/spread | sort | uniq -c
check "36 GETs without an error" test "$(grep -c error /tmp/spread)" = 0
check "NAT: every backend saw the client's address" \
	test "$(grep -Ec '^b1[123] (\[::ffff:)?10\.0\.0\.1\]?$' /tmp/spread)" = 36
for b in 11 12 13; do
	check "spread: b$b got $(count b$b /tmp/spread) (>= 2) of 36" \
		test "$(count "b$b" /tmp/spread)" -ge 2
done

# -------------------------------------------------------------- failover
kill "${HTTPD[12]}"
wait "${HTTPD[12]}" 2>/dev/null
t1=$(now_ms)
if wait_console lb 'lb: backend 10\.1\.0\.12:80 of 10\.0\.0\.2:80 is down' 30; then
	dt=$(($(now_ms) - t1))
	check "b12 stopped: down in $dt ms (fall 2 x 1 s + timeout 1 s + 6 s = 9000)" test "$dt" -le 9000
else
	fail "b12 stopped: marked down"
fi
gets 12 /tmp/avoid
sed 's/^/  avoid| /' /tmp/avoid | sort | uniq -c
check "b12 down: 12 GETs, none to it, no error" \
	test "$(count b12 /tmp/avoid)" = 0 -a "$(grep -c error /tmp/avoid)" = 0
start_httpd 12
t1=$(now_ms)
if wait_console lb 'lb: backend 10\.1\.0\.12:80 of 10\.0\.0\.2:80 is up' 30; then
	dt=$(($(now_ms) - t1))
	check "b12 restarted: up in $dt ms (rise 2 x 1 s + timeout 1 s + 8 s = 11000)" test "$dt" -le 11000
else
	fail "b12 restarted: marked up"
fi
gets 30 /tmp/back
sed 's/^/  back| /' /tmp/back | sort | uniq -c
check "b12 up again: GETs reach it ($(count b12 /tmp/back) of 30), no error" \
	test "$(count b12 /tmp/back)" -ge 1 -a "$(grep -c error /tmp/back)" = 0

# ------------------------------------------- live push during transfers
# 6 transfers, 512 KiB each in 16 KiB pieces every 0.15 s; each sends its
# first half, then waits for the push to be applied before the second, so
# that every flow is established before the push and carries data after
# it, however long the push takes (~2 to 8 s on this nested, emulated host).
NT=6
for ((k = 0; k < NT; k++)); do
	dd if=/dev/urandom of="/tmp/payload$k" bs=16384 count=32 2>/dev/null
done
want=$((32 * 16384))
pids=
for ((k = 0; k < NT; k++)); do
	(for i in $(seq 0 31); do
		if [ "$i" = 16 ]; then
			for _ in $(seq 1 600); do
				[ -e /tmp/pushed ] && break
				sleep 0.1
			done
		fi
		dd if="/tmp/payload$k" bs=16384 skip="$i" count=1 2>/dev/null
		sleep 0.15
	done | in_cli nc 10.0.0.2 5001) &
	pids="$pids $!"
done
# Wait until every transfer has its file on a backend and its first half is in.
wait_until 60 "the $NT transfers' first halves" sh -c \
	"set -- /tmp/recv1[123]/c.*; [ -e \$1 ] && [ \$# -ge $NT ] && [ \$(cat /tmp/recv1[123]/c.* | wc -c) -ge $((NT * want / 2)) ]" ||
	fail "transfers started"
for b in 11 12 13; do
	n=$(nfiles "/tmp/recv$b"/c.*)
	echo "  transfers on b$b: $n"
	NTB[b]=$n
done
# Drain the backend holding most transfers (they must finish there), give
# another weight 2 (the Maglev table changes under the running flows).
drain=11
for b in 12 13; do [ "${NTB[$b]}" -gt "${NTB[$drain]}" ] && drain=$b; done
heavy=$((drain == 13 ? 11 : drain + 1))
sed -e "s/^  backend 10\\.1\\.0\\.$drain:\\([0-9]*\\)\$/  backend 10.1.0.$drain:\\1 drain/" \
	-e "s/^  backend 10\\.1\\.0\\.$heavy:\\([0-9]*\\)\$/  backend 10.1.0.$heavy:\\1 weight 2/" \
	/tmp/lbcfg/lb.conf >/tmp/new.conf
sed 's/^/  new.conf| /' /tmp/new.conf
got=$(cat /tmp/recv1[123]/c.* | wc -c)
tp=$(now_ms)
run_ctl push -t 30 lb /tmp/new.conf
echo "  push took $(($(now_ms) - tp)) ms"
check "push during the transfers (at $got of $((NT * want)) bytes): exit 0" test "$rc" = 0
check "push: applied generation 1" grep -q '^applied generation 1' /tmp/ctl.out
check "the transfers' second halves came after the push" \
	test "$(cat /tmp/recv1[123]/c.* | wc -c)" = $((NT * want / 2))
touch /tmp/pushed
gets 12 /tmp/drained
sed 's/^/  drained| /' /tmp/drained | sort | uniq -c
check "after the push: 12 GETs, none to the drained b$drain, no error" \
	test "$(count "b$drain" /tmp/drained)" = 0 -a "$(grep -c error /tmp/drained)" = 0
for p in $pids; do wait "$p"; done
# The sinks' cat ends when the client's FIN arrives.
wait_until 60 "every transfer's bytes" sh -c "[ \$(cat /tmp/recv1[123]/c.* | wc -c) -ge $((NT * want)) ]"
sha256sum /tmp/recv1[123]/c.* | sed 's/^/  recv| /'
for ((k = 0; k < NT; k++)); do
	h=$(sha256sum <"/tmp/payload$k" | cut -d' ' -f1)
	where=$(sha256sum /tmp/recv1[123]/c.* | grep "^$h " | sed 's,.*/recv\(1[123]\)/.*,b\1,')
	check "transfer $k: whole and intact on exactly one backend (${where:-none})" \
		test "$(echo "$where" | grep -c .)" = 1
done
check "no partial transfer anywhere (6 files, each complete)" \
	test "$(nfiles /tmp/recv1[123]/c.*)" = "$NT"

wait_until 5 "stats of generation 1" sh -c "$CTL stats lb | grep -qx generation=1"
run_ctl stats lb
check "stats: the drained backend" \
	grep -Eq "^backend 10\.0\.0\.2:5001/tcp 10\.1\.0\.$drain:5001 state=drain " /tmp/ctl.out
check "stats: the service's 6 backends are up or drained" \
	test "$(grep -Ec '^backend .* state=(up|drain) ' /tmp/ctl.out)" = 6

xl destroy lb
wait_domain_gone lb 10
echo "$fails failure(s)"
exit $((fails > 100 ? 100 : fails))
