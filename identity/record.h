/* identity/record.h - the signed node record and its canonical binary
 * encoding (docs/wire.md §2).
 *
 * Layout (all integers big-endian):
 *   type u8 = RECORD_TYPE_NODE, version u8 = 1, flags u16 = 0 (reserved),
 *   node_id[32], public_key[32], seq u64, issued u64, expires u64 (Unix s),
 *   name_len u8 (1..63), name[name_len] ([a-z0-9-]),
 *   n_endpoints u8 (0..RECORD_ENDPOINTS_MAX),
 *   n_endpoints * { addr[16], port u16 (!= 0), transport u8 (1..3), reserved u8 = 0 },
 *   signature[64] = Ed25519 over RECORD_NODE_SIG_LABEL || every byte above.
 * The node ID must equal BLAKE2b-256(public_key).
 */
#ifndef VX6_IDENTITY_RECORD_H
#define VX6_IDENTITY_RECORD_H

#include <stddef.h>
#include <stdint.h>
#include <netinet/in.h>

#include "identity/node_id.h"

#define RECORD_TYPE_NODE      0x01
#define RECORD_VERSION	      1
#define RECORD_NAME_MAX	      63
#define RECORD_ENDPOINTS_MAX  8
#define RECORD_SIG_LEN	      64
#define RECORD_NODE_SIG_LABEL "vx6 node record v1"
/* A record may live at most this long past its issue time. */
#define RECORD_LIFETIME_MAX_S (30u * 24 * 3600)
/* Tolerated clock skew for an issue time in the future. */
#define RECORD_SKEW_MAX_S 300u

#define NODE_RECORD_FIXED_LEN (4 + 32 + 32 + 8 + 8 + 8 + 1 + 1 + RECORD_SIG_LEN)
#define RECORD_ENDPOINT_LEN   20
#define NODE_RECORD_MAX_LEN                                                                     \
	(NODE_RECORD_FIXED_LEN + RECORD_NAME_MAX + RECORD_ENDPOINTS_MAX * RECORD_ENDPOINT_LEN)

enum record_transport {
	RECORD_TRANSPORT_TCP = 1,
	RECORD_TRANSPORT_QUIC = 2,
	RECORD_TRANSPORT_UDP = 3,
};

struct record_endpoint {
	struct in6_addr addr;
	uint16_t port;
	uint8_t transport; /* enum record_transport */
};

struct node_record {
	struct node_id id;
	uint8_t pk[NODE_PK_LEN];
	uint64_t seq;
	uint64_t issued;  /* Unix seconds */
	uint64_t expires; /* Unix seconds */
	char name[RECORD_NAME_MAX + 1];
	uint8_t n_endpoints;
	struct record_endpoint ep[RECORD_ENDPOINTS_MAX];
	uint8_t sig[RECORD_SIG_LEN];
};

/* Encode `rec` (signature included) into `buf`. Store the length in
 * *out_len. Return 0, -EINVAL (rec violates a rule the decoder enforces),
 * or -ENOSPC. */
int node_record_encode(const struct node_record *rec, uint8_t *buf, size_t cap,
		       size_t *out_len);

/* Decode exactly `len` bytes. Checks structure only (type, version,
 * reserved bits, counts, name charset, node ID = hash(pk), no trailing
 * bytes), not the signature or times. Write *out only on success. Return 0,
 * -EPROTONOSUPPORT (unknown version) or -EBADMSG. */
int node_record_decode(struct node_record *out, const uint8_t *buf, size_t len);

/* Fill rec->id from rec->pk and sign the record with `sk` (64-byte libsodium
 * secret key whose public half is rec->pk). Return 0 or -EINVAL/-ENOMEM. */
int node_record_sign(struct node_record *rec, const uint8_t sk[64]);

/* Verify the signature and the times against `now` (Unix seconds). Return
 * 0, -EBADMSG (bad signature), -ETIME (expired), -EINVAL (issued too far in
 * the future, expires before issued, or lifetime over the cap). */
int node_record_verify(const struct node_record *rec, uint64_t now);

/* The time rules every signed record obeys (docs/wire.md §2.4), checked
 * against `now` (Unix s): -ETIME if expired, -EINVAL if issued more than
 * RECORD_SKEW_MAX_S ahead, expiring before it was issued, or living longer
 * than RECORD_LIFETIME_MAX_S; 0 otherwise. Pure. */
int record_times_check(uint64_t issued, uint64_t expires, uint64_t now);

const char *record_transport_name(uint8_t transport);
/* "tcp" | "quic" | "udp" -> enum value; return 0 or -EINVAL. */
int record_transport_parse(const char *name, uint8_t *out);

#endif /* VX6_IDENTITY_RECORD_H */
