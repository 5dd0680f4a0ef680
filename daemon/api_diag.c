/* daemon/api_diag.c - link diagnostics over the admin API: POST
 * /api/v1/diag/ping and /api/v1/diag/bench (docs/admin-api.md §3.4). The
 * HTTP reply waits for the run to end. If the client goes away first the
 * run is cancelled, so no reply is ever sent to a freed request.
 */
#include "daemon/api.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include <event2/http.h>

#include "daemon/admin.h"
#include "daemon/daemon.h"
#include "lib/encode.h"
#include "transport/link.h"
#include "transport/link_msg.h"
#include "transport/link_probe.h"

struct diag_wait {
	struct daemon *d;
	struct evhttp_request *req;
	struct node_id id;
	bool bench;
};

static void on_client_gone(struct evhttp_connection *conn, void *arg)
{
	struct diag_wait *w = arg;
	struct link *l = link_find(w->d->links, &w->id);

	(void)conn;
	if (l && w->bench)
		link_bench_cancel(l);
	else if (l)
		link_ping_cancel(l);
	free(w);
}

static void wait_begin(struct diag_wait *w)
{
	evhttp_connection_set_closecb(evhttp_request_get_connection(w->req), on_client_gone, w);
}

static void wait_end(struct diag_wait *w)
{
	evhttp_connection_set_closecb(evhttp_request_get_connection(w->req), NULL, NULL);
}

static void ping_done(void *arg, const struct link_ping_result *r)
{
	struct diag_wait *w = arg;

	wait_end(w);
	if (r->error)
		admin_reply_error(w->req, 504, "ping run failed: %s", strerror(-r->error));
	else
		admin_reply_json(w->req, 200,
				 json_pack("{s:i,s:i,s:i,s:f,s:f,s:f,s:f,s:f}", "sent", r->sent,
					   "received", r->received, "duplicates", r->duplicates,
					   "seconds", (double)r->elapsed_us / 1e6,
					   "loss", r->sent ? 1.0 - (double)r->received / r->sent : 0.0,
					   "rtt_min_ms", (double)r->rtt_min_us / 1000.0, "rtt_avg_ms",
					   (double)r->rtt_avg_us / 1000.0, "rtt_max_ms",
					   (double)r->rtt_max_us / 1000.0));
	free(w);
}

static void bench_done(void *arg, const struct link_bench_result *r)
{
	struct diag_wait *w = arg;
	char local[HEX_LEN(32) + 1], peer[HEX_LEN(32) + 1];
	double secs = (double)r->elapsed_us / 1e6;

	wait_end(w);
	if (r->error) {
		admin_reply_error(w->req, 504, "bench run failed: %s", strerror(-r->error));
	} else {
		hex_encode(local, sizeof(local), r->sha_local, 32);
		hex_encode(peer, sizeof(peer), r->sha_peer, 32);
		admin_reply_json(w->req, 200,
				 json_pack("{s:I,s:I,s:f,s:f,s:s,s:s,s:b}", "bytes",
					   (json_int_t)r->bytes, "peer_received",
					   (json_int_t)r->peer_received, "seconds", secs, "mbit_s",
					   secs > 0 ? (double)r->bytes * 8 / secs / 1e6 : 0.0,
					   "sha256_local", local, "sha256_peer", peer, "match",
					   r->match));
	}
	free(w);
}

/* Parse {"node": ...} (400 on error). */
static bool diag_node(struct evhttp_request *req, json_t *body, struct node_id *out_id)
{
	const char *node = json_string_value(json_object_get(body, "node"));

	if (!node) {
		admin_reply_error(req, 400, "node: missing (a node ID or public key)");
		return false;
	}
	if (api_parse_node(node, out_id) < 0) {
		admin_reply_error(req, 400, "node: '%.80s' is not a node ID or public key", node);
		return false;
	}
	return true;
}

/* The up link to `id`, or NULL after replying 409. Arguments are checked
 * before this, so a bad request is a 400 whatever the link's state. */
static struct link *diag_link(struct daemon *d, struct evhttp_request *req,
			      const struct node_id *id)
{
	struct link *l = link_find(d->links, id);
	char fp[9];

	if (!l || !link_is_up(l)) {
		node_id_fingerprint(id, fp);
		admin_reply_error(req, 409, "no link to %s is up", fp);
		return NULL;
	}
	return l;
}

static bool get_uint(struct evhttp_request *req, json_t *body, const char *key, uint64_t def,
		     uint64_t max, uint64_t *out)
{
	json_t *v = json_object_get(body, key);

	if (!v) {
		*out = def;
		return true;
	}
	if (!json_is_integer(v) || json_integer_value(v) < 0 ||
	    (uint64_t)json_integer_value(v) > max) {
		admin_reply_error(req, 400, "%s: expected an integer 0..%llu", key,
				  (unsigned long long)max);
		return false;
	}
	*out = (uint64_t)json_integer_value(v);
	return true;
}

static int start_error(struct evhttp_request *req, int r)
{
	admin_reply_error(req, r == -EBUSY ? 409 : 400, "%s",
			  r == -EBUSY ? "a run of that kind is already active on this link"
				      : strerror(-r));
	return r;
}

void api_diag_ping(struct daemon *d, struct evhttp_request *req, const char *tail)
{
	json_t *body = admin_read_json_body(req);
	uint64_t count, size, interval;
	struct diag_wait *w;
	struct node_id id;
	struct link *l;
	int r;

	(void)tail;
	if (!body)
		return;
	if (!diag_node(req, body, &id) ||
	    !get_uint(req, body, "count", 5, LINK_PING_COUNT_MAX, &count) ||
	    !get_uint(req, body, "size", 0, 1391, &size) ||
	    !get_uint(req, body, "interval_ms", 200, 60000, &interval) ||
	    !(l = diag_link(d, req, &id)))
		goto out;
	w = calloc(1, sizeof(*w));
	if (!w) {
		admin_reply_error(req, 500, "out of memory");
		goto out;
	}
	*w = (struct diag_wait){ .d = d, .req = req, .id = id };
	r = link_ping_start(l, (uint32_t)count, (uint16_t)size, (uint32_t)interval, ping_done, w);
	if (r < 0) {
		free(w);
		start_error(req, r);
		goto out;
	}
	wait_begin(w);
out:
	json_decref(body);
}

void api_diag_bench(struct daemon *d, struct evhttp_request *req, const char *tail)
{
	json_t *body = admin_read_json_body(req);
	struct diag_wait *w;
	struct node_id id;
	struct link *l;
	uint64_t bytes;
	int r;

	(void)tail;
	if (!body)
		return;
	if (!diag_node(req, body, &id) ||
	    !get_uint(req, body, "bytes", 10u << 20, LINK_BENCH_MAX_BYTES, &bytes) ||
	    !(l = diag_link(d, req, &id)))
		goto out;
	w = calloc(1, sizeof(*w));
	if (!w) {
		admin_reply_error(req, 500, "out of memory");
		goto out;
	}
	*w = (struct diag_wait){ .d = d, .req = req, .id = id, .bench = true };
	r = link_bench_start(l, bytes, bench_done, w);
	if (r < 0) {
		free(w);
		start_error(req, r);
		goto out;
	}
	wait_begin(w);
out:
	json_decref(body);
}
