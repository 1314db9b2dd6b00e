/* SPDX-License-Identifier: GPL-2.0-only */
/* XDP TX limits: byte queue limits for the XDP frames a device holds
 *
 * A packet scheduler built on the XDP queue maps is in control only while
 * frames wait in its queues, not in a device's TX ring. A device that
 * reports the completion of the XDP frames it transmits gets a dynamic
 * limit on the bytes of XDP frames in flight, computed by the BQL
 * algorithm (lib/dynamic_queue_limits.c): it grows when the ring runs dry
 * between completions and shrinks when frames sit in it. xdp_packet_send()
 * refuses a frame while the device is over its limit, and the completion
 * that frees room wakes the scheduler that was refused.
 *
 * For drivers, four calls, and a fifth for ndo_xdp_xmit() errors:
 *
 *	xdp_tx_limit_enable(dev)	once the device is registered;
 *	xdp_tx_queued(dev, bytes)	for the XDP frames it accepted for TX,
 *					from ndo_xdp_xmit() and XDP_TX;
 *	xdp_tx_completed(dev, n, bytes)	for the XDP frames whose TX completed,
 *					from its TX clean-up or its consumer;
 *	xdp_tx_ring_full(dev)		when its TX ring refused XDP frames;
 *	xdp_tx_frame_unfit()		when ndo_xdp_xmit() stopped at a frame
 *					it can never take.
 *
 * Every byte reported as queued must be reported as completed exactly
 * once, and frames dropped instead of transmitted count as completed.
 * The driver's ndo_xdp_xmit() must take any number of frames in a call:
 * the XDP queue maps hand a device with a limit their send bulk (64
 * frames) at once, where a devmap's calls hold 16 (DEV_MAP_BULK_SIZE).
 * A byte limit can exceed what a ring of descriptors holds (small frames,
 * or skbs sharing the ring): a full ring caps the limit a byte below the
 * bytes in flight when it refused a frame, so the scheduler waits for a
 * completion then and stops before the ring drops from then on.
 * Frames of other sources on the same ring (skbs) are not counted: they
 * are under BQL or the qdisc. The limit is per device, not per queue: the
 * sender of an XDP frame does not choose the TX queue, the driver does (by
 * CPU). The limit and its counters live until the device unregisters;
 * both hot-path calls are a pointer test when the device has no limit.
 *
 * Locking: queued and completed run on any CPU, concurrently on a
 * multi-queue device, so the struct dql is updated under ->lock, once per
 * bulk of frames, with interrupts off (netpoll cleans TX rings with
 * interrupts disabled). dql_avail() is read without it.
 */
#ifndef __NET_XDP_TX_LIMIT_H__
#define __NET_XDP_TX_LIMIT_H__

#include <linux/dynamic_queue_limits.h>
#include <linux/if_ether.h>
#include <linux/netdevice.h>
#include <linux/rcupdate.h>
#include <linux/spinlock.h>

struct bpf_map;

/* The lowest limit, in bytes: two full-sized Ethernet frames. Below it a
 * device that completes frame by frame (a tun reader) would wake its
 * scheduler for every frame or two it takes, since BQL raises the limit
 * only when one completion takes the device from over its limit to empty;
 * the cost of a wakeup would then be paid per frame. It also lets a limit
 * hold one big frame while another is in flight.
 */
#define XDP_TX_LIMIT_MIN	(2 * ETH_FRAME_LEN)

struct xdp_tx_limit {
	/* queued, completed and the limit itself; see the locking above */
	struct dql		dql;
	spinlock_t		lock;
	/* schedulers to wake when the device is down to half its limit */
	struct list_head	waiters;
	/* bytes in flight when waiters were last woken, 0 once one sends */
	unsigned int		woken_inflight;
	/* counters, under ->lock */
	u64			completed_frames;
	u64			completed_bytes;
	u64			blocked;	/* sends refused at the limit */
	u64			wakeups;	/* completions that woke waiters */
	u64			ring_full;	/* times the ring refused frames */
	struct rcu_head		rcu;
};

struct xdp_tx_limit_stats {
	u32 limit;		/* bytes in flight allowed now */
	u32 inflight;		/* bytes queued and not yet completed */
	u64 completed_frames;
	u64 completed_bytes;
	u64 blocked;
	u64 wakeups;
	u64 ring_full;
};

#ifdef CONFIG_BPF_SYSCALL
int xdp_tx_limit_enable(struct net_device *dev);
void __xdp_tx_queued(struct xdp_tx_limit *txl, unsigned int bytes);
void __xdp_tx_completed(struct xdp_tx_limit *txl, unsigned int frames,
			unsigned int bytes);
