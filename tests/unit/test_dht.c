/* tests/unit/test_dht.c - discovery/dht*.c: the Kademlia engine.
 *
 * The XOR metric, bucket index and closest-contacts selection against
 * naive reference implementations over random IDs; the k-buckets (LRU,
 * liveness PING, eviction, replacement cache) against a naive model under
 * random operations; iterative lookups, publish and FIND_VALUE on a
 * 200-node in-memory network wired through the send callback, with and
 * without dead nodes; STORE admission (each refusal counted), rate limits,
 * reply matching, republish and expiry. Everything deterministic.
 */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "discovery/dht_internal.h"
#include "identity/record.h"
#include "identity/service_record.h"
#include "lib/secure.h"

#define WALL 1700000000u

static uint64_t rng_state = 88172645463325252ull;

static uint64_t rnd(void)
{
	rng_state ^= rng_state << 13;
	rng_state ^= rng_state >> 7;
	rng_state ^= rng_state << 17;
	return rng_state;
}

static void rnd_id(uint8_t id[32])
{
	for (int i = 0; i < 32; i += 8) {
		uint64_t x = rnd();

		memcpy(id + i, &x, 8);
	}
}

/* ---- the metric against naive references ---------------------------------- */

static unsigned naive_bucket(const uint8_t *a, const uint8_t *b)
{
	for (unsigned bit = 0; bit < 256; bit++) {
		unsigned x = (unsigned)(a[bit / 8] >> (7 - bit % 8)) & 1u;
		unsigned y = (unsigned)(b[bit / 8] >> (7 - bit % 8)) & 1u;

		if (x != y)
			return bit;
	}
	return 256;
}

static int naive_cmp(const uint8_t *a, const uint8_t *b, const uint8_t *t)
{
	uint8_t da[32], db[32];
	int c;

	for (int i = 0; i < 32; i++) {
		da[i] = a[i] ^ t[i];
		db[i] = b[i] ^ t[i];
	}
	c = memcmp(da, db, 32);
	return c < 0 ? -1 : c > 0;
}

static void test_metric(void **state)
{
	uint8_t a[32], b[32], t[32], d[32];

	(void)state;
	for (int i = 0; i < 20000; i++) {
		rnd_id(a);
		rnd_id(b);
		rnd_id(t);
		if (i % 4 == 1)
			memcpy(b, a, 32 - (unsigned)i % 32); /* long shared prefixes */
		if (i % 4 == 2)
			memcpy(t, a, (unsigned)i % 33);
		b[31] ^= (uint8_t)(i % 7 == 0); /* near-equal pairs */
		dht_distance(d, a, b);
		for (int j = 0; j < 32; j++)
			assert_int_equal(d[j], a[j] ^ b[j]);
		assert_int_equal(dht_bucket_index(a, b), naive_bucket(a, b));
		assert_int_equal(dht_distance_cmp(a, b, t), naive_cmp(a, b, t));
		assert_int_equal(dht_distance_cmp(b, a, t), -naive_cmp(a, b, t));
	}
	assert_int_equal(dht_bucket_index(a, a), 256);
	assert_int_equal(dht_distance_cmp(a, a, t), 0);
}

/* ---- closest contacts against a full sort ----------------------------------- */

static const uint8_t *sort_target;

static int by_distance(const void *x, const void *y)
{
	const struct dht_contact *a = x, *b = y;

	return naive_cmp(a->id.b, b->id.b, sort_target);
}

static int entry_by_distance(const void *x, const void *y)
{
	const struct dht_entry *a = x, *b = y;

	return naive_cmp(a->c.id.b, b->c.id.b, sort_target);
}

static size_t table_all(const struct dht_table *t, struct dht_entry *out)
{
	size_t n = 0;

	for (unsigned i = 0; i < t->n_b; i++) {
		for (unsigned j = 0; j < t->b[i].n; j++)
			out[n++] = t->b[i].e[j];
	}
	return n;
}

/* The reference: sort everything, skip the excluded contact and (when
 * answering a peer) the failing ones, take the first `max`. */
static size_t naive_closest(struct dht_entry *all, size_t n_all, const uint8_t *target,
			    const struct node_id *ex, struct dht_contact *out, size_t max)
{
	size_t w = 0;

	sort_target = target;
	qsort(all, n_all, sizeof(all[0]), entry_by_distance);
	for (size_t j = 0; j < n_all && w < max; j++) {
		if (ex && (node_id_is_equal(&all[j].c.id, ex) || all[j].fails > 0))
			continue;
		out[w++] = all[j].c;
	}
	return w;
}

