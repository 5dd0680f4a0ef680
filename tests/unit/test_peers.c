/* tests/unit/test_peers.c - configured peers: the one parser the config
 * file, peers.json and the admin API share (daemon/peer_entry.c), and the
 * peers.json store (daemon/peer_store.c): a numbered table of bad entries
 * with the field and words each must name, a save/load round trip, and a
 * corrupt file refused with its position. */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <cmocka.h>

#include "daemon/config.h"
#include "daemon/peer_entry.h"
#include "daemon/peer_store.h"
#include "lib/secure.h"

/* A valid Ed25519 key (RFC 8032 test 1) and its node ID. */
#define PK  "d75a980182b10ab7d54bfed3c964073a0ee172f3daa62325af021a68f707511a"

static const struct {
	const char *json;
	const char *field; /* the sub-field the error names ("" for the object) */
	const char *want;  /* words of the reason */
} bad[] = {
	/* 1 */ { "[]", "", "expected an object" },
	/* 2 */ { "{\"endpoint\": \"[::1]:1\"}", "", "missing field 'public_key'" },
	/* 3 */ { "{\"public_key\": \"" PK "\"}", "", "missing field 'endpoint'" },
	/* 4 */ { "{\"public_key\": \"zz\", \"endpoint\": \"[::1]:1\"}", "public_key",
		  "is not a 64-digit hex node key" },
	/* 5 */ { "{\"public_key\": \"" "ff" "ffffffffffffffffffffffffffffffffffffffffffffffffffffffffffffff"
		  "\", \"endpoint\": \"[::1]:1\"}", "public_key", "not a valid Ed25519 public key" },
	/* 6 */ { "{\"public_key\": \"" PK "\", \"endpoint\": \"1.2.3.4:1\"}", "endpoint",
		  "is not [IPV6]:PORT" },
	/* 7 */ { "{\"public_key\": \"" PK "\", \"endpoint\": \"[::]:1\"}", "endpoint",
		  "is not [IPV6]:PORT" },
	/* 8 */ { "{\"public_key\": \"" PK "\", \"endpoint\": \"[ff02::1]:1\"}", "endpoint",
		  "is not [IPV6]:PORT" },
	/* 9 */ { "{\"public_key\": \"" PK "\", \"endpoint\": \"[::1]:0\"}", "endpoint",
		  "is not [IPV6]:PORT" },
	/* 10 */ { "{\"public_key\": \"" PK "\", \"endpoint\": \"[::1]:1\", \"transport\": \"sctp\"}",
		   "transport", "is not tcp, quic or udp" },
	/* 11 */ { "{\"public_key\": \"" PK "\", \"endpoint\": \"[::1]:1\", \"x\": 1}", "x",
		   "unknown field" },
	/* 12 */ { "{\"public_key\": 5, \"endpoint\": \"[::1]:1\"}", "public_key",
		   "expected a string" },
	/* 13 */ { "{\"public_key\": \"" PK "\", \"endpoint\": \"[::1]:1\", \"node_id\": \"abc\"}",
		   "node_id", "is not a base32 node ID" },
	/* 14 */ { "{\"public_key\": \"" PK "\", \"endpoint\": \"[::1]:1\", \"node_id\": "
		   "\"aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa\"}",
		   "node_id", "does not match public_key" },
};

static void test_entry_bad(void **state)
{
	(void)state;
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		json_t *o = json_loads(bad[i].json, 0, NULL);
		struct peer_entry e;
		const char *field = NULL;
		char err[256] = "";
		int r;

		assert_non_null(o);
		r = peer_entry_from_json(o, &e, err, sizeof(err), &field);
		if (r != -EINVAL || strcmp(field, bad[i].field) != 0 || !strstr(err, bad[i].want))
			fail_msg("case %zu: r=%d field='%s' err='%s'; want field '%s' and '%s'", i + 1,
				 r, field, err, bad[i].field, bad[i].want);
		json_decref(o);
	}
}

