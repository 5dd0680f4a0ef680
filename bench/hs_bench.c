/* bench/hs_bench.c - link handshakes per second, per transport.
 *
 * Two transports in one process on the loopback address: one listens, the
 * other dials, waits until both ends report the connection established
 * (TCP: Noise IK + key confirmation; QUIC: TLS 1.3 with raw public keys),
 * closes it, and dials again, for a fixed time. Both ends share one core's
 * worth of event loop, so the figure is the cost of one full handshake,
 * initiator and responder together. Admission control is raised for the
 * run (it would otherwise hold one source to 20 handshakes a second, which
 * is the point in production and not what this measures).
 *
 *     hs_bench [SECONDS]    (default 5)
 * Prints one line per transport: handshakes, seconds, handshakes/s, CPU
 * microseconds per handshake.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>

#include <event2/event.h>

#include "lib/clock.h"
#include "lib/secure.h"
#include "transport/transport.h"

struct side {
	uint8_t pk[32], sk[64];
	struct tp_identity id;
	struct transport *t;
	unsigned established, closed;
};

static int on_established(void *ctx, struct tp_conn *c, const uint8_t pk[32], void *conn_ctx)
{
	(void)c;
	(void)pk;
	(void)conn_ctx;
	((struct side *)ctx)->established++;
	return 0;
}

static void on_closed(void *ctx, struct tp_conn *c, enum tp_close_reason why)
{
	(void)c;
	(void)why;
	((struct side *)ctx)->closed++;
}

static void side_init(struct side *s)
{
	uint8_t seed[32];

	sec_random(seed, sizeof(seed));
	sec_ed25519_from_seed(s->pk, s->sk, seed);
	s->id.ed25519_pk = s->pk;
	s->id.ed25519_sk = s->sk;
}

static double cpu_s(void)
{
	struct rusage ru;

	getrusage(RUSAGE_SELF, &ru);
	return (double)ru.ru_utime.tv_sec + (double)ru.ru_utime.tv_usec / 1e6 +
	       (double)ru.ru_stime.tv_sec + (double)ru.ru_stime.tv_usec / 1e6;
}

static int run(const char *name,
	       int (*create)(struct event_base *, const struct tp_identity *,
			     const struct sockaddr_in6 *, const struct tp_callbacks *,
			     struct transport **),
	       double seconds)
{
	struct event_base *base = event_base_new();
	struct side a = { 0 }, b = { 0 };
	struct sockaddr_in6 lo = { .sin6_family = AF_INET6, .sin6_addr = IN6ADDR_LOOPBACK_INIT };
	struct sockaddr_in6 at;
	struct tp_callbacks cba = { .ctx = &a, .established = on_established, .closed = on_closed };
	struct tp_callbacks cbb = { .ctx = &b, .established = on_established, .closed = on_closed };
	uint64_t start, end, done = 0;
	double cpu0;
	int r;

	side_init(&a);
	side_init(&b);
	r = create(base, &b.id, &lo, &cbb, &b.t);
	if (r == 0)
		r = create(base, &a.id, NULL, &cba, &a.t);
	if (r < 0) {
		printf("%-5s not available: %s\n", name, strerror(-r));
		return 0;
	}
	tp_set_admission(b.t, 1024, 1024, 1000000, 1000000);
	tp_local_addr(b.t, &at);
	cpu0 = cpu_s();
	start = clock_mono_ns();
	end = start + (uint64_t)(seconds * 1e9);
	while (clock_mono_ns() < end) {
		struct tp_conn *c;
		unsigned want_a = a.established + 1, want_b = b.established + 1;
		uint64_t deadline = clock_mono_ns() + 5000000000ull;

		if (tp_dial(a.t, &at, b.pk, NULL, &c) < 0)
			break;
		while ((a.established < want_a || b.established < want_b) &&
		       clock_mono_ns() < deadline)
			event_base_loop(base, EVLOOP_ONCE);
		if (a.established < want_a)
			break;
		tp_close(c, TP_CLOSE_LOCAL);
		done++;
	}
	{
		double secs = (double)(clock_mono_ns() - start) / 1e9, cpu = cpu_s() - cpu0;

		printf("%-5s %6llu handshakes in %.2f s: %8.0f handshakes/s, %6.0f us CPU each "
		       "(both ends)\n",
		       name, (unsigned long long)done, secs, (double)done / secs,
		       done ? cpu * 1e6 / (double)done : 0.0);
	}
	tp_free(a.t);
	tp_free(b.t);
	event_base_free(base);
	return done > 0 ? 0 : 1;
}

int main(int argc, char **argv)
{
	double seconds = argc > 1 ? atof(argv[1]) : 5.0;
	int bad = 0;

	if (sec_init() < 0 || seconds <= 0 || seconds > 600) {
		fprintf(stderr, "usage: hs_bench [SECONDS (0..600]]\n");
		return 2;
	}
	bad |= run("tcp", tp_tcp_new, seconds);
	bad |= run("quic", tp_quic_new, seconds);
	return bad;
}
