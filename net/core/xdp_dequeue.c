// SPDX-License-Identifier: GPL-2.0-only
/* kfuncs that take frames out of XDP queue maps and send or drop them
 *
 * These kfuncs are for XDP programs, and so for the bpf_timer callbacks of
 * XDP programs too, which run in a bpf_net_context (see bpf_timer_cb()).
 *
 * Ownership. xdp_packet_dequeue() hands the program a frame as an acquired
 * reference; the verifier makes the program pass it to exactly one of the
 * releasing kfuncs, xdp_packet_send() or xdp_packet_drop(), before it
 * returns. Both consume the frame whatever the outcome.
 * xdp_packet_dequeue_send() takes and sends frames without handing them
 * to the program, for schedulers that decide how much a sub-queue may
 * send rather than which frame. The verifier also checks that the map
 * given to the kfuncs that take one is an XDP queue map, and refuses
 * xdp_packet_dequeue() and xdp_packet_dequeue_send() in sleepable
 * callbacks (bpf_wq), which have no bpf_net_context to send from.
 *
 * Sending. The ifindex is resolved in the network namespace the queue map
 * was created in, reached through the frame's struct xdpq_node, and the
 * frame joins a per-CPU bulk for its device, handed to ndo_xdp_xmit() by
 * xdp_do_flush() in the same RCU section: timer callbacks are flushed when
 * they return, NAPI at the end of its poll; elsewhere a send flushes at
 * once (see xdp_caller_flushes()); xdp_packet_flush() flushes explicitly.
 * A device over its XDP TX limit refuses the send, and a full ring gives
 * the refused frames back to their queues (include/net/xdp_tx_limit.h).
 *
 * Recycling. Queued frames may come from any device's page_pool, so
 * direct (NAPI-local) recycling is turned off for the current context
 * before frames are handed to a device.
 *
 * Wakeups. A scheduler never needs to poll: a timer callback that finds
 * a queue map empty is started again by the map when frames arrive, and
 * one refused by a device over its XDP TX limit by the completion that
 * frees room. Both keep a list of such waiting timers, managed by
 * xdp_timer_waiter_add() and xdp_timer_waiters_wake() below. A waiter
 * holds a reference on the ARRAY map whose element holds the timer (the
 * element's memory lives as long as the map), so a wakeup always finds
 * the timer's struct bpf_async_kern; a timer cancelled or freed meanwhile
 * is not started, bpf_timer_kick() sees that it is gone. A timer the
 * scheduler pinned to its CPU (BPF_F_TIMER_CPU_PIN) starts there again:
 * a wakeup from another CPU is passed to it in an irq_work. Any other
 * starts where the wakeup happens, as bpf_timer_start() from there would.
 */
#include <linux/bpf.h>
#include <linux/btf.h>
#include <linux/btf_ids.h>
#include <linux/filter.h>
#include <linux/if_vlan.h>
#include <linux/irq_work.h>
#include <linux/netdevice.h>
#include <linux/slab.h>
#include <net/net_namespace.h>
#include <net/xdp.h>
#include <net/xdp_queue.h>
#include <net/xdp_tx_limit.h>

#define XDP_PACKET_DEQUEUE_FLAGS \
	(BPF_XDP_DEQUEUE_SUBQ_MASK | BPF_XDP_DEQUEUE_RANK_LE)

struct xdp_timer_waiter {
	struct list_head node;
	struct irq_work work;		/* a wakeup from another CPU */
	struct rcu_head rcu;		/* freed after its own irq_work */
	struct bpf_map *map;		/* the ARRAY map holding the timer */
	void *value;			/* the map element holding the timer */
	int cpu;			/* where the callback began to wait */
};

/* A scheduler that keeps up with its traffic waits for frames once per
 * timer run: one free waiter per CPU saves a kmalloc() and a kfree() each
 * time. Taken and given back with single this_cpu operations, which are
 * safe against the interrupts that also free waiters. A spare lives as
 * long as the kernel; a waiter started from its irq_work is not made one
 * (see xdp_timer_waiter_work()).
 */
static DEFINE_PER_CPU(struct xdp_timer_waiter *, xdp_timer_waiter_spare);

static struct xdp_timer_waiter *xdp_timer_waiter_alloc(void)
{
	struct xdp_timer_waiter *w;

	w = this_cpu_xchg(xdp_timer_waiter_spare, NULL);
	return w ?: kmalloc(sizeof(*w), GFP_ATOMIC);
}

/* Keep w as this CPU's spare, or free it if there is one. */
static void xdp_timer_waiter_free(struct xdp_timer_waiter *w)
{
	if (this_cpu_cmpxchg(xdp_timer_waiter_spare, NULL, w))
		kfree(w);
}

/* Start w's timer here, and drop w's map reference. */
static void xdp_timer_waiter_kick(struct xdp_timer_waiter *w)
{
	bpf_timer_kick(w->map, w->value, 0);
	bpf_map_put(w->map);
}

static void xdp_timer_waiter_start(struct xdp_timer_waiter *w)
{
	xdp_timer_waiter_kick(w);
	xdp_timer_waiter_free(w);
}

/* irq_work_single() still clears the BUSY bit of w->work after this
 * returns: w is freed after a grace period, which cannot end before
 * that, as irq_works run with interrupts disabled.
 */
