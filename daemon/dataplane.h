/* daemon/dataplane.h - hooks from the links subsystem into the data plane
 * (daemon/dataplane.c). Both are no-ops when there is no TUN device. */
#ifndef VX6_DAEMON_DATAPLANE_H
#define VX6_DAEMON_DATAPLANE_H

#include <stddef.h>
#include <stdint.h>

struct daemon;
struct link;

/* A link came up authenticated: its node's overlay address is routable. */
void daemon_dataplane_link_up(struct daemon *d, struct link *l);
/* An IP packet arrived on link `l`. */
void daemon_dataplane_packet(struct daemon *d, struct link *l, const uint8_t *pkt, size_t len);

#endif /* VX6_DAEMON_DATAPLANE_H */
