/* tests/unit/test_noise.c - transport/noise*: the pattern table against
 * the spec's validity rules (§7.3), and the failure paths with both
 * ciphers: tampered, truncated and oversized messages, wrong or low-order
 * keys, API misuse, transport nonces and rekey, and the Ed25519 -> X25519
 * mapping. The published vectors run in test_noise_vectors.c.
 */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>

#include <errno.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <sodium.h>

#include "lib/encode.h"
#include "lib/secure.h"
#include "transport/noise.h"
#include "transport/noise_cipher.h"
#include "transport/noise_internal.h"

#include "noise_test.h"

#define BUF_LEN 1024

/* ---- helpers ---------------------------------------------------------- */

/* The cipher of every handshake pair_run() and init0() start. */
static enum noise_cipher_suite suite = NOISE_CIPHER_CHACHAPOLY;

/* Test keys: deterministic, distinct per `tag`. */
static void test_key(uint8_t priv[32], uint8_t pub[32], uint8_t tag)
{
	memset(priv, tag, 32);
	assert_int_equal(noise_x25519_public(pub, priv), 0);
}

static int init0(struct noise_handshake *hs, enum noise_pattern p, bool ini, const uint8_t *s,
		 const uint8_t *rs)
{
	return noise_handshake_init(hs, p, suite, ini, NULL, 0, s, rs);
}

struct pair {
	struct noise_handshake *hs[2]; /* [0] initiator, [1] responder */
	uint8_t msg[NOISE_MSGS_MAX][BUF_LEN];
	size_t len[NOISE_MSGS_MAX];
};

/* Start pattern `p` on both sides with test keys (initiator 0x11/e 0x21,
 * responder 0x12/e 0x22) and run its first `n` messages. */
static void pair_run(struct pair *pr, enum noise_pattern p, unsigned n)
{
	uint8_t s[2][32], pub[2][32], e[32], e_pub[32];

	test_key(s[0], pub[0], 0x11);
	test_key(s[1], pub[1], 0x12);
	for (int side = 0; side < 2; side++) {
		bool ini = side == 0;
		const uint8_t *rs =
		    noise_pattern_needs_remote_static(p, ini) ? pub[1 - side] : NULL;

		if (!pr->hs[side])
			pr->hs[side] = noise_handshake_new();
		assert_non_null(pr->hs[side]);
		assert_int_equal(
		    noise_handshake_init(pr->hs[side], p, suite, ini, (const uint8_t *)"pro", 3,
					 noise_pattern_needs_static(p, ini) ? s[side] : NULL, rs),
		    0);
		test_key(e, e_pub, (uint8_t)(0x21 + side));
		if (ini || !noise_pattern_is_one_way(p))
			assert_int_equal(noise_handshake_set_ephemeral_for_test(pr->hs[side], e),
					 0);
	}
	for (unsigned i = 0; i < n; i++) {
		assert_int_equal(wr(pr->hs[i % 2], "hello", pr->msg[i], BUF_LEN, &pr->len[i]), 0);
		assert_int_equal(rd(pr->hs[1 - i % 2], pr->msg[i], pr->len[i], BUF_LEN), 0);
		assert_int_equal(sink_len, 5);
		assert_memory_equal(sink, "hello", 5);
	}
}

static void pair_free(struct pair *pr)
{
	pr->hs[0] = noise_handshake_free(pr->hs[0]);
	pr->hs[1] = noise_handshake_free(pr->hs[1]);
}

/* Feed `msg` as message number `idx` of pattern `p` to a side that ran the
 * first `idx` messages; return the reader's result. */
static int read_as(enum noise_pattern p, unsigned idx, const uint8_t *msg, size_t len)
{
	struct pair pr = {0};
	int r;

	pair_run(&pr, p, idx);
	r = rd(pr.hs[1 - idx % 2], msg, len, BUF_LEN);
	if (r < 0)
		assert_int_equal(noise_handshake_get_state(pr.hs[1 - idx % 2]), NOISE_HS_FAILED);
	pair_free(&pr);
	return r;
}

/* ---- the pattern table ------------------------------------------------- */

