/* transport/noise_symmetric.c - the symmetric layer of Noise (revision 34):
 * HASH, HMAC-HASH and HKDF over BLAKE2b (§4.3, §12.8), the cipher functions
 * ChaChaPoly (§12.3, libsodium) and AESGCM (§12.4, GnuTLS), X25519
 * (§12.1), CipherState (§5.1) and SymmetricState (§5.2); plus the
 * transport-phase cipher API of noise_cipher.h and the Ed25519 -> X25519
 * key conversion. Every primitive is one library call; nothing here is
 * invented. The handshake itself lives in noise_handshake.c.
 *
 * libsodium must have been initialized (sec_init()) before any call.
 */
#include "transport/noise_internal.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>

#if defined(__aarch64__)
#include <asm/hwcap.h>
#include <sys/auxv.h>
#endif

#include <gnutls/crypto.h>
#include <gnutls/gnutls.h>
#include <sodium.h>

#define NONCE_LEN 12 /* crypto_aead_chacha20poly1305_IETF_NPUBBYTES */

_Static_assert(NOISE_KEY_LEN == crypto_aead_chacha20poly1305_IETF_KEYBYTES, "ChaChaPoly key");
_Static_assert(NOISE_TAG_LEN == crypto_aead_chacha20poly1305_IETF_ABYTES, "Poly1305 tag");
_Static_assert(NONCE_LEN == crypto_aead_chacha20poly1305_IETF_NPUBBYTES, "IETF nonce");
_Static_assert(NOISE_DH_LEN == crypto_scalarmult_BYTES, "X25519 output");
_Static_assert(NOISE_DH_LEN == crypto_scalarmult_SCALARBYTES, "X25519 scalar");
_Static_assert(NOISE_HASH_LEN == crypto_generichash_blake2b_BYTES_MAX, "BLAKE2b-512");

/* The 96-bit nonce: 32 bits of zeros, then n little-endian (ChaChaPoly,
 * §12.3) or big-endian (AESGCM, §12.4). */
static void nonce_encode(uint8_t out[NONCE_LEN], enum noise_cipher_suite c, uint64_t n)
{
	memset(out, 0, 4);
	for (unsigned i = 0; i < 8; i++)
		out[c == NOISE_CIPHER_AESGCM ? 11 - i : 4 + i] = (uint8_t)(n >> (8 * i));
}

/* An AES-256-GCM key schedule for `k`. GnuTLS wipes it on deinit. */
static int gcm_open(gnutls_aead_cipher_hd_t *out, const uint8_t k[NOISE_KEY_LEN])
{
	gnutls_datum_t key = {.data = (unsigned char *)k, .size = NOISE_KEY_LEN};

	return gnutls_aead_cipher_init(out, GNUTLS_CIPHER_AES_256_GCM, &key) == 0 ? 0 : -ENOMEM;
}

/* The handle of a transport cipher, or a one-off schedule for a handshake
 * cipher (which rekeys with every MixKey). Undone by gcm_done(). */
static int gcm_get(const struct noise_cipher *cs, gnutls_aead_cipher_hd_t *out)
{
	if (cs->gcm) {
		*out = cs->gcm;
		return 0;
	}
	return gcm_open(out, cs->k);
}

static void gcm_done(const struct noise_cipher *cs, gnutls_aead_cipher_hd_t h)
{
	if (h != cs->gcm)
		gnutls_aead_cipher_deinit(h);
}

/* ENCRYPT(k, n, ad, pt): writes pt_len + 16 bytes. `out` may equal `pt`.
 * Return 0, or for AESGCM -ENOMEM (no key schedule) or -EIO. */
