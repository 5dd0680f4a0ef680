/* tests/unit/test_dht_msg.c - discovery/dht_msg.c: the discovery message
 * codec (docs/wire.md §6). A numbered table of inputs built byte by byte,
 * each with the error the §6.6 rules give it; the round trip of every
 * valid message type; the encoder's refusals; and every truncation of the
 * largest messages.
 */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>

#include <errno.h>
#include <stdio.h>
#include <string.h>

#include "discovery/dht_msg.h"
#include "identity/record.h"
#include "identity/service_record.h"
#include "lib/secure.h"
#include "lib/wire.h"

#define NOW 1700000000u

static uint8_t pk[24][32], sk[24][64];

static void keys_init(void)
{
	for (unsigned i = 0; i < 24; i++) {
		uint8_t seed[32] = {(uint8_t)i, 0xd7};

		sec_ed25519_from_seed(pk[i], sk[i], seed);
	}
}

/* ---- raw builders: any field, any value ------------------------------------- */

static void raw_contact(struct wire_wr *w, unsigned k, unsigned n_ep, int bad)
{
	struct node_id id;

	node_id_from_pubkey(&id, pk[k]);
	if (bad == 1)
		id.b[0] ^= 1;
	wire_put_bytes(w, id.b, 32);
	wire_put_bytes(w, pk[k], 32);
	wire_put_u8(w, (uint8_t)n_ep);
	for (unsigned i = 0; i < n_ep; i++) {
		uint8_t addr[16] = {0x20, 0x01, 0x0d, 0xb8};

		wire_put_bytes(w, addr, 16);
		wire_put_u16(w, bad == 2 ? 0 : 4433);
		wire_put_u8(w, bad == 3 ? 4 : RECORD_TRANSPORT_QUIC);
		wire_put_u8(w, bad == 4 ? 1 : 0);
	}
}

static void raw_header(struct wire_wr *w, uint8_t version, uint8_t type, uint8_t flags)
{
	wire_put_u8(w, version);
	wire_put_u8(w, type);
	wire_put_u8(w, flags);
	wire_put_u64(w, 0x1122334455667788ull);
	raw_contact(w, 0, 1, 0);
}

static size_t service_value(unsigned k, uint8_t *out)
{
	struct service_record r = {0};
	size_t len;

	memcpy(r.pk, pk[k], 32);
	r.seq = 1;
	r.issued = NOW;
	r.expires = NOW + 60;
	r.visibility = SERVICE_VIS_PUBLIC;
	snprintf(r.name, sizeof(r.name), "k%u.svc", k);
	assert_int_equal(service_record_sign(&r, sk[k]), 0);
	assert_int_equal(service_record_encode(&r, out, SERVICE_RECORD_MAX_LEN, &len), 0);
	return len;
}

static void raw_values(struct wire_wr *w, unsigned n, int bad)
{
	uint8_t v[SERVICE_RECORD_MAX_LEN];

	wire_put_u8(w, (uint8_t)n);
	for (unsigned i = 0; i < n; i++) {
		size_t len = service_value(i + 1, v);

		if (bad == 1) { /* declared longer than the cap */
			wire_put_u16(w, DHT_VALUE_MAX_LEN + 1);
			continue;
		}
		if (bad == 2)
			len = 0;
		if (bad == 3)
			v[0] = 0x7e; /* neither record type */
		wire_put_u16(w, (uint16_t)len);
		wire_put_bytes(w, v, len);
	}
}

/* DIGEST of node keys 0x10, 0x20, ... unless `bad` changes it. */
static void raw_digest(struct wire_wr *w, uint8_t kind, uint8_t flags, unsigned n, int bad)
{
	uint8_t key[32] = {0};

	wire_put_u8(w, kind);
	wire_put_u8(w, flags);
	if (!(flags & DHT_DIGEST_F_FIRST)) {
		key[0] = bad == 2 ? 0x20 : 0x01; /* cursor */
		wire_put_bytes(w, key, 32);
	}
	wire_put_u8(w, (uint8_t)n);
	for (unsigned i = 0; i < n; i++) {
		key[0] = (uint8_t)(0x10 * (i + 1));
		if (bad == 1 && i == 1)
			key[0] = 0x10; /* equal to the previous: not increasing */
		wire_put_bytes(w, key, 32);
		wire_put_u64(w, 7);
	}
}

enum { T_PING, T_NODES, T_VALUE, T_STORE, T_STORED, T_DIGEST, T_WANT, T_FIND };

