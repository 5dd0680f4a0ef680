/* discovery/dht_table.c - the XOR metric and the k-buckets.
 *
 * Bucket i holds the contacts whose ID shares exactly i leading bits with
 * ours, at most k of them in least-recently-seen order, plus a small
 * replacement cache of newcomers that found the bucket full. Only direct
 * evidence (a request or a reply from the node itself, through an
 * authenticated link) puts a contact here: contacts merely named in a
 * NODES reply never enter, so a peer cannot fill our table with names.
 * A full bucket keeps its old contacts (they have proved to stay up) and
 * asks the caller to PING the least recently seen one when it is old;
 * only a failed PING or repeated failed requests evict it.
 *
 * Memory: the bucket array grows to the deepest index in use (about
 * log2(N) buckets), and each bucket's arrays grow to k and to the
 * replacement cap, so a node in a large network holds only what it uses.
 */
#include "discovery/dht_internal.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>

void dht_distance(uint8_t out[DHT_KEY_LEN], const uint8_t a[DHT_KEY_LEN],
		  const uint8_t b[DHT_KEY_LEN])
{
	for (unsigned i = 0; i < DHT_KEY_LEN; i++)
		out[i] = a[i] ^ b[i];
}

int dht_distance_cmp(const uint8_t a[DHT_KEY_LEN], const uint8_t b[DHT_KEY_LEN],
		     const uint8_t t[DHT_KEY_LEN])
{
	/* The first byte where a and b differ decides: there a^t and b^t
	 * differ too, and all earlier bytes of the two distances are equal. */
	for (unsigned i = 0; i < DHT_KEY_LEN; i++) {
		if (a[i] != b[i])
			return (a[i] ^ t[i]) < (b[i] ^ t[i]) ? -1 : 1;
	}
	return 0;
}

unsigned dht_bucket_index(const uint8_t self[DHT_KEY_LEN], const uint8_t id[DHT_KEY_LEN])
{
	for (unsigned i = 0; i < DHT_KEY_LEN; i++) {
		unsigned x = (unsigned)(self[i] ^ id[i]);

		if (x)
			return i * 8 + (unsigned)__builtin_clz(x) - (unsigned)(8 * sizeof(x) - 8);
	}
	return DHT_BUCKETS;
}

int dht_table_init(struct dht_table *t, const uint8_t self[DHT_KEY_LEN], unsigned k,
		   unsigned rep_max)
{
	if (k == 0 || k > DHT_K_MAX || rep_max > DHT_K_MAX)
		return -EINVAL;
	memset(t, 0, sizeof(*t));
	memcpy(t->self, self, DHT_KEY_LEN);
	t->k = k;
	t->rep_max = rep_max;
	return 0;
}

void dht_table_clear(struct dht_table *t)
{
	for (unsigned i = 0; i < t->n_b; i++) {
		free(t->b[i].e);
		free(t->b[i].rep);
	}
	free(t->b);
	t->b = NULL;
	t->n_b = 0;
	t->n_contacts = 0;
}

static struct dht_bucket *bucket_get(struct dht_table *t, unsigned idx, uint64_t now_ms)
{
	struct dht_bucket *nb;

	if (idx < t->n_b)
		return &t->b[idx];
	nb = realloc(t->b, (idx + 1) * sizeof(*nb));
	if (!nb)
		return NULL;
	memset(nb + t->n_b, 0, (idx + 1 - t->n_b) * sizeof(*nb));
	for (unsigned i = t->n_b; i <= idx; i++)
		nb[i].touched_ms = now_ms; /* a new bucket is not idle yet */
	t->b = nb;
	t->n_b = idx + 1;
	return &t->b[idx];
}

/* Make room for one more entry in an array that grows to `max`. */
static int entries_reserve(struct dht_entry **arr, uint8_t *cap, unsigned n, unsigned max)
{
	unsigned want;
	struct dht_entry *na;

	if (n < *cap)
		return 0;
	want = *cap ? *cap * 2u : 2u;
	if (want > max)
		want = max;
	na = realloc(*arr, want * sizeof(*na));
	if (!na)
		return -ENOMEM;
	*arr = na;
	*cap = (uint8_t)want;
	return 0;
}

static int entries_find(const struct dht_entry *arr, unsigned n, const struct node_id *id)
{
	for (unsigned i = 0; i < n; i++) {
		if (dht_id_is_equal(&arr[i].c.id, id))
			return (int)i;
	}
	return -1;
}

static void entries_remove(struct dht_entry *arr, uint8_t *n, unsigned i)
{
	memmove(&arr[i], &arr[i + 1], (*n - i - 1u) * sizeof(*arr));
	(*n)--;
}

/* Newest replacement last; when full, the oldest gives way. */
static int cache_add(struct dht_table *t, struct dht_bucket *b, const struct dht_contact *c,
		     uint64_t now_ms)
{
	int at = entries_find(b->rep, b->n_rep, &c->id);

	if (t->rep_max == 0)
		return 0;
	if (at >= 0)
		entries_remove(b->rep, &b->n_rep, (unsigned)at);
	else if (b->n_rep == t->rep_max)
		entries_remove(b->rep, &b->n_rep, 0);
	if (entries_reserve(&b->rep, &b->cap_rep, b->n_rep, t->rep_max) < 0)
		return -ENOMEM;
	memset(&b->rep[b->n_rep], 0, sizeof(b->rep[0]));
	b->rep[b->n_rep].c = *c;
	b->rep[b->n_rep].seen_ms = now_ms;
	b->n_rep++;
	return 0;
}

