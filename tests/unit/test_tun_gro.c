/* tests/unit/test_tun_gro.c - tun/gro.c merge rules, one numbered case per
 * rule: two segments of one flow, the second changed in one way, must
 * merge or not. Then flow interleaving, order within a flow, the batch and
 * 64 KiB limits, and the header a merged write carries.
 */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>

#include <errno.h>
#include <string.h>
#include <sys/uio.h>

#include "tun/gro.h"
#include "tun/offload.h"
#include "tun_test_pkt.h"

#define MSS 1000

static uint8_t pkts[TUN_GRO_BATCH_MAX + 1][1600];
static size_t lens[TUN_GRO_BATCH_MAX + 1];
static uint8_t data[MSS];

static const uint8_t ts_a[12] = {1, 1, 8, 10, 0, 0, 0, 1, 0, 0, 0, 2};
static const uint8_t ts_b[12] = {1, 1, 8, 10, 0, 0, 0, 9, 0, 0, 0, 2};
static const uint8_t sack[12] = {1, 1, 5, 10, 0, 0, 0, 1, 0, 0, 0, 2};

struct rule_case {
	unsigned num;
	const char *what;
	int want; /* tun_gro_add() of the second segment */
};

/* The header-field changes of case `num` to segment 1. */
static void rule_flow(unsigned num, struct t_flow *f, uint32_t *seq, uint8_t *flags, size_t *n)
{
	static const uint8_t flag_cases[] = {[3] = T_ACK | T_PSH,
					     [10] = T_ACK | T_FIN,
					     [11] = T_ACK | T_CWR,
					     [12] = T_ACK | T_ECE,
					     [13] = T_ACK | T_URG};

	if (num < sizeof(flag_cases) && flag_cases[num])
		*flags = flag_cases[num];
	switch (num) {
	case 2:
		*n = MSS / 2;
		break;
	case 4:
		(*seq)++;
		break;
	case 5:
		f->ack++;
		break;
	case 6:
		f->opts = ts_b;
		break;
	case 7:
		f->optlen = 0;
		break;
	case 8:
		f->hop--;
		break;
	case 9:
		f->tclass = 0x02; /* ECT(0) vs not-ECT */
		break;
	case 14:
		*n = 0;
		break;
	case 15:
		f->sport++;
		break;
	case 16:
		f->dst[3] ^= 1;
		break;
	case 17:
		f->win = 9999;
		break;
	default:
		break;
	}
}

/* Fix segment 1's checksum after a byte was changed. */
static void recsum(void)
{
	put16(pkts[1] + 40 + 16, 0);
	put16(pkts[1] + 40 + 16, ref_csum_field(pkts[1], lens[1], 40, T_NH_TCP));
}

/* Build segment 0 (seq 1000, MSS bytes, ACK) and segment 1, changed as
 * case `num` says. */
static void rule_build(unsigned num)
{
	struct t_flow f;
	uint32_t seq = 1000 + MSS;
	uint8_t flags = T_ACK;
	size_t n = MSS;

	t_flow_init(&f, 1);
	f.opts = num == 22 ? sack : ts_a;
	f.optlen = sizeof(ts_a);
	lens[0] = t_tcp(pkts[0], &f, 1000, T_ACK, data, MSS);
	rule_flow(num, &f, &seq, &flags, &n);
	lens[1] = t_tcp(pkts[1], &f, seq, flags, data, n);
	if (num == 18) {
		pkts[1][40 + 17] ^= 1; /* bad checksum, verified */
	} else if (num == 19) {
		pkts[1][40 + 12] |= 1; /* a reserved TCP bit (AE) differs */
		recsum();
	} else if (num == 20) {
		/* longer than the head */
		pkts[1][lens[1]] = 0;
		lens[1] += 1;
		put16(pkts[1] + 4, (unsigned)(lens[1] - 40));
		recsum();
	} else if (num == 21) {
		put16(pkts[1] + 4, get16(pkts[1] + 4) - 1u); /* payload length lies */
	}
}

