/* tests/unit/test_cli.c - cli/: the HTTP response parser (a numbered table
 * of good and bad responses plus generated ones at the caps), the escaping
 * of untrusted text, every command's argument parsing (error text and exit
 * code, through cli_run() with captured streams), `vx6 init` and
 * `vx6 identity show` in a mkdtemp() directory, and the admin client against
 * a fake vx6d: a thread serving canned answers on a unix socket in that
 * directory. No root, no network beyond that socket and loopback.
 */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>

#include <errno.h>
#include <ftw.h>
#include <limits.h>
#include <poll.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <unistd.h>

#include <jansson.h>

#include "cli/admin_client.h"
#include "cli/cli.h"
#include "cli/cmd.h"
#include "cli/http_response.h"
#include "cli/text.h"

/* ---- HTTP response parser ------------------------------------------------ */

struct http_vec {
	int no;
	const char *in;
	size_t len;
	int want;	  /* 0 or -EBADMSG */
	int status;	  /* on success */
	const char *body; /* on success */
	size_t body_len;
	const char *why; /* on failure: a part of the reason */
};

#define GOOD(no, in, status, body)                                                                 \
	{                                                                                          \
		no, in, sizeof(in) - 1, 0, status, body, sizeof(body) - 1, NULL                    \
	}
#define BAD(no, in, why)                                                                           \
	{                                                                                          \
		no, in, sizeof(in) - 1, -EBADMSG, 0, NULL, 0, why                                  \
	}
#define OK_HEAD "HTTP/1.1 200 OK\r\n"
#define CHUNKED OK_HEAD "Transfer-Encoding: chunked\r\n\r\n"

