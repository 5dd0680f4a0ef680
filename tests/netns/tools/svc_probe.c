/* tests/netns/tools/svc_probe.c - hostile service OPENs for
 * tests/netns/services_open.sh. It dials a node over a TCP link with the
 * project's own link layer (transport/link.h) as an authenticated peer with
 * a fresh identity of its own, opens one SERVICE stream per case and sends
 * what the case says, then checks each answer against docs/wire.md §7:
 *
 *   truncated      half an OPEN, then FIN          the owner resets the stream
 *   truncated-wait half an OPEN, nothing more      reset when the 10 s OPEN wait ends
 *   empty          FIN right after the kind byte    reset
 *   bad-version    OPEN version 2                   ACCEPT 1 "malformed OPEN", FIN
 *   bad-flags      flags 0x80                       ACCEPT 1 "malformed OPEN", FIN
 *   bad-length     name_len 2                       ACCEPT 1 "malformed OPEN", FIN
 *   bad-name       "N2.SSH" (uppercase)             ACCEPT 1 "malformed OPEN", FIN
 *   nul-name       a NUL inside the name            ACCEPT 1 "malformed OPEN", FIN
 *   one-label      "n2ssh" (no dot)                 ACCEPT 1 "malformed OPEN", FIN
 *   unpublished    a valid OPEN for NODE.nosuch     ACCEPT 1 "no service 'nosuch' ...", FIN
 *   other-node     a valid OPEN for other.SERVICE   ACCEPT 1 "this node is 'NODE'", FIN
 *   target-down    a valid OPEN for NODE.down       ACCEPT 3 "Failed to connect to the
 *                  (published, nothing listening)   target of 'down': Connection refused", FIN
 *   busy           64 OPENs for NODE.hold kept      the 65th: ACCEPT 4 "'hold' has 64
 *                  open, then one more              connections already", FIN
 *   peer-cap       after busy: 64 more kept open    the 129th stream of this peer is reset
 *                  for NODE.hold2, then one more    (ECONNREFUSED) at its opening
 *
 *     svc_probe [IPV6]:PORT OWNER_PUBLIC_KEY NODE_NAME SERVICE CASE...
 *
 * Prints one line per case ("ok <case>: <what happened>" or "FAIL ...")
 * and exits 0 only if every case got its documented answer within 15 s.
 * It talks only to the address it is given (a lab namespace's).
 */
#include <arpa/inet.h>
#include <errno.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <event2/event.h>

#include "identity/node_id.h"
#include "lib/secure.h"
#include "routing/service.h"
#include "routing/service_wire.h"
#include "transport/link.h"

#define CASES_MAX   16
#define DEADLINE_MS 15000

enum want {
	WANT_RESET,
	WANT_MALFORMED,
	WANT_NO_SERVICE,
	WANT_OTHER_NODE,
	WANT_UNREACHABLE,
	WANT_BUSY,
	WANT_REFUSED_STREAM
};

struct probe_case {
	const char *name;
	enum want want;
	uint8_t msg[SVC_OPEN_MAX_LEN];
	size_t len;
	bool fin;
	/* streams opened first and kept open: `hold` valid OPENs for hold_name */
	unsigned hold;
	char hold_name[SERVICE_NAME_MAX + 1];
	/* what came back */
	uint64_t sid;
	uint8_t got[SVC_ACCEPT_MAX_LEN + 1];
	size_t got_len;
	bool got_fin, got_reset, done;
	uint32_t reset_code;
};

static struct probe_case cases[CASES_MAX];
static unsigned n_cases, n_done;
static const char *node_name, *service;
static struct event_base *base;
static struct link_mgr *mgr;
static bool failed;

static void put(struct probe_case *c, const void *p, size_t n)
{
	memcpy(c->msg + c->len, p, n);
	c->len += n;
}

/* A well-formed OPEN for `name`. */
static void open_for(struct probe_case *c, const char *name)
{
	struct svc_open o = {.version = SVC_WIRE_VERSION};

	snprintf(o.name, sizeof(o.name), "%s", name);
	if (svc_open_encode(&o, c->msg, sizeof(c->msg), &c->len) < 0) {
		fprintf(stderr, "svc_probe: cannot encode an OPEN for '%s'\n", name);
		exit(2);
	}
}

