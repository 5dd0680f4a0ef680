/* tests/unit/test_transport.c - every transport implementation against the
 * contract in transport/transport.h, over loopback, with fresh Ed25519 keys:
 * mutual authentication (right key, wrong key), datagrams both ways with
 * their size limits and drop accounting, a ~4 MB stream each way checked
 * by SHA-256 while the receiver holds back tp_stream_consumed() (so flow
 * control must stop the sender: the receiver never holds more than one
 * stream window), TP_STREAMS_MAX, closing and refusing from inside
 * callbacks (`closed` must come later, never re-entrantly), and garbage
 * sent to the listening port (dropped, counted, the live connection
 * unharmed).
 *
 * The cases are written once against the interface and run for each row
 * of `impls`; adding a transport is adding a row.
 */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <netinet/in.h>
#include <sys/socket.h>

#include <cmocka.h>
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

static uint64_t quic_drops(const struct transport *t)
{
	struct quic_transport_stats s;

	quic_transport_get_stats(t, &s);
	return s.rx_dropped;
}

/* UDP junk of the shapes a QUIC endpoint must survive: too short to parse,
 * long headers of unknown versions, short headers for unknown CIDs. */
static void udp_garbage(const struct sockaddr_in6 *to, unsigned n)
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
static uint64_t tcp_drops(const struct transport *t)
{
	return t->hs_failed + t->hs_refused_cap + t->hs_refused_rate;
}

static void tcp_garbage(const struct sockaddr_in6 *to, unsigned n)
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
static uint64_t udp_drops(const struct transport *t)
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

static uint8_t pattern(uint64_t off, uint8_t seed)
{
	return (uint8_t)(((off * 2654435761u) >> 11) ^ seed);
}

static void tx_pump(struct side *s)
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

static void start_tx(struct side *s, uint64_t sid)
{
	s->tx_sid = sid;
	s->tx_active = true;
	crypto_hash_sha256_init(&s->tx_hash);
	tx_pump(s);
}

/* A held-back consumer first lets the whole stream window fill (or 300 ms
 * pass, so a transport that never fills it cannot hang the test), which
 * makes "the sender really was stopped" a fact rather than a race. */
static void consume(struct side *s)
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

static int on_established(void *ctx, struct tp_conn *c, const uint8_t remote_pk[32], void *conn_ctx)
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

static void on_datagram(void *ctx, struct tp_conn *c, const uint8_t *buf, size_t len)
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

