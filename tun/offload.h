/* tun/offload.h - packets as the TUN device hands them over: the
 * virtio_net_hdr in front of every packet, the IPv6 header walk that finds
 * the TCP/UDP header, checksum completion, and GSO segmentation of TSO/USO
 * super-packets into segments that fit the overlay MTU (docs/tun.md).
 *
 * Pure functions: no I/O, no allocation, no logging; any context. Every
 * input is untrusted (a local program writes whatever it likes to a socket
 * routed to the device) and is bounds-checked before each header access.
 * Receive-side coalescing lives in tun/gro.h, ICMPv6 errors in tun/icmp6.h.
 */
#ifndef VX6_TUN_OFFLOAD_H
#define VX6_TUN_OFFLOAD_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/* struct virtio_net_hdr (virtio spec 1.2 §5.1.6), without num_buffers:
 * the device is set up with TUNSETVNETHDRSZ = 10. Fields little-endian. */
#define TUN_VNET_HDR_LEN 10

/* virtio_net_hdr flags and gso_type values (virtio spec, linux/virtio_net.h). */
#define TUN_VNET_F_NEEDS_CSUM 0x01 /* csum_start/csum_offset describe a partial checksum */
#define TUN_VNET_F_DATA_VALID 0x02 /* the kernel already validated the checksum */
#define TUN_VNET_GSO_NONE     0
#define TUN_VNET_GSO_TCPV4    1
#define TUN_VNET_GSO_UDP      3 /* UFO: IP fragmentation offload, never negotiated */
#define TUN_VNET_GSO_TCPV6    4
#define TUN_VNET_GSO_UDP_L4   5 /* USO: UDP segmentation offload */
#define TUN_VNET_GSO_ECN      0x80

#define TUN_IPV6_HDR_LEN 40
#define TUN_PKT_MAX_LEN	 (TUN_IPV6_HDR_LEN + 65535) /* largest IPv6 packet, no jumbograms */
#define TUN_EXTHDR_MAX	 8			    /* extension headers walked before giving up */
#define TUN_TCP_CSUM_OFF 16			    /* checksum offset in the TCP header */
#define TUN_UDP_CSUM_OFF 6			    /* checksum offset in the UDP header */

/* The decoded virtio_net_hdr, host byte order. */
struct tun_vnet_hdr {
	uint8_t flags;
	uint8_t gso_type;
	uint16_t
	    hdr_len; /* bytes of headers (ignored on input: the kernel reports its linear size) */
	uint16_t gso_size;    /* payload bytes per segment */
	uint16_t csum_start;  /* from the IPv6 header: where the partial checksum starts */
	uint16_t csum_offset; /* from csum_start: where to store the checksum */
};

enum tun_gso {
	TUN_GSO_NONE = 0, /* one packet */
	TUN_GSO_TCP = 1,  /* TCP super-packet, segments of gso_size payload bytes */
	TUN_GSO_UDP = 2,  /* UDP super-packet (USO), one datagram per gso_size bytes */
};

/* What tun_pkt_parse() found. Offsets are from the start of the IPv6
 * packet (just past the vnet header). */
struct tun_pkt_info {
	struct tun_vnet_hdr vnet;
	enum tun_gso gso;
	size_t len; /* IPv6 packet length, vnet header excluded */
	uint8_t
	    l4_proto; /* next header where the walk stopped (TCP, UDP, ICMPv6, 44 = fragment...) */
	uint16_t l4_off;     /* offset of that header */
	uint16_t l4_hdr_len; /* TCP header with options, or 8 for UDP; 0 for anything else */
	bool ecn;	     /* TCP super-packet whose first segment carries CWR */
};

/* Decode the 10 vnet header bytes at `p` into *out. Return 0, or -EBADMSG
 * for flags or a gso_type this code does not know (it never guesses). */
int tun_vnet_decode(const uint8_t *p, struct tun_vnet_hdr *out);

/* Encode `h` into the 10 bytes at `p`. tun_vnet_decode() of the result
 * gives `h` back whenever `h` is valid. */
void tun_vnet_encode(const struct tun_vnet_hdr *h, uint8_t *p);

/* Parse `len` bytes read from the TUN device: a vnet header and an IPv6
 * packet. The IPv6 payload length must match the bytes exactly; extension
 * headers are walked (at most TUN_EXTHDR_MAX) to the upper-layer header.
 * A GSO packet must be TCP or UDP, without fragment or routing headers.
 * NEEDS_CSUM is accepted on TCP and UDP only, pointing at their checksum.
 * Write *out only on success. Return 0; -EBADMSG (short, malformed,
 * inconsistent vnet header); -EAFNOSUPPORT (not IPv6); -EPROTONOSUPPORT
 * (a GSO type, header chain or NEEDS_CSUM this code does not handle, e.g.
 * TCPv4, UFO, NEEDS_CSUM on another protocol). */
int tun_pkt_parse(const uint8_t *buf, size_t len, struct tun_pkt_info *out);

/* For a packet that tun_pkt_parse() accepted with NEEDS_CSUM and no GSO,
 * finish the checksum in place: sum from csum_start to the end (the field
 * holds the pseudo-header partial), store the result at csum_start +
 * csum_offset, clear NEEDS_CSUM in info->vnet. A no-op without NEEDS_CSUM.
 * `pkt` is the IPv6 packet (info->len bytes). */
void tun_pkt_csum_complete(struct tun_pkt_info *info, uint8_t *pkt);

/* One output buffer for a segment: the caller points `buf` wherever it
 * wants the IPv6 packet (after its own headroom) and sets `cap`. */
struct tun_seg {
	uint8_t *buf;
	size_t cap;
	size_t len; /* out: segment length */
};

/* Return how many segments tun_gso_segment() makes of `info` (1 without GSO). */
unsigned tun_gso_count(const struct tun_pkt_info *info);

/* Split the parsed packet `pkt` (info->len bytes, as tun_pkt_parse() saw
 * it) into segments of at most vnet.gso_size payload bytes each, written to
 * segs[0..]. Each segment gets its own IPv6 payload length; TCP segments
 * get sequence numbers advanced by the payload before them, FIN and PSH
 * only on the last, CWR only on the first; UDP segments get their length;
 * every segment gets a full checksum. A packet without GSO is copied as
 * one segment, its checksum completed if NEEDS_CSUM. Never writes past any
 * segs[i].cap. Return the number of segments; -ENOSPC if `n_segs` or a
 * `cap` is too small (segs[] content is then unspecified); -EINVAL if
 * `info` does not describe a GSO packet tun_pkt_parse() would accept. */
int tun_gso_segment(const struct tun_pkt_info *info, const uint8_t *pkt, struct tun_seg *segs,
		    unsigned n_segs);

#endif /* VX6_TUN_OFFLOAD_H */
