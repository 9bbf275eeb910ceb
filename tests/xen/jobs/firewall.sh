#!/bin/bash
# SPDX-License-Identifier: BSD-2-Clause
# Runs in dom0 (tests/xen/rig): sluice-ctl and the firewall appliance.
# /job holds sluice-ctl (built on the host), hello.elf and, once it exists,
# firewall.elf.
#
# Part A, the xenstore side, against a fake appliance: a hello domain
# (ticks=0) whose data/sluice keys a shell loop in dom0 plays (fake_fw: it
# reassembles the pushed chunks with xenstore-read, checks their sizes,
# judges the text with `sluice-ctl validate` and writes result/error and the
# active generation as the appliance does). Checks: list, unknown domain and
# non-firewall errors (exit 2), applied pushes byte for byte (a large file in
# 147 chunks, then a short one leaving no stale chunk), the host's own
# rejection (exit 1, FILE:LINE:COL, no generation written), the appliance's
# rejection (--no-validate; exit 1, FILE:LINE:COL, old generation in force),
# timeout (exit 3), --timeout 0, racing pushes, stats (multi-chunk, text and
# JSON), and a domain destroyed during the wait.
#
# Part B, the real appliance (skipped without /job/firewall.elf): client and
# server namespaces on xenbr0 and xenbr1 (dom0 itself has no address on
# either), the firewall (32 MiB, boot rules from a config disk) bridging
# them; a 6 MiB TCP transfer across a push that closes its port (it
# completes intact on ct established) while another port opens; stats;
# then a file refused by sluice-ctl (nothing written), one refused by the
# appliance's parser (--no-validate) and a valid one over the appliance's
# memory budget, with traffic proving that the rules in force did not
# change; finally a good push clears the error.
#
# Prints "ok"/"FAIL"/"SKIP" lines; exits with the number of failures.
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
# run_ctl ARGS...: sluice-ctl with its stdout in $out, stderr in $err, status in $rc.
run_ctl() {
	"$CTL" "$@" >/tmp/ctl.out 2>/tmp/ctl.err
	rc=$?
	out=$(cat /tmp/ctl.out)
	err=$(cat /tmp/ctl.err)
	echo "  \$ sluice-ctl $* -> $rc"
	sed 's/^/  | /' /tmp/ctl.out /tmp/ctl.err
}
xs_or_none() { xenstore-read "$1" 2>/dev/null || echo none; }

# ------------------------------------------------------------------ setup
mkdir -p /tmp/rules
check "sluice-ctl's shared libraries are all in dom0" \
	sh -c "/lib64/ld-linux-x86-64.so.2 --list $CTL >/tmp/ldd.txt 2>&1 && ! grep -q 'not found' /tmp/ldd.txt"
cp /tmp/ldd.txt out/ldd.txt

cat >/tmp/rules/good.nft <<'EOF'
policy drop
ct state established,related accept
ether type arp accept
ip daddr 10.9.0.2 tcp dport { 5001, 5002 } accept
EOF
sed 's/5002/5003/' /tmp/rules/good.nft >/tmp/rules/good2.nft
cat >/tmp/rules/bad.nft <<'EOF'
policy drop
tcp dport 70000 accept
EOF
# About 300 KB: 147 chunks of 2048 bytes, the last one shorter.
{
	echo "policy drop"
	for i in $(seq 1 2000); do
		printf 'ip saddr 10.%d.%d.0/24 tcp dport %d accept # %s\n' $((i / 250)) $((i % 250)) \
			$((1000 + i)) "padding padding padding padding padding padding padding padding padd"
	done
	head -c 300000 /dev/zero | tr '\0' '#' | fold -w 100 | sed 's/^/# /' | head -n 1200
} | head -c 300500 >/tmp/rules/large.nft
echo >>/tmp/rules/large.nft

