/* tests/unit/test_tun.c - tun/tun.c and tun/netlink.c against the real
 * kernel, each case in a forked child inside a fresh network namespace
 * (unshare(CLONE_NEWNET)), so the host's network is never touched:
 *
 *      test (TUN fd)  <==>  [ vx6t0  fd..::1/48, MTU 1400 ]  <==>  kernel stack
 *      plays fd..::2                                               sockets on fd..::1
 *
 *   1. echo: an ICMPv6 echo request written to the device, addressed to the
 *      node, comes back as the kernel's echo reply; MTU and address are set.
 *   2. tso:  a TCP connection from the kernel to "fd..::2", whose handshake
 *      the test answers by hand, sends TSO super-packets; they parse, and
 *      segment into checksummed segments that rebuild the sent bytes.
 *   3. uso:  a UDP_SEGMENT send arrives as one USO super-packet and
 *      splits into the datagrams that were sent.
 *   4. gro:  the test opens a connection to a listening socket by hand and
 *      sends 20 segments coalesced into one GSO write; the socket receives
 *      every byte.
 * After each, closing the fd must remove the device. Skipped (cmocka
 * skip()) unless root with /dev/net/tun and permission to unshare.
 */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>

#include <errno.h>
#include <fcntl.h>
#include <net/if.h>
#include <poll.h>
#include <sched.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <unistd.h>
#include <netinet/in.h>
#include <netinet/udp.h>

#include "identity/overlay_addr.h"
#include "tun/gro.h"
#include "tun/offload.h"
#include "tun/tun.h"
#include "tun_test_pkt.h"

