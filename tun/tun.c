/* tun/tun.c - the TUN device: open and offload negotiation (linux
 * Documentation/networking/tuntap.rst, drivers/net/tun.c ioctls), the
 * batched read loop, and writes with a vnet header. Parsing, segmentation
 * and coalescing are the pure code in tun/offload.c, gso.c and gro.c;
 * netlink configuration is tun/netlink.c. Nothing here knows about peers.
 */
#include "tun/tun.h"

#include <errno.h>
#include <fcntl.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <net/if.h>
#include <sys/ioctl.h>
#include <sys/uio.h>
#include <linux/if_tun.h>
#include <linux/virtio_net.h>
#include <event2/event.h>

#include "lib/clock.h"
#include "lib/log.h"
#include "tun/gro.h"
#include "tun/netlink.h"

/* Debian 12's linux/if_tun.h predates USO (linux 6.2); same values. */
#ifndef TUN_F_USO4
#define TUN_F_USO4 0x20
#endif
#ifndef TUN_F_USO6
#define TUN_F_USO6 0x40
#endif

_Static_assert(sizeof(struct virtio_net_hdr) == TUN_VNET_HDR_LEN, "vnet header size");
_Static_assert(TUN_VNET_F_NEEDS_CSUM == VIRTIO_NET_HDR_F_NEEDS_CSUM, "NEEDS_CSUM");
_Static_assert(TUN_VNET_GSO_TCPV6 == VIRTIO_NET_HDR_GSO_TCPV6, "GSO_TCPV6");
_Static_assert(TUN_OFFLOAD_CSUM == TUN_F_CSUM && TUN_OFFLOAD_TSO4 == TUN_F_TSO4 &&
		   TUN_OFFLOAD_TSO6 == TUN_F_TSO6 && TUN_OFFLOAD_USO4 == TUN_F_USO4 &&
		   TUN_OFFLOAD_USO6 == TUN_F_USO6,
	       "offload bits");

struct tun_dev {
	int fd; /* -1 until opened */
	int ifindex;
	char name[TUN_IFNAME_MAX];
	unsigned offloads;   /* TUN_OFFLOAD_* the kernel accepted */
	struct event *rx_ev; /* NULL without an event_base */
	tun_rx_fn rx;
	void *rx_arg;
	unsigned rx_batch, rx_budget;
	uint8_t *rx_buf;	    /* rx_batch * TUN_RX_BUF_LEN bytes, reused every batch */
	struct tun_rx_pkt *rx_pkts; /* rx_batch entries */
	struct tun_stats stats;
};

static void set_err(char *err, size_t err_len, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));

static void set_err(char *err, size_t err_len, const char *fmt, ...)
{
	va_list ap;

	if (!err || !err_len)
		return;
	va_start(ap, fmt);
	vsnprintf(err, err_len, fmt, ap);
	va_end(ap);
}

/* Ask for the most the kernel accepts: TSO plus USO (6.2+), then TSO only,
 * then checksum offload only. A refused set fails with EINVAL and leaves
 * the previous one in place. Return the accepted bits. */
static unsigned offloads_negotiate(int fd, bool want)
{
	static const unsigned tries[] = {
	    TUN_F_CSUM | TUN_F_TSO4 | TUN_F_TSO6 | TUN_F_USO4 | TUN_F_USO6,
	    TUN_F_CSUM | TUN_F_TSO4 | TUN_F_TSO6,
	    TUN_F_CSUM,
	};

	for (size_t i = 0; want && i < sizeof(tries) / sizeof(tries[0]); i++) {
		if (ioctl(fd, TUNSETOFFLOAD, (unsigned long)tries[i]) == 0)
			return tries[i];
	}
	(void)ioctl(fd, TUNSETOFFLOAD, 0ul);
	return 0;
}

/* Record "<what>: <strerror(errno)>" in err and return -errno, taking
 * errno before anything else can change it. */
static int fail_errno(char *err, size_t err_len, const char *what, const char *name)
{
	int e = errno;

	set_err(err, err_len, "%s '%s': %s", what, name, strerror(e));
	return -e;
}

static int fd_open(struct tun_dev *dev, const char *ifname, bool offload, char *err, size_t err_len)
{
	struct ifreq ifr = {0};
	int hdr_len = TUN_VNET_HDR_LEN, le = 1;

	dev->fd = open("/dev/net/tun", O_RDWR | O_NONBLOCK | O_CLOEXEC);
	if (dev->fd < 0)
		return fail_errno(err, err_len, "open", "/dev/net/tun");
	ifr.ifr_flags = IFF_TUN | IFF_NO_PI | IFF_VNET_HDR;
	snprintf(ifr.ifr_name, sizeof(ifr.ifr_name), "%s", ifname);
	if (ioctl(dev->fd, TUNSETIFF, &ifr) < 0)
		return fail_errno(err, err_len, "create TUN device", ifname);
	snprintf(dev->name, sizeof(dev->name), "%s", ifr.ifr_name);
	/* 10 bytes: struct virtio_net_hdr without num_buffers, which only
	 * mergeable receive buffers (not TUN) use. */
	if (ioctl(dev->fd, TUNSETVNETHDRSZ, &hdr_len) < 0)
		return fail_errno(err, err_len, "set vnet header size on", dev->name);
	/* Little-endian vnet fields on every host; already the default on
	 * little-endian ones, so only a big-endian host needs this to work. */
	if (ioctl(dev->fd, TUNSETVNETLE, &le) < 0 && __BYTE_ORDER__ != __ORDER_LITTLE_ENDIAN__)
		return fail_errno(err, err_len, "set little-endian vnet header on", dev->name);
	dev->offloads = offloads_negotiate(dev->fd, offload);
	dev->ifindex = (int)if_nametoindex(dev->name);
	if (dev->ifindex == 0)
		return fail_errno(err, err_len, "find the index of", dev->name);
	return 0;
}

