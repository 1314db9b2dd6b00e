// SPDX-License-Identifier: GPL-2.0
/* The xdpq_shape tool of samples/bpf: it refuses bad configurations, and
 * runs without the privileges it needs, with a message that says what is
 * wrong; forwards from an uplink to each VM's tap, applies new rates and
 * weights on SIGHUP while it runs, and leaves nothing attached when it
 * stops, so that a second run starts clean; and shares a slow uplink
 * between VMs that send as fast as they can by their weights.
 */
#include <grp.h>
#include <signal.h>
#include <sys/wait.h>
#include <net/if.h>
#include <linux/if_ether.h>
#include <linux/if_link.h>
#include <linux/if_packet.h>
#include <linux/ipv6.h>
#include <linux/udp.h>
#include <sys/socket.h>
#include <test_progs.h>
#include <network_helpers.h>
#include "xdpq_shape_uplink.skel.h"
#include "xdpq_tap.h"

#define NS "xdpq_shape"
#define CONFIG "/tmp/xdpq_shape.conf"
#define OUTPUT "/tmp/xdpq_shape.out"
#define FRAMES 200
#define FRAME_LEN 128

static const __u8 vm_mac[][ETH_ALEN] = {
	{ 0x02, 0, 0, 0, 0x10, 0x01 },
	{ 0x02, 0, 0, 0, 0x10, 0x02 },
};

static int write_config(const char *text)
{
	FILE *f = fopen(CONFIG, "w");

	if (!f)
		return -errno;
	fputs(text, f);
	fclose(f);
	return 0;
}

/* Run the tool on a config that must be refused; true if it failed and
 * said what it was told to say.
 */
static bool refused(const char *config, const char *uplink, const char *message)
{
	char out[1024] = {}, cmd[256];
	size_t n;
	FILE *p;
	int rc;

	if (write_config(config))
		return false;
	snprintf(cmd, sizeof(cmd), "./xdpq_shape -d 1 -c " CONFIG " %s 2>&1", uplink);
	p = popen(cmd, "r");
	if (!p)
		return false;
	n = fread(out, 1, sizeof(out) - 1, p);
	out[n] = 0;
	rc = pclose(p);
	if (!WIFEXITED(rc) || WEXITSTATUS(rc) != 1 || !strstr(out, message)) {
		fprintf(stderr, "config:\n%s\nexit %d, said: %s\n", config, rc, out);
		return false;
	}
	return true;
}

/* The test's netns, entered, with the uplink veth pair up0/up1, set up if
 * up: NULL on failure.
 */
static struct nstoken *uplink_netns(bool up)
{
	struct nstoken *nstoken;

	if (!ASSERT_OK(system("ip netns add " NS), "netns"))
		return NULL;
	nstoken = open_netns(NS);
	if (!ASSERT_OK_PTR(nstoken, "open_netns"))
		return NULL;
	if (!ASSERT_OK(system("ip link add up0 type veth peer name up1"), "uplink") ||
	    (up && !ASSERT_OK(system("ip link set up0 up && ip link set up1 up"), "uplink up"))) {
		close_netns(nstoken);
		return NULL;
	}
	return nstoken;
}

static void test_bad_config(void)
{
	struct nstoken *nstoken = NULL;

	nstoken = uplink_netns(false);
	if (!nstoken)
		goto out;

	ASSERT_TRUE(refused("vm a mac 02:00:00:00:10:01 dev lo\nvm b mac 02:00:00:00:10:02 dev lo speed 1\n",
			    "up0", ":2: unknown keyword"), "unknown keyword");
	ASSERT_TRUE(refused("vm a mac 02:00:00:00:10 dev lo\n", "up0", ":1: bad MAC"),
		    "bad mac");
	ASSERT_TRUE(refused("vm a mac 02:00:00:00:10:01 dev lo rate fast\n", "up0", "bad rate"),
		    "bad rate");
	ASSERT_TRUE(refused("vm a mac 02:00:00:00:10:01 dev lo weight 0\n", "up0", ":1: bad weight"),
		    "bad weight");
	ASSERT_TRUE(refused("vm a mac 02:00:00:00:10:01\n", "up0", "needs a mac and a dev"),
		    "no dev");
	ASSERT_TRUE(refused("# nothing\n", "up0", "no VMs"), "empty");
	ASSERT_TRUE(refused("vm a mac 02:00:00:00:10:01 dev nosuchdev\n", "up0",
			    "no such device: nosuchdev"), "missing VM device");
	ASSERT_TRUE(refused("vm a mac 02:00:00:00:10:01 dev up1\n", "nosuchdev",
			    "uplink: no such device"), "missing uplink");
	ASSERT_TRUE(refused("vm a mac 02:00:00:00:10:01 dev lo\n", "up0",
			    "attaching XDP to lo: its driver has no native XDP"), "no native XDP");

	/* vm0 takes XDP frames, with GRO on its peer; up0 does not. */
	SYS(out, "ip link add vm0 type veth peer name vm1");
	SYS(out, "ip link set vm0 up && ip link set vm1 up && ethtool -K vm1 gro on");
	ASSERT_TRUE(refused("vm a mac 02:00:00:00:10:01 dev vm0\n", "up0",
			    "uplink: up0 cannot send the VMs' XDP frames"), "uplink without ndo_xdp_xmit");
out:
	if (nstoken)
		close_netns(nstoken);
	SYS_NOFAIL("ip netns del " NS);
}

