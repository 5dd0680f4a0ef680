/* tests/unit/test_noise_vectors.c - transport/noise*: the Noise engine
 * against the published cacophony vectors, every non-PSK pattern with both
 * ciphers: Noise_*_25519_ChaChaPoly_BLAKE2b from ../shared/vectors/ and
 * Noise_*_25519_AESGCM_BLAKE2b from tests/vectors/ (the same cacophony file
 * and filter). Plus what the vectors cannot show about AESGCM: the
 * big-endian nonce, REKEY() and tag checks on transport ciphers.
 */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>

#include "vectors.h"

#include <errno.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <gnutls/crypto.h>
#include <gnutls/gnutls.h>
#include <jansson.h>
#include <sodium.h>

#include "lib/encode.h"
#include "lib/secure.h"
#include "transport/noise.h"
#include "transport/noise_cipher.h"
#include "transport/noise_internal.h"

#include "noise_test.h"

#define BUF_LEN 1024

/* ---- helpers ---------------------------------------------------------- */

/* Decode the hex field `key` of `obj` into `out`; return its length, or
 * -1 if the field is absent. */
static int hex_field(const json_t *obj, const char *key, uint8_t *out, size_t cap)
{
	const char *s = json_string_value(json_object_get(obj, key));
	size_t n;

	if (!s)
		return -1;
	n = strlen(s);
	if (n % 2 || n / 2 > cap || hex_decode(out, n / 2, s) < 0)
		fail_msg("vector field '%s' is not hex of at most %zu bytes", key, cap);
	return (int)(n / 2);
}

/* ---- the published vectors --------------------------------------------- */

static unsigned vectors_run[NOISE_CIPHER__COUNT][NOISE_PATTERN__COUNT];

static void run_transport(const json_t *msgs, size_t from, bool one_way,
			  struct noise_cipher *send[2], struct noise_cipher *recv[2])
{
	uint8_t pt[BUF_LEN], ct[BUF_LEN], want[BUF_LEN];
	uint64_t nonce[2] = {0, 0};
	size_t len;

	for (size_t i = from; i < json_array_size(msgs); i++) {
		const json_t *m = json_array_get(msgs, i);
		int w = one_way ? 0 : (int)(i % 2);
		int pt_len = hex_field(m, "payload", pt, sizeof(pt));

		assert_true(pt_len >= 0);
		assert_int_equal(noise_cipher_encrypt(send[w], nonce[w], NULL, 0, pt,
						      (size_t)pt_len, ct, sizeof(ct), &len),
				 0);
		assert_int_equal(hex_field(m, "ciphertext", want, sizeof(want)), len);
		assert_memory_equal(ct, want, len);
		assert_int_equal(dec(recv[1 - w], nonce[w]++, NULL, ct, len), 0);
		assert_int_equal(sink_len, pt_len);
		assert_memory_equal(sink, pt, sink_len);
	}
}

/* One side of a vector: its handshake, set up from the vector's prologue
 * and keys, and the ciphers it will split into. */
struct vside {
	struct noise_handshake *hs;
	struct noise_cipher *send, *recv;
	uint8_t s_pub[32];
	bool has_s;
};

static void vector_start(const json_t *v, enum noise_pattern p, enum noise_cipher_suite c, int side,
			 struct vside *vs)
{
	static const char *const pfx[2] = {"init_", "resp_"};
	uint8_t pro[BUF_LEN], s[32], e[32], rs[32];
	bool ini = side == 0, has_e, has_rs;
	char key[64];
	int pro_len;

	snprintf(key, sizeof(key), "%sprologue", pfx[side]);
	pro_len = hex_field(v, key, pro, sizeof(pro));
	snprintf(key, sizeof(key), "%sstatic", pfx[side]);
	vs->has_s = hex_field(v, key, s, 32) == 32;
	snprintf(key, sizeof(key), "%sephemeral", pfx[side]);
	has_e = hex_field(v, key, e, 32) == 32;
	snprintf(key, sizeof(key), "%sremote_static", pfx[side]);
	has_rs = hex_field(v, key, rs, 32) == 32;
	/* The vector must give every key the pattern needs. */
	assert_true(pro_len >= 0);
	assert_true(vs->has_s || !noise_pattern_needs_static(p, ini));
	assert_true(has_rs || !noise_pattern_needs_remote_static(p, ini));
	if (vs->has_s)
		assert_int_equal(noise_x25519_public(vs->s_pub, s), 0);