static const struct http_vec http_vecs[] = {
    GOOD(1, OK_HEAD "Content-Length: 2\r\n\r\nhi", 200, "hi"),
    GOOD(2, OK_HEAD "Content-Type: application/json\r\n\r\n{\"a\":1}", 200, "{\"a\":1}"),
    GOOD(3, CHUNKED "3\r\nabc\r\n2\r\nde\r\n0\r\n\r\n", 200, "abcde"),
    GOOD(4, CHUNKED "A;name=value\r\n0123456789\r\n0\r\nX-Trailer: 1\r\n\r\n", 200, "0123456789"),
    GOOD(5, "HTTP/1.0 404\r\n\r\n", 404, ""),
    GOOD(6, "HTTP/1.1 100 Continue\r\n\r\n" OK_HEAD "Content-Length: 1\r\n\r\nx", 200, "x"),
    GOOD(7, "HTTP/1.1 204 No Content\r\nContent-Length: 0\r\n\r\n", 204, ""),
    GOOD(8, OK_HEAD "content-length: 0\r\n\r\n", 200, ""),
    GOOD(9, OK_HEAD "TRANSFER-ENCODING: Chunked\r\n\r\n1\r\nz\r\n0\r\n\r\n", 200, "z"),
    GOOD(10, OK_HEAD "Content-Length: \t 3 \t\r\n\r\nabc", 200, "abc"),
    GOOD(11, "HTTP/1.1 200 \r\nX-Obs: caf\xc3\xa9\r\n\r\n", 200, ""),
    GOOD(12, CHUNKED "0003\r\nabc\r\n0\r\n\r\n", 200, "abc"),
    GOOD(13, CHUNKED "2 ; ext\r\n\0\1\r\n0\r\n\r\n", 200, "\0\1"),
    GOOD(14, "HTTP/1.1 599 Odd\r\nContent-Length: 00\r\n\r\n", 599, ""),
    GOOD(15, OK_HEAD "\r\nbody with \0 NUL and \n LF", 200, "body with \0 NUL and \n LF"),
    GOOD(16, "HTTP/1.9 500 Internal Server Error\r\n\r\n", 500, ""),

    BAD(30, OK_HEAD "Content-Length: 5\r\n\r\nab", "Content-Length is 5, but 2"),
    BAD(31, OK_HEAD "Content-Length: 1\r\n\r\nab", "Content-Length is 1, but 2"),
    BAD(32, OK_HEAD "Content-Length: -1\r\n\r\n", "Content-Length '-1' is not a decimal"),
    BAD(33, OK_HEAD "Content-Length: 99999999999999999999999\r\n\r\n", "over the"),
    BAD(34, OK_HEAD "Content-Length: +5\r\n\r\nabcde", "not a decimal"),
    BAD(35, OK_HEAD "Content-Length: 1 1\r\n\r\nab", "'1 1' is not a decimal"),
    BAD(36, OK_HEAD "Content-Length: 1\r\nContent-Length: 1\r\n\r\na", "more than one Content"),
    BAD(37, OK_HEAD "Content-Length:\r\n\r\n", "empty Content-Length"),
    BAD(38, OK_HEAD "Content-Length: 3\r\nTransfer-Encoding: chunked\r\n\r\n0\r\n\r\n",
	"both Content-Length and Transfer-Encoding"),
    BAD(39, OK_HEAD "Transfer-Encoding: gzip, chunked\r\n\r\n", "unsupported Transfer-Encoding"),
    BAD(40, "HTTP/1.0 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n0\r\n\r\n", "HTTP/1.0"),
    BAD(41, CHUNKED "3\r\nabc\r\n", "ends inside a chunk size line"),
    BAD(42, CHUNKED "zz\r\nabc\r\n0\r\n\r\n", "bad chunk size line 'zz'"),
    BAD(43, CHUNKED "ffffff\r\n", "chunk size 'ffffff' is over the"),
    BAD(44, CHUNKED "00000000000000001\r\na\r\n0\r\n\r\n", "more than 16 digits"),
    BAD(45, CHUNKED "10\r\nabc\r\n0\r\n\r\n", "chunk of 16 bytes, but only"),
    BAD(46, CHUNKED "3\r\nabcX\r\n0\r\n\r\n", "not followed by CRLF"),
    BAD(47, CHUNKED "0\r\n\r\nextra", "5 bytes after the last chunk"),
    BAD(48, CHUNKED "3 \r\nabc\r\n0\r\n\r\n", "bad chunk size line"),
    BAD(49, CHUNKED "-3\r\nabc\r\n0\r\n\r\n", "bad chunk size line '-3'"),
    BAD(50, CHUNKED "0\r\nBad Trailer\r\n\r\n", "bad header field"),
    BAD(51, CHUNKED "0\r\n", "ends inside a trailer field"),
    BAD(52, "HTTP/2 200 OK\r\n\r\n", "bad status line"),
    BAD(53, "HTTP/1.1 20 OK\r\n\r\n", "bad status line"),
    BAD(54, "HTTP/1.1 2000 OK\r\n\r\n", "bad status line"),
    BAD(55, "http/1.1 200 OK\r\n\r\n", "bad status line"),
    BAD(56, "HTTP/1.1  200 OK\r\n\r\n", "bad status line"),
    BAD(57, "HTTP/1.1 600 Nope\r\n\r\n", "status code '600' is not in 100..599"),
    BAD(58, "HTTP/1.1 099 Nope\r\n\r\n", "status code '099'"),
    BAD(59, "HTTP/1.1 200 OK\nContent-Length: 0\n\n", "bare LF in the status line"),
    BAD(60, OK_HEAD "X-A: b\rc\r\n\r\n", "bare CR in a header field"),
    BAD(61, OK_HEAD "X-A: b\0c\r\n\r\n", "NUL byte in a header field"),
    BAD(62, OK_HEAD "X-A: b\r\n c\r\n\r\n", "folded or indented header line"),
    BAD(63, OK_HEAD "Content-Length : 0\r\n\r\n", "bad header field 'Content-Length : 0'"),
    BAD(64, "", "ends inside the status line"),
    BAD(65, OK_HEAD "Content-Length: 0\r\n", "ends inside a header field"),
    BAD(66, "HTTP/1.1 101 Switching Protocols\r\n\r\n", "unexpected 101"),
    BAD(67, "HTTP/1.1 200 O\x01K\r\n\r\n", "control character in the reason phrase 'O\\x01K'"),
    BAD(68, "HTTP/1.1 204 No Content\r\n\r\nx", "1 bytes after a 204 response"),
    BAD(69, OK_HEAD ": x\r\n\r\n", "bad header field"),
    BAD(70, OK_HEAD "X-A: \x7f\r\n\r\n", "control character in header field"),
    BAD(71, OK_HEAD "Transfer-Encoding: chunked\r\nTransfer-Encoding: chunked\r\n\r\n",
	"more than one Transfer-Encoding"),
    BAD(72, CHUNKED "3;\x01\r\nabc\r\n0\r\n\r\n", "control character in chunk extension"),
    BAD(73, "HTTP/1.1 200 OK\r", "ends inside the status line"),
    BAD(74, "\r\n" OK_HEAD "\r\n", "bad status line ''"),
};

static void check_http_vec(const struct http_vec *v)
{
	struct http_response r = {.status = 12345};
	char why[256] = "";
	int got;

	got = http_response_parse((const uint8_t *)v->in, v->len, &r, why, sizeof(why));
	if (got != v->want || (v->why && !strstr(why, v->why)))
		fail_msg("vector %d: got %d '%s', want %d '%s'", v->no, got, why, v->want,
			 v->why ? v->why : "");
	if (got < 0) {
		if (r.status != 12345 || r.body)
			fail_msg("vector %d: output written on failure", v->no);
		return;
	}
	if (r.status != v->status || r.body_len != v->body_len ||
	    memcmp(r.body, v->body, v->body_len) != 0 || r.body[r.body_len] != '\0')
		fail_msg("vector %d: status %d, body of %zu bytes", v->no, r.status, r.body_len);
	http_response_clear(&r);
	assert_null(r.body);
}

