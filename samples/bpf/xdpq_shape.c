// SPDX-License-Identifier: GPL-2.0
/* xdpq_shape: shape a hypervisor's traffic between an uplink and its VMs,
 * with the xdpq_hier scheduler (xdpq_hier.bpf.c) towards the VMs and the
 * xdpq_wfq scheduler (xdpq_wfq.bpf.c) towards the uplink.
 *
 *   xdpq_shape [-j] [-i SECONDS] [-d SECONDS] -c CONFIG UPLINK
 *
 * Towards the VMs: XDP on UPLINK classifies frames by destination MAC
 * into the VMs of the config file and queues them; the scheduler sends
 * each VM's frames to its device (a tap, a virtio-net NIC) at the VM's
 * rate, fair between the VM's flows. Other frames go on to the stack.
 *
 * Towards the uplink: XDP on each VM's device queues every frame the VM
 * sends (for a tap, what the VM writes into it) in one queue, whose
 * scheduler shares UPLINK between the VMs by their weights. The VM of a
 * frame is its source MAC, the VM's MAC of the config file, as the
 * destination MAC is in the other direction, rather than the device it
 * came from: the scheduler reads the MAC again from each frame it takes
 * out of the queue, to count what every VM sent and had queued, while
 * the ingress ifindex is gone once the frame is queued (and a tap offers
 * no XDP metadata to carry it along). It also works for VMs that share a
 * device. The price: a VM that sends with another VM's MAC is charged as
 * that VM, so the source MACs of untrusted VMs need filtering, as they
 * do for other reasons. A frame with a MAC of no VM belongs to VM 0, with
 * weight 1. Each VM, VM 0 too, may hold an equal part of the queue: a VM
 * that sends more than the uplink takes loses its own frames, not those
 * of the others.
 *
 * Every interval it prints per VM, towards the VM, the configured and the
 * achieved rate, the frames offered and sent, the queue depth, the frames
 * dropped because the VM's share of the queue was full, and how often the
 * VM's device was full; towards the uplink, the weight, the rate, the
 * frames offered and sent, the queue depth and the frames dropped because
 * the VM's part of the queue was full; and the totals of both queues. As
 * a table or, with -j, as one JSON object per line.
 *
 * The config file has one VM per line, '#' starts a comment:
 *
 *   vm NAME mac XX:XX:XX:XX:XX:XX dev DEVICE [rate RATE] [burst SIZE]
 *      [weight WEIGHT]
 *
 * RATE is in bit/s with an optional k, m or g suffix (no rate: not
 * limited); SIZE is in bytes with an optional k, m or g suffix (default: 10
 * ms at the rate, at least 3028 bytes); WEIGHT is the VM's share of the
 * uplink, 1 to 100 (default 1). SIGHUP re-reads the file and applies
 * changed rates, bursts and weights at once, without reloading anything
 * or losing queued frames; other changes need a restart. SIGINT or
 * SIGTERM, or the end of -d, detaches everything: the programs, the maps
 * and the frames still queued are released.
 */
#include <ctype.h>
#include <errno.h>
#include <getopt.h>
#include <net/if.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>
#include <linux/bpf.h>
#include <linux/if_link.h>
#include <linux/netdev.h>
#include <bpf/bpf.h>
#include <bpf/libbpf.h>
#include "xdpq_sched_vm.h"
#include "xdpq_hier.skel.h"
#include "xdpq_wfq.skel.h"

#define MAX_VMS		16	/* XDPQ_MAX_VMS */
#define FLOWS_PER_VM	16	/* HIER_FLOWS */
/* xdpq_wfq adds len * 256 / weight to a VM's finish tag: up to 100, even
 * a 64 byte frame adds 163 or more, and the rounding costs under 1 %.
 */
#define MAX_WEIGHT	100
#define NEEDS_PRIVILEGES "needs CAP_BPF, CAP_NET_ADMIN and CAP_PERFMON (run as root)"

/* Counters of one direction of a VM, as of the last statistics */
struct counts {
	__u64 offered, sent, bytes;
};

