/* tests/unit/test_record.c - identity/record.c: the signed node record
 * (docs/wire.md §2). Known answers from tests/vectors/node_record.json
 * (computed by gen_identity.py), then every decoder rule with a numbered
 * table of malformed inputs, the encoder's refusals, and the time checks.
 */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>

#include "vectors.h"

#include <arpa/inet.h>
#include <errno.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <jansson.h>

#include "identity/node_id.h"
#include "identity/record.h"
#include "lib/encode.h"
#include "lib/secure.h"
#include "lib/wire.h"

#include "record_test.h"

#define NOW RECORD_TEST_NOW

static const char *jstr(const json_t *obj, const char *key)
{
	const char *s = json_string_value(json_object_get(obj, key));

	if (!s)
		fail_msg("vector field '%s' missing", key);
	return s;
}

static uint64_t jint(const json_t *obj, const char *key)
{
	json_t *v = json_object_get(obj, key);

	if (!json_is_integer(v) || json_integer_value(v) < 0)
		fail_msg("vector field '%s' missing", key);
	return (uint64_t)json_integer_value(v);
}

/* A valid, signed record with `n_ep` endpoints and key pair from `seed`. */
static void make_record(struct node_record *rec, uint8_t sk[64], uint8_t seed_byte,
			const char *name, unsigned n_ep)
{
	uint8_t seed[32];

	memset(seed, seed_byte, sizeof(seed));
	memset(rec, 0, sizeof(*rec));
	sec_ed25519_from_seed(rec->pk, sk, seed);
	rec->seq = 7;
	rec->issued = NOW;
	rec->expires = NOW + 3600;
	snprintf(rec->name, sizeof(rec->name), "%s", name);
	rec->n_endpoints = (uint8_t)n_ep;
	for (unsigned i = 0; i < n_ep; i++) {
		inet_pton(AF_INET6, "2001:db8::10", &rec->ep[i].addr);
		rec->ep[i].addr.s6_addr[15] = (uint8_t)i;
		rec->ep[i].port = (uint16_t)(4000 + i);
		rec->ep[i].transport = (uint8_t)(1 + i % 3);
	}
	assert_int_equal(node_record_sign(rec, sk), 0);
}

static int rec_decode(void *rec, const uint8_t *buf, size_t len)
{
	return node_record_decode(rec, buf, len);
}

static int rec_encode(const void *rec, uint8_t *buf, size_t cap, size_t *out_len)
{
	return node_record_encode(rec, buf, cap, out_len);
}

static int rec_verify(const void *rec, uint64_t now)
{
	return node_record_verify(rec, now);
}

static void resign(void *rec, const uint8_t sk[64], uint64_t issued, uint64_t expires)
{
	struct node_record *r = rec;

	r->issued = issued;
	r->expires = expires;
	assert_int_equal(node_record_sign(r, sk), 0);
}

static const struct record_codec codec = {
    sizeof(struct node_record), NODE_RECORD_MAX_LEN, rec_decode, rec_encode, rec_verify, resign};

/* ---- known answers ---------------------------------------------------- */

static void build_from_vector(const json_t *c, struct node_record *rec, uint8_t sk[64])
{
	uint8_t seed[32];
	json_t *e;
	size_t j;

	memset(rec, 0, sizeof(*rec));
	assert_int_equal(hex_decode(seed, 32, jstr(c, "seed")), 0);
	sec_ed25519_from_seed(rec->pk, sk, seed);
	rec->seq = jint(c, "seq");
	rec->issued = jint(c, "issued");
	rec->expires = jint(c, "expires");
	snprintf(rec->name, sizeof(rec->name), "%s", jstr(c, "name"));
	json_array_foreach(json_object_get(c, "endpoints"), j, e)
	{
		assert_true(j < RECORD_ENDPOINTS_MAX);
		assert_int_equal(inet_pton(AF_INET6, jstr(e, "addr"), &rec->ep[j].addr), 1);
		rec->ep[j].port = (uint16_t)jint(e, "port");
		assert_int_equal(
		    record_transport_parse(jstr(e, "transport"), &rec->ep[j].transport), 0);
		rec->n_endpoints = (uint8_t)(j + 1);
	}
}

