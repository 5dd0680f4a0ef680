/* tests/fuzz/fuzz_service_record.c - service record decoder (docs/wire.md
 * §5). Properties: no crash, no leak, no out-of-bounds read (ASan), and the
 * canonical encoding that signatures depend on: any input that decodes
 * re-encodes to exactly the same bytes. Linked with -fsanitize=fuzzer when
 * VX6_FUZZ=ON; otherwise with replay_main.c, which ctest runs over
 * corpus/service_record/.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "identity/service_record.h"
#include "lib/secure.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t len);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t len)
{
	uint8_t again[SERVICE_RECORD_MAX_LEN];
	struct service_record rec;
	size_t n = 0;
	static int inited;

	if (!inited) {
		if (sec_init() < 0)
			abort();
		inited = 1;
	}
	if (service_record_decode(&rec, data, len) < 0)
		return 0;
	if (!service_name_is_valid(rec.name))
		abort(); /* the decoder let through a name the rule refuses */
	if (service_record_encode(&rec, again, sizeof(again), &n) < 0 || n != len ||
	    memcmp(again, data, len) != 0)
		abort();
	/* Verification must cope with anything the decoder accepts. */
	(void)service_record_verify(&rec, 1700000000u);
	return 0;
}
