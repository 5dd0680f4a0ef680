/* tun/tun.h - the overlay's TUN device: /dev/net/tun opened with
 * IFF_TUN | IFF_NO_PI | IFF_VNET_HDR, TSO/USO offloads negotiated with the
 * kernel, configured through netlink (tun/netlink.h), read in batches on
 * the daemon's event loop and written one packet or super-packet at a time
 * (docs/tun.md).
 *
 * Reading: the device owns a read event on the caller's event_base. On
 * each wakeup it reads until EAGAIN or `rx_budget` packets, parses each one
 * (tun_pkt_parse(): packets that are not IPv6 or do not parse are dropped
 * and counted), completes the checksum of non-GSO packets, and hands them
 * to the `rx` callback in batches of up to `rx_batch`. A super-packet
 * arrives as one packet with info.gso != TUN_GSO_NONE: the callback routes
 * it once, then splits it with tun_gso_segment() into its own buffers.
 *
 * Owner: daemon/ (through routing/). The device does not know about peers.
 * Context: the event loop; nothing blocks except netlink at open.
 */
#ifndef VX6_TUN_TUN_H
#define VX6_TUN_TUN_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <netinet/in.h>

#include "tun/offload.h"

struct event_base;
struct iovec;
struct tun_dev;
struct tun_gro;

#define TUN_IFNAME_MAX	      16 /* IFNAMSIZ, terminating NUL included */
#define TUN_DEFAULT_IFNAME    "vx6"
#define TUN_DEFAULT_MTU	      1280 /* safe everywhere; the daemon sets what its transports fit */
#define TUN_DEFAULT_PREFIX    48   /* the overlay /48 (identity/overlay_addr.h) */
#define TUN_RX_BATCH_MAX      64   /* packets per callback */
#define TUN_RX_BATCH_DEFAULT  16
#define TUN_RX_BUDGET_DEFAULT 128 /* packets read per wakeup before yielding to the loop */
#define TUN_RX_BUF_LEN	      (TUN_VNET_HDR_LEN + TUN_PKT_MAX_LEN)

/* Offloads the kernel accepted (TUNSETOFFLOAD values, linux/if_tun.h). */
#define TUN_OFFLOAD_CSUM 0x01 /* packets may arrive with NEEDS_CSUM */
#define TUN_OFFLOAD_TSO4 0x02
#define TUN_OFFLOAD_TSO6 0x04 /* TCP super-packets (GSO_TCPV6) */
#define TUN_OFFLOAD_USO4 0x20 /* linux >= 6.2; Debian 12's headers lack it */
#define TUN_OFFLOAD_USO6 0x40 /* UDP super-packets (GSO_UDP_L4) */

struct tun_cfg {
	char ifname[TUN_IFNAME_MAX]; /* "" means TUN_DEFAULT_IFNAME; "%d" picks a free number */
	unsigned mtu;		     /* 0 means TUN_DEFAULT_MTU; else TUN_MTU_MIN..TUN_MTU_MAX */
	struct in6_addr addr;	     /* node overlay address; :: means add none */
	unsigned prefix_len;	     /* 0 means TUN_DEFAULT_PREFIX */
	bool no_offload;	     /* keep the vnet header but ask for no offloads (A/B runs) */
	unsigned rx_batch;	     /* 0 means TUN_RX_BATCH_DEFAULT; at most TUN_RX_BATCH_MAX */
	unsigned rx_budget;	     /* 0 means TUN_RX_BUDGET_DEFAULT */
};

/* One received packet. `pkt` points into the device's buffer and is valid
 * until the callback returns; the callback may modify it in place. */
struct tun_rx_pkt {
	uint8_t *pkt;		  /* IPv6 packet, info.len bytes */
	struct tun_pkt_info info; /* NEEDS_CSUM already resolved unless info.gso is set */
};

/* Called with 1..rx_batch packets. May write to the device; must not free it. */
typedef void (*tun_rx_fn)(void *arg, struct tun_rx_pkt *pkts, unsigned n);

struct tun_stats {
	uint64_t rx_packets;	      /* handed to the callback; a super-packet counts once */
	uint64_t rx_bytes;	      /* IPv6 bytes handed to the callback */
	uint64_t rx_gso_packets;      /* of rx_packets, super-packets */
	uint64_t rx_drop_not_ipv6;    /* -EAFNOSUPPORT from tun_pkt_parse() */
	uint64_t rx_drop_malformed;   /* -EBADMSG */
	uint64_t rx_drop_unsupported; /* -EPROTONOSUPPORT */
	uint64_t rx_errors;	      /* read() failed other than EAGAIN */
	uint64_t tx_packets;	      /* writes; a super-packet counts once */
	uint64_t tx_bytes;	      /* IPv6 bytes written */
	uint64_t tx_gso_packets;      /* of tx_packets, super-packets */
	uint64_t tx_errors;	      /* write failed */
};

/* Create the TUN device described by `cfg`, negotiate offloads, set the
 * MTU, bring it up and add the address. With a `base`, register a read
 * event that drains into `rx(arg, ...)`; with base NULL the caller watches
 * tun_dev_fd() and calls tun_dev_drain(). On success store the device
 * (owned by the caller, freed with tun_dev_free()) in *out_dev and return
 * 0. Return -EINVAL (bad cfg), -ENOENT (/dev/net/tun missing), -EPERM (no
 * CAP_NET_ADMIN), -EBUSY (name in use), -ENOMEM, or another -errno; `err`
 * (may be NULL) then names the failed step for the caller's log line. */
int tun_dev_open(struct event_base *base, const struct tun_cfg *cfg, tun_rx_fn rx, void *arg,
		 struct tun_dev **out_dev, char *err, size_t err_len);

/* Close the device; the kernel removes it with its address and route.
 * Accept NULL; return NULL. Not from inside the rx callback. */
struct tun_dev *tun_dev_free(struct tun_dev *dev);

int tun_dev_fd(const struct tun_dev *dev);
int tun_dev_ifindex(const struct tun_dev *dev);
/* The kernel's name for the device (cfg "%d" resolved). Borrowed. */
const char *tun_dev_name(const struct tun_dev *dev);
/* TUN_OFFLOAD_* bits the kernel accepted. */
unsigned tun_dev_offloads(const struct tun_dev *dev);
void tun_dev_get_stats(const struct tun_dev *dev, struct tun_stats *out);

/* Read until EAGAIN or rx_budget packets, calling rx in batches. Return the
 * number of packets read (dropped ones included), or -errno if read()
 * failed with something other than EAGAIN (counted in rx_errors). */
int tun_dev_drain(struct tun_dev *dev);

/* Write one IPv6 packet (no offload: an all-zero vnet header). Return 0,
 * or -errno from write (counted in tx_errors; -EINVAL: the kernel refused
 * the packet). */
int tun_dev_write(struct tun_dev *dev, const uint8_t *pkt, size_t len);

/* Write one packet or super-packet: `vnet` then the iovecs (n <=
 * TUN_GRO_IOV_MAX, else -EINVAL). Return 0 or -errno as tun_dev_write(). */
int tun_dev_writev(struct tun_dev *dev, const struct tun_vnet_hdr *vnet, const struct iovec *iov,
		   unsigned n);

/* Write every group of `g` (tun/gro.h), then reset it. Return 0, or the
 * last -errno if any write failed (the others are still written). */
int tun_dev_write_gro(struct tun_dev *dev, struct tun_gro *g);

#endif /* VX6_TUN_TUN_H */