static void test_http_vectors(void **state)
{
	(void)state;
	for (size_t i = 0; i < sizeof(http_vecs) / sizeof(http_vecs[0]); i++)
		check_http_vec(&http_vecs[i]);
}

static int parse_str(const char *s, size_t len, struct http_response *r, char *why, size_t cap)
{
	return http_response_parse((const uint8_t *)s, len, r, why, cap);
}

static void test_http_field_cap(void **state)
{
	char buf[4096], why[256];
	struct http_response r = {0};
	size_t n;

	(void)state;
	n = (size_t)snprintf(buf, sizeof(buf), OK_HEAD);
	for (int i = 0; i < HTTP_FIELDS_MAX; i++)
		n += (size_t)snprintf(buf + n, sizeof(buf) - n, "X-%d: v\r\n", i);
	n += (size_t)snprintf(buf + n, sizeof(buf) - n, "\r\n");
	assert_int_equal(parse_str(buf, n, &r, why, sizeof(why)), 0); /* exactly the cap */
	http_response_clear(&r);

	n -= 2;
	n += (size_t)snprintf(buf + n, sizeof(buf) - n, "X-last: v\r\n\r\n");
	assert_int_equal(parse_str(buf, n, &r, why, sizeof(why)), -EBADMSG);
	assert_non_null(strstr(why, "more than 64 header fields"));
}

static void test_http_line_cap(void **state)
{
	size_t cap = sizeof(OK_HEAD) + HTTP_LINE_MAX + 16;
	char *buf = malloc(cap), why[256];
	struct http_response r = {0};
	size_t n = sizeof(OK_HEAD) - 1;

	(void)state;
	assert_non_null(buf);
	memcpy(buf, OK_HEAD, n);
	memcpy(buf + n, "X-Long: ", 8);
	memset(buf + n + 8, 'a', HTTP_LINE_MAX - 8); /* a line of exactly the cap */
	n += HTTP_LINE_MAX;
	memcpy(buf + n, "\r\n\r\n", 4);
	assert_int_equal(parse_str(buf, n + 4, &r, why, sizeof(why)), 0);
	http_response_clear(&r);

	buf[n] = 'a'; /* one byte longer */
	memcpy(buf + n + 1, "\r\n\r\n", 4);
	assert_int_equal(parse_str(buf, n + 5, &r, why, sizeof(why)), -EBADMSG);
	assert_non_null(strstr(why, "longer than 8192 bytes"));
	free(buf);
}

static void test_http_size_and_interim_caps(void **state)
{
	char *big = malloc(HTTP_RESPONSE_MAX_LEN + 1), buf[1024], why[256];
	struct http_response r = {0};
	size_t n = 0;

	(void)state;
	assert_non_null(big);
	memset(big, 'a', HTTP_RESPONSE_MAX_LEN + 1);
	memcpy(big, OK_HEAD "\r\n", sizeof(OK_HEAD) + 1);
	assert_int_equal(parse_str(big, HTTP_RESPONSE_MAX_LEN, &r, why, sizeof(why)), 0);
	assert_int_equal(r.body_len, HTTP_RESPONSE_MAX_LEN - sizeof(OK_HEAD) - 1);
	http_response_clear(&r);
	assert_int_equal(parse_str(big, HTTP_RESPONSE_MAX_LEN + 1, &r, why, sizeof(why)), -EBADMSG);
	assert_non_null(strstr(why, "over the 1048576-byte cap"));
	free(big);

	for (int i = 0; i <= HTTP_INTERIM_MAX; i++)
		n += (size_t)snprintf(buf + n, sizeof(buf) - n, "HTTP/1.1 102 Processing\r\n\r\n");
	n += (size_t)snprintf(buf + n, sizeof(buf) - n, OK_HEAD "\r\n");
	assert_int_equal(parse_str(buf, n, &r, why, sizeof(why)), -EBADMSG);
	assert_non_null(strstr(why, "interim"));
}

static void test_escape(void **state)
{
	char q[16];

	(void)state;
	assert_string_equal(cli_escape_str(q, sizeof(q), "plain"), "plain");
	assert_string_equal(cli_escape_str(q, sizeof(q), "a\x1b[2J"), "a\\x1b[2J");
	assert_string_equal(cli_escape_str(q, sizeof(q), "back\\"), "back\\\\");
	assert_string_equal(cli_escape(q, sizeof(q), "a\0b", 3), "a\\x00b");
	/* Cut at a whole escape and marked: 16 bytes hold 12 characters + "...". */
	assert_string_equal(cli_escape_str(q, sizeof(q), "0123456789abcdefgh"), "0123456789ab...");
	assert_string_equal(cli_escape_str(q, sizeof(q), "0123456789a\x01"), "0123456789a...");
	assert_string_equal(cli_escape_str(q, sizeof(q), NULL), "(null)");
}

/* ---- running command lines ----------------------------------------------- */

static const struct cli_cmd test_cmds[] = {
    {"init", "init", cmd_init_main},
    {"identity", "identity", cmd_identity_main},
    {"status", "status", cmd_status_main},
    {"version", "version", cmd_version_main},
};

