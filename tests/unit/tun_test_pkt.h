/* tests/unit/tun_test_pkt.h - packet builders and a naive checksum for the
 * tun/ tests (test_tun_offload.c, test_tun_gro.c, test_tun_icmp6.c,
 * test_tun.c). Deliberately simple and independent of tun/csum.c: the
 * checksum here adds big-endian 16-bit words one at a time (RFC 1071 in its
 * plainest form), and packets are assembled field by field.
 */
#ifndef VX6_TESTS_TUN_TEST_PKT_H
#define VX6_TESTS_TUN_TEST_PKT_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#define T_NH_TCP    6
#define T_NH_UDP    17
#define T_NH_ICMPV6 58
#define T_FIN	    0x01
#define T_SYN	    0x02
#define T_RST	    0x04
#define T_PSH	    0x08
#define T_ACK	    0x10
#define T_URG	    0x20
#define T_ECE	    0x40
#define T_CWR	    0x80

static inline uint32_t ref_sum(uint32_t acc, const uint8_t *p, size_t len)
{
	for (size_t i = 0; i < len; i += 2) {
		unsigned hi = p[i], lo = i + 1 < len ? p[i + 1] : 0;

		acc += hi << 8 | lo;
		while (acc >> 16)
			acc = (acc & 0xffff) + (acc >> 16);
	}
	return acc;
}

static inline uint32_t ref_pseudo(const uint8_t *ip6, uint32_t l4_len, uint8_t nh)
{
	uint8_t ph[40];

	memcpy(ph, ip6 + 8, 32);
	ph[32] = (uint8_t)(l4_len >> 24);
	ph[33] = (uint8_t)(l4_len >> 16);
	ph[34] = (uint8_t)(l4_len >> 8);
	ph[35] = (uint8_t)l4_len;
	ph[36] = ph[37] = ph[38] = 0;
	ph[39] = nh;
	return ref_sum(0, ph, sizeof(ph));
}

/* Does the upper-layer checksum of this packet (upper layer at `l4_off`,
 * protocol `nh`) verify? */
static inline bool ref_l4_ok(const uint8_t *pkt, size_t len, size_t l4_off, uint8_t nh)
{
	uint32_t acc = ref_pseudo(pkt, (uint32_t)(len - l4_off), nh);

	return ref_sum(acc, pkt + l4_off, len - l4_off) == 0xffff;
}

static inline uint16_t ref_csum_field(const uint8_t *pkt, size_t len, size_t l4_off, uint8_t nh)
{
	uint16_t c = (uint16_t)~ref_sum(ref_pseudo(pkt, (uint32_t)(len - l4_off), nh), pkt + l4_off,
					len - l4_off);

	return c ? c : 0xffff;
}

static inline void put16(uint8_t *p, unsigned v)
{
	p[0] = (uint8_t)(v >> 8);
	p[1] = (uint8_t)v;
}

static inline void put32(uint8_t *p, uint32_t v)
{
	p[0] = (uint8_t)(v >> 24);
	p[1] = (uint8_t)(v >> 16);
	p[2] = (uint8_t)(v >> 8);
	p[3] = (uint8_t)v;
}

static inline uint16_t get16(const uint8_t *p)
{
	return (uint16_t)(p[0] << 8 | p[1]);
}

static inline uint32_t get32(const uint8_t *p)
{
	return (uint32_t)p[0] << 24 | (uint32_t)p[1] << 16 | (uint32_t)p[2] << 8 | p[3];
}

/* A flow: addresses, ports and the IPv6 header fields GRO compares. */
struct t_flow {
	uint8_t src[16], dst[16];
	uint16_t sport, dport;
	uint8_t tclass, hop;
	uint32_t ack;
	uint16_t win;
	const uint8_t *opts; /* TCP options, multiple of 4 bytes */
	size_t optlen;
};

static inline void t_flow_init(struct t_flow *f, uint8_t id)
{
	static const uint8_t a[16] = {0xfd, 0x12, 0x34, 0x56, 0x78, 0x9a, 0, 0,
				      0,    0,	  0,	0,    0,    0,	  0, 1};

	memset(f, 0, sizeof(*f));
	memcpy(f->src, a, 16);
	memcpy(f->dst, a, 16);
	f->src[15] = 1;
	f->dst[15] = 2;
	f->sport = (uint16_t)(40000 + id);
	f->dport = 5201;
	f->hop = 64;
	f->ack = 0x11223344;
	f->win = 512;
}