struct vm {
	char name[32];
	unsigned char mac[6];
	char dev[IF_NAMESIZE];
	__u64 rate;		/* bytes per second */
	__u64 burst;		/* bytes */
	__u32 weight;		/* share of the uplink */
	int ifindex;
	int up_link;		/* xdpq_wfq on dev; -1: none, or another VM's */
	struct counts down, up;
};

struct config {
	struct vm vm[MAX_VMS];	/* VM i uses index i + 1; 0 is "not a VM" */
	int nr;
};

/* The two schedulers */
struct shaper {
	struct xdpq_hier *down;	/* uplink to VMs */
	struct xdpq_wfq *up;	/* VMs to uplink */
};

static volatile sig_atomic_t stop, reload;

static void on_signal(int sig)
{
	if (sig == SIGHUP)
		reload = 1;
	else
		stop = 1;
}

/* "10m" -> 10000000 with base 1000, "15k" -> 15360 with base 1024. */
static int parse_size(const char *s, unsigned int base, __u64 *out)
{
	char *end;
	double v = strtod(s, &end);

	if (end == s || v < 0)
		return -1;
	switch (tolower(*end)) {
	case 'g':
		v *= base;
		/* fallthrough */
	case 'm':
		v *= base;
		/* fallthrough */
	case 'k':
		v *= base;
		end++;
		break;
	}
	if (!strcmp(end, "bit") && base == 1000)
		end += 3;
	if (*end)
		return -1;
	*out = v;
	return 0;
}

static int parse_mac(const char *s, unsigned char *mac)
{
	unsigned int b[6];
	char extra;
	int i;

	if (sscanf(s, "%x:%x:%x:%x:%x:%x%c", &b[0], &b[1], &b[2], &b[3], &b[4], &b[5],
		   &extra) != 6)
		return -1;
	for (i = 0; i < 6; i++) {
		if (b[i] > 0xff)
			return -1;
		mac[i] = b[i];
	}
	return 0;
}

static int parse_weight(const char *s, __u32 *weight)
{
	unsigned long v;
	char *end;

	errno = 0;
	v = strtoul(s, &end, 10);
	if (errno || end == s || *end || !isdigit(*s) || v < 1 || v > MAX_WEIGHT)
		return -1;
	*weight = v;
	return 0;
}

/* Parse one "vm ..." line into vm; a message for the user on error. */
static const char *parse_vm(char *line, struct vm *vm)
{
	char *word, *arg, *save;
	bool mac = false, burst = false;
	__u64 bits = 0;

	memset(vm, 0, sizeof(*vm));
	word = strtok_r(line, " \t", &save);
	if (!word || strcmp(word, "vm"))
		return "expected 'vm NAME ...'";
	word = strtok_r(NULL, " \t", &save);
	if (!word || strlen(word) >= sizeof(vm->name))
		return "missing or too long VM name";
	snprintf(vm->name, sizeof(vm->name), "%s", word);
	vm->weight = 1;
	while ((word = strtok_r(NULL, " \t", &save))) {
		arg = strtok_r(NULL, " \t", &save);
		if (!arg)
			return "a keyword without its value";
		if (!strcmp(word, "mac")) {
			if (parse_mac(arg, vm->mac))
				return "bad MAC address";
			mac = true;
		} else if (!strcmp(word, "dev")) {
			if (strlen(arg) >= sizeof(vm->dev))
				return "device name too long";
			snprintf(vm->dev, sizeof(vm->dev), "%s", arg);
		} else if (!strcmp(word, "rate")) {
			if (parse_size(arg, 1000, &bits) || bits < 8)
				return "bad rate (bit/s, e.g. 100m)";
			vm->rate = bits / 8;
		} else if (!strcmp(word, "burst")) {
			if (parse_size(arg, 1024, &vm->burst) || !vm->burst)
				return "bad burst (bytes, e.g. 15k)";
			burst = true;
		} else if (!strcmp(word, "weight")) {
			if (parse_weight(arg, &vm->weight))
				return "bad weight (an integer from 1 to 100)";
		} else {
			return "unknown keyword (mac, dev, rate, burst, weight)";
		}
	}
	if (!mac || !vm->dev[0])
		return "a VM needs a mac and a dev";
	if (vm->rate && !burst)
		vm->burst = vm->rate / 100 > 3028 ? vm->rate / 100 : 3028;
	return NULL;
}

