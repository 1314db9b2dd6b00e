// SPDX-License-Identifier: GPL-2.0
/* The xdpq_shape tool of samples/bpf: it refuses bad configurations with
 * a message that says what is wrong, forwards from an uplink to each VM's
 * tap, applies new rates on SIGHUP while it runs, and leaves nothing
 * attached when it stops, so that a second run starts clean.
 */
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
#include "xdpq_tap.h"

#define NS "xdpq_shape"
#define CONFIG "/tmp/xdpq_shape.conf"
#define OUTPUT "/tmp/xdpq_shape.out"
#define FRAMES 200

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

static void test_bad_config(void)
{
	struct nstoken *nstoken = NULL;

	SYS(out, "ip netns add " NS);
	nstoken = open_netns(NS);
	if (!ASSERT_OK_PTR(nstoken, "open_netns"))
		goto out;
	SYS(out, "ip link add up0 type veth peer name up1");

	ASSERT_TRUE(refused("vm a mac 02:00:00:00:10:01 dev lo\nvm b mac 02:00:00:00:10:02 dev lo speed 1\n",
			    "up0", ":2: unknown keyword"), "unknown keyword");
	ASSERT_TRUE(refused("vm a mac 02:00:00:00:10 dev lo\n", "up0", ":1: bad MAC"),
		    "bad mac");
	ASSERT_TRUE(refused("vm a mac 02:00:00:00:10:01 dev lo rate fast\n", "up0", "bad rate"),
		    "bad rate");
	ASSERT_TRUE(refused("vm a mac 02:00:00:00:10:01\n", "up0", "needs a mac and a dev"),
		    "no dev");
	ASSERT_TRUE(refused("# nothing\n", "up0", "no VMs"), "empty");
	ASSERT_TRUE(refused("vm a mac 02:00:00:00:10:01 dev nosuchdev\n", "up0",
			    "no such device: nosuchdev"), "missing VM device");
	ASSERT_TRUE(refused("vm a mac 02:00:00:00:10:01 dev up1\n", "nosuchdev",
			    "uplink: no such device"), "missing uplink");
out:
	if (nstoken)
		close_netns(nstoken);
	SYS_NOFAIL("ip netns del " NS);
}

/* Start the tool in the background, with JSON statistics every 200 ms
 * into OUTPUT; wait until it attached to up0.
 */
static pid_t start_tool(void)
{
	LIBBPF_OPTS(bpf_xdp_query_opts, query);
	pid_t pid;
	int i, fd;

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
	for (i = 0; i < 500; i++) {
		if (!bpf_xdp_query(if_nametoindex("up0"), 0, &query) && query.prog_id)
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

static int up0_prog_id(void)
{
	LIBBPF_OPTS(bpf_xdp_query_opts, query);

	if (bpf_xdp_query(if_nametoindex("up0"), 0, &query))
		return -1;
	return query.prog_id;
}

/* Send n test frames to a VM's MAC out of up1, into up0. */
static int send_frames(int vm, int n)
{
	struct sockaddr_ll addr = {
		.sll_family = AF_PACKET,
		.sll_ifindex = if_nametoindex("up1"),
		.sll_halen = ETH_ALEN,
	};
	__u8 frame[128] = {};
	struct ethhdr *eth = (void *)frame;
	struct ipv6hdr *ip6 = (void *)(eth + 1);
	struct udphdr *udp = (void *)(ip6 + 1);
	int fd, i, sent = 0;

	memcpy(eth->h_dest, vm_mac[vm], ETH_ALEN);
	memcpy(eth->h_source, (__u8[]){ 0x02, 0, 0, 0, 0, 0x01 }, ETH_ALEN);
	eth->h_proto = htons(ETH_P_IPV6);
	ip6->version = 6;
	ip6->payload_len = htons(sizeof(frame) - sizeof(*eth) - sizeof(*ip6));
	ip6->nexthdr = IPPROTO_UDP;
	ip6->hop_limit = 64;
	udp->dest = htons(1000);
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

/* Whether OUTPUT has a statistics line of VM a with this rate. */
static bool output_has_rate(unsigned long long bps)
{
	char line[512], want[64];
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
	SYS(out, "ip netns add " NS);
	nstoken = open_netns(NS);
	if (!ASSERT_OK_PTR(nstoken, "open_netns"))
		goto out;
	SYS(out, "ip link add up0 type veth peer name up1");
	SYS(out, "ip link set up0 up");
	SYS(out, "ip link set up1 up");
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

	if (!ASSERT_OK(write_config("vm a mac 02:00:00:00:10:01 dev tap_a rate 16m\n"
				    "vm b mac 02:00:00:00:10:02 dev tap_b\n"), "new config"))
		goto out;
	ASSERT_OK(kill(pid, SIGHUP), "SIGHUP");
	ASSERT_TRUE(wait_rate(16000000, 2000), "rate 16 Mbit/s reported");
	ASSERT_EQ(send_frames(0, FRAMES), FRAMES, "send to a again");
	ASSERT_TRUE(wait_frames(ra, 2 * FRAMES, 10000), "a received after reload");

	ASSERT_EQ(stop_tool(pid, SIGINT), 0, "exit status after SIGINT");
	pid = -1;
	ASSERT_EQ(up0_prog_id(), 0, "nothing attached after the first run");

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

void test_xdpq_shape(void)
{
	if (test__start_subtest("bad_config"))
		test_bad_config();
	if (test__start_subtest("run_reload_stop"))
		test_run_reload_stop();
}
