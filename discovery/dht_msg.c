/* discovery/dht_msg.c - discovery message codec (docs/wire.md §6).
 *
 * Owns the byte layout of every DHT and registry-sync message. The decoder
 * is total and canonical: it accepts only what the encoder would produce
 * (every count within its cap, reserved bits zero, contacts whose ID is the
 * hash of their key, values that decode as records, strictly ordered sync
 * keys, no trailing bytes). What a value says, and whether it is signed and
 * current, is the receiver's business (discovery/dht_store.c).
 */
#include "discovery/dht_msg.h"

#include <errno.h>
#include <string.h>

#include "identity/service_record.h"
#include "lib/wire.h"

#define HDR_LEN 11 /* version, type, flags, txid */

_Static_assert(NODE_RECORD_MAX_LEN <= DHT_VALUE_MAX_LEN, "a node record fits a value");
_Static_assert(SERVICE_RECORD_MAX_LEN <= DHT_VALUE_MAX_LEN, "a service record fits a value");
_Static_assert(DHT_VALUE_MAX_LEN <= UINT16_MAX, "value length fits its u16");

static bool endpoint_is_valid(const struct record_endpoint *ep)
{
	return ep->port != 0 && ep->transport >= RECORD_TRANSPORT_TCP &&
	       ep->transport <= RECORD_TRANSPORT_UDP;
}

bool dht_contact_is_valid(const struct dht_contact *c)
{
	struct node_id want;

	if (c->n_ep > DHT_CONTACT_EP_MAX)
		return false;
	for (unsigned i = 0; i < c->n_ep; i++) {
		if (!endpoint_is_valid(&c->ep[i]))
			return false;
	}
	node_id_from_pubkey(&want, c->pk);
	return dht_id_is_equal(&want, &c->id);
}

bool dht_msg_is_reply(uint8_t type)
{
	return type == DHT_MSG_PONG || type == DHT_MSG_NODES || type == DHT_MSG_VALUE ||
	       type == DHT_MSG_STORED;
}

int dht_sync_key_cmp(const struct dht_sync_key *a, const struct dht_sync_key *b)
{
	int c = memcmp(a->key, b->key, DHT_KEY_LEN);

	return c ? c : memcmp(a->owner.b, b->owner.b, NODE_ID_LEN);
}

/* A value is a node or a service record, told apart by its first byte. */
static bool value_is_valid(const uint8_t *b, size_t len)
{
	struct node_record nr;
	struct service_record sr;

	if (len == 0)
		return false;
	if (b[0] == RECORD_TYPE_NODE)
		return node_record_decode(&nr, b, len) == 0;
	if (b[0] == SERVICE_RECORD_TYPE)
		return service_record_decode(&sr, b, len) == 0;
	return false;
}

static bool sync_kind_is_valid(uint8_t kind)
{
	return kind == DHT_SYNC_NODES || kind == DHT_SYNC_SERVICES;
}

/* Node keys carry no owner on the wire: it equals the key. */
static bool sync_key_is_valid(uint8_t kind, const struct dht_sync_key *k)
{
	return kind != DHT_SYNC_NODES || memcmp(k->key, k->owner.b, DHT_KEY_LEN) == 0;
}

/* Keys strictly increasing (so no duplicates and one order on the wire). */
static bool keys_are_ordered(const struct dht_sync_key *k, unsigned n)
{
	for (unsigned i = 1; i < n; i++) {
		if (dht_sync_key_cmp(&k[i - 1], &k[i]) >= 0)
			return false;
	}
	return true;
}

/* Ordered, and each key valid for `kind`: what an encoder checks of the
 * keys of a DIGEST or WANT (the decoder builds valid keys). */
static bool keys_are_encodable(uint8_t kind, const struct dht_sync_key *k, unsigned n)
{
	for (unsigned i = 0; i < n; i++) {
		if (!sync_key_is_valid(kind, &k[i]))
			return false;
	}
	return keys_are_ordered(k, n);
}

/* ---- encoder -------------------------------------------------------------- */

static void put_contact(struct wire_wr *w, const struct dht_contact *c)
{
	wire_put_bytes(w, c->id.b, NODE_ID_LEN);
	wire_put_bytes(w, c->pk, NODE_PK_LEN);
	wire_put_u8(w, c->n_ep);
	for (unsigned i = 0; i < c->n_ep; i++) {
		wire_put_in6(w, &c->ep[i].addr);
		wire_put_u16(w, c->ep[i].port);
		wire_put_u8(w, c->ep[i].transport);
		wire_put_u8(w, 0); /* reserved */
	}
}

