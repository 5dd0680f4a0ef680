/* tests/fuzz/fuzz_dht_msg.c - discovery message decoder (docs/wire.md §6).
 * Properties: no crash, no leak, no out-of-bounds read (ASan); canonical
 * encoding: any input that decodes re-encodes to exactly the same bytes;
 * and the caps hold on whatever decodes. Linked with -fsanitize=fuzzer
 * when VX6_FUZZ=ON; otherwise with replay_main.c, which ctest runs over
 * corpus/dht_msg/.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "discovery/dht_msg.h"
#include "lib/secure.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t len);

static void check_caps(const struct dht_msg *m)
{
	if (m->sender.n_ep > DHT_CONTACT_EP_MAX)
		abort();
	switch (m->type) {
	case DHT_MSG_NODES:
		if (m->u.nodes.n > DHT_K_MAX)
			abort();
		break;
	case DHT_MSG_VALUE:
	case DHT_MSG_RECORDS:
	case DHT_MSG_STORE:
		if (m->u.values.n == 0 || m->u.values.n > DHT_VALUES_MAX ||
		    (m->type == DHT_MSG_STORE && m->u.values.n != 1))
			abort();
		for (unsigned i = 0; i < m->u.values.n; i++) {
			if (m->u.values.v[i].len > DHT_VALUE_MAX_LEN)
				abort();
		}
		break;
	case DHT_MSG_DIGEST:
		if (m->u.digest.n > DHT_DIGEST_MAX)
			abort();
		break;
	case DHT_MSG_WANT:
		if (m->u.want.n == 0 || m->u.want.n > DHT_WANT_MAX)
			abort();
		break;
	default:
		break;
	}
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t len)
{
	static uint8_t again[DHT_MSG_MAX_LEN];
	static struct dht_msg m;
	static int inited;
	size_t n = 0;

	if (!inited) {
		if (sec_init() < 0)
			abort();
		inited = 1;
	}
	if (dht_msg_decode(&m, data, len) < 0)
		return 0;
	check_caps(&m);
	if (dht_msg_encode(&m, again, sizeof(again), &n) < 0 || n != len ||
	    memcmp(again, data, len) != 0)
		abort();
	return 0;
}
