/* tests/unit/test_dht_solo.c - discovery/dht*.c: one engine against a
 * scripted peer.
 *
 * The engine under test has no network: its send callback captures the
 * last message, and test peers hand it messages through dht_input(). STORE
 * admission (each refusal counted), the value caps per source, per key and
 * in total, and expiry; malformed, oversized and unsolicited input dropped
 * and counted; per-source and global rate limits; the liveness PING of a
 * full bucket and eviction; publish, republish and unpublish of our own
 * values. Everything deterministic. The metric, the k-buckets and lookups
 * on a network are in test_dht.c; the message codec in test_dht_msg.c.
 */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>

#include <errno.h>
#include <stdio.h>
#include <string.h>

#include "discovery/dht_internal.h"
#include "identity/record.h"
#include "identity/service_record.h"
#include "lib/secure.h"

#include "dht_test.h"

/* ---- a single node and a scripted peer ------------------------------------------ */

static struct {
	unsigned n;
	uint8_t last[DHT_MSG_MAX_LEN];
	size_t last_len;
	struct node_id last_to;
} sent;

static int capture_send(void *ctx, const struct dht_contact *to, const uint8_t *b, size_t len)
{
	(void)ctx;
	sent.n++;
	memcpy(sent.last, b, len);
	sent.last_len = len;
	sent.last_to = to->id;
	return 0;
}

static uint64_t fixed_wall(void *ctx)
{
	(void)ctx;
	return WALL;
}

static struct dht *solo_new(struct dht_config *cfg, struct node *me)
{
	struct dht_callbacks cb = {.send = capture_send, .wall_s = fixed_wall};
	uint8_t seed[32];
	struct dht *d;

	memset(seed, 0x11, sizeof(seed));
	memset(me, 0, sizeof(*me));
	sec_ed25519_from_seed(me->c.pk, me->sk, seed);
	node_id_from_pubkey(&me->c.id, me->c.pk);
	assert_int_equal(dht_new(cfg, &me->c, &cb, 0, &d), 0);
	memset(&sent, 0, sizeof(sent));
	return d;
}

static void peer_make(struct node *p, uint8_t seed_byte)
{
	uint8_t seed[32];

	memset(p, 0, sizeof(*p));
	memset(seed, seed_byte, sizeof(seed));
	sec_ed25519_from_seed(p->c.pk, p->sk, seed);
	node_id_from_pubkey(&p->c.id, p->c.pk);
}

/* Have `p` send `m` to `d`; return dht_input's result. */
static int peer_send(struct dht *d, const struct node *p, struct dht_msg *m, uint64_t now)
{
	uint8_t buf[DHT_MSG_MAX_LEN];
	size_t len;

	m->sender = p->c;
	m->flags = DHT_MSG_F_SERVER;
	assert_int_equal(dht_msg_encode(m, buf, sizeof(buf), &len), 0);
	return dht_input(d, &p->c.id, buf, len, now);
}

static size_t make_service(const struct node *p, const char *name, uint8_t vis, uint64_t seq,
			   uint64_t expires, uint8_t *buf)
{
	struct service_record r = {0};
	size_t len;

	memcpy(r.pk, p->c.pk, 32);
	r.seq = seq;
	r.issued = WALL - 10;
	r.expires = expires;
	r.visibility = vis;
	snprintf(r.name, sizeof(r.name), "%s", name);
	assert_int_equal(service_record_sign(&r, p->sk), 0);
	assert_int_equal(service_record_encode(&r, buf, SERVICE_RECORD_MAX_LEN, &len), 0);
	return len;
}

static uint8_t store(struct dht *d, const struct node *p, const uint8_t *rec, size_t len)
{
	struct dht_msg m, reply;

	memset(&m, 0, sizeof(m));
	m.type = DHT_MSG_STORE;
	m.txid = rnd();
	m.u.values.n = 1;
	m.u.values.v[0].len = (uint16_t)len;
	memcpy(m.u.values.v[0].b, rec, len);
	assert_int_equal(peer_send(d, p, &m, 1), 0);
	assert_int_equal(dht_msg_decode(&reply, sent.last, sent.last_len), 0);
	assert_int_equal(reply.type, DHT_MSG_STORED);
	assert_int_equal(reply.txid, m.txid);
	return reply.u.status;
}

