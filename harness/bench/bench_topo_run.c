// SPDX-License-Identifier: GPL-2.0
/* bench_topo_run: one VM topology of bench_topo.sh, forwarded with or
 * without xdpq, several repetitions, printed as CSV rows
 * "topo_TOPO,MODE,REP,METRIC,VALUE".
 *
 *   bench_topo_run -T pvp|pvvp|vv -m devmap|xdpq [-n REPS] [-w MS] [-t MS]
 *                  WIRE PORT TAP_A TAP_B
 *
 * PORT is the hypervisor's NIC and WIRE the NIC at the other end of its
 * wire, which plays the outside world; TAP_A and TAP_B are the taps of
 * VMs A and B, which threads of this program play. The hops are:
 *
 *   pvp   PORT -> TAP_A, VM A sends each frame back, TAP_A -> PORT
 *   pvvp  PORT -> TAP_A, VM A sends it back, TAP_A -> TAP_B, VM B sends
 *         it back, TAP_B -> PORT
 *   vv    VM A sends frames, TAP_A -> TAP_B, VM B receives them
 *
 * A hop is topo_fwd (bench_topo_kern.bpf.c, a devmap redirect) with -m
 * devmap, and an instance of samples/bpf/xdpq_fifo_fwd.bpf.c (a FIFO
 * queue map emptied by a bpf_timer) with -m xdpq. For pvp and pvvp,
 * topo_wire sends 64-byte frames out of WIRE with BPF_PROG_RUN in
 * live-frames mode (batch 64) and, attached to WIRE, counts what comes
 * back; for vv, VM A writes the frames and VM B counts them.
 *
 * A repetition runs the source for a warm-up and a measured window, stops
 * it and waits until nothing more arrives. mpps: the frames arriving at
 * the end of the path per second over the window; drops: the frames that
 * entered the path (received by PORT, or written by VM A) in the
 * repetition and never arrived.
 *
 * VM A's thread runs on CPU 0 and VM B's on CPU 1, as a hypervisor often
 * gives a VM's vCPUs CPUs of their own, so that both modes place the VMs
 * alike: left to the scheduler, the two threads of vv were seen sharing a
 * CPU, which slows whichever mode it happens to.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <net/if.h>
#include <poll.h>
#include <pthread.h>
#include <signal.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>
#include <arpa/inet.h>
#include <sys/ioctl.h>
#include <linux/bpf.h>
#include <linux/if_link.h>
#include <linux/if_tun.h>
#include <bpf/bpf.h>
#include <bpf/libbpf.h>
#include "bench_topo_frame.h"
#include "bench_topo_kern.skel.h"
#include "bench_topo_fifo.skel.h"

#define TOPO_MAX_HOPS	3
#define TOPO_REPEAT	(1U << 31)	/* more than a repetition offers */

enum topo_dev { TOPO_WIRE, TOPO_PORT, TOPO_TAP_A, TOPO_TAP_B, TOPO_DEVS };

/* A VM: a thread on its tap that sends back, sends or receives frames. */
enum topo_vm_role { TOPO_REFLECT, TOPO_SEND, TOPO_RECEIVE };

struct topo_vm {
	int fd;
	enum topo_vm_role role;
	struct topo_frame frame;	/* what TOPO_SEND sends */
	__u64 frames;			/* sent back, sent or received */
	bool stop;		/* __atomic: set by the main thread */
	bool running;
	int cpu;		/* its thread's */
	int err;
	pthread_t thread;
};

struct topo_opts {
	const char *topo, *mode;
	int reps, warm_ms, window_ms;
	const char *name[TOPO_DEVS];
	int ifindex[TOPO_DEVS];
	__u8 port_mac[ETH_ALEN];	/* where the frames are sent */
};

/* The source of pvp and pvvp, as in bench_shaping_run.c. */
struct topo_source {
	int prog_fd;
	struct topo_frame frame;
	bool stop, done;	/* __atomic: shared with the main thread */
	int err;
	pthread_t thread;
};