static void xdp_timer_waiter_work(struct irq_work *work)
{
	struct xdp_timer_waiter *w;

	w = container_of(work, struct xdp_timer_waiter, work);
	xdp_timer_waiter_kick(w);
	kfree_rcu(w, rcu);
}

/**
 * xdp_timer_waiter_add() - Start a scheduler's timer at a later event
 * @waiters: The event's list of waiters; its owner's lock is held.
 * @timer_map: The map holding the bpf_timer whose callback runs, or NULL.
 * @timer_value: The element of @timer_map holding that timer.
 *
 * Only timers in ARRAY maps can wait: their elements do not move or go
 * away while the map lives. A timer already on the list is not added
 * twice. Without memory for the waiter, the timer is not added and this
 * event does not wake it. Called from the timer's callback, on the CPU
 * a pinned timer starts on again.
 */
void xdp_timer_waiter_add(struct list_head *waiters,
			  struct bpf_map *timer_map, void *timer_value)
{
	struct xdp_timer_waiter *w;

	if (!timer_map || timer_map->map_type != BPF_MAP_TYPE_ARRAY)
		return;
	list_for_each_entry(w, waiters, node)
		if (w->value == timer_value)
			return;
	w = xdp_timer_waiter_alloc();
	if (!w)
		return;
	/* The callback may run after the map's last reference is gone: the
	 * free of an inner map deleted from its outer map cancels its timers
	 * while a callback runs, and waits for it to end (or, on PREEMPT_RT,
	 * leaves that to a worker). There is then no timer to start again,
	 * and no reference to take. Not bpf_map_inc_not_zero(), whose
	 * map_idr_lock, for lookups by id, is taken with spin_lock_bh():
	 * the caller's lock may have interrupts off.
	 */
	if (IS_ERR(__bpf_map_inc_not_zero(timer_map, false))) {
		xdp_timer_waiter_free(w);
		return;
	}
	init_irq_work(&w->work, xdp_timer_waiter_work);
	w->map = timer_map;
	w->value = timer_value;
	w->cpu = smp_processor_id();
	list_add_tail(&w->node, waiters);
}

/**
 * __xdp_timer_waiters_wake() - Start the timers of a list of waiters
 * @waiters: Waiters taken off their event's list, under no lock.
 *
 * Each timer is started at once, as the program's last bpf_timer_start()
 * of it would with no delay, and the waiters are freed. A timer pinned to
 * another CPU is started there, from an irq_work, unless the CPU went
 * offline: it then starts here. With preemption disabled, a CPU found
 * online cannot go through its dying stage, which runs the irq_works
 * queued to it, before the work is queued.
 */
void __xdp_timer_waiters_wake(struct list_head *waiters)
{
	struct xdp_timer_waiter *w, *tmp;
	int cpu = get_cpu();

	list_for_each_entry_safe(w, tmp, waiters, node) {
		if (w->cpu == cpu || !cpu_online(w->cpu) ||
		    !bpf_timer_pinned(w->map, w->value))
			xdp_timer_waiter_start(w);
		else
			irq_work_queue_on(&w->work, w->cpu);
	}
	put_cpu();
}

/* Frames sent and not yet handed to their device: one bulk per CPU, for
 * one device at a time (a scheduler usually feeds one target per run).
 * Only BH-disabled contexts use it, so a CPU's bulk has one user at a time.
 * Its frames count against the device's XDP TX limit from the moment they
 * join it, so the bulk can be larger than a devmap's without letting a
 * device go further over its limit. A device with a limit takes it in
 * one ndo_xdp_xmit() call (xdp_tx_limit_enable() asks that of its
 * driver); any other in calls of DEV_MAP_BULK_SIZE frames at most, as
 * from a devmap: drivers size their per-call state by it.
 */
#define XDP_PACKET_BULK_SIZE 64
/* A ring full of other traffic gives no XDP completion to wait for. */
#define XDP_PACKET_RETRY_NS (100 * NSEC_PER_USEC)

struct xdp_packet_bulk {
	struct net_device *dev;
	struct bpf_map *timer_map;	/* the sender's timer, to wake */
	void *timer_value;
	unsigned int count;
	unsigned int bytes;		/* the frames' lengths, summed */
	unsigned int nr_runs;
	struct xdp_frame *q[XDP_PACKET_BULK_SIZE];
	/* The frames' maps, for the counters: a frame the device took may be
	 * gone at once. A bulk's frames come from a map or two, so a map is
	 * noted once for each run of its frames.
	 */
	struct {
		struct xdpq_map *map;
		unsigned int end;	/* q[] index after the run's last frame */
	} runs[XDP_PACKET_BULK_SIZE];
};

static DEFINE_PER_CPU(struct xdp_packet_bulk, xdp_packet_bulk);

/* Drop bq->q[i], which the device can never take (xdp_tx_frame_unfit()),
 * as send_failed: given back, it would come back to the head of its queue
 * at every retry and stop it for good. The frames behind it move up, to
 * be sent in the same flush.
 */
static noinline void xdp_packet_bulk_remove(struct xdp_packet_bulk *bq,
					    unsigned int i)
{
	struct xdp_frame *frame = bq->q[i];
	int r;

	xdpq_count(xdpq_frame_map(frame), send_failed);
	bq->bytes -= frame->len;
	xdp_return_frame(frame);
	memmove(&bq->q[i], &bq->q[i + 1], (bq->count - i - 1) * sizeof(*bq->q));
	bq->count--;
	for (r = bq->nr_runs - 1; r >= 0 && bq->runs[r].end > i; r--)
		bq->runs[r].end--;
}

