/* tests/unit/test_service_record.c - identity/service_record.c: the signed
 * service record (docs/wire.md §5). The name rule and the DHT key (known
 * answers computed with Python's hashlib.blake2b from the §5.5 text), every
 * decoder rule with a numbered table of malformed inputs, truncation, the
 * encoder's refusals, signatures (every bit flip) and the time checks.
 */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>

#include <errno.h>
#include <stdio.h>
#include <string.h>

#include "identity/node_id.h"
#include "identity/record.h"
#include "identity/service_record.h"
#include "lib/encode.h"
#include "lib/secure.h"
#include "lib/wire.h"

#include "record_test.h"

#define NOW RECORD_TEST_NOW

static void make_service(struct service_record *rec, uint8_t sk[64], uint8_t seed_byte,
			 const char *name, uint8_t vis)
{
	uint8_t seed[32];

	memset(seed, seed_byte, sizeof(seed));
	memset(rec, 0, sizeof(*rec));
	sec_ed25519_from_seed(rec->pk, sk, seed);
	rec->seq = 9;
	rec->issued = NOW;
	rec->expires = NOW + 3600;
	rec->visibility = vis;
	snprintf(rec->name, sizeof(rec->name), "%s", name);
	assert_int_equal(service_record_sign(rec, sk), 0);
}

static int rec_decode(void *rec, const uint8_t *buf, size_t len)
{
	return service_record_decode(rec, buf, len);
}

static int rec_encode(const void *rec, uint8_t *buf, size_t cap, size_t *out_len)
{
	return service_record_encode(rec, buf, cap, out_len);
}

static int rec_verify(const void *rec, uint64_t now)
{
	return service_record_verify(rec, now);
}

static void rec_resign(void *rec, const uint8_t sk[64], uint64_t issued, uint64_t expires)
{
	struct service_record *r = rec;

	r->issued = issued;
	r->expires = expires;
	assert_int_equal(service_record_sign(r, sk), 0);
}

static const struct record_codec codec = {sizeof(struct service_record),
					  SERVICE_RECORD_MAX_LEN,
					  rec_decode,
					  rec_encode,
					  rec_verify,
					  rec_resign};

/* ---- names and keys ------------------------------------------------------ */

static void test_names(void **state)
{
	static const struct name_case cases[] = {
	    {1, "alice.ssh", true},    {2, "a.b", true},	  {3, "a-1.b-2", true},
	    {4, "alice", false},       /* one label */
	    {5, "alice.ssh.x", false}, /* three labels */
	    {6, ".ssh", false},	       {7, "alice.", false},	  {8, "alice..ssh", false},
	    {9, "Alice.ssh", false},   {10, "alice.s_h", false},  {11, "-alice.ssh", false},
	    {12, "alice-.ssh", false}, {13, "alice.-ssh", false}, {14, "alice.ssh-", false},
	    {15, "", false},	       {16, "a.", false},	  {17, "al ce.ssh", false},
	};
	char longest[SERVICE_NAME_MAX + 2];

	(void)state;
	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		assert_int_equal(cases[i].n, (int)i + 1);
		if (service_name_is_valid(cases[i].name) != cases[i].ok)
			fail_msg("case %d: '%s' not %s", cases[i].n, cases[i].name,
				 cases[i].ok ? "accepted" : "refused");
	}
	assert_false(service_name_is_valid(NULL));
	/* 63 + 1 + 63 = 127: the longest name; one more character is too long,
	 * whether in a label or past the total. */
	memset(longest, 'a', sizeof(longest));
	longest[63] = '.';
	longest[127] = '\0';
	assert_true(service_name_is_valid(longest));
	longest[127] = 'a';
	longest[128] = '\0';
	assert_false(service_name_is_valid(longest));
	memset(longest, 'a', sizeof(longest));
	longest[64] = '.';
	longest[100] = '\0';
	assert_false(service_name_is_valid(longest)); /* first label 64 */
}

static void test_service_key(void **state)
{
	static const struct {
		const char *name, *hex;
	} kat[] = {
	    {"alice.ssh", "0fb140c256c07a6d3459a42b6da7f5804ada1ed4fc971c5ec46574ad1d1a63bd"},
	    {"team.db", "a0f8e6a6cba6e8623a0296c67c1f0ea8b17490f8f271533f2b4b104cfcbeaa22"},
	};
	uint8_t want[32], got[32];

	(void)state;
	for (size_t i = 0; i < sizeof(kat) / sizeof(kat[0]); i++) {
		assert_int_equal(hex_decode(want, sizeof(want), kat[i].hex), 0);
		service_name_key(got, kat[i].name);
		assert_memory_equal(got, want, sizeof(want));
	}
}

