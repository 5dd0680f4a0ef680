/* discovery/dht.h - the Kademlia DHT engine (docs/discovery.md, wire §6).
 *
 * A pure protocol engine: no sockets, no timers, no event loop. Messages
 * come in through dht_input() with the node ID the link authenticated, go
 * out through the `send` callback, and time is passed in: monotonic `now_ms`
 * for timers, and the `wall_s` callback (Unix seconds) for record expiry.
 * dht_tick() drives RPC timeouts, bucket refresh, value expiry and
 * republish; dht_next_deadline_ms() says when it next needs to run.
 *
 * Keys are 256-bit: a node record is stored under its node ID, a service
 * record under service_name_key(name) (identity/service_record.h). Every
 * resource a peer can make us allocate is capped: contacts (k per bucket
 * plus a replacement cache), RPCs in flight, lookups, stored values (total,
 * per source, per key), rate-limit state.
 *
 * Owner: the daemon's discovery subsystem. Single-threaded. Callbacks run
 * inside dht_input()/dht_tick() and must not call dht_free(); `send` must
 * not call back into the engine (queue the bytes); `lookup_done` may start
 * lookups. Pointers handed to callbacks are borrowed until they return.
 */
#ifndef VX6_DISCOVERY_DHT_H
#define VX6_DISCOVERY_DHT_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "discovery/dht_msg.h"

struct dht;
struct dht_lookup_result;

#define DHT_ALPHA_MAX	  8
#define DHT_OWN_MAX	  32 /* values we publish ourselves */
#define DHT_SHORTLIST_MAX 64 /* candidates one lookup remembers */

enum dht_lookup_kind {
	DHT_LOOKUP_FIND_NODE = 1,
	DHT_LOOKUP_FIND_VALUE = 2,
	DHT_LOOKUP_PUBLISH = 3,	  /* find the k closest, then STORE there */
	DHT_LOOKUP_BOOTSTRAP = 4, /* find our own ID through the given seeds */
	DHT_LOOKUP_REFRESH = 5,	  /* internal: refresh an idle bucket */
};

/* Why an incoming message was dropped before any handling. */
enum dht_drop {
	DHT_DROP_MALFORMED = 0,	   /* did not decode (-EBADMSG) */
	DHT_DROP_OVERSIZED = 1,	   /* message or value over its cap (-EMSGSIZE) */
	DHT_DROP_VERSION = 2,	   /* unknown version */
	DHT_DROP_UNKNOWN_TYPE = 3, /* unknown type */
	DHT_DROP_SENDER = 4,	   /* sender contact is not the authenticated peer */
	DHT_DROP_UNSOLICITED = 5,  /* reply matching no request in flight */
	DHT_DROP_RATE_QUERY = 6,   /* PING/FIND_* over the per-source or global rate */
	DHT_DROP_RATE_STORE = 7,   /* STORE over the per-source or global rate */
	DHT_DROP_NOT_DHT = 8,	   /* registry sync message: not the engine's */
	DHT_DROP__COUNT
};

/* Why a value (in a STORE, or in a VALUE reply to our lookup) was refused. */
enum dht_refuse {
	DHT_REFUSE_BAD_SIG = 0,	     /* signature does not verify */
	DHT_REFUSE_EXPIRED = 1,	     /* now >= expires */
	DHT_REFUSE_BAD_TIME = 2,     /* issued in the future, lifetime over the cap */
	DHT_REFUSE_STALE = 3,	     /* sequence lower than the one held */
	DHT_REFUSE_CONFLICT = 4,     /* same sequence, different bytes */
	DHT_REFUSE_VISIBILITY = 5,   /* a service record that is not public */
	DHT_REFUSE_KEY_MISMATCH = 6, /* a VALUE that does not belong to the key asked */
	DHT_REFUSE_FULL = 7,	     /* total values cap */
	DHT_REFUSE_SOURCE_FULL = 8,  /* per-source values cap */
	DHT_REFUSE_KEY_FULL = 9,     /* per-key values (owners) cap */
	DHT_REFUSE__COUNT
};

