/* discovery/dht_internal.h - the layout of the DHT engine, shared by
 * dht.c (messages, RPCs, timers), dht_table.c (k-buckets), dht_lookup.c
 * (iterative lookups), dht_store.c (values), dht_limit.c (rate limits) and
 * tests/unit/test_dht.c and test_dht_solo.c. Nobody else includes it.
 */
#ifndef VX6_DISCOVERY_DHT_INTERNAL_H
#define VX6_DISCOVERY_DHT_INTERNAL_H

#include "discovery/dht.h"

#define DHT_BUCKETS	     256
#define DHT_FAILS_MAX	     2	   /* failed requests in a row before a contact goes */
#define DHT_QUERY_TRIES	     2	   /* a lookup asks a candidate this often before giving up */
#define DHT_SWEEP_MS	     60000 /* value expiry sweep */
#define DHT_REFRESH_CHECK_MS 60000 /* how often idle buckets are looked for */
#define DHT_REFRESH_RUNNING  2	   /* refresh lookups at once */
#define DHT_RPCS_MAX	     4096  /* upper bound for cfg.rpcs_max */

/* ---- k-buckets (dht_table.c) ---------------------------------------------- */

struct dht_entry {
	struct dht_contact c;
	uint64_t seen_ms; /* last direct evidence (request or reply from it) */
	uint8_t fails;	  /* consecutive failed requests */
	bool pinging;	  /* a liveness PING decides whether it stays */
};

struct dht_bucket {
	struct dht_entry *e;	/* LRU order: e[0] least recently seen */
	struct dht_entry *rep;	/* replacement cache: rep[n_rep - 1] newest */
	uint8_t n, cap;		/* cap grows to k */
	uint8_t n_rep, cap_rep; /* cap_rep grows to cfg.replacements */
	uint64_t touched_ms;	/* last lookup into this bucket's range */
};

struct dht_table {
	uint8_t self[DHT_KEY_LEN];
	unsigned k, rep_max;
	struct dht_bucket *b; /* b[0 .. n_b - 1]: grown to the deepest index used */
	unsigned n_b;
	size_t n_contacts;
};

enum dht_seen {
	DHT_SEEN_UPDATED = 0, /* known: refreshed and moved to the tail */
	DHT_SEEN_ADDED = 1,   /* new, and the bucket had room */
	DHT_SEEN_CACHED = 2,  /* bucket full: kept as a replacement */
	DHT_SEEN_PING = 3,    /* as CACHED, and *out_ping (the LRU) needs a PING */
};

int dht_table_init(struct dht_table *t, const uint8_t self[DHT_KEY_LEN], unsigned k,
		   unsigned rep_max);
void dht_table_clear(struct dht_table *t);
/* Direct evidence that `c` is alive. Return enum dht_seen, -EINVAL (self)
 * or -ENOMEM. */
int dht_table_seen(struct dht_table *t, const struct dht_contact *c, uint64_t now_ms,
		   uint64_t ping_after_ms, struct dht_contact *out_ping);
/* A request to `id` failed. With `hard` (a liveness PING failed) or after
 * DHT_FAILS_MAX failures in a row, the contact goes and the newest
 * replacement takes its place. One lost message never evicts. Return true
 * if it went. */
bool dht_table_failed(struct dht_table *t, const struct node_id *id, bool hard);
/* The entry for `id`, or NULL. Borrowed until the table changes. */
struct dht_entry *dht_table_find(struct dht_table *t, const struct node_id *id);
/* Copy up to `max` contacts closest to `target` into `out`, closest
 * first; return how many. With `exclude` (the asker of a FIND_*), skip it
 * and every contact whose last request failed. */
size_t dht_table_closest(const struct dht_table *t, const uint8_t target[DHT_KEY_LEN],
			 const struct node_id *exclude, struct dht_contact *out, size_t max);
void dht_table_touch(struct dht_table *t, const uint8_t target[DHT_KEY_LEN], uint64_t now_ms);

/* ---- rate limits (dht_limit.c) ------------------------------------------ */

struct dht_tb {
	uint64_t milli;	  /* tokens, in thousandths */
	uint64_t last_ms; /* last refill */
};