static const struct bad_case {
	int n;
	const char *what;
	int want;
} cases[] = {
    {1, "valid PING", 0},
    {2, "version 0", -EPROTONOSUPPORT},
    {3, "version 2", -EPROTONOSUPPORT},
    {4, "unknown flag", -EBADMSG},
    {5, "type 0", -ENOMSG},
    {6, "type 0x0c", -ENOMSG},
    {7, "sender with 3 endpoints", -EBADMSG},
    {8, "sender ID not its key's hash", -EBADMSG},
    {9, "sender endpoint port 0", -EBADMSG},
    {10, "sender endpoint transport 4", -EBADMSG},
    {11, "sender endpoint reserved byte", -EBADMSG},
    {12, "trailing byte", -EBADMSG},
    {13, "header cut short", -EBADMSG},
    {14, "4097 bytes", -EMSGSIZE},
    {15, "NODES with 21 contacts", -EBADMSG},
    {16, "NODES with a duplicate", -EBADMSG},
    {17, "NODES with 20 contacts", 0},
    {18, "VALUE with no value", -EBADMSG},
    {19, "VALUE with 9 values", -EBADMSG},
    {20, "value over 512 bytes", -EMSGSIZE},
    {21, "empty value", -EBADMSG},
    {22, "value that is no record", -EBADMSG},
    {23, "STORE with 2 values", -EBADMSG},
    {24, "STORED status 5", -EBADMSG},
    {25, "DIGEST kind 3", -EBADMSG},
    {26, "DIGEST unknown flag", -EBADMSG},
    {27, "DIGEST keys not increasing", -EBADMSG},
    {28, "DIGEST key not after the cursor", -EBADMSG},
    {29, "DIGEST with MORE and no entry", -EBADMSG},
    {30, "DIGEST with 49 entries", -EBADMSG},
    {31, "WANT with no key", -EBADMSG},
    {32, "FIND_NODE target cut short", -EBADMSG},
    {33, "valid DIGEST page", 0},
    {34, "valid WANT", 0},
};

static void build_body(struct wire_wr *w, int n)
{
	uint8_t zero[64] = {0};

	switch (n) {
	case 15:
	case 16:
	case 17:
		wire_put_u8(w, n == 15 ? 21 : 20);
		for (unsigned i = 0; i < (n == 15 ? 21u : 20u); i++)
			raw_contact(w, n == 16 && i == 5 ? 1 : 1 + i, i % 3, 0);
		break;
	case 18:
	case 19:
	case 20:
	case 21:
	case 22:
		raw_values(w, n == 18 ? 0 : n == 19 ? 9 : 1, n < 20 ? 0 : n - 19);
		break;
	case 23:
		raw_values(w, 2, 0);
		break;
	case 24:
		wire_put_u8(w, 5);
		break;
	case 25:
	case 26:
	case 27:
	case 28:
	case 29:
	case 30:
	case 33:
		raw_digest(w, n == 25 ? 3 : DHT_SYNC_NODES,
			   n == 26   ? 0x04
			   : n == 29 ? DHT_DIGEST_F_MORE
				     : 0,
			   n == 29   ? 0
			   : n == 30 ? 49
				     : 3,
			   n == 27   ? 1
			   : n == 28 ? 2
				     : 0);
		break;
	case 31:
	case 34:
		wire_put_u8(w, DHT_SYNC_SERVICES);
		wire_put_u8(w, n == 31 ? 0 : 1);
		if (n == 34)
			wire_put_bytes(w, zero, 64);
		break;
	case 32:
		wire_put_bytes(w, zero, 31);
		break;
	}
}

static uint8_t type_of(int n)
{
	static const uint8_t t[] = {
	    [15] = DHT_MSG_NODES,  [16] = DHT_MSG_NODES,  [17] = DHT_MSG_NODES,
	    [18] = DHT_MSG_VALUE,  [19] = DHT_MSG_VALUE,  [20] = DHT_MSG_VALUE,
	    [21] = DHT_MSG_VALUE,  [22] = DHT_MSG_VALUE,  [23] = DHT_MSG_STORE,
	    [24] = DHT_MSG_STORED, [25] = DHT_MSG_DIGEST, [26] = DHT_MSG_DIGEST,
	    [27] = DHT_MSG_DIGEST, [28] = DHT_MSG_DIGEST, [29] = DHT_MSG_DIGEST,
	    [30] = DHT_MSG_DIGEST, [31] = DHT_MSG_WANT,	  [32] = DHT_MSG_FIND_NODE,
	    [33] = DHT_MSG_DIGEST, [34] = DHT_MSG_WANT,
	};

	if (n == 5)
		return 0;
	if (n == 6)
		return 0x0c;
	return n < (int)sizeof(t) && t[n] ? t[n] : DHT_MSG_PING;
}

