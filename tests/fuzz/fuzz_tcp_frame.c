/* tests/fuzz/fuzz_tcp_frame.c - the TCP link frame decoder and the
 * handshake payload decoders (transport/tcp_frame.c, docs/wire.md §3).
 * The first input byte picks the decoder. Properties: no crash or
 * out-of-bounds read, and canonical encoding: a frame that decodes
 * re-encodes (header + data) to the same bytes. */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "transport/tcp_frame.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t len)
{
	struct tcp_init_payload ip;
	struct tcp_frame f;
	uint8_t hdr[16], again[TCP_INIT_PAYLOAD_LEN];
	int n;

	if (len < 1)
		return 0;
	switch (data[0] % 3) {
	case 0:
		if (tcp_frame_decode(&f, data + 1, len - 1) < 0)
			return 0;
		n = tcp_frame_header(&f, hdr);
		if (n < 0 || (size_t)n + f.len != len - 1 || memcmp(hdr, data + 1, (size_t)n) ||
		    (f.len && f.data != data + 1 + n))
			abort();
		break;
	case 1:
		if (tcp_init_payload_decode(&ip, data + 1, len - 1) < 0)
			return 0;
		tcp_init_payload_encode(&ip, again);
		if (len - 1 != sizeof(again) || memcmp(again, data + 1, sizeof(again)))
			abort();
		break;
	default:
		if (tcp_resp_payload_decode(data + 1, len - 1) == 0 && len - 1 != TCP_RESP_PAYLOAD_LEN)
			abort();
		break;
	}
	return 0;
}
