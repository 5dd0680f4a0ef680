/* daemon/links.h - the daemon's view of peer links (daemon/links.c). */
#ifndef VX6_DAEMON_LINKS_H
#define VX6_DAEMON_LINKS_H

#include "daemon/peer_entry.h"
#include "daemon/peer_store.h"

struct daemon;

/* Keep a link to `e` (add, or move to a new endpoint). Return 0 or -errno
 * from link_peer_add(). */
int daemon_links_apply(struct daemon *d, const struct peer_entry *e);

#endif /* VX6_DAEMON_LINKS_H */