/* Hand the bulk to its device. Frames its ring refused go back to the
 * head of their queues, in order, and the sender's timer is woken by the
 * device's next completion; a device without an XDP TX limit would give
 * no such completion, and its refused frames are dropped, as a devmap
 * does. A frame the driver can never take is dropped on any device, and
 * the frames behind it go on. Runs in the RCU section that looked the
 * device up, so the device and the frames' maps are alive. Returns how
 * many frames went back, and adds their bytes to *back_bytes if it is not
 * NULL.
 */
static int xdp_packet_bulk_xmit(struct xdp_packet_bulk *bq,
				unsigned int *back_bytes)
{
	struct net_device *dev = bq->dev;
	int ret = 0, sent, i, start, err = -ENOSPC;
	int call_max;
	bool requeue;

	xdp_clear_send_pending();
	if (!bq->count)
		return 0;
	call_max = xdp_tx_limit(dev) ? XDP_PACKET_BULK_SIZE : DEV_MAP_BULK_SIZE;
	/* Each call flushes: a call the ring cuts short ends the bulk. */
	for (sent = 0; sent < bq->count; sent += ret) {
		int n = min_t(int, bq->count - sent, call_max);

		__this_cpu_write(xdp_tx_frame_was_unfit, false);
		ret = dev->netdev_ops->ndo_xdp_xmit(dev, n, bq->q + sent,
						    XDP_XMIT_FLUSH);
		if (likely(ret >= n))
			continue;
		if (ret < 0 || !__this_cpu_read(xdp_tx_frame_was_unfit)) {
			sent += max(ret, 0);
			break;
		}
		xdp_packet_bulk_remove(bq, sent + ret);
	}
	for (i = 0, start = 0; start < sent; start = bq->runs[i++].end)
		xdpq_add(bq->runs[i].map, sent,
			 min_t(int, bq->runs[i].end, sent) - start);
	bq->nr_runs = 0;

	/* ret < 0: the device failed a call's frames (e.g. it is down) */
	if (ret >= 0 && sent < bq->count)
		err = xdp_tx_limit_wait(dev, bq->timer_map, bq->timer_value);
	requeue = !err || err == -EAGAIN;
	if (err == -EAGAIN && bq->timer_map)
		bpf_timer_kick(bq->timer_map, bq->timer_value, XDP_PACKET_RETRY_NS);
	for (i = bq->count - 1; i >= sent; i--) {
		if (requeue) {
			if (back_bytes)
				*back_bytes += bq->q[i]->len;
			xdpq_map_requeue(bq->q[i]);
		} else {
			xdpq_count(xdpq_frame_map(bq->q[i]), send_failed);
			xdp_return_frame(bq->q[i]);
		}
	}
	ret = requeue ? bq->count - sent : 0;
	bq->count = 0;
	bq->bytes = 0;
	bq->dev = NULL;
	return ret;
}

void xdp_packet_flush_bulk(void)
{
	xdp_packet_bulk_xmit(this_cpu_ptr(&xdp_packet_bulk), NULL);
}

/* The device ifindex names in q's namespace, under RCU. */
static struct net_device *xdp_packet_target(struct xdpq_map *q, u32 ifindex,
					    int *err)
{
	struct net_device *dev;

	if (unlikely(!check_net(q->net))) {
		*err = -ENETUNREACH;
		return NULL;
	}
	dev = dev_get_by_index_rcu(q->net, ifindex);
	if (unlikely(!dev))
		*err = -ENODEV;
	return dev;
}

/* The device ifindex names in q's namespace, if it can send XDP frames.
 * A scheduler sends a run's frames to one device, so the bulk's device,
 * found and checked for the previous frame, is usually the one: it stays
 * alive until the bulk is flushed, in this RCU section.
 */
static struct net_device *xdp_packet_xmit_target(struct xdp_packet_bulk *bq,
						 struct xdpq_map *q,
						 u32 ifindex, int *err)
{
	struct net_device *dev = bq->dev;

	if (dev && dev->ifindex == ifindex && net_eq(dev_net(dev), q->net))
		return dev;
	dev = xdp_packet_target(q, ifindex, err);
	if (likely(dev) && unlikely(!dev->netdev_ops->ndo_xdp_xmit)) {
		*err = -EOPNOTSUPP;
		return NULL;
	}
	return dev;
}

/* A sender's device, found by xdp_packet_xmit_target() in the current
 * RCU section, and the timer whose callback sends, if any.
 */
struct xdp_packet_sender {
	struct net_device *dev;
	struct xdp_tx_limit *txl;	/* the device's, if it has one */
	struct bpf_map *timer_map;
	void *timer_value;
	int max_len;		/* longest linear frame it takes, -1 if down */
};

/* Look the device up and get the context ready for sending to it. */
static int xdp_packet_sender_init(struct xdp_packet_sender *s,
				  struct xdp_packet_bulk *bq,
				  struct xdpq_map *q, u32 ifindex)
{
	int err = 0;

