/* discovery/dht_own.c - the values this node publishes itself: its node
 * record and its public service records (docs/discovery.md "Publishing").
 *
 * The engine cannot sign: it keeps the signed records the caller gives
 * it, answers FIND_VALUE for them, stores them at the k closest nodes at
 * once and again every republish_ms, and forgets them when they expire.
 * The caller issues a fresh record (higher sequence) before that, and at
 * once when its addresses change; dht_publish() then replaces the old one
 * and stores the new one right away. Also the engine's name tables.
 */
#include "discovery/dht_internal.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "identity/record.h"

#define RETRY_MS 1000 /* lookups were all busy: try again this soon */

static int refusal_errno(enum dht_refuse why)
{
	switch (why) {
	case DHT_REFUSE_BAD_SIG:
		return -EBADMSG;
	case DHT_REFUSE_EXPIRED:
		return -ETIME;
	default:
		return -EINVAL; /* times or visibility */
	}
}

static int own_slot(struct dht *dht, const struct dht_value_info *vi, const uint8_t *rec,
		    size_t len, struct dht_own **out)
{
	for (unsigned i = 0; i < dht->n_own; i++) {
		struct dht_own *o = &dht->own[i];

		if (memcmp(o->vi.key, vi->key, DHT_KEY_LEN) != 0 ||
		    !dht_id_is_equal(&o->vi.owner, &vi->owner))
			continue;
		if (o->v.len == len && memcmp(o->v.b, rec, len) == 0) {
			*out = o; /* the same record again: publish it now */
			return 0;
		}
		if (vi->seq <= o->vi.seq)
			return -ESTALE;
		*out = o;
		return 0;
	}
	if (dht->n_own == DHT_OWN_MAX)
		return -ENOSPC;
	if (!dht->own) {
		dht->own = calloc(DHT_OWN_MAX, sizeof(*dht->own));
		if (!dht->own)
			return -ENOMEM;
	}
	*out = &dht->own[dht->n_own++];
	return 0;
}

static void own_publish(struct dht *dht, struct dht_own *o, uint64_t now_ms, uint32_t *out_id)
{
	uint32_t id = 0;
	int r = dht_lookup_start(dht, DHT_LOOKUP_PUBLISH, o->vi.key, NULL, 0, &o->v, now_ms, &id);

	o->next_ms = now_ms + (r == -EAGAIN || r == -ENOMEM ? RETRY_MS : dht->cfg.republish_ms);
	if (out_id)
		*out_id = r == 0 ? id : 0;
}

int dht_publish(struct dht *dht, const uint8_t *rec, size_t len, uint64_t now_ms, uint32_t *out_id)
{
	struct dht_value_info vi;
	enum dht_refuse why;
	struct dht_own *o;
	int r;

	if (len > DHT_VALUE_MAX_LEN || dht_value_parse(rec, len, &vi) < 0)
		return -EBADMSG;
	if (!dht_value_is_acceptable(dht, rec, len, &vi, dht_wall_s(dht), &why))
		return refusal_errno(why);
	r = own_slot(dht, &vi, rec, len, &o);
	if (r < 0)
		return r;
	o->vi = vi;
	o->v.len = (uint16_t)len;
	memcpy(o->v.b, rec, len);
	own_publish(dht, o, now_ms, out_id);
	return 0;
}

int dht_unpublish(struct dht *dht, const uint8_t key[DHT_KEY_LEN], const struct node_id *owner)
{
	for (unsigned i = 0; i < dht->n_own; i++) {
		if (memcmp(dht->own[i].vi.key, key, DHT_KEY_LEN) == 0 &&
		    dht_id_is_equal(&dht->own[i].vi.owner, owner)) {
			dht->own[i] = dht->own[--dht->n_own];
			return 0;
		}
	}
	return -ENOENT;
}

void dht_own_tick(struct dht *dht, uint64_t now_ms)
{
	for (unsigned i = 0; i < dht->n_own; i++) {
		if (now_ms >= dht->own[i].next_ms)
			own_publish(dht, &dht->own[i], now_ms, NULL);
	}
}

void dht_own_expire(struct dht *dht, uint64_t wall_s)
{
	for (unsigned i = 0; i < dht->n_own;) {
		if (wall_s < dht->own[i].vi.expires) {
			i++;
			continue;
		}
		dht->own[i] = dht->own[--dht->n_own];
		dht->stats.values_expired++;
	}
}

uint64_t dht_own_deadline(const struct dht *dht)
{
	uint64_t next = UINT64_MAX;

	for (unsigned i = 0; i < dht->n_own; i++) {
		if (dht->own[i].next_ms < next)
			next = dht->own[i].next_ms;
	}
	return next;
}

static const char *const drop_names[DHT_DROP__COUNT] = {
    [DHT_DROP_MALFORMED] = "malformed",	  [DHT_DROP_OVERSIZED] = "oversized",
    [DHT_DROP_VERSION] = "version",	  [DHT_DROP_UNKNOWN_TYPE] = "unknown_type",
    [DHT_DROP_SENDER] = "sender",	  [DHT_DROP_UNSOLICITED] = "unsolicited",
    [DHT_DROP_RATE_QUERY] = "rate_query", [DHT_DROP_RATE_STORE] = "rate_store",
    [DHT_DROP_NOT_DHT] = "not_dht",
};

static const char *const refuse_names[DHT_REFUSE__COUNT] = {
    [DHT_REFUSE_BAD_SIG] = "bad_signature",	[DHT_REFUSE_EXPIRED] = "expired",
    [DHT_REFUSE_BAD_TIME] = "bad_time",		[DHT_REFUSE_STALE] = "stale",
    [DHT_REFUSE_CONFLICT] = "conflict",		[DHT_REFUSE_VISIBILITY] = "visibility",
    [DHT_REFUSE_KEY_MISMATCH] = "key_mismatch", [DHT_REFUSE_FULL] = "full",
    [DHT_REFUSE_SOURCE_FULL] = "source_full",	[DHT_REFUSE_KEY_FULL] = "key_full",
};

static const char *const kind_names[] = {
    [DHT_LOOKUP_FIND_NODE] = "find_node", [DHT_LOOKUP_FIND_VALUE] = "find_value",
    [DHT_LOOKUP_PUBLISH] = "publish",	  [DHT_LOOKUP_BOOTSTRAP] = "bootstrap",
    [DHT_LOOKUP_REFRESH] = "refresh",
};

const char *dht_drop_name(enum dht_drop d)
{
	return (unsigned)d < DHT_DROP__COUNT ? drop_names[d] : "unknown";
}

const char *dht_refuse_name(enum dht_refuse r)
{
	return (unsigned)r < DHT_REFUSE__COUNT ? refuse_names[r] : "unknown";
}

const char *dht_lookup_kind_name(uint8_t kind)
{
	return kind >= DHT_LOOKUP_FIND_NODE && kind <= DHT_LOOKUP_REFRESH ? kind_names[kind]
									  : "unknown";
}
