/* tests/unit/test_lib.c - lib/: the wire reader and writer, hex and base32,
 * the state-directory file helpers, the JSON helpers and the log rate
 * limiter. File tests run in a fresh mkdtemp() directory, removed after.
 */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>

#include <arpa/inet.h>
#include <dirent.h>
#include <errno.h>
#include <ftw.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "lib/clock.h"
#include "lib/encode.h"
#include "lib/fs.h"
#include "lib/jsonx.h"
#include "lib/log.h"
#include "lib/wire.h"

/* ---- wire --------------------------------------------------------------- */

static void test_wire_round_trip(void **state)
{
	static const uint8_t want[] = {0x01, 0x02, 0x03, 0x04, 0x05, 0x06, 0x07, 0x08, 0x09,
				       0x0a, 0x0b, 0x0c, 0x0d, 0x0e, 0x0f, 0xaa, 0xbb, 0xcc};
	uint8_t buf[64];
	struct wire_wr w;
	struct wire_rd r;
	struct in6_addr a, b;
	uint8_t raw[3];

	(void)state;
	wire_wr_init(&w, buf, sizeof(buf));
	wire_put_u8(&w, 0x01);
	wire_put_u16(&w, 0x0203);
	wire_put_u32(&w, 0x04050607);
	wire_put_u64(&w, 0x08090a0b0c0d0e0fULL);
	wire_put_bytes(&w, "\xaa\xbb\xcc", 3);
	assert_false(w.bad);
	assert_int_equal(w.len, sizeof(want));
	assert_int_equal(w.left, sizeof(buf) - sizeof(want));
	assert_memory_equal(buf, want, sizeof(want)); /* big-endian */

	wire_rd_init(&r, buf, w.len);
	assert_int_equal(wire_get_u8(&r), 0x01);
	assert_int_equal(wire_get_u16(&r), 0x0203);
	assert_int_equal(wire_get_u32(&r), 0x04050607);
	assert_true(wire_get_u64(&r) == 0x08090a0b0c0d0e0fULL);
	assert_false(wire_rd_is_done(&r));
	wire_get_copy(&r, raw, 3);
	assert_memory_equal(raw, "\xaa\xbb\xcc", 3);
	assert_true(wire_rd_is_done(&r));

	inet_pton(AF_INET6, "2001:db8::42", &a);
	wire_wr_init(&w, buf, 16);
	wire_put_in6(&w, &a);
	assert_false(w.bad);
	wire_rd_init(&r, buf, 16);
	wire_get_in6(&r, &b);
	assert_true(wire_rd_is_done(&r));
	assert_memory_equal(&a, &b, sizeof(a));

	wire_store_u16(buf, 0xfffe);
	assert_int_equal(wire_load_u16(buf), 0xfffe);
	wire_store_u32(buf, 0x80000001u);
	assert_int_equal(wire_load_u32(buf), 0x80000001u);
	wire_store_u64(buf, 0xfedcba9876543210ULL);
	assert_true(wire_load_u64(buf) == 0xfedcba9876543210ULL);
	assert_int_equal(buf[0], 0xfe);
	assert_int_equal(buf[7], 0x10);
}

static void test_wire_reader_sticky(void **state)
{
	static const uint8_t in[] = {0x11, 0x22, 0x33};
	struct wire_rd r;
	uint8_t out[4];

	(void)state;
	wire_rd_init(&r, in, sizeof(in));
	assert_int_equal(wire_get_u16(&r), 0x1122);
	assert_int_equal(wire_get_u16(&r), 0); /* one byte left: fails */
	assert_true(r.bad);
	assert_int_equal(r.left, 1);	      /* nothing consumed by the failed read */
	assert_int_equal(wire_get_u8(&r), 0); /* would fit, but the error is sticky */
	assert_null(wire_get_bytes(&r, 0));
	assert_false(wire_rd_is_done(&r));

	wire_rd_init(&r, in, sizeof(in));
	memset(out, 0xee, sizeof(out));
	wire_get_copy(&r, out, 4);
	assert_true(r.bad);
	assert_memory_equal(out, "\0\0\0\0", 4); /* zeroed on failure */

	wire_rd_init(&r, in, sizeof(in));
	assert_true(wire_get_u32(&r) == 0 && r.bad);
	wire_rd_init(&r, in, sizeof(in));
	assert_true(wire_get_u64(&r) == 0 && r.bad);
	wire_rd_init(&r, in, sizeof(in));
	assert_null(wire_get_bytes(&r, SIZE_MAX)); /* no pointer overflow */
	assert_true(r.bad);

	wire_rd_init(&r, NULL, 0);
	assert_true(wire_rd_is_done(&r));
	(void)wire_get_bytes(&r, 0); /* an empty read at the end is fine */
	assert_false(r.bad);
	assert_int_equal(wire_get_u8(&r), 0);
	assert_true(r.bad);
}