	vs->hs = noise_handshake_new();
	vs->send = noise_cipher_new();
	vs->recv = noise_cipher_new();
	assert_true(vs->hs && vs->send && vs->recv);
	assert_int_equal(
	    noise_handshake_init(vs->hs, p, c, ini, pro, (size_t)pro_len,
				 noise_pattern_needs_static(p, ini) ? s : NULL,
				 noise_pattern_needs_remote_static(p, ini) ? rs : NULL),
	    0);
	if (has_e)
		assert_int_equal(noise_handshake_set_ephemeral_for_test(vs->hs, e), 0);
}

static void run_vector(const json_t *v, enum noise_pattern p, enum noise_cipher_suite c)
{
	const struct noise_pattern_def *def = noise_pattern_def(p);
	const json_t *msgs = json_object_get(v, "messages");
	uint8_t buf[BUF_LEN], pt[BUF_LEN], want[BUF_LEN], hash[NOISE_HASH_LEN], got[32];
	struct vside vs[2];
	size_t len;

	assert_true(def && json_array_size(msgs) >= def->n_msgs);
	vector_start(v, p, c, 0, &vs[0]);
	vector_start(v, p, c, 1, &vs[1]);
	for (unsigned i = 0; i < def->n_msgs; i++) {
		const json_t *m = json_array_get(msgs, i);
		int w = (int)(i % 2);
		int pt_len = hex_field(m, "payload", pt, sizeof(pt));
		int ct_len = hex_field(m, "ciphertext", want, sizeof(want));

		assert_true(noise_handshake_can_write(vs[w].hs));
		assert_false(noise_handshake_can_write(vs[1 - w].hs));
		assert_int_equal(noise_handshake_write_message(vs[w].hs, pt, (size_t)pt_len, buf,
							       sizeof(buf), &len),
				 0);
		assert_int_equal(len, ct_len);
		assert_memory_equal(buf, want, len);
		assert_int_equal(rd(vs[1 - w].hs, buf, len, BUF_LEN), 0);
		assert_int_equal(sink_len, pt_len);
		assert_memory_equal(sink, pt, sink_len);
	}

	assert_int_equal(hex_field(v, "handshake_hash", want, sizeof(want)), NOISE_HASH_LEN);
	for (int side = 0; side < 2; side++) {
		struct noise_handshake *hs = vs[side].hs;

		assert_true(noise_handshake_is_done(hs));
		assert_int_equal(noise_handshake_get_hash(hs, hash), 0);
		assert_memory_equal(hash, want, NOISE_HASH_LEN);
		/* Each side ends up with the other's static key iff it has one. */
		if (noise_pattern_needs_static(p, side == 1)) {
			assert_int_equal(noise_handshake_get_remote_static(hs, got), 0);
			assert_memory_equal(got, vs[1 - side].s_pub, 32);
		} else {
			assert_int_equal(noise_handshake_get_remote_static(hs, got), -ENOENT);
		}
		assert_int_equal(noise_handshake_split(hs, vs[side].send, vs[side].recv), 0);
		assert_int_equal(noise_handshake_get_state(hs), NOISE_HS_SPLIT);
		assert_int_equal(noise_handshake_get_hash(hs, hash), 0);
		assert_memory_equal(hash, want, NOISE_HASH_LEN);
	}
	if (noise_pattern_is_one_way(p)) {
		assert_false(noise_cipher_has_key(vs[0].recv)); /* §7.4: c2 is discarded */
		assert_false(noise_cipher_has_key(vs[1].send));
	}
	run_transport(msgs, def->n_msgs, noise_pattern_is_one_way(p),
		      (struct noise_cipher *[2]){vs[0].send, vs[1].send},
		      (struct noise_cipher *[2]){vs[0].recv, vs[1].recv});
	for (int side = 0; side < 2; side++) {
		noise_handshake_free(vs[side].hs);
		noise_cipher_free(vs[side].send);
		noise_cipher_free(vs[side].recv);
	}
	vectors_run[c][p]++;
}

/* Run every vector of `root`; every protocol in it must be ours but for
 * PSK modifiers, and use cipher `c`. */