static void test_closest(void **state)
{
	static struct dht_entry all[256 * DHT_K_MAX];
	struct dht_contact want[DHT_K_MAX], got[DHT_K_MAX];
	struct dht_table t;
	struct dht_contact c, ping;
	uint8_t self[32], target[32];
	size_t n_all;

	(void)state;
	rnd_id(self);
	assert_int_equal(dht_table_init(&t, self, 8, 2), 0);
	memset(&c, 0, sizeof(c));
	for (int i = 0; i < 4000; i++) {
		rnd_id(c.id.b);
		if (i % 3 == 0)
			memcpy(c.id.b, self, (unsigned)i % 4); /* fill deeper buckets */
		assert_true(dht_table_seen(&t, &c, 1, UINT64_MAX, &ping) >= 0);
		if (i % 17 == 0)
			dht_table_failed(&t, &c.id, false); /* some contacts failing */
	}
	memcpy(c.id.b, self, 32);
	assert_int_equal(dht_table_seen(&t, &c, 1, 0, &ping), -EINVAL);
	n_all = table_all(&t, all);
	assert_int_equal(n_all, t.n_contacts);
	for (int i = 0; i < 1000; i++) {
		size_t max = (size_t)(i % 3 == 0 ? 1 : i % 3 == 1 ? 8 : DHT_K_MAX), n, w;
		const struct node_id *ex = NULL;
		struct node_id exid;

		if (i % 2 == 0) {
			exid = all[(size_t)i % n_all].c.id;
			ex = &exid;
		}
		rnd_id(target);
		if (i % 4 == 0)
			memcpy(target, self, (unsigned)i % 33);
		w = naive_closest(all, n_all, target, ex, want, max);
		n = dht_table_closest(&t, target, ex, got, max);
		assert_int_equal(n, w);
		for (size_t j = 0; j < n; j++)
			assert_memory_equal(got[j].id.b, want[j].id.b, 32);
	}
	dht_table_clear(&t);
}

/* ---- k-buckets against a naive model ----------------------------------------- */

struct m_entry {
	uint8_t id;
	uint64_t seen;
	unsigned fails;
	bool pinging;
};

struct model {
	struct m_entry e[8], r[8];
	unsigned n, n_rep, k, rep_max;
};

static int m_find(const struct m_entry *a, unsigned n, uint8_t id)
{
	for (unsigned i = 0; i < n; i++) {
		if (a[i].id == id)
			return (int)i;
	}
	return -1;
}

static void m_del(struct m_entry *a, unsigned *n, int at)
{
	memmove(&a[at], &a[at + 1], (*n - (unsigned)at - 1) * sizeof(*a));
	(*n)--;
}

/* The rules of dht_table_seen(), restated plainly. */
static int m_seen(struct model *m, uint8_t id, uint64_t now, uint64_t ping_after, uint8_t *ping)
{
	int at = m_find(m->e, m->n, id);

	if (at >= 0) {
		m_del(m->e, &m->n, at);
		m->e[m->n++] = (struct m_entry){id, now, 0, false};
		return DHT_SEEN_UPDATED;
	}
	at = m_find(m->r, m->n_rep, id);
	if (m->n < m->k) {
		if (at >= 0)
			m_del(m->r, &m->n_rep, at);
		m->e[m->n++] = (struct m_entry){id, now, 0, false};
		return DHT_SEEN_ADDED;
	}
	if (m->rep_max) {
		if (at >= 0)
			m_del(m->r, &m->n_rep, at);
		else if (m->n_rep == m->rep_max)
			m_del(m->r, &m->n_rep, 0);
		m->r[m->n_rep++] = (struct m_entry){id, now, 0, false};
	}
	if (!m->e[0].pinging && now - m->e[0].seen >= ping_after) {
		m->e[0].pinging = true;
		*ping = m->e[0].id;
		return DHT_SEEN_PING;
	}
	return DHT_SEEN_CACHED;
}

static bool m_failed(struct model *m, uint8_t id, bool hard)
{
	int at = m_find(m->e, m->n, id);

	if (at < 0) {
		at = m_find(m->r, m->n_rep, id);
		if (at >= 0)
			m_del(m->r, &m->n_rep, at);
		return false;
	}
	m->e[at].fails++;
	if (hard)
		m->e[at].pinging = false;
	if (!hard && m->e[at].fails < DHT_FAILS_MAX)
		return false;
	m_del(m->e, &m->n, at);
	if (m->n_rep)
		m->e[m->n++] = m->r[--m->n_rep];
	return true;
}

static void id_of(uint8_t small, struct node_id *out)
{
	memset(out, 0, sizeof(*out));
	out->b[0] = 0x80; /* bucket 0 of the all-zero self */
	out->b[31] = small;
}

static void m_compare(const struct model *m, const struct dht_table *t, int op)
{
	static const struct dht_bucket none;
	const struct dht_bucket *b = t->n_b ? &t->b[0] : &none;

	if (b->n != m->n || b->n_rep != m->n_rep)
		fail_msg("op %d: sizes %u/%u, model %u/%u", op, b->n, b->n_rep, m->n, m->n_rep);
	for (unsigned i = 0; i < m->n; i++) {
		assert_int_equal(b->e[i].c.id.b[31], m->e[i].id);
		assert_int_equal(b->e[i].seen_ms, m->e[i].seen);
		assert_int_equal(b->e[i].fails, m->e[i].fails);
		assert_int_equal(b->e[i].pinging, m->e[i].pinging);
	}
	for (unsigned i = 0; i < m->n_rep; i++)
		assert_int_equal(b->rep[i].c.id.b[31], m->r[i].id);
	assert_int_equal(t->n_contacts, m->n);
}

