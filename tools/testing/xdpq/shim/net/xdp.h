/* SPDX-License-Identifier: GPL-2.0-only */
/* struct xdp_frame with the layout of include/net/xdp.h on 64-bit. */
#ifndef __XDPQ_SHIM_XDP_H__
#define __XDPQ_SHIM_XDP_H__

#include <linux/types.h>

struct xdp_frame {
	void *data;
	u16 len;
	u16 headroom;
	u32 metasize;
	u64 mem;
	void *dev_rx;
	u32 frame_sz;
	u32 flags;
};

#endif
