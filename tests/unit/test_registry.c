/* tests/unit/test_registry.c - discovery/registry*.c: the persistent local
 * registry. The admission rules (a numbered table), caps and eviction
 * order, services and aliases, the save/load round trip, a numbered table
 * of corrupt files (each refused with its reason, nothing kept), kill -9
 * during saves. Peer sync and bootstrap contacts: test_registry_sync.c.
 */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>

#include <arpa/inet.h>
#include <errno.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "discovery/registry_internal.h"
#include "lib/fs.h"
#include "lib/secure.h"
#include "lib/wire.h"

#include "registry_test.h"

#define SUM_LABEL "vx6 registry checksum v1" /* docs/discovery.md */

static char dir[64];

/* ---- admission ------------------------------------------------------------- */

/* The record each numbered case of test_put_rules() offers. */
static size_t put_case_record(int n, uint8_t *b)
{
	size_t len = 0;

	switch (n) {
	case 1:
	case 2:
		len = node_simple(0, 5, b);
		break;
	case 3:
		len = node_simple(0, 6, b);
		break;
	case 4:
		len = node_simple(0, 4, b);
		break;
	case 5:
		len = node_rec(0, 6, NOW, NOW + 60, 0, b);
		break;
	case 6:
		len = node_simple(1, 1, b);
		b[len - 3] ^= 0x10;
		break;
	case 7:
		len = node_rec(1, 1, NOW - 100, NOW - 1, 0, b);
		break;
	case 8:
		len = node_rec(1, 1, NOW + 301, NOW + 600, 0, b);
		break;
	case 9:
		memset(b, 0x01, 200);
		len = 200;
		break;
	case 10:
	case 11:
		len = svc_rec(2, "two.ssh", SERVICE_VIS_PUBLIC, 1, b);
		break;
	case 12:
		len = svc_rec(2, "two.hide", SERVICE_VIS_HIDDEN, 1, b);
		break;
	case 13:
		len = node_simple(3, 1, b);
		break;
	}
	return len;
}

static void test_put_rules(void **state)
{
	enum { NODE, SVC, ANY };
	static const struct {
		int n;
		const char *what;
		int via;
		int want;
	} cases[] = {
	    {1, "valid node record", NODE, 0},
	    {2, "the same bytes again", NODE, -EALREADY},
	    {3, "higher sequence", NODE, 0},
	    {4, "lower sequence", NODE, -ESTALE},
	    {5, "equal sequence, other bytes", NODE, -ESTALE},
	    {6, "forged signature", NODE, -EBADMSG},
	    {7, "expired", NODE, -ETIME},
	    {8, "issued too far ahead", NODE, -EINVAL},
	    {9, "garbage", ANY, -EBADMSG},
	    {10, "service record through put_node", NODE, -EBADMSG},
	    {11, "public service through put", ANY, 0},
	    {12, "hidden service (kept locally)", SVC, 0},
	    {13, "node record through put_service", SVC, -EBADMSG},
	    {14, "empty", ANY, -EBADMSG},
	};
	struct registry *reg = reg_new(16, 16, 4);
	struct registry_stats st;
	uint8_t b[512];

	(void)state;
	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		size_t len;
		int got;

		assert_int_equal(cases[i].n, (int)i + 1);
		len = put_case_record(cases[i].n, b);
		if (cases[i].via == NODE)
			got = registry_put_node(reg, b, len, NOW, 0);
		else if (cases[i].via == SVC)
			got = registry_put_service(reg, b, len, NOW, 0);
		else
			got = registry_put(reg, b, len, NOW, 0);
		if (got != cases[i].want)
			fail_msg("case %d (%s): %d, want %d", cases[i].n, cases[i].what, got,
				 cases[i].want);
	}
	registry_get_stats(reg, &st);
	assert_int_equal(st.nodes, 1);
	assert_int_equal(st.services, 2);
	assert_int_equal(st.stored, 3);
	assert_int_equal(st.replaced, 1);
	assert_int_equal(st.refused, 9);
	assert_int_equal(registry_find_node(reg, idp(0))->seq, 6);
	reg = registry_free(reg);
}

