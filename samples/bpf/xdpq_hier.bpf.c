// SPDX-License-Identifier: GPL-2.0
/* Per-VM shaping with fair queueing inside each VM, for a hypervisor that
 * forwards from an uplink to its VMs' taps.
 *
 * Every VM has its own target device, a rate and a burst (struct
 * hier_vm_cfg in vm_cfg, set by user space) and HIER_FLOWS sub-queues of
 * one FIFO map: sub-queue 0 for priority traffic (DSCP CS5 and above) and
 * the others for flows, by hash. The timer visits the VMs in turn. A VM
 * with tokens left sends its priority frames first, then its flows by
 * deficit round robin, as xdpq_drr.h does, until its tokens, the run's
 * budget or its frames run out. Tokens refill at the VM's rate up to its
 * burst: a token bucket. What the scheduler decides is how many bytes a
 * sub-queue may send, not which frame, so it sends with
 * xdp_packet_dequeue_send(), a sub-queue's share at a time, and never
 * holds a frame itself.
 *
 * Each VM may hold HIER_VM_FRAMES frames, its share of the map, so the
 * map itself never fills: a VM over its share has its own frames dropped
 * at enqueue, and counted, and no other VM's. Within the share, a flow
 * with frames queued may hold its part, the share divided among the VM's
 * flows that have frames queued: without it, the frame that takes a slot
 * the dequeue freed is whichever arrives next, and a flow whose frames
 * keep arriving just after the others' can be shut out (tail-drop
 * lock-out), however fair the dequeue. A VM whose target is at its
 * XDP TX limit is skipped, so a stalled VM holds up no other VM: its
 * frames wait in its sub-queues up to its share. Its target's
 * completion wakes the scheduler; frames for other VMs do too
 * (xdpq_wake_unblocked()), its own do not. A VM out of tokens asks for
 * the timer when it will have some again.
 */
#include "xdpq_sched.h"
#include "xdpq_sched_vm.h"

#define HIER_FLOWS	16		/* sub-queues per VM, 0 for priority */
#define HIER_QUEUES	(XDPQ_MAX_VMS * HIER_FLOWS)
#define HIER_FRAMES	16384
#define HIER_VM_FRAMES	(HIER_FRAMES / XDPQ_MAX_VMS)	/* a VM's share */
#define HIER_PRIO_FRAMES 64	/* of it, only for priority frames */
#define HIER_QUANTUM	1514
#define HIER_PRIO_DSCP	40		/* CS5 */

struct {
	__uint(type, BPF_MAP_TYPE_XDP_FIFO);
	__uint(max_entries, HIER_FRAMES);
	__uint(map_extra, HIER_QUEUES);
	__type(key, __u32);
	__type(value, struct bpf_xdp_queue_stats);
} hier_queue SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_ARRAY);
	__uint(max_entries, XDPQ_MAX_VMS);
	__type(key, __u32);
	__type(value, struct hier_vm_cfg);
} vm_cfg SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_ARRAY);
	__uint(max_entries, XDPQ_MAX_VMS);
	__type(key, __u32);
	__type(value, struct hier_vm_state);
} vm_state SEC(".maps");

__s64 flow_credit[HIER_QUEUES];
__s64 flow_queued[HIER_QUEUES];	/* frames in each flow sub-queue */
__u32 next_vm;			/* the VM to visit first */
__u64 not_a_vm;			/* frames passed to the stack */

struct hier_run {
	__u64 now;
	__u64 wait;		/* ns until a VM out of tokens has some */
	__u32 vm;		/* the VM being visited */
	/* Its settings and state, looked up once per visit, not per step */
	struct hier_vm_cfg *cfg;
	struct hier_vm_state *st;
	bool prio_empty;	/* its priority sub-queue found empty */
	int handled;		/* frames sent in this run */
	bool blocked;		/* the VM's target refused frames */
	bool any_blocked;	/* some VM's target was over its limit */
};

/* A frame entered flow sub-queue q of a VM, or left it: the VM counts
 * its flows with frames queued. Only the timer dequeues, so the count of
 * a sub-queue goes down on one CPU at a time.
 */
static __always_inline void hier_flow_queued(struct hier_vm_state *st, __u32 q)
{
	if (!__sync_fetch_and_add(&flow_queued[q % HIER_QUEUES], 1))
		__sync_fetch_and_add(&st->flows_queued, 1);
}

