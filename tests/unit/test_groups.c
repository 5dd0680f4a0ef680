/* tests/unit/test_groups.c - named groups of nodes (daemon/groups.c) and
 * the allow lists that name them (services_allow_expand() in
 * daemon/services_groups.c): adding and removing members and groups with
 * their caps and messages, a numbered table of bad groups.json texts (each
 * refused with its reason), the canonical JSON round trip, and the
 * expansion of an allow list (repeats, missing groups, the cap, and the
 * list that resolves to nobody).
 */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "daemon/groups.h"
#include "daemon/services.h"
#include "lib/secure.h"

static struct node_id id_of(unsigned k)
{
	uint8_t seed[32] = {0}, pk[32], sk[64];
	struct node_id id;

	seed[0] = (uint8_t)k;
	seed[1] = 0x9c;
	sec_ed25519_from_seed(pk, sk, seed);
	node_id_from_pubkey(&id, pk);
	return id;
}

static struct group_table *table_new(void)
{
	struct group_table *t = calloc(1, sizeof(*t));

	assert_non_null(t);
	return t;
}

static void test_add_remove(void **state)
{
	struct group_table *t = table_new();
	struct node_id ids[GROUP_MEMBERS_MAX + 1];
	const struct group *g;
	char err[256];

	(void)state;
	for (unsigned k = 0; k <= GROUP_MEMBERS_MAX; k++)
		ids[k] = id_of(k);
	/* 1. Create, 2. extend (a repeat is skipped), 3. a bad name. */
	assert_int_equal(group_table_add(t, "ops", ids, 2, err, sizeof(err)), 1);
	assert_int_equal(group_table_add(t, "ops", &ids[1], 2, err, sizeof(err)), 0);
	g = group_table_find(t, "ops");
	assert_non_null(g);
	assert_int_equal(g->n, 3);
	assert_true(group_has_member(g, &ids[2]));
	assert_int_equal(group_table_add(t, "Ops", ids, 1, err, sizeof(err)), -EINVAL);
	assert_string_equal(err, "name: Invalid group name 'Ops': 1..63 characters of a-z, 0-9 "
				 "and '-', not starting or ending with '-'");
	assert_int_equal(group_table_add(t, "-x", ids, 1, err, sizeof(err)), -EINVAL);
	/* 4. The member cap, with the table unchanged. */
	assert_int_equal(group_table_add(t, "ops", ids, GROUP_MEMBERS_MAX + 1, err, sizeof(err)),
			 -ENOSPC);
	assert_string_equal(err, "members: group 'ops' would have 33 members; at most 32");
	assert_int_equal(group_table_find(t, "ops")->n, 3);
	/* 5. Groups stay sorted. */
	assert_int_equal(group_table_add(t, "dev", ids, 1, err, sizeof(err)), 1);
	assert_int_equal(group_table_add(t, "zz", ids, 1, err, sizeof(err)), 1);
	assert_string_equal(t->g[0].name, "dev");
	assert_string_equal(t->g[1].name, "ops");
	assert_string_equal(t->g[2].name, "zz");
	/* 6. Remove members; one that is not a member refuses all of them. */
	assert_int_equal(group_table_remove(t, "ops", &ids[3], 1, err, sizeof(err)), -ENOENT);
	assert_true(strstr(err, "is not in group 'ops'") != NULL);
	assert_int_equal(group_table_remove(t, "ops", ids, 2, err, sizeof(err)), 0);
	g = group_table_find(t, "ops");
	assert_int_equal(g->n, 1);
	assert_true(node_id_is_equal(&g->members[0], &ids[2]));
	/* 7. The last member goes; the empty group stays. */
	assert_int_equal(group_table_remove(t, "ops", &ids[2], 1, err, sizeof(err)), 0);
	assert_int_equal(group_table_find(t, "ops")->n, 0);
	/* 8. The whole group; then it is gone. */
	assert_int_equal(group_table_remove(t, "ops", NULL, 0, err, sizeof(err)), 0);
	assert_null(group_table_find(t, "ops"));
	assert_int_equal(group_table_remove(t, "ops", NULL, 0, err, sizeof(err)), -ENOENT);
	assert_string_equal(err, "no group 'ops'");
	/* 9. The group cap. */
	for (unsigned k = t->n; k < GROUPS_MAX; k++) {
		char name[16];

		snprintf(name, sizeof(name), "g%u", k);
		assert_int_equal(group_table_add(t, name, ids, 1, err, sizeof(err)), 1);
	}
	assert_int_equal(group_table_add(t, "one-more", ids, 1, err, sizeof(err)), -ENOSPC);
	assert_int_equal(t->n, GROUPS_MAX);
	free(t);
}

