/* daemon/discovery.h - the daemon's discovery subsystem (discovery.c,
 * discovery_query.c, discovery_service.c): the persistent registry, the
 * Kademlia DHT over link control channels, peer sync when a link comes up,
 * entry through any known peer, publication of our node and service
 * records, and finding who owns a service name. Everything runs on the
 * loop; calls made while the subsystem is down do nothing or fail with
 * -ENOTCONN / -ENOENT as stated. */
#ifndef VX6_DAEMON_DISCOVERY_H
#define VX6_DAEMON_DISCOVERY_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include <jansson.h>

struct daemon;
struct discovery;
struct evhttp_request;
struct link;
struct node_id;

/* Hooks from the links subsystem; no-ops before discovery is up. */
void daemon_discovery_link_up(struct daemon *d, struct link *l);
void daemon_discovery_control(struct daemon *d, struct link *l, const uint8_t *msg, size_t len);
/* Our node record changed (start, republish, address change): store it
 * and publish it again. */
void daemon_discovery_record_changed(struct daemon *d);

/* Store a signed record given by an operator (POST /api/v1/registry) as if
 * a peer had sent it: same checks, same counters. Return 0, -EALREADY,
 * -ESTALE, -EBADMSG, -ETIME, -EINVAL, -EMSGSIZE (over the record size cap),
 * -ENOSPC, -ENOMEM or -ENOTCONN (discovery not running). */
int daemon_discovery_import(struct daemon *d, const uint8_t *rec, size_t len);

/* Admin API views (new references). */
json_t *daemon_discovery_registry_json(struct daemon *d);
json_t *daemon_discovery_dht_json(struct daemon *d);

/* Resolve a node ID (base32) or public key (hex) from the registry or,
 * failing that (or always, with `dht_only`), through the DHT; reply to
 * `req` when known (200) or when the lookup fails (404). A node name is
 * resolved from the registry only. */
void daemon_discovery_resolve(struct daemon *d, struct evhttp_request *req, const char *what,
			      bool dht_only);

/* ---- service records, for the services subsystem ---- */

/* Publish our own service record `rec` (`len` bytes, signed and encoded by
 * the caller; borrowed): store it pinned in the registry, where no copy
 * from elsewhere replaces it; a public one then goes to every linked peer
 * and into the DHT, a private one only to the linked peers that
 * daemon_services_may_learn() allows, and never further. Return 0,
 * -ENOTCONN (discovery not running), -EINVAL (not a record of ours), or the
 * registry's or the DHT's error. */
int daemon_discovery_publish_service(struct daemon *d, const uint8_t *rec, size_t len);

/* Stop publishing our service `name` (NODENAME.NAME): no more DHT
 * republish, and out of the registry. Copies elsewhere expire with it. */
void daemon_discovery_unpublish_service(struct daemon *d, const char *name);

/* Who may learn our private service records changed (an allow list or a
 * group): offer them again to every linked peer, which asks for what it
 * may now learn and lacks. */
void daemon_discovery_offer_private(struct daemon *d);

/* Find the owner of service `name` (NODENAME.NAME, valid) for a named
 * forward, and make sure a link to it is up or being dialed. On success
 * store its public key in out_pk and return 0 (the link may still be
 * coming up). Return -EAGAIN while a lookup or a dial runs that may find it
 * (ask again), or -ENOENT; on failure write the reason into `why`. The
 * registry answers first; when it holds no record, a DHT lookup looks for a
 * public one, and the nodes named NODENAME that the registry knows are
 * dialed, so that their peer sync hands us a private one if we are
 * allowed. */
int daemon_discovery_service_owner(struct daemon *d, const char *name, uint8_t out_pk[32],
				   char *why, size_t why_cap);

#endif /* VX6_DAEMON_DISCOVERY_H */
