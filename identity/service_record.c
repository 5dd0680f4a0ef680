/* identity/service_record.c - the signed service record: canonical
 * encoding, total decoding, signing and verification (docs/wire.md §5).
 *
 * Mirrors identity/record.c. Owns the byte layout and the per-record rules
 * (structure, signature, times). Freshness against a stored copy (the
 * sequence rule) belongs to discovery/, which holds the previous record.
 * No I/O, no allocation beyond the signing buffer lib/secure.c makes.
 */
#include "identity/service_record.h"

#include <errno.h>
#include <string.h>

#include "identity/overlay_addr.h"
#include "identity/record.h"
#include "lib/secure.h"
#include "lib/wire.h"

#define SERVICE_FLAGS_KNOWN 0x0000 /* version 1 defines no flags */

_Static_assert(SERVICE_RECORD_SIG_LEN == SEC_ED25519_SIG_LEN, "service signature is Ed25519");
_Static_assert(SERVICE_LABEL_MAX == OVERLAY_NET_NAME_MAX, "labels follow the name rule");
_Static_assert(SERVICE_KEY_LEN == SEC_HASH256_LEN, "service key is BLAKE2b-256");
_Static_assert(SERVICE_NAME_MAX <= 255, "name length fits its u8");

static bool label_is_valid(const char *s, size_t n)
{
	char label[SERVICE_LABEL_MAX + 1];

	if (n == 0 || n > SERVICE_LABEL_MAX)
		return false;
	memcpy(label, s, n);
	label[n] = '\0';
	return overlay_name_is_valid(label);
}

bool service_name_is_valid(const char *name)
{
	const char *dot;
	size_t n;

	if (!name)
		return false;
	n = strnlen(name, SERVICE_NAME_MAX + 1);
	if (n < SERVICE_NAME_MIN || n > SERVICE_NAME_MAX)
		return false;
	dot = memchr(name, '.', n);
	if (!dot || memchr(dot + 1, '.', n - (size_t)(dot - name) - 1))
		return false; /* exactly one dot */
	return label_is_valid(name, (size_t)(dot - name)) &&
	       label_is_valid(dot + 1, n - (size_t)(dot - name) - 1);
}

void service_name_key(uint8_t out[SERVICE_KEY_LEN], const char *name)
{
	sec_hash256(out, SERVICE_KEY_LABEL, name, strlen(name));
}

static bool visibility_is_valid(uint8_t v)
{
	return v >= SERVICE_VIS_PUBLIC && v <= SERVICE_VIS_HIDDEN;
}

/* Every rule the decoder enforces on a record's fields, so that the encoder
 * refuses exactly what the decoder would reject (§5.3). */
static bool record_is_encodable(const struct service_record *rec)
{
	struct node_id want;

	if (!service_name_is_valid(rec->name) || !visibility_is_valid(rec->visibility))
		return false;
	node_id_from_pubkey(&want, rec->pk);
	return node_id_is_equal(&want, &rec->owner);
}

/* Everything the signature covers (§5.1, all fields before `signature`). */
static void put_body(struct wire_wr *w, const struct service_record *rec)
{
	size_t name_len = strlen(rec->name);

	wire_put_u8(w, SERVICE_RECORD_TYPE);
	wire_put_u8(w, SERVICE_RECORD_VERSION);
	wire_put_u16(w, 0); /* flags */
	wire_put_bytes(w, rec->owner.b, NODE_ID_LEN);
	wire_put_bytes(w, rec->pk, NODE_PK_LEN);
	wire_put_u64(w, rec->seq);
	wire_put_u64(w, rec->issued);
	wire_put_u64(w, rec->expires);
	wire_put_u8(w, rec->visibility);
	wire_put_u8(w, (uint8_t)name_len); /* <= SERVICE_NAME_MAX: checked */
	wire_put_bytes(w, rec->name, name_len);
}

int service_record_encode(const struct service_record *rec, uint8_t *buf, size_t cap,
			  size_t *out_len)
{
	struct wire_wr w;

	if (!record_is_encodable(rec))
		return -EINVAL;
	wire_wr_init(&w, buf, cap);
	put_body(&w, rec);
	wire_put_bytes(&w, rec->sig, SERVICE_RECORD_SIG_LEN);
	if (w.bad)
		return -ENOSPC;
	*out_len = w.len;
	return 0;
}

/* §5.3. Type, version and flags come first and decide the layout, so an
 * unknown version is reported as such even if the rest would not parse. */