	s->dev = xdp_packet_xmit_target(bq, q, ifindex, &err);
	if (unlikely(!s->dev))
		return err;
	s->txl = xdp_tx_limit(s->dev);
	s->timer_map = xdp_get_timer_cb(&s->timer_value);
	/* What xdp_ok_fwd_dev() checks of the device, once per call */
	s->max_len = s->dev->flags & IFF_UP ?
		     s->dev->mtu + s->dev->hard_header_len + VLAN_HLEN : -1;
	/* Queued frames may come from any device's page_pool. */
	xdp_set_return_frame_no_direct();
	return 0;
}

/* The usual frame, linear and within the MTU of a device that is up,
 * passes the checks below with one compare with what the sender read of
 * the device.
 */
static bool xdp_packet_usual_frame(const struct xdp_packet_sender *s,
				   const struct xdp_frame *frame)
{
	return (int)frame->len <= s->max_len && !xdp_frame_has_frags(frame);
}

/* Whether a bulk dequeue took only usual frames, from what it summed. */
static bool xdp_packet_usual_bulk(const struct xdp_packet_sender *s,
				  const struct xdpq_bulk_sum *sum)
{
	return (int)sum->max_len <= s->max_len &&
	       !(sum->flags & XDP_FLAGS_HAS_FRAGS);
}

/* Whether the sender's device can take the frame: the checks a devmap
 * makes before it queues a frame for a device.
 */
static int xdp_packet_check_frame(const struct xdp_packet_sender *s,
				  struct xdp_frame *frame)
{
	if (unlikely(xdp_frame_has_frags(frame) &&
		     !(s->dev->xdp_features & NETDEV_XDP_ACT_NDO_XMIT_SG)))
		return -EOPNOTSUPP;
	return xdp_ok_fwd_dev(s->dev, xdp_get_frame_len(frame));
}

/* Bytes of XDP frames a device with an XDP TX limit takes beyond those
 * it holds and those staged for it in bq: as BQL counts, it takes a frame
 * while this is not negative, so the last one may take it past its limit.
 */
static s64 xdp_packet_room(const struct xdp_tx_limit *txl,
			   const struct xdp_packet_bulk *bq,
			   const struct net_device *dev)
{
	return (s64)dql_avail(&txl->dql) - (bq->dev == dev ? bq->bytes : 0);
}

/* Get the bulk ready to take frames for the sender's device: flush it if
 * it holds another device's frames. A device over its XDP TX limit takes
 * no more frames (-EBUSY), and the sender's timer, if any, is woken by
 * the completion that brings it back. Frames staged for the device count
 * against its room (xdp_packet_bulk_appended() flushes the bulk once they
 * fill it), so the device is over its limit by the frames it holds.
 */
static int xdp_packet_bulk_prepare(struct xdp_packet_bulk *bq,
				   const struct xdp_packet_sender *s)
{
	if (bq->count && bq->dev != s->dev)
		xdp_packet_bulk_xmit(bq, NULL);
	return xdp_tx_limit_reserve(s->dev, s->timer_map, s->timer_value);
}

/* The byte count up to which a bulk dequeue may take frames, from bytes
 * taken so far: the budget, or where the device's room ends if sooner.
 * Taking frames while the count is below it takes them while the room,
 * checked before each frame, is not negative. A room other CPUs used up
 * since the device was checked still lets one frame go.
 */
static u64 xdp_packet_bulk_max_bytes(const struct xdp_packet_bulk *bq,
				     const struct xdp_packet_sender *s,
				     u64 budget, u64 bytes)
{
	s64 room;

	if (!s->txl)
		return budget;
	room = max(xdp_packet_room(s->txl, bq, s->dev), 0);
	return (u64)room < budget - bytes ? bytes + room + 1 : budget;
}

/* The bulk holds frames for the sender's device: flush to it, and wake
 * the sender's timer if its ring is full.
 */
static void xdp_packet_bulk_set_sender(struct xdp_packet_bulk *bq,
				       const struct xdp_packet_sender *s)
{
	bq->dev = s->dev;
	bq->timer_map = s->timer_map;
	bq->timer_value = s->timer_value;
}

/* Frames of q, of bytes in all, were put on the bulk for the sender's
 * device from bq->q[bq->count] to bq->q[end]: take them into the bulk.
 */
static void xdp_packet_bulk_add(struct xdp_packet_bulk *bq,
				const struct xdp_packet_sender *s,
				struct xdpq_map *q, unsigned int end,
				unsigned int bytes)
{
	unsigned int last = bq->nr_runs - 1;

	if (bq->nr_runs && bq->runs[last].map == q) {
		bq->runs[last].end = end;
	} else {
		bq->runs[bq->nr_runs].map = q;
		bq->runs[bq->nr_runs++].end = end;
	}
	bq->count = end;
	bq->bytes += bytes;
	xdp_packet_bulk_set_sender(bq, s);
}

/* The frames of q at bq->q[from] to bq->q[end], some not usual frames:
 * drop those the device cannot take, as send_failed, and move the others
 * down over them. Returns the new end; *bytes loses the dropped frames'
 * lengths.
 */
static noinline unsigned int
xdp_packet_bulk_drop_unfit(struct xdp_packet_bulk *bq,
			   const struct xdp_packet_sender *s,
			   struct xdpq_map *q, unsigned int from,
			   unsigned int end, unsigned int *bytes)
{
	unsigned int i, to = from;

	for (i = from; i < end; i++) {
		struct xdp_frame *frame = bq->q[i];

		if (!xdp_packet_usual_frame(s, frame) &&
		    xdp_packet_check_frame(s, frame)) {
			*bytes -= frame->len;
			xdp_return_frame(frame);
			xdpq_count(q, send_failed);
			continue;
		}
		bq->q[to++] = frame;
	}
	return to;
}

