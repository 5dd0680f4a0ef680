/* transport/hs_limit.h - admission control for unauthenticated handshakes,
 * shared by every transport: a cap on handshakes in progress (in total and
 * per source address) and a per-source token bucket.
 *
 * The table is fixed-size (HS_LIMIT_SOURCES entries); when it is full the
 * least recently seen source is forgotten, so a flood from many addresses
 * cannot grow memory. A source is an IPv6 /64 (an attacker owning a /64 can
 * otherwise pick fresh addresses at will), or a full address for v4-mapped.
 */
#ifndef VX6_TRANSPORT_HS_LIMIT_H
#define VX6_TRANSPORT_HS_LIMIT_H

#include <stdbool.h>
#include <stdint.h>
#include <netinet/in.h>

#define HS_LIMIT_SOURCES    256
#define HS_LIMIT_RATE_PER_S 20 /* new handshakes per second per source */
#define HS_LIMIT_BURST	    40

struct hs_limit_src {
	uint8_t key[16]; /* the /64, zero-padded */
	uint64_t last_ms;
	uint32_t tokens_milli; /* tokens x 1000 */
	uint16_t pending;
	bool used;
};

struct hs_limit {
	unsigned pending_max;	 /* in progress, all sources */
	unsigned per_source_max; /* in progress, one source */
	unsigned rate_per_s;	 /* new handshakes per second per source */
	unsigned burst;		 /* ... allowed at once */
	unsigned pending;
	struct hs_limit_src src[HS_LIMIT_SOURCES];
};

enum hs_limit_verdict {
	HS_LIMIT_OK = 0,
	HS_LIMIT_RATE = 1, /* this source is over its rate */
	HS_LIMIT_CAP = 2,  /* too many handshakes in progress */
};

/* Start with the given caps and HS_LIMIT_RATE_PER_S / HS_LIMIT_BURST. */
void hs_limit_init(struct hs_limit *l, unsigned pending_max, unsigned per_source_max);

/* Ask to start a handshake from `from` at `now_ms`. On HS_LIMIT_OK the
 * caller owns one pending slot and must give it back with hs_limit_done()
 * exactly once, whatever the handshake's outcome. */
enum hs_limit_verdict hs_limit_admit(struct hs_limit *l, const struct in6_addr *from,
				     uint64_t now_ms);

void hs_limit_done(struct hs_limit *l, const struct in6_addr *from);

#endif /* VX6_TRANSPORT_HS_LIMIT_H */
