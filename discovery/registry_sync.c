/* discovery/registry_sync.c - peer sync over the registry, and bootstrap
 * contacts (docs/discovery.md "Peer sync").
 *
 * Sync compares two registries page by page without sending records that
 * both already hold: one side sends DIGEST pages (sorted keys and
 * sequence numbers, DHT_DIGEST_MAX per page); the other compares each page
 * with its own entries in the same key range and answers with the records
 * the sender lacks (RECORDS) and a WANT for those it lacks itself. Every
 * list is bounded by one message. Public records (node records, public
 * service records) take part with every peer; a private service record
 * only with a peer its owner allows (struct registry_audience).
 */
#include "discovery/registry_internal.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>

static const struct reg_table *table_of(const struct registry *reg, uint8_t kind)
{
	if (kind == DHT_SYNC_NODES)
		return &reg->nodes;
	if (kind == DHT_SYNC_SERVICES)
		return &reg->services;
	return NULL;
}

/* Index of the first entry whose key is > `after`. */
static size_t first_after(const struct reg_table *t, const struct dht_sync_key *after)
{
	size_t at = reg_table_lower(t, after);

	if (at < t->n && dht_sync_key_cmp(&t->e[at]->sk, after) == 0)
		at++;
	return at;
}

/* May the peer of `aud` learn `e`? */
static bool is_shared(const struct reg_entry *e, const struct registry_audience *aud)
{
	if (e->is_public)
		return true;
	if (aud && aud->peer && node_id_is_equal(&e->sk.owner, aud->peer))
		return true;
	return aud && aud->may_share && e->type == SERVICE_RECORD_TYPE &&
	       e->rec.svc.visibility == SERVICE_VIS_PRIVATE &&
	       aud->may_share(aud->ctx, &e->rec.svc);
}

static bool is_own(const struct dht_sync_key *k, const struct registry_audience *aud)
{
	return aud && aud->self && node_id_is_equal(&k->owner, aud->self);
}

int registry_digest(const struct registry *reg, uint8_t kind, const struct dht_sync_key *after,
		    const struct registry_audience *aud, struct dht_digest *out)
{
	const struct reg_table *t = table_of(reg, kind);
	struct dht_sync_key cursor;
	size_t at;

	if (!t || (after && kind == DHT_SYNC_NODES &&
		   memcmp(after->key, after->owner.b, DHT_KEY_LEN) != 0))
		return -EINVAL;
	if (after)
		cursor = *after; /* `after` may point into `out` (the last page) */
	memset(out, 0, sizeof(*out));
	out->kind = kind;
	if (after) {
		out->after = cursor;
		at = first_after(t, &cursor);
	} else {
		out->flags = DHT_DIGEST_F_FIRST;
		at = 0;
	}
	for (; at < t->n; at++) {
		if (!is_shared(t->e[at], aud))
			continue;
		if (out->n == DHT_DIGEST_MAX) {
			out->flags |= DHT_DIGEST_F_MORE;
			break;
		}
		out->keys[out->n] = t->e[at]->sk;
		out->seq[out->n] = t->e[at]->seq;
		out->n++;
	}
	return 0;
}

struct diff {
	const struct registry_audience *aud;
	struct dht_want *want;
	struct dht_sync_key *push;
	size_t push_max, n_push;
	bool cut;
};

static void diff_want(struct diff *d, const struct dht_sync_key *k)
{
	if (is_own(k, d->aud))
		return; /* we are the only source of our own records */
	if (d->want->n == DHT_WANT_MAX)
		d->cut = true;
	else
		d->want->keys[d->want->n++] = *k;
}

static void diff_push(struct diff *d, const struct reg_entry *e)
{
	if (!is_shared(e, d->aud))
		return;
	if (d->n_push == d->push_max)
		d->cut = true;
	else
		d->push[d->n_push++] = e->sk;
}

/* The next entry at or after *at inside the page's range, or NULL. Every
 * entry we hold takes part, so that what we may not share is not asked for
 * again; diff_push() decides what goes to the peer. */
static const struct reg_entry *next_ours(const struct reg_table *t, size_t *at,
					 const struct dht_sync_key *hi)
{
	if (*at == t->n || (hi && dht_sync_key_cmp(&t->e[*at]->sk, hi) > 0))
		return NULL;
	return t->e[*at];
}

