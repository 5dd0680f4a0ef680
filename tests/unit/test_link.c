/* tests/unit/test_link.c - the link manager over real transports on
 * loopback: links come up both ways with the right keys, a wrong key never
 * comes up, pings measure loss and RTT, bench streams arrive intact
 * (SHA-256 at both ends) under flow control, a removed peer goes down, and
 * garbage to the listener is counted without hurting an established link.
 * Each case runs for every transport kind that is built in. */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include <cmocka.h>
#include <event2/event.h>

#include "lib/clock.h"
#include "lib/secure.h"
#include "transport/link.h"
#include "transport/link_probe.h"

struct node {
	uint8_t pk[32], sk[64];
	struct tp_identity id;
	struct link_mgr *m;
	unsigned ups, downs;
	struct sockaddr_in6 addr;
	unsigned ctl_msgs;	/* control messages received */
	bool ctl_bad;		/* one arrived out of order or corrupt */
};

/* Control message i is i % 251 repeated, of length sizes[i % 6]. */
static const size_t ctl_sizes[] = { 0, 1, 100, 1400, 20000, 65535 };

static void on_control(void *ctx, struct link *l, const uint8_t *msg, size_t len)
{
	struct node *n = ctx;
	unsigned i = n->ctl_msgs++;

	(void)l;
	if (len != ctl_sizes[i % 6])
		n->ctl_bad = true;
	for (size_t k = 0; k < len; k++)
		if (msg[k] != (uint8_t)(i % 251))
			n->ctl_bad = true;
}

struct lab {
	struct event_base *base;
	struct node a, b;
	enum transport_kind kind;
};

static void on_up(void *ctx, struct link *l)
{
	(void)l;
	((struct node *)ctx)->ups++;
}

static void on_down(void *ctx, struct link *l)
{
	(void)l;
	((struct node *)ctx)->downs++;
}

static void node_init(struct lab *lab, struct node *n)
{
	uint8_t seed[32];
	struct link_callbacks cb = { .ctx = n, .up = on_up, .down = on_down, .control = on_control };
	struct sockaddr_in6 any = { .sin6_family = AF_INET6, .sin6_addr = IN6ADDR_LOOPBACK_INIT };

	sec_random(seed, sizeof(seed));
	sec_ed25519_from_seed(n->pk, n->sk, seed);
	n->id.ed25519_pk = n->pk;
	n->id.ed25519_sk = n->sk;
	assert_int_equal(link_mgr_new(lab->base, &n->id, &cb, &n->m), 0);
	assert_int_equal(link_mgr_listen(n->m, lab->kind, &any), 0);
	assert_int_equal(link_mgr_local_addr(n->m, lab->kind, &n->addr), 0);
	assert_int_not_equal(n->addr.sin6_port, 0);
}

/* Run the loop until `done` says so or `ms` pass. */
static bool run_until(struct lab *lab, bool (*done)(struct lab *), uint64_t ms)
{
	uint64_t end = clock_mono_ms() + ms;

	while (clock_mono_ms() < end) {
		if (done(lab))
			return true;
		event_base_loop(lab->base, EVLOOP_ONCE | EVLOOP_NONBLOCK);
		usleep(200);
	}
	return done(lab);
}

static bool both_up(struct lab *lab)
{
	struct node_id ia, ib;
	struct link *la, *lb;

	node_id_from_pubkey(&ia, lab->a.pk);
	node_id_from_pubkey(&ib, lab->b.pk);
	la = link_find(lab->a.m, &ib);
	lb = link_find(lab->b.m, &ia);
	return la && lb && link_is_up(la) && link_is_up(lb);
}

static struct lab *lab_new(enum transport_kind kind)
{
	struct lab *lab = calloc(1, sizeof(*lab));

	lab->base = event_base_new();
	lab->kind = kind;
	node_init(lab, &lab->a);
	node_init(lab, &lab->b);
	return lab;
}

static void lab_free(struct lab *lab)
{
	link_mgr_free(lab->a.m);
	link_mgr_free(lab->b.m);
	event_base_free(lab->base);
	free(lab);
}

static struct link *link_to(struct node *from, struct node *to)
{
	struct node_id id;

	node_id_from_pubkey(&id, to->pk);
	return link_find(from->m, &id);
}

