/* tun/gro.h - software GRO for the write side of the TUN device: merge the
 * MTU-sized TCP segments that peers send into super-packets of up to 64
 * KiB, each written once with a virtio_net_hdr (GSO_TCPV6 + NEEDS_CSUM),
 * so the kernel pays its per-packet cost once per super-packet
 * (docs/tun.md "Coalescing").
 *
 * Use: tun_gro_add() every packet of a batch, then tun_gro_get() each of
 * the tun_gro_count() writes (or tun_dev_write_gro() in tun/tun.h), then
 * tun_gro_reset(). Within one flow the original order is kept; packets of
 * different flows may be reordered relative to each other. Packets that
 * cannot be merged come out unchanged, with an all-zero vnet header.
 *
 * Pure: no I/O, no allocation after tun_gro_new(); single-threaded.
 * Owner: the caller of tun_gro_new() (routing/).
 */
#ifndef VX6_TUN_GRO_H
#define VX6_TUN_GRO_H

#include <stddef.h>
#include <stdint.h>

struct iovec;
struct tun_gro;
struct tun_vnet_hdr;

#define TUN_GRO_BATCH_MAX 128		    /* packets per batch */
#define TUN_GRO_IOV_MAX	  TUN_GRO_BATCH_MAX /* iovecs one write can need, vnet header not counted */

/* Flags for tun_gro_new(). */
#define TUN_GRO_VERIFY_CSUM 0x1 /* merge only segments whose TCP checksum verifies */

/* Return a new, empty coalescer, or NULL when out of memory. With
 * TUN_GRO_VERIFY_CSUM a segment with a bad checksum is passed through
 * alone (the kernel then drops it); without it, merged segments are not
 * verified, because the kernel trusts a NEEDS_CSUM super-packet. */
struct tun_gro *tun_gro_new(unsigned flags);

/* Free `g` (NULL is fine). Return NULL. */
struct tun_gro *tun_gro_free(struct tun_gro *g);

/* Forget the batch; the packets are no longer referenced. */
void tun_gro_reset(struct tun_gro *g);

/* Add the IPv6 packet `pkt` of `len` bytes (no vnet header) to the batch.
 * The buffer is borrowed until tun_gro_reset(), and tun_gro_get() may
 * rewrite the header bytes of the first packet of a merged group. Return 1
 * if the packet joined an earlier one, 0 if it starts a write of its own,
 * -ENOSPC if the batch holds TUN_GRO_BATCH_MAX packets (write and reset,
 * then add again), or -EINVAL if len is 0 or over TUN_PKT_MAX_LEN. */
int tun_gro_add(struct tun_gro *g, uint8_t *pkt, size_t len);

/* Return how many writes the batch needs. */
unsigned tun_gro_count(const struct tun_gro *g);

/* Describe write `i` (< tun_gro_count()): its vnet header in *out_vnet and
 * its bytes as up to `iov_cap` iovecs pointing into the added packets.
 * For a merged group, first fix its head packet's header in place: IPv6
 * payload length, PSH from the last segment, and the TCP checksum field set
 * to the pseudo-header partial the kernel expects with NEEDS_CSUM. Return
 * the number of iovecs, or -ENOSPC if iov_cap is too small (at most
 * TUN_GRO_IOV_MAX is ever needed). Calling it twice gives the same result. */
int tun_gro_get(struct tun_gro *g, unsigned i, struct tun_vnet_hdr *out_vnet, struct iovec *iov,
		unsigned iov_cap);

/* Packets merged into an earlier one since tun_gro_new(). */
uint64_t tun_gro_merged(const struct tun_gro *g);

#endif /* VX6_TUN_GRO_H */