int dht_table_seen(struct dht_table *t, const struct dht_contact *c, uint64_t now_ms,
		   uint64_t ping_after_ms, struct dht_contact *out_ping)
{
	unsigned idx = dht_bucket_index(t->self, c->id.b);
	struct dht_bucket *b;
	struct dht_entry e = {.c = *c, .seen_ms = now_ms};
	int at;

	if (idx >= DHT_BUCKETS)
		return -EINVAL; /* ourselves */
	b = bucket_get(t, idx, now_ms);
	if (!b)
		return -ENOMEM;
	at = entries_find(b->e, b->n, &c->id);
	if (at >= 0) {
		/* Alive: fresh endpoints, no failures, to the tail. */
		entries_remove(b->e, &b->n, (unsigned)at);
		b->e[b->n++] = e;
		return DHT_SEEN_UPDATED;
	}
	if (b->n < t->k) {
		if (entries_reserve(&b->e, &b->cap, b->n, t->k) < 0)
			return -ENOMEM;
		at = entries_find(b->rep, b->n_rep, &c->id);
		if (at >= 0)
			entries_remove(b->rep, &b->n_rep, (unsigned)at);
		b->e[b->n++] = e;
		t->n_contacts++;
		return DHT_SEEN_ADDED;
	}
	if (cache_add(t, b, c, now_ms) < 0)
		return -ENOMEM;
	/* Old contacts are preferred (they have stayed up), but one we have
	 * not heard from in a while must prove it is still there. */
	if (!b->e[0].pinging && now_ms - b->e[0].seen_ms >= ping_after_ms) {
		b->e[0].pinging = true;
		*out_ping = b->e[0].c;
		return DHT_SEEN_PING;
	}
	return DHT_SEEN_CACHED;
}

bool dht_table_failed(struct dht_table *t, const struct node_id *id, bool hard)
{
	unsigned idx = dht_bucket_index(t->self, id->b);
	struct dht_bucket *b;
	struct dht_entry *e;
	int at;

	if (idx >= t->n_b)
		return false;
	b = &t->b[idx];
	at = entries_find(b->e, b->n, id);
	if (at < 0) {
		at = entries_find(b->rep, b->n_rep, id);
		if (at >= 0)
			entries_remove(b->rep, &b->n_rep, (unsigned)at);
		return false;
	}
	e = &b->e[at];
	if (e->fails < UINT8_MAX)
		e->fails++;
	if (hard)
		e->pinging = false;
	if (!hard && e->fails < DHT_FAILS_MAX)
		return false;
	entries_remove(b->e, &b->n, (unsigned)at);
	t->n_contacts--;
	if (b->n_rep > 0) {
		/* The newest replacement is the likeliest to be up. */
		b->e[b->n++] = b->rep[b->n_rep - 1];
		b->n_rep--;
		t->n_contacts++;
	}
	return true;
}

struct dht_entry *dht_table_find(struct dht_table *t, const struct node_id *id)
{
	unsigned idx = dht_bucket_index(t->self, id->b);
	int at;

	if (idx >= t->n_b)
		return NULL;
	at = entries_find(t->b[idx].e, t->b[idx].n, id);
	return at < 0 ? NULL : &t->b[idx].e[at];
}

/* Insert `c` into out[0..*n) kept sorted by distance to `target`, at most
 * `max` long. */
static void closest_insert(struct dht_contact *out, size_t *n, size_t max,
			   const struct dht_contact *c, const uint8_t *target)
{
	size_t at = *n;

	while (at > 0 && dht_distance_cmp(c->id.b, out[at - 1].id.b, target) < 0)
		at--;
	if (at >= max)
		return;
	if (*n == max)
		(*n)--;
	memmove(&out[at + 1], &out[at], (*n - at) * sizeof(*out));
	out[at] = *c;
	(*n)++;
}

static void closest_bucket(const struct dht_bucket *b, const struct node_id *exclude,
			   struct dht_contact *out, size_t *n, size_t max, const uint8_t *target)
{
	for (unsigned i = 0; i < b->n; i++) {
		if (exclude && dht_id_is_equal(&b->e[i].c.id, exclude))
			continue;
		if (exclude && b->e[i].fails > 0)
			continue; /* an answer to a peer names only contacts that answer us */
		closest_insert(out, n, max, &b->e[i].c, target);
	}
}

/* With c = the bucket index of `target`, distances grow in this order of
 * buckets: c itself (the distance's leading bit is below c), then every
 * bucket deeper than c (leading bit at c), then c-1, c-2, ..., 0 (leading
 * bit at that index). So whole groups can be skipped once `max` are held. */
size_t dht_table_closest(const struct dht_table *t, const uint8_t target[DHT_KEY_LEN],
			 const struct node_id *exclude, struct dht_contact *out, size_t max)
{
	unsigned c = dht_bucket_index(t->self, target);
	size_t n = 0;

	if (c < t->n_b)
		closest_bucket(&t->b[c], exclude, out, &n, max, target);
	/* The deeper buckets form one group: none of them is nearer than
	 * another as a whole, so all of them are scanned. */
	for (unsigned i = c + 1; i < t->n_b; i++)
		closest_bucket(&t->b[i], exclude, out, &n, max, target);
	if (n == max)
		return n; /* the deeper group already filled it */
	for (unsigned i = c < t->n_b ? c : t->n_b; i-- > 0 && n < max;)
		closest_bucket(&t->b[i], exclude, out, &n, max, target);
	return n;
}

void dht_table_touch(struct dht_table *t, const uint8_t target[DHT_KEY_LEN], uint64_t now_ms)
{
	unsigned idx = dht_bucket_index(t->self, target);

	if (t->n_b == 0)
		return;
	if (idx >= t->n_b)
		idx = t->n_b - 1; /* the deepest bucket covers everything nearer */
	t->b[idx].touched_ms = now_ms;
}