void __xdp_tx_ring_full(struct xdp_tx_limit *txl);
int __xdp_tx_limit_reserve(struct xdp_tx_limit *txl, struct bpf_map *timer_map,
			   void *timer_value);
int xdp_tx_limit_wait(struct net_device *dev, struct bpf_map *timer_map,
		      void *timer_value);
void xdp_tx_limit_read(struct xdp_tx_limit *txl,
		       struct xdp_tx_limit_stats *st);

DECLARE_PER_CPU(bool, xdp_tx_frame_was_unfit);

/**
 * xdp_tx_frame_unfit() - ndo_xdp_xmit() stops at a frame it can never take
 *
 * Call from ndo_xdp_xmit() when it stops at a frame for a reason that
 * sending it again would not change (longer than the peer's MTU, too
 * little headroom), and not xdp_tx_ring_full(), which is for lack of room.
 * The XDP queue maps give the frames a device refused back to their queues
 * to send them again, but drop this one and go on with the frames behind
 * it. ndo_xdp_xmit() returns only how many frames it took, so the mark is
 * per CPU: the caller clears it before the call, in the same
 * bottom-half-disabled section.
 */
static inline void xdp_tx_frame_unfit(void)
{
	this_cpu_write(xdp_tx_frame_was_unfit, true);
}

static inline struct xdp_tx_limit *xdp_tx_limit(const struct net_device *dev)
{
	return rcu_dereference_check(dev->xdp_tx_limit, rcu_read_lock_bh_held());
}

/**
 * xdp_tx_limit_reserve() - May a scheduler send to this device now?
 * @dev: The target device.
 * @timer_map: The ARRAY map holding the sender's bpf_timer, or NULL.
 * @timer_value: The element of @timer_map holding that timer.
 *
 * Called before every frame or bulk of frames a scheduler sends, so the
 * test for room is inline and lockless. Over its limit, the device
 * remembers the timer (if any) and starts it once a completion brings it
 * down to half its limit.
 *
 * Return: 0 if the device has room, -EBUSY if not.
 */
static inline int xdp_tx_limit_reserve(struct net_device *dev,
				       struct bpf_map *timer_map,
				       void *timer_value)
{
	struct xdp_tx_limit *txl = xdp_tx_limit(dev);

	if (!txl || dql_avail(&txl->dql) >= 0)
		return 0;
	return __xdp_tx_limit_reserve(txl, timer_map, timer_value);
}

/**
 * xdp_tx_queued() - Account XDP frames handed to a device's TX ring
 * @dev: The device.
 * @bytes: Their total length.
 */
static inline void xdp_tx_queued(struct net_device *dev, unsigned int bytes)
{
	struct xdp_tx_limit *txl;

	rcu_read_lock();
	txl = rcu_dereference(dev->xdp_tx_limit);
	if (txl && bytes)
		__xdp_tx_queued(txl, bytes);
	rcu_read_unlock();
}

/**
 * xdp_tx_completed() - Account XDP frames a device is done with
 * @dev: The device.
 * @frames: How many, transmitted or dropped.
 * @bytes: Their total length, as given to xdp_tx_queued().
 */
static inline void xdp_tx_completed(struct net_device *dev,
				    unsigned int frames, unsigned int bytes)
{
	struct xdp_tx_limit *txl;

	rcu_read_lock();
	txl = rcu_dereference(dev->xdp_tx_limit);
	if (txl && bytes)
		__xdp_tx_completed(txl, frames, bytes);
	rcu_read_unlock();
}

/**
 * xdp_tx_ring_full() - A device's TX ring had no room for XDP frames
 * @dev: The device.
 *
 * Call after reporting the refused frames as completed.
 */
static inline void xdp_tx_ring_full(struct net_device *dev)
{
	struct xdp_tx_limit *txl;

	rcu_read_lock();
	txl = rcu_dereference(dev->xdp_tx_limit);
	if (txl)
		__xdp_tx_ring_full(txl);
	rcu_read_unlock();
}
#else
static inline int xdp_tx_limit_enable(struct net_device *dev)
{
	return 0;
}

static inline void xdp_tx_queued(struct net_device *dev, unsigned int bytes)
{
}

static inline void xdp_tx_completed(struct net_device *dev,
				    unsigned int frames, unsigned int bytes)
{
}

static inline void xdp_tx_ring_full(struct net_device *dev)
{
}

static inline void xdp_tx_frame_unfit(void)
{
}
#endif /* CONFIG_BPF_SYSCALL */

#endif /* __NET_XDP_TX_LIMIT_H__ */