static void test_bucket_model(void **state)
{
	uint8_t self[32] = {0};

	(void)state;
	for (unsigned rep_max = 0; rep_max <= 3; rep_max++) {
		struct model m = {.k = 4, .rep_max = rep_max};
		struct dht_table t;
		uint64_t now = 1000;

		assert_int_equal(dht_table_init(&t, self, 4, rep_max), 0);
		for (int op = 0; op < 20000; op++) {
			struct dht_contact c = {0}, ping;
			uint8_t id = (uint8_t)(1 + rnd() % 10), mping = 0;
			unsigned what = (unsigned)(rnd() % 10);

			now += rnd() % 400;
			id_of(id, &c.id);
			if (what < 6) {
				int got = dht_table_seen(&t, &c, now, 1000, &ping);
				int want = m_seen(&m, id, now, 1000, &mping);

				assert_int_equal(got, want);
				if (got == DHT_SEEN_PING)
					assert_int_equal(ping.id.b[31], mping);
			} else {
				bool hard = what == 9;

				assert_int_equal(dht_table_failed(&t, &c.id, hard),
						 m_failed(&m, id, hard));
			}
			m_compare(&m, &t, op);
		}
		dht_table_clear(&t);
	}
}

/* ---- an in-memory network ------------------------------------------------------- */

#define NET_MAX 200

struct msg {
	struct msg *next;
	unsigned from, to;
	size_t len;
	uint8_t b[];
};

struct node {
	struct net *net;
	unsigned idx;
	bool dead;
	uint8_t sk[64];
	struct dht_contact c;
	struct dht *dht;
	/* the last lookup result, copied */
	bool done;
	struct dht_lookup_result res;
	struct dht_contact closest[DHT_K_MAX];
	struct dht_value values[DHT_VALUES_MAX];
};

struct net {
	struct node node[NET_MAX];
	unsigned n;
	struct msg *head, **tail;
	uint64_t now;
	uint64_t delivered, lost;
	/* STORED replies seen by a test peer that is not a node */
	uint8_t last_status;
	unsigned n_sent;
};

static struct net net;

static int node_by_id(const struct node_id *id)
{
	for (unsigned i = 0; i < net.n; i++) {
		if (node_id_is_equal(&net.node[i].c.id, id))
			return (int)i;
	}
	return -1;
}

static int net_send(void *ctx, const struct dht_contact *to, const uint8_t *b, size_t len)
{
	struct node *from = ctx;
	int at = node_by_id(&to->id);
	struct msg *m;

	if (at < 0)
		return -EHOSTUNREACH;
	m = malloc(sizeof(*m) + len);
	assert_non_null(m);
	m->next = NULL;
	m->from = from->idx;
	m->to = (unsigned)at;
	m->len = len;
	memcpy(m->b, b, len);
	*net.tail = m;
	net.tail = &m->next;
	return 0;
}

static void net_done(void *ctx, const struct dht_lookup_result *res)
{
	struct node *n = ctx;

	n->done = true;
	n->res = *res;
	memcpy(n->closest, res->closest, res->n_closest * sizeof(res->closest[0]));
	memcpy(n->values, res->values, res->n_values * sizeof(res->values[0]));
	n->res.closest = n->closest;
	n->res.values = n->values;
}

static uint64_t net_wall(void *ctx)
{
	(void)ctx;
	return WALL + net.now / 1000;
}

/* Quiet: nothing queued, no request or lookup in flight anywhere. */
static bool net_is_quiet(void)
{
	if (net.head)
		return false;
	for (unsigned i = 0; i < net.n; i++) {
		const struct dht *d = net.node[i].dht;

		if (!net.node[i].dead && (d->n_rpc > 0 || d->n_lookups > 0))
			return false;
	}
	return true;
}

/* Deliver everything queued, then run timers, until quiet. Dead nodes
 * swallow what is sent to them. */
static void net_run(void)
{
	for (int rounds = 0; rounds < 100000; rounds++) {
		uint64_t next = UINT64_MAX;

		while (net.head) {
			struct msg *m = net.head;
			struct node *to = &net.node[m->to];

			net.head = m->next;
			if (!net.head)
				net.tail = &net.head;
			net.now++;
			if (!to->dead) {
				dht_input(to->dht, &net.node[m->from].c.id, m->b, m->len, net.now);
				net.delivered++;
			} else {
				net.lost++;
			}
			free(m);
		}
		for (unsigned i = 0; i < net.n; i++) {
			uint64_t d;

			if (net.node[i].dead)
				continue;
			d = dht_next_deadline_ms(net.node[i].dht);
			if (d < next)
				next = d;
		}
		if (net_is_quiet())
			return;
		if (next > net.now)
			net.now = next;
		for (unsigned i = 0; i < net.n; i++) {
			if (!net.node[i].dead)
				dht_tick(net.node[i].dht, net.now);
		}
	}
	fail_msg("network never went quiet");
}

static void net_config(struct dht_config *cfg)
{
	dht_config_default(cfg);
	cfg->k = 8;
	cfg->replacements = 4;
	cfg->refresh_ms = 0;
	cfg->query_rate = 0; /* no rate limits inside the lab */
	cfg->store_rate = 0;
	cfg->global_query_rate = 0;
	cfg->global_store_rate = 0;
	cfg->seed = 7;
}

static void node_init(struct node *n, unsigned idx, const struct dht_config *cfg)
{
	struct dht_callbacks cb = {
	    .ctx = n, .send = net_send, .lookup_done = net_done, .wall_s = net_wall};
	uint8_t seed[32] = {0};

	memset(n, 0, sizeof(*n));
	n->net = &net;
	n->idx = idx;
	memcpy(seed, &idx, sizeof(idx));
	seed[31] = 0x5e;
	sec_ed25519_from_seed(n->c.pk, n->sk, seed);
	node_id_from_pubkey(&n->c.id, n->c.pk);
	assert_int_equal(dht_new(cfg, &n->c, &cb, net.now, &n->dht), 0);
}

