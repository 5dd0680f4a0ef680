/* tests/unit/record_test.h - the checks that the signed record tests
 * (test_record.c for node records, test_service_record.c for service
 * records) run alike on either kind: a decoder case that must fail cleanly
 * or round-trip, every truncation, every bit flip, seeded random mutations
 * and the issued/expires table. A file describes its kind once in a struct
 * record_codec of small adapters; the helpers see records only as bytes of
 * codec->size. Also the row type of a name-validity table (test_identity.c
 * uses it too). Include after cmocka.h.
 */
#ifndef VX6_TESTS_UNIT_RECORD_TEST_H
#define VX6_TESTS_UNIT_RECORD_TEST_H

#include <errno.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include "identity/record.h"

#define RECORD_TEST_NOW	    1700000000u
#define RECORD_TEST_REC_MAX 4096 /* bytes of the largest record struct */

/* One row of a name-validity table: case number, name, accepted. */
struct name_case {
	int n;
	const char *name;
	bool ok;
};

struct record_codec {
	size_t size;	/* sizeof the record struct */
	size_t max_len; /* its largest encoding */
	int (*decode)(void *rec, const uint8_t *buf, size_t len);
	int (*encode)(const void *rec, uint8_t *buf, size_t cap, size_t *out_len);
	int (*verify)(const void *rec, uint64_t now);
	/* Set issued and expires and sign again with `sk`. */
	void (*resign)(void *rec, const uint8_t sk[64], uint64_t issued, uint64_t expires);
};

/* Case `n`: `buf` decodes with `want`; a refusal leaves the output
 * untouched, an acceptance re-encodes to the same bytes. */
static inline void record_check_decode(const struct record_codec *k, int n, const uint8_t *buf,
				       size_t len, int want)
{
	_Alignas(max_align_t) uint8_t out[RECORD_TEST_REC_MAX], keep[RECORD_TEST_REC_MAX];
	uint8_t again[RECORD_TEST_REC_MAX];
	size_t elen;
	int got;

	assert_true(k->size <= sizeof(out) && k->max_len <= sizeof(again));
	memset(keep, 0xa5, k->size);
	memcpy(out, keep, k->size);
	got = k->decode(out, buf, len);
	if (got != want)
		fail_msg("case %d: decode %d, want %d", n, got, want);
	if (got < 0) {
		assert_memory_equal(out, keep, k->size); /* untouched */
		return;
	}
	/* Positive controls also check the canonical round trip. */
	assert_int_equal(k->encode(out, again, k->max_len, &elen), 0);
	assert_int_equal(elen, len);
	assert_memory_equal(again, buf, len);
}

/* `rec` encodes to exactly max_len bytes; every shorter prefix is refused
 * with the output untouched, and the whole decodes back to `rec`. */
static inline void record_check_truncated(const struct record_codec *k, const void *rec)
{
	_Alignas(max_align_t) uint8_t out[RECORD_TEST_REC_MAX], keep[RECORD_TEST_REC_MAX];
	uint8_t buf[RECORD_TEST_REC_MAX];
	size_t len;

	assert_true(k->size <= sizeof(out) && k->max_len <= sizeof(buf));
	assert_int_equal(k->encode(rec, buf, k->max_len, &len), 0);
	assert_int_equal(len, k->max_len);
	memset(keep, 0x5a, k->size);
	for (size_t cut = 0; cut < len; cut++) {
		memcpy(out, keep, k->size);
		if (k->decode(out, buf, cut) != -EBADMSG)
			fail_msg("truncated at %zu: not -EBADMSG", cut);
		assert_memory_equal(out, keep, k->size);
	}
	assert_int_equal(k->decode(out, buf, len), 0);
	assert_memory_equal(out, rec, k->size);
	assert_int_equal(k->decode(out, NULL, 0), -EBADMSG);
}

/* Flip every bit of every byte of `rec`'s encoding: either the decoder
 * refuses the result, or the signature no longer verifies at `now`.
 * Returns how many flips decoded. */
static inline unsigned record_check_bit_flips(const struct record_codec *k, const void *rec,
					      uint64_t now)
{
	_Alignas(max_align_t) uint8_t dec[RECORD_TEST_REC_MAX];
	uint8_t buf[RECORD_TEST_REC_MAX];
	unsigned decoded = 0;
	size_t len;

	assert_true(k->size <= sizeof(dec) && k->max_len <= sizeof(buf));
	assert_int_equal(k->encode(rec, buf, k->max_len, &len), 0);
	for (size_t i = 0; i < len; i++) {
		for (unsigned bit = 0; bit < 8; bit++) {
			buf[i] ^= (uint8_t)(1u << bit);
			if (k->decode(dec, buf, len) == 0) {
				decoded++;
				if (k->verify(dec, now) != -EBADMSG)
					fail_msg("byte %zu bit %u: tampered record verifies", i,
						 bit);
			}
			buf[i] ^= (uint8_t)(1u << bit);
		}
	}
	return decoded;
}

