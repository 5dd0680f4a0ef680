/* tests/unit/transport_test.h - the fixture the transport tests share
 * (test_transport.c, test_transport_stream.c, test_transport_roam.c): the
 * `impls` table of transport implementations under test, each with its
 * garbage sender and drop counter; two sides, a and b, each a transport
 * with fresh Ed25519 keys on one event loop, whose callbacks record what
 * they saw and, when a case asks, refuse, close, echo a stream or hold back
 * tp_stream_consumed(); and the helpers that drive the loop. Include after
 * cmocka.h. A case takes its fixture from fixture_of(), which skips when
 * the implementation is not built in; run_each_impl() runs a file's cases
 * once for each row of `impls`.
 */
#ifndef VX6_TESTS_UNIT_TRANSPORT_TEST_H
#define VX6_TESTS_UNIT_TRANSPORT_TEST_H

#include <errno.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <netinet/in.h>
#include <sys/socket.h>

#include <event2/event.h>
#include <sodium.h>

#include "lib/clock.h"
#include "lib/secure.h"
#include "transport/noise.h"
#include "transport/quic.h"
#include "transport/tcp.h"
#include "transport/transport.h"
#include "transport/udp.h"

#define STREAM_BYTES  (4u * 1024 * 1024)
#define WRITE_CHUNK   (64u * 1024)
#define DGRAM_COUNT   40
#define TICK_US	      2000 /* the loop wakes at least this often; consumers run here */
#define WAIT_MS	      3000
#define GARBAGE_COUNT 24

/* One transport implementation under test. */
struct tp_impl {
	const char *name;
	int (*create)(struct event_base *base, const struct tp_identity *id,
		      const struct sockaddr_in6 *listen, const struct tp_callbacks *cb,
		      struct transport **out_t);
	/* Packets/frames the transport dropped before any connection saw them. */
	uint64_t (*drops)(const struct transport *t);
	/* Send `n` garbage messages to the listener at `to` (NULL: skip). */
	void (*garbage)(const struct sockaddr_in6 *to, unsigned n);
	/* A connection survives the dialer's source address changing (UDP
	 * transports with connection IDs; TCP reconnects instead). */
	bool roams;
	/* Carries streams (the datagram-only UDP transport does not: its
	 * stream calls return -EPROTONOSUPPORT, and the stream cases skip). */
	bool streams;
	/* Set the cipher side a (the usual dialer) offers; NULL: the default,
	 * noise_cipher_default(). Side b keeps the default and follows. */
	int (*set_cipher)(struct transport *t, unsigned cipher);
	unsigned cipher;
};

static inline uint64_t quic_drops(const struct transport *t)
{
	struct quic_transport_stats s;

	quic_transport_get_stats(t, &s);
	return s.rx_dropped;
}

/* UDP junk of the shapes a QUIC endpoint must survive: too short to parse,
 * long headers of unknown versions, short headers for unknown CIDs. */
static inline void udp_garbage(const struct sockaddr_in6 *to, unsigned n)
{
	int fd = socket(AF_INET6, SOCK_DGRAM, 0);
	uint8_t buf[1300];

	assert_true(fd >= 0);
	for (unsigned i = 0; i < n; i++) {
		size_t len = (size_t[]){1, 7, 40, 1200, 1300, 90}[i % 6];

		sec_random(buf, sizeof(buf));
		if (i % 3 == 1) {
			buf[0] |= 0xc0; /* long header ... */
			buf[1] = 0x0a;	/* ... with a reserved (unsupported) version */
		} else if (i % 3 == 2) {
			buf[0] = (uint8_t)((buf[0] & 0x3f) | 0x40); /* short header */
		}
		assert_int_equal(sendto(fd, buf, len, 0, (const struct sockaddr *)to, sizeof(*to)),
				 (ssize_t)len);
	}
	close(fd);
}

/* TCP: garbage arrives as connections that never complete a handshake;
 * past 4 pending ones per source, admission control refuses the rest. */
static inline uint64_t tcp_drops(const struct transport *t)
{
	return t->hs_failed + t->hs_refused_cap + t->hs_refused_rate;
}