struct run {
	int rc;
	char *out;
	char *err;
};

/* Run the NULL-terminated command line and capture both streams. */
static void run_cli(struct run *r, const char *arg0, ...)
{
	const char *argv[32] = {arg0};
	size_t out_len, err_len;
	FILE *out, *err;
	va_list ap;
	int argc = 1;

	va_start(ap, arg0);
	while (argc < 31 && (argv[argc] = va_arg(ap, const char *)))
		argc++;
	va_end(ap);
	out = open_memstream(&r->out, &out_len);
	err = open_memstream(&r->err, &err_len);
	assert_non_null(out);
	assert_non_null(err);
	r->rc = cli_run(test_cmds, 4, argc, (char **)argv, out, err);
	fclose(out);
	fclose(err);
}

static void run_free(struct run *r)
{
	free(r->out);
	free(r->err);
}

struct usage_vec {
	int no;
	const char *argv[8];
	int rc;
	const char *err; /* the whole of stderr */
};

static const struct usage_vec usage_vecs[] = {
    {1, {NULL}, 2, "vx6: missing command; see 'vx6 --help'\n"},
    {2, {"frob"}, 2, "vx6: unknown command 'frob'; see 'vx6 --help'\n"},
    {3, {"--frob", "status"}, 2, "vx6: unknown option '--frob'; see 'vx6 --help'\n"},
    {4, {"--state-dir"}, 2, "vx6: option '--state-dir' needs a value; see 'vx6 --help'\n"},
    {5,
     {"--state-dir=", "status"},
     2,
     "vx6: option '--state-dir' needs a non-empty value; see 'vx6 --help'\n"},
    {6, {"--json=1", "status"}, 2, "vx6: option '--json' takes no value; see 'vx6 --help'\n"},
    {7,
     {"--socket", "x", "--admin", "127.0.0.1:1", "status"},
     2,
     "vx6: options '--socket' and '--admin' exclude each other; see 'vx6 --help'\n"},
    {8,
     {"--admin", "10.1.2.3:7600", "status"},
     2,
     "vx6: admin address '10.1.2.3:7600' is not a loopback address; the admin token must "
     "not cross a network in clear text; see 'vx6 --help'\n"},
    {9,
     {"--admin=127.0.0.1:0", "status"},
     2,
     "vx6: bad port in admin address '127.0.0.1:0': expected 1..65535; see 'vx6 --help'\n"},
    {10,
     {"--admin", "::1:7600", "status"},
     2,
     "vx6: bad admin address '::1:7600': expected ADDR:PORT, e.g. 127.0.0.1:7600 or "
     "[::1]:7600; see 'vx6 --help'\n"},
    {11, {"init"}, 2, "vx6 init: missing option '--name NAME'; see 'vx6 init --help'\n"},
    {12,
     {"init", "--name", "Alpha"},
     2,
     "vx6 init: invalid name 'Alpha': use 1-63 characters of a-z, 0-9 and '-', not starting "
     "or ending with '-'; see 'vx6 init --help'\n"},
    {13,
     {"init", "--name", "a", "--network", "-x"},
     2,
     "vx6 init: invalid network '-x': use 1-63 characters of a-z, 0-9 and '-', not "
     "starting or ending with '-'; see 'vx6 init --help'\n"},
    {14,
     {"init", "--name", "a", "extra"},
     2,
     "vx6 init: unexpected argument 'extra'; see 'vx6 init --help'\n"},
    {15, {"init", "--name"}, 2, "vx6 init: option '--name' needs a value; see 'vx6 init --help'\n"},
    {16, {"init", "--bogus"}, 2, "vx6 init: unknown option '--bogus'; see 'vx6 init --help'\n"},
    {17,
     {"status", "--socket", "x"},
     2,
     "vx6 status: '--socket' is a global option; put it before the command, as in "
     "'vx6 --socket VALUE status'\n"},
    {18, {"status", "now"}, 2, "vx6 status: unexpected argument 'now'; see 'vx6 status --help'\n"},
    {19,
     {"identity"},
     2,
     "vx6 identity: missing subcommand (try 'show'); see 'vx6 identity --help'\n"},
    {20,
     {"identity", "list"},
     2,
     "vx6 identity: unknown subcommand 'list'; see 'vx6 identity --help'\n"},
    {21,
     {"identity", "show", "--frob"},
     2,
     "vx6 identity show: unknown option '--frob'; see 'vx6 identity show --help'\n"},
    {22, {"version", "-x"}, 2, "vx6 version: unknown option '-x'; see 'vx6 version --help'\n"},
    {23, {"fr\x1bob"}, 2, "vx6: unknown command 'fr\\x1bob'; see 'vx6 --help'\n"},
    {24, {"help", "frob"}, 2, "vx6: unknown command 'frob'; see 'vx6 --help'\n"},
    {25,
     {"init", "--name", "a", "--state-dir", ""},
     2,
     "vx6 init: option '--state-dir' needs a non-empty value; see 'vx6 init --help'\n"},
    /* help goes to stdout and exits 0 */
    {40, {"--help"}, 0, ""},
    {41, {"-h"}, 0, ""},
    {42, {"--version"}, 0, ""},
    {43, {"help"}, 0, ""},
    {44, {"help", "status"}, 0, ""},
    {45, {"init", "--help"}, 0, ""},
    {46, {"identity", "--help"}, 0, ""},
    {47, {"identity", "show", "-h"}, 0, ""},
    {48, {"status", "--help"}, 0, ""},
    {49, {"version", "--help"}, 0, ""},
};

