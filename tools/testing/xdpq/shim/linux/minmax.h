/* SPDX-License-Identifier: GPL-2.0-only */
/* What the ordering cores use of include/linux/minmax.h that
 * tools/include/linux/kernel.h lacks.
 */
#ifndef __XDPQ_SHIM_MINMAX_H__
#define __XDPQ_SHIM_MINMAX_H__

#define swap(a, b) \
	do { typeof(a) __tmp = (a); (a) = (b); (b) = __tmp; } while (0)

#endif
