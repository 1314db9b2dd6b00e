// SPDX-License-Identifier: GPL-2.0
/* A QEMU TCG plugin for `make bench-profile`: how many guest instructions
 * each translation block executed, dumped whenever guest code at
 * XDPQ_MARK_ADDR runs (the marks of xdpq_bench -p) and when QEMU exits.
 *
 * Every translation block gets an inline counter of its executions, keyed
 * by its guest virtual address and length; a dump lists address, length
 * and executions, and xdpq_profile.py maps the addresses to the guest's
 * kernel symbols. Under -icount shift=0 an instruction is a nanosecond of
 * guest time, so the dumps say where the nanoseconds of `make bench` go.
 *
 * Debian ships QEMU with plugin support but without qemu-plugin.h, so the
 * few calls this uses are declared here, as QEMU 7.2 (plugin API 1)
 * defines them.
 *
 * usage: qemu-system-x86_64 ... -plugin libxdpq_icount.so,out=PREFIX
 * writes PREFIX.0, PREFIX.1, ... one per mark, the last at exit.
 */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

typedef uint64_t qemu_plugin_id_t;
struct qemu_plugin_tb;
enum qemu_plugin_cb_flags { QEMU_PLUGIN_CB_NO_REGS };
enum qemu_plugin_op { QEMU_PLUGIN_INLINE_ADD_U64 };

void qemu_plugin_register_vcpu_tb_trans_cb(qemu_plugin_id_t id,
					   void (*cb)(qemu_plugin_id_t id,
						      struct qemu_plugin_tb *tb));
size_t qemu_plugin_tb_n_insns(const struct qemu_plugin_tb *tb);
uint64_t qemu_plugin_tb_vaddr(const struct qemu_plugin_tb *tb);
void qemu_plugin_register_vcpu_tb_exec_inline(struct qemu_plugin_tb *tb,
					      enum qemu_plugin_op op,
					      void *ptr, uint64_t imm);
void qemu_plugin_register_vcpu_tb_exec_cb(struct qemu_plugin_tb *tb,
					  void (*cb)(unsigned int vcpu, void *udata),
					  enum qemu_plugin_cb_flags flags,
					  void *udata);
void qemu_plugin_register_atexit_cb(qemu_plugin_id_t id,
				    void (*cb)(qemu_plugin_id_t id, void *udata),
				    void *udata);

__attribute__((visibility("default"))) int qemu_plugin_version = 1;

#define XDPQ_MARK_ADDR	0x7e000000ULL	/* PROFILE_MARK_ADDR of xdpq_bench.c */
#define NR_SLOTS	(1U << 22)	/* open addressing, far above the TBs */

struct tb_count {
	uint64_t vaddr;
	uint64_t insns;
	uint64_t execs;
};

static struct tb_count *slots;
static const char *prefix = "xdpq_icount";
static int dumps;

/* A translation block's counter: a block retranslated with another length
 * (a different exit) gets a counter of its own.
 */
static struct tb_count *tb_slot(uint64_t vaddr, uint64_t insns)
{
	uint64_t h = (vaddr * 0x9E3779B97F4A7C15ULL ^ insns) >> 40;

	for (;; h++) {
		struct tb_count *c = &slots[h & (NR_SLOTS - 1)];

		if (!c->vaddr) {
			c->vaddr = vaddr;
			c->insns = insns;
			return c;
		}
		if (c->vaddr == vaddr && c->insns == insns)
			return c;
	}
}

static void dump(void)
{
	char path[4096];
	unsigned int i;
	FILE *f;

	snprintf(path, sizeof(path), "%s.%d", prefix, dumps++);
	f = fopen(path, "w");
	if (!f) {
		perror(path);
		return;
	}
	for (i = 0; i < NR_SLOTS; i++)
		if (slots[i].execs)
			fprintf(f, "%llx %llu %llu\n",
				(unsigned long long)slots[i].vaddr,
				(unsigned long long)slots[i].insns,
				(unsigned long long)slots[i].execs);
	fclose(f);
}

static void on_mark(unsigned int vcpu, void *udata)
{
	dump();
}

static void on_exit_dump(qemu_plugin_id_t id, void *udata)
{
	dump();
}

static void on_translate(qemu_plugin_id_t id, struct qemu_plugin_tb *tb)
{
	uint64_t vaddr = qemu_plugin_tb_vaddr(tb);
	struct tb_count *c = tb_slot(vaddr, qemu_plugin_tb_n_insns(tb));

	qemu_plugin_register_vcpu_tb_exec_inline(tb, QEMU_PLUGIN_INLINE_ADD_U64,
						 &c->execs, 1);
	if (vaddr == XDPQ_MARK_ADDR)
		qemu_plugin_register_vcpu_tb_exec_cb(tb, on_mark,
						     QEMU_PLUGIN_CB_NO_REGS, NULL);
}

__attribute__((visibility("default")))
int qemu_plugin_install(qemu_plugin_id_t id, const void *info, int argc,
			char **argv)
{
	int i;

	for (i = 0; i < argc; i++)
		if (!strncmp(argv[i], "out=", 4))
			prefix = argv[i] + 4;
	slots = calloc(NR_SLOTS, sizeof(*slots));
	if (!slots)
		return -1;
	qemu_plugin_register_vcpu_tb_trans_cb(id, on_translate);
	qemu_plugin_register_atexit_cb(id, on_exit_dump, NULL);
	return 0;
}