static int read_config(const char *path, struct config *cfg)
{
	char line[512], *p;
	const char *err;
	int lineno = 0, i;
	FILE *f;

	f = fopen(path, "r");
	if (!f) {
		fprintf(stderr, "%s: %s\n", path, strerror(errno));
		return -1;
	}
	memset(cfg, 0, sizeof(*cfg));
	while (fgets(line, sizeof(line), f)) {
		lineno++;
		p = strchr(line, '#');
		if (p)
			*p = 0;
		line[strcspn(line, "\r\n")] = 0;
		for (p = line; isspace(*p); p++)
			;
		if (!*p)
			continue;
		if (cfg->nr == MAX_VMS - 1) {
			fprintf(stderr, "%s:%d: more than %d VMs\n", path, lineno, MAX_VMS - 1);
			goto err;
		}
		err = parse_vm(p, &cfg->vm[cfg->nr]);
		if (err) {
			fprintf(stderr, "%s:%d: %s\n", path, lineno, err);
			goto err;
		}
		for (i = 0; i < cfg->nr; i++) {
			if (!strcmp(cfg->vm[i].name, cfg->vm[cfg->nr].name) ||
			    !memcmp(cfg->vm[i].mac, cfg->vm[cfg->nr].mac, 6)) {
				fprintf(stderr, "%s:%d: VM name or MAC used twice\n", path, lineno);
				goto err;
			}
		}
		cfg->nr++;
	}
	fclose(f);
	if (!cfg->nr) {
		fprintf(stderr, "%s: no VMs\n", path);
		return -1;
	}
	return 0;
err:
	fclose(f);
	return -1;
}

/* Say why a step failed: EPERM from bpf() or netlink means privileges. */
static void print_error(const char *what, int err)
{
	if (err == EPERM)
		fprintf(stderr, "%s: permission denied: xdpq_shape " NEEDS_PRIVILEGES "\n", what);
	else
		fprintf(stderr, "%s: %s\n", what, strerror(err));
}

static int set_vm(struct xdpq_hier *skel, __u32 idx, const struct vm *vm)
{
	struct hier_vm_cfg value = {
		.ifindex = vm->ifindex,
		.rate = vm->rate,
		.burst = vm->burst,
	};

	return bpf_map_update_elem(bpf_map__fd(skel->maps.vm_cfg), &idx, &value, 0);
}

/* Set the weight of VM idx; 0 or -1 with errno set. */
static int set_weight(struct xdpq_wfq *skel, __u32 idx, __u32 weight)
{
	struct wfq_weight arg = { .vm = idx, .weight = weight };

	LIBBPF_OPTS(bpf_test_run_opts, opts, .ctx_in = &arg, .ctx_size_in = sizeof(arg));

	if (bpf_prog_test_run_opts(bpf_program__fd(skel->progs.wfq_set_weight), &opts))
		return -1;
	if (opts.retval) {
		errno = ERANGE;
		return -1;
	}
	return 0;
}

/* Attach prog to a device in native (driver) mode through a bpf_link,
 * which Ctrl-C, or the end of the process, detaches. Generic (skb) XDP
 * cannot queue frames: native XDP or nothing.
 */
static int attach_native(struct bpf_program *prog, int ifindex, const char *dev)
{
	LIBBPF_OPTS(bpf_link_create_opts, opts, .flags = XDP_FLAGS_DRV_MODE);
	char what[64];
	int link;

	link = bpf_link_create(bpf_program__fd(prog), ifindex, BPF_XDP, &opts);
	if (link >= 0)
		return link;
	if (errno == EOPNOTSUPP) {
		fprintf(stderr, "attaching XDP to %s: its driver has no native XDP, and generic XDP cannot queue frames\n",
			dev);
	} else {
		snprintf(what, sizeof(what), "attaching XDP to %s in native (driver) mode", dev);
		print_error(what, errno);
	}
	return -1;
}

static bool can_xmit_xdp(int ifindex)
{
	LIBBPF_OPTS(bpf_xdp_query_opts, query);

	return !bpf_xdp_query(ifindex, 0, &query) &&
	       (query.feature_flags & NETDEV_XDP_ACT_NDO_XMIT);
}

