/* tun/icmp6.h - ICMPv6 error messages the router sends back into the TUN
 * device: Packet Too Big and Destination Unreachable (RFC 4443 §3.1-§3.2),
 * built by the rules of RFC 4443 §2.4: never in reply to an ICMPv6 error
 * or a Redirect, never to an unspecified or multicast source, never for a
 * multicast destination (except Packet Too Big), and quoting as much of the
 * invoking packet as fits in the IPv6 minimum MTU of 1280 bytes. Rate
 * limiting (§2.4(f)) is the caller's job.
 *
 * Pure functions: no I/O, no allocation; any context.
 */
#ifndef VX6_TUN_ICMP6_H
#define VX6_TUN_ICMP6_H

#include <stddef.h>
#include <stdint.h>

struct in6_addr;

#define TUN_ICMP6_ERR_MAX_LEN 1280 /* whole reply, IPv6 header included */
#define TUN_ICMP6_MTU_MIN     1280 /* RFC 8200 §5: no link may be smaller */
#define TUN_ICMP6_HOP_LIMIT   64

/* RFC 4443 §3.1 codes. */
enum tun_icmp6_unreach_code {
	TUN_ICMP6_UNREACH_NOROUTE = 0, /* no route to destination */
	TUN_ICMP6_UNREACH_ADMIN = 1,   /* administratively prohibited (policy deny) */
	TUN_ICMP6_UNREACH_BEYOND = 2,  /* beyond scope of source address */
	TUN_ICMP6_UNREACH_ADDR = 3,    /* address unreachable */
	TUN_ICMP6_UNREACH_PORT = 4,    /* port unreachable */
	TUN_ICMP6_UNREACH_POLICY = 5,  /* source address failed ingress/egress policy */
	TUN_ICMP6_UNREACH_REJECT = 6,  /* reject route to destination */
};

/* Build in `out` (cap bytes) a Packet Too Big reply from `src` to the
 * source of the IPv6 packet `pkt` (len bytes, no vnet header), advertising
 * `mtu`. On success store the reply length (<= TUN_ICMP6_ERR_MAX_LEN) in
 * *out_len and return 0. Return -EPERM when RFC 4443 §2.4(e) forbids a
 * reply, -EINVAL if `pkt` is not an IPv6 packet, `src` is unspecified or
 * multicast, or mtu < TUN_ICMP6_MTU_MIN, and -ENOSPC if cap is too small. */
int tun_icmp6_ptb_build(uint8_t *out, size_t cap, const struct in6_addr *src, uint32_t mtu,
			const uint8_t *pkt, size_t len, size_t *out_len);

/* As tun_icmp6_ptb_build(), for Destination Unreachable with `code`
 * (0..6, else -EINVAL); a packet sent to a multicast address gets none. */
int tun_icmp6_unreach_build(uint8_t *out, size_t cap, const struct in6_addr *src,
			    enum tun_icmp6_unreach_code code, const uint8_t *pkt, size_t len,
			    size_t *out_len);

#endif /* VX6_TUN_ICMP6_H */