static void test_usage_errors(void **state)
{
	(void)state;
	for (size_t i = 0; i < sizeof(usage_vecs) / sizeof(usage_vecs[0]); i++) {
		const struct usage_vec *v = &usage_vecs[i];
		const char *a[8];
		struct run r;

		for (int k = 0; k < 8; k++)
			a[k] = v->argv[k];
		run_cli(&r, "vx6", "--state-dir", "/nonexistent/vx6-test", a[0], a[1], a[2], a[3],
			a[4], a[5], a[6], NULL);
		if (r.rc != v->rc || strcmp(r.err, v->err) != 0)
			fail_msg("usage vector %d: rc %d, stderr '%s'", v->no, r.rc, r.err);
		if (v->rc == 0 && strncmp(r.out, "Usage: vx6", 10) != 0 &&
		    strcmp(r.out, "vx6 " VX6_VERSION "\n") != 0)
			fail_msg("usage vector %d: stdout '%s'", v->no, r.out);
		run_free(&r);
	}
}

static void test_init_parse(void **state)
{
	char *argv[] = {"init",	       "--name=alpha",	 "--network", "lab-1", "--force",
			"--state-dir", "/tmp/elsewhere", "--json",    NULL};
	struct cli_ctx ctx = {.out = stdout, .err = stderr};
	struct cmd_init_args args = {0};

	(void)state;
	assert_int_equal(cmd_init_parse(&ctx, 8, argv, &args), CLI_PARSE_RUN);
	assert_string_equal(args.name, "alpha");
	assert_string_equal(args.network, "lab-1");
	assert_true(args.force);
	assert_true(ctx.json);
	assert_string_equal(ctx.state_dir, "/tmp/elsewhere");

	args = (struct cmd_init_args){0};
	argv[2] = "--";
	argv[3] = NULL;
	assert_int_equal(cmd_init_parse(&ctx, 2, argv, &args), CLI_PARSE_RUN);
	assert_string_equal(args.network, "vx6"); /* the default */
	assert_false(args.force);
}

/* ---- a state directory and a fake vx6d ------------------------------------ */

#define TOKEN "0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef"

static int rm_entry(const char *path, const struct stat *st, int flag, struct FTW *ftw)
{
	(void)st;
	(void)flag;
	(void)ftw;
	return remove(path);
}

static int setup_dir(void **state)
{
	char *dir = strdup("/tmp/vx6-test-cli-XXXXXX");

	if (!dir || !mkdtemp(dir))
		return -1;
	*state = dir;
	return 0;
}

static int teardown_dir(void **state)
{
	nftw(*state, rm_entry, 8, FTW_DEPTH | FTW_PHYS);
	free(*state);
	return 0;
}

static void write_file(const char *dir, const char *name, const char *text)
{
	char path[PATH_MAX];
	FILE *f;

	snprintf(path, sizeof(path), "%s/%s", dir, name);
	f = fopen(path, "w");
	assert_non_null(f);
	fputs(text, f);
	fclose(f);
	chmod(path, 0600);
}

static void test_init_and_show(void **state)
{
	const char *dir = *state;
	char want[PATH_MAX + 256];
	json_t *made, *shown;
	struct run r;

	run_cli(&r, "vx6", "--state-dir", dir, "identity", "show", NULL); /* none yet */
	assert_int_equal(r.rc, 1);
	assert_non_null(strstr(r.err, "vx6 init"));
	assert_true(strchr(r.err, '\n') == r.err + strlen(r.err) - 1); /* one line */
	run_free(&r);

	run_cli(&r, "vx6", "--state-dir", dir, "init", "--name", "alpha", NULL);
	assert_int_equal(r.rc, 0);
	assert_non_null(strstr(r.out, "name:            alpha\n"));
	assert_non_null(strstr(r.out, "overlay address: fd"));
	run_free(&r);

	run_cli(&r, "vx6", "--state-dir", dir, "init", "--name", "beta", NULL);
	snprintf(want, sizeof(want),
		 "vx6: an identity already exists in '%s'; use --force to replace it (its key, "
		 "node ID and address are lost)\n",
		 dir);
	assert_int_equal(r.rc, 1);
	assert_string_equal(r.err, want);
	run_free(&r);

	run_cli(&r, "vx6", "init", "--state-dir", dir, "--name", "beta", "--network", "lab",
		"--force", "--json", NULL);
	assert_int_equal(r.rc, 0);
	made = json_loads(r.out, 0, NULL);
	run_free(&r);

	/* identity show reads back what init printed */
	run_cli(&r, "vx6", "--json", "--state-dir", dir, "identity", "show", NULL);
	assert_int_equal(r.rc, 0);
	shown = json_loads(r.out, 0, NULL);
	assert_non_null(made);
	assert_non_null(shown);
	assert_true(json_equal(made, shown));
	assert_string_equal(json_string_value(json_object_get(shown, "name")), "beta");
	assert_string_equal(json_string_value(json_object_get(shown, "network")), "lab");
	json_decref(made);
	json_decref(shown);
	run_free(&r);
}