static void on_stream_data(void *ctx, struct tp_conn *c, uint64_t sid, const uint8_t *buf,
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

static void on_stream_reset(void *ctx, struct tp_conn *c, uint64_t sid, uint32_t code)
{
	(void)c;
	(void)sid;
	(void)code;
	((struct side *)ctx)->resets++;
}

static void on_stream_writable(void *ctx, struct tp_conn *c, uint64_t sid)
{
	struct side *s = ctx;

	(void)c;
	s->depth++;
	if (s->tx_active && sid == s->tx_sid)
		tx_pump(s);
	s->depth--;
}

static void on_closed(void *ctx, struct tp_conn *c, enum tp_close_reason why)
{
	struct side *s = ctx;

	if (s->depth || s->f->a.depth || s->f->b.depth)
		s->reentrant_closed++;
	s->closed++;
	s->why = why;
	if (s->conn == c)
		s->conn = NULL;
}

static void on_tick(evutil_socket_t fd, short what, void *arg)
{
	struct fixture *f = arg;

	(void)fd;
	(void)what;
	consume(&f->a); /* the held-back consumer: once per tick */
	consume(&f->b);
}

static int side_init_at(struct fixture *f, struct side *s, const struct sockaddr_in6 *at);

static int side_init(struct fixture *f, struct side *s)
{
	struct sockaddr_in6 lo = {.sin6_family = AF_INET6, .sin6_addr = IN6ADDR_LOOPBACK_INIT};
	uint8_t seed[32];

	sec_random(seed, sizeof(seed));
	sec_ed25519_from_seed(s->pk, s->sk, seed);
	return side_init_at(f, s, &lo);
}

/* Start s's transport with its current key, listening on `at`. */
static int side_init_at(struct fixture *f, struct side *s, const struct sockaddr_in6 *at)
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

static int setup(void **state)
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

static int teardown(void **state)
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

static struct fixture *fixture_of(void **state)
{
	struct fixture *f = *state;

	if (f->unsupported)
		skip();
	return f;
}

/* For the cases that need streams. */
static struct fixture *stream_fixture_of(void **state)
{
	struct fixture *f = fixture_of(state);

	if (!f->impl->streams)
		skip();
	return f;
}

/* Run the loop until `done` or WAIT_MS; return whether `done` held. */
static bool run_until(struct fixture *f, bool (*done)(const struct fixture *))
{
	uint64_t deadline = clock_mono_ms() + WAIT_MS;

	while (!done(f)) {
		if (clock_mono_ms() > deadline)
			return false;
		event_base_loop(f->base, EVLOOP_ONCE);
	}
	return true;
}

static void run_for(struct fixture *f, unsigned ms)
{
	uint64_t until = clock_mono_ms() + ms;

	while (clock_mono_ms() < until)
		event_base_loop(f->base, EVLOOP_ONCE);
}

static bool both_up(const struct fixture *f)
{
	return f->a.established && f->b.established;
}

static bool a_closed(const struct fixture *f)
{
	return f->a.closed > 0;
}

static bool both_closed(const struct fixture *f)
{
	return f->a.closed && f->b.closed;
}

/* a dials b with b's key and both come up. */
static void connect_pair(struct fixture *f)
{
	struct tp_conn *c = NULL;

	assert_int_equal(tp_dial(f->a.t, &f->b.addr, f->b.pk, &f->a, &c), 0);
	assert_non_null(c);
	assert_true(run_until(f, both_up));
	assert_ptr_equal(f->a.conn, c);
}

/* --- cases -------------------------------------------------------------- */

static void test_handshake(void **state)
{
	struct fixture *f = fixture_of(state);
	struct sockaddr_in6 peer;

	connect_pair(f);
	/* Each side reports the key the other proved; conn_ctx round-trips. */
	assert_memory_equal(f->a.remote_pk, f->b.pk, 32);
	assert_memory_equal(f->b.remote_pk, f->a.pk, 32);
	assert_ptr_equal(f->a.conn_ctx, &f->a);
	assert_null(f->b.conn_ctx);
	assert_true(f->a.conn->initiator);
	assert_false(f->b.conn->initiator);
	tp_get_peer(f->a.conn, &peer);
	assert_int_equal(peer.sin6_port, f->b.addr.sin6_port);
	assert_memory_equal(&peer.sin6_addr, &in6addr_loopback, 16);
	tp_get_peer(f->b.conn, &peer); /* the dialer's source port may be its own */
	assert_memory_equal(&peer.sin6_addr, &in6addr_loopback, 16);
	assert_int_equal(f->a.t->hs_completed, 1);
	assert_int_equal(f->b.t->hs_completed, 1);
	/* A local close reaches both sides: ours later, the peer's as remote. */
	tp_close(f->a.conn, TP_CLOSE_LOCAL);
	assert_int_equal(f->a.closed, 0);
	assert_true(run_until(f, both_closed));
	assert_int_equal(f->a.why, TP_CLOSE_LOCAL);
	assert_int_equal(f->b.why, TP_CLOSE_REMOTE);
	assert_int_equal(f->a.reentrant_closed + f->b.reentrant_closed, 0);
}

static void test_wrong_key(void **state)
{
	struct fixture *f = fixture_of(state);
	uint8_t wrong[32], wrong_sk[64], seed[32];
	struct tp_conn *c = NULL;

	sec_random(seed, sizeof(seed)); /* a valid key, just not b's */
	sec_ed25519_from_seed(wrong, wrong_sk, seed);
	assert_int_equal(tp_dial(f->a.t, &f->b.addr, wrong, NULL, &c), 0);
	assert_true(run_until(f, a_closed));
	assert_int_equal(f->a.why, TP_CLOSE_AUTH);
	assert_int_equal(f->a.established, 0);
	assert_int_equal(f->a.closed, 1);
	assert_true(f->a.t->hs_failed >= 1);
	run_for(f, 20);
	assert_int_equal(f->b.established, 0); /* nothing reached b's layer above */
	assert_int_equal(f->b.closed, 0);
}

static void send_dgram(struct side *s, unsigned idx, size_t len)
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

static bool dgrams_done(const struct fixture *f)
{
	return f->a.dgrams >= DGRAM_COUNT && f->b.dgrams >= DGRAM_COUNT;
}

static void test_datagrams(void **state)
{
	struct fixture *f = fixture_of(state);
	static const size_t sizes[] = {4, 5, 100, 576, 1200, 1280, 1399, TP_DATAGRAM_MAX};
	uint8_t big[TP_DATAGRAM_MAX + 1] = {0};
	struct tp_conn_stats st;

	connect_pair(f);
	assert_int_equal(tp_datagram_send(f->a.conn, big, sizeof(big)), -EMSGSIZE);
	for (unsigned i = 0; i < DGRAM_COUNT; i++) {
		send_dgram(&f->a, i, sizes[i % 8]);
		send_dgram(&f->b, i, sizes[(i + 3) % 8]);
		run_for(f, 1); /* loopback does not lose them unless flooded */
	}
	assert_true(run_until(f, dgrams_done));
	for (unsigned i = 0; i < DGRAM_COUNT; i++) {
		assert_true(f->a.dgram_seen[i]);
		assert_true(f->b.dgram_seen[i]);
	}
	assert_false(f->a.dgram_bad || f->b.dgram_bad);
	assert_int_equal(f->a.dgrams, DGRAM_COUNT);
	tp_get_stats(f->a.conn, &st);
	assert_int_equal(st.tx_datagrams, DGRAM_COUNT);
	assert_int_equal(st.rx_datagrams, DGRAM_COUNT);
	assert_int_equal(st.tx_dropped, 0);
	assert_true(st.tx_bytes > 0 && st.rx_bytes > 0);
}

static void test_datagram_overflow(void **state)
{
	struct fixture *f = fixture_of(state);
	uint8_t buf[TP_DATAGRAM_MAX] = {0};
	struct tp_conn_stats st;
	uint64_t refused = 0;

	connect_pair(f);
	/* Without running the loop nothing can leave: the transport must
	 * drop (and count) rather than buffer without bound. */
	for (unsigned i = 0; i < 2 * TP_SEND_BUFFER_MAX / TP_DATAGRAM_MAX; i++) {
		int r = tp_datagram_send(f->a.conn, buf, sizeof(buf));

		assert_true(r == 0 || r == -ENOBUFS);
		refused += r == -ENOBUFS;
	}
	assert_true(refused > 0);
	tp_get_stats(f->a.conn, &st);
	assert_int_equal(st.tx_dropped, refused);
	run_for(f, 50);
	assert_non_null(f->a.conn); /* still up */
}

static bool streams_done(const struct fixture *f)
{
	return f->a.rx_fin && f->b.rx_fin && f->a.rx_bytes == STREAM_BYTES &&
	       f->b.rx_bytes == STREAM_BYTES;
}

static void test_stream_backpressure(void **state)
{
	struct fixture *f = stream_fixture_of(state);
	uint8_t h_tx[32], h_rx[32];
	uint64_t sid;

	f->a.hold_consumed = f->b.hold_consumed = true;
	f->b.echo_stream = true;
	connect_pair(f);
	assert_int_equal(tp_stream_open(f->a.conn, &sid), 0);
	f->a.rx_sid = sid;
	start_tx(&f->a, sid);
	assert_true(run_until(f, streams_done));
	/* Same bytes out and in, both ways. */
	crypto_hash_sha256_final(&f->a.tx_hash, h_tx);
	crypto_hash_sha256_final(&f->b.rx_hash, h_rx);
	assert_memory_equal(h_tx, h_rx, 32);
	crypto_hash_sha256_final(&f->b.tx_hash, h_tx);
	crypto_hash_sha256_final(&f->a.rx_hash, h_rx);
	assert_memory_equal(h_tx, h_rx, 32);
	/* Flow control held: never more than one stream window unconsumed,
	 * and the window did fill (the sender really was stopped). */
	assert_true(f->a.rx_unconsumed_max <= TP_STREAM_WINDOW);
	assert_true(f->b.rx_unconsumed_max <= TP_STREAM_WINDOW);
	assert_true(f->b.rx_unconsumed_max > TP_STREAM_WINDOW / 2);
}

static void test_streams_max(void **state)
{
	struct fixture *f = stream_fixture_of(state);
	uint64_t sid, first = 0;

	connect_pair(f);
	for (unsigned i = 0; i < TP_STREAMS_MAX; i++) {
		assert_int_equal(tp_stream_open(f->a.conn, &sid), 0);
		if (i == 0)
			first = sid;
		else
			assert_true(sid != first);
	}
	assert_int_equal(tp_stream_open(f->a.conn, &sid), -EAGAIN);
	assert_int_equal(tp_stream_write(f->a.conn, first, (const uint8_t *)"x", 1, true), 1);
	assert_int_equal(tp_stream_write(f->a.conn, first, (const uint8_t *)"x", 1, false), -EPIPE);
	assert_int_equal(tp_stream_write(f->a.conn, 1u << 30, (const uint8_t *)"x", 1, false),
			 -ENOENT);
	/* The other direction has its own budget. */
	assert_int_equal(tp_stream_open(f->b.conn, &sid), 0);
}

static bool b_got_dgram(const struct fixture *f)
{
	return f->b.dgrams > 0;
}

static void test_close_in_callback(void **state)
{
	struct fixture *f = fixture_of(state);

	f->b.close_on_dgram = true;
	connect_pair(f);
	send_dgram(&f->a, 0, 100);
	assert_true(run_until(f, both_closed));
	assert_int_equal(f->b.dgrams, 1);
	assert_int_equal(f->b.why, TP_CLOSE_LOCAL);
	assert_int_equal(f->a.why, TP_CLOSE_REMOTE);
	assert_int_equal(f->a.reentrant_closed + f->b.reentrant_closed, 0);
	assert_null(f->b.conn);
}

static void test_refuse(void **state)
{
	struct fixture *f = fixture_of(state);
	struct tp_conn *c;

	f->b.refuse = -EPERM;
	assert_int_equal(tp_dial(f->a.t, &f->b.addr, f->b.pk, NULL, &c), 0);
	assert_true(run_until(f, a_closed));
	assert_int_equal(f->b.established, 1);
	assert_int_equal(f->b.closed, 0); /* it refused and knows: no `closed` */
	assert_true(f->a.why == TP_CLOSE_REMOTE || f->a.why == TP_CLOSE_AUTH);
}

static void test_garbage(void **state)
{
	struct fixture *f = fixture_of(state);
	uint64_t before;

	if (!f->impl->garbage)
		skip();
	connect_pair(f);
	before = f->impl->drops(f->b.t);
	f->impl->garbage(&f->b.addr, GARBAGE_COUNT);
	run_for(f, 30);
	assert_int_equal(f->impl->drops(f->b.t) - before, GARBAGE_COUNT);
	assert_int_equal(f->b.closed, 0);
	send_dgram(&f->a, 7, 300);
	assert_true(run_until(f, b_got_dgram));
	assert_int_equal(f->b.dgrams, 1);
	assert_true(f->b.dgram_seen[7]);
	assert_int_equal(f->b.closed, 0);
}

static bool b_got_5(const struct fixture *f)
{
	return f->b.rx_bytes >= 5;
}

static bool b_got_reset(const struct fixture *f)
{
	return f->b.resets > 0;
}

static void test_stream_reset(void **state)
{
	struct fixture *f = stream_fixture_of(state);
	uint64_t sid;
	ssize_t r;

	connect_pair(f);
	assert_int_equal(tp_stream_open(f->a.conn, &sid), 0);
	assert_int_equal(tp_stream_write(f->a.conn, sid, (const uint8_t *)"hello", 5, false), 5);
	assert_true(run_until(f, b_got_5));
	assert_int_equal(tp_stream_reset(f->a.conn, sid, 7), 0);
	r = tp_stream_write(f->a.conn, sid, (const uint8_t *)"x", 1, false);
	assert_true(r == -EPIPE || r == -ENOENT);
	assert_true(run_until(f, b_got_reset));
	assert_int_equal(f->b.resets, 1);
	/* Gone on both sides: b can no longer write to it either. */
	assert_true(tp_stream_write(f->b.conn, sid, (const uint8_t *)"x", 1, false) < 0);
	/* The connection itself is fine. */
	send_dgram(&f->a, 1, 50);
	assert_true(run_until(f, b_got_dgram));
}

static bool c_up(const struct fixture *f)
{
	return f->a.established >= 1 && f->b.established >= 1;
}

static void test_dial_only(void **state)
{
	struct fixture *f = fixture_of(state);
	struct tp_callbacks cb = {.ctx = &f->a, .established = on_established, .closed = on_closed};
	struct transport *d = NULL;
	struct sockaddr_in6 addr;
	struct tp_conn *c;

	/* Replace a's transport by one that listens nowhere. */
	tp_free(f->a.t);
	f->a.t = NULL;
	assert_int_equal(f->impl->create(f->base, &f->a.id, NULL, &cb, &d), 0);
	f->a.t = d;
	assert_int_equal(tp_local_addr(d, &addr), -ENOTCONN);
	assert_int_equal(tp_dial(d, &f->b.addr, f->b.pk, NULL, &c), 0);
	assert_true(run_until(f, c_up));
	assert_memory_equal(f->b.remote_pk, f->a.pk, 32);
	assert_memory_equal(f->a.remote_pk, f->b.pk, 32);
}

static bool b_closed(const struct fixture *f)
{
	return f->b.closed > 0;
}

static void test_free_live(void **state)
{
	struct fixture *f = fixture_of(state);

	connect_pair(f);
	tp_free(f->a.t); /* no callbacks for a; b hears about it */
	f->a.t = NULL;
	assert_int_equal(f->a.closed, 0);
	assert_true(run_until(f, b_closed));
	assert_int_equal(f->b.why, TP_CLOSE_REMOTE);
}

static bool enough_up(const struct fixture *f)
{
	return f->b.established >= TP_PENDING_HS_PER_IP;
}

static void test_admission(void **state)
{
	struct fixture *f = fixture_of(state);
	struct tp_conn *c;

	/* More handshakes at once than one source may have pending: the
	 * extra ones are refused and counted, the others complete. */
	for (unsigned i = 0; i < TP_PENDING_HS_PER_IP + 2; i++)
		assert_int_equal(tp_dial(f->a.t, &f->b.addr, f->b.pk, NULL, &c), 0);
	assert_true(run_until(f, enough_up));
	assert_true(f->b.t->hs_refused_cap >= 1);
	assert_int_equal(f->b.t->hs_failed, 0);
}

/* --- roaming: a UDP "NAT" between a and b that changes a's source port --- */

struct nat {
	int front, back[2]; /* front faces a; back[cur] faces b */
	unsigned cur;
	struct sockaddr_in6 front_addr, client, server;
	bool have_client;
	bool blackhole; /* drop everything b sends towards a */
	struct event *ev[3];
};

static void nat_forward(evutil_socket_t fd, short what, void *arg)
{
	struct nat *n = arg;
	struct sockaddr_in6 from;
	socklen_t len = sizeof(from);
	uint8_t buf[2048];
	ssize_t r;

	(void)what;
	while ((r = recvfrom(fd, buf, sizeof(buf), MSG_DONTWAIT, (struct sockaddr *)&from, &len)) >
	       0) {
		if (fd == n->front) {
			n->client = from;
			n->have_client = true;
			(void)sendto(n->back[n->cur], buf, (size_t)r, 0,
				     (const struct sockaddr *)&n->server, sizeof(n->server));
		} else if (n->have_client && fd == n->back[n->cur] && !n->blackhole) {
			(void)sendto(n->front, buf, (size_t)r, 0,
				     (const struct sockaddr *)&n->client, sizeof(n->client));
		} /* else: the old binding is gone, as in a NAT */
		len = sizeof(from);
	}
}

static int udp_socket(struct sockaddr_in6 *out)
{
	struct sockaddr_in6 lo = {.sin6_family = AF_INET6, .sin6_addr = IN6ADDR_LOOPBACK_INIT};
	socklen_t len = sizeof(*out);
	int fd = socket(AF_INET6, SOCK_DGRAM, 0);

	assert_true(fd >= 0);
	assert_int_equal(bind(fd, (struct sockaddr *)&lo, sizeof(lo)), 0);
	assert_int_equal(getsockname(fd, (struct sockaddr *)out, &len), 0);
	return fd;
}

static void nat_start(struct fixture *f, struct nat *n, struct sockaddr_in6 back_addr[2])
{
	n->front = udp_socket(&n->front_addr);
	for (unsigned i = 0; i < 2; i++)
		n->back[i] = udp_socket(&back_addr[i]);
	n->ev[0] = event_new(f->base, n->front, EV_READ | EV_PERSIST, nat_forward, n);
	n->ev[1] = event_new(f->base, n->back[0], EV_READ | EV_PERSIST, nat_forward, n);
	n->ev[2] = event_new(f->base, n->back[1], EV_READ | EV_PERSIST, nat_forward, n);
	for (unsigned i = 0; i < 3; i++)
		assert_int_equal(event_add(n->ev[i], NULL), 0);
}

static void nat_stop(struct nat *n)
{
	for (unsigned i = 0; i < 3; i++)
		event_free(n->ev[i]);
	close(n->front);
	close(n->back[0]);
	close(n->back[1]);
}

static bool b_got_dgram1(const struct fixture *f)
{
	return f->b.dgram_seen[1];
}

static bool a_got_dgram2(const struct fixture *f)
{
	return f->a.dgram_seen[2];
}

static void test_roaming(void **state)
{
	struct fixture *f = fixture_of(state);
	struct sockaddr_in6 back_addr[2], peer;
	struct nat n = {.server = f->b.addr};
	struct tp_conn *c;

	if (!f->impl->roams)
		skip();
	nat_start(f, &n, back_addr);

	assert_int_equal(tp_dial(f->a.t, &n.front_addr, f->b.pk, NULL, &c), 0);
	assert_true(run_until(f, both_up));
	send_dgram(&f->a, 0, 200);
	assert_true(run_until(f, b_got_dgram));
	tp_get_peer(f->b.conn, &peer);
	assert_int_equal(peer.sin6_port, back_addr[0].sin6_port);

	n.cur = 1; /* the NAT rebinds: a's packets now leave from another port */
	send_dgram(&f->a, 1, 1000);
	assert_true(run_until(f, b_got_dgram1));
	tp_get_peer(f->b.conn, &peer);
	assert_int_equal(peer.sin6_port, back_addr[1].sin6_port);
	send_dgram(&f->b, 2, 1000); /* b answers on the new path */
	assert_true(run_until(f, a_got_dgram2));
	assert_int_equal(f->a.closed + f->b.closed, 0);
	nat_stop(&n);
}

static void test_peer_restart(void **state)
{
	struct fixture *f = fixture_of(state);
	struct sockaddr_in6 back_addr[2], b_at;
	struct nat n = {.server = f->b.addr};
	struct tp_conn *c;

	if (!f->impl->roams)
		skip();
	nat_start(f, &n, back_addr);
	assert_int_equal(tp_dial(f->a.t, &n.front_addr, f->b.pk, NULL, &c), 0);
	assert_true(run_until(f, both_up));
	/* b dies without a word reaching a, and comes back on the same port
	 * with the same key: it must tell a (stateless reset) rather than
	 * leave it to a 30 s idle timeout. */
	n.blackhole = true;
	b_at = f->b.addr;
	tp_free(f->b.t);
	f->b.t = NULL;
	run_for(f, 5);
	n.blackhole = false;
	assert_int_equal(side_init_at(f, &f->b, &b_at), 0);
	send_dgram(&f->a, 0, 200);
	assert_true(run_until(f, a_closed));
	assert_int_equal(f->a.why, TP_CLOSE_IO);
	assert_int_equal(f->b.established, 1); /* no new connection on b */
	nat_stop(&n);
}

int main(void)
{
	struct CMUnitTest tests[] = {
	    cmocka_unit_test_setup_teardown(test_handshake, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_wrong_key, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_datagrams, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_datagram_overflow, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_stream_backpressure, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_streams_max, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_close_in_callback, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_refuse, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_garbage, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_stream_reset, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_dial_only, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_free_live, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_admission, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_roaming, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_peer_restart, setup, teardown),
	};
	int failed = 0;

	for (size_t i = 0; i < sizeof(impls) / sizeof(impls[0]); i++) {
		for (size_t j = 0; j < sizeof(tests) / sizeof(tests[0]); j++)
			tests[j].initial_state = (void *)&impls[i];
		failed += _cmocka_run_group_tests(impls[i].name, tests,
						  sizeof(tests) / sizeof(tests[0]), NULL, NULL);
	}
	return failed;
}
