// SPDX-License-Identifier: GPL-2.0-only
/* XDP TX limits: byte queue limits for the XDP frames a device holds
 *
 * See include/net/xdp_tx_limit.h for the driver API. This file keeps the
 * slow paths, the wakeups and the per-device lifetime.
 *
 * Wakeups. xdp_packet_send() calls xdp_tx_limit_reserve() for a device
 * with a limit. Over the limit, the bpf_timer whose callback is sending is
 * put on the device's waiter list (xdp_timer_waiter_add()) and the send is
 * refused. The completion that brings the device down to half its limit
 * takes the waiters off the list and starts each timer at once: as a
 * driver wakes its TX queue only once a number of descriptors are free,
 * so that each wakeup moves a batch of frames, not the one that just
 * completed. The device still has the other half in flight to cover the
 * wakeup; if it runs dry first, the limit grows (xdp_tx_limit_starved()).
 * The check and the registration happen under ->lock, as does the
 * completion, and the device drains to zero in the end, so a wakeup
 * cannot be missed.
 *
 * Lifetime. The limit is allocated by xdp_tx_limit_enable() and freed
 * after an RCU grace period when the device unregisters (netdev
 * notifier), not when it moves to another network namespace; the
 * waiters are woken then, so no map stays pinned by a device that is
 * gone. Its counters show in sysfs, under
 * /sys/class/net/<dev>/xdp_tx_limit/.
 */
#include <linux/bpf.h>
#include <linux/netdevice.h>
#include <linux/rtnetlink.h>
#include <linux/slab.h>
#include <net/xdp_queue.h>
#include <net/xdp_tx_limit.h>

DEFINE_PER_CPU(bool, xdp_tx_frame_was_unfit);
EXPORT_PER_CPU_SYMBOL_GPL(xdp_tx_frame_was_unfit);

void __xdp_tx_queued(struct xdp_tx_limit *txl, unsigned int bytes)
{
	unsigned long flags;

	spin_lock_irqsave(&txl->lock, flags);
	dql_queued(&txl->dql, bytes);
	txl->woken_inflight = 0;
	spin_unlock_irqrestore(&txl->lock, flags);
}
EXPORT_SYMBOL_GPL(__xdp_tx_queued);

/* The device ran dry while the scheduler it woke was on its way: the
 * bytes it had in flight then did not last until the next send. BQL
 * (dql_completed()) sees this only when one completion takes the device
 * from over its limit to empty; a device that completes frame by frame,
 * as a tun reader does, never shows it that, and its limit would stay at
 * a frame or two, each wakeup moving no more. Raise the limit by those
 * bytes as BQL raises it for a starved interval: the limit then covers
 * the time a wakeup takes. dql's slack rule lowers it again.
 */
static void xdp_tx_limit_starved(struct xdp_tx_limit *txl)
{
	struct dql *dql = &txl->dql;

	dql->limit = min(dql->limit + txl->woken_inflight, dql->max_limit);
	WRITE_ONCE(dql->adj_limit, dql->limit + dql->num_completed);
	dql->slack_start_time = jiffies;
	dql->lowest_slack = UINT_MAX;
	txl->woken_inflight = 0;
}

static bool xdp_tx_limit_may_wake(const struct xdp_tx_limit *txl)
{
	return dql_avail(&txl->dql) >= (int)(txl->dql.limit / 2);
}

void __xdp_tx_completed(struct xdp_tx_limit *txl, unsigned int frames,
			unsigned int bytes)
{
	unsigned int inflight;
	unsigned long flags;
	LIST_HEAD(waiters);

	spin_lock_irqsave(&txl->lock, flags);
	inflight = txl->dql.num_queued - txl->dql.num_completed;
	/* A driver that completes what it never queued is buggy, but must
	 * not take dql_completed() down with it.
	 */
	if (WARN_ON_ONCE(bytes > inflight))
		bytes = inflight;
	dql_completed(&txl->dql, bytes);
	txl->completed_frames += frames;
	txl->completed_bytes += bytes;
	inflight -= bytes;
	if (!inflight && txl->woken_inflight)
		xdp_tx_limit_starved(txl);
	if (xdp_tx_limit_may_wake(txl) && !list_empty(&txl->waiters)) {
		list_splice_init(&txl->waiters, &waiters);
		txl->woken_inflight = inflight;
		txl->wakeups++;
	}
	spin_unlock_irqrestore(&txl->lock, flags);

	xdp_timer_waiters_wake(&waiters);
}
EXPORT_SYMBOL_GPL(__xdp_tx_completed);