static void test_parse_bad(void **state)
{
	static const struct {
		unsigned no;
		const char *text;
		const char *msg; /* start of the message */
	} bad[] = {
	    {1, "", "1:0: "},
	    {2, "{\"groups\": [", "1:"},
	    {3, "[]", "1:1: "},
	    {4, "{\"groups\": {}}", "1:1: expected {\"groups\": [...]}"},
	    {5, "{\"groups\": [], \"x\": 1}", "1:1: expected {\"groups\": [...]}"},
	    {6, "{\"groups\": [1]}", "groups[0]: expected"},
	    {7, "{\"groups\": [{\"name\": \"ops\", \"members\": [], \"x\": 1}]}",
	     "groups[0].x: unknown field"},
	    {8, "{\"groups\": [{\"name\": \"Ops\", \"members\": []}]}", "groups[0].name: "},
	    {9, "{\"groups\": [{\"members\": []}]}", "groups[0].name: "},
	    {10, "{\"groups\": [{\"name\": \"ops\"}]}", "groups[0].members: expected"},
	    {11, "{\"groups\": [{\"name\": \"ops\", \"members\": [\"zz\"]}]}",
	     "groups[0].members[0]: 'zz' is not a node ID"},
	    {12, "{\"groups\": [{\"name\": \"ops\", \"members\": [7]}]}",
	     "groups[0].members[0]: ''"},
	    {13,
	     "{\"groups\": [{\"name\": \"a\", \"members\": []}, {\"name\": \"a\", \"members\": "
	     "[]}]}",
	     "groups[1].name: 'a' is a duplicate"},
	    {14, "{\"groups\": [], \"groups\": []}", "1:"},
	    {15, "{\"groups\": []} x", "1:"},
	};
	struct group_table *t = table_new();
	char err[256], text[8192];
	size_t len;

	(void)state;
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		t->n = 7; /* untouched on failure */
		if (group_table_parse(t, bad[i].text, strlen(bad[i].text), err, sizeof(err)) !=
			-EINVAL ||
		    strncmp(err, bad[i].msg, strlen(bad[i].msg)) != 0 || t->n != 7)
			fail_msg("case %u: '%s'", bad[i].no, err);
	}
	/* 16. A member listed twice, 17. more than 32 members, 18. more than
	 * 64 groups, 19. larger than the file cap. */
	{
		char a[NODE_ID_STR_LEN + 1];
		struct node_id id = id_of(1);

		node_id_to_str(&id, a);
		snprintf(text, sizeof(text),
			 "{\"groups\": [{\"name\": \"a\", \"members\": [\"%s\", \"%s\"]}]}", a, a);
		assert_int_equal(group_table_parse(t, text, strlen(text), err, sizeof(err)),
				 -EINVAL);
		assert_true(strstr(err, "groups[0].members[1]: ") && strstr(err, "listed twice"));
	}
	len =
	    (size_t)snprintf(text, sizeof(text), "{\"groups\": [{\"name\": \"a\", \"members\": [");
	for (unsigned k = 0; k <= GROUP_MEMBERS_MAX; k++) {
		char a[NODE_ID_STR_LEN + 1];
		struct node_id id = id_of(k);

		node_id_to_str(&id, a);
		len +=
		    (size_t)snprintf(text + len, sizeof(text) - len, "%s\"%s\"", k ? "," : "", a);
	}
	len += (size_t)snprintf(text + len, sizeof(text) - len, "]}]}");
	assert_int_equal(group_table_parse(t, text, len, err, sizeof(err)), -EINVAL);
	assert_string_equal(err, "groups[0].members: more than 32 members");
	len = (size_t)snprintf(text, sizeof(text), "{\"groups\": [");
	for (unsigned k = 0; k <= GROUPS_MAX; k++)
		len += (size_t)snprintf(text + len, sizeof(text) - len,
					"%s{\"name\": \"g%u\", \"members\": []}", k ? "," : "", k);
	len += (size_t)snprintf(text + len, sizeof(text) - len, "]}");
	assert_int_equal(group_table_parse(t, text, len, err, sizeof(err)), -EINVAL);
	assert_string_equal(err, "groups: more than 64 groups");
	{
		char *big = malloc(GROUPS_FILE_MAX + 2);

		assert_non_null(big);
		memset(big, ' ', GROUPS_FILE_MAX + 1);
		big[GROUPS_FILE_MAX + 1] = '\0';
		assert_int_equal(group_table_parse(t, big, GROUPS_FILE_MAX + 1, err, sizeof(err)),
				 -EINVAL);
		assert_string_equal(err, "1:1: larger than 262144 bytes");
		free(big);
	}
	free(t);
}

