/* discovery/dht.c - the DHT engine: lifecycle, message dispatch, requests
 * in flight, and the timers dht_tick() drives (docs/discovery.md, wire §6).
 *
 * Owns the RPC table (every request we sent and still wait for, matched
 * by txid and the authenticated sender), the handlers for incoming
 * requests, and the schedule: RPC timeouts, lookup deadlines, value
 * expiry, republish and bucket refresh. The k-buckets are dht_table.c's,
 * lookups dht_lookup.c's, stored values dht_store.c's, our own published
 * values dht_own.c's. No I/O: bytes leave through cb.send.
 */
#include "discovery/dht_internal.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "lib/clock.h"
#include "lib/log.h"
#include "lib/secure.h"

void dht_config_default(struct dht_config *cfg)
{
	memset(cfg, 0, sizeof(*cfg));
	cfg->k = 20;
	cfg->alpha = 3;
	cfg->replacements = 8;
	cfg->server = true;
	cfg->rpc_timeout_ms = 2000;
	cfg->lookup_timeout_ms = 30000;
	cfg->lookup_queries_max = 60;
	cfg->lookups_max = 32;
	cfg->rpcs_max = 512;
	cfg->value_quorum = 3;
	cfg->ping_after_ms = 15 * 60 * 1000;
	cfg->refresh_ms = 3600 * 1000;
	cfg->republish_ms = 3600 * 1000;
	cfg->value_ttl_ms = 25ull * 3600 * 1000;
	cfg->values_max = 16384;
	cfg->values_per_source = 64;
	cfg->values_per_key = 4;
	cfg->rate_sources = 1024;
	cfg->query_rate = 20;
	cfg->query_burst = 50;
	cfg->store_rate = 2;
	cfg->store_burst = 10;
	cfg->global_query_rate = 500;
	cfg->global_query_burst = 1000;
	cfg->global_store_rate = 50;
	cfg->global_store_burst = 100;
}

static bool config_is_valid(const struct dht_config *c)
{
	return c->k >= 1 && c->k <= DHT_K_MAX && c->alpha >= 1 && c->alpha <= DHT_ALPHA_MAX &&
	       c->replacements <= DHT_K_MAX && c->rpc_timeout_ms > 0 && c->lookup_timeout_ms > 0 &&
	       c->lookup_queries_max > 0 && c->lookups_max > 0 && c->rpcs_max > 0 &&
	       c->rpcs_max <= DHT_RPCS_MAX && c->value_quorum > 0 && c->republish_ms > 0 &&
	       c->value_ttl_ms > 0 && c->values_per_key >= 1 &&
	       c->values_per_key <= DHT_VALUES_MAX && c->rate_sources > 0;
}

int dht_new(const struct dht_config *cfg, const struct dht_contact *self,
	    const struct dht_callbacks *cb, uint64_t now_ms, struct dht **out_dht)
{
	struct dht *dht;

	if (!config_is_valid(cfg) || !dht_contact_is_valid(self) || !cb || !cb->send)
		return -EINVAL;
	dht = calloc(1, sizeof(*dht));
	if (!dht)
		return -ENOMEM;
	dht->cfg = *cfg;
	dht->cb = *cb;
	dht->self = *self;
	if (dht_table_init(&dht->table, self->id.b, cfg->k, cfg->replacements) < 0) {
		free(dht);
		return -EINVAL;
	}
	dht->rng = cfg->seed;
	while (dht->rng == 0)
		sec_random(&dht->rng, sizeof(dht->rng));
	dht->limit.gq.milli = (uint64_t)cfg->global_query_burst * 1000;
	dht->limit.gs.milli = (uint64_t)cfg->global_store_burst * 1000;
	dht->limit.gq.last_ms = dht->limit.gs.last_ms = now_ms;
	dht->next_sweep_ms = now_ms + DHT_SWEEP_MS;
	dht->next_refresh_ms = now_ms + DHT_REFRESH_CHECK_MS;
	if (cfg->insecure_skip_verify)
		log_warn(LD_DHT, "DHT signature checks are off: for the simulator only");
	*out_dht = dht;
	return 0;
}

struct dht *dht_free(struct dht *dht)
{
	if (!dht)
		return NULL;
	dht_lookup_free_all(dht);
	dht_table_clear(&dht->table);
	dht_store_clear(&dht->store);
	dht_limit_clear(&dht->limit);
	free(dht->own);
	free(dht->rpc);
	free(dht);
	return NULL;
}