/* Whether the tool printed statistics, which it does once it is set up in
 * both directions: the last line of each is the uplink's queue.
 */
static bool tool_ready(void)
{
	char line[1024];
	bool found = false;
	FILE *f;

	f = fopen(OUTPUT, "r");
	if (!f)
		return false;
	while (!found && fgets(line, sizeof(line), f))
		found = !strncmp(line, "{\"uplink\":", 10);
	fclose(f);
	return found;
}

/* Start the tool in the background, with JSON statistics every 200 ms
 * into OUTPUT; wait until it is set up.
 */
static pid_t start_tool(void)
{
	pid_t pid;
	int i, fd;

	unlink(OUTPUT);
	pid = fork();
	if (pid == 0) {
		fd = open(OUTPUT, O_WRONLY | O_CREAT | O_TRUNC, 0600);
		if (fd < 0 || dup2(fd, STDOUT_FILENO) < 0)
			_exit(127);
		execl("./xdpq_shape", "xdpq_shape", "-j", "-i", "0.2", "-c", CONFIG, "up0", NULL);
		_exit(127);
	}
	if (pid < 0)
		return pid;
	for (i = 0; i < 1000; i++) {
		if (tool_ready())
			return pid;
		usleep(10000);
	}
	kill(pid, SIGKILL);
	waitpid(pid, NULL, 0);
	return -1;
}

static int stop_tool(pid_t pid, int sig)
{
	int status;

	if (kill(pid, sig) || waitpid(pid, &status, 0) != pid)
		return -1;
	return WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status);
}

static int prog_id(const char *dev)
{
	LIBBPF_OPTS(bpf_xdp_query_opts, query);

	if (bpf_xdp_query(if_nametoindex(dev), 0, &query))
		return -1;
	return query.prog_id;
}

static int up0_prog_id(void)
{
	return prog_id("up0");
}

/* A UDP/IPv6 test frame of FRAME_LEN bytes; the tag goes at XDPQ_TAP_TAG_OFF. */
static void fill_frame(__u8 *frame, const __u8 *dst, const __u8 *src)
{
	struct ethhdr *eth = (void *)frame;
	struct ipv6hdr *ip6 = (void *)(eth + 1);
	struct udphdr *udp = (void *)(ip6 + 1);

	memset(frame, 0, FRAME_LEN);
	memcpy(eth->h_dest, dst, ETH_ALEN);
	memcpy(eth->h_source, src, ETH_ALEN);
	eth->h_proto = htons(ETH_P_IPV6);
	ip6->version = 6;
	ip6->payload_len = htons(FRAME_LEN - sizeof(*eth) - sizeof(*ip6));
	ip6->nexthdr = IPPROTO_UDP;
	ip6->hop_limit = 64;
	udp->dest = htons(1000);
}

/* Send n test frames to a VM's MAC out of up1, into up0. */
static int send_frames(int vm, int n)
{
	struct sockaddr_ll addr = {
		.sll_family = AF_PACKET,
		.sll_ifindex = if_nametoindex("up1"),
		.sll_halen = ETH_ALEN,
	};
	__u8 frame[FRAME_LEN];
	int fd, i, sent = 0;

	fill_frame(frame, vm_mac[vm], (__u8[]){ 0x02, 0, 0, 0, 0, 0x01 });
	fd = socket(AF_PACKET, SOCK_RAW, 0);
	if (fd < 0)
		return -errno;
	for (i = 0; i < n; i++) {
		memcpy(frame + XDPQ_TAP_TAG_OFF, &i, sizeof(i));
		while (sendto(fd, frame, sizeof(frame), 0, (void *)&addr, sizeof(addr)) < 0) {
			if (errno != ENOBUFS) {
				close(fd);
				return -errno;
			}
			usleep(1000);
		}
		sent++;
	}
	close(fd);
	return sent;
}

