/* tests/fuzz/fuzz_service_wire.c - the service stream handshake (docs/wire.md
 * §7). The first input byte picks the decoder (even: OPEN, odd: ACCEPT); the
 * rest is the stream prefix. Properties: no crash or out-of-bounds read
 * (ASan), a result only when the message is whole, and the canonical round
 * trip: the bytes a decoded message used re-encode to exactly those bytes.
 * Replayed by ctest over corpus/service_wire/.
 */
#include <errno.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "routing/service_wire.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t len);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t len)
{
	uint8_t again[SVC_ACCEPT_MAX_LEN + SVC_OPEN_MAX_LEN];
	size_t used = 0, n = 0;
	int r;

	if (len < 1)
		return 0;
	if ((data[0] & 1) == 0) {
		struct svc_open m;

		r = svc_open_decode(&m, &used, data + 1, len - 1);
		if (r < 0)
			return 0;
		if (svc_open_encode(&m, again, sizeof(again), &n) < 0)
			abort();
	} else {
		struct svc_accept m;

		r = svc_accept_decode(&m, &used, data + 1, len - 1);
		if (r < 0)
			return 0;
		if (svc_accept_encode(&m, again, sizeof(again), &n) < 0)
			abort();
	}
	if (used > len - 1 || n != used || memcmp(again, data + 1, used) != 0)
		abort();
	return 0;
}
