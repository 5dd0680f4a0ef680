/* tests/unit/test_dht.c - discovery/dht*.c: the Kademlia metric, the
 * routing table and iterative lookups.
 *
 * The XOR metric, bucket index and closest-contacts selection against
 * naive reference implementations over random IDs; the k-buckets (LRU,
 * liveness PING, eviction, replacement cache) against a naive model under
 * random operations; iterative lookups, publish and FIND_VALUE on a
 * 200-node in-memory network wired through the send callback, with and
 * without dead nodes. Everything deterministic. One engine against a
 * scripted peer (STORE admission, rate limits, republish) is in
 * test_dht_solo.c; the message codec in test_dht_msg.c.
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
#include "lib/secure.h"

#include "dht_test.h"

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

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_metric),
	    cmocka_unit_test(test_closest),
	    cmocka_unit_test(test_bucket_model),
	    cmocka_unit_test(test_lookup_network),
	};

	if (sec_init() < 0)
		return 1;
	return cmocka_run_group_tests(tests, NULL, NULL);
}
