/* daemon/peer_store.h - peers added at run time ('vx6 peer add', POST
 * /api/v1/peers), kept in <state_dir>/peers.json across restarts. Written
 * atomically after every change; a corrupt file stops vx6d at startup with
 * a one-line error rather than silently dropping peers. Capped at
 * PEER_ENTRIES_MAX entries.
 */
#ifndef VX6_DAEMON_PEER_STORE_H
#define VX6_DAEMON_PEER_STORE_H

#include <limits.h>
#include <stddef.h>

#include "daemon/peer_entry.h"
#include "identity/node_id.h"

#define PEER_STORE_FILE "peers.json"

struct peer_store {
	char path[PATH_MAX];
	unsigned n;
	struct peer_entry e[PEER_ENTRIES_MAX];
};

/* Load <state_dir>/peers.json (a missing file is an empty store). Return
 * 0, or -EINVAL with "file:line:col: field: reason" in `err`, or -errno. */
int peer_store_load(const char *state_dir, struct peer_store **out, char *err, size_t err_cap);
struct peer_store *peer_store_free(struct peer_store *ps);

/* Add or replace (same key) an entry in memory. Return 0, 1 if it replaced
 * one, or -ENOSPC. */
int peer_store_put(struct peer_store *ps, const struct peer_entry *e);
/* Remove the entry for `id`. Return 0 or -ENOENT. */
int peer_store_del(struct peer_store *ps, const struct node_id *id);
const struct peer_entry *peer_store_find(const struct peer_store *ps, const struct node_id *id);

/* Write the store durably. Return 0 or -errno. */
int peer_store_save(const struct peer_store *ps);

#endif /* VX6_DAEMON_PEER_STORE_H */