/* The page covers keys in (after, last key] when more pages follow, and
 * (after, end) when it is the last; FIRST means no lower bound. */
int registry_sync_diff(const struct registry *reg, const struct registry_audience *aud,
		       const struct dht_digest *theirs, struct dht_want *out_want,
		       struct dht_sync_key *out_push, size_t push_max, size_t *out_n_push)
{
	const struct reg_table *t = table_of(reg, theirs->kind);
	const struct dht_sync_key *hi = NULL;
	struct diff d = {.aud = aud, .want = out_want, .push = out_push, .push_max = push_max};
	size_t at, j = 0;

	if (!t || theirs->n > DHT_DIGEST_MAX ||
	    ((theirs->flags & DHT_DIGEST_F_MORE) && theirs->n == 0))
		return -EINVAL;
	if (theirs->flags & DHT_DIGEST_F_MORE)
		hi = &theirs->keys[theirs->n - 1];
	at = theirs->flags & DHT_DIGEST_F_FIRST ? 0 : first_after(t, &theirs->after);
	memset(out_want, 0, sizeof(*out_want));
	out_want->kind = theirs->kind;
	for (;;) {
		const struct reg_entry *ours = next_ours(t, &at, hi);
		int c;

		if (!ours && j == theirs->n)
			break;
		c = !ours ? 1 : j == theirs->n ? -1 : dht_sync_key_cmp(&ours->sk, &theirs->keys[j]);
		if (c < 0) {
			diff_push(&d, ours);
			at++;
		} else if (c > 0) {
			diff_want(&d, &theirs->keys[j++]);
		} else {
			if (theirs->seq[j] > ours->seq)
				diff_want(&d, &theirs->keys[j]);
			else if (ours->seq > theirs->seq[j])
				diff_push(&d, ours);
			at++;
			j++;
		}
	}
	*out_n_push = d.n_push;
	return d.cut ? 1 : 0;
}

size_t registry_records(const struct registry *reg, uint8_t kind,
			const struct registry_audience *aud, const struct dht_sync_key *keys,
			size_t n, struct dht_value *out, size_t max)
{
	const struct reg_table *t = table_of(reg, kind);
	size_t w = 0;

	if (!t)
		return 0;
	for (size_t i = 0; i < n && w < max; i++) {
		size_t at = reg_table_lower(t, &keys[i]), len;

		if (at == t->n || dht_sync_key_cmp(&t->e[at]->sk, &keys[i]) != 0 ||
		    !is_shared(t->e[at], aud))
			continue;
		len = reg_entry_encode(t->e[at], out[w].b, sizeof(out[w].b));
		if (len == 0)
			continue;
		out[w++].len = (uint16_t)len;
	}
	return w;
}

/* ---- bootstrap contacts ---------------------------------------------------- */

static const struct reg_table *sort_table;

static int by_last_seen(const void *a, const void *b)
{
	size_t x = *(const size_t *)a, y = *(const size_t *)b;
	uint64_t sx = sort_table->e[x]->last_seen_s, sy = sort_table->e[y]->last_seen_s;

	if (sx != sy)
		return sx > sy ? -1 : 1; /* most recent first */
	return x < y ? -1 : x > y;	 /* then key order: a total order */
}

size_t registry_contacts(const struct registry *reg, struct dht_contact *out, size_t max)
{
	const struct reg_table *t = &reg->nodes;
	size_t *idx, n = 0, w = 0;

	idx = malloc((t->n ? t->n : 1) * sizeof(*idx));
	if (!idx)
		return 0;
	for (size_t i = 0; i < t->n; i++) {
		if (t->e[i]->rec.node.n_endpoints > 0)
			idx[n++] = i;
	}
	sort_table = t;
	qsort(idx, n, sizeof(*idx), by_last_seen);
	for (size_t i = 0; i < n && w < max; i++) {
		const struct node_record *nr = &t->e[idx[i]]->rec.node;
		struct dht_contact *c = &out[w++];

		memset(c, 0, sizeof(*c));
		c->id = nr->id;
		memcpy(c->pk, nr->pk, NODE_PK_LEN);
		c->n_ep =
		    nr->n_endpoints < DHT_CONTACT_EP_MAX ? nr->n_endpoints : DHT_CONTACT_EP_MAX;
		memcpy(c->ep, nr->ep, c->n_ep * sizeof(c->ep[0]));
	}
	free(idx);
	return w;
}