static void test_entry_good_and_round_trip(void **state)
{
	json_t *o = json_loads("{\"public_key\": \"" PK "\", \"endpoint\": \"[fd00::2]:7700\", "
			       "\"transport\": \"udp\"}",
			       0, NULL), *again;
	struct peer_entry e, e2;
	const char *field;
	char err[256];

	(void)state;
	assert_int_equal(peer_entry_from_json(o, &e, err, sizeof(err), &field), 0);
	assert_int_equal(e.transport, 3);
	assert_int_equal(ntohs(e.ep.sin6_port), 7700);
	again = peer_entry_to_json(&e); /* carries node_id too: must parse back */
	assert_int_equal(peer_entry_from_json(again, &e2, err, sizeof(err), &field), 0);
	assert_memory_equal(&e, &e2, sizeof(e));
	json_decref(o);
	json_decref(again);
}

static void test_store(void **state)
{
	char dir[] = "/tmp/vx6-peers-XXXXXX", path[512], err[512];
	struct peer_store *ps, *back;
	struct peer_entry e = { .transport = 1 };
	struct node_id id;
	FILE *f;

	(void)state;
	assert_non_null(mkdtemp(dir));
	assert_int_equal(peer_store_load(dir, &ps, err, sizeof(err)), 0); /* no file: empty */
	assert_int_equal(ps->n, 0);
	node_pubkey_parse(e.pk, PK);
	peer_endpoint_parse("[fd00::2]:7700", &e.ep);
	assert_int_equal(peer_store_put(ps, &e), 0);
	assert_int_equal(peer_store_put(ps, &e), 1); /* same key: replaced */
	assert_int_equal(peer_store_save(ps), 0);
	assert_int_equal(peer_store_load(dir, &back, err, sizeof(err)), 0);
	assert_int_equal(back->n, 1);
	assert_memory_equal(&back->e[0], &e, sizeof(e));
	node_id_from_pubkey(&id, e.pk);
	assert_non_null(peer_store_find(back, &id));
	assert_int_equal(peer_store_del(back, &id), 0);
	assert_int_equal(peer_store_del(back, &id), -ENOENT);
	peer_store_free(back);
	peer_store_free(ps);

	/* A corrupt file is refused with the position of the bad value. */
	snprintf(path, sizeof(path), "%s/%s", dir, PEER_STORE_FILE);
	f = fopen(path, "w");
	fputs("{\"peers\": [\n  {\"public_key\": \"zz\", \"endpoint\": \"[::1]:1\"}]}", f);
	fclose(f);
	assert_int_equal(peer_store_load(dir, &ps, err, sizeof(err)), -EINVAL);
	assert_non_null(strstr(err, "peers.json:2:"));
	assert_non_null(strstr(err, "peers[0].public_key"));
	f = fopen(path, "w");
	fputs("{\"peers\": 5}", f);
	fclose(f);
	assert_int_equal(peer_store_load(dir, &ps, err, sizeof(err)), -EINVAL);
	unlink(path);
	rmdir(dir);
}

static void test_config_fields(void **state)
{
	static const struct {
		const char *text, *want;
	} cases[] = {
		{ "{\"peers\": [{\"public_key\": \"zz\", \"endpoint\": \"[::1]:1\"}]}",
		  "t.json:1:27: peers[0].public_key: 'zz' is not" },
		{ "{\"peers\": [{\"public_key\": \"" PK "\", \"endpoint\": \"[::1]:1\"}, "
		  "{\"public_key\": \"" PK "\", \"endpoint\": \"[::1]:2\"}]}",
		  "peers[1]: same public_key as peers[0]" },
		{ "{\"tun\": {\"mtu\": 1000}}", "tun.mtu: 1000 is out of range" },
		{ "{\"tun\": {\"name\": \"a b\"}}", "tun.name: 'a b' is not an interface name" },
		{ "{\"tun\": {\"enabled\": 1}}", "tun.enabled: expected true or false" },
		{ "{\"tun\": {\"bogus\": 1}}", "tun.bogus: unknown field" },
	};

	(void)state;
	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		struct daemon_config *c = NULL;
		char err[512] = "";
		int r = daemon_config_parse(cases[i].text, strlen(cases[i].text), "t.json", NULL,
					    &c, err, sizeof(err));

		if (r != -EINVAL || !strstr(err, cases[i].want))
			fail_msg("config case %zu: r=%d err='%s', want '%s'", i + 1, r, err,
				 cases[i].want);
	}
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_entry_bad),
		cmocka_unit_test(test_entry_good_and_round_trip),
		cmocka_unit_test(test_store),
		cmocka_unit_test(test_config_fields),
	};

	sec_init();
	return cmocka_run_group_tests(tests, NULL, NULL);
}
