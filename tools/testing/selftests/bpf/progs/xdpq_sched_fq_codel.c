// SPDX-License-Identifier: GPL-2.0
/* The fq-codel example scheduler of samples/bpf, for the xdpq_schedulers test */
#include "../../../../../samples/bpf/xdpq_fq_codel.bpf.c"
