/* daemon/discovery_query.c - what the admin API asks of discovery:
 * resolving a node (registry first, then a DHT lookup whose answer the
 * HTTP reply waits for), importing a record, and the registry and DHT
 * views. docs/admin-api.md. */
#include "daemon/discovery.h"

#include <arpa/inet.h>
#include <errno.h>
#include <stdio.h>
#include <string.h>

#include <event2/http.h>

#include "daemon/admin.h"
#include "daemon/api.h"
#include "daemon/daemon.h"
#include "daemon/discovery_internal.h"
#include "lib/clock.h"
#include "transport/link.h"

/* ---- resolve ---- */

static json_t *node_json(struct discovery *ds, const struct node_record *rec)
{
	char id[NODE_ID_STR_LEN + 1], pk[NODE_PK_STR_LEN + 1], addr[INET6_ADDRSTRLEN];
	struct in6_addr a;

	node_id_to_str(&rec->id, id);
	node_pubkey_to_str(rec->pk, pk);
	overlay_addr_of(&ds->d->ident.net, &rec->id, &a);
	inet_ntop(AF_INET6, &a, addr, sizeof(addr));
	/* "o" steals the record object. */
	return json_pack("{s:s,s:s,s:s,s:s,s:o}", "node_id", id, "name", rec->name, "public_key",
			 pk, "overlay_address", addr, "record", api_record_json(rec));
}

static void on_waiter_gone(struct evhttp_connection *conn, void *arg)
{
	struct waiter *w = arg;

	(void)conn;
	w->used = false; /* the lookup runs on; nobody waits for it */
}

void disc_lookup_done(void *ctx, const struct dht_lookup_result *res)
{
	struct discovery *ds = ctx;

	for (unsigned i = 0; i < res->n_values; i++)
		disc_store_value(ds, res->values[i].b, res->values[i].len, NULL);
	for (unsigned i = 0; i < WAITERS_MAX; i++) {
		struct waiter *w = &ds->w[i];
		const struct node_record *rec;

		if (!w->used || w->lookup != res->id)
			continue;
		w->used = false;
		evhttp_connection_set_closecb(evhttp_request_get_connection(w->req), NULL, NULL);
		rec = registry_find_node(ds->reg, &w->id);
		if (rec && (!w->dht_only || res->n_values > 0))
			admin_reply_json(w->req, 200, node_json(ds, rec));
		else
			admin_reply_error(
			    w->req, 404, "no record found (%s after %u queries, %llu ms)",
			    res->status == -ENOENT ? "no holder had it" : strerror(-res->status),
			    res->queries, (unsigned long long)res->elapsed_ms);
	}
}

static void resolve_name(struct discovery *ds, struct evhttp_request *req, const char *name)
{
	struct dht_digest page;
	struct dht_sync_key after;
	json_t *arr = json_array();
	bool first = true;

	while (registry_digest(ds->reg, DHT_SYNC_NODES, first ? NULL : &after, NULL, &page) == 0) {
		for (unsigned i = 0; i < page.n; i++) {
			const struct node_record *rec =
			    registry_find_node(ds->reg, &page.keys[i].owner);

			if (rec && strcmp(rec->name, name) == 0)
				json_array_append_new(arr, node_json(ds, rec)); /* steals */
		}
		if (!(page.flags & DHT_DIGEST_F_MORE) || page.n == 0)
			break;
		after = page.keys[page.n - 1];
		first = false;
	}
	if (json_array_size(arr) == 0) {
		json_decref(arr);
		admin_reply_error(req, 404, "no node named '%.63s' in the registry", name);
		return;
	}
	admin_reply_json(req, 200, json_pack("{s:o}", "nodes", arr)); /* steals arr */
}

void daemon_discovery_resolve(struct daemon *d, struct evhttp_request *req, const char *what,
			      bool dht_only)
{
	struct discovery *ds = disc_of(d);
	const struct node_record *rec;
	struct node_id id;
	struct waiter *w = NULL;
	int r;

	if (!ds) {
		admin_reply_error(req, 503, "discovery is not running");
		return;
	}
	if (api_parse_node(what, &id) < 0) {
		if (!overlay_name_is_valid(what)) {
			admin_reply_error(req, 400, "'%.80s' is not a node ID, public key or name",
					  what);
			return;
		}
		resolve_name(ds, req, what);
		return;
	}
	rec = registry_find_node(ds->reg, &id);
	if (rec && !dht_only) {
		admin_reply_json(req, 200, node_json(ds, rec));
		return;
	}
	for (unsigned i = 0; i < WAITERS_MAX && !w; i++)
		if (!ds->w[i].used)
			w = &ds->w[i];
	if (!w) {
		admin_reply_error(req, 503, "too many lookups waiting; try again");
		return;
	}
	r = dht_find_value(ds->dht, id.b, clock_mono_ms(), &w->lookup);
	if (r < 0) {
		admin_reply_error(req, 503, "Failed to start a DHT lookup: %s", strerror(-r));
		return;
	}
	w->used = true;
	w->dht_only = dht_only;
	w->req = req;
	w->id = id;
	evhttp_connection_set_closecb(evhttp_request_get_connection(req), on_waiter_gone, w);
	disc_rearm(ds);
}