static void test_wire_writer_sticky(void **state)
{
	uint8_t buf[8];
	struct wire_wr w;

	(void)state;
	memset(buf, 0, sizeof(buf));
	wire_wr_init(&w, buf, 5);
	wire_put_u32(&w, 0xdeadbeef);
	wire_put_u16(&w, 0x1234); /* does not fit */
	assert_true(w.bad);
	assert_int_equal(w.len, 4);
	wire_put_u8(&w, 0x99); /* would fit, but the error is sticky */
	assert_int_equal(w.len, 4);
	assert_int_equal(buf[4], 0); /* nothing written past the failure */
	assert_null(wire_put_space(&w, 0));

	wire_wr_init(&w, buf, sizeof(buf));
	assert_non_null(wire_put_space(&w, 8));
	assert_null(wire_put_space(&w, 1));
	wire_wr_init(&w, buf, sizeof(buf));
	assert_null(wire_put_space(&w, SIZE_MAX));
	wire_wr_init(&w, buf, sizeof(buf));
	wire_put_u64(&w, 1);
	assert_false(w.bad);
	wire_put_bytes(&w, NULL, 0); /* an empty put at the end is fine */
	assert_false(w.bad);
	assert_int_equal(w.len, 8);

	wire_wr_init(&w, NULL, 0); /* an empty buffer: only empty puts fit */
	wire_put_bytes(&w, NULL, 0);
	assert_false(w.bad);
	wire_put_u8(&w, 1);
	assert_true(w.bad);
	assert_int_equal(w.len, 0);
}

/* ---- hex and base32 ----------------------------------------------------- */

static void test_hex(void **state)
{
	uint8_t in[300], out[300], keep[4] = {1, 2, 3, 4}, got[4];
	char s[HEX_LEN(300) + 1];

	(void)state;
	assert_int_equal(hex_encode(s, sizeof(s), (const uint8_t *)"\x00\x9f\xff", 3), 6);
	assert_string_equal(s, "009fff");
	assert_int_equal(hex_encode(s, 6, (const uint8_t *)"\x00\x9f\xff", 3), -ENOSPC);
	assert_int_equal(hex_encode(s, 1, NULL, 0), 0);
	assert_string_equal(s, "");

	/* Longer than any fixed scratch buffer: a 300-byte value round-trips. */
	for (size_t i = 0; i < sizeof(in); i++)
		in[i] = (uint8_t)(i * 7 + 3);
	assert_int_equal(hex_encode(s, sizeof(s), in, sizeof(in)), 600);
	assert_int_equal(hex_decode(out, sizeof(out), s), 0);
	assert_memory_equal(in, out, sizeof(in));

	assert_int_equal(hex_decode(got, 2, "DeAd"), 0);
	assert_memory_equal(got, "\xde\xad", 2);
	memcpy(got, keep, 4);
	assert_int_equal(hex_decode(got, 2, "dea"), -EINVAL);
	assert_int_equal(hex_decode(got, 2, "deadb"), -EINVAL);
	assert_int_equal(hex_decode(got, 2, "de d"), -EINVAL);
	assert_int_equal(hex_decode(got, 2, "dexd"), -EINVAL);
	assert_int_equal(hex_decode(got, 2, "deag"), -EINVAL); /* bad last digit */
	assert_int_equal(hex_decode(got, 2, ""), -EINVAL);
	assert_memory_equal(got, keep, 4); /* written only on success */
	assert_int_equal(hex_decode(got, 0, ""), 0);
}