static __always_inline void hier_flow_dequeued(struct hier_vm_state *st, __u32 q, __s64 n)
{
	__s64 left = flow_queued[q % HIER_QUEUES];

	/* Frames the target's ring gave back at the flush come out of the
	 * queue twice and are counted down twice: never below 0, so the
	 * count is right again whenever the VM's queue drains.
	 */
	if (left <= 0)
		return;
	if (n > left)
		n = left;
	if (__sync_fetch_and_sub(&flow_queued[q % HIER_QUEUES], n) == n)
		__sync_fetch_and_sub(&st->flows_queued, 1);
}

/* Send frames from sub-queue q of a VM: no more than the run's budget
 * has left, and while they add up to less than bytes. Returns the bytes
 * sent; 0 if there were none, or if the target refused them, which ends
 * the VM's turn (run->blocked).
 */
static __always_inline __u64 hier_send(struct hier_run *run, const struct hier_vm_cfg *cfg,
				       struct hier_vm_state *st, __u32 q, __u64 bytes)
{
	__s64 queued = st->queued;
	int n;

	n = xdp_packet_dequeue_send(&hier_queue, q, cfg->ifindex, XDPQ_BUDGET - run->handled,
				    &bytes);
	if (n == -XDPQ_EBUSY) {
		/* Over its XDP TX limit: its completion starts the timer. */
		run->any_blocked = true;
		st->blocked++;
		st->backlogged = 1;
		st->waiting = 1;
	}
	if (n < 0)	/* or the target cannot send at all: the frames wait */
		run->blocked = true;
	if (n <= 0)
		return 0;
	st->waiting = 0;
	run->handled += n;
	if (queued > 0)		/* never below 0, see hier_flow_dequeued() */
		__sync_fetch_and_sub(&st->queued, n < queued ? n : queued);
	if (q % HIER_FLOWS)
		hier_flow_dequeued(st, q, n);
	if (cfg->rate)
		st->tokens -= bytes;
	st->sent_frames += n;
	st->sent_bytes += bytes;
	return bytes;
}

/* One step of a VM's turn: its priority frames, one flow's quantum, or on
 * to the next flow. Returns 1 to end the turn.
 */
static long hier_step(__u64 i, struct hier_run *run)
{
	__u32 vm = run->vm % XDPQ_MAX_VMS, f, q;
	struct hier_vm_state *st = run->st;
	struct hier_vm_cfg *cfg = run->cfg;
	__u64 budget = ~0ULL, sent;
	int next;

	if (!cfg || !st || run->handled >= XDPQ_BUDGET || run->blocked)
		return 1;
	if (cfg->rate) {
		if (st->tokens <= 0) {
			st->backlogged = 1;	/* as far as we know */
			return 1;
		}
		budget = st->tokens;
	}
	/* Once the turn found no priority frame, it looks again only when a
	 * flow sub-queue runs empty (below), not before every flow quantum.
	 */
	if (!run->prio_empty) {
		if (hier_send(run, cfg, st, vm * HIER_FLOWS, budget))
			return 0;
		if (run->blocked)
			return 1;
		run->prio_empty = true;
	}
	f = st->flow % HIER_FLOWS ?: 1;
	q = (vm * HIER_FLOWS + f) % HIER_QUEUES;
	if (flow_credit[q] <= 0) {
		flow_credit[q] += HIER_QUANTUM;
		if (flow_credit[q] <= 0) {
			st->flow = f + 1;	/* see drr_step() */
			return 0;
		}
	}
	if ((__u64)flow_credit[q] < budget)
		budget = flow_credit[q];
	sent = hier_send(run, cfg, st, q, budget);
	if (!sent) {
		if (run->blocked)
			return 1;
		/* Empty: on to the VM's next sub-queue with frames, if any;
		 * that may be its priority sub-queue.
		 */
		flow_credit[q] = 0;
		next = xdpq_next_subq_round(&hier_queue, vm * HIER_FLOWS,
					    (vm + 1) * HIER_FLOWS, q);
		if (next < 0) {
			st->backlogged = 0;
			return 1;
		}
		if (next == vm * HIER_FLOWS)
			run->prio_empty = false;
		else
			st->flow = next - vm * HIER_FLOWS;
		return 0;
	}
	flow_credit[q] -= sent;
	if (flow_credit[q] <= 0)
		st->flow = f + 1;
	return 0;
}