static void test_rules(void **state)
{
	static const struct rule_case cases[] = {
	    {1, "identical flow, next sequence", 1},
	    {2, "shorter last segment", 1},
	    {3, "PSH on the second", 1},
	    {4, "sequence gap of one byte", 0},
	    {5, "different ACK number", 0},
	    {6, "different timestamp option", 0},
	    {7, "options dropped", 0},
	    {8, "different hop limit", 0},
	    {9, "different traffic class", 0},
	    {10, "FIN", 0},
	    {11, "CWR", 0},
	    {12, "ECE", 0},
	    {13, "URG", 0},
	    {14, "pure ACK, no payload", 0},
	    {15, "other source port", 0},
	    {16, "other destination", 0},
	    {17, "different window: merged, as the kernel does", 1},
	    {18, "bad checksum with TUN_GRO_VERIFY_CSUM", 0},
	    {19, "reserved bit differs", 0},
	    {20, "longer than the first segment", 0},
	    {21, "IPv6 payload length does not match", 0},
	    {22, "identical SACK option on both: only timestamps merge", 0},
	};
	struct tun_gro *g = tun_gro_new(TUN_GRO_VERIFY_CSUM);

	(void)state;
	assert_non_null(g);
	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		int r;

		tun_gro_reset(g);
		rule_build(cases[i].num);
		assert_int_equal(tun_gro_add(g, pkts[0], lens[0]), 0);
		r = tun_gro_add(g, pkts[1], lens[1]);
		if (r != cases[i].want)
			fail_msg("case %u (%s): got %d want %d", cases[i].num, cases[i].what, r,
				 cases[i].want);
		assert_int_equal(tun_gro_count(g), r ? 1u : 2u);
	}
	tun_gro_free(g);
}

/* The header a merged write carries, and PSH moved to the head. */
static void test_merged_header(void **state)
{
	struct tun_gro *g = tun_gro_new(0);
	struct iovec iov[TUN_GRO_IOV_MAX];
	struct tun_vnet_hdr v;
	struct t_flow f;
	uint32_t ps;

	(void)state;
	t_flow_init(&f, 2);
	lens[0] = t_tcp(pkts[0], &f, 1, T_ACK, data, MSS);
	lens[1] = t_tcp(pkts[1], &f, 1 + MSS, T_ACK, data, MSS);
	lens[2] = t_tcp(pkts[2], &f, 1 + 2 * MSS, T_ACK | T_PSH, data, 10);
	for (int i = 0; i < 3; i++)
		tun_gro_add(g, pkts[i], lens[i]);
	assert_int_equal(tun_gro_count(g), 1);
	assert_int_equal(tun_gro_get(g, 0, &v, iov, 2), -ENOSPC);
	assert_int_equal(tun_gro_get(g, 0, &v, iov, TUN_GRO_IOV_MAX), 3);
	assert_int_equal(v.flags, TUN_VNET_F_NEEDS_CSUM);
	assert_int_equal(v.gso_type, TUN_VNET_GSO_TCPV6);
	assert_int_equal(v.gso_size, MSS);
	assert_int_equal(v.hdr_len, 60);
	assert_int_equal(get16(pkts[0] + 4), 20 + 2 * MSS + 10);
	assert_int_equal(pkts[0][53], T_ACK | T_PSH);
	ps = ref_pseudo(pkts[0], 20 + 2 * MSS + 10, T_NH_TCP);
	assert_int_equal(get16(pkts[0] + 56), ps);
	assert_ptr_equal(iov[1].iov_base, pkts[1] + 60);
	assert_int_equal(iov[1].iov_len, MSS);
	assert_int_equal(iov[2].iov_len, 10);
	/* Idempotent. */
	assert_int_equal(tun_gro_get(g, 0, &v, iov, TUN_GRO_IOV_MAX), 3);
	assert_int_equal(get16(pkts[0] + 4), 20 + 2 * MSS + 10);
	tun_gro_free(g);
}

/* A1 B1 A2 B2: two writes. A1 A2 ackA A3: A1+A2, ackA, A3 alone. Non-TCP
 * packets pass through in place. */
