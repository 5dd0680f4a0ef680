/* discovery/dht_msg.h - discovery messages: the Kademlia RPCs and the
 * registry sync messages, and their canonical binary encoding
 * (docs/wire.md §6).
 *
 * Every message is: version u8 = 1, type u8, flags u8, txid u64, the
 * sender's contact, then a body that depends on the type. A contact is
 * node_id[32], public_key[32], n_ep u8 (0..2), n_ep endpoints of §2.1.
 * Values (signed node or service records, §2 and §5) travel as len u16 and
 * the record's bytes, which must decode as such a record. Every count is
 * capped and every decoder is total: it consumes exactly `len` bytes or
 * fails, and encode(decode(b)) == b. No I/O, no allocation.
 */
#ifndef VX6_DISCOVERY_DHT_MSG_H
#define VX6_DISCOVERY_DHT_MSG_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include "identity/node_id.h"
#include "identity/record.h"

#define DHT_MSG_VERSION	   1
#define DHT_MSG_MAX_LEN	   4096 /* any longer message is refused unread */
#define DHT_KEY_LEN	   32
#define DHT_CONTACT_EP_MAX 2
#define DHT_K_MAX	   20  /* contacts per NODES reply, and the largest k */
#define DHT_VALUES_MAX	   8   /* values per VALUE, RECORDS */
#define DHT_VALUE_MAX_LEN  512 /* longer: -EMSGSIZE ("oversized") */
#define DHT_DIGEST_MAX	   48  /* entries per DIGEST page */
#define DHT_WANT_MAX	   48  /* keys per WANT */

#define DHT_MSG_F_SERVER 0x01 /* the sender answers queries: it may enter tables */
#define DHT_MSG_F_KNOWN	 0x01

enum dht_msg_type {
	DHT_MSG_PING = 0x01, /* liveness; answered by PONG */
	DHT_MSG_PONG = 0x02,
	DHT_MSG_FIND_NODE = 0x03,  /* target[32]; answered by NODES */
	DHT_MSG_NODES = 0x04,	   /* up to DHT_K_MAX contacts */
	DHT_MSG_FIND_VALUE = 0x05, /* key[32]; answered by VALUE or NODES */
	DHT_MSG_VALUE = 0x06,	   /* 1..DHT_VALUES_MAX values for the key */
	DHT_MSG_STORE = 0x07,	   /* exactly one value; answered by STORED */
	DHT_MSG_STORED = 0x08,	   /* status u8 */
	DHT_MSG_DIGEST = 0x09,	   /* registry sync: one page of (key, seq) */
	DHT_MSG_WANT = 0x0a,	   /* registry sync: keys the sender asks for */
	DHT_MSG_RECORDS = 0x0b,	   /* registry sync: records pushed or asked for */
	DHT_MSG__TYPE_MAX = 0x0b,
};

/* STORED status: why a STORE was or was not kept. */
enum dht_store_status {
	DHT_STORE_OK = 0,      /* stored, or replaced an older sequence */
	DHT_STORE_SAME = 1,    /* identical bytes already held: lifetime refreshed */
	DHT_STORE_STALE = 2,   /* equal or lower sequence than the one held */
	DHT_STORE_INVALID = 3, /* signature, time, visibility or key check failed */
	DHT_STORE_FULL = 4,    /* a cap (total, per source, per key) was reached */
	DHT_STORE__STATUS_MAX = 4,
};

/* What a DIGEST or WANT is about. */
enum dht_sync_kind {
	DHT_SYNC_NODES = 1,    /* node records, keyed by node ID */
	DHT_SYNC_SERVICES = 2, /* service records, keyed by (service key, owner) */
};

#define DHT_DIGEST_F_FIRST 0x01 /* no cursor: the page starts at the lowest key */
#define DHT_DIGEST_F_MORE  0x02 /* more pages follow */
#define DHT_DIGEST_F_KNOWN 0x03