/* §7.3 rule 4 for a payload sent by side x (0 initiator): no payload after
 * a DH with the local static unless the matching ephemeral DH happened. */
static void check_rule4(const bool *done, int x)
{
	assert_true(!done[x ? NOISE_TOKEN_ES : NOISE_TOKEN_SE] || done[NOISE_TOKEN_EE]);
	assert_true(!done[NOISE_TOKEN_SS] || done[x ? NOISE_TOKEN_SE : NOISE_TOKEN_ES]);
}

/* §7.3: keys used only once sent (rule 1), e and s sent at most once
 * (rule 2), each DH at most once (rule 3), rule 4 for every payload. */
static void test_table_valid(void **state)
{
	enum noise_pattern back;
	enum noise_cipher_suite cback;
	char name[64];

	(void)state;
	for (unsigned pi = 0; pi < NOISE_PATTERN__COUNT; pi++) {
		const struct noise_pattern_def *def = noise_pattern_def((enum noise_pattern)pi);
		bool sent_e[2] = {false, false}, sent_s[2] = {def->pre_init_s, def->pre_resp_s};
		bool done[NOISE_TOKEN_SS + 1] = {false};

		assert_true(def->n_msgs >= 1 && def->n_msgs <= NOISE_MSGS_MAX);
		for (unsigned m = 0; m < NOISE_MSGS_MAX; m++) {
			const uint8_t *tok = def->tokens[m];

			assert_true((m < def->n_msgs) == (tok[0] != NOISE_TOKEN_END));
			assert_int_equal(tok[NOISE_TOKENS_MAX - 1], NOISE_TOKEN_END);
			for (unsigned t = 0; t < NOISE_TOKENS_MAX && tok[t]; t++) {
				bool *sent = tok[t] == NOISE_TOKEN_E ? sent_e : sent_s;

				if (tok[t] == NOISE_TOKEN_E || tok[t] == NOISE_TOKEN_S) {
					assert_false(sent[m % 2]); /* rule 2 */
					sent[m % 2] = true;
					continue;
				}
				assert_false(done[tok[t]]); /* rule 3 */
				done[tok[t]] = true;
				/* rule 1: the initiator's key is named first */
				assert_true(tok[t] == NOISE_TOKEN_EE || tok[t] == NOISE_TOKEN_ES
						? sent_e[0]
						: sent_s[0]);
				assert_true(tok[t] == NOISE_TOKEN_EE || tok[t] == NOISE_TOKEN_SE
						? sent_e[1]
						: sent_s[1]);
			}
			if (m < def->n_msgs)
				check_rule4(done, (int)(m % 2)); /* the handshake payload */
		}
		check_rule4(done, 0); /* transport payloads */
		if (def->n_msgs > 1)
			check_rule4(done, 1);
		/* The name round-trips with either cipher, and the enum order
		 * matches the table. */
		for (unsigned c = 0; c < NOISE_CIPHER__COUNT; c++) {
			snprintf(name, sizeof(name), "Noise_%s_25519_%s_BLAKE2b", def->name,
				 noise_cipher_suite_name((enum noise_cipher_suite)c));
			assert_int_equal(noise_protocol_parse(name, &back, &cback), 0);
			assert_int_equal(back, pi);
			assert_int_equal(cback, c);
		}
	}
	assert_null(noise_pattern_name(NOISE_PATTERN__COUNT));
	assert_null(noise_cipher_suite_name(NOISE_CIPHER__COUNT));
	assert_int_equal(
	    noise_protocol_parse("Noise_IKpsk2_25519_ChaChaPoly_BLAKE2b", &back, &cback),
	    -EPROTONOSUPPORT);
	assert_int_equal(noise_protocol_parse("Noise_IK_25519_ChaChaPoly_BLAKE2s", &back, &cback),
			 -EPROTONOSUPPORT);
	assert_int_equal(noise_protocol_parse("Noise_IK_25519_AESGCM_SHA256", &back, &cback),
			 -EPROTONOSUPPORT);
	assert_int_equal(noise_protocol_parse("Noise_", &back, &cback), -EPROTONOSUPPORT);
}

