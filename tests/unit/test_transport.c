/* tests/unit/test_transport.c - every transport implementation against the
 * contract in transport/transport.h, over loopback, with fresh Ed25519 keys:
 * connections and datagrams. Mutual authentication (right key, wrong key),
 * datagrams both ways with their size limits and drop accounting, closing
 * and refusing from inside callbacks (`closed` must come later, never
 * re-entrantly), garbage sent to the listening port (dropped, counted, the
 * live connection unharmed), a dial-only transport, freeing a transport
 * with a live connection, and handshake admission per source.
 *
 * The cases are written once against the interface and run for each row
 * of `impls` (transport_test.h); adding a transport is adding a row.
 * Streams are tested in test_transport_stream.c, roaming and peer restart
 * in test_transport_roam.c.
 */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <netinet/in.h>
#include <sys/socket.h>

#include <cmocka.h>

#include "transport_test.h"

/* --- cases -------------------------------------------------------------- */

static void test_handshake(void **state)
{
	struct fixture *f = fixture_of(state);
	struct tp_conn_stats st[2];
	struct sockaddr_in6 peer;

	connect_pair(f);
	/* Both ends name the cipher: the dialer's choice for Noise links,
	 * TLS's for QUIC. */
	tp_get_stats(f->a.conn, &st[0]);
	tp_get_stats(f->b.conn, &st[1]);
	assert_non_null(st[0].cipher);
	assert_non_null(st[1].cipher);
	assert_string_equal(st[0].cipher, st[1].cipher);
	if (strcmp(f->impl->name, "quic") != 0)
		assert_string_equal(st[0].cipher, noise_cipher_suite_name(
						      f->impl->set_cipher
							  ? (enum noise_cipher_suite)f->impl->cipher
							  : noise_cipher_default()));
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

/* TCP message 1 naming a cipher that does not exist: refused before any
 * Noise work, counted as a failed handshake, the connection closed. */
static void test_tcp_bad_cipher(void **state)
{
	struct fixture *f = fixture_of(state);
	struct timeval tv = {1, 0}; /* never hang on a socket b keeps open */
	uint8_t msg[2 + 139];
	uint64_t before;
	char c;
	int fd;

	if (strncmp(f->impl->name, "tcp", 3) != 0)
		skip();
	before = f->impl->drops(f->b.t);
	sec_random(msg, sizeof(msg));
	msg[0] = 0, msg[1] = 139; /* len u16, then cipher u8 = 2 */
	msg[2] = 2;
	fd = socket(AF_INET6, SOCK_STREAM, 0);
	assert_true(fd >= 0);
	assert_int_equal(setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof(tv)), 0);
	assert_int_equal(connect(fd, (const struct sockaddr *)&f->b.addr, sizeof(f->b.addr)), 0);
	assert_int_equal(write(fd, msg, sizeof(msg)), (ssize_t)sizeof(msg));
	run_for(f, 30);
	assert_int_equal(f->impl->drops(f->b.t) - before, 1);
	assert_int_equal(read(fd, &c, 1), 0); /* closed by b (a timeout would be -1) */
	close(fd);
	assert_int_equal(f->b.established, 0);
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

int main(void)
{
	struct CMUnitTest tests[] = {
	    cmocka_unit_test_setup_teardown(test_handshake, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_wrong_key, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_datagrams, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_datagram_overflow, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_close_in_callback, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_refuse, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_garbage, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_tcp_bad_cipher, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_dial_only, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_free_live, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_admission, setup, teardown),
	};

	return run_each_impl(tests, sizeof(tests) / sizeof(tests[0]));
}
