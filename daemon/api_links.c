/* daemon/api_links.c - admin API for peers and links (docs/admin-api.md §3):
 * list links with their counters, add/list/remove configured peers, and
 * run link diagnostics (ping, bench) whose reply waits for the result.
 */
#include "daemon/api.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include <event2/http.h>

#include "daemon/admin.h"
#include "daemon/daemon.h"
#include "daemon/links.h"
#include "lib/clock.h"
#include "lib/encode.h"
#include "transport/link.h"
#include "transport/link_probe.h"

/* A node named by its base32 ID or its hex public key. */
int api_parse_node(const char *s, struct node_id *out)
{
	return node_id_parse_any(out, s);
}

static json_t *link_json(const struct link *l)
{
	struct link_info i;
	char id[NODE_ID_STR_LEN + 1], pk[NODE_PK_STR_LEN + 1], ep[64];
	json_t *drops = json_object();

	link_get_info(l, &i);
	node_id_to_str(&i.id, id);
	node_pubkey_to_str(i.pk, pk);
	peer_endpoint_to_str(&i.endpoint, ep);
	for (unsigned k = 0; drops && k < LINK_DROP__COUNT; k++)
		json_object_set_new(drops, link_drop_name(k), json_integer((json_int_t)i.drops[k]));
	json_object_set_new(drops, "transport_rx", json_integer((json_int_t)i.conn_rx_dropped));
	/* "o" steals drops. */
	return json_pack("{s:s,s:s,s:s,s:b,s:s,s:s,s:s,s:I,s:f,s:I,s:I,s:I,s:I,s:o,s:I,s:I,s:s,"
			 "s:I,s:s?}",
			 "node_id", id, "public_key", pk, "state", link_state_name(i.state),
			 "configured", i.configured, "transport", tp_kind_name(i.kind), "endpoint",
			 ep, "direction", i.initiator ? "outbound" : "inbound", "uptime_s",
			 (json_int_t)(i.up_since_ms ? (clock_mono_ms() - i.up_since_ms) / 1000 : 0),
			 "rtt_ms", (double)i.rtt_us / 1000.0, "tx_bytes", (json_int_t)i.tx_bytes,
			 "rx_bytes", (json_int_t)i.rx_bytes, "tx_packets", (json_int_t)i.tx_packets,
			 "rx_packets", (json_int_t)i.rx_packets, "drops", drops, "connects",
			 (json_int_t)i.connects, "disconnects", (json_int_t)i.disconnects,
			 "last_close", i.disconnects ? tp_close_reason_name(i.last_close) : "none",
			 "backoff_ms", (json_int_t)i.backoff_ms, "cipher", i.cipher);
}

static void add_link(void *arg, const struct link *l)
{
	json_array_append_new(arg, link_json(l)); /* steals */
}

void api_links_get(struct daemon *d, struct evhttp_request *req, const char *tail)
{
	struct link_mgr_stats st;
	json_t *arr = json_array();

	(void)tail;
	link_mgr_foreach(d->links, add_link, arr);
	link_mgr_get_stats(d->links, &st);
	/* "o" steals arr. */
	admin_reply_json(
	    req, 200,
	    json_pack("{s:o,s:{s:I,s:I,s:I,s:I,s:I}}", "links", arr, "handshakes", "completed",
		      (json_int_t)st.hs_completed, "failed", (json_int_t)st.hs_failed,
		      "refused_rate", (json_int_t)st.hs_refused_rate, "refused_cap",
		      (json_int_t)st.hs_refused_cap, "garbage", (json_int_t)st.rx_garbage));
}

void api_peers_get(struct daemon *d, struct evhttp_request *req, const char *tail)
{
	json_t *arr = json_array();

	(void)tail;
	for (unsigned i = 0; i < d->cfg->n_peers; i++) {
		json_t *o = peer_entry_to_json(&d->cfg->peers[i]);

		json_object_set_new(o, "source", json_string("config"));
		json_array_append_new(arr, o); /* steals */
	}
	for (unsigned i = 0; i < d->peers->n; i++) {
		json_t *o = peer_entry_to_json(&d->peers->e[i]);

		json_object_set_new(o, "source", json_string("state"));
		json_array_append_new(arr, o);
	}
	admin_reply_json(req, 200, json_pack("{s:o}", "peers", arr)); /* steals arr */
}

void api_peers_post(struct daemon *d, struct evhttp_request *req, const char *tail)
{
	json_t *body = admin_read_json_body(req);
	struct peer_entry e;
	const char *field;
	char err[256];
	int r;

	(void)tail;
	if (!body)
		return;
	r = peer_entry_from_json(body, &e, err, sizeof(err), &field);
	json_decref(body);
	if (r < 0) {
		admin_reply_error(req, 400, "%s%s%s", field, field[0] ? ": " : "", err);
		return;
	}
	if (memcmp(e.pk, d->ident.pk, 32) == 0) {
		admin_reply_error(req, 400, "public_key: that is this node's own key");
		return;
	}
	r = peer_store_put(d->peers, &e);
	if (r == -ENOSPC) {
		admin_reply_error(req, 507, "peer table is full (%d peers)", PEER_ENTRIES_MAX);
		return;
	}
	if (peer_store_save(d->peers) < 0) {
		admin_reply_error(req, 500, "Failed to write peers.json");
		return;
	}
	daemon_links_apply(d, &e);
	admin_reply_json(req, r == 1 ? 200 : 201, peer_entry_to_json(&e));
}

void api_peers_delete(struct daemon *d, struct evhttp_request *req, const char *tail)
{
	struct node_id id;
	bool in_config = false;

	if (api_parse_node(tail, &id) < 0) {
		admin_reply_error(req, 400, "'%.80s' is not a node ID or public key", tail);
		return;
	}
	for (unsigned i = 0; i < d->cfg->n_peers; i++) {
		struct node_id other;

		node_id_from_pubkey(&other, d->cfg->peers[i].pk);
		in_config |= node_id_is_equal(&other, &id);
	}
	if (peer_store_del(d->peers, &id) < 0) {
		admin_reply_error(req, 404,
				  in_config ? "that peer comes from the config file; "
					      "remove it there and reload"
					    : "no such peer");
		return;
	}
	if (peer_store_save(d->peers) < 0) {
		admin_reply_error(req, 500, "Failed to write peers.json");
		return;
	}
	if (!in_config)
		link_peer_remove(d->links, &id);
	admin_reply_json(req, 200, json_pack("{s:b}", "removed", 1));
}