void __xdp_tx_ring_full(struct xdp_tx_limit *txl)
{
	struct dql *dql = &txl->dql;
	unsigned long flags;

	spin_lock_irqsave(&txl->lock, flags);
	/* What was in flight is what the ring holds: more would be dropped,
	 * even below XDP_TX_LIMIT_MIN. The BQL algorithm keeps the limit
	 * within [min_limit, max_limit]. As in BQL, a device takes frames
	 * while dql_avail() is not negative: with a limit of just what is
	 * in flight, every send until the consumer ran would still be let
	 * in, one frame each, and refused by the ring. A byte less puts the
	 * device over its limit, and the scheduler waits for a completion.
	 */
	dql->max_limit = max(dql->num_queued - dql->num_completed, 2U) - 1;
	dql->min_limit = min(XDP_TX_LIMIT_MIN, dql->max_limit);
	if (dql->limit > dql->max_limit) {
		dql->limit = dql->max_limit;
		WRITE_ONCE(dql->adj_limit, dql->limit + dql->num_completed);
	}
	txl->ring_full++;
	spin_unlock_irqrestore(&txl->lock, flags);
}
EXPORT_SYMBOL_GPL(__xdp_tx_ring_full);

/* The slow path of xdp_tx_limit_reserve(): the device looked over its
 * limit without the lock.
 */
int __xdp_tx_limit_reserve(struct xdp_tx_limit *txl, struct bpf_map *timer_map,
			   void *timer_value)
{
	unsigned long flags;
	int err = 0;

	spin_lock_irqsave(&txl->lock, flags);
	if (dql_avail(&txl->dql) < 0) {
		err = -EBUSY;
		txl->blocked++;
		xdp_timer_waiter_add(&txl->waiters, timer_map, timer_value);
	}
	spin_unlock_irqrestore(&txl->lock, flags);
	return err;
}

/**
 * xdp_tx_limit_wait() - Wake a scheduler at the device's next completion
 * @dev: A device whose ring just refused frames.
 * @timer_map: The ARRAY map holding the sender's bpf_timer.
 * @timer_value: The element of @timer_map holding that timer.
 *
 * Return: 0; -EAGAIN if no XDP frame is in flight, so that no completion
 * would come (the ring is full of other traffic, or was drained since):
 * the caller retries later; -EOPNOTSUPP if the device has no limit.
 */
int xdp_tx_limit_wait(struct net_device *dev, struct bpf_map *timer_map,
		      void *timer_value)
{
	struct xdp_tx_limit *txl = xdp_tx_limit(dev);
	unsigned long flags;
	int err = 0;

	if (!txl)
		return -EOPNOTSUPP;
	spin_lock_irqsave(&txl->lock, flags);
	txl->blocked++;
	if (txl->dql.num_queued == txl->dql.num_completed)
		err = -EAGAIN;
	else
		xdp_timer_waiter_add(&txl->waiters, timer_map, timer_value);
	spin_unlock_irqrestore(&txl->lock, flags);
	return err;
}

/**
 * xdp_tx_limit_read() - Snapshot of a device's XDP TX limit
 * @txl: The device's limit.
 * @st: Filled in.
 */
void xdp_tx_limit_read(struct xdp_tx_limit *txl, struct xdp_tx_limit_stats *st)
{
	unsigned long flags;

	spin_lock_irqsave(&txl->lock, flags);
	st->limit = txl->dql.limit;
	st->inflight = txl->dql.num_queued - txl->dql.num_completed;
	st->completed_frames = txl->completed_frames;
	st->completed_bytes = txl->completed_bytes;
	st->blocked = txl->blocked;
	st->wakeups = txl->wakeups;
	st->ring_full = txl->ring_full;
	spin_unlock_irqrestore(&txl->lock, flags);
}

/* sysfs: /sys/class/net/<dev>/xdp_tx_limit/ */

#define XDP_TX_LIMIT_ATTR(field, fmt)					\
static ssize_t field##_show(struct device *d,				\
			    struct device_attribute *attr, char *buf)	\
{									\
	struct net_device *dev = to_net_dev(d);				\
	struct xdp_tx_limit_stats st = {};				\
	struct xdp_tx_limit *txl;					\
									\
	rcu_read_lock();						\
	txl = rcu_dereference(dev->xdp_tx_limit);			\
	if (txl)							\
		xdp_tx_limit_read(txl, &st);				\
	rcu_read_unlock();						\
	return sysfs_emit(buf, fmt "\n", st.field);			\
}									\
static DEVICE_ATTR_RO(field)

