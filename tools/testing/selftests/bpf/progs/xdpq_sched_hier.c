// SPDX-License-Identifier: GPL-2.0
/* The hier example scheduler of samples/bpf, for the xdpq_schedulers test */
#include "../../../../../samples/bpf/xdpq_hier.bpf.c"
