/* tests/unit/noise_test.h - short forms shared by the Noise unit tests:
 * handshake messages and transport ciphertexts read into one scratch
 * buffer, `sink`, whose length lands in `sink_len`.
 */
#ifndef VX6_TESTS_UNIT_NOISE_TEST_H
#define VX6_TESTS_UNIT_NOISE_TEST_H

#include <stdint.h>
#include <string.h>

#include "transport/noise.h"
#include "transport/noise_cipher.h"

/* Short forms for the failure tests: write with a string payload (NULL
 * for none) into `out`; read into a scratch buffer of `cap` bytes. */
static uint8_t sink[NOISE_MSG_MAX_LEN + 1];
static size_t sink_len;

static inline int wr(struct noise_handshake *hs, const char *pl, uint8_t *out, size_t cap,
		     size_t *len)
{
	return noise_handshake_write_message(hs, (const uint8_t *)pl, pl ? strlen(pl) : 0, out, cap,
					     len);
}

static inline int rd(struct noise_handshake *hs, const uint8_t *msg, size_t len, size_t cap)
{
	return noise_handshake_read_message(hs, msg, len, sink, cap, &sink_len);
}

static inline int enc(const struct noise_cipher *cs, uint64_t n, const char *ad, const char *pt,
		      uint8_t *out, size_t cap, size_t *len)
{
	return noise_cipher_encrypt(cs, n, (const uint8_t *)ad, ad ? strlen(ad) : 0,
				    (const uint8_t *)pt, strlen(pt), out, cap, len);
}

static inline int dec(const struct noise_cipher *cs, uint64_t n, const char *ad, const uint8_t *ct,
		      size_t len)
{
	return noise_cipher_decrypt(cs, n, (const uint8_t *)ad, ad ? strlen(ad) : 0, ct, len, sink,
				    sizeof(sink), &sink_len);
}

#endif /* VX6_TESTS_UNIT_NOISE_TEST_H */