/* RFC 4648 §10, lowercase, without padding. */
static const struct {
	int n;
	const char *in, *out;
} b32_rfc[] = {
    {1, "", ""},
    {2, "f", "my"},
    {3, "fo", "mzxq"},
    {4, "foo", "mzxw6"},
    {5, "foob", "mzxw6yq"},
    {6, "fooba", "mzxw6ytb"},
    {7, "foobar", "mzxw6ytboi"},
};
/* Non-canonical or malformed: all rejected. */
static const struct {
	int n;
	size_t len;
	const char *s;
} b32_bad[] = {
    {1, 1, "mz"},	  /* "f" with a non-zero trailing bit */
    {2, 1, "m7"},	  /* trailing bits set */
    {3, 2, "mzxr"},	  /* "fo" with the last bit set */
    {4, 4, "mzxw6yr"},	  /* "foob", trailing bits set */
    {5, 6, "mzxw6ytboj"}, /* "foobar", trailing bits set */
    {6, 1, "m"},	  /* too short */
    {7, 1, "myy"},	  /* too long */
    {8, 1, "my="},	  /* padding is not accepted */
    {9, 1, "m1"},	  /* '1' is not in the alphabet */
    {10, 1, "m8"},	  /* nor '8' */
    {11, 1, "m "},	  {12, 3, "mzxw6\n"},
};
static void test_base32(void **state)
{
	char s[64];
	uint8_t out[300], in[300], keep[8] = "KEEPKEEP";
	char big[BASE32_LEN(300) + 1];

	(void)state;
	for (size_t i = 0; i < sizeof(b32_rfc) / sizeof(b32_rfc[0]); i++) {
		size_t len = strlen(b32_rfc[i].in);

		assert_int_equal(base32_encode(s, sizeof(s), (const uint8_t *)b32_rfc[i].in, len),
				 (int)strlen(b32_rfc[i].out));
		if (strcmp(s, b32_rfc[i].out) != 0)
			fail_msg("rfc case %d: '%s', want '%s'", b32_rfc[i].n, s, b32_rfc[i].out);
		assert_int_equal(BASE32_LEN(len), strlen(b32_rfc[i].out));
		assert_int_equal(base32_decode(out, len, b32_rfc[i].out), 0);
		assert_memory_equal(out, b32_rfc[i].in, len);
	}
	assert_int_equal(base32_decode(out, 6, "MZXW6YTBOI"), 0); /* uppercase */
	assert_memory_equal(out, "foobar", 6);
	assert_int_equal(base32_encode(s, 10, (const uint8_t *)"foobar", 6), -ENOSPC);

	for (size_t i = 0; i < sizeof(b32_bad) / sizeof(b32_bad[0]); i++) {
		memcpy(out, keep, sizeof(keep));
		if (base32_decode(out, b32_bad[i].len, b32_bad[i].s) != -EINVAL)
			fail_msg("bad case %d: '%s' accepted", b32_bad[i].n, b32_bad[i].s);
		assert_memory_equal(out, keep, sizeof(keep)); /* written only on success */
	}

	/* Every length up to 300 round-trips, beyond any scratch buffer. */
	for (size_t i = 0; i < sizeof(in); i++)
		in[i] = (uint8_t)(i * 131 + 17);
	for (size_t len = 0; len <= sizeof(in); len++) {
		assert_int_equal(base32_encode(big, sizeof(big), in, len), (int)BASE32_LEN(len));
		assert_int_equal(base32_decode(out, len, big), 0);
		assert_memory_equal(out, in, len);
	}
}

/* ---- fs ----------------------------------------------------------------- */

static int rm_one(const char *path, const struct stat *st, int flag, struct FTW *ftw)
{
	(void)st;
	(void)flag;
	(void)ftw;
	return remove(path);
}

