/* tun/offload_internal.h - the IPv6 header walk shared by tun/offload.c,
 * tun/gro.c and tun/icmp6.c. Only tun/ and tests/unit include this.
 */
#ifndef VX6_TUN_OFFLOAD_INTERNAL_H
#define VX6_TUN_OFFLOAD_INTERNAL_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define TUN_NH_HOPOPTS	0
#define TUN_NH_TCP	6
#define TUN_NH_UDP	17
#define TUN_NH_ROUTING	43
#define TUN_NH_FRAGMENT 44
#define TUN_NH_AH	51
#define TUN_NH_ICMPV6	58
#define TUN_NH_DSTOPTS	60

#define TUN_TCP_HDR_MIN 20
#define TUN_UDP_HDR_LEN 8
#define TUN_TCP_F_FIN	0x01
#define TUN_TCP_F_SYN	0x02
#define TUN_TCP_F_RST	0x04
#define TUN_TCP_F_PSH	0x08
#define TUN_TCP_F_ACK	0x10
#define TUN_TCP_F_URG	0x20
#define TUN_TCP_F_ECE	0x40
#define TUN_TCP_F_CWR	0x80

/* Where the extension-header walk stopped. */
struct tun_ipv6_l4 {
	uint8_t proto;	  /* next header value of the upper layer (or 44) */
	uint16_t off;	  /* its offset from the start of the IPv6 header */
	bool has_routing; /* a routing header was crossed */
	bool is_fragment; /* a fragment header was crossed (offset 0) or stopped at (offset > 0) */
};

/* Walk the extension headers of the IPv6 packet `pkt` of `len` bytes
 * (len >= 40, checked by the caller) up to the upper-layer header, a
 * non-first fragment's fragment header, or ESP / No Next Header. Each
 * header is length-checked before it is read. Write *out only on success.
 * Return 0, or -EBADMSG (truncated, Hop-by-Hop not first, more than
 * TUN_EXTHDR_MAX headers). */
int tun_ipv6_walk(const uint8_t *pkt, size_t len, struct tun_ipv6_l4 *out);

#endif /* VX6_TUN_OFFLOAD_INTERNAL_H */
