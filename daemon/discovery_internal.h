/* daemon/discovery_internal.h - state of the discovery subsystem, shared
 * by daemon/discovery.c (engine, sync, lifecycle) and
 * daemon/discovery_query.c (resolve, import, API views) only. */
#ifndef VX6_DAEMON_DISCOVERY_INTERNAL_H
#define VX6_DAEMON_DISCOVERY_INTERNAL_H

#include <limits.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "discovery/dht.h"
#include "discovery/registry.h"
#include "identity/node_id.h"

struct daemon;
struct event;
struct evhttp_request;

#define DISC_SAVE_MS   2000
#define PEND_NODES     32 /* contacts with messages waiting for a link */
#define PEND_MSGS      4  /* ... messages each */
#define PEND_MAX_MS    6000
#define WAITERS_MAX    64 /* resolve requests waiting for a lookup */
#define SEEDS_MAX      64
#define SYNC_PUSH_MAX  96

struct pend {
	bool used;
	struct node_id id;
	unsigned n;
	uint64_t since_ms;
	uint8_t *msg[PEND_MSGS];
	size_t len[PEND_MSGS];
};

struct waiter {
	bool used;
	bool dht_only; /* answer from the lookup's values, not the registry */
	uint32_t lookup;
	struct evhttp_request *req;
	struct node_id id;
};

struct discovery {
	struct daemon *d;
	struct registry *reg;
	char path[PATH_MAX];
	struct dht *dht;
	struct event *tick, *save;
	struct pend pend[PEND_NODES];
	struct waiter w[WAITERS_MAX];
	uint64_t pend_dropped, sync_msgs, sync_stored, sync_refused, endpoint_moves;
	uint64_t last_boot_ms;
};

struct discovery *disc_of(struct daemon *d);
/* Re-arm the DHT timer from dht_next_deadline_ms(). */
void disc_rearm(struct discovery *ds);
/* Store a record from `from` (NULL: not from a peer) and flood it on if
 * new; return registry_put()'s result. */
int disc_store_value(struct discovery *ds, const uint8_t *b, size_t len,
		     const struct node_id *from);
/* The DHT's lookup_done callback (discovery_query.c). */
void disc_lookup_done(void *ctx, const struct dht_lookup_result *res);

#endif /* VX6_DAEMON_DISCOVERY_INTERNAL_H */
