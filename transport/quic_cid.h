/* transport/quic_cid.h - the table from QUIC connection IDs to
 * connections (quic_cid.c), used only by transport/quic*.c.
 *
 * The bucket hash is SipHash with a random key, so a peer that picks its
 * own initial DCIDs cannot aim them at one bucket. Capacity is capped
 * (QUIC_CONNS_MAX connections x QUIC_CIDS_PER_CONN_MAX), so the table cannot
 * grow without bound whatever peers send. Entries are owned by the table;
 * the connections they point to are borrowed.
 */
#ifndef VX6_TRANSPORT_QUIC_CID_H
#define VX6_TRANSPORT_QUIC_CID_H

#include <stddef.h>
#include <stdint.h>

#include <ngtcp2/ngtcp2.h>

struct quic_conn;

struct quic_cid_entry {
	struct quic_cid_entry *next;	  /* bucket chain */
	struct quic_cid_entry *conn_next; /* the owner's list (quic_conn.cids) */
	struct quic_conn *c;		  /* owner (borrowed) */
	uint8_t len;
	uint8_t cid[NGTCP2_MAX_CIDLEN];
};

struct quic_cid_table {
	struct quic_cid_entry **buckets; /* QUIC_CID_BUCKETS chains */
	size_t count;
	uint8_t key[16]; /* SipHash key, random per transport */
};

/* Allocate the buckets and draw the key. Return 0 or -ENOMEM. */
int quic_cid_table_init(struct quic_cid_table *tab);
/* Free every entry and the buckets. Accepts a table that failed init. */
void quic_cid_table_clear(struct quic_cid_table *tab);
/* Map `cid` to `c`. Return 0, -EEXIST, -ENOSPC (table or per-connection
 * cap), -EINVAL (length) or -ENOMEM. */
int quic_cid_add(struct quic_cid_table *tab, struct quic_conn *c, const uint8_t *cid, size_t len);
/* The connection owning `cid`, or NULL. Borrowed. */
struct quic_conn *quic_cid_find(const struct quic_cid_table *tab, const uint8_t *cid, size_t len);
/* Forget `cid` (no-op if unknown). */
void quic_cid_remove(struct quic_cid_table *tab, const uint8_t *cid, size_t len);
/* Forget every CID owned by `c`. */
void quic_cid_remove_conn(struct quic_cid_table *tab, struct quic_conn *c);

#endif /* VX6_TRANSPORT_QUIC_CID_H */
