/* identity/overlay_addr.h - the overlay network's /48 and each node's
 * stable overlay IPv6 address (docs/wire.md §1.2).
 *
 * Network prefix (RFC 4193 ULA): fd00::/8 + a 40-bit Global ID, the first
 * five bytes of BLAKE2b-256("vx6 overlay global id v1" || network name).
 * Node address: that /48 + the first 80 bits (10 bytes) of the node ID.
 * The address is a lookup hint, never a credential: sessions authenticate
 * against the full public key from a signed record.
 */
#ifndef VX6_IDENTITY_OVERLAY_ADDR_H
#define VX6_IDENTITY_OVERLAY_ADDR_H

#include <stdbool.h>
#include <stdint.h>
#include <netinet/in.h>

struct node_id;

#define OVERLAY_NET_NAME_MAX  63
#define OVERLAY_GLOBAL_ID_LEN 5
#define OVERLAY_PREFIX_LEN    48 /* bits */
#define OVERLAY_DEFAULT_NET   "vx6"

struct overlay_net {
	char name[OVERLAY_NET_NAME_MAX + 1];
	uint8_t global_id[OVERLAY_GLOBAL_ID_LEN];
};

/* Check a network or node name: 1..63 characters of [a-z0-9-], not starting
 * or ending with '-'. */
bool overlay_name_is_valid(const char *name);

/* Derive the network from its name. Return 0 or -EINVAL (invalid name). */
int overlay_net_init(struct overlay_net *out, const char *name);

/* The network's /48 prefix (host bits zero). */
void overlay_net_prefix(const struct overlay_net *net, struct in6_addr *out);

/* The overlay address of `id` in `net`. */
void overlay_addr_of(const struct overlay_net *net, const struct node_id *id,
		     struct in6_addr *out);

/* True if `addr` is the overlay address of `id` in `net`. */
bool overlay_addr_is_of(const struct overlay_net *net, const struct node_id *id,
			const struct in6_addr *addr);

/* True if `addr` lies inside the network's /48. */
bool overlay_net_contains(const struct overlay_net *net, const struct in6_addr *addr);

#endif /* VX6_IDENTITY_OVERLAY_ADDR_H */
