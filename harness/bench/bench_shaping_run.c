// SPDX-License-Identifier: GPL-2.0
/* bench_shaping_run: one case of bench_shaping.sh, several repetitions,
 * printed as CSV rows "shaping,CASE,REP,METRIC,VALUE".
 *
 *   bench_shaping_run -m htb|xdpq|devmap -c CASE -r RATE -b BURST [-a]
 *                     [-f FLOWS] [-n REPS] [-w MS] [-t MS] UPLINK VMDEV:PEER...
 *
 * The source (shaping_gen in bench_shaping_kern.bpf.c) offers 64-byte
 * frames with BPF_PROG_RUN in live-frames mode, batch 64, as if received
 * on UPLINK, round robin over the VMs (one per VMDEV:PEER veth pair, in
 * order) and FLOWS flows in each. With -m htb the frames go up UPLINK's
 * stack, which the script has bridged to the VMs' devices with HTB and
 * fq_codel on their egress. With -m xdpq the source tail-calls the
 * xdpq_hier scheduler, set up here with RATE bit/s and BURST bytes for
 * every VM and the VMDEV as its target. With -m devmap, the reference
 * without a policy, it tail-calls shaping_direct, a devmap redirect to
 * the VMDEV. shaping_count on each PEER counts what reaches the VM.
 *
 * A repetition runs the source, one BPF_PROG_RUN that SIGUSR1 interrupts,
 * for a warm-up and a measured window, stops it and waits until the VMs
 * receive nothing more. Over the window it measures the VMs' packets per
 * second and the busy time of all CPUs (/proc/stat) per packet received;
 * over the whole repetition, the frames offered and not received. With -a
 * it instead measures, over the window, how far each VM's rate is from
 * RATE and how fairly each VM's flows share it (Jain's index).
 */
#include <errno.h>
#include <getopt.h>
#include <net/if.h>
#include <pthread.h>
#include <signal.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>
#include <arpa/inet.h>
#include <linux/bpf.h>
#include <linux/if_link.h>
#include <bpf/bpf.h>
#include <bpf/libbpf.h>
#include "bench_shaping_frame.h"
#include "xdpq_sched_vm.h"
#include "bench_shaping_kern.skel.h"
#include "bench_shaping_hier.skel.h"

/* xdpq_hier.bpf.c hashes a VM's flows into HIER_FLOWS - 1 sub-queues. */
#define SHAPING_HIER_FLOW_QUEUES	15
#define SHAPING_REPEAT			(1U << 31)	/* more than a repetition offers */
#define SHAPING_KEYS			(SHAPING_MAX_VMS * SHAPING_MAX_FLOWS)

struct shaping_opts {
	const char *mode, *name;
	unsigned long long rate, burst;	/* bit/s and bytes, per VM */
	bool accuracy;
	int flows, reps, warm_ms, window_ms;
	int uplink, nr_vms;
	int vm_dev[SHAPING_MAX_VMS], vm_peer[SHAPING_MAX_VMS];
};

/* What the VMs received, per VM and flow, and the CPUs' busy time, at
 * one moment.
 */
struct shaping_sample {
	double t;
	double busy;
	__u64 frames[SHAPING_KEYS];
	__u64 total;
};

/* The source thread: one BPF_PROG_RUN per repetition, ended by a signal. */
struct shaping_source {
	int prog_fd, uplink;
	struct shaping_frame frame;
	bool stop, done;	/* __atomic: shared with the main thread */
	int err;
	pthread_t thread;
};

static double shaping_now(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec + ts.tv_nsec / 1e9;
}

/* Seconds all CPUs together were busy since boot. */
static double shaping_busy(void)
{
	unsigned long long user, nice, sys, idle, iowait, irq, softirq, steal;
	double busy = -1;
	FILE *f;

	f = fopen("/proc/stat", "r");
	if (!f)
		return -1;
	if (fscanf(f, "cpu %llu %llu %llu %llu %llu %llu %llu %llu", &user, &nice, &sys,
		   &idle, &iowait, &irq, &softirq, &steal) == 8)
		busy = (double)(user + nice + sys + irq + softirq + steal) / sysconf(_SC_CLK_TCK);
	fclose(f);
	return busy;
}

