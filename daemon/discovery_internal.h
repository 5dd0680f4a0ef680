/* daemon/discovery_internal.h - state of the discovery subsystem, shared
 * by daemon/discovery.c (engine, sync, lifecycle),
 * daemon/discovery_query.c (resolve, import, API views) and
 * daemon/discovery_service.c (service records) only. Other subsystems use
 * daemon/discovery.h. */
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
struct link;

#define DISC_SAVE_MS	2000
#define PEND_NODES	32 /* contacts with messages waiting for a link */
#define PEND_MSGS	4  /* ... messages each */
#define PEND_MAX_MS	6000
#define WAITERS_MAX	64 /* resolve requests waiting for a lookup */
#define SEEDS_MAX	64
#define SYNC_PUSH_MAX	96
#define SVC_LOOKUPS_MAX 16    /* DHT lookups for named forwards, remembered at once */
#define SVC_LOOKUP_MS	10000 /* ... each for this long (a named forward's wait) */

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

/* A DHT lookup started for a service name or its owner; another for the
 * same key waits until SVC_LOOKUP_MS after this one began. */
struct svc_lookup {
	uint8_t key[DHT_KEY_LEN];
	uint64_t at_ms; /* monotonic; 0: free */
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
	struct svc_lookup look[SVC_LOOKUPS_MAX];
};

struct discovery *disc_of(struct daemon *d);
/* Re-arm the DHT timer from dht_next_deadline_ms(). */
void disc_rearm(struct discovery *ds);
/* Store a record that another node issued, from the peer `from` (NULL: a
 * lookup or an import), and pass it on to our other peers if it is new and
 * public. Return registry_put()'s result, or -EPERM for a record of our
 * own: only we issue those, so a copy from elsewhere never replaces ours. */
int disc_store_value(struct discovery *ds, const uint8_t *b, size_t len,
		     const struct node_id *from);
/* Send the record `rec` to every linked peer but `from` (NULL: all). */
void disc_flood(struct discovery *ds, const uint8_t *rec, size_t len, const struct node_id *from);
/* Send the record `rec` to the peer of `l` in one RECORDS message. Return
 * 0 or link_control_send()'s error. */
int disc_send_record(struct discovery *ds, struct link *l, const uint8_t *rec, size_t len);
/* Send every digest page of `kind` that the peer of `l` may see. */
void disc_send_digests(struct discovery *ds, struct link *l, uint8_t kind);

/* What the peer `peer` may learn in peer sync: public records, and our own
 * private service records whose allow list names it. */
struct disc_peer_audience {
	struct registry_audience aud;
	struct discovery *ds;
	struct node_id peer;
};
void disc_audience_init(struct disc_peer_audience *pa, struct discovery *ds,
			const struct node_id *peer);
/* The DHT's lookup_done callback (discovery_query.c). */
void disc_lookup_done(void *ctx, const struct dht_lookup_result *res);

#endif /* VX6_DAEMON_DISCOVERY_INTERNAL_H */