XDP_TX_LIMIT_ATTR(limit, "%u");
XDP_TX_LIMIT_ATTR(inflight, "%u");
XDP_TX_LIMIT_ATTR(completed_frames, "%llu");
XDP_TX_LIMIT_ATTR(completed_bytes, "%llu");
XDP_TX_LIMIT_ATTR(blocked, "%llu");
XDP_TX_LIMIT_ATTR(wakeups, "%llu");
XDP_TX_LIMIT_ATTR(ring_full, "%llu");

static struct attribute *xdp_tx_limit_attrs[] = {
	&dev_attr_limit.attr,
	&dev_attr_inflight.attr,
	&dev_attr_completed_frames.attr,
	&dev_attr_completed_bytes.attr,
	&dev_attr_blocked.attr,
	&dev_attr_wakeups.attr,
	&dev_attr_ring_full.attr,
	NULL,
};

static const struct attribute_group xdp_tx_limit_group = {
	.name = "xdp_tx_limit",
	.attrs = xdp_tx_limit_attrs,
};

/**
 * xdp_tx_limit_enable() - Give a device an XDP TX limit
 * @dev: A registered device that reports XDP TX completions.
 *
 * Its ndo_xdp_xmit() must take bulks of any size: the XDP queue maps
 * hand a device with a limit up to 64 frames in a call.
 * Called under RTNL; the limit lasts until the device unregisters.
 *
 * Return: 0, or -ENOMEM.
 */
int xdp_tx_limit_enable(struct net_device *dev)
{
	struct xdp_tx_limit *txl;

	ASSERT_RTNL();
	if (rtnl_dereference(dev->xdp_tx_limit))
		return 0;
	txl = kzalloc(sizeof(*txl), GFP_KERNEL);
	if (!txl)
		return -ENOMEM;
	dql_init(&txl->dql, HZ);
	txl->dql.min_limit = XDP_TX_LIMIT_MIN;
	txl->dql.limit = XDP_TX_LIMIT_MIN;
	txl->dql.adj_limit = XDP_TX_LIMIT_MIN;
	spin_lock_init(&txl->lock);
	INIT_LIST_HEAD(&txl->waiters);
	if (sysfs_create_group(&dev->dev.kobj, &xdp_tx_limit_group))
		netdev_warn(dev, "no sysfs for the XDP TX limit\n");
	rcu_assign_pointer(dev->xdp_tx_limit, txl);
	return 0;
}
EXPORT_SYMBOL_GPL(xdp_tx_limit_enable);

static void xdp_tx_limit_free(struct net_device *dev)
{
	struct xdp_tx_limit *txl = rtnl_dereference(dev->xdp_tx_limit);
	unsigned long flags;
	LIST_HEAD(waiters);

	if (!txl)
		return;
	sysfs_remove_group(&dev->dev.kobj, &xdp_tx_limit_group);
	RCU_INIT_POINTER(dev->xdp_tx_limit, NULL);
	spin_lock_irqsave(&txl->lock, flags);
	list_splice_init(&txl->waiters, &waiters);
	spin_unlock_irqrestore(&txl->lock, flags);
	/* Woken schedulers find the device gone, or without a limit. */
	xdp_timer_waiters_wake(&waiters);
	kfree_rcu(txl, rcu);
}

static int xdp_tx_limit_netdev_event(struct notifier_block *nb,
				     unsigned long event, void *ptr)
{
	struct net_device *dev = netdev_notifier_info_to_dev(ptr);

	/* A device moving to another namespace leaves the old one with
	 * NETDEV_UNREGISTER too, but stays registered: it keeps its limit,
	 * which its driver enabled once, at registration.
	 */
	if (event == NETDEV_UNREGISTER && dev->reg_state != NETREG_REGISTERED)
		xdp_tx_limit_free(dev);
	return NOTIFY_DONE;
}

static struct notifier_block xdp_tx_limit_notifier = {
	.notifier_call = xdp_tx_limit_netdev_event,
};

static int __init xdp_tx_limit_init(void)
{
	return register_netdevice_notifier(&xdp_tx_limit_notifier);
}
subsys_initcall(xdp_tx_limit_init);