static size_t build_case(int n, uint8_t *buf, size_t cap)
{
	struct wire_wr w;

	wire_wr_init(&w, buf, cap);
	if (n >= 7 && n <= 11) {
		wire_put_u8(&w, DHT_MSG_VERSION);
		wire_put_u8(&w, DHT_MSG_PING);
		wire_put_u8(&w, 0);
		wire_put_u64(&w, 1);
		raw_contact(&w, 0, n == 7 ? 3 : 1, n == 7 ? 0 : n - 7);
	} else {
		raw_header(&w,
			   n == 2   ? 0
			   : n == 3 ? 2
				    : DHT_MSG_VERSION,
			   type_of(n), n == 4 ? 0x02 : DHT_MSG_F_SERVER);
		build_body(&w, n);
	}
	if (n == 12)
		wire_put_u8(&w, 0);
	if (n == 14)
		wire_put_space(&w, DHT_MSG_MAX_LEN + 1 - w.len);
	assert_false(w.bad);
	return n == 13 ? 8 : w.len;
}

static void test_decode_rejects(void **state)
{
	static uint8_t buf[8192], again[DHT_MSG_MAX_LEN];
	static struct dht_msg m, keep;

	(void)state;
	memset(&keep, 0xa5, sizeof(keep));
	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		size_t len = build_case(cases[i].n, buf, sizeof(buf)), n;
		int got;

		assert_int_equal(cases[i].n, (int)i + 1);
		m = keep;
		got = dht_msg_decode(&m, buf, len);
		if (got != cases[i].want)
			fail_msg("case %d (%s): %d, want %d", cases[i].n, cases[i].what, got,
				 cases[i].want);
		if (got < 0) {
			assert_memory_equal(&m, &keep, sizeof(m)); /* untouched */
			continue;
		}
		assert_int_equal(dht_msg_encode(&m, again, sizeof(again), &n), 0);
		assert_int_equal(n, len);
		assert_memory_equal(again, buf, len);
	}
}

/* The encoder refuses what the decoder refuses, and says -ENOSPC for a
 * buffer too small; every truncation of a valid message is refused. */
static void test_encode_and_truncate(void **state)
{
	static uint8_t buf[DHT_MSG_MAX_LEN];
	static struct dht_msg m, bad, out;
	size_t len, n;

	(void)state;
	assert_int_equal(dht_msg_decode(&m, buf, build_case(17, buf, sizeof(buf))), 0);
	assert_int_equal(dht_msg_encode(&m, buf, sizeof(buf), &len), 0);
	for (size_t cut = 0; cut < len; cut++)
		assert_true(dht_msg_decode(&out, buf, cut) < 0);
	assert_int_equal(dht_msg_encode(&m, buf, len - 1, &n), -ENOSPC);
	bad = m;
	bad.u.nodes.n = DHT_K_MAX + 1;
	assert_int_equal(dht_msg_encode(&bad, buf, sizeof(buf), &n), -EINVAL);
	bad = m;
	bad.u.nodes.c[3] = bad.u.nodes.c[2];
	assert_int_equal(dht_msg_encode(&bad, buf, sizeof(buf), &n), -EINVAL);
	bad = m;
	bad.sender.id.b[9] ^= 1;
	assert_int_equal(dht_msg_encode(&bad, buf, sizeof(buf), &n), -EINVAL);
	bad = m;
	bad.flags = 0x80;
	assert_int_equal(dht_msg_encode(&bad, buf, sizeof(buf), &n), -EINVAL);
	bad = m;
	bad.type = 0x0c;
	assert_int_equal(dht_msg_encode(&bad, buf, sizeof(buf), &n), -EINVAL);
	bad = m;
	bad.type = DHT_MSG_STORED;
	bad.u.status = DHT_STORE__STATUS_MAX + 1;
	assert_int_equal(dht_msg_encode(&bad, buf, sizeof(buf), &n), -EINVAL);
	assert_int_equal(dht_msg_decode(&m, buf, build_case(33, buf, sizeof(buf))), 0);
	bad = m;
	bad.u.digest.flags = DHT_DIGEST_F_MORE;
	bad.u.digest.n = 0;
	assert_int_equal(dht_msg_encode(&bad, buf, sizeof(buf), &n), -EINVAL);
	bad = m;
	bad.u.digest.keys[0].owner.b[0] ^= 1; /* node keys: owner must be the key */
	assert_int_equal(dht_msg_encode(&bad, buf, sizeof(buf), &n), -EINVAL);
}

static void test_names(void **state)
{
	(void)state;
	assert_string_equal(dht_msg_type_name(DHT_MSG_FIND_VALUE), "find_value");
	assert_string_equal(dht_msg_type_name(DHT_MSG_RECORDS), "records");
	assert_string_equal(dht_msg_type_name(0), "unknown");
	assert_string_equal(dht_msg_type_name(0x0c), "unknown");
	assert_true(dht_msg_is_reply(DHT_MSG_NODES));
	assert_false(dht_msg_is_reply(DHT_MSG_STORE));
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_decode_rejects),
	    cmocka_unit_test(test_encode_and_truncate),
	    cmocka_unit_test(test_names),
	};

	if (sec_init() < 0)
		return 1;
	keys_init();
	return cmocka_run_group_tests(tests, NULL, NULL);
}