static int cfg_check(const struct tun_cfg *cfg, char *err, size_t err_len)
{
	unsigned mtu = cfg->mtu ? cfg->mtu : TUN_DEFAULT_MTU;

	if (mtu < TUN_MTU_MIN || mtu > TUN_MTU_MAX) {
		set_err(err, err_len, "MTU %u outside %u..%u", mtu, TUN_MTU_MIN, TUN_MTU_MAX);
		return -EINVAL;
	}
	if (cfg->prefix_len > 128 || cfg->rx_batch > TUN_RX_BATCH_MAX ||
	    memchr(cfg->ifname, 0, sizeof(cfg->ifname)) == NULL) {
		set_err(err, err_len, "bad prefix length, rx batch or interface name");
		return -EINVAL;
	}
	return 0;
}

static void on_readable(evutil_socket_t fd, short what, void *arg)
{
	static struct log_ratelim rl = LOG_RATELIM_INIT(10000, 3);
	struct tun_dev *dev = arg;
	int r;

	(void)fd;
	(void)what;
	r = tun_dev_drain(dev);
	if (r < 0 && log_ratelim_allow(&rl, clock_mono_ms()))
		log_info(LD_TUN, "Failed to read from TUN device '%s': %s", dev->name,
			 strerror(-r));
}

static int dev_alloc(const struct tun_cfg *cfg, tun_rx_fn rx, void *arg, struct tun_dev **out)
{
	struct tun_dev *dev = calloc(1, sizeof(*dev));

	if (!dev)
		return -ENOMEM;
	dev->fd = -1; /* lets tun_dev_free() handle a half-built device */
	dev->rx = rx;
	dev->rx_arg = arg;
	dev->rx_batch = cfg->rx_batch ? cfg->rx_batch : TUN_RX_BATCH_DEFAULT;
	dev->rx_budget = cfg->rx_budget ? cfg->rx_budget : TUN_RX_BUDGET_DEFAULT;
	dev->rx_buf = malloc((size_t)dev->rx_batch * TUN_RX_BUF_LEN);
	dev->rx_pkts = calloc(dev->rx_batch, sizeof(*dev->rx_pkts));
	*out = dev;
	return dev->rx_buf && dev->rx_pkts ? 0 : -ENOMEM;
}

int tun_dev_open(struct event_base *base, const struct tun_cfg *cfg, tun_rx_fn rx, void *arg,
		 struct tun_dev **out_dev, char *err, size_t err_len)
{
	static const struct in6_addr none = IN6ADDR_ANY_INIT;
	const char *ifname = cfg->ifname[0] ? cfg->ifname : TUN_DEFAULT_IFNAME;
	struct tun_dev *dev = NULL;
	int r;

	r = cfg_check(cfg, err, err_len);
	if (r < 0)
		return r;
	r = dev_alloc(cfg, rx, arg, &dev);
	if (r < 0) {
		set_err(err, err_len, "allocate TUN buffers: out of memory");
		goto err_free;
	}
	r = fd_open(dev, ifname, !cfg->no_offload, err, err_len);
	if (r < 0)
		goto err_free;
	r = tun_nl_link_set(dev->ifindex, cfg->mtu ? cfg->mtu : TUN_DEFAULT_MTU, err, err_len);
	if (r < 0)
		goto err_free;
	if (memcmp(&cfg->addr, &none, sizeof(none)) != 0) {
		r = tun_nl_addr_add(dev->ifindex, &cfg->addr,
				    cfg->prefix_len ? cfg->prefix_len : TUN_DEFAULT_PREFIX, err,
				    err_len);
		if (r < 0)
			goto err_free;
	}
	if (base) {
		dev->rx_ev = event_new(base, dev->fd, EV_READ | EV_PERSIST, on_readable, dev);
		if (!dev->rx_ev || event_add(dev->rx_ev, NULL) < 0) {
			set_err(err, err_len, "register read event for '%s'", dev->name);
			r = -ENOMEM;
			goto err_free;
		}
	}
	*out_dev = dev;
	return 0;

err_free:
	tun_dev_free(dev); /* closing the fd removes the device and what netlink added */
	return r;
}