static void test_caps_eviction(void **state)
{
	struct registry *reg = reg_new(4, 4, 4);
	struct registry_stats st;
	uint8_t b[512];
	size_t len;

	(void)state;
	/* Seen at NOW+0..3; node 1 pinned; node 2 expires early. */
	for (unsigned k = 0; k < 4; k++) {
		len = k == 2 ? node_rec(k, 1, NOW, NOW + 100, 1, b) : node_simple(k, 1, b);
		assert_int_equal(
		    registry_put_node(reg, b, len, NOW + k, k == 1 ? REGISTRY_F_PINNED : 0), 0);
	}
	/* Full: at NOW+200 the expired node 2 goes first, not the LRU node 0. */
	len = node_rec(4, 1, NOW + 200, NOW + 3600, 1, b);
	assert_int_equal(registry_put_node(reg, b, len, NOW + 200, 0), 0);
	assert_null(registry_find_node(reg, idp(2)));
	/* Then the least recently seen unpinned: node 0 (node 1 is pinned
	 * though older than node 3). */
	assert_int_equal(registry_touch_node(reg, idp(3), NOW + 201), 0);
	len = node_rec(5, 1, NOW + 200, NOW + 3600, 1, b);
	assert_int_equal(registry_put_node(reg, b, len, NOW + 202, 0), 0);
	assert_null(registry_find_node(reg, idp(0)));
	assert_non_null(registry_find_node(reg, idp(1)));
	/* Pin everything: a newcomer is refused. */
	for (unsigned k = 3; k <= 5; k++)
		assert_int_equal(registry_pin_node(reg, idp(k), true), 0);
	len = node_rec(6, 1, NOW + 200, NOW + 3600, 1, b);
	assert_int_equal(registry_put_node(reg, b, len, NOW + 203, 0), -ENOSPC);
	/* A higher sequence replaces a pinned record and keeps the pin. */
	len = node_rec(1, 2, NOW + 200, NOW + 3600, 1, b);
	assert_int_equal(registry_put_node(reg, b, len, NOW + 204, 0), 0);
	assert_int_equal(registry_pin_node(reg, idp(6), true), -ENOENT);
	assert_int_equal(registry_find_node(reg, idp(1))->seq, 2);
	assert_int_equal(registry_put_node(reg, b, len, NOW + 205, 0), -EALREADY);
	registry_get_stats(reg, &st);
	assert_int_equal(st.nodes, 4);
	assert_int_equal(st.evicted, 2);
	/* Expiry, removal. */
	assert_int_equal(registry_expire(reg, NOW + 3600), 4);
	assert_int_equal(registry_remove_node(reg, idp(1)), -ENOENT);
	reg = registry_free(reg);
}

