// SPDX-License-Identifier: GPL-2.0
/* The drr example scheduler of samples/bpf, for the xdpq_schedulers test */
#include "../../../../../samples/bpf/xdpq_drr.bpf.c"