static inline void tcp_garbage(const struct sockaddr_in6 *to, unsigned n)
{
	uint8_t buf[300];

	for (unsigned i = 0; i < n; i++) {
		int fd = socket(AF_INET6, SOCK_STREAM, 0);

		assert_true(fd >= 0);
		assert_int_equal(connect(fd, (const struct sockaddr *)to, sizeof(*to)), 0);
		sec_random(buf, sizeof(buf));
		buf[0] = 0; /* a short first message: refused as soon as it is read */
		assert_int_equal(write(fd, buf, sizeof(buf)), (ssize_t)sizeof(buf));
		close(fd);
	}
}

/* UDP: junk never reaches a session; datagrams that did not are counted. */
static inline uint64_t udp_drops(const struct transport *t)
{
	struct udp_transport_stats s;

	udp_transport_get_stats(t, &s);
	return s.rx_garbage;
}

static const struct tp_impl impls[] = {
    {"tcp", tp_tcp_new, tcp_drops, tcp_garbage, false, true, NULL, 0},
    {"tcp-chachapoly", tp_tcp_new, tcp_drops, tcp_garbage, false, true, tcp_transport_set_cipher,
     NOISE_CIPHER_CHACHAPOLY},
    {"quic", tp_quic_new, quic_drops, udp_garbage, true, true, NULL, 0},
    {"udp", tp_udp_new, udp_drops, udp_garbage, true, false, NULL, 0},
    {"udp-chachapoly", tp_udp_new, udp_drops, udp_garbage, true, false, udp_transport_set_cipher,
     NOISE_CIPHER_CHACHAPOLY},
};

/* --- fixture: two transports on one loop --------------------------------- */

struct fixture;

struct side {
	struct fixture *f;
	uint8_t pk[32], sk[64];
	struct tp_identity id;
	struct transport *t;
	struct sockaddr_in6 addr;
	struct tp_conn *conn;
	unsigned established, closed, resets;
	enum tp_close_reason why;
	uint8_t remote_pk[32];
	void *conn_ctx;
	unsigned depth;		   /* callbacks of ours on the stack */
	unsigned reentrant_closed; /* `closed` while another callback ran */
	/* behaviour switches */
	int refuse;	     /* `established` returns this */
	bool close_on_dgram; /* tp_close() inside `datagram` */
	bool echo_stream;    /* write back a stream the peer opened */
	bool hold_consumed;  /* consume only from the tick */
	bool window_filled;  /* ... and only once the window filled up */
	uint64_t hold_since_ms;
	/* datagrams received */
	unsigned dgrams;
	bool dgram_seen[DGRAM_COUNT];
	bool dgram_bad;
	/* stream receive */
	crypto_hash_sha256_state rx_hash;
	uint64_t rx_bytes, rx_unconsumed, rx_unconsumed_max, rx_sid;
	bool rx_fin;
	/* stream send */
	crypto_hash_sha256_state tx_hash;
	uint64_t tx_sid, tx_off;
	bool tx_active;
};

struct fixture {
	const struct tp_impl *impl;
	struct event_base *base;
	struct event *tick;
	bool unsupported;
	struct side a, b;
};

static inline uint8_t pattern(uint64_t off, uint8_t seed)
{
	return (uint8_t)(((off * 2654435761u) >> 11) ^ seed);
}

static inline void tx_pump(struct side *s)
{
	static uint8_t buf[WRITE_CHUNK];
	uint8_t seed = s == &s->f->a ? 0x5a : 0xa5;

	while (s->tx_active && s->tx_off < STREAM_BYTES) {
		size_t n =
		    STREAM_BYTES - s->tx_off < WRITE_CHUNK ? STREAM_BYTES - s->tx_off : WRITE_CHUNK;
		ssize_t r;

		for (size_t i = 0; i < n; i++)
			buf[i] = pattern(s->tx_off + i, seed);
		r = tp_stream_write(s->conn, s->tx_sid, buf, n, s->tx_off + n == STREAM_BYTES);
		assert_true(r >= 0 && (size_t)r <= n);
		crypto_hash_sha256_update(&s->tx_hash, buf, (size_t)r);
		s->tx_off += (uint64_t)r;
		if ((size_t)r < n)
			return; /* wait for stream_writable */
	}
}

static inline void start_tx(struct side *s, uint64_t sid)
{
	s->tx_sid = sid;
	s->tx_active = true;
	crypto_hash_sha256_init(&s->tx_hash);
	tx_pump(s);
}

