/* daemon/discovery.h - the daemon's discovery subsystem (discovery.c):
 * the persistent registry, the Kademlia DHT over link control channels,
 * peer sync when a link comes up, entry through any known peer, and
 * publication of our node record. */
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

#endif /* VX6_DAEMON_DISCOVERY_H */