int dht_set_self(struct dht *dht, const struct dht_contact *self)
{
	if (!dht_contact_is_valid(self) || !dht_id_is_equal(&self->id, &dht->self.id))
		return -EINVAL;
	dht->self = *self;
	return 0;
}

/* xorshift64*: txids and refresh targets need to be distinct, not secret
 * (replies are matched on the authenticated sender too). */
uint64_t dht_rand(struct dht *dht)
{
	uint64_t x = dht->rng;

	x ^= x >> 12;
	x ^= x << 25;
	x ^= x >> 27;
	dht->rng = x;
	return x * 0x2545F4914F6CDD1Dull;
}

uint64_t dht_wall_s(const struct dht *dht)
{
	return dht->cb.wall_s ? dht->cb.wall_s(dht->cb.ctx) : clock_wall_s();
}

void dht_count_refusal(struct dht *dht, enum dht_refuse r)
{
	dht->stats.refused[r]++;
}

/* ---- sending ---------------------------------------------------------------- */

static int send_msg(struct dht *dht, const struct dht_contact *to, struct dht_msg *m)
{
	uint8_t buf[DHT_MSG_MAX_LEN];
	size_t len;
	int r;

	m->flags = dht->cfg.server ? DHT_MSG_F_SERVER : 0;
	m->sender = dht->self;
	r = dht_msg_encode(m, buf, sizeof(buf), &len);
	if (r < 0)
		return r; /* a bug: every message we build is within the rules */
	r = dht->cb.send(dht->cb.ctx, to, buf, len);
	if (r < 0)
		return r;
	dht->stats.tx[m->type]++;
	return 0;
}

int dht_rpc_send(struct dht *dht, const struct dht_contact *to, struct dht_msg *m, uint8_t kind,
		 uint32_t lookup_id, uint64_t now_ms)
{
	struct dht_rpc *rpc;
	int r;

	if (dht->n_rpc >= dht->cfg.rpcs_max) {
		dht->stats.rpc_table_full++;
		return -ENOBUFS;
	}
	if (dht->n_rpc == dht->cap_rpc) {
		unsigned cap = dht->cap_rpc ? dht->cap_rpc * 2 : 8;
		struct dht_rpc *n;

		if (cap > dht->cfg.rpcs_max)
			cap = dht->cfg.rpcs_max;
		n = realloc(dht->rpc, cap * sizeof(*n));
		if (!n)
			return -ENOMEM;
		dht->rpc = n;
		dht->cap_rpc = cap;
	}
	m->txid = dht_rand(dht);
	r = send_msg(dht, to, m);
	if (r < 0) {
		dht->stats.rpc_send_failed++;
		dht_table_failed(&dht->table, &to->id, false);
		return r;
	}
	rpc = &dht->rpc[dht->n_rpc++];
	rpc->txid = m->txid;
	rpc->to = to->id;
	rpc->deadline_ms = now_ms + dht->cfg.rpc_timeout_ms;
	rpc->lookup_id = lookup_id;
	rpc->kind = kind;
	rpc->type = m->type;
	return 0;
}

static void rpc_remove(struct dht *dht, unsigned i)
{
	dht->rpc[i] = dht->rpc[--dht->n_rpc];
}

/* A request failed (timeout). The RPC is already out of the table. */
static void rpc_failed(struct dht *dht, const struct dht_rpc *rpc, uint64_t now_ms)
{
	dht->stats.rpc_timeouts++;
	if (dht_table_failed(&dht->table, &rpc->to, rpc->kind == DHT_RPC_PING))
		dht->stats.contacts_evicted++;
	if (rpc->kind != DHT_RPC_PING)
		dht_lookup_on_fail(dht, rpc, now_ms);
}

static void send_ping(struct dht *dht, const struct dht_contact *to, uint64_t now_ms)
{
	struct dht_msg m;

	memset(&m, 0, sizeof(m));
	m.type = DHT_MSG_PING;
	dht->stats.pings_sent++;
	if (dht_rpc_send(dht, to, &m, DHT_RPC_PING, 0, now_ms) < 0) {
		struct dht_entry *e = dht_table_find(&dht->table, &to->id);

		if (e)
			e->pinging = false; /* try again with the next newcomer */
	}
}

/* Direct evidence that `c` is up: into the table, and a liveness PING for
 * the bucket's oldest contact when the bucket is full. */
