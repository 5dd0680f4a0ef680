/* identity/record.c - the signed node record: canonical encoding, total
 * decoding, signing and verification (docs/wire.md §2).
 *
 * Owns the byte layout and the per-record rules (structure, signature,
 * times). Freshness against a stored copy (the sequence-number rule) belongs
 * to the registry in discovery/, which is the only place that knows the
 * previous record. No I/O, no allocation beyond the signing buffer that
 * lib/secure.c makes.
 */
#include "identity/record.h"

#include <errno.h>
#include <string.h>

#include "identity/overlay_addr.h"
#include "lib/secure.h"
#include "lib/wire.h"

#define RECORD_FLAGS_KNOWN 0x0000 /* version 1 defines no flags */

_Static_assert(RECORD_SIG_LEN == SEC_ED25519_SIG_LEN, "record signature is Ed25519");
_Static_assert(RECORD_NAME_MAX == OVERLAY_NET_NAME_MAX, "record names follow the name rule");
_Static_assert(RECORD_ENDPOINT_LEN == 16 + 2 + 1 + 1, "endpoint layout");

static bool transport_is_valid(uint8_t t)
{
	return t >= RECORD_TRANSPORT_TCP && t <= RECORD_TRANSPORT_UDP;
}

/* Every rule the decoder enforces on a record's fields, so that the encoder
 * can refuse exactly what the decoder would reject (§2.3). */
static bool record_is_encodable(const struct node_record *rec)
{
	struct node_id want;

	if (!overlay_name_is_valid(rec->name) || rec->n_endpoints > RECORD_ENDPOINTS_MAX)
		return false;
	for (unsigned i = 0; i < rec->n_endpoints; i++) {
		if (rec->ep[i].port == 0 || !transport_is_valid(rec->ep[i].transport))
			return false;
	}
	node_id_from_pubkey(&want, rec->pk);
	return node_id_is_equal(&want, &rec->id);
}

/* Everything the signature covers (§2.1, all fields before `signature`). */
static void put_body(struct wire_wr *w, const struct node_record *rec)
{
	size_t name_len = strlen(rec->name);

	wire_put_u8(w, RECORD_TYPE_NODE);
	wire_put_u8(w, RECORD_VERSION);
	wire_put_u16(w, 0); /* flags */
	wire_put_bytes(w, rec->id.b, NODE_ID_LEN);
	wire_put_bytes(w, rec->pk, NODE_PK_LEN);
	wire_put_u64(w, rec->seq);
	wire_put_u64(w, rec->issued);
	wire_put_u64(w, rec->expires);
	wire_put_u8(w, (uint8_t)name_len); /* <= RECORD_NAME_MAX: checked */
	wire_put_bytes(w, rec->name, name_len);
	wire_put_u8(w, rec->n_endpoints);
	for (unsigned i = 0; i < rec->n_endpoints; i++) {
		wire_put_in6(w, &rec->ep[i].addr);
		wire_put_u16(w, rec->ep[i].port);
		wire_put_u8(w, rec->ep[i].transport);
		wire_put_u8(w, 0); /* reserved */
	}
}

int node_record_encode(const struct node_record *rec, uint8_t *buf, size_t cap, size_t *out_len)
{
	struct wire_wr w;

	if (!record_is_encodable(rec))
		return -EINVAL;
	wire_wr_init(&w, buf, cap);
	put_body(&w, rec);
	wire_put_bytes(&w, rec->sig, RECORD_SIG_LEN);
	if (w.bad)
		return -ENOSPC;
	*out_len = w.len;
	return 0;
}

static int get_endpoint(struct wire_rd *r, struct record_endpoint *ep)
{
	uint8_t reserved;

	wire_get_in6(r, &ep->addr);
	ep->port = wire_get_u16(r);
	ep->transport = wire_get_u8(r);
	reserved = wire_get_u8(r);
	if (r->bad || ep->port == 0 || !transport_is_valid(ep->transport) || reserved != 0)
		return -EBADMSG;
	return 0;
}

/* §2.3. The type, version and flags come first and decide the layout, so an
 * unknown version is reported as such even if the rest would not parse. */
