/* transport/quic_cid.c - the table that routes a packet's destination
 * connection ID to its connection (quic_cid.h). Every CID we issue
 * (QUIC_CID_LEN bytes) and, on the server side, the client's initial DCID
 * are entered here; ngtcp2's remove_connection_id takes them out.
 *
 * The bucket index is SipHash-2-4 (libsodium crypto_shorthash) under a
 * per-transport random key: a client chooses its initial DCID freely, and
 * an unkeyed hash would let it pile entries into one chain. Entries are
 * capped per connection and in total, so the table cannot grow without
 * bound whatever peers do.
 */
#include "transport/quic_cid.h"

#include "transport/quic_internal.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include <sodium.h>

#include "lib/secure.h"

#define CID_TABLE_MAX ((size_t)QUIC_CONNS_MAX * QUIC_CIDS_PER_CONN_MAX)

static size_t bucket_of(const struct quic_cid_table *tab, const uint8_t *cid, size_t len)
{
	uint8_t h[crypto_shorthash_BYTES];
	uint64_t v = 0;

	crypto_shorthash(h, cid, len, tab->key);
	for (size_t i = 0; i < sizeof(v); i++)
		v = v << 8 | h[i];
	return (size_t)(v & (QUIC_CID_BUCKETS - 1));
}

static bool entry_is(const struct quic_cid_entry *e, const uint8_t *cid, size_t len)
{
	return e->len == len && memcmp(e->cid, cid, len) == 0;
}

int quic_cid_table_init(struct quic_cid_table *tab)
{
	memset(tab, 0, sizeof(*tab));
	tab->buckets = calloc(QUIC_CID_BUCKETS, sizeof(*tab->buckets));
	if (!tab->buckets)
		return -ENOMEM;
	sec_random(tab->key, sizeof(tab->key));
	return 0;
}

void quic_cid_table_clear(struct quic_cid_table *tab)
{
	if (!tab->buckets)
		return;
	for (size_t i = 0; i < QUIC_CID_BUCKETS; i++) {
		struct quic_cid_entry *e = tab->buckets[i], *next;

		for (; e; e = next) {
			next = e->next;
			free(e);
		}
	}
	free(tab->buckets);
	tab->buckets = NULL;
	tab->count = 0;
}

int quic_cid_add(struct quic_cid_table *tab, struct quic_conn *c, const uint8_t *cid, size_t len)
{
	struct quic_cid_entry *e;
	size_t b, owned = 0;

	if (len == 0 || len > NGTCP2_MAX_CIDLEN)
		return -EINVAL;
	if (quic_cid_find(tab, cid, len))
		return -EEXIST;
	for (e = c->cids; e; e = e->conn_next)
		owned++;
	if (owned >= QUIC_CIDS_PER_CONN_MAX || tab->count >= CID_TABLE_MAX)
		return -ENOSPC;
	e = calloc(1, sizeof(*e));
	if (!e)
		return -ENOMEM;
	e->c = c;
	e->len = (uint8_t)len;
	memcpy(e->cid, cid, len);
	b = bucket_of(tab, cid, len);
	e->next = tab->buckets[b];
	tab->buckets[b] = e;
	e->conn_next = c->cids;
	c->cids = e;
	tab->count++;
	return 0;
}

struct quic_conn *quic_cid_find(const struct quic_cid_table *tab, const uint8_t *cid, size_t len)
{
	const struct quic_cid_entry *e;

	if (len == 0 || len > NGTCP2_MAX_CIDLEN)
		return NULL;
	for (e = tab->buckets[bucket_of(tab, cid, len)]; e; e = e->next)
		if (entry_is(e, cid, len))
			return e->c;
	return NULL;
}

/* Unlink `victim` from its bucket and its owner's list, and free it. */
static void entry_drop(struct quic_cid_table *tab, struct quic_cid_entry *victim)
{
	struct quic_cid_entry **pp = &tab->buckets[bucket_of(tab, victim->cid, victim->len)];

	for (; *pp; pp = &(*pp)->next) {
		if (*pp == victim) {
			*pp = victim->next;
			break;
		}
	}
	for (pp = &victim->c->cids; *pp; pp = &(*pp)->conn_next) {
		if (*pp == victim) {
			*pp = victim->conn_next;
			break;
		}
	}
	tab->count--;
	free(victim);
}

void quic_cid_remove(struct quic_cid_table *tab, const uint8_t *cid, size_t len)
{
	struct quic_cid_entry *e;

	if (len == 0 || len > NGTCP2_MAX_CIDLEN)
		return;
	for (e = tab->buckets[bucket_of(tab, cid, len)]; e; e = e->next) {
		if (entry_is(e, cid, len)) {
			entry_drop(tab, e);
			return;
		}
	}
}

void quic_cid_remove_conn(struct quic_cid_table *tab, struct quic_conn *c)
{
	while (c->cids)
		entry_drop(tab, c->cids);
}