struct topo_bench {
	const struct topo_opts *o;
	struct bench_topo_kern *kern;
	struct bench_topo_fifo *fifo[TOPO_MAX_HOPS];
	int links[TOPO_MAX_HOPS + 1], nr_links;
	struct topo_vm vm_a, vm_b;
	struct topo_source src;
	bool through_port;	/* pvp, pvvp: from and back to the wire */
};

static double topo_now(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec + ts.tv_nsec / 1e9;
}

static __u64 topo_load(const __u64 *v)
{
	return __atomic_load_n(v, __ATOMIC_RELAXED);
}

/* The bench's frame, to the MAC address dst. */
static void topo_template(struct topo_frame *f, const __u8 *dst)
{
	static const __u8 src[ETH_ALEN] = { 0x02, 0, 0, 0, 0, 0x01 };

	memset(f, 0, sizeof(*f));
	memcpy(f->eth.h_source, src, ETH_ALEN);
	memcpy(f->eth.h_dest, dst, ETH_ALEN);
	f->eth.h_proto = htons(ETH_P_IP);
	f->ip.version = 4;
	f->ip.ihl = 5;
	f->ip.ttl = 64;
	f->ip.protocol = IPPROTO_UDP;
	f->ip.tot_len = htons(sizeof(*f) - sizeof(f->eth));
	f->ip.saddr = htonl(0xc0000201);	/* 192.0.2.1, TEST-NET-1 */
	f->ip.daddr = htonl(0xc0000202);
	f->udp.source = htons(10000);
	f->udp.dest = htons(9);
	f->udp.len = htons(sizeof(*f) - sizeof(f->eth) - sizeof(f->ip));
	f->magic = htonl(TOPO_MAGIC);
}

static bool topo_ours(const void *buf, ssize_t len)
{
	const struct topo_frame *f = buf;

	return len >= (ssize_t)sizeof(*f) && f->magic == htonl(TOPO_MAGIC);
}

/* Attach to the tap the script created, non-blocking: tun runs XDP on
 * what a VM writes only on non-blocking writes.
 */
static int topo_open_tap(const char *name)
{
	struct ifreq ifr = { .ifr_flags = IFF_TAP | IFF_NO_PI };
	int fd;

	fd = open("/dev/net/tun", O_RDWR | O_NONBLOCK);
	if (fd < 0)
		return -errno;
	snprintf(ifr.ifr_name, IFNAMSIZ, "%s", name);
	if (ioctl(fd, TUNSETIFF, &ifr)) {
		close(fd);
		return -errno;
	}
	return fd;
}

/* Wait for a frame to read; false when the VM is told to stop. */
static bool topo_vm_wait(struct topo_vm *vm)
{
	struct pollfd pfd = { .fd = vm->fd, .events = POLLIN };

	while (!__atomic_load_n(&vm->stop, __ATOMIC_RELAXED)) {
		if (poll(&pfd, 1, 50) > 0)
			return true;
	}
	return false;
}

/* Write a frame into the VM's tap: 1 if sent, 0 if the tap had no room
 * for it, an error otherwise.
 */
static int topo_vm_send(struct topo_vm *vm, const void *buf, ssize_t len)
{
	if (write(vm->fd, buf, len) == len)
		return 1;
	return errno == EAGAIN || errno == ENOBUFS ? 0 : -errno;
}

static void *topo_vm_loop(void *arg)
{
	struct topo_vm *vm = arg;
	unsigned char buf[2048];
	ssize_t n;
	int sent = 1;

	while (!__atomic_load_n(&vm->stop, __ATOMIC_RELAXED)) {
		if (vm->role == TOPO_SEND) {
			n = sizeof(vm->frame);
			memcpy(buf, &vm->frame, n);
		} else {
			n = read(vm->fd, buf, sizeof(buf));
			if (n < 0 && errno == EAGAIN) {
				if (!topo_vm_wait(vm))
					break;
				continue;
			}
			if (n < 0) {
				vm->err = -errno;
				break;
			}
			if (!topo_ours(buf, n))
				continue;
		}
		if (vm->role != TOPO_RECEIVE)
			sent = topo_vm_send(vm, buf, n);
		if (sent < 0) {
			vm->err = sent;
			break;
		}
		if (sent)
			__atomic_store_n(&vm->frames, vm->frames + 1, __ATOMIC_RELAXED);
	}
	return NULL;
}