static void test_not_running(void **state)
{
	const char *dir = *state;
	char want[PATH_MAX * 2 + 256], sock[PATH_MAX];
	struct sockaddr_un sun = {.sun_family = AF_UNIX};
	struct run r;
	int fd;

	snprintf(want, sizeof(want),
		 "vx6: vx6d is not running (no socket at '%s/admin.sock'); start it with "
		 "'systemctl start vx6d' or 'vx6d --state-dir %s'\n",
		 dir, dir);
	run_cli(&r, "vx6", "--state-dir", dir, "status", NULL);
	assert_int_equal(r.rc, 1);
	assert_string_equal(r.err, want);
	assert_string_equal(r.out, "");
	run_free(&r);

	/* A stale socket file nobody listens on: ECONNREFUSED, same line. */
	snprintf(sock, sizeof(sock), "%s/admin.sock", dir);
	strcpy(sun.sun_path, sock);
	fd = socket(AF_UNIX, SOCK_STREAM, 0);
	assert_int_equal(bind(fd, (struct sockaddr *)&sun, sizeof(sun)), 0);
	close(fd);
	run_cli(&r, "vx6", "--state-dir", dir, "status", NULL);
	assert_int_equal(r.rc, 1);
	assert_string_equal(r.err, want);
	run_free(&r);

	/* version never fails because the daemon is down */
	run_cli(&r, "vx6", "--state-dir", dir, "version", NULL);
	assert_int_equal(r.rc, 0);
	assert_string_equal(r.out, "vx6 " VX6_VERSION "\n");
	assert_string_equal(r.err, "");
	run_free(&r);
}

/* A fake vx6d: answers `n` connections in order with `answers`, keeping
 * the requests it read. An answer of NULL means: never answer, wait for
 * the client to hang up. */
struct fake {
	int lfd;
	int n;
	const char *answers[4];
	size_t answer_len[4];
	char req[4][2048];
};

static void fake_serve_one(struct fake *f, int i)
{
	struct pollfd pfd = {.fd = f->lfd, .events = POLLIN};
	size_t got = 0;
	ssize_t n;
	int fd;

	if (poll(&pfd, 1, 5000) <= 0 || (fd = accept(f->lfd, NULL, NULL)) < 0)
		return; /* the client never came: the test's own asserts fail */
	pfd.fd = fd;
	while (got < sizeof(f->req[i]) - 1 && !strstr(f->req[i], "\r\n\r\n") &&
	       poll(&pfd, 1, 2000) > 0 &&
	       (n = recv(fd, f->req[i] + got, sizeof(f->req[i]) - 1 - got, 0)) > 0) {
		got += (size_t)n;
		f->req[i][got] = '\0';
	}
	if (f->answers[i]) {
		send(fd, f->answers[i], f->answer_len[i], MSG_NOSIGNAL);
	} else {
		char c;

		while (poll(&pfd, 1, 3000) > 0 && recv(fd, &c, 1, 0) > 0)
			; /* until the client gives up */
	}
	close(fd);
}

static void *fake_main(void *f)
{
	for (int i = 0; i < ((struct fake *)f)->n; i++)
		fake_serve_one(f, i);
	return NULL;
}

static void fake_start(struct fake *f, const char *dir, pthread_t *th)
{
	struct sockaddr_un sun = {.sun_family = AF_UNIX};

	snprintf(sun.sun_path, sizeof(sun.sun_path), "%s/admin.sock", dir);
	unlink(sun.sun_path);
	f->lfd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
	assert_true(f->lfd >= 0);
	assert_int_equal(bind(f->lfd, (struct sockaddr *)&sun, sizeof(sun)), 0);
	assert_int_equal(listen(f->lfd, 4), 0);
	write_file(dir, "admin.token", TOKEN "\n");
	assert_int_equal(pthread_create(th, NULL, fake_main, f), 0);
}

static void fake_stop(struct fake *f, pthread_t th)
{
	pthread_join(th, NULL);
	close(f->lfd);
}

