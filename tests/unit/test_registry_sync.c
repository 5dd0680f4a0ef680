/* tests/unit/test_registry_sync.c - discovery/registry_sync.c: peer sync
 * between two registries over many pages, who may learn a private service
 * record (struct registry_audience), and bootstrap contacts.
 */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>

#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "registry_test.h"

/* ---- peer sync ---------------------------------------------------------------- */

/* One side's full pass: A sends every page; B answers with RECORDS (what
 * A lacks) and a WANT (what B lacks), which A answers with RECORDS. When
 * B's lists were cut short, A sends the same page again. `to_b` is what B
 * may learn from A, `to_a` what A may learn from B (NULL: public only). */
static unsigned sync_pass_aud(struct registry *a, const struct registry_audience *to_b,
			      struct registry *b, const struct registry_audience *to_a,
			      uint8_t kind)
{
	struct dht_sync_key after, push[DHT_VALUES_MAX];
	struct dht_value vals[DHT_VALUES_MAX];
	struct dht_digest page;
	struct dht_want want;
	bool first = true;
	unsigned msgs = 0;

	do {
		int cut;

		do {
			size_t n_push, n;

			/* A (re)sends its page; after a cut list it has changed. */
			assert_int_equal(
			    registry_digest(a, kind, first ? NULL : &after, to_b, &page), 0);
			msgs++;
			cut = registry_sync_diff(b, to_a, &page, &want, push, DHT_VALUES_MAX,
						 &n_push);
			assert_true(cut >= 0);
			assert_true(want.n <= DHT_WANT_MAX && n_push <= DHT_VALUES_MAX);
			n = registry_records(b, kind, to_a, push, n_push, vals, DHT_VALUES_MAX);
			assert_int_equal(n, n_push);
			for (size_t i = 0; i < n; i++)
				assert_int_equal(registry_put(a, vals[i].b, vals[i].len, NOW, 0),
						 0);
			for (size_t i = 0; i < want.n; i += DHT_VALUES_MAX) {
				size_t m =
				    want.n - i < DHT_VALUES_MAX ? want.n - i : DHT_VALUES_MAX;

				n = registry_records(a, kind, to_b, &want.keys[i], m, vals,
						     DHT_VALUES_MAX);
				assert_int_equal(n, m);
				for (size_t j = 0; j < n; j++)
					assert_int_equal(
					    registry_put(b, vals[j].b, vals[j].len, NOW, 0), 0);
				msgs++;
			}
			msgs += n_push > 0;
		} while (cut == 1);
		if (page.n)
			after = page.keys[page.n - 1];
		first = false;
	} while (page.flags & DHT_DIGEST_F_MORE);
	return msgs;
}

static unsigned sync_pass(struct registry *a, struct registry *b, uint8_t kind)
{
	return sync_pass_aud(a, NULL, b, NULL, kind);
}

static void test_sync(void **state)
{
	struct registry *a = reg_new(KEYS, 64, 4), *b = reg_new(KEYS, 64, 4);
	struct dht_digest page;
	uint8_t rec[512];
	size_t len;

	(void)state;
	/* 0-39 only A, 40-79 only B, 80-119 both equal, 120-139 A newer,
	 * 140-159 B newer; services: public ones sync, others never. */
	for (unsigned k = 0; k < KEYS; k++) {
		if (k < 40 || k >= 80) {
			len = node_simple(k, k >= 120 && k < 140 ? 2 : 1, rec);
			assert_int_equal(registry_put_node(a, rec, len, NOW, 0), 0);
		}
		if (k >= 40) {
			len = node_simple(k, k >= 140 ? 2 : 1, rec);
			assert_int_equal(registry_put_node(b, rec, len, NOW, 0), 0);
		}
	}
	len = svc_rec(1, "one.web", SERVICE_VIS_PUBLIC, 1, rec);
	assert_int_equal(registry_put_service(a, rec, len, NOW, 0), 0);
	len = svc_rec(2, "two.db", SERVICE_VIS_PRIVATE, 1, rec);
	assert_int_equal(registry_put_service(a, rec, len, NOW, 0), 0);
	len = svc_rec(3, "three.x", SERVICE_VIS_HIDDEN, 1, rec);
	assert_int_equal(registry_put_service(b, rec, len, NOW, 0), 0);
	assert_true(sync_pass(a, b, DHT_SYNC_NODES) > 4); /* several pages */
	assert_true(sync_pass(a, b, DHT_SYNC_SERVICES) >= 1);
	assert_same(a, b);
	assert_int_equal(a->nodes.n, KEYS);
	for (unsigned k = 120; k < KEYS; k++) {
		struct node_id id = id_of(k);

		assert_int_equal(registry_find_node(a, &id)->seq, 2);
		assert_int_equal(registry_find_node(b, &id)->seq, 2);
	}
	assert_int_equal(a->services.n, 2); /* its own private one stays */
	assert_int_equal(b->services.n, 2); /* one.web arrived; three.x stays home */
	/* In sync now: a second pass finds nothing to move. */
	assert_int_equal(sync_pass(b, a, DHT_SYNC_NODES), 4);
	/* A bad page is refused. */
	memset(&page, 0, sizeof(page));
	page.kind = DHT_SYNC_NODES;
	page.flags = DHT_DIGEST_F_MORE;
	assert_int_equal(registry_sync_diff(a, NULL, &page, &(struct dht_want){0}, NULL, 0, &len),
			 -EINVAL);
	page.kind = 9;
	assert_int_equal(registry_digest(a, 9, NULL, NULL, &page), -EINVAL);
	a = registry_free(a);
	b = registry_free(b);
}

