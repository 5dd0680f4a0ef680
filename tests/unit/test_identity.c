/* tests/unit/test_identity.c - identity/: node ID, overlay address, and the
 * identity files in the state directory (docs/wire.md §1).
 *
 * Known answers come from tests/vectors/identity.json, computed by
 * tests/vectors/gen_identity.py independently of this code. File tests run
 * in a fresh mkdtemp() directory each, removed afterwards.
 */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>

#include "vectors.h"

#include <arpa/inet.h>
#include <errno.h>
#include <ftw.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <jansson.h>

#include "identity/identity.h"
#include "identity/node_id.h"
#include "identity/overlay_addr.h"
#include "lib/encode.h"
#include "lib/fs.h"
#include "lib/secure.h"

#include "record_test.h"

/* ---- helpers ---------------------------------------------------------- */

static const char *jstr(const json_t *obj, const char *key)
{
	const char *s = json_string_value(json_object_get(obj, key));

	if (!s)
		fail_msg("vector field '%s' missing", key);
	return s;
}

static int rm_one(const char *path, const struct stat *st, int flag, struct FTW *ftw)
{
	(void)st;
	(void)flag;
	(void)ftw;
	return remove(path);
}

static int tmpdir_setup(void **state)
{
	char *dir = strdup("/tmp/vx6-test-identity-XXXXXX");

	if (!dir || !mkdtemp(dir))
		return -1;
	*state = dir;
	return 0;
}

static int tmpdir_teardown(void **state)
{
	nftw(*state, rm_one, 16, FTW_DEPTH | FTW_PHYS);
	free(*state);
	return 0;
}

static void path_in(char *out, const char *dir, const char *name)
{
	assert_int_equal(fs_path_join(out, PATH_MAX, dir, name), 0);
}

static mode_t mode_of(const char *path)
{
	struct stat st;

	assert_int_equal(stat(path, &st), 0);
	return st.st_mode & 07777;
}

static void write_text(const char *path, const char *text, mode_t mode)
{
	assert_int_equal(fs_write_atomic(path, text, strlen(text), mode), 0);
}

/* ---- known answers ---------------------------------------------------- */

static void check_address(const json_t *a, const struct node_id *id, int n)
{
	struct overlay_net net, other;
	struct in6_addr want, got, prefix;
	uint8_t gid[OVERLAY_GLOBAL_ID_LEN];

	assert_int_equal(overlay_net_init(&net, jstr(a, "network")), 0);
	assert_string_equal(net.name, jstr(a, "network"));
	assert_int_equal(hex_decode(gid, sizeof(gid), jstr(a, "global_id")), 0);
	if (memcmp(gid, net.global_id, sizeof(gid)) != 0)
		fail_msg("case %d network '%s': global id differs", n, net.name);
	assert_int_equal(inet_pton(AF_INET6, jstr(a, "overlay_address"), &want), 1);
	overlay_addr_of(&net, id, &got);
	if (memcmp(&want, &got, sizeof(want)) != 0)
		fail_msg("case %d network '%s': overlay address differs", n, net.name);
	assert_true(overlay_addr_is_of(&net, id, &got));
	assert_true(overlay_net_contains(&net, &got));
	overlay_net_prefix(&net, &prefix);
	assert_memory_equal(prefix.s6_addr, got.s6_addr, 6);
	for (int i = 6; i < 16; i++)
		assert_int_equal(prefix.s6_addr[i], 0);
	/* The same node in another network is outside this one. */
	assert_int_equal(overlay_net_init(&other, strcmp(net.name, "zz") ? "zz" : "zy"), 0);
	overlay_addr_of(&other, id, &got);
	assert_false(overlay_net_contains(&net, &got));
	assert_false(overlay_addr_is_of(&net, id, &got));
}