struct dht_contact {
	struct node_id id;
	uint8_t pk[NODE_PK_LEN];
	uint8_t n_ep;
	struct record_endpoint ep[DHT_CONTACT_EP_MAX];
};

/* A record's encoding, checked by the decoder to be a well-formed node
 * (§2) or service (§5) record. Not verified: signatures and times are the
 * receiver's business. */
struct dht_value {
	uint16_t len;
	uint8_t b[DHT_VALUE_MAX_LEN];
};

/* What sync compares: a node ID (owner == key), or a service key and its
 * owner. Ordered by key, then owner (memcmp). */
struct dht_sync_key {
	uint8_t key[DHT_KEY_LEN];
	struct node_id owner;
};

struct dht_digest {
	uint8_t kind;		   /* enum dht_sync_kind */
	uint8_t flags;		   /* DHT_DIGEST_F_* */
	struct dht_sync_key after; /* cursor, exclusive; unused with F_FIRST */
	uint8_t n;
	struct dht_sync_key keys[DHT_DIGEST_MAX]; /* strictly increasing, > after */
	uint64_t seq[DHT_DIGEST_MAX];
};

struct dht_want {
	uint8_t kind;
	uint8_t n;				/* 1..DHT_WANT_MAX */
	struct dht_sync_key keys[DHT_WANT_MAX]; /* strictly increasing */
};

struct dht_msg {
	uint8_t type;  /* enum dht_msg_type */
	uint8_t flags; /* DHT_MSG_F_* */
	uint64_t txid; /* a reply carries its request's */
	struct dht_contact sender;
	union {
		uint8_t target[DHT_KEY_LEN]; /* FIND_NODE, FIND_VALUE */
		struct {
			uint8_t n; /* NODES: 0..DHT_K_MAX, distinct IDs */
			struct dht_contact c[DHT_K_MAX];
		} nodes;
		struct {
			uint8_t n; /* VALUE, RECORDS: 1..DHT_VALUES_MAX; STORE: 1 */
			struct dht_value v[DHT_VALUES_MAX];
		} values;
		uint8_t status; /* STORED: enum dht_store_status */
		struct dht_digest digest;
		struct dht_want want;
	} u;
};

/* Node IDs are public: the DHT's inner loops compare them with memcmp.
 * (node_id_is_equal() is constant-time, which costs 70 % of a 10k-node
 * simulation when used here.) */
static inline bool dht_id_is_equal(const struct node_id *a, const struct node_id *b)
{
	return memcmp(a->b, b->b, NODE_ID_LEN) == 0;
}

/* Encode `m` into `buf`. Store the length in *out_len. Return 0, -EINVAL
 * (m breaks a rule the decoder enforces) or -ENOSPC. Pure. */
int dht_msg_encode(const struct dht_msg *m, uint8_t *buf, size_t cap, size_t *out_len);

/* Decode exactly `len` bytes. Write *out only on success. Return 0,
 * -EPROTONOSUPPORT (version), -EMSGSIZE (message over DHT_MSG_MAX_LEN or a
 * value over DHT_VALUE_MAX_LEN), -ENOMSG (unknown type) or -EBADMSG (any
 * other rule). Pure; hashes each contact's key to check its ID. */
int dht_msg_decode(struct dht_msg *out, const uint8_t *buf, size_t len);

/* Check a contact as the decoder would (ID = hash(pk), endpoint rules). */
bool dht_contact_is_valid(const struct dht_contact *c);

/* True for the types that answer a request (PONG, NODES, VALUE, STORED). */
bool dht_msg_is_reply(uint8_t type);

const char *dht_msg_type_name(uint8_t type);

/* Compare two sync keys: <0, 0, >0 like memcmp. */
int dht_sync_key_cmp(const struct dht_sync_key *a, const struct dht_sync_key *b);

#endif /* VX6_DISCOVERY_DHT_MSG_H */