static void run_file(json_t *root, enum noise_cipher_suite c)
{
	const json_t *vecs = json_object_get(root, "vectors");
	unsigned total = 0, skipped = 0;
	enum noise_cipher_suite got;
	enum noise_pattern p;

	assert_true(json_array_size(vecs) > 0);
	for (size_t i = 0; i < json_array_size(vecs); i++) {
		const json_t *v = json_array_get(vecs, i);
		const char *name = json_string_value(json_object_get(v, "protocol_name"));

		assert_non_null(name);
		if (noise_protocol_parse(name, &p, &got) < 0) {
			/* Only PSK modifiers are out of scope; anything else unparsed is a bug. */
			if (!strstr(name, "psk"))
				fail_msg("vector '%s' not run", name);
			skipped++;
			continue;
		}
		assert_int_equal(got, c);
		run_vector(v, p, c);
		total++;
	}
	json_decref(root);

	print_message("%s vectors: %u run, %u psk skipped:", noise_cipher_suite_name(c), total,
		      skipped);
	for (unsigned i = 0; i < NOISE_PATTERN__COUNT; i++)
		print_message(" %s=%u", noise_pattern_name((enum noise_pattern)i),
			      vectors_run[c][i]);
	print_message("\n");
	assert_true(total > 0);
	/* Every row of the table met a vector (IK and XX, which vx6 uses, too). */
	for (unsigned i = 0; i < NOISE_PATTERN__COUNT; i++)
		assert_true(vectors_run[c][i] > 0);
}

static void test_vectors_chachapoly(void **state)
{
	(void)state;
	run_file(vectors_load("VX6_SHARED", NULL, "vectors/noise-25519-chachapoly-blake2b.json"),
		 NOISE_CIPHER_CHACHAPOLY);
}

static void test_vectors_aesgcm(void **state)
{
	(void)state;
	run_file(vectors_load("VX6_VECTORS", NULL, "noise-25519-aesgcm-blake2b.json"),
		 NOISE_CIPHER_AESGCM);
}

/* ---- AESGCM transport ciphers ------------------------------------------ */

/* AES-256-GCM of `pt` under `k` and the 12-byte `nonce`, straight from
 * GnuTLS: what a transport cipher must match byte for byte. */
static void gcm_ref(const uint8_t k[32], const uint8_t nonce[12], const uint8_t *pt, size_t len,
		    uint8_t *out)
{
	gnutls_datum_t key = {.data = (unsigned char *)k, .size = 32};
	gnutls_aead_cipher_hd_t h;
	size_t out_len = len + 16;

	assert_int_equal(gnutls_aead_cipher_init(&h, GNUTLS_CIPHER_AES_256_GCM, &key), 0);
	assert_int_equal(
	    gnutls_aead_cipher_encrypt(h, nonce, 12, NULL, 0, 16, pt, len, out, &out_len), 0);
	assert_int_equal(out_len, len + 16);
	gnutls_aead_cipher_deinit(h);
}

/* IK between test keys with AESGCM, split into tx (initiator -> responder)
 * and rx (the responder's matching receive key), plus the reverse pair. */
static void aesgcm_pair(struct noise_cipher *tx, struct noise_cipher *rx, struct noise_cipher *tx2,
			struct noise_cipher *rx2)
{
	struct noise_handshake *hs[2] = {noise_handshake_new(), noise_handshake_new()};
	uint8_t s[2][32], pub[2][32], msg[BUF_LEN];
	size_t len;

	for (int i = 0; i < 2; i++) {
		memset(s[i], 0x51 + i, 32);
		assert_int_equal(noise_x25519_public(pub[i], s[i]), 0);
	}
	assert_int_equal(noise_handshake_init(hs[0], NOISE_PATTERN_IK, NOISE_CIPHER_AESGCM, true,
					      NULL, 0, s[0], pub[1]),
			 0);
	assert_int_equal(noise_handshake_init(hs[1], NOISE_PATTERN_IK, NOISE_CIPHER_AESGCM, false,
					      NULL, 0, s[1], NULL),
			 0);
	for (unsigned i = 0; i < 2; i++) {
		assert_int_equal(
		    noise_handshake_write_message(hs[i], NULL, 0, msg, sizeof(msg), &len), 0);
		assert_int_equal(rd(hs[1 - i], msg, len, BUF_LEN), 0);
	}
	assert_int_equal(noise_handshake_split(hs[0], tx, rx2), 0);
	assert_int_equal(noise_handshake_split(hs[1], tx2, rx), 0);
	noise_handshake_free(hs[0]);
	noise_handshake_free(hs[1]);
}

