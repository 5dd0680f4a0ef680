/* cli/text.c - escaping of untrusted text for messages (see text.h). */
#include "cli/text.h"

#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>

/* Write the escaped form of `c` into `tmp` and return its length. */
static size_t escape_byte(char tmp[5], uint8_t c)
{
	static const char hex[] = "0123456789abcdef";

	if (c == '\\') {
		tmp[0] = '\\';
		tmp[1] = '\\';
		return 2;
	}
	if (c >= 0x20 && c < 0x7f) {
		tmp[0] = (char)c;
		return 1;
	}
	tmp[0] = '\\';
	tmp[1] = 'x';
	tmp[2] = hex[c >> 4];
	tmp[3] = hex[c & 15];
	return 4;
}

const char *cli_escape(char *out, size_t cap, const void *s, size_t len)
{
	const uint8_t *p = s;
	size_t used = 0;

	/* Room for the "..." marker and the NUL is kept back from the start,
	 * so a cut never needs to step back over an escape. */
	for (size_t i = 0; i < len; i++) {
		char tmp[5];
		size_t n = escape_byte(tmp, p[i]);
		if (used + n + 4 > cap) {
			memcpy(out + used, "...", 4);
			return out;
		}
		memcpy(out + used, tmp, n);
		used += n;
	}
	out[used] = '\0';
	return out;
}

const char *cli_escape_str(char *out, size_t cap, const char *s)
{
	if (!s)
		s = "(null)";
	return cli_escape(out, cap, s, strlen(s));
}

void cli_errf(char *err, size_t cap, const char *fmt, ...)
{
	va_list ap;

	if (!err || cap == 0)
		return;
	va_start(ap, fmt);
	vsnprintf(err, cap, fmt, ap);
	va_end(ap);
}