static int tmpdir_setup(void **state)
{
	char *dir = strdup("/tmp/vx6-test-lib-XXXXXX");

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

static mode_t mode_of(const char *path)
{
	struct stat st;

	assert_int_equal(stat(path, &st), 0);
	return st.st_mode & 07777;
}

static unsigned count_entries(const char *dir)
{
	unsigned n = 0;
	struct dirent *e;
	DIR *d = opendir(dir);

	assert_non_null(d);
	while ((e = readdir(d)))
		n += strcmp(e->d_name, ".") != 0 && strcmp(e->d_name, "..") != 0;
	closedir(d);
	return n;
}

static void test_fs_write_read(void **state)
{
	const char *dir = *state;
	char path[PATH_MAX], sub[PATH_MAX];
	uint8_t *buf = NULL;
	size_t len = 0;
	mode_t old = umask(077);

	assert_int_equal(fs_path_join(path, sizeof(path), dir, "f"), 0);
	assert_int_equal(fs_write_atomic(path, "hello", 5, 0644), 0);
	assert_int_equal(mode_of(path), 0644); /* exact, despite the umask */
	assert_int_equal(fs_read_file(path, 5, &buf, &len), 0);
	assert_int_equal(len, 5);
	assert_string_equal((char *)buf, "hello"); /* NUL-terminated */
	free(buf);

	assert_int_equal(fs_write_atomic(path, "bye", 3, 0600), 0); /* replaces */
	assert_int_equal(mode_of(path), 0600);
	assert_int_equal(fs_read_file(path, 4096, &buf, &len), 0);
	assert_int_equal(len, 3);
	assert_memory_equal(buf, "bye", 4);
	free(buf);
	assert_int_equal(count_entries(dir), 1); /* no temporary file left behind */

	buf = (uint8_t *)"untouched";
	assert_int_equal(fs_read_file(path, 2, &buf, &len), -EFBIG);
	assert_string_equal((char *)buf, "untouched");
	assert_int_equal(fs_write_atomic(path, "", 0, 0600), 0);
	assert_int_equal(fs_read_file(path, 0, &buf, &len), 0);
	assert_int_equal(len, 0);
	assert_string_equal((char *)buf, "");
	free(buf);

	assert_int_equal(fs_path_join(sub, sizeof(sub), dir, "missing"), 0);
	assert_int_equal(fs_read_file(sub, 100, &buf, &len), -ENOENT);
	assert_int_equal(fs_read_file(dir, 100, &buf, &len), -EINVAL); /* a directory */

	assert_int_equal(fs_path_join(sub, sizeof(sub), dir, "new"), 0);
	assert_int_equal(fs_write_new(sub, "x", 1, 0600), 0);
	assert_int_equal(mode_of(sub), 0600);
	assert_int_equal(fs_write_new(sub, "y", 1, 0600), -EEXIST);
	assert_int_equal(fs_read_file(sub, 10, &buf, &len), 0);
	assert_string_equal((char *)buf, "x"); /* the first writer wins */
	free(buf);

	assert_int_equal(fs_path_join(sub, sizeof(sub), dir, "no/such/dir/f"), 0);
	assert_int_equal(fs_write_atomic(sub, "x", 1, 0600), -ENOENT);
	umask(old);
}

static void test_fs_check_private(void **state)
{
	const char *dir = *state;
	char path[PATH_MAX];
	mode_t mode = 0;

	assert_int_equal(fs_path_join(path, sizeof(path), dir, "k"), 0);
	assert_int_equal(fs_write_atomic(path, "k", 1, 0600), 0);
	assert_int_equal(fs_check_private(path, &mode), 0);
	assert_int_equal(mode, 0600);
	assert_int_equal(fs_check_private(path, NULL), 0);
	assert_int_equal(chmod(path, 0400), 0);
	assert_int_equal(fs_check_private(path, &mode), 0);
	assert_int_equal(chmod(path, 0640), 0);
	assert_int_equal(fs_check_private(path, &mode), -EPERM);
	assert_int_equal(mode, 0640);
	assert_int_equal(chmod(path, 0604), 0);
	assert_int_equal(fs_check_private(path, &mode), -EPERM);
	assert_int_equal(chmod(path, 0602), 0);
	assert_int_equal(fs_check_private(path, &mode), -EPERM);
	assert_int_equal(fs_check_private(dir, &mode), -EINVAL);
	assert_int_equal(fs_path_join(path, sizeof(path), dir, "none"), 0);
	assert_int_equal(fs_check_private(path, &mode), -ENOENT);
}

static void test_fs_dirs_and_paths(void **state)
{
	const char *dir = *state;
	char path[PATH_MAX], small[8];

	assert_int_equal(fs_path_join(path, sizeof(path), dir, "a/b/c"), 0);
	assert_int_equal(fs_mkdir_p(path, 0700), 0);
	assert_int_equal(mode_of(path) & 0777, 0700);
	assert_int_equal(fs_mkdir_p(path, 0700), 0); /* existing is fine */
	assert_int_equal(fs_mkdir_p("", 0700), -EINVAL);
	/* A file where a directory should be is an error, not success. */
	assert_int_equal(fs_path_join(path, sizeof(path), dir, "file"), 0);
	assert_int_equal(fs_write_atomic(path, "x", 1, 0600), 0);
	assert_int_equal(fs_mkdir_p(path, 0700), -ENOTDIR);
	assert_int_equal(fs_path_join(path, sizeof(path), dir, "file/sub"), 0);
	assert_int_equal(fs_mkdir_p(path, 0700), -ENOTDIR);

	assert_int_equal(fs_path_join(small, sizeof(small), "ab", "cd"), 0);
	assert_string_equal(small, "ab/cd");
	assert_int_equal(fs_path_join(small, sizeof(small), "abc", "defg"), -ENAMETOOLONG);
	assert_int_equal(fs_path_join(small, sizeof(small), "abc", "def"), 0); /* 7 + NUL */
}

/* ---- jsonx -------------------------------------------------------------- */

static void test_jsonx_parse(void **state)
{
	static const struct {
		int n;
		const char *text;
		const char *err; /* NULL: accepted */
	} cases[] = {
	    {1, "{}", NULL},
	    {2, "{\"a\": }", "1:7: unexpected token near '}'"},
	    {3, "{\n  \"a\": 1,\n  \"b\": tru\n}", "3:10: invalid token near 'tru'"},
	    {4, "[1]", "1:1: the top level must be a JSON object"},
	    {5, "\"s\"", "1:3: '[' or '{' expected"},
	    {6, "{\"a\":1,\"a\":2}", "1:10: duplicate object key near '\"a\"'"},
	    {7, "{\"a\":1} x", "1:9: end of file expected near 'x'"},
	    {8, "{\"a\":\"x\\u0000y\"}", "1:15: \\u0000 is not allowed"},
	    {9, "{\n\n\n  \"a\": [1, 2,]\n}", "4:14: unexpected token near ']'"},
	};
	char err[256], deep[256];
	json_t *root;

	(void)state;
	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		int r;

		err[0] = '\0';
		root = NULL;
		r = jsonx_parse_object(cases[i].text, strlen(cases[i].text), &root, err,
				       sizeof(err));
		if (!cases[i].err) {
			assert_int_equal(r, 0);
			json_decref(root);
			continue;
		}
		if (r != -EINVAL || strncmp(err, cases[i].err, strlen(cases[i].err)) != 0)
			fail_msg("case %d: %d '%s', want '%s'", cases[i].n, r, err, cases[i].err);
		assert_null(root);
	}

	/* Depth: 32 nested levels pass, 33 fail. {"a":{"a":...{}}} */
	for (int levels = JSONX_DEPTH_MAX; levels <= JSONX_DEPTH_MAX + 1; levels++) {
		size_t n = 0;

		for (int i = 0; i < levels - 1; i++)
			n += (size_t)snprintf(deep + n, sizeof(deep) - n, "{\"a\":");
		n += (size_t)snprintf(deep + n, sizeof(deep) - n, "{}");
		for (int i = 0; i < levels - 1; i++)
			deep[n++] = '}';
		deep[n] = '\0';
		root = NULL;
		assert_int_equal(jsonx_parse_object(deep, n, &root, err, sizeof(err)),
				 levels <= JSONX_DEPTH_MAX ? 0 : -EINVAL);
		if (root)
			assert_int_equal(jsonx_depth(root), levels);
		else
			assert_non_null(strstr(err, "nested deeper than 32"));
		json_decref(root);
	}
	root = json_integer(3);
	assert_int_equal(jsonx_depth(root), 0);
	json_decref(root);
}

