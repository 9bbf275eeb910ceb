# SPDX-License-Identifier: BSD-2-Clause
# (fragment included from Makefile.am)
# The load balancer appliance (docs/loadbalancer.md). LB_CORE_SRCS is its
# pure logic (configuration language, Maglev, NAT, health counter): linked
# into the image, into sluice-ctl's validator and into the host unit tests
# (tests/unit/lb.mk) as they are.
LB_CORE_SRCS = appliances/lb/lbconf.c appliances/lb/lbconf_val.c appliances/lb/maglev.c \
	appliances/lb/lbnat.c appliances/lb/lbhealth.c
LB_CORE_HDRS = appliances/lb/lbcore.h appliances/lb/lbconf_int.h
EXTRA_DIST += $(LB_CORE_SRCS) $(LB_CORE_HDRS)
