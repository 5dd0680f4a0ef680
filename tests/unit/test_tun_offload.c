/* tests/unit/test_tun_offload.c - tun/csum.c, tun/offload.c, tun/gso.c,
 * and the segment-then-coalesce round trip through tun/gro.c.
 *
 * The checksum is compared with the naive word-at-a-time sum of
 * tun_test_pkt.h; segmentation with a naive reference segmenter that builds
 * every expected segment from scratch with the test's own packet builder;
 * and for random payloads, MSS and options, coalescing the segments must
 * give back the kernel-style super-packet byte for byte, and segmenting that
 * again must give back the same segments.
 */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>

#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <sys/uio.h>

#include "tun/csum.h"
#include "tun/gro.h"
#include "tun/offload.h"
#include "tun_test_pkt.h"

#define SEG_CAP	 1600
#define SEGS_MAX 600
#define BIG	 (10 + TUN_PKT_MAX_LEN)

static uint8_t segbuf[SEGS_MAX][SEG_CAP];
static struct tun_seg segs[SEGS_MAX];
static uint8_t super[BIG], again[BIG], payload[70000], ref[SEG_CAP];

static const uint8_t ts_opts[12] = {1, 1, 8, 10, 0, 0, 0x12, 0x34, 0, 0, 0x56, 0x78};

static void segs_reset(unsigned n, size_t cap)
{
	for (unsigned i = 0; i < n; i++)
		segs[i] = (struct tun_seg){.buf = segbuf[i], .cap = cap};
}

static void test_csum_vs_reference(void **state)
{
	/* RFC 1071 §3 worked example: the sum of these words is 0xddf2. */
	static const uint8_t rfc[8] = {0x00, 0x01, 0xf2, 0x03, 0xf4, 0xf5, 0xf6, 0xf7};
	uint64_t s = 1;
	uint8_t buf[3000];

	(void)state;
	assert_int_equal(tun_csum_fold(tun_csum_add(0, rfc, sizeof(rfc))), 0xddf2);
	for (int i = 0; i < 2000; i++) {
		size_t len = t_rand(&s) % sizeof(buf), cut = (t_rand(&s) % (len + 1)) & ~(size_t)1;
		uint32_t acc;

		t_fill(buf, len, &s);
		if (i < 10)
			memset(buf, 0xff, len); /* all-ones words: carries everywhere */
		acc = tun_csum_add(tun_csum_add(0, buf, cut), buf + cut, len - cut);
		assert_int_equal(tun_csum_fold(acc), ref_sum(0, buf, len));
	}
}

static void test_vnet_codec(void **state)
{
	struct tun_vnet_hdr h = {1, 4, 60, 1428, 40, 16}, back;
	uint8_t b[10];

	(void)state;
	tun_vnet_encode(&h, b);
	assert_int_equal(b[4], 1428 & 0xff); /* little-endian */
	assert_int_equal(tun_vnet_decode(b, &back), 0);
	assert_memory_equal(&h, &back, sizeof(h));
	b[0] = 3; /* NEEDS_CSUM and DATA_VALID together */
	assert_int_equal(tun_vnet_decode(b, &back), -EBADMSG);
	b[0] = 4;
	assert_int_equal(tun_vnet_decode(b, &back), -EBADMSG);
	b[0] = 0;
	b[1] = 2; /* no such gso_type */
	assert_int_equal(tun_vnet_decode(b, &back), -EBADMSG);
}

struct parse_case {
	unsigned num;
	const char *what;
	int want;
	uint16_t l4_off;
};

