/* cli/http_response.c - total parser for admin API responses (RFC 9112 §4,
 * §5, §6, §7.1; see http_response.h for what is accepted).
 *
 * Framing is where HTTP parsers go wrong, so the rules are the strict ones:
 * a field name is a token with the colon right after it, Content-Length is
 * plain digits and must match the bytes present, Content-Length together
 * with Transfer-Encoding (a smuggling vector) is refused, and chunk sizes
 * are bounded hex checked against the bytes that are actually there. The
 * body buffer is sized by the bytes received, never by a declared length.
 */
#include "cli/http_response.h"

#include <errno.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "cli/text.h"

#define QUOTE_LEN 96 /* offending bytes quoted in a reason, at most */

struct parser {
	const uint8_t *p; /* next unread byte */
	size_t left;	  /* unread bytes */
	char *err;
	size_t err_cap;
};

/* The framing a response head announced. */
struct head {
	int status;
	int minor; /* HTTP/1.<minor> */
	char reason[HTTP_REASON_MAX + 1];
	bool has_len;
	size_t content_len;
	bool has_te; /* Transfer-Encoding: chunked (the only one accepted) */
};

static int bad(struct parser *ps, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

static int bad(struct parser *ps, const char *fmt, ...)
{
	va_list ap;

	if (ps->err && ps->err_cap) {
		va_start(ap, fmt);
		vsnprintf(ps->err, ps->err_cap, fmt, ap);
		va_end(ap);
	}
	return -EBADMSG;
}

static const char *quote(char q[QUOTE_LEN], const uint8_t *s, size_t n)
{
	return cli_escape(q, QUOTE_LEN, s, n);
}

static bool is_digit(uint8_t c)
{
	return c >= '0' && c <= '9';
}

static int hex_value(uint8_t c)
{
	if (is_digit(c))
		return c - '0';
	if (c >= 'a' && c <= 'f')
		return c - 'a' + 10;
	if (c >= 'A' && c <= 'F')
		return c - 'A' + 10;
	return -1;
}

/* tchar (RFC 9110 §5.6.2). */
static bool is_tchar(uint8_t c)
{
	if (is_digit(c) || (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z'))
		return true;
	return c && strchr("!#$%&'*+-.^_`|~", c);
}

/* field-vchar / SP / HTAB / obs-text: anything but control characters. */
static bool is_text(uint8_t c)
{
	return c == '\t' || (c >= 0x20 && c != 0x7f);
}

static bool is_ws(uint8_t c)
{
	return c == ' ' || c == '\t';
}

/* Take the next CRLF-terminated line, without its CRLF. `what` names the
 * line in errors. Bare CR, bare LF and NUL are refused anywhere. */
static int next_line(struct parser *ps, const char *what, const uint8_t **out_line, size_t *out_len)
{
	const uint8_t *p = ps->p;

	for (size_t i = 0; i < ps->left; i++) {
		if (i > HTTP_LINE_MAX)
			return bad(ps, "%s is longer than %d bytes", what, HTTP_LINE_MAX);
		if (p[i] == '\n')
			return bad(ps, "bare LF in %s", what);
		if (p[i] == '\0')
			return bad(ps, "NUL byte in %s", what);
		if (p[i] != '\r')
			continue;
		if (i + 1 == ps->left)
			break;
		if (p[i + 1] != '\n')
			return bad(ps, "bare CR in %s", what);
		*out_line = p;
		*out_len = i;
		ps->p += i + 2;
		ps->left -= i + 2;
		return 0;
	}
	return bad(ps, "the response ends inside %s", what);
}

/* "HTTP/1.<d> NNN[ reason]" (RFC 9112 §4). A missing reason (and its SP) is
 * tolerated, as RFC 9112 asks of clients. */
static int parse_status_line(struct parser *ps, struct head *h)
{
	const uint8_t *l;
	char q[QUOTE_LEN];
	size_t n, keep;
	int r;

	r = next_line(ps, "the status line", &l, &n);
	if (r < 0)
		return r;
	if (n < 12 || memcmp(l, "HTTP/1.", 7) != 0 || !is_digit(l[7]) || l[8] != ' ' ||
	    !is_digit(l[9]) || !is_digit(l[10]) || !is_digit(l[11]) || (n > 12 && l[12] != ' '))
		return bad(ps, "bad status line '%s'", quote(q, l, n));
	h->minor = l[7] - '0';
	h->status = (l[9] - '0') * 100 + (l[10] - '0') * 10 + (l[11] - '0');
	if (h->status < 100 || h->status > 599)
		return bad(ps, "status code '%s' is not in 100..599", quote(q, l + 9, 3));
	for (size_t i = 13; i < n; i++) {
		if (!is_text(l[i]))
			return bad(ps, "control character in the reason phrase '%s'",
				   quote(q, l + 13, n - 13));
	}
	keep = n > 13 ? n - 13 : 0;
	if (keep > HTTP_REASON_MAX)
		keep = HTTP_REASON_MAX;
	memcpy(h->reason, l + 13, keep);
	h->reason[keep] = '\0';
	return 0;
}

static int parse_content_length(struct parser *ps, struct head *h, const uint8_t *v, size_t n)
{
	char q[QUOTE_LEN];
	size_t val = 0;

	if (h->has_len)
		return bad(ps, "more than one Content-Length field");
	if (n == 0)
		return bad(ps, "empty Content-Length");
	for (size_t i = 0; i < n; i++) {
		if (!is_digit(v[i]))
			return bad(ps, "Content-Length '%s' is not a decimal number",
				   quote(q, v, n));
		val = val * 10 + (size_t)(v[i] - '0');
		if (val > HTTP_RESPONSE_MAX_LEN) /* also keeps val*10 from overflowing */
			return bad(ps, "Content-Length '%s' is over the %u-byte cap",
				   quote(q, v, n), HTTP_RESPONSE_MAX_LEN);
	}
	h->has_len = true;
	h->content_len = val;
	return 0;
}

static int parse_transfer_encoding(struct parser *ps, struct head *h, const uint8_t *v, size_t n)
{
	char q[QUOTE_LEN];

	if (h->has_te)
		return bad(ps, "more than one Transfer-Encoding field");
	if (n != 7 || strncasecmp((const char *)v, "chunked", 7) != 0)
		return bad(ps, "unsupported Transfer-Encoding '%s'", quote(q, v, n));
	h->has_te = true;
	return 0;
}

/* One "name: value" line (RFC 9112 §5). `h` is NULL for trailer fields,
 * whose values are checked but not used. */
static int parse_field(struct parser *ps, struct head *h, const uint8_t *l, size_t n)
{
	const uint8_t *v;
	char q[QUOTE_LEN];
	size_t name_len = 0, vn;

	if (is_ws(l[0]))
		return bad(ps, "folded or indented header line '%s'", quote(q, l, n));
	while (name_len < n && is_tchar(l[name_len]))
		name_len++;
	if (name_len == 0 || name_len == n || l[name_len] != ':')
		return bad(ps, "bad header field '%s'", quote(q, l, n));
	v = l + name_len + 1;
	vn = n - name_len - 1;
	while (vn > 0 && is_ws(v[0])) {
		v++;
		vn--;
	}
	while (vn > 0 && is_ws(v[vn - 1]))
		vn--;
	for (size_t i = 0; i < vn; i++) {
		if (!is_text(v[i]))
			return bad(ps, "control character in header field '%s'", quote(q, l, n));
	}
	if (!h)
		return 0;
	if (name_len == 14 && strncasecmp((const char *)l, "Content-Length", 14) == 0)
		return parse_content_length(ps, h, v, vn);
	if (name_len == 17 && strncasecmp((const char *)l, "Transfer-Encoding", 17) == 0)
		return parse_transfer_encoding(ps, h, v, vn);
	return 0;
}

/* Header or trailer fields up to and including the empty line. */
static int parse_fields(struct parser *ps, struct head *h)
{
	const char *what = h ? "a header field" : "a trailer field";
	unsigned count = 0;
	const uint8_t *l;
	size_t n;
	int r;

	for (;;) {
		r = next_line(ps, what, &l, &n);
		if (r < 0)
			return r;
		if (n == 0)
			return 0;
		if (++count > HTTP_FIELDS_MAX)
			return bad(ps, "more than %d %s fields", HTTP_FIELDS_MAX,
				   h ? "header" : "trailer");
		r = parse_field(ps, h, l, n);
		if (r < 0)
			return r;
	}
}

static int parse_head(struct parser *ps, struct head *h)
{
	int r;

	memset(h, 0, sizeof(*h));
	r = parse_status_line(ps, h);
	if (r < 0)
		return r;
	r = parse_fields(ps, h);
	if (r < 0)
		return r;
	if (h->has_te && h->has_len)
		return bad(ps, "both Content-Length and Transfer-Encoding are present");
	if (h->has_te && h->minor == 0)
		return bad(ps, "Transfer-Encoding in an HTTP/1.0 response");
	return 0;
}

/* chunk-size [ BWS ";" chunk-ext ] CRLF (RFC 9112 §7.1). Extensions are
 * checked for control characters and otherwise ignored. */
static int parse_chunk_size(struct parser *ps, size_t *out_size)
{
	const uint8_t *l;
	char q[QUOTE_LEN];
	size_t n, i, j, size = 0;
	int r;

	r = next_line(ps, "a chunk size line", &l, &n);
	if (r < 0)
		return r;
	for (i = 0; i < n && hex_value(l[i]) >= 0; i++) {
		if (i == HTTP_CHUNK_DIGITS_MAX)
			return bad(ps, "chunk size '%s' has more than %d digits", quote(q, l, n),
				   HTTP_CHUNK_DIGITS_MAX);
		size = size * 16 + (size_t)hex_value(l[i]);
		if (size > HTTP_RESPONSE_MAX_LEN) /* keeps size*16 from overflowing */
			return bad(ps, "chunk size '%s' is over the %u-byte cap", quote(q, l, n),
				   HTTP_RESPONSE_MAX_LEN);
	}
	for (j = i; j < n && is_ws(l[j]); j++)
		;
	if (i == 0 || (i < n && (j == n || l[j] != ';')))
		return bad(ps, "bad chunk size line '%s'", quote(q, l, n));
	for (; j < n; j++) {
		if (!is_text(l[j]))
			return bad(ps, "control character in chunk extension '%s'", quote(q, l, n));
	}
	*out_size = size;
	return 0;
}

/* Decode chunks into `body`, which has room for every byte left. */
static int decode_chunked(struct parser *ps, uint8_t *body, size_t *out_len)
{
	size_t size = 0, len = 0;
	int r;

	for (;;) {
		r = parse_chunk_size(ps, &size);
		if (r < 0)
			return r;
		if (size == 0)
			break;
		if (size > ps->left)
			return bad(ps, "chunk of %zu bytes, but only %zu bytes follow", size,
				   ps->left);
		memcpy(body + len, ps->p, size);
		len += size;
		ps->p += size;
		ps->left -= size;
		if (ps->left < 2 || ps->p[0] != '\r' || ps->p[1] != '\n')
			return bad(ps, "chunk data is not followed by CRLF");
		ps->p += 2;
		ps->left -= 2;
	}
	r = parse_fields(ps, NULL);
	if (r < 0)
		return r;
	if (ps->left)
		return bad(ps, "%zu bytes after the last chunk", ps->left);
	*out_len = len;
	return 0;
}

static int parse_body(struct parser *ps, const struct head *h, struct http_response *out)
{
	uint8_t *body = malloc(ps->left + 1);
	size_t len = 0;
	int r = 0;

	if (!body)
		return -ENOMEM;
	if (h->status == 204 || h->status == 304) {
		if (ps->left)
			r = bad(ps, "%zu bytes after a %d response, which has no body", ps->left,
				h->status);
	} else if (h->has_te) {
		r = decode_chunked(ps, body, &len);
	} else if (h->has_len && h->content_len != ps->left) {
		r = bad(ps, "Content-Length is %zu, but %zu body bytes follow", h->content_len,
			ps->left);
	} else {
		len = ps->left; /* Content-Length matched, or read to close */
		memcpy(body, ps->p, len);
	}
	if (r < 0) {
		free(body);
		return r;
	}
	body[len] = '\0';
	out->status = h->status;
	memcpy(out->reason, h->reason, sizeof(out->reason));
	out->body = body;
	out->body_len = len;
	return 0;
}

int http_response_parse(const uint8_t *buf, size_t len, struct http_response *out, char *err,
			size_t err_cap)
{
	struct parser ps = {.p = buf, .left = len, .err = err, .err_cap = err_cap};
	struct head h;
	int r;

	if (len > HTTP_RESPONSE_MAX_LEN)
		return bad(&ps, "response of %zu bytes is over the %u-byte cap", len,
			   HTTP_RESPONSE_MAX_LEN);
	for (int interim = 0;; interim++) {
		r = parse_head(&ps, &h);
		if (r < 0)
			return r;
		if (h.status >= 200)
			break;
		if (h.status == 101)
			return bad(&ps, "unexpected 101 Switching Protocols");
		if (interim == HTTP_INTERIM_MAX)
			return bad(&ps, "more than %d interim (1xx) responses", HTTP_INTERIM_MAX);
	}
	r = parse_body(&ps, &h, out);
	if (r == -ENOMEM)
		cli_errf(err, err_cap, "out of memory");
	return r;
}

void http_response_clear(struct http_response *r)
{
	free(r->body);
	memset(r, 0, sizeof(*r));
}
