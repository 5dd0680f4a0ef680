/* discovery/registry.h - the persistent local registry: the node records
 * and service records this node knows, and hidden-service aliases
 * (docs/discovery.md "Registry").
 *
 * Every record is verified (signature, times) before it enters. For each
 * node ID, and for each (service key, owner), one record is held: a higher
 * sequence replaces it, an equal or lower one is refused (docs/wire.md
 * §2.5). Counts are capped; when a cap is reached, an expired entry goes
 * first, then the least recently seen one that is not pinned. The registry
 * lives in memory and is saved to <state_dir>/registry.bin with an atomic
 * write (format: docs/discovery.md "registry.bin"); a file that does not
 * load exactly is an error, never a partial registry.
 *
 * Owner: the daemon's discovery subsystem. Single-threaded. Pointers
 * returned are borrowed until the next call that changes the registry.
 * Peer sync helpers (digest pages, differences, records for a WANT) build
 * the dht_msg.h structures; sending them is the caller's.
 */
#ifndef VX6_DISCOVERY_REGISTRY_H
#define VX6_DISCOVERY_REGISTRY_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "discovery/dht_msg.h"
#include "identity/record.h"
#include "identity/service_record.h"

struct registry;

#define REGISTRY_FILE	       "registry.bin"
#define REGISTRY_NODES_MAX     4096
#define REGISTRY_SERVICES_MAX  4096
#define REGISTRY_ALIASES_MAX   1024
#define REGISTRY_ALIAS_LEN_MAX 63

#define REGISTRY_F_PINNED 0x01 /* configured or our own: never evicted for room */

struct registry_limits {
	unsigned nodes, services, aliases; /* each >= 1 and <= the _MAX above */
};

struct registry_stats {
	size_t nodes, services, aliases;
	uint64_t stored, replaced, refused, evicted, expired;
};

/* Create an empty registry with `lim` (NULL: the _MAX defaults). Return 0,
 * -EINVAL or -ENOMEM. */
int registry_new(const struct registry_limits *lim, struct registry **out_reg);
/* Accepts NULL, returns NULL. */
struct registry *registry_free(struct registry *reg);

/* Verify and store a node record (encoded, §2) seen at `now_s` (Unix s),
 * or a service record (§5). Return 0 (stored, or replaced an older
 * sequence), -EALREADY (the same bytes: only last-seen is updated),
 * -ESTALE (equal or lower sequence), -EBADMSG (does not decode, or bad
 * signature), -ETIME (expired), -EINVAL (other time rules), -ENOSPC (full
 * of pinned entries) or -ENOMEM. `flags`: REGISTRY_F_PINNED or 0; a
 * replacing record keeps a pin the old one had. registry_put() takes
 * either kind by its type byte. */
int registry_put_node(struct registry *reg, const uint8_t *rec, size_t len, uint64_t now_s,
		      unsigned flags);
int registry_put_service(struct registry *reg, const uint8_t *rec, size_t len, uint64_t now_s,
			 unsigned flags);
int registry_put(struct registry *reg, const uint8_t *rec, size_t len, uint64_t now_s,
		 unsigned flags);

/* Borrowed lookups; NULL if absent. */
const struct node_record *registry_find_node(const struct registry *reg, const struct node_id *id);
const struct service_record *registry_find_service(const struct registry *reg,
						   const uint8_t key[SERVICE_KEY_LEN],
						   const struct node_id *owner);
/* Up to `max` services under `key` (one per owner). Return how many. */
size_t registry_find_services(const struct registry *reg, const uint8_t key[SERVICE_KEY_LEN],
			      const struct service_record **out, size_t max);

/* Note that the node answered at `now_s` (eviction and bootstrap order).
 * Return 0 or -ENOENT. */
int registry_touch_node(struct registry *reg, const struct node_id *id, uint64_t now_s);
/* Set or clear REGISTRY_F_PINNED. Return 0 or -ENOENT. */
int registry_pin_node(struct registry *reg, const struct node_id *id, bool pinned);
int registry_remove_node(struct registry *reg, const struct node_id *id);
int registry_remove_service(struct registry *reg, const uint8_t key[SERVICE_KEY_LEN],
			    const struct node_id *owner);
/* Remove every service record of `owner`. Return how many went. */
size_t registry_remove_services_of(struct registry *reg, const struct node_id *owner);
/* Drop every expired record. Return how many went. */
size_t registry_expire(struct registry *reg, uint64_t now_s);

