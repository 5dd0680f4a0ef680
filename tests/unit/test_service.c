/* tests/unit/test_service.c - named services: routing/service_wire.c
 * (docs/wire.md §7), the OPEN and ACCEPT codecs with numbered tables of
 * malformed and incomplete inputs and the canonical round trip; the
 * service and forward tables of routing/service.c; and the JSON forms of
 * daemon/services_json.c that services.json, forwards.json and the admin
 * API share (numbered refusals, and to_json -> from_json round trips).
 */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>

#include <errno.h>
#include <stdio.h>
#include <string.h>

#include <event2/event.h>
#include <jansson.h>

#include "daemon/services.h"
#include "routing/service.h"
#include "routing/service_wire.h"

static void test_open_roundtrip(void **state)
{
	struct svc_open m = {.version = 1}, d;
	uint8_t buf[SVC_OPEN_MAX_LEN + 4];
	size_t n, used;

	(void)state;
	snprintf(m.name, sizeof(m.name), "n2.ssh");
	assert_int_equal(svc_open_encode(&m, buf, sizeof(buf), &n), 0);
	assert_int_equal(n, 9);
	assert_memory_equal(buf, "\x01\x00\x06n2.ssh", 9);
	buf[9] = 'x'; /* stream data after OPEN is not part of it */
	assert_int_equal(svc_open_decode(&d, &used, buf, 10), 0);
	assert_int_equal(used, 9);
	assert_string_equal(d.name, "n2.ssh");
	for (size_t k = 0; k < 9; k++)
		assert_int_equal(svc_open_decode(&d, &used, buf, k), -EAGAIN);
	assert_int_equal(svc_open_encode(&m, buf, 8, &n), -ENOSPC);
	snprintf(m.name, sizeof(m.name), "noservice");
	assert_int_equal(svc_open_encode(&m, buf, sizeof(buf), &n), -EINVAL);
}

struct bad_case {
	unsigned no;
	const char *bytes;
	size_t len;
	int want;
};

#define B(s) s, sizeof(s) - 1

static void test_open_malformed(void **state)
{
	static const struct bad_case cases[] = {
	    {1, B("\x02\x00\x06n2.ssh"), -EPROTONOSUPPORT},
	    {2, B("\x00\x00\x06n2.ssh"), -EPROTONOSUPPORT},
	    {3, B("\x01\x01\x06n2.ssh"), -EBADMSG}, /* reserved flags */
	    {4, B("\x01\x00\x02n2"), -EBADMSG},	    /* under SERVICE_NAME_MIN */
	    {5, B("\x01\x00\x80"), -EBADMSG},	    /* over SERVICE_NAME_MAX */
	    {6, B("\x01\x00\x06n2_ssh"), -EBADMSG}, /* name rule */
	    {7, B("\x01\x00\x06n2.s\x00h"), -EBADMSG},
	    {8, B("\x01\x00\x06N2.SSH"), -EBADMSG},
	    {9, B("\x01\x00\x06n2.ss"), -EAGAIN},
	};
	struct svc_open d;
	size_t used;

	(void)state;
	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		int r = svc_open_decode(&d, &used, (const uint8_t *)cases[i].bytes, cases[i].len);

		if (r != cases[i].want)
			fail_msg("case %u: got %d want %d", cases[i].no, r, cases[i].want);
	}
}

static void test_accept(void **state)
{
	static const struct bad_case cases[] = {
	    {1, B("\x05\x00"), -EBADMSG},     {2, B("\x02\x02\x0a\x0d"), -EBADMSG},
	    {3, B("\x02\x01\x7f"), -EBADMSG}, {4, B("\x02\x03no"), -EAGAIN},
	    {5, B("\x00"), -EAGAIN},
	};
	struct svc_accept m = {.status = SVC_STATUS_NOT_ALLOWED}, d;
	uint8_t buf[SVC_ACCEPT_MAX_LEN];
	size_t n, used;

	(void)state;
	snprintf(m.reason, sizeof(m.reason), "caller not on the allow list");
	assert_int_equal(svc_accept_encode(&m, buf, sizeof(buf), &n), 0);
	assert_int_equal(svc_accept_decode(&d, &used, buf, n), 0);
	assert_int_equal(used, n);
	assert_int_equal(d.status, 2);
	assert_string_equal(d.reason, m.reason);
	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		int r = svc_accept_decode(&d, &used, (const uint8_t *)cases[i].bytes, cases[i].len);

		if (r != cases[i].want)
			fail_msg("case %u: got %d want %d", cases[i].no, r, cases[i].want);
	}
	m.status = SVC_STATUS__COUNT;
	assert_int_equal(svc_accept_encode(&m, buf, sizeof(buf), &n), -EINVAL);
	m.status = 0;
	m.reason[0] = '\n';
	assert_int_equal(svc_accept_encode(&m, buf, sizeof(buf), &n), -EINVAL);
	assert_string_equal(svc_status_name(SVC_STATUS_BUSY), "busy");
	assert_string_equal(svc_status_name(9), "unknown");
}

