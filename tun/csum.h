/* tun/csum.h - the Internet checksum (RFC 1071) and the IPv6 pseudo-header
 * (RFC 8200 §8.1), for TCP, UDP and ICMPv6 over the overlay.
 *
 * Sums are kept as "big-endian values": the partial of the bytes 0x12 0x34
 * is 0x1234, whatever the host byte order. A partial (any uint32_t that
 * tun_csum_add() or tun_csum_pseudo6() returned, plus at most a few 16-bit
 * values) may be carried from call to call; fold it only at the end. Chunks summed separately must
 * each start at an even offset of the checksummed region. Pure functions, any context.
 */
#ifndef VX6_TUN_CSUM_H
#define VX6_TUN_CSUM_H

#include <stddef.h>
#include <stdint.h>

/* Return `acc` plus the ones'-complement sum of the `len` bytes at `p`
 * (an odd last byte is padded with a zero byte). */
uint32_t tun_csum_add(uint32_t acc, const uint8_t *p, size_t len);

/* Return the IPv6 pseudo-header partial: source and destination address
 * (16 bytes each), upper-layer length `len` and next header `nh`. */
uint32_t tun_csum_pseudo6(const uint8_t *src, const uint8_t *dst, uint32_t len, uint8_t nh);

/* Fold a partial to 16 bits (not complemented). */
static inline uint16_t tun_csum_fold(uint32_t acc)
{
	acc = (acc & 0xffff) + (acc >> 16);
	acc = (acc & 0xffff) + (acc >> 16);
	return (uint16_t)acc;
}

/* The value to store in a checksum field: the complement of the folded
 * partial, with 0 sent as 0xffff (required for UDP, RFC 8200 §8.1; the
 * same number in ones' complement for TCP and ICMPv6). */
static inline uint16_t tun_csum_final(uint32_t acc)
{
	uint16_t c = (uint16_t)~tun_csum_fold(acc);

	return c ? c : 0xffff;
}

#endif /* VX6_TUN_CSUM_H */