/* 20000 copies of `rec`'s encoding with `flips` random bytes changed (an
 * LCG from `seed`): whatever decodes re-encodes to the same bytes (the fuzz
 * property, with a fixed seed). Returns how many decoded. */
static inline unsigned record_check_mutations(const struct record_codec *k, const void *rec,
					      uint32_t seed, unsigned flips)
{
	uint8_t good[RECORD_TEST_REC_MAX], buf[RECORD_TEST_REC_MAX], again[RECORD_TEST_REC_MAX];
	_Alignas(max_align_t) uint8_t dec[RECORD_TEST_REC_MAX];
	uint32_t x = seed;
	unsigned decoded = 0;
	size_t len, n;

	assert_true(k->size <= sizeof(dec) && k->max_len <= sizeof(good));
	assert_int_equal(k->encode(rec, good, k->max_len, &len), 0);
	for (int i = 0; i < 20000; i++) {
		memcpy(buf, good, len);
		for (unsigned j = 0; j < flips; j++) {
			x = x * 1103515245u + 12345u;
			buf[(x >> 8) % len] = (uint8_t)(x >> 24);
		}
		if (k->decode(dec, buf, len) < 0)
			continue;
		decoded++;
		assert_int_equal(k->encode(dec, again, k->max_len, &n), 0);
		assert_int_equal(n, len);
		assert_memory_equal(again, buf, len);
	}
	return decoded;
}

/* One row of the time table: signed with issued/expires, verified at now. */
struct record_time_case {
	int n;
	uint64_t issued, expires, now;
	int want;
};

/* The rules both kinds share: skew, lifetime and order (docs/wire.md §2). */
static const struct record_time_case record_time_cases[] = {
    {1, RECORD_TEST_NOW, RECORD_TEST_NOW + 3600, RECORD_TEST_NOW, 0},
    {2, RECORD_TEST_NOW, RECORD_TEST_NOW + 3600, RECORD_TEST_NOW + 3599, 0},
    {3, RECORD_TEST_NOW, RECORD_TEST_NOW + 3600, RECORD_TEST_NOW + 3600, -ETIME},
    {4, RECORD_TEST_NOW, RECORD_TEST_NOW + 3600, UINT64_MAX, -ETIME},
    {5, RECORD_TEST_NOW + RECORD_SKEW_MAX_S, RECORD_TEST_NOW + 3600, RECORD_TEST_NOW, 0},
    {6, RECORD_TEST_NOW + RECORD_SKEW_MAX_S + 1, RECORD_TEST_NOW + 3600, RECORD_TEST_NOW, -EINVAL},
    {7, UINT64_MAX - 1, UINT64_MAX, RECORD_TEST_NOW, -EINVAL},
    {8, RECORD_TEST_NOW, RECORD_TEST_NOW, RECORD_TEST_NOW - 1, -EINVAL},
    {9, RECORD_TEST_NOW + 10, RECORD_TEST_NOW + 5, RECORD_TEST_NOW, -EINVAL},
    {10, RECORD_TEST_NOW, RECORD_TEST_NOW + RECORD_LIFETIME_MAX_S, RECORD_TEST_NOW, 0},
    {11, RECORD_TEST_NOW, RECORD_TEST_NOW + RECORD_LIFETIME_MAX_S + 1, RECORD_TEST_NOW, -EINVAL},
    {12, 0, UINT64_MAX, RECORD_TEST_NOW, -EINVAL},
};

/* Each case re-signs `rec` with its times and checks verify(). */
static inline void record_check_times(const struct record_codec *k, void *rec, const uint8_t sk[64],
				      const struct record_time_case *cases, size_t n_cases)
{
	for (size_t i = 0; i < n_cases; i++) {
		int got;

		assert_int_equal(cases[i].n, cases[0].n + (int)i); /* numbered in order */
		k->resign(rec, sk, cases[i].issued, cases[i].expires);
		got = k->verify(rec, cases[i].now);
		if (got != cases[i].want)
			fail_msg("case %d: verify %d, want %d", cases[i].n, got, cases[i].want);
	}
}

#endif /* VX6_TESTS_UNIT_RECORD_TEST_H */
