// SPDX-License-Identifier: GPL-2.0-only
/* XDP queue maps: BPF_MAP_TYPE_XDP_FIFO
 *
 * A queue map holds XDP frames. An XDP program queues the frame it is
 * running on with bpf_redirect_map(&map, subq, flags), where subq selects
 * one of map_extra sub-queues. XDP programs, or their bpf_timer callbacks,
 * take frames out again with the xdp_packet_dequeue() kfunc and hand them
 * to xdp_packet_send() or xdp_packet_drop() (net/core/xdp_dequeue.c).
 *
 * The map is split in two parts. The map core in this file owns the map
 * lifetime, the per-CPU enqueue bulk, capacity and statistics. The
 * ordering core (struct xdpq_ops) only keeps frames in order: FIFO lists
 * here; the rank ordered maps plug in their own. Ordering callbacks run
 * under the map lock.
 *
 * Storage. A queued frame is an xdp_frame. Its bookkeeping, struct
 * xdpq_node, lives in the frame's headroom right after the xdp_frame, so
 * queueing allocates nothing. A frame whose headroom cannot hold the node
 * next to its metadata is refused with -ENOSPC. max_entries caps the
 * number of frames the map holds at once.
 *
 * Enqueue. __xdp_do_redirect_frame() calls xdpq_map_enqueue(), which runs
 * in the NAPI (or cpumap kthread, or live test_run) context of the
 * redirecting CPU with bottom halves disabled and a bpf_net_context set.
 * Range, headroom and a racy lock-free capacity check fail the redirect
 * at once, so the driver frees the frame and the xdp_redirect_map_err
 * tracepoint reports the errno. Accepted frames are staged in the map's
 * per-CPU struct xdpq_bulk, which is put on the queue map flush list of
 * the bpf_net_context. xdp_do_flush() calls __xdpq_map_flush(), which
 * takes the map lock once per bulk, moves the frames into the ordering
 * core, and drops (xdp_return_frame_rx_napi()) what no longer fits because
 * other CPUs filled the map in the meantime.
 *
 * Locking. One spinlock per map protects the ordering core, the per
 * sub-queue counters and q->depth. It is taken with spin_lock_bh(): it is
 * mostly taken from softirq, but XDP programs can also run from
 * BPF_PROG_TEST_RUN and the syscall reads statistics. q->depth is also
 * read without the lock (READ_ONCE()) for the enqueue capacity check.
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

#define XDPQ_CREATE_FLAG_MASK	BPF_F_NUMA_NODE
#define XDPQ_MAX_FRAMES		(1U << 24)
#define XDPQ_MAX_SUBQ		65536

/* FIFO ordering core: one list per sub-queue. */

static int xdpq_fifo_init(struct xdpq_map *q, int numa_node)
{
	struct list_head *heads;
	u32 i;

	heads = bpf_map_area_alloc((u64)q->nr_subq * sizeof(*heads), numa_node);
	if (!heads)
		return -ENOMEM;
	for (i = 0; i < q->nr_subq; i++)
		INIT_LIST_HEAD(&heads[i]);
	q->priv = heads;
	return 0;
}

static void xdpq_fifo_destroy(struct xdpq_map *q)
{
	bpf_map_area_free(q->priv);
}

static void xdpq_fifo_enqueue_batch(struct xdpq_map *q,
				    struct xdp_frame **frames, unsigned int n)
{
	struct list_head *heads = q->priv;
	unsigned int i;

	for (i = 0; i < n; i++) {
		struct xdpq_node *node = xdpq_frame_node(frames[i]);

		list_add_tail(&node->list, &heads[node->subq]);
	}
}

static struct xdpq_node *xdpq_fifo_dequeue(struct xdpq_map *q, u32 subq)
{
	struct list_head *heads = q->priv;
	struct xdpq_node *node;

	node = list_first_entry_or_null(&heads[subq], struct xdpq_node, list);
	if (node)
		list_del(&node->list);
	return node;
}

static bool xdpq_fifo_peek_rank(struct xdpq_map *q, u32 subq, u64 *rank)
{
	struct list_head *heads = q->priv;

	*rank = 0;
	return !list_empty(&heads[subq]);
}

