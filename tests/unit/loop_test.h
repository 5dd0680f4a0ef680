/* tests/unit/loop_test.h - driving one event loop until a condition holds
 * or time is up, for the transport tests (transport_test.h, test_udp.c).
 * Include after defining `struct fixture` with a member `struct event_base
 * *base`, and WAIT_MS, the longest a run_until() waits.
 */
#ifndef VX6_TESTS_UNIT_LOOP_TEST_H
#define VX6_TESTS_UNIT_LOOP_TEST_H

#include <stdbool.h>
#include <stdint.h>

#include <event2/event.h>

#include "lib/clock.h"

/* Run the loop until `done` or WAIT_MS; return whether `done` held. */
static inline bool run_until(struct fixture *f, bool (*done)(const struct fixture *))
{
	uint64_t deadline = clock_mono_ms() + WAIT_MS;

	while (!done(f)) {
		if (clock_mono_ms() > deadline)
			return false;
		event_base_loop(f->base, EVLOOP_ONCE);
	}
	return true;
}

static inline void run_for(struct fixture *f, unsigned ms)
{
	uint64_t until = clock_mono_ms() + ms;

	while (clock_mono_ms() < until)
		event_base_loop(f->base, EVLOOP_ONCE);
}

#endif /* VX6_TESTS_UNIT_LOOP_TEST_H */