static int topo_vm_open(struct topo_vm *vm, const struct topo_opts *o, enum topo_dev tap,
			enum topo_vm_role role)
{
	vm->role = role;
	vm->cpu = tap == TOPO_TAP_A ? 0 : 1;
	topo_template(&vm->frame, o->port_mac);
	vm->fd = topo_open_tap(o->name[tap]);
	if (vm->fd < 0)
		fprintf(stderr, "bench_topo_run: tap %s: %s\n", o->name[tap], strerror(-vm->fd));
	return vm->fd < 0 ? vm->fd : 0;
}

static int topo_vm_start(struct topo_vm *vm)
{
	pthread_attr_t attr;
	cpu_set_t cpus;
	int err;

	CPU_ZERO(&cpus);
	CPU_SET(vm->cpu, &cpus);
	if (pthread_attr_init(&attr))
		return -ENOMEM;
	__atomic_store_n(&vm->stop, false, __ATOMIC_RELAXED);
	err = pthread_attr_setaffinity_np(&attr, sizeof(cpus), &cpus) ?:
	      pthread_create(&vm->thread, &attr, topo_vm_loop, vm);
	pthread_attr_destroy(&attr);
	if (err) {
		fprintf(stderr, "bench_topo_run: a VM's thread on CPU %d: %s\n",
			vm->cpu, strerror(err));
		return -err;
	}
	vm->running = true;
	return 0;
}

static int topo_vm_stop(struct topo_vm *vm)
{
	if (!vm->running)
		return 0;
	__atomic_store_n(&vm->stop, true, __ATOMIC_RELAXED);
	pthread_join(vm->thread, NULL);
	vm->running = false;
	if (vm->err)
		fprintf(stderr, "bench_topo_run: a VM's tap: %s\n", strerror(-vm->err));
	return vm->err;
}

/* SIGUSR1 only interrupts the source's BPF_PROG_RUN. */
static void topo_on_signal(int sig)
{
	(void)sig;
}

static void *topo_source_loop(void *arg)
{
	struct topo_source *src = arg;
	LIBBPF_OPTS(bpf_test_run_opts, opts,
		    .data_in = &src->frame,
		    .data_size_in = sizeof(src->frame),
		    .repeat = TOPO_REPEAT,
		    .batch_size = 64,
		    .flags = BPF_F_TEST_XDP_LIVE_FRAMES);

	while (!__atomic_load_n(&src->stop, __ATOMIC_RELAXED)) {
		if (bpf_prog_test_run_opts(src->prog_fd, &opts) && errno != EINTR) {
			src->err = -errno;
			break;
		}
	}
	__atomic_store_n(&src->done, true, __ATOMIC_RELEASE);
	return NULL;
}

static int topo_source_start(struct topo_bench *b)
{
	if (!b->through_port)
		return topo_vm_start(&b->vm_a);
	b->src.stop = false;
	b->src.done = false;
	/* pthread_create() returns its error; errno is not set */
	return -pthread_create(&b->src.thread, NULL, topo_source_loop, &b->src);
}

static int topo_source_stop(struct topo_bench *b)
{
	if (!b->through_port)
		return topo_vm_stop(&b->vm_a);
	__atomic_store_n(&b->src.stop, true, __ATOMIC_RELAXED);
	while (!__atomic_load_n(&b->src.done, __ATOMIC_ACQUIRE)) {
		pthread_kill(b->src.thread, SIGUSR1);
		usleep(10000);
	}
	pthread_join(b->src.thread, NULL);
	if (b->src.err)
		fprintf(stderr, "bench_topo_run: BPF_PROG_RUN: %s\n", strerror(-b->src.err));
	return b->src.err;
}

static __u64 topo_port_received(const struct topo_opts *o)
{
	unsigned long long n = 0;
	char path[128];
	FILE *f;

	snprintf(path, sizeof(path), "/sys/class/net/%s/statistics/rx_packets",
		 o->name[TOPO_PORT]);
	f = fopen(path, "r");
	if (!f)
		return 0;
	if (fscanf(f, "%llu", &n) != 1)
		n = 0;
	fclose(f);
	return n;
}

