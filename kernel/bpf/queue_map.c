// SPDX-License-Identifier: GPL-2.0-only
/* XDP queue maps: the map core shared by BPF_MAP_TYPE_XDP_FIFO,
 * BPF_MAP_TYPE_XDP_PIFO and BPF_MAP_TYPE_XDP_RBTREE
 *
 * A queue map holds XDP frames. An XDP program queues the frame it is
 * running on with bpf_redirect_map(&map, key, flags): for the FIFO map the
 * key selects one of map_extra sub-queues, for the rank ordered maps (PIFO
 * and rbtree) the 64-bit key is the frame's rank. XDP programs, or their
 * bpf_timer callbacks, look at the head rank with xdp_packet_peek_rank(),
 * take frames out again with xdp_packet_dequeue() and hand them to
 * xdp_packet_send() or xdp_packet_drop() (net/core/xdp_dequeue.c).
 *
 * The map is split in two parts. The map core in this file owns the map
 * lifetime, the per-CPU enqueue bulk, capacity and statistics. The
 * ordering core (struct xdpq_ops) only keeps frames in order: a chunk
 * list per FIFO sub-queue in queue_map_fifo.h, rank buckets in
 * queue_map_pifo.h, an rbtree in queue_map_rbtree.h, each with its map
 * glue in the .c file of that name.
 * Ordering callbacks run under the map lock.
 *
 * Storage. A queued frame is an xdp_frame. Its bookkeeping, struct
 * xdpq_node, lives in the frame's headroom right after the xdp_frame,
 * and what the ordering core needs besides is allocated with the map (the
 * chunks of frame pointers of the FIFO and PIFO, queue_map_chunk.h, for
 * max_entries frames), so queueing allocates nothing. A frame whose
 * headroom cannot hold the node next to its metadata is refused with
 * -ENOSPC. max_entries caps the number of frames the map holds at once,
 * but for the frames a device gave back (xdpq_map_requeue()): they were
 * accepted once and are not dropped, and the map takes no new frames
 * until it is below its size again. (Only if the core then needs a chunk
 * beyond its size and the allocation fails is such a frame dropped,
 * counted in send_failed.)
 *
 * Enqueue. __xdp_do_redirect_frame() calls xdpq_map_enqueue() (FIFO) or
 * xdpq_map_enqueue_rank(), which run in the NAPI (or cpumap kthread, or
 * live test_run) context of the redirecting CPU with bottom halves
 * disabled and a bpf_net_context set.
 * Range, headroom and a racy lock-free capacity check fail the redirect
 * at once, so the driver frees the frame and the xdp_redirect_map_err
 * tracepoint reports the errno. Accepted frames are staged in the map's
 * per-CPU struct xdpq_bulk, which is put on the queue map flush list of
 * the bpf_net_context. xdp_do_flush() calls __xdpq_map_flush(), which
 * takes the map lock once per bulk, moves the frames into the ordering
 * core, and drops (xdp_return_frame_rx_napi()) what no longer fits because
 * other CPUs filled the map in the meantime, or what the ordering core
 * refuses because its range moved since the redirect (PIFO, see there).
 *
 * Wakeups. A timer callback that finds the map empty is put on the map's
 * list of waiters (net/core/xdp_dequeue.c), under the map lock; the flush
 * that moves frames in takes the list under the same lock and starts the
 * timers after dropping it, so the callback need not poll for frames that
 * other CPUs still stage.
 *
 * Locking. One spinlock per map protects the ordering core, the per
 * sub-queue counters, q->depth and the waiters. It is taken with
 * spin_lock_bh(): it is mostly taken from softirq, but XDP programs can
 * also run from BPF_PROG_TEST_RUN and the syscall reads statistics. The
 * two paths every frame takes, the flush and the bulk dequeue, run only
 * in a bpf_net_context, which is set with bottom halves disabled: they
 * take it with spin_lock() (xdpq_lock_in_bh()).
 * q->depth, the sub-queue depths and the bitmap of sub-queues with frames
 * (q->busy) are also read without the lock: q->depth for the enqueue
 * capacity check, all three, in the order xdpq_subq_idle() explains, to
 * find empty sub-queues and the next busy one without taking the lock.
 * Counters updated outside the lock are per-CPU (u64_stats).
 *
 * Lifetimes. Frames stay valid while queued: they pin their page (and
 * page_pool, if any) until they are sent, dropped, or the map is freed.
 * A frame handed out by xdp_packet_dequeue() is owned by the program
 * (the verifier tracks it as an acquired reference) until the program
 * passes it to a releasing kfunc; while it does, the program holds a
 * reference on the map, so node->map stays valid. The map holds a passive
 * reference on the network namespace it was created in; ifindexes given
 * to xdp_packet_send() are resolved there. map_free runs once no program
 * uses the map; the synchronize_rcu() there waits for every softirq
 * section that could still stage frames or run a flush, after which the
 * remaining queued (and, defensively, staged) frames are freed.
 */
