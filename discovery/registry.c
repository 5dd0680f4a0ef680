/* discovery/registry.c - the local registry in memory: verified node and
 * service records with the sequence rule, caps with eviction, and
 * hidden-service aliases (docs/discovery.md "Registry").
 *
 * Records are kept decoded, in two tables sorted by sync key (node ID; or
 * service key, then owner), so lookups are binary searches and digest
 * pages for peer sync are ranges. Persistence is registry_file.c's, peer
 * sync registry_sync.c's. No I/O here.
 */
#include "discovery/registry_internal.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "identity/overlay_addr.h"

int registry_new(const struct registry_limits *lim, struct registry **out_reg)
{
	struct registry_limits l = {REGISTRY_NODES_MAX, REGISTRY_SERVICES_MAX,
				    REGISTRY_ALIASES_MAX};
	struct registry *reg;

	if (lim)
		l = *lim;
	if (l.nodes == 0 || l.nodes > REGISTRY_NODES_MAX || l.services == 0 ||
	    l.services > REGISTRY_SERVICES_MAX || l.aliases == 0 ||
	    l.aliases > REGISTRY_ALIASES_MAX)
		return -EINVAL;
	reg = calloc(1, sizeof(*reg));
	if (!reg)
		return -ENOMEM;
	reg->lim = l;
	reg->nodes.max = l.nodes;
	reg->services.max = l.services;
	*out_reg = reg;
	return 0;
}

static void table_clear(struct reg_table *t)
{
	for (size_t i = 0; i < t->n; i++)
		free(t->e[i]);
	free(t->e);
	t->e = NULL;
	t->n = t->cap = 0;
}

struct registry *registry_free(struct registry *reg)
{
	if (!reg)
		return NULL;
	table_clear(&reg->nodes);
	table_clear(&reg->services);
	free(reg->aliases);
	free(reg);
	return NULL;
}

size_t reg_table_lower(const struct reg_table *t, const struct dht_sync_key *sk)
{
	size_t lo = 0, hi = t->n;

	while (lo < hi) {
		size_t mid = lo + (hi - lo) / 2;

		if (dht_sync_key_cmp(&t->e[mid]->sk, sk) < 0)
			lo = mid + 1;
		else
			hi = mid;
	}
	return lo;
}

static struct reg_entry *table_find(const struct reg_table *t, const struct dht_sync_key *sk,
				    size_t *out_at)
{
	size_t at = reg_table_lower(t, sk);

	if (out_at)
		*out_at = at;
	if (at < t->n && dht_sync_key_cmp(&t->e[at]->sk, sk) == 0)
		return t->e[at];
	return NULL;
}

static int table_insert_at(struct reg_table *t, size_t at, struct reg_entry *e)
{
	if (t->n >= t->max)
		return -ENOSPC;
	if (t->n == t->cap) {
		size_t cap = t->cap ? t->cap * 2 : 16;
		struct reg_entry **ne;

		if (cap > t->max)
			cap = t->max;
		ne = realloc(t->e, cap * sizeof(*ne));
		if (!ne)
			return -ENOMEM;
		t->e = ne;
		t->cap = cap;
	}
	memmove(&t->e[at + 1], &t->e[at], (t->n - at) * sizeof(t->e[0]));
	t->e[at] = e;
	t->n++;
	return 0;
}

int reg_table_append(struct reg_table *t, struct reg_entry *e)
{
	return table_insert_at(t, t->n, e);
}

static void table_remove_at(struct reg_table *t, size_t at)
{
	free(t->e[at]);
	memmove(&t->e[at], &t->e[at + 1], (t->n - at - 1) * sizeof(t->e[0]));
	t->n--;
}

/* Room for one more: an expired entry goes first, else the least
 * recently seen that is not pinned. Return its index or -1. */
static long table_victim(const struct reg_table *t, uint64_t now_s)
{
	long lru = -1;

	for (size_t i = 0; i < t->n; i++) {
		const struct reg_entry *e = t->e[i];

		if (now_s >= e->expires)
			return (long)i;
		if (e->flags & REGISTRY_F_PINNED)
			continue;
		if (lru < 0 || e->last_seen_s < t->e[lru]->last_seen_s)
			lru = (long)i;
	}
	return lru;
}