static void note_seen(struct dht *dht, const struct dht_contact *c, uint64_t now_ms)
{
	struct dht_contact lru;
	int r = dht_table_seen(&dht->table, c, now_ms, dht->cfg.ping_after_ms, &lru);

	if (r == DHT_SEEN_ADDED)
		dht->stats.contacts_added++;
	else if (r == DHT_SEEN_PING)
		send_ping(dht, &lru, now_ms);
}

int dht_contact_seen(struct dht *dht, const struct dht_contact *c, uint64_t now_ms)
{
	if (!dht_contact_is_valid(c) || dht_id_is_equal(&c->id, &dht->self.id))
		return -EINVAL;
	note_seen(dht, c, now_ms);
	return 0;
}

/* ---- requests from peers ------------------------------------------------------ */

static void reply(struct dht *dht, const struct dht_msg *req, struct dht_msg *m)
{
	m->txid = req->txid;
	(void)send_msg(dht, &req->sender, m); /* a lost reply is the asker's timeout */
}

static void reply_nodes(struct dht *dht, const struct dht_msg *req, const uint8_t *target,
			struct dht_msg *m)
{
	m->type = DHT_MSG_NODES;
	m->u.nodes.n = (uint8_t)dht_table_closest(&dht->table, target, &req->sender.id,
						  m->u.nodes.c, dht->cfg.k);
	reply(dht, req, m);
}

/* Our own values first (they are the freshest), then stored ones of
 * other owners; never anything already expired. */
static unsigned gather_values(struct dht *dht, const uint8_t *key, struct dht_msg *m)
{
	const struct dht_val *held[DHT_VALUES_MAX];
	uint64_t wall = dht_wall_s(dht);
	unsigned n = 0;
	size_t n_held;

	for (unsigned i = 0; i < dht->n_own && n < dht->cfg.values_per_key; i++) {
		if (memcmp(dht->own[i].vi.key, key, DHT_KEY_LEN) == 0 &&
		    wall < dht->own[i].vi.expires)
			m->u.values.v[n++] = dht->own[i].v;
	}
	n_held = dht_store_get(&dht->store, key, held, DHT_VALUES_MAX);
	for (size_t i = 0; i < n_held && n < dht->cfg.values_per_key; i++) {
		bool dup = false;

		for (unsigned j = 0; j < dht->n_own; j++)
			dup |= memcmp(dht->own[j].vi.key, key, DHT_KEY_LEN) == 0 &&
			       dht_id_is_equal(&dht->own[j].vi.owner, &held[i]->owner);
		if (dup || wall >= held[i]->expires_s)
			continue;
		m->u.values.v[n].len = held[i]->len;
		memcpy(m->u.values.v[n].b, held[i]->b, held[i]->len);
		n++;
	}
	return n;
}

static void on_request(struct dht *dht, const struct dht_msg *req, uint64_t now_ms)
{
	struct dht_msg m;

	memset(&m, 0, sizeof(m));
	switch (req->type) {
	case DHT_MSG_PING:
		m.type = DHT_MSG_PONG;
		reply(dht, req, &m);
		break;
	case DHT_MSG_FIND_NODE:
		reply_nodes(dht, req, req->u.target, &m);
		break;
	case DHT_MSG_FIND_VALUE:
		m.u.values.n = (uint8_t)gather_values(dht, req->u.target, &m);
		if (m.u.values.n == 0) {
			reply_nodes(dht, req, req->u.target, &m);
			break;
		}
		m.type = DHT_MSG_VALUE;
		reply(dht, req, &m);
		break;
	case DHT_MSG_STORE:
		m.u.status = dht_store_put(dht, req->u.values.v[0].b, req->u.values.v[0].len,
					   &req->sender.id, now_ms);
		m.type = DHT_MSG_STORED;
		reply(dht, req, &m);
		break;
	default:
		break;
	}
}

/* ---- replies to our requests ---------------------------------------------------- */

/* Count a dropped message; say so at debug level, rate-limited, since
 * peers decide how often this happens. */
static int drop(struct dht *dht, enum dht_drop d, const struct node_id *from, uint64_t now_ms,
		int err)
{
	static struct log_ratelim rl = LOG_RATELIM_INIT(10000, 5);
	char fp[9];

	dht->stats.drops[d]++;
	if (log_is_enabled(LOG_LEVEL_DEBUG) && log_ratelim_allow(&rl, now_ms)) {
		node_id_fingerprint(from, fp);
		log_debug(LD_DHT, "Dropped a DHT message from %s: %s", fp, dht_drop_name(d));
	}
	return err;
}