/* The record each numbered case of test_store_admission() stores. */
static size_t admission_case_record(const struct node *p, int n, uint8_t *rec)
{
	static const uint64_t seqs[] = {0, 5, 5, 6, 4, 6, 9, 9, 9, 9, 9};
	uint64_t exp = WALL + 600;
	uint8_t vis = SERVICE_VIS_PUBLIC;
	size_t len;

	if (n == 7)
		exp = WALL - 1;
	if (n == 8)
		exp = WALL + RECORD_LIFETIME_MAX_S;
	if (n == 9)
		vis = SERVICE_VIS_HIDDEN;
	if (n == 10)
		vis = SERVICE_VIS_PRIVATE;
	if (n == 5)
		exp--; /* case 3's key, owner and sequence; other bytes */
	len = make_service(p, "p.ssh", vis, seqs[n], exp, rec);
	if (n == 6)
		rec[len - 1] ^= 1;
	return len;
}

static void test_store_admission(void **state)
{
	static const struct {
		int n;
		const char *what;
		uint8_t want_status;
		int counter; /* enum dht_refuse, or -1 */
	} cases[] = {
	    {1, "valid", DHT_STORE_OK, -1},
	    {2, "same bytes again", DHT_STORE_SAME, -1},
	    {3, "higher sequence", DHT_STORE_OK, -1},
	    {4, "older sequence", DHT_STORE_STALE, DHT_REFUSE_STALE},
	    {5, "equal sequence, other bytes", DHT_STORE_STALE, DHT_REFUSE_CONFLICT},
	    {6, "forged signature", DHT_STORE_INVALID, DHT_REFUSE_BAD_SIG},
	    {7, "expired", DHT_STORE_INVALID, DHT_REFUSE_EXPIRED},
	    {8, "lifetime over the cap", DHT_STORE_INVALID, DHT_REFUSE_BAD_TIME},
	    {9, "hidden service", DHT_STORE_INVALID, DHT_REFUSE_VISIBILITY},
	    {10, "private service", DHT_STORE_INVALID, DHT_REFUSE_VISIBILITY},
	};
	struct dht_config cfg;
	struct dht_stats st;
	struct node me, p;
	uint8_t rec[SERVICE_RECORD_MAX_LEN];
	struct dht *d;

	(void)state;
	dht_config_default(&cfg);
	d = solo_new(&cfg, &me);
	peer_make(&p, 0x22);
	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		uint64_t before[DHT_REFUSE__COUNT];
		size_t len;

		assert_int_equal(cases[i].n, (int)i + 1);
		len = admission_case_record(&p, cases[i].n, rec);
		dht_get_stats(d, &st);
		memcpy(before, st.refused, sizeof(before));
		if (store(d, &p, rec, len) != cases[i].want_status)
			fail_msg("case %d (%s): wrong status", cases[i].n, cases[i].what);
		dht_get_stats(d, &st);
		for (int r = 0; r < DHT_REFUSE__COUNT; r++) {
			uint64_t want = before[r] + (r == cases[i].counter);

			if (st.refused[r] != want)
				fail_msg("case %d (%s): counter %s", cases[i].n, cases[i].what,
					 dht_refuse_name((enum dht_refuse)r));
		}
	}
	dht_get_stats(d, &st);
	assert_int_equal(st.values, 1);
	d = dht_free(d);
}

