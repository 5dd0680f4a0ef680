/* transport/hs_limit.c - handshake admission control (see hs_limit.h). */
#include "transport/hs_limit.h"

#include <string.h>

static void src_key(const struct in6_addr *a, uint8_t key[16])
{
	memset(key, 0, 16);
	if (IN6_IS_ADDR_V4MAPPED(a))
		memcpy(key, a->s6_addr, 16);
	else
		memcpy(key, a->s6_addr, 8);
}

static struct hs_limit_src *src_find(struct hs_limit *l, const struct in6_addr *a, bool create,
				     uint64_t now_ms)
{
	struct hs_limit_src *victim = NULL;
	uint8_t key[16];

	src_key(a, key);
	for (unsigned i = 0; i < HS_LIMIT_SOURCES; i++) {
		struct hs_limit_src *s = &l->src[i];

		if (s->used && memcmp(s->key, key, 16) == 0)
			return s;
		/* Evict only sources with nothing in flight, oldest first. */
		if (!s->used || (s->pending == 0 &&
				 (!victim || (victim->used && s->last_ms < victim->last_ms))))
			if (!victim || victim->used)
				victim = s;
	}
	if (!create || !victim)
		return NULL;
	memset(victim, 0, sizeof(*victim));
	memcpy(victim->key, key, 16);
	victim->used = true;
	victim->last_ms = now_ms;
	victim->tokens_milli = l->burst * 1000u;
	return victim;
}

void hs_limit_init(struct hs_limit *l, unsigned pending_max, unsigned per_source_max)
{
	memset(l, 0, sizeof(*l));
	l->pending_max = pending_max;
	l->per_source_max = per_source_max;
	l->rate_per_s = HS_LIMIT_RATE_PER_S;
	l->burst = HS_LIMIT_BURST;
}

enum hs_limit_verdict hs_limit_admit(struct hs_limit *l, const struct in6_addr *from,
				     uint64_t now_ms)
{
	struct hs_limit_src *s;
	uint64_t refill;

	if (l->pending >= l->pending_max)
		return HS_LIMIT_CAP;
	s = src_find(l, from, true, now_ms);
	if (!s)
		return HS_LIMIT_CAP;			/* every slot has handshakes in flight */
	refill = (now_ms - s->last_ms) * l->rate_per_s; /* milli-tokens */
	s->tokens_milli = refill >= l->burst * 1000u - s->tokens_milli
			      ? l->burst * 1000u
			      : s->tokens_milli + (uint32_t)refill;
	s->last_ms = now_ms;
	if (s->tokens_milli < 1000)
		return HS_LIMIT_RATE;
	if (s->pending >= l->per_source_max)
		return HS_LIMIT_CAP;
	s->tokens_milli -= 1000;
	s->pending++;
	l->pending++;
	return HS_LIMIT_OK;
}

void hs_limit_done(struct hs_limit *l, const struct in6_addr *from)
{
	struct hs_limit_src *s = src_find(l, from, false, 0);

	if (s && s->pending > 0)
		s->pending--;
	if (l->pending > 0)
		l->pending--;
}