static void test_vectors(void **state)
{
	json_t *root = vectors_load("VX6_VECTORS", "tests/vectors", "identity.json"), *c, *a;
	size_t i, j;

	(void)state;
	assert_true(json_array_size(json_object_get(root, "cases")) >= 5);
	json_array_foreach(json_object_get(root, "cases"), i, c)
	{
		int n = (int)json_integer_value(json_object_get(c, "case"));
		uint8_t seed[32], pk[32], sk[64], pk2[32];
		char pks[NODE_PK_STR_LEN + 1], ids[NODE_ID_STR_LEN + 1];
		struct node_id id, id2;

		assert_int_equal(n, (int)i + 1); /* numbered, in order */
		assert_int_equal(hex_decode(seed, 32, jstr(c, "seed")), 0);
		sec_ed25519_from_seed(pk, sk, seed);
		node_pubkey_to_str(pk, pks);
		if (strcmp(pks, jstr(c, "public_key")) != 0)
			fail_msg("case %d: public key %s, want %s", n, pks, jstr(c, "public_key"));
		node_id_from_pubkey(&id, pk);
		node_id_to_str(&id, ids);
		if (strcmp(ids, jstr(c, "node_id")) != 0)
			fail_msg("case %d: node id %s, want %s", n, ids, jstr(c, "node_id"));
		assert_int_equal(node_id_parse(&id2, ids), 0);
		assert_true(node_id_is_equal(&id, &id2));
		assert_int_equal(node_pubkey_parse(pk2, pks), 0);
		assert_memory_equal(pk, pk2, 32);
		json_array_foreach(json_object_get(c, "addresses"), j, a) check_address(a, &id, n);
	}
	json_decref(root);
}

/* ---- text forms ------------------------------------------------------- */

static void test_node_id_text(void **state)
{
	static const char good[] = "pbe2ymcjnaf6d33wf37a2nxac4z4grsowdd4kwatrlhsjozghpjq";
	struct node_id id, id2, keep;
	char buf[NODE_ID_STR_LEN + 1], fp[9];
	uint8_t pk[32];

	(void)state;
	assert_int_equal(node_id_parse(&id, good), 0);
	node_id_to_str(&id, buf);
	assert_string_equal(buf, good);
	node_id_fingerprint(&id, fp);
	assert_string_equal(fp, "pbe2ymcj");

	/* Uppercase is accepted and means the same ID. */
	strcpy(buf, good);
	for (char *p = buf; *p; p++)
		*p = (char)(*p >= 'a' && *p <= 'z' ? *p - 32 : *p);
	assert_int_equal(node_id_parse(&id2, buf), 0);
	assert_true(node_id_is_equal(&id, &id2));

	/* Rejections leave *out untouched. */
	memset(&keep, 0xa5, sizeof(keep));
	id2 = keep;
	assert_int_equal(node_id_parse(&id2, ""), -EINVAL);
	assert_int_equal(node_id_parse(&id2, "pbe2ymcjnaf6d33wf37a2nxac4z4grsowdd4kwatrlhsjozghpj"),
			 -EINVAL); /* 51 */
	assert_int_equal(
	    node_id_parse(&id2, "pbe2ymcjnaf6d33wf37a2nxac4z4grsowdd4kwatrlhsjozghpjqa"),
	    -EINVAL); /* 53 */
	assert_int_equal(
	    node_id_parse(&id2, "1be2ymcjnaf6d33wf37a2nxac4z4grsowdd4kwatrlhsjozghpjq"),
	    -EINVAL); /* '1' is not base32 */
	assert_int_equal(
	    node_id_parse(&id2, "pbe2ymcjnaf6d33wf37a2nxac4z4grsowdd4kwatrlhsjozghpjr"),
	    -EINVAL); /* non-zero trailing bits */
	assert_memory_equal(&id2, &keep, sizeof(keep));

	assert_int_equal(node_pubkey_parse(pk, "D75A980182B10AB7D54BFED3C964073A0EE172F3DAA62325AF0"
					       "21A68F707511A"),
			 0);
	assert_int_equal(pk[0], 0xd7);
	assert_int_equal(node_pubkey_parse(pk, "d75a"), -EINVAL);
	assert_int_equal(node_pubkey_parse(pk, "g75a980182b10ab7d54bfed3c964073a0ee172f3daa62325af0"
					       "21a68f707511a"),
			 -EINVAL);

	/* Either form names a node: an ID as is, a key by its derived ID. */
	assert_int_equal(node_id_parse_any(&id2, good), 0);
	assert_true(node_id_is_equal(&id, &id2));
	assert_int_equal(node_pubkey_parse(pk, "d75a980182b10ab7d54bfed3c964073a0ee172f3daa62325af0"
					       "21a68f707511a"),
			 0);
	node_id_from_pubkey(&id, pk);
	assert_int_equal(node_id_parse_any(&id2, "d75a980182b10ab7d54bfed3c964073a0ee172f3daa62325"
						 "af021a68f707511a"),
			 0);
	assert_true(node_id_is_equal(&id, &id2));
	id2 = keep;
	assert_int_equal(node_id_parse_any(&id2, "@ops"), -EINVAL);
	assert_int_equal(node_id_parse_any(&id2, "d75a"), -EINVAL);
	assert_memory_equal(&id2, &keep, sizeof(keep));
}