static bool wait_frames(struct xdpq_tap_reader *r, __u64 want, int ms)
{
	while (ms-- > 0 && READ_ONCE(r->frames) < want)
		usleep(1000);
	return READ_ONCE(r->frames) >= want;
}

/* The value of key in the last statistics line of VM vm in OUTPUT, -1 if
 * there is none.
 */
static long long last_stat(const char *vm, const char *key)
{
	char line[1024], prefix[32], want[32], *p;
	long long v = -1;
	FILE *f;

	snprintf(prefix, sizeof(prefix), "{\"vm\":\"%s\",", vm);
	snprintf(want, sizeof(want), ",\"%s\":", key);
	f = fopen(OUTPUT, "r");
	if (!f)
		return -1;
	while (fgets(line, sizeof(line), f)) {
		p = strstr(line, want);
		if (!strncmp(line, prefix, strlen(prefix)) && p && strchr(p, '}'))
			v = atoll(p + strlen(want));
	}
	fclose(f);
	return v;
}

/* Whether OUTPUT has a statistics line of VM a with this rate. */
static bool output_has_rate(unsigned long long bps)
{
	char line[1024], want[64];
	bool found = false;
	FILE *f;

	snprintf(want, sizeof(want), "{\"vm\":\"a\",\"rate_bps\":%llu,", bps);
	f = fopen(OUTPUT, "r");
	if (!f)
		return false;
	while (!found && fgets(line, sizeof(line), f))
		found = !strncmp(line, want, strlen(want));
	fclose(f);
	return found;
}

static bool wait_rate(unsigned long long bps, int ms)
{
	for (; ms > 0; ms -= 50) {
		if (output_has_rate(bps))
			return true;
		usleep(50000);
	}
	return false;
}

static bool wait_stat(const char *vm, const char *key, long long value, int ms)
{
	for (; ms > 0; ms -= 50) {
		if (last_stat(vm, key) == value)
			return true;
		usleep(50000);
	}
	return false;
}

/* Two VMs behind taps: frames reach the VM their MAC names, a new rate
 * applies on SIGHUP, and after SIGINT nothing is left on the uplink; a
 * second run starts and stops as cleanly.
 */
