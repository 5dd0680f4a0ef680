/* lib/encode.c - hex and base32 codecs (RFC 4648). Pure functions, no I/O. */
#include "lib/encode.h"

#include <errno.h>
#include <string.h>

static const char hex_digits[] = "0123456789abcdef";
static const char b32_alpha[] = "abcdefghijklmnopqrstuvwxyz234567";

int hex_encode(char *out, size_t out_cap, const uint8_t *in, size_t in_len)
{
	if (out_cap < HEX_LEN(in_len) + 1)
		return -ENOSPC;
	for (size_t i = 0; i < in_len; i++) {
		out[2 * i] = hex_digits[in[i] >> 4];
		out[2 * i + 1] = hex_digits[in[i] & 0xf];
	}
	out[HEX_LEN(in_len)] = '\0';
	return (int)HEX_LEN(in_len);
}

static int hex_val(char c)
{
	if (c >= '0' && c <= '9')
		return c - '0';
	if (c >= 'a' && c <= 'f')
		return c - 'a' + 10;
	if (c >= 'A' && c <= 'F')
		return c - 'A' + 10;
	return -1;
}

int hex_decode(uint8_t *out, size_t out_len, const char *in)
{
	if (strlen(in) != HEX_LEN(out_len))
		return -EINVAL;
	/* Validate everything first: `out` is written only on success. */
	for (size_t i = 0; i < HEX_LEN(out_len); i++) {
		if (hex_val(in[i]) < 0)
			return -EINVAL;
	}
	for (size_t i = 0; i < out_len; i++)
		out[i] = (uint8_t)(hex_val(in[2 * i]) << 4 | hex_val(in[2 * i + 1]));
	return 0;
}

int base32_encode(char *out, size_t out_cap, const uint8_t *in, size_t in_len)
{
	size_t n = 0;
	unsigned bits = 0;
	uint32_t acc = 0;

	if (out_cap < BASE32_LEN(in_len) + 1)
		return -ENOSPC;
	for (size_t i = 0; i < in_len; i++) {
		acc = (acc << 8) | in[i];
		bits += 8;
		while (bits >= 5) {
			bits -= 5;
			out[n++] = b32_alpha[(acc >> bits) & 31];
		}
	}
	if (bits > 0)
		out[n++] = b32_alpha[(acc << (5 - bits)) & 31];
	out[n] = '\0';
	return (int)n;
}

static int b32_val(char c)
{
	if (c >= 'a' && c <= 'z')
		return c - 'a';
	if (c >= 'A' && c <= 'Z')
		return c - 'A';
	if (c >= '2' && c <= '7')
		return c - '2' + 26;
	return -1;
}

int base32_decode(uint8_t *out, size_t out_len, const char *in)
{
	size_t len = strlen(in), n = 0;
	unsigned bits = 0, pad;
	uint32_t acc = 0;

	if (len != BASE32_LEN(out_len))
		return -EINVAL;
	/* Validate everything first: `out` is written only on success. */
	for (size_t i = 0; i < len; i++) {
		if (b32_val(in[i]) < 0)
			return -EINVAL;
	}
	/* Canonical form: the bits that pad the last character are zero. */
	pad = (unsigned)(len * 5 - out_len * 8);
	if (len > 0 && ((unsigned)b32_val(in[len - 1]) & ((1u << pad) - 1)))
		return -EINVAL;
	for (size_t i = 0; i < len; i++) {
		acc = (acc << 5) | (uint32_t)b32_val(in[i]);
		bits += 5;
		if (bits >= 8) {
			bits -= 8;
			out[n++] = (uint8_t)(acc >> bits);
		}
	}
	return 0;
}
