/* tests/unit/test_rekey.c - key changes on established links, which the
 * generic transport test cannot force: TCP rekeys (docs/wire.md §3.7) and
 * QUIC key updates (RFC 9001 §6, docs/quic.md), tuned to be due every
 * 16 KiB. A 2 MiB stream must arrive intact while the keys change many
 * times, and the connection must stay up. */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>
#include <event2/event.h>
#include <sodium.h>

#include "lib/clock.h"
#include "lib/secure.h"
#include "transport/quic.h"
#include "transport/tcp.h"
#include "transport/transport.h"

#define TOTAL (2u << 20)

struct side {
	uint8_t pk[32], sk[64];
	struct tp_identity id;
	struct transport *t;
	struct tp_conn *c;
	uint64_t sid;
	size_t got, sent;
	bool fin, closed;
	crypto_hash_sha256_state sha;
};

static int on_est(void *ctx, struct tp_conn *c, const uint8_t pk[32], void *cc)
{
	(void)pk;
	(void)cc;
	((struct side *)ctx)->c = c;
	return 0;
}

static void on_data(void *ctx, struct tp_conn *c, uint64_t sid, const uint8_t *buf, size_t len,
		    bool fin)
{
	struct side *s = ctx;

	crypto_hash_sha256_update(&s->sha, buf, len);
	s->got += len;
	s->fin |= fin;
	tp_stream_consumed(c, sid, len);
}

static void on_closed(void *ctx, struct tp_conn *c, enum tp_close_reason why)
{
	(void)c;
	(void)why;
	((struct side *)ctx)->closed = true;
}

static void side_init(struct event_base *base, struct side *s, const struct sockaddr_in6 *lis,
		      bool quic)
{
	struct tp_callbacks cb = { .ctx = s, .established = on_est, .stream_data = on_data,
				   .closed = on_closed };
	uint8_t seed[32];

	sec_random(seed, sizeof(seed));
	sec_ed25519_from_seed(s->pk, s->sk, seed);
	s->id.ed25519_pk = s->pk;
	s->id.ed25519_sk = s->sk;
	crypto_hash_sha256_init(&s->sha);
	if (quic) {
		assert_int_equal(tp_quic_new(base, &s->id, lis, &cb, &s->t), 0);
		quic_transport_set_key_update(s->t, 16 * 1024, 60000);
	} else {
		assert_int_equal(tp_tcp_new(base, &s->id, lis, &cb, &s->t), 0);
		tcp_transport_set_rekey(s->t, 16 * 1024, 60000);
	}
}

static void rekey_under_load(bool quic, uint64_t min_rekeys, uint64_t min_peer_rekeys)
{
	struct event_base *base = event_base_new();
	struct sockaddr_in6 lo = { .sin6_family = AF_INET6, .sin6_addr = IN6ADDR_LOOPBACK_INIT };
	struct sockaddr_in6 at;
	struct side a = { 0 }, b = { 0 };
	uint8_t *data = malloc(TOTAL), want[32], got[32];
	struct tp_conn_stats sa, sb;
	uint64_t deadline;

	side_init(base, &b, &lo, quic);
	side_init(base, &a, NULL, quic);
	assert_int_equal(tp_local_addr(b.t, &at), 0);
	assert_int_equal(tp_dial(a.t, &at, b.pk, NULL, &a.c), 0);
	deadline = clock_mono_ms() + 3000;
	while ((!b.c || !a.c) && clock_mono_ms() < deadline)
		event_base_loop(base, EVLOOP_ONCE);
	assert_non_null(b.c);
	sec_random(data, TOTAL);
	crypto_hash_sha256(want, data, TOTAL);
	assert_int_equal(tp_stream_open(a.c, &a.sid), 0);
	deadline = clock_mono_ms() + 5000;
	while (!b.fin && clock_mono_ms() < deadline) {
		if (a.sent < TOTAL) {
			ssize_t n = tp_stream_write(a.c, a.sid, data + a.sent, TOTAL - a.sent, true);

			assert_true(n >= 0);
			a.sent += (size_t)n;
		}
		event_base_loop(base, EVLOOP_ONCE | EVLOOP_NONBLOCK);
	}
	assert_true(b.fin);
	assert_int_equal(b.got, TOTAL);
	crypto_hash_sha256_final(&b.sha, got);
	assert_memory_equal(got, want, 32);
	tp_get_stats(a.c, &sa);
	tp_get_stats(b.c, &sb);
	assert_true(sa.rekeys >= min_rekeys);
	assert_true(sb.rekeys >= min_peer_rekeys);
	assert_false(a.closed);
	assert_false(b.closed);
	free(data);
	tp_free(a.t);
	tp_free(b.t);
	event_base_free(base);
}

/* TCP rekeys between frames, and a stream frame carries up to 64 KiB: at
 * least one per frame of the 2 MiB. */
static void test_tcp(void **state)
{
	(void)state;
	rekey_under_load(false, 30, 30); /* TCP counts both directions' REKEY frames */
}

/* QUIC allows one key update in flight, and ngtcp2 spaces them by three
 * PTOs, so within this short transfer one is started. The receiver must
 * follow it (RFC 9001 §6.2) or the rest of the stream would not decrypt:
 * the digest check covers that. */
static void test_quic(void **state)
{
	(void)state;
#ifdef VX6_HAVE_QUIC
	rekey_under_load(true, 1, 0);
#else
	skip(); /* built with -DVX6_QUIC=OFF */
#endif
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_tcp),
		cmocka_unit_test(test_quic),
	};

	sec_init();
	return cmocka_run_group_tests(tests, NULL, NULL);
}