struct dht_config {
	unsigned k;		     /* bucket size and replication, 1..DHT_K_MAX (20) */
	unsigned alpha;		     /* queries in flight per lookup, 1..DHT_ALPHA_MAX (3) */
	unsigned replacements;	     /* replacement cache per bucket, 0..DHT_K_MAX (8) */
	bool server;		     /* we answer queries: peers may add us (true) */
	uint32_t rpc_timeout_ms;     /* one query (2000) */
	uint32_t lookup_timeout_ms;  /* one whole lookup (30000) */
	unsigned lookup_queries_max; /* queries one lookup may send (60) */
	unsigned lookups_max;	     /* lookups at once, refreshes included (32) */
	unsigned rpcs_max;	     /* requests in flight (512) */
	unsigned value_quorum;	     /* FIND_VALUE: stop after this many holders (3) */
	uint64_t ping_after_ms;	     /* ping a full bucket's LRU contact older than this (15 min) */
	uint64_t refresh_ms;	     /* refresh buckets idle this long (1 h; 0 = never) */
	uint64_t republish_ms;	     /* re-store our own values (1 h) */
	uint64_t value_ttl_ms;	     /* drop a stored value not re-stored for this long (25 h) */
	unsigned values_max;	     /* stored values in total (16384) */
	unsigned values_per_source;  /* stored values one source may hold (64) */
	unsigned values_per_key;     /* owners per key, 1..DHT_VALUES_MAX (4) */
	unsigned rate_sources;	     /* sources with rate state, rounded to 4^n (1024) */
	uint32_t query_rate, query_burst;		/* per source, per second (20, 50) */
	uint32_t store_rate, store_burst;		/* per source, per second (2, 10) */
	uint32_t global_query_rate, global_query_burst; /* (500, 1000) */
	uint32_t global_store_rate, global_store_burst; /* (50, 100) */
	/* SIMULATOR ONLY (bench/dht_sim.c): accept values without checking
	 * signatures. The daemon never sets it; dht_new() logs a warning. */
	bool insecure_skip_verify;
	uint64_t seed; /* txid generator seed; 0 = from the system RNG */
};

struct dht_callbacks {
	void *ctx;
	/* Send `len` bytes to `to` (dial it with its endpoints if no link is
	 * up). Return 0, or a negative errno: the request then fails at once. */
	int (*send)(void *ctx, const struct dht_contact *to, const uint8_t *msg, size_t len);
	void (*lookup_done)(void *ctx, const struct dht_lookup_result *res);
	uint64_t (*wall_s)(void *ctx); /* NULL: clock_wall_s() */
};

struct dht_lookup_result {
	uint32_t id;
	uint8_t kind; /* enum dht_lookup_kind */
	/* 0; -ENOENT: FIND_VALUE found no value; -EHOSTUNREACH: nobody
	 * answered (or, for PUBLISH, nobody stored); -ETIMEDOUT: the lookup's
	 * own time ran out; -ECANCELED: dht_free() */
	int status;
	uint8_t target[DHT_KEY_LEN];
	const struct dht_contact *closest; /* answered, closest first; borrowed */
	unsigned n_closest;		   /* <= k */
	const struct dht_value *values;	   /* verified, highest seq per owner; borrowed */
	unsigned n_values;
	unsigned hops;	   /* query depth of the reply that gave the result */
	unsigned queries;  /* requests sent, STOREs included */
	unsigned replies;  /* replies received */
	unsigned timeouts; /* requests that timed out or failed to send */
	unsigned stored;   /* PUBLISH: holders that accepted the value */
	uint64_t elapsed_ms;
};

struct dht_stats {
	uint64_t rx[DHT_MSG__TYPE_MAX + 1], tx[DHT_MSG__TYPE_MAX + 1];
	uint64_t drops[DHT_DROP__COUNT];
	uint64_t refused[DHT_REFUSE__COUNT];
	uint64_t rpc_timeouts, rpc_send_failed, rpc_table_full;
	uint64_t lookups_started, lookups_ok, lookups_failed, lookups_refused;
	uint64_t contacts_added, contacts_evicted, pings_sent;
	uint64_t values_stored, values_expired, republished;
	size_t contacts, values, own_values, lookups_active, rpcs_pending;
};

/* Fill `cfg` with the defaults given in parentheses above. */
void dht_config_default(struct dht_config *cfg);

/* Create an engine for `self` (our contact: ID, key, endpoints; copied).
 * `cb` is copied; cb->send is required. Return 0, -EINVAL (bad config or
 * contact) or -ENOMEM. */
int dht_new(const struct dht_config *cfg, const struct dht_contact *self,
	    const struct dht_callbacks *cb, uint64_t now_ms, struct dht **out_dht);

/* Free the engine; running lookups end without callbacks. Accepts NULL,
 * returns NULL. */