static void test_vectors(void **state)
{
	json_t *root = vectors_load("VX6_VECTORS", "tests/vectors", "node_record.json"), *c;
	size_t i;

	(void)state;
	assert_true(json_array_size(json_object_get(root, "cases")) >= 3);
	json_array_foreach(json_object_get(root, "cases"), i, c)
	{
		int n = (int)jint(c, "case");
		uint8_t sk[64], want[NODE_RECORD_MAX_LEN], got[NODE_RECORD_MAX_LEN];
		uint8_t sig[RECORD_SIG_LEN];
		size_t want_len = strlen(jstr(c, "encoded")) / 2, got_len;
		struct node_record rec, dec;

		assert_int_equal(n, (int)i + 1);
		build_from_vector(c, &rec, sk);
		assert_int_equal(node_record_sign(&rec, sk), 0);
		assert_int_equal(hex_decode(sig, sizeof(sig), jstr(c, "signature")), 0);
		if (memcmp(sig, rec.sig, sizeof(sig)) != 0)
			fail_msg("case %d: signature differs", n);
		assert_true(want_len <= sizeof(want));
		assert_int_equal(hex_decode(want, want_len, jstr(c, "encoded")), 0);
		assert_int_equal(node_record_encode(&rec, got, sizeof(got), &got_len), 0);
		if (got_len != want_len || memcmp(got, want, want_len) != 0)
			fail_msg("case %d: encoding differs", n);
		assert_int_equal(node_record_decode(&dec, want, want_len), 0);
		assert_memory_equal(&dec, &rec, sizeof(rec));
		assert_int_equal(node_record_verify(&dec, dec.issued), 0);
		assert_int_equal(node_record_verify(&dec, dec.expires), -ETIME);
		sec_wipe(sk, sizeof(sk));
	}
	json_decref(root);
}

/* ---- decoder rejections ----------------------------------------------- */

/* A record as raw parts, so a case can set any field to any value. */
struct raw {
	uint8_t type, version;
	uint16_t flags;
	uint8_t id[32], pk[32];
	uint8_t name_len;
	char name[256];
	uint8_t n_ep;	   /* declared count */
	unsigned ep_count; /* endpoints actually written */
	uint16_t port0;
	uint8_t transport0, reserved0;
	unsigned trailing; /* extra zero bytes after the signature */
};

static void raw_default(struct raw *r, const struct node_record *rec)
{
	memset(r, 0, sizeof(*r));
	r->type = RECORD_TYPE_NODE;
	r->version = RECORD_VERSION;
	memcpy(r->id, rec->id.b, 32);
	memcpy(r->pk, rec->pk, 32);
	r->name_len = (uint8_t)strlen(rec->name);
	memcpy(r->name, rec->name, r->name_len);
	r->n_ep = 2;
	r->ep_count = 2;
	r->port0 = 4433;
	r->transport0 = RECORD_TRANSPORT_QUIC;
}

static size_t raw_build(const struct raw *r, uint8_t *buf, size_t cap)
{
	struct wire_wr w;
	uint8_t sig[RECORD_SIG_LEN] = {0};

	wire_wr_init(&w, buf, cap);
	wire_put_u8(&w, r->type);
	wire_put_u8(&w, r->version);
	wire_put_u16(&w, r->flags);
	wire_put_bytes(&w, r->id, 32);
	wire_put_bytes(&w, r->pk, 32);
	wire_put_u64(&w, 1);
	wire_put_u64(&w, NOW);
	wire_put_u64(&w, NOW + 60);
	wire_put_u8(&w, r->name_len);
	wire_put_bytes(&w, r->name, r->name_len);
	wire_put_u8(&w, r->n_ep);
	for (unsigned i = 0; i < r->ep_count; i++) {
		uint8_t addr[16] = {0x20, 0x01, 0x0d, 0xb8};

		wire_put_bytes(&w, addr, 16);
		wire_put_u16(&w, i == 0 ? r->port0 : 443);
		wire_put_u8(&w, i == 0 ? r->transport0 : RECORD_TRANSPORT_TCP);
		wire_put_u8(&w, i == 0 ? r->reserved0 : 0);
	}
	wire_put_bytes(&w, sig, sizeof(sig));
	for (unsigned i = 0; i < r->trailing; i++)
		wire_put_u8(&w, 0);
	assert_false(w.bad);
	return w.len;
}