# ------------------------------------------------- part A: fake appliance
# fake_fw DOMID: play the firewall's side of the protocol on DOMID's keys.
# Mode from /tmp/fake/mode: "answer", or "silent" (never answers).
fake_fw() {
	local d=$1 base=/local/domain/$1/data/sluice seen=0 g n i v len verdict nr
	xenstore-write "$base/appliance" firewall "$base/active-generation" 1 \
		"$base/result" "1 ok 2 rules"
	while :; do
		g=$(xenstore-read "$base/config-generation" 2>/dev/null) || g=0
		if [ "$g" != "$seen" ] && [ "$(cat /tmp/fake/mode)" = answer ]; then
			n=$(xenstore-read "$base/config/count")
			: >"/tmp/fake/gen-$g.txt"
			for ((i = 0; i < n; i++)); do
				# Exact bytes: -R adds no newline; the x keeps $() from stripping the value's.
				v=$(xenstore-read -R "$base/config/$i"
					echo x)
				v=${v%x}
				len=${#v}
				if { ((i < n - 1)) && ((len != 2048)); } || ((len == 0 || len > 2048)); then
					echo "badchunk gen $g chunk $i len $len" >>/tmp/fake/log
				fi
				printf '%s' "$v" >>"/tmp/fake/gen-$g.txt"
			done
			# No multi-key transaction in the shell: a push is atomic and bumps the
			# generation, so an unchanged generation means an untorn read.
			[ "$(xenstore-read "$base/config-generation")" = "$g" ] || continue
			seen=$g
			echo "gen $g count $n md5 $(md5sum <"/tmp/fake/gen-$g.txt" | cut -d' ' -f1)" >>/tmp/fake/log
			cp "/tmp/fake/gen-$g.txt" /tmp/fake/rules
			if verdict=$(cd /tmp/fake && "$CTL" validate rules 2>&1); then
				nr=$(echo "$verdict" | sed -n 's/^rules: ok, \([0-9]*\) rules*$/\1/p')
				xenstore-rm "$base/error" 2>/dev/null
				xenstore-write "$base/active-generation" "$g" "$base/result" "$g ok $nr rules"
			else
				xenstore-write -R "$base/error" "$g $verdict"
				xenstore-write "$base/result" "$g error"
			fi
		fi
		sleep 0.05
	done
}

# Statistics as the appliance publishes them: chunks of 2048 bytes.
make_stats() {
	echo "generation=9"
	printf 'nic net0 rx_packets=%d rx_bytes=%d\n' 10 600
	for i in $(seq 1 240); do
		printf 'rule %d packets=%d bytes=%d\n' $i $((i * 7)) $((i * 7 * 1500))
	done
}

part_a() {
	local d base gen_before g1 g2 md5 pids rcs
	mkdir -p /tmp/fake
	echo answer >/tmp/fake/mode
	cat >fake.cfg <<'CFG'
name = "fwfake"
type = "pvh"
kernel = "/job/hello.elf"
memory = 32
vcpus = 1
cmdline = "ticks=0 interval-ms=3600000"
on_crash = "preserve"
CFG
	d=$(xl_create fake.cfg) || {
		fail "xl create fwfake"
		return
	}
	base=/local/domain/$d/data/sluice
	wait_xs "$base/status" ready 20 || fail "fwfake: status ready"
	fake_fw "$d" &
	fake_pid=$!
	wait_xs "$base/appliance" firewall 5 || fail "fake appliance up"

	run_ctl list
	check "list: exit 0" test "$rc" = 0
	check "list: Domain-0 is no appliance" grep -Eq '^Domain-0 +0 +r-----  +- ' /tmp/ctl.out
	check "list: fwfake is a ready firewall at generation 1" \
		grep -Eq "^fwfake +$d +[-rb]{2}---- +firewall +ready +1 +1 ok 2 rules$" /tmp/ctl.out
	run_ctl list --json
	check "list --json: fwfake by name and domid" \
		grep -Fq "{\"name\": \"fwfake\", \"domid\": $d, \"state\": " /tmp/ctl.out
	check "list --json: fwfake's appliance keys" grep -Fq "\"sluice\": true, \"appliance\": \"firewall\", \
\"status\": \"ready\", \"active_generation\": 1, \"result\": \"1 ok 2 rules\"}" /tmp/ctl.out

	run_ctl push nosuchdomain /tmp/rules/good.nft
	check "push to an unknown domain: exit 2" test "$rc" = 2
	check "push to an unknown domain: says so" grep -q "no domain 'nosuchdomain'" /tmp/ctl.err
	run_ctl push 4321 /tmp/rules/good.nft
	check "push to an unknown domid: exit 2" test "$rc" = 2
	run_ctl push Domain-0 /tmp/rules/good.nft
	check "push to Domain-0: exit 2" test "$rc" = 2
	check "push to Domain-0: not a Sluice appliance" \
		grep -q "'Domain-0' (domid 0) is not a Sluice appliance" /tmp/ctl.err
	xenstore-write /local/domain/0/data/sluice/appliance echo
	run_ctl push 0 /tmp/rules/good.nft
	check "push to an echo appliance: exit 2" test "$rc" = 2
	check "push to an echo appliance: not a firewall" \
		grep -q "is a Sluice 'echo' appliance, not a firewall" /tmp/ctl.err
	xenstore-rm /local/domain/0/data/sluice

	run_ctl push fwfake /tmp/rules/good.nft
	check "push: exit 0" test "$rc" = 0
	check "push: applied generation 2: 3 rules" test "$out" = "applied generation 2: 3 rules"
	md5=$(md5sum </tmp/rules/good.nft | cut -d' ' -f1)
	check "push: the appliance got the file byte for byte in 1 chunk" \
		grep -q "^gen 2 count 1 md5 $md5$" /tmp/fake/log
	check "push: active-generation 2" test "$(xs_or_none "$base/active-generation")" = 2

	nr=$("$CTL" validate /tmp/rules/large.nft | sed -n 's/.*: ok, \([0-9]*\) rules$/\1/p')
	t0=$(now_ms)
	run_ctl push -t 60 "$d" /tmp/rules/large.nft
	echo "  (the fake took $(($(now_ms) - t0)) ms over 147 chunks)"
	check "push by domid, 300 KB: exit 0" test "$rc" = 0
	check "push 300 KB: applied generation 3: $nr rules" \
		test "$out" = "applied generation 3: $nr rules"
	md5=$(md5sum </tmp/rules/large.nft | cut -d' ' -f1)
	check "push 300 KB: byte for byte in 147 chunks" \
		grep -q "^gen 3 count 147 md5 $md5$" /tmp/fake/log
	run_ctl push fwfake /tmp/rules/good.nft
	check "push after the large file: exit 0" test "$rc" = 0
	check "push after the large file: count 1, no stale chunk" \
		sh -c "[ \"\$(xenstore-read $base/config/count)\" = 1 ] && ! xenstore-read $base/config/1 >/dev/null 2>&1"
	check "no chunk of the wrong size" sh -c "! grep -q badchunk /tmp/fake/log"

	gen_before=$(xs_or_none "$base/config-generation")
	run_ctl push fwfake /tmp/rules/bad.nft
	check "host check refuses bad.nft: exit 1" test "$rc" = 1
	check "host check: bad.nft:2:11: port 70000 out of range" \
		test "$err" = "/tmp/rules/bad.nft:2:11: port 70000 out of range"
	check "host check: no generation written" \
		test "$(xs_or_none "$base/config-generation")" = "$gen_before"

	run_ctl push --no-validate fwfake /tmp/rules/bad.nft
	check "appliance refuses bad.nft: exit 1" test "$rc" = 1
	check "appliance refusal as FILE:LINE:COL" \
		grep -qx "/tmp/rules/bad.nft:2:11: port 70000 out of range" /tmp/ctl.err
	check "appliance refusal: the old generation stays" \
		grep -q "refused generation 5; generation 4 stays in force" /tmp/ctl.err
	check "appliance refusal: active-generation still 4" \
		test "$(xs_or_none "$base/active-generation")" = 4

	echo silent >/tmp/fake/mode
	t0=$(now_ms)
	run_ctl push -t 1.5 fwfake /tmp/rules/good.nft
	t1=$(now_ms)
	check "no answer: exit 3" test "$rc" = 3
	check "no answer: after the 1.5 s timeout ($((t1 - t0)) ms)" \
		test $((t1 - t0)) -ge 1500 -a $((t1 - t0)) -lt 6000
	check "no answer: says so" \
		grep -q "generation 6 pushed to 'fwfake' (domid $d), but no verdict came within 1.5 s" /tmp/ctl.err
	run_ctl push --timeout 0 fwfake /tmp/rules/good.nft
	check "--timeout 0: exit 0 without waiting" test "$rc" = 0
	check "--timeout 0: prints the generation" test "$out" = "pushed generation 7 (active: 4)"
	echo answer >/tmp/fake/mode
	check "the late push is applied" wait_xs "$base/active-generation" 7 5

	# Two pushes at once: the transaction gives them distinct generations.
	"$CTL" push -t 30 fwfake /tmp/rules/good.nft >/tmp/race1.out 2>&1 &
	pids=$!
	"$CTL" push -t 30 fwfake /tmp/rules/good2.nft >/tmp/race2.out 2>&1 &
	pids="$pids $!"
	rcs=
	for p in $pids; do
		wait "$p"
		rcs="$rcs $?"
	done
	sed 's/^/  race| /' /tmp/race1.out /tmp/race2.out
	g1=$(grep -o 'generation [0-9]*' /tmp/race1.out | head -1)
	g2=$(grep -o 'generation [0-9]*' /tmp/race2.out | head -1)
	check "racing pushes: exit 0 or 3 (superseded), one applied:$rcs" \
		sh -c "case '$rcs' in ' 0 0' | ' 0 3' | ' 3 0') exit 0 ;; *) exit 1 ;; esac"
	check "racing pushes: distinct generations ($g1, $g2)" \
		test -n "$g1" -a -n "$g2" -a "$g1" != "$g2"

	make_stats >/tmp/fake/stats.txt
	# One transaction, as xs_write_chunked does; $(...; echo x) keeps trailing newlines.
	args=()
	n=0
	while [ $((n * 2048)) -lt "$(wc -c </tmp/fake/stats.txt)" ]; do
		v=$(dd if=/tmp/fake/stats.txt bs=2048 skip=$n count=1 2>/dev/null
			echo x)
		args+=("$base/stats/$n" "${v%x}")
		n=$((n + 1))
	done
	xenstore-write -R "${args[@]}" "$base/stats/count" "$n"
	run_ctl stats fwfake >/dev/null
	check "stats: exit 0" test "$rc" = 0
	check "stats: $n chunks printed byte for byte" cmp -s /tmp/ctl.out /tmp/fake/stats.txt
	run_ctl stats --json "$d" >/dev/null
	# One line: the name, then the counters as JSON, then the text.
	check "stats --json: the domain" \
		grep -Fq "{\"name\": \"fwfake\", \"domid\": $d, \"appliance\": \"firewall\", \"stats\": {" /tmp/ctl.out
	check "stats --json: generation, NIC and first rule" grep -Fq "\"stats\": {\"generation\": 9, \
\"nic\": [{\"id\": \"net0\", \"rx_packets\": 10, \"rx_bytes\": 600}], \
\"rule\": [{\"id\": 1, \"packets\": 7, \"bytes\": 10500}, {\"id\": 2," /tmp/ctl.out
	check "stats --json: last rule, then the text" grep -Fq "{\"id\": 240, \"packets\": 1680, \
\"bytes\": 2520000}]}, \"text\": \"generation=9\\nnic net0 " /tmp/ctl.out
	run_ctl stats Domain-0
	check "stats of Domain-0: exit 2" test "$rc" = 2

	# The domain goes away while sluice-ctl waits.
	echo silent >/tmp/fake/mode
	("$CTL" push -t 20 fwfake /tmp/rules/good.nft >/tmp/gone.out 2>&1; echo $? >/tmp/gone.rc) &
	sleep 1
	t0=$(now_ms)
	xl destroy fwfake
	wait_until 10 "sluice-ctl exits" test -s /tmp/gone.rc
	t1=$(now_ms)
	sed 's/^/  gone| /' /tmp/gone.out
	check "domain destroyed while waiting: exit 3" test "$(cat /tmp/gone.rc)" = 3
	check "domain destroyed: noticed in $((t1 - t0)) ms" test $((t1 - t0)) -lt 5000
	check "domain destroyed: says so" \
		grep -q "the domain has shut down or gone away" /tmp/gone.out
	kill "$fake_pid" 2>/dev/null
	wait "$fake_pid" 2>/dev/null
	cp /tmp/fake/log out/fake.log
}

# ---------------------------------------------------- part B: the real one
# mk_ns BRIDGE ADDR: a network namespace (held by a sleeping process, whose
# pid is printed) with eth0 = ADDR, a veth whose other end is a port of
# BRIDGE. Busybox's ip has no netns command and ignores "peer name": the
# peer is found through iflink.
mk_ns() {
	local host=v$RANDOM peer= idx pid f
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
		ip link set "$host" master "$1" &&
		ip link set "$host" up || return 1
	echo "$pid"
}
in_cli() { nsenter -t "$CLI" -n "$@"; }
in_srv() { nsenter -t "$SRV" -n "$@"; }
# probe PORT: does a TCP connection from the client reach the server's PORT?
probe() { [ "$(in_cli nc -w 2 10.9.0.2 "$1" </dev/null 2>/dev/null)" = "open-$1" ]; }
closed() { ! probe "$1"; }

part_b() {
	local d base t0 t1 want size pid_tx i p
	modprobe loop
	# The boot rules, and the update pushed during the transfer: the
	# transfer's port 5001 closes to new connections (the transfer goes on
	# as ct established), 5002 closes, 5003 opens.
	mkdir -p /tmp/fwcfg
	cat >/tmp/fwcfg/rules.nft <<'EOF'
policy drop
ct state established,related accept
ct state invalid drop
ether type arp accept
ip daddr 10.9.0.2 tcp dport { 5001, 5002 } accept
icmp type echo-request accept
EOF
	cat >/tmp/rules/new.nft <<'EOF'
# 5001 and 5002 closed to new connections, 5003 open
policy drop
ct state established,related accept
ct state invalid drop
ether type arp accept
ip daddr 10.9.0.2 tcp dport 5003 accept
icmp type echo-request accept
EOF
	tar -cf /tmp/fwconfig.tar -C /tmp/fwcfg rules.nft

	modprobe veth
	ip link add xenbr1 type bridge && ip link set xenbr1 up || {
		fail "create xenbr1"
		return
	}
	CLI=$(mk_ns xenbr0 10.9.0.1/24) || {
		fail "client namespace on xenbr0"
		return
	}
	SRV=$(mk_ns xenbr1 10.9.0.2/24) || {
		fail "server namespace on xenbr1"
		return
	}
	ok "client namespace (10.9.0.1 on xenbr0), server namespace (10.9.0.2 on xenbr1)"
	check "no path from client to server without the firewall" \
		sh -c "! nsenter -t $CLI -n ping -c 1 -W 1 10.9.0.2 >/dev/null"

	cat >fw.cfg <<'CFG'
name = "fw"
type = "pvh"
kernel = "/job/firewall.elf"
memory = 32
vcpus = 1
vif = ['bridge=xenbr0,mac=00:16:3e:5c:f0:00', 'bridge=xenbr1,mac=00:16:3e:5c:f0:01']
disk = ['format=raw, vdev=xvda, access=ro, target=/tmp/fwconfig.tar']
cmdline = "rules-file=rules.nft stats-interval-ms=500"
on_crash = "preserve"
CFG
	d=$(xl_create fw.cfg) || {
		fail "xl create fw"
		return
	}
	base=/local/domain/$d/data/sluice
	check "firewall ready" wait_xs "$base/status" ready 30 || return
	check "firewall: appliance key" test "$(xs_or_none "$base/appliance")" = firewall
	check "firewall: boot rules are generation 0" wait_xs "$base/result" "0 ok 5 rules" 5

	run_ctl list
	check "list: fw is a ready firewall at generation 0" \
		grep -Eq "^fw +$d +[-rb]{2}---- +firewall +ready +0 +0 ok 5 rules$" /tmp/ctl.out

	# Servers: a persistent answerer per probe port, and the transfer's sink.
	for p in 5002 5003; do
		in_srv nc -ll -p $p -e /bin/echo "open-$p" &
	done
	sleep 0.3
	check "ping through the firewall" in_cli ping -c 3 -W 2 10.9.0.2
	check "boot rules: 5002 open" probe 5002
	check "boot rules: 5003 dropped" closed 5003

	# The transfer: 6 MiB in 64 KiB pieces, paced so that it spans the push.
	dd if=/dev/urandom of=/tmp/payload bs=65536 count=96 2>/dev/null
	want=$(wc -c </tmp/payload)
	: >/tmp/recv
	# The sink's stdin must not end: busybox nc quits at EOF on stdin.
	(sleep 600 | in_srv nc -l -p 5001 >/tmp/recv) &
	sleep 0.3
	t0=$(now_ms)
	(for i in $(seq 0 95); do
		dd if=/tmp/payload bs=65536 skip="$i" count=1 2>/dev/null
		sleep 0.1
	done | in_cli nc 10.9.0.2 5001) &
	pid_tx=$!
	wait_until 60 "a third of the transfer" sh -c "[ \$(wc -c </tmp/recv) -ge $((want / 3)) ]" ||
		fail "transfer: a third arrived"
	size=$(wc -c </tmp/recv)
	run_ctl push fw /tmp/rules/new.nft
	t1=$(now_ms)
	check "push during the transfer (at $size of $want bytes): exit 0" test "$rc" = 0
	check "push: applied generation 1: 5 rules" test "$out" = "applied generation 1: 5 rules"
	check "the transfer was still running after the push" kill -0 "$pid_tx"
	check "new rules: 5003 open" probe 5003
	check "new rules: 5002 dropped" closed 5002
	check "new rules: new connections to 5001 dropped" closed 5001
	wait "$pid_tx"
	wait_until 120 "the whole transfer" sh -c "[ \$(wc -c </tmp/recv) -ge $want ]"
	echo "  transfer: $(wc -c </tmp/recv) of $want bytes in $(($(now_ms) - t0)) ms, push at +$((t1 - t0)) ms"
	check "transfer complete and intact across the push" cmp -s /tmp/payload /tmp/recv

	run_ctl stats fw
	check "stats: exit 0" test "$rc" = 0
	check "stats: generation=1 and both NICs" \
		sh -c "grep -qx 'generation=1' /tmp/ctl.out && grep -q '^nic net0 ' /tmp/ctl.out && grep -q '^nic net1 ' /tmp/ctl.out"
	run_ctl stats --json fw >/dev/null
	check "stats --json: generation 1, NIC counters as numbers" \
		grep -q '"stats": {"generation": 1, "nic": \[{"id": "net0", "rx_packets": [0-9]' /tmp/ctl.out
	run_ctl status fw
	check "status: exit 0" test "$rc" = 0
	check "status: a ready firewall, generation 1 in force" \
		sh -c "grep -Eqx 'appliance +firewall' /tmp/ctl.out && grep -Eqx 'status +ready' /tmp/ctl.out && grep -Eqx 'active_generation +1' /tmp/ctl.out && grep -Eqx 'result +1 ok 5 rules' /tmp/ctl.out"
	run_ctl wait-ready -t 5 fw
	check "wait-ready: exit 0" test "$rc" = 0

	# Refused by sluice-ctl itself: nothing reaches xenstore.
	run_ctl push fw /tmp/rules/bad.nft
	check "bad file: exit 1" test "$rc" = 1
	check "bad file: FILE:LINE:COL from sluice-ctl" \
		test "$err" = "/tmp/rules/bad.nft:2:11: port 70000 out of range"
	check "bad file: no generation written" test "$(xs_or_none "$base/config-generation")" = 1
	# Refused by the appliance (sluice-ctl's check skipped).
	run_ctl push --no-validate fw /tmp/rules/bad.nft
	check "appliance refuses: exit 1" test "$rc" = 1
	check "appliance refuses: FILE:LINE:COL from the appliance" \
		grep -qx "/tmp/rules/bad.nft:2:11: port 70000 out of range" /tmp/ctl.err
	check "appliance refuses: generation 1 stays in force" \
		grep -q "refused generation 2; generation 1 stays in force" /tmp/ctl.err
	check "appliance refuses: active-generation still 1" \
		test "$(xs_or_none "$base/active-generation")" = 1
	check "appliance refuses: data/sluice/error" \
		test "$(xs_or_none "$base/error")" = "2 rules:2:11: port 70000 out of range"
	check "old rules in force: 5003 open" probe 5003
	check "old rules in force: 5002 dropped" closed 5002
	# Valid, but over the appliance's compile budget (half its free heap:
	# ~8 MiB with 32 MiB of RAM) though not sluice-ctl's (64 MiB, the default):
	# this file needs ~14 MiB. Refused by the appliance, with a whole-file error.
	{
		echo "policy drop"
		yes 'th dport {1,2} drop' | head -n 24000
	} >/tmp/rules/huge.nft
	run_ctl validate /tmp/rules/huge.nft
	check "huge file: sluice-ctl's check accepts it ($(wc -c </tmp/rules/huge.nft) bytes)" \
		test "$rc" = 0 -a "$out" = "/tmp/rules/huge.nft: ok, 24000 rules"
	run_ctl push -t 30 fw /tmp/rules/huge.nft
	check "huge file: the appliance refuses it (exit 1)" test "$rc" = 1
	check "huge file: over the appliance's memory budget" \
		grep -q "^/tmp/rules/huge.nft: rules need more memory than allowed" /tmp/ctl.err
	check "huge file: generation 1 stays in force" \
		grep -q "refused generation 3; generation 1 stays in force" /tmp/ctl.err
	check "huge file: 5003 still open" probe 5003
	check "huge file: 5002 still dropped" closed 5002

	run_ctl push fw /tmp/rules/good.nft
	check "a good push after the refusals: generation 4" \
		test "$out" = "applied generation 4: 3 rules"
	check "after it: data/sluice/error gone" test "$(xs_or_none "$base/error")" = none
	check "after it: 5002 open again" probe 5002

	xl destroy fw
	wait_domain_gone fw 10
}

part_a
if [ -e /job/firewall.elf ]; then part_b; else echo "SKIP part B: no /job/firewall.elf"; fi
echo "$fails failure(s)"
exit $((fails > 100 ? 100 : fails))