#include <linux/bpf.h>
#include <linux/btf_ids.h>
#include <linux/filter.h>
#include <linux/nsproxy.h>
#include <net/net_namespace.h>
#include <net/xdp.h>
#include <net/xdp_queue.h>

#include "queue_map_chunk.h"

#define XDPQ_CREATE_FLAG_MASK	BPF_F_NUMA_NODE
#define XDPQ_MAX_FRAMES		(1U << 24)

/* The checks common to all queue map types; map_extra is checked by the
 * map type.
 */
int xdpq_map_alloc_check(union bpf_attr *attr)
{
	if (attr->key_size != sizeof(u32) ||
	    attr->value_size != sizeof(struct bpf_xdp_queue_stats) ||
	    attr->map_flags & ~XDPQ_CREATE_FLAG_MASK || !attr->max_entries)
		return -EINVAL;
	if (attr->max_entries > XDPQ_MAX_FRAMES)
		return -E2BIG;
	return 0;
}

static u64 xdpq_busy_size(const struct xdpq_map *q)
{
	return BITS_TO_LONGS(q->nr_subq) * sizeof(unsigned long);
}

struct bpf_map *xdpq_map_alloc(union bpf_attr *attr,
			       const struct xdpq_ops *ops, u32 nr_subq)
{
	int numa_node = bpf_map_attr_numa_node(attr);
	struct xdpq_map *q;
	int cpu, err;

	q = bpf_map_area_alloc(sizeof(*q), numa_node);
	if (!q)
		return ERR_PTR(-ENOMEM);

	bpf_map_init_from_attr(&q->map, attr);
	spin_lock_init(&q->lock);
	INIT_LIST_HEAD(&q->waiters);
	q->ops = ops;
	q->nr_subq = nr_subq;

	err = -ENOMEM;
	q->subq_stats = bpf_map_area_alloc((u64)q->nr_subq *
					   sizeof(*q->subq_stats), numa_node);
	if (!q->subq_stats)
		goto free_q;
	q->busy = bpf_map_area_alloc(xdpq_busy_size(q), numa_node);
	if (!q->busy)
		goto free_stats;

	q->bulk = bpf_map_alloc_percpu(&q->map, sizeof(*q->bulk),
				       __alignof__(*q->bulk),
				       GFP_USER | __GFP_NOWARN);
	if (!q->bulk)
		goto free_busy;
	for_each_possible_cpu(cpu) {
		struct xdpq_bulk *bq = per_cpu_ptr(q->bulk, cpu);

		bq->map = q;
		u64_stats_init(&bq->stats.syncp);
	}

	err = q->ops->init(q, attr, numa_node);
	if (err)
		goto free_bulk;

	q->net = current->nsproxy->net_ns;
	net_passive_inc(q->net);
	return &q->map;

free_bulk:
	free_percpu(q->bulk);
free_busy:
	bpf_map_area_free(q->busy);
free_stats:
	bpf_map_area_free(q->subq_stats);
free_q:
	bpf_map_area_free(q);
	return ERR_PTR(err);
}

