// SPDX-License-Identifier: GPL-2.0
/* xdpq_shape: shape a hypervisor's traffic from an uplink to its VMs with
 * the xdpq_hier scheduler (xdpq_hier.bpf.c).
 *
 *   xdpq_shape [-j] [-i SECONDS] [-d SECONDS] -c CONFIG UPLINK
 *
 * XDP on UPLINK classifies frames by destination MAC into the VMs of the
 * config file and queues them; the scheduler sends each VM's frames to
 * its device (a tap, a virtio-net NIC) at the VM's rate, fair between
 * the VM's flows. Other frames go on to the stack. Every interval it
 * prints per VM the configured and the achieved rate, the frames offered
 * and sent, the queue depth, the frames dropped because the VM's share of
 * the queue was full, and how often the VM's device was full, as a table
 * or, with -j, as one JSON object per line.
 *
 * The config file has one VM per line, '#' starts a comment:
 *
 *   vm NAME mac XX:XX:XX:XX:XX:XX dev DEVICE [rate RATE] [burst SIZE]
 *
 * RATE is in bit/s with an optional k, m or g suffix (no rate: not
 * limited); SIZE is in bytes with an optional k, m or g suffix (default: 10
 * ms at the rate, at least 3028 bytes). SIGHUP re-reads the file and
 * applies changed rates and bursts at once, without reloading anything
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

#define MAX_VMS		16	/* XDPQ_MAX_VMS */
#define FLOWS_PER_VM	16	/* HIER_FLOWS */

struct vm {
	char name[32];
	unsigned char mac[6];
	char dev[IF_NAMESIZE];
	__u64 rate;		/* bytes per second */
	__u64 burst;		/* bytes */
	int ifindex;
	int pass_link;		/* XDP_PASS on dev, for ndo_xdp_xmit */
	__u64 last_offered, last_sent, last_bytes;
};