/* ---- names ------------------------------------------------------------ */

static void test_names(void **state)
{
	static const struct name_case cases[] = {
	    {1, "vx6", true},
	    {2, "a", true},
	    {3, "0", true},
	    {4, "branch-office-7", true},
	    {5, "a-b", true},
	    {6, "a--b", true},
	    {7, "123456789012345678901234567890123456789012345678901234567890123", true},
	    {8, "1234567890123456789012345678901234567890123456789012345678901234", false},
	    {9, "", false},
	    {10, "-a", false},
	    {11, "a-", false},
	    {12, "-", false},
	    {13, "Alice", false},
	    {14, "a_b", false},
	    {15, "a.b", false},
	    {16, "a b", false},
	    {17, "\xc3\xa9t\xc3\xa9", false},
	    {18, "a\n", false},
	    {19, "a/b", false},
	};
	struct overlay_net net;

	(void)state;
	assert_false(overlay_name_is_valid(NULL));
	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		if (overlay_name_is_valid(cases[i].name) != cases[i].ok)
			fail_msg("case %d '%s': want %s", cases[i].n, cases[i].name,
				 cases[i].ok ? "valid" : "invalid");
		assert_int_equal(overlay_net_init(&net, cases[i].name), cases[i].ok ? 0 : -EINVAL);
	}
}

/* ---- identity files --------------------------------------------------- */

static void test_create_load(void **state)
{
	const char *dir = *state;
	char sub[PATH_MAX], key[PATH_MAX], info[PATH_MAX], err[512];
	struct identity a, b, c;
	static const uint8_t zero[64];

	path_in(sub, dir, "state/nested");
	path_in(key, sub, IDENTITY_KEY_FILE);
	path_in(info, sub, IDENTITY_INFO_FILE);
	assert_int_equal(identity_create(sub, "alice", "branch-net", false, &a, err, sizeof(err)),
			 0);
	assert_true(a.has_secret);
	assert_string_equal(a.name, "alice");
	assert_string_equal(a.net.name, "branch-net");
	assert_int_equal(mode_of(sub), 0700);
	assert_int_equal(mode_of(key), 0600);
	assert_int_equal(mode_of(info), 0644);

	assert_int_equal(identity_load(sub, true, &b, err, sizeof(err)), 0);
	assert_true(b.has_secret);
	assert_string_equal(b.name, "alice");
	assert_memory_equal(a.pk, b.pk, 32);
	assert_memory_equal(a.sk, b.sk, 64);
	assert_true(node_id_is_equal(&a.id, &b.id));
	assert_memory_equal(&a.addr, &b.addr, sizeof(a.addr));
	assert_memory_equal(a.net.global_id, b.net.global_id, OVERLAY_GLOBAL_ID_LEN);

	assert_int_equal(identity_load(sub, false, &c, err, sizeof(err)), 0);
	assert_false(c.has_secret);
	assert_memory_equal(c.sk, zero, 64);
	assert_memory_equal(a.pk, c.pk, 32);

	identity_clear(&b);
	assert_false(b.has_secret);
	assert_memory_equal(b.sk, zero, 64);
	identity_clear(&b); /* twice is fine */
	identity_clear(&a);
}