/* n frames of q, of bytes in all, were put on the bulk, from
 * bq->q[bq->count] on, after xdp_packet_bulk_prepare(), by a bulk dequeue
 * that summed them up in *sum: keep those the device can take, drop the
 * others as send_failed.
 */
static void xdp_packet_bulk_append(struct xdp_packet_bulk *bq,
				   const struct xdp_packet_sender *s,
				   struct xdpq_map *q, unsigned int n,
				   const struct xdpq_bulk_sum *sum,
				   unsigned int bytes)
{
	unsigned int end = bq->count + n;

	if (unlikely(!xdp_packet_usual_bulk(s, sum)))
		end = xdp_packet_bulk_drop_unfit(bq, s, q, bq->count, end,
						 &bytes);
	if (end > bq->count)
		xdp_packet_bulk_add(bq, s, q, end, bytes);
}

/* Frames were appended to the bulk. A full bulk, or one whose frames fill
 * the device's room, goes to the device at once, so that its XDP TX limit
 * counts them; any other is flushed with the caller's context, or at once
 * where nothing flushes (see xdp_caller_flushes()). Returns how many
 * frames the device's ring gave back (a tail of the bulk), as
 * xdp_packet_bulk_xmit() does.
 */
static int xdp_packet_bulk_appended(struct xdp_packet_bulk *bq,
				    const struct xdp_packet_sender *s,
				    unsigned int *back_bytes)
{
	if (bq->count == XDP_PACKET_BULK_SIZE ||
	    (s->txl && xdp_packet_room(s->txl, bq, s->dev) < 0))
		return xdp_packet_bulk_xmit(bq, back_bytes);
	xdp_set_send_pending();
	if (!xdp_caller_flushes())
		return xdp_packet_bulk_xmit(bq, back_bytes);
	return 0;
}

/* Put frame on the bulk for ifindex. A frame that fills the bulk, or the
 * device's room, goes out with it, so that if the device's ring gives
 * frames back, it goes back to its queue behind the frames taken before
 * it: then, as when the device is over its XDP TX limit, it returns
 * -EBUSY with the frame back in its queue. Any other error leaves the
 * frame to the caller.
 */
static int xdp_packet_xmit(struct xdpq_map *q, struct xdp_frame *frame,
			   u32 ifindex)
{
	struct xdp_packet_bulk *bq = this_cpu_ptr(&xdp_packet_bulk);
	struct xdp_packet_sender s;
	int err;

	rcu_read_lock();
	err = xdp_packet_sender_init(&s, bq, q, ifindex);
	if (likely(!err) && unlikely(!xdp_packet_usual_frame(&s, frame)))
		err = xdp_packet_check_frame(&s, frame);
	if (likely(!err)) {
		err = xdp_packet_bulk_prepare(bq, &s);
		if (err == -EBUSY)
			xdpq_map_requeue(frame);
	}
	if (likely(!err)) {
		bq->q[bq->count] = frame;
		xdp_packet_bulk_add(bq, &s, q, bq->count + 1, frame->len);
		/* Frames given back are a tail of the bulk: frame among them */
		if (xdp_packet_bulk_appended(bq, &s, NULL))
			err = -EBUSY;
	}
	rcu_read_unlock();
	return err;
}

__bpf_kfunc_start_defs();

/**
 * xdp_packet_dequeue() - Take the head frame of an XDP queue map sub-queue
 * @map__map: An XDP queue map: BPF_MAP_TYPE_XDP_FIFO, _PIFO or _RBTREE.
 * @flags: The sub-queue index in the low 32 bits (BPF_XDP_DEQUEUE_SUBQ_MASK),
 *	0 for the rank ordered maps;
 *	BPF_XDP_DEQUEUE_RANK_LE to only dequeue if the head's rank is not
 *	larger than *@rank.
 * @rank: Set to the rank of the returned frame; 0 for FIFO maps, for PIFO
 *	maps the rank after clamping to the window. Read as the rank limit
 *	with BPF_XDP_DEQUEUE_RANK_LE.
 *
 * The returned frame must be passed to xdp_packet_send() or
 * xdp_packet_drop(). Its fields, e.g. len, can be read directly.
 *
 * Called from a bpf_timer callback (the timer in an ARRAY map) on a map
 * that holds no frame, it makes the map start that timer when frames
 * next arrive: a scheduler whose queues are empty just returns.
 *
 * Return: The frame, or NULL if the sub-queue is empty or out of range,
 * the head's rank is above the limit, or @flags has unknown bits.
 */
__bpf_kfunc struct xdp_frame *xdp_packet_dequeue(void *map__map, u64 flags,
						 u64 *rank)
{
	struct bpf_map *map = map__map;

	if (unlikely(flags & ~XDP_PACKET_DEQUEUE_FLAGS))
		return NULL;

	return xdpq_map_dequeue(map, flags & BPF_XDP_DEQUEUE_SUBQ_MASK, flags,
				rank);
}