static bool reply_fits(uint8_t request, uint8_t reply_type)
{
	switch (request) {
	case DHT_MSG_PING:
		return reply_type == DHT_MSG_PONG;
	case DHT_MSG_FIND_NODE:
		return reply_type == DHT_MSG_NODES;
	case DHT_MSG_FIND_VALUE:
		return reply_type == DHT_MSG_VALUE || reply_type == DHT_MSG_NODES;
	case DHT_MSG_STORE:
		return reply_type == DHT_MSG_STORED;
	default:
		return false;
	}
}

static int on_reply(struct dht *dht, const struct dht_msg *m, uint64_t now_ms)
{
	struct dht_rpc rpc;
	unsigned i;

	for (i = 0; i < dht->n_rpc; i++) {
		if (dht->rpc[i].txid == m->txid && dht_id_is_equal(&dht->rpc[i].to, &m->sender.id))
			break;
	}
	if (i == dht->n_rpc || !reply_fits(dht->rpc[i].type, m->type))
		return drop(dht, DHT_DROP_UNSOLICITED, &m->sender.id, now_ms, -ESRCH);
	rpc = dht->rpc[i];
	rpc_remove(dht, i);
	if (rpc.kind != DHT_RPC_PING)
		dht_lookup_on_reply(dht, &rpc, m, now_ms);
	return 0;
}

/* ---- input ------------------------------------------------------------------------ */

static enum dht_drop decode_drop(int r)
{
	switch (r) {
	case -EMSGSIZE:
		return DHT_DROP_OVERSIZED;
	case -EPROTONOSUPPORT:
		return DHT_DROP_VERSION;
	case -ENOMSG:
		return DHT_DROP_UNKNOWN_TYPE;
	default:
		return DHT_DROP_MALFORMED;
	}
}

/* Requests cost us work: each is paid for with a token. */
static bool request_is_allowed(struct dht *dht, const struct dht_msg *m, uint64_t now_ms)
{
	bool store = m->type == DHT_MSG_STORE;

	if (dht_limit_allow(dht, &m->sender.id, store, now_ms))
		return true;
	drop(dht, store ? DHT_DROP_RATE_STORE : DHT_DROP_RATE_QUERY, &m->sender.id, now_ms, 0);
	return false;
}

int dht_input(struct dht *dht, const struct node_id *from, const uint8_t *buf, size_t len,
	      uint64_t now_ms)
{
	struct dht_msg m;
	int r = dht_msg_decode(&m, buf, len);

	if (r < 0)
		return drop(dht, decode_drop(r), from, now_ms, r);
	dht->stats.rx[m.type]++;
	/* The link authenticated `from`; a contact claiming another ID
	 * would let a peer answer for, or insert, someone else. */
	if (!dht_id_is_equal(&m.sender.id, from))
		return drop(dht, DHT_DROP_SENDER, from, now_ms, -EPERM);
	/* Registry sync is the caller's (registry.h). */
	if (m.type == DHT_MSG_DIGEST || m.type == DHT_MSG_WANT || m.type == DHT_MSG_RECORDS)
		return drop(dht, DHT_DROP_NOT_DHT, from, now_ms, -ENOPROTOOPT);
	if (dht_msg_is_reply(m.type)) {
		r = on_reply(dht, &m, now_ms);
	} else if (!request_is_allowed(dht, &m, now_ms)) {
		r = -EBUSY;
	} else {
		on_request(dht, &m, now_ms);
	}
	/* Evidence of life only from a message we did not drop. */
	if (r == 0 && (m.flags & DHT_MSG_F_SERVER))
		note_seen(dht, &m.sender, now_ms);
	dht_lookup_reap(dht, now_ms);
	return r;
}

/* ---- timers ------------------------------------------------------------------------ */

static void rpc_tick(struct dht *dht, uint64_t now_ms)
{
	unsigned i = 0;

	/* Failing an RPC may send new ones (appended, with later deadlines)
	 * or reorder the array, so copy it out before acting on it. */
	while (i < dht->n_rpc) {
		struct dht_rpc rpc = dht->rpc[i];

		if (now_ms < rpc.deadline_ms) {
			i++;
			continue;
		}
		rpc_remove(dht, i);
		rpc_failed(dht, &rpc, now_ms);
	}
}