/* ---- bad input --------------------------------------------------------- */

/* Every single-bit flip anywhere in an authenticated message is caught. */
static void check_flips(enum noise_pattern p, unsigned idx)
{
	struct pair pr = {0};
	uint8_t *msg = pr.msg[idx];

	pair_run(&pr, p, idx + 1);
	for (size_t i = 0; i < pr.len[idx]; i++) {
		for (unsigned bit = 0; bit < 8; bit += 7) {
			msg[i] ^= (uint8_t)(1u << bit);
			assert_int_equal(read_as(p, idx, msg, pr.len[idx]), -EBADMSG);
			msg[i] ^= (uint8_t)(1u << bit);
		}
	}
	assert_int_equal(read_as(p, idx, msg, pr.len[idx]), 0); /* the original still passes */
	pair_free(&pr);
}

static void test_tampered(void **state)
{
	struct pair pr = {0};
	uint8_t msg2[BUF_LEN];
	size_t len2;

	(void)state;
	check_flips(NOISE_PATTERN_IK, 0);
	check_flips(NOISE_PATTERN_IK, 1);
	check_flips(NOISE_PATTERN_XX, 1);
	check_flips(NOISE_PATTERN_XX, 2);

	/* XX's first message is in clear; tampering with its e shows up as a
	 * failure to read the second. */
	pair_run(&pr, NOISE_PATTERN_XX, 0);
	assert_int_equal(wr(pr.hs[0], NULL, pr.msg[0], BUF_LEN, &pr.len[0]), 0);
	pr.msg[0][3] ^= 1;
	assert_int_equal(rd(pr.hs[1], pr.msg[0], pr.len[0], BUF_LEN), 0);
	assert_int_equal(wr(pr.hs[1], NULL, msg2, BUF_LEN, &len2), 0);
	assert_int_equal(rd(pr.hs[0], msg2, len2, BUF_LEN), -EBADMSG);
	pair_free(&pr);
}

static void test_wrong_remote_static(void **state)
{
	uint8_t is[32], is_pub[32], rs[32], rs_pub[32], other[32], other_pub[32], msg[BUF_LEN];
	struct noise_handshake *ini = noise_handshake_new(), *resp = noise_handshake_new();
	enum noise_pattern ik = NOISE_PATTERN_IK;
	size_t len;

	(void)state;
	test_key(is, is_pub, 0x11);
	test_key(rs, rs_pub, 0x12);
	test_key(other, other_pub, 0x13);
	/* The initiator believes the responder's key is other_pub. */
	assert_int_equal(init0(ini, ik, true, is, other_pub), 0);
	assert_int_equal(init0(resp, ik, false, rs, NULL), 0);
	assert_int_equal(wr(ini, NULL, msg, sizeof(msg), &len), 0);
	assert_int_equal(rd(resp, msg, len, BUF_LEN), -EBADMSG);
	assert_int_equal(noise_handshake_get_state(resp), NOISE_HS_FAILED);
	assert_int_equal(noise_handshake_get_remote_static(resp, msg), -ENOENT);
	/* A failed handshake refuses everything until initialized again. */
	assert_int_equal(wr(resp, NULL, msg, sizeof(msg), &len), -EINVAL);
	assert_int_equal(rd(resp, msg, len, BUF_LEN), -EINVAL);
	/* Different prologues fail the same way. */
	assert_int_equal(
	    noise_handshake_init(ini, ik, suite, true, (const uint8_t *)"a", 1, is, rs_pub), 0);
	assert_int_equal(
	    noise_handshake_init(resp, ik, suite, false, (const uint8_t *)"b", 1, rs, NULL), 0);
	assert_int_equal(wr(ini, NULL, msg, sizeof(msg), &len), 0);
	assert_int_equal(rd(resp, msg, len, BUF_LEN), -EBADMSG);
	noise_handshake_free(ini);
	noise_handshake_free(resp);
}

