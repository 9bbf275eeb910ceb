# SPDX-License-Identifier: BSD-2-Clause
# Network tests: guests on QEMU TCG with virtio-net NICs on taps, in a private
# network namespace (tests/net/lib.sh). They need root and /dev/net/tun and
# skip (77) without them, or without appliances/echo/echo.elf (built by
# `all`); SLUICE_NET_REQUIRE=1 turns the environment skips into failures.
# SLUICE_NET_GUEST=linux runs them against the Linux reference guest
# (bench/linux-guest) instead, to check the harness itself.
NET_TESTS = tests/net/echo.test

TESTS += $(NET_TESTS)
EXTRA_DIST += $(NET_TESTS) tests/net/lib.sh bench/linux-guest bench/net

# The firewall appliance as a bridge between a client and a server namespace
# (tests/net/fwlib.sh); skips (77) until appliances/firewall/firewall.elf is
# built. SLUICE_FW_GUEST=linux runs it against the Linux nftables guest
# (bench/linux-guest --with-nft) with tests/net/firewall.nft instead.
TESTS += tests/net/firewall.test
EXTRA_DIST += tests/net/firewall.test tests/net/fwlib.sh tests/net/firewall.nft

# The firewall driven by sluice-ctl through its control socket (the host
# channel on QEMU: a virtio-console port, docs/hostcfg.md), over PCI and MMIO.
TESTS += tests/net/fwctl.test
EXTRA_DIST += tests/net/fwctl.test
tests/net/fwctl.log: tools/sluice-ctl

# The load balancer (docs/loadbalancer.md) routing between a client and a
# backend namespace (tests/net/fwlib.sh's, readdressed) with four backend
# servers, driven by sluice-ctl through its control socket.
TESTS += tests/net/lb.test
EXTRA_DIST += tests/net/lb.test
tests/net/lb.log: tools/sluice-ctl

# Connection-tracking conformance (issue 15): crafted frames through the
# firewall between the namespaces of tests/net/fwlib.sh, on raw sockets
# (tests/net/fwconform.py), one regression check per defect.
TESTS += tests/net/fwconform.test
EXTRA_DIST += tests/net/fwconform.test tests/net/fwconform.py

# The TLS terminator (docs/tls.md) between a client and a backend namespace,
# with certificates made by openssl at run time, driven by openssl s_client,
# curl and sluice-ctl.
TESTS += tests/net/tls.test
EXTRA_DIST += tests/net/tls.test
tests/net/tls.log: tools/sluice-ctl