struct dht_rate_slot {
	uint64_t tag;	  /* first 8 bytes of the source's node ID; 0 = free */
	uint64_t used_ms; /* LRU within the set */
	struct dht_tb q, s;
};

struct dht_limit {
	struct dht_rate_slot *slots; /* n_sets * 4, allocated on first use */
	unsigned n_sets;	     /* power of two */
	struct dht_tb gq, gs;	     /* global query and store buckets */
};

/* Take one query (or store) token for `src`. True if allowed. */
bool dht_limit_allow(struct dht *dht, const struct node_id *src, bool store, uint64_t now_ms);
void dht_limit_clear(struct dht_limit *l);

/* ---- values (dht_store.c) ------------------------------------------------- */

/* What a record says about where it is kept. */
struct dht_value_info {
	uint8_t type; /* RECORD_TYPE_NODE or SERVICE_RECORD_TYPE */
	uint8_t key[DHT_KEY_LEN];
	struct node_id owner;
	uint64_t seq, issued, expires;
	uint8_t visibility; /* service records; 0 for node records */
};

struct dht_val {
	struct dht_val *next; /* hash chain */
	uint8_t key[DHT_KEY_LEN];
	struct node_id owner, source;
	uint64_t seq, expires_s;
	uint64_t stored_ms; /* last STORE of these bytes */
	uint16_t len;
	uint8_t b[]; /* the record, len bytes */
};

struct dht_store {
	struct dht_val **slot; /* n_slot chains, power of two, grown with n */
	size_t n_slot, n;
};

/* Decode a record (node or service) and say where it belongs. Return 0 or
 * -EBADMSG. */
int dht_value_parse(const uint8_t *b, size_t len, struct dht_value_info *out);
/* Check what every holder checks before using a value: the visibility (a
 * service record must be public), the signature (unless the simulator
 * turned it off) and the times. True if acceptable; else *out_why says why. */
bool dht_value_is_acceptable(const struct dht *dht, const uint8_t *b, size_t len,
			     const struct dht_value_info *vi, uint64_t wall_s,
			     enum dht_refuse *out_why);
/* Admit a STORE; count a refusal. Return enum dht_store_status. */
uint8_t dht_store_put(struct dht *dht, const uint8_t *b, size_t len, const struct node_id *source,
		      uint64_t now_ms);
size_t dht_store_get(const struct dht_store *st, const uint8_t key[DHT_KEY_LEN],
		     const struct dht_val **out, size_t max);
void dht_store_expire(struct dht *dht, uint64_t wall_s, uint64_t now_ms);
void dht_store_clear(struct dht_store *st);

/* ---- our own values ------------------------------------------------------- */

struct dht_own {
	struct dht_value_info vi;
	struct dht_value v;
	uint64_t next_ms; /* next republish */
};

/* Republish what is due (dht_own.c). */
void dht_own_tick(struct dht *dht, uint64_t now_ms);
/* Forget our values that expired: the caller issues fresh records. */
void dht_own_expire(struct dht *dht, uint64_t wall_s);
uint64_t dht_own_deadline(const struct dht *dht);

/* ---- requests in flight (dht.c) ----------------------------------------- */

enum dht_rpc_kind {
	DHT_RPC_QUERY = 1, /* FIND_NODE / FIND_VALUE for a lookup */
	DHT_RPC_STORE = 2, /* STORE for a PUBLISH lookup */
	DHT_RPC_PING = 3,  /* liveness check of a bucket's LRU contact */
};

struct dht_rpc {
	uint64_t txid;
	struct node_id to;
	uint64_t deadline_ms;
	uint32_t lookup_id; /* 0 for PING */
	uint8_t kind;	    /* enum dht_rpc_kind */
	uint8_t type;	    /* request type sent */
};

/* ---- lookups (dht_lookup.c) ----------------------------------------------- */

/* Named for what has already happened. */
enum dht_lookup_state {
	DHT_LOOKUP_STARTED = 0,	     /* candidates seeded, nothing sent */
	DHT_LOOKUP_QUERIES_SENT = 1, /* FIND_* requests out, shortlist converging */
	DHT_LOOKUP_STORES_SENT = 2,  /* PUBLISH: converged, STOREs out */
	DHT_LOOKUP_FINISHED = 3,     /* result known; reported and freed by the reaper */
	DHT_LOOKUP__STATE_COUNT
};

