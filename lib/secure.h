/* lib/secure.h - thin wrappers over libsodium: init, randomness, wiping,
 * constant-time compare, BLAKE2b with domain separation, Ed25519.
 *
 * No cryptography is invented here: every function is one libsodium call
 * with vx6's error convention (0 or negative errno). Domain separation for
 * hashes and signatures is a fixed ASCII label prefixed to the message; each
 * label is defined once, next to the format it protects (docs/wire.md).
 */
#ifndef VX6_LIB_SECURE_H
#define VX6_LIB_SECURE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define SEC_ED25519_PK_LEN   32
#define SEC_ED25519_SK_LEN   64 /* libsodium layout: seed || public key */
#define SEC_ED25519_SEED_LEN 32
#define SEC_ED25519_SIG_LEN  64
#define SEC_HASH256_LEN	     32

/* Initialize libsodium. Call once at startup; safe to call again.
 * Return 0 or -EIO. */
int sec_init(void);

void sec_random(void *buf, size_t len);
/* Uniform in [0, upper). */
uint32_t sec_random_uniform(uint32_t upper);

/* Overwrite `len` bytes at `p` in a way the compiler cannot elide. */
void sec_wipe(void *p, size_t len);

/* Constant-time equality of two equal-length buffers. */
bool sec_equal(const void *a, const void *b, size_t len);

/* BLAKE2b-256 of `label` (ASCII, may be NULL for none) followed by `in`. */
void sec_hash256(uint8_t out[SEC_HASH256_LEN], const char *label, const void *in, size_t len);

/* Derive an Ed25519 key pair from a 32-byte seed. */
void sec_ed25519_from_seed(uint8_t pk[SEC_ED25519_PK_LEN], uint8_t sk[SEC_ED25519_SK_LEN],
			   const uint8_t seed[SEC_ED25519_SEED_LEN]);

/* Sign `label` || `msg` with `sk`. The label gives domain separation: a
 * signature made for one kind of message never verifies as another.
 * Return 0 or -ENOMEM. */
int sec_ed25519_sign(uint8_t sig[SEC_ED25519_SIG_LEN], const char *label, const void *msg,
		     size_t len, const uint8_t sk[SEC_ED25519_SK_LEN]);

/* Verify a signature made by sec_ed25519_sign(). Return 0, -EBADMSG for a
 * bad signature, or -ENOMEM. */
int sec_ed25519_verify(const uint8_t sig[SEC_ED25519_SIG_LEN], const char *label,
		       const void *msg, size_t len, const uint8_t pk[SEC_ED25519_PK_LEN]);

/* True if `pk` is a valid Ed25519 public key: a point on the curve, in the
 * prime-order subgroup, not of small order. A random 32-byte string is
 * usually not. */
bool sec_ed25519_pk_is_valid(const uint8_t pk[SEC_ED25519_PK_LEN]);

#endif /* VX6_LIB_SECURE_H */