struct dht *dht_free(struct dht *dht);

/* Update our endpoints (address change); later messages carry them. Our
 * own node record is re-published by the caller with dht_publish(). */
int dht_set_self(struct dht *dht, const struct dht_contact *self);

/* Handle one message from `from` (the node ID the link authenticated).
 * Return 0, or the negative errno it was dropped for (counted in drops):
 * -EBADMSG, -EMSGSIZE, -EPROTONOSUPPORT, -ENOMSG, -EPERM (sender), -ESRCH
 * (unsolicited reply), -EBUSY (rate limit), -ENOPROTOOPT (sync message). */
int dht_input(struct dht *dht, const struct node_id *from, const uint8_t *buf, size_t len,
	      uint64_t now_ms);

/* Run timeouts, refresh, expiry and republish due at `now_ms`. */
void dht_tick(struct dht *dht, uint64_t now_ms);

/* When dht_tick() next has something to do (monotonic ms); UINT64_MAX if
 * nothing is scheduled. */
uint64_t dht_next_deadline_ms(const struct dht *dht);

/* A contact we have direct evidence of (a link came up): add it to the
 * table if there is room, else keep it as a replacement. Return 0, -EINVAL
 * (invalid contact or ourselves) or -ENOMEM. */
int dht_contact_seen(struct dht *dht, const struct dht_contact *c, uint64_t now_ms);

/* Start lookups. On success store the lookup's ID in *out_id; its result
 * arrives through lookup_done from a later dht_input() or dht_tick(), never
 * from the call that started it. Return 0, -EINVAL, -EAGAIN (lookups_max
 * running) or -ENOMEM. dht_bootstrap() seeds the lookup for our own ID with
 * `seeds` (any known peers: they enter the table only when they answer). */
int dht_find_node(struct dht *dht, const uint8_t target[DHT_KEY_LEN], uint64_t now_ms,
		  uint32_t *out_id);
int dht_find_value(struct dht *dht, const uint8_t key[DHT_KEY_LEN], uint64_t now_ms,
		   uint32_t *out_id);
int dht_bootstrap(struct dht *dht, const struct dht_contact *seeds, size_t n_seeds, uint64_t now_ms,
		  uint32_t *out_id);

/* Publish one of our own signed records (node or public service record):
 * keep it, answer for it, store it at the k closest now and every
 * republish_ms until it expires or is replaced by a higher sequence.
 * Return 0 (*out_id: the PUBLISH lookup), -EBADMSG (not a record or bad
 * signature), -ETIME, -EINVAL (times or visibility), -ESTALE (not newer
 * than the one we publish), -ENOSPC (DHT_OWN_MAX), -EAGAIN or -ENOMEM. */
int dht_publish(struct dht *dht, const uint8_t *rec, size_t len, uint64_t now_ms, uint32_t *out_id);

/* Stop publishing our value under (`key`, `owner`): no more answers or
 * republishing; copies held elsewhere expire with the record. Return 0 or
 * -ENOENT. */
int dht_unpublish(struct dht *dht, const uint8_t key[DHT_KEY_LEN], const struct node_id *owner);

/* Copy up to `max` contacts of our table closest to `target` into `out`,
 * closest first. Return how many. */
size_t dht_closest(const struct dht *dht, const uint8_t target[DHT_KEY_LEN],
		   struct dht_contact *out, size_t max);

void dht_get_stats(const struct dht *dht, struct dht_stats *out);

/* The XOR metric. dht_distance_cmp() orders a and b by distance to t:
 * <0 if a is closer, 0 if equal, >0 if b is closer. dht_bucket_index() is
 * the number of leading bits `id` shares with `self` (0..255; 256 if
 * equal): contacts with index i live in bucket i. Pure. */
void dht_distance(uint8_t out[DHT_KEY_LEN], const uint8_t a[DHT_KEY_LEN],
		  const uint8_t b[DHT_KEY_LEN]);
int dht_distance_cmp(const uint8_t a[DHT_KEY_LEN], const uint8_t b[DHT_KEY_LEN],
		     const uint8_t t[DHT_KEY_LEN]);
unsigned dht_bucket_index(const uint8_t self[DHT_KEY_LEN], const uint8_t id[DHT_KEY_LEN]);

const char *dht_drop_name(enum dht_drop d);
const char *dht_refuse_name(enum dht_refuse r);
const char *dht_lookup_kind_name(uint8_t kind);

#endif /* VX6_DISCOVERY_DHT_H */