static int aead_encrypt(const struct noise_cipher *cs, uint64_t n, const uint8_t *ad, size_t ad_len,
			const uint8_t *pt, size_t pt_len, uint8_t *out)
{
	static const uint8_t empty[1];
	uint8_t nonce[NONCE_LEN];
	gnutls_aead_cipher_hd_t h;
	size_t len = pt_len + NOISE_TAG_LEN;
	int r;

	nonce_encode(nonce, cs->suite, n);
	if (cs->suite == NOISE_CIPHER_CHACHAPOLY) {
		crypto_aead_chacha20poly1305_ietf_encrypt(out, NULL, pt, pt_len, ad, ad_len, NULL,
							  nonce, cs->k);
		return 0;
	}
	r = gcm_get(cs, &h);
	if (r < 0)
		return r;
	r = gnutls_aead_cipher_encrypt(h, nonce, sizeof(nonce), ad ? ad : empty, ad_len,
				       NOISE_TAG_LEN, pt ? pt : empty, pt_len, out, &len);
	gcm_done(cs, h);
	return r == 0 && len == pt_len + NOISE_TAG_LEN ? 0 : -EIO;
}

/* DECRYPT(k, n, ad, ct) for ct_len >= 16: writes ct_len - 16 bytes, wiped
 * when the tag does not verify. Return 0, -EBADMSG, or for AESGCM -ENOMEM. */
static int aead_decrypt(const struct noise_cipher *cs, uint64_t n, const uint8_t *ad, size_t ad_len,
			const uint8_t *ct, size_t ct_len, uint8_t *out)
{
	static const uint8_t empty[1];
	uint8_t nonce[NONCE_LEN];
	gnutls_aead_cipher_hd_t h;
	size_t len = ct_len - NOISE_TAG_LEN;
	int r;

	nonce_encode(nonce, cs->suite, n);
	if (cs->suite == NOISE_CIPHER_CHACHAPOLY) {
		/* libsodium zeroes `out` itself when the tag does not verify. */
		if (crypto_aead_chacha20poly1305_ietf_decrypt(out, NULL, NULL, ct, ct_len, ad,
							      ad_len, nonce, cs->k) != 0)
			return -EBADMSG;
		return 0;
	}
	r = gcm_get(cs, &h);
	if (r < 0)
		return r;
	r = gnutls_aead_cipher_decrypt(h, nonce, sizeof(nonce), ad ? ad : empty, ad_len,
				       NOISE_TAG_LEN, ct, ct_len, out ? out : (uint8_t *)empty,
				       &len);
	gcm_done(cs, h);
	if (r != 0 || len != ct_len - NOISE_TAG_LEN) {
		if (ct_len > NOISE_TAG_LEN)
			sodium_memzero(out, ct_len - NOISE_TAG_LEN);
		return -EBADMSG;
	}
	return 0;
}

void noise_hash(uint8_t out[NOISE_HASH_LEN], const uint8_t *a, size_t a_len, const uint8_t *b,
		size_t b_len)
{
	crypto_generichash_blake2b_state st;

	/* Callers pass out == a for MixHash(); the state consumes both inputs
	 * before final() writes `out`. */
	crypto_generichash_blake2b_init(&st, NULL, 0, NOISE_HASH_LEN);
	if (a_len)
		crypto_generichash_blake2b_update(&st, a, a_len);
	if (b_len)
		crypto_generichash_blake2b_update(&st, b, b_len);
	crypto_generichash_blake2b_final(&st, out, NOISE_HASH_LEN);
	sodium_memzero(&st, sizeof(st));
}

/* RFC 2104: H((K ^ opad) || H((K ^ ipad) || text)), K zero-padded to B
 * bytes (hashed first if longer than B). libsodium's keyed BLAKE2b is a
 * different construction, so HMAC is built here from plain BLAKE2b. */
void noise_hmac(uint8_t out[NOISE_HASH_LEN], const uint8_t *key, size_t key_len, const uint8_t *d1,
		size_t d1_len, const uint8_t *d2, size_t d2_len)
{
	uint8_t pad[NOISE_BLOCK_LEN] = {0};
	uint8_t inner[NOISE_HASH_LEN];
	crypto_generichash_blake2b_state st;

	if (key_len > NOISE_BLOCK_LEN)
		noise_hash(pad, key, key_len, NULL, 0);
	else if (key_len)
		memcpy(pad, key, key_len);

	for (size_t i = 0; i < sizeof(pad); i++)
		pad[i] ^= 0x36;
	crypto_generichash_blake2b_init(&st, NULL, 0, NOISE_HASH_LEN);
	crypto_generichash_blake2b_update(&st, pad, sizeof(pad));
	if (d1_len)
		crypto_generichash_blake2b_update(&st, d1, d1_len);
	if (d2_len)
		crypto_generichash_blake2b_update(&st, d2, d2_len);
	crypto_generichash_blake2b_final(&st, inner, sizeof(inner));

	for (size_t i = 0; i < sizeof(pad); i++)
		pad[i] ^= 0x36 ^ 0x5c;
	crypto_generichash_blake2b_init(&st, NULL, 0, NOISE_HASH_LEN);
	crypto_generichash_blake2b_update(&st, pad, sizeof(pad));
	crypto_generichash_blake2b_update(&st, inner, sizeof(inner));
	crypto_generichash_blake2b_final(&st, out, NOISE_HASH_LEN);

	sodium_memzero(pad, sizeof(pad));
	sodium_memzero(inner, sizeof(inner));
	sodium_memzero(&st, sizeof(st));
}