static void test_create_refuses_overwrite(void **state)
{
	const char *dir = *state;
	char err[512];
	struct identity a, b, keep;

	assert_int_equal(identity_create(dir, "alice", "vx6", false, &a, err, sizeof(err)), 0);
	memset(&keep, 0x5a, sizeof(keep));
	b = keep;
	err[0] = '\0';
	assert_int_equal(identity_create(dir, "bob", "vx6", false, &b, err, sizeof(err)), -EEXIST);
	assert_memory_equal(&b, &keep, sizeof(b)); /* untouched on error */
	assert_non_null(strstr(err, "already exists"));
	assert_non_null(strstr(err, "--force"));
	assert_int_equal(identity_load(dir, true, &b, err, sizeof(err)), 0);
	assert_string_equal(b.name, "alice"); /* the old identity is intact */
	assert_memory_equal(a.pk, b.pk, 32);

	assert_int_equal(identity_create(dir, "bob", "other", true, &b, err, sizeof(err)), 0);
	assert_memory_not_equal(a.pk, b.pk, 32);
	assert_int_equal(identity_load(dir, true, &a, err, sizeof(err)), 0);
	assert_string_equal(a.name, "bob");
	assert_string_equal(a.net.name, "other");
	assert_memory_equal(a.pk, b.pk, 32);
	identity_clear(&a);
	identity_clear(&b);
}

static void test_create_bad_names(void **state)
{
	const char *dir = *state;
	char err[512], sub[PATH_MAX];
	struct identity a;

	path_in(sub, dir, "never");
	assert_int_equal(identity_create(sub, "Bad Name", "vx6", false, &a, err, sizeof(err)),
			 -EINVAL);
	assert_non_null(strstr(err, "'Bad Name'"));
	assert_int_equal(identity_create(sub, "ok", "net\x01'", false, &a, err, sizeof(err)),
			 -EINVAL);
	assert_non_null(strstr(err, "'net\\x01\\x27'")); /* quoted and escaped */
	assert_null(strchr(err, '\n'));
	assert_int_equal(access(sub, F_OK), -1); /* nothing written */
}

static void test_key_mode_refused(void **state)
{
	const char *dir = *state;
	char key[PATH_MAX], err[512], want[2 * PATH_MAX + 64];
	struct identity a;

	assert_int_equal(identity_create(dir, "alice", "vx6", false, &a, err, sizeof(err)), 0);
	path_in(key, dir, IDENTITY_KEY_FILE);
	assert_int_equal(chmod(key, 0644), 0);
	assert_int_equal(identity_load(dir, true, &a, err, sizeof(err)), -EPERM);
	snprintf(want, sizeof(want), "key file '%s' has mode 0644; run 'chmod 600 %s'", key, key);
	assert_string_equal(err, want);
	assert_int_equal(chmod(key, 0640), 0);
	assert_int_equal(identity_load(dir, true, &a, err, sizeof(err)), -EPERM);
	/* The public half does not need the key. */
	assert_int_equal(identity_load(dir, false, &a, err, sizeof(err)), 0);
	assert_int_equal(chmod(key, 0400), 0);
	assert_int_equal(identity_load(dir, true, &a, err, sizeof(err)), 0);
	identity_clear(&a);
}

static void test_missing(void **state)
{
	const char *dir = *state;
	char sub[PATH_MAX], key[PATH_MAX], err[512];
	struct identity a;

	path_in(sub, dir, "absent");
	assert_int_equal(identity_load(sub, true, &a, err, sizeof(err)), -ENOENT);
	assert_non_null(strstr(err, "vx6 init"));
	assert_int_equal(identity_load(dir, false, &a, err, sizeof(err)), -ENOENT);

	/* identity.json without its key: fine for the public half only. */
	assert_int_equal(identity_create(dir, "alice", "vx6", false, &a, err, sizeof(err)), 0);
	path_in(key, dir, IDENTITY_KEY_FILE);
	assert_int_equal(unlink(key), 0);
	assert_int_equal(identity_load(dir, false, &a, err, sizeof(err)), 0);
	assert_int_equal(identity_load(dir, true, &a, err, sizeof(err)), -ENOENT);
	assert_non_null(strstr(err, key));
	identity_clear(&a);
}

