/* tests/unit/test_udp.c - the UDP transport (transport/udp*.c, docs/wire.md
 * §3.9) beyond the generic contract of tests/unit/test_transport.c: batched
 * sends with and without GSO arriving whole and in order, replayed, forged
 * and retyped DATA, unknown indices (RESET), replayed INITs, INIT
 * retransmission and the handshake deadline, roaming, and rekeying by time
 * and by volume with no datagram lost across the switch.
 *
 * Topology: a and b are two transports on one event loop over loopback.
 * Most cases put a tiny relay between them (a dials the relay's front
 * socket, which forwards to b from one of two back sockets), so the test
 * can watch, drop, replay, corrupt, and move a's apparent source port:
 *
 *     a ---- [front | relay | back0/back1] ---- b
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
#include <sys/uio.h>

#include <cmocka.h>
#include <event2/event.h>
#include <sodium.h>

#include "lib/clock.h"
#include "lib/secure.h"
#include "lib/wire.h"
#include "transport/transport.h"
#include "transport/udp.h"
#include "transport/udp_wire.h"

#include "udp_relay_test.h"

#define WAIT_MS 3000
#define SEQ_MAX 4096 /* datagrams tracked per side */
#define BATCH_N 64

struct side {
	uint8_t pk[32], sk[64];
	struct tp_identity id;
	struct transport *t;
	struct sockaddr_in6 addr;
	struct tp_conn *conn;
	unsigned established, closed, batches;
	enum tp_close_reason why;
	/* datagrams received: seq (u32) || len (u16) || pattern */
	unsigned dgrams, bad, out_of_order;
	int64_t last_seq;
	bool seen[SEQ_MAX];
};

/* What the relay does to and sees of a -> b packets (relay_inspect). */
struct relay_watch {
	/* behaviour */
	unsigned drop_inits;		/* INITs a -> b to swallow */
	bool corrupt_next, retype_next; /* the next DATA a -> b */
	/* observations */
	unsigned inits;
	uint8_t init[UDP_INIT_LEN]; /* the last INIT a -> b */
	uint8_t data[2048];	    /* the last DATA a -> b */
	size_t data_len;
};

struct fixture {
	struct event_base *base;
	struct event *tick; /* wakes the loop: run_until() never blocks for long */
	struct side a, b;
	struct udp_relay r;
	struct relay_watch w;
	bool relay_on;
};

static uint8_t pattern(size_t i, uint32_t seq)
{
	return (uint8_t)(i * 31 + seq * 7);
}

/* --- callbacks ----------------------------------------------------------- */

static int on_established(void *ctx, struct tp_conn *c, const uint8_t pk[32], void *conn_ctx)
{
	struct side *s = ctx;

	(void)pk;
	(void)conn_ctx;
	s->established++;
	s->conn = c;
	return 0;
}

static void on_datagram(void *ctx, struct tp_conn *c, const uint8_t *buf, size_t len)
{
	struct side *s = ctx;
	uint32_t seq;

	(void)c;
	s->dgrams++;
	if (len < 6 || wire_load_u16(buf + 4) != len) {
		s->bad++;
		return;
	}
	seq = wire_load_u32(buf);
	for (size_t i = 6; i < len; i++)
		if (buf[i] != pattern(i, seq))
			s->bad++;
	if (seq >= SEQ_MAX || s->seen[seq]) {
		s->bad++;
		return;
	}
	s->seen[seq] = true;
	if ((int64_t)seq < s->last_seq)
		s->out_of_order++;
	s->last_seq = seq;
}

static void on_batch_end(void *ctx)
{
	((struct side *)ctx)->batches++;
}

static void on_closed(void *ctx, struct tp_conn *c, enum tp_close_reason why)
{
	struct side *s = ctx;

	s->closed++;
	s->why = why;
	if (s->conn == c)
		s->conn = NULL;
}

/* --- relay --------------------------------------------------------------- */

static void relay_inspect(void *ctx, uint8_t *buf, size_t len, bool *drop)
{
	struct relay_watch *r = ctx;

	if (len == UDP_INIT_LEN && buf[0] == UDP_MSG_INIT) {
		r->inits++;
		memcpy(r->init, buf, len);
		if (r->drop_inits) {
			r->drop_inits--;
			*drop = true;
		}
	} else if (len > UDP_DATA_MIN_LEN && buf[0] == UDP_MSG_DATA && len <= sizeof(r->data)) {
		memcpy(r->data, buf, len);
		r->data_len = len;
		if (r->corrupt_next)
			buf[len - 20] ^= 0x01; /* a ciphertext byte */
		if (r->retype_next)
			buf[0] = UDP_MSG_CLOSE;
		r->corrupt_next = r->retype_next = false;
	}
}