void xdpq_map_free(struct bpf_map *map)
{
	struct xdpq_map *q = xdpq_map(map);
	struct xdpq_node *node;
	unsigned int i;
	int cpu;
	u32 subq;

	/* No program references the map any more. Wait for the softirq
	 * sections that may still stage frames into q->bulk or flush it
	 * (see the comment in dev_map_free()).
	 */
	synchronize_rcu();

	/* Flushed by xdp_do_flush() at the end of every such section;
	 * anything left here is a driver bug, free it anyway.
	 */
	for_each_possible_cpu(cpu) {
		struct xdpq_bulk *bq = per_cpu_ptr(q->bulk, cpu);

		for (i = 0; i < bq->count; i++)
			xdp_return_frame(bq->q[i]);
	}

	for (subq = 0; subq < q->nr_subq; subq++)
		while ((node = q->ops->dequeue(q, subq)))
			xdp_return_frame(xdpq_node_frame(node));

	q->ops->destroy(q);
	/* The timers' programs are gone with the map's last user. */
	xdp_timer_waiters_wake(&q->waiters);
	net_passive_dec(q->net);
	free_percpu(q->bulk);
	bpf_map_area_free(q->busy);
	bpf_map_area_free(q->subq_stats);
	bpf_map_area_free(q);
}

/* The chunks of an ordering core for nframes frames in nlists lists,
 * allocated with the map and all spare. Chunks are aligned to their size,
 * which bpf_map_area_alloc() only promises when it takes whole pages: the
 * array gets one chunk more to start at a chunk boundary.
 */
int xdpq_chunk_pool_alloc(struct xdpq_chunk_pool *pool, u32 nframes,
			  u32 nlists, int numa_node)
{
	u64 n = xdpq_chunks_for(nframes, nlists);

	pool->array_mem = bpf_map_area_alloc((n + 1) * sizeof(*pool->array),
					     numa_node);
	if (!pool->array_mem)
		return -ENOMEM;
	pool->array = PTR_ALIGN(pool->array_mem, sizeof(*pool->array));
	pool->nr_array = n;
	xdpq_chunk_add(pool, pool->array, n);
	return 0;
}

/* A frame given back while the map is full may find no spare chunk: the
 * array only covers max_entries frames. Add one then, with GFP_ATOMIC as
 * q->lock is held; it stays with the map until xdpq_chunk_pool_free().
 */
int xdpq_chunk_pool_reserve(struct xdpq_map *q, struct xdpq_chunk_pool *pool)
{
	struct xdpq_chunk *chunk;

	if (likely(xdpq_chunk_has_spare(pool)))
		return 0;
	/* kmalloc() aligns a power of two size to itself */
	chunk = bpf_map_kmalloc_node(&q->map, sizeof(*chunk),
				     GFP_ATOMIC | __GFP_NOWARN,
				     q->map.numa_node);
	if (!chunk)
		return -ENOMEM;
	xdpq_chunk_add(pool, chunk, 1);
	WRITE_ONCE(pool->nr_added, pool->nr_added + 1);
	return 0;
}

/* xdpq_map_free() drained the map before its ->destroy, so all chunks are
 * spare; those outside the array were added by xdpq_chunk_pool_reserve().
 * Also frees a pool whose allocation failed, if it was zeroed before.
 */
void xdpq_chunk_pool_free(struct xdpq_chunk_pool *pool)
{
	struct xdpq_chunk *chunk, *next;
	u64 n = 0;

	for (chunk = pool->spare; chunk; chunk = next, n++) {
		next = chunk->next;
		if (chunk < pool->array || chunk >= pool->array + pool->nr_array)
			kfree(chunk);
	}
	/* A chunk still in a list would leak, with a frame in it */
	WARN_ON_ONCE(n != pool->nr_array + pool->nr_added);
	bpf_map_area_free(pool->array_mem);
}

u64 xdpq_chunk_pool_mem_usage(const struct xdpq_chunk_pool *pool)
{
	/* The array has a chunk more, for the alignment */
	u64 n = pool->array_mem ? pool->nr_array + 1 : 0;

	return (n + READ_ONCE(pool->nr_added)) * sizeof(struct xdpq_chunk);
}

/* n frames entered or left sub-queue subq, under q->lock. Its bit in
 * q->busy is set before the depth leaves 0 and cleared after it is back
 * at 0; both are read without the lock (xdpq_subq_idle()), hence the
 * atomic bitops and WRITE_ONCE(). The caller updates q->depth after the
 * sub-queue.
 */