/* Each case replaces identity.json (or the key) and expects -EINVAL with
 * `needle` in the message. */
static const struct {
	int n;
	bool key;	  /* replace identity.key instead of identity.json */
	const char *text; /* NULL: the valid file with `from` replaced by `to` */
	const char *from, *to;
	const char *needle; /* expected in the error */
} corrupt_cases[] = {
    {1, false, "not json", NULL, NULL, ":1:"},
    {2, false, "[]", NULL, NULL, "object"},
    {3, false, "{}", NULL, NULL, "missing field 'name'"},
    {4, false, NULL, "\"name\": \"alice\"", "\"name\": 7", "must be a string"},
    {5, false, NULL, "\"name\": \"alice\"", "\"name\": \"Alice\"", "'Alice'"},
    {6, false, NULL, "\"network\": \"vx6\"", "\"network\": \"\"", "network"},
    {7, false, NULL, "\"public_key\": \"", "\"public_key\": \"zz", "public_key"},
    {8, false, NULL, "\"node_id\": \"", "\"node_id\": \"aaaa", "node_id"},
    {9, false, NULL, "\"alice\"", "\"alice\", \"extra\": \"x\"", "unknown field 'extra'"},
    {10, false, NULL, "\"overlay_address\": \"fd", "\"overlay_address\": \"fe", "overlay_address"},
    {11, false, NULL, "\"overlay_address\": \"", "\"overlay_address\": \"x", "IPv6"},
    {12, false, NULL, "\"network\": \"vx6\"", "\"network\": \"vx7\"", "overlay_address"},
    {13, false, NULL, "\"name\": \"alice\"", "\"name\": \"alice\", \"name\": \"bob\"", "duplicate"},
    {14, true, "vx6-ed25519-seed-v1 00\n", NULL, NULL, "malformed"},
    {15, true,
     "vx6-ed25519-seed-v2 "
     "0000000000000000000000000000000000000000000000000000000000000000\n",
     NULL, NULL, "malformed"},
    {16, true,
     "vx6-ed25519-seed-v1 "
     "000000000000000000000000000000000000000000000000000000000000000G\n",
     NULL, NULL, "malformed"},
    {17, true,
     "vx6-ed25519-seed-v1 "
     "0000000000000000000000000000000000000000000000000000000000000000",
     NULL, NULL, "malformed"},
    {18, true,
     "vx6-ed25519-seed-v1 "
     "0000000000000000000000000000000000000000000000000000000000000000\n",
     NULL, NULL, "identity.json does not match identity.key"},
};
static void test_corrupt(void **state)
{
	const char *dir = *state;
	char key[PATH_MAX], info[PATH_MAX], err[512], good_key[256];
	char *good = NULL;
	size_t len;
	struct identity a, keep;

	path_in(key, dir, IDENTITY_KEY_FILE);
	path_in(info, dir, IDENTITY_INFO_FILE);
	assert_int_equal(identity_create(dir, "alice", "vx6", false, &a, err, sizeof(err)), 0);
	assert_int_equal(fs_read_file(info, 4096, (uint8_t **)&good, &len), 0);
	{
		uint8_t *k;

		assert_int_equal(fs_read_file(key, 4096, &k, &len), 0);
		assert_true(len < sizeof(good_key));
		memcpy(good_key, k, len + 1);
		free(k);
	}
	for (size_t i = 0; i < sizeof(corrupt_cases) / sizeof(corrupt_cases[0]); i++) {
		char text[2048];
		const char *at;

		if (corrupt_cases[i].text) {
			snprintf(text, sizeof(text), "%s", corrupt_cases[i].text);
		} else {
			at = strstr(good, corrupt_cases[i].from);
			if (!at)
				fail_msg("case %d: '%s' not in identity.json", corrupt_cases[i].n,
					 corrupt_cases[i].from);
			snprintf(text, sizeof(text), "%.*s%s%s", (int)(at - good), good,
				 corrupt_cases[i].to, at + strlen(corrupt_cases[i].from));
		}
		write_text(corrupt_cases[i].key ? key : info, text,
			   corrupt_cases[i].key ? 0600 : 0644);
		memset(&keep, 0x33, sizeof(keep));
		a = keep;
		err[0] = '\0';
		if (identity_load(dir, true, &a, err, sizeof(err)) != -EINVAL ||
		    !strstr(err, corrupt_cases[i].needle) || strchr(err, '\n'))
			fail_msg("case %d: err '%s', want -EINVAL and '%s'", corrupt_cases[i].n,
				 err, corrupt_cases[i].needle);
		assert_memory_equal(&a, &keep, sizeof(a));
		if (!corrupt_cases[i].key)
			assert_non_null(strstr(err, info)); /* names the file */
		write_text(info, good, 0644);
		write_text(key, good_key, 0600);
	}
	assert_int_equal(identity_load(dir, true, &a, err, sizeof(err)), 0);
	identity_clear(&a);
	sec_wipe(good_key, sizeof(good_key));
	free(good);
}

