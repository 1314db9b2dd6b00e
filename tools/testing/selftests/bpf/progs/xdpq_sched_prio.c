// SPDX-License-Identifier: GPL-2.0
/* The prio example scheduler of samples/bpf, for the xdpq_schedulers test */
#include "../../../../../samples/bpf/xdpq_prio.bpf.c"