static void xdpq_subq_grow(struct xdpq_map *q, u32 subq, u32 n)
{
	struct xdpq_subq_stats *s = &q->subq_stats[subq];

	if (!s->depth)
		set_bit(subq, q->busy);
	WRITE_ONCE(s->depth, s->depth + n);
}

static void xdpq_subq_shrink(struct xdpq_map *q, u32 subq, u32 n)
{
	struct xdpq_subq_stats *s = &q->subq_stats[subq];

	WRITE_ONCE(s->depth, s->depth - n);
	if (!s->depth)
		clear_bit(subq, q->busy);
}

/* n frames were enqueued to sub-queue subq, under q->lock. */
static void xdpq_subq_queued(struct xdpq_map *q, u32 subq, u32 n)
{
	xdpq_subq_grow(q, subq, n);
	q->subq_stats[subq].enqueued += n;
}

/* The n frames a flush moved into the map, under q->lock. Rank ordered
 * maps have one sub-queue, and FIFO schedulers often queue a bulk to one:
 * each run of a sub-queue's frames is counted once, and with one
 * sub-queue, the bulk as one run.
 */
static void xdpq_bulk_count(struct xdpq_map *q, struct xdp_frame **frames,
			    unsigned int n)
{
	unsigned int i, run;

	if (q->nr_subq == 1) {
		if (n)
			xdpq_subq_queued(q, 0, n);
		return;
	}
	for (i = 0; i < n; i += run) {
		u32 subq = xdpq_frame_node(frames[i])->subq;

		for (run = 1; i + run < n &&
		     xdpq_frame_node(frames[i + run])->subq == subq; run++)
			;
		xdpq_subq_queued(q, subq, run);
	}
}

/* The map lock, where bottom halves are disabled already */
static void xdpq_lock_in_bh(struct xdpq_map *q)
{
	lockdep_assert_in_softirq();
	spin_lock(&q->lock);
}

static void xdpq_bulk_flush(struct xdpq_bulk *bq)
{
	struct xdpq_map *q = bq->map;
	unsigned int i, n = bq->count, room, queued;
	LIST_HEAD(waiters);

	xdpq_lock_in_bh(q);
	/* Frames given back by a device may hold the map above its size */
	room = q->depth < q->map.max_entries ?
	       min_t(u64, n, q->map.max_entries - q->depth) : 0;
	queued = q->ops->enqueue_batch(q, bq->q, room);
	xdpq_bulk_count(q, bq->q, queued);
	smp_wmb();	/* sub-queue depths before q->depth: xdpq_subq_idle() */
	WRITE_ONCE(q->depth, q->depth + queued);
	q->enqueued += queued;
	if (queued)
		list_splice_init(&q->waiters, &waiters);
	spin_unlock(&q->lock);
	xdp_timer_waiters_wake(&waiters);

	if (unlikely(queued < n)) {
		for (i = queued; i < n; i++)
			xdp_return_frame_rx_napi(bq->q[i]);
		u64_stats_update_begin(&bq->stats.syncp);
		u64_stats_add(&bq->stats.drop_range, room - queued);
		u64_stats_add(&bq->stats.drop_full, n - room);
		u64_stats_update_end(&bq->stats.syncp);
	}
	bq->count = 0;
}

/* Called from xdp_do_flush(), see the comment above it in filter.c. */
void __xdpq_map_flush(struct list_head *flush_list)
{
	struct xdpq_bulk *bq, *tmp;

	list_for_each_entry_safe(bq, tmp, flush_list, flush_node) {
		xdpq_bulk_flush(bq);
		__list_del_clearprev(&bq->flush_node);
	}
}

/* xdpf joins a full bulk, which is flushed first; if other CPUs filled
 * the map meanwhile, it is refused like any frame that finds the map full.
 * Out of line, like xdpq_map_enqueue_flags(), so that the usual enqueue
 * calls nothing and needs no registers saved.
 */