static void test_jsonx_locate(void **state)
{
	static const char text[] =
	    "{\n"
	    "  \"admin\": {\"listen\": \"127.0.0.1:8080\", \"token\": null},\n"
	    "  \"list\": [\n"
	    "    {\"port\": 1},\n"
	    "    {\"port\": 2, \"s\": \"a\\\"b,}\"},\n"
	    "    [true, [false, 7]]\n"
	    "  ],\n"
	    "  \"listen\": \"top\"\n"
	    "}\n";
	static const struct {
		int n;
		const char *path;
		int r, line, col;
	} cases[] = {
	    {1, "admin", 0, 2, 12},
	    {2, "admin.listen", 0, 2, 23},
	    {3, "admin.token", 0, 2, 50},
	    {4, "list", 0, 3, 11},
	    {5, "list[0]", 0, 4, 5},
	    {6, "list[0].port", 0, 4, 14},
	    {7, "list[1].port", 0, 5, 14},
	    {8, "list[1].s", 0, 5, 22},
	    {9, "list[2][1][1]", 0, 6, 20},
	    {10, "listen", 0, 8, 13}, /* not admin.listen, not a prefix match */
	    {11, "list[3]", -ENOENT, 0, 0},
	    {12, "admin.port", -ENOENT, 0, 0},
	    {13, "nothing", -ENOENT, 0, 0},
	    {14, "admin[0]", -ENOENT, 0, 0},  /* not an array */
	    {15, "list.port", -ENOENT, 0, 0}, /* not an object */
	    {16, "admin..listen", -EINVAL, 0, 0},
	    {17, "list[x]", -EINVAL, 0, 0},
	    {18, "list[1", -EINVAL, 0, 0},
	    {19, "list[0].port.deeper", -ENOENT, 0, 0},
	};

	(void)state;
	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		int line = -1, col = -1, r;

		r = jsonx_locate(text, strlen(text), cases[i].path, &line, &col);
		if (r != cases[i].r || (r == 0 && (line != cases[i].line || col != cases[i].col)))
			fail_msg("case %d '%s': %d at %d:%d, want %d at %d:%d", cases[i].n,
				 cases[i].path, r, line, col, cases[i].r, cases[i].line,
				 cases[i].col);
	}
	/* Garbage and truncated text fail cleanly. */
	{
		int line, col;

		assert_int_equal(jsonx_locate("{\"a\": [1, 2", 11, "a[5]", &line, &col), -ENOENT);
		assert_true(jsonx_locate("{\"a", 3, "a", &line, &col) < 0);
		assert_true(jsonx_locate("", 0, "a", &line, &col) < 0);
		assert_int_equal(jsonx_locate(text, strlen(text), "", &line, &col), 0);
		assert_int_equal(line, 1);
		assert_int_equal(col, 1);
	}
}

