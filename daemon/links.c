/* daemon/links.c - the "links" subsystem: wires transport/link.h into the
 * daemon. Listens where the config says, keeps links to the peers of the
 * config file and of peers.json, applies peer changes from the admin API
 * and from SIGHUP reloads, and exports link metrics. No protocol logic.
 */
#include "daemon/links.h"

#include <arpa/inet.h>
#include <errno.h>
#include <stdio.h>
#include <string.h>

#include <event2/buffer.h>

#include "daemon/daemon.h"
#include "daemon/dataplane.h"
#include "daemon/discovery.h"
#include "daemon/services.h"
#include "lib/log.h"
#include "transport/link.h"

static void on_up(void *ctx, struct link *l)
{
	char fp[9];

	node_id_fingerprint(link_node_id(l), fp);
	log_notice(LD_LINK, "Link to %s is up", fp);
	daemon_dataplane_link_up(ctx, l);
	daemon_discovery_link_up(ctx, l);
	daemon_services_link_up(ctx, l);
}

static void on_control(void *ctx, struct link *l, const uint8_t *msg, size_t len)
{
	daemon_discovery_control(ctx, l, msg, len);
}

static void on_packet(void *ctx, struct link *l, const uint8_t *pkt, size_t len)
{
	daemon_dataplane_packet(ctx, l, pkt, len);
}

static void on_down(void *ctx, struct link *l)
{
	struct link_info info;
	char fp[9];

	link_get_info(l, &info);
	node_id_fingerprint(link_node_id(l), fp);
	log_notice(LD_LINK, "Link to %s is down (%s)", fp, tp_close_reason_name(info.last_close));
	daemon_services_link_down(ctx, l);
}

/* Streams of kind SERVICE belong to the services subsystem. */
static int on_stream_open(void *ctx, struct link *l, uint64_t sid, uint8_t kind)
{
	return daemon_services_stream_open(ctx, l, sid, kind);
}

static void on_stream_data(void *ctx, struct link *l, uint64_t sid, const uint8_t *buf, size_t len,
			   bool fin)
{
	daemon_services_stream_data(ctx, l, sid, buf, len, fin);
}

static void on_stream_reset(void *ctx, struct link *l, uint64_t sid, uint32_t code)
{
	daemon_services_stream_reset(ctx, l, sid, code);
}

static void on_stream_writable(void *ctx, struct link *l, uint64_t sid)
{
	daemon_services_stream_writable(ctx, l, sid);
}

static int listen_all(struct daemon *d, char *err, size_t cap)
{
	for (unsigned i = 0; i < d->cfg->n_listen; i++) {
		const struct config_listen *ls = &d->cfg->listen[i];
		struct sockaddr_in6 sa = {
		    .sin6_family = AF_INET6, .sin6_addr = ls->addr, .sin6_port = htons(ls->port)};
		char a[INET6_ADDRSTRLEN];
		int r = link_mgr_listen(d->links, ls->transport, &sa);

		if (r == 0)
			continue;
		inet_ntop(AF_INET6, &ls->addr, a, sizeof(a));
		snprintf(err, cap, "Failed to listen on listen[%u] '[%s]:%u' (%s): %s", i, a,
			 ls->port, tp_kind_name(ls->transport),
			 r == -EPROTONOSUPPORT ? "transport not available in this build"
			 : r == -EEXIST	       ? "one listener per transport"
					       : strerror(-r));
		return r;
	}
	return 0;
}

int daemon_links_apply(struct daemon *d, const struct peer_entry *e)
{
	return link_peer_add(d->links, e->pk, &e->ep, e->transport);
}

static int links_init(struct daemon *d, char *err, size_t cap)
{
	struct tp_identity id = {.ed25519_pk = d->ident.pk, .ed25519_sk = d->ident.sk};
	struct link_callbacks cb = {.ctx = d,
				    .up = on_up,
				    .down = on_down,
				    .packet = on_packet,
				    .control = on_control,
				    .stream_open = on_stream_open,
				    .stream_data = on_stream_data,
				    .stream_reset = on_stream_reset,
				    .stream_writable = on_stream_writable};
	int r;

	r = peer_store_load(d->cfg->state_dir, &d->peers, err, cap);
	if (r < 0)
		return r;
	r = link_mgr_new(d->base, &id, &cb, &d->links);
	if (r < 0) {
		snprintf(err, cap, "Failed to create the link manager: %s", strerror(-r));
		goto err_store;
	}
	link_mgr_set_timers(d->links, d->cfg->link_keepalive_ms, d->cfg->link_dead_ms,
			    d->cfg->link_idle_close_ms);
	r = listen_all(d, err, cap);
	if (r < 0)
		goto err_mgr;
	for (unsigned i = 0; i < d->cfg->n_peers; i++)
		daemon_links_apply(d, &d->cfg->peers[i]);
	for (unsigned i = 0; i < d->peers->n; i++)
		daemon_links_apply(d, &d->peers->e[i]);
	return 0;
err_mgr:
	d->links = link_mgr_free(d->links);
err_store:
	d->peers = peer_store_free(d->peers);
	return r;
}