static void check_up(enum transport_kind kind)
{
	struct lab *lab = lab_new(kind);
	struct link_info info;

	assert_int_equal(link_peer_add(lab->a.m, lab->b.pk, &lab->b.addr, kind), 0);
	assert_true(run_until(lab, both_up, 3000));
	assert_int_equal(lab->a.ups, 1);
	assert_int_equal(lab->b.ups, 1);
	link_get_info(link_to(&lab->a, &lab->b), &info);
	assert_true(info.configured);
	assert_true(info.initiator);
	assert_int_equal(info.kind, kind);
	link_get_info(link_to(&lab->b, &lab->a), &info);
	assert_false(info.configured);
	assert_false(info.initiator);
	assert_memory_equal(info.pk, lab->a.pk, 32);
	/* Adding ourselves, or a key that is not an Ed25519 point, is refused. */
	assert_int_equal(link_peer_add(lab->a.m, lab->a.pk, &lab->b.addr, kind), -EINVAL);
	{
		uint8_t bad[32];

		memset(bad, 0xff, sizeof(bad)); /* y >= p: not a canonical point */
		assert_int_equal(link_peer_add(lab->a.m, bad, &lab->b.addr, kind), -EINVAL);
	}
	lab_free(lab);
}

static bool a_gave_up_once(struct lab *lab)
{
	struct link_info info;
	struct link *l = link_to(&lab->a, &lab->b);

	if (!l)
		return false;
	link_get_info(l, &info);
	return info.state == LINK_BACKOFF && info.last_close == TP_CLOSE_AUTH;
}

static void check_wrong_key(enum transport_kind kind)
{
	struct lab *lab = lab_new(kind);
	uint8_t wrong_pk[32], wrong_sk[64], seed[32];
	struct link_mgr_stats st;

	/* a dials b's address but expects another key: never up. */
	sec_random(seed, sizeof(seed));
	sec_ed25519_from_seed(wrong_pk, wrong_sk, seed);
	memcpy(lab->b.pk, wrong_pk, 32); /* what a believes b's key is */
	assert_int_equal(link_peer_add(lab->a.m, wrong_pk, &lab->b.addr, kind), 0);
	assert_true(run_until(lab, a_gave_up_once, 3000));
	assert_int_equal(lab->a.ups, 0);
	assert_int_equal(lab->b.ups, 0);
	link_mgr_get_stats(lab->b.m, &st);
	assert_true(st.hs_failed + st.hs_completed == 0 || st.hs_failed >= 1);
	link_mgr_get_stats(lab->a.m, &st);
	assert_true(st.hs_failed >= 1);
	lab_free(lab);
}

struct ping_wait {
	bool done;
	struct link_ping_result r;
};

static void ping_done(void *arg, const struct link_ping_result *r)
{
	struct ping_wait *w = arg;

	w->done = true;
	w->r = *r;
}

static struct ping_wait *g_ping;
static bool ping_finished(struct lab *lab)
{
	(void)lab;
	return g_ping->done;
}

static void check_ping(enum transport_kind kind)
{
	struct lab *lab = lab_new(kind);
	struct ping_wait w = { 0 };

	assert_int_equal(link_peer_add(lab->a.m, lab->b.pk, &lab->b.addr, kind), 0);
	assert_true(run_until(lab, both_up, 3000));
	g_ping = &w;
	assert_int_equal(link_ping_start(link_to(&lab->a, &lab->b), 200, 1000, 1, ping_done, &w),
			 0);
	assert_int_equal(link_ping_start(link_to(&lab->a, &lab->b), 1, 0, 0, ping_done, &w),
			 -EBUSY);
	assert_true(run_until(lab, ping_finished, 5000));
	assert_int_equal(w.r.error, 0);
	assert_int_equal(w.r.sent, 200);
	assert_int_equal(w.r.received, 200); /* loopback, no loss */
	assert_int_equal(w.r.duplicates, 0);
	assert_true(w.r.rtt_min_us <= w.r.rtt_avg_us && w.r.rtt_avg_us <= w.r.rtt_max_us);
	/* Bad arguments. */
	assert_int_equal(link_ping_start(link_to(&lab->a, &lab->b), 0, 0, 0, ping_done, &w),
			 -EINVAL);
	assert_int_equal(link_ping_start(link_to(&lab->a, &lab->b), 1, 5000, 0, ping_done, &w),
			 -EINVAL);
	lab_free(lab);
}