/* ---- decoder rejections ----------------------------------------------- */

struct raw {
	uint8_t type, version;
	uint16_t flags;
	uint8_t id[32], pk[32];
	uint8_t vis;
	uint8_t name_len;
	char name[256];
	unsigned trailing; /* extra zero bytes after the signature */
	unsigned cut;	   /* bytes removed from the end */
};

static void raw_default(struct raw *r, const struct service_record *rec)
{
	memset(r, 0, sizeof(*r));
	r->type = SERVICE_RECORD_TYPE;
	r->version = SERVICE_RECORD_VERSION;
	memcpy(r->id, rec->owner.b, 32);
	memcpy(r->pk, rec->pk, 32);
	r->vis = SERVICE_VIS_PUBLIC;
	r->name_len = (uint8_t)strlen(rec->name);
	memcpy(r->name, rec->name, r->name_len);
}

static size_t raw_build(const struct raw *r, uint8_t *buf, size_t cap)
{
	uint8_t sig[SERVICE_RECORD_SIG_LEN] = {0};
	struct wire_wr w;

	wire_wr_init(&w, buf, cap);
	wire_put_u8(&w, r->type);
	wire_put_u8(&w, r->version);
	wire_put_u16(&w, r->flags);
	wire_put_bytes(&w, r->id, 32);
	wire_put_bytes(&w, r->pk, 32);
	wire_put_u64(&w, 1);
	wire_put_u64(&w, NOW);
	wire_put_u64(&w, NOW + 60);
	wire_put_u8(&w, r->vis);
	wire_put_u8(&w, r->name_len);
	wire_put_bytes(&w, r->name, r->name_len);
	wire_put_bytes(&w, sig, sizeof(sig));
	for (unsigned i = 0; i < r->trailing; i++)
		wire_put_u8(&w, 0);
	assert_false(w.bad);
	return w.len - r->cut;
}

enum field {
	F_NONE,	    /* unchanged: the positive control */
	F_TYPE,	    /* type byte = value */
	F_VERSION,  /* version byte = value */
	F_FLAGS,    /* flags = value */
	F_ID,	    /* flip bit `value` of owner byte 0 */
	F_PK,	    /* flip bit `value` of public key byte 31 */
	F_VIS,	    /* visibility = value */
	F_NAME_LEN, /* name_len = value over "alice.ssh" padded with 'a' */
	F_NAME_CHR, /* name byte 2 = value */
	F_NAME_STR, /* name = the string at index `value` of names[] */
	F_TRAILING, /* `value` extra bytes after the signature */
	F_CUT,	    /* `value` bytes removed from the end */
};

static const char *const names[] = {
    "alice",	  "alice.ssh.x", ".ssh",      "alice.", "-alice.ssh",
    "alice.ssh-", "a..b",	 "alice.ssh", "a.b",
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
	case F_VIS:
		r->vis = (uint8_t)v;
		break;
	case F_NAME_LEN:
		r->name_len = (uint8_t)v;
		memset(r->name, 'a', sizeof(r->name));
		memcpy(r->name, "alice.", 6);
		break;
	case F_NAME_CHR:
		r->name[2] = (char)v;
		break;
	case F_NAME_STR:
		r->name_len = (uint8_t)strlen(names[v]);
		memcpy(r->name, names[v], r->name_len);
		break;
	case F_TRAILING:
		r->trailing = v;
		break;
	case F_CUT:
		r->cut = v;
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
    {4, F_CUT, 1, -EBADMSG},
    {5, F_CUT, 64, -EBADMSG},
    {6, F_TYPE, 0, -EBADMSG},
    {7, F_TYPE, 1, -EBADMSG}, /* a node record's type */
    {8, F_TYPE, 0xff, -EBADMSG},
    {9, F_VERSION, 0, -EPROTONOSUPPORT},
    {10, F_VERSION, 2, -EPROTONOSUPPORT},
    {11, F_FLAGS, 0x0001, -EBADMSG},
    {12, F_FLAGS, 0x8000, -EBADMSG},
    {13, F_ID, 0, -EBADMSG},
    {14, F_ID, 7, -EBADMSG},
    {15, F_PK, 3, -EBADMSG},
    {16, F_VIS, 0, -EBADMSG},
    {17, F_VIS, SERVICE_VIS_PUBLIC, 0},
    {18, F_VIS, SERVICE_VIS_PRIVATE, 0},
    {19, F_VIS, SERVICE_VIS_HIDDEN, 0},
    {20, F_VIS, 4, -EBADMSG},
    {21, F_VIS, 0xff, -EBADMSG},
    {22, F_NAME_LEN, 0, -EBADMSG},
    {23, F_NAME_LEN, 2, -EBADMSG},
    {24, F_NAME_LEN, 7, 0},	    /* "alice.a" */
    {25, F_NAME_LEN, 69, 0},	    /* second label of 63 */
    {26, F_NAME_LEN, 70, -EBADMSG}, /* second label of 64 */
    {27, F_NAME_LEN, 128, -EBADMSG},
    {28, F_NAME_LEN, 255, -EBADMSG},
    {29, F_NAME_CHR, 'A', -EBADMSG},
    {30, F_NAME_CHR, '_', -EBADMSG},
    {31, F_NAME_CHR, '\0', -EBADMSG},
    {32, F_NAME_CHR, 0x80, -EBADMSG},
    {33, F_NAME_CHR, '.', -EBADMSG}, /* "al.ce.ssh": three labels */
    {34, F_NAME_CHR, '-', 0},
    {35, F_NAME_STR, 0, -EBADMSG},
    {36, F_NAME_STR, 1, -EBADMSG},
    {37, F_NAME_STR, 2, -EBADMSG},
    {38, F_NAME_STR, 3, -EBADMSG},
    {39, F_NAME_STR, 4, -EBADMSG},
    {40, F_NAME_STR, 5, -EBADMSG},
    {41, F_NAME_STR, 6, -EBADMSG},
    {42, F_NAME_STR, 7, 0},
    {43, F_NAME_STR, 8, 0},
};

