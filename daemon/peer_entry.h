/* daemon/peer_entry.h - a configured peer: the node key to expect, the
 * endpoint to dial and the transport. One parser serves the config file's
 * "peers", the state file peers.json and the admin API, so all three accept
 * and refuse exactly the same things with the same messages.
 */
#ifndef VX6_DAEMON_PEER_ENTRY_H
#define VX6_DAEMON_PEER_ENTRY_H

#include <stddef.h>
#include <stdint.h>
#include <netinet/in.h>

#include <jansson.h>

#define PEER_ENTRIES_MAX 1024

struct peer_entry {
	uint8_t pk[32];
	struct sockaddr_in6 ep;
	uint8_t transport; /* enum transport_kind */
};

/* Parse {"public_key": HEX, "endpoint": "[IPV6]:PORT", "transport":
 * "tcp"|"quic", "node_id": B32} ("transport" optional, default tcp;
 * "node_id" optional, and must be the hash of the key; no other fields). On
 * failure write "<field>: <reason>" into `err`, naming the sub-field
 * relative to the object, and return -EINVAL. */
int peer_entry_from_json(const json_t *o, struct peer_entry *out, char *err, size_t err_cap,
			 const char **out_field);

/* Parse "[IPV6]:PORT" into an AF_INET6 socket address. Return 0/-EINVAL. */
int peer_endpoint_parse(const char *s, struct sockaddr_in6 *out);

/* The JSON form of an entry (a new reference, or NULL out of memory). */
json_t *peer_entry_to_json(const struct peer_entry *e);

/* "[addr]:port" */
void peer_endpoint_to_str(const struct sockaddr_in6 *ep, char out[64]);

#endif /* VX6_DAEMON_PEER_ENTRY_H */