/* Every prefix of an encrypted message fails cleanly, as does one more byte. */
static void check_truncations(enum noise_pattern p, unsigned idx)
{
	struct pair pr = {0};
	uint8_t *msg = pr.msg[idx];

	pair_run(&pr, p, idx + 1);
	for (size_t l = 0; l < pr.len[idx]; l++)
		assert_int_equal(read_as(p, idx, msg, l), -EBADMSG);
	msg[pr.len[idx]] = 0;
	assert_int_equal(read_as(p, idx, msg, pr.len[idx] + 1), -EBADMSG);
	assert_int_equal(read_as(p, idx, NULL, 0), -EBADMSG);
	pair_free(&pr);
}

static void test_truncated(void **state)
{
	static uint8_t msg[NOISE_MSG_MAX_LEN + 1];

	(void)state;
	check_truncations(NOISE_PATTERN_IK, 0);
	check_truncations(NOISE_PATTERN_IK, 1);
	check_truncations(NOISE_PATTERN_XX, 1);
	check_truncations(NOISE_PATTERN_XX, 2);
	check_truncations(NOISE_PATTERN_X1K1, 3);
	/* XX message 1 is e plus a clear payload: shorter than e fails, and
	 * from 32 bytes on Noise cannot tell (message 2 will). */
	for (size_t l = 0; l < NOISE_DH_LEN; l++)
		assert_int_equal(read_as(NOISE_PATTERN_XX, 0, msg, l), -EBADMSG);
	msg[0] = 9; /* the base point: a valid X25519 public key */
	assert_int_equal(read_as(NOISE_PATTERN_XX, 0, msg, NOISE_DH_LEN), 0);
	/* Over Noise's limit. */
	assert_int_equal(read_as(NOISE_PATTERN_XX, 1, msg, sizeof(msg)), -EMSGSIZE);
}

/* Small-order u-coordinates (and encodings of them): X25519 gives all zeros. */
static const char *const low_order_hex[] = {
    "0000000000000000000000000000000000000000000000000000000000000000", /* 0 */
    "0100000000000000000000000000000000000000000000000000000000000000", /* 1 */
    "e0eb7a7c3b41b8ae1656e3faf19fc46ada098deb9c32b1fd866205165f49b800", /* order 8 */
    "5f9c95bca3508c24b1d0b1559c83ef5b04445cc4581c8e86d8224eddd09f1157", /* order 8 */
    "ecffffffffffffffffffffffffffffffffffffffffffffffffffffffffffff7f", /* p - 1 */
    "edffffffffffffffffffffffffffffffffffffffffffffffffffffffffffff7f", /* p = 0 */
    "eeffffffffffffffffffffffffffffffffffffffffffffffffffffffffffff7f", /* p + 1 = 1 */
};

static void test_low_order(void **state)
{
	uint8_t priv[32], pub[32], bad[32], out[32], msg[BUF_LEN];
	struct pair pr = {0};
	size_t len;

	(void)state;
	test_key(priv, pub, 0x31);
	assert_int_equal(noise_dh(out, priv, pub), 0);
	for (size_t i = 0; i < sizeof(low_order_hex) / sizeof(low_order_hex[0]); i++) {
		assert_int_equal(hex_decode(bad, sizeof(bad), low_order_hex[i]), 0);
		memset(out, 0xaa, sizeof(out));
		assert_int_equal(noise_dh(out, priv, bad), -EBADMSG);
		assert_true(sodium_is_zero(out, sizeof(out)));

		/* IK message 1 with a low-order e: the responder's "es" fails. */
		pair_run(&pr, NOISE_PATTERN_IK, 1);
		memcpy(pr.msg[0], bad, 32);
		assert_int_equal(read_as(NOISE_PATTERN_IK, 0, pr.msg[0], pr.len[0]), -EBADMSG);
		pair_free(&pr);

		/* NN: reading e does no DH; the responder's "ee" on write fails. */
		pair_run(&pr, NOISE_PATTERN_NN, 0);
		assert_int_equal(rd(pr.hs[1], bad, 32, BUF_LEN), 0);
		assert_int_equal(wr(pr.hs[1], NULL, msg, BUF_LEN, &len), -EBADMSG);
		assert_int_equal(noise_handshake_get_state(pr.hs[1]), NOISE_HS_FAILED);
		assert_true(sodium_is_zero(msg, 48));
		pair_free(&pr);
	}
}

