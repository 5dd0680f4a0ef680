/* transport/noise_internal.h - layouts and the symmetric layer of the
 * Noise engine (revision 34, §4 and §5.1-§5.2). Included only by
 * transport/ sources, which may embed these objects by value, and by
 * tests/unit. Everything else goes through noise.h and noise_cipher.h.
 */
#ifndef VX6_TRANSPORT_NOISE_INTERNAL_H
#define VX6_TRANSPORT_NOISE_INTERNAL_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "transport/noise.h"
#include "transport/noise_cipher.h"

#define NOISE_BLOCK_LEN	     128 /* BLAKE2b block, HMAC's B (RFC 2104) */
#define NOISE_MSGS_MAX	     4	 /* longest pattern (X1K, X1K1, X1X, X1X1) */
#define NOISE_TOKENS_MAX     6	 /* tokens per message, plus the terminator */
#define NOISE_PROTO_NAME_MAX 48

/* Message tokens (§5.3). 0 ends a message's token list. */
enum noise_token {
	NOISE_TOKEN_END = 0,
	NOISE_TOKEN_E = 1,
	NOISE_TOKEN_S = 2,
	NOISE_TOKEN_EE = 3,
	NOISE_TOKEN_ES = 4,
	NOISE_TOKEN_SE = 5,
	NOISE_TOKEN_SS = 6,
};

/* One row of the pattern table. Message i is sent by the initiator when i
 * is even. Pre-messages here only ever carry "s". */
struct noise_pattern_def {
	const char *name;
	bool pre_init_s; /* "-> s" before "...": the responder knows the initiator's static */
	bool pre_resp_s; /* "<- s" before "...": the initiator knows the responder's static */
	uint8_t n_msgs;
	uint8_t tokens[NOISE_MSGS_MAX][NOISE_TOKENS_MAX];
};

/* The row for `p`, or NULL outside the enum. */
const struct noise_pattern_def *noise_pattern_def(enum noise_pattern p);

/* CipherState (§5.1). `gcm` is the AES-256-GCM key schedule of a
 * transport cipher (noise_cipher_schedule()); handshake ciphers have none
 * and schedule per message. A struct copy must not outlive the original. */
struct noise_cipher {
	uint8_t k[NOISE_KEY_LEN]; /* secret; meaningful only when has_key */
	uint64_t n;		  /* implicit nonce, used during the handshake only */
	bool has_key;
	enum noise_cipher_suite suite;
	struct api_aead_cipher_hd_st *gcm; /* gnutls_aead_cipher_hd_t, or NULL */
};

/* SymmetricState (§5.2). */
struct noise_symmetric {
	struct noise_cipher cs;
	enum noise_cipher_suite suite; /* for every key MixKey() and Split() make */
	uint8_t ck[NOISE_HASH_LEN];    /* chaining key; secret */
	uint8_t h[NOISE_HASH_LEN];     /* transcript hash; not secret, but wiped with the rest */
};

/* HandshakeState (§5.3). Private keys are secret; the whole object is
 * wiped by noise_handshake_clear(), on failure, and (but for h and rs) on
 * split. */
struct noise_handshake {
	struct noise_symmetric ss;
	const struct noise_pattern_def *pat; /* static table row; NULL when CLEARED */
	enum noise_handshake_state state;
	bool initiator;
	uint8_t msg_index; /* next message of pat->tokens to write or read */
	bool has_s, has_e, has_rs, has_re;
	uint8_t s_priv[NOISE_DH_LEN];
	uint8_t s_pub[NOISE_DH_LEN];
	uint8_t e_priv[NOISE_DH_LEN];
	uint8_t e_pub[NOISE_DH_LEN];
	uint8_t rs[NOISE_DH_LEN];
	uint8_t re[NOISE_DH_LEN];
};

/* HASH(a || b): BLAKE2b-512 (§12.8). Either part may be empty (NULL, 0). */
void noise_hash(uint8_t out[NOISE_HASH_LEN], const uint8_t *a, size_t a_len, const uint8_t *b,
		size_t b_len);

/* HMAC-HASH(key, d1 || d2) per RFC 2104 with B = 128 (§4.3). */
void noise_hmac(uint8_t out[NOISE_HASH_LEN], const uint8_t *key, size_t key_len, const uint8_t *d1,
		size_t d1_len, const uint8_t *d2, size_t d2_len);

/* HKDF(ck, ikm, 2 or 3) (§4.3): out3 NULL asks for two outputs. The
 * outputs may not alias `ck`. */
void noise_hkdf(const uint8_t ck[NOISE_HASH_LEN], const uint8_t *ikm, size_t ikm_len,
		uint8_t out1[NOISE_HASH_LEN], uint8_t out2[NOISE_HASH_LEN],
		uint8_t out3[NOISE_HASH_LEN]);

/* DH(priv, pub) = X25519 (§12.1), signalling the all-zero output of a
 * low-order `pub` as the spec allows. Return 0 or -EBADMSG. */
int noise_dh(uint8_t out[NOISE_DH_LEN], const uint8_t priv[NOISE_DH_LEN],
	     const uint8_t pub[NOISE_DH_LEN]);

/* CipherState functions with the implicit nonce n (handshake use). Output
 * is in_len + 16 bytes with a key, in_len without; no overlap. Return 0,
 * -EOVERFLOW (nonce exhausted), -ENOMEM or -EIO (AESGCM library), or
 * (decrypt) -EBADMSG. */
void noise_cipher_init_key(struct noise_cipher *cs, enum noise_cipher_suite suite,
			   const uint8_t k[NOISE_KEY_LEN]);
int noise_cipher_encrypt_with_ad(struct noise_cipher *cs, const uint8_t *ad, size_t ad_len,
				 const uint8_t *in, size_t in_len, uint8_t *out);
int noise_cipher_decrypt_with_ad(struct noise_cipher *cs, const uint8_t *ad, size_t ad_len,
				 const uint8_t *in, size_t in_len, uint8_t *out);

/* Build the AESGCM key schedule of a keyed transport cipher (a no-op for
 * ChaChaPoly, or without a key). Return 0 or -ENOMEM. */
int noise_cipher_schedule(struct noise_cipher *cs);

/* SymmetricState functions (§5.2). */
void noise_symmetric_init(struct noise_symmetric *ss, const char *protocol_name,
			  enum noise_cipher_suite suite);
void noise_symmetric_mix_key(struct noise_symmetric *ss, const uint8_t *ikm, size_t ikm_len);
void noise_symmetric_mix_hash(struct noise_symmetric *ss, const uint8_t *data, size_t len);
int noise_symmetric_encrypt_and_hash(struct noise_symmetric *ss, const uint8_t *in, size_t in_len,
				     uint8_t *out);
int noise_symmetric_decrypt_and_hash(struct noise_symmetric *ss, const uint8_t *in, size_t in_len,
				     uint8_t *out);
void noise_symmetric_split(const struct noise_symmetric *ss, struct noise_cipher *c1,
			   struct noise_cipher *c2);

#endif /* VX6_TRANSPORT_NOISE_INTERNAL_H */
