/* discovery/dht_store.c - the values this node holds for the network, and
 * the admission rules every value passes, whether it arrives in a STORE or
 * in a VALUE reply to our own lookup (docs/discovery.md "Admission").
 *
 * A value is a signed node record (key: its node ID) or a public service
 * record (key: service_name_key(name)); one key holds at most
 * values_per_key records, one per owner. For each (key, owner) only the
 * highest sequence is kept: a higher one replaces it, a lower one is
 * refused, the same bytes again refresh its lifetime, the same sequence
 * with other bytes is a conflict and refused (docs/wire.md §2.5). The
 * store is in memory only: the persistent copy of what this node cares
 * about is the registry (discovery/registry.c).
 */
#include "discovery/dht_internal.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "identity/record.h"
#include "identity/service_record.h"
#include "lib/wire.h"

#define SLOTS_MIN 16

int dht_value_parse(const uint8_t *b, size_t len, struct dht_value_info *out)
{
	struct dht_value_info vi = {0};
	struct node_record nr;
	struct service_record sr;

	if (len > 0 && b[0] == RECORD_TYPE_NODE && node_record_decode(&nr, b, len) == 0) {
		vi.type = RECORD_TYPE_NODE;
		memcpy(vi.key, nr.id.b, DHT_KEY_LEN);
		vi.owner = nr.id;
		vi.seq = nr.seq;
		vi.issued = nr.issued;
		vi.expires = nr.expires;
	} else if (len > 0 && b[0] == SERVICE_RECORD_TYPE &&
		   service_record_decode(&sr, b, len) == 0) {
		vi.type = SERVICE_RECORD_TYPE;
		service_name_key(vi.key, sr.name);
		vi.owner = sr.owner;
		vi.seq = sr.seq;
		vi.issued = sr.issued;
		vi.expires = sr.expires;
		vi.visibility = sr.visibility;
	} else {
		return -EBADMSG;
	}
	*out = vi;
	return 0;
}

/* The time rules of §2.4 steps 2-4 alone, for the simulator's mode. */
static int times_check(const struct dht_value_info *vi, uint64_t now)
{
	if (now >= vi->expires)
		return -ETIME;
	if (vi->issued > now && vi->issued - now > RECORD_SKEW_MAX_S)
		return -EINVAL;
	if (vi->expires <= vi->issued || vi->expires - vi->issued > RECORD_LIFETIME_MAX_S)
		return -EINVAL;
	return 0;
}

static int verify(const uint8_t *b, size_t len, const struct dht_value_info *vi, uint64_t now)
{
	struct node_record nr;
	struct service_record sr;

	if (vi->type == RECORD_TYPE_NODE)
		return node_record_decode(&nr, b, len) < 0 ? -EBADMSG
							   : node_record_verify(&nr, now);
	if (service_record_decode(&sr, b, len) < 0)
		return -EBADMSG;
	return service_record_verify(&sr, now);
}

bool dht_value_is_acceptable(const struct dht *dht, const uint8_t *b, size_t len,
			     const struct dht_value_info *vi, uint64_t wall_s,
			     enum dht_refuse *out_why)
{
	int r;

	/* Private and hidden services never enter the DHT (discovery.md). */
	if (vi->type == SERVICE_RECORD_TYPE && vi->visibility != SERVICE_VIS_PUBLIC) {
		*out_why = DHT_REFUSE_VISIBILITY;
		return false;
	}
	if (dht->cfg.insecure_skip_verify)
		r = times_check(vi, wall_s); /* simulator only: see dht.h */
	else
		r = verify(b, len, vi, wall_s);
	if (r == 0)
		return true;
	*out_why = r == -ETIME	  ? DHT_REFUSE_EXPIRED
		   : r == -EINVAL ? DHT_REFUSE_BAD_TIME
				  : DHT_REFUSE_BAD_SIG;
	return false;
}

static size_t slot_of(const struct dht_store *st, const uint8_t key[DHT_KEY_LEN])
{
	return (size_t)(wire_load_u64(key) & (st->n_slot - 1));
}

/* Keep about one value per chain. On failure the store stays as it is. */
static int store_grow(struct dht_store *st, size_t want_n)
{
	size_t n_slot = st->n_slot ? st->n_slot : SLOTS_MIN;
	struct dht_val **slot;

	while (n_slot < want_n)
		n_slot *= 2;
	if (n_slot == st->n_slot)
		return 0;
	slot = calloc(n_slot, sizeof(*slot));
	if (!slot)
		return -ENOMEM;
	for (size_t i = 0; i < st->n_slot; i++) {
		struct dht_val *v = st->slot[i], *next;

		for (; v; v = next) {
			size_t at = (size_t)(wire_load_u64(v->key) & (n_slot - 1));

			next = v->next;
			v->next = slot[at];
			slot[at] = v;
		}
	}
	free(st->slot);
	st->slot = slot;
	st->n_slot = n_slot;
	return 0;
}

static struct dht_val **store_find(struct dht_store *st, const uint8_t *key,
				   const struct node_id *owner)
{
	struct dht_val **pv;

	if (!st->n_slot)
		return NULL;
	for (pv = &st->slot[slot_of(st, key)]; *pv; pv = &(*pv)->next) {
		if (memcmp((*pv)->key, key, DHT_KEY_LEN) == 0 &&
		    dht_id_is_equal(&(*pv)->owner, owner))
			return pv;
	}
	return NULL;
}

static unsigned count_key(const struct dht_store *st, const uint8_t *key)
{
	unsigned n = 0;

	if (!st->n_slot)
		return 0;
	for (const struct dht_val *v = st->slot[slot_of(st, key)]; v; v = v->next)
		n += memcmp(v->key, key, DHT_KEY_LEN) == 0;
	return n;
}

