/* tests/unit/udp_relay_test.h - a UDP relay on loopback for the transport
 * tests that move a peer's apparent address (test_udp.c,
 * test_transport_roam.c). a dials the front socket; the relay forwards to
 * `server` (b) from back[cur], and b's answers on back[cur] back to the last
 * client. Setting cur = 1 rebinds a's source port as a NAT would; a packet
 * on the other back socket is dropped, as the binding is gone. `inspect`
 * sees (and may change or drop) each a -> b packet; `blackhole` drops all
 * b -> a. Include after cmocka.h.
 */
#ifndef VX6_TESTS_UNIT_UDP_RELAY_TEST_H
#define VX6_TESTS_UNIT_UDP_RELAY_TEST_H

#include <stdbool.h>
#include <stdint.h>
#include <unistd.h>
#include <netinet/in.h>
#include <sys/socket.h>

#include <event2/event.h>

struct udp_relay {
	int front, back[2];
	unsigned cur; /* back[cur] faces b */
	struct sockaddr_in6 front_addr, back_addr[2], client, server;
	bool have_client;
	bool blackhole; /* drop everything b sends towards a */
	struct event *ev[3];
	/* Called on each a -> b packet before it is forwarded (NULL: none). */
	void (*inspect)(void *ctx, uint8_t *buf, size_t len, bool *drop);
	void *ctx;
};

static inline void udp_relay_forward(evutil_socket_t fd, short what, void *arg)
{
	struct udp_relay *r = arg;
	struct sockaddr_in6 from;
	socklen_t fl = sizeof(from);
	uint8_t buf[2048];
	ssize_t n;

	(void)what;
	while ((n = recvfrom(fd, buf, sizeof(buf), MSG_DONTWAIT, (struct sockaddr *)&from, &fl)) >
	       0) {
		bool drop = false;

		fl = sizeof(from);
		if (fd == r->front) {
			r->client = from;
			r->have_client = true;
			if (r->inspect)
				r->inspect(r->ctx, buf, (size_t)n, &drop);
			if (!drop)
				(void)sendto(r->back[r->cur], buf, (size_t)n, 0,
					     (const struct sockaddr *)&r->server,
					     sizeof(r->server));
		} else if (r->have_client && fd == r->back[r->cur] && !r->blackhole) {
			(void)sendto(r->front, buf, (size_t)n, 0,
				     (const struct sockaddr *)&r->client, sizeof(r->client));
		} /* else: the old binding is gone, as in a NAT */
	}
}

/* A UDP socket bound to an ephemeral port on ::1, its address in `out`. */
static inline int udp_socket(struct sockaddr_in6 *out)
{
	struct sockaddr_in6 lo = {.sin6_family = AF_INET6, .sin6_addr = IN6ADDR_LOOPBACK_INIT};
	socklen_t len = sizeof(*out);
	int fd = socket(AF_INET6, SOCK_DGRAM, 0);

	assert_true(fd >= 0);
	assert_int_equal(bind(fd, (struct sockaddr *)&lo, sizeof(lo)), 0);
	assert_int_equal(getsockname(fd, (struct sockaddr *)out, &len), 0);
	return fd;
}

/* Open the relay's sockets towards `server` and watch them on `base`.
 * The caller sets inspect/ctx beforehand if it wants them. */
static inline void udp_relay_start(struct udp_relay *r, struct event_base *base,
				   const struct sockaddr_in6 *server)
{
	r->server = *server;
	r->front = udp_socket(&r->front_addr);
	r->ev[0] = event_new(base, r->front, EV_READ | EV_PERSIST, udp_relay_forward, r);
	for (unsigned i = 0; i < 2; i++) {
		r->back[i] = udp_socket(&r->back_addr[i]);
		r->ev[i + 1] =
		    event_new(base, r->back[i], EV_READ | EV_PERSIST, udp_relay_forward, r);
	}
	for (unsigned i = 0; i < 3; i++)
		assert_int_equal(event_add(r->ev[i], NULL), 0);
}

static inline void udp_relay_stop(struct udp_relay *r)
{
	for (unsigned i = 0; i < 3; i++)
		event_free(r->ev[i]);
	close(r->front);
	close(r->back[0]);
	close(r->back[1]);
}

#endif /* VX6_TESTS_UNIT_UDP_RELAY_TEST_H */
