// SPDX-License-Identifier: GPL-2.0
/* The FIFO forwarder of samples/bpf loaded as an extension (freplace) of
 * another XDP program, as the libxdp dispatcher loads programs: its
 * timer callback must run as an XDP program's does, in a bpf_net_context,
 * to send. xdpq_ext_enqueue sets the timer up itself, so that it belongs
 * to the extension.
 */
#include "../../../../../samples/bpf/xdpq_fifo_fwd.bpf.c"

bool ext_timer_ready;

SEC("freplace/xdpq_ext_slot")
int xdpq_ext_enqueue(struct xdp_md *ctx)
{
	struct fwd_timer *t;
	__u32 key = 0;

	if (!ext_timer_ready) {
		t = bpf_map_lookup_elem(&timer_map, &key);
		if (!t || bpf_timer_init(&t->timer, &timer_map, CLOCK_MONOTONIC) ||
		    bpf_timer_set_callback(&t->timer, fwd_timer_cb) ||
		    bpf_timer_start(&t->timer, 0, 0))
			return XDP_ABORTED;
		ext_timer_ready = true;
	}
	return bpf_redirect_map(&fifo, 0, 0);
}