static int topo_port_mac(struct topo_opts *o)
{
	unsigned int m[ETH_ALEN];
	char path[128];
	int i, n = 0;
	FILE *f;

	snprintf(path, sizeof(path), "/sys/class/net/%s/address", o->name[TOPO_PORT]);
	f = fopen(path, "r");
	if (f) {
		n = fscanf(f, "%x:%x:%x:%x:%x:%x", &m[0], &m[1], &m[2], &m[3], &m[4], &m[5]);
		fclose(f);
	}
	if (n != ETH_ALEN) {
		fprintf(stderr, "bench_topo_run: no MAC address for %s\n", o->name[TOPO_PORT]);
		return -1;
	}
	for (i = 0; i < ETH_ALEN; i++)
		o->port_mac[i] = m[i];
	return 0;
}

/* Frames that entered the path so far. */
static __u64 topo_entered(struct topo_bench *b)
{
	return b->through_port ? topo_port_received(b->o) : topo_load(&b->vm_a.frames);
}

/* Frames that arrived at its end so far. */
static __u64 topo_arrived(struct topo_bench *b)
{
	int ncpus = libbpf_num_possible_cpus(), cpu;
	__u64 vals[ncpus], sum = 0;
	__u32 zero = 0;

	if (!b->through_port)
		return topo_load(&b->vm_b.frames);
	if (bpf_map_lookup_elem(bpf_map__fd(b->kern->maps.received), &zero, vals))
		return 0;
	for (cpu = 0; cpu < ncpus; cpu++)
		sum += vals[cpu];
	return sum;
}

/* Wait until nothing arrived for 100 ms; false after 10 s. */
static bool topo_drain(struct topo_bench *b)
{
	__u64 last = ~0ULL, now;
	int quiet = 0, i;

	for (i = 0; i < 500; i++) {
		now = topo_arrived(b);
		quiet = now == last ? quiet + 1 : 0;
		if (quiet == 5)
			return true;
		last = now;
		usleep(20000);
	}
	return false;
}

static int topo_rep(struct topo_bench *b, int rep)
{
	const struct topo_opts *o = b->o;
	__u64 entered, arrived, a, in_window;
	double ta, tb;
	int err;

	entered = topo_entered(b);
	arrived = topo_arrived(b);
	err = topo_source_start(b);
	if (err)
		return err;
	usleep(o->warm_ms * 1000);
	ta = topo_now();
	a = topo_arrived(b);
	usleep(o->window_ms * 1000);
	tb = topo_now();
	in_window = topo_arrived(b) - a;
	err = topo_source_stop(b);
	if (err)
		return err;
	if (!topo_drain(b)) {
		fprintf(stderr, "bench_topo_run: frames kept arriving\n");
		return -EIO;
	}
	entered = topo_entered(b) - entered;
	arrived = topo_arrived(b) - arrived;
	if (!in_window) {
		fprintf(stderr, "bench_topo_run: %s %s: nothing arrived in the window\n",
			o->topo, o->mode);
		return -EIO;
	}
	if (arrived > entered) {
		fprintf(stderr, "bench_topo_run: %llu frames arrived of %llu that entered\n",
			(unsigned long long)arrived, (unsigned long long)entered);
		return -EIO;
	}
	printf("topo_%s,%s,%d,mpps,%.6f\n", o->topo, o->mode, rep, in_window / (tb - ta) / 1e6);
	printf("topo_%s,%s,%d,drops,%llu\n", o->topo, o->mode, rep,
	       (unsigned long long)(entered - arrived));
	fflush(stdout);
	return 0;
}

static int topo_attach(struct topo_bench *b, struct bpf_program *prog, enum topo_dev dev)
{
	LIBBPF_OPTS(bpf_link_create_opts, drv, .flags = XDP_FLAGS_DRV_MODE);
	int link;

	link = bpf_link_create(bpf_program__fd(prog), b->o->ifindex[dev], BPF_XDP, &drv);
	if (link < 0) {
		fprintf(stderr, "bench_topo_run: XDP on %s: %s\n", b->o->name[dev], strerror(errno));
		return -errno;
	}
	b->links[b->nr_links++] = link;
	return 0;
}