/* Bad /api/v1/groups bodies (POST) and ?members= lists (DELETE) are refused
 * with the field at fault first, and nothing is written. */
static void test_request_bad(void **state)
{
	static const struct {
		unsigned no;
		const char *text; /* a body if it starts with '{' or '[', else a list */
		const char *msg;  /* start of the message */
	} bad[] = {
	    {1, "[]", "expected a JSON object"},
	    {2, "{\"name\": \"ops\", \"members\": [\"x\"], \"z\": 1}", "z: unknown field"},
	    {3, "{\"members\": [\"x\"]}", "name: missing"},
	    {4, "{\"name\": 7, \"members\": [\"x\"]}", "name: missing"},
	    {5, "{\"name\": \"ops\"}", "members: expected an array of 1 to 32"},
	    {6, "{\"name\": \"ops\", \"members\": []}", "members: expected an array of 1 to 32"},
	    {7, "{\"name\": \"ops\", \"members\": [\"zz\"]}", "members[0]: 'zz' is not a node ID"},
	    {8, "{\"name\": \"ops\", \"members\": [null]}", "members[0]: ''"},
	    {9, "zz", "members[0]: 'zz' is not a node ID"},
	    {10, ",", "members[0]: '' is not"},
	    {11, "", "members[0]: '' is not"},
	};
	struct node_id ids[GROUP_MEMBERS_MAX];
	char err[256];

	(void)state;
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		const char *name = NULL;
		unsigned n = 99;
		int r;

		err[0] = '\0';
		if (bad[i].text[0] == '{' || bad[i].text[0] == '[') {
			json_t *o = json_loads(bad[i].text, 0, NULL);

			assert_non_null(o);
			r = group_request_from_json(o, &name, ids, &n, err, sizeof(err));
			json_decref(o);
		} else {
			r = group_members_parse_list(bad[i].text, ids, &n, err, sizeof(err));
		}
		if (r != -EINVAL || strncmp(err, bad[i].msg, strlen(bad[i].msg)) != 0 || n != 99 ||
		    name)
			fail_msg("case %u: %d '%s'", bad[i].no, r, err);
	}
}

/* A file in any group order, with keys as members, reads back sorted and
 * with node IDs; its JSON form parses to the same table and formats to the
 * same text. */