static noinline int xdpq_bulk_flush_add(struct xdpq_bulk *bq,
					struct xdp_frame *xdpf)
{
	struct xdpq_map *q = bq->map;

	xdpq_bulk_flush(bq);
	if (unlikely(READ_ONCE(q->depth) >= q->map.max_entries)) {
		xdpq_count(q, drop_full);
		return -EOVERFLOW;
	}
	bq->q[bq->count++] = xdpf;
	return 0;
}

/* Stage xdpf in this CPU's bulk, its key checked already. */
static __always_inline int __xdpq_map_enqueue(struct xdpq_map *q, u64 rank,
					      u32 subq, u32 flags,
					      struct xdp_frame *xdpf)
{
	struct xdpq_bulk *bq = this_cpu_ptr(q->bulk);
	/* Read once: for the compiler, the node's stores may change it */
	unsigned int count = bq->count;
	struct xdpq_node *node;

	if (unlikely(!xdpq_frame_fits(xdpf))) {
		xdpq_count(q, drop_headroom);
		return -ENOSPC;
	}
	if (unlikely(READ_ONCE(q->depth) + count >= q->map.max_entries)) {
		xdpq_count(q, drop_full);
		return -EOVERFLOW;
	}

	node = xdpq_frame_node(xdpf);
	node->map = q;
	node->rank = rank;
	node->subq = subq;
	node->flags = flags;

	if (!bq->flush_node.prev)
		list_add(&bq->flush_node,
			 bpf_net_ctx_get_queue_map_flush_list());
	if (unlikely(count == XDPQ_BULK_SIZE))
		return xdpq_bulk_flush_add(bq, xdpf);
	bq->q[count] = xdpf;
	bq->count = count + 1;
	return 0;
}

/* A redirect with flags, which the map's admit hook has a say in. Out of
 * line, so that the usual enqueue, without flags, stores constants.
 */
static noinline int xdpq_map_enqueue_flags(struct xdpq_map *q, u64 rank,
					   u32 flags, struct xdp_frame *xdpf)
{
	int err = q->ops->admit ? q->ops->admit(q, rank, flags) : 0;

	if (unlikely(err)) {
		xdpq_count(q, drop_range);
		return err;
	}
	return __xdpq_map_enqueue(q, rank, 0, flags, xdpf);
}

/* xdpq_map_enqueue() and xdpq_map_enqueue_rank() run from
 * __xdp_do_redirect_frame(), with bottom halves disabled, with the
 * bpf_redirect_map() key: the sub-queue index of a FIFO map, the rank of
 * a rank ordered one, which also gets what its map_redirect kept of the
 * flags. On error the caller still owns xdpf.
 */
int xdpq_map_enqueue(struct bpf_map *map, u64 subq, struct xdp_frame *xdpf)
{
	struct xdpq_map *q = xdpq_map(map);

	if (unlikely(subq >= q->nr_subq)) {
		xdpq_count(q, drop_range);
		return -ERANGE;
	}
	return __xdpq_map_enqueue(q, 0, subq, 0, xdpf);
}

int xdpq_map_enqueue_rank(struct bpf_map *map, u64 rank, u32 flags,
			  struct xdp_frame *xdpf)
{
	struct xdpq_map *q = xdpq_map(map);

	if (unlikely(flags))
		return xdpq_map_enqueue_flags(q, rank, flags, xdpf);
	return __xdpq_map_enqueue(q, rank, 0, 0, xdpf);
}

/* Under q->lock, the map found empty: the timer whose callback looked,
 * if any, is started when frames next arrive (xdpq_bulk_flush()).
 */
static void xdpq_wait_for_frames(struct xdpq_map *q)
{
	struct bpf_map *timer_map;
	void *timer_value;

	if (q->depth)
		return;
	timer_map = xdp_get_timer_cb(&timer_value);
	xdp_timer_waiter_add(&q->waiters, timer_map, timer_value);
}