/* A held-back consumer first lets the whole stream window fill (or 300 ms
 * pass, so a transport that never fills it cannot hang the test), which
 * makes "the sender really was stopped" a fact rather than a race. */
static inline void consume(struct side *s)
{
	if (s->hold_consumed && !s->window_filled) {
		if (!s->hold_since_ms)
			s->hold_since_ms = clock_mono_ms();
		if (s->rx_unconsumed < TP_STREAM_WINDOW && clock_mono_ms() - s->hold_since_ms < 300)
			return;
		s->window_filled = true;
	}
	if (s->conn && s->rx_unconsumed) {
		tp_stream_consumed(s->conn, s->rx_sid, (size_t)s->rx_unconsumed);
		s->rx_unconsumed = 0;
	}
}

static inline int on_established(void *ctx, struct tp_conn *c, const uint8_t remote_pk[32],
				 void *conn_ctx)
{
	struct side *s = ctx;

	s->depth++;
	s->established++;
	s->conn = c;
	memcpy(s->remote_pk, remote_pk, 32);
	s->conn_ctx = conn_ctx;
	s->depth--;
	return s->refuse;
}

static inline void on_datagram(void *ctx, struct tp_conn *c, const uint8_t *buf, size_t len)
{
	struct side *s = ctx;
	unsigned idx;

	s->depth++;
	s->dgrams++;
	if (len >= 4) {
		idx = (unsigned)buf[0] << 8 | buf[1];
		if (idx < DGRAM_COUNT && ((size_t)buf[2] << 8 | buf[3]) == len) {
			for (size_t i = 4; i < len; i++)
				if (buf[i] != pattern(i, (uint8_t)idx))
					s->dgram_bad = true;
			if (s->dgram_seen[idx])
				s->dgram_bad = true;
			s->dgram_seen[idx] = true;
		}
	}
	if (s->close_on_dgram)
		tp_close(c, TP_CLOSE_LOCAL);
	s->depth--;
}

static inline void on_stream_data(void *ctx, struct tp_conn *c, uint64_t sid, const uint8_t *buf,
				  size_t len, bool fin)
{
	struct side *s = ctx;

	s->depth++;
	if (!s->rx_bytes && !s->rx_fin) {
		crypto_hash_sha256_init(&s->rx_hash);
		s->rx_sid = sid;
		/* Echo by writing from inside the callback, before reading
		 * `buf`: it must stay valid until the callback returns. */
		if (s->echo_stream && !s->tx_active) {
			s->conn = c;
			start_tx(s, sid);
		}
	}
	assert_int_equal(sid, s->rx_sid);
	crypto_hash_sha256_update(&s->rx_hash, buf, len);
	s->rx_bytes += len;
	s->rx_unconsumed += len;
	if (s->rx_unconsumed > s->rx_unconsumed_max)
		s->rx_unconsumed_max = s->rx_unconsumed;
	s->rx_fin |= fin;
	if (!s->hold_consumed)
		consume(s);
	s->depth--;
}

static inline void on_stream_reset(void *ctx, struct tp_conn *c, uint64_t sid, uint32_t code)
{
	(void)c;
	(void)sid;
	(void)code;
	((struct side *)ctx)->resets++;
}

static inline void on_stream_writable(void *ctx, struct tp_conn *c, uint64_t sid)
{
	struct side *s = ctx;

	(void)c;
	s->depth++;
	if (s->tx_active && sid == s->tx_sid)
		tx_pump(s);
	s->depth--;
}

static inline void on_closed(void *ctx, struct tp_conn *c, enum tp_close_reason why)
{
	struct side *s = ctx;

	if (s->depth || s->f->a.depth || s->f->b.depth)
		s->reentrant_closed++;
	s->closed++;
	s->why = why;
	if (s->conn == c)
		s->conn = NULL;
}

static inline void on_tick(evutil_socket_t fd, short what, void *arg)
{
	struct fixture *f = arg;

	(void)fd;
	(void)what;
	consume(&f->a); /* the held-back consumer: once per tick */
	consume(&f->b);
}

