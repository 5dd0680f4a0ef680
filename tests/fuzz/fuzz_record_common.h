/* tests/fuzz/fuzz_record_common.h - what the signed record harnesses
 * (fuzz_record.c, fuzz_service_record.c) share: libsodium set up once per
 * process, and the canonical-encoding property that signatures depend on,
 * which aborts when an accepted input does not re-encode to exactly its own
 * bytes. Header-only, so each harness stays one translation unit.
 */
#ifndef VX6_TESTS_FUZZ_RECORD_COMMON_H
#define VX6_TESTS_FUZZ_RECORD_COMMON_H

#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "lib/secure.h"

#define FUZZ_RECORD_NOW 1700000000u /* the clock verify() runs at */

static inline void fuzz_sec_init_once(void)
{
	static int inited;

	if (!inited) {
		if (sec_init() < 0)
			abort();
		inited = 1;
	}
}

/* `rc` and `again`/`n`: the re-encoding of what `data`/`len` decoded to. */
static inline void fuzz_check_canonical(int rc, const uint8_t *again, size_t n, const uint8_t *data,
					size_t len)
{
	if (rc < 0 || n != len || memcmp(again, data, len) != 0)
		abort();
}

#endif /* VX6_TESTS_FUZZ_RECORD_COMMON_H */