static void refresh_tick(struct dht *dht, uint64_t now_ms)
{
	if (!dht->cfg.refresh_ms || now_ms < dht->next_refresh_ms)
		return;
	dht->next_refresh_ms = now_ms + DHT_REFRESH_CHECK_MS;
	for (unsigned i = 0; i < dht->table.n_b && dht->n_refresh < DHT_REFRESH_RUNNING; i++) {
		uint8_t target[DHT_KEY_LEN];
		uint32_t id;

		if (now_ms - dht->table.b[i].touched_ms < dht->cfg.refresh_ms)
			continue;
		/* A random ID in bucket i: our first i bits, bit i flipped. */
		for (unsigned j = 0; j < DHT_KEY_LEN; j += 8) {
			uint64_t x = dht_rand(dht);

			memcpy(target + j, &x, 8);
		}
		for (unsigned bit = 0; bit <= i; bit++) {
			uint8_t mask = (uint8_t)(0x80u >> (bit % 8));
			uint8_t want = (uint8_t)(dht->self.id.b[bit / 8] & mask);

			if (bit == i)
				want ^= mask;
			target[bit / 8] = (uint8_t)((target[bit / 8] & ~mask) | want);
		}
		if (dht_lookup_start(dht, DHT_LOOKUP_REFRESH, target, NULL, 0, NULL, now_ms, &id) ==
		    0)
			dht->n_refresh++;
	}
}

void dht_tick(struct dht *dht, uint64_t now_ms)
{
	rpc_tick(dht, now_ms);
	dht_lookup_tick(dht, now_ms);
	if (now_ms >= dht->next_sweep_ms) {
		dht->next_sweep_ms = now_ms + DHT_SWEEP_MS;
		dht_store_expire(dht, dht_wall_s(dht), now_ms);
		dht_own_expire(dht, dht_wall_s(dht));
	}
	dht_own_tick(dht, now_ms);
	refresh_tick(dht, now_ms);
	dht_lookup_reap(dht, now_ms);
}

uint64_t dht_next_deadline_ms(const struct dht *dht)
{
	uint64_t next = dht_lookup_deadline(dht), own = dht_own_deadline(dht);

	for (unsigned i = 0; i < dht->n_rpc; i++) {
		if (dht->rpc[i].deadline_ms < next)
			next = dht->rpc[i].deadline_ms;
	}
	if (own < next)
		next = own;
	/* Sweeps and refreshes only when there is something to do. */
	if ((dht->store.n > 0 || dht->n_own > 0) && dht->next_sweep_ms < next)
		next = dht->next_sweep_ms;
	if (dht->cfg.refresh_ms && dht->table.n_b > 0 && dht->next_refresh_ms < next)
		next = dht->next_refresh_ms;
	return next;
}

/* ---- lookups started by the caller ------------------------------------------ */

int dht_find_node(struct dht *dht, const uint8_t target[DHT_KEY_LEN], uint64_t now_ms,
		  uint32_t *out_id)
{
	return dht_lookup_start(dht, DHT_LOOKUP_FIND_NODE, target, NULL, 0, NULL, now_ms, out_id);
}

int dht_find_value(struct dht *dht, const uint8_t key[DHT_KEY_LEN], uint64_t now_ms,
		   uint32_t *out_id)
{
	return dht_lookup_start(dht, DHT_LOOKUP_FIND_VALUE, key, NULL, 0, NULL, now_ms, out_id);
}

int dht_bootstrap(struct dht *dht, const struct dht_contact *seeds, size_t n_seeds, uint64_t now_ms,
		  uint32_t *out_id)
{
	return dht_lookup_start(dht, DHT_LOOKUP_BOOTSTRAP, dht->self.id.b, seeds, n_seeds, NULL,
				now_ms, out_id);
}

size_t dht_closest(const struct dht *dht, const uint8_t target[DHT_KEY_LEN],
		   struct dht_contact *out, size_t max)
{
	return dht_table_closest(&dht->table, target, NULL, out, max);
}

void dht_get_stats(const struct dht *dht, struct dht_stats *out)
{
	*out = dht->stats;
	out->contacts = dht->table.n_contacts;
	out->values = dht->store.n;
	out->own_values = dht->n_own;
	out->lookups_active = dht->n_lookups;
	out->rpcs_pending = dht->n_rpc;
}