/* Build case `num` into super[] and return its length. */
static size_t parse_case_build(unsigned num)
{
	struct t_flow f;
	uint8_t pkt[300], data[100];
	size_t len;

	t_flow_init(&f, 1);
	memset(data, 0xab, sizeof(data));
	len = t_tcp(pkt, &f, 1000, T_ACK, data, sizeof(data));
	memset(super, 0, 10);
	memcpy(super + 10, pkt, len);
	len += 10;
	switch (num) {
	case 2:
		super[10] = 0x45;
		break;
	case 3:
		len = 10 + 39;
		break;
	case 4:
		put16(super + 14, get16(super + 14) + 1);
		break;
	case 5:
		super[1] = 1; /* GSO_TCPV4 */
		super[4] = 50;
		break;
	case 6:
		super[1] = 5; /* GSO_UDP_L4 on a TCP packet */
		super[4] = 50;
		break;
	case 7:
		super[1] = 4;
		super[4] = 0; /* gso_size 0 */
		break;
	case 8:
		super[0] = 1;
		super[6] = 40;
		super[8] = 200; /* csum field past the end */
		break;
	case 9:
		super[1] = 4;
		super[4] = 50;
		super[0] = 1;
		super[6] = 40;
		super[8] = 6; /* not the TCP checksum offset */
		break;
	case 10:
		super[1] = 0x80; /* ECN without GSO */
		break;
	case 11:
		super[10 + 52] = 0x40; /* data offset 4 words */
		break;
	case 12:
		super[10 + 52] = 0xf0; /* data offset 60 bytes: fits */
		break;
	case 13:
		super[0] = 1;
		super[6] = 40;
		super[8] = 11; /* would overwrite the data offset byte */
		break;
	case 14:
		super[0] = 1;
		super[6] = 40;
		super[8] = 2;
		super[10 + 6] = 58; /* ICMPv6: the kernel never offloads its checksum */
		break;
	default:
		break;
	}
	return len;
}

static void test_parse_table(void **state)
{
	static const struct parse_case cases[] = {
	    {1, "plain TCP", 0, 40},
	    {2, "IPv4", -EAFNOSUPPORT, 0},
	    {3, "shorter than an IPv6 header", -EBADMSG, 0},
	    {4, "payload length one too long", -EBADMSG, 0},
	    {5, "GSO TCPv4", -EPROTONOSUPPORT, 0},
	    {6, "GSO UDP_L4 on TCP", -EBADMSG, 0},
	    {7, "GSO with gso_size 0", -EBADMSG, 0},
	    {8, "NEEDS_CSUM field out of bounds", -EBADMSG, 0},
	    {9, "GSO NEEDS_CSUM at the wrong offset", -EBADMSG, 0},
	    {10, "ECN bit without GSO", -EBADMSG, 0},
	    {11, "TCP data offset below 5", -EBADMSG, 0},
	    {12, "TCP data offset 15 words (fits in 120 bytes)", 0, 40},
	    {13, "NEEDS_CSUM inside the TCP header, not at its checksum", -EBADMSG, 0},
	    {14, "NEEDS_CSUM on ICMPv6", -EPROTONOSUPPORT, 0},
	};
	struct tun_pkt_info info;

	(void)state;
	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		size_t len = parse_case_build(cases[i].num);
		int r = tun_pkt_parse(super, len, &info);

		if (r != cases[i].want)
			fail_msg("case %u (%s): got %d want %d", cases[i].num, cases[i].what, r,
				 cases[i].want);
		if (r == 0)
			assert_int_equal(info.l4_off, cases[i].l4_off);
	}
	assert_int_equal(tun_pkt_parse(super, 10, &info), -EBADMSG);
	assert_int_equal(tun_pkt_parse(super, 0, &info), -EBADMSG);
}

/* An extension-header chain in front of a UDP datagram: `chain` lists next
 * header values of extension headers, each 8 bytes long. */
static size_t build_chain(const uint8_t *chain, size_t n, uint16_t frag_off)
{
	struct t_flow f;
	uint8_t *p = super + 10, data[16] = {0};
	size_t off = 40;

	t_flow_init(&f, 2);
	memset(super, 0, 10);
	t_ip6(p, &f, n * 8 + 8 + sizeof(data), n ? chain[0] : T_NH_UDP);
	for (size_t i = 0; i < n; i++) {
		memset(p + off, 0, 8);
		p[off] = i + 1 < n ? chain[i + 1] : T_NH_UDP;
		if (chain[i] == 44)
			put16(p + off + 2, frag_off);
		off += 8;
	}
	memset(p + off, 0, 8 + sizeof(data));
	return 10 + off + 8 + sizeof(data);
}