struct bench_wait {
	bool done;
	struct link_bench_result r;
};

static struct bench_wait *g_bench;
static void bench_done(void *arg, const struct link_bench_result *r)
{
	struct bench_wait *w = arg;

	w->done = true;
	w->r = *r;
}

static bool bench_finished(struct lab *lab)
{
	(void)lab;
	return g_bench->done;
}

static void check_bench(enum transport_kind kind, uint64_t bytes)
{
	struct lab *lab = lab_new(kind);
	struct bench_wait w = { 0 };

	assert_int_equal(link_peer_add(lab->a.m, lab->b.pk, &lab->b.addr, kind), 0);
	assert_true(run_until(lab, both_up, 3000));
	g_bench = &w;
	assert_int_equal(link_bench_start(link_to(&lab->a, &lab->b), bytes, bench_done, &w), 0);
	assert_true(run_until(lab, bench_finished, 10000));
	assert_int_equal(w.r.error, 0);
	assert_int_equal(w.r.bytes, bytes);
	assert_int_equal(w.r.peer_received, bytes);
	assert_true(w.r.match);
	assert_memory_equal(w.r.sha_local, w.r.sha_peer, 32);
	/* And the other way, on the same link. */
	w.done = false;
	assert_int_equal(link_bench_start(link_to(&lab->b, &lab->a), 1000, bench_done, &w), 0);
	assert_true(run_until(lab, bench_finished, 5000));
	assert_true(w.r.match);
	lab_free(lab);
}

static bool a_has_no_b(struct lab *lab)
{
	return link_to(&lab->b, &lab->a) == NULL && lab->b.downs == 1;
}

static void check_remove(enum transport_kind kind)
{
	struct lab *lab = lab_new(kind);
	struct node_id ib;

	assert_int_equal(link_peer_add(lab->a.m, lab->b.pk, &lab->b.addr, kind), 0);
	assert_true(run_until(lab, both_up, 3000));
	node_id_from_pubkey(&ib, lab->b.pk);
	assert_int_equal(link_peer_remove(lab->a.m, &ib), 0);
	assert_null(link_find(lab->a.m, &ib));
	assert_int_equal(link_peer_remove(lab->a.m, &ib), -ENOENT);
	/* b sees the connection close and forgets the unconfigured link. */
	assert_true(run_until(lab, a_has_no_b, 3000));
	lab_free(lab);
}

#define CTL_COUNT 400 /* ~5.8 MB: over TP_STREAM_WINDOW + LINK_CONTROL_QUEUE_MAX */
_Static_assert(CTL_COUNT * 14506 > 2 * (TP_STREAM_WINDOW + 256 * 1024), "enough to fill the queue");

static bool ctl_done(struct lab *lab)
{
	return lab->a.ctl_msgs >= CTL_COUNT && lab->b.ctl_msgs >= CTL_COUNT;
}

/* Send `count` messages; when the queue is full (-ENOBUFS, as documented)
 * let the loop drain it and try again. */
static void send_ctl(struct lab *lab, struct node *from, struct node *to, unsigned count)
{
	static uint8_t buf[65535];
	unsigned full = 0;

	for (unsigned i = 0; i < count; i++) {
		int r;

		memset(buf, (int)(i % 251), sizeof(buf));
		while ((r = link_control_send(link_to(from, to), buf, ctl_sizes[i % 6])) ==
		       -ENOBUFS) {
			full++;
			event_base_loop(lab->base, EVLOOP_ONCE | EVLOOP_NONBLOCK);
		}
		assert_int_equal(r, 0);
	}
	assert_true(full > 0); /* the cap was reached and held */
}

/* CTL_COUNT control messages each way, 0..65535 bytes, arrive whole and in
 * order (about 5.8 MB each way: more than a stream window of flow control
 * and the queue take at once, so the cap and the writable path are
 * exercised too). */
