# SPDX-License-Identifier: BSD-2-Clause
# Source-tree checks that need no build.

# Which layer may include which headers (scripts/check-layers). Also run by
# `make check` through tests/check-layers.test.
check-layers:
	$(SHELL) $(srcdir)/scripts/check-layers $(srcdir)
.PHONY: check-layers

TESTS += tests/check-layers.test
EXTRA_DIST += scripts/check-layers tests/check-layers.test