static void test_parse_exthdrs(void **state)
{
	static const uint8_t ok[] = {0, 60, 43, 60};
	static const uint8_t hbh_late[] = {60, 0};
	static const uint8_t nine[] = {60, 60, 60, 60, 60, 60, 60, 60, 60};
	static const uint8_t frag[] = {44};
	struct tun_pkt_info info;
	size_t len;

	(void)state;
	len = build_chain(ok, sizeof(ok), 0);
	assert_int_equal(tun_pkt_parse(super, len, &info), 0);
	assert_int_equal(info.l4_proto, T_NH_UDP);
	assert_int_equal(info.l4_off, 40 + 32);
	assert_int_equal(info.l4_hdr_len, 8);
	super[1] = 5; /* USO with a routing header: not segmentable */
	super[4] = 8;
	assert_int_equal(tun_pkt_parse(super, len, &info), -EPROTONOSUPPORT);
	len = build_chain(hbh_late, sizeof(hbh_late), 0);
	assert_int_equal(tun_pkt_parse(super, len, &info), -EBADMSG);
	len = build_chain(nine, 8, 0);
	assert_int_equal(tun_pkt_parse(super, len, &info), 0);
	len = build_chain(nine, 9, 0);
	assert_int_equal(tun_pkt_parse(super, len, &info), -EBADMSG);
	len = build_chain(frag, 1, 0x100 << 3);
	assert_int_equal(tun_pkt_parse(super, len, &info), 0);
	assert_int_equal(info.l4_proto, 44); /* non-first fragment: no upper layer */
	assert_int_equal(info.l4_hdr_len, 0);
	len = build_chain(frag, 1, 1); /* first fragment, more to come */
	assert_int_equal(tun_pkt_parse(super, len, &info), 0);
	assert_int_equal(info.l4_proto, T_NH_UDP);
	assert_int_equal(info.l4_hdr_len, 0);
	len = build_chain(ok, sizeof(ok), 0);
	super[10 + 40 + 1] = 9; /* Hop-by-Hop claims 80 bytes */
	assert_int_equal(tun_pkt_parse(super, len, &info), -EBADMSG);
}

static void test_csum_complete(void **state)
{
	struct tun_pkt_info info;
	struct t_flow f;
	uint8_t pkt[2000], data[1001];
	uint64_t s = 7;
	size_t len;

	(void)state;
	t_flow_init(&f, 3);
	for (int proto = 0; proto < 2; proto++) {
		t_fill(data, sizeof(data), &s);
		len = proto ? t_udp(pkt, &f, data, sizeof(data))
			    : t_tcp(pkt, &f, 5, T_ACK | T_PSH, data, sizeof(data));
		len = t_vnet_partial(super, pkt, len, proto ? T_NH_UDP : T_NH_TCP, 0, 0);
		assert_int_equal(tun_pkt_parse(super, len, &info), 0);
		assert_false(ref_l4_ok(super + 10, info.len, 40, proto ? T_NH_UDP : T_NH_TCP));
		tun_pkt_csum_complete(&info, super + 10);
		assert_true(ref_l4_ok(super + 10, info.len, 40, proto ? T_NH_UDP : T_NH_TCP));
		assert_memory_equal(super + 10, pkt, info.len);
		assert_int_equal(info.vnet.flags, 0);
	}
}

/* The reference: build segment i of a super-packet with the test's own
 * builder and compare it with what tun_gso_segment() wrote. */
static void check_against_reference(const struct t_flow *f, uint32_t seq, uint8_t flags,
				    const uint8_t *data, size_t n, size_t mss, int count)
{
	size_t off = 0;

	for (int i = 0; i < count; i++) {
		size_t k = n - off < mss ? n - off : mss;
		uint8_t fl = flags;
		size_t rlen;

		if (i + 1 < count)
			fl &= (uint8_t) ~(T_FIN | T_PSH);
		if (i > 0)
			fl &= (uint8_t)~T_CWR;
		rlen = t_tcp(ref, f, seq + (uint32_t)off, fl, data + off, k);
		if (segs[i].len != rlen || memcmp(segs[i].buf, ref, rlen) != 0)
			fail_msg("segment %d of %d (n %zu, mss %zu) differs", i, count, n, mss);
		assert_true(ref_l4_ok(segs[i].buf, segs[i].len, 40, T_NH_TCP));
		off += k;
	}
	assert_int_equal(off, n);
}