/* A hop through a FIFO queue map: an xdpq_fifo_fwd instance of its own. */
static int topo_fifo_hop(struct topo_bench *b, int hop, enum topo_dev from, enum topo_dev to)
{
	unsigned char frame[64] = {};
	LIBBPF_OPTS(bpf_test_run_opts, init, .data_in = frame, .data_size_in = sizeof(frame));
	struct bench_topo_fifo *fifo;

	fifo = bench_topo_fifo__open_and_load();
	if (!fifo) {
		fprintf(stderr, "bench_topo_run: loading xdpq_fifo_fwd: %s\n", strerror(errno));
		return -errno;
	}
	b->fifo[hop] = fifo;
	fifo->bss->egress_ifindex = b->o->ifindex[to];
	if (bpf_prog_test_run_opts(bpf_program__fd(fifo->progs.xdp_fifo_timer_init), &init) ||
	    init.retval != XDP_PASS) {
		fprintf(stderr, "bench_topo_run: xdpq_fifo_fwd's timer did not start\n");
		return -EINVAL;
	}
	return topo_attach(b, fifo->progs.xdp_fifo_enqueue, from);
}

/* A hop through the devmap: topo_fwd on the device the frame enters by. */
static int topo_devmap_hop(struct topo_bench *b, enum topo_dev from, enum topo_dev to)
{
	__u32 key = b->o->ifindex[from], val = b->o->ifindex[to];

	if (bpf_map_update_elem(bpf_map__fd(b->kern->maps.next_hop), &key, &val, 0)) {
		fprintf(stderr, "bench_topo_run: next_hop: %s\n", strerror(errno));
		return -errno;
	}
	return topo_attach(b, b->kern->progs.topo_fwd, from);
}

static int topo_hops(struct topo_bench *b)
{
	static const enum topo_dev pvp[][2] = {
		{ TOPO_PORT, TOPO_TAP_A }, { TOPO_TAP_A, TOPO_PORT },
	};
	static const enum topo_dev pvvp[][2] = {
		{ TOPO_PORT, TOPO_TAP_A }, { TOPO_TAP_A, TOPO_TAP_B }, { TOPO_TAP_B, TOPO_PORT },
	};
	static const enum topo_dev vv[][2] = { { TOPO_TAP_A, TOPO_TAP_B } };
	const enum topo_dev (*hops)[2] = vv;
	int nr = 1, i, err;

	if (!strcmp(b->o->topo, "pvp")) {
		hops = pvp;
		nr = 2;
	} else if (!strcmp(b->o->topo, "pvvp")) {
		hops = pvvp;
		nr = 3;
	}
	for (i = 0; i < nr; i++) {
		if (!strcmp(b->o->mode, "xdpq"))
			err = topo_fifo_hop(b, i, hops[i][0], hops[i][1]);
		else
			err = topo_devmap_hop(b, hops[i][0], hops[i][1]);
		if (err)
			return err;
	}
	return 0;
}

/* The source and the sink on the wire, and the VMs. */
static int topo_ends(struct topo_bench *b)
{
	const struct topo_opts *o = b->o;
	__u32 zero = 0;
	int err;

	if (!b->through_port) {
		err = topo_vm_open(&b->vm_a, o, TOPO_TAP_A, TOPO_SEND) ?:
		      topo_vm_open(&b->vm_b, o, TOPO_TAP_B, TOPO_RECEIVE);
		return err ?: topo_vm_start(&b->vm_b);
	}
	err = topo_attach(b, b->kern->progs.topo_wire, TOPO_WIRE);
	if (err)
		return err;
	if (bpf_map_update_elem(bpf_map__fd(b->kern->maps.gen_port), &zero,
				&o->ifindex[TOPO_WIRE], 0)) {
		fprintf(stderr, "bench_topo_run: gen_port: %s\n", strerror(errno));
		return -errno;
	}
	topo_template(&b->src.frame, o->port_mac);
	b->src.prog_fd = bpf_program__fd(b->kern->progs.topo_wire);
	err = topo_vm_open(&b->vm_a, o, TOPO_TAP_A, TOPO_REFLECT) ?: topo_vm_start(&b->vm_a);
	if (err || strcmp(o->topo, "pvvp"))
		return err;
	return topo_vm_open(&b->vm_b, o, TOPO_TAP_B, TOPO_REFLECT) ?: topo_vm_start(&b->vm_b);
}

