// SPDX-License-Identifier: GPL-2.0
/* Frames at the edges of what a queue map takes: the smallest and the
 * largest frames, frames whose headroom the program used up, multi-buffer
 * frames, and frames from generic XDP. xdp_edge_enqueue queues every test
 * frame, after moving its start by head_grow bytes and adding meta_len
 * bytes of metadata; xdp_edge_send_all sends the queue to target_ifindex,
 * until the target is full, and counts the errors by errno, or with
 * bulk_send takes it out with xdp_packet_dequeue_send();
 * xdp_edge_count_rx counts what arrives.
 */
#include <vmlinux.h>
#include <bpf/bpf_helpers.h>
#include <bpf/bpf_tracing.h>
#include "xdpq_kfuncs.h"

struct {
	__uint(type, BPF_MAP_TYPE_XDP_FIFO);
	__uint(max_entries, 256);
	__type(key, __u32);
	__type(value, struct bpf_xdp_queue_stats);
} edge_fifo SEC(".maps");

__s32 head_grow;
__s32 meta_len;
__u64 enqueue_runs;

SEC("xdp.frags")
int xdp_edge_enqueue(struct xdp_md *ctx)
{
	void *data_end = (void *)(long)ctx->data_end;
	struct ethhdr *eth = (void *)(long)ctx->data;

	/* Leave the stack's own frames, e.g. IPv6 neighbour discovery, alone. */
	if ((void *)(eth + 1) > data_end || !xdpq_is_test_frame(eth))
		return XDP_PASS;
	if (head_grow && bpf_xdp_adjust_head(ctx, -head_grow))
		return XDP_ABORTED;
	if (meta_len && bpf_xdp_adjust_meta(ctx, -meta_len))
		return XDP_ABORTED;
	__sync_fetch_and_add(&enqueue_runs, 1);
	return bpf_redirect_map(&edge_fifo, 0, 0);
}

__u32 target_ifindex;
__u64 sent, send_emsgsize, send_eopnotsupp, send_other;
bool bulk_send;
__u64 taken;		/* by xdp_packet_dequeue_send(), sent or dropped */

static int edge_send_one(__u64 i, void *ctx)
{
	struct xdp_frame *frame;
	__u64 rank;
	int err;

	frame = xdp_packet_dequeue(&edge_fifo, 0, &rank);
	if (!frame)
		return 1;
	err = xdp_packet_send(frame, target_ifindex, 0);
	/* Back in the queue until the target completes what it has. */
	if (err == -XDPQ_EBUSY)
		return 1;
	if (!err)
		sent++;
	else if (err == -90)		/* EMSGSIZE */
		send_emsgsize++;
	else if (err == -95)		/* EOPNOTSUPP */
		send_eopnotsupp++;
	else
		send_other++;
	return 0;
}

SEC("xdp")
int xdp_edge_send_all(struct xdp_md *ctx)
{
	__u64 bytes = ~0ULL;
	int n;

	if (bulk_send) {
		n = xdp_packet_dequeue_send(&edge_fifo, 0, target_ifindex, 1024, &bytes);
		if (n > 0)
			taken += n;
		else if (n && n != -XDPQ_EBUSY)
			send_other++;
		return XDP_DROP;
	}
	bpf_loop(1024, edge_send_one, NULL, 0);
	xdp_packet_flush();
	return XDP_DROP;
}

/* Frames that arrive at the target's peer, with their total length. */
__u64 rx_frames;
__u32 rx_min_len = ~0U, rx_max_len;

SEC("xdp.frags")
int xdp_edge_count_rx(struct xdp_md *ctx)
{
	void *data_end = (void *)(long)ctx->data_end;
	struct ethhdr *eth = (void *)(long)ctx->data;
	__u32 len = bpf_xdp_get_buff_len(ctx);

	if ((void *)(eth + 1) > data_end || !xdpq_is_test_frame(eth))
		return XDP_DROP;
	rx_frames++;
	if (len < rx_min_len)
		rx_min_len = len;
	if (len > rx_max_len)
		rx_max_len = len;
	return XDP_DROP;
}

/* bpf_redirect_map() errors into the queue, e.g. from generic XDP. */
__u64 redirect_errors;
int last_redirect_err;

SEC("tp_btf/xdp_redirect_err")
int BPF_PROG(edge_redirect_err, const struct net_device *dev,
	     const struct bpf_prog *xdp, const void *tgt, int err,
	     enum bpf_map_type map_type, __u32 map_id, __u32 index)
{
	if (map_type == BPF_MAP_TYPE_XDP_FIFO) {
		redirect_errors++;
		last_redirect_err = err;
	}
	return 0;
}

char _license[] SEC("license") = "GPL";
