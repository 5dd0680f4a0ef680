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
	uint8_t tmp[256];

	if (out_len > sizeof(tmp) || strlen(in) != HEX_LEN(out_len))
		return -EINVAL;
	for (size_t i = 0; i < out_len; i++) {
		int hi = hex_val(in[2 * i]), lo = hex_val(in[2 * i + 1]);

		if (hi < 0 || lo < 0)
			return -EINVAL;
		tmp[i] = (uint8_t)(hi << 4 | lo);
	}
	memcpy(out, tmp, out_len);
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
	uint8_t tmp[256];
	size_t n = 0;
	unsigned bits = 0;
	uint32_t acc = 0;

	if (out_len > sizeof(tmp) || strlen(in) != BASE32_LEN(out_len))
		return -EINVAL;
	for (const char *c = in; *c; c++) {
		int v = b32_val(*c);

		if (v < 0)
			return -EINVAL;
		acc = (acc << 5) | (uint32_t)v;
		bits += 5;
		if (bits >= 8) {
			bits -= 8;
			tmp[n++] = (uint8_t)(acc >> bits);
		}
	}
	/* Canonical form: the bits that pad the last character are zero. */
	if (acc & ((1u << bits) - 1))
		return -EINVAL;
	memcpy(out, tmp, out_len);
	return 0;
}
