/* identity/node_id.h - the node ID: BLAKE2b-256 of the Ed25519 public key,
 * shown in base32 (RFC 4648, lowercase, no padding: 52 characters).
 * docs/wire.md §1.1. Known-answer vectors: tests/vectors/identity.json.
 */
#ifndef VX6_IDENTITY_NODE_ID_H
#define VX6_IDENTITY_NODE_ID_H

#include <stdbool.h>
#include <stdint.h>

#define NODE_ID_LEN	32
#define NODE_ID_STR_LEN 52 /* base32 characters, without the NUL */
#define NODE_PK_LEN	32
#define NODE_PK_STR_LEN 64 /* lowercase hex characters, without the NUL */

struct node_id {
	uint8_t b[NODE_ID_LEN];
};

/* Compute the node ID of an Ed25519 public key. Pure. */
void node_id_from_pubkey(struct node_id *out, const uint8_t pk[NODE_PK_LEN]);

/* Write the base32 form and a NUL into `out`. */
void node_id_to_str(const struct node_id *id, char out[NODE_ID_STR_LEN + 1]);

/* Parse a base32 node ID. Write *out only on success. Return 0 or -EINVAL. */
int node_id_parse(struct node_id *out, const char *s);

/* Parse a public key in lowercase or uppercase hex. Return 0 or -EINVAL. */
int node_pubkey_parse(uint8_t out[NODE_PK_LEN], const char *s);

/* Parse a node named either way: a base32 node ID, or a hex public key
 * (whose ID is then derived). Write *out only on success. Return 0 or
 * -EINVAL. */
int node_id_parse_any(struct node_id *out, const char *s);
void node_pubkey_to_str(const uint8_t pk[NODE_PK_LEN], char out[NODE_PK_STR_LEN + 1]);

bool node_id_is_equal(const struct node_id *a, const struct node_id *b);

/* A short, log-safe fingerprint: the first 8 base32 characters. */
void node_id_fingerprint(const struct node_id *id, char out[9]);

#endif /* VX6_IDENTITY_NODE_ID_H */
