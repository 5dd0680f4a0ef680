/* daemon/dataplane.c - the "dataplane" subsystem: the TUN device and the
 * router between it and the links (routing/router.h). Optional, as the
 * design requires: without CAP_NET_ADMIN or /dev/net/tun (or with
 * "tun": {"enabled": false}) vx6d runs on without an overlay interface,
 * and says so once.
 */
#include "daemon/dataplane.h"

#include <errno.h>
#include <stdio.h>
#include <string.h>

#include <event2/buffer.h>

#include "daemon/daemon.h"
#include "lib/log.h"
#include "routing/router.h"
#include "transport/link.h"
#include "tun/tun.h"

void daemon_dataplane_link_up(struct daemon *d, struct link *l)
{
	char fp[9];
	int r;

	if (!d->router)
		return;
	r = router_add_node(d->router, link_node_id(l));
	if (r < 0) {
		node_id_fingerprint(link_node_id(l), fp);
		log_warn(LD_ROUTE, "Failed to route to node %s: %s", fp,
			 r == -EEXIST ? "another node holds its overlay address"
				      : "the route table is full");
	}
}

void daemon_dataplane_packet(struct daemon *d, struct link *l, const uint8_t *pkt, size_t len)
{
	if (d->router)
		router_on_packet(d->router, l, pkt, len);
}

static int dataplane_init(struct daemon *d, char *err, size_t cap)
{
	struct tun_cfg tc = { 0 };
	char why[256] = "";
	int r;

	if (!d->cfg->tun_enabled)
		return 0;
	snprintf(tc.ifname, sizeof(tc.ifname), "%s", d->cfg->tun_name);
	tc.mtu = d->cfg->tun_mtu;
	r = router_new(d->base, d->links, &d->ident.net, &d->ident.id, &tc, &d->router, why,
		       sizeof(why));
	if (r == -EPERM || r == -ENOENT || r == -EACCES) {
		log_notice(LD_TUN, "No overlay interface (%s: %s); named services still work",
			   why[0] ? why : "TUN", strerror(-r));
		return 0;
	}
	if (r < 0) {
		snprintf(err, cap, "Failed to create the overlay interface '%s': %s: %s",
			 d->cfg->tun_name, why, strerror(-r));
		return r;
	}
	log_notice(LD_TUN, "Overlay interface %s up, mtu %u", router_ifname(d->router),
		   router_mtu(d->router));
	return 0;
}

static void dataplane_shutdown(struct daemon *d)
{
	d->router = router_free(d->router);
}

static void dataplane_reload(struct daemon *d, const struct daemon_config *old)
{
	if (old->tun_enabled != d->cfg->tun_enabled || old->tun_mtu != d->cfg->tun_mtu ||
	    strcmp(old->tun_name, d->cfg->tun_name) != 0)
		log_notice(LD_CONFIG, "tun changes take effect after a restart");
}

static void dataplane_metrics(struct daemon *d, struct evbuffer *out)
{
	struct router_stats s;

	if (!d->router)
		return;
	router_get_stats(d->router, &s);
	evbuffer_add_printf(out,
			    "# HELP vx6_overlay_packets_total Overlay packets routed.\n"
			    "# TYPE vx6_overlay_packets_total counter\n"
			    "vx6_overlay_packets_total{dir=\"tx\"} %llu\n"
			    "vx6_overlay_packets_total{dir=\"rx\"} %llu\n"
			    "# HELP vx6_overlay_bytes_total Overlay bytes routed.\n"
			    "# TYPE vx6_overlay_bytes_total counter\n"
			    "vx6_overlay_bytes_total{dir=\"tx\"} %llu\n"
			    "vx6_overlay_bytes_total{dir=\"rx\"} %llu\n"
			    "# HELP vx6_overlay_drops_total Overlay packets dropped, by reason.\n"
			    "# TYPE vx6_overlay_drops_total counter\n"
			    "vx6_overlay_drops_total{reason=\"no_route\"} %llu\n"
			    "vx6_overlay_drops_total{reason=\"link_down\"} %llu\n"
			    "vx6_overlay_drops_total{reason=\"too_big\"} %llu\n"
			    "vx6_overlay_drops_total{reason=\"tx_full\"} %llu\n"
			    "vx6_overlay_drops_total{reason=\"spoofed\"} %llu\n"
			    "vx6_overlay_drops_total{reason=\"not_for_us\"} %llu\n"
			    "vx6_overlay_drops_total{reason=\"malformed\"} %llu\n"
			    "vx6_overlay_drops_total{reason=\"not_overlay\"} %llu\n"
			    "# HELP vx6_overlay_icmp_sent_total ICMPv6 errors sent into the overlay.\n"
			    "# TYPE vx6_overlay_icmp_sent_total counter\n"
			    "vx6_overlay_icmp_sent_total %llu\n",
			    (unsigned long long)s.tx_packets, (unsigned long long)s.rx_packets,
			    (unsigned long long)s.tx_bytes, (unsigned long long)s.rx_bytes,
			    (unsigned long long)s.drop_no_route, (unsigned long long)s.drop_link_down,
			    (unsigned long long)s.drop_too_big, (unsigned long long)s.drop_tx_full,
			    (unsigned long long)s.drop_spoofed, (unsigned long long)s.drop_not_for_us,
			    (unsigned long long)s.drop_malformed,
			    (unsigned long long)s.drop_not_overlay, (unsigned long long)s.icmp_sent);
}

const struct daemon_subsys daemon_subsys_dataplane = {
	.name = "dataplane",
	.init = dataplane_init,
	.shutdown = dataplane_shutdown,
	.reload = dataplane_reload,
	.metrics = dataplane_metrics,
};
