// SPDX-License-Identifier: GPL-2.0
/* The marker of `make bench-profile`: a guest program whose only code at
 * XDPQ_MARK_ADDR (0x7e000000, see the linker flags in the Makefile) makes
 * xdpq_icount_plugin.c dump its counts. Static, without libc, so that
 * nothing else in the guest runs code at that address.
 */
__attribute__((section(".xdpq_mark"), used, noinline))
void xdpq_mark(void)
{
	__asm__ volatile("" ::: "memory");
}

void _start(void)
{
	xdpq_mark();
	__asm__ volatile("mov $60, %eax\n\txor %edi, %edi\n\tsyscall");
}