/**
 * xdp_packet_peek_rank() - Read the rank of the head of an XDP queue map
 * @map__map: An XDP queue map, e.g. BPF_MAP_TYPE_XDP_PIFO.
 * @flags: The sub-queue index in the low 32 bits (BPF_XDP_DEQUEUE_SUBQ_MASK);
 *	0 for the rank ordered maps.
 * @rank: Set to the rank of the frame xdp_packet_dequeue() would return
 *	now; 0 for FIFO maps.
 *
 * Nothing is dequeued; another program may take the head before this one
 * dequeues. Use BPF_XDP_DEQUEUE_RANK_LE for a conditional dequeue. On an
 * empty map, called from a bpf_timer callback, it starts the timer when
 * frames arrive, as xdp_packet_dequeue() does.
 *
 * Return: 0 on success, -ENOENT if the sub-queue is empty or out of range,
 * -EINVAL if @flags has unknown bits.
 */
__bpf_kfunc int xdp_packet_peek_rank(void *map__map, u64 flags, u64 *rank)
{
	struct bpf_map *map = map__map;

	if (unlikely(flags & ~BPF_XDP_DEQUEUE_SUBQ_MASK))
		return -EINVAL;

	return xdpq_map_peek_rank(map, flags & BPF_XDP_DEQUEUE_SUBQ_MASK, rank);
}

/**
 * xdp_packet_next_subq() - Find the next sub-queue that holds frames
 * @map__map: An XDP queue map, e.g. BPF_MAP_TYPE_XDP_FIFO.
 * @from: The first sub-queue to look at.
 * @to: The sub-queue after the last one to look at; larger than the map's
 *	number of sub-queues means up to its last one.
 *
 * A scheduler that serves sub-queues in turn (deficit round robin, one
 * sub-queue per flow) finds the next one with frames in one call instead
 * of trying to dequeue from each empty one. The answer is a snapshot: a
 * frame that another CPU queues meanwhile may be missed until the next
 * call, and where several programs dequeue from the map, another one may
 * empty the sub-queue found before this one dequeues. Finding the whole
 * map empty in a bpf_timer callback starts the timer when frames arrive,
 * as xdp_packet_dequeue() does. The map keeps a bitmap of its sub-queues
 * with frames: the cost is a word for every 64 sub-queues in the range.
 *
 * Return: The index of the first sub-queue in [@from, @to) that holds
 * frames, -ENOENT if there is none.
 */
__bpf_kfunc int xdp_packet_next_subq(void *map__map, u32 from, u32 to)
{
	return xdpq_map_next_subq(map__map, from, to);
}

/**
 * xdp_packet_nr_queued() - Count the frames a sub-queue or a map holds
 * @map__map: An XDP queue map, e.g. BPF_MAP_TYPE_XDP_FIFO.
 * @flags: The sub-queue index in the low 32 bits (BPF_XDP_DEQUEUE_SUBQ_MASK),
 *	0 for the rank ordered maps, or BPF_XDP_QUEUE_TOTAL for the map.
 *
 * A scheduler that sizes a run by the backlog, or drops by queue length,
 * reads it here instead of counting the frames it queued, which it cannot
 * do exactly: the map drops what it has no room for after the program
 * returned. The count is read without the map lock, so frames other CPUs
 * queue or take meanwhile may or may not be in it, and frames a CPU has
 * staged until its next xdp_do_flush() are not. Unlike a dequeue, finding
 * the map empty does not make it start the caller's timer.
 *
 * Return: The number of frames; -ERANGE for a sub-queue out of range,
 * -EINVAL if @flags has unknown bits.
 */
__bpf_kfunc s64 xdp_packet_nr_queued(void *map__map, u64 flags)
{
	if (unlikely(flags & ~BPF_XDP_DEQUEUE_SUBQ_MASK))
		return -EINVAL;

	return xdpq_map_nr_queued(map__map, flags);
}

/**
 * xdp_packet_send() - Transmit a dequeued frame on a device
 * @frame: A frame returned by xdp_packet_dequeue().
 * @ifindex: The device, in the network namespace the queue map was created
 *	in. It must support XDP frame transmission (ndo_xdp_xmit).
 * @flags: Must be 0.
 *
 * The frame is put on the device's bulk queue, which is flushed when the
 * timer callback returns, by xdp_packet_flush(), at once outside of a
 * timer callback, or with this frame when it fills the bulk or the room
 * the device's XDP TX limit leaves. The frame is consumed in
 * all cases: sent, freed, or, if the device is over its XDP TX limit or
 * its ring gave back frames of the bulk flushed with this one, given back
 * to the head of the queue it came from, behind the frames sent before it.
 *
 * Return: 0 once the frame is on the bulk. A flush, later or within this
 * call, may still see the driver refuse it: a device without an XDP TX
 * limit then drops it, counted as send_failed, as a devmap would, and so
 * does any device whose ndo_xdp_xmit() fails the call with an error, or
 * that can never take the frame (too long for a veth's peer).
 * -EBUSY if the device is over its XDP TX limit or its ring is full: the
 * frame is back in its queue (dropped as send_failed in the rare case the
 * queue has no memory to take it back), and the timer whose callback
 * called this is started again once the device has room;
 * otherwise a negative errno and the frame was freed: -EINVAL for unknown
 * @flags, -ENODEV if @ifindex was not found, -ENETUNREACH if the namespace
 * is gone, or the errors of the device's readiness checks (e.g.
 * -ENETDOWN, -EMSGSIZE, -EOPNOTSUPP).
 */
