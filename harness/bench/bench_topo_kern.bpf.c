// SPDX-License-Identifier: GPL-2.0
/* The XDP programs of bench_topo.sh without xdpq, and its source and sink.
 *
 * topo_gen     the source: run under BPF_PROG_RUN in live-frames mode, it
 *              sends every frame out of the device in gen_port[0], the
 *              NIC that plays the outside world.
 * topo_fwd     a hop without xdpq: attached to each device a frame enters
 *              by, it redirects the bench's frames through the devmap
 *              next_hop, keyed by that device's ifindex, to the device
 *              of the next hop; other frames go on to the stack.
 * topo_count   the sink: counts the bench's frames that come back to the
 *              outside world and drops them.
 *
 * With xdpq each hop is an instance of samples/bpf/xdpq_fifo_fwd.bpf.c
 * instead of topo_fwd; the source and the sink stay.
 */
#include "vmlinux.h"
#include <bpf/bpf_helpers.h>
#include <bpf/bpf_endian.h>
#include "bench_topo_frame.h"

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
int topo_gen(struct xdp_md *ctx)
{
	return bpf_redirect_map(&gen_port, 0, 0);
}

SEC("xdp")
int topo_fwd(struct xdp_md *ctx)
{
	if (!topo_ours(ctx))
		return XDP_PASS;
	return bpf_redirect_map(&next_hop, ctx->ingress_ifindex, XDP_PASS);
}

SEC("xdp")
int topo_count(struct xdp_md *ctx)
{
	__u32 zero = 0;
	__u64 *cnt;

	if (!topo_ours(ctx))
		return XDP_PASS;
	cnt = bpf_map_lookup_elem(&received, &zero);
	if (cnt)
		(*cnt)++;
	return XDP_DROP;
}

char _license[] SEC("license") = "GPL";