static void net_free(void)
{
	while (net.head) {
		struct msg *m = net.head;

		net.head = m->next;
		free(m);
	}
	for (unsigned i = 0; i < net.n; i++)
		net.node[i].dht = dht_free(net.node[i].dht);
}

/* Every node bootstraps through node 0 and one earlier node. */
static void net_build(unsigned n, const struct dht_config *cfg)
{
	memset(&net, 0, sizeof(net));
	net.tail = &net.head;
	net.now = 1000;
	net.n = n;
	for (unsigned i = 0; i < n; i++)
		node_init(&net.node[i], i, cfg);
	for (unsigned i = 1; i < n; i++) {
		struct dht_contact seeds[2] = {net.node[0].c, net.node[rnd() % i].c};
		uint32_t id;

		assert_int_equal(dht_bootstrap(net.node[i].dht, seeds, 2, net.now, &id), 0);
		net_run();
		assert_true(net.node[i].done);
		assert_int_equal(net.node[i].res.status, 0);
		assert_int_equal(net.node[i].res.kind, DHT_LOOKUP_BOOTSTRAP);
	}
}

/* The true k closest live nodes to `target`, other than `origin`. */
static size_t true_closest(const uint8_t *target, unsigned origin, struct dht_contact *out,
			   size_t k)
{
	static struct dht_contact all[NET_MAX];
	size_t n = 0;

	for (unsigned i = 0; i < net.n; i++) {
		if (i != origin && !net.node[i].dead)
			all[n++] = net.node[i].c;
	}
	sort_target = target;
	qsort(all, n, sizeof(all[0]), by_distance);
	if (n > k)
		n = k;
	memcpy(out, all, n * sizeof(all[0]));
	return n;
}

static size_t make_node_record(struct node *n, uint64_t seq, uint8_t *buf)
{
	struct node_record r = {0};
	size_t len;

	memcpy(r.pk, n->c.pk, 32);
	r.seq = seq;
	r.issued = WALL;
	r.expires = WALL + 7200;
	snprintf(r.name, sizeof(r.name), "n%u", n->idx);
	assert_int_equal(node_record_sign(&r, n->sk), 0);
	assert_int_equal(node_record_encode(&r, buf, NODE_RECORD_MAX_LEN, &len), 0);
	return len;
}

/* Lookups for live nodes from random live nodes. Count those that found
 * the target, and those whose result is exactly the k closest live nodes. */
static void lookups_find_targets(unsigned count, unsigned *out_found, unsigned *out_exact)
{
	unsigned exact = 0, hit = 0;

	for (unsigned i = 0; i < count; i++) {
		struct dht_contact want[8];
		unsigned from, to;
		uint32_t id;
		size_t n;
		bool found = false;

		do {
			from = (unsigned)(rnd() % net.n);
			to = (unsigned)(rnd() % net.n);
		} while (from == to || net.node[from].dead || net.node[to].dead);
		net.node[from].done = false;
		assert_int_equal(
		    dht_find_node(net.node[from].dht, net.node[to].c.id.b, net.now, &id), 0);
		net_run();
		assert_true(net.node[from].done);
		assert_int_equal(net.node[from].res.status, 0);
		n = true_closest(net.node[to].c.id.b, from, want, 8);
		assert_true(net.node[from].res.n_closest <= n);
		for (size_t j = 0; j < net.node[from].res.n_closest; j++)
			found |=
			    node_id_is_equal(&net.node[from].closest[j].id, &net.node[to].c.id);
		hit += found;
		assert_true(net.node[from].res.hops <= 8);
		for (size_t j = 0; j < net.node[from].res.n_closest; j++) {
			if (!node_id_is_equal(&net.node[from].closest[j].id, &want[j].id))
				break;
			exact += j + 1 == n;
		}
	}
	*out_found = hit;
	*out_exact = exact;
}

static void test_lookup_network(void **state)
{
	struct dht_config cfg;
	uint8_t rec[NODE_RECORD_MAX_LEN];
	unsigned found, exact;

	(void)state;
	net_config(&cfg);
	net_build(NET_MAX, &cfg);
	lookups_find_targets(100, &found, &exact);
	assert_int_equal(found, 100);
	assert_true(exact >= 95); /* exactly the k closest */

	/* Publish 20 node records; find each from another node. */
	for (unsigned i = 0; i < 20; i++) {
		struct node *n = &net.node[i * 7];
		size_t len = make_node_record(n, 1, rec);
		uint32_t id;

		n->done = false;
		assert_int_equal(dht_publish(n->dht, rec, len, net.now, &id), 0);
		assert_true(id != 0);
		net_run();
		assert_true(n->done);
		assert_int_equal(n->res.status, 0);
		assert_int_equal(n->res.kind, DHT_LOOKUP_PUBLISH);
		assert_true(n->res.stored >= 6);
	}
	for (unsigned i = 0; i < 20; i++) {
		struct node *owner = &net.node[i * 7], *asker = &net.node[(i * 7 + 100) % NET_MAX];
		size_t len = make_node_record(owner, 1, rec);
		uint32_t id;

		owner->dead = i % 2 == 0; /* half the owners are gone: replicas answer */
		asker->done = false;
		assert_int_equal(dht_find_value(asker->dht, owner->c.id.b, net.now, &id), 0);
		net_run();
		assert_true(asker->done);
		assert_int_equal(asker->res.status, 0);
		assert_int_equal(asker->res.n_values, 1);
		assert_int_equal(asker->values[0].len, len);
		assert_memory_equal(asker->values[0].b, rec, len);
	}

	/* 20 % of the nodes die: lookups still find every live target. */
	for (unsigned i = 0; i < NET_MAX; i++) {
		if (rnd() % 5 == 0)
			net.node[i].dead = true;
	}
	lookups_find_targets(100, &found, &exact);
	assert_true(found >= 98);
	assert_true(exact >= 80); /* no table repair ran between the deaths */
	assert_true(net.lost > 0);
	net_free();
}