size_t reg_entry_encode(const struct reg_entry *e, uint8_t *buf, size_t cap)
{
	size_t len = 0;
	int r;

	if (e->type == RECORD_TYPE_NODE)
		r = node_record_encode(&e->rec.node, buf, cap, &len);
	else
		r = service_record_encode(&e->rec.svc, buf, cap, &len);
	return r < 0 ? 0 : len;
}

int reg_entry_parse(struct reg_entry *e, uint8_t type, const uint8_t *rec, size_t len,
		    uint64_t now_s)
{
	int r;

	memset(e, 0, sizeof(*e));
	e->type = type;
	if (type == RECORD_TYPE_NODE) {
		if (node_record_decode(&e->rec.node, rec, len) < 0)
			return -EBADMSG;
		r = node_record_verify(&e->rec.node, now_s);
		memcpy(e->sk.key, e->rec.node.id.b, DHT_KEY_LEN);
		e->sk.owner = e->rec.node.id;
		e->seq = e->rec.node.seq;
		e->expires = e->rec.node.expires;
		e->is_public = true;
	} else {
		if (service_record_decode(&e->rec.svc, rec, len) < 0)
			return -EBADMSG;
		r = service_record_verify(&e->rec.svc, now_s);
		service_name_key(e->sk.key, e->rec.svc.name);
		e->sk.owner = e->rec.svc.owner;
		e->seq = e->rec.svc.seq;
		e->expires = e->rec.svc.expires;
		e->is_public = e->rec.svc.visibility == SERVICE_VIS_PUBLIC;
	}
	e->last_seen_s = now_s;
	return r < 0 ? r : 0;
}

/* The sequence rule against what we hold (docs/wire.md §2.5). */
static int put_existing(struct registry *reg, struct reg_table *t, struct reg_entry *old, size_t at,
			struct reg_entry *e, const uint8_t *rec, size_t len)
{
	uint8_t held[NODE_RECORD_MAX_LEN];

	if (reg_entry_encode(old, held, sizeof(held)) == len && memcmp(held, rec, len) == 0) {
		old->last_seen_s = e->last_seen_s;
		reg->dirty = true;
		free(e);
		return -EALREADY;
	}
	if (e->seq <= old->seq) {
		reg->stats.refused++;
		free(e);
		return -ESTALE;
	}
	e->flags |= old->flags & REGISTRY_F_PINNED;
	free(old);
	t->e[at] = e;
	reg->stats.replaced++;
	reg->dirty = true;
	return 0;
}

static int put_entry(struct registry *reg, struct reg_table *t, uint8_t type, const uint8_t *rec,
		     size_t len, uint64_t now_s, unsigned flags)
{
	struct reg_entry *e = malloc(sizeof(*e)), *old;
	size_t at;
	long victim;
	int r;

	if (!e)
		return -ENOMEM;
	r = reg_entry_parse(e, type, rec, len, now_s);
	if (r < 0) {
		reg->stats.refused++;
		free(e);
		return r;
	}
	e->flags = (uint8_t)(flags & REGISTRY_F_PINNED);
	old = table_find(t, &e->sk, &at);
	if (old)
		return put_existing(reg, t, old, at, e, rec, len);
	if (t->n >= t->max) {
		victim = table_victim(t, now_s);
		if (victim < 0) {
			reg->stats.refused++;
			free(e);
			return -ENOSPC;
		}
		table_remove_at(t, (size_t)victim);
		reg->stats.evicted++;
		if ((size_t)victim < at)
			at--;
	}
	r = table_insert_at(t, at, e);
	if (r < 0) {
		free(e);
		return r;
	}
	reg->stats.stored++;
	reg->dirty = true;
	return 0;
}

int registry_put_node(struct registry *reg, const uint8_t *rec, size_t len, uint64_t now_s,
		      unsigned flags)
{
	return put_entry(reg, &reg->nodes, RECORD_TYPE_NODE, rec, len, now_s, flags);
}