static void relay_start(struct fixture *f)
{
	f->r.inspect = relay_inspect;
	f->r.ctx = &f->w;
	udp_relay_start(&f->r, f->base, &f->b.addr);
	f->relay_on = true;
}

/* Send `buf` to b from the relay's current back socket, as if from a. */
static void relay_inject(struct fixture *f, const uint8_t *buf, size_t len)
{
	assert_int_equal(sendto(f->r.back[f->r.cur], buf, len, 0,
				(const struct sockaddr *)&f->r.server, sizeof(f->r.server)),
			 (ssize_t)len);
}

/* --- fixture ------------------------------------------------------------- */

static void side_init(struct fixture *f, struct side *s, bool listen)
{
	struct sockaddr_in6 lo = {.sin6_family = AF_INET6, .sin6_addr = IN6ADDR_LOOPBACK_INIT};
	struct tp_callbacks cb = {.ctx = s,
				  .established = on_established,
				  .datagram = on_datagram,
				  .datagram_batch_end = on_batch_end,
				  .closed = on_closed};
	uint8_t seed[32];

	sec_random(seed, sizeof(seed));
	sec_ed25519_from_seed(s->pk, s->sk, seed);
	s->id.ed25519_pk = s->pk;
	s->id.ed25519_sk = s->sk;
	s->last_seq = -1;
	assert_int_equal(tp_udp_new(f->base, &s->id, listen ? &lo : NULL, &cb, &s->t), 0);
	if (listen)
		assert_int_equal(tp_local_addr(s->t, &s->addr), 0);
}

static void on_tick(evutil_socket_t fd, short what, void *arg)
{
	(void)fd;
	(void)what;
	(void)arg;
}

static int setup(void **state)
{
	struct fixture *f = calloc(1, sizeof(*f));
	struct timeval tick = {0, 5000};

	assert_non_null(f);
	assert_int_equal(sec_init(), 0);
	f->base = event_base_new();
	assert_non_null(f->base);
	f->tick = event_new(f->base, -1, EV_PERSIST, on_tick, f);
	assert_non_null(f->tick);
	assert_int_equal(event_add(f->tick, &tick), 0);
	side_init(f, &f->a, false);
	side_init(f, &f->b, true);
	*state = f;
	return 0;
}

static int teardown(void **state)
{
	struct fixture *f = *state;

	tp_free(f->a.t);
	tp_free(f->b.t);
	if (f->relay_on)
		udp_relay_stop(&f->r);
	event_free(f->tick);
	event_base_free(f->base);
	sodium_memzero(f, sizeof(*f));
	free(f);
	return 0;
}

#include "loop_test.h"

static bool both_up(const struct fixture *f)
{
	return f->a.conn && f->b.conn;
}

/* a dials b, through the relay if it runs. */
static void connect_pair(struct fixture *f)
{
	struct tp_conn *c;

	assert_int_equal(
	    tp_dial(f->a.t, f->relay_on ? &f->r.front_addr : &f->b.addr, f->b.pk, NULL, &c), 0);
	assert_true(run_until(f, both_up));
}

static size_t make_dgram(uint8_t *buf, uint32_t seq, size_t len)
{
	wire_store_u32(buf, seq);
	wire_store_u16(buf + 4, (uint16_t)len);
	for (size_t i = 6; i < len; i++)
		buf[i] = pattern(i, seq);
	return len;
}

static void send_dgram(struct side *s, uint32_t seq, size_t len)
{
	uint8_t buf[TP_DATAGRAM_MAX];

	make_dgram(buf, seq, len);
	assert_int_equal(tp_datagram_send(s->conn, buf, len), 0);
}

static struct tp_conn_stats conn_stats(const struct side *s)
{
	struct tp_conn_stats st;

	tp_get_stats(s->conn, &st);
	return st;
}

static struct udp_transport_stats tp_stats(const struct side *s)
{
	struct udp_transport_stats st;

	udp_transport_get_stats(s->t, &st);
	return st;
}

/* --- cases --------------------------------------------------------------- */

static bool b_got_batch(const struct fixture *f)
{
	return f->b.dgrams >= BATCH_N;
}