/* ---- log ---------------------------------------------------------------- */

static void test_log_ratelim(void **state)
{
	struct log_ratelim rl = LOG_RATELIM_INIT(1000, 3);
	struct log_ratelim never = LOG_RATELIM_INIT(0, 2);
	uint64_t t = 10000;

	(void)state;
	assert_true(log_ratelim_allow(&rl, t));
	assert_true(log_ratelim_allow(&rl, t));
	assert_true(log_ratelim_allow(&rl, t));
	assert_false(log_ratelim_allow(&rl, t)); /* burst used up */
	assert_false(log_ratelim_allow(&rl, t + 999));
	assert_int_equal(rl.suppressed, 2);
	assert_true(log_ratelim_allow(&rl, t + 1000)); /* one token per interval */
	assert_false(log_ratelim_allow(&rl, t + 1000));
	assert_true(log_ratelim_allow(&rl, t + 2000));
	assert_false(log_ratelim_allow(&rl, t + 2500));
	/* A long pause refills to the burst, never beyond. */
	t += 1000000;
	for (int i = 0; i < 3; i++)
		assert_true(log_ratelim_allow(&rl, t));
	assert_false(log_ratelim_allow(&rl, t));
	assert_int_equal(rl.suppressed, 5);

	/* Never more than one message per interval once the burst is gone,
	 * however often the callers come. */
	{
		struct log_ratelim st = LOG_RATELIM_INIT(1000, 2);
		unsigned allowed = 0;

		for (uint64_t ms = 0; ms < 60000; ms += 100)
			allowed += log_ratelim_allow(&st, ms);
		assert_true(allowed <= 2 + 60 && allowed >= 50);
		assert_int_equal(st.suppressed, 600 - allowed);
	}

	/* interval 0: the burst and then nothing, ever. */
	assert_true(log_ratelim_allow(&never, 0));
	assert_true(log_ratelim_allow(&never, 1));
	assert_false(log_ratelim_allow(&never, UINT64_MAX));
}