/* ---- API contracts ------------------------------------------------------ */

static void test_api_misuse(void **state)
{
	uint8_t is[32], is_pub[32], rs[32], rs_pub[32], msg[BUF_LEN], hash[NOISE_HASH_LEN];
	struct noise_handshake *hs = noise_handshake_new();
	struct noise_cipher *c1 = noise_cipher_new(), *c2 = noise_cipher_new();
	size_t len = 7;

	(void)state;
	assert_null(noise_handshake_free(NULL));
	assert_null(noise_cipher_free(NULL));
	test_key(is, is_pub, 0x11);
	test_key(rs, rs_pub, 0x12);

	/* Missing, extra or unknown keys and patterns. */
	assert_int_equal(init0(hs, NOISE_PATTERN_IK, true, is, NULL), -EINVAL);
	assert_int_equal(init0(hs, NOISE_PATTERN_IK, true, NULL, rs), -EINVAL);
	assert_int_equal(init0(hs, NOISE_PATTERN_XX, true, is, rs), -EINVAL);
	assert_int_equal(init0(hs, NOISE_PATTERN_NN, true, is, NULL), -EINVAL);
	assert_int_equal(
	    noise_handshake_init(hs, NOISE_PATTERN_NN, suite, true, NULL, 5, NULL, NULL), -EINVAL);
	assert_int_equal(noise_handshake_init(hs, NOISE_PATTERN_NN, NOISE_CIPHER__COUNT, true, NULL,
					      0, NULL, NULL),
			 -EINVAL);
	assert_int_equal(init0(hs, NOISE_PATTERN__COUNT, true, NULL, NULL), -EINVAL);
	assert_int_equal(noise_handshake_get_state(hs), NOISE_HS_CLEARED);
	assert_int_equal(wr(hs, NULL, msg, BUF_LEN, &len), -EINVAL);

	/* Out of turn, early split, early hash; out parameters untouched. */
	assert_int_equal(init0(hs, NOISE_PATTERN_XX, true, is, NULL), 0);
	sink_len = 7;
	assert_int_equal(rd(hs, msg, 48, BUF_LEN), -EINVAL);
	assert_int_equal(noise_handshake_split(hs, c1, c2), -EINVAL);
	assert_int_equal(noise_handshake_get_hash(hs, hash), -EINPROGRESS);
	assert_int_equal(noise_handshake_get_remote_static(hs, msg), -ENOENT);
	assert_int_equal(noise_handshake_get_state(hs), NOISE_HS_STARTED);
	assert_int_equal(len, 7);
	assert_int_equal(sink_len, 7);
	assert_int_equal(init0(hs, NOISE_PATTERN_XX, false, is, NULL), 0);
	assert_int_equal(wr(hs, NULL, msg, BUF_LEN, &len), -EINVAL);
	assert_int_equal(noise_handshake_set_ephemeral_for_test(hs, is), 0);
	assert_int_equal(noise_handshake_set_ephemeral_for_test(hs, is), -EINVAL);
	/* A one-way responder never sends e. */
	assert_int_equal(init0(hs, NOISE_PATTERN_N, false, rs, NULL), 0);
	assert_int_equal(noise_handshake_set_ephemeral_for_test(hs, is), -EINVAL);

	noise_handshake_free(hs);
	noise_cipher_free(c1);
	noise_cipher_free(c2);
}

