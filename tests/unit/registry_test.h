/* tests/unit/registry_test.h - keys, record builders and checks shared by
 * the registry tests (test_registry.c, test_registry_sync.c). Include after
 * cmocka.h. Every record is signed with one of KEYS fixed test keys.
 */
#ifndef VX6_TESTS_REGISTRY_TEST_H
#define VX6_TESTS_REGISTRY_TEST_H

#include <arpa/inet.h>
#include <stdio.h>
#include <string.h>

#include "discovery/registry_internal.h"
#include "lib/secure.h"

#define NOW  1700000000u
#define KEYS 160

static uint8_t sk[KEYS][64], pk[KEYS][32];

static inline void keys_init(void)
{
	for (unsigned i = 0; i < KEYS; i++) {
		uint8_t seed[32] = {0};

		seed[0] = (uint8_t)i;
		seed[1] = 0xec;
		sec_ed25519_from_seed(pk[i], sk[i], seed);
	}
}

static inline size_t node_rec(unsigned k, uint64_t seq, uint64_t issued, uint64_t expires,
			      unsigned n_ep, uint8_t *buf)
{
	struct node_record r = {0};
	size_t len;

	memcpy(r.pk, pk[k], 32);
	r.seq = seq;
	r.issued = issued;
	r.expires = expires;
	snprintf(r.name, sizeof(r.name), "node%u", k);
	r.n_endpoints = (uint8_t)n_ep;
	for (unsigned i = 0; i < n_ep; i++) {
		inet_pton(AF_INET6, "2001:db8::1", &r.ep[i].addr);
		r.ep[i].addr.s6_addr[15] = (uint8_t)i;
		r.ep[i].port = (uint16_t)(1000 + i);
		r.ep[i].transport = RECORD_TRANSPORT_TCP;
	}
	assert_int_equal(node_record_sign(&r, sk[k]), 0);
	assert_int_equal(node_record_encode(&r, buf, NODE_RECORD_MAX_LEN, &len), 0);
	return len;
}

static inline size_t node_simple(unsigned k, uint64_t seq, uint8_t *buf)
{
	return node_rec(k, seq, NOW, NOW + 3600, 1, buf);
}

static inline size_t svc_rec(unsigned k, const char *name, uint8_t vis, uint64_t seq, uint8_t *buf)
{
	struct service_record r = {0};
	size_t len;

	memcpy(r.pk, pk[k], 32);
	r.seq = seq;
	r.issued = NOW;
	r.expires = NOW + 3600;
	r.visibility = vis;
	snprintf(r.name, sizeof(r.name), "%s", name);
	assert_int_equal(service_record_sign(&r, sk[k]), 0);
	assert_int_equal(service_record_encode(&r, buf, SERVICE_RECORD_MAX_LEN, &len), 0);
	return len;
}

static inline struct node_id id_of(unsigned k)
{
	struct node_id id;

	node_id_from_pubkey(&id, pk[k]);
	return id;
}

/* A pointer to node k's ID, valid for the next three calls. */
static inline const struct node_id *idp(unsigned k)
{
	static struct node_id ring[4];
	static unsigned at;

	ring[at % 4] = id_of(k);
	return &ring[at++ % 4];
}

static inline struct registry *reg_new(unsigned nodes, unsigned services, unsigned aliases)
{
	struct registry_limits lim = {nodes, services, aliases};
	struct registry *reg;

	assert_int_equal(registry_new(&lim, &reg), 0);
	return reg;
}

/* Two registries hold the same thing: every page of both kinds equal. */
static inline void assert_same(const struct registry *a, const struct registry *b)
{
	for (uint8_t kind = DHT_SYNC_NODES; kind <= DHT_SYNC_SERVICES; kind++) {
		struct dht_digest da, db;
		struct dht_sync_key cursor;
		bool first = true;

		do {
			assert_int_equal(
			    registry_digest(a, kind, first ? NULL : &cursor, NULL, &da), 0);
			assert_int_equal(
			    registry_digest(b, kind, first ? NULL : &cursor, NULL, &db), 0);
			assert_int_equal(da.n, db.n);
			assert_int_equal(da.flags, db.flags);
			assert_memory_equal(da.keys, db.keys, da.n * sizeof(da.keys[0]));
			assert_memory_equal(da.seq, db.seq, da.n * sizeof(da.seq[0]));
			if (da.n)
				cursor = da.keys[da.n - 1];
			first = false;
		} while (da.flags & DHT_DIGEST_F_MORE);
	}
}

#endif /* VX6_TESTS_REGISTRY_TEST_H */