enum field {
	F_NONE,	      /* unchanged: the positive control */
	F_TYPE,	      /* type byte = value */
	F_VERSION,    /* version byte = value */
	F_FLAGS,      /* flags = value */
	F_ID,	      /* flip bit `value` of node_id byte 0 */
	F_PK,	      /* flip bit `value` of public key byte 31 */
	F_NAME_LEN,   /* name of `value` 'a's */
	F_NAME_CHAR,  /* name byte 1 = value (name "a?b") */
	F_NAME_FIRST, /* name byte 0 = value */
	F_NAME_LAST,  /* last name byte = value */
	F_N_EP,	      /* `value` valid endpoints, declared and present */
	F_N_EP_DECL,  /* declared count = value, 2 present */
	F_PORT,	      /* endpoint 0 port = value */
	F_TRANSPORT,  /* endpoint 0 transport = value */
	F_RESERVED,   /* endpoint 0 reserved byte = value */
	F_TRAILING,   /* `value` extra bytes after the signature */
};

static void raw_apply(struct raw *r, enum field f, unsigned v)
{
	switch (f) {
	case F_NONE:
		break;
	case F_TYPE:
		r->type = (uint8_t)v;
		break;
	case F_VERSION:
		r->version = (uint8_t)v;
		break;
	case F_FLAGS:
		r->flags = (uint16_t)v;
		break;
	case F_ID:
		r->id[0] ^= (uint8_t)(1u << v);
		break;
	case F_PK:
		r->pk[31] ^= (uint8_t)(1u << v);
		break;
	case F_NAME_LEN:
		r->name_len = (uint8_t)v;
		memset(r->name, 'a', v);
		break;
	case F_NAME_CHAR:
		r->name_len = 3;
		memcpy(r->name, "a?b", 3);
		r->name[1] = (char)v;
		break;
	case F_NAME_FIRST:
		r->name[0] = (char)v;
		break;
	case F_NAME_LAST:
		r->name[r->name_len - 1] = (char)v;
		break;
	case F_N_EP:
		r->n_ep = (uint8_t)v;
		r->ep_count = v;
		break;
	case F_N_EP_DECL:
		r->n_ep = (uint8_t)v;
		break;
	case F_PORT:
		r->port0 = (uint16_t)v;
		break;
	case F_TRANSPORT:
		r->transport0 = (uint8_t)v;
		break;
	case F_RESERVED:
		r->reserved0 = (uint8_t)v;
		break;
	case F_TRAILING:
		r->trailing = v;
		break;
	}
}

static const struct bad_case {
	int n;
	enum field field;
	unsigned value;
	int want;
} bad_cases[] = {
    {1, F_NONE, 0, 0},
    {2, F_TRAILING, 1, -EBADMSG},
    {3, F_TRAILING, 64, -EBADMSG},
    {4, F_TYPE, 0, -EBADMSG},
    {5, F_TYPE, 2, -EBADMSG},
    {6, F_TYPE, 0xff, -EBADMSG},
    {7, F_VERSION, 0, -EPROTONOSUPPORT},
    {8, F_VERSION, 2, -EPROTONOSUPPORT},
    {9, F_VERSION, 0xff, -EPROTONOSUPPORT},
    {10, F_FLAGS, 0x0001, -EBADMSG},
    {11, F_FLAGS, 0x8000, -EBADMSG},
    {12, F_FLAGS, 0xffff, -EBADMSG},
    {13, F_ID, 0, -EBADMSG},
    {14, F_ID, 7, -EBADMSG},
    {15, F_PK, 0, -EBADMSG},
    {16, F_NAME_LEN, 0, -EBADMSG},
    {17, F_NAME_LEN, 1, 0},
    {18, F_NAME_LEN, 63, 0},
    {19, F_NAME_LEN, 64, -EBADMSG},
    {20, F_NAME_LEN, 255, -EBADMSG},
    {21, F_NAME_CHAR, 'A', -EBADMSG},
    {22, F_NAME_CHAR, '_', -EBADMSG},
    {23, F_NAME_CHAR, '.', -EBADMSG},
    {24, F_NAME_CHAR, ' ', -EBADMSG},
    {25, F_NAME_CHAR, '\0', -EBADMSG},
    {26, F_NAME_CHAR, 0x80, -EBADMSG},
    {27, F_NAME_CHAR, 0xff, -EBADMSG},
    {28, F_NAME_CHAR, '-', 0},
    {29, F_NAME_FIRST, '-', -EBADMSG},
    {30, F_NAME_LAST, '-', -EBADMSG},
    {31, F_N_EP, 0, 0},
    {32, F_N_EP, 8, 0},
    {33, F_N_EP, 9, -EBADMSG},
    {34, F_N_EP, 255, -EBADMSG},
    {35, F_N_EP_DECL, 1, -EBADMSG}, /* one endpoint left over: trailing */
    {36, F_N_EP_DECL, 3, -EBADMSG}, /* signature bytes read as an endpoint */
    {37, F_PORT, 0, -EBADMSG},
    {38, F_PORT, 1, 0},
    {39, F_PORT, 65535, 0},
    {40, F_TRANSPORT, 0, -EBADMSG},
    {41, F_TRANSPORT, 1, 0},
    {42, F_TRANSPORT, 3, 0},
    {43, F_TRANSPORT, 4, -EBADMSG},
    {44, F_TRANSPORT, 0xff, -EBADMSG},
    {45, F_RESERVED, 1, -EBADMSG},
    {46, F_RESERVED, 0x80, -EBADMSG},
};

