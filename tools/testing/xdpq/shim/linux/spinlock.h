/* SPDX-License-Identifier: GPL-2.0-only */
#ifndef __XDPQ_SHIM_SPINLOCK_H__
#define __XDPQ_SHIM_SPINLOCK_H__

typedef struct {
	int locked;
} spinlock_t;

#endif
