/* identity/node_id.c - node ID derivation and its text forms (docs/wire.md
 * §1.1). Owns only the hash of a public key and the base32/hex conversions;
 * key storage is identity.c, addresses are overlay_addr.c.
 */
#include "identity/node_id.h"

#include <errno.h>
#include <string.h>

#include "lib/encode.h"
#include "lib/secure.h"

_Static_assert(NODE_ID_LEN == SEC_HASH256_LEN, "node ID is one BLAKE2b-256 digest");
_Static_assert(NODE_PK_LEN == SEC_ED25519_PK_LEN, "node key is an Ed25519 public key");
_Static_assert(NODE_ID_STR_LEN == BASE32_LEN(NODE_ID_LEN), "base32 length of a node ID");
_Static_assert(NODE_PK_STR_LEN == HEX_LEN(NODE_PK_LEN), "hex length of a public key");

void node_id_from_pubkey(struct node_id *out, const uint8_t pk[NODE_PK_LEN])
{
	/* §1.1: no label. The public key is already a uniformly encoded curve
	 * point, and the ID must be reproducible by anyone from the key alone. */
	sec_hash256(out->b, NULL, pk, NODE_PK_LEN);
}

void node_id_to_str(const struct node_id *id, char out[NODE_ID_STR_LEN + 1])
{
	/* Cannot fail: the buffer size is fixed by the prototype. */
	(void)base32_encode(out, NODE_ID_STR_LEN + 1, id->b, NODE_ID_LEN);
}

int node_id_parse(struct node_id *out, const char *s)
{
	struct node_id tmp;

	if (base32_decode(tmp.b, NODE_ID_LEN, s) < 0)
		return -EINVAL;
	*out = tmp;
	return 0;
}

int node_pubkey_parse(uint8_t out[NODE_PK_LEN], const char *s)
{
	return hex_decode(out, NODE_PK_LEN, s) < 0 ? -EINVAL : 0;
}

int node_id_parse_any(struct node_id *out, const char *s)
{
	uint8_t pk[NODE_PK_LEN];

	if (node_id_parse(out, s) == 0)
		return 0;
	if (node_pubkey_parse(pk, s) < 0)
		return -EINVAL;
	node_id_from_pubkey(out, pk);
	return 0;
}

void node_pubkey_to_str(const uint8_t pk[NODE_PK_LEN], char out[NODE_PK_STR_LEN + 1])
{
	(void)hex_encode(out, NODE_PK_STR_LEN + 1, pk, NODE_PK_LEN);
}

bool node_id_is_equal(const struct node_id *a, const struct node_id *b)
{
	/* Node IDs are public, but a constant-time compare costs nothing here
	 * and keeps the question out of every review. */
	return sec_equal(a->b, b->b, NODE_ID_LEN);
}

void node_id_fingerprint(const struct node_id *id, char out[9])
{
	char full[NODE_ID_STR_LEN + 1];

	node_id_to_str(id, full);
	memcpy(out, full, 8);
	out[8] = '\0';
}