static void links_shutdown(struct daemon *d)
{
	d->links = link_mgr_free(d->links);
	d->peers = peer_store_free(d->peers);
}

static bool config_has(const struct daemon_config *c, const uint8_t pk[32])
{
	for (unsigned i = 0; i < c->n_peers; i++)
		if (memcmp(c->peers[i].pk, pk, 32) == 0)
			return true;
	return false;
}

/* Peers dropped from the file go, unless peers.json keeps them too. */
static void links_reload(struct daemon *d, const struct daemon_config *old)
{
	if (old->n_listen != d->cfg->n_listen ||
	    memcmp(old->listen, d->cfg->listen, sizeof(old->listen[0]) * old->n_listen) != 0)
		log_notice(LD_CONFIG, "listen changes take effect after a restart");
	for (unsigned i = 0; i < old->n_peers; i++) {
		struct node_id id;

		if (config_has(d->cfg, old->peers[i].pk))
			continue;
		node_id_from_pubkey(&id, old->peers[i].pk);
		if (peer_store_find(d->peers, &id))
			daemon_links_apply(d, peer_store_find(d->peers, &id));
		else
			link_peer_remove(d->links, &id);
	}
	for (unsigned i = 0; i < d->cfg->n_peers; i++)
		daemon_links_apply(d, &d->cfg->peers[i]);
}

struct metrics_acc {
	unsigned by_state[LINK__STATE_COUNT];
	uint64_t tx_bytes, rx_bytes, tx_packets, rx_packets, drops[LINK_DROP__COUNT], rx_bad;
};

static void acc_link(void *arg, const struct link *l)
{
	struct metrics_acc *a = arg;
	struct link_info i;

	link_get_info(l, &i);
	a->by_state[i.state]++;
	a->tx_bytes += i.tx_bytes;
	a->rx_bytes += i.rx_bytes;
	a->tx_packets += i.tx_packets;
	a->rx_packets += i.rx_packets;
	a->rx_bad += i.conn_rx_dropped;
	for (unsigned k = 0; k < LINK_DROP__COUNT; k++)
		a->drops[k] += i.drops[k];
}

static void links_metrics(struct daemon *d, struct evbuffer *out)
{
	struct metrics_acc a = {0};
	struct link_mgr_stats st;

	link_mgr_foreach(d->links, acc_link, &a);
	link_mgr_get_stats(d->links, &st);
	evbuffer_add_printf(out, "# HELP vx6_links Links by state.\n# TYPE vx6_links gauge\n");
	for (unsigned s = 0; s < LINK__STATE_COUNT; s++)
		evbuffer_add_printf(out, "vx6_links{state=\"%s\"} %u\n", link_state_name(s),
				    a.by_state[s]);
	evbuffer_add_printf(out,
			    "# HELP vx6_link_bytes_total Underlay bytes over all links.\n"
			    "# TYPE vx6_link_bytes_total counter\n"
			    "vx6_link_bytes_total{dir=\"tx\"} %llu\n"
			    "vx6_link_bytes_total{dir=\"rx\"} %llu\n"
			    "# HELP vx6_link_packets_total Overlay packets over all links.\n"
			    "# TYPE vx6_link_packets_total counter\n"
			    "vx6_link_packets_total{dir=\"tx\"} %llu\n"
			    "vx6_link_packets_total{dir=\"rx\"} %llu\n"
			    "# HELP vx6_link_drops_total Frames dropped, by reason.\n"
			    "# TYPE vx6_link_drops_total counter\n"
			    "vx6_link_drops_total{reason=\"transport_rx\"} %llu\n",
			    (unsigned long long)a.tx_bytes, (unsigned long long)a.rx_bytes,
			    (unsigned long long)a.tx_packets, (unsigned long long)a.rx_packets,
			    (unsigned long long)a.rx_bad);
	for (unsigned k = 0; k < LINK_DROP__COUNT; k++)
		evbuffer_add_printf(out, "vx6_link_drops_total{reason=\"%s\"} %llu\n",
				    link_drop_name(k), (unsigned long long)a.drops[k]);
	evbuffer_add_printf(out,
			    "# HELP vx6_handshakes_total Link handshakes by outcome.\n"
			    "# TYPE vx6_handshakes_total counter\n"
			    "vx6_handshakes_total{result=\"completed\"} %llu\n"
			    "vx6_handshakes_total{result=\"failed\"} %llu\n"
			    "vx6_handshakes_total{result=\"refused_rate\"} %llu\n"
			    "vx6_handshakes_total{result=\"refused_cap\"} %llu\n",
			    (unsigned long long)st.hs_completed, (unsigned long long)st.hs_failed,
			    (unsigned long long)st.hs_refused_rate,
			    (unsigned long long)st.hs_refused_cap);
}

const struct daemon_subsys daemon_subsys_links = {
    .name = "links",
    .init = links_init,
    .shutdown = links_shutdown,
    .reload = links_reload,
    .metrics = links_metrics,
};
