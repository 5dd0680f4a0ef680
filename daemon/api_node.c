/* daemon/api_node.c - admin API handlers about this node: health, node
 * identity and record, record republish, and the Prometheus /metrics page.
 * docs/admin-api.md §2.
 */
#include "daemon/api.h"

#include <arpa/inet.h>
#include <errno.h>
#include <string.h>

#include <event2/buffer.h>
#include <event2/http.h>

#include "daemon/admin.h"
#include "daemon/daemon.h"
#include "identity/record.h"

void api_health_get(struct daemon *d, struct evhttp_request *req, const char *tail)
{
	(void)tail;
	admin_reply_json(req, 200,
			 json_pack("{s:s,s:I,s:I,s:s}", "status", "ok", "uptime_s",
				   (json_int_t)daemon_uptime_s(d), "config_generation",
				   (json_int_t)d->config_generation, "log_level",
				   log_level_name(d->cfg->log_level)));
}

/* A JSON view of a node record. Returns a new reference or NULL. */
json_t *api_record_json(const struct node_record *rec)
{
	json_t *eps = json_array();
	char addr[INET6_ADDRSTRLEN];

	for (unsigned i = 0; eps && i < rec->n_endpoints; i++) {
		inet_ntop(AF_INET6, &rec->ep[i].addr, addr, sizeof(addr));
		/* json_array_append_new steals the packed object. */
		json_array_append_new(eps, json_pack("{s:s,s:i,s:s}", "address", addr, "port",
						     rec->ep[i].port, "transport",
						     record_transport_name(rec->ep[i].transport)));
	}
	/* "o" steals eps. */
	return json_pack("{s:I,s:I,s:I,s:o}", "seq", (json_int_t)rec->seq, "issued",
			 (json_int_t)rec->issued, "expires", (json_int_t)rec->expires,
			 "endpoints", eps);
}

void api_node_get(struct daemon *d, struct evhttp_request *req, const char *tail)
{
	char id[NODE_ID_STR_LEN + 1], pk[NODE_PK_STR_LEN + 1], addr[INET6_ADDRSTRLEN];

	(void)tail;
	node_id_to_str(&d->ident.id, id);
	node_pubkey_to_str(d->ident.pk, pk);
	inet_ntop(AF_INET6, &d->ident.addr, addr, sizeof(addr));
	/* "o" steals the record object. */
	admin_reply_json(req, 200,
			 json_pack("{s:s,s:s,s:s,s:s,s:s,s:I,s:s,s:o}", "node_id", id, "name",
				   d->ident.name, "public_key", pk, "overlay_address", addr,
				   "network", d->ident.net.name, "uptime_s",
				   (json_int_t)daemon_uptime_s(d), "version", VX6_VERSION,
				   "record", api_record_json(&d->record)));
}

void api_node_republish(struct daemon *d, struct evhttp_request *req, const char *tail)
{
	int r;

	(void)tail;
	r = daemon_node_publish(d);
	if (r < 0) {
		admin_reply_error(req, 500, "Failed to publish node record: %s", strerror(-r));
		return;
	}
	admin_reply_json(req, 200, json_pack("{s:I}", "seq", (json_int_t)d->record.seq));
}

void api_metrics_get(struct daemon *d, struct evhttp_request *req, const char *tail)
{
	struct evbuffer *out = evbuffer_new();

	(void)tail;
	if (!out) {
		evhttp_send_error(req, HTTP_INTERNAL, NULL);
		return;
	}
	daemon_metrics_write(d, out);
	evhttp_add_header(evhttp_request_get_output_headers(req), "Content-Type",
			  "text/plain; version=0.0.4");
	evhttp_send_reply(req, 200, NULL, out);
	evbuffer_free(out);
}
