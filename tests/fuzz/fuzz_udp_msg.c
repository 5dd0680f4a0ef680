/* tests/fuzz/fuzz_udp_msg.c - the UDP link message decoder and the
 * handshake payload decoders (transport/udp_wire.c, docs/wire.md §3.9).
 * The first input byte picks the decoder. Properties: no crash or
 * out-of-bounds read; canonical encoding: whatever decodes re-encodes to
 * exactly the same bytes; the body of a decoded message lies inside the
 * input at its end; and DATA/CLOSE headers written by the hot-path helper
 * equal the generic encoder's. */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "transport/udp_wire.h"

static void check_msg(const uint8_t *in, size_t len)
{
	static uint8_t again[UDP_DATA_HDR_LEN + 65536];
	uint8_t hdr[UDP_DATA_HDR_LEN];
	struct udp_msg m;
	size_t n;

	if (udp_msg_decode(&m, in, len) < 0)
		return;
	if (m.body != in + len - m.body_len)
		abort();
	if (udp_msg_encode(&m, again, sizeof(again), &n) < 0 || n != len || memcmp(again, in, len))
		abort();
	if (m.type == UDP_MSG_DATA || m.type == UDP_MSG_CLOSE) {
		udp_data_header_put(hdr, m.type, m.receiver, m.counter);
		if (memcmp(hdr, in, sizeof(hdr)))
			abort();
	}
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t len)
{
	uint8_t again[UDP_INIT_PAYLOAD_LEN], token[UDP_RESET_TOKEN_LEN];
	struct udp_init_payload ip;

	if (len < 1)
		return 0;
	switch (data[0] % 3) {
	case 0:
		check_msg(data + 1, len - 1);
		break;
	case 1:
		if (udp_init_payload_decode(&ip, data + 1, len - 1) < 0)
			return 0;
		udp_init_payload_encode(&ip, again);
		if (len - 1 != UDP_INIT_PAYLOAD_LEN || memcmp(again, data + 1, UDP_INIT_PAYLOAD_LEN))
			abort();
		break;
	default:
		if (udp_resp_payload_decode(token, data + 1, len - 1) < 0)
			return 0;
		udp_resp_payload_encode(token, again);
		if (len - 1 != UDP_RESP_PAYLOAD_LEN || memcmp(again, data + 1, UDP_RESP_PAYLOAD_LEN))
			abort();
		break;
	}
	return 0;
}