static void topo_teardown(struct topo_bench *b)
{
	int i;

	for (i = 0; i < b->nr_links; i++)
		close(b->links[i]);
	for (i = 0; i < TOPO_MAX_HOPS; i++)
		bench_topo_fifo__destroy(b->fifo[i]);
	topo_vm_stop(&b->vm_a);
	topo_vm_stop(&b->vm_b);
	if (b->vm_a.fd >= 0)
		close(b->vm_a.fd);
	if (b->vm_b.fd >= 0)
		close(b->vm_b.fd);
	bench_topo_kern__destroy(b->kern);
}

static int topo_run(const struct topo_opts *o)
{
	struct topo_bench b = {
		.o = o,
		.vm_a.fd = -1,
		.vm_b.fd = -1,
		.through_port = strcmp(o->topo, "vv"),
	};
	int rep, err;

	b.kern = bench_topo_kern__open();
	if (!b.kern) {
		err = -errno;
		fprintf(stderr, "bench_topo_run: opening bench_topo_kern: %s\n", strerror(-err));
		return err;
	}
	b.kern->rodata->wire_ifindex = o->ifindex[TOPO_WIRE];
	err = bench_topo_kern__load(b.kern);
	if (err) {
		fprintf(stderr, "bench_topo_run: loading bench_topo_kern: %s\n", strerror(-err));
		bench_topo_kern__destroy(b.kern);
		return err;
	}
	/* The ends first: XDP on the wire lets it transmit the source's
	 * frames, and VMs on the taps give them carrier.
	 */
	err = topo_ends(&b) ?: topo_hops(&b);
	for (rep = 1; !err && rep <= o->reps; rep++)
		err = topo_rep(&b, rep);
	topo_teardown(&b);
	return err;
}

static void topo_usage(void)
{
	fprintf(stderr,
		"usage: bench_topo_run -T pvp|pvvp|vv -m devmap|xdpq [-n REPS] [-w MS] [-t MS]\n"
		"                      WIRE PORT TAP_A TAP_B\n");
	exit(2);
}

int main(int argc, char **argv)
{
	struct sigaction sa = { .sa_handler = topo_on_signal };
	struct topo_opts o = { .reps = 3, .warm_ms = 500, .window_ms = 2000 };
	int opt, err, i;

	while ((opt = getopt(argc, argv, "T:m:n:w:t:")) != -1) {
		switch (opt) {
		case 'T':
			o.topo = optarg;
			break;
		case 'm':
			o.mode = optarg;
			break;
		case 'n':
			o.reps = atoi(optarg);
			break;
		case 'w':
			o.warm_ms = atoi(optarg);
			break;
		case 't':
			o.window_ms = atoi(optarg);
			break;
		default:
			topo_usage();
		}
	}
	if (!o.topo || (strcmp(o.topo, "pvp") && strcmp(o.topo, "pvvp") && strcmp(o.topo, "vv")) ||
	    !o.mode || (strcmp(o.mode, "devmap") && strcmp(o.mode, "xdpq")) || o.reps < 1 ||
	    o.window_ms < 100 || argc - optind != TOPO_DEVS)
		topo_usage();
	for (i = 0; i < TOPO_DEVS; i++) {
		o.name[i] = argv[optind + i];
		o.ifindex[i] = if_nametoindex(o.name[i]);
		if (!o.ifindex[i]) {
			fprintf(stderr, "bench_topo_run: no such device: %s\n", o.name[i]);
			return 1;
		}
	}
	if (topo_port_mac(&o))
		return 1;
	/* Without SA_RESTART: SIGUSR1 ends the source's BPF_PROG_RUN. */
	sigaction(SIGUSR1, &sa, NULL);
	err = topo_run(&o);
	if (err)
		fprintf(stderr, "bench_topo_run: %s %s failed: %s\n", o.topo, o.mode, strerror(-err));
	return err ? 1 : 0;
}