/* A key file and description written by hand from a vector load to the
 * vector's values: the on-disk format of §1.3 is what this code reads. */
static void test_files_known_answer(void **state)
{
	const char *dir = *state;
	json_t *root = vectors_load("VX6_VECTORS", "tests/vectors", "identity.json");
	json_t *c = json_array_get(json_object_get(root, "cases"), 1);
	json_t *a = json_array_get(json_object_get(c, "addresses"), 0);
	char key[PATH_MAX], info[PATH_MAX], text[1024], err[512];
	struct identity id;
	struct in6_addr want;

	path_in(key, dir, IDENTITY_KEY_FILE);
	path_in(info, dir, IDENTITY_INFO_FILE);
	snprintf(text, sizeof(text), "vx6-ed25519-seed-v1 %s\n", jstr(c, "seed"));
	write_text(key, text, 0600);
	snprintf(text, sizeof(text),
		 "{\n  \"name\": \"kat\",\n  \"network\": \"%s\",\n  \"public_key\": \"%s\",\n"
		 "  \"node_id\": \"%s\",\n  \"overlay_address\": \"%s\"\n}\n",
		 jstr(a, "network"), jstr(c, "public_key"), jstr(c, "node_id"),
		 jstr(a, "overlay_address"));
	write_text(info, text, 0644);
	assert_int_equal(identity_load(dir, true, &id, err, sizeof(err)), 0);
	assert_int_equal(inet_pton(AF_INET6, jstr(a, "overlay_address"), &want), 1);
	assert_memory_equal(&id.addr, &want, sizeof(want));
	assert_string_equal(id.net.name, jstr(a, "network"));
	{
		char pks[NODE_PK_STR_LEN + 1];

		node_pubkey_to_str(id.pk, pks);
		assert_string_equal(pks, jstr(c, "public_key"));
		/* libsodium's secret key is seed || public key */
		hex_encode(pks, sizeof(pks), id.sk, 32);
		assert_string_equal(pks, jstr(c, "seed"));
	}
	identity_clear(&id);
	json_decref(root);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_vectors),
	    cmocka_unit_test(test_node_id_text),
	    cmocka_unit_test(test_names),
	    cmocka_unit_test_setup_teardown(test_create_load, tmpdir_setup, tmpdir_teardown),
	    cmocka_unit_test_setup_teardown(test_create_refuses_overwrite, tmpdir_setup,
					    tmpdir_teardown),
	    cmocka_unit_test_setup_teardown(test_create_bad_names, tmpdir_setup, tmpdir_teardown),
	    cmocka_unit_test_setup_teardown(test_key_mode_refused, tmpdir_setup, tmpdir_teardown),
	    cmocka_unit_test_setup_teardown(test_missing, tmpdir_setup, tmpdir_teardown),
	    cmocka_unit_test_setup_teardown(test_corrupt, tmpdir_setup, tmpdir_teardown),
	    cmocka_unit_test_setup_teardown(test_files_known_answer, tmpdir_setup, tmpdir_teardown),
	};

	if (sec_init() < 0)
		return 1;
	umask(022);
	return cmocka_run_group_tests(tests, NULL, NULL);
}
