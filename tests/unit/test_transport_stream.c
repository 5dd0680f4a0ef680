/* tests/unit/test_transport_stream.c - every transport implementation that
 * carries streams against the stream contract in transport/transport.h,
 * over loopback: a ~4 MB stream each way checked by SHA-256 while the
 * receiver holds back tp_stream_consumed() (so flow control must stop the
 * sender: the receiver never holds more than one stream window),
 * TP_STREAMS_MAX per direction, writes after FIN and to unknown streams,
 * and a stream reset seen by the peer while the connection stays up.
 *
 * The cases run for each row of `impls` (transport_test.h) and skip on a
 * datagram-only transport. Connections and datagrams are tested in
 * test_transport.c.
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

/* For the cases that need streams. */
static struct fixture *stream_fixture_of(void **state)
{
	struct fixture *f = fixture_of(state);

	if (!f->impl->streams)
		skip();
	return f;
}

/* --- cases -------------------------------------------------------------- */

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

int main(void)
{
	struct CMUnitTest tests[] = {
	    cmocka_unit_test_setup_teardown(test_stream_backpressure, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_streams_max, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_stream_reset, setup, teardown),
	};

	return run_each_impl(tests, sizeof(tests) / sizeof(tests[0]));
}