/* Start s's transport with its current key, listening on `at`. */
static inline int side_init_at(struct fixture *f, struct side *s, const struct sockaddr_in6 *at)
{
	struct tp_callbacks cb = {
	    .ctx = s,
	    .established = on_established,
	    .datagram = on_datagram,
	    .stream_data = on_stream_data,
	    .stream_reset = on_stream_reset,
	    .stream_writable = on_stream_writable,
	    .closed = on_closed,
	};
	int r;

	s->f = f;
	s->id.ed25519_pk = s->pk;
	s->id.ed25519_sk = s->sk;
	r = f->impl->create(f->base, &s->id, at, &cb, &s->t);
	if (r < 0)
		return r;
	if (f->impl->set_cipher && s == &f->a)
		assert_int_equal(f->impl->set_cipher(s->t, f->impl->cipher), 0);
	assert_int_equal(tp_local_addr(s->t, &s->addr), 0);
	assert_int_not_equal(s->addr.sin6_port, 0);
	return 0;
}

static inline int side_init(struct fixture *f, struct side *s)
{
	struct sockaddr_in6 lo = {.sin6_family = AF_INET6, .sin6_addr = IN6ADDR_LOOPBACK_INIT};
	uint8_t seed[32];

	sec_random(seed, sizeof(seed));
	sec_ed25519_from_seed(s->pk, s->sk, seed);
	return side_init_at(f, s, &lo);
}

static inline int setup(void **state)
{
	struct fixture *f = calloc(1, sizeof(*f));
	struct timeval tv = {0, TICK_US};
	int r;

	assert_non_null(f);
	assert_int_equal(sec_init(), 0);
	f->impl = *state;
	f->base = event_base_new();
	assert_non_null(f->base);
	f->tick = event_new(f->base, -1, EV_PERSIST, on_tick, f);
	assert_non_null(f->tick);
	assert_int_equal(event_add(f->tick, &tv), 0);
	r = side_init(f, &f->a);
	if (r == -EPROTONOSUPPORT)
		f->unsupported = true; /* not built in: the cases skip */
	else
		assert_int_equal(r, 0);
	if (!f->unsupported)
		assert_int_equal(side_init(f, &f->b), 0);
	*state = f;
	return 0;
}

static inline int teardown(void **state)
{
	struct fixture *f = *state;

	tp_free(f->a.t); /* closes without callbacks */
	tp_free(f->b.t);
	event_free(f->tick);
	event_base_free(f->base);
	sodium_memzero(f, sizeof(*f));
	free(f);
	return 0;
}

static inline struct fixture *fixture_of(void **state)
{
	struct fixture *f = *state;

	if (f->unsupported)
		skip();
	return f;
}

#include "loop_test.h"

static inline bool both_up(const struct fixture *f)
{
	return f->a.established && f->b.established;
}

static inline bool a_closed(const struct fixture *f)
{
	return f->a.closed > 0;
}

static inline bool both_closed(const struct fixture *f)
{
	return f->a.closed && f->b.closed;
}

/* a dials b with b's key and both come up. */
static inline void connect_pair(struct fixture *f)
{
	struct tp_conn *c = NULL;

	assert_int_equal(tp_dial(f->a.t, &f->b.addr, f->b.pk, &f->a, &c), 0);
	assert_non_null(c);
	assert_true(run_until(f, both_up));
	assert_ptr_equal(f->a.conn, c);
}

static inline void send_dgram(struct side *s, unsigned idx, size_t len)
{
	uint8_t buf[TP_DATAGRAM_MAX];

	buf[0] = (uint8_t)(idx >> 8);
	buf[1] = (uint8_t)idx;
	buf[2] = (uint8_t)(len >> 8);
	buf[3] = (uint8_t)len;
	for (size_t i = 4; i < len; i++)
		buf[i] = pattern(i, (uint8_t)idx);
	assert_int_equal(tp_datagram_send(s->conn, buf, len), 0);
}

static inline bool b_got_dgram(const struct fixture *f)
{
	return f->b.dgrams > 0;
}

/* Run `tests` (each with setup and teardown) once for each row of `impls`,
 * as one cmocka group named after the row; return how many failed. */
static inline int run_each_impl(struct CMUnitTest *tests, size_t n)
{
	int failed = 0;

	for (size_t i = 0; i < sizeof(impls) / sizeof(impls[0]); i++) {
		for (size_t j = 0; j < n; j++)
			tests[j].initial_state = (void *)&impls[i];
		failed += _cmocka_run_group_tests(impls[i].name, tests, n, NULL, NULL);
	}
	return failed;
}

#endif /* VX6_TESTS_UNIT_TRANSPORT_TEST_H */