/* 64 datagrams in one call: 63 full ones and a short last one. With GSO
 * they leave as two super-datagrams (45 + 19 segments, the payload limit)
 * in one sendmmsg(); without, as 64 messages of that one call. */
static void batch_case(struct fixture *f, bool gso)
{
	static uint8_t bufs[BATCH_N][TP_DATAGRAM_MAX];
	struct udp_transport_stats a0, a1, b1;
	struct iovec iov[BATCH_N];
	size_t sent;

	udp_transport_set_gso(f->a.t, gso);
	connect_pair(f);
	a0 = tp_stats(&f->a);
	for (unsigned i = 0; i < BATCH_N; i++)
		iov[i] =
		    (struct iovec){bufs[i], make_dgram(bufs[i], i, i == BATCH_N - 1 ? 700 : 1400)};
	assert_int_equal(tp_datagram_send_batch(f->a.conn, iov, BATCH_N, &sent), 0);
	assert_int_equal(sent, BATCH_N);
	assert_true(run_until(f, b_got_batch));
	assert_int_equal(f->b.dgrams, BATCH_N);
	assert_int_equal(f->b.bad + f->b.out_of_order, 0);
	a1 = tp_stats(&f->a);
	b1 = tp_stats(&f->b);
	assert_int_equal(a1.tx_packets - a0.tx_packets, BATCH_N);
	assert_int_equal(a1.tx_calls - a0.tx_calls, 1);
	assert_int_equal(conn_stats(&f->a).tx_datagrams, BATCH_N);
	if (gso && a1.gso) {
		assert_int_equal(a1.tx_gso - a0.tx_gso, 2);
		if (b1.gro) /* loopback keeps the super-datagrams whole */
			assert_true(b1.rx_gro >= BATCH_N);
	} else {
		assert_false(a1.gso);
		assert_int_equal(a1.tx_gso, 0);
	}
	assert_int_equal(b1.rx_garbage, 0);
}

static void test_batch_gso(void **state)
{
	batch_case(*state, true);
}

static void test_batch_no_gso(void **state)
{
	batch_case(*state, false);
}

static bool b_got_10(const struct fixture *f)
{
	return f->b.dgrams >= 10;
}

/* Sizes that start, extend and seal GSO runs, one datagram at a time
 * (the queue batches them until the loop turn ends). */
static void test_mixed_sizes(void **state)
{
	static const size_t sizes[10] = {1400, 1400, 100, 1400, 1400, 1400, 600, 600, 1400, 6};
	struct fixture *f = *state;

	connect_pair(f);
	for (unsigned i = 0; i < 10; i++)
		send_dgram(&f->a, i, sizes[i]);
	assert_true(run_until(f, b_got_10));
	assert_int_equal(f->b.bad + f->b.out_of_order, 0);
	assert_int_equal(f->b.dgrams, 10);
}

static bool b_got_1(const struct fixture *f)
{
	return f->b.dgrams >= 1;
}

static bool b_got_2(const struct fixture *f)
{
	return f->b.dgrams >= 2;
}

/* A captured DATA sent again is dropped and counted; coming from another
 * address it does not move the endpoint either. */
static void test_replay(void **state)
{
	struct fixture *f = *state;
	struct sockaddr_in6 peer;
	uint64_t dropped;

	relay_start(f);
	connect_pair(f);
	send_dgram(&f->a, 1, 500);
	assert_true(run_until(f, b_got_1));
	assert_true(f->w.data_len > 0);
	dropped = conn_stats(&f->b).rx_dropped;
	relay_inject(f, f->w.data, f->w.data_len);
	f->r.cur = 1;
	relay_inject(f, f->w.data, f->w.data_len);
	run_for(f, 20);
	assert_int_equal(f->b.dgrams, 1);
	assert_int_equal(conn_stats(&f->b).rx_dropped, dropped + 2);
	tp_get_peer(f->b.conn, &peer);
	assert_int_equal(peer.sin6_port, f->r.back_addr[0].sin6_port);
	assert_int_equal(f->b.bad, 0);
}

/* A flipped ciphertext bit, and DATA relabelled as CLOSE (the header is
 * authenticated), are dropped and counted; the link lives on. */
