/* tests/unit/test_config.c - vx6d config parsing: defaults, every field,
 * and a numbered table of bad configs whose errors must name the field and
 * its exact line:column. */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "daemon/config.h"
#include "identity/record.h"
#include "transport/link.h"

static struct daemon_config *parse_ok(const char *text, const struct config_overrides *ov)
{
	struct daemon_config *c = NULL;
	char err[512] = "";
	int r =
	    daemon_config_parse(text, text ? strlen(text) : 0, "t.json", ov, &c, err, sizeof(err));

	if (r != 0)
		fail_msg("unexpected error %d: %s", r, err);
	return c;
}

static void test_defaults(void **state)
{
	struct daemon_config *c = parse_ok(NULL, NULL);

	(void)state;
	assert_string_equal(c->state_dir, "/var/lib/vx6");
	assert_string_equal(c->admin_unix, "/var/lib/vx6/admin.sock");
	assert_int_equal(c->log_level, LOG_LEVEL_NOTICE);
	assert_true(c->admin_tcp_enabled);
	assert_true(c->admin_tcp_v4);
	assert_int_equal(c->admin_tcp_port, 7600);
	assert_int_equal(c->record_lifetime_s, CONFIG_DEFAULT_LIFETIME_S);
	assert_int_equal(c->n_listen, 0);
	assert_int_equal(c->link_keepalive_ms, LINK_PING_MS);
	assert_int_equal(c->link_dead_ms, LINK_DEAD_MS);
	assert_int_equal(c->link_idle_close_ms, LINK_IDLE_CLOSE_MS);
	free(c);
}

static void test_full(void **state)
{
	const char *text =
	    "{\"state_dir\": \"/srv/vx6\", \"log_level\": \"debug\",\n"
	    " \"admin\": {\"unix_socket\": \"api.sock\", \"listen\": \"[::1]:9000\","
	    " \"max_body_bytes\": 2048},\n"
	    " \"listen\": [{\"address\": \"fd00:76::1\", \"port\": 7700},"
	    " {\"address\": \"::\", \"port\": 7701, \"transport\": \"quic\"}],\n"
	    " \"record_lifetime_s\": 3600,\n"
	    " \"links\": {\"keepalive_ms\": 1000, \"dead_ms\": 3000, \"idle_close_ms\": 60000}}";
	struct daemon_config *c = parse_ok(text, NULL);

	(void)state;
	assert_string_equal(c->state_dir, "/srv/vx6");
	assert_string_equal(c->admin_unix, "/srv/vx6/api.sock");
	assert_int_equal(c->log_level, LOG_LEVEL_DEBUG);
	assert_false(c->admin_tcp_v4);
	assert_true(IN6_IS_ADDR_LOOPBACK(&c->admin_tcp_addr));
	assert_int_equal(c->admin_tcp_port, 9000);
	assert_int_equal(c->admin_max_body, 2048);
	assert_int_equal(c->n_listen, 2);
	assert_int_equal(c->listen[0].port, 7700);
	assert_int_equal(c->listen[0].transport, RECORD_TRANSPORT_TCP);
	assert_int_equal(c->listen[1].transport, RECORD_TRANSPORT_QUIC);
	assert_true(IN6_IS_ADDR_UNSPECIFIED(&c->listen[1].addr));
	assert_int_equal(c->record_lifetime_s, 3600);
	assert_int_equal(c->link_keepalive_ms, 1000);
	assert_int_equal(c->link_dead_ms, 3000);
	assert_int_equal(c->link_idle_close_ms, 60000);
	free(c);
}

static void test_overrides(void **state)
{
	struct config_overrides ov = {.state_dir = "/tmp/x", .log_level = "warn"};
	struct daemon_config *c = parse_ok("{\"state_dir\": \"/srv\", \"admin\": {\"listen\": "
					   "null, \"unix_socket\": \"/run/a.sock\"}}",
					   &ov);

	(void)state;
	assert_string_equal(c->state_dir, "/tmp/x");
	assert_string_equal(c->admin_unix, "/run/a.sock");
	assert_int_equal(c->log_level, LOG_LEVEL_WARN);
	assert_false(c->admin_tcp_enabled);
	free(c);
}

