/* discovery/dht_lookup.c - iterative lookups (FIND_NODE, FIND_VALUE,
 * PUBLISH, BOOTSTRAP, REFRESH), docs/discovery.md "Lookups".
 *
 * A lookup keeps a shortlist of candidates ordered by XOR distance to its
 * target, seeded from our table (and, for a bootstrap, from known peers).
 * It keeps up to alpha queries in flight to the closest candidates not yet
 * asked, merges the contacts each reply names, and converges when the k
 * closest candidates that did not fail have all answered, or nothing is
 * left to ask. A FIND_VALUE also stops once value_quorum holders answered
 * with values; it keeps the highest sequence per owner, after the same
 * checks a STORE passes. A PUBLISH then sends STORE to the k closest that
 * answered. Each query has its own timeout (the RPC's, in dht.c), each
 * lookup an overall deadline and a query budget.
 *
 * Lookups finish in this file; dht_lookup_reap() reports and frees them
 * afterwards, so no callback runs inside the code that changed the list.
 */
#include "discovery/dht_internal.h"

#include <assert.h>
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "identity/service_record.h"
#include "lib/log.h"

#define TO(s) (1u << (s))

/* The states each state may move to; anything else is a bug here. */
static const unsigned lookup_next[DHT_LOOKUP__STATE_COUNT] = {
    [DHT_LOOKUP_STARTED] = TO(DHT_LOOKUP_QUERIES_SENT) | TO(DHT_LOOKUP_FINISHED),
    [DHT_LOOKUP_QUERIES_SENT] = TO(DHT_LOOKUP_STORES_SENT) | TO(DHT_LOOKUP_FINISHED),
    [DHT_LOOKUP_STORES_SENT] = TO(DHT_LOOKUP_FINISHED),
    [DHT_LOOKUP_FINISHED] = 0,
};

static const char *const state_names[DHT_LOOKUP__STATE_COUNT] = {
    [DHT_LOOKUP_STARTED] = "started",
    [DHT_LOOKUP_QUERIES_SENT] = "queries-sent",
    [DHT_LOOKUP_STORES_SENT] = "stores-sent",
    [DHT_LOOKUP_FINISHED] = "finished",
};

const char *dht_lookup_state_name(uint8_t state)
{
	return state < DHT_LOOKUP__STATE_COUNT ? state_names[state] : "unknown";
}

/* The lookup's timers are its RPCs' deadlines: leaving a state leaves
 * them running, so late replies still prove their senders alive to the
 * table; lookup code ignores them once the state moved on. */
static void set_state(struct dht_lookup *lk, uint8_t to)
{
	assert(lookup_next[lk->state] & TO(to));
	log_debug(LD_DHT, "lookup %u (%s): %s -> %s", lk->id, dht_lookup_kind_name(lk->kind),
		  dht_lookup_state_name(lk->state), dht_lookup_state_name(to));
	lk->state = to;
}

static void finish(struct dht_lookup *lk, int status, uint64_t now_ms)
{
	set_state(lk, DHT_LOOKUP_FINISHED);
	lk->status = status;
	lk->deadline_ms = now_ms; /* due for the reaper */
}

struct dht_lookup *dht_lookup_find(struct dht *dht, uint32_t id)
{
	for (struct dht_lookup *lk = dht->lookups; lk; lk = lk->next) {
		if (lk->id == id)
			return lk;
	}
	return NULL;
}

static struct dht_cand *cand_find(struct dht_lookup *lk, const struct node_id *id)
{
	for (unsigned i = 0; i < lk->n_cand; i++) {
		if (dht_id_is_equal(&lk->cand[i].c.id, id))
			return &lk->cand[i];
	}
	return NULL;
}

/* Insert in distance order; the shortlist keeps the DHT_SHORTLIST_MAX
 * closest. A query to a candidate that falls off still completes: its
 * RPC, not the candidate, carries the in-flight count. */
static void cand_insert(struct dht *dht, struct dht_lookup *lk, const struct dht_contact *c,
			unsigned hop)
{
	unsigned at = lk->n_cand;

	if (dht_id_is_equal(&c->id, &dht->self.id) || cand_find(lk, &c->id))
		return;
	while (at > 0 && dht_distance_cmp(c->id.b, lk->cand[at - 1].c.id.b, lk->target) < 0)
		at--;
	if (at >= DHT_SHORTLIST_MAX)
		return;
	if (lk->n_cand == DHT_SHORTLIST_MAX)
		lk->n_cand--;
	memmove(&lk->cand[at + 1], &lk->cand[at], (lk->n_cand - at) * sizeof(lk->cand[0]));
	memset(&lk->cand[at], 0, sizeof(lk->cand[at]));
	lk->cand[at].c = *c;
	lk->cand[at].state = DHT_CAND_NEW;
	lk->cand[at].hop = (uint8_t)(hop < UINT8_MAX ? hop : UINT8_MAX);
	lk->n_cand++;
	if (!lk->hops_found && memcmp(c->id.b, lk->target, DHT_KEY_LEN) == 0 &&
	    lk->kind != DHT_LOOKUP_FIND_VALUE) {
		lk->hops = hop - 1; /* the reply that named the target */
		lk->hops_found = true;
	}
}

