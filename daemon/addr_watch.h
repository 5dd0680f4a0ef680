/* daemon/addr_watch.h - the host's underlay IPv6 addresses, watched through
 * netlink (libnl's cache manager on the daemon's loop). When the set of
 * usable addresses changes, vx6d signs a node record with a higher sequence
 * that advertises the new ones and publishes it (daemon/state.c,
 * daemon/discovery.c). */
#ifndef VX6_DAEMON_ADDR_WATCH_H
#define VX6_DAEMON_ADDR_WATCH_H

#include <stddef.h>
#include <netinet/in.h>

struct daemon;

#define ADDR_WATCH_MAX 8

/* Copy the usable underlay addresses (global or ULA scope, not tentative,
 * deprecated or in the overlay /48, no loopback or link-local) into `out`
 * (up to `max`), sorted; return how many. 0 before the subsystem is up. */
size_t daemon_addr_watch_get(struct daemon *d, struct in6_addr *out, size_t max);

#endif /* VX6_DAEMON_ADDR_WATCH_H */
