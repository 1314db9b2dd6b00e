/* SPDX-License-Identifier: GPL-2.0 */
/* Declarations of the xdpq kfuncs and helpers shared by the xdpq selftest
 * programs.
 */
#ifndef __XDPQ_KFUNCS_H
#define __XDPQ_KFUNCS_H

struct xdp_frame *xdp_packet_dequeue(void *map, __u64 flags, __u64 *rank) __ksym;
int xdp_packet_send(struct xdp_frame *frame, __u32 ifindex, __u64 flags) __ksym;
int xdp_packet_dequeue_send(void *map, __u64 flags, __u32 ifindex, __u32 max_frames,
			    __u64 *bytes) __ksym;
void xdp_packet_drop(struct xdp_frame *frame) __ksym;
void xdp_packet_flush(void) __ksym;
int xdp_packet_peek_rank(void *map, __u64 flags, __u64 *rank) __ksym;
int xdp_packet_next_subq(void *map, __u32 from, __u32 to) __ksym;
__s64 xdp_packet_nr_queued(void *map, __u64 flags) __ksym;
__s64 xdp_tx_budget(void *map, __u32 ifindex) __ksym;
int xdp_packet_load_bytes(struct xdp_frame *frame, __s32 offset, void *buf,
			  __u32 buf__sz) __ksym;

#define XDPQ_EBUSY 16

/* uapi flags that live in anonymous enums, which vmlinux.h lacks */
#define XDPQ_F_RANK_STRICT	(1ULL << 5)	/* BPF_F_RANK_STRICT */
#define XDPQ_DEQUEUE_RANK_LE	(1ULL << 32)	/* BPF_XDP_DEQUEUE_RANK_LE */

/* The test frames: Ethernet, IPv6, UDP, then a 32-bit sequence number,
 * sent from XDPQ_TEST_SRC_MAC.
 */
#define XDPQ_SEQ_OFF 62
#define XDPQ_TEST_SRC_MAC { 0x02, 0, 0, 0, 0, 0x01 }

static inline bool xdpq_is_test_frame(const struct ethhdr *eth)
{
	const unsigned char src[] = XDPQ_TEST_SRC_MAC;

	return !__builtin_memcmp(eth->h_source, src, sizeof(src));
}

#ifndef CLOCK_MONOTONIC
#define CLOCK_MONOTONIC 1
#endif

#endif