void noise_hkdf(const uint8_t ck[NOISE_HASH_LEN], const uint8_t *ikm, size_t ikm_len,
		uint8_t out1[NOISE_HASH_LEN], uint8_t out2[NOISE_HASH_LEN],
		uint8_t out3[NOISE_HASH_LEN])
{
	static const uint8_t one = 0x01, two = 0x02, three = 0x03;
	uint8_t temp_key[NOISE_HASH_LEN];

	noise_hmac(temp_key, ck, NOISE_HASH_LEN, ikm, ikm_len, NULL, 0);
	noise_hmac(out1, temp_key, sizeof(temp_key), &one, 1, NULL, 0);
	noise_hmac(out2, temp_key, sizeof(temp_key), out1, NOISE_HASH_LEN, &two, 1);
	if (out3)
		noise_hmac(out3, temp_key, sizeof(temp_key), out2, NOISE_HASH_LEN, &three, 1);
	sodium_memzero(temp_key, sizeof(temp_key));
}

int noise_dh(uint8_t out[NOISE_DH_LEN], const uint8_t priv[NOISE_DH_LEN],
	     const uint8_t pub[NOISE_DH_LEN])
{
	/* libsodium fails on an all-zero result, i.e. a low-order `pub`: the
	 * peer chose its key so the "shared" secret is known to everyone. */
	if (crypto_scalarmult(out, priv, pub) != 0) {
		sodium_memzero(out, NOISE_DH_LEN);
		return -EBADMSG;
	}
	return 0;
}

void noise_cipher_init_key(struct noise_cipher *cs, enum noise_cipher_suite suite,
			   const uint8_t k[NOISE_KEY_LEN])
{
	memcpy(cs->k, k, NOISE_KEY_LEN);
	cs->suite = suite;
	cs->n = 0;
	cs->has_key = true;
}

int noise_cipher_encrypt_with_ad(struct noise_cipher *cs, const uint8_t *ad, size_t ad_len,
				 const uint8_t *in, size_t in_len, uint8_t *out)
{
	int r;

	if (!cs->has_key) {
		if (in_len)
			memmove(out, in, in_len);
		return 0;
	}
	if (cs->n == UINT64_MAX)
		return -EOVERFLOW; /* 2^64-1 is reserved (§5.1) */
	r = aead_encrypt(cs, cs->n, ad, ad_len, in, in_len, out);
	if (r < 0)
		return r;
	cs->n++;
	return 0;
}

int noise_cipher_decrypt_with_ad(struct noise_cipher *cs, const uint8_t *ad, size_t ad_len,
				 const uint8_t *in, size_t in_len, uint8_t *out)
{
	int r;

	if (!cs->has_key) {
		if (in_len)
			memmove(out, in, in_len);
		return 0;
	}
	if (in_len < NOISE_TAG_LEN)
		return -EBADMSG;
	if (cs->n == UINT64_MAX)
		return -EOVERFLOW;
	r = aead_decrypt(cs, cs->n, ad, ad_len, in, in_len, out);
	if (r < 0)
		return r; /* n is not incremented on failure (§5.1) */
	cs->n++;
	return 0;
}

void noise_symmetric_init(struct noise_symmetric *ss, const char *protocol_name,
			  enum noise_cipher_suite suite)
{
	size_t len = strlen(protocol_name);