/* O(values); runs only for a STORE that passed every other check. */
static unsigned count_source(const struct dht_store *st, const struct node_id *src)
{
	unsigned n = 0;

	for (size_t i = 0; i < st->n_slot; i++) {
		for (const struct dht_val *v = st->slot[i]; v; v = v->next)
			n += dht_id_is_equal(&v->source, src);
	}
	return n;
}

static struct dht_val *val_new(const struct dht_value_info *vi, const uint8_t *b, size_t len,
			       const struct node_id *source, uint64_t now_ms)
{
	struct dht_val *v = malloc(sizeof(*v) + len);

	if (!v)
		return NULL;
	v->next = NULL;
	memcpy(v->key, vi->key, DHT_KEY_LEN);
	v->owner = vi->owner;
	v->source = *source;
	v->seq = vi->seq;
	v->expires_s = vi->expires;
	v->stored_ms = now_ms;
	v->len = (uint16_t)len;
	memcpy(v->b, b, len);
	return v;
}

/* Replace *pv by a value with the new bytes, in place in its chain. */
static uint8_t store_replace(struct dht *dht, struct dht_val **pv, const struct dht_value_info *vi,
			     const uint8_t *b, size_t len, const struct node_id *source,
			     uint64_t now_ms)
{
	struct dht_val *old = *pv, *v;

	if (!dht_id_is_equal(&old->source, source) &&
	    count_source(&dht->store, source) >= dht->cfg.values_per_source) {
		dht_count_refusal(dht, DHT_REFUSE_SOURCE_FULL);
		return DHT_STORE_FULL;
	}
	v = val_new(vi, b, len, source, now_ms);
	if (!v)
		return DHT_STORE_FULL;
	v->next = old->next;
	*pv = v;
	free(old);
	dht->stats.values_stored++;
	return DHT_STORE_OK;
}

static uint8_t store_insert(struct dht *dht, const struct dht_value_info *vi, const uint8_t *b,
			    size_t len, const struct node_id *source, uint64_t now_ms)
{
	struct dht_store *st = &dht->store;
	struct dht_val *v;
	size_t at;

	if (st->n >= dht->cfg.values_max) {
		dht_count_refusal(dht, DHT_REFUSE_FULL);
		return DHT_STORE_FULL;
	}
	if (count_key(st, vi->key) >= dht->cfg.values_per_key) {
		dht_count_refusal(dht, DHT_REFUSE_KEY_FULL);
		return DHT_STORE_FULL;
	}
	if (count_source(st, source) >= dht->cfg.values_per_source) {
		dht_count_refusal(dht, DHT_REFUSE_SOURCE_FULL);
		return DHT_STORE_FULL;
	}
	if (store_grow(st, st->n + 1) < 0)
		return DHT_STORE_FULL;
	v = val_new(vi, b, len, source, now_ms);
	if (!v)
		return DHT_STORE_FULL;
	at = slot_of(st, vi->key);
	v->next = st->slot[at];
	st->slot[at] = v;
	st->n++;
	dht->stats.values_stored++;
	return DHT_STORE_OK;
}

uint8_t dht_store_put(struct dht *dht, const uint8_t *b, size_t len, const struct node_id *source,
		      uint64_t now_ms)
{
	struct dht_value_info vi;
	enum dht_refuse why;
	struct dht_val **pv;

	if (dht_value_parse(b, len, &vi) < 0)
		return DHT_STORE_INVALID; /* the message decoder already checked */
	pv = store_find(&dht->store, vi.key, &vi.owner);
	if (pv && (*pv)->len == len && memcmp((*pv)->b, b, len) == 0) {
		(*pv)->stored_ms = now_ms; /* a republish: no need to verify again */
		return DHT_STORE_SAME;
	}
	/* Sequence first: a stale record is refused without a signature check. */
	if (pv && vi.seq <= (*pv)->seq) {
		dht_count_refusal(dht,
				  vi.seq == (*pv)->seq ? DHT_REFUSE_CONFLICT : DHT_REFUSE_STALE);
		return DHT_STORE_STALE;
	}
	if (!dht_value_is_acceptable(dht, b, len, &vi, dht_wall_s(dht), &why)) {
		dht_count_refusal(dht, why);
		return DHT_STORE_INVALID;
	}
	if (pv)
		return store_replace(dht, pv, &vi, b, len, source, now_ms);
	return store_insert(dht, &vi, b, len, source, now_ms);
}

size_t dht_store_get(const struct dht_store *st, const uint8_t key[DHT_KEY_LEN],
		     const struct dht_val **out, size_t max)
{
	size_t n = 0;

	if (!st->n_slot)
		return 0;
	for (const struct dht_val *v = st->slot[slot_of(st, key)]; v && n < max; v = v->next) {
		if (memcmp(v->key, key, DHT_KEY_LEN) == 0)
			out[n++] = v;
	}
	return n;
}

void dht_store_expire(struct dht *dht, uint64_t wall_s, uint64_t now_ms)
{
	struct dht_store *st = &dht->store;

	for (size_t i = 0; i < st->n_slot; i++) {
		struct dht_val **pv = &st->slot[i];

		while (*pv) {
			struct dht_val *v = *pv;

			if (wall_s < v->expires_s &&
			    now_ms - v->stored_ms < dht->cfg.value_ttl_ms) {
				pv = &v->next;
				continue;
			}
			*pv = v->next;
			free(v);
			st->n--;
			dht->stats.values_expired++;
		}
	}
}

void dht_store_clear(struct dht_store *st)
{
	for (size_t i = 0; i < st->n_slot; i++) {
		struct dht_val *v = st->slot[i], *next;

		for (; v; v = next) {
			next = v->next;
			free(v);
		}
	}
	free(st->slot);
	memset(st, 0, sizeof(*st));
}
