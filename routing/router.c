/* routing/router.c - the overlay packet path (see router.h): TUN -> node
 * -> link on the way out, link -> checks -> GRO -> TUN on the way in.
 * ICMPv6 errors are built by tun/icmp6.c and rate-limited here. The address
 * table is an open-addressed hash of the 80-bit node part of overlay
 * addresses, capped at ROUTER_NODES_MAX; it is never resized by peers. */
#include "routing/router.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/uio.h>

#include <event2/event.h>

#include "identity/node_id.h"
#include "lib/clock.h"
#include "lib/log.h"
#include "transport/link.h"
#include "tun/gro.h"
#include "tun/icmp6.h"
#include "tun/tun.h"

#define TABLE_SLOTS  (2 * ROUTER_NODES_MAX) /* a power of two, half full at most */
#define KEY_LEN	     10			    /* node part of an overlay address */
#define SEGS_MAX     64			    /* segments of one super-packet */
#define SEG_BUF_LEN  2048
#define RX_BUF_LEN   (TP_DATAGRAM_MAX + 64)
#define ICMP_BUF_LEN 1280

struct route_slot {
	bool used;
	uint8_t key[KEY_LEN];
	struct node_id id;
};

struct router {
	struct event_base *base;
	struct link_mgr *links;
	struct tun_dev *tun;
	struct overlay_net net;
	struct node_id self;
	struct in6_addr self_addr;
	unsigned mtu;
	struct route_slot *table; /* TABLE_SLOTS entries */
	unsigned n_nodes;

	struct tun_gro *gro;
	uint8_t (*rx)[RX_BUF_LEN]; /* ROUTER_RX_RING copies of inbound packets */
	unsigned rx_n;
	struct event *flush_ev;

	uint8_t (*seg)[SEG_BUF_LEN]; /* SEGS_MAX segment buffers */
	struct tun_seg segs[SEGS_MAX];
	struct iovec iov[SEGS_MAX];

	struct log_ratelim icmp_rl;
	struct router_stats st;
};

static size_t slot_of(const uint8_t key[KEY_LEN])
{
	uint64_t h = 0;

	for (unsigned i = 0; i < KEY_LEN; i++)
		h = h * 131 + key[i];
	return (size_t)(h ^ (h >> 29)) & (TABLE_SLOTS - 1);
}

static const struct node_id *table_find(const struct router *r, const uint8_t key[KEY_LEN])
{
	for (size_t i = slot_of(key), n = 0; n < TABLE_SLOTS; i = (i + 1) & (TABLE_SLOTS - 1), n++) {
		if (!r->table[i].used)
			return NULL;
		if (memcmp(r->table[i].key, key, KEY_LEN) == 0)
			return &r->table[i].id;
	}
	return NULL;
}

int router_add_node(struct router *r, const struct node_id *id)
{
	struct in6_addr a;
	size_t i;

	overlay_addr_of(&r->net, id, &a);
	for (i = slot_of(&a.s6_addr[6]);; i = (i + 1) & (TABLE_SLOTS - 1)) {
		struct route_slot *s = &r->table[i];

		if (!s->used)
			break;
		if (memcmp(s->key, &a.s6_addr[6], KEY_LEN) == 0)
			return node_id_is_equal(&s->id, id) ? 0 : -EEXIST;
	}
	if (r->n_nodes >= ROUTER_NODES_MAX)
		return -ENOSPC;
	r->table[i].used = true;
	memcpy(r->table[i].key, &a.s6_addr[6], KEY_LEN);
	r->table[i].id = *id;
	r->n_nodes++;
	return 0;
}

/* ---- ICMPv6 errors back into TUN ---- */

static void icmp_reply(struct router *r, const uint8_t *pkt, size_t len, bool too_big,
		       enum tun_icmp6_unreach_code code)
{
	uint8_t out[ICMP_BUF_LEN];
	size_t n;
	int e;

	if (!log_ratelim_allow(&r->icmp_rl, clock_mono_ms())) {
		r->st.icmp_ratelimited++;
		return;
	}
	e = too_big ? tun_icmp6_ptb_build(out, sizeof(out), &r->self_addr, TP_DATAGRAM_MAX, pkt,
					  len, &n)
		    : tun_icmp6_unreach_build(out, sizeof(out), &r->self_addr, code, pkt, len, &n);
	if (e < 0)
		return; /* never for ICMPv6 errors or multicast (RFC 4443 §2.4) */
	if (tun_dev_write(r->tun, out, n) == 0)
		r->st.icmp_sent++;
}

/* ---- outbound: TUN -> link ---- */

static void send_one(struct router *r, struct link *l, struct tun_rx_pkt *p)
{
	size_t count = 1, sent = 0;
	int e;

	if (p->info.gso != TUN_GSO_NONE) {
		int n = tun_gso_segment(&p->info, p->pkt, r->segs, SEGS_MAX);

		if (n <= 0) {
			r->st.drop_malformed++;
			return;
		}
		for (int i = 0; i < n; i++) {
			r->iov[i].iov_base = r->segs[i].buf;
			r->iov[i].iov_len = r->segs[i].len;
		}
		count = (size_t)n;
		r->st.tx_gso_super++;
	} else {
		if (p->info.len > TP_DATAGRAM_MAX) {
			r->st.drop_too_big++;
			icmp_reply(r, p->pkt, p->info.len, true, 0);
			return;
		}
		r->iov[0].iov_base = p->pkt;
		r->iov[0].iov_len = p->info.len;
	}
	e = link_send_packets(l, r->iov, count, &sent);
	r->st.tx_packets += sent;
	for (size_t i = 0; i < sent; i++)
		r->st.tx_bytes += r->iov[i].iov_len;
	if (e == -EMSGSIZE)
		r->st.drop_too_big += count - sent;
	else if (e < 0)
		r->st.drop_tx_full += count - sent;
}