static const struct xdpq_ops xdpq_fifo_ops = {
	.init		= xdpq_fifo_init,
	.destroy	= xdpq_fifo_destroy,
	.enqueue_batch	= xdpq_fifo_enqueue_batch,
	.dequeue	= xdpq_fifo_dequeue,
	.peek_rank	= xdpq_fifo_peek_rank,
};

/* Map core */

static struct xdpq_map *xdpq_map(struct bpf_map *map)
{
	return container_of(map, struct xdpq_map, map);
}

bool xdpq_is_queue_map(const struct bpf_map *map)
{
	return map->map_type == BPF_MAP_TYPE_XDP_FIFO;
}

static int xdpq_map_alloc_check(union bpf_attr *attr)
{
	if (attr->key_size != sizeof(u32) ||
	    attr->value_size != sizeof(struct bpf_xdp_queue_stats) ||
	    attr->map_flags & ~XDPQ_CREATE_FLAG_MASK || !attr->max_entries)
		return -EINVAL;
	if (attr->max_entries > XDPQ_MAX_FRAMES ||
	    attr->map_extra > XDPQ_MAX_SUBQ)
		return -E2BIG;
	return 0;
}

static struct bpf_map *xdpq_map_alloc(union bpf_attr *attr)
{
	int numa_node = bpf_map_attr_numa_node(attr);
	struct xdpq_map *q;
	int cpu, err;

	q = bpf_map_area_alloc(sizeof(*q), numa_node);
	if (!q)
		return ERR_PTR(-ENOMEM);

	bpf_map_init_from_attr(&q->map, attr);
	spin_lock_init(&q->lock);
	q->ops = &xdpq_fifo_ops;
	q->nr_subq = attr->map_extra ?: 1;

	err = -ENOMEM;
	q->subq_stats = bpf_map_area_alloc((u64)q->nr_subq *
					   sizeof(*q->subq_stats), numa_node);
	if (!q->subq_stats)
		goto free_q;

	q->bulk = bpf_map_alloc_percpu(&q->map, sizeof(*q->bulk),
				       __alignof__(*q->bulk),
				       GFP_USER | __GFP_NOWARN);
	if (!q->bulk)
		goto free_stats;
	for_each_possible_cpu(cpu) {
		struct xdpq_bulk *bq = per_cpu_ptr(q->bulk, cpu);

		bq->map = q;
		u64_stats_init(&bq->stats.syncp);
	}

	err = q->ops->init(q, numa_node);
	if (err)
		goto free_bulk;

	q->net = current->nsproxy->net_ns;
	net_passive_inc(q->net);
	return &q->map;

free_bulk:
	free_percpu(q->bulk);
free_stats:
	bpf_map_area_free(q->subq_stats);
free_q:
	bpf_map_area_free(q);
	return ERR_PTR(err);
}

static void xdpq_map_free(struct bpf_map *map)
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
	net_passive_dec(q->net);
	free_percpu(q->bulk);
	bpf_map_area_free(q->subq_stats);
	bpf_map_area_free(q);
}