/* Whether an earlier VM of the config file has the same device. */
static bool dev_taken(const struct config *cfg, int i)
{
	int j;

	for (j = 0; j < i; j++)
		if (cfg->vm[j].ifindex == cfg->vm[i].ifindex)
			return true;
	return false;
}

static int timer_init(struct bpf_program *init)
{
	unsigned char frame[64] = {};

	LIBBPF_OPTS(bpf_test_run_opts, opts, .data_in = frame, .data_size_in = sizeof(frame));
	int err;

	err = bpf_prog_test_run_opts(bpf_program__fd(init), &opts);
	return err ?: opts.retval == XDP_PASS ? 0 : -EINVAL;
}

/* Towards the VM: resolve its device and tell xdpq_hier about the VM. */
static int add_vm_down(struct xdpq_hier *skel, struct vm *vm, __u32 idx)
{
	char what[64];

	vm->ifindex = if_nametoindex(vm->dev);
	if (!vm->ifindex) {
		fprintf(stderr, "VM %s: no such device: %s\n", vm->name, vm->dev);
		return -1;
	}
	if (xdpq_vm_add(bpf_map__fd(skel->maps.vm_by_mac), bpf_map__fd(skel->maps.vm_slots),
			vm->mac, idx) ||
	    set_vm(skel, idx, vm)) {
		snprintf(what, sizeof(what), "VM %s", vm->name);
		print_error(what, errno);
		return -1;
	}
	return 0;
}

/* Towards the uplink: tell xdpq_wfq about VM i, queue what the VM sends,
 * and make sure that frames can be sent to the VM, which for virtio-net
 * takes that program.
 */
static int add_vm_up(struct xdpq_wfq *skel, struct config *cfg, int i)
{
	struct vm *vm = &cfg->vm[i];
	__u32 idx = i + 1;
	char what[64];

	if (xdpq_vm_add(bpf_map__fd(skel->maps.vm_by_mac), bpf_map__fd(skel->maps.vm_slots),
			vm->mac, idx) ||
	    set_weight(skel, idx, vm->weight)) {
		snprintf(what, sizeof(what), "VM %s", vm->name);
		print_error(what, errno);
		return -1;
	}
	if (!dev_taken(cfg, i)) {
		vm->up_link = attach_native(skel->progs.xdpq_enqueue, vm->ifindex, vm->dev);
		if (vm->up_link < 0)
			return -1;
	}
	if (!can_xmit_xdp(vm->ifindex)) {
		fprintf(stderr, "VM %s: %s cannot receive XDP frames (no ndo_xdp_xmit)\n",
			vm->name, vm->dev);
		return -1;
	}
	return 0;
}

/* Start shaping towards the VMs: xdpq_hier on the uplink. It starts first,
 * as soon as it would without the other direction, since loading a second
 * object takes a while on a busy machine. Returns the uplink's link, or -1.
 */
static int start_down(struct shaper *sh, struct config *cfg, int uplink, const char *dev)
{
	int i;

	sh->down = xdpq_hier__open_and_load();
	if (!sh->down) {
		print_error("loading the scheduler towards the VMs", errno);
		return -1;
	}
	if (timer_init(sh->down->progs.xdpq_init)) {
		fprintf(stderr, "starting the timer of the scheduler towards the VMs failed\n");
		return -1;
	}
	for (i = 0; i < cfg->nr; i++)
		if (add_vm_down(sh->down, &cfg->vm[i], i + 1))
			return -1;
	return attach_native(sh->down->progs.xdpq_enqueue, uplink, dev);
}

/* Start sharing the uplink between the VMs: xdpq_wfq on each VM's device,
 * sending to the uplink, with an equal part of its queue for each VM and
 * VM 0.
 */
