/* transport/noise_cipher.h - the transport phase of Noise (revision 34,
 * §5.1 CipherState, §11.3 rekey, §11.4 out-of-order messages) and the key
 * conversion that turns a node's Ed25519 identity into its Noise static key.
 *
 * A noise_cipher holds one direction's key as split from a handshake
 * (transport/noise.h). vx6 links run it WireGuard style: the nonce is
 * explicit, sent beside the ciphertext and given back here by the
 * receiver after transport/replay.h accepted it, so encrypt and decrypt do
 * not change the cipher. Only rekey does. Which counter to send next, and
 * when to rekey, is the link layer's decision (docs/noise.md).
 */
#ifndef VX6_TRANSPORT_NOISE_CIPHER_H
#define VX6_TRANSPORT_NOISE_CIPHER_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

struct noise_cipher; /* layout: transport/noise_internal.h */

/* Allocate a cipher without a key; NULL when out of memory. The caller owns
 * it; noise_cipher_free() wipes it, accepts NULL and returns NULL. */
struct noise_cipher *noise_cipher_new(void);
struct noise_cipher *noise_cipher_free(struct noise_cipher *cs);

/* Wipe the key; the cipher then has none. */
void noise_cipher_clear(struct noise_cipher *cs);

/* True once a key was split into `cs`, until noise_cipher_clear(). */
bool noise_cipher_has_key(const struct noise_cipher *cs);

/* The cipher's name ("AESGCM", "ChaChaPoly"), or NULL without a key. */
const char *noise_cipher_name(const struct noise_cipher *cs);

/* ENCRYPT(k, nonce, ad, pt) (§4.2; ChaChaPoly §12.3, AESGCM §12.4): write pt_len + 16
 * bytes to `out_ct` (`cap` bytes; `out_ct` may equal `pt` for in-place use, no
 * other overlap) and store the length in *out_len. `ad` may be NULL when
 * `ad_len` is 0. The caller must never reuse a nonce with one key.
 * Return 0, -EINVAL (no key), -ERANGE (nonce 2^64-1, reserved for rekey),
 * -EMSGSIZE (ciphertext over NOISE_MSG_MAX_LEN), -ENOSPC, or -EIO (the
 * AESGCM library failed). */
int noise_cipher_encrypt(const struct noise_cipher *cs, uint64_t nonce, const uint8_t *ad,
			 size_t ad_len, const uint8_t *pt, size_t pt_len, uint8_t *out_ct,
			 size_t cap, size_t *out_len);

/* DECRYPT(k, nonce, ad, ct) of an untrusted ciphertext: write ct_len - 16
 * bytes to `out_pt` (may equal `ct`, no other overlap) and the length to
 * *out_len. Check the replay window before and update it after, never
 * the reverse. Return 0, -EINVAL (no key), -ERANGE (nonce 2^64-1),
 * -EMSGSIZE (over NOISE_MSG_MAX_LEN), -ENOSPC, or -EBADMSG (shorter than a
 * tag, or authentication failed); on -EBADMSG `out_pt` is wiped. */
int noise_cipher_decrypt(const struct noise_cipher *cs, uint64_t nonce, const uint8_t *ad,
			 size_t ad_len, const uint8_t *ct, size_t ct_len, uint8_t *out_pt,
			 size_t cap, size_t *out_len);

/* Rekey(): k = REKEY(k), the first 32 bytes of ENCRYPT(k, 2^64-1, "",
 * 32 zero bytes) (§4.2, §11.3). Both sides must rekey at the same point of
 * the message stream; with explicit nonces the link layer marks that
 * point (a key epoch), and nonces are not reset. Return 0, -EINVAL
 * (no key), or -ENOMEM / -EIO (AESGCM: no new key schedule; the cipher is
 * then cleared, never left half-changed). */
int noise_cipher_rekey(struct noise_cipher *cs);

/* X25519 public key of a 32-byte private key. Return 0 or -EINVAL. */
int noise_x25519_public(uint8_t out_pub[32], const uint8_t priv[32]);

/* The birational map from Ed25519 to X25519 (RFC 7748 §4.1, libsodium's
 * crypto_sign_ed25519_pk_to_curve25519). Maps a node's Ed25519 public key
 * to its Noise static public key. Return 0, or -EINVAL for a key that is
 * not a valid point of the prime-order subgroup. */
int noise_x25519_from_ed25519_pk(uint8_t out_pub[32], const uint8_t ed_pk[32]);

/* The matching private key: the clamped SHA-512 scalar of the Ed25519 seed
 * in `ed_sk` (libsodium layout, seed || public key, 64 bytes). The caller
 * wipes `out_priv`. Return 0 or -EINVAL. */
int noise_x25519_from_ed25519_sk(uint8_t out_priv[32], const uint8_t ed_sk[64]);

#endif /* VX6_TRANSPORT_NOISE_CIPHER_H */