static void xdpq_bulk_flush(struct xdpq_bulk *bq)
{
	struct xdpq_map *q = bq->map;
	unsigned int i, n = bq->count, queued;

	spin_lock_bh(&q->lock);
	queued = min_t(u64, n, q->map.max_entries - q->depth);
	for (i = 0; i < queued; i++) {
		struct xdpq_subq_stats *s;

		s = &q->subq_stats[xdpq_frame_node(bq->q[i])->subq];
		s->depth++;
		s->enqueued++;
	}
	q->ops->enqueue_batch(q, bq->q, queued);
	WRITE_ONCE(q->depth, q->depth + queued);
	q->enqueued += queued;
	spin_unlock_bh(&q->lock);

	if (unlikely(queued < n)) {
		for (i = queued; i < n; i++)
			xdp_return_frame_rx_napi(bq->q[i]);
		u64_stats_update_begin(&bq->stats.syncp);
		u64_stats_add(&bq->stats.drop_full, n - queued);
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

/* Runs from __xdp_do_redirect_frame(), with bottom halves disabled. On
 * error the caller still owns xdpf.
 */
int xdpq_map_enqueue(struct bpf_map *map, u64 subq, struct xdp_frame *xdpf)
{
	struct xdpq_map *q = xdpq_map(map);
	struct xdpq_bulk *bq = this_cpu_ptr(q->bulk);
	struct xdpq_node *node;

	if (unlikely(subq >= q->nr_subq)) {
		xdpq_count(q, drop_range);
		return -ERANGE;
	}
	if (unlikely(!xdpq_frame_fits(xdpf))) {
		xdpq_count(q, drop_headroom);
		return -ENOSPC;
	}
	if (unlikely(READ_ONCE(q->depth) + bq->count >= map->max_entries)) {
		xdpq_count(q, drop_full);
		return -EOVERFLOW;
	}

	if (unlikely(bq->count == XDPQ_BULK_SIZE))
		xdpq_bulk_flush(bq);

	node = xdpq_frame_node(xdpf);
	node->map = q;
	node->rank = 0;
	node->subq = subq;

	if (!bq->flush_node.prev)
		list_add(&bq->flush_node,
			 bpf_net_ctx_get_queue_map_flush_list());
	bq->q[bq->count++] = xdpf;
	return 0;
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

	if (unlikely(subq >= q->nr_subq))
		return NULL;

	spin_lock_bh(&q->lock);
	if (!q->ops->peek_rank(q, subq, &head_rank))
		goto unlock;
	if ((flags & BPF_XDP_DEQUEUE_RANK_LE) && head_rank > *rank)
		goto unlock;
	node = q->ops->dequeue(q, subq);
	q->subq_stats[subq].depth--;
	q->subq_stats[subq].dequeued++;
	WRITE_ONCE(q->depth, q->depth - 1);
	q->dequeued++;
unlock:
	spin_unlock_bh(&q->lock);

	if (!node)
		return NULL;
	*rank = node->rank;
	return xdpq_node_frame(node);
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
 * The key is a sub-queue index or BPF_XDP_QUEUE_TOTAL.
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
static int xdpq_map_get_next_key(struct bpf_map *map, void *key,
				 void *next_key)
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
static void *xdpq_map_lookup_elem(struct bpf_map *map, void *key)
{
	return ERR_PTR(-EOPNOTSUPP);
}

static long xdpq_map_update_elem(struct bpf_map *map, void *key, void *value,
				 u64 flags)
{
	return -EOPNOTSUPP;
}

static long xdpq_map_delete_elem(struct bpf_map *map, void *key)
{
	return -EOPNOTSUPP;
}

/* The redirect target is the map itself; the sub-queue index travels in
 * bpf_redirect_info::tgt_index and is checked in xdpq_map_enqueue(), so
 * that a bad index shows up in the xdp_redirect_map_err tracepoint.
 */
static void *xdpq_map_redirect_target(struct bpf_map *map, u32 key)
{
	return map;
}

static long xdpq_map_redirect(struct bpf_map *map, u64 subq, u64 flags)
{
	return __bpf_xdp_redirect_map(map, subq, flags, 0,
				      xdpq_map_redirect_target);
}

static u64 xdpq_map_mem_usage(const struct bpf_map *map)
{
	const struct xdpq_map *q = container_of(map, struct xdpq_map, map);
	u64 usage = sizeof(*q);

	usage += (u64)q->nr_subq * (sizeof(struct xdpq_subq_stats) +
				    sizeof(struct list_head));
	usage += (u64)num_possible_cpus() * sizeof(struct xdpq_bulk);
	return usage;
}

BTF_ID_LIST_SINGLE(xdpq_map_btf_ids, struct, xdpq_map)
const struct bpf_map_ops xdp_fifo_map_ops = {
	.map_meta_equal = bpf_map_meta_equal,
	.map_alloc_check = xdpq_map_alloc_check,
	.map_alloc = xdpq_map_alloc,
	.map_free = xdpq_map_free,
	.map_get_next_key = xdpq_map_get_next_key,
	.map_lookup_elem = xdpq_map_lookup_elem,
	.map_update_elem = xdpq_map_update_elem,
	.map_delete_elem = xdpq_map_delete_elem,
	.map_check_btf = map_check_no_btf,
	.map_mem_usage = xdpq_map_mem_usage,
	.map_btf_id = &xdpq_map_btf_ids[0],
	.map_redirect = xdpq_map_redirect,
};
