/* tests/fuzz/fuzz_http_response.c - the admin API response parser
 * (cli/http_response.c), fed whatever a hostile or broken vx6d could send.
 * Properties: no crash, no leak, no out-of-bounds read (ASan); a rejected
 * input leaves the output untouched and gives a reason; an accepted one has
 * a final status in 200..599 and a NUL-terminated body no longer than the
 * input; and the body survives re-framing: the same status and body sent
 * with Content-Length, and again as chunks, parse back to the same thing.
 * Linked with -fsanitize=fuzzer when VX6_FUZZ=ON; otherwise with
 * replay_main.c, which ctest runs over corpus/http_response/.
 */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cli/http_response.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t len);

/* Frame `r` again, with Content-Length or as chunks of up to 7 bytes. */
static size_t reframe(uint8_t *out, const struct http_response *r, int chunked)
{
	size_t n, off = 0;

	if (!chunked)
		n = (size_t)sprintf((char *)out, "HTTP/1.1 %d R\r\nContent-Length: %zu\r\n\r\n",
				    r->status, r->body_len);
	else
		n = (size_t)sprintf(
		    (char *)out, "HTTP/1.1 %d R\r\nTransfer-Encoding: chunked\r\n\r\n", r->status);
	if (!chunked) {
		memcpy(out + n, r->body, r->body_len);
		return n + r->body_len;
	}
	while (off < r->body_len) {
		size_t c = r->body_len - off < 7 ? r->body_len - off : 7;

		n += (size_t)sprintf((char *)out + n, "%zx\r\n", c);
		memcpy(out + n, r->body + off, c);
		n += c;
		memcpy(out + n, "\r\n", 2);
		n += 2;
		off += c;
	}
	memcpy(out + n, "0\r\n\r\n", 5);
	return n + 5;
}

static void check_reframed(const struct http_response *r)
{
	/* chunking at 7 bytes costs at most 4 bytes per 7, plus the heads */
	size_t cap = r->body_len * 2 + 256, n;
	uint8_t *buf = malloc(cap);
	struct http_response again;
	char why[256];

	if (!buf)
		abort();
	for (int chunked = 0; chunked < 2; chunked++) {
		if (r->status == 204 || r->status == 304)
			chunked = 2; /* no body to frame: the first pass covers it */
		n = reframe(buf, r, chunked & 1);
		if (n > HTTP_RESPONSE_MAX_LEN)
			break; /* the re-framed copy would be over the cap */
		if (http_response_parse(buf, n, &again, why, sizeof(why)) != 0 ||
		    again.status != r->status || again.body_len != r->body_len ||
		    memcmp(again.body, r->body, r->body_len) != 0)
			abort();
		http_response_clear(&again);
	}
	free(buf);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t len)
{
	struct http_response r = {.status = -1};
	char why[256] = "";

	if (http_response_parse(data, len, &r, why, sizeof(why)) < 0) {
		if (r.status != -1 || r.body || why[0] == '\0')
			abort(); /* output touched, or no reason given */
		return 0;
	}
	if (r.status < 200 || r.status > 599 || r.body_len > len || !r.body ||
	    r.body[r.body_len] != '\0')
		abort();
	check_reframed(&r);
	http_response_clear(&r);
	return 0;
}