static void test_roundtrip(void **state)
{
	struct group_table *t = table_new(), *t2 = table_new();
	char text[2048], err[256], pk[NODE_PK_STR_LEN + 1];
	uint8_t seed[32] = {0}, pkb[32], sk[64];
	struct node_id id;
	json_t *o;
	char *a, *b;

	(void)state;
	seed[0] = 5;
	seed[1] = 0x9c;
	sec_ed25519_from_seed(pkb, sk, seed);
	node_pubkey_to_str(pkb, pk);
	snprintf(text, sizeof(text),
		 "{\"groups\": [{\"name\": \"zeta\", \"members\": [\"%s\"]},"
		 " {\"name\": \"alpha\", \"members\": []}]}",
		 pk);
	assert_int_equal(group_table_parse(t, text, strlen(text), err, sizeof(err)), 0);
	assert_int_equal(t->n, 2);
	assert_string_equal(t->g[0].name, "alpha");
	id = id_of(5);
	assert_true(group_has_member(group_table_find(t, "zeta"), &id));
	o = group_table_to_json(t);
	a = json_dumps(o, JSON_INDENT(2));
	json_decref(o);
	assert_int_equal(group_table_parse(t2, a, strlen(a), err, sizeof(err)), 0);
	assert_memory_equal(t, t2, sizeof(*t));
	o = group_table_to_json(t2);
	b = json_dumps(o, JSON_INDENT(2));
	json_decref(o);
	assert_string_equal(a, b);
	free(a);
	free(b);
	free(t);
	free(t2);
}

static void test_expand(void **state)
{
	struct group_table *t = table_new();
	struct services_def def;
	struct svc_service out;
	struct node_id ids[40];
	char err[256];

	(void)state;
	for (unsigned k = 0; k < 40; k++)
		ids[k] = id_of(k);
	memset(&def, 0, sizeof(def));
	snprintf(def.svc.name, sizeof(def.svc.name), "ssh");
	/* 1. Nothing named: empty and unrestricted, which the manager reads
	 * as any node. */
	assert_int_equal(services_allow_expand(&def, t, &out), 0);
	assert_int_equal(out.n_allow, 0);
	assert_false(out.restricted);
	/* 2. A group that does not exist: nobody (empty, restricted). */
	snprintf(def.groups[def.n_groups++], sizeof(def.groups[0]), "ops");
	assert_int_equal(services_allow_expand(&def, t, &out), 0);
	assert_int_equal(out.n_allow, 0);
	assert_true(out.restricted);
	/* 3. An empty group: nobody too. */
	assert_int_equal(group_table_add(t, "ops", ids, 1, err, sizeof(err)), 1);
	assert_int_equal(group_table_remove(t, "ops", ids, 1, err, sizeof(err)), 0);
	assert_int_equal(services_allow_expand(&def, t, &out), 0);
	assert_true(out.n_allow == 0 && out.restricted);
	/* 4. Nodes and members, each once. */
	def.svc.allow[def.svc.n_allow++] = ids[0];
	assert_int_equal(group_table_add(t, "ops", ids, 3, err, sizeof(err)), 0);
	assert_int_equal(services_allow_expand(&def, t, &out), 0);
	assert_int_equal(out.n_allow, 3);
	for (unsigned k = 0; k < 3; k++)
		assert_true(node_id_is_equal(&out.allow[k], &ids[k]));
	/* 5. Two groups giving 33 distinct nodes: over the cap. */
	assert_int_equal(group_table_add(t, "dev", &ids[3], 30, err, sizeof(err)), 1);
	snprintf(def.groups[def.n_groups++], sizeof(def.groups[0]), "dev");
	assert_int_equal(services_allow_expand(&def, t, &out), -E2BIG);
	/* 6. 32 exactly is fine. */
	assert_int_equal(group_table_remove(t, "dev", &ids[3], 1, err, sizeof(err)), 0);
	assert_int_equal(services_allow_expand(&def, t, &out), 0);
	assert_int_equal(out.n_allow, 32);
	free(t);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_add_remove),	cmocka_unit_test(test_parse_bad),
	    cmocka_unit_test(test_request_bad), cmocka_unit_test(test_roundtrip),
	    cmocka_unit_test(test_expand),
	};

	if (sec_init() < 0)
		return 1;
	return cmocka_run_group_tests(tests, NULL, NULL);
}