static void test_flows_and_order(void **state)
{
	struct tun_gro *g = tun_gro_new(0);
	struct iovec iov[TUN_GRO_IOV_MAX];
	struct tun_vnet_hdr v;
	struct t_flow a, b;

	(void)state;
	t_flow_init(&a, 3);
	t_flow_init(&b, 4);
	lens[0] = t_tcp(pkts[0], &a, 1, T_ACK, data, MSS);
	lens[1] = t_tcp(pkts[1], &b, 1, T_ACK, data, MSS);
	lens[2] = t_tcp(pkts[2], &a, 1 + MSS, T_ACK, data, MSS);
	lens[3] = t_udp(pkts[3], &a, data, 100);
	lens[4] = t_tcp(pkts[4], &b, 1 + MSS, T_ACK, data, MSS);
	assert_int_equal(tun_gro_add(g, pkts[0], lens[0]), 0);
	assert_int_equal(tun_gro_add(g, pkts[1], lens[1]), 0);
	assert_int_equal(tun_gro_add(g, pkts[2], lens[2]), 1);
	assert_int_equal(tun_gro_add(g, pkts[3], lens[3]), 0);
	assert_int_equal(tun_gro_add(g, pkts[4], lens[4]), 1);
	assert_int_equal(tun_gro_count(g), 3);
	assert_int_equal(tun_gro_get(g, 2, &v, iov, TUN_GRO_IOV_MAX), 1);
	assert_int_equal(v.gso_type, 0);
	assert_ptr_equal(iov[0].iov_base, pkts[3]);

	tun_gro_reset(g);
	lens[1] = t_tcp(pkts[1], &a, 1 + MSS, T_ACK, data, MSS);
	lens[2] = t_tcp(pkts[2], &a, 1 + 2 * MSS, T_ACK, data, 0);
	lens[3] = t_tcp(pkts[3], &a, 1 + 2 * MSS, T_ACK, data, MSS);
	assert_int_equal(tun_gro_add(g, pkts[0], lens[0]), 0);
	assert_int_equal(tun_gro_add(g, pkts[1], lens[1]), 1);
	assert_int_equal(tun_gro_add(g, pkts[2], lens[2]), 0);
	assert_int_equal(tun_gro_add(g, pkts[3], lens[3]), 0); /* not behind the ACK */
	assert_int_equal(tun_gro_count(g), 3);
	tun_gro_free(g);
}

static void test_limits(void **state)
{
	struct tun_gro *g = tun_gro_new(0);
	struct t_flow f;
	unsigned merged = 0;
	int r;

	(void)state;
	t_flow_init(&f, 5);
	assert_int_equal(tun_gro_add(g, pkts[0], 0), -EINVAL);
	assert_int_equal(tun_gro_add(g, pkts[0], TUN_PKT_MAX_LEN + 1), -EINVAL);
	/* 1400-byte payloads: 46 fit in 65535 - 20 bytes of TCP, the 47th does not. */
	for (unsigned i = 0; i < TUN_GRO_BATCH_MAX; i++) {
		lens[i] = t_tcp(pkts[i], &f, 1 + i * 1400u, T_ACK, pkts[TUN_GRO_BATCH_MAX], 1400);
		r = tun_gro_add(g, pkts[i], lens[i]);
		assert_in_range(r, 0, 1);
		merged += (unsigned)r;
	}
	assert_int_equal(tun_gro_add(g, pkts[0], lens[0]), -ENOSPC);
	assert_int_equal(tun_gro_count(g), 3); /* 46 + 46 + 36 */
	assert_int_equal(merged, TUN_GRO_BATCH_MAX - 3);
	tun_gro_free(g);
	assert_null(tun_gro_free(NULL));
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_rules),
	    cmocka_unit_test(test_merged_header),
	    cmocka_unit_test(test_flows_and_order),
	    cmocka_unit_test(test_limits),
	};

	memset(data, 0x5a, sizeof(data));
	return cmocka_run_group_tests(tests, NULL, NULL);
}