static void on_tun_rx(void *arg, struct tun_rx_pkt *pkts, unsigned n)
{
	struct router *r = arg;

	for (unsigned i = 0; i < n; i++) {
		struct tun_rx_pkt *p = &pkts[i];
		struct in6_addr dst;
		const struct node_id *id;
		struct link *l;

		memcpy(&dst, p->pkt + 24, 16);
		if (!overlay_net_contains(&r->net, &dst) ||
		    memcmp(&dst, &r->self_addr, 16) == 0) {
			r->st.drop_not_overlay++;
			continue;
		}
		id = table_find(r, &dst.s6_addr[6]);
		if (!id) {
			r->st.drop_no_route++;
			icmp_reply(r, p->pkt, p->info.len, false, TUN_ICMP6_UNREACH_NOROUTE);
			continue;
		}
		l = link_find(r->links, id);
		if (!l || !link_is_up(l)) {
			r->st.drop_link_down++;
			icmp_reply(r, p->pkt, p->info.len, false, TUN_ICMP6_UNREACH_ADDR);
			continue;
		}
		send_one(r, l, p);
	}
}

/* ---- inbound: link -> TUN ---- */

static void flush(struct router *r)
{
	if (r->rx_n == 0)
		return;
	r->st.tun_writes += tun_gro_count(r->gro);
	if (tun_dev_write_gro(r->tun, r->gro) < 0)
		r->st.tun_write_errors++;
	r->rx_n = 0;
}

static void on_flush(evutil_socket_t fd, short what, void *arg)
{
	(void)fd;
	(void)what;
	flush(arg);
}

void router_on_packet(struct router *r, struct link *l, const uint8_t *pkt, size_t len)
{
	struct in6_addr want;

	if (len < 40 || len > RX_BUF_LEN || (pkt[0] >> 4) != 6 ||
	    (size_t)((unsigned)pkt[4] << 8 | pkt[5]) + 40 != len) {
		r->st.drop_malformed++;
		return;
	}
	/* The inner source must be the address of the node that
	 * authenticated this link: no peer can speak for another. */
	overlay_addr_of(&r->net, link_node_id(l), &want);
	if (memcmp(pkt + 8, &want, 16) != 0) {
		r->st.drop_spoofed++;
		return;
	}
	if (memcmp(pkt + 24, &r->self_addr, 16) != 0) {
		r->st.drop_not_for_us++;
		return;
	}
	if (r->rx_n == ROUTER_RX_RING)
		flush(r);
	memcpy(r->rx[r->rx_n], pkt, len);
	if (tun_gro_add(r->gro, r->rx[r->rx_n], len) < 0) {
		flush(r);
		memcpy(r->rx[0], pkt, len);
		tun_gro_add(r->gro, r->rx[0], len);
	}
	r->rx_n++;
	r->st.rx_packets++;
	r->st.rx_bytes += len;
	/* Everything that arrives in this loop turn goes out in one flush. */
	if (r->rx_n == 1)
		event_active(r->flush_ev, EV_TIMEOUT, 0);
}

/* ---- lifecycle ---- */

int router_new(struct event_base *base, struct link_mgr *links, const struct overlay_net *net,
	       const struct node_id *self, const struct tun_cfg *cfg, struct router **out,
	       char *err, size_t err_cap)
{
	struct router *r = calloc(1, sizeof(*r));
	struct tun_cfg c = *cfg;
	int e = -ENOMEM;

	if (!r)
		return -ENOMEM;
	r->base = base;
	r->links = links;
	r->net = *net;
	r->self = *self;
	overlay_addr_of(net, self, &r->self_addr);
	r->icmp_rl = (struct log_ratelim)LOG_RATELIM_INIT(1000 / ROUTER_ICMP_PER_S, ROUTER_ICMP_PER_S);
	r->table = calloc(TABLE_SLOTS, sizeof(*r->table));
	r->rx = calloc(ROUTER_RX_RING, sizeof(*r->rx));
	r->seg = calloc(SEGS_MAX, sizeof(*r->seg));
	r->gro = tun_gro_new(0);
	r->flush_ev = event_new(base, -1, 0, on_flush, r);
	if (!r->table || !r->rx || !r->seg || !r->gro || !r->flush_ev) {
		snprintf(err, err_cap, "out of memory");
		goto err;
	}
	for (unsigned i = 0; i < SEGS_MAX; i++) {
		r->segs[i].buf = r->seg[i];
		r->segs[i].cap = SEG_BUF_LEN;
	}
	c.addr = r->self_addr;
	c.prefix_len = OVERLAY_PREFIX_LEN;
	e = tun_dev_open(base, &c, on_tun_rx, r, &r->tun, err, err_cap);
	if (e < 0)
		goto err;
	r->mtu = c.mtu ? c.mtu : TUN_DEFAULT_MTU;
	*out = r;
	return 0;
err:
	router_free(r);
	return e;
}

struct router *router_free(struct router *r)
{
	if (!r)
		return NULL;
	if (r->flush_ev)
		event_free(r->flush_ev);
	r->tun = tun_dev_free(r->tun);
	tun_gro_free(r->gro);
	free(r->table);
	free(r->rx);
	free(r->seg);
	free(r);
	return NULL;
}

void router_get_stats(const struct router *r, struct router_stats *out)
{
	*out = r->st;
	out->gro_merged = tun_gro_merged(r->gro);
}

unsigned router_mtu(const struct router *r)
{
	return r->mtu;
}

const char *router_ifname(const struct router *r)
{
	return tun_dev_name(r->tun);
}

unsigned router_offloads(const struct router *r)
{
	return tun_dev_offloads(r->tun);
}