	/* InitializeSymmetric(): h = name zero-padded, or HASH(name) if longer. */
	if (len <= NOISE_HASH_LEN) {
		memset(ss->h, 0, sizeof(ss->h));
		memcpy(ss->h, protocol_name, len);
	} else {
		noise_hash(ss->h, (const uint8_t *)protocol_name, len, NULL, 0);
	}
	memcpy(ss->ck, ss->h, sizeof(ss->ck));
	sodium_memzero(&ss->cs, sizeof(ss->cs)); /* InitializeKey(empty) */
	ss->suite = suite;
}

void noise_symmetric_mix_key(struct noise_symmetric *ss, const uint8_t *ikm, size_t ikm_len)
{
	uint8_t ck[NOISE_HASH_LEN], temp_k[NOISE_HASH_LEN];

	noise_hkdf(ss->ck, ikm, ikm_len, ck, temp_k, NULL);
	memcpy(ss->ck, ck, sizeof(ck));
	noise_cipher_init_key(&ss->cs, ss->suite, temp_k); /* HASHLEN 64: first 32 bytes */
	sodium_memzero(ck, sizeof(ck));
	sodium_memzero(temp_k, sizeof(temp_k));
}

void noise_symmetric_mix_hash(struct noise_symmetric *ss, const uint8_t *data, size_t len)
{
	noise_hash(ss->h, ss->h, sizeof(ss->h), data, len);
}

int noise_symmetric_encrypt_and_hash(struct noise_symmetric *ss, const uint8_t *in, size_t in_len,
				     uint8_t *out)
{
	size_t out_len = in_len + (ss->cs.has_key ? (size_t)NOISE_TAG_LEN : 0);
	int r;

	r = noise_cipher_encrypt_with_ad(&ss->cs, ss->h, sizeof(ss->h), in, in_len, out);
	if (r < 0)
		return r;
	noise_symmetric_mix_hash(ss, out, out_len);
	return 0;
}

int noise_symmetric_decrypt_and_hash(struct noise_symmetric *ss, const uint8_t *in, size_t in_len,
				     uint8_t *out)
{
	int r;

	/* `in` must survive the decryption: h is mixed with the ciphertext. */
	r = noise_cipher_decrypt_with_ad(&ss->cs, ss->h, sizeof(ss->h), in, in_len, out);
	if (r < 0)
		return r;
	noise_symmetric_mix_hash(ss, in, in_len);
	return 0;
}

void noise_symmetric_split(const struct noise_symmetric *ss, struct noise_cipher *c1,
			   struct noise_cipher *c2)
{
	uint8_t k1[NOISE_HASH_LEN], k2[NOISE_HASH_LEN];

	noise_hkdf(ss->ck, NULL, 0, k1, k2, NULL);
	noise_cipher_init_key(c1, ss->suite, k1);
	noise_cipher_init_key(c2, ss->suite, k2);
	sodium_memzero(k1, sizeof(k1));
	sodium_memzero(k2, sizeof(k2));
}

struct noise_cipher *noise_cipher_new(void)
{
	return calloc(1, sizeof(struct noise_cipher));
}

struct noise_cipher *noise_cipher_free(struct noise_cipher *cs)
{
	if (!cs)
		return NULL;
	noise_cipher_clear(cs);
	free(cs);
	return NULL;
}

void noise_cipher_clear(struct noise_cipher *cs)
{
	if (cs->gcm)
		gnutls_aead_cipher_deinit(cs->gcm);
	sodium_memzero(cs, sizeof(*cs));
}

int noise_cipher_schedule(struct noise_cipher *cs)
{
	if (!cs->has_key || cs->suite != NOISE_CIPHER_AESGCM || cs->gcm)
		return 0;
	return gcm_open(&cs->gcm, cs->k);
}

bool noise_cipher_has_key(const struct noise_cipher *cs)
{
	return cs->has_key;
}

const char *noise_cipher_name(const struct noise_cipher *cs)
{
	return cs->has_key ? noise_cipher_suite_name(cs->suite) : NULL;
}