static void test_run_reload_stop(void)
{
	struct xdpq_tap_reader *ra = calloc(1, sizeof(*ra)), *rb = calloc(1, sizeof(*rb));
	struct nstoken *nstoken = NULL;
	pid_t pid = -1;

	if (!ASSERT_OK_PTR(ra, "reader a") || !ASSERT_OK_PTR(rb, "reader b"))
		goto out_free;
	ra->fd = rb->fd = -1;
	nstoken = uplink_netns(true);
	if (!nstoken)
		goto out;
	/* up0 sends the VMs' frames as XDP frames: up1 needs GRO (or XDP). */
	SYS(out, "ethtool -K up1 gro on");
	if (!ASSERT_OK(xdpq_tap_start(ra, "tap_a"), "tap a") ||
	    !ASSERT_OK(xdpq_tap_start(rb, "tap_b"), "tap b"))
		goto out;
	SYS(out, "ip link set tap_a up");
	SYS(out, "ip link set tap_b up");
	if (!ASSERT_OK(write_config("# name mac dev rate\n"
				    "vm a mac 02:00:00:00:10:01 dev tap_a rate 8m\n"
				    "vm b mac 02:00:00:00:10:02 dev tap_b\n"), "config"))
		goto out;

	pid = start_tool();
	if (!ASSERT_GT(pid, 0, "start"))
		goto out;
	ASSERT_EQ(send_frames(0, FRAMES), FRAMES, "send to a");
	ASSERT_EQ(send_frames(1, FRAMES), FRAMES, "send to b");
	ASSERT_TRUE(wait_frames(ra, FRAMES, 10000), "a received");
	ASSERT_TRUE(wait_frames(rb, FRAMES, 10000), "b received");
	ASSERT_TRUE(wait_rate(8000000, 2000), "rate 8 Mbit/s reported");

	ASSERT_TRUE(wait_stat("b", "weight", 1, 2000), "weight 1 reported");

	if (!ASSERT_OK(write_config("vm a mac 02:00:00:00:10:01 dev tap_a rate 16m\n"
				    "vm b mac 02:00:00:00:10:02 dev tap_b weight 2\n"), "new config"))
		goto out;
	ASSERT_OK(kill(pid, SIGHUP), "SIGHUP");
	ASSERT_TRUE(wait_rate(16000000, 2000), "rate 16 Mbit/s reported");
	ASSERT_TRUE(wait_stat("b", "weight", 2, 2000), "weight 2 reported");
	ASSERT_EQ(send_frames(0, FRAMES), FRAMES, "send to a again");
	ASSERT_TRUE(wait_frames(ra, 2 * FRAMES, 10000), "a received after reload");

	ASSERT_EQ(stop_tool(pid, SIGINT), 0, "exit status after SIGINT");
	pid = -1;
	ASSERT_EQ(up0_prog_id(), 0, "nothing attached after the first run");
	ASSERT_EQ(prog_id("tap_a"), 0, "nothing attached to tap a");
	ASSERT_EQ(prog_id("tap_b"), 0, "nothing attached to tap b");

	pid = start_tool();
	if (!ASSERT_GT(pid, 0, "second start"))
		goto out;
	ASSERT_EQ(send_frames(1, FRAMES), FRAMES, "send to b in the second run");
	ASSERT_TRUE(wait_frames(rb, 2 * FRAMES, 10000), "b received in the second run");
	ASSERT_EQ(stop_tool(pid, SIGTERM), 0, "exit status after SIGTERM");
	pid = -1;
	ASSERT_EQ(up0_prog_id(), 0, "nothing attached after the second run");
	ASSERT_EQ(ra->frames, 2 * FRAMES, "a: no frame twice");
	ASSERT_EQ(rb->frames, 2 * FRAMES, "b: no frame twice");
out:
	if (pid > 0)
		stop_tool(pid, SIGKILL);
	xdpq_tap_stop(ra);
	xdpq_tap_stop(rb);
	if (nstoken)
		close_netns(nstoken);
	SYS_NOFAIL("ip netns del " NS);
out_free:
	free(ra);
	free(rb);
}

#define UP_FRAMES	2000	/* per VM: within its part of the queue, 8192 / 3 */
#define UP_MARGIN	100	/* frames left: the VM is still backlogged */
#define UP_WINDOW_MIN	1000
#define UP_SLOW_NS	2000000	/* the receiver per frame while the VMs write */
#define UP_DRAIN_NS	100000	/* and after */
#define NS_SYSFS	"/tmp/xdpq_shape_sys"

static const __u8 outside_mac[ETH_ALEN] = { 0x02, 0, 0, 0, 0, 0x99 };

/* A VM writing frames into its tap as fast as it can */
struct vm_writer {
	int fd;			/* the VM's end of its tap */
	int vm;			/* its MAC is vm_mac[vm] */
	int written;
	int err;
	pthread_barrier_t *go;
};

static void *write_frames(void *arg)
{
	struct vm_writer *w = arg;
	__u8 frame[FRAME_LEN];

	fill_frame(frame, outside_mac, vm_mac[w->vm]);
	pthread_barrier_wait(w->go);
	while (w->written < UP_FRAMES) {
		memcpy(frame + XDPQ_TAP_TAG_OFF, &w->written, sizeof(w->written));
		if (write(w->fd, frame, sizeof(frame)) == sizeof(frame)) {
			w->written++;
		} else if (errno == EAGAIN || errno == ENOBUFS) {
			usleep(100);
		} else {
			w->err = -errno;
			break;
		}
	}
	return NULL;
}

static bool wait_received(struct xdpq_shape_uplink *skel, __u32 want, int ms)
{
	while (ms-- > 0 && READ_ONCE(skel->bss->rx_n) < want)
		usleep(1000);
	return READ_ONCE(skel->bss->rx_n) >= want;
}

/* VM a (weight 1) and VM b (weight 3) both wrote all their frames before
 * frame start arrived. From there on, while both still have more than
 * UP_MARGIN frames to come, b gets three times the frames of a.
 */
