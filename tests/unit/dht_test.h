/* tests/unit/dht_test.h - what the DHT engine tests (test_dht.c,
 * test_dht_solo.c) share: the fixed wall clock WALL, a deterministic
 * xorshift generator, and `struct node`, one test node's keys and contact
 * plus, on the in-memory network, its engine and its last lookup result.
 * Include after cmocka.h.
 */
#ifndef VX6_TESTS_UNIT_DHT_TEST_H
#define VX6_TESTS_UNIT_DHT_TEST_H

#include <stdbool.h>
#include <stdint.h>

#include "discovery/dht_internal.h"

#define WALL 1700000000u

/* Every test binary starts from this state, so every run draws the same
 * numbers. */
static uint64_t rng_state = 88172645463325252ull;

static inline uint64_t rnd(void)
{
	rng_state ^= rng_state << 13;
	rng_state ^= rng_state >> 7;
	rng_state ^= rng_state << 17;
	return rng_state;
}

struct net;

/* A node of test_dht.c's in-memory network. test_dht_solo.c uses only `sk`
 * and `c`, for the engine under test and the peers it scripts. */
struct node {
	struct net *net;
	unsigned idx;
	bool dead;
	uint8_t sk[64];
	struct dht_contact c;
	struct dht *dht;
	/* the last lookup result, copied */
	bool done;
	struct dht_lookup_result res;
	struct dht_contact closest[DHT_K_MAX];
	struct dht_value values[DHT_VALUES_MAX];
};

#endif /* VX6_TESTS_UNIT_DHT_TEST_H */
