/* tests/unit/test_transport_roam.c - the transport implementations that
 * roam (UDP, with connection IDs) behind a UDP "NAT" on loopback that
 * rebinds the dialer's source port: the connection follows the new path
 * both ways, and a peer that restarts on the same port with the same key
 * ends the old connection at once (stateless reset) instead of leaving it
 * to the idle timeout.
 *
 * The cases run for each row of `impls` (transport_test.h) and skip on the
 * TCP transports, which reconnect instead. Connections and datagrams are
 * tested in test_transport.c.
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

#include "transport_test.h"
#include "udp_relay_test.h"

/* --- roaming: a UDP "NAT" between a and b that changes a's source port --- */

/* a dials b through a NAT (udp_relay_test.h), and both ends come up. */
static void dial_through_nat(struct fixture *f, struct udp_relay *n)
{
	struct tp_conn *c;

	udp_relay_start(n, f->base, &f->b.addr);
	assert_int_equal(tp_dial(f->a.t, &n->front_addr, f->b.pk, NULL, &c), 0);
	assert_true(run_until(f, both_up));
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
	struct udp_relay n = {0};
	struct sockaddr_in6 peer;

	if (!f->impl->roams)
		skip();
	dial_through_nat(f, &n);
	send_dgram(&f->a, 0, 200);
	assert_true(run_until(f, b_got_dgram));
	tp_get_peer(f->b.conn, &peer);
	assert_int_equal(peer.sin6_port, n.back_addr[0].sin6_port);

	n.cur = 1; /* the NAT rebinds: a's packets now leave from another port */
	send_dgram(&f->a, 1, 1000);
	assert_true(run_until(f, b_got_dgram1));
	tp_get_peer(f->b.conn, &peer);
	assert_int_equal(peer.sin6_port, n.back_addr[1].sin6_port);
	send_dgram(&f->b, 2, 1000); /* b answers on the new path */
	assert_true(run_until(f, a_got_dgram2));
	assert_int_equal(f->a.closed + f->b.closed, 0);
	udp_relay_stop(&n);
}

static void test_peer_restart(void **state)
{
	struct fixture *f = fixture_of(state);
	struct udp_relay n = {0};
	struct sockaddr_in6 b_at;

	if (!f->impl->roams)
		skip();
	dial_through_nat(f, &n);
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
	udp_relay_stop(&n);
}

int main(void)
{
	struct CMUnitTest tests[] = {
	    cmocka_unit_test_setup_teardown(test_roaming, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_peer_restart, setup, teardown),
	};

	return run_each_impl(tests, sizeof(tests) / sizeof(tests[0]));
}