static void test_decode_rejects(void **state)
{
	struct node_record rec;
	uint8_t sk[64], buf[8192];
	struct raw r;

	(void)state;
	make_record(&rec, sk, 1, "raw-node", 0);
	for (size_t i = 0; i < sizeof(bad_cases) / sizeof(bad_cases[0]); i++) {
		const struct bad_case *c = &bad_cases[i];

		assert_int_equal(c->n, (int)i + 1);
		raw_default(&r, &rec);
		raw_apply(&r, c->field, c->value);
		record_check_decode(&codec, c->n, buf, raw_build(&r, buf, sizeof(buf)), c->want);
	}
}

static void test_decode_truncated(void **state)
{
	struct node_record rec;
	uint8_t sk[64];

	(void)state;
	make_record(&rec, sk, 2, "n0123456789-0123456789-0123456789-0123456789-0123456789-abcdefg",
		    RECORD_ENDPOINTS_MAX);
	record_check_truncated(&codec, &rec);
}

/* ---- encoder ------------------------------------------------------------ */

static void test_encode_refuses(void **state)
{
	struct node_record rec, bad;
	uint8_t sk[64], buf[NODE_RECORD_MAX_LEN];
	size_t len, n;

	(void)state;
	make_record(&rec, sk, 3, "enc", 3);
	assert_int_equal(node_record_encode(&rec, buf, sizeof(buf), &len), 0);
	for (size_t cap = 0; cap < len; cap++)
		assert_int_equal(node_record_encode(&rec, buf, cap, &n), -ENOSPC);

	bad = rec;
	bad.name[0] = '\0';
	assert_int_equal(node_record_encode(&bad, buf, sizeof(buf), &n), -EINVAL);
	bad = rec;
	bad.name[1] = 'N';
	assert_int_equal(node_record_encode(&bad, buf, sizeof(buf), &n), -EINVAL);
	bad = rec;
	memset(bad.name, 'a', sizeof(bad.name)); /* no terminating NUL */
	assert_int_equal(node_record_encode(&bad, buf, sizeof(buf), &n), -EINVAL);
	bad = rec;
	bad.n_endpoints = RECORD_ENDPOINTS_MAX + 1;
	assert_int_equal(node_record_encode(&bad, buf, sizeof(buf), &n), -EINVAL);
	bad = rec;
	bad.ep[2].port = 0;
	assert_int_equal(node_record_encode(&bad, buf, sizeof(buf), &n), -EINVAL);
	bad = rec;
	bad.ep[1].transport = 0;
	assert_int_equal(node_record_encode(&bad, buf, sizeof(buf), &n), -EINVAL);
	bad = rec;
	bad.ep[1].transport = 4;
	assert_int_equal(node_record_encode(&bad, buf, sizeof(buf), &n), -EINVAL);
	bad = rec;
	bad.id.b[5] ^= 1;
	assert_int_equal(node_record_encode(&bad, buf, sizeof(buf), &n), -EINVAL);
	/* Slots past n_endpoints are not encoded, so they may hold anything. */
	bad = rec;
	bad.ep[5].port = 0;
	assert_int_equal(node_record_encode(&bad, buf, sizeof(buf), &n), 0);
}

/* ---- signatures and times ------------------------------------------------ */