static void test_api_limits(void **state)
{
	uint8_t msg[BUF_LEN], hash[NOISE_HASH_LEN], rs_pub[32];
	struct noise_cipher *c1 = noise_cipher_new(), *c2 = noise_cipher_new();
	struct pair pr = {0}, ref = {0};
	size_t len;

	(void)state;
	test_key(hash, rs_pub, 0x12);
	/* -ENOSPC on write and read leaves the handshake as it was: the retry
	 * produces the same bytes as an undisturbed run. */
	pair_run(&ref, NOISE_PATTERN_IK, 2);
	pair_run(&pr, NOISE_PATTERN_IK, 0);
	assert_int_equal(wr(pr.hs[0], "hello", msg, ref.len[0] - 1, &len), -ENOSPC);
	assert_int_equal(wr(pr.hs[0], "hello", msg, BUF_LEN, &len), 0);
	assert_int_equal(len, ref.len[0]);
	assert_memory_equal(msg, ref.msg[0], len);
	assert_int_equal(rd(pr.hs[1], msg, len, 4), -ENOSPC);
	assert_int_equal(rd(pr.hs[1], msg, len, 5), 0);
	assert_int_equal(wr(pr.hs[1], "hello", msg, BUF_LEN, &len), 0);
	assert_memory_equal(msg, ref.msg[1], len);
	pair_free(&ref);

	/* Once done: no more messages; split once; h and rs survive the split. */
	assert_int_equal(rd(pr.hs[0], msg, len, BUF_LEN), 0);
	assert_true(noise_handshake_is_done(pr.hs[0]));
	assert_int_equal(wr(pr.hs[0], NULL, msg, BUF_LEN, &len), -EINVAL);
	assert_int_equal(noise_handshake_split(pr.hs[0], c1, c2), 0);
	assert_int_equal(noise_handshake_split(pr.hs[0], c1, c2), -EINVAL);
	assert_int_equal(noise_handshake_get_hash(pr.hs[0], hash), 0);
	assert_int_equal(noise_handshake_get_remote_static(pr.hs[0], msg), 0);
	assert_memory_equal(msg, rs_pub, 32);
	assert_true(sodium_is_zero(pr.hs[0]->ss.ck, NOISE_HASH_LEN));
	assert_true(sodium_is_zero(pr.hs[0]->e_priv, 32) && sodium_is_zero(pr.hs[0]->s_priv, 32));
	pair_free(&pr);

	/* Noise's 65535-byte limit, exactly: IK message 1 has 96 bytes of overhead. */
	static uint8_t big[NOISE_MSG_MAX_LEN + 1];
	size_t max_payload = NOISE_MSG_MAX_LEN - 32 - 48 - 16;

	pair_run(&pr, NOISE_PATTERN_IK, 0);
	assert_int_equal(
	    noise_handshake_write_message(pr.hs[0], sink, max_payload + 1, big, sizeof(big), &len),
	    -EMSGSIZE);
	assert_int_equal(
	    noise_handshake_write_message(pr.hs[0], sink, max_payload, big, sizeof(big), &len), 0);
	assert_int_equal(len, NOISE_MSG_MAX_LEN);
	assert_int_equal(rd(pr.hs[1], big, len, sizeof(sink)), 0);
	assert_int_equal(sink_len, max_payload);
	pair_free(&pr);
	noise_cipher_free(c1);
	noise_cipher_free(c2);
}

/* ---- transport --------------------------------------------------------- */