struct tun_dev *tun_dev_free(struct tun_dev *dev)
{
	if (!dev)
		return NULL;
	if (dev->rx_ev)
		event_free(dev->rx_ev);
	if (dev->fd >= 0)
		close(dev->fd);
	free(dev->rx_pkts);
	free(dev->rx_buf);
	free(dev);
	return NULL;
}

int tun_dev_fd(const struct tun_dev *dev)
{
	return dev->fd;
}

int tun_dev_ifindex(const struct tun_dev *dev)
{
	return dev->ifindex;
}

const char *tun_dev_name(const struct tun_dev *dev)
{
	return dev->name;
}

unsigned tun_dev_offloads(const struct tun_dev *dev)
{
	return dev->offloads;
}

void tun_dev_get_stats(const struct tun_dev *dev, struct tun_stats *out)
{
	*out = dev->stats;
}

/* Parse one packet just read; count and drop what does not parse. */
static bool rx_accept(struct tun_dev *dev, uint8_t *buf, size_t len, struct tun_rx_pkt *out)
{
	int r = tun_pkt_parse(buf, len, &out->info);

	if (r == -EAFNOSUPPORT)
		dev->stats.rx_drop_not_ipv6++;
	else if (r == -EPROTONOSUPPORT)
		dev->stats.rx_drop_unsupported++;
	else if (r < 0)
		dev->stats.rx_drop_malformed++;
	if (r < 0)
		return false;
	out->pkt = buf + TUN_VNET_HDR_LEN;
	if (out->info.gso == TUN_GSO_NONE)
		tun_pkt_csum_complete(&out->info, out->pkt);
	else
		dev->stats.rx_gso_packets++;
	dev->stats.rx_packets++;
	dev->stats.rx_bytes += out->info.len;
	return true;
}

/* Fill one batch. Return how many reads were made; *out_n is the number of
 * packets kept, *out_err the -errno that stopped reading (-EAGAIN: empty). */
static unsigned rx_fill(struct tun_dev *dev, unsigned max_reads, unsigned *out_n, int *out_err)
{
	unsigned reads = 0, n = 0;
	ssize_t got;

	*out_err = 0;
	while (n < dev->rx_batch && reads < max_reads) {
		uint8_t *buf = dev->rx_buf + (size_t)n * TUN_RX_BUF_LEN;

		got = read(dev->fd, buf, TUN_RX_BUF_LEN);
		if (got < 0 && errno == EINTR)
			continue;
		if (got < 0) {
			*out_err = -errno;
			break;
		}
		reads++;
		if (rx_accept(dev, buf, (size_t)got, &dev->rx_pkts[n]))
			n++;
	}
	*out_n = n;
	return reads;
}

int tun_dev_drain(struct tun_dev *dev)
{
	unsigned total = 0, n;
	int err = 0;

	while (total < dev->rx_budget && err == 0) {
		total += rx_fill(dev, dev->rx_budget - total, &n, &err);
		if (n && dev->rx)
			dev->rx(dev->rx_arg, dev->rx_pkts, n);
	}
	if (err == -EAGAIN || err == -EWOULDBLOCK || err == 0)
		return (int)total;
	dev->stats.rx_errors++;
	return err;
}

int tun_dev_writev(struct tun_dev *dev, const struct tun_vnet_hdr *vnet, const struct iovec *iov,
		   unsigned n)
{
	struct iovec all[TUN_GRO_IOV_MAX + 1];
	uint8_t hdr[TUN_VNET_HDR_LEN];
	size_t len = 0;
	ssize_t r;

	if (n > TUN_GRO_IOV_MAX)
		return -EINVAL;
	tun_vnet_encode(vnet, hdr);
	all[0] = (struct iovec){.iov_base = hdr, .iov_len = sizeof(hdr)};
	for (unsigned i = 0; i < n; i++) {
		all[i + 1] = iov[i];
		len += iov[i].iov_len;
	}
	do {
		r = writev(dev->fd, all, (int)n + 1);
	} while (r < 0 && errno == EINTR);
	if (r < 0) {
		dev->stats.tx_errors++;
		return -errno;
	}
	dev->stats.tx_packets++;
	dev->stats.tx_bytes += len;
	if (vnet->gso_type != TUN_VNET_GSO_NONE)
		dev->stats.tx_gso_packets++;
	return 0;
}

int tun_dev_write(struct tun_dev *dev, const uint8_t *pkt, size_t len)
{
	static const struct tun_vnet_hdr none;
	struct iovec iov = {.iov_base = (void *)pkt, .iov_len = len};

	return tun_dev_writev(dev, &none, &iov, 1);
}

int tun_dev_write_gro(struct tun_dev *dev, struct tun_gro *g)
{
	struct iovec iov[TUN_GRO_IOV_MAX];
	struct tun_vnet_hdr vnet;
	int r, ret = 0;

	for (unsigned i = 0; i < tun_gro_count(g); i++) {
		r = tun_gro_get(g, i, &vnet, iov, TUN_GRO_IOV_MAX);
		if (r >= 0)
			r = tun_dev_writev(dev, &vnet, iov, (unsigned)r);
		if (r < 0)
			ret = r;
	}
	tun_gro_reset(g);
	return ret;
}