static void check_share(struct xdpq_shape_uplink *skel, __u32 start)
{
	__u64 seen[3] = {}, n[3] = {};
	__u32 i, vm;

	for (i = 0; i < start; i++)
		seen[skel->bss->rx_log[i] % 3]++;
	for (i = start; i < skel->bss->rx_n && i < ARRAY_SIZE(skel->bss->rx_log); i++) {
		if (seen[1] + UP_MARGIN >= UP_FRAMES || seen[2] + UP_MARGIN >= UP_FRAMES)
			break;
		vm = skel->bss->rx_log[i] % 3;
		seen[vm]++;
		n[vm]++;
	}
	ASSERT_EQ(n[0], 0, "frames of no VM");
	ASSERT_GE(n[1] + n[2], UP_WINDOW_MIN, "frames while both were backlogged");
	ASSERT_GE(n[2] * 10, n[1] * 27, "share of weight 3 >= 2.7x weight 1");
	ASSERT_LE(n[2] * 10, n[1] * 33, "share of weight 3 <= 3.3x weight 1");
	printf("%s: of %llu frames to the uplink while both VMs were backlogged, weight 1 got %llu, weight 3 got %llu\n",
	       __func__, (unsigned long long)(n[1] + n[2]), (unsigned long long)n[1],
	       (unsigned long long)n[2]);
}

/* Two VMs with weights 1 and 3 write UP_FRAMES frames each into their
 * taps as fast as they can; the uplink up0 is a veth whose peer counts
 * them by source MAC and, with threaded NAPI and a busy wait per frame,
 * is slow enough for the uplink's queue to stay backlogged. The uplink is
 * shared 1:3, every frame arrives, and the tool's statistics agree.
 */
static void test_uplink_weights(void)
{
	struct xdpq_shape_uplink *skel = NULL;
	struct vm_writer w[2] = {};
	struct nstoken *nstoken = NULL;
	bool sysfs = false, barrier = false;
	static const char * const vm_name[] = { "a", "b" };
	pthread_t thread[2];
	pthread_barrier_t go;
	int i, started = 0;
	pid_t pid = -1;
	__u32 start;

	w[0].fd = w[1].fd = -1;
	nstoken = uplink_netns(true);
	if (!nstoken)
		goto out;
	skel = xdpq_shape_uplink__open_and_load();
	if (!ASSERT_OK_PTR(skel, "load counter"))
		goto out;
	skel->links.xdp_count_vms = bpf_program__attach_xdp(skel->progs.xdp_count_vms,
							    if_nametoindex("up1"));
	if (!ASSERT_OK_PTR(skel->links.xdp_count_vms, "attach counter"))
		goto out;
	/* sysfs shows the devices of the netns it was mounted in. */
	SYS(out, "mkdir -p " NS_SYSFS " && mount -t sysfs none " NS_SYSFS);
	sysfs = true;
	SYS(out, "echo 1 > " NS_SYSFS "/class/net/up1/threaded");
	skel->bss->rx_delay_ns = UP_SLOW_NS;

	for (i = 0; i < 2; i++) {
		w[i].vm = i;
		w[i].fd = xdpq_open_tap(i ? "tap_b" : "tap_a");
		if (!ASSERT_GE(w[i].fd, 0, "tap"))
			goto out;
	}
	SYS(out, "ip link set tap_a up");
	SYS(out, "ip link set tap_b up");
	if (!ASSERT_OK(write_config("vm a mac 02:00:00:00:10:01 dev tap_a weight 1\n"
				    "vm b mac 02:00:00:00:10:02 dev tap_b weight 3\n"), "config"))
		goto out;
	pid = start_tool();
	if (!ASSERT_GT(pid, 0, "start"))
		goto out;

	if (!ASSERT_OK(pthread_barrier_init(&go, NULL, 2), "barrier"))
		goto out;
	barrier = true;
	for (i = 0; i < 2; i++) {
		w[i].go = &go;
		if (!ASSERT_OK(pthread_create(&thread[i], NULL, write_frames, &w[i]), "writer"))
			break;
		started++;
	}
	if (started == 1)
		pthread_barrier_wait(&go);	/* for the writer that did not start */
	for (i = 0; i < started; i++)
		pthread_join(thread[i], NULL);
	start = READ_ONCE(skel->bss->rx_n);
	skel->bss->rx_delay_ns = UP_DRAIN_NS;
	if (started < 2)
		goto out;
	for (i = 0; i < 2; i++) {
		ASSERT_OK(w[i].err, "write");
		ASSERT_EQ(w[i].written, UP_FRAMES, "frames written");
	}
	if (!ASSERT_TRUE(wait_received(skel, 2 * UP_FRAMES, 120000), "all frames received"))
		goto out;
	check_share(skel, start);

	/* Two more statistics after the last frame, then stop. */
	usleep(500000);
	ASSERT_EQ(stop_tool(pid, SIGINT), 0, "exit status after SIGINT");
	pid = -1;
	for (i = 0; i < 2; i++) {
		ASSERT_EQ(skel->bss->rx_vm[i + 1], UP_FRAMES, "received per VM");
		ASSERT_EQ(last_stat(vm_name[i], "weight"), i ? 3 : 1, "weight reported");
		ASSERT_EQ(last_stat(vm_name[i], "up_offered_frames"), UP_FRAMES,
			  "offered frames reported");
		ASSERT_EQ(last_stat(vm_name[i], "up_sent_frames"), UP_FRAMES,
			  "sent frames reported");
		ASSERT_EQ(last_stat(vm_name[i], "up_dropped"), 0, "dropped frames reported");
		ASSERT_EQ(last_stat(vm_name[i], "up_depth"), 0, "queue depth reported");
	}
	ASSERT_EQ(up0_prog_id(), 0, "nothing attached to the uplink");
	ASSERT_EQ(prog_id("tap_a"), 0, "nothing attached to tap a");
	ASSERT_EQ(prog_id("tap_b"), 0, "nothing attached to tap b");
out:
	if (pid > 0)
		stop_tool(pid, SIGKILL);
	if (barrier)
		pthread_barrier_destroy(&go);
	for (i = 0; i < 2; i++)
		if (w[i].fd >= 0)
			close(w[i].fd);
	xdpq_shape_uplink__destroy(skel);
	if (sysfs)
		SYS_NOFAIL("umount " NS_SYSFS);
	if (nstoken)
		close_netns(nstoken);
	SYS_NOFAIL("ip netns del " NS);
}