#define IFNAME	 "vx6t0"
#define MTU	 1400
#define KEEP_MAX 32
#define CHECK(c)                                                                                   \
	do {                                                                                       \
		if (!(c)) {                                                                        \
			fprintf(stderr, "%s:%d: check failed: %s\n", __FILE__, __LINE__, #c);      \
			return 1;                                                                  \
		}                                                                                  \
	} while (0)

/* Packets the rx callback kept, newest last. */
static struct kept {
	uint8_t pkt[TUN_PKT_MAX_LEN];
	struct tun_pkt_info info;
} kept[KEEP_MAX];
static unsigned n_kept;
static struct t_flow peer; /* the test's side: fd..::2 -> fd..::1 */
static uint8_t buf[70000], stream[70000];

static void on_rx(void *arg, struct tun_rx_pkt *pkts, unsigned n)
{
	(void)arg;
	for (unsigned i = 0; i < n && n_kept < KEEP_MAX; i++) {
		memcpy(kept[n_kept].pkt, pkts[i].pkt, pkts[i].info.len);
		kept[n_kept++].info = pkts[i].info;
	}
}

/* Wait up to `ms` for a kept packet to `proto` whose byte at `off` (from
 * the upper-layer header) is `val`, consuming it. Return its index or -1. */
static int wait_pkt(struct tun_dev *dev, uint8_t proto, size_t off, uint8_t val, int ms)
{
	struct pollfd p = {.fd = tun_dev_fd(dev), .events = POLLIN};

	for (int waited = 0; waited <= ms; waited += 10) {
		for (unsigned i = 0; i < n_kept; i++) {
			const struct kept *k = &kept[i];

			if (k->info.l4_proto == proto && k->info.l4_off + off < k->info.len &&
			    k->pkt[k->info.l4_off + off] == val)
				return (int)i;
		}
		n_kept = 0; /* nothing matched: forget RS, MLD and the like */
		if (poll(&p, 1, 10) > 0 && tun_dev_drain(dev) < 0)
			return -1;
	}
	return -1;
}

/* Write an ICMPv6 echo request from the peer to the node and wait for the
 * reply. The kernel installs the address's local route from its addrconf
 * work queue just after tun_dev_open() returns, so resend until then.
 * Return the reply's index in kept[], or -1. */
static int ping(struct tun_dev *dev)
{
	uint8_t *icmp = buf + 40;
	int i = -1;

	t_ip6(buf, &peer, 8 + 32, T_NH_ICMPV6);
	memset(icmp, 0, 8 + 32);
	icmp[0] = 128; /* echo request */
	put16(icmp + 4, 0x1234);
	put16(icmp + 6, 7);
	memset(icmp + 8, 0xee, 32);
	put16(icmp + 2, ref_csum_field(buf, 80, 40, T_NH_ICMPV6));
	for (int t = 0; t < 20 && i < 0; t++) {
		if (tun_dev_write(dev, buf, 80) < 0)
			return -1;
		i = wait_pkt(dev, T_NH_ICMPV6, 0, 129, 50);
	}
	return i;
}

/* Open and configure the device, and wait until the node answers. */
static int open_dev(struct tun_dev **out)
{
	struct tun_cfg cfg = {.ifname = IFNAME, .mtu = MTU};
	struct overlay_net net;
	char err[256] = "";

	CHECK(overlay_net_init(&net, "vx6test") == 0);
	overlay_net_prefix(&net, &cfg.addr);
	cfg.addr.s6_addr[15] = 1;
	t_flow_init(&peer, 0);
	memcpy(peer.src, cfg.addr.s6_addr, 16);
	memcpy(peer.dst, cfg.addr.s6_addr, 16);
	peer.src[15] = 2;
	n_kept = 0;
	if (tun_dev_open(NULL, &cfg, on_rx, NULL, out, err, sizeof(err)) < 0) {
		fprintf(stderr, "Failed to open TUN device: %s\n", err);
		return 1;
	}
	CHECK(ping(*out) >= 0);
	n_kept = 0;
	return 0;
}

static int close_dev(struct tun_dev *dev)
{
	tun_dev_free(dev);
	CHECK(if_nametoindex(IFNAME) == 0); /* the kernel removed it with the fd */
	return 0;
}

static int case_echo(void)
{
	struct tun_dev *dev;
	struct ifreq ifr = {.ifr_name = IFNAME};
	int s, i;

	CHECK(open_dev(&dev) == 0);
	fprintf(stderr, "offloads on this kernel: 0x%x\n", tun_dev_offloads(dev));
	CHECK(tun_dev_offloads(dev) & TUN_OFFLOAD_CSUM);
	s = socket(AF_INET6, SOCK_DGRAM, 0);
	CHECK(s >= 0 && ioctl(s, SIOCGIFMTU, &ifr) == 0 && ifr.ifr_mtu == MTU);
	close(s);
	i = ping(dev);
	CHECK(i >= 0);
	CHECK(kept[i].info.len == 80 && get16(kept[i].pkt + 44) == 0x1234);
	CHECK(memcmp(kept[i].pkt + 24, peer.src, 16) == 0);
	CHECK(ref_l4_ok(kept[i].pkt, 80, 40, T_NH_ICMPV6));
	return close_dev(dev);
}

/* Answer the kernel's SYN (in kept[i]) with a SYN-ACK offering MSS 1300. */
static int answer_syn(struct tun_dev *dev, int i, uint32_t isn)
{
	static const uint8_t mss_opt[4] = {2, 4, 1300 >> 8, 1300 & 0xff};
	struct t_flow f = peer;
	size_t len;

	f.sport = get16(kept[i].pkt + 42);
	f.dport = get16(kept[i].pkt + 40);
	f.ack = get32(kept[i].pkt + 44) + 1;
	f.win = 65535;
	f.opts = mss_opt;
	f.optlen = sizeof(mss_opt);
	len = t_tcp(buf, &f, isn, T_SYN | T_ACK, NULL, 0);
	CHECK(tun_dev_write(dev, buf, len) == 0);
	return 0;
}

/* Segment every TCP data packet kept so far into stream[]; return the
 * number of super-packets seen, or -1. */
static int collect(uint32_t isn1, size_t *got)
{
	static uint8_t segbuf[64][1500];
	struct tun_seg segs[64];
	int gso = 0, n;

	for (unsigned i = 0; i < n_kept; i++) {
		struct kept *k = &kept[i];

		if (k->info.l4_proto != T_NH_TCP || k->info.len == 40u + k->info.l4_hdr_len)
			continue;
		gso += k->info.gso == TUN_GSO_TCP;
		if (k->info.gso == TUN_GSO_TCP && k->info.vnet.gso_size != 1300)
			return -1;
		for (int s = 0; s < 64; s++)
			segs[s] = (struct tun_seg){.buf = segbuf[s], .cap = sizeof(segbuf[s])};
		n = tun_gso_segment(&k->info, k->pkt, segs, 64);
		for (int s = 0; s < n; s++) {
			size_t hl = 40 + (size_t)(segs[s].buf[52] >> 4) * 4;
			size_t at = get32(segs[s].buf + 44) - isn1, m = segs[s].len - hl;

			if (segs[s].len > MTU ||
			    !ref_l4_ok(segs[s].buf, segs[s].len, 40, T_NH_TCP) ||
			    at + m > sizeof(stream))
				return -1;
			memcpy(stream + at, segs[s].buf + hl, m);
			*got = at + m > *got ? at + m : *got;
		}
		if (n < 0)
			return -1;
	}
	n_kept = 0;
	return gso;
}

static int case_tso(void)
{
	struct sockaddr_in6 to = {.sin6_family = AF_INET6, .sin6_port = htons(7777)};
	struct tun_dev *dev;
	struct pollfd p;
	size_t got = 0;
	int s, i, gso = 0;
	uint32_t isn1;

	CHECK(open_dev(&dev) == 0);
	if (!(tun_dev_offloads(dev) & TUN_OFFLOAD_TSO6))
		return close_dev(dev); /* nothing to check without TSO */
	memcpy(&to.sin6_addr, peer.src, 16);
	s = socket(AF_INET6, SOCK_STREAM | SOCK_NONBLOCK, 0);
	CHECK(s >= 0);
	CHECK(connect(s, (struct sockaddr *)&to, sizeof(to)) < 0 && errno == EINPROGRESS);
	i = wait_pkt(dev, T_NH_TCP, 13, T_SYN, 1000);
	CHECK(i >= 0);
	isn1 = get32(kept[i].pkt + 44) + 1;
	CHECK(answer_syn(dev, i, 5000) == 0);
	p = (struct pollfd){.fd = s, .events = POLLOUT};
	CHECK(poll(&p, 1, 1000) == 1);
	t_fill(buf, 20000, &(uint64_t){42});
	CHECK(send(s, buf, 20000, 0) == 20000);
	/* Ten segments of 1300 bytes fit the initial window; no ACK follows. */
	for (int t = 0; t < 50 && got < 13000; t++) {
		p = (struct pollfd){.fd = tun_dev_fd(dev), .events = POLLIN};
		if (poll(&p, 1, 10) > 0)
			CHECK(tun_dev_drain(dev) >= 0);
		i = collect(isn1, &got);
		CHECK(i >= 0);
		gso += i;
	}
	fprintf(stderr, "tso: %zu bytes in, %d super-packets\n", got, gso);
	CHECK(got >= 13000 && gso > 0);
	CHECK(memcmp(stream, buf, got) == 0);
	close(s);
	return close_dev(dev);
}

static int case_uso(void)
{
	static uint8_t segbuf[8][1500];
	struct sockaddr_in6 to = {.sin6_family = AF_INET6, .sin6_port = htons(9999)};
	struct tun_seg segs[8];
	struct tun_dev *dev;
	int s, i, n, gso = 1200;

	CHECK(open_dev(&dev) == 0);
	if (!(tun_dev_offloads(dev) & TUN_OFFLOAD_USO6))
		return close_dev(dev); /* kernel before 6.2 */
	memcpy(&to.sin6_addr, peer.src, 16);
	s = socket(AF_INET6, SOCK_DGRAM, 0);
	CHECK(s >= 0 && setsockopt(s, SOL_UDP, UDP_SEGMENT, &gso, sizeof(gso)) == 0);
	t_fill(buf, 5000, &(uint64_t){9});
	CHECK(sendto(s, buf, 5000, 0, (struct sockaddr *)&to, sizeof(to)) == 5000);
	i = wait_pkt(dev, T_NH_UDP, 2, 9999 >> 8, 1000);
	CHECK(i >= 0 && kept[i].info.gso == TUN_GSO_UDP && kept[i].info.vnet.gso_size == 1200);
	for (int k = 0; k < 8; k++)
		segs[k] = (struct tun_seg){.buf = segbuf[k], .cap = sizeof(segbuf[k])};
	n = tun_gso_segment(&kept[i].info, kept[i].pkt, segs, 8);
	CHECK(n == 5);
	for (int k = 0; k < n; k++) {
		CHECK(segs[k].len == 48 + (k < 4 ? 1200u : 200u));
		CHECK(ref_l4_ok(segs[k].buf, segs[k].len, 40, T_NH_UDP));
		CHECK(memcmp(segs[k].buf + 48, buf + k * 1200, segs[k].len - 48) == 0);
	}
	close(s);
	return close_dev(dev);
}

/* Open a connection to the listener by hand; return the server's ISN + 1. */
static int handshake(struct tun_dev *dev, struct t_flow *f, uint32_t *out_ack)
{
	static const uint8_t mss_opt[4] = {2, 4, 1300 >> 8, 1300 & 0xff};
	size_t len;
	int i;

	f->opts = mss_opt;
	f->optlen = sizeof(mss_opt);
	f->ack = 0;
	len = t_tcp(buf, f, 1000, T_SYN, NULL, 0);
	CHECK(tun_dev_write(dev, buf, len) == 0);
	i = wait_pkt(dev, T_NH_TCP, 13, T_SYN | T_ACK, 1000);
	CHECK(i >= 0);
	*out_ack = get32(kept[i].pkt + 44) + 1;
	f->opts = NULL;
	f->optlen = 0;
	f->ack = *out_ack;
	len = t_tcp(buf, f, 1001, T_ACK, NULL, 0);
	CHECK(tun_dev_write(dev, buf, len) == 0);
	return 0;
}

static int case_gro(void)
{
	static uint8_t segs[20][1400];
	struct sockaddr_in6 me = {.sin6_family = AF_INET6, .sin6_port = htons(8888)};
	struct tun_gro *g = tun_gro_new(TUN_GRO_VERIFY_CSUM);
	struct t_flow f = peer;
	struct tun_dev *dev;
	struct tun_stats st;
	struct pollfd p;
	size_t got = 0;
	uint32_t ack;
	int ls, s;
	ssize_t r;

	CHECK(g && open_dev(&dev) == 0);
	f = peer;
	memcpy(&me.sin6_addr, peer.dst, 16);
	ls = socket(AF_INET6, SOCK_STREAM | SOCK_NONBLOCK, 0);
	CHECK(ls >= 0 && bind(ls, (struct sockaddr *)&me, sizeof(me)) == 0 && listen(ls, 4) == 0);
	f.sport = 5555;
	f.dport = 8888;
	f.win = 65535;
	CHECK(handshake(dev, &f, &ack) == 0);
	p = (struct pollfd){.fd = ls, .events = POLLIN};
	CHECK(poll(&p, 1, 1000) == 1);
	s = accept(ls, NULL, NULL);
	CHECK(s >= 0);
	t_fill(stream, 26000, &(uint64_t){7});
	for (unsigned i = 0; i < 20; i++) {
		size_t len = t_tcp(segs[i], &f, 1001 + i * 1300u, i == 19 ? T_ACK | T_PSH : T_ACK,
				   stream + i * 1300, 1300);

		CHECK(tun_gro_add(g, segs[i], len) == (i ? 1 : 0));
	}
	CHECK(tun_gro_count(g) == 1);
	CHECK(tun_dev_write_gro(dev, g) == 0);
	tun_dev_get_stats(dev, &st);
	CHECK(st.tx_gso_packets == 1 && st.tx_errors == 0);
	for (int t = 0; t < 100 && got < 26000; t++) {
		p = (struct pollfd){.fd = s, .events = POLLIN};
		if (poll(&p, 1, 10) <= 0)
			continue;
		r = recv(s, buf + got, sizeof(buf) - got, 0);
		CHECK(r > 0);
		got += (size_t)r;
	}
	CHECK(got == 26000 && memcmp(buf, stream, got) == 0);
	close(s);
	close(ls);
	tun_gro_free(g);
	return close_dev(dev);
}

static void run_in_netns(int (*fn)(void))
{
	int status;
	pid_t pid;

	if (geteuid() != 0 || access("/dev/net/tun", R_OK | W_OK) != 0)
		skip();
	pid = fork();
	assert_true(pid >= 0);
	if (pid == 0) {
		if (unshare(CLONE_NEWNET) < 0)
			_exit(77);
		_exit(fn());
	}
	assert_int_equal(waitpid(pid, &status, 0), pid);
	assert_true(WIFEXITED(status));
	if (WEXITSTATUS(status) == 77)
		skip();
	assert_int_equal(WEXITSTATUS(status), 0);
}

static void test_echo(void **state)
{
	(void)state;
	run_in_netns(case_echo);
}

static void test_tso(void **state)
{
	(void)state;
	run_in_netns(case_tso);
}

static void test_uso(void **state)
{
	(void)state;
	run_in_netns(case_uso);
}

static void test_gro(void **state)
{
	(void)state;
	run_in_netns(case_gro);
}

static void test_bad_cfg(void **state)
{
	struct tun_cfg cfg = {.mtu = 1279};
	struct tun_dev *dev = NULL;
	char err[128];

	(void)state;
	assert_int_equal(tun_dev_open(NULL, &cfg, on_rx, NULL, &dev, err, sizeof(err)), -EINVAL);
	assert_null(dev);
	assert_non_null(strstr(err, "1279"));
	assert_null(tun_dev_free(NULL));
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_bad_cfg), cmocka_unit_test(test_echo), cmocka_unit_test(test_tso),
	    cmocka_unit_test(test_uso),	    cmocka_unit_test(test_gro),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