int service_record_decode(struct service_record *out, const uint8_t *buf, size_t len)
{
	struct service_record rec;
	struct node_id want;
	struct wire_rd r;
	const uint8_t *name;
	uint8_t type, version, name_len;
	uint16_t flags;

	memset(&rec, 0, sizeof(rec)); /* the name's tail stays NUL */
	wire_rd_init(&r, buf, len);
	type = wire_get_u8(&r);
	version = wire_get_u8(&r);
	flags = wire_get_u16(&r);
	if (r.bad || type != SERVICE_RECORD_TYPE)
		return -EBADMSG;
	if (version != SERVICE_RECORD_VERSION)
		return -EPROTONOSUPPORT;
	if (flags & ~SERVICE_FLAGS_KNOWN)
		return -EBADMSG;
	wire_get_copy(&r, rec.owner.b, NODE_ID_LEN);
	wire_get_copy(&r, rec.pk, NODE_PK_LEN);
	rec.seq = wire_get_u64(&r);
	rec.issued = wire_get_u64(&r);
	rec.expires = wire_get_u64(&r);
	rec.visibility = wire_get_u8(&r);
	name_len = wire_get_u8(&r);
	if (r.bad || !visibility_is_valid(rec.visibility) || name_len < SERVICE_NAME_MIN ||
	    name_len > SERVICE_NAME_MAX)
		return -EBADMSG;
	name = wire_get_bytes(&r, name_len);
	if (!name || memchr(name, '\0', name_len))
		return -EBADMSG; /* an embedded NUL would shorten the name */
	memcpy(rec.name, name, name_len);
	if (!service_name_is_valid(rec.name))
		return -EBADMSG;
	wire_get_copy(&r, rec.sig, SERVICE_RECORD_SIG_LEN);
	if (!wire_rd_is_done(&r))
		return -EBADMSG; /* short, or trailing bytes */
	/* The record names its key twice; both must agree, or a holder keyed
	 * by owner could be made to hold someone else's key. */
	node_id_from_pubkey(&want, rec.pk);
	if (!node_id_is_equal(&want, &rec.owner))
		return -EBADMSG;
	*out = rec;
	return 0;
}

/* Encode the signed part into `body`. Return its length, or 0 if `rec`
 * breaks a rule (the body is never empty). */
static size_t body_encode(const struct service_record *rec, uint8_t body[SERVICE_RECORD_MAX_LEN])
{
	struct wire_wr w;

	if (!record_is_encodable(rec))
		return 0;
	wire_wr_init(&w, body, SERVICE_RECORD_MAX_LEN);
	put_body(&w, rec);
	return w.bad ? 0 : w.len;
}

int service_record_sign(struct service_record *rec, const uint8_t sk[64])
{
	uint8_t body[SERVICE_RECORD_MAX_LEN], sig[SERVICE_RECORD_SIG_LEN];
	size_t len;
	int r;

	/* libsodium's secret key is seed || public key: refuse to sign with a
	 * key that is not the one the record names. */
	if (!sec_equal(sk + SEC_ED25519_SEED_LEN, rec->pk, NODE_PK_LEN))
		return -EINVAL;
	node_id_from_pubkey(&rec->owner, rec->pk);
	len = body_encode(rec, body);
	if (len == 0)
		return -EINVAL;
	r = sec_ed25519_sign(sig, SERVICE_RECORD_SIG_LABEL, body, len, sk);
	if (r < 0)
		return r;
	memcpy(rec->sig, sig, SERVICE_RECORD_SIG_LEN);
	return 0;
}

int service_record_verify(const struct service_record *rec, uint64_t now)
{
	uint8_t body[SERVICE_RECORD_MAX_LEN];
	size_t len;
	int r;

	/* A record the decoder would reject carries no valid signature. */
	len = body_encode(rec, body);
	if (len == 0)
		return -EBADMSG;
	r = sec_ed25519_verify(rec->sig, SERVICE_RECORD_SIG_LABEL, body, len, rec->pk);
	if (r < 0)
		return r;
	return record_times_check(rec->issued, rec->expires, now); /* §5.4 = §2.4 */
}

static const char *const vis_names[] = {
    [SERVICE_VIS_PUBLIC] = "public",
    [SERVICE_VIS_PRIVATE] = "private",
    [SERVICE_VIS_HIDDEN] = "hidden",
};

const char *service_visibility_name(uint8_t vis)
{
	return visibility_is_valid(vis) ? vis_names[vis] : "unknown";
}

int service_visibility_parse(const char *name, uint8_t *out)
{
	for (uint8_t v = SERVICE_VIS_PUBLIC; v <= SERVICE_VIS_HIDDEN; v++) {
		if (strcmp(name, vis_names[v]) == 0) {
			*out = v;
			return 0;
		}
	}
	return -EINVAL;
}