static void put_sync_key(struct wire_wr *w, uint8_t kind, const struct dht_sync_key *k)
{
	wire_put_bytes(w, k->key, DHT_KEY_LEN);
	if (kind == DHT_SYNC_SERVICES)
		wire_put_bytes(w, k->owner.b, NODE_ID_LEN);
}

static bool values_are_encodable(const struct dht_msg *m)
{
	unsigned hi = m->type == DHT_MSG_STORE ? 1 : DHT_VALUES_MAX;

	if (m->u.values.n == 0 || m->u.values.n > hi)
		return false;
	for (unsigned i = 0; i < m->u.values.n; i++) {
		const struct dht_value *v = &m->u.values.v[i];

		if (v->len > DHT_VALUE_MAX_LEN || !value_is_valid(v->b, v->len))
			return false;
	}
	return true;
}

static bool digest_is_encodable(const struct dht_digest *d)
{
	if (!sync_kind_is_valid(d->kind) || (d->flags & ~DHT_DIGEST_F_KNOWN) ||
	    d->n > DHT_DIGEST_MAX || !keys_are_encodable(d->kind, d->keys, d->n) ||
	    ((d->flags & DHT_DIGEST_F_MORE) && d->n == 0))
		return false;
	return (d->flags & DHT_DIGEST_F_FIRST) ||
	       (sync_key_is_valid(d->kind, &d->after) &&
		(d->n == 0 || dht_sync_key_cmp(&d->after, &d->keys[0]) < 0));
}

static bool want_is_encodable(const struct dht_want *wt)
{
	return sync_kind_is_valid(wt->kind) && wt->n > 0 && wt->n <= DHT_WANT_MAX &&
	       keys_are_encodable(wt->kind, wt->keys, wt->n);
}

static bool nodes_are_encodable(const struct dht_msg *m)
{
	if (m->u.nodes.n > DHT_K_MAX)
		return false;
	for (unsigned i = 0; i < m->u.nodes.n; i++) {
		if (!dht_contact_is_valid(&m->u.nodes.c[i]))
			return false;
		for (unsigned j = 0; j < i; j++) {
			if (dht_id_is_equal(&m->u.nodes.c[i].id, &m->u.nodes.c[j].id))
				return false;
		}
	}
	return true;
}

/* Every rule the decoder enforces, so the encoder refuses what it would. */
static bool msg_is_encodable(const struct dht_msg *m)
{
	if ((m->flags & ~DHT_MSG_F_KNOWN) || !dht_contact_is_valid(&m->sender))
		return false;
	switch (m->type) {
	case DHT_MSG_PING:
	case DHT_MSG_PONG:
	case DHT_MSG_FIND_NODE:
	case DHT_MSG_FIND_VALUE:
		return true;
	case DHT_MSG_NODES:
		return nodes_are_encodable(m);
	case DHT_MSG_VALUE:
	case DHT_MSG_STORE:
	case DHT_MSG_RECORDS:
		return values_are_encodable(m);
	case DHT_MSG_STORED:
		return m->u.status <= DHT_STORE__STATUS_MAX;
	case DHT_MSG_DIGEST:
		return digest_is_encodable(&m->u.digest);
	case DHT_MSG_WANT:
		return want_is_encodable(&m->u.want);
	default:
		return false;
	}
}

static void put_body(struct wire_wr *w, const struct dht_msg *m)
{
	const struct dht_digest *d = &m->u.digest;

	switch (m->type) {
	case DHT_MSG_FIND_NODE:
	case DHT_MSG_FIND_VALUE:
		wire_put_bytes(w, m->u.target, DHT_KEY_LEN);
		break;
	case DHT_MSG_NODES:
		wire_put_u8(w, m->u.nodes.n);
		for (unsigned i = 0; i < m->u.nodes.n; i++)
			put_contact(w, &m->u.nodes.c[i]);
		break;
	case DHT_MSG_VALUE:
	case DHT_MSG_STORE:
	case DHT_MSG_RECORDS:
		wire_put_u8(w, m->u.values.n);
		for (unsigned i = 0; i < m->u.values.n; i++) {
			wire_put_u16(w, m->u.values.v[i].len);
			wire_put_bytes(w, m->u.values.v[i].b, m->u.values.v[i].len);
		}
		break;
	case DHT_MSG_STORED:
		wire_put_u8(w, m->u.status);
		break;
	case DHT_MSG_DIGEST:
		wire_put_u8(w, d->kind);
		wire_put_u8(w, d->flags);
		if (!(d->flags & DHT_DIGEST_F_FIRST))
			put_sync_key(w, d->kind, &d->after);
		wire_put_u8(w, d->n);
		for (unsigned i = 0; i < d->n; i++) {
			put_sync_key(w, d->kind, &d->keys[i]);
			wire_put_u64(w, d->seq[i]);
		}
		break;
	case DHT_MSG_WANT:
		wire_put_u8(w, m->u.want.kind);
		wire_put_u8(w, m->u.want.n);
		for (unsigned i = 0; i < m->u.want.n; i++)
			put_sync_key(w, m->u.want.kind, &m->u.want.keys[i]);
		break;
	default:
		break; /* PING, PONG: no body */
	}
}