static void test_services_aliases(void **state)
{
	struct registry *reg = reg_new(4, 8, 3);
	const struct service_record *found[4];
	uint8_t b[512], key[32], got[32];
	struct node_id owner;
	size_t len;

	(void)state;
	for (unsigned k = 0; k < 3; k++) {
		len = svc_rec(k, "team.db", SERVICE_VIS_PUBLIC, 1, b);
		assert_int_equal(registry_put_service(reg, b, len, NOW, 0), 0);
	}
	len = svc_rec(0, "team.web", SERVICE_VIS_PUBLIC, 1, b);
	assert_int_equal(registry_put_service(reg, b, len, NOW, 0), 0);
	service_name_key(key, "team.db");
	assert_int_equal(registry_find_services(reg, key, found, 4), 3);
	assert_int_equal(registry_find_services(reg, key, found, 2), 2);
	owner = id_of(1);
	assert_non_null(registry_find_service(reg, key, &owner));
	assert_int_equal(registry_remove_service(reg, key, &owner), 0);
	assert_null(registry_find_service(reg, key, &owner));
	assert_int_equal(registry_find_services(reg, key, found, 4), 2);

	assert_int_equal(registry_alias_set(reg, "secret-db", key), 0);
	assert_int_equal(registry_alias_get(reg, "secret-db", got), 0);
	assert_memory_equal(got, key, 32);
	service_name_key(key, "team.web");
	assert_int_equal(registry_alias_set(reg, "secret-db", key), 0); /* replaces */
	assert_int_equal(registry_alias_get(reg, "secret-db", got), 0);
	assert_memory_equal(got, key, 32);
	assert_int_equal(registry_alias_set(reg, "a", key), 0);
	assert_int_equal(registry_alias_set(reg, "b", key), 0);
	assert_int_equal(registry_alias_set(reg, "c", key), -ENOSPC);
	assert_int_equal(registry_alias_set(reg, "Bad", key), -EINVAL);
	assert_int_equal(registry_alias_set(reg, "-x", key), -EINVAL);
	assert_int_equal(registry_alias_get(reg, "nope", got), -ENOENT);
	assert_int_equal(registry_alias_remove(reg, "a"), 0);
	assert_int_equal(registry_alias_remove(reg, "a"), -ENOENT);
	assert_int_equal(registry_alias_set(reg, "c", key), 0);
	reg = registry_free(reg);
}

/* ---- persistence ------------------------------------------------------------ */

static void path_of(char *out, size_t cap, const char *name)
{
	assert_int_equal(fs_path_join(out, cap, dir, name), 0);
}

static struct registry *filled(void)
{
	struct registry *reg = reg_new(64, 64, 8);
	uint8_t b[512], key[32];
	size_t len;

	for (unsigned k = 0; k < 40; k++) {
		len = node_rec(k, 1 + k, NOW, NOW + 3600, k % 3, b);
		assert_int_equal(
		    registry_put_node(reg, b, len, NOW + k, k % 5 ? 0 : REGISTRY_F_PINNED), 0);
	}
	for (unsigned k = 0; k < 20; k++) {
		char name[32];

		snprintf(name, sizeof(name), "n%u.svc%u", k, k % 4);
		len = svc_rec(k, name, (uint8_t)(1 + k % 3), 7, b);
		assert_int_equal(registry_put_service(reg, b, len, NOW, 0), 0);
	}
	service_name_key(key, "n1.svc1");
	assert_int_equal(registry_alias_set(reg, "zeta", key), 0);
	assert_int_equal(registry_alias_set(reg, "alpha", key), 0);
	return reg;
}

static void test_save_load(void **state)
{
	struct registry *reg = filled(), *back = reg_new(64, 64, 8);
	char path[256], err[160];
	struct stat st;
	size_t expired = 99;
	uint8_t key[32];
	struct node_id id;

	(void)state;
	path_of(path, sizeof(path), "registry.bin");
	assert_true(registry_is_dirty(reg));
	assert_int_equal(registry_save(reg, path), 0);
	assert_false(registry_is_dirty(reg));
	assert_int_equal(stat(path, &st), 0);
	assert_int_equal(st.st_mode & 0777, 0600);
	assert_int_equal(registry_load(back, path, NOW, &expired, err, sizeof(err)), 0);
	assert_int_equal(expired, 0);
	assert_false(registry_is_dirty(back));
	assert_same(reg, back);
	for (unsigned k = 0; k < 40; k++) {
		const struct reg_entry *a, *b;

		id = id_of(k);
		assert_memory_equal(registry_find_node(back, &id), registry_find_node(reg, &id),
				    sizeof(struct node_record));
		a = reg->nodes.e[k];
		b = back->nodes.e[k];
		assert_int_equal(a->flags, b->flags);
		assert_int_equal(a->last_seen_s, b->last_seen_s);
	}
	assert_int_equal(registry_alias_get(back, "zeta", key), 0);
	assert_int_equal(registry_load(back, path, NOW, NULL, err, sizeof(err)), -EBUSY);
	/* Later, some records have expired: dropped, counted, dirty. */
	back = registry_free(back);
	back = reg_new(64, 64, 8);
	assert_int_equal(registry_load(back, path, NOW + 3600, &expired, err, sizeof(err)), 0);
	assert_int_equal(expired, 60);
	assert_true(registry_is_dirty(back));
	back = registry_free(back);
	back = reg_new(64, 64, 8);
	path_of(path, sizeof(path), "missing.bin");
	assert_int_equal(registry_load(back, path, NOW, NULL, err, sizeof(err)), -ENOENT);
	back = registry_free(back);
	reg = registry_free(reg);
}