/* An empty sub-queue of a map that holds frames elsewhere, seen without
 * the lock: there is nothing to take and no waiter to add (see
 * xdpq_wait_for_frames()). Schedulers that visit their sub-queues in turn
 * find most of them empty, and this spares them the lock.
 *
 * q->depth is read first, and flushes and requeues write it after the
 * sub-queue depths (smp_wmb()): a frame counted in the q->depth seen here
 * is counted in its sub-queue too. Only the consumer, which is calling
 * this, takes frames out, so the map still holds frames when the
 * sub-queue is read empty: the answer is the one the lock would have
 * given when q->depth was read. An empty map takes the lock, which records
 * the timer as a waiter unless frames came in meanwhile.
 */
static bool xdpq_subq_idle(const struct xdpq_map *q, u32 subq)
{
	if (!READ_ONCE(q->depth))
		return false;
	smp_rmb();	/* pairs with smp_wmb() in xdpq_bulk_flush() */
	return !READ_ONCE(q->subq_stats[subq].depth);
}

/* Under q->lock: n frames left sub-queue subq. */
static void xdpq_taken(struct xdpq_map *q, u32 subq, u32 n)
{
	xdpq_subq_shrink(q, subq, n);
	q->subq_stats[subq].dequeued += n;
	WRITE_ONCE(q->depth, q->depth - n);
	q->dequeued += n;
}

/* Backend of the xdp_packet_dequeue() kfunc. The caller checked that map
 * is a queue map.
 */
struct xdp_frame *xdpq_map_dequeue(struct bpf_map *map, u32 subq, u64 flags,
				   u64 *rank)
{
	struct xdpq_map *q = xdpq_map(map);
	struct xdpq_node *node = NULL;
	u64 head_rank;

	if (unlikely(subq >= q->nr_subq) || xdpq_subq_idle(q, subq))
		return NULL;

	spin_lock_bh(&q->lock);
	if (flags & BPF_XDP_DEQUEUE_RANK_LE) {
		if (!q->ops->peek_rank(q, subq, &head_rank)) {
			xdpq_wait_for_frames(q);
			goto unlock;
		}
		if (head_rank > *rank)
			goto unlock;
	}
	node = q->ops->dequeue(q, subq);
	if (node)
		xdpq_taken(q, subq, 1);
	else
		xdpq_wait_for_frames(q);
unlock:
	spin_unlock_bh(&q->lock);

	if (!node)
		return NULL;
	*rank = node->rank;
	return xdpq_node_frame(node);
}

/* Backend of the xdp_packet_dequeue_send() kfunc: take up to n frames
 * from the head of sub-queue subq under one lock, fewer once sum->bytes,
 * to which they are added, reaches max_bytes. Returns how many were
 * taken, -ERANGE for a sub-queue out of range. The caller checked that
 * map is a queue map, and runs in a bpf_net_context.
 */
int xdpq_map_dequeue_bulk(struct bpf_map *map, u32 subq,
			  struct xdp_frame **frames, unsigned int n,
			  u64 max_bytes, struct xdpq_bulk_sum *sum)
{
	struct xdpq_map *q = xdpq_map(map);
	unsigned int taken;

	if (unlikely(subq >= q->nr_subq))
		return -ERANGE;
	if (xdpq_subq_idle(q, subq))
		return 0;

	xdpq_lock_in_bh(q);
	taken = q->ops->dequeue_bulk(q, subq, frames, n, max_bytes, sum);
	/* The counters once for the bulk, before looking for an empty map */
	xdpq_taken(q, subq, taken);
	if (taken < n && sum->bytes < max_bytes)
		xdpq_wait_for_frames(q);
	spin_unlock(&q->lock);
	return taken;
}

/* Give a dequeued frame back to its queue, at the head, as if it had
 * never left: a send that the target refused. Also when other CPUs
 * filled the map meanwhile: q->depth may then exceed max_entries.
 */
void xdpq_map_requeue(struct xdp_frame *xdpf)
{
	struct xdpq_node *node = xdpq_frame_node(xdpf);
	struct xdpq_map *q = node->map;

	spin_lock_bh(&q->lock);
	if (unlikely(q->ops->requeue(q, node))) {
		spin_unlock_bh(&q->lock);
		xdpq_count(q, send_failed);
		xdp_return_frame(xdpf);
		return;
	}
	xdpq_subq_grow(q, node->subq, 1);
	q->subq_stats[node->subq].dequeued--;
	smp_wmb();	/* see xdpq_subq_idle() */
	WRITE_ONCE(q->depth, q->depth + 1);
	q->dequeued--;
	spin_unlock_bh(&q->lock);
}

