// SPDX-License-Identifier: GPL-2.0
/* The wfq example scheduler of samples/bpf, for the xdpq_schedulers test */
#include "../../../../../samples/bpf/xdpq_wfq.bpf.c"