/* ---- a single node and a scripted peer ------------------------------------------ */

static struct {
	unsigned n;
	uint8_t last[DHT_MSG_MAX_LEN];
	size_t last_len;
	struct node_id last_to;
} sent;

static int capture_send(void *ctx, const struct dht_contact *to, const uint8_t *b, size_t len)
{
	(void)ctx;
	sent.n++;
	memcpy(sent.last, b, len);
	sent.last_len = len;
	sent.last_to = to->id;
	return 0;
}

static uint64_t fixed_wall(void *ctx)
{
	(void)ctx;
	return WALL;
}

static struct dht *solo_new(struct dht_config *cfg, struct node *me)
{
	struct dht_callbacks cb = {.send = capture_send, .wall_s = fixed_wall};
	uint8_t seed[32];
	struct dht *d;

	memset(seed, 0x11, sizeof(seed));
	memset(me, 0, sizeof(*me));
	sec_ed25519_from_seed(me->c.pk, me->sk, seed);
	node_id_from_pubkey(&me->c.id, me->c.pk);
	assert_int_equal(dht_new(cfg, &me->c, &cb, 0, &d), 0);
	memset(&sent, 0, sizeof(sent));
	return d;
}

static void peer_make(struct node *p, uint8_t seed_byte)
{
	uint8_t seed[32];

	memset(p, 0, sizeof(*p));
	memset(seed, seed_byte, sizeof(seed));
	sec_ed25519_from_seed(p->c.pk, p->sk, seed);
	node_id_from_pubkey(&p->c.id, p->c.pk);
}

/* Have `p` send `m` to `d`; return dht_input's result. */
static int peer_send(struct dht *d, const struct node *p, struct dht_msg *m, uint64_t now)
{
	uint8_t buf[DHT_MSG_MAX_LEN];
	size_t len;

	m->sender = p->c;
	m->flags = DHT_MSG_F_SERVER;
	assert_int_equal(dht_msg_encode(m, buf, sizeof(buf), &len), 0);
	return dht_input(d, &p->c.id, buf, len, now);
}

static size_t make_service(const struct node *p, const char *name, uint8_t vis, uint64_t seq,
			   uint64_t expires, uint8_t *buf)
{
	struct service_record r = {0};
	size_t len;

	memcpy(r.pk, p->c.pk, 32);
	r.seq = seq;
	r.issued = WALL - 10;
	r.expires = expires;
	r.visibility = vis;
	snprintf(r.name, sizeof(r.name), "%s", name);
	assert_int_equal(service_record_sign(&r, p->sk), 0);
	assert_int_equal(service_record_encode(&r, buf, SERVICE_RECORD_MAX_LEN, &len), 0);
	return len;
}

static uint8_t store(struct dht *d, const struct node *p, const uint8_t *rec, size_t len)
{
	struct dht_msg m, reply;

	memset(&m, 0, sizeof(m));
	m.type = DHT_MSG_STORE;
	m.txid = rnd();
	m.u.values.n = 1;
	m.u.values.v[0].len = (uint16_t)len;
	memcpy(m.u.values.v[0].b, rec, len);
	assert_int_equal(peer_send(d, p, &m, 1), 0);
	assert_int_equal(dht_msg_decode(&reply, sent.last, sent.last_len), 0);
	assert_int_equal(reply.type, DHT_MSG_STORED);
	assert_int_equal(reply.txid, m.txid);
	return reply.u.status;
}

/* The record each numbered case of test_store_admission() stores. */
static size_t admission_case_record(const struct node *p, int n, uint8_t *rec)
{
	static const uint64_t seqs[] = {0, 5, 5, 6, 4, 6, 9, 9, 9, 9, 9};
	uint64_t exp = WALL + 600;
	uint8_t vis = SERVICE_VIS_PUBLIC;
	size_t len;

	if (n == 7)
		exp = WALL - 1;
	if (n == 8)
		exp = WALL + RECORD_LIFETIME_MAX_S;
	if (n == 9)
		vis = SERVICE_VIS_HIDDEN;
	if (n == 10)
		vis = SERVICE_VIS_PRIVATE;
	if (n == 5)
		exp--; /* case 3's key, owner and sequence; other bytes */
	len = make_service(p, "p.ssh", vis, seqs[n], exp, rec);
	if (n == 6)
		rec[len - 1] ^= 1;
	return len;
}