/* Backend of the xdp_packet_peek_rank() kfunc. The caller checked that map
 * is a queue map.
 */
int xdpq_map_peek_rank(struct bpf_map *map, u32 subq, u64 *rank)
{
	struct xdpq_map *q = xdpq_map(map);
	bool found;

	if (unlikely(subq >= q->nr_subq) || xdpq_subq_idle(q, subq))
		return -ENOENT;

	spin_lock_bh(&q->lock);
	found = q->ops->peek_rank(q, subq, rank);
	if (!found)
		xdpq_wait_for_frames(q);
	spin_unlock_bh(&q->lock);

	return found ? 0 : -ENOENT;
}

/* Backend of the xdp_packet_next_subq() kfunc: the first sub-queue in
 * [from, to) that holds frames, from the map's bitmap of them. The bits
 * are set before a sub-queue's depth grows from 0 and cleared after it
 * fell to 0, under the lock; they are read without it, in the order
 * xdpq_subq_idle() explains. Finding the map empty under the lock makes
 * the calling timer wait for frames, as an empty dequeue does. The caller
 * checked that map is a queue map.
 */
int xdpq_map_next_subq(struct bpf_map *map, u32 from, u32 to)
{
	struct xdpq_map *q = xdpq_map(map);
	bool empty;
	u32 subq;

	if (!READ_ONCE(q->depth)) {
		spin_lock_bh(&q->lock);
		empty = !q->depth;
		xdpq_wait_for_frames(q);
		spin_unlock_bh(&q->lock);
		if (empty)
			return -ENOENT;
	}
	smp_rmb();	/* see xdpq_subq_idle() */
	to = min(to, q->nr_subq);
	if (from >= to)
		return -ENOENT;
	subq = find_next_bit(q->busy, to, from);
	return subq < to ? subq : -ENOENT;
}

/* Backend of the xdp_packet_nr_queued() kfunc: the depths are read
 * without the lock, as xdpq_subq_idle() does. The caller checked that map
 * is a queue map.
 */
s64 xdpq_map_nr_queued(struct bpf_map *map, u32 subq)
{
	struct xdpq_map *q = xdpq_map(map);

	if (subq == BPF_XDP_QUEUE_TOTAL)
		return READ_ONCE(q->depth);
	if (unlikely(subq >= q->nr_subq))
		return -ERANGE;
	return READ_ONCE(q->subq_stats[subq].depth);
}

static void xdpq_map_read_pcpu(struct xdpq_map *q,
			       struct bpf_xdp_queue_stats *st)
{
	int cpu;

	for_each_possible_cpu(cpu) {
		const struct xdpq_pcpu_stats *s = &per_cpu_ptr(q->bulk, cpu)->stats;
		u64 sent, send_failed, dropped, full, range, headroom;
		unsigned int start;

		do {
			start = u64_stats_fetch_begin(&s->syncp);
			sent = u64_stats_read(&s->sent);
			send_failed = u64_stats_read(&s->send_failed);
			dropped = u64_stats_read(&s->dropped);
			full = u64_stats_read(&s->drop_full);
			range = u64_stats_read(&s->drop_range);
			headroom = u64_stats_read(&s->drop_headroom);
		} while (u64_stats_fetch_retry(&s->syncp, start));

		st->sent += sent;
		st->send_failed += send_failed;
		st->dropped += dropped;
		st->drop_full += full;
		st->drop_range += range;
		st->drop_headroom += headroom;
	}
}

/* BPF_MAP_LOOKUP_ELEM from user space, called by bpf_map_copy_value().
 * The key is a sub-queue index or BPF_XDP_QUEUE_TOTAL. Rank ordered maps
 * have a single sub-queue, 0.
 */