/* Build the kernel-style TSO super-packet in super[]; return its length. */
static size_t build_tso(const struct t_flow *f, uint32_t seq, uint8_t flags, const uint8_t *data,
			size_t n, uint16_t mss)
{
	static uint8_t pkt[TUN_PKT_MAX_LEN];
	size_t len = t_tcp(pkt, f, seq, flags, data, n);

	return t_vnet_partial(super, pkt, len, T_NH_TCP, 4, mss);
}

static void test_segment_boundaries(void **state)
{
	const size_t mss = 1000;
	const size_t sizes[] = {1, mss - 1, mss, mss + 1, 2 * mss, 2 * mss + 1, 0};
	struct tun_pkt_info info;
	struct t_flow f;
	uint64_t s = 11;

	(void)state;
	t_flow_init(&f, 4);
	t_fill(payload, sizeof(payload), &s);
	for (size_t i = 0; i < sizeof(sizes) / sizeof(sizes[0]); i++) {
		size_t n = sizes[i];
		int want = n ? (int)((n + mss - 1) / mss) : 1, r;
		size_t len = build_tso(&f, 0xfffffff0u, T_ACK | T_PSH | T_FIN | T_CWR, payload, n,
				       (uint16_t)mss);

		assert_int_equal(tun_pkt_parse(super, len, &info), 0);
		assert_int_equal(info.gso, TUN_GSO_TCP);
		assert_int_equal(tun_gso_count(&info), (unsigned)want);
		segs_reset(SEGS_MAX, SEG_CAP);
		r = tun_gso_segment(&info, super + 10, segs, SEGS_MAX);
		assert_int_equal(r, want);
		/* sequence numbers wrap past 2^32 here on purpose */
		check_against_reference(&f, 0xfffffff0u, T_ACK | T_PSH | T_FIN | T_CWR, payload, n,
					mss, r);
	}
}

static void test_segment_64k(void **state)
{
	const size_t thl = 32, n = TUN_PKT_MAX_LEN - 40 - thl; /* the largest payload */
	struct tun_pkt_info info;
	struct t_flow f;
	uint64_t s = 12;
	size_t len;
	int r;

	(void)state;
	t_flow_init(&f, 5);
	f.opts = ts_opts;
	f.optlen = sizeof(ts_opts);
	t_fill(payload, n, &s);
	len = build_tso(&f, 1, T_ACK, payload, n, 1388);
	assert_int_equal(len, BIG);
	assert_int_equal(tun_pkt_parse(super, len, &info), 0);
	segs_reset(SEGS_MAX, SEG_CAP);
	r = tun_gso_segment(&info, super + 10, segs, SEGS_MAX);
	assert_int_equal(r, (int)((n + 1387) / 1388));
	check_against_reference(&f, 1, T_ACK, payload, n, 1388, r);
	assert_int_equal(segs[0].len, 40 + thl + 1388);
}

static void test_segment_nospace(void **state)
{
	struct tun_pkt_info info;
	struct t_flow f;
	size_t len;

	(void)state;
	t_flow_init(&f, 6);
	memset(payload, 1, 3000);
	len = build_tso(&f, 1, T_ACK, payload, 3000, 1000);
	assert_int_equal(tun_pkt_parse(super, len, &info), 0);
	segs_reset(3, 1060);
	assert_int_equal(tun_gso_segment(&info, super + 10, segs, 2), -ENOSPC);
	assert_int_equal(tun_gso_segment(&info, super + 10, segs, 0), -ENOSPC);
	segs[2].cap = 1059; /* one byte short for the last segment */
	assert_int_equal(tun_gso_segment(&info, super + 10, segs, 3), -ENOSPC);
	segs[2].cap = 1060;
	assert_int_equal(tun_gso_segment(&info, super + 10, segs, 3), 3);
	info.l4_hdr_len = 0; /* a caller's struct that parse never made */
	assert_int_equal(tun_gso_segment(&info, super + 10, segs, 3), -EINVAL);
}