/* The audience of a peer sync in this test: node `peer` may learn the
 * private records of `owner` whose name is in `allowed` (the owner's allow
 * list), as the daemon's audience decides; `self` is the side's own node. */
struct test_aud {
	struct registry_audience aud;
	unsigned owner, peer;
	const char *allowed;
};

static bool test_may_share(void *ctx, const struct service_record *rec)
{
	const struct test_aud *t = ctx;
	struct node_id owner = id_of(t->owner);

	return node_id_is_equal(&rec->owner, &owner) && t->allowed &&
	       strcmp(rec->name, t->allowed) == 0;
}

static void aud_init(struct test_aud *t, unsigned self, unsigned peer, const char *allowed)
{
	static struct node_id ids[16];
	static unsigned at;

	memset(t, 0, sizeof(*t));
	t->owner = self;
	t->peer = peer;
	t->allowed = allowed;
	ids[at % 16] = id_of(self);
	ids[(at + 1) % 16] = id_of(peer);
	t->aud.ctx = t;
	t->aud.may_share = test_may_share;
	t->aud.self = &ids[at % 16];
	t->aud.peer = &ids[(at + 1) % 16];
	at += 2;
}

static bool has_service(const struct registry *reg, unsigned owner, const char *name)
{
	uint8_t key[SERVICE_KEY_LEN];
	struct node_id id = id_of(owner);

	service_name_key(key, name);
	return registry_find_service(reg, key, &id) != NULL;
}

/* Private service records: the owner (node 1) offers "one.db" only to a
 * peer its audience allows (node 2), never "one.hid"; node 2 holds it but
 * passes it on to nobody (node 3); a peer that holds a record it may not
 * share does not ask for it again; nobody asks for its own records back. */
