/* tests/fuzz/fuzz_service_record.c - service record decoder (docs/wire.md
 * §5). Properties: no crash, no leak, no out-of-bounds read (ASan), and the
 * canonical encoding that signatures depend on: any input that decodes
 * re-encodes to exactly the same bytes. Linked with -fsanitize=fuzzer when
 * VX6_FUZZ=ON; otherwise with replay_main.c, which ctest runs over
 * corpus/service_record/.
 */
#include <stdint.h>

#include "identity/service_record.h"

#include "fuzz_record_common.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t len);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t len)
{
	uint8_t again[SERVICE_RECORD_MAX_LEN];
	struct service_record rec;
	size_t n = 0;
	int rc;

	fuzz_sec_init_once();
	if (service_record_decode(&rec, data, len) < 0)
		return 0;
	if (!service_name_is_valid(rec.name))
		abort(); /* the decoder let through a name the rule refuses */
	rc = service_record_encode(&rec, again, sizeof(again), &n);
	fuzz_check_canonical(rc, again, n, data, len);
	/* Verification must cope with anything the decoder accepts. */
	(void)service_record_verify(&rec, FUZZ_RECORD_NOW);
	return 0;
}