static void test_bad_mac(void **state)
{
	struct fixture *f = *state;
	uint64_t dropped;

	relay_start(f);
	connect_pair(f);
	dropped = conn_stats(&f->b).rx_dropped;
	f->w.corrupt_next = true;
	send_dgram(&f->a, 1, 500);
	run_for(f, 20);
	assert_int_equal(f->b.dgrams, 0);
	assert_int_equal(conn_stats(&f->b).rx_dropped, dropped + 1);
	f->w.retype_next = true;
	assert_int_equal(tp_datagram_send(f->a.conn, (const uint8_t *)"x", 1), 0);
	run_for(f, 20);
	assert_int_equal(conn_stats(&f->b).rx_dropped, dropped + 2);
	assert_int_equal(f->b.closed, 0);
	/* A forged counter far ahead must not slide the window (which would
	 * make every genuine counter "too old"). */
	wire_store_u64(f->w.data + 8, wire_load_u64(f->w.data + 8) + 100000);
	relay_inject(f, f->w.data, f->w.data_len);
	run_for(f, 20);
	assert_int_equal(conn_stats(&f->b).rx_dropped, dropped + 3);
	send_dgram(&f->a, 2, 500);
	assert_true(run_until(f, b_got_1));
	assert_true(f->b.seen[2]);
	assert_int_equal(f->a.closed + f->b.closed, 0);
}

/* DATA for an index nobody gave out: counted as garbage and answered with
 * a RESET naming that index (a restarted node's way to say "gone"). */
static void test_unknown_index(void **state)
{
	struct fixture *f = *state;
	uint8_t ct[32] = {0}, pkt[64], reply[64];
	struct udp_msg m = {.type = UDP_MSG_DATA,
			    .receiver = 0x12345678,
			    .counter = 7,
			    .body = ct,
			    .body_len = sizeof(ct)};
	struct udp_transport_stats b0, b1;
	struct sockaddr_in6 me;
	struct udp_msg got;
	size_t len;
	int fd;

	connect_pair(f);
	fd = udp_socket(&me);
	assert_int_equal(udp_msg_encode(&m, pkt, sizeof(pkt), &len), 0);
	b0 = tp_stats(&f->b);
	assert_int_equal(
	    sendto(fd, pkt, len, 0, (const struct sockaddr *)&f->b.addr, sizeof(f->b.addr)),
	    (ssize_t)len);
	run_for(f, 20);
	b1 = tp_stats(&f->b);
	assert_int_equal(b1.rx_garbage - b0.rx_garbage, 1);
	assert_int_equal(b1.resets_sent - b0.resets_sent, 1);
	assert_int_equal(recv(fd, reply, sizeof(reply), MSG_DONTWAIT), UDP_RESET_LEN);
	assert_int_equal(udp_msg_decode(&got, reply, UDP_RESET_LEN), 0);
	assert_int_equal(got.type, UDP_MSG_RESET);
	assert_int_equal(got.receiver, m.receiver);
	close(fd);
	assert_int_equal(f->a.closed + f->b.closed, 0);
}

/* An INIT replayed after the handshake: it decrypts (IK message 1 needs
 * no state), but its timestamp is old: no answer, no new connection. */
static void test_init_replay(void **state)
{
	struct fixture *f = *state;
	struct udp_transport_stats a0, b0;

	relay_start(f);
	connect_pair(f);
	assert_int_equal(f->w.inits, 1);
	a0 = tp_stats(&f->a);
	b0 = tp_stats(&f->b);
	relay_inject(f, f->w.init, sizeof(f->w.init));
	run_for(f, 20);
	assert_int_equal(tp_stats(&f->b).rx_garbage - b0.rx_garbage, 1);
	assert_int_equal(tp_stats(&f->a).rx_packets, a0.rx_packets); /* no RESP */
	assert_int_equal(f->b.established, 1);
	assert_int_equal(f->b.t->hs_failed, 0);
}

/* The first INIT is lost: a sends a fresh one and the handshake completes. */
static void test_retransmit(void **state)
{
	struct fixture *f = *state;

	udp_transport_set_handshake(f->a.t, 50, 2000);
	relay_start(f);
	f->w.drop_inits = 1;
	connect_pair(f);
	assert_int_equal(f->w.inits, 2);
	assert_int_equal(f->a.established + f->b.established, 2);
}

static bool a_closed(const struct fixture *f)
{
	return f->a.closed > 0;
}

/* Nobody answers: fresh INITs (new ephemeral keys) until the deadline,
 * then TP_CLOSE_TIMEOUT. */
