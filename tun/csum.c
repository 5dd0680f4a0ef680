/* tun/csum.c - the Internet checksum (RFC 1071) over bytes, and the IPv6
 * pseudo-header. The loop adds host-order 32-bit words into a 64-bit
 * accumulator and swaps the folded result once at the end: a ones'
 * complement sum is byte-order independent up to that swap (RFC 1071
 * §2(B)), so no per-word byte swapping is needed.
 */
#include "tun/csum.h"

#include <string.h>

static uint16_t fold64(uint64_t s)
{
	s = (s & 0xffffffffu) + (s >> 32);
	s = (s & 0xffffffffu) + (s >> 32);
	s = (s & 0xffff) + (s >> 16);
	s = (s & 0xffff) + (s >> 16);
	return (uint16_t)s;
}

uint32_t tun_csum_add(uint32_t acc, const uint8_t *p, size_t len)
{
	uint64_t s0 = 0, s1 = 0;
	uint32_t w0, w1;
	uint16_t h, v;

	/* Two accumulators so consecutive adds do not wait on each other;
	 * each takes at most 2^30 words before it could overflow, far beyond
	 * any packet. */
	while (len >= 8) {
		memcpy(&w0, p, 4);
		memcpy(&w1, p + 4, 4);
		s0 += w0;
		s1 += w1;
		p += 8;
		len -= 8;
	}
	if (len >= 4) {
		memcpy(&w0, p, 4);
		s0 += w0;
		p += 4;
		len -= 4;
	}
	if (len >= 2) {
		memcpy(&h, p, 2);
		s0 += h;
		p += 2;
		len -= 2;
	}
	if (len) {
		const uint8_t pad[2] = {p[0], 0};

		memcpy(&h, pad, 2);
		s0 += h;
	}
	v = fold64(s0 + (s1 & 0xffffffffu) + (s1 >> 32));
#if __BYTE_ORDER__ == __ORDER_LITTLE_ENDIAN__
	v = (uint16_t)(v << 8 | v >> 8);
#endif
	return tun_csum_fold(acc) + (uint32_t)v;
}

uint32_t tun_csum_pseudo6(const uint8_t *src, const uint8_t *dst, uint32_t len, uint8_t nh)
{
	uint32_t acc = tun_csum_add(0, src, 16);

	acc = tun_csum_add(acc, dst, 16);
	return acc + (len >> 16) + (len & 0xffff) + nh;
}