static void test_loopback_parse(void **state)
{
	static const struct {
		unsigned no;
		const char *s;
		int want;
	} cases[] = {
	    {1, "127.0.0.1:22", 0},
	    {2, "127.1.2.3:5432", 0},
	    {3, "[::1]:22", 0},
	    {4, "10.0.0.1:22", -EINVAL},
	    {5, "127.0.0.1:0", -EINVAL},
	    {6, "127.0.0.1:65536", -EINVAL},
	    {7, "127.0.0.1", -EINVAL},
	    {8, "[::2]:22", -EINVAL},
	    {9, "::1:22", -EINVAL},
	    {10, "127.0.0.1:22x", -EINVAL},
	    {11, "[::1]22", -EINVAL},
	    {12, ":22", -EINVAL},
	    {13, "127.0.0.1:-1", -EINVAL},
	};
	struct sockaddr_storage ss;
	socklen_t len;
	char out[64];

	(void)state;
	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		int r = svc_parse_loopback(cases[i].s, &ss, &len);

		if (r != cases[i].want)
			fail_msg("case %u '%s': got %d want %d", cases[i].no, cases[i].s, r,
				 cases[i].want);
	}
	assert_int_equal(svc_parse_loopback("[::1]:8080", &ss, &len), 0);
	svc_format_addr((struct sockaddr *)&ss, out, sizeof(out));
	assert_string_equal(out, "[::1]:8080");
}

static void test_tables(void **state)
{
	struct event_base *base = event_base_new();
	struct svc_host host = {0};
	struct svc_service s = {0};
	struct svc_forward f = {0};
	struct svc_mgr *m;
	char why[160];

	(void)state;
	assert_non_null(base);
	assert_int_equal(svc_mgr_new(base, NULL, "n2", &host, &m), 0);
	assert_int_equal(svc_parse_loopback("127.0.0.1:22", &s.target, &s.target_len), 0);
	snprintf(s.name, sizeof(s.name), "Bad");
	assert_int_equal(svc_service_check(&s, why, sizeof(why)), -EINVAL);
	assert_non_null(strstr(why, "Invalid service name 'Bad'"));
	assert_int_equal(svc_service_set(m, &s), -EINVAL);
	for (unsigned i = 0; i < SVC_SERVICES_MAX; i++) {
		snprintf(s.name, sizeof(s.name), "s%u", i);
		assert_int_equal(svc_service_set(m, &s), 0);
	}
	snprintf(s.name, sizeof(s.name), "full");
	assert_int_equal(svc_service_set(m, &s), -ENOSPC);
	snprintf(s.name, sizeof(s.name), "s3"); /* replace keeps the count */
	assert_int_equal(svc_service_set(m, &s), 0);
	assert_int_equal(svc_service_remove(m, "s0"), 0);
	assert_int_equal(svc_service_remove(m, "s0"), -ENOENT);
	assert_string_equal(svc_service_at(m, 0)->name, "s1");
	assert_null(svc_service_at(m, SVC_SERVICES_MAX - 1));

	assert_int_equal(svc_parse_loopback("127.0.0.2:15022", &f.listen, &f.listen_len), 0);
	snprintf(f.service, sizeof(f.service), "n2.ssh");
	assert_int_equal(svc_forward_check(&f, why, sizeof(why)), -EINVAL); /* not 127.0.0.1 */
	assert_int_equal(svc_parse_loopback("127.0.0.1:15022", &f.listen, &f.listen_len), 0);
	assert_int_equal(svc_forward_check(&f, why, sizeof(why)), 0);
	snprintf(f.service, sizeof(f.service), "ssh");
	assert_int_equal(svc_forward_check(&f, why, sizeof(why)), -EINVAL); /* named: two labels */
	f.direct = true;
	assert_int_equal(svc_forward_check(&f, why, sizeof(why)), 0);
	assert_int_equal(svc_forward_remove(m, 15022), -ENOENT);
	assert_null(svc_forward_at(m, 0, NULL));
	svc_mgr_free(m);
	event_base_free(base);
}