static int shaping_sample(int received_fd, struct shaping_sample *s)
{
	int ncpus = libbpf_num_possible_cpus();
	__u64 vals[ncpus];
	__u32 key;
	int cpu;

	s->t = shaping_now();
	s->busy = shaping_busy();
	s->total = 0;
	for (key = 0; key < SHAPING_KEYS; key++) {
		if (bpf_map_lookup_elem(received_fd, &key, vals))
			return -errno;
		s->frames[key] = 0;
		for (cpu = 0; cpu < ncpus; cpu++)
			s->frames[key] += vals[cpu];
		s->total += s->frames[key];
	}
	return s->busy < 0 ? -EIO : 0;
}

/* xdpq_mix() of samples/bpf/xdpq_sched.h */
static __u32 shaping_mix(__u32 h, __u32 v)
{
	h ^= v;
	h *= 0x9e3779b1;
	return h ^ (h >> 15);
}

/* The flow sub-queue xdpq_hier's xdpq_parse() puts the frame in. */
static __u32 shaping_hier_queue(const struct shaping_frame *f, __u16 sport)
{
	__u16 ports[2] = { sport, f->udp.dest };
	__u32 saddr, daddr, h;

	memcpy(&saddr, &f->ip.saddr, 4);
	memcpy(&daddr, &f->ip.daddr, 4);
	h = shaping_mix(shaping_mix(0, saddr), daddr);
	h = shaping_mix(h, ((__u32)ports[0] << 16) | ports[1]);
	return shaping_mix(h, IPPROTO_UDP) % SHAPING_HIER_FLOW_QUEUES;
}

/* UDP source ports for the flows, each in a sub-queue of its own in
 * xdpq_hier, so that its fairness is measured between flows and not
 * between hash collisions; fq_codel's 1024 buckets rarely collide.
 */
static void shaping_pick_ports(const struct shaping_frame *f, int flows, __u16 *port)
{
	bool used[SHAPING_HIER_FLOW_QUEUES] = {};
	__u16 p = 10000;
	__u32 q;
	int i;

	for (i = 0; i < flows; p++) {
		q = shaping_hier_queue(f, htons(p));
		if (used[q])
			continue;
		used[q] = true;
		port[i++] = htons(p);
	}
}

static void shaping_template(struct shaping_frame *f)
{
	static const __u8 src[ETH_ALEN] = { 0x02, 0, 0, 0, 0, 0x01 };
	static const __u8 dst[ETH_ALEN] = { 0x02, 0, 0, 0, 0x10, 0x01 };

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
	f->udp.dest = htons(9);
	f->udp.len = htons(sizeof(*f) - sizeof(f->eth) - sizeof(f->ip));
	f->magic = htonl(SHAPING_MAGIC);
}

/* SIGUSR1 only interrupts the source's BPF_PROG_RUN. */
static void shaping_on_signal(int sig)
{
	(void)sig;
}