static void test_store_admission(void **state)
{
	static const struct {
		int n;
		const char *what;
		uint8_t want_status;
		int counter; /* enum dht_refuse, or -1 */
	} cases[] = {
	    {1, "valid", DHT_STORE_OK, -1},
	    {2, "same bytes again", DHT_STORE_SAME, -1},
	    {3, "higher sequence", DHT_STORE_OK, -1},
	    {4, "older sequence", DHT_STORE_STALE, DHT_REFUSE_STALE},
	    {5, "equal sequence, other bytes", DHT_STORE_STALE, DHT_REFUSE_CONFLICT},
	    {6, "forged signature", DHT_STORE_INVALID, DHT_REFUSE_BAD_SIG},
	    {7, "expired", DHT_STORE_INVALID, DHT_REFUSE_EXPIRED},
	    {8, "lifetime over the cap", DHT_STORE_INVALID, DHT_REFUSE_BAD_TIME},
	    {9, "hidden service", DHT_STORE_INVALID, DHT_REFUSE_VISIBILITY},
	    {10, "private service", DHT_STORE_INVALID, DHT_REFUSE_VISIBILITY},
	};
	struct dht_config cfg;
	struct dht_stats st;
	struct node me, p;
	uint8_t rec[SERVICE_RECORD_MAX_LEN];
	struct dht *d;

	(void)state;
	dht_config_default(&cfg);
	d = solo_new(&cfg, &me);
	peer_make(&p, 0x22);
	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		uint64_t before[DHT_REFUSE__COUNT];
		size_t len;

		assert_int_equal(cases[i].n, (int)i + 1);
		len = admission_case_record(&p, cases[i].n, rec);
		dht_get_stats(d, &st);
		memcpy(before, st.refused, sizeof(before));
		if (store(d, &p, rec, len) != cases[i].want_status)
			fail_msg("case %d (%s): wrong status", cases[i].n, cases[i].what);
		dht_get_stats(d, &st);
		for (int r = 0; r < DHT_REFUSE__COUNT; r++) {
			uint64_t want = before[r] + (r == cases[i].counter);

			if (st.refused[r] != want)
				fail_msg("case %d (%s): counter %s", cases[i].n, cases[i].what,
					 dht_refuse_name((enum dht_refuse)r));
		}
	}
	dht_get_stats(d, &st);
	assert_int_equal(st.values, 1);
	d = dht_free(d);
}

static void test_store_caps(void **state)
{
	struct dht_config cfg;
	struct dht_stats st;
	struct node me, p[6];
	uint8_t rec[SERVICE_RECORD_MAX_LEN];
	char name[32];
	struct dht *d;
	size_t len;

	(void)state;
	dht_config_default(&cfg);
	cfg.values_max = 6;
	cfg.values_per_source = 3;
	cfg.values_per_key = 2;
	cfg.store_rate = 0;
	cfg.global_store_rate = 0;
	d = solo_new(&cfg, &me);
	for (unsigned i = 0; i < 6; i++)
		peer_make(&p[i], (uint8_t)(0x30 + i));
	/* Per source: the fourth value from one peer is refused. */
	for (unsigned i = 0; i < 4; i++) {
		snprintf(name, sizeof(name), "p.s%u", i);
		len = make_service(&p[0], name, SERVICE_VIS_PUBLIC, 1, WALL + 60, rec);
		assert_int_equal(store(d, &p[0], rec, len), i < 3 ? DHT_STORE_OK : DHT_STORE_FULL);
	}
	/* Per key: a third owner of one name is refused. */
	for (unsigned i = 1; i < 4; i++) {
		len = make_service(&p[i], "shared.web", SERVICE_VIS_PUBLIC, 1, WALL + 60, rec);
		assert_int_equal(store(d, &p[i], rec, len), i < 3 ? DHT_STORE_OK : DHT_STORE_FULL);
	}
	/* In total: 5 held, one more fits, then full. */
	len = make_service(&p[4], "p.a", SERVICE_VIS_PUBLIC, 1, WALL + 60, rec);
	assert_int_equal(store(d, &p[4], rec, len), DHT_STORE_OK);
	len = make_service(&p[5], "p.b", SERVICE_VIS_PUBLIC, 1, WALL + 60, rec);
	assert_int_equal(store(d, &p[5], rec, len), DHT_STORE_FULL);
	dht_get_stats(d, &st);
	assert_int_equal(st.values, 6);
	assert_int_equal(st.refused[DHT_REFUSE_SOURCE_FULL], 1);
	assert_int_equal(st.refused[DHT_REFUSE_KEY_FULL], 1);
	assert_int_equal(st.refused[DHT_REFUSE_FULL], 1);
	/* Expiry frees them all (record expiry at WALL + 60). */
	d->cb.wall_s = NULL;
	dht_tick(d, DHT_SWEEP_MS);
	dht_get_stats(d, &st);
	assert_int_equal(st.values, 0);
	assert_int_equal(st.values_expired, 6);
	d = dht_free(d);
}