static __always_inline void hier_refill(const struct hier_vm_cfg *cfg,
					struct hier_vm_state *st, __u64 now)
{
	__u64 elapsed = now - st->refill_ns, added;

	if (elapsed >= XDPQ_NSEC_PER_SEC) {
		st->tokens = cfg->burst;
		st->refill_ns = now;
		return;
	}
	/* Whole bytes only; the time for the fraction counts next time. */
	added = elapsed * cfg->rate / XDPQ_NSEC_PER_SEC;
	st->tokens += added;
	st->refill_ns += added * XDPQ_NSEC_PER_SEC / cfg->rate;
	if (st->tokens > (__s64)cfg->burst) {
		st->tokens = cfg->burst;
		st->refill_ns = now;
	}
}

/* A VM's turn. Returns 1 to end the run. */
static long hier_visit(__u64 i, struct hier_run *run)
{
	__u32 vm = (next_vm + i) % XDPQ_MAX_VMS;
	struct hier_vm_state *st;
	struct hier_vm_cfg *cfg;
	__u64 wait;

	cfg = bpf_map_lookup_elem(&vm_cfg, &vm);
	st = bpf_map_lookup_elem(&vm_state, &vm);
	if (!cfg || !st || !cfg->ifindex)
		return 0;
	if (cfg->rate)
		hier_refill(cfg, st, run->now);
	run->vm = vm;
	run->cfg = cfg;
	run->st = st;
	run->prio_empty = false;
	run->blocked = false;
	bpf_loop(XDPQ_BUDGET + 2 * HIER_FLOWS, hier_step, run, 0);
	if (cfg->rate && st->tokens <= 0 && st->backlogged) {
		wait = (1 - st->tokens) * XDPQ_NSEC_PER_SEC / cfg->rate;
		if (wait < run->wait)
			run->wait = wait;
	}
	if (run->handled < XDPQ_BUDGET)
		return 0;
	next_vm = vm + 1;
	return 1;
}

static __s64 sched_dequeue(void)
{
	struct hier_run run = {
		.now = bpf_ktime_get_ns(),
		.wait = ~0ULL,
	};

	bpf_loop(XDPQ_MAX_VMS, hier_visit, &run, 0);
	if (run.handled)
		return xdpq_done(&hier_queue, run.handled);
	if (run.wait != ~0ULL)
		return run.wait;
	return run.any_blocked ? XDPQ_BLOCKED : XDPQ_IDLE;
}

SEC("xdp")
int xdpq_enqueue(struct xdp_md *ctx)
{
	struct hier_vm_state *st;
	struct hier_vm_cfg *cfg;
	struct xdpq_pkt pkt;
	__u32 vm, q, limit;

	xdpq_parse(ctx, &pkt);
	vm = xdpq_vm(&pkt);
	cfg = bpf_map_lookup_elem(&vm_cfg, &vm);
	st = bpf_map_lookup_elem(&vm_state, &vm);
	if (!cfg || !st || !cfg->ifindex) {
		not_a_vm++;
		return XDP_PASS;
	}
	/* Frames in flight to the map (an enqueue bulk not yet flushed) count
	 * too, so the shares always fit in the map. The last frames of a
	 * VM's share are kept for priority frames, so that a backlog of bulk
	 * frames does not shut them out.
	 */
	q = vm * HIER_FLOWS;
	limit = HIER_VM_FRAMES;
	if (pkt.dscp < HIER_PRIO_DSCP) {
		q += 1 + pkt.flow % (HIER_FLOWS - 1);
		limit -= HIER_PRIO_FRAMES;
		if (flow_queued[q % HIER_QUEUES] > 0 &&
		    flow_queued[q % HIER_QUEUES] >= limit / (st->flows_queued ?: 1))
			goto drop;
	}
	if (st->queued >= limit)
		goto drop;
	__sync_fetch_and_add(&st->queued, 1);
	if (q % HIER_FLOWS)
		hier_flow_queued(st, q);
	/* A VM waiting for room at its target is woken by its completion. */
	if (st->waiting)
		xdpq_wake(0, 0);
	else
		xdpq_wake_unblocked(0, 0);
	return bpf_redirect_map(&hier_queue, q, 0);
drop:
	__sync_fetch_and_add(&st->dropped, 1);
	return XDP_DROP;
}