static int case_init(struct probe_case *c, const char *name)
{
	char full[SERVICE_NAME_MAX + 1];

	memset(c, 0, sizeof(*c));
	c->name = name;
	c->want = WANT_MALFORMED;
	c->fin = true;
	snprintf(full, sizeof(full), "%s.%s", node_name, service);
	if (strcmp(name, "truncated") == 0 || strcmp(name, "truncated-wait") == 0) {
		open_for(c, full);
		c->len = 4; /* version, flags, name_len and one byte of the name */
		c->fin = strcmp(name, "truncated") == 0;
		c->want = WANT_RESET;
	} else if (strcmp(name, "empty") == 0) {
		c->want = WANT_RESET;
	} else if (strcmp(name, "bad-version") == 0) {
		open_for(c, full);
		c->msg[0] = 2;
	} else if (strcmp(name, "bad-flags") == 0) {
		open_for(c, full);
		c->msg[1] = 0x80;
	} else if (strcmp(name, "bad-length") == 0) {
		put(c, "\x01\x00\x02n.", 5);
	} else if (strcmp(name, "bad-name") == 0) {
		put(c, "\x01\x00\x06N2.SSH", 9);
	} else if (strcmp(name, "nul-name") == 0) {
		put(c, "\x01\x00\x06n2\x00.ss", 9);
	} else if (strcmp(name, "one-label") == 0) {
		put(c, "\x01\x00\x05n2ssh", 8);
	} else if (strcmp(name, "unpublished") == 0) {
		snprintf(full, sizeof(full), "%s.nosuch", node_name);
		open_for(c, full);
		c->want = WANT_NO_SERVICE;
	} else if (strcmp(name, "other-node") == 0) {
		snprintf(full, sizeof(full), "other.%s", service);
		open_for(c, full);
		c->want = WANT_OTHER_NODE;
	} else if (strcmp(name, "target-down") == 0) {
		snprintf(full, sizeof(full), "%s.down", node_name);
		open_for(c, full);
		c->want = WANT_UNREACHABLE;
	} else if (strcmp(name, "busy") == 0 || strcmp(name, "peer-cap") == 0) {
		bool busy = strcmp(name, "busy") == 0;

		snprintf(c->hold_name, sizeof(c->hold_name), "%s.%s", node_name,
			 busy ? "hold" : "hold2");
		c->hold = SVC_STREAMS_PER_SERVICE;
		open_for(c, c->hold_name);
		c->want = busy ? WANT_BUSY : WANT_REFUSED_STREAM;
	} else {
		return -EINVAL;
	}
	return 0;
}

static struct probe_case *case_of(uint64_t sid)
{
	for (unsigned i = 0; i < n_cases; i++)
		if (cases[i].sid == sid && !cases[i].done)
			return &cases[i];
	return NULL;
}

/* Decide a case once its answer is complete: a reset, or ACCEPT + FIN. */
static void judge(struct probe_case *c)
{
	struct svc_accept a;
	char want[160];
	size_t used;
	bool ok;

	if (c->done || !(c->got_reset || c->got_fin))
		return;
	c->done = true;
	n_done++;
	if (c->want == WANT_RESET || c->want == WANT_REFUSED_STREAM) {
		ok = c->got_reset && c->got_len == 0 &&
		     (c->want == WANT_RESET || c->reset_code == ECONNREFUSED);
		printf("%s %s: %s (code %u)\n", ok ? "ok" : "FAIL", c->name,
		       c->got_reset ? "stream reset" : "an answer instead of a reset",
		       c->reset_code);
	} else if (c->got_reset || svc_accept_decode(&a, &used, c->got, c->got_len) < 0 ||
		   used != c->got_len) {
		ok = false;
		printf("FAIL %s: no well-formed ACCEPT before the end of the stream\n", c->name);
	} else {
		uint8_t status = SVC_STATUS_NO_SERVICE;

		if (c->want == WANT_MALFORMED) {
			snprintf(want, sizeof(want), "malformed OPEN");
		} else if (c->want == WANT_NO_SERVICE) {
			snprintf(want, sizeof(want), "no service 'nosuch' on '%s'", node_name);
		} else if (c->want == WANT_OTHER_NODE) {
			snprintf(want, sizeof(want), "this node is '%s'", node_name);
		} else if (c->want == WANT_UNREACHABLE) {
			status = SVC_STATUS_UNREACHABLE;
			snprintf(want, sizeof(want),
				 "Failed to connect to the target of 'down': Connection refused");
		} else {
			status = SVC_STATUS_BUSY;
			snprintf(want, sizeof(want), "'hold' has %d connections already",
				 SVC_STREAMS_PER_SERVICE);
		}
		ok = a.status == status && strcmp(a.reason, want) == 0;
		printf("%s %s: ACCEPT status %u (%s) \"%s\"\n", ok ? "ok" : "FAIL", c->name,
		       a.status, svc_status_name(a.status), a.reason);
	}
	failed |= !ok;
	if (n_done == n_cases)
		event_base_loopexit(base, NULL);
}

/* Open `n` streams with a valid OPEN for `name`, without FIN: they stay
 * open (the owner bridges them to the target) until we exit. */
static void hold_streams(struct link *l, const char *name, unsigned n)
{
	struct probe_case h;
	uint64_t sid;

	if (n == 0)
		return;
	memset(&h, 0, sizeof(h));
	open_for(&h, name);
	for (unsigned i = 0; i < n; i++) {
		if (link_stream_open(l, LINK_STREAM_SERVICE, &sid) < 0 ||
		    link_stream_write(l, sid, h.msg, h.len, false) != (ssize_t)h.len) {
			printf("FAIL: could not hold stream %u for %s\n", i, name);
			exit(1);
		}
	}
}