static void test_transport(void **state)
{
	struct noise_cipher *c[5] = {noise_cipher_new(), noise_cipher_new(), noise_cipher_new(),
				     noise_cipher_new(), noise_cipher_new()};
	struct noise_cipher *tx = c[0], *rx = c[1], *tx2 = c[2], *rx2 = c[3], *none = c[4], saved;
	static const uint8_t zeros[32];
	uint8_t maxnonce[12] = {0, 0, 0, 0, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff};
	uint8_t ct[BUF_LEN], block[48];
	struct pair pr = {0};
	size_t len, l2;

	(void)state;
	pair_run(&pr, NOISE_PATTERN_XX, 3);
	assert_int_equal(noise_handshake_split(pr.hs[0], tx, rx2), 0);
	assert_int_equal(noise_handshake_split(pr.hs[1], tx2, rx), 0);
	pair_free(&pr);

	assert_int_equal(enc(tx, 5, "ad", "data", ct, sizeof(ct), &len), 0);
	assert_int_equal(len, 4 + NOISE_TAG_LEN);
	assert_int_equal(dec(rx, 5, "ad", ct, len), 0);
	assert_int_equal(sink_len, 4);
	assert_memory_equal(sink, "data", 4);
	/* Wrong nonce (and the output wiped), wrong ad, wrong direction. */
	assert_int_equal(dec(rx, 6, "ad", ct, len), -EBADMSG);
	assert_true(sodium_is_zero(sink, 4));
	assert_int_equal(dec(rx, 5, "ax", ct, len), -EBADMSG);
	assert_int_equal(dec(rx, 5, NULL, ct, len), -EBADMSG);
	assert_int_equal(dec(rx2, 5, "ad", ct, len), -EBADMSG);
	/* Any flipped bit; anything shorter than a tag. */
	for (size_t i = 0; i < len; i++) {
		ct[i] ^= 0x80;
		assert_int_equal(dec(rx, 5, "ad", ct, len), -EBADMSG);
		ct[i] ^= 0x80;
	}
	for (size_t l = 0; l < NOISE_TAG_LEN; l++)
		assert_int_equal(dec(rx, 5, "ad", ct, l), -EBADMSG);
	/* Reserved nonce, no key, no room, over the limit. */
	assert_int_equal(enc(tx, UINT64_MAX, NULL, "x", ct, sizeof(ct), &l2), -ERANGE);
	assert_int_equal(dec(rx, UINT64_MAX, NULL, ct, len), -ERANGE);
	assert_int_equal(enc(none, 0, NULL, "x", ct, sizeof(ct), &l2), -EINVAL);
	assert_int_equal(dec(none, 0, NULL, ct, len), -EINVAL);
	assert_int_equal(noise_cipher_rekey(none), -EINVAL);
	assert_int_equal(enc(tx, 0, NULL, "12345678", ct, 23, &l2), -ENOSPC);
	assert_int_equal(noise_cipher_decrypt(rx, 5, NULL, 0, ct, len, sink, 3, &l2), -ENOSPC);
	assert_int_equal(noise_cipher_encrypt(tx, 0, NULL, 0, sink, NOISE_PAYLOAD_MAX_LEN + 1, sink,
					      SIZE_MAX, &l2),
			 -EMSGSIZE);
	assert_int_equal(dec(rx, 0, NULL, sink, NOISE_MSG_MAX_LEN + 1), -EMSGSIZE);

	/* In place, both ways. */
	memcpy(ct, "in place", 8);
	assert_int_equal(noise_cipher_encrypt(tx, 9, NULL, 0, ct, 8, ct, sizeof(ct), &len), 0);
	assert_int_equal(noise_cipher_decrypt(rx, 9, NULL, 0, ct, len, ct, sizeof(ct), &l2), 0);
	assert_memory_equal(ct, "in place", 8);

	/* Rekey (§4.2): k' = first 32 bytes of ENCRYPT(k, 2^64-1, "", zeros);
	 * the nonce's 4 zero bytes and little-endian counter show here too. */
	saved = *rx;
	crypto_aead_chacha20poly1305_ietf_encrypt(block, NULL, zeros, 32, NULL, 0, NULL, maxnonce,
						  tx->k);
	assert_int_equal(noise_cipher_rekey(tx), 0);
	assert_memory_equal(tx->k, block, 32);
	assert_int_equal(enc(tx, 10, NULL, "new", ct, sizeof(ct), &len), 0);
	assert_int_equal(dec(rx, 10, NULL, ct, len), -EBADMSG);
	assert_int_equal(noise_cipher_rekey(rx), 0);
	assert_int_equal(dec(rx, 10, NULL, ct, len), 0);
	assert_memory_not_equal(saved.k, rx->k, 32);
	sodium_memzero(&saved, sizeof(saved));
	noise_cipher_clear(rx);
	assert_false(noise_cipher_has_key(rx));

	for (int i = 0; i < 5; i++)
		noise_cipher_free(c[i]);
}

/* ---- Ed25519 identities as static keys --------------------------------- */