/* Write `len` bytes of `body` followed by their checksum. */
static void write_summed(const char *path, uint8_t *body, size_t len)
{
	sec_hash256(body + len, SUM_LABEL, body, len);
	assert_int_equal(fs_write_atomic(path, body, len + 32, 0600), 0);
}

/* A saved registry of three same-length node records and one alias. */
static struct {
	uint8_t good[65536], b[65536];
	size_t glen, rlen; /* file length; one node entry's length */
	char path[256], bad[256];
} cf;

#define CF_OFF1 28 /* the first entry: after magic and three counts */

static void corrupt_setup(void)
{
	struct registry *reg = reg_new(8, 8, 4);
	uint8_t rec[512], key[32], *buf;
	size_t len;

	for (unsigned k = 0; k < 3; k++) {
		len = node_rec(k, 1, NOW, NOW + 3600, 0, rec);
		assert_int_equal(registry_put_node(reg, rec, len, NOW, 0), 0);
	}
	service_name_key(key, "x.y");
	assert_int_equal(registry_alias_set(reg, "alias", key), 0);
	path_of(cf.path, sizeof(cf.path), "good.bin");
	path_of(cf.bad, sizeof(cf.bad), "bad.bin");
	assert_int_equal(registry_save(reg, cf.path), 0);
	assert_int_equal(fs_read_file(cf.path, sizeof(cf.good), &buf, &cf.glen), 0);
	memcpy(cf.good, buf, cf.glen);
	free(buf);
	cf.rlen = 11 + node_rec(0, 1, NOW, NOW + 3600, 0, rec);
	reg = registry_free(reg);
}

/* Write the bad file of case `n`: cases 1-3 break the checksum, later
 * ones change the body and carry a good checksum. */
static void corrupt_case(int n)
{
	uint8_t *b = cf.b;
	size_t blen = cf.glen - 32; /* body without checksum */

	memcpy(b, cf.good, cf.glen);
	switch (n) {
	case 1:
		assert_int_equal(fs_write_atomic(cf.bad, b, 10, 0600), 0);
		return;
	case 2:
		b[40] ^= 1;
		assert_int_equal(fs_write_atomic(cf.bad, b, cf.glen, 0600), 0);
		return;
	case 3:
		assert_int_equal(fs_write_atomic(cf.bad, b, cf.glen - 1, 0600), 0);
		return;
	case 4:
		b[0] = 'X';
		break;
	case 5:
		wire_store_u32(b + 16, 9);
		break;
	case 6:
		wire_store_u32(b + 16, 4);
		break;
	case 7:
		wire_store_u32(b + 16, 2);
		wire_store_u32(b + 20, 1); /* the third node read as a service */
		break;
	case 8:
		b[CF_OFF1] = 0x80;
		break;
	case 9:
		b[CF_OFF1 + cf.rlen - 5] ^= 0x01;
		break;
	case 10:
		memcpy(b + CF_OFF1, cf.good + CF_OFF1 + cf.rlen, cf.rlen);
		memcpy(b + CF_OFF1 + cf.rlen, cf.good + CF_OFF1, cf.rlen);
		break;
	case 11:
		b[blen++] = 0;
		break;
	case 12:
		b[blen - 32 - 5] = 'A'; /* inside "alias" */
		break;
	}
	write_summed(cf.bad, b, blen);
}

