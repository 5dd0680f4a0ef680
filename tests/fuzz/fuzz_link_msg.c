/* tests/fuzz/fuzz_link_msg.c - link control messages and the bench stream
 * header (transport/link_msg.c, docs/wire.md §4). Properties: no crash, and
 * a message that decodes re-encodes to the same bytes. */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "transport/link_msg.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t len)
{
	uint8_t again[LINK_MSG_HDR_LEN + LINK_MSG_PAD_MAX], hdr[LINK_BENCH_HDR_LEN];
	struct link_msg m;
	uint64_t n;
	int r;

	if (len == LINK_BENCH_HDR_LEN && link_bench_hdr_decode(data, &n) == 0) {
		link_bench_hdr_encode(hdr, n);
		if (memcmp(hdr, data, sizeof(hdr)))
			abort();
	}
	if (link_msg_is_packet(data, len) || link_msg_decode(&m, data, len) < 0)
		return 0;
	r = link_msg_encode(&m, again, sizeof(again));
	if (r < 0 || (size_t)r != len || memcmp(again, data, len))
		abort();
	return 0;
}
