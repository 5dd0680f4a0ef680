/* lib/secure.c - libsodium wrappers (see secure.h). */
#include "lib/secure.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include <sodium.h>

int sec_init(void)
{
	return sodium_init() < 0 ? -EIO : 0;
}

void sec_random(void *buf, size_t len)
{
	randombytes_buf(buf, len);
}

uint32_t sec_random_uniform(uint32_t upper)
{
	return randombytes_uniform(upper);
}

void sec_wipe(void *p, size_t len)
{
	sodium_memzero(p, len);
}

bool sec_equal(const void *a, const void *b, size_t len)
{
	return sodium_memcmp(a, b, len) == 0;
}

void sec_hash256(uint8_t out[SEC_HASH256_LEN], const char *label, const void *in, size_t len)
{
	crypto_generichash_blake2b_state st;

	crypto_generichash_blake2b_init(&st, NULL, 0, SEC_HASH256_LEN);
	if (label)
		crypto_generichash_blake2b_update(&st, (const uint8_t *)label, strlen(label));
	crypto_generichash_blake2b_update(&st, in, len);
	crypto_generichash_blake2b_final(&st, out, SEC_HASH256_LEN);
}

void sec_ed25519_from_seed(uint8_t pk[SEC_ED25519_PK_LEN], uint8_t sk[SEC_ED25519_SK_LEN],
			   const uint8_t seed[SEC_ED25519_SEED_LEN])
{
	crypto_sign_ed25519_seed_keypair(pk, sk, seed);
}

/* The signed message is label || msg, assembled in one buffer because
 * libsodium's detached Ed25519 takes a single message (Ed25519ph would
 * change the algorithm, which we do not want). */
static uint8_t *labelled(const char *label, const void *msg, size_t len, size_t *out_len)
{
	size_t ll = label ? strlen(label) : 0;
	uint8_t *buf = malloc(ll + len + 1);

	if (!buf)
		return NULL;
	if (ll)
		memcpy(buf, label, ll);
	if (len)
		memcpy(buf + ll, msg, len);
	*out_len = ll + len;
	return buf;
}

int sec_ed25519_sign(uint8_t sig[SEC_ED25519_SIG_LEN], const char *label, const void *msg,
		     size_t len, const uint8_t sk[SEC_ED25519_SK_LEN])
{
	size_t n;
	uint8_t *buf = labelled(label, msg, len, &n);

	if (!buf)
		return -ENOMEM;
	crypto_sign_ed25519_detached(sig, NULL, buf, n, sk);
	free(buf);
	return 0;
}

int sec_ed25519_verify(const uint8_t sig[SEC_ED25519_SIG_LEN], const char *label,
		       const void *msg, size_t len, const uint8_t pk[SEC_ED25519_PK_LEN])
{
	size_t n;
	uint8_t *buf = labelled(label, msg, len, &n);
	int r;

	if (!buf)
		return -ENOMEM;
	r = crypto_sign_ed25519_verify_detached(sig, buf, n, pk) == 0 ? 0 : -EBADMSG;
	free(buf);
	return r;
}

bool sec_ed25519_pk_is_valid(const uint8_t pk[SEC_ED25519_PK_LEN])
{
	uint8_t x[32];
	bool ok;

	/* libsodium's conversion refuses exactly the keys we refuse: not on
	 * the curve, small order, or outside the main subgroup. */
	ok = crypto_sign_ed25519_pk_to_curve25519(x, pk) == 0;
	sec_wipe(x, sizeof(x));
	return ok;
}
