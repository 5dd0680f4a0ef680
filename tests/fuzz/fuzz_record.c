/* tests/fuzz/fuzz_record.c - node record decoder (docs/wire.md §2).
 * Properties: no crash, no leak, no out-of-bounds read (ASan), and the
 * canonical encoding that signatures depend on: any input that decodes
 * re-encodes to exactly the same bytes. Linked with -fsanitize=fuzzer when
 * VX6_FUZZ=ON; otherwise with replay_main.c, which ctest runs over
 * corpus/record/ (seeded by tests/vectors/gen_identity.py).
 */
#include <stdint.h>

#include "identity/record.h"

#include "fuzz_record_common.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t len);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t len)
{
	uint8_t again[NODE_RECORD_MAX_LEN];
	struct node_record rec;
	size_t n = 0;
	int rc;

	fuzz_sec_init_once();
	if (node_record_decode(&rec, data, len) < 0)
		return 0;
	rc = node_record_encode(&rec, again, sizeof(again), &n);
	fuzz_check_canonical(rc, again, n, data, len);
	/* Verification must cope with anything the decoder accepts. */
	(void)node_record_verify(&rec, FUZZ_RECORD_NOW);
	return 0;
}