#define NOBODY 65534

/* Run the tool as nobody, without capabilities: it must say what it
 * needs, exit with status 1 and leave nothing attached.
 */
static void test_no_privileges(void)
{
	struct nstoken *nstoken = NULL;
	int pipefd[2] = { -1, -1 };
	char out[2048] = {};
	size_t len = 0;
	int status;
	ssize_t n;
	pid_t pid;

	nstoken = uplink_netns(false);
	if (!nstoken)
		goto out;
	if (!ASSERT_OK(write_config("vm a mac 02:00:00:00:10:01 dev up1\n"), "config") ||
	    !ASSERT_OK(pipe(pipefd), "pipe"))
		goto out;
	pid = fork();
	if (!ASSERT_GE(pid, 0, "fork"))
		goto out;
	if (pid == 0) {
		if (dup2(pipefd[1], STDOUT_FILENO) < 0 || dup2(pipefd[1], STDERR_FILENO) < 0 ||
		    setgroups(0, NULL) || setgid(NOBODY) || setuid(NOBODY))
			_exit(126);
		execl("./xdpq_shape", "xdpq_shape", "-d", "1", "-c", CONFIG, "up0", NULL);
		_exit(127);
	}
	close(pipefd[1]);
	pipefd[1] = -1;
	while (len < sizeof(out) - 1 && (n = read(pipefd[0], out + len, sizeof(out) - 1 - len)) > 0)
		len += n;
	if (!ASSERT_EQ(waitpid(pid, &status, 0), pid, "waitpid"))
		goto out;
	ASSERT_TRUE(WIFEXITED(status), "exited");
	ASSERT_EQ(WEXITSTATUS(status), 1, "exit status");
	if (!ASSERT_OK_PTR(strstr(out, "needs CAP_BPF, CAP_NET_ADMIN and CAP_PERFMON (run as root)"),
			   "names the privileges it needs"))
		fprintf(stderr, "xdpq_shape said: %s\n", out);
	ASSERT_EQ(up0_prog_id(), 0, "nothing attached");
out:
	if (pipefd[0] >= 0)
		close(pipefd[0]);
	if (pipefd[1] >= 0)
		close(pipefd[1]);
	if (nstoken)
		close_netns(nstoken);
	SYS_NOFAIL("ip netns del " NS);
}

void test_xdpq_shape(void)
{
	if (test__start_subtest("bad_config"))
		test_bad_config();
	if (test__start_subtest("run_reload_stop"))
		test_run_reload_stop();
	if (test__start_subtest("uplink_weights"))
		test_uplink_weights();
	if (test__start_subtest("no_privileges"))
		test_no_privileges();
}
