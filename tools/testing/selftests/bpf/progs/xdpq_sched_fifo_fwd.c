// SPDX-License-Identifier: GPL-2.0
/* The FIFO forwarder of samples/bpf, for the xdpq_schedulers test */
#include "../../../../../samples/bpf/xdpq_fifo_fwd.bpf.c"
