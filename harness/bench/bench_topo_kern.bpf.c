// SPDX-License-Identifier: GPL-2.0
/* The XDP programs of bench_topo.sh without xdpq, and its source and sink.
 *
 * topo_wire    the outside world, source and sink: run under BPF_PROG_RUN
 *              in live-frames mode, it sends every frame out of the
 *              device in gen_port[0], the NIC that plays the outside
 *              world (wire_ifindex); attached to that NIC, it counts the
 *              bench's frames that come back and drops them.
 * topo_fwd     a hop without xdpq: attached to each device a frame enters
 *              by, it redirects the bench's frames through the devmap
 *              next_hop, keyed by that device's ifindex, to the device
 *              of the next hop; other frames go on to the stack.
 *
 * With xdpq each hop is an instance of samples/bpf/xdpq_fifo_fwd.bpf.c
 * instead of topo_fwd; the source and the sink stay.
 *
 * The source and the sink are one program so that the source is in the
 * XDP dispatcher already, attached as the sink, when BPF_PROG_RUN adds it
 * there: a program the dispatcher does not hold is added at the start of
 * every BPF_PROG_RUN with repeat > 1 and removed at its end, and each time
 * the kernel patches the dispatcher's code while frames still flow, which
 * multi-threaded TCG (XDPQ_TCG_THREAD=multi) does not survive: a vCPU
 * hits the int3 of a patch that is over.
 */
#include "vmlinux.h"
#include <bpf/bpf_helpers.h>
#include <bpf/bpf_endian.h>
#include "bench_topo_frame.h"

const volatile __u32 wire_ifindex;

struct {
	__uint(type, BPF_MAP_TYPE_DEVMAP);
	__uint(max_entries, 1);
	__type(key, __u32);
	__type(value, __u32);
} gen_port SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_DEVMAP_HASH);
	__uint(max_entries, 8);
	__type(key, __u32);
	__type(value, __u32);
} next_hop SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_PERCPU_ARRAY);
	__uint(max_entries, 1);
	__type(key, __u32);
	__type(value, __u64);
} received SEC(".maps");

static __always_inline bool topo_ours(struct xdp_md *ctx)
{
	struct topo_frame *f = (void *)(long)ctx->data;

	return (void *)(f + 1) <= (void *)(long)ctx->data_end &&
	       f->magic == bpf_htonl(TOPO_MAGIC);
}

SEC("xdp")
int topo_fwd(struct xdp_md *ctx)
{
	if (!topo_ours(ctx))
		return XDP_PASS;
	return bpf_redirect_map(&next_hop, ctx->ingress_ifindex, XDP_PASS);
}

/* BPF_PROG_RUN's frames, given no ctx_in, come in by the loopback device. */
SEC("xdp")
int topo_wire(struct xdp_md *ctx)
{
	__u32 zero = 0;
	__u64 *cnt;

	if (ctx->ingress_ifindex != wire_ifindex)
		return bpf_redirect_map(&gen_port, 0, 0);
	if (!topo_ours(ctx))
		return XDP_PASS;
	cnt = bpf_map_lookup_elem(&received, &zero);
	if (cnt)
		(*cnt)++;
	return XDP_DROP;
}

char _license[] SEC("license") = "GPL";