static void test_segment_uso(void **state)
{
	static uint8_t pkt[TUN_PKT_MAX_LEN];
	const size_t sizes[] = {1, 1200, 1201, 5000, 65535 - 8};
	struct tun_pkt_info info;
	struct t_flow f;
	uint64_t s = 13;

	(void)state;
	t_flow_init(&f, 7);
	t_fill(payload, sizeof(payload), &s);
	for (size_t i = 0; i < sizeof(sizes) / sizeof(sizes[0]); i++) {
		size_t n = sizes[i], len = t_udp(pkt, &f, payload, n), off = 0;
		int r;

		len = t_vnet_partial(super, pkt, len, T_NH_UDP, 5, 1200);
		assert_int_equal(tun_pkt_parse(super, len, &info), 0);
		assert_int_equal(info.gso, TUN_GSO_UDP);
		segs_reset(SEGS_MAX, SEG_CAP);
		r = tun_gso_segment(&info, super + 10, segs, SEGS_MAX);
		assert_int_equal(r, (int)((n + 1199) / 1200));
		for (int k = 0; k < r; k++) {
			size_t m = segs[k].len - 48;

			assert_true(m == 1200 || k == r - 1);
			assert_int_equal(get16(segs[k].buf + 4), 8 + m);
			assert_int_equal(get16(segs[k].buf + 44), 8 + m);
			assert_true(ref_l4_ok(segs[k].buf, segs[k].len, 40, T_NH_UDP));
			assert_memory_equal(segs[k].buf + 48, payload + off, m);
			off += m;
		}
		assert_int_equal(off, n);
	}
}

/* Coalesce segs[0..n) and flatten each write into `again`; return the
 * number of writes and check each parses. The last write's vnet header
 * and length go to *vnet and *len. */
static unsigned coalesce(struct tun_gro *g, unsigned n, struct tun_vnet_hdr *vnet, size_t *len,
			 uint8_t *stream, size_t *stream_len)
{
	struct iovec iov[TUN_GRO_IOV_MAX];
	struct tun_pkt_info info;
	unsigned writes;

	*stream_len = 0;
	for (unsigned i = 0; i < n; i++)
		assert_in_range(tun_gro_add(g, segs[i].buf, segs[i].len), 0, 1);
	writes = tun_gro_count(g);
	for (unsigned w = 0; w < writes; w++) {
		int k = tun_gro_get(g, w, vnet, iov, TUN_GRO_IOV_MAX);

		assert_true(k > 0);
		tun_vnet_encode(vnet, again);
		*len = 10;
		for (int j = 0; j < k; j++) {
			memcpy(again + *len, iov[j].iov_base, iov[j].iov_len);
			*len += iov[j].iov_len;
		}
		assert_int_equal(tun_pkt_parse(again, *len, &info), 0);
		memcpy(stream + *stream_len, again + 10 + 40 + info.l4_hdr_len,
		       *len - 50 - info.l4_hdr_len);
		*stream_len += *len - 50 - info.l4_hdr_len;
	}
	return writes;
}

/* Segment a random super-packet, coalesce the segments: one write that
 * equals the super-packet, and that segments back into the same segments. */