/* ---- import through the admin API ---- */

int daemon_discovery_import(struct daemon *d, const uint8_t *rec, size_t len)
{
	struct discovery *ds = disc_of(d);

	if (!ds)
		return -ENOTCONN;
	if (len > DHT_VALUE_MAX_LEN) {
		ds->sync_refused++; /* larger than any record a peer could send */
		return -EMSGSIZE;
	}
	return disc_store_value(ds, rec, len, NULL);
}

/* ---- admin API views ---- */

json_t *daemon_discovery_registry_json(struct daemon *d)
{
	struct discovery *ds = disc_of(d);
	struct registry_stats st;
	struct dht_digest page;
	struct dht_sync_key after;
	json_t *nodes = json_array();
	bool first = true;

	if (!ds)
		return json_pack("{s:s}", "error", "discovery is not running");
	while (registry_digest(ds->reg, DHT_SYNC_NODES, first ? NULL : &after, NULL, &page) == 0) {
		for (unsigned i = 0; i < page.n; i++) {
			const struct node_record *rec =
			    registry_find_node(ds->reg, &page.keys[i].owner);

			if (rec)
				json_array_append_new(nodes, node_json(ds, rec)); /* steals */
		}
		if (!(page.flags & DHT_DIGEST_F_MORE) || page.n == 0)
			break;
		after = page.keys[page.n - 1];
		first = false;
	}
	registry_get_stats(ds->reg, &st);
	/* "o" steals nodes. */
	return json_pack("{s:o,s:{s:I,s:I,s:I,s:I,s:I,s:I,s:I,s:I}}", "nodes", nodes, "stats",
			 "nodes", (json_int_t)st.nodes, "services", (json_int_t)st.services,
			 "aliases", (json_int_t)st.aliases, "stored", (json_int_t)st.stored,
			 "replaced", (json_int_t)st.replaced, "refused", (json_int_t)st.refused,
			 "evicted", (json_int_t)st.evicted, "expired", (json_int_t)st.expired);
}

json_t *daemon_discovery_dht_json(struct daemon *d)
{
	struct discovery *ds = disc_of(d);
	struct dht_contact c[64];
	struct dht_stats st;
	json_t *table = json_array(), *drops = json_object(), *refused = json_object();
	size_t n;

	if (!ds)
		return json_pack("{s:s}", "error", "discovery is not running");
	dht_get_stats(ds->dht, &st);
	n = dht_closest(ds->dht, d->ident.id.b, c, 64);
	for (size_t i = 0; i < n; i++) {
		char id[NODE_ID_STR_LEN + 1];

		node_id_to_str(&c[i].id, id);
		json_array_append_new(table, json_pack("{s:s,s:i,s:i}", "node_id", id, "bucket",
						       dht_bucket_index(d->ident.id.b, c[i].id.b),
						       "endpoints", c[i].n_ep));
	}
	for (unsigned k = 0; k < DHT_DROP__COUNT; k++)
		json_object_set_new(drops, dht_drop_name(k), json_integer((json_int_t)st.drops[k]));
	for (unsigned k = 0; k < DHT_REFUSE__COUNT; k++)
		json_object_set_new(refused, dht_refuse_name(k),
				    json_integer((json_int_t)st.refused[k]));
	/* "o" steals table, drops and refused. */
	return json_pack("{s:o,s:I,s:I,s:I,s:{s:I,s:I,s:I,s:I},s:o,s:o,s:{s:I,s:I,s:I}}",
			 "contacts", table, "stored_values", (json_int_t)st.values, "own_values",
			 (json_int_t)st.own_values, "rpcs_pending", (json_int_t)st.rpcs_pending,
			 "lookups", "started", (json_int_t)st.lookups_started, "ok",
			 (json_int_t)st.lookups_ok, "failed", (json_int_t)st.lookups_failed,
			 "active", (json_int_t)st.lookups_active, "drops", drops, "refused",
			 refused, "sync", "messages", (json_int_t)ds->sync_msgs, "stored",
			 (json_int_t)ds->sync_stored, "refused", (json_int_t)ds->sync_refused);
}