static void test_sign_verify(void **state)
{
	struct node_record rec, dec, other;
	uint8_t sk[64], sk2[64];

	(void)state;
	make_record(&rec, sk, 4, "signer", 2);
	assert_int_equal(node_record_verify(&rec, NOW), 0);

	/* Flip every bit of every byte: either the decoder refuses the
	 * result, or the signature no longer verifies. At least the signature
	 * bytes get that far. */
	assert_true(record_check_bit_flips(&codec, &rec, NOW) > 8 * 64);

	/* The signature covers the label: a different key or field fails. */
	make_record(&other, sk2, 5, "signer", 2);
	memcpy(other.sig, rec.sig, RECORD_SIG_LEN);
	assert_int_equal(node_record_verify(&other, NOW), -EBADMSG);
	dec = rec;
	dec.seq++;
	assert_int_equal(node_record_verify(&dec, NOW), -EBADMSG);

	/* Signing with a key that is not the record's own is refused. */
	dec = rec;
	assert_int_equal(node_record_sign(&dec, sk2), -EINVAL);
	assert_memory_equal(dec.sig, rec.sig, RECORD_SIG_LEN);

	/* sign() fills the node ID from the key. */
	dec = rec;
	memset(&dec.id, 0, sizeof(dec.id));
	assert_int_equal(node_record_sign(&dec, sk), 0);
	assert_memory_equal(&dec, &rec, sizeof(dec));

	/* A structurally invalid record never verifies. */
	dec = rec;
	dec.ep[0].port = 0;
	assert_int_equal(node_record_verify(&dec, NOW), -EBADMSG);
	assert_int_equal(node_record_sign(&dec, sk), -EINVAL);
	sec_wipe(sk, sizeof(sk));
	sec_wipe(sk2, sizeof(sk2));
}

static void test_times(void **state)
{
	/* Past the shared rules: the earliest possible times are fine. */
	static const struct record_time_case more[] = {
	    {13, 0, 1, 0, 0},
	};
	struct node_record rec;
	uint8_t sk[64];

	(void)state;
	make_record(&rec, sk, 6, "clock", 1);
	record_check_times(&codec, &rec, sk, record_time_cases,
			   sizeof(record_time_cases) / sizeof(record_time_cases[0]));
	assert_int_equal(more[0].n,
			 (int)(sizeof(record_time_cases) / sizeof(record_time_cases[0])) + 1);
	record_check_times(&codec, &rec, sk, more, sizeof(more) / sizeof(more[0]));
	sec_wipe(sk, sizeof(sk));
}

static void test_transport_names(void **state)
{
	uint8_t t = 0xee;

	(void)state;
	assert_string_equal(record_transport_name(RECORD_TRANSPORT_TCP), "tcp");
	assert_string_equal(record_transport_name(RECORD_TRANSPORT_QUIC), "quic");
	assert_string_equal(record_transport_name(RECORD_TRANSPORT_UDP), "udp");
	assert_string_equal(record_transport_name(0), "unknown");
	assert_string_equal(record_transport_name(4), "unknown");
	assert_int_equal(record_transport_parse("quic", &t), 0);
	assert_int_equal(t, RECORD_TRANSPORT_QUIC);
	t = 0xee;
	assert_int_equal(record_transport_parse("QUIC", &t), -EINVAL);
	assert_int_equal(record_transport_parse("", &t), -EINVAL);
	assert_int_equal(record_transport_parse("unknown", &t), -EINVAL);
	assert_int_equal(t, 0xee);
}

/* Random mutations of valid encodings: whatever decodes re-encodes to the
 * same bytes (the fuzz property, run here with a fixed seed). */
static void test_canonical_mutations(void **state)
{
	struct node_record rec;
	uint8_t sk[64];

	(void)state;
	make_record(&rec, sk, 7, "mutant", 4);
	assert_true(record_check_mutations(&codec, &rec, 12345, 3) > 1000);
	sec_wipe(sk, sizeof(sk));
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_vectors),	     cmocka_unit_test(test_decode_rejects),
	    cmocka_unit_test(test_decode_truncated), cmocka_unit_test(test_encode_refuses),
	    cmocka_unit_test(test_sign_verify),	     cmocka_unit_test(test_times),
	    cmocka_unit_test(test_transport_names),  cmocka_unit_test(test_canonical_mutations),
	};

	if (sec_init() < 0)
		return 1;
	return cmocka_run_group_tests(tests, NULL, NULL);
}