/* Oversized and malformed input is dropped before any work, and counted. */
static void test_input_drops(void **state)
{
	struct dht_config cfg;
	struct dht_stats st;
	struct node me, p, q;
	struct dht_msg m;
	uint8_t buf[DHT_MSG_MAX_LEN + 8];
	size_t len;
	struct dht *d;

	(void)state;
	dht_config_default(&cfg);
	d = solo_new(&cfg, &me);
	peer_make(&p, 0x41);
	peer_make(&q, 0x42);
	memset(&m, 0, sizeof(m));
	m.type = DHT_MSG_STORE;
	m.sender = p.c;
	m.u.values.n = 1;
	m.u.values.v[0].len =
	    (uint16_t)make_service(&p, "p.ssh", 1, 1, WALL + 60, m.u.values.v[0].b);
	assert_int_equal(dht_msg_encode(&m, buf, sizeof(buf), &len), 0);
	/* Header 11 bytes, sender contact 65 (no endpoints), value count 1:
	 * then the value's u16 length, raised to 0x02xx > DHT_VALUE_MAX_LEN. */
	buf[11 + 65 + 1] = 0x02;
	assert_int_equal(dht_input(d, &p.c.id, buf, len, 1), -EMSGSIZE);
	memset(buf, 0, sizeof(buf));
	assert_int_equal(dht_input(d, &p.c.id, buf, DHT_MSG_MAX_LEN + 1, 1), -EMSGSIZE);
	buf[0] = 9;
	assert_int_equal(dht_input(d, &p.c.id, buf, 50, 1), -EPROTONOSUPPORT);
	buf[0] = DHT_MSG_VERSION;
	buf[1] = 0x7f;
	assert_int_equal(dht_input(d, &p.c.id, buf, 50, 1), -ENOMSG);
	assert_int_equal(dht_input(d, &p.c.id, buf, 3, 1), -EBADMSG);
	/* A sender contact that is not the authenticated peer. */
	memset(&m, 0, sizeof(m));
	m.type = DHT_MSG_PING;
	m.sender = q.c;
	assert_int_equal(dht_msg_encode(&m, buf, sizeof(buf), &len), 0);
	assert_int_equal(dht_input(d, &p.c.id, buf, len, 1), -EPERM);
	/* A reply nobody asked for; a sync message. */
	m.type = DHT_MSG_PONG;
	assert_int_equal(peer_send(d, &q, &m, 1), -ESRCH);
	m.type = DHT_MSG_WANT;
	m.u.want.kind = DHT_SYNC_NODES;
	m.u.want.n = 1;
	assert_int_equal(peer_send(d, &q, &m, 1), -ENOPROTOOPT);
	dht_get_stats(d, &st);
	assert_int_equal(st.drops[DHT_DROP_OVERSIZED], 2);
	assert_int_equal(st.drops[DHT_DROP_VERSION], 1);
	assert_int_equal(st.drops[DHT_DROP_UNKNOWN_TYPE], 1);
	assert_int_equal(st.drops[DHT_DROP_MALFORMED], 1);
	assert_int_equal(st.drops[DHT_DROP_SENDER], 1);
	assert_int_equal(st.drops[DHT_DROP_UNSOLICITED], 1);
	assert_int_equal(st.drops[DHT_DROP_NOT_DHT], 1);
	assert_int_equal(st.contacts, 0); /* nothing dropped made it to the table */
	assert_int_equal(st.values, 0);
	d = dht_free(d);
}

static void test_rate_limit(void **state)
{
	struct dht_config cfg;
	struct dht_stats st;
	struct node me, p[3];
	struct dht_msg m;
	struct dht *d;
	unsigned ok = 0;

	(void)state;
	dht_config_default(&cfg);
	cfg.query_rate = 10;
	cfg.query_burst = 5;
	cfg.global_query_rate = 20;
	cfg.global_query_burst = 8;
	d = solo_new(&cfg, &me);
	for (unsigned i = 0; i < 3; i++)
		peer_make(&p[i], (uint8_t)(0x50 + i));
	memset(&m, 0, sizeof(m));
	m.type = DHT_MSG_PING;
	/* One source: its burst of 5, then refused. */
	for (int i = 0; i < 8; i++)
		ok += peer_send(d, &p[0], &m, 1000) == 0;
	assert_int_equal(ok, 5);
	assert_int_equal(sent.n, 5); /* one PONG each */
	/* A second source gets 3 more before the global burst (8) is gone. */
	ok = 0;
	for (int i = 0; i < 8; i++)
		ok += peer_send(d, &p[1], &m, 1000) == 0;
	assert_int_equal(ok, 3);
	assert_int_equal(peer_send(d, &p[2], &m, 1000), -EBUSY);
	/* 100 ms later: one more per-source token, two global. */
	assert_int_equal(peer_send(d, &p[0], &m, 1100), 0);
	assert_int_equal(peer_send(d, &p[0], &m, 1100), -EBUSY);
	assert_int_equal(peer_send(d, &p[2], &m, 1100), 0);
	assert_int_equal(peer_send(d, &p[2], &m, 1100), -EBUSY);
	dht_get_stats(d, &st);
	assert_int_equal(st.drops[DHT_DROP_RATE_QUERY], 3 + 5 + 1 + 1 + 1);
	/* STOREs have their own buckets: pings used none of them. */
	assert_int_equal(st.drops[DHT_DROP_RATE_STORE], 0);
	d = dht_free(d);
}

/* A full bucket pings its oldest contact: no answer evicts it and the
 * newest replacement moves in; an answer keeps it. */