#define NODE_JSON                                                                                  \
	"{\"node_id\":\"abc\",\"name\":\"alpha\",\"public_key\":\"00\",\"overlay_address\":"       \
	"\"fd00::1\",\"network\":\"vx6\",\"uptime_s\":3725,\"version\":\"9.9.9\",\"record\":"      \
	"{\"seq\":3,\"issued\":0,\"expires\":86400,\"endpoints\":[{\"address\":\"192.0.2.1\","     \
	"\"port\":7000,\"transport\":\"tcp\"},{\"address\":\"2001:db8::1\",\"port\":7001,"         \
	"\"transport\":\"quic\"}]}}"

/* Chunks of 10 and 64 bytes. */
static const char health_answer[] =
    CHUNKED "a\r\n{\"status\":\r\n40\r\n\"ok\",\"uptime_s\":3725,\"config_generation\":2,\"log_"
	    "level\":\"notice\"}\r\n0\r\n\r\n";

static void test_status_against_fake(void **state)
{
	char node_answer[1024];
	struct fake f = {.n = 2,
			 .answers = {node_answer, health_answer},
			 .answer_len = {0, sizeof(health_answer) - 1}};
	pthread_t th;
	struct run r;

	f.answer_len[0] =
	    (size_t)snprintf(node_answer, sizeof(node_answer),
			     OK_HEAD "Content-Length: %zu\r\n\r\n%s", strlen(NODE_JSON), NODE_JSON);
	fake_start(&f, *state, &th);
	run_cli(&r, "vx6", "--state-dir", *state, "status", NULL);
	fake_stop(&f, th);
	assert_string_equal(r.err, "");
	assert_int_equal(r.rc, 0);
	assert_non_null(strstr(r.out, "vx6d:            running, version 9.9.9, up 1h 2m 5s\n"));
	assert_non_null(
	    strstr(r.out, "health:          ok, config generation 2, log level notice\n"));
	assert_non_null(strstr(r.out, "record:          seq 3, issued 1970-01-01 00:00:00 UTC, "
				      "expires 1970-01-02 00:00:00 UTC\n"));
	assert_non_null(strstr(r.out, "endpoints:       tcp 192.0.2.1:7000\n"
				      "                 quic [2001:db8::1]:7001\n"));
	assert_non_null(strstr(f.req[0], "GET /api/v1/node HTTP/1.1\r\n"));
	assert_non_null(strstr(f.req[0], "\r\nAuthorization: Bearer " TOKEN "\r\n"));
	assert_non_null(strstr(f.req[0], "\r\nConnection: close\r\n"));
	assert_non_null(strstr(f.req[1], "GET /api/v1/health HTTP/1.1\r\n"));
	run_free(&r);
}

static void test_status_errors_from_fake(void **state)
{
	static const char a401[] = "HTTP/1.1 401 Unauthorized\r\n\r\n"
				   "{\"error\":{\"status\":401,\"message\":\"bad token\"}}";
	static const char a500[] = "HTTP/1.1 500 Internal Server Error\r\n\r\n"
				   "{\"error\":{\"status\":500,\"message\":\"boom\\u001b\"}}";
	static const char abad[] = OK_HEAD "Content-Length: 9\r\n\r\n{\"a\":1}";
	const char *answers[] = {a401, a500, abad};
	const size_t lens[] = {sizeof(a401) - 1, sizeof(a500) - 1, sizeof(abad) - 1};
	const char *want[] = {"refused the admin token from '", "vx6: vx6d: boom\\x1b (HTTP 500)\n",
			      "Content-Length is 9, but 7 body bytes follow"};

	for (int i = 0; i < 3; i++) {
		struct fake f = {.n = 1, .answers = {answers[i]}, .answer_len = {lens[i]}};
		pthread_t th;
		struct run r;

		fake_start(&f, *state, &th);
		run_cli(&r, "vx6", "--state-dir", *state, "status", NULL);
		fake_stop(&f, th);
		if (r.rc != 1 || !strstr(r.err, want[i]) ||
		    strchr(r.err, '\n') != strrchr(r.err, '\n'))
			fail_msg("answer %d: rc %d, stderr '%s'", i, r.rc, r.err);
		run_free(&r);
	}
}

