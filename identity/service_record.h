/* identity/service_record.h - the signed service record and its canonical
 * binary encoding (docs/wire.md §5).
 *
 * A service record is an owner's signed statement "node <owner> offers the
 * service <name>". It names no local target: where a service lands on the
 * owner is the owner's private configuration. Layout (big-endian):
 *   type u8 = SERVICE_RECORD_TYPE, version u8 = 1, flags u16 = 0 (reserved),
 *   owner node_id[32], public_key[32], seq u64, issued u64, expires u64,
 *   visibility u8 (1..3), name_len u8 (3..127), name[name_len],
 *   signature[64] = Ed25519 over SERVICE_RECORD_SIG_LABEL || every byte above.
 * The name is "<nodename>.<service>": two labels, each following the §1.2
 * name rule. The owner ID must equal BLAKE2b-256(public_key).
 */
#ifndef VX6_IDENTITY_SERVICE_RECORD_H
#define VX6_IDENTITY_SERVICE_RECORD_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "identity/node_id.h"

#define SERVICE_RECORD_TYPE	 0x02
#define SERVICE_RECORD_VERSION	 1
#define SERVICE_LABEL_MAX	 63
#define SERVICE_NAME_MIN	 3   /* "a.b" */
#define SERVICE_NAME_MAX	 127 /* both labels and the dot */
#define SERVICE_RECORD_SIG_LEN	 64
#define SERVICE_RECORD_SIG_LABEL "vx6 service record v1"
/* DHT key of a service name (docs/wire.md §5.5). */
#define SERVICE_KEY_LABEL "vx6 service key v1"
#define SERVICE_KEY_LEN	  32

#define SERVICE_RECORD_FIXED_LEN (4 + 32 + 32 + 8 + 8 + 8 + 1 + 1 + SERVICE_RECORD_SIG_LEN)
#define SERVICE_RECORD_MIN_LEN	 (SERVICE_RECORD_FIXED_LEN + SERVICE_NAME_MIN)
#define SERVICE_RECORD_MAX_LEN	 (SERVICE_RECORD_FIXED_LEN + SERVICE_NAME_MAX)

/* Who may learn that the service exists (docs/discovery.md §"Visibility"). */
enum service_visibility {
	SERVICE_VIS_PUBLIC = 1,	 /* DHT and peer sync */
	SERVICE_VIS_PRIVATE = 2, /* peer sync with authorised peers only, never the DHT */
	SERVICE_VIS_HIDDEN = 3,	 /* never leaves the owner; reached through an alias */
};

struct service_record {
	struct node_id owner;
	uint8_t pk[NODE_PK_LEN];
	uint64_t seq;
	uint64_t issued;    /* Unix seconds */
	uint64_t expires;   /* Unix seconds */
	uint8_t visibility; /* enum service_visibility */
	char name[SERVICE_NAME_MAX + 1];
	uint8_t sig[SERVICE_RECORD_SIG_LEN];
};

/* True if `name` is "<label>.<label>", each label 1..63 characters of the
 * §1.2 name rule, at most 127 characters in all. Pure. */
bool service_name_is_valid(const char *name);

/* The DHT key of a service name: BLAKE2b-256(SERVICE_KEY_LABEL || name).
 * The caller checks the name first; any string hashes. Pure. */
void service_name_key(uint8_t out[SERVICE_KEY_LEN], const char *name);

/* Encode `rec` (signature included) into `buf` (`cap` bytes). Store the
 * length in *out_len. Return 0, -EINVAL (rec breaks a rule the decoder
 * enforces) or -ENOSPC. Pure. */
int service_record_encode(const struct service_record *rec, uint8_t *buf, size_t cap,
			  size_t *out_len);

/* Decode exactly `len` bytes (§5.3). Checks structure only (type, version,
 * reserved bits, visibility, name, owner ID = hash(pk), no trailing bytes),
 * not the signature or the times. Write *out only on success. Return 0,
 * -EPROTONOSUPPORT (unknown version) or -EBADMSG. Pure. */
int service_record_decode(struct service_record *out, const uint8_t *buf, size_t len);

/* Fill rec->owner from rec->pk and sign with `sk` (64-byte libsodium secret
 * key whose public half is rec->pk). Return 0, -EINVAL (wrong key or a
 * record the decoder would refuse) or -ENOMEM. */
int service_record_sign(struct service_record *rec, const uint8_t sk[64]);

/* Verify the signature and the times against `now` (Unix seconds), §5.4.
 * Return 0, -EBADMSG (bad signature), -ETIME (expired) or -EINVAL (issued
 * too far in the future, expires before issued, lifetime over the cap). */
int service_record_verify(const struct service_record *rec, uint64_t now);

/* "public" | "private" | "hidden", or "unknown". */
const char *service_visibility_name(uint8_t vis);
/* The reverse; return 0 or -EINVAL. */
int service_visibility_parse(const char *name, uint8_t *out);

#endif /* VX6_IDENTITY_SERVICE_RECORD_H */