static void round_trip_one(struct tun_gro *g, uint64_t *s, uint8_t *stream)
{
	static uint8_t orig[SEGS_MAX][SEG_CAP];
	uint16_t mss = (uint16_t)(1 + t_rand(s) % 1440);
	size_t n = t_rand(s) % 3 ? t_rand(s) % (mss * 40u) : t_rand(s) % 65400, len, olen, sl;
	uint8_t flags = t_rand(s) % 2 ? T_ACK : T_ACK | T_PSH;
	struct tun_vnet_hdr vnet;
	struct tun_pkt_info info;
	struct t_flow f;
	int r;

	t_flow_init(&f, 8);
	if (t_rand(s) % 2) {
		f.opts = ts_opts;
		f.optlen = sizeof(ts_opts);
	}
	n = n ? n : 1;
	if ((n + mss - 1) / mss > TUN_GRO_BATCH_MAX)
		n = (size_t)mss * TUN_GRO_BATCH_MAX; /* one batch can hold them all */
	olen = build_tso(&f, (uint32_t)t_rand(s), flags, payload, n, mss);
	assert_int_equal(tun_pkt_parse(super, olen, &info), 0);
	segs_reset(SEGS_MAX, SEG_CAP);
	r = tun_gso_segment(&info, super + 10, segs, SEGS_MAX);
	assert_true(r > 0);
	for (int i = 0; i < r; i++)
		memcpy(orig[i], segs[i].buf, segs[i].len);
	tun_gro_reset(g);
	assert_int_equal(coalesce(g, (unsigned)r, &vnet, &len, stream, &sl), 1);
	assert_int_equal(sl, n);
	assert_memory_equal(stream, payload, n);
	if (r == 1) {
		assert_int_equal(vnet.gso_type, 0);
		return;
	}
	/* One super-packet identical to the kernel's, header and all. */
	assert_int_equal(len, olen);
	assert_memory_equal(again + 10, super + 10, olen - 10);
	assert_int_equal(vnet.gso_type, TUN_VNET_GSO_TCPV6);
	assert_int_equal(vnet.gso_size, mss);
	assert_int_equal(vnet.csum_start, 40);
	assert_int_equal(vnet.csum_offset, 16);
	assert_int_equal(tun_pkt_parse(again, len, &info), 0);
	segs_reset(SEGS_MAX, SEG_CAP);
	assert_int_equal(tun_gso_segment(&info, again + 10, segs, SEGS_MAX), r);
	for (int i = 0; i < r; i++)
		assert_memory_equal(segs[i].buf, orig[i], segs[i].len);
}

static void test_segment_coalesce_random(void **state)
{
	static uint8_t stream[70000];
	struct tun_gro *g = tun_gro_new(TUN_GRO_VERIFY_CSUM);
	uint64_t s = 0x5eed;

	(void)state;
	assert_non_null(g);
	t_fill(payload, sizeof(payload), &s);
	for (int i = 0; i < 150; i++)
		round_trip_one(g, &s, stream);
	tun_gro_free(g);
}

/* FIN and CWR segments never merge; the byte stream still comes back. */
static void test_segment_coalesce_fin_cwr(void **state)
{
	static uint8_t stream[70000];
	struct tun_gro *g = tun_gro_new(0);
	struct tun_vnet_hdr vnet;
	struct tun_pkt_info info;
	struct t_flow f;
	size_t len, sl;
	uint64_t s = 3;
	int r;

	(void)state;
	t_flow_init(&f, 9);
	t_fill(payload, 10000, &s);
	len = build_tso(&f, 77, T_ACK | T_PSH | T_FIN | T_CWR, payload, 10000, 1000);
	assert_int_equal(tun_pkt_parse(super, len, &info), 0);
	segs_reset(SEGS_MAX, SEG_CAP);
	r = tun_gso_segment(&info, super + 10, segs, SEGS_MAX);
	assert_int_equal(r, 10);
	/* CWR alone, 8 plain segments merged, FIN alone */
	assert_int_equal(coalesce(g, 10, &vnet, &len, stream, &sl), 3);
	assert_int_equal(sl, 10000);
	assert_memory_equal(stream, payload, 10000);
	assert_int_equal(tun_gro_merged(g), 7);
	tun_gro_free(g);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_csum_vs_reference),
	    cmocka_unit_test(test_vnet_codec),
	    cmocka_unit_test(test_parse_table),
	    cmocka_unit_test(test_parse_exthdrs),
	    cmocka_unit_test(test_csum_complete),
	    cmocka_unit_test(test_segment_boundaries),
	    cmocka_unit_test(test_segment_64k),
	    cmocka_unit_test(test_segment_nospace),
	    cmocka_unit_test(test_segment_uso),
	    cmocka_unit_test(test_segment_coalesce_random),
	    cmocka_unit_test(test_segment_coalesce_fin_cwr),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