int xdpq_map_copy_value(struct bpf_map *map, void *key, void *value)
{
	struct xdpq_map *q = xdpq_map(map);
	struct bpf_xdp_queue_stats st = {};
	u32 subq = *(u32 *)key;

	if (subq != BPF_XDP_QUEUE_TOTAL && subq >= q->nr_subq)
		return -ENOENT;

	spin_lock_bh(&q->lock);
	if (subq == BPF_XDP_QUEUE_TOTAL) {
		st.depth = q->depth;
		st.enqueued = q->enqueued;
		st.dequeued = q->dequeued;
	} else {
		st.depth = q->subq_stats[subq].depth;
		st.enqueued = q->subq_stats[subq].enqueued;
		st.dequeued = q->subq_stats[subq].dequeued;
	}
	spin_unlock_bh(&q->lock);

	if (subq == BPF_XDP_QUEUE_TOTAL)
		xdpq_map_read_pcpu(q, &st);

	memcpy(value, &st, sizeof(st));
	return 0;
}

/* Walk the sub-queues, then the totals, so that a dump shows both. */
int xdpq_map_get_next_key(struct bpf_map *map, void *key, void *next_key)
{
	struct xdpq_map *q = xdpq_map(map);
	u32 index = key ? *(u32 *)key : 0;
	u32 *next = next_key;

	if (index == BPF_XDP_QUEUE_TOTAL)
		return -ENOENT;
	if (!key || index >= q->nr_subq)
		*next = 0;
	else if (index == q->nr_subq - 1)
		*next = BPF_XDP_QUEUE_TOTAL;
	else
		*next = index + 1;
	return 0;
}

/* Only reached from user space, bpf_map_copy_value() handles lookups */
void *xdpq_map_lookup_elem(struct bpf_map *map, void *key)
{
	return ERR_PTR(-EOPNOTSUPP);
}

long xdpq_map_update_elem(struct bpf_map *map, void *key, void *value,
			  u64 flags)
{
	return -EOPNOTSUPP;
}

long xdpq_map_delete_elem(struct bpf_map *map, void *key)
{
	return -EOPNOTSUPP;
}

/* __bpf_xdp_redirect_map(), which this follows and must keep in step
 * with, for a target that is the map itself: the key (sub-queue index or
 * rank) travels in bpf_redirect_info::tgt_index and is checked at the
 * enqueue, so that a bad key shows up in the xdp_redirect_map_err
 * tracepoint. There is no lookup to fail and no broadcast, whose tests the
 * compiler would keep; ri->flags keeps the map's own flags, kept_flags,
 * for the enqueue.
 */
static __always_inline long __xdpq_map_redirect(struct bpf_map *map, u64 key,
						u64 flags, const u64 kept_flags)
{
	struct bpf_redirect_info *ri = bpf_net_ctx_get_ri();
	const u64 action_mask = XDP_ABORTED | XDP_DROP | XDP_PASS | XDP_TX;

	if (unlikely(flags & ~(action_mask | kept_flags)))
		return XDP_ABORTED;
	ri->tgt_value = map;
	ri->tgt_index = key;
	ri->map_id = map->id;
	ri->map_type = map->map_type;
	WRITE_ONCE(ri->map, NULL);
	ri->flags = flags & kept_flags;
	return XDP_REDIRECT;
}

long xdpq_map_redirect(struct bpf_map *map, u64 key, u64 flags)
{
	return __xdpq_map_redirect(map, key, flags, 0);
}

/* For the maps that take BPF_F_RANK_STRICT (PIFO) */
long xdpq_map_redirect_strict(struct bpf_map *map, u64 key, u64 flags)
{
	return __xdpq_map_redirect(map, key, flags, BPF_F_RANK_STRICT);
}

u64 xdpq_map_mem_usage(const struct bpf_map *map)
{
	const struct xdpq_map *q = container_of(map, struct xdpq_map, map);
	u64 usage = sizeof(*q);

	usage += (u64)q->nr_subq * sizeof(struct xdpq_subq_stats);
	usage += xdpq_busy_size(q);
	usage += (u64)num_possible_cpus() * sizeof(struct xdpq_bulk);
	return usage + q->ops->mem_usage(q);
}

BTF_ID_LIST_GLOBAL_SINGLE(xdpq_map_btf_ids, struct, xdpq_map)