int dht_msg_encode(const struct dht_msg *m, uint8_t *buf, size_t cap, size_t *out_len)
{
	struct wire_wr w;

	if (!msg_is_encodable(m))
		return -EINVAL;
	wire_wr_init(&w, buf, cap < DHT_MSG_MAX_LEN ? cap : DHT_MSG_MAX_LEN);
	wire_put_u8(&w, DHT_MSG_VERSION);
	wire_put_u8(&w, m->type);
	wire_put_u8(&w, m->flags);
	wire_put_u64(&w, m->txid);
	put_contact(&w, &m->sender);
	put_body(&w, m);
	if (w.bad)
		return cap < DHT_MSG_MAX_LEN ? -ENOSPC : -EINVAL; /* over the cap: never sent */
	*out_len = w.len;
	return 0;
}

/* ---- decoder -------------------------------------------------------------- */

static int get_contact(struct wire_rd *r, struct dht_contact *c)
{
	wire_get_copy(r, c->id.b, NODE_ID_LEN);
	wire_get_copy(r, c->pk, NODE_PK_LEN);
	c->n_ep = wire_get_u8(r);
	if (r->bad || c->n_ep > DHT_CONTACT_EP_MAX)
		return -EBADMSG;
	for (unsigned i = 0; i < c->n_ep; i++) {
		wire_get_in6(r, &c->ep[i].addr);
		c->ep[i].port = wire_get_u16(r);
		c->ep[i].transport = wire_get_u8(r);
		if (wire_get_u8(r) != 0 || r->bad || !endpoint_is_valid(&c->ep[i]))
			return -EBADMSG; /* reserved byte, short, or bad endpoint */
	}
	if (r->bad || !dht_contact_is_valid(c))
		return -EBADMSG; /* the ID must be the key's hash (§6.2) */
	return 0;
}

static int get_nodes(struct wire_rd *r, struct dht_msg *m)
{
	m->u.nodes.n = wire_get_u8(r);
	if (r->bad || m->u.nodes.n > DHT_K_MAX)
		return -EBADMSG;
	for (unsigned i = 0; i < m->u.nodes.n; i++) {
		if (get_contact(r, &m->u.nodes.c[i]) < 0)
			return -EBADMSG;
		for (unsigned j = 0; j < i; j++) {
			if (dht_id_is_equal(&m->u.nodes.c[i].id, &m->u.nodes.c[j].id))
				return -EBADMSG; /* duplicate contact */
		}
	}
	return 0;
}

static int get_values(struct wire_rd *r, struct dht_msg *m)
{
	unsigned hi = m->type == DHT_MSG_STORE ? 1 : DHT_VALUES_MAX;

	m->u.values.n = wire_get_u8(r);
	if (r->bad || m->u.values.n == 0 || m->u.values.n > hi)
		return -EBADMSG;
	for (unsigned i = 0; i < m->u.values.n; i++) {
		struct dht_value *v = &m->u.values.v[i];

		v->len = wire_get_u16(r);
		if (r->bad)
			return -EBADMSG;
		if (v->len > DHT_VALUE_MAX_LEN)
			return -EMSGSIZE;
		wire_get_copy(r, v->b, v->len);
		if (r->bad || !value_is_valid(v->b, v->len))
			return -EBADMSG;
	}
	return 0;
}

static void get_sync_key(struct wire_rd *r, uint8_t kind, struct dht_sync_key *k)
{
	wire_get_copy(r, k->key, DHT_KEY_LEN);
	if (kind == DHT_SYNC_SERVICES)
		wire_get_copy(r, k->owner.b, NODE_ID_LEN);
	else
		memcpy(k->owner.b, k->key, NODE_ID_LEN);
}

