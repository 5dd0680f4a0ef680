/* routing/router.h - the overlay packet path between the TUN device and
 * peer links (DESIGN.md data flow 1).
 *
 * Outbound: packets the kernel routes into the TUN device are mapped from
 * their destination overlay address to a node (the address is derived from
 * the node ID, so it can only ever map to the node whose key hashes to it),
 * TCP/UDP super-packets are cut into MTU-sized segments, and the segments
 * go to that node's link as one batch. A destination with no known node gets
 * ICMPv6 Destination Unreachable (no route); a known node whose link is down
 * gets Destination Unreachable (address unreachable); a packet larger than
 * the links can carry gets Packet Too Big. Inbound: a packet from a link
 * must come from the overlay address of the authenticated peer (else it is
 * dropped and counted as spoofed) and be addressed to us; packets arriving
 * in one loop turn are coalesced (GRO) and written to TUN together.
 *
 * Owner: daemon/. Runs on the loop; no blocking. docs/routing.md.
 */
#ifndef VX6_ROUTING_ROUTER_H
#define VX6_ROUTING_ROUTER_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "identity/overlay_addr.h"

struct event_base;
struct link;
struct link_mgr;
struct node_id;
struct router;
struct tun_cfg;

#define ROUTER_NODES_MAX      4096 /* overlay addresses the router knows */
#define ROUTER_ICMP_PER_S     100  /* ICMPv6 errors we generate, per second */
#define ROUTER_RX_RING	      128  /* inbound packets coalesced per TUN flush */

struct router_stats {
	uint64_t tx_packets, tx_bytes; /* TUN -> links, after segmentation */
	uint64_t rx_packets, rx_bytes; /* links -> TUN */
	uint64_t tx_gso_super;	       /* super-packets cut into segments */
	uint64_t drop_not_overlay;     /* TUN packet outside our /48 (kernel chatter) */
	uint64_t drop_no_route;	       /* no node for the destination: ICMPv6 sent */
	uint64_t drop_link_down;       /* the node's link is not up: ICMPv6 sent */
	uint64_t drop_too_big;	       /* over the link MTU: Packet Too Big sent */
	uint64_t drop_tx_full;	       /* the link refused (send buffer full) */
	uint64_t drop_spoofed;	       /* inner source is not the sending peer's address */
	uint64_t drop_not_for_us;      /* inner destination is not our address */
	uint64_t drop_malformed;       /* not a well-formed IPv6 packet */
	uint64_t icmp_sent, icmp_ratelimited;
	uint64_t tun_writes, tun_write_errors, gro_merged;
};

/* Open the TUN device per `cfg` (address and prefix filled from `net` and
 * `self` by the router) and start routing over `links`, both borrowed for
 * the router's life. Return 0 or the -errno of tun_dev_open(), with the
 * failed step in `err`. */
int router_new(struct event_base *base, struct link_mgr *links, const struct overlay_net *net,
	       const struct node_id *self, const struct tun_cfg *cfg, struct router **out,
	       char *err, size_t err_cap);

/* Close the device and free the router. Accepts NULL; returns NULL. */
struct router *router_free(struct router *r);

/* Make the overlay address of `id` routable (a configured peer, or a link
 * that came up authenticated). Return 0, -EEXIST (another node holds that
 * address: never replaced) or -ENOSPC. */
int router_add_node(struct router *r, const struct node_id *id);

/* A packet from link `l`. Copies what it keeps; `pkt` is borrowed. */
void router_on_packet(struct router *r, struct link *l, const uint8_t *pkt, size_t len);

void router_get_stats(const struct router *r, struct router_stats *out);
unsigned router_mtu(const struct router *r);
const char *router_ifname(const struct router *r);
unsigned router_offloads(const struct router *r);

#endif /* VX6_ROUTING_ROUTER_H */