static int start_up(struct shaper *sh, struct config *cfg, int uplink, const char *dev)
{
	int err, i;

	sh->up = xdpq_wfq__open();
	if (!sh->up) {
		print_error("opening the scheduler towards the uplink", errno);
		return -1;
	}
	sh->up->rodata->target_ifindex = uplink;
	sh->up->rodata->wfq_by_src_mac = true;
	sh->up->rodata->wfq_vm_frames = bpf_map__max_entries(sh->up->maps.wfq_queue) /
					(cfg->nr + 1);
	err = xdpq_wfq__load(sh->up);
	if (err) {
		print_error("loading the scheduler towards the uplink", -err);
		return -1;
	}
	if (timer_init(sh->up->progs.xdpq_init)) {
		fprintf(stderr, "starting the timer of the scheduler towards the uplink failed\n");
		return -1;
	}
	for (i = 0; i < cfg->nr; i++)
		if (add_vm_up(sh->up, cfg, i))
			return -1;
	if (!can_xmit_xdp(uplink)) {
		fprintf(stderr, "uplink: %s cannot send the VMs' XDP frames (no ndo_xdp_xmit; a veth needs XDP or GRO on its peer)\n",
			dev);
		return -1;
	}
	return 0;
}

/* SIGHUP: apply the config file's rates, bursts and weights to the running
 * VMs.
 */
static void reload_config(struct shaper *sh, const char *path, struct config *cfg)
{
	struct config next;
	struct vm *vm;
	int i;

	if (read_config(path, &next))
		goto keep;
	if (next.nr != cfg->nr)
		goto restart;
	for (i = 0; i < cfg->nr; i++)
		if (strcmp(next.vm[i].name, cfg->vm[i].name) ||
		    strcmp(next.vm[i].dev, cfg->vm[i].dev) ||
		    memcmp(next.vm[i].mac, cfg->vm[i].mac, 6))
			goto restart;
	for (i = 0; i < cfg->nr; i++) {
		vm = &cfg->vm[i];
		vm->rate = next.vm[i].rate;
		vm->burst = next.vm[i].burst;
		vm->weight = next.vm[i].weight;
		if (set_vm(sh->down, i + 1, vm) || set_weight(sh->up, i + 1, vm->weight))
			fprintf(stderr, "VM %s: %s\n", vm->name, strerror(errno));
	}
	fprintf(stderr, "%s: rates, bursts and weights applied\n", path);
	return;
restart:
	fprintf(stderr, "%s: VMs, MACs or devices changed: restart to apply\n", path);
keep:
	fprintf(stderr, "%s: keeping the running configuration\n", path);
}

/* The VM's sub-queues' depth and frames ever queued. */
static void vm_queue(struct xdpq_hier *skel, __u32 idx, __u64 *depth, __u64 *enqueued)
{
	struct bpf_xdp_queue_stats st;
	__u32 q;

	*depth = *enqueued = 0;
	for (q = idx * FLOWS_PER_VM; q < (idx + 1) * FLOWS_PER_VM; q++) {
		if (bpf_map_lookup_elem(bpf_map__fd(skel->maps.hier_queue), &q, &st))
			continue;
		*depth += st.depth;
		*enqueued += st.enqueued;
	}
}

/* Per second rates of one direction of a VM since the last statistics */
struct rates {
	double offered, sent, bits;
};

static struct rates count_rates(struct counts *last, const struct counts *now, double secs)
{
	struct rates r = {
		.offered = (now->offered - last->offered) / secs,
		.sent = (now->sent - last->sent) / secs,
		.bits = (now->bytes - last->bytes) * 8 / secs,
	};

	*last = *now;
	return r;
}

/* One VM's statistics of an interval, in both directions */
struct vm_stats {
	struct hier_vm_state down;
	struct wfq_vm_stats up;
	__u64 depth;
	struct rates down_rate, up_rate;
};

static void read_vm_stats(struct shaper *sh, struct vm *vm, __u32 idx, double secs,
			  struct vm_stats *s)
{
	struct counts now;

	memset(s, 0, sizeof(*s));
	bpf_map_lookup_elem(bpf_map__fd(sh->down->maps.vm_state), &idx, &s->down);
	bpf_map_lookup_elem(bpf_map__fd(sh->up->maps.vm_stats), &idx, &s->up);
	vm_queue(sh->down, idx, &s->depth, &now.offered);
	now.offered += s->down.dropped;
	now.sent = s->down.sent_frames;
	now.bytes = s->down.sent_bytes;
	s->down_rate = count_rates(&vm->down, &now, secs);
	now = (struct counts){ s->up.offered, s->up.sent_frames, s->up.sent_bytes };
	s->up_rate = count_rates(&vm->up, &now, secs);
}