__bpf_kfunc int xdp_packet_send(struct xdp_frame *frame, u32 ifindex,
				u64 flags)
{
	struct xdpq_map *q = xdpq_frame_map(frame);
	int err;

	if (unlikely(flags))
		err = -EINVAL;
	else if (unlikely(!bpf_net_ctx_get()))
		err = -EOPNOTSUPP;
	else
		err = xdp_packet_xmit(q, frame, ifindex);
	if (unlikely(err) && err != -EBUSY) {
		xdp_return_frame(frame);
		xdpq_count(q, send_failed);
	}
	return err;
}

/**
 * xdp_packet_dequeue_send() - Send frames from the head of a sub-queue
 * @map__map: An XDP queue map: BPF_MAP_TYPE_XDP_FIFO, _PIFO or _RBTREE.
 * @flags: The sub-queue index in the low 32 bits (BPF_XDP_DEQUEUE_SUBQ_MASK),
 *	0 for the rank ordered maps.
 * @ifindex: The device, as for xdp_packet_send().
 * @max_frames: The most frames to take.
 * @bytes: In: a byte budget; frames are taken while the bytes taken so far
 *	are below it, so the last one may take the total past it. Out: the
 *	bytes of the frames taken.
 *
 * Does what xdp_packet_dequeue() and xdp_packet_send() do in a loop, for a
 * scheduler that decides how much a sub-queue may send now (a deficit
 * round robin quantum, a token bucket) rather than which frame: the map
 * lock is taken once per bulk of frames instead of once per frame, and
 * the frames never reach the program. A frame the device cannot take
 * (too long, or the device went down) is dropped and counted as
 * send_failed, as xdp_packet_send() does, and counts as taken. Once the
 * device is over its XDP TX limit, no more frames are taken, and the
 * timer whose callback called this is started again when the device has
 * room. Frames are taken while the device has room for them, counting
 * those staged for it on this CPU, as BQL counts: the last one may take
 * the device past its limit. The frames not taken stay at the head of the
 * sub-queue. Frames the device's ring gives back within the call go back
 * to the head of their queue and do not count as taken, in the return
 * value or in *@bytes; nor do frames staged before the call that the ring
 * gives back with them.
 *
 * Return: The number of frames taken, 0 if the sub-queue is empty or
 * @max_frames or the budget is 0; -EBUSY if the device was over its XDP TX
 * limit before the first frame, or its ring gave back every frame taken;
 * -EINVAL for unknown @flags, -ERANGE for a sub-queue out of range,
 * -EOPNOTSUPP outside of a bpf_net_context, and the device errors of
 * xdp_packet_send() (e.g. -ENODEV) if the device cannot send at all, in
 * which case no frame is taken. *@bytes is 0 on error.
 */
__bpf_kfunc int xdp_packet_dequeue_send(void *map__map, u64 flags,
					u32 ifindex, u32 max_frames,
					u64 *bytes)
{
	struct xdp_packet_bulk *bq = this_cpu_ptr(&xdp_packet_bulk);
	struct xdpq_map *q = xdpq_map(map__map);
	u32 subq = flags & BPF_XDP_DEQUEUE_SUBQ_MASK;
	struct xdpq_bulk_sum sum = {};
	struct xdp_packet_sender s;
	unsigned int back_bytes = 0;
	int n, back, err, taken = 0;
	u64 budget = *bytes;

	*bytes = 0;
	if (unlikely(flags & ~BPF_XDP_DEQUEUE_SUBQ_MASK))
		return -EINVAL;
	if (unlikely(!bpf_net_ctx_get()))
		return -EOPNOTSUPP;

	rcu_read_lock();
	/* A device that cannot send at all fails the call, not every frame. */
	err = xdp_packet_sender_init(&s, bq, q, ifindex);
	/* The frames go straight from the queue onto the bulk, as many as
	 * it has room for at a time, and only while the device has room.
	 */
	while (!err && taken < max_frames && sum.bytes < budget) {
		u64 before = sum.bytes, max_bytes;
		u32 want;

		err = xdp_packet_bulk_prepare(bq, &s);
		if (err)
			break;
		want = min_t(u32, max_frames - taken,
			     XDP_PACKET_BULK_SIZE - bq->count);
		max_bytes = xdp_packet_bulk_max_bytes(bq, &s, budget, before);
		sum.max_len = 0;
		sum.flags = 0;
		n = xdpq_map_dequeue_bulk(map__map, subq, bq->q + bq->count,
					  want, max_bytes, &sum);
		if (n <= 0) {
			err = n;
			break;
		}
		xdp_packet_bulk_append(bq, &s, q, n, &sum, sum.bytes - before);
		taken += n;
		back = xdp_packet_bulk_appended(bq, &s, &back_bytes);
		if (back) {
			/* A tail of the bulk, which may reach back before
			 * this call: the frames are queued again.
			 */
			taken -= min(back, taken);
			sum.bytes -= min_t(u64, back_bytes, sum.bytes);
			err = -EBUSY;
		} else if (n < want && sum.bytes < max_bytes) {
			/* Fewer without reaching max_bytes: the sub-queue is
			 * empty
			 */
			break;
		}
	}
	rcu_read_unlock();
	*bytes = sum.bytes;
	return taken ?: err;
}