static void test_store_caps(void **state)
{
	struct dht_config cfg;
	struct dht_stats st;
	struct node me, p[6];
	uint8_t rec[SERVICE_RECORD_MAX_LEN];
	char name[32];
	struct dht *d;
	size_t len;

	(void)state;
	dht_config_default(&cfg);
	cfg.values_max = 6;
	cfg.values_per_source = 3;
	cfg.values_per_key = 2;
	cfg.store_rate = 0;
	cfg.global_store_rate = 0;
	d = solo_new(&cfg, &me);
	for (unsigned i = 0; i < 6; i++)
		peer_make(&p[i], (uint8_t)(0x30 + i));
	/* Per source: the fourth value from one peer is refused. */
	for (unsigned i = 0; i < 4; i++) {
		snprintf(name, sizeof(name), "p.s%u", i);
		len = make_service(&p[0], name, SERVICE_VIS_PUBLIC, 1, WALL + 60, rec);
		assert_int_equal(store(d, &p[0], rec, len), i < 3 ? DHT_STORE_OK : DHT_STORE_FULL);
	}
	/* Per key: a third owner of one name is refused. */
	for (unsigned i = 1; i < 4; i++) {
		len = make_service(&p[i], "shared.web", SERVICE_VIS_PUBLIC, 1, WALL + 60, rec);
		assert_int_equal(store(d, &p[i], rec, len), i < 3 ? DHT_STORE_OK : DHT_STORE_FULL);
	}
	/* In total: 5 held, one more fits, then full. */
	len = make_service(&p[4], "p.a", SERVICE_VIS_PUBLIC, 1, WALL + 60, rec);
	assert_int_equal(store(d, &p[4], rec, len), DHT_STORE_OK);
	len = make_service(&p[5], "p.b", SERVICE_VIS_PUBLIC, 1, WALL + 60, rec);
	assert_int_equal(store(d, &p[5], rec, len), DHT_STORE_FULL);
	dht_get_stats(d, &st);
	assert_int_equal(st.values, 6);
	assert_int_equal(st.refused[DHT_REFUSE_SOURCE_FULL], 1);
	assert_int_equal(st.refused[DHT_REFUSE_KEY_FULL], 1);
	assert_int_equal(st.refused[DHT_REFUSE_FULL], 1);
	/* Expiry frees them all (record expiry at WALL + 60). */
	d->cb.wall_s = NULL;
	dht_tick(d, DHT_SWEEP_MS);
	dht_get_stats(d, &st);
	assert_int_equal(st.values, 0);
	assert_int_equal(st.values_expired, 6);
	d = dht_free(d);
}

/* Oversized and malformed input is dropped before any work, and counted. */
static void test_input_drops(void **state)
{
	struct dht_config cfg;
	struct dht_stats st;
	struct node me, p, q;
	struct dht_msg m;
	uint8_t buf[DHT_MSG_MAX_LEN + 8];
	size_t len;
	struct dht *d;

	(void)state;
	dht_config_default(&cfg);
	d = solo_new(&cfg, &me);
	peer_make(&p, 0x41);
	peer_make(&q, 0x42);
	memset(&m, 0, sizeof(m));
	m.type = DHT_MSG_STORE;
	m.sender = p.c;
	m.u.values.n = 1;
	m.u.values.v[0].len =
	    (uint16_t)make_service(&p, "p.ssh", 1, 1, WALL + 60, m.u.values.v[0].b);
	assert_int_equal(dht_msg_encode(&m, buf, sizeof(buf), &len), 0);
	/* Header 11 bytes, sender contact 65 (no endpoints), value count 1:
	 * then the value's u16 length, raised to 0x02xx > DHT_VALUE_MAX_LEN. */
	buf[11 + 65 + 1] = 0x02;
	assert_int_equal(dht_input(d, &p.c.id, buf, len, 1), -EMSGSIZE);
	memset(buf, 0, sizeof(buf));
	assert_int_equal(dht_input(d, &p.c.id, buf, DHT_MSG_MAX_LEN + 1, 1), -EMSGSIZE);
	buf[0] = 9;
	assert_int_equal(dht_input(d, &p.c.id, buf, 50, 1), -EPROTONOSUPPORT);
	buf[0] = DHT_MSG_VERSION;
	buf[1] = 0x7f;
	assert_int_equal(dht_input(d, &p.c.id, buf, 50, 1), -ENOMSG);
	assert_int_equal(dht_input(d, &p.c.id, buf, 3, 1), -EBADMSG);
	/* A sender contact that is not the authenticated peer. */
	memset(&m, 0, sizeof(m));
	m.type = DHT_MSG_PING;
	m.sender = q.c;
	assert_int_equal(dht_msg_encode(&m, buf, sizeof(buf), &len), 0);
	assert_int_equal(dht_input(d, &p.c.id, buf, len, 1), -EPERM);
	/* A reply nobody asked for; a sync message. */
	m.type = DHT_MSG_PONG;
	assert_int_equal(peer_send(d, &q, &m, 1), -ESRCH);
	m.type = DHT_MSG_WANT;
	m.u.want.kind = DHT_SYNC_NODES;
	m.u.want.n = 1;
	assert_int_equal(peer_send(d, &q, &m, 1), -ENOPROTOOPT);
	dht_get_stats(d, &st);
	assert_int_equal(st.drops[DHT_DROP_OVERSIZED], 2);
	assert_int_equal(st.drops[DHT_DROP_VERSION], 1);
	assert_int_equal(st.drops[DHT_DROP_UNKNOWN_TYPE], 1);
	assert_int_equal(st.drops[DHT_DROP_MALFORMED], 1);
	assert_int_equal(st.drops[DHT_DROP_SENDER], 1);
	assert_int_equal(st.drops[DHT_DROP_UNSOLICITED], 1);
	assert_int_equal(st.drops[DHT_DROP_NOT_DHT], 1);
	assert_int_equal(st.contacts, 0); /* nothing dropped made it to the table */
	assert_int_equal(st.values, 0);
	d = dht_free(d);
}