static void test_decode_rejects(void **state)
{
	struct service_record rec;
	uint8_t sk[64], buf[1024];
	struct raw r;

	(void)state;
	make_service(&rec, sk, 1, "alice.ssh", SERVICE_VIS_PUBLIC);
	for (size_t i = 0; i < sizeof(bad_cases) / sizeof(bad_cases[0]); i++) {
		const struct bad_case *c = &bad_cases[i];

		assert_int_equal(c->n, (int)i + 1);
		raw_default(&r, &rec);
		raw_apply(&r, c->field, c->value);
		record_check_decode(&codec, c->n, buf, raw_build(&r, buf, sizeof(buf)), c->want);
	}
	sec_wipe(sk, sizeof(sk));
}

static void test_decode_truncated(void **state)
{
	struct service_record rec;
	uint8_t sk[64];
	char name[SERVICE_NAME_MAX + 1];

	(void)state;
	memset(name, 'b', sizeof(name));
	name[63] = '.';
	name[SERVICE_NAME_MAX] = '\0';
	make_service(&rec, sk, 2, name, SERVICE_VIS_HIDDEN);
	record_check_truncated(&codec, &rec);
	sec_wipe(sk, sizeof(sk));
}

/* The encoder refuses exactly what the decoder refuses. */
static void test_encode_refuses(void **state)
{
	struct service_record rec, bad;
	uint8_t sk[64], buf[SERVICE_RECORD_MAX_LEN];
	size_t len, n;

	(void)state;
	make_service(&rec, sk, 3, "team.db", SERVICE_VIS_PRIVATE);
	assert_int_equal(service_record_encode(&rec, buf, sizeof(buf), &len), 0);
	assert_int_equal(len, SERVICE_RECORD_FIXED_LEN + 7);
	for (size_t cap = 0; cap < len; cap++)
		assert_int_equal(service_record_encode(&rec, buf, cap, &n), -ENOSPC);
	bad = rec;
	bad.name[0] = '\0';
	assert_int_equal(service_record_encode(&bad, buf, sizeof(buf), &n), -EINVAL);
	bad = rec;
	snprintf(bad.name, sizeof(bad.name), "teamdb");
	assert_int_equal(service_record_encode(&bad, buf, sizeof(buf), &n), -EINVAL);
	bad = rec;
	memset(bad.name, 'a', sizeof(bad.name)); /* no terminating NUL */
	assert_int_equal(service_record_encode(&bad, buf, sizeof(buf), &n), -EINVAL);
	bad = rec;
	bad.visibility = 0;
	assert_int_equal(service_record_encode(&bad, buf, sizeof(buf), &n), -EINVAL);
	bad.visibility = 4;
	assert_int_equal(service_record_encode(&bad, buf, sizeof(buf), &n), -EINVAL);
	bad = rec;
	bad.owner.b[3] ^= 1;
	assert_int_equal(service_record_encode(&bad, buf, sizeof(buf), &n), -EINVAL);
	sec_wipe(sk, sizeof(sk));
}

/* ---- signatures and times ------------------------------------------------ */