static void test_ed25519_static(void **state)
{
	uint8_t seed[32], ed_pk[2][32], ed_sk[2][64], x_priv[2][32], x_pub[2][32], mapped[32];
	uint8_t msg[BUF_LEN], h[2][NOISE_HASH_LEN], zero[32] = {0};
	uint8_t neutral[32] = {1}; /* the Edwards neutral element: small order */
	static const uint8_t prologue[] = "vx6 link v1 tcp";
	struct noise_handshake *hs[2] = {noise_handshake_new(), noise_handshake_new()};
	size_t len;

	(void)state;
	for (int i = 0; i < 2; i++) {
		memset(seed, 0x40 + i, sizeof(seed));
		sec_ed25519_from_seed(ed_pk[i], ed_sk[i], seed);
		assert_int_equal(noise_x25519_from_ed25519_sk(x_priv[i], ed_sk[i]), 0);
		assert_int_equal(noise_x25519_public(x_pub[i], x_priv[i]), 0);
		assert_int_equal(noise_x25519_from_ed25519_pk(mapped, ed_pk[i]), 0);
		assert_memory_equal(mapped, x_pub[i], 32); /* the two maps agree */
		assert_int_equal(noise_handshake_init(hs[i], NOISE_PATTERN_XX, suite, i == 0,
						      prologue, sizeof(prologue) - 1, x_priv[i],
						      NULL),
				 0);
	}
	assert_int_equal(noise_x25519_from_ed25519_pk(mapped, zero), -EINVAL);
	assert_int_equal(noise_x25519_from_ed25519_pk(mapped, neutral), -EINVAL);

	/* XX between the two identities: each side checks the other's Ed25519 key. */
	assert_int_equal(noise_handshake_check_remote_ed25519(hs[0], ed_pk[1]), -ENOENT);
	for (unsigned i = 0; i < 3; i++) {
		assert_int_equal(wr(hs[i % 2], NULL, msg, sizeof(msg), &len), 0);
		assert_int_equal(rd(hs[1 - i % 2], msg, len, BUF_LEN), 0);
	}
	for (int i = 0; i < 2; i++) {
		assert_int_equal(noise_handshake_check_remote_ed25519(hs[i], ed_pk[1 - i]), 0);
		assert_int_equal(noise_handshake_check_remote_ed25519(hs[i], ed_pk[i]),
				 -EKEYREJECTED);
		assert_int_equal(noise_handshake_check_remote_ed25519(hs[i], zero), -EINVAL);
		assert_int_equal(noise_handshake_get_hash(hs[i], h[i]), 0);
		noise_handshake_free(hs[i]);
	}
	assert_memory_equal(h[0], h[1], NOISE_HASH_LEN);
	sodium_memzero(x_priv, sizeof(x_priv));
	sodium_memzero(ed_sk, sizeof(ed_sk));
}

static int setup(void **state)
{
	(void)state;
	return sec_init();
}

/* Per-test fixtures: run a failure test with AESGCM handshakes. */
static int use_aesgcm(void **state)
{
	(void)state;
	suite = NOISE_CIPHER_AESGCM;
	return 0;
}

static int use_chachapoly(void **state)
{
	(void)state;
	suite = NOISE_CIPHER_CHACHAPOLY;
	return 0;
}

#define AESGCM_TEST(f)                                                                             \
	{                                                                                          \
#f "/aesgcm", f, use_aesgcm, use_chachapoly, NULL                                  \
	}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_table_valid),
	    cmocka_unit_test(test_tampered),
	    cmocka_unit_test(test_wrong_remote_static),
	    cmocka_unit_test(test_truncated),
	    cmocka_unit_test(test_low_order),
	    cmocka_unit_test(test_api_misuse),
	    cmocka_unit_test(test_api_limits),
	    cmocka_unit_test(test_transport),
	    cmocka_unit_test(test_ed25519_static),
	    AESGCM_TEST(test_tampered),
	    AESGCM_TEST(test_wrong_remote_static),
	    AESGCM_TEST(test_truncated),
	    AESGCM_TEST(test_low_order),
	    AESGCM_TEST(test_api_misuse),
	    AESGCM_TEST(test_ed25519_static),
	};

	return cmocka_run_group_tests(tests, setup, NULL);
}