/* Each bad config and the start of the message it must produce. */
static const struct {
	const char *text;
	const char *want; /* substring of the error */
} bad[] = {
    /* 1 */ {"", "t.json:1:0:"},
    /* 2 */ {"[]", "top level must be a JSON object"},
    /* 3 */ {"{\"log_level\": \"loud\"}", "t.json:1:15: log_level: 'loud' is not"},
    /* 4 */
    {"{\n  \"admin\": {\n    \"listen\": \"8.8.8.8:80\"}}",
     "t.json:3:15: admin.listen: '8.8.8.8:80' is not a loopback"},
    /* 5 */ {"{\"admin\": {\"listen\": \"::1:80\"}}", "is not ADDRESS:PORT"},
    /* 6 */ {"{\"admin\": {\"listen\": \"127.0.0.1:0\"}}", "is not ADDRESS:PORT"},
    /* 7 */ {"{\"admin\": {\"listen\": \"127.0.0.1:65536\"}}", "is not ADDRESS:PORT"},
    /* 8 */ {"{\"admin\": {\"bogus\": 1}}", "admin.bogus: unknown field"},
    /* 9 */ {"{\"bogus\": 1}", "t.json:1:11: bogus: unknown field"},
    /* 10 */ {"{\"state_dir\": \"relative\"}", "must be an absolute path"},
    /* 11 */ {"{\"state_dir\": 5}", "state_dir: expected a string"},
    /* 12 */ {"{\"record_lifetime_s\": 5}", "record_lifetime_s: 5 is out of range"},
    /* 13 */ {"{\"record_lifetime_s\": -1}", "out of range"},
    /* 14 */ {"{\"record_lifetime_s\": \"1\"}", "expected an integer"},
    /* 15 */ {"{\"listen\": {}}", "listen: expected an array"},
    /* 16 */ {"{\"listen\": [{\"address\": \"::\"}]}", "listen[0]: missing field 'port'"},
    /* 17 */
    {"{\"listen\": [{\"port\": 1, \"address\": \"1.2.3.4\"}]}",
     "listen[0].address: '1.2.3.4' is not an IPv6 address"},
    /* 18 */
    {"{\"listen\": [{\"port\": 1, \"transport\": \"sctp\"}]}",
     "listen[0].transport: 'sctp' is not tcp, quic or udp"},
    /* 19 */ {"{\"listen\": [{\"port\": 1}, {\"port\": 1}]}", "listen[1]: duplicate"},
    /* 20 */
    {"{\"listen\": [{\"port\":1},{\"port\":2},{\"port\":3},{\"port\":4},"
     "{\"port\":5},{\"port\":6},{\"port\":7},{\"port\":8},{\"port\":9}]}",
     "9 entries; at most 8"},
    /* 21 */ {"{\"a\": 1, \"a\": 2}", "duplicate object key"},
    /* 22 */ {"{\"admin\": {\"unix_socket\": \"\"}}", "must be 1..100 characters"},
    /* 23 */ {"{\"log_level\": \"de\\u0000bug\"}", "is not allowed"},
    /* 24 */ {"{\"admin\": {\"max_body_bytes\": 10}}", "admin.max_body_bytes: 10 is out"},
    /* 25 */
    {"{\"x\":[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[1]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]}",
     "nested deeper than"},
    /* 26 */ {"{\"links\": []}", "links: expected an object"},
    /* 27 */ {"{\"links\": {\"ping\": 1}}", "links.ping: unknown field"},
    /* 28 */ {"{\"links\": {\"keepalive_ms\": 50}}", "links.keepalive_ms: 50 is out of range"},
    /* 29 */
    {"{\"links\": {\"keepalive_ms\": 2000, \"dead_ms\": 5000}}",
     "links.dead_ms: 5000 is less than three keepalives (6000 ms)"},
    /* 30 */
    {"{\"links\": {\"dead_ms\": 600000, \"idle_close_ms\": 600000}}",
     "links.idle_close_ms: 600000 is not longer than dead_ms (600000)"},
    /* 31 */ {"{\"links\": {\"dead_ms\": \"3s\"}}", "links.dead_ms: expected an integer"},
};

static void test_bad(void **state)
{
	(void)state;
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		struct daemon_config *c = NULL;
		char err[512] = "";
		int r = daemon_config_parse(bad[i].text, strlen(bad[i].text), "t.json", NULL, &c,
					    err, sizeof(err));

		if (r != -EINVAL || c != NULL || !strstr(err, bad[i].want))
			fail_msg("case %zu: r=%d err='%s', want '%s'", i + 1, r, err, bad[i].want);
	}
}

static void test_bad_override(void **state)
{
	struct config_overrides ov = {.log_level = "x"};
	struct daemon_config *c = NULL;
	char err[256];

	(void)state;
	assert_int_equal(daemon_config_parse(NULL, 0, "t", &ov, &c, err, sizeof(err)), -EINVAL);
	assert_non_null(strstr(err, "--log-level 'x'"));
	ov = (struct config_overrides){.state_dir = "rel"};
	assert_int_equal(daemon_config_parse(NULL, 0, "t", &ov, &c, err, sizeof(err)), -EINVAL);
	assert_non_null(strstr(err, "--state-dir 'rel'"));
}

static void test_missing_file(void **state)
{
	struct daemon_config *c = NULL;
	char err[256];

	(void)state;
	assert_int_equal(daemon_config_load("/nonexistent/vx6d.json", NULL, &c, err, sizeof(err)),
			 -ENOENT);
	assert_non_null(strstr(err, "Failed to read config '/nonexistent/vx6d.json'"));
}

static void test_hostport(void **state)
{
	struct in6_addr a;
	bool v4;
	uint16_t port;

	(void)state;
	assert_int_equal(config_parse_hostport("127.0.0.1:80", &a, &v4, &port), 0);
	assert_true(v4);
	assert_int_equal(port, 80);
	assert_int_equal(config_parse_hostport("[fd00::1]:65535", &a, &v4, &port), 0);
	assert_false(v4);
	assert_int_equal(port, 65535);
	assert_int_equal(config_parse_hostport("[fd00::1]", &a, &v4, &port), -EINVAL);
	assert_int_equal(config_parse_hostport("[1.2.3.4]:1", &a, &v4, &port), -EINVAL);
	assert_int_equal(config_parse_hostport("host:1", &a, &v4, &port), -EINVAL);
	assert_int_equal(config_parse_hostport("1.2.3.4:+1", &a, &v4, &port), -EINVAL);
	assert_int_equal(config_parse_hostport("1.2.3.4:1x", &a, &v4, &port), -EINVAL);
	assert_int_equal(config_parse_hostport("", &a, &v4, &port), -EINVAL);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_defaults),	 cmocka_unit_test(test_full),
	    cmocka_unit_test(test_overrides),	 cmocka_unit_test(test_bad),
	    cmocka_unit_test(test_bad_override), cmocka_unit_test(test_missing_file),
	    cmocka_unit_test(test_hostport),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
