/* discovery/dht_limit.c - per-source and global token buckets for the
 * requests a peer can make us work for: queries (PING, FIND_NODE,
 * FIND_VALUE) and STOREs.
 *
 * The per-source state lives in a fixed, 4-way set-associative table
 * (cfg.rate_sources slots, allocated on first use), so its memory is capped
 * however many identities a peer brings: a newcomer takes the least
 * recently used slot of its set. An attacker who evicts its own slot to
 * start with a full bucket again needs a fresh identity and link for it,
 * and still meets the global buckets, which cap the total work.
 * A rate of 0 turns that limit off (tests and the simulator).
 */
#include "discovery/dht_internal.h"

#include <stdlib.h>
#include <string.h>

#include "lib/wire.h"

#define WAYS 4
#define ONE  1000u /* a token, in thousandths */

static void tb_refill(struct dht_tb *tb, uint32_t rate, uint32_t burst, uint64_t now_ms)
{
	uint64_t cap = (uint64_t)burst * ONE;

	if (now_ms > tb->last_ms) {
		uint64_t dt = now_ms - tb->last_ms;

		/* rate tokens per second = rate thousandths per ms; saturate
		 * before the product can overflow. */
		if (rate == 0 || dt >= cap / rate + 1)
			tb->milli = cap;
		else if (tb->milli + dt * rate > cap)
			tb->milli = cap;
		else
			tb->milli += dt * rate;
	}
	tb->last_ms = now_ms;
}

static void tb_fill(struct dht_tb *tb, uint32_t burst, uint64_t now_ms)
{
	tb->milli = (uint64_t)burst * ONE;
	tb->last_ms = now_ms;
}

/* Node IDs are hashes: their first 8 bytes spread evenly. 0 marks a free
 * slot, so no tag is 0. */
static uint64_t tag_of(const struct node_id *id)
{
	uint64_t t = wire_load_u64(id->b);

	return t ? t : 1;
}

static unsigned sets_for(unsigned sources)
{
	unsigned n = 1;

	while (n * WAYS < sources && n < (1u << 20))
		n <<= 1;
	return n;
}

static struct dht_rate_slot *slot_for(struct dht *dht, const struct node_id *src, uint64_t now_ms)
{
	struct dht_limit *l = &dht->limit;
	uint64_t tag = tag_of(src);
	struct dht_rate_slot *set, *victim;

	if (!l->slots) {
		l->n_sets = sets_for(dht->cfg.rate_sources);
		l->slots = calloc((size_t)l->n_sets * WAYS, sizeof(*l->slots));
		if (!l->slots)
			return NULL; /* the global buckets still hold */
	}
	set = &l->slots[(tag & (l->n_sets - 1)) * WAYS];
	victim = &set[0];
	for (unsigned i = 0; i < WAYS; i++) {
		if (set[i].tag == tag) {
			set[i].used_ms = now_ms;
			return &set[i];
		}
		if (set[i].used_ms < victim->used_ms || set[i].tag == 0)
			victim = &set[i];
	}
	victim->tag = tag;
	victim->used_ms = now_ms;
	tb_fill(&victim->q, dht->cfg.query_burst, now_ms);
	tb_fill(&victim->s, dht->cfg.store_burst, now_ms);
	return victim;
}

bool dht_limit_allow(struct dht *dht, const struct node_id *src, bool store, uint64_t now_ms)
{
	const struct dht_config *cfg = &dht->cfg;
	uint32_t rate = store ? cfg->store_rate : cfg->query_rate;
	uint32_t burst = store ? cfg->store_burst : cfg->query_burst;
	uint32_t grate = store ? cfg->global_store_rate : cfg->global_query_rate;
	uint32_t gburst = store ? cfg->global_store_burst : cfg->global_query_burst;
	struct dht_tb *g = store ? &dht->limit.gs : &dht->limit.gq;
	struct dht_rate_slot *slot = NULL;
	struct dht_tb *tb = NULL;

	if (grate) {
		tb_refill(g, grate, gburst, now_ms);
		if (g->milli < ONE)
			return false;
	}
	if (rate) {
		slot = slot_for(dht, src, now_ms);
		if (slot) {
			tb = store ? &slot->s : &slot->q;
			tb_refill(tb, rate, burst, now_ms);
			if (tb->milli < ONE)
				return false;
			tb->milli -= ONE;
		}
	}
	if (grate)
		g->milli -= ONE;
	return true;
}

void dht_limit_clear(struct dht_limit *l)
{
	free(l->slots);
	memset(l, 0, sizeof(*l));
}