static void print_table(struct shaper *sh, const struct config *cfg, const struct vm_stats *s,
			const struct bpf_xdp_queue_stats *down, const struct bpf_xdp_queue_stats *up)
{
	const struct vm *vm;
	char limit[16];
	int i;

	printf("%-12s %10s %10s %10s %10s %8s %8s %8s\n", "vm", "limit Mb/s", "sent Mb/s",
	       "offered/s", "sent/s", "depth", "dropped", "blocked");
	for (i = 0; i < cfg->nr; i++) {
		vm = &cfg->vm[i];
		if (vm->rate)
			snprintf(limit, sizeof(limit), "%.2f", vm->rate * 8 / 1e6);
		else
			snprintf(limit, sizeof(limit), "-");
		printf("%-12s %10s %10.2f %10.0f %10.0f %8llu %8llu %8llu\n", vm->name, limit,
		       s[i].down_rate.bits / 1e6, s[i].down_rate.offered, s[i].down_rate.sent,
		       (unsigned long long)s[i].depth, (unsigned long long)s[i].down.dropped,
		       (unsigned long long)s[i].down.blocked);
	}
	printf("queue: %llu frames, %llu dropped because full; %llu frames not for a VM\n",
	       down->depth, down->drop_full, (unsigned long long)sh->down->bss->not_a_vm);

	printf("%-12s %10s %10s %10s %10s %8s %8s\n", "to uplink", "weight", "sent Mb/s",
	       "offered/s", "sent/s", "depth", "dropped");
	for (i = 0; i < cfg->nr; i++)
		printf("%-12s %10u %10.2f %10.0f %10.0f %8llu %8llu\n", cfg->vm[i].name,
		       cfg->vm[i].weight, s[i].up_rate.bits / 1e6, s[i].up_rate.offered,
		       s[i].up_rate.sent, (unsigned long long)s[i].up.queued,
		       (unsigned long long)s[i].up.dropped);
	printf("uplink queue: %llu frames, %llu dropped because full\n\n", up->depth,
	       up->drop_full);
}

static void print_json(struct shaper *sh, const struct config *cfg, const struct vm_stats *s,
		       const struct bpf_xdp_queue_stats *down, const struct bpf_xdp_queue_stats *up)
{
	const struct vm *vm;
	int i;

	for (i = 0; i < cfg->nr; i++) {
		vm = &cfg->vm[i];
		printf("{\"vm\":\"%s\",\"rate_bps\":%llu,\"sent_bps\":%.0f,\"offered_pps\":%.1f,\"sent_pps\":%.1f,\"sent_frames\":%llu,\"depth\":%llu,\"dropped\":%llu,\"blocked\":%llu,",
		       vm->name, (unsigned long long)vm->rate * 8, s[i].down_rate.bits,
		       s[i].down_rate.offered, s[i].down_rate.sent,
		       (unsigned long long)s[i].down.sent_frames, (unsigned long long)s[i].depth,
		       (unsigned long long)s[i].down.dropped, (unsigned long long)s[i].down.blocked);
		printf("\"weight\":%u,\"up_sent_bps\":%.0f,\"up_offered_pps\":%.1f,\"up_sent_pps\":%.1f,\"up_offered_frames\":%llu,\"up_sent_frames\":%llu,\"up_depth\":%llu,\"up_dropped\":%llu}\n",
		       vm->weight, s[i].up_rate.bits, s[i].up_rate.offered, s[i].up_rate.sent,
		       (unsigned long long)s[i].up.offered, (unsigned long long)s[i].up.sent_frames,
		       (unsigned long long)s[i].up.queued, (unsigned long long)s[i].up.dropped);
	}
	printf("{\"total\":{\"enqueued\":%llu,\"sent\":%llu,\"depth\":%llu,\"drop_full\":%llu,\"not_a_vm\":%llu}}\n",
	       down->enqueued, down->sent, down->depth, down->drop_full,
	       (unsigned long long)sh->down->bss->not_a_vm);
	printf("{\"uplink\":{\"enqueued\":%llu,\"sent\":%llu,\"depth\":%llu,\"drop_full\":%llu}}\n",
	       up->enqueued, up->sent, up->depth, up->drop_full);
}