static void *shaping_source_loop(void *arg)
{
	struct shaping_source *src = arg;
	struct xdp_md ctx = {
		.data_end = sizeof(src->frame),
		.ingress_ifindex = src->uplink,
	};
	LIBBPF_OPTS(bpf_test_run_opts, opts,
		    .data_in = &src->frame,
		    .data_size_in = sizeof(src->frame),
		    .ctx_in = &ctx,
		    .ctx_size_in = sizeof(ctx),
		    .repeat = SHAPING_REPEAT,
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

/* Interrupt the source's BPF_PROG_RUN until the thread is gone. */
static void shaping_source_stop(struct shaping_source *src)
{
	__atomic_store_n(&src->stop, true, __ATOMIC_RELAXED);
	while (!__atomic_load_n(&src->done, __ATOMIC_ACQUIRE)) {
		pthread_kill(src->thread, SIGUSR1);
		usleep(10000);
	}
	pthread_join(src->thread, NULL);
}

/* Wait until the VMs received nothing for 100 ms; false after 10 s. */
static bool shaping_drain(int received_fd, struct shaping_sample *end)
{
	__u64 last = ~0ULL;
	int quiet = 0, i;

	for (i = 0; i < 500; i++) {
		if (shaping_sample(received_fd, end))
			return false;
		quiet = end->total == last ? quiet + 1 : 0;
		if (quiet == 5)
			return true;
		last = end->total;
		usleep(20000);
	}
	return false;
}

static double shaping_jain(const __u64 *x, int n)
{
	double sum = 0, sq = 0;
	int i;

	for (i = 0; i < n; i++) {
		sum += x[i];
		sq += (double)x[i] * x[i];
	}
	return sq ? sum * sum / (n * sq) : 0;
}

static void shaping_report_accuracy(const struct shaping_opts *o, int rep,
				    const struct shaping_sample *a,
				    const struct shaping_sample *b)
{
	double secs = b->t - a->t, err, worst_err = 0, worst_jain = 1, jain;
	__u64 flows[SHAPING_MAX_FLOWS], vm_frames;
	int vm, f, key;

	for (vm = 0; vm < o->nr_vms; vm++) {
		vm_frames = 0;
		for (f = 0; f < o->flows; f++) {
			key = vm * SHAPING_MAX_FLOWS + f;
			flows[f] = b->frames[key] - a->frames[key];
			vm_frames += flows[f];
		}
		err = vm_frames * SHAPING_FRAME_LEN * 8 / secs / o->rate - 1;
		if (err < 0)
			err = -err;
		if (err > worst_err)
			worst_err = err;
		jain = shaping_jain(flows, o->flows);
		if (jain < worst_jain)
			worst_jain = jain;
	}
	printf("shaping,%s,%d,rate_error_pct,%.2f\n", o->name, rep, worst_err * 100);
	printf("shaping,%s,%d,flow_jain,%.4f\n", o->name, rep, worst_jain);
}

static int shaping_rep(const struct shaping_opts *o, int rep, struct bench_shaping_kern *kern,
		       struct shaping_source *src)
{
	int received_fd = bpf_map__fd(kern->maps.received);
	struct shaping_sample start, a, b, end;
	__u64 frames, offered;

	if (shaping_sample(received_fd, &start))
		return -EIO;
	offered = kern->bss->next_frame;
	src->stop = false;
	src->done = false;
	if (pthread_create(&src->thread, NULL, shaping_source_loop, src))
		return -errno;
	usleep(o->warm_ms * 1000);
	shaping_sample(received_fd, &a);
	usleep(o->window_ms * 1000);
	shaping_sample(received_fd, &b);
	shaping_source_stop(src);
	offered = kern->bss->next_frame - offered;
	if (src->err) {
		fprintf(stderr, "bench_shaping_run: BPF_PROG_RUN: %s\n", strerror(-src->err));
		return src->err;
	}
	if (!shaping_drain(received_fd, &end)) {
		fprintf(stderr, "bench_shaping_run: the VMs kept receiving\n");
		return -EIO;
	}
	frames = b.total - a.total;
	if (!frames || b.busy <= a.busy) {
		fprintf(stderr, "bench_shaping_run: %s: %llu frames received in the window\n",
			o->name, (unsigned long long)frames);
		return -EIO;
	}
	if (o->accuracy) {
		shaping_report_accuracy(o, rep, &a, &b);
		return 0;
	}
	printf("shaping,%s,%d,kpps,%.2f\n", o->name, rep, frames / (b.t - a.t) / 1e3);
	printf("shaping,%s,%d,cpu_ns_per_pkt,%.0f\n", o->name, rep,
	       (b.busy - a.busy) * 1e9 / frames);
	printf("shaping,%s,%d,drops,%llu\n", o->name, rep,
	       (unsigned long long)(offered - (end.total - start.total)));
	fflush(stdout);
	return 0;
}

/* xdpq_hier with every VM at the same rate and burst, fed by the source. */
static struct bench_shaping_hier *shaping_hier_setup(const struct shaping_opts *o,
						     struct bench_shaping_kern *kern)
{
	unsigned char frame[64] = {};
	LIBBPF_OPTS(bpf_test_run_opts, init, .data_in = frame, .data_size_in = sizeof(frame));
	struct bench_shaping_hier *hier;
	struct hier_vm_cfg cfg = {
		.rate = o->rate / 8,
		.burst = o->burst,
	};
	__u8 mac[ETH_ALEN] = { 0x02, 0, 0, 0, 0x10, 0 };
	__u32 vm, zero = 0;
	int fd;

	hier = bench_shaping_hier__open_and_load();
	if (!hier) {
		fprintf(stderr, "bench_shaping_run: loading xdpq_hier: %s\n", strerror(errno));
		return NULL;
	}
	if (bpf_prog_test_run_opts(bpf_program__fd(hier->progs.xdpq_init), &init) ||
	    init.retval != XDP_PASS) {
		fprintf(stderr, "bench_shaping_run: xdpq_hier's timer did not start\n");
		goto err;
	}
	for (vm = 1; vm <= (__u32)o->nr_vms; vm++) {
		mac[5] = vm;
		cfg.ifindex = o->vm_dev[vm - 1];
		if (xdpq_vm_add(bpf_map__fd(hier->maps.vm_by_mac), bpf_map__fd(hier->maps.vm_slots),
				mac, vm) ||
		    bpf_map_update_elem(bpf_map__fd(hier->maps.vm_cfg), &vm, &cfg, 0))
			goto err_errno;
	}
	fd = bpf_program__fd(hier->progs.xdpq_enqueue);
	if (bpf_map_update_elem(bpf_map__fd(kern->maps.shaper), &zero, &fd, 0))
		goto err_errno;
	return hier;
err_errno:
	fprintf(stderr, "bench_shaping_run: configuring xdpq_hier: %s\n", strerror(errno));
err:
	bench_shaping_hier__destroy(hier);
	return NULL;
}

/* The unshaped reference: the source redirects to the VMs' devices. */
static int shaping_devmap_setup(const struct shaping_opts *o, struct bench_shaping_kern *kern)
{
	int fd = bpf_program__fd(kern->progs.shaping_direct);
	__u32 vm, zero = 0;

	for (vm = 0; vm < (__u32)o->nr_vms; vm++)
		if (bpf_map_update_elem(bpf_map__fd(kern->maps.vm_dev), &vm, &o->vm_dev[vm], 0))
			return -errno;
	if (bpf_map_update_elem(bpf_map__fd(kern->maps.shaper), &zero, &fd, 0))
		return -errno;
	return 0;
}

static int shaping_run(const struct shaping_opts *o)
{
	LIBBPF_OPTS(bpf_link_create_opts, drv, .flags = XDP_FLAGS_DRV_MODE);
	struct bench_shaping_hier *hier = NULL;
	struct shaping_source src = { .uplink = o->uplink };
	struct bench_shaping_kern *kern;
	int links[SHAPING_MAX_VMS], i, rep, err = -EINVAL;

	shaping_template(&src.frame);
	kern = bench_shaping_kern__open();
	if (!kern)
		return -errno;
	kern->rodata->nr_vms = o->nr_vms;
	kern->rodata->nr_flows = o->flows;
	shaping_pick_ports(&src.frame, o->flows, kern->bss->flow_port);
	err = bench_shaping_kern__load(kern);
	if (err) {
		fprintf(stderr, "bench_shaping_run: loading the source: %s\n", strerror(-err));
		goto out;
	}
	for (i = 0; i < o->nr_vms; i++)
		links[i] = -1;
	for (i = 0; i < o->nr_vms; i++) {
		links[i] = bpf_link_create(bpf_program__fd(kern->progs.shaping_count),
					   o->vm_peer[i], BPF_XDP, &drv);
		if (links[i] < 0) {
			err = -errno;
			fprintf(stderr, "bench_shaping_run: XDP on VM %d's peer: %s\n", i + 1,
				strerror(errno));
			goto out_links;
		}
	}
	if (!strcmp(o->mode, "xdpq")) {
		hier = shaping_hier_setup(o, kern);
		if (!hier) {
			err = -EINVAL;
			goto out_links;
		}
	} else if (!strcmp(o->mode, "devmap")) {
		err = shaping_devmap_setup(o, kern);
		if (err)
			goto out_links;
	}
	src.prog_fd = bpf_program__fd(kern->progs.shaping_gen);
	for (rep = 1; rep <= o->reps; rep++) {
		err = shaping_rep(o, rep, kern, &src);
		if (err)
			break;
	}
	bench_shaping_hier__destroy(hier);
out_links:
	for (i = 0; i < o->nr_vms; i++)
		if (links[i] >= 0)
			close(links[i]);
out:
	bench_shaping_kern__destroy(kern);
	return err;
}

static int shaping_parse_vms(struct shaping_opts *o, int argc, char **argv)
{
	char dev[IF_NAMESIZE], peer[IF_NAMESIZE];
	int i;

	o->nr_vms = argc;
	if (argc < 1 || argc > SHAPING_MAX_VMS)
		return -1;
	for (i = 0; i < argc; i++) {
		if (sscanf(argv[i], "%15[^:]:%15s", dev, peer) != 2)
			return -1;
		o->vm_dev[i] = if_nametoindex(dev);
		o->vm_peer[i] = if_nametoindex(peer);
		if (!o->vm_dev[i] || !o->vm_peer[i]) {
			fprintf(stderr, "bench_shaping_run: no such device: %s\n", argv[i]);
			return -1;
		}
	}
	return 0;
}

static void shaping_usage(void)
{
	fprintf(stderr,
		"usage: bench_shaping_run -m htb|xdpq|devmap -c CASE -r RATE -b BURST [-a]\n"
		"                         [-f FLOWS] [-n REPS] [-w MS] [-t MS] UPLINK VMDEV:PEER...\n");
	exit(2);
}

int main(int argc, char **argv)
{
	struct shaping_opts o = {
		.flows = 4, .reps = 3, .warm_ms = 500, .window_ms = 2000,
	};
	struct sigaction sa = { .sa_handler = shaping_on_signal };
	int opt, err;

	while ((opt = getopt(argc, argv, "m:c:r:b:af:n:w:t:")) != -1) {
		switch (opt) {
		case 'm':
			o.mode = optarg;
			break;
		case 'c':
			o.name = optarg;
			break;
		case 'r':
			o.rate = strtoull(optarg, NULL, 0);
			break;
		case 'b':
			o.burst = strtoull(optarg, NULL, 0);
			break;
		case 'a':
			o.accuracy = true;
			break;
		case 'f':
			o.flows = atoi(optarg);
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
			shaping_usage();
		}
	}
	if (!o.mode || (strcmp(o.mode, "htb") && strcmp(o.mode, "xdpq") && strcmp(o.mode, "devmap")) || !o.name ||
	    !o.rate || !o.burst || o.flows < 1 || o.flows > SHAPING_MAX_FLOWS ||
	    o.reps < 1 || o.window_ms < 100 || argc - optind < 2)
		shaping_usage();
	o.uplink = if_nametoindex(argv[optind]);
	if (!o.uplink) {
		fprintf(stderr, "bench_shaping_run: no such device: %s\n", argv[optind]);
		return 1;
	}
	if (shaping_parse_vms(&o, argc - optind - 1, argv + optind + 1))
		shaping_usage();
	/* Without SA_RESTART: SIGUSR1 ends the source's BPF_PROG_RUN. */
	sigaction(SIGUSR1, &sa, NULL);
	err = shaping_run(&o);
	if (err)
		fprintf(stderr, "bench_shaping_run: %s failed: %s\n", o.name, strerror(-err));
	return err ? 1 : 0;
}