int noise_cipher_encrypt(const struct noise_cipher *cs, uint64_t nonce, const uint8_t *ad,
			 size_t ad_len, const uint8_t *pt, size_t pt_len, uint8_t *out_ct,
			 size_t cap, size_t *out_len)
{
	int r;

	if (!cs->has_key)
		return -EINVAL;
	if (nonce == UINT64_MAX)
		return -ERANGE;
	if (pt_len > NOISE_PAYLOAD_MAX_LEN)
		return -EMSGSIZE;
	if (cap < pt_len + NOISE_TAG_LEN)
		return -ENOSPC;
	r = aead_encrypt(cs, nonce, ad, ad_len, pt, pt_len, out_ct);
	if (r < 0)
		return r;
	*out_len = pt_len + NOISE_TAG_LEN;
	return 0;
}

int noise_cipher_decrypt(const struct noise_cipher *cs, uint64_t nonce, const uint8_t *ad,
			 size_t ad_len, const uint8_t *ct, size_t ct_len, uint8_t *out_pt,
			 size_t cap, size_t *out_len)
{
	int r;

	if (!cs->has_key)
		return -EINVAL;
	if (nonce == UINT64_MAX)
		return -ERANGE;
	if (ct_len > NOISE_MSG_MAX_LEN)
		return -EMSGSIZE;
	if (ct_len < NOISE_TAG_LEN)
		return -EBADMSG;
	if (cap < ct_len - NOISE_TAG_LEN)
		return -ENOSPC;
	r = aead_decrypt(cs, nonce, ad, ad_len, ct, ct_len, out_pt);
	if (r < 0) {
		sodium_memzero(out_pt, ct_len - NOISE_TAG_LEN);
		return r;
	}
	*out_len = ct_len - NOISE_TAG_LEN;
	return 0;
}

int noise_cipher_rekey(struct noise_cipher *cs)
{
	static const uint8_t zeros[NOISE_KEY_LEN];
	uint8_t block[NOISE_KEY_LEN + NOISE_TAG_LEN];
	bool scheduled = cs->gcm != NULL;
	int r;

	if (!cs->has_key)
		return -EINVAL;
	/* REKEY(k) (§4.2): the nonce 2^64-1 is never used for data. */
	r = aead_encrypt(cs, UINT64_MAX, NULL, 0, zeros, sizeof(zeros), block);
	if (r == 0) {
		memcpy(cs->k, block, NOISE_KEY_LEN);
		if (scheduled) {
			gnutls_aead_cipher_deinit(cs->gcm);
			cs->gcm = NULL;
			r = noise_cipher_schedule(cs);
		}
	}
	sodium_memzero(block, sizeof(block));
	if (r < 0)
		noise_cipher_clear(cs); /* never keep a half-changed key */
	return r;
}

enum noise_cipher_suite noise_cipher_default(void)
{
#if defined(__x86_64__) || defined(__i386__)
	if (__builtin_cpu_supports("aes") && __builtin_cpu_supports("pclmul"))
		return NOISE_CIPHER_AESGCM;
#elif defined(__aarch64__)
	unsigned long hw = getauxval(AT_HWCAP);

	if ((hw & HWCAP_AES) && (hw & HWCAP_PMULL))
		return NOISE_CIPHER_AESGCM;
#endif
	return NOISE_CIPHER_CHACHAPOLY;
}

int noise_x25519_public(uint8_t out_pub[32], const uint8_t priv[32])
{
	return crypto_scalarmult_base(out_pub, priv) == 0 ? 0 : -EINVAL;
}

int noise_x25519_from_ed25519_pk(uint8_t out_pub[32], const uint8_t ed_pk[32])
{
	uint8_t x[NOISE_DH_LEN];

	/* libsodium refuses small-order and non-subgroup points. */
	if (crypto_sign_ed25519_pk_to_curve25519(x, ed_pk) != 0)
		return -EINVAL;
	memcpy(out_pub, x, sizeof(x));
	return 0;
}

int noise_x25519_from_ed25519_sk(uint8_t out_priv[32], const uint8_t ed_sk[64])
{
	uint8_t x[NOISE_DH_LEN];
	int r = 0;

	if (crypto_sign_ed25519_sk_to_curve25519(x, ed_sk) != 0) {
		r = -EINVAL;
		goto out;
	}
	memcpy(out_priv, x, sizeof(x));
out:
	sodium_memzero(x, sizeof(x));
	return r;
}