static void test_sign_verify(void **state)
{
	struct service_record rec, dec, other;
	uint8_t sk[64], sk2[64];

	(void)state;
	make_service(&rec, sk, 4, "bob.web", SERVICE_VIS_PUBLIC);
	assert_int_equal(service_record_verify(&rec, NOW), 0);

	/* Flip every bit: the decoder refuses it or the signature fails. */
	assert_true(record_check_bit_flips(&codec, &rec, NOW) > 8 * 64);

	make_service(&other, sk2, 5, "bob.web", SERVICE_VIS_PUBLIC);
	memcpy(other.sig, rec.sig, sizeof(rec.sig));
	assert_int_equal(service_record_verify(&other, NOW), -EBADMSG);
	dec = rec;
	dec.visibility = SERVICE_VIS_HIDDEN;
	assert_int_equal(service_record_verify(&dec, NOW), -EBADMSG);
	dec = rec;
	assert_int_equal(service_record_sign(&dec, sk2), -EINVAL);
	assert_memory_equal(dec.sig, rec.sig, sizeof(rec.sig));
	dec = rec;
	memset(&dec.owner, 0, sizeof(dec.owner));
	assert_int_equal(service_record_sign(&dec, sk), 0);
	assert_memory_equal(&dec, &rec, sizeof(dec));
	dec = rec;
	dec.visibility = 9;
	assert_int_equal(service_record_verify(&dec, NOW), -EBADMSG);
	assert_int_equal(service_record_sign(&dec, sk), -EINVAL);

	sec_wipe(sk, sizeof(sk));
	sec_wipe(sk2, sizeof(sk2));
}

/* Domain separation: a node record signature by the same key never
 * verifies as a service record. */
static void test_domain_separation(void **state)
{
	struct service_record rec, dec;
	struct node_record node;
	uint8_t sk[64];

	(void)state;
	make_service(&rec, sk, 4, "bob.web", SERVICE_VIS_PUBLIC);
	memset(&node, 0, sizeof(node));
	memcpy(node.pk, rec.pk, sizeof(node.pk));
	node.seq = 1;
	node.issued = NOW;
	node.expires = NOW + 60;
	snprintf(node.name, sizeof(node.name), "bob");
	assert_int_equal(node_record_sign(&node, sk), 0);
	dec = rec;
	memcpy(dec.sig, node.sig, sizeof(dec.sig));
	assert_int_equal(service_record_verify(&dec, NOW), -EBADMSG);
	sec_wipe(sk, sizeof(sk));
}

static void test_times(void **state)
{
	struct service_record rec;
	uint8_t sk[64];

	(void)state;
	make_service(&rec, sk, 6, "clock.ntp", SERVICE_VIS_PUBLIC);
	record_check_times(&codec, &rec, sk, record_time_cases,
			   sizeof(record_time_cases) / sizeof(record_time_cases[0]));
	sec_wipe(sk, sizeof(sk));
}

static void test_visibility_names(void **state)
{
	uint8_t v = 0xee;

	(void)state;
	assert_string_equal(service_visibility_name(SERVICE_VIS_PUBLIC), "public");
	assert_string_equal(service_visibility_name(SERVICE_VIS_PRIVATE), "private");
	assert_string_equal(service_visibility_name(SERVICE_VIS_HIDDEN), "hidden");
	assert_string_equal(service_visibility_name(0), "unknown");
	assert_string_equal(service_visibility_name(4), "unknown");
	assert_int_equal(service_visibility_parse("hidden", &v), 0);
	assert_int_equal(v, SERVICE_VIS_HIDDEN);
	v = 0xee;
	assert_int_equal(service_visibility_parse("Hidden", &v), -EINVAL);
	assert_int_equal(service_visibility_parse("", &v), -EINVAL);
	assert_int_equal(v, 0xee);
}

/* Random mutations of a valid encoding: whatever decodes re-encodes to the
 * same bytes (the fuzz property, with a fixed seed). */
static void test_canonical_mutations(void **state)
{
	struct service_record rec;
	uint8_t sk[64];

	(void)state;
	make_service(&rec, sk, 7, "mutant.svc", SERVICE_VIS_PUBLIC);
	assert_true(record_check_mutations(&codec, &rec, 4242, 2) > 1000);
	sec_wipe(sk, sizeof(sk));
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_names),
	    cmocka_unit_test(test_service_key),
	    cmocka_unit_test(test_decode_rejects),
	    cmocka_unit_test(test_decode_truncated),
	    cmocka_unit_test(test_encode_refuses),
	    cmocka_unit_test(test_sign_verify),
	    cmocka_unit_test(test_domain_separation),
	    cmocka_unit_test(test_times),
	    cmocka_unit_test(test_visibility_names),
	    cmocka_unit_test(test_canonical_mutations),
	};

	if (sec_init() < 0)
		return 1;
	return cmocka_run_group_tests(tests, NULL, NULL);
}