static void test_rate_limit(void **state)
{
	struct dht_config cfg;
	struct dht_stats st;
	struct node me, p[3];
	struct dht_msg m;
	struct dht *d;
	unsigned ok = 0;

	(void)state;
	dht_config_default(&cfg);
	cfg.query_rate = 10;
	cfg.query_burst = 5;
	cfg.global_query_rate = 20;
	cfg.global_query_burst = 8;
	d = solo_new(&cfg, &me);
	for (unsigned i = 0; i < 3; i++)
		peer_make(&p[i], (uint8_t)(0x50 + i));
	memset(&m, 0, sizeof(m));
	m.type = DHT_MSG_PING;
	/* One source: its burst of 5, then refused. */
	for (int i = 0; i < 8; i++)
		ok += peer_send(d, &p[0], &m, 1000) == 0;
	assert_int_equal(ok, 5);
	assert_int_equal(sent.n, 5); /* one PONG each */
	/* A second source gets 3 more before the global burst (8) is gone. */
	ok = 0;
	for (int i = 0; i < 8; i++)
		ok += peer_send(d, &p[1], &m, 1000) == 0;
	assert_int_equal(ok, 3);
	assert_int_equal(peer_send(d, &p[2], &m, 1000), -EBUSY);
	/* 100 ms later: one more per-source token, two global. */
	assert_int_equal(peer_send(d, &p[0], &m, 1100), 0);
	assert_int_equal(peer_send(d, &p[0], &m, 1100), -EBUSY);
	assert_int_equal(peer_send(d, &p[2], &m, 1100), 0);
	assert_int_equal(peer_send(d, &p[2], &m, 1100), -EBUSY);
	dht_get_stats(d, &st);
	assert_int_equal(st.drops[DHT_DROP_RATE_QUERY], 3 + 5 + 1 + 1 + 1);
	/* STOREs have their own buckets: pings used none of them. */
	assert_int_equal(st.drops[DHT_DROP_RATE_STORE], 0);
	d = dht_free(d);
}

/* A full bucket pings its oldest contact: no answer evicts it and the
 * newest replacement moves in; an answer keeps it. */
static void test_liveness_ping(void **state)
{
	struct dht_config cfg;
	struct dht_stats st;
	struct node me, p[4];
	struct dht_msg m, ping;
	struct dht *d;

	(void)state;
	dht_config_default(&cfg);
	cfg.k = 1;
	cfg.replacements = 2;
	cfg.ping_after_ms = 1000;
	d = solo_new(&cfg, &me);
	/* Find three peers in the same bucket as each other. */
	peer_make(&p[0], 0x60);
	for (unsigned i = 1, s = 0x61; i < 4; s++) {
		peer_make(&p[i], (uint8_t)s);
		if (dht_bucket_index(me.c.id.b, p[i].c.id.b) ==
		    dht_bucket_index(me.c.id.b, p[0].c.id.b))
			i++;
	}
	assert_int_equal(dht_contact_seen(d, &p[0].c, 0), 0);
	assert_int_equal(dht_contact_seen(d, &p[1].c, 10), 0); /* young LRU: no ping */
	assert_int_equal(sent.n, 0);
	assert_int_equal(dht_contact_seen(d, &p[2].c, 2000), 0);
	assert_int_equal(sent.n, 1);
	assert_memory_equal(&sent.last_to, &p[0].c.id, sizeof(p[0].c.id));
	assert_int_equal(dht_msg_decode(&ping, sent.last, sent.last_len), 0);
	assert_int_equal(ping.type, DHT_MSG_PING);
	/* p[0] answers: it stays. */
	memset(&m, 0, sizeof(m));
	m.type = DHT_MSG_PONG;
	m.txid = ping.txid;
	assert_int_equal(peer_send(d, &p[0], &m, 2100), 0);
	assert_non_null(dht_table_find(&d->table, &p[0].c.id));
	/* Later a newcomer triggers another ping; this time nobody answers. */
	assert_int_equal(dht_contact_seen(d, &p[3].c, 5000), 0);
	assert_int_equal(sent.n, 2);
	dht_tick(d, 5000 + cfg.rpc_timeout_ms);
	assert_null(dht_table_find(&d->table, &p[0].c.id));
	assert_non_null(dht_table_find(&d->table, &p[3].c.id)); /* the newest replacement */
	dht_get_stats(d, &st);
	assert_int_equal(st.contacts, 1);
	assert_int_equal(st.contacts_evicted, 1);
	assert_int_equal(st.pings_sent, 2);
	d = dht_free(d);
}