/* Write an IPv6 header with payload length `plen` and next header `nh`. */
static inline void t_ip6(uint8_t *p, const struct t_flow *f, size_t plen, uint8_t nh)
{
	p[0] = (uint8_t)(0x60 | f->tclass >> 4);
	p[1] = (uint8_t)(f->tclass << 4);
	p[2] = 0x12;
	p[3] = 0x34;
	put16(p + 4, (unsigned)plen);
	p[6] = nh;
	p[7] = f->hop;
	memcpy(p + 8, f->src, 16);
	memcpy(p + 24, f->dst, 16);
}

/* Build a TCP segment with a valid checksum into `p`; return its length. */
static inline size_t t_tcp(uint8_t *p, const struct t_flow *f, uint32_t seq, uint8_t flags,
			   const uint8_t *data, size_t n)
{
	size_t thl = 20 + f->optlen, len = 40 + thl + n;
	uint8_t *t = p + 40;

	t_ip6(p, f, thl + n, T_NH_TCP);
	put16(t, f->sport);
	put16(t + 2, f->dport);
	put32(t + 4, seq);
	put32(t + 8, f->ack);
	t[12] = (uint8_t)(thl / 4 << 4);
	t[13] = flags;
	put16(t + 14, f->win);
	put16(t + 16, 0);
	put16(t + 18, 0);
	if (f->optlen)
		memcpy(t + 20, f->opts, f->optlen);
	if (n)
		memcpy(t + thl, data, n);
	put16(t + 16, ref_csum_field(p, len, 40, T_NH_TCP));
	return len;
}

/* Build a UDP datagram with a valid checksum; return its length. */
static inline size_t t_udp(uint8_t *p, const struct t_flow *f, const uint8_t *data, size_t n)
{
	size_t len = 48 + n;
	uint8_t *u = p + 40;

	t_ip6(p, f, 8 + n, T_NH_UDP);
	put16(u, f->sport);
	put16(u + 2, f->dport);
	put16(u + 4, (unsigned)(8 + n));
	put16(u + 6, 0);
	memcpy(u + 8, data, n);
	put16(u + 6, ref_csum_field(p, len, 40, T_NH_UDP));
	return len;
}

/* Turn a packet built above (upper layer at 40, protocol `nh`) into what
 * the kernel hands over with NEEDS_CSUM: vnet header in front, checksum
 * field holding the folded, uncomplemented pseudo-header sum. `out` gets
 * 10 + len bytes; return that length. */
static inline size_t t_vnet_partial(uint8_t *out, const uint8_t *pkt, size_t len, uint8_t nh,
				    uint8_t gso_type, uint16_t gso_size)
{
	unsigned csum_off = nh == T_NH_TCP ? 16 : 6;
	uint32_t ps = ref_pseudo(pkt, (uint32_t)(len - 40), nh);

	memset(out, 0, 10);
	out[0] = 1; /* NEEDS_CSUM */
	out[1] = gso_type;
	out[2] = 40 + (nh == T_NH_TCP ? (pkt[52] >> 4) * 4 : 8);
	out[4] = (uint8_t)gso_size;
	out[5] = (uint8_t)(gso_size >> 8);
	out[6] = 40;
	out[8] = (uint8_t)csum_off;
	memcpy(out + 10, pkt, len);
	put16(out + 10 + 40 + csum_off, ps);
	return 10 + len;
}

/* xorshift64*, seeded per test so failures reproduce. */
static inline uint64_t t_rand(uint64_t *s)
{
	*s ^= *s >> 12;
	*s ^= *s << 25;
	*s ^= *s >> 27;
	return *s * 2685821657736338717ull;
}

static inline void t_fill(uint8_t *p, size_t n, uint64_t *s)
{
	for (size_t i = 0; i < n; i++)
		p[i] = (uint8_t)(t_rand(s) >> 33);
}

#endif /* VX6_TESTS_TUN_TEST_PKT_H */