static void print_stats(struct shaper *sh, struct config *cfg, double secs, bool json)
{
	struct bpf_xdp_queue_stats down = {}, up = {};
	__u32 key = BPF_XDP_QUEUE_TOTAL;
	struct vm_stats s[MAX_VMS];
	int i;

	bpf_map_lookup_elem(bpf_map__fd(sh->down->maps.hier_queue), &key, &down);
	bpf_map_lookup_elem(bpf_map__fd(sh->up->maps.wfq_queue), &key, &up);
	for (i = 0; i < cfg->nr; i++)
		read_vm_stats(sh, &cfg->vm[i], i + 1, secs, &s[i]);
	if (json)
		print_json(sh, cfg, s, &down, &up);
	else
		print_table(sh, cfg, s, &down, &up);
	fflush(stdout);
}

static void print_usage(const char *prog)
{
	fprintf(stderr,
		"usage: %s [-j] [-i SECONDS] [-d SECONDS] -c CONFIG UPLINK\n"
		"  -c CONFIG   VMs, one per line:\n"
		"              vm NAME mac MAC dev DEVICE [rate RATE] [burst SIZE] [weight WEIGHT]\n"
		"  -i SECONDS  statistics interval (default 1)\n"
		"  -d SECONDS  stop after this long (default: at SIGINT or SIGTERM)\n"
		"  -j          statistics as JSON, one object per line\n", prog);
}

int main(int argc, char **argv)
{
	double interval = 1, duration = 0, elapsed = 0;
	const char *config_path = NULL;
	struct shaper sh = {};
	int uplink, uplink_link = -1;
	int ret = EXIT_FAILURE, opt, i;
	struct config cfg;
	struct timespec ts;
	bool json = false;

	while ((opt = getopt(argc, argv, "c:i:d:jh")) != -1) {
		switch (opt) {
		case 'c':
			config_path = optarg;
			break;
		case 'i':
			interval = atof(optarg);
			break;
		case 'd':
			duration = atof(optarg);
			break;
		case 'j':
			json = true;
			break;
		default:
			print_usage(argv[0]);
			return opt == 'h' ? EXIT_SUCCESS : EXIT_FAILURE;
		}
	}
	if (!config_path || optind != argc - 1 || interval <= 0) {
		print_usage(argv[0]);
		return EXIT_FAILURE;
	}
	if (read_config(config_path, &cfg))
		return EXIT_FAILURE;
	uplink = if_nametoindex(argv[optind]);
	if (!uplink) {
		fprintf(stderr, "uplink: no such device: %s\n", argv[optind]);
		return EXIT_FAILURE;
	}
	for (i = 0; i < cfg.nr; i++)
		cfg.vm[i].up_link = -1;

	uplink_link = start_down(&sh, &cfg, uplink, argv[optind]);
	if (uplink_link < 0 || start_up(&sh, &cfg, uplink, argv[optind]))
		goto out;

	signal(SIGINT, on_signal);
	signal(SIGTERM, on_signal);
	signal(SIGHUP, on_signal);
	fprintf(stderr, "shaping %d VMs from and to %s; SIGHUP re-reads %s\n", cfg.nr,
		argv[optind], config_path);
	ts.tv_sec = interval;
	ts.tv_nsec = (interval - ts.tv_sec) * 1e9;
	while (!stop && (!duration || elapsed < duration)) {
		if (nanosleep(&ts, NULL) && !stop && !reload)
			break;
		if (reload) {
			reload = 0;
			reload_config(&sh, config_path, &cfg);
			continue;
		}
		if (stop)
			break;
		elapsed += interval;
		print_stats(&sh, &cfg, interval, json);
	}
	ret = EXIT_SUCCESS;
out:
	if (uplink_link >= 0)
		close(uplink_link);
	for (i = 0; i < cfg.nr; i++)
		if (cfg.vm[i].up_link >= 0)
			close(cfg.vm[i].up_link);
	xdpq_wfq__destroy(sh.up);
	xdpq_hier__destroy(sh.down);
	return ret;
}