static void test_json_forms(void **state)
{
	static const struct {
		unsigned no;
		const char *json;
		const char *msg; /* start of the message */
	} bad_svc[] =
	    {
		{1, "{\"target\":\"127.0.0.1:22\"}", "name: missing"},
		{2, "{\"name\":\"ssh\",\"target\":\"10.0.0.1:22\"}", "target: Invalid target"},
		{3, "{\"name\":\"ssh\",\"target\":\"127.0.0.1:22\",\"x\":1}", "x: unknown field"},
		{4, "{\"name\":\"ssh\",\"target\":\"127.0.0.1:22\",\"allow\":[\"zz\"]}",
		 "allow[0]: 'zz'"},
		{5, "{\"name\":\"ssh\",\"target\":\"127.0.0.1:22\",\"visibility\":\"hidden\"}",
		 "visibility:"},
		{6, "{\"name\":\"S\",\"target\":\"127.0.0.1:22\"}", "Invalid service name"},
		{7, "{\"name\":\"ssh\",\"target\":\"127.0.0.1:22\",\"allow\":[\"@Ops\"]}",
		 "allow[0]: '@Ops' is not a group"},
		{8, "{\"name\":\"ssh\",\"target\":\"127.0.0.1:22\",\"allow\":[\"@\"]}",
		 "allow[0]: '@' is not a group"},
		{9, "{\"name\":\"ssh\",\"target\":\"127.0.0.1:22\",\"allow\":[\"@a\",\"@a\"]}",
		 "allow[1]: '@a' is listed twice"},
		{10, "{\"name\":\"ssh\",\"target\":\"127.0.0.1:22\",\"allow\":\"@a\"}",
		 "allow: expected an array"},
		{11, "{\"name\":\"ssh\",\"target\":\"127.0.0.1:22\",\"allow\":[\"ops\"]}",
		 "allow[0]: 'ops' is not a node ID, public key or @group"},
	    },
	  bad_fwd[] = {
	      {1, "{\"service\":\"n2.ssh\",\"listen\":\"0.0.0.0:1\"}", "listen: Invalid"},
	      {2, "{\"service\":\"ssh\",\"listen\":\"127.0.0.1:1\"}", "Invalid service name"},
	      {3, "{\"service\":\"ssh\",\"listen\":\"127.0.0.1:1\",\"node\":\"ab\"}", "node:"},
	      {4,
	       "{\"service\":\"ssh\",\"listen\":\"127.0.0.1:1\",\"node\":"
	       "\"0000000000000000000000000000000000000000000000000000000000000001\"}",
	       "addr:"},
	      {5, "{\"listen\":\"127.0.0.1:1\"}", "service:"},
	  };
	struct services_def s, s2;
	struct svc_forward f, f2;
	char err[256];
	json_t *o;

	(void)state;
	for (size_t i = 0; i < sizeof(bad_svc) / sizeof(bad_svc[0]); i++) {
		o = json_loads(bad_svc[i].json, 0, NULL);
		assert_non_null(o);
		if (services_svc_from_json(o, &s, err, sizeof(err)) != -EINVAL ||
		    strncmp(err, bad_svc[i].msg, strlen(bad_svc[i].msg)) != 0)
			fail_msg("service case %u: '%s'", bad_svc[i].no, err);
		json_decref(o);
	}
	for (size_t i = 0; i < sizeof(bad_fwd) / sizeof(bad_fwd[0]); i++) {
		o = json_loads(bad_fwd[i].json, 0, NULL);
		assert_non_null(o);
		if (services_fwd_from_json(o, &f, err, sizeof(err)) != -EINVAL ||
		    strncmp(err, bad_fwd[i].msg, strlen(bad_fwd[i].msg)) != 0)
			fail_msg("forward case %u: '%s'", bad_fwd[i].no, err);
		json_decref(o);
	}
	/* What services.json holds reads back as the same entry. */
	o = json_loads("{\"name\":\"db\",\"target\":\"[::1]:5432\",\"visibility\":\"private\","
		       "\"allow\":[\"@ops\","
		       "\"0000000000000000000000000000000000000000000000000000000000000001\"]}",
		       0, NULL);
	assert_int_equal(services_svc_from_json(o, &s, err, sizeof(err)), 0);
	json_decref(o);
	assert_true(s.svc.private_);
	assert_int_equal(s.svc.n_allow, 1);
	assert_int_equal(s.n_groups, 1);
	assert_string_equal(s.groups[0], "ops");
	o = services_svc_to_json(&s);
	assert_int_equal(services_svc_from_json(o, &s2, err, sizeof(err)), 0);
	json_decref(o);
	assert_memory_equal(&s, &s2, sizeof(s));
	o = json_loads("{\"service\":\"ssh\",\"listen\":\"127.0.0.1:15023\",\"addr\":"
		       "\"[fd00:76::2]:7700\",\"transport\":\"tcp\",\"node\":"
		       "\"0000000000000000000000000000000000000000000000000000000000000001\"}",
		       0, NULL);
	assert_int_equal(services_fwd_from_json(o, &f, err, sizeof(err)), 0);
	json_decref(o);
	assert_true(f.direct);
	o = services_fwd_to_json(&f);
	assert_int_equal(services_fwd_from_json(o, &f2, err, sizeof(err)), 0);
	json_decref(o);
	assert_memory_equal(&f, &f2, sizeof(f));
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_open_roundtrip), cmocka_unit_test(test_open_malformed),
	    cmocka_unit_test(test_accept),	   cmocka_unit_test(test_loopback_parse),
	    cmocka_unit_test(test_tables),	   cmocka_unit_test(test_json_forms),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
