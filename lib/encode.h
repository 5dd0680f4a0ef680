/* lib/encode.h - hex and base32 (RFC 4648 §6, lowercase, no padding).
 *
 * Decoders are strict and canonical: they reject any character outside the
 * alphabet, a length that no input could produce, and (base32) non-zero
 * trailing bits, so decode(s) succeeds only if encode() would give back s.
 */
#ifndef VX6_LIB_ENCODE_H
#define VX6_LIB_ENCODE_H

#include <stddef.h>
#include <stdint.h>

/* Characters needed for the encoding of `n` bytes, without the NUL. */
#define HEX_LEN(n)    ((n) * 2)
#define BASE32_LEN(n) (((n) * 8 + 4) / 5)

/* Write the lowercase hex of `in` and a NUL into `out` (`out_cap` bytes,
 * at least HEX_LEN(in_len) + 1). Return the length written or -ENOSPC. */
int hex_encode(char *out, size_t out_cap, const uint8_t *in, size_t in_len);

/* Decode exactly `out_len` bytes from the NUL-terminated `in` (upper or
 * lower case). Return 0, or -EINVAL if `in` is not exactly that much hex.
 * `out` is written only on success. */
int hex_decode(uint8_t *out, size_t out_len, const char *in);

/* Like hex_encode, RFC 4648 base32 alphabet in lowercase, no padding. */
int base32_encode(char *out, size_t out_cap, const uint8_t *in, size_t in_len);

/* Decode exactly `out_len` bytes from `in` (lowercase or uppercase). Return
 * 0 or -EINVAL (bad character, wrong length, non-zero trailing bits). */
int base32_decode(uint8_t *out, size_t out_len, const char *in);

#endif /* VX6_LIB_ENCODE_H */