static void test_handshake_timeout(void **state)
{
	struct fixture *f = *state;
	uint8_t inits[16][UDP_INIT_LEN];
	struct sockaddr_in6 silent;
	struct tp_conn *c;
	unsigned n = 0;
	int fd = udp_socket(&silent);

	udp_transport_set_handshake(f->a.t, 30, 250);
	assert_int_equal(tp_dial(f->a.t, &silent, f->b.pk, NULL, &c), 0);
	assert_true(run_until(f, a_closed));
	assert_int_equal(f->a.why, TP_CLOSE_TIMEOUT);
	assert_int_equal(f->a.established, 0);
	assert_true(f->a.t->hs_failed >= 1);
	while (n < 16 && recv(fd, inits[n], UDP_INIT_LEN, MSG_DONTWAIT) == UDP_INIT_LEN)
		n++;
	assert_true(n >= 4);
	for (unsigned i = 1; i < n; i++) /* same sender index, a new "e" each time */
		assert_memory_not_equal(inits[i] + UDP_INIT_HDR_LEN,
					inits[i - 1] + UDP_INIT_HDR_LEN, 32);
	close(fd);
}

static bool a_got_1(const struct fixture *f)
{
	return f->a.dgrams >= 1;
}

static bool a_got_2(const struct fixture *f)
{
	return f->a.dgrams >= 2;
}

/* a's apparent source moves (a NAT rebinding) and back: each authenticated
 * DATA moves b's endpoint, and b's answers follow it. */
static void test_roaming(void **state)
{
	struct fixture *f = *state;
	struct sockaddr_in6 peer;

	relay_start(f);
	connect_pair(f);
	f->r.cur = 1;
	send_dgram(&f->a, 0, 300);
	assert_true(run_until(f, b_got_1));
	tp_get_peer(f->b.conn, &peer);
	assert_int_equal(peer.sin6_port, f->r.back_addr[1].sin6_port);
	send_dgram(&f->b, 1, 300);
	assert_true(run_until(f, a_got_1));
	f->r.cur = 0;
	send_dgram(&f->a, 2, 300);
	assert_true(run_until(f, b_got_2));
	tp_get_peer(f->b.conn, &peer);
	assert_int_equal(peer.sin6_port, f->r.back_addr[0].sin6_port);
	send_dgram(&f->b, 3, 300);
	assert_true(run_until(f, a_got_2));
	assert_int_equal(f->a.bad + f->b.bad + f->a.closed + f->b.closed, 0);
}

static unsigned rekey_n;

static bool all_in(const struct fixture *f)
{
	return f->a.dgrams >= rekey_n && f->b.dgrams >= rekey_n;
}

/* Traffic both ways across many key changes: not one datagram lost. */
static void rekey_case(struct fixture *f, uint64_t after_ms, uint64_t after_msgs, unsigned n)
{
	rekey_n = n;
	udp_transport_set_rekey(f->a.t, after_ms, after_msgs);
	udp_transport_set_rekey(f->b.t, after_ms, after_msgs);
	connect_pair(f);
	for (unsigned i = 0; i < n; i++) {
		send_dgram(&f->a, i, 200 + i % 1000);
		send_dgram(&f->b, i, 1200 - i % 1000);
		if (i % 8 == 7)
			run_for(f, 2);
	}
	assert_true(run_until(f, all_in));
	assert_int_equal(f->a.dgrams, n);
	assert_int_equal(f->b.dgrams, n);
	assert_int_equal(f->a.bad + f->b.bad, 0);
	assert_true(conn_stats(&f->a).rekeys >= 4);
	assert_true(conn_stats(&f->b).rekeys >= 4);
	assert_int_equal(conn_stats(&f->a).rx_dropped + conn_stats(&f->b).rx_dropped, 0);
	assert_int_equal(f->a.closed + f->b.closed, 0);
}

static void test_rekey_time(void **state)
{
	rekey_case(*state, 10, UINT64_MAX, 800);
}

/* Both sides reach the volume limit together: crossing handshakes. */
static void test_rekey_messages(void **state)
{
	rekey_case(*state, UINT64_MAX / 2, 50, 800);
}

