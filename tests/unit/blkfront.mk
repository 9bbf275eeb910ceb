# SPDX-License-Identifier: BSD-2-Clause
# (fragment included from Makefile.am)