struct config {
	struct vm vm[MAX_VMS];	/* VM i uses index i + 1; 0 is "not a VM" */
	int nr;
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
		} else {
			return "unknown keyword (mac, dev, rate, burst)";
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

static int set_vm(struct xdpq_hier *skel, __u32 idx, const struct vm *vm)
{
	struct hier_vm_cfg value = {
		.ifindex = vm->ifindex,
		.rate = vm->rate,
		.burst = vm->burst,
	};

	return bpf_map_update_elem(bpf_map__fd(skel->maps.vm_cfg), &idx, &value, 0);
}

/* Resolve a VM's device, make sure frames can be sent to it, and tell the
 * scheduler about the VM.
 */
static int add_vm(struct xdpq_hier *skel, __u32 idx, struct vm *vm)
{
	LIBBPF_OPTS(bpf_xdp_query_opts, query);

	vm->pass_link = -1;
	vm->ifindex = if_nametoindex(vm->dev);
	if (!vm->ifindex) {
		fprintf(stderr, "VM %s: no such device: %s\n", vm->name, vm->dev);
		return -1;
	}
	/* virtio-net transmits XDP frames only with a program of its own. */
	if (bpf_xdp_query(vm->ifindex, 0, &query) == 0 &&
	    !(query.feature_flags & NETDEV_XDP_ACT_NDO_XMIT) && !query.prog_id) {
		vm->pass_link = bpf_link_create(bpf_program__fd(skel->progs.xdpq_pass),
						vm->ifindex, BPF_XDP, NULL);
		if (vm->pass_link >= 0 &&
		    bpf_xdp_query(vm->ifindex, 0, &query) == 0 &&
		    !(query.feature_flags & NETDEV_XDP_ACT_NDO_XMIT)) {
			close(vm->pass_link);
			vm->pass_link = -1;
		}
	}
	if (bpf_xdp_query(vm->ifindex, 0, &query) ||
	    !(query.feature_flags & NETDEV_XDP_ACT_NDO_XMIT)) {
		fprintf(stderr, "VM %s: %s cannot receive XDP frames (no ndo_xdp_xmit)\n",
			vm->name, vm->dev);
		return -1;
	}
	if (bpf_map_update_elem(bpf_map__fd(skel->maps.vm_by_mac), vm->mac, &idx, 0) ||
	    set_vm(skel, idx, vm)) {
		fprintf(stderr, "VM %s: %s\n", vm->name, strerror(errno));
		return -1;
	}
	return 0;
}

/* SIGHUP: apply the config file's rates and bursts to the running VMs. */
static void reload_config(struct xdpq_hier *skel, const char *path, struct config *cfg)
{
	struct config next;
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
		cfg->vm[i].rate = next.vm[i].rate;
		cfg->vm[i].burst = next.vm[i].burst;
		if (set_vm(skel, i + 1, &cfg->vm[i]))
			fprintf(stderr, "VM %s: %s\n", cfg->vm[i].name, strerror(errno));
	}
	fprintf(stderr, "%s: rates and bursts applied\n", path);
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

static void print_stats(struct xdpq_hier *skel, struct config *cfg, double secs, bool json)
{
	__u32 key = BPF_XDP_QUEUE_TOTAL;
	struct bpf_xdp_queue_stats total = {};
	struct hier_vm_state st;
	__u64 depth, offered;
	__u32 idx;
	int i;

	bpf_map_lookup_elem(bpf_map__fd(skel->maps.hier_queue), &key, &total);
	if (!json)
		printf("%-12s %10s %10s %10s %10s %8s %8s %8s\n", "vm", "limit Mb/s", "sent Mb/s",
		       "offered/s", "sent/s", "depth", "dropped", "blocked");
	for (i = 0; i < cfg->nr; i++) {
		struct vm *vm = &cfg->vm[i];
		double mbit_limit = vm->rate * 8 / 1e6, mbit, offered_ps, sent_ps;

		idx = i + 1;
		memset(&st, 0, sizeof(st));
		bpf_map_lookup_elem(bpf_map__fd(skel->maps.vm_state), &idx, &st);
		vm_queue(skel, idx, &depth, &offered);
		offered += st.dropped;
		mbit = (st.sent_bytes - vm->last_bytes) * 8 / 1e6 / secs;
		offered_ps = (offered - vm->last_offered) / secs;
		sent_ps = (st.sent_frames - vm->last_sent) / secs;
		vm->last_bytes = st.sent_bytes;
		vm->last_offered = offered;
		vm->last_sent = st.sent_frames;
		if (json)
			printf("{\"vm\":\"%s\",\"rate_bps\":%llu,\"sent_bps\":%.0f,\"offered_pps\":%.1f,\"sent_pps\":%.1f,\"sent_frames\":%llu,\"depth\":%llu,\"dropped\":%llu,\"blocked\":%llu}\n",
			       vm->name, (unsigned long long)vm->rate * 8, mbit * 1e6, offered_ps,
			       sent_ps, (unsigned long long)st.sent_frames,
			       (unsigned long long)depth, (unsigned long long)st.dropped,
			       (unsigned long long)st.blocked);
		else if (vm->rate)
			printf("%-12s %10.2f %10.2f %10.0f %10.0f %8llu %8llu %8llu\n", vm->name,
			       mbit_limit, mbit, offered_ps, sent_ps, (unsigned long long)depth,
			       (unsigned long long)st.dropped, (unsigned long long)st.blocked);
		else
			printf("%-12s %10s %10.2f %10.0f %10.0f %8llu %8llu %8llu\n", vm->name, "-",
			       mbit, offered_ps, sent_ps, (unsigned long long)depth,
			       (unsigned long long)st.dropped, (unsigned long long)st.blocked);
	}
	if (json)
		printf("{\"total\":{\"enqueued\":%llu,\"sent\":%llu,\"depth\":%llu,\"drop_full\":%llu,\"not_a_vm\":%llu}}\n",
		       total.enqueued, total.sent, total.depth, total.drop_full,
		       (unsigned long long)skel->bss->not_a_vm);
	else
		printf("queue: %llu frames, %llu dropped because full; %llu frames not for a VM\n\n",
		       total.depth, total.drop_full, (unsigned long long)skel->bss->not_a_vm);
	fflush(stdout);
}

static int timer_init(struct xdpq_hier *skel)
{
	unsigned char frame[64] = {};
	LIBBPF_OPTS(bpf_test_run_opts, opts, .data_in = frame, .data_size_in = sizeof(frame));
	int err;

	err = bpf_prog_test_run_opts(bpf_program__fd(skel->progs.xdpq_init), &opts);
	return err ?: opts.retval == XDP_PASS ? 0 : -EINVAL;
}

static void print_usage(const char *prog)
{
	fprintf(stderr,
		"usage: %s [-j] [-i SECONDS] [-d SECONDS] -c CONFIG UPLINK\n"
		"  -c CONFIG   VMs, one per line: vm NAME mac MAC dev DEVICE [rate RATE] [burst SIZE]\n"
		"  -i SECONDS  statistics interval (default 1)\n"
		"  -d SECONDS  stop after this long (default: at SIGINT or SIGTERM)\n"
		"  -j          statistics as JSON, one object per line\n", prog);
}

int main(int argc, char **argv)
{
	LIBBPF_OPTS(bpf_link_create_opts, uplink_opts, .flags = XDP_FLAGS_DRV_MODE);
	double interval = 1, duration = 0, elapsed = 0;
	const char *config_path = NULL;
	struct xdpq_hier *skel = NULL;
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

	skel = xdpq_hier__open_and_load();
	if (!skel) {
		if (errno == EPERM)
			fprintf(stderr, "loading the scheduler: permission denied (needs CAP_BPF, CAP_NET_ADMIN and CAP_PERFMON: run as root)\n");
		else
			fprintf(stderr, "loading the scheduler: %s\n", strerror(errno));
		return EXIT_FAILURE;
	}
	if (timer_init(skel)) {
		fprintf(stderr, "starting the scheduler's timer failed\n");
		goto out;
	}
	for (i = 0; i < cfg.nr; i++)
		if (add_vm(skel, i + 1, &cfg.vm[i]))
			goto out;
	/* Generic (skb) XDP cannot queue frames: native XDP or nothing. */
	uplink_link = bpf_link_create(bpf_program__fd(skel->progs.xdpq_enqueue), uplink,
				      BPF_XDP, &uplink_opts);
	if (uplink_link < 0) {
		fprintf(stderr, "attaching XDP to %s in native (driver) mode: %s\n",
			argv[optind], strerror(errno));
		goto out;
	}

	signal(SIGINT, on_signal);
	signal(SIGTERM, on_signal);
	signal(SIGHUP, on_signal);
	fprintf(stderr, "shaping %d VMs from %s; SIGHUP re-reads %s\n", cfg.nr, argv[optind],
		config_path);
	ts.tv_sec = interval;
	ts.tv_nsec = (interval - ts.tv_sec) * 1e9;
	while (!stop && (!duration || elapsed < duration)) {
		if (nanosleep(&ts, NULL) && !stop && !reload)
			break;
		if (reload) {
			reload = 0;
			reload_config(skel, config_path, &cfg);
			continue;
		}
		if (stop)
			break;
		elapsed += interval;
		print_stats(skel, &cfg, interval, json);
	}
	ret = EXIT_SUCCESS;
out:
	if (uplink_link >= 0)
		close(uplink_link);
	for (i = 0; i < cfg.nr; i++)
		if (cfg.vm[i].pass_link >= 0)
			close(cfg.vm[i].pass_link);
	xdpq_hier__destroy(skel);
	return ret;
}