static void test_sync_private(void **state)
{
	struct registry *own = reg_new(8, 8, 1), *ok = reg_new(8, 8, 1), *no = reg_new(8, 8, 1);
	struct test_aud own_to_ok, own_to_no, ok_to_own, ok_to_no, no_to_ok, no_to_own;
	struct dht_digest page;
	struct dht_want want;
	struct dht_sync_key push[8];
	uint8_t rec[512];
	size_t len, n_push;

	(void)state;
	aud_init(&own_to_ok, 1, 2, "one.db");
	aud_init(&own_to_no, 1, 3, NULL);
	aud_init(&ok_to_own, 2, 1, NULL);
	aud_init(&ok_to_no, 2, 3, NULL);
	aud_init(&no_to_ok, 3, 2, NULL);
	aud_init(&no_to_own, 3, 1, NULL);
	len = svc_rec(1, "one.db", SERVICE_VIS_PRIVATE, 5, rec);
	assert_int_equal(registry_put_service(own, rec, len, NOW, REGISTRY_F_PINNED), 0);
	len = svc_rec(1, "one.hid", SERVICE_VIS_PRIVATE, 5, rec);
	assert_int_equal(registry_put_service(own, rec, len, NOW, REGISTRY_F_PINNED), 0);
	len = svc_rec(1, "one.web", SERVICE_VIS_PUBLIC, 5, rec);
	assert_int_equal(registry_put_service(own, rec, len, NOW, REGISTRY_F_PINNED), 0);

	/* 1. The owner's digest for node 2 lists db and web, not hid. */
	assert_int_equal(registry_digest(own, DHT_SYNC_SERVICES, NULL, &own_to_ok.aud, &page), 0);
	assert_int_equal(page.n, 2);
	assert_int_equal(registry_digest(own, DHT_SYNC_SERVICES, NULL, &own_to_no.aud, &page), 0);
	assert_int_equal(page.n, 1);
	/* 2. Both directions between the owner and node 2: db and web arrive. */
	sync_pass_aud(own, &own_to_ok.aud, ok, &ok_to_own.aud, DHT_SYNC_SERVICES);
	sync_pass_aud(ok, &ok_to_own.aud, own, &own_to_ok.aud, DHT_SYNC_SERVICES);
	assert_true(has_service(ok, 1, "one.db"));
	assert_true(has_service(ok, 1, "one.web"));
	assert_false(has_service(ok, 1, "one.hid"));
	/* 3. Node 2 passes on web, never db; the owner gives node 3 web only. */
	sync_pass_aud(ok, &ok_to_no.aud, no, &no_to_ok.aud, DHT_SYNC_SERVICES);
	sync_pass_aud(no, &no_to_ok.aud, ok, &ok_to_no.aud, DHT_SYNC_SERVICES);
	sync_pass_aud(own, &own_to_no.aud, no, &no_to_own.aud, DHT_SYNC_SERVICES);
	assert_true(has_service(no, 1, "one.web"));
	assert_false(has_service(no, 1, "one.db"));
	/* 4. Node 2 holds db, which it may give to nobody but its owner: the
	 * pages of both are in sync, so neither asks for or pushes anything. */
	assert_int_equal(registry_digest(own, DHT_SYNC_SERVICES, NULL, &own_to_ok.aud, &page), 0);
	assert_int_equal(registry_sync_diff(ok, &ok_to_own.aud, &page, &want, push, 8, &n_push), 0);
	assert_int_equal(want.n, 0);
	assert_int_equal(n_push, 0);
	assert_int_equal(registry_digest(ok, DHT_SYNC_SERVICES, NULL, &ok_to_own.aud, &page), 0);
	assert_int_equal(page.n, 2);
	assert_int_equal(registry_sync_diff(own, &own_to_ok.aud, &page, &want, push, 8, &n_push),
			 0);
	assert_int_equal(want.n, 0);
	assert_int_equal(n_push, 0);
	assert_int_equal(registry_digest(ok, DHT_SYNC_SERVICES, NULL, &ok_to_no.aud, &page), 0);
	assert_int_equal(page.n, 1); /* to anyone else: web only */
	/* 5. The owner lost web (removed, restarted): node 2 offers its copy
	 * back, and the owner does not ask for its own record. */
	{
		uint8_t key[SERVICE_KEY_LEN];

		service_name_key(key, "one.web");
		assert_int_equal(registry_remove_service(own, key, idp(1)), 0);
	}
	assert_int_equal(registry_digest(ok, DHT_SYNC_SERVICES, NULL, &ok_to_own.aud, &page), 0);
	assert_int_equal(page.n, 2);
	assert_int_equal(registry_sync_diff(own, &own_to_ok.aud, &page, &want, push, 8, &n_push),
			 0);
	assert_int_equal(want.n, 0);
	assert_int_equal(registry_sync_diff(own, NULL, &page, &want, push, 8, &n_push), 0);
	assert_int_equal(want.n, 1); /* without `self`, it would ask for web back */
	/* 6. Records for a WANT follow the audience too. */
	assert_int_equal(registry_digest(own, DHT_SYNC_SERVICES, NULL, &own_to_ok.aud, &page), 0);
	{
		struct dht_value vals[8];

		assert_int_equal(registry_records(own, DHT_SYNC_SERVICES, &own_to_ok.aud, page.keys,
						  page.n, vals, 8),
				 1);
		assert_int_equal(registry_records(own, DHT_SYNC_SERVICES, &own_to_no.aud, page.keys,
						  page.n, vals, 8),
				 0);
	}
	assert_int_equal(registry_remove_services_of(own, idp(1)), 2);
	assert_int_equal(own->services.n, 0);
	own = registry_free(own);
	ok = registry_free(ok);
	no = registry_free(no);
}

static void test_contacts(void **state)
{
	struct registry *reg = reg_new(16, 4, 4);
	struct dht_contact c[16];
	uint8_t rec[512];
	size_t len, n;

	(void)state;
	for (unsigned k = 0; k < 6; k++) {
		len = node_rec(k, 1, NOW, NOW + 3600, k % 2 ? 3 : 0, rec); /* odd: 3 endpoints */
		assert_int_equal(registry_put_node(reg, rec, len, NOW + 10 - k, 0), 0);
	}
	n = registry_contacts(reg, c, 16);
	assert_int_equal(n, 3);
	for (size_t i = 0; i < n; i++) {
		struct node_id want = id_of((unsigned)(1 + 2 * i)); /* most recent first */

		assert_memory_equal(&c[i].id, &want, sizeof(want));
		assert_int_equal(c[i].n_ep, DHT_CONTACT_EP_MAX);
		assert_true(dht_contact_is_valid(&c[i]));
	}
	assert_int_equal(registry_contacts(reg, c, 2), 2);
	reg = registry_free(reg);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_sync),
	    cmocka_unit_test(test_sync_private),
	    cmocka_unit_test(test_contacts),
	};

	if (sec_init() < 0)
		return 1;
	keys_init();
	return cmocka_run_group_tests(tests, NULL, NULL);
}
