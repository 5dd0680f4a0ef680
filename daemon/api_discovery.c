/* daemon/api_discovery.c - admin API for discovery (docs/admin-api.md §3):
 * the registry, the DHT's state, and resolving a node. */
#include "daemon/api.h"

#include <errno.h>
#include <string.h>

#include <event2/http.h>

#include "daemon/admin.h"
#include "daemon/daemon.h"
#include "daemon/discovery.h"
#include "lib/encode.h"

void api_registry_get(struct daemon *d, struct evhttp_request *req, const char *tail)
{
	(void)tail;
	admin_reply_json(req, 200, daemon_discovery_registry_json(d));
}

void api_dht_get(struct daemon *d, struct evhttp_request *req, const char *tail)
{
	(void)tail;
	admin_reply_json(req, 200, daemon_discovery_dht_json(d));
}

/* ?source=dht skips the registry: a DHT lookup every time (benchmarks,
 * and checking what the network holds rather than what we remember). */
void api_resolve_get(struct daemon *d, struct evhttp_request *req, const char *tail)
{
	const struct evhttp_uri *uri = evhttp_request_get_evhttp_uri(req);
	const char *q = uri ? evhttp_uri_get_query(uri) : NULL;

	if (q && strcmp(q, "source=dht") != 0) {
		admin_reply_error(req, 400, "unknown query '%.80s' (only source=dht)", q);
		return;
	}
	daemon_discovery_resolve(d, req, tail, q != NULL);
}

/* Body {"record": "<hex of a signed node or service record>"}. */
void api_registry_post(struct daemon *d, struct evhttp_request *req, const char *tail)
{
	json_t *body = admin_read_json_body(req);
	const char *hex;
	uint8_t buf[1024];
	size_t len;
	int r;

	(void)tail;
	if (!body)
		return;
	hex = json_string_value(json_object_get(body, "record"));
	if (!hex || json_object_size(body) != 1) {
		admin_reply_error(req, 400, "expected {\"record\": \"<hex>\"} and nothing else");
		goto out;
	}
	len = strlen(hex) / 2;
	if (strlen(hex) % 2 || len > sizeof(buf) || hex_decode(buf, len, hex) < 0) {
		admin_reply_error(req, 400, "record: not hex, or longer than %zu bytes",
				  sizeof(buf));
		goto out;
	}
	r = daemon_discovery_import(d, buf, len);
	if (r == 0 || r == -EALREADY)
		admin_reply_json(req, 200, json_pack("{s:b}", "stored", r == 0));
	else
		admin_reply_error(req, r == -ENOTCONN ? 503 : 400, "record refused: %s",
				  r == -ESTALE	   ? "not newer than the one held (sequence)"
				  : r == -EBADMSG  ? "malformed or bad signature"
				  : r == -ETIME	   ? "expired"
				  : r == -EMSGSIZE ? "oversized"
				  : r == -EINVAL   ? "invalid times"
				  : r == -EPERM ? "a record of this node's own (vx6d issues those)"
						: strerror(-r));
out:
	json_decref(body);
}
