// SPDX-License-Identifier: GPL-2.0
/* An XDP program with a slot for another to replace (freplace), as the
 * libxdp dispatcher has: xdpq_ext.c fills it.
 */
#include <vmlinux.h>
#include <bpf/bpf_helpers.h>

__noinline int xdpq_ext_slot(struct xdp_md *ctx)
{
	if (!ctx)
		return XDP_ABORTED;
	return XDP_PASS;
}

SEC("xdp")
int xdpq_ext_dispatcher(struct xdp_md *ctx)
{
	return xdpq_ext_slot(ctx);
}

char _license[] SEC("license") = "GPL";