static void test_client_post_timeout_and_cap(void **state)
{
	char *big = malloc(HTTP_RESPONSE_MAX_LEN + 64), sock[PATH_MAX], tok[PATH_MAX], why[512];
	struct fake f = {.n = 3, .answers = {OK_HEAD "\r\n{\"seq\":4}", NULL, big}};
	struct http_response resp = {0};
	struct admin_target t;
	pthread_t th;

	assert_non_null(big);
	memset(big, 'x', HTTP_RESPONSE_MAX_LEN + 64);
	memcpy(big, OK_HEAD "\r\n", sizeof(OK_HEAD) + 1);
	f.answer_len[0] = strlen(f.answers[0]);
	f.answer_len[2] = HTTP_RESPONSE_MAX_LEN + 64;
	snprintf(sock, sizeof(sock), "%s/admin.sock", (char *)*state);
	snprintf(tok, sizeof(tok), "%s/admin.token", (char *)*state);
	fake_start(&f, *state, &th);
	assert_int_equal(admin_target_init_unix(&t, sock, tok, why, sizeof(why)), 0);
	t.timeout_ms = 200;

	assert_int_equal(admin_client_request(&t, "POST", "/api/v1/node/republish", "{}", 2, &resp,
					      why, sizeof(why)),
			 0);
	assert_string_equal((char *)resp.body, "{\"seq\":4}");
	assert_non_null(strstr(f.req[0], "POST /api/v1/node/republish HTTP/1.1\r\n"));
	assert_non_null(strstr(f.req[0], "\r\nContent-Type: application/json\r\n"
					 "Content-Length: 2\r\n\r\n{}"));
	http_response_clear(&resp);

	assert_int_equal(admin_client_request(&t, "GET", "/", NULL, 0, &resp, why, sizeof(why)),
			 -ETIMEDOUT);
	assert_non_null(strstr(why, "within 200 ms"));
	t.timeout_ms = 5000;
	assert_int_equal(admin_client_request(&t, "GET", "/", NULL, 0, &resp, why, sizeof(why)),
			 -EMSGSIZE);
	fake_stop(&f, th);
	free(big);

	/* bad requests never reach the socket */
	assert_int_equal(admin_client_request(&t, "GET", "/a b", NULL, 0, &resp, why, sizeof(why)),
			 -EINVAL);
	assert_int_equal(admin_client_request(&t, "PATCH", "/", NULL, 0, &resp, why, sizeof(why)),
			 -EINVAL);
}

static void test_client_token_errors(void **state)
{
	const char *dir = *state;
	char sock[PATH_MAX], tok[PATH_MAX], why[512];
	struct fake f = {.n = 2};
	struct http_response resp = {0};
	struct admin_target t;
	pthread_t th;

	snprintf(sock, sizeof(sock), "%s/admin.sock", dir);
	snprintf(tok, sizeof(tok), "%s/admin.token", dir);
	fake_start(&f, dir, &th); /* writes a good token; replaced below */
	assert_int_equal(admin_target_init_unix(&t, sock, tok, why, sizeof(why)), 0);
	write_file(dir, "admin.token", "0123\n");
	assert_int_equal(admin_client_request(&t, "GET", "/", NULL, 0, &resp, why, sizeof(why)),
			 -EINVAL);
	assert_non_null(strstr(why, "is malformed: its first line must be 64 hex digits"));
	unlink(tok);
	assert_int_equal(admin_client_request(&t, "GET", "/", NULL, 0, &resp, why, sizeof(why)),
			 -ENOENT);
	assert_non_null(strstr(why, "no admin token at '"));
	fake_stop(&f, th);
	assert_null(resp.body);
}

static void test_target_parsing(void **state)
{
	static const struct {
		const char *addr;
		int want;
	} vecs[] = {
	    {"127.0.0.1:7600", 0},	  {"[::1]:7600", 0},
	    {"localhost:7600", 0},	  {"127.9.9.9:65535", 0},
	    {"127.0.0.1:65536", -EINVAL}, {"[::2]:7600", -EINVAL},
	    {"example.org:80", -EINVAL},  {"127.0.0.1:", -EINVAL},
	    {"127.0.0.1", -EINVAL},	  {"[::1]7600", -EINVAL},
	    {"127.0.0.1:+80", -EINVAL},	  {":7600", -EINVAL},
	};
	struct admin_target t;
	char why[256], longpath[200];

	(void)state;
	for (size_t i = 0; i < sizeof(vecs) / sizeof(vecs[0]); i++) {
		if (admin_target_init_tcp(&t, vecs[i].addr, "/x", why, sizeof(why)) != vecs[i].want)
			fail_msg("address '%s': want %d", vecs[i].addr, vecs[i].want);
	}
	memset(longpath, 'a', sizeof(longpath) - 1);
	longpath[sizeof(longpath) - 1] = '\0';
	assert_int_equal(admin_target_init_unix(&t, longpath, "/x", why, sizeof(why)),
			 -ENAMETOOLONG);
}

/* A test that runs in a fresh mkdtemp() directory, passed as *state. */
#define DIR_TEST(f) cmocka_unit_test_setup_teardown(f, setup_dir, teardown_dir)

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_http_vectors),
	    cmocka_unit_test(test_http_field_cap),
	    cmocka_unit_test(test_http_line_cap),
	    cmocka_unit_test(test_http_size_and_interim_caps),
	    cmocka_unit_test(test_escape),
	    cmocka_unit_test(test_usage_errors),
	    cmocka_unit_test(test_init_parse),
	    cmocka_unit_test(test_target_parsing),
	    DIR_TEST(test_init_and_show),
	    DIR_TEST(test_not_running),
	    DIR_TEST(test_status_against_fake),
	    DIR_TEST(test_status_errors_from_fake),
	    DIR_TEST(test_client_post_timeout_and_cap),
	    DIR_TEST(test_client_token_errors),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
