/* tun/icmp6.c - ICMPv6 Packet Too Big and Destination Unreachable (RFC
 * 4443 §3.1-§3.2) with the origination rules of §2.4. The invoking packet
 * is walked with tun_ipv6_walk() to see whether it is itself an ICMPv6
 * error (types 0-127) or a Redirect (137): a reply to either could loop
 * between two routers forever. A non-first fragment cannot show its type
 * and is treated as not being an error, as the RFC allows.
 */
#include "tun/icmp6.h"

#include <errno.h>
#include <string.h>
#include <netinet/in.h>

#include "lib/wire.h"
#include "tun/csum.h"
#include "tun/offload.h"
#include "tun/offload_internal.h"

#define ICMP6_HDR_LEN	      8
#define ICMP6_TYPE_UNREACH    1
#define ICMP6_TYPE_PTB	      2
#define ICMP6_TYPE_INFO_FIRST 128 /* RFC 4443 §2.1: types below are errors */
#define ICMP6_TYPE_REDIRECT   137 /* RFC 4861 §4.5 */

static bool addr_is_multicast(const uint8_t *a)
{
	return a[0] == 0xff;
}

static bool addr_is_unspecified(const uint8_t *a)
{
	static const uint8_t zero[16];

	return memcmp(a, zero, 16) == 0;
}

/* RFC 4443 §2.4(e): may an error be sent about `pkt`? Return 0, -EPERM
 * (forbidden) or -EINVAL (not a parseable IPv6 packet). */
static int may_reply(const uint8_t *pkt, size_t len, bool to_multicast_ok)
{
	struct tun_ipv6_l4 l4;
	uint8_t type;

	if (len < TUN_IPV6_HDR_LEN || pkt[0] >> 4 != 6)
		return -EINVAL;
	if (addr_is_unspecified(pkt + 8) || addr_is_multicast(pkt + 8))
		return -EPERM; /* (e.6): the source names no single node */
	if (addr_is_multicast(pkt + 24) && !to_multicast_ok)
		return -EPERM; /* (e.3) */
	/* The walk reads only inside `len`; for a truncated chain we cannot
	 * rule out an ICMPv6 error, so stay silent. */
	if (tun_ipv6_walk(pkt, len, &l4) < 0)
		return -EPERM;
	if (l4.proto != TUN_NH_ICMPV6)
		return 0;
	if (l4.off >= len)
		return -EPERM;
	type = pkt[l4.off];
	if (type < ICMP6_TYPE_INFO_FIRST || type == ICMP6_TYPE_REDIRECT)
		return -EPERM; /* (e.1), (e.2) */
	return 0;
}

static int build(uint8_t *out, size_t cap, const struct in6_addr *src, uint8_t type, uint8_t code,
		 uint32_t word, const uint8_t *pkt, size_t len, size_t *out_len)
{
	size_t quote = len, l4_len;
	struct wire_wr w;
	uint32_t acc;
	uint8_t *icmp;

	if (addr_is_unspecified(src->s6_addr) || addr_is_multicast(src->s6_addr))
		return -EINVAL;
	if (quote > TUN_ICMP6_ERR_MAX_LEN - TUN_IPV6_HDR_LEN - ICMP6_HDR_LEN)
		quote = TUN_ICMP6_ERR_MAX_LEN - TUN_IPV6_HDR_LEN - ICMP6_HDR_LEN;
	l4_len = ICMP6_HDR_LEN + quote;
	wire_wr_init(&w, out, cap);
	wire_put_u32(&w, 6u << 28); /* version 6, class 0, flow label 0 */
	wire_put_u16(&w, (uint16_t)l4_len);
	wire_put_u8(&w, TUN_NH_ICMPV6);
	wire_put_u8(&w, TUN_ICMP6_HOP_LIMIT);
	wire_put_in6(&w, src);
	wire_put_bytes(&w, pkt + 8, 16); /* back to the invoking packet's source */
	icmp = w.p;
	wire_put_u8(&w, type);
	wire_put_u8(&w, code);
	wire_put_u16(&w, 0);
	wire_put_u32(&w, word);
	wire_put_bytes(&w, pkt, quote);
	if (w.bad)
		return -ENOSPC;
	acc = tun_csum_pseudo6(out + 8, out + 24, (uint32_t)l4_len, TUN_NH_ICMPV6);
	wire_store_u16(icmp + 2, tun_csum_final(tun_csum_add(acc, icmp, l4_len)));
	*out_len = w.len;
	return 0;
}

int tun_icmp6_ptb_build(uint8_t *out, size_t cap, const struct in6_addr *src, uint32_t mtu,
			const uint8_t *pkt, size_t len, size_t *out_len)
{
	int r;

	if (mtu < TUN_ICMP6_MTU_MIN)
		return -EINVAL;
	r = may_reply(pkt, len, true); /* (e.3) exception: PTB is sent for multicast too */
	if (r < 0)
		return r;
	return build(out, cap, src, ICMP6_TYPE_PTB, 0, mtu, pkt, len, out_len);
}

int tun_icmp6_unreach_build(uint8_t *out, size_t cap, const struct in6_addr *src,
			    enum tun_icmp6_unreach_code code, const uint8_t *pkt, size_t len,
			    size_t *out_len)
{
	int r;

	if ((unsigned)code > TUN_ICMP6_UNREACH_REJECT)
		return -EINVAL;
	r = may_reply(pkt, len, false);
	if (r < 0)
		return r;
	return build(out, cap, src, ICMP6_TYPE_UNREACH, (uint8_t)code, 0, pkt, len, out_len);
}