static void test_log_names(void **state)
{
	enum log_level l = LOG_LEVEL_ERR;

	(void)state;
	assert_int_equal(log_level_parse("debug", &l), 0);
	assert_int_equal(l, LOG_LEVEL_DEBUG);
	assert_int_equal(log_level_parse("DEBUG", &l), -EINVAL);
	assert_int_equal(log_level_parse("verbose", &l), -EINVAL);
	assert_int_equal(l, LOG_LEVEL_DEBUG);
	assert_string_equal(log_level_name(LOG_LEVEL_WARN), "warn");
	assert_string_equal(log_level_name((enum log_level)99), "?");
	assert_string_equal(log_domain_name(LD_IDENTITY), "identity");
	assert_string_equal(log_domain_name(LD__COUNT), "?");
	log_set_level(LOG_LEVEL_INFO);
	assert_true(log_is_enabled(LOG_LEVEL_INFO));
	assert_false(log_is_enabled(LOG_LEVEL_DEBUG));
	assert_int_equal(log_get_level(), LOG_LEVEL_INFO);
	log_set_level(LOG_LEVEL_NOTICE);
}

/* The coarse clock is never ahead of the fine one and at most a few ticks
 * behind (units and base agree); both only move forward. */
static void test_clock_coarse(void **state)
{
	uint64_t prev = 0;

	(void)state;
	for (int i = 0; i < 100000; i++) {
		uint64_t coarse = clock_mono_coarse_ms();
		uint64_t fine = clock_mono_ms();

		assert_true(coarse <= fine);
		assert_true(fine - coarse < 1000); /* a tick, or a preemption between the reads */
		assert_true(coarse >= prev);
		prev = coarse;
	}
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_wire_round_trip),
	    cmocka_unit_test(test_wire_reader_sticky),
	    cmocka_unit_test(test_wire_writer_sticky),
	    cmocka_unit_test(test_hex),
	    cmocka_unit_test(test_base32),
	    cmocka_unit_test_setup_teardown(test_fs_write_read, tmpdir_setup, tmpdir_teardown),
	    cmocka_unit_test_setup_teardown(test_fs_check_private, tmpdir_setup, tmpdir_teardown),
	    cmocka_unit_test_setup_teardown(test_fs_dirs_and_paths, tmpdir_setup, tmpdir_teardown),
	    cmocka_unit_test(test_jsonx_parse),
	    cmocka_unit_test(test_jsonx_locate),
	    cmocka_unit_test(test_log_ratelim),
	    cmocka_unit_test(test_log_names),
	    cmocka_unit_test(test_clock_coarse),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