static void test_aesgcm_transport(void **state)
{
	struct noise_cipher *c[4] = {noise_cipher_new(), noise_cipher_new(), noise_cipher_new(),
				     noise_cipher_new()};
	struct noise_cipher *tx = c[0], *rx = c[1], *tx2 = c[2], *rx2 = c[3];
	static const uint8_t zeros[32];
	uint8_t nonce[12] = {0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0x01, 0x02}; /* n = 0x0102, big-endian */
	uint8_t maxnonce[12] = {0, 0, 0, 0, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff};
	uint8_t pt[1400], ct[1500], want[1500], key[32];
	size_t len;

	(void)state;
	aesgcm_pair(tx, rx, tx2, rx2);
	assert_true(tx->suite == NOISE_CIPHER_AESGCM && tx->gcm && rx->gcm);
	randombytes_buf(pt, sizeof(pt));

	/* §12.4: the nonce is 4 zero bytes and n big-endian. */
	assert_int_equal(
	    noise_cipher_encrypt(tx, 0x0102, NULL, 0, pt, sizeof(pt), ct, sizeof(ct), &len), 0);
	assert_int_equal(len, sizeof(pt) + NOISE_TAG_LEN);
	gcm_ref(tx->k, nonce, pt, sizeof(pt), want);
	assert_memory_equal(ct, want, len);
	assert_int_equal(dec(rx, 0x0102, NULL, ct, len), 0);
	assert_int_equal(sink_len, sizeof(pt));
	assert_memory_equal(sink, pt, sizeof(pt));

	/* Any flipped bit, a wrong nonce, ad or direction fails and wipes. */
	for (size_t i = 0; i < len; i += 97) {
		ct[i] ^= 0x01;
		assert_int_equal(dec(rx, 0x0102, NULL, ct, len), -EBADMSG);
		assert_true(sodium_is_zero(sink, sizeof(pt)));
		ct[i] ^= 0x01;
	}
	assert_int_equal(dec(rx, 0x0201, NULL, ct, len), -EBADMSG);
	assert_int_equal(dec(rx, 0x0102, "ad", ct, len), -EBADMSG);
	assert_int_equal(dec(rx2, 0x0102, NULL, ct, len), -EBADMSG);
	for (size_t l = 0; l < NOISE_TAG_LEN; l++)
		assert_int_equal(dec(rx, 0x0102, NULL, ct, l), -EBADMSG);
	/* The empty message (a keepalive) and the reverse direction. */
	assert_int_equal(
	    noise_cipher_encrypt(tx2, 7, (const uint8_t *)"h", 1, NULL, 0, ct, sizeof(ct), &len),
	    0);
	assert_int_equal(len, NOISE_TAG_LEN);
	assert_int_equal(
	    noise_cipher_decrypt(rx2, 7, (const uint8_t *)"h", 1, ct, len, NULL, 0, &len), 0);
	assert_int_equal(len, 0);

	/* In place, with ad. */
	memcpy(ct, pt, sizeof(pt));
	assert_int_equal(noise_cipher_encrypt(tx, 9, (const uint8_t *)"hdr", 3, ct, sizeof(pt), ct,
					      sizeof(ct), &len),
			 0);
	assert_int_equal(
	    noise_cipher_decrypt(rx, 9, (const uint8_t *)"hdr", 3, ct, len, ct, sizeof(ct), &len),
	    0);
	assert_memory_equal(ct, pt, sizeof(pt));

	/* REKEY (§4.2): k' = the first 32 bytes of ENCRYPT(k, 2^64-1, "",
	 * zeros), and the key schedule follows the new key. */
	gcm_ref(tx->k, maxnonce, zeros, 32, want);
	memcpy(key, want, 32);
	assert_int_equal(noise_cipher_rekey(tx), 0);
	assert_memory_equal(tx->k, key, 32);
	assert_int_equal(noise_cipher_encrypt(tx, 10, NULL, 0, pt, 64, ct, sizeof(ct), &len), 0);
	nonce[10] = 0, nonce[11] = 10;
	gcm_ref(key, nonce, pt, 64, want);
	assert_memory_equal(ct, want, len);
	assert_int_equal(dec(rx, 10, NULL, ct, len), -EBADMSG);
	assert_int_equal(noise_cipher_rekey(rx), 0);
	assert_int_equal(dec(rx, 10, NULL, ct, len), 0);
	sodium_memzero(key, sizeof(key));

	for (int i = 0; i < 4; i++) {
		noise_cipher_clear(c[i]);
		assert_false(noise_cipher_has_key(c[i]));
		noise_cipher_free(c[i]);
	}
}

static int setup(void **state)
{
	(void)state;
	return sec_init();
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_vectors_chachapoly),
	    cmocka_unit_test(test_vectors_aesgcm),
	    cmocka_unit_test(test_aesgcm_transport),
	};

	return cmocka_run_group_tests(tests, setup, NULL);
}