static void check_control(enum transport_kind kind)
{
	struct lab *lab = lab_new(kind);
	static uint8_t big[65536];

	assert_int_equal(link_peer_add(lab->a.m, lab->b.pk, &lab->b.addr, kind), 0);
	assert_true(run_until(lab, both_up, 3000));
	send_ctl(lab, &lab->a, &lab->b, CTL_COUNT);
	send_ctl(lab, &lab->b, &lab->a, CTL_COUNT);
	assert_true(run_until(lab, ctl_done, 5000));
	assert_int_equal(lab->a.ctl_msgs, CTL_COUNT);
	assert_int_equal(lab->b.ctl_msgs, CTL_COUNT);
	assert_false(lab->a.ctl_bad);
	assert_false(lab->b.ctl_bad);
	assert_int_equal(link_control_send(link_to(&lab->a, &lab->b), big, sizeof(big)),
			 -EMSGSIZE);
	lab_free(lab);
}

static void test_tcp_control(void **s)
{
	(void)s;
	check_control(TRANSPORT_TCP);
}

static bool b_has_no_a(struct lab *lab)
{
	return link_to(&lab->b, &lab->a) == NULL;
}

static bool a_saw_close(struct lab *lab)
{
	struct link_info info;

	link_get_info(link_to(&lab->a, &lab->b), &info);
	return info.disconnects >= 1;
}

/* An unconfigured (inbound) link with no traffic but keepalives is closed
 * after the idle time; the configured side keeps its peer and redials. */
static void check_idle_close(enum transport_kind kind)
{
	struct lab *lab = lab_new(kind);
	struct link_info info;

	link_mgr_set_timers(lab->b.m, 100, 2000, 400);
	assert_int_equal(link_peer_add(lab->a.m, lab->b.pk, &lab->b.addr, kind), 0);
	assert_true(run_until(lab, both_up, 3000));
	assert_true(run_until(lab, b_has_no_a, 3000));
	assert_true(lab->b.downs >= 1);
	assert_non_null(link_to(&lab->a, &lab->b)); /* configured: kept */
	assert_true(run_until(lab, a_saw_close, 3000));
	link_get_info(link_to(&lab->a, &lab->b), &info);
	assert_true(info.configured);
	lab_free(lab);
}

static void test_tcp_idle_close(void **s)
{
	(void)s;
	check_idle_close(TRANSPORT_TCP);
}

static void test_tcp_up(void **s)
{
	(void)s;
	check_up(TRANSPORT_TCP);
}
static void test_tcp_wrong_key(void **s)
{
	(void)s;
	check_wrong_key(TRANSPORT_TCP);
}
static void test_tcp_ping(void **s)
{
	(void)s;
	check_ping(TRANSPORT_TCP);
}
static void test_tcp_bench(void **s)
{
	(void)s;
	check_bench(TRANSPORT_TCP, 8u << 20);
	check_bench(TRANSPORT_TCP, 0);
	check_bench(TRANSPORT_TCP, 1);
}
static void test_tcp_remove(void **s)
{
	(void)s;
	check_remove(TRANSPORT_TCP);
}

#ifdef VX6_HAVE_QUIC
static void test_quic_up(void **s)
{
	(void)s;
	check_up(TRANSPORT_QUIC);
}
static void test_quic_wrong_key(void **s)
{
	(void)s;
	check_wrong_key(TRANSPORT_QUIC);
}
static void test_quic_ping(void **s)
{
	(void)s;
	check_ping(TRANSPORT_QUIC);
}
static void test_quic_bench(void **s)
{
	(void)s;
	check_bench(TRANSPORT_QUIC, 8u << 20);
	check_bench(TRANSPORT_QUIC, 0);
	check_bench(TRANSPORT_QUIC, 1);
}
static void test_quic_remove(void **s)
{
	(void)s;
	check_remove(TRANSPORT_QUIC);
}
static void test_quic_control(void **s)
{
	(void)s;
	check_control(TRANSPORT_QUIC);
}
#endif

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_tcp_up),	  cmocka_unit_test(test_tcp_wrong_key),
		cmocka_unit_test(test_tcp_ping),  cmocka_unit_test(test_tcp_bench),
		cmocka_unit_test(test_tcp_remove), cmocka_unit_test(test_tcp_idle_close),
		cmocka_unit_test(test_tcp_control),
#ifdef VX6_HAVE_QUIC
		cmocka_unit_test(test_quic_up),	  cmocka_unit_test(test_quic_wrong_key),
		cmocka_unit_test(test_quic_ping), cmocka_unit_test(test_quic_bench),
		cmocka_unit_test(test_quic_remove), cmocka_unit_test(test_quic_control),
#endif
	};

	sec_init();
	return cmocka_run_group_tests(tests, NULL, NULL);
}