int registry_put_service(struct registry *reg, const uint8_t *rec, size_t len, uint64_t now_s,
			 unsigned flags)
{
	return put_entry(reg, &reg->services, SERVICE_RECORD_TYPE, rec, len, now_s, flags);
}

int registry_put(struct registry *reg, const uint8_t *rec, size_t len, uint64_t now_s,
		 unsigned flags)
{
	if (len > 0 && rec[0] == RECORD_TYPE_NODE)
		return registry_put_node(reg, rec, len, now_s, flags);
	if (len > 0 && rec[0] == SERVICE_RECORD_TYPE)
		return registry_put_service(reg, rec, len, now_s, flags);
	reg->stats.refused++;
	return -EBADMSG;
}

static void node_key(struct dht_sync_key *sk, const struct node_id *id)
{
	memcpy(sk->key, id->b, DHT_KEY_LEN);
	sk->owner = *id;
}

const struct node_record *registry_find_node(const struct registry *reg, const struct node_id *id)
{
	struct dht_sync_key sk;
	const struct reg_entry *e;

	node_key(&sk, id);
	e = table_find(&reg->nodes, &sk, NULL);
	return e ? &e->rec.node : NULL;
}

const struct service_record *registry_find_service(const struct registry *reg,
						   const uint8_t key[SERVICE_KEY_LEN],
						   const struct node_id *owner)
{
	struct dht_sync_key sk;
	const struct reg_entry *e;

	memcpy(sk.key, key, DHT_KEY_LEN);
	sk.owner = *owner;
	e = table_find(&reg->services, &sk, NULL);
	return e ? &e->rec.svc : NULL;
}

size_t registry_find_services(const struct registry *reg, const uint8_t key[SERVICE_KEY_LEN],
			      const struct service_record **out, size_t max)
{
	struct dht_sync_key sk = {0};
	size_t n = 0;

	memcpy(sk.key, key, DHT_KEY_LEN); /* owner all zero: the lowest */
	for (size_t at = reg_table_lower(&reg->services, &sk);
	     at < reg->services.n && n < max &&
	     memcmp(reg->services.e[at]->sk.key, key, DHT_KEY_LEN) == 0;
	     at++)
		out[n++] = &reg->services.e[at]->rec.svc;
	return n;
}

size_t registry_find_nodes_named(const struct registry *reg, const char *name,
				 const struct node_record **out, size_t max)
{
	size_t n = 0;

	for (size_t i = 0; i < reg->nodes.n && n < max; i++)
		if (strcmp(reg->nodes.e[i]->rec.node.name, name) == 0)
			out[n++] = &reg->nodes.e[i]->rec.node;
	return n;
}

static struct reg_entry *node_entry(const struct registry *reg, const struct node_id *id,
				    size_t *out_at)
{
	struct dht_sync_key sk;

	node_key(&sk, id);
	return table_find(&reg->nodes, &sk, out_at);
}

int registry_touch_node(struct registry *reg, const struct node_id *id, uint64_t now_s)
{
	struct reg_entry *e = node_entry(reg, id, NULL);

	if (!e)
		return -ENOENT;
	e->last_seen_s = now_s;
	reg->dirty = true;
	return 0;
}

int registry_pin_node(struct registry *reg, const struct node_id *id, bool pinned)
{
	struct reg_entry *e = node_entry(reg, id, NULL);

	if (!e)
		return -ENOENT;
	e->flags = (uint8_t)(pinned ? e->flags | REGISTRY_F_PINNED : e->flags & ~REGISTRY_F_PINNED);
	reg->dirty = true;
	return 0;
}

int registry_remove_node(struct registry *reg, const struct node_id *id)
{
	size_t at;

	if (!node_entry(reg, id, &at))
		return -ENOENT;
	table_remove_at(&reg->nodes, at);
	reg->dirty = true;
	return 0;
}

int registry_remove_service(struct registry *reg, const uint8_t key[SERVICE_KEY_LEN],
			    const struct node_id *owner)
{
	struct dht_sync_key sk;
	size_t at;

	memcpy(sk.key, key, DHT_KEY_LEN);
	sk.owner = *owner;
	if (!table_find(&reg->services, &sk, &at))
		return -ENOENT;
	table_remove_at(&reg->services, at);
	reg->dirty = true;
	return 0;
}