int node_record_decode(struct node_record *out, const uint8_t *buf, size_t len)
{
	struct node_record rec;
	struct node_id want;
	struct wire_rd r;
	const uint8_t *name;
	uint8_t type, version, name_len;
	uint16_t flags;

	memset(&rec, 0, sizeof(rec)); /* unused endpoint slots stay zero */
	wire_rd_init(&r, buf, len);
	type = wire_get_u8(&r);
	version = wire_get_u8(&r);
	flags = wire_get_u16(&r);
	if (r.bad || type != RECORD_TYPE_NODE)
		return -EBADMSG;
	if (version != RECORD_VERSION)
		return -EPROTONOSUPPORT;
	if (flags & ~RECORD_FLAGS_KNOWN)
		return -EBADMSG;
	wire_get_copy(&r, rec.id.b, NODE_ID_LEN);
	wire_get_copy(&r, rec.pk, NODE_PK_LEN);
	rec.seq = wire_get_u64(&r);
	rec.issued = wire_get_u64(&r);
	rec.expires = wire_get_u64(&r);
	name_len = wire_get_u8(&r);
	if (r.bad || name_len == 0 || name_len > RECORD_NAME_MAX)
		return -EBADMSG;
	name = wire_get_bytes(&r, name_len);
	if (!name || memchr(name, '\0', name_len))
		return -EBADMSG; /* an embedded NUL would shorten the name */
	memcpy(rec.name, name, name_len);
	if (!overlay_name_is_valid(rec.name))
		return -EBADMSG;
	rec.n_endpoints = wire_get_u8(&r);
	if (r.bad || rec.n_endpoints > RECORD_ENDPOINTS_MAX)
		return -EBADMSG;
	for (unsigned i = 0; i < rec.n_endpoints; i++) {
		if (get_endpoint(&r, &rec.ep[i]) < 0)
			return -EBADMSG;
	}
	wire_get_copy(&r, rec.sig, RECORD_SIG_LEN);
	if (!wire_rd_is_done(&r))
		return -EBADMSG; /* short, or trailing bytes */
	/* A record names its key twice; both must agree, or a registry keyed
	 * by node ID could be made to hold someone else's key. */
	node_id_from_pubkey(&want, rec.pk);
	if (!node_id_is_equal(&want, &rec.id))
		return -EBADMSG;
	*out = rec;
	return 0;
}

/* Encode the signed part into `body`. Return its length, or 0 if `rec`
 * breaks a rule (the body is never empty). */
static size_t body_encode(const struct node_record *rec, uint8_t body[NODE_RECORD_MAX_LEN])
{
	struct wire_wr w;

	if (!record_is_encodable(rec))
		return 0;
	wire_wr_init(&w, body, NODE_RECORD_MAX_LEN);
	put_body(&w, rec);
	return w.bad ? 0 : w.len;
}

int node_record_sign(struct node_record *rec, const uint8_t sk[64])
{
	uint8_t body[NODE_RECORD_MAX_LEN], sig[RECORD_SIG_LEN];
	size_t len;
	int r;

	/* libsodium's secret key is seed || public key: refuse to sign with a
	 * key that is not the one the record names. */
	if (!sec_equal(sk + SEC_ED25519_SEED_LEN, rec->pk, NODE_PK_LEN))
		return -EINVAL;
	node_id_from_pubkey(&rec->id, rec->pk);
	len = body_encode(rec, body);
	if (len == 0)
		return -EINVAL;
	r = sec_ed25519_sign(sig, RECORD_NODE_SIG_LABEL, body, len, sk);
	if (r < 0)
		return r;
	memcpy(rec->sig, sig, RECORD_SIG_LEN);
	return 0;
}

int node_record_verify(const struct node_record *rec, uint64_t now)
{
	uint8_t body[NODE_RECORD_MAX_LEN];
	size_t len;
	int r;

	/* A record the decoder would reject carries no valid signature. */
	len = body_encode(rec, body);
	if (len == 0)
		return -EBADMSG;
	r = sec_ed25519_verify(rec->sig, RECORD_NODE_SIG_LABEL, body, len, rec->pk);
	if (r < 0)
		return r;
	return record_times_check(rec->issued, rec->expires, now);
}

int record_times_check(uint64_t issued, uint64_t expires, uint64_t now)
{
	/* §2.4, in this order. Subtractions only after the comparison that
	 * keeps them from wrapping. */
	if (now >= expires)
		return -ETIME;
	if (issued > now && issued - now > RECORD_SKEW_MAX_S)
		return -EINVAL;
	if (expires <= issued || expires - issued > RECORD_LIFETIME_MAX_S)
		return -EINVAL;
	return 0;
}

static const char *const transport_names[] = {
    [RECORD_TRANSPORT_TCP] = "tcp",
    [RECORD_TRANSPORT_QUIC] = "quic",
    [RECORD_TRANSPORT_UDP] = "udp",
};

const char *record_transport_name(uint8_t transport)
{
	return transport_is_valid(transport) ? transport_names[transport] : "unknown";
}

int record_transport_parse(const char *name, uint8_t *out)
{
	for (uint8_t t = RECORD_TRANSPORT_TCP; t <= RECORD_TRANSPORT_UDP; t++) {
		if (strcmp(name, transport_names[t]) == 0) {
			*out = t;
			return 0;
		}
	}
	return -EINVAL;
}
