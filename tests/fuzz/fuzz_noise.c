/* tests/fuzz/fuzz_noise.c - the Noise engine (transport/noise.h,
 * docs/noise.md) on untrusted bytes. Each input is tried three ways:
 *
 *   1. as message 1 to an IK responder;
 *   2. as message 2 to an XX initiator that sent a valid message 1;
 *   3. as a transport record, nonce (8 bytes, little-endian) || ciphertext.
 *
 * Properties: no crash, no out-of-bounds access (ASan); a rejected message
 * leaves the handshake FAILED with nothing learnt; an accepted one leaves
 * it consistent (our turn to write, the remote static known, the payload
 * exactly the message minus the pattern's overhead) and the handshake
 * completes. When the accepted message came from the vector's peer keys,
 * it must be canonical: the peer, rebuilt with those keys, re-encodes the
 * decrypted payload to exactly the input, and both sides then agree on the
 * handshake hash and transport keys. A transport record that decrypts
 * re-encrypts to the same bytes.
 *
 * Every input runs once per cipher (ChaChaPoly, AESGCM). Keys and
 * prologue are those of the cacophony vectors, so corpus/noise/
 * holds the vectors' IK message 1, XX message 2 and an XX transport
 * message, plus mutations and junk. Linked with -fsanitize=fuzzer when
 * VX6_FUZZ=ON; otherwise replay_main.c runs it over corpus/noise/.
 */
#include <errno.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "lib/encode.h"
#include "lib/secure.h"
#include "transport/noise.h"
#include "transport/noise_cipher.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t len);

#define CHECK(x)                                                                                   \
	do {                                                                                       \
		if (!(x))                                                                          \
			abort();                                                                   \
	} while (0)

static const char *const hex_keys[4] = {
    "e61ef9919cde45dd5f82166404bd08e38bceb5dfdfded0a34c8df7ed542214d1", /* init_static */
    "893e28b9dc6ca8d611ab664754b8ceb7bac5117349a4439a6b0569da977c464a", /* init_ephemeral */
    "4a3acbfdb163dec651dfa3194dece676d437029c62a408b4c5ea9114246e4893", /* resp_static */
    "bbdb4cdbd309f1a1f2e1456967fe288cadd6f712d65dc7b7793d5e63da6b375b", /* resp_ephemeral */
};
enum { I_S, I_E, R_S, R_E };

static const uint8_t prologue[] = "John Galt";
static const uint8_t payload1[] = "Ludwig von Mises"; /* the vectors' first payload */

static uint8_t priv[4][32], pub[4][32];
static struct noise_cipher *xx_recv[NOISE_CIPHER__COUNT]; /* initiator's receive key of the
							   * vector XX run, per cipher */
static enum noise_cipher_suite cur;			  /* the cipher of this round */
static uint8_t payload[NOISE_MSG_MAX_LEN], scratch[NOISE_MSG_MAX_LEN];

static struct noise_handshake *start(enum noise_pattern p, bool initiator)
{
	struct noise_handshake *hs = noise_handshake_new();
	int s = initiator ? I_S : R_S, e = initiator ? I_E : R_E;

	CHECK(hs);
	CHECK(noise_handshake_init(hs, p, cur, initiator, prologue, sizeof(prologue) - 1, priv[s],
				   noise_pattern_needs_remote_static(p, initiator) ? pub[R_S]
										   : NULL) == 0);
	CHECK(noise_handshake_set_ephemeral_for_test(hs, priv[e]) == 0);
	return hs;
}

/* One handshake message with an empty payload, from `from` to `to`. */
static void msg(struct noise_handshake *from, struct noise_handshake *to)
{
	size_t n, m;

	CHECK(noise_handshake_write_message(from, NULL, 0, scratch, sizeof(scratch), &n) == 0);
	CHECK(noise_handshake_read_message(to, scratch, n, payload, sizeof(payload), &m) == 0);
	CHECK(m == 0);
}

/* Both sides done: same hash, and keys that work in both directions. */
static void check_agree(struct noise_handshake *a, struct noise_handshake *b)
{
	struct noise_cipher *cs[4] = {noise_cipher_new(), noise_cipher_new(), noise_cipher_new(),
				      noise_cipher_new()};
	uint8_t ha[64], hb[64], ct[32], pt[16];
	size_t n, m;

	CHECK(cs[0] && cs[1] && cs[2] && cs[3]);
	CHECK(noise_handshake_get_hash(a, ha) == 0 && noise_handshake_get_hash(b, hb) == 0);
	CHECK(memcmp(ha, hb, sizeof(ha)) == 0);
	CHECK(noise_handshake_split(a, cs[0], cs[1]) == 0 &&
	      noise_handshake_split(b, cs[2], cs[3]) == 0);
	for (int d = 0; d < 2; d++) {
		struct noise_cipher *tx = d ? cs[2] : cs[0], *rx = d ? cs[1] : cs[3];

		CHECK(noise_cipher_encrypt(tx, 7, NULL, 0, (const uint8_t *)"ping", 4, ct,
					   sizeof(ct), &n) == 0);
		CHECK(noise_cipher_decrypt(rx, 7, NULL, 0, ct, n, pt, sizeof(pt), &m) == 0);
		CHECK(m == 4 && memcmp(pt, "ping", 4) == 0);
	}
	for (int i = 0; i < 4; i++)
		noise_cipher_free(cs[i]);
}