size_t registry_remove_services_of(struct registry *reg, const struct node_id *owner)
{
	size_t gone = 0;

	for (size_t i = 0; i < reg->services.n;) {
		if (!node_id_is_equal(&reg->services.e[i]->sk.owner, owner)) {
			i++;
			continue;
		}
		table_remove_at(&reg->services, i);
		gone++;
	}
	if (gone)
		reg->dirty = true;
	return gone;
}

static size_t table_expire(struct reg_table *t, uint64_t now_s)
{
	size_t gone = 0;

	for (size_t i = 0; i < t->n;) {
		if (now_s < t->e[i]->expires) {
			i++;
			continue;
		}
		table_remove_at(t, i);
		gone++;
	}
	return gone;
}

size_t registry_expire(struct registry *reg, uint64_t now_s)
{
	size_t gone = table_expire(&reg->nodes, now_s) + table_expire(&reg->services, now_s);

	reg->stats.expired += gone;
	if (gone)
		reg->dirty = true;
	return gone;
}

/* ---- aliases ------------------------------------------------------------- */

static size_t alias_lower(const struct registry *reg, const char *alias)
{
	size_t lo = 0, hi = reg->n_aliases;

	while (lo < hi) {
		size_t mid = lo + (hi - lo) / 2;

		if (strcmp(reg->aliases[mid].name, alias) < 0)
			lo = mid + 1;
		else
			hi = mid;
	}
	return lo;
}

static bool alias_is_at(const struct registry *reg, size_t at, const char *alias)
{
	return at < reg->n_aliases && strcmp(reg->aliases[at].name, alias) == 0;
}

/* Is `alias` a valid name that is there? *at is its index if so. */
static bool alias_find(const struct registry *reg, const char *alias, size_t *at)
{
	if (!overlay_name_is_valid(alias))
		return false;
	*at = alias_lower(reg, alias);
	return alias_is_at(reg, *at, alias);
}

int registry_alias_set(struct registry *reg, const char *alias, const uint8_t key[SERVICE_KEY_LEN])
{
	size_t at;

	if (!overlay_name_is_valid(alias))
		return -EINVAL;
	if (!reg->aliases) {
		reg->aliases = calloc(reg->lim.aliases, sizeof(*reg->aliases));
		if (!reg->aliases)
			return -ENOMEM;
	}
	at = alias_lower(reg, alias);
	if (!alias_is_at(reg, at, alias)) {
		if (reg->n_aliases >= reg->lim.aliases)
			return -ENOSPC;
		memmove(&reg->aliases[at + 1], &reg->aliases[at],
			(reg->n_aliases - at) * sizeof(reg->aliases[0]));
		reg->n_aliases++;
		memset(&reg->aliases[at], 0, sizeof(reg->aliases[at]));
		strcpy(reg->aliases[at].name, alias); /* <= 63: checked */
	}
	memcpy(reg->aliases[at].key, key, SERVICE_KEY_LEN);
	reg->dirty = true;
	return 0;
}

int registry_alias_get(const struct registry *reg, const char *alias,
		       uint8_t out_key[SERVICE_KEY_LEN])
{
	size_t at;

	if (!alias_find(reg, alias, &at))
		return -ENOENT;
	memcpy(out_key, reg->aliases[at].key, SERVICE_KEY_LEN);
	return 0;
}

int registry_alias_remove(struct registry *reg, const char *alias)
{
	size_t at;

	if (!alias_find(reg, alias, &at))
		return -ENOENT;
	memmove(&reg->aliases[at], &reg->aliases[at + 1],
		(reg->n_aliases - at - 1) * sizeof(reg->aliases[0]));
	reg->n_aliases--;
	reg->dirty = true;
	return 0;
}

void registry_get_stats(const struct registry *reg, struct registry_stats *out)
{
	*out = reg->stats;
	out->nodes = reg->nodes.n;
	out->services = reg->services.n;
	out->aliases = reg->n_aliases;
}

bool registry_is_dirty(const struct registry *reg)
{
	return reg->dirty;
}