static int get_digest(struct wire_rd *r, struct dht_digest *d)
{
	d->kind = wire_get_u8(r);
	d->flags = wire_get_u8(r);
	if (r->bad || !sync_kind_is_valid(d->kind) || (d->flags & ~DHT_DIGEST_F_KNOWN))
		return -EBADMSG;
	if (!(d->flags & DHT_DIGEST_F_FIRST))
		get_sync_key(r, d->kind, &d->after);
	d->n = wire_get_u8(r);
	if (r->bad || d->n > DHT_DIGEST_MAX || ((d->flags & DHT_DIGEST_F_MORE) && d->n == 0))
		return -EBADMSG; /* a page with more to come covers at least one key */
	for (unsigned i = 0; i < d->n; i++) {
		get_sync_key(r, d->kind, &d->keys[i]);
		d->seq[i] = wire_get_u64(r);
	}
	if (r->bad || !keys_are_ordered(d->keys, d->n))
		return -EBADMSG;
	if (!(d->flags & DHT_DIGEST_F_FIRST) && d->n > 0 &&
	    dht_sync_key_cmp(&d->after, &d->keys[0]) >= 0)
		return -EBADMSG; /* the page must start after its cursor */
	return 0;
}

static int get_want(struct wire_rd *r, struct dht_want *wt)
{
	wt->kind = wire_get_u8(r);
	wt->n = wire_get_u8(r);
	if (r->bad || !sync_kind_is_valid(wt->kind) || wt->n == 0 || wt->n > DHT_WANT_MAX)
		return -EBADMSG;
	for (unsigned i = 0; i < wt->n; i++)
		get_sync_key(r, wt->kind, &wt->keys[i]);
	if (r->bad || !keys_are_ordered(wt->keys, wt->n))
		return -EBADMSG;
	return 0;
}

static int get_body(struct wire_rd *r, struct dht_msg *m)
{
	switch (m->type) {
	case DHT_MSG_PING:
	case DHT_MSG_PONG:
		return 0;
	case DHT_MSG_FIND_NODE:
	case DHT_MSG_FIND_VALUE:
		wire_get_copy(r, m->u.target, DHT_KEY_LEN);
		return r->bad ? -EBADMSG : 0;
	case DHT_MSG_NODES:
		return get_nodes(r, m);
	case DHT_MSG_VALUE:
	case DHT_MSG_STORE:
	case DHT_MSG_RECORDS:
		return get_values(r, m);
	case DHT_MSG_STORED:
		m->u.status = wire_get_u8(r);
		return r->bad || m->u.status > DHT_STORE__STATUS_MAX ? -EBADMSG : 0;
	case DHT_MSG_DIGEST:
		return get_digest(r, &m->u.digest);
	case DHT_MSG_WANT:
		return get_want(r, &m->u.want);
	default:
		return -ENOMSG;
	}
}

/* §6.1. The version comes first and decides the layout; the type decides
 * the body. The message is built in a local copy (about 4 KiB), so *out is
 * written only on success. */
int dht_msg_decode(struct dht_msg *out, const uint8_t *buf, size_t len)
{
	struct dht_msg m;
	struct wire_rd r;
	uint8_t version;
	int err;

	if (len > DHT_MSG_MAX_LEN)
		return -EMSGSIZE;
	wire_rd_init(&r, buf, len);
	version = wire_get_u8(&r);
	if (r.bad)
		return -EBADMSG;
	if (version != DHT_MSG_VERSION)
		return -EPROTONOSUPPORT;
	memset(&m, 0, sizeof(m));
	m.type = wire_get_u8(&r);
	m.flags = wire_get_u8(&r);
	m.txid = wire_get_u64(&r);
	if (r.bad || (m.flags & ~DHT_MSG_F_KNOWN))
		return -EBADMSG;
	if (m.type == 0 || m.type > DHT_MSG__TYPE_MAX)
		return -ENOMSG;
	if (get_contact(&r, &m.sender) < 0)
		return -EBADMSG;
	err = get_body(&r, &m);
	if (err < 0)
		return err;
	if (!wire_rd_is_done(&r))
		return -EBADMSG; /* trailing bytes */
	*out = m;
	return 0;
}

static const char *const type_names[] = {
    [DHT_MSG_PING] = "ping",
    [DHT_MSG_PONG] = "pong",
    [DHT_MSG_FIND_NODE] = "find_node",
    [DHT_MSG_NODES] = "nodes",
    [DHT_MSG_FIND_VALUE] = "find_value",
    [DHT_MSG_VALUE] = "value",
    [DHT_MSG_STORE] = "store",
    [DHT_MSG_STORED] = "stored",
    [DHT_MSG_DIGEST] = "digest",
    [DHT_MSG_WANT] = "want",
    [DHT_MSG_RECORDS] = "records",
};

const char *dht_msg_type_name(uint8_t type)
{
	return type >= 1 && type <= DHT_MSG__TYPE_MAX ? type_names[type] : "unknown";
}