static void test_load_corrupt(void **state)
{
	static const struct {
		int n;
		const char *what, *reason;
	} cases[] = {
	    {1, "truncated to 10 bytes", "truncated"},
	    {2, "one body byte flipped", "checksum mismatch"},
	    {3, "last byte cut", "checksum mismatch"},
	    {4, "bad magic, good checksum", "bad magic"},
	    {5, "node count over the limit", "over the limits"},
	    {6, "node count one too high", "node record 3: truncated"},
	    {7, "node count one too low", "service record 0: does not decode"},
	    {8, "unknown entry flags", "unknown flags"},
	    {9, "forged record signature", "does not decode or verify"},
	    {10, "two records swapped", "out of order"},
	    {11, "trailing byte", "after the last entry"},
	    {12, "alias with a bad name", "bad name"},
	};
	struct registry *back;
	char err[200];

	(void)state;
	corrupt_setup();
	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		int got;

		assert_int_equal(cases[i].n, (int)i + 1);
		corrupt_case(cases[i].n);
		back = reg_new(8, 8, 4);
		got = registry_load(back, cf.bad, NOW, NULL, err, sizeof(err));
		if (got != -EINVAL || !strstr(err, cases[i].reason))
			fail_msg("case %d (%s): %d '%s'", cases[i].n, cases[i].what, got, err);
		assert_int_equal(back->nodes.n + back->services.n + back->n_aliases, 0);
		back = registry_free(back);
	}
	/* The good file loads; a registry with lower limits refuses it. */
	back = reg_new(8, 8, 4);
	assert_int_equal(registry_load(back, cf.path, NOW, NULL, err, sizeof(err)), 0);
	back = registry_free(back);
	back = reg_new(2, 8, 4);
	assert_int_equal(registry_load(back, cf.path, NOW, NULL, err, sizeof(err)), -EINVAL);
	assert_non_null(strstr(err, "over the limits"));
	back = registry_free(back);
}

/* kill -9 a process in the middle of saving, many times: the file always
 * loads, holding one of the registries that was being saved. */
static void test_kill9(void **state)
{
	char path[256], err[200];
	uint8_t rec[512];
	int loaded = 0;

	(void)state;
	path_of(path, sizeof(path), "k9.bin");
	for (int round = 0; round < 8; round++) {
		struct registry *back;
		struct timespec ts = {0, 2000000 + 700000 * round};
		pid_t pid = fork();
		int status;

		assert_true(pid >= 0);
		if (pid == 0) {
			struct registry *reg = reg_new(64, 8, 4);

			for (unsigned k = 0;; k = (k + 1) % 64) {
				size_t len = node_simple(k, 1 + (unsigned)round, rec);

				registry_put_node(reg, rec, len, NOW, 0);
				if (registry_save(reg, path) < 0)
					_exit(3);
			}
		}
		nanosleep(&ts, NULL);
		kill(pid, SIGKILL);
		assert_int_equal(waitpid(pid, &status, 0), pid);
		assert_true(WIFSIGNALED(status));
		back = reg_new(64, 8, 4);
		if (access(path, F_OK) == 0) {
			if (registry_load(back, path, NOW, NULL, err, sizeof(err)) != 0)
				fail_msg("round %d: %s", round, err);
			loaded++;
		}
		back = registry_free(back);
	}
	assert_true(loaded >= 4); /* the children did get to save */
}

static int setup(void **state)
{
	(void)state;
	snprintf(dir, sizeof(dir), "/tmp/vx6-test-registry-XXXXXX");
	return mkdtemp(dir) ? 0 : -1;
}

static int teardown(void **state)
{
	char cmd[128];

	(void)state;
	snprintf(cmd, sizeof(cmd), "rm -rf '%s'", dir);
	return system(cmd) == 0 ? 0 : -1;
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_put_rules),	     cmocka_unit_test(test_caps_eviction),
	    cmocka_unit_test(test_services_aliases), cmocka_unit_test(test_save_load),
	    cmocka_unit_test(test_load_corrupt),     cmocka_unit_test(test_kill9),
	};

	if (sec_init() < 0)
		return 1;
	keys_init();
	return cmocka_run_group_tests(tests, setup, teardown);
}