/* Datagram-only: no streams; the datagram size limits. */
static void test_limits(void **state)
{
	struct fixture *f = *state;
	uint8_t big[TP_DATAGRAM_MAX + 1] = {0};
	uint64_t sid;

	connect_pair(f);
	assert_int_equal(tp_stream_open(f->a.conn, &sid), -EPROTONOSUPPORT);
	assert_int_equal(tp_stream_write(f->a.conn, 0, big, 1, false), -EPROTONOSUPPORT);
	assert_int_equal(tp_stream_reset(f->a.conn, 0, 1), -EPROTONOSUPPORT);
	assert_int_equal(tp_datagram_send(f->a.conn, big, 0), -EINVAL);
	assert_int_equal(tp_datagram_send(f->a.conn, big, sizeof(big)), -EMSGSIZE);
	assert_int_equal(tp_datagram_send(f->a.conn, big, TP_DATAGRAM_MAX), 0);
}

/* The initiator's cipher is what both sides use: the responder follows the
 * INIT whatever it would offer itself; traffic works both ways, and a
 * rekey keeps the cipher. */
static void cipher_case(struct fixture *f, unsigned cipher)
{
	unsigned other = cipher == UDP_CIPHER_AESGCM ? UDP_CIPHER_CHACHAPOLY : UDP_CIPHER_AESGCM;

	assert_int_equal(udp_transport_set_cipher(f->a.t, 2), -EINVAL);
	assert_int_equal(udp_transport_set_cipher(NULL, cipher), -EINVAL);
	assert_int_equal(udp_transport_set_cipher(f->a.t, cipher), 0);
	assert_int_equal(udp_transport_set_cipher(f->b.t, other), 0);
	assert_int_equal(tp_stats(&f->a).cipher, cipher);
	rekey_case(f, 10, UINT64_MAX, 400);
	assert_true(tp_stats(&f->a).keys_made[cipher] >= 4);
	assert_true(tp_stats(&f->b).keys_made[cipher] >= 4);
	assert_int_equal(tp_stats(&f->a).keys_made[other] + tp_stats(&f->b).keys_made[other], 0);
}

static void test_cipher_chachapoly(void **state)
{
	cipher_case(*state, UDP_CIPHER_CHACHAPOLY);
}

static void test_cipher_aesgcm(void **state)
{
	cipher_case(*state, UDP_CIPHER_AESGCM);
}

/* The cipher byte: only an INIT may set it, to a known cipher; the
 * encoder refuses what the decoder refuses. */
static void test_wire_cipher(void **state)
{
	uint8_t body[UDP_IK_MSG1_LEN] = {0}, pkt[UDP_INIT_LEN], ct[UDP_TAG_LEN] = {0};
	struct udp_msg m = {.type = UDP_MSG_INIT,
			    .sender = 7,
			    .cipher = UDP_CIPHER_AESGCM,
			    .body = body,
			    .body_len = sizeof(body)};
	struct udp_msg got;
	size_t len;

	(void)state;
	assert_int_equal(udp_msg_encode(&m, pkt, sizeof(pkt), &len), 0);
	assert_int_equal(pkt[1], UDP_CIPHER_AESGCM);
	assert_int_equal(udp_msg_decode(&got, pkt, len), 0);
	assert_int_equal(got.cipher, UDP_CIPHER_AESGCM);
	pkt[1] = 2; /* unknown */
	assert_int_equal(udp_msg_decode(&got, pkt, len), -EBADMSG);
	pkt[1] = 0, pkt[2] = 1; /* still reserved */
	assert_int_equal(udp_msg_decode(&got, pkt, len), -EBADMSG);
	m.cipher = 2;
	assert_int_equal(udp_msg_encode(&m, pkt, sizeof(pkt), &len), -EINVAL);
	m = (struct udp_msg){
	    .type = UDP_MSG_DATA, .receiver = 9, .cipher = 1, .body = ct, .body_len = sizeof(ct)};
	assert_int_equal(udp_msg_encode(&m, pkt, sizeof(pkt), &len), -EINVAL);
	m.cipher = 0;
	assert_int_equal(udp_msg_encode(&m, pkt, sizeof(pkt), &len), 0);
	pkt[1] = 1; /* a DATA has no cipher byte */
	assert_int_equal(udp_msg_decode(&got, pkt, len), -EBADMSG);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test_setup_teardown(test_cipher_chachapoly, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_cipher_aesgcm, setup, teardown),
	    cmocka_unit_test(test_wire_cipher),
	    cmocka_unit_test_setup_teardown(test_batch_gso, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_batch_no_gso, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_mixed_sizes, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_replay, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_bad_mac, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_unknown_index, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_init_replay, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_retransmit, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_handshake_timeout, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_roaming, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_rekey_time, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_rekey_messages, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_limits, setup, teardown),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