static void send_stores(struct dht *dht, struct dht_lookup *lk, uint64_t now_ms)
{
	struct dht_msg m;
	unsigned sent = 0;

	memset(&m, 0, sizeof(m));
	m.type = DHT_MSG_STORE;
	m.u.values.n = 1;
	m.u.values.v[0] = lk->pub;
	for (unsigned i = 0; i < lk->n_cand && sent < dht->cfg.k; i++) {
		if (lk->cand[i].state != DHT_CAND_ANSWERED)
			continue;
		sent++;
		lk->queries++;
		if (dht_rpc_send(dht, &lk->cand[i].c, &m, DHT_RPC_STORE, lk->id, now_ms) < 0) {
			lk->timeouts++;
			continue;
		}
		lk->stores_pending++;
		dht->stats.republished++;
	}
}

static int result_status(const struct dht_lookup *lk)
{
	switch (lk->kind) {
	case DHT_LOOKUP_FIND_VALUE:
		if (lk->n_found > 0)
			return 0;
		return lk->replies > 0 ? -ENOENT : -EHOSTUNREACH;
	case DHT_LOOKUP_PUBLISH:
		return lk->stored > 0 ? 0 : -EHOSTUNREACH;
	default:
		return lk->replies > 0 ? 0 : -EHOSTUNREACH;
	}
}

/* The shortlist converged: a PUBLISH goes on to store, others finish. */
static void converge(struct dht *dht, struct dht_lookup *lk, uint64_t now_ms)
{
	if (lk->kind == DHT_LOOKUP_PUBLISH && lk->state == DHT_LOOKUP_QUERIES_SENT) {
		set_state(lk, DHT_LOOKUP_STORES_SENT);
		send_stores(dht, lk, now_ms);
		if (lk->stores_pending > 0)
			return;
	}
	finish(lk, result_status(lk), now_ms);
}

static void send_query(struct dht *dht, struct dht_lookup *lk, struct dht_cand *cand,
		       struct dht_msg *m, uint64_t now_ms)
{
	cand->state = DHT_CAND_ASKED;
	cand->tries++;
	lk->queries++;
	if (dht_rpc_send(dht, &cand->c, m, DHT_RPC_QUERY, lk->id, now_ms) < 0) {
		cand->state = DHT_CAND_FAILED; /* no link and no way to dial */
		lk->timeouts++;
		return;
	}
	lk->inflight++;
}

/* Keep alpha queries in flight among the k closest candidates that have
 * not failed; converge when none of them is left to ask or to wait for. */
static void step(struct dht *dht, struct dht_lookup *lk, uint64_t now_ms)
{
	struct dht_msg m;
	unsigned live = 0;
	bool pending = false;

	if (lk->state == DHT_LOOKUP_FINISHED)
		return;
	if (lk->state == DHT_LOOKUP_STORES_SENT) {
		if (lk->stores_pending == 0)
			finish(lk, result_status(lk), now_ms);
		return;
	}
	if (lk->kind == DHT_LOOKUP_FIND_VALUE && lk->holders >= dht->cfg.value_quorum) {
		converge(dht, lk, now_ms);
		return;
	}
	memset(&m, 0, sizeof(m));
	m.type = lk->kind == DHT_LOOKUP_FIND_VALUE ? DHT_MSG_FIND_VALUE : DHT_MSG_FIND_NODE;
	memcpy(m.u.target, lk->target, DHT_KEY_LEN);
	for (unsigned i = 0; i < lk->n_cand && live < dht->cfg.k; i++) {
		struct dht_cand *cand = &lk->cand[i];

		if (cand->state == DHT_CAND_FAILED)
			continue;
		live++;
		if (cand->state == DHT_CAND_NEW && lk->inflight < dht->cfg.alpha &&
		    lk->queries < dht->cfg.lookup_queries_max) {
			if (lk->state == DHT_LOOKUP_STARTED)
				set_state(lk, DHT_LOOKUP_QUERIES_SENT);
			send_query(dht, lk, cand, &m, now_ms);
			if (cand->state == DHT_CAND_FAILED) {
				live--;
				continue;
			}
		}
		if (cand->state == DHT_CAND_NEW || cand->state == DHT_CAND_ASKED)
			pending = true;
	}
	/* Out of budget with nothing in flight counts as converged too. */
	if (!pending || lk->inflight == 0)
		converge(dht, lk, now_ms);
}