static void check_rejected(const struct noise_handshake *hs)
{
	uint8_t rs[32];

	CHECK(noise_handshake_get_state(hs) == NOISE_HS_FAILED);
	CHECK(noise_handshake_get_remote_static(hs, rs) == -ENOENT);
	CHECK(!noise_handshake_can_write(hs));
}

static void fuzz_ik_responder(const uint8_t *data, size_t len)
{
	struct noise_handshake *resp = start(NOISE_PATTERN_IK, false), *ini;
	uint8_t rs[32];
	size_t plen, n;

	if (noise_handshake_read_message(resp, data, len, payload, sizeof(payload), &plen) < 0) {
		check_rejected(resp);
		goto out;
	}
	/* e, s + tag, payload + tag */
	CHECK(plen == len - 32 - 48 - 16 && noise_handshake_can_write(resp));
	CHECK(noise_handshake_get_remote_static(resp, rs) == 0);
	if (memcmp(rs, pub[I_S], 32) == 0 && memcmp(data, pub[I_E], 32) == 0) {
		/* Canonical: the vector's initiator re-encodes it byte for byte. */
		ini = start(NOISE_PATTERN_IK, true);
		CHECK(noise_handshake_write_message(ini, payload, plen, scratch, sizeof(scratch),
						    &n) == 0);
		CHECK(n == len && memcmp(scratch, data, len) == 0);
		msg(resp, ini);
		check_agree(ini, resp);
		noise_handshake_free(ini);
	} else {
		CHECK(noise_handshake_write_message(resp, NULL, 0, scratch, sizeof(scratch), &n) ==
		      0);
		CHECK(noise_handshake_is_done(resp));
	}
out:
	noise_handshake_free(resp);
}

static void fuzz_xx_initiator(const uint8_t *data, size_t len)
{
	struct noise_handshake *ini = start(NOISE_PATTERN_XX, true), *resp;
	uint8_t m1[64], rs[32];
	size_t m1_len, plen, n;

	CHECK(noise_handshake_write_message(ini, payload1, sizeof(payload1) - 1, m1, sizeof(m1),
					    &m1_len) == 0);
	if (noise_handshake_read_message(ini, data, len, payload, sizeof(payload), &plen) < 0) {
		check_rejected(ini);
		goto out;
	}
	/* e, s + tag, payload + tag */
	CHECK(plen == len - 32 - 48 - 16 && noise_handshake_can_write(ini));
	CHECK(noise_handshake_get_remote_static(ini, rs) == 0);
	if (memcmp(rs, pub[R_S], 32) == 0 && memcmp(data, pub[R_E], 32) == 0) {
		resp = start(NOISE_PATTERN_XX, false);
		CHECK(noise_handshake_read_message(resp, m1, m1_len, scratch, sizeof(scratch),
						   &n) == 0);
		CHECK(noise_handshake_write_message(resp, payload, plen, scratch, sizeof(scratch),
						    &n) == 0);
		CHECK(n == len && memcmp(scratch, data, len) == 0);
		msg(ini, resp);
		check_agree(ini, resp);
		noise_handshake_free(resp);
	} else {
		CHECK(noise_handshake_write_message(ini, NULL, 0, scratch, sizeof(scratch), &n) ==
		      0);
		CHECK(noise_handshake_is_done(ini));
	}
out:
	noise_handshake_free(ini);
}

static void fuzz_transport(const uint8_t *data, size_t len)
{
	uint64_t nonce = 0;
	size_t n, m;

	if (len < 8)
		return;
	for (int i = 7; i >= 0; i--)
		nonce = nonce << 8 | data[i];
	if (noise_cipher_decrypt(xx_recv[cur], nonce, NULL, 0, data + 8, len - 8, payload,
				 sizeof(payload), &n) < 0)
		return;
	/* The receive key is the responder's send key: re-encrypt with it. */
	CHECK(noise_cipher_encrypt(xx_recv[cur], nonce, NULL, 0, payload, n, scratch,
				   sizeof(scratch), &m) == 0);
	CHECK(m == len - 8 && memcmp(scratch, data + 8, m) == 0);
}

static void setup(void)
{
	struct noise_handshake *ini, *resp;
	struct noise_cipher *tx = noise_cipher_new(), *rx = noise_cipher_new();

	CHECK(sec_init() == 0);
	for (int i = 0; i < 4; i++) {
		CHECK(hex_decode(priv[i], 32, hex_keys[i]) == 0);
		CHECK(noise_x25519_public(pub[i], priv[i]) == 0);
	}
	/* The vector XX run (the payloads only change h, not the keys). */
	for (cur = 0; cur < NOISE_CIPHER__COUNT; cur++) {
		ini = start(NOISE_PATTERN_XX, true);
		resp = start(NOISE_PATTERN_XX, false);
		msg(ini, resp);
		msg(resp, ini);
		msg(ini, resp);
		xx_recv[cur] = noise_cipher_new();
		CHECK(tx && rx && xx_recv[cur]);
		CHECK(noise_handshake_split(ini, tx, xx_recv[cur]) == 0);
		noise_handshake_free(ini);
		noise_handshake_free(resp);
	}
	noise_cipher_free(tx);
	noise_cipher_free(rx);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t len)
{
	static bool ready;

	if (!ready) {
		setup();
		ready = true;
	}
	for (cur = 0; cur < NOISE_CIPHER__COUNT; cur++) {
		fuzz_ik_responder(data, len);
		fuzz_xx_initiator(data, len);
		fuzz_transport(data, len);
	}
	return 0;
}
