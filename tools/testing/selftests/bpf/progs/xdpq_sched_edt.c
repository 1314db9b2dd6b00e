// SPDX-License-Identifier: GPL-2.0
/* The edt example scheduler of samples/bpf, for the xdpq_schedulers test */
#include "../../../../../samples/bpf/xdpq_edt.bpf.c"