int dht_lookup_start(struct dht *dht, uint8_t kind, const uint8_t target[DHT_KEY_LEN],
		     const struct dht_contact *seeds, size_t n_seeds, const struct dht_value *pub,
		     uint64_t now_ms, uint32_t *out_id)
{
	struct dht_contact near[DHT_K_MAX];
	struct dht_lookup *lk;
	size_t n;

	if (dht->n_lookups >= dht->cfg.lookups_max) {
		dht->stats.lookups_refused++;
		return -EAGAIN;
	}
	lk = calloc(1, sizeof(*lk));
	if (!lk)
		return -ENOMEM;
	if (++dht->next_lookup_id == 0)
		dht->next_lookup_id = 1; /* 0 means "no lookup" in an RPC */
	lk->id = dht->next_lookup_id;
	lk->kind = kind;
	lk->state = DHT_LOOKUP_STARTED;
	memcpy(lk->target, target, DHT_KEY_LEN);
	lk->started_ms = now_ms;
	lk->deadline_ms = now_ms + dht->cfg.lookup_timeout_ms;
	if (pub)
		lk->pub = *pub;
	n = dht_table_closest(&dht->table, target, NULL, near, dht->cfg.k);
	for (size_t i = 0; i < n; i++)
		cand_insert(dht, lk, &near[i], 1);
	for (size_t i = 0; i < n_seeds; i++) {
		if (dht_contact_is_valid(&seeds[i]))
			cand_insert(dht, lk, &seeds[i], 1);
	}
	dht_table_touch(&dht->table, target, now_ms);
	lk->next = dht->lookups;
	dht->lookups = lk;
	dht->n_lookups++;
	dht->stats.lookups_started++;
	step(dht, lk, now_ms);
	*out_id = lk->id;
	return 0;
}

/* Keep the highest sequence per owner, at most values_per_key owners. */
static void found_merge(struct dht *dht, struct dht_lookup *lk, const struct dht_value_info *vi,
			const struct dht_value *v)
{
	for (unsigned i = 0; i < lk->n_found; i++) {
		if (!dht_id_is_equal(&lk->found[i].vi.owner, &vi->owner))
			continue;
		if (vi->seq > lk->found[i].vi.seq) {
			lk->found[i].vi = *vi;
			lk->found[i].v = *v;
		}
		return;
	}
	if (lk->n_found < dht->cfg.values_per_key) {
		lk->found[lk->n_found].vi = *vi;
		lk->found[lk->n_found].v = *v;
		lk->n_found++;
	}
}

/* A VALUE reply: every value must belong to the key we asked and pass
 * the admission checks; a holder counts once if any of its values did. */
static void take_values(struct dht *dht, struct dht_lookup *lk, const struct dht_msg *m,
			unsigned hop)
{
	uint64_t wall = dht_wall_s(dht);
	bool any = false;

	for (unsigned i = 0; i < m->u.values.n; i++) {
		const struct dht_value *v = &m->u.values.v[i];
		struct dht_value_info vi;
		enum dht_refuse why;

		if (dht_value_parse(v->b, v->len, &vi) < 0)
			continue; /* the decoder checked: cannot happen */
		if (memcmp(vi.key, lk->target, DHT_KEY_LEN) != 0) {
			dht_count_refusal(dht, DHT_REFUSE_KEY_MISMATCH);
			continue;
		}
		if (!dht_value_is_acceptable(dht, v->b, v->len, &vi, wall, &why)) {
			dht_count_refusal(dht, why);
			continue;
		}
		found_merge(dht, lk, &vi, v);
		any = true;
	}
	if (!any)
		return;
	lk->holders++;
	if (!lk->hops_found) {
		lk->hops = hop;
		lk->hops_found = true;
	}
}

void dht_lookup_on_reply(struct dht *dht, const struct dht_rpc *rpc, const struct dht_msg *m,
			 uint64_t now_ms)
{
	struct dht_lookup *lk = dht_lookup_find(dht, rpc->lookup_id);
	struct dht_cand *cand;
	unsigned hop;

	if (!lk || lk->state == DHT_LOOKUP_FINISHED)
		return;
	lk->replies++;
	if (rpc->kind == DHT_RPC_STORE) {
		lk->stores_pending--;
		if (m->u.status == DHT_STORE_OK || m->u.status == DHT_STORE_SAME)
			lk->stored++;
		step(dht, lk, now_ms);
		return;
	}
	lk->inflight--;
	cand = cand_find(lk, &rpc->to);
	hop = cand ? cand->hop : 1;
	if (cand)
		cand->state = DHT_CAND_ANSWERED;
	if (!lk->hops_found && hop > lk->hops)
		lk->hops = hop; /* the deepest answer, until the target shows */
	if (m->type == DHT_MSG_NODES) {
		for (unsigned i = 0; i < m->u.nodes.n; i++)
			cand_insert(dht, lk, &m->u.nodes.c[i], hop + 1);
	} else if (m->type == DHT_MSG_VALUE) {
		take_values(dht, lk, m, hop);
	}
	step(dht, lk, now_ms);
}

