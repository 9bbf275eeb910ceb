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
