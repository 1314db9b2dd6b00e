// SPDX-License-Identifier: GPL-2.0
/* Per-VM rate limits by earliest departure time (EDT), over an rbtree map.
 *
 * Each VM has a rate and a burst, as a token bucket would. xdpq_enqueue
 * gives a frame the time it may leave: the VM's next departure time, but
 * no earlier than now minus the burst (the credit an idle VM saved, at
 * most burst bytes), and moves the VM's next departure time on by the
 * frame's transmission time at the VM's rate. The frame is queued with
 * its departure time as its rank; the rbtree map keeps exact order for
 * such unbounded u64 ranks.
 *
 * The timer sends what is due (xdp_packet_dequeue() with
 * BPF_XDP_DEQUEUE_RANK_LE and now as the bound) and then sleeps until the
 * head frame is due: it fires once per frame at most, not on a tick.
 *
 * The VM is looked up by destination MAC (xdpq_vm()); user space sets
 * its rate and burst in vms. A VM without a rate is not limited.
 */
#include "xdpq_sched.h"
#include "xdpq_sched_vm.h"

#define QUEUE_FRAMES	16384

struct {
	__uint(type, BPF_MAP_TYPE_XDP_RBTREE);
	__uint(max_entries, QUEUE_FRAMES);
	__type(key, __u32);
	__type(value, struct bpf_xdp_queue_stats);
} edt_queue SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_ARRAY);
	__uint(max_entries, XDPQ_MAX_VMS);
	__type(key, __u32);
	__type(value, struct edt_vm);
} vms SEC(".maps");

static __s64 sched_dequeue(void)
{
	__u64 now = bpf_ktime_get_ns(), due;
	struct xdp_frame *frame;
	int i;

	for (i = 0; i < XDPQ_BUDGET; i++) {
		due = now;
		frame = xdp_packet_dequeue(&edt_queue, XDPQ_DEQUEUE_RANK_LE, &due);
		if (!frame)
			break;
		if (xdp_packet_send(frame, target_ifindex, 0) == -XDPQ_EBUSY)
			return XDPQ_BLOCKED;
	}
	if (i == XDPQ_BUDGET)
		return xdpq_done(&edt_queue, i);
	if (xdp_packet_peek_rank(&edt_queue, 0, &due))
		return xdpq_done(&edt_queue, i);
	return due > now ? due - now : 0;
}

SEC("xdp")
int xdpq_enqueue(struct xdp_md *ctx)
{
	__u64 now = bpf_ktime_get_ns(), depart = now, earliest, rate;
	struct xdpq_pkt pkt;
	struct edt_vm *vm;
	__u32 key;

	xdpq_parse(ctx, &pkt);
	key = xdpq_vm(&pkt);
	vm = bpf_map_lookup_elem(&vms, &key);
	if (!vm)
		return XDP_ABORTED;
	rate = vm->rate;
	if (rate) {
		earliest = now - vm->burst * XDPQ_NSEC_PER_SEC / rate;
		bpf_spin_lock(&vm->lock);
		depart = vm->next_ns > earliest ? vm->next_ns : earliest;
		vm->next_ns = depart + pkt.len * XDPQ_NSEC_PER_SEC / rate;
		bpf_spin_unlock(&vm->lock);
		if (depart < now)
			depart = now;
	}
	xdpq_wake(depart, now);
	return bpf_redirect_map(&edt_queue, depart, 0);
}
