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
	    cmocka_unit_test_setup_teardown(test_roaming, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_peer_restart, setup, teardown),
	};

	return run_each_impl(tests, sizeof(tests) / sizeof(tests[0]));
}