/* Hidden-service aliases: name (§1.2 name rule) -> service key. Set
 * replaces. Return 0, -EINVAL (bad name), -ENOSPC; get/remove -ENOENT. */
int registry_alias_set(struct registry *reg, const char *alias, const uint8_t key[SERVICE_KEY_LEN]);
int registry_alias_get(const struct registry *reg, const char *alias,
		       uint8_t out_key[SERVICE_KEY_LEN]);
int registry_alias_remove(struct registry *reg, const char *alias);

/* Up to `max` contacts (ID, key, first endpoints) of known nodes with at
 * least one endpoint, most recently seen first: the peers to enter the
 * network through (dht_bootstrap()). Return how many. */
size_t registry_contacts(const struct registry *reg, struct dht_contact *out, size_t max);

void registry_get_stats(const struct registry *reg, struct registry_stats *out);
/* True if changed since the last successful save or load. */
bool registry_is_dirty(const struct registry *reg);

/* Save atomically to `path` (mode 0600; survives kill -9 at any point).
 * Return 0 or a negative errno from the file system. */
int registry_save(struct registry *reg, const char *path);

/* Load `path` into the empty registry `reg`. Expired records are dropped
 * and counted in *out_expired; anything else that is not exactly right
 * (size, magic, checksum, order, a record that does not decode or verify,
 * counts over this registry's limits) fails the whole load with -EINVAL
 * and a one-line reason in `err`, and leaves `reg` empty. Return 0,
 * -ENOENT (no file), -EBUSY (reg not empty), -EINVAL, -EFBIG or another
 * negative errno. */
int registry_load(struct registry *reg, const char *path, uint64_t now_s, size_t *out_expired,
		  char *err, size_t err_cap);

/* ---- peer sync (registry_sync.c) -------------------------------------- */

/* The peer a sync exchange is with (docs/discovery.md "Peer sync"). Node
 * records and public service records always take part. A private service
 * record takes part only if `may_share` (NULL: never) says this peer may
 * learn it: only its owner knows the allow list, so the daemon answers for
 * its own records and refuses the others it holds. A record whose owner is
 * `peer` (NULL: unknown) may always go back to it: it knows the record,
 * and listing it keeps the owner from sending it again. Hidden records
 * never take part otherwise. Keys owned by `self` (NULL: none) are never
 * asked for, because this node is the only source of its own records. A
 * NULL audience is a peer that may learn public records only. */
struct registry_audience {
	void *ctx;
	bool (*may_share)(void *ctx, const struct service_record *rec);
	const struct node_id *self, *peer;
};

/* Fill `out` with the page of our records of `kind` that `aud` may learn
 * and that follow `after` (NULL: from the start), at most DHT_DIGEST_MAX
 * entries. Return 0 or -EINVAL (unknown kind, or a node cursor whose key
 * and owner differ). */
int registry_digest(const struct registry *reg, uint8_t kind, const struct dht_sync_key *after,
		    const struct registry_audience *aud, struct dht_digest *out);

/* Compare a peer's digest page with what we hold in the key range it
 * covers. Fill `out_want` (kind, up to DHT_WANT_MAX keys we lack or hold
 * older, never one owned by aud->self; n may be 0) and
 * out_push[0..*out_n_push) (keys that `aud` may learn and lacks or holds
 * older; at most push_max). A record we hold but may not share still
 * counts as held: it is not asked for again. Return 1 if either list was
 * cut short (the peer resends the page after these were acted on), 0 if
 * complete, or -EINVAL for a bad page. */
int registry_sync_diff(const struct registry *reg, const struct registry_audience *aud,
		       const struct dht_digest *theirs, struct dht_want *out_want,
		       struct dht_sync_key *out_push, size_t push_max, size_t *out_n_push);

/* Encode the records for keys[0..n) of `kind` that we hold and `aud` may
 * learn into out[0..max). Return how many were written. */
size_t registry_records(const struct registry *reg, uint8_t kind,
			const struct registry_audience *aud, const struct dht_sync_key *keys,
			size_t n, struct dht_value *out, size_t max);

/* Up to `max` node records named `name`, in key order (names are not
 * unique). Borrowed, as registry_find_node(). Return how many. */
size_t registry_find_nodes_named(const struct registry *reg, const char *name,
				 const struct node_record **out, size_t max);

#endif /* VX6_DISCOVERY_REGISTRY_H */