enum dht_cand_state {
	DHT_CAND_NEW = 0,
	DHT_CAND_ASKED = 1,
	DHT_CAND_ANSWERED = 2,
	DHT_CAND_FAILED = 3,
};

struct dht_cand {
	struct dht_contact c;
	uint8_t state; /* enum dht_cand_state */
	uint8_t hop;   /* query depth: 1 for contacts we started with */
	uint8_t tries; /* queries sent to it, <= DHT_QUERY_TRIES */
};

struct dht_found {
	struct dht_value_info vi;
	struct dht_value v;
};

struct dht_lookup {
	struct dht_lookup *next;
	uint32_t id;
	uint8_t kind;  /* enum dht_lookup_kind */
	uint8_t state; /* enum dht_lookup_state */
	int status;    /* result, once FINISHED */
	uint8_t target[DHT_KEY_LEN];
	struct dht_cand cand[DHT_SHORTLIST_MAX]; /* closest first */
	unsigned n_cand;
	unsigned inflight, queries, replies, timeouts, holders;
	unsigned hops; /* see dht_lookup_result; final once hops_found */
	bool hops_found;
	unsigned stores_pending, stored;
	struct dht_found found[DHT_VALUES_MAX]; /* FIND_VALUE: highest seq per owner */
	unsigned n_found;
	struct dht_value pub; /* PUBLISH: the value to store */
	uint64_t started_ms, deadline_ms;
};

/* Start a lookup from our closest contacts plus `seeds`; `pub` is the
 * value a PUBLISH stores (else NULL). Sends the first queries. */
int dht_lookup_start(struct dht *dht, uint8_t kind, const uint8_t target[DHT_KEY_LEN],
		     const struct dht_contact *seeds, size_t n_seeds, const struct dht_value *pub,
		     uint64_t now_ms, uint32_t *out_id);
struct dht_lookup *dht_lookup_find(struct dht *dht, uint32_t id);
void dht_lookup_on_reply(struct dht *dht, const struct dht_rpc *rpc, const struct dht_msg *m,
			 uint64_t now_ms);
void dht_lookup_on_fail(struct dht *dht, const struct dht_rpc *rpc, uint64_t now_ms);
/* End lookups past their deadline. */
void dht_lookup_tick(struct dht *dht, uint64_t now_ms);
/* Report finished lookups through lookup_done and free them. Those that
 * finish during the callbacks wait for the next call. */
void dht_lookup_reap(struct dht *dht, uint64_t now_ms);
uint64_t dht_lookup_deadline(const struct dht *dht);
void dht_lookup_free_all(struct dht *dht);
const char *dht_lookup_state_name(uint8_t state);

/* ---- the engine ------------------------------------------------------------ */

struct dht {
	struct dht_config cfg;
	struct dht_callbacks cb;
	struct dht_contact self;
	struct dht_table table;
	struct dht_store store;
	struct dht_limit limit;
	struct dht_own *own; /* DHT_OWN_MAX slots, allocated on first publish */
	unsigned n_own;
	struct dht_rpc *rpc; /* requests in flight, unordered */
	unsigned n_rpc, cap_rpc;
	struct dht_lookup *lookups; /* running and finished-unreported */
	unsigned n_lookups, n_refresh;
	uint32_t next_lookup_id;
	uint64_t rng; /* xorshift64* state: txids, refresh targets */
	uint64_t next_sweep_ms, next_refresh_ms;
	struct dht_stats stats;
};

uint64_t dht_rand(struct dht *dht);
uint64_t dht_wall_s(const struct dht *dht);
/* Send a request and remember it. Return 0, -ENOBUFS (rpcs_max) or the
 * send callback's error; on error nothing is remembered. */
int dht_rpc_send(struct dht *dht, const struct dht_contact *to, struct dht_msg *m, uint8_t kind,
		 uint32_t lookup_id, uint64_t now_ms);
/* Record a refusal and return it. */
void dht_count_refusal(struct dht *dht, enum dht_refuse r);

#endif /* VX6_DISCOVERY_DHT_INTERNAL_H */