void dht_lookup_on_fail(struct dht *dht, const struct dht_rpc *rpc, uint64_t now_ms)
{
	struct dht_lookup *lk = dht_lookup_find(dht, rpc->lookup_id);
	struct dht_cand *cand;

	if (!lk || lk->state == DHT_LOOKUP_FINISHED)
		return;
	lk->timeouts++;
	if (rpc->kind == DHT_RPC_STORE) {
		lk->stores_pending--;
	} else {
		lk->inflight--;
		cand = cand_find(lk, &rpc->to);
		/* One lost message should not cost the lookup a close node: ask
		 * again, once. A departed node costs two timeouts. */
		if (cand && cand->state == DHT_CAND_ASKED)
			cand->state =
			    cand->tries < DHT_QUERY_TRIES ? DHT_CAND_NEW : DHT_CAND_FAILED;
	}
	step(dht, lk, now_ms);
}

void dht_lookup_tick(struct dht *dht, uint64_t now_ms)
{
	for (struct dht_lookup *lk = dht->lookups; lk; lk = lk->next) {
		if (lk->state == DHT_LOOKUP_FINISHED || now_ms < lk->deadline_ms)
			continue;
		/* Out of time: what was found still counts. */
		finish(lk, lk->kind == DHT_LOOKUP_FIND_VALUE && lk->n_found ? 0 : -ETIMEDOUT,
		       now_ms);
	}
}

uint64_t dht_lookup_deadline(const struct dht *dht)
{
	uint64_t next = UINT64_MAX;

	for (const struct dht_lookup *lk = dht->lookups; lk; lk = lk->next) {
		if (lk->deadline_ms < next)
			next = lk->deadline_ms;
	}
	return next;
}

static void report(struct dht *dht, struct dht_lookup *lk, uint64_t now_ms)
{
	struct dht_contact closest[DHT_K_MAX];
	struct dht_value values[DHT_VALUES_MAX];
	struct dht_lookup_result res = {0};

	res.id = lk->id;
	res.kind = lk->kind;
	res.status = lk->status;
	memcpy(res.target, lk->target, DHT_KEY_LEN);
	for (unsigned i = 0; i < lk->n_cand && res.n_closest < dht->cfg.k; i++) {
		if (lk->cand[i].state == DHT_CAND_ANSWERED)
			closest[res.n_closest++] = lk->cand[i].c;
	}
	for (unsigned i = 0; i < lk->n_found; i++)
		values[i] = lk->found[i].v;
	res.closest = closest;
	res.values = values;
	res.n_values = lk->n_found;
	res.hops = lk->hops;
	res.queries = lk->queries;
	res.replies = lk->replies;
	res.timeouts = lk->timeouts;
	res.stored = lk->stored;
	res.elapsed_ms = now_ms - lk->started_ms;
	if (lk->status == 0)
		dht->stats.lookups_ok++;
	else
		dht->stats.lookups_failed++;
	if (lk->kind == DHT_LOOKUP_REFRESH)
		dht->n_refresh--;
	if (dht->cb.lookup_done)
		dht->cb.lookup_done(dht->cb.ctx, &res);
}

void dht_lookup_reap(struct dht *dht, uint64_t now_ms)
{
	struct dht_lookup *done = NULL, **plk = &dht->lookups;

	/* Detach first: callbacks may start lookups, which join the list. */
	while (*plk) {
		struct dht_lookup *lk = *plk;

		if (lk->state != DHT_LOOKUP_FINISHED) {
			plk = &lk->next;
			continue;
		}
		*plk = lk->next;
		lk->next = done;
		done = lk;
		dht->n_lookups--;
	}
	while (done) {
		struct dht_lookup *lk = done;

		done = lk->next;
		report(dht, lk, now_ms);
		free(lk);
	}
}

void dht_lookup_free_all(struct dht *dht)
{
	while (dht->lookups) {
		struct dht_lookup *lk = dht->lookups;

		dht->lookups = lk->next;
		free(lk);
	}
	dht->n_lookups = 0;
	dht->n_refresh = 0;
}
