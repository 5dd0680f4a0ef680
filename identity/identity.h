/* identity/identity.h - the node's persistent identity in the state
 * directory: an Ed25519 key (identity.key, mode 0600) and its public
 * description (identity.json: name, network, public key, node ID).
 *
 * The key file is "vx6-ed25519-seed-v1 <64 hex digits>\n"; the seed derives
 * the key pair. A key file readable or writable by group or others is
 * refused. This module does no I/O beyond these two files.
 */
#ifndef VX6_IDENTITY_IDENTITY_H
#define VX6_IDENTITY_IDENTITY_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <netinet/in.h>

#include "identity/node_id.h"
#include "identity/overlay_addr.h"

#define IDENTITY_KEY_FILE  "identity.key"
#define IDENTITY_INFO_FILE "identity.json"
#define IDENTITY_NAME_MAX  63

struct identity {
	char name[IDENTITY_NAME_MAX + 1];
	struct overlay_net net;
	uint8_t pk[NODE_PK_LEN];
	uint8_t sk[64]; /* secret: seed || pk; wiped by identity_clear() */
	bool has_secret;
	struct node_id id;
	struct in6_addr addr; /* overlay address */
};

/* Create a new identity named `name` in network `network` under
 * `state_dir` (created 0700 if missing) and store it in *out. Refuse with
 * -EEXIST if an identity is already there, unless `force`. Return 0,
 * -EINVAL (bad name or network; `err` says which), -EEXIST, or a negative
 * errno from the file system. `err` always gets a one-line reason on error. */
int identity_create(const char *state_dir, const char *name, const char *network, bool force,
		    struct identity *out, char *err, size_t err_cap);

/* Load the identity from `state_dir`. With `want_secret`, read the key file
 * (refusing a mode with group/other bits: -EPERM, and `err` says to
 * `chmod 600`); without it, read only identity.json. Return 0, -ENOENT (no
 * identity: `err` says to run `vx6 init`), -EPERM, -EINVAL (corrupt or
 * inconsistent files), or a negative errno. On error *out is untouched. */
int identity_load(const char *state_dir, bool want_secret, struct identity *out, char *err,
		  size_t err_cap);

/* Wipe the secret key. Safe on a zeroed or already-cleared identity. */
void identity_clear(struct identity *id);

#endif /* VX6_IDENTITY_IDENTITY_H */