/**
 * xdp_tx_budget() - How many bytes a scheduler may send to a device now
 * @map__map: An XDP queue map; @ifindex is resolved in the network
 *	namespace it was created in.
 * @ifindex: The target device.
 *
 * A device that reports XDP TX completions has a limit on the bytes of XDP
 * frames in flight in its TX rings (include/net/xdp_tx_limit.h). The
 * budget is what is left of it; once it is used up (the last send may
 * take the device past its limit), xdp_packet_send() to the device fails
 * with -EBUSY. The frames this CPU sent and has not handed to the device
 * yet count against it; those other CPUs staged count once flushed.
 *
 * Return: the budget in bytes, 0 if the device is at or over its limit,
 * -EOPNOTSUPP if the device has no limit (it does not report
 * completions; sends are not limited), -ENODEV or -ENETUNREACH if
 * @ifindex names no device.
 */
__bpf_kfunc s64 xdp_tx_budget(void *map__map, u32 ifindex)
{
	struct bpf_map *map = map__map;
	struct xdp_tx_limit *txl;
	struct net_device *dev;
	s64 budget;
	int err = 0;

	rcu_read_lock();
	dev = xdp_packet_target(xdpq_map(map), ifindex, &err);
	if (unlikely(!dev)) {
		budget = err;
		goto out;
	}
	txl = xdp_tx_limit(dev);
	if (!txl) {
		budget = -EOPNOTSUPP;
		goto out;
	}
	budget = max(xdp_packet_room(txl, this_cpu_ptr(&xdp_packet_bulk), dev),
		     0);
out:
	rcu_read_unlock();
	return budget;
}

/**
 * xdp_packet_drop() - Free a dequeued frame
 * @frame: A frame returned by xdp_packet_dequeue().
 */
__bpf_kfunc void xdp_packet_drop(struct xdp_frame *frame)
{
	struct xdpq_map *q = xdpq_frame_map(frame);

	xdp_return_frame(frame);
	xdpq_count(q, dropped);
}

/**
 * xdp_packet_flush() - Flush the frames sent so far
 *
 * Hands the frames that xdp_packet_send() put on the devices' bulk queues
 * to the devices, like xdp_do_flush() does at the end of a NAPI poll. Not
 * for devmap programs (see xdp_packet_kfunc_filter()).
 */
__bpf_kfunc void xdp_packet_flush(void)
{
	if (bpf_net_ctx_get())
		xdp_do_flush();
}

/**
 * xdp_packet_load_bytes() - Copy bytes out of a dequeued frame
 * @frame: A frame returned by xdp_packet_dequeue().
 * @offset: Offset from the start of the packet data; negative offsets
 *	read the metadata in front of it, down to -metasize.
 * @buf: Destination buffer.
 * @buf__sz: Number of bytes to copy.
 *
 * Only the linear part of the frame (frame->len bytes) can be read.
 *
 * Return: 0 on success, -ERANGE if the range is outside the metadata and
 * the linear data.
 */
__bpf_kfunc int xdp_packet_load_bytes(struct xdp_frame *frame, s32 offset,
				      void *buf, u32 buf__sz)
{
	s64 start = offset, end = start + buf__sz;

	if (unlikely(start < -(s64)frame->metasize || end > frame->len))
		return -ERANGE;

	memcpy(buf, frame->data + offset, buf__sz);
	return 0;
}

__bpf_kfunc_end_defs();

BTF_KFUNCS_START(xdp_packet_kfunc_ids)
BTF_ID_FLAGS(func, xdp_packet_dequeue, KF_ACQUIRE | KF_RET_NULL)
BTF_ID_FLAGS(func, xdp_packet_peek_rank)
BTF_ID_FLAGS(func, xdp_packet_next_subq)
BTF_ID_FLAGS(func, xdp_packet_nr_queued)
BTF_ID_FLAGS(func, xdp_packet_send, KF_RELEASE)
BTF_ID_FLAGS(func, xdp_packet_dequeue_send)
BTF_ID_FLAGS(func, xdp_packet_drop, KF_RELEASE)
BTF_ID_FLAGS(func, xdp_packet_flush)
BTF_ID_FLAGS(func, xdp_tx_budget)
BTF_ID_FLAGS(func, xdp_packet_load_bytes, KF_TRUSTED_ARGS)
BTF_KFUNCS_END(xdp_packet_kfunc_ids)

BTF_ID_LIST_SINGLE(xdp_packet_flush_btf_id, func, xdp_packet_flush)

/* A devmap program runs within xdp_do_flush(), on the devmap bulk being
 * flushed, which is still on its flush list: a flush from there would
 * hand that bulk to the device again, and run the program on it again.
 * Its sends need no flush: outside of a timer callback they go to the
 * device at once.
 */
static int xdp_packet_kfunc_filter(const struct bpf_prog *prog, u32 kfunc_id)
{
	/* An extension has its target's expected_attach_type by now */
	if (kfunc_id == xdp_packet_flush_btf_id[0] &&
	    prog->expected_attach_type == BPF_XDP_DEVMAP)
		return -EACCES;
	return 0;
}

static const struct btf_kfunc_id_set xdp_packet_kfunc_set = {
	.owner  = THIS_MODULE,
	.set    = &xdp_packet_kfunc_ids,
	.filter = xdp_packet_kfunc_filter,
};

static int __init xdp_packet_kfunc_init(void)
{
	return register_btf_kfunc_id_set(BPF_PROG_TYPE_XDP,
					 &xdp_packet_kfunc_set);
}
late_initcall(xdp_packet_kfunc_init);
