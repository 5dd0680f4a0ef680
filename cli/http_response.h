/* cli/http_response.h - a total parser for the HTTP/1.1 responses vx6d's
 * admin API sends (RFC 9112), fed the complete bytes read up to the close.
 *
 * The bytes come from a socket, so they are untrusted: every rule is
 * checked, every count capped, and any violation rejects the whole
 * response with a reason. Accepted: "HTTP/1.<digit> NNN reason" (100..599),
 * interim 1xx responses (skipped), at most HTTP_FIELDS_MAX header fields of
 * at most HTTP_LINE_MAX bytes each, CRLF line ends only (no bare CR or LF,
 * no NUL, no obs-fold), and one framing: Content-Length (digits only, equal
 * to the bytes present), chunked Transfer-Encoding (strict hex sizes, no
 * trailing bytes after the last chunk), or the rest of the input.
 */
#ifndef VX6_CLI_HTTP_RESPONSE_H
#define VX6_CLI_HTTP_RESPONSE_H

#include <stddef.h>
#include <stdint.h>

#define HTTP_RESPONSE_MAX_LEN (1024u * 1024) /* whole response, head included */
#define HTTP_LINE_MAX	      8192	     /* bytes of one line, without CRLF */
#define HTTP_FIELDS_MAX	      64	     /* header (or trailer) fields */
#define HTTP_INTERIM_MAX      8		     /* 1xx responses before the final one */
#define HTTP_CHUNK_DIGITS_MAX 16	     /* hex digits of one chunk size */
#define HTTP_REASON_MAX	      63	     /* stored reason phrase, cut beyond */

struct http_response {
	int status;			  /* 200..599 */
	char reason[HTTP_REASON_MAX + 1]; /* printable, may be cut */
	uint8_t *body;			  /* owned, NUL-terminated; free with _clear() */
	size_t body_len;		  /* without the NUL; <= the input length */
};

/* Parse the complete response in `buf` (`len` bytes, borrowed). On success
 * fill *out (the caller owns out->body and calls http_response_clear()) and
 * return 0. Otherwise write a one-line reason, quoting the offending bytes
 * escaped, into `err` (`err_cap` bytes) and return -EBADMSG (malformed,
 * truncated or over a cap) or -ENOMEM. *out is written only on success. */
int http_response_parse(const uint8_t *buf, size_t len, struct http_response *out, char *err,
			size_t err_cap);

/* Free the body and zero *r. Safe on a zeroed or already cleared response. */
void http_response_clear(struct http_response *r);

#endif /* VX6_CLI_HTTP_RESPONSE_H */
