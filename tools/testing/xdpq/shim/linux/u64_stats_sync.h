/* SPDX-License-Identifier: GPL-2.0-only */
#ifndef __XDPQ_SHIM_U64_STATS_SYNC_H__
#define __XDPQ_SHIM_U64_STATS_SYNC_H__

#include <linux/types.h>

typedef struct {
	u64 v;
} u64_stats_t;

struct u64_stats_sync {
};

#endif