static void on_up(void *ctx, struct link *l)
{
	(void)ctx;
	for (unsigned i = 0; i < n_cases; i++) {
		struct probe_case *c = &cases[i];

		hold_streams(l, c->hold_name, c->hold);
		if (link_stream_open(l, LINK_STREAM_SERVICE, &c->sid) < 0 ||
		    link_stream_write(l, c->sid, c->msg, c->len, c->fin) != (ssize_t)c->len) {
			printf("FAIL %s: could not open a stream and send\n", c->name);
			exit(1);
		}
	}
}

static void on_down(void *ctx, struct link *l)
{
	(void)ctx;
	(void)l;
	if (n_done < n_cases) {
		printf("FAIL: the link went down with %u cases unanswered\n", n_cases - n_done);
		exit(1);
	}
}

static int on_stream_open(void *ctx, struct link *l, uint64_t sid, uint8_t kind)
{
	(void)ctx;
	(void)l;
	(void)sid;
	(void)kind;
	return -ECONNREFUSED; /* we serve nothing */
}

static void on_stream_data(void *ctx, struct link *l, uint64_t sid, const uint8_t *buf, size_t len,
			   bool fin)
{
	struct probe_case *c = case_of(sid);
	size_t room;

	(void)ctx;
	if (!c) {
		link_stream_consumed(l, sid, len); /* a held stream: what its target says */
		return;
	}
	room = sizeof(c->got) - c->got_len;
	memcpy(c->got + c->got_len, buf, len < room ? len : room);
	c->got_len += len < room ? len : room;
	link_stream_consumed(l, sid, len);
	c->got_fin |= fin;
	judge(c);
}

static void on_stream_reset(void *ctx, struct link *l, uint64_t sid, uint32_t code)
{
	struct probe_case *c = case_of(sid);

	(void)ctx;
	(void)l;
	if (!c)
		return;
	c->got_reset = true;
	c->reset_code = code;
	judge(c);
}

static void on_deadline(evutil_socket_t fd, short what, void *arg)
{
	(void)fd;
	(void)what;
	(void)arg;
	for (unsigned i = 0; i < n_cases; i++)
		if (!cases[i].done)
			printf("FAIL %s: no answer within %d ms\n", cases[i].name, DEADLINE_MS);
	failed = true;
	event_base_loopexit(base, NULL);
}

static int parse_endpoint(const char *s, struct sockaddr_in6 *out)
{
	char host[INET6_ADDRSTRLEN];
	const char *rb = strchr(s, ']');
	long port;

	if (s[0] != '[' || !rb || rb[1] != ':' || (size_t)(rb - s - 1) >= sizeof(host))
		return -EINVAL;
	memcpy(host, s + 1, (size_t)(rb - s - 1));
	host[rb - s - 1] = '\0';
	port = strtol(rb + 2, NULL, 10);
	memset(out, 0, sizeof(*out));
	out->sin6_family = AF_INET6;
	out->sin6_port = htons((uint16_t)port);
	return port > 0 && port < 65536 && inet_pton(AF_INET6, host, &out->sin6_addr) == 1
		   ? 0
		   : -EINVAL;
}

int main(int argc, char **argv)
{
	struct link_callbacks cb = {.up = on_up,
				    .down = on_down,
				    .stream_open = on_stream_open,
				    .stream_data = on_stream_data,
				    .stream_reset = on_stream_reset};
	struct timeval tv = {DEADLINE_MS / 1000, 0};
	uint8_t seed[32], pk[32], sk[64], owner[NODE_PK_LEN];
	struct tp_identity id = {.ed25519_pk = pk, .ed25519_sk = sk};
	struct sockaddr_in6 ep;
	struct event *deadline;

	if (argc < 6 || parse_endpoint(argv[1], &ep) < 0 || node_pubkey_parse(owner, argv[2]) < 0) {
		fprintf(
		    stderr,
		    "usage: svc_probe [IPV6]:PORT OWNER_PUBLIC_KEY NODE_NAME SERVICE CASE...\n");
		return 2;
	}
	node_name = argv[3];
	service = argv[4];
	for (int i = 5; i < argc; i++) {
		if (n_cases == CASES_MAX || case_init(&cases[n_cases++], argv[i]) < 0) {
			fprintf(stderr, "svc_probe: unknown case '%s' (or too many)\n", argv[i]);
			return 2;
		}
	}
	signal(SIGPIPE, SIG_IGN);
	if (sec_init() < 0)
		return 2;
	sec_random(seed, sizeof(seed));
	sec_ed25519_from_seed(pk, sk, seed); /* an identity of its own */
	base = event_base_new();
	if (!base || link_mgr_new(base, &id, &cb, &mgr) < 0 ||
	    link_mgr_connect(mgr, owner, &ep, TRANSPORT_TCP) < 0) {
		fprintf(stderr, "svc_probe: cannot set up the link\n");
		return 2;
	}
	deadline = evtimer_new(base, on_deadline, NULL);
	evtimer_add(deadline, &tv);
	event_base_dispatch(base);
	event_free(deadline);
	mgr = link_mgr_free(mgr);
	event_base_free(base);
	sec_wipe(sk, sizeof(sk));
	sec_wipe(seed, sizeof(seed));
	return failed ? 1 : 0;
}