/* Our own values: republished on schedule, refused when not newer, and a
 * lookup with nobody to ask ends unreachable. */
static void test_publish_republish(void **state)
{
	struct dht_config cfg;
	struct dht_stats st;
	struct node me, p;
	uint8_t rec[SERVICE_RECORD_MAX_LEN], old[SERVICE_RECORD_MAX_LEN];
	size_t len, old_len;
	struct dht *d;
	uint32_t id;

	(void)state;
	dht_config_default(&cfg);
	cfg.republish_ms = 10000;
	d = solo_new(&cfg, &me);
	peer_make(&p, 0x70);
	old_len = make_service(&me, "me.ssh", SERVICE_VIS_PUBLIC, 2, WALL + 600, old);
	assert_int_equal(dht_publish(d, old, old_len, 0, &id), 0);
	len = make_service(&me, "me.ssh", SERVICE_VIS_PUBLIC, 1, WALL + 600, rec);
	assert_int_equal(dht_publish(d, rec, len, 0, &id), -ESTALE);
	len = make_service(&me, "me.ssh", SERVICE_VIS_HIDDEN, 3, WALL + 600, rec);
	assert_int_equal(dht_publish(d, rec, len, 0, &id), -EINVAL);
	len = make_service(&me, "me.ssh", SERVICE_VIS_PUBLIC, 3, WALL - 1, rec);
	assert_int_equal(dht_publish(d, rec, len, 0, &id), -ETIME);
	rec[len - 1] ^= 1;
	assert_int_equal(dht_publish(d, rec, len, 0, &id), -EBADMSG);
	/* Nobody known: the lookup ends unreachable at the next tick. */
	dht_tick(d, 1);
	assert_int_equal(sent.n, 0);
	/* With a contact, the republish at 10 s queries it. */
	assert_int_equal(dht_contact_seen(d, &p.c, 2), 0);
	dht_tick(d, 9999);
	assert_int_equal(sent.n, 0);
	assert_int_equal(dht_next_deadline_ms(d), 10000);
	dht_tick(d, 10000);
	assert_int_equal(sent.n, 1);
	assert_memory_equal(&sent.last_to, &p.c.id, sizeof(p.c.id));
	dht_get_stats(d, &st);
	assert_int_equal(st.own_values, 1);
	assert_int_equal(st.lookups_failed, 1);
	/* Unpublished: nothing more to republish. */
	{
		uint8_t key[32];

		service_name_key(key, "me.ssh");
		assert_int_equal(dht_unpublish(d, key, &p.c.id), -ENOENT);
		assert_int_equal(dht_unpublish(d, key, &me.c.id), 0);
		assert_int_equal(dht_unpublish(d, key, &me.c.id), -ENOENT);
		dht_get_stats(d, &st);
		assert_int_equal(st.own_values, 0);
	}
	d = dht_free(d);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_store_admission), cmocka_unit_test(test_store_caps),
	    cmocka_unit_test(test_input_drops),	    cmocka_unit_test(test_rate_limit),
	    cmocka_unit_test(test_liveness_ping),   cmocka_unit_test(test_publish_republish),
	};

	if (sec_init() < 0)
		return 1;
	return cmocka_run_group_tests(tests, NULL, NULL);
}