static void test_liveness_ping(void **state)
{
	struct dht_config cfg;
	struct dht_stats st;
	struct node me, p[4];
	struct dht_msg m, ping;
	struct dht *d;

	(void)state;
	dht_config_default(&cfg);
	cfg.k = 1;
	cfg.replacements = 2;
	cfg.ping_after_ms = 1000;
	d = solo_new(&cfg, &me);
	/* Find three peers in the same bucket as each other. */
	peer_make(&p[0], 0x60);
	for (unsigned i = 1, s = 0x61; i < 4; s++) {
		peer_make(&p[i], (uint8_t)s);
		if (dht_bucket_index(me.c.id.b, p[i].c.id.b) ==
		    dht_bucket_index(me.c.id.b, p[0].c.id.b))
			i++;
	}
	assert_int_equal(dht_contact_seen(d, &p[0].c, 0), 0);
	assert_int_equal(dht_contact_seen(d, &p[1].c, 10), 0); /* young LRU: no ping */
	assert_int_equal(sent.n, 0);
	assert_int_equal(dht_contact_seen(d, &p[2].c, 2000), 0);
	assert_int_equal(sent.n, 1);
	assert_memory_equal(&sent.last_to, &p[0].c.id, sizeof(p[0].c.id));
	assert_int_equal(dht_msg_decode(&ping, sent.last, sent.last_len), 0);
	assert_int_equal(ping.type, DHT_MSG_PING);
	/* p[0] answers: it stays. */
	memset(&m, 0, sizeof(m));
	m.type = DHT_MSG_PONG;
	m.txid = ping.txid;
	assert_int_equal(peer_send(d, &p[0], &m, 2100), 0);
	assert_non_null(dht_table_find(&d->table, &p[0].c.id));
	/* Later a newcomer triggers another ping; this time nobody answers. */
	assert_int_equal(dht_contact_seen(d, &p[3].c, 5000), 0);
	assert_int_equal(sent.n, 2);
	dht_tick(d, 5000 + cfg.rpc_timeout_ms);
	assert_null(dht_table_find(&d->table, &p[0].c.id));
	assert_non_null(dht_table_find(&d->table, &p[3].c.id)); /* the newest replacement */
	dht_get_stats(d, &st);
	assert_int_equal(st.contacts, 1);
	assert_int_equal(st.contacts_evicted, 1);
	assert_int_equal(st.pings_sent, 2);
	d = dht_free(d);
}

/* Our own values: republished on schedule, refused when not newer, and a
 * lookup with nobody to ask ends unreachable. */
static void test_publish_republish(void **state)
{
	struct dht_config cfg;
	struct dht_stats st;
	struct node me, p;
	uint8_t rec[SERVICE_RECORD_MAX_LEN], old[SERVICE_RECORD_MAX_LEN];
	size_t len, old_len;
	struct dht *d;
	uint32_t id;

	(void)state;
	dht_config_default(&cfg);
	cfg.republish_ms = 10000;
	d = solo_new(&cfg, &me);
	peer_make(&p, 0x70);
	old_len = make_service(&me, "me.ssh", SERVICE_VIS_PUBLIC, 2, WALL + 600, old);
	assert_int_equal(dht_publish(d, old, old_len, 0, &id), 0);
	len = make_service(&me, "me.ssh", SERVICE_VIS_PUBLIC, 1, WALL + 600, rec);
	assert_int_equal(dht_publish(d, rec, len, 0, &id), -ESTALE);
	len = make_service(&me, "me.ssh", SERVICE_VIS_HIDDEN, 3, WALL + 600, rec);
	assert_int_equal(dht_publish(d, rec, len, 0, &id), -EINVAL);
	len = make_service(&me, "me.ssh", SERVICE_VIS_PUBLIC, 3, WALL - 1, rec);
	assert_int_equal(dht_publish(d, rec, len, 0, &id), -ETIME);
	rec[len - 1] ^= 1;
	assert_int_equal(dht_publish(d, rec, len, 0, &id), -EBADMSG);
	/* Nobody known: the lookup ends unreachable at the next tick. */
	dht_tick(d, 1);
	assert_int_equal(sent.n, 0);
	/* With a contact, the republish at 10 s queries it. */
	assert_int_equal(dht_contact_seen(d, &p.c, 2), 0);
	dht_tick(d, 9999);
	assert_int_equal(sent.n, 0);
	assert_int_equal(dht_next_deadline_ms(d), 10000);
	dht_tick(d, 10000);
	assert_int_equal(sent.n, 1);
	assert_memory_equal(&sent.last_to, &p.c.id, sizeof(p.c.id));
	dht_get_stats(d, &st);
	assert_int_equal(st.own_values, 1);
	assert_int_equal(st.lookups_failed, 1);
	/* Unpublished: nothing more to republish. */
	{
		uint8_t key[32];

		service_name_key(key, "me.ssh");
		assert_int_equal(dht_unpublish(d, key, &p.c.id), -ENOENT);
		assert_int_equal(dht_unpublish(d, key, &me.c.id), 0);
		assert_int_equal(dht_unpublish(d, key, &me.c.id), -ENOENT);
		dht_get_stats(d, &st);
		assert_int_equal(st.own_values, 0);
	}
	d = dht_free(d);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_metric),	    cmocka_unit_test(test_closest),
	    cmocka_unit_test(test_bucket_model),    cmocka_unit_test(test_lookup_network),
	    cmocka_unit_test(test_store_admission), cmocka_unit_test(test_store_caps),
	    cmocka_unit_test(test_input_drops),	    cmocka_unit_test(test_rate_limit),
	    cmocka_unit_test(test_liveness_ping),   cmocka_unit_test(test_publish_republish),
	};

	if (sec_init() < 0)
		return 1;
	return cmocka_run_group_tests(tests, NULL, NULL);
}
