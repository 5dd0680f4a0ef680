/* tests/unit/test_tun_icmp6.c - tun/icmp6.c: Packet Too Big and
 * Destination Unreachable replies, checked field by field with the naive
 * checksum of tun_test_pkt.h, and the RFC 4443 §2.4(e) cases where no
 * reply may be sent, one numbered case each.
 */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>

#include <errno.h>
#include <string.h>
#include <netinet/in.h>

#include "tun/icmp6.h"
#include "tun_test_pkt.h"

static uint8_t pkt[3000], out[1400];
static struct in6_addr me;

static size_t build_invoking(size_t payload)
{
	struct t_flow f;
	static uint8_t data[2900];

	t_flow_init(&f, 1);
	for (size_t i = 0; i < sizeof(data); i++)
		data[i] = (uint8_t)i;
	return t_udp(pkt, &f, data, payload);
}

static void check_reply(size_t len, size_t in_len, uint8_t type, uint8_t code, uint32_t word)
{
	size_t quote = in_len < 1232 ? in_len : 1232;

	assert_int_equal(len, 48 + quote);
	assert_true(len <= TUN_ICMP6_ERR_MAX_LEN);
	assert_int_equal(out[0] >> 4, 6);
	assert_int_equal(get16(out + 4), len - 40);
	assert_int_equal(out[6], T_NH_ICMPV6);
	assert_memory_equal(out + 8, me.s6_addr, 16);
	assert_memory_equal(out + 24, pkt + 8, 16); /* back to the sender */
	assert_int_equal(out[40], type);
	assert_int_equal(out[41], code);
	assert_int_equal(get32(out + 44), word);
	assert_memory_equal(out + 48, pkt, quote);
	assert_true(ref_l4_ok(out, len, 40, T_NH_ICMPV6));
}

static void test_ptb(void **state)
{
	size_t in, len;

	(void)state;
	in = build_invoking(1400);
	assert_int_equal(tun_icmp6_ptb_build(out, sizeof(out), &me, 1400, pkt, in, &len), 0);
	check_reply(len, in, 2, 0, 1400);
	in = build_invoking(2000); /* quoted up to 1280 bytes in all */
	assert_int_equal(tun_icmp6_ptb_build(out, sizeof(out), &me, 1280, pkt, in, &len), 0);
	check_reply(len, in, 2, 0, 1280);
	assert_int_equal(len, 1280);
	in = build_invoking(1); /* short packet quoted whole, odd length */
	assert_int_equal(
	    tun_icmp6_unreach_build(out, sizeof(out), &me, TUN_ICMP6_UNREACH_ADDR, pkt, in, &len),
	    0);
	check_reply(len, in, 1, 3, 0);
	assert_int_equal(tun_icmp6_ptb_build(out, len - 1, &me, 1280, pkt, in, &len), -ENOSPC);
	assert_int_equal(tun_icmp6_ptb_build(out, sizeof(out), &me, 1279, pkt, in, &len), -EINVAL);
	assert_int_equal(tun_icmp6_unreach_build(out, sizeof(out), &me, 7, pkt, in, &len), -EINVAL);
}

struct never_case {
	unsigned num;
	const char *what;
	int want_ptb, want_unreach;
};

/* Turn the invoking packet into case `num`; return its length. */
static size_t never_build(unsigned num)
{
	size_t len = build_invoking(64);

	switch (num) {
	case 1:
		break;
	case 2: /* ICMPv6 Destination Unreachable */
	case 3: /* ICMPv6 Packet Too Big */
	case 4: /* ICMPv6 Redirect */
	case 5: /* ICMPv6 Echo Request */
		pkt[6] = T_NH_ICMPV6;
		pkt[40] = num == 2 ? 1 : num == 3 ? 2 : num == 4 ? 137 : 128;
		break;
	case 6: /* destination options, then an ICMPv6 error */
		memmove(pkt + 48, pkt + 40, len - 40);
		memset(pkt + 40, 0, 8);
		pkt[40] = T_NH_ICMPV6;
		pkt[6] = 60;
		pkt[48] = 3; /* Time Exceeded */
		len += 8;
		put16(pkt + 4, (unsigned)(len - 40));
		break;
	case 7:
		pkt[24] = 0xff; /* multicast destination */
		break;
	case 8:
		pkt[8] = 0xff; /* multicast source */
		break;
	case 9:
		memset(pkt + 8, 0, 16); /* unspecified source */
		break;
	case 10:
		pkt[0] = 0x45;
		break;
	case 11:
		len = 39;
		break;
	case 12: /* ICMPv6 without its type byte */
		pkt[6] = T_NH_ICMPV6;
		len = 40;
		break;
	default:
		break;
	}
	return len;
}

static void test_never(void **state)
{
	static const struct never_case cases[] = {
	    {1, "UDP: reply", 0, 0},
	    {2, "to a Destination Unreachable", -EPERM, -EPERM},
	    {3, "to a Packet Too Big", -EPERM, -EPERM},
	    {4, "to a Redirect", -EPERM, -EPERM},
	    {5, "to an Echo Request: reply", 0, 0},
	    {6, "to an error behind an extension header", -EPERM, -EPERM},
	    {7, "multicast destination: only PTB", 0, -EPERM},
	    {8, "multicast source", -EPERM, -EPERM},
	    {9, "unspecified source", -EPERM, -EPERM},
	    {10, "IPv4", -EINVAL, -EINVAL},
	    {11, "truncated IPv6 header", -EINVAL, -EINVAL},
	    {12, "ICMPv6 with no type byte", -EPERM, -EPERM},
	};
	size_t len, got;
	int r;

	(void)state;
	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		len = never_build(cases[i].num);
		r = tun_icmp6_ptb_build(out, sizeof(out), &me, 1400, pkt, len, &got);
		if (r != cases[i].want_ptb)
			fail_msg("case %u (%s): PTB got %d", cases[i].num, cases[i].what, r);
		if (r == 0)
			check_reply(got, len, 2, 0, 1400);
		len = never_build(cases[i].num);
		r = tun_icmp6_unreach_build(out, sizeof(out), &me, TUN_ICMP6_UNREACH_NOROUTE, pkt,
					    len, &got);
		if (r != cases[i].want_unreach)
			fail_msg("case %u (%s): unreachable got %d", cases[i].num, cases[i].what,
				 r);
	}
}

static void test_bad_source(void **state)
{
	struct in6_addr any = IN6ADDR_ANY_INIT, mc = {{{0xff, 2}}};
	size_t len = build_invoking(10), got;

	(void)state;
	assert_int_equal(tun_icmp6_ptb_build(out, sizeof(out), &any, 1400, pkt, len, &got),
			 -EINVAL);
	assert_int_equal(tun_icmp6_ptb_build(out, sizeof(out), &mc, 1400, pkt, len, &got), -EINVAL);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_ptb),
	    cmocka_unit_test(test_never),
	    cmocka_unit_test(test_bad_source),
	};

	memset(&me, 0, sizeof(me));
	me.s6_addr[0] = 0xfd;
	me.s6_addr[15] = 0x99;
	return cmocka_run_group_tests(tests, NULL, NULL);
}
