/* transport/link.c - the link manager: one link per remote node key, the
 * state machine that dials, keeps alive and redials it, and the upcalls
 * from transports. Link diagnostics live in link_probe.c; message codecs in
 * link_msg.c. docs/wire.md §4 and docs/operations.md "Links".
 */
#include "transport/link_internal.h"

#include <assert.h>
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include <event2/event.h>

#include "lib/clock.h"
#include "lib/log.h"
#include "lib/secure.h"
#include "transport/link_msg.h"
#include "transport/quic.h"

#define TO(s) (1u << (s))

/* Legal transitions; anything else is a bug in this file. */
static const unsigned link_next[LINK__STATE_COUNT] = {
    [LINK_IDLE] = TO(LINK_CONNECTING) | TO(LINK_UP),
    [LINK_CONNECTING] = TO(LINK_UP) | TO(LINK_BACKOFF) | TO(LINK_IDLE),
    [LINK_UP] = TO(LINK_UP) | TO(LINK_BACKOFF) | TO(LINK_IDLE) | TO(LINK_CONNECTING),
    [LINK_BACKOFF] = TO(LINK_CONNECTING) | TO(LINK_UP) | TO(LINK_IDLE) | TO(LINK_BACKOFF),
};

static const char *const state_names[LINK__STATE_COUNT] = {
    [LINK_IDLE] = "idle",
    [LINK_CONNECTING] = "connecting",
    [LINK_UP] = "up",
    [LINK_BACKOFF] = "backoff",
};

static const char *const drop_names[LINK_DROP__COUNT] = {
    [LINK_DROP_MALFORMED] = "malformed",
    [LINK_DROP_UNKNOWN] = "unknown_type",
    [LINK_DROP_NO_HANDLER] = "no_handler",
    [LINK_DROP_TX_FULL] = "tx_full",
};

const char *link_state_name(enum link_state s)
{
	return (unsigned)s < LINK__STATE_COUNT ? state_names[s] : "?";
}

const char *link_drop_name(enum link_drop d)
{
	return (unsigned)d < LINK_DROP__COUNT ? drop_names[d] : "?";
}

void link_arm(struct link *l, uint64_t ms)
{
	struct timeval tv = {.tv_sec = (time_t)(ms / 1000),
			     .tv_usec = (suseconds_t)((ms % 1000) * 1000)};

	evtimer_add(l->timer, &tv);
}

void link_set_state(struct link *l, enum link_state to)
{
	assert(link_next[l->state] & TO(to));
	log_debug(LD_LINK, "link %s: %s -> %s", l->fp, link_state_name(l->state),
		  link_state_name(to));
	evtimer_del(l->timer); /* the timer belongs to the state we leave */
	l->state = to;
}

static unsigned hash_of(const struct node_id *id)
{
	return id->b[0] | (unsigned)id->b[1] << 8;
}

struct link *link_find(struct link_mgr *m, const struct node_id *id)
{
	for (struct link *l = m->buckets[hash_of(id) % LINK_HASH_SIZE]; l; l = l->hnext)
		if (node_id_is_equal(&l->id, id))
			return l;
	return NULL;
}

bool link_is_up(const struct link *l)
{
	return l->state == LINK_UP && l->conn;
}

const struct node_id *link_node_id(const struct link *l)
{
	return &l->id;
}

/* ---- streams the link layer tracks ---- */

struct link_stream *link_stream_find(struct link *l, uint64_t sid)
{
	for (struct link_stream *s = l->streams[sid % LINK_STREAM_HASH]; s; s = s->next)
		if (s->sid == sid)
			return s;
	return NULL;
}

struct link_stream *link_stream_add(struct link *l, uint64_t sid, bool local)
{
	struct link_stream *s = calloc(1, sizeof(*s));

	if (!s)
		return NULL;
	s->sid = sid;
	s->local = local;
	s->next = l->streams[sid % LINK_STREAM_HASH];
	l->streams[sid % LINK_STREAM_HASH] = s;
	return s;
}

void link_stream_forget(struct link *l, uint64_t sid)
{
	struct link_stream **pp = &l->streams[sid % LINK_STREAM_HASH];

	for (; *pp; pp = &(*pp)->next) {
		if ((*pp)->sid == sid) {
			struct link_stream *s = *pp;

			*pp = s->next;
			free(s);
			return;
		}
	}
}

/* Note that one side of `sid` ended (`ours`: we sent FIN); forget the
 * stream once both have. */
void link_stream_ended(struct link *l, uint64_t sid, bool ours)
{
	struct link_stream *s = link_stream_find(l, sid);

	if (!s)
		return;
	if (ours)
		s->fin_sent = true;
	else
		s->fin_rcvd = true;
	if (s->fin_sent && s->fin_rcvd)
		link_stream_forget(l, sid);
}

void link_streams_clear(struct link *l)
{
	for (unsigned i = 0; i < LINK_STREAM_HASH; i++) {
		while (l->streams[i]) {
			struct link_stream *s = l->streams[i];

			l->streams[i] = s->next;
			free(s);
		}
	}
}

/* ---- connection bookkeeping ---- */

void link_closed_stats_add(struct link *l, const struct tp_conn_stats *s)
{
	struct tp_conn_stats *sum = &l->closed_stats;

	sum->tx_bytes += s->tx_bytes;
	sum->rx_bytes += s->rx_bytes;
	sum->tx_datagrams += s->tx_datagrams;
	sum->rx_datagrams += s->rx_datagrams;
	sum->tx_dropped += s->tx_dropped;
	sum->rx_dropped += s->rx_dropped;
}

/* Forget `c` (which is closing) without waiting for its `closed`. */
void link_conn_detach(struct link *l, struct tp_conn *c, enum tp_close_reason why)
{
	struct tp_conn_stats st;

	tp_get_stats(c, &st);
	link_closed_stats_add(l, &st);
	c->user = NULL;
	tp_close(c, why);
}

static struct transport *transport_for(struct link_mgr *m, enum transport_kind kind)
{
	int r = -EPROTONOSUPPORT;
	struct tp_callbacks cb = link_mgr_upcalls(m);

	if ((unsigned)kind >= LINK_KIND_SLOTS)
		return NULL;
	if (m->tp[kind])
		return m->tp[kind];
	if (kind == TRANSPORT_TCP)
		r = tp_tcp_new(m->base, &m->ident, NULL, &cb, &m->tp[kind]);
	else if (kind == TRANSPORT_QUIC)
		r = tp_quic_new(m->base, &m->ident, NULL, &cb, &m->tp[kind]);
	else if (kind == TRANSPORT_UDP)
		r = tp_udp_new(m->base, &m->ident, NULL, &cb, &m->tp[kind]);
	if (r < 0)
		return NULL;
	return m->tp[kind];
}

static void dial(struct link *l)
{
	struct transport *t = transport_for(l->m, l->kind);
	struct tp_conn *c;
	int r;

	if (!t) {
		log_info(LD_LINK, "link %s: transport %s is not available", l->fp,
			 tp_kind_name(l->kind));
		link_set_state(l, LINK_BACKOFF);
		link_arm(l, LINK_BACKOFF_MAX_MS);
		return;
	}
	r = tp_dial(t, &l->ep, l->pk, NULL, &c);
	if (r < 0) {
		log_debug(LD_LINK, "link %s: dial failed: %s", l->fp, strerror(-r));
		if (l->configured)
			link_enter_backoff(l);
		else
			link_unlink(l);
		return;
	}
	c->user = l;
	l->dialing = c;
	link_set_state(l, LINK_CONNECTING);
}

/* Exponential backoff with +-25% jitter, so a fleet restarted together
 * does not redial in lockstep. */
void link_enter_backoff(struct link *l)
{
	uint32_t b = l->backoff_ms ? l->backoff_ms * 2 : LINK_BACKOFF_MIN_MS;

	if (b > LINK_BACKOFF_MAX_MS)
		b = LINK_BACKOFF_MAX_MS;
	l->backoff_ms = b - b / 4 + sec_random_uniform(b / 2 + 1);
	link_set_state(l, LINK_BACKOFF);
	link_arm(l, l->backoff_ms);
}

static void send_ping(struct link *l)
{
	struct link_msg msg = {.type = LINK_MSG_PING};
	uint8_t buf[LINK_MSG_HDR_LEN];
	int n;

	sec_random(&msg.token, sizeof(msg.token));
	n = link_msg_encode(&msg, buf, sizeof(buf));
	if (n > 0 && tp_datagram_send(l->conn, buf, (size_t)n) == 0) {
		l->ping_token = msg.token;
		l->ping_sent_ns = clock_mono_ns();
	}
}

static void on_timer(evutil_socket_t fd, short what, void *arg)
{
	struct link *l = arg;
	uint64_t now = clock_mono_ms();

	(void)fd;
	(void)what;
	switch (l->state) {
	case LINK_BACKOFF:
		dial(l);
		return;
	case LINK_UP:
		if (now > l->last_rx_ms && now - l->last_rx_ms >= l->m->dead_ms) {
			log_info(LD_LINK, "link %s: nothing received for %u ms; closing", l->fp,
				 l->m->dead_ms);
			tp_close(l->conn, TP_CLOSE_TIMEOUT); /* `closed` does the rest */
			return;
		}
		if (!l->configured && now > l->last_use_ms &&
		    now - l->last_use_ms >= l->m->idle_close_ms) {
			log_debug(LD_LINK, "link %s: idle; closing", l->fp);
			link_unlink(l);
			return;
		}
		send_ping(l);
		link_arm(l, l->m->ping_ms);
		return;
	default:
		return;
	}
}

struct link *link_create(struct link_mgr *m, const uint8_t pk[32])
{
	struct link *l;
	unsigned h;

	if (m->n_links >= LINK_PEERS_MAX) {
		m->links_refused_full++;
		return NULL;
	}
	l = calloc(1, sizeof(*l));
	if (!l)
		return NULL;
	l->timer = evtimer_new(m->base, on_timer, l);
	if (!l->timer) {
		free(l);
		return NULL;
	}
	l->m = m;
	memcpy(l->pk, pk, 32);
	node_id_from_pubkey(&l->id, pk);
	node_id_fingerprint(&l->id, l->fp);
	l->state = LINK_IDLE;
	h = hash_of(&l->id) % LINK_HASH_SIZE;
	l->hnext = m->buckets[h];
	m->buckets[h] = l;
	m->n_links++;
	return l;
}

/* Remove `l` from the table and close its connections now; free it from
 * the reaper, since a caller up the stack may still hold it. */
void link_unlink(struct link *l)
{
	struct link_mgr *m = l->m;
	struct link **pp = &m->buckets[hash_of(&l->id) % LINK_HASH_SIZE];
	bool was_up = link_is_up(l);

	if (l->dead)
		return;
	link_probe_abort(l, -ENOTCONN);
	if (l->conn)
		link_conn_detach(l, l->conn, TP_CLOSE_LOCAL);
	if (l->dialing)
		link_conn_detach(l, l->dialing, TP_CLOSE_LOCAL);
	l->conn = l->dialing = NULL;
	evtimer_del(l->timer);
	if (was_up && m->cb.down)
		m->cb.down(m->cb.ctx, l);
	for (; *pp; pp = &(*pp)->hnext) {
		if (*pp == l) {
			*pp = l->hnext;
			break;
		}
	}
	m->n_links--;
	l->dead = true;
	l->dead_next = m->dead;
	m->dead = l;
	event_active(m->reaper, EV_TIMEOUT, 0);
}

static void link_free(struct link *l)
{
	link_streams_clear(l);
	link_control_free(l);
	event_free(l->timer);
	free(l);
}

static void on_reap(evutil_socket_t fd, short what, void *arg)
{
	struct link_mgr *m = arg;

	(void)fd;
	(void)what;
	while (m->dead) {
		struct link *l = m->dead;

		m->dead = l->dead_next;
		link_free(l);
	}
}

/* ---- public API ---- */

int link_mgr_new(struct event_base *base, const struct tp_identity *id,
		 const struct link_callbacks *cb, struct link_mgr **out_mgr)
{
	struct link_mgr *m = calloc(1, sizeof(*m));

	if (!m)
		return -ENOMEM;
	m->reaper = event_new(base, -1, 0, on_reap, m);
	if (!m->reaper) {
		free(m);
		return -ENOMEM;
	}
	m->base = base;
	m->ident = *id;
	m->ping_ms = LINK_PING_MS;
	m->dead_ms = LINK_DEAD_MS;
	m->idle_close_ms = LINK_IDLE_CLOSE_MS;
	node_id_from_pubkey(&m->self, id->ed25519_pk);
	if (cb)
		m->cb = *cb;
	*out_mgr = m;
	return 0;
}

struct link_mgr *link_mgr_free(struct link_mgr *m)
{
	if (!m)
		return NULL;
	m->cb = (struct link_callbacks){0}; /* no upcalls while tearing down */
	for (unsigned i = 0; i < LINK_HASH_SIZE; i++)
		while (m->buckets[i])
			link_unlink(m->buckets[i]);
	for (unsigned k = 0; k < LINK_KIND_SLOTS; k++)
		m->tp[k] = tp_free(m->tp[k]);
	on_reap(-1, 0, m);
	event_free(m->reaper);
	free(m);
	return NULL;
}

int link_mgr_listen(struct link_mgr *m, enum transport_kind kind, const struct sockaddr_in6 *addr)
{
	struct tp_callbacks cb = link_mgr_upcalls(m);
	int r;

	if ((unsigned)kind >= LINK_KIND_SLOTS)
		return -EPROTONOSUPPORT;
	if (m->listening[kind])
		return -EEXIST;
	/* A dial-only transport of this kind is replaced; its connections
	 * close and configured links redial through the listener. */
	m->tp[kind] = tp_free(m->tp[kind]);
	if (kind == TRANSPORT_TCP)
		r = tp_tcp_new(m->base, &m->ident, addr, &cb, &m->tp[kind]);
	else if (kind == TRANSPORT_QUIC)
		r = tp_quic_new(m->base, &m->ident, addr, &cb, &m->tp[kind]);
	else
		r = tp_udp_new(m->base, &m->ident, addr, &cb, &m->tp[kind]);
	if (r < 0)
		return r;
	m->listening[kind] = true;
	return 0;
}

int link_mgr_local_addr(struct link_mgr *m, enum transport_kind kind, struct sockaddr_in6 *out)
{
	if ((unsigned)kind >= LINK_KIND_SLOTS || !m->listening[kind])
		return -ENOTCONN;
	return tp_local_addr(m->tp[kind], out);
}

/* The link to the node with key `pk` over `kind`, made if need be
 * (`*created` says so). Return 0, -EINVAL (our own key, or not a valid
 * key), -EPROTONOSUPPORT (`kind` is UDP and `udp_ok` false, or unknown),
 * -ENOSPC or -ENOMEM. */
static int link_get(struct link_mgr *m, const uint8_t pk[32], enum transport_kind kind, bool udp_ok,
		    struct link **out, bool *created)
{
	struct node_id id;

	node_id_from_pubkey(&id, pk);
	if (node_id_is_equal(&id, &m->self) || !sec_ed25519_pk_is_valid(pk))
		return -EINVAL;
	if (kind != TRANSPORT_TCP && kind != TRANSPORT_QUIC && !(udp_ok && kind == TRANSPORT_UDP))
		return -EPROTONOSUPPORT;
	*out = link_find(m, &id);
	*created = !*out;
	if (!*out)
		*out = link_create(m, pk);
	if (!*out)
		return m->n_links >= LINK_PEERS_MAX ? -ENOSPC : -ENOMEM;
	return 0;
}

int link_peer_add(struct link_mgr *m, const uint8_t pk[32], const struct sockaddr_in6 *ep,
		  enum transport_kind kind)
{
	struct link *l;
	bool created;
	int r;

	r = link_get(m, pk, kind, true, &l, &created);
	if (r < 0)
		return r;
	l->configured = true;
	return link_peer_set_endpoint(m, &l->id, ep, kind);
}

int link_mgr_connect(struct link_mgr *m, const uint8_t pk[32], const struct sockaddr_in6 *ep,
		     enum transport_kind kind)
{
	struct link *l;
	bool created;
	int r;

	r = link_get(m, pk, kind, false, &l, &created); /* UDP links carry no streams */
	if (r < 0 || !created)
		return r; /* a link exists already: it dials by itself */
	l->kind = kind;
	l->ep = *ep;
	l->ep.sin6_family = AF_INET6;
	dial(l);
	return 0;
}

int link_peer_set_endpoint(struct link_mgr *m, const struct node_id *id,
			   const struct sockaddr_in6 *ep, enum transport_kind kind)
{
	struct link *l = link_find(m, id);
	bool same;

	if (!l)
		return -ENOENT;
	same = l->kind == kind && memcmp(&l->ep.sin6_addr, &ep->sin6_addr, 16) == 0 &&
	       l->ep.sin6_port == ep->sin6_port;
	l->kind = kind;
	l->ep = *ep;
	l->ep.sin6_family = AF_INET6;
	if (!l->configured)
		return 0;
	switch (l->state) {
	case LINK_UP:
		/* Already connected to that very endpoint: nothing to do. An
		 * inbound link from the peer is fine too, whatever it used. */
		if (same || !l->conn_initiator)
			return 0;
		link_conn_detach(l, l->conn, TP_CLOSE_LOCAL);
		l->conn = NULL;
		l->disconnects++;
		link_probe_abort(l, -ENOTCONN);
		link_streams_clear(l);
		link_control_free(l);
		if (m->cb.down)
			m->cb.down(m->cb.ctx, l);
		break;
	case LINK_CONNECTING:
		if (same)
			return 0;
		link_conn_detach(l, l->dialing, TP_CLOSE_LOCAL);
		l->dialing = NULL;
		break;
	default:
		break;
	}
	l->backoff_ms = 0;
	dial(l);
	return 0;
}

int link_peer_remove(struct link_mgr *m, const struct node_id *id)
{
	struct link *l = link_find(m, id);

	if (!l)
		return -ENOENT;
	link_unlink(l);
	return 0;
}

void link_get_info(const struct link *l, struct link_info *out)
{
	struct tp_conn_stats st = l->closed_stats, cur;

	memset(out, 0, sizeof(*out));
	if (l->conn) {
		tp_get_stats(l->conn, &cur);
		st.tx_bytes += cur.tx_bytes;
		st.rx_bytes += cur.rx_bytes;
		st.tx_dropped += cur.tx_dropped;
		st.rx_dropped += cur.rx_dropped;
		out->rtt_us = l->srtt_us ? l->srtt_us : cur.rtt_us;
		out->cipher = cur.cipher;
	}
	out->id = l->id;
	memcpy(out->pk, l->pk, 32);
	out->state = l->state;
	out->configured = l->configured;
	out->kind = l->conn ? l->conn_kind : l->kind;
	/* Ask the transport: a QUIC connection migrates to a peer's new
	 * address without a new handshake. */
	if (l->conn)
		tp_get_peer(l->conn, &out->endpoint);
	else
		out->endpoint = l->ep;
	out->initiator = l->conn ? l->conn_initiator : true;
	out->up_since_ms = l->conn ? l->up_since_ms : 0;
	out->tx_bytes = st.tx_bytes;
	out->rx_bytes = st.rx_bytes;
	out->tx_packets = l->tx_packets;
	out->rx_packets = l->rx_packets;
	memcpy(out->drops, l->drops, sizeof(out->drops));
	out->drops[LINK_DROP_TX_FULL] += st.tx_dropped;
	out->conn_rx_dropped = st.rx_dropped;
	out->connects = l->connects;
	out->disconnects = l->disconnects;
	out->last_close = l->last_close;
	out->backoff_ms = l->state == LINK_BACKOFF ? l->backoff_ms : 0;
}

void link_mgr_foreach(struct link_mgr *m, void (*fn)(void *arg, const struct link *l), void *arg)
{
	for (unsigned i = 0; i < LINK_HASH_SIZE; i++)
		for (struct link *l = m->buckets[i]; l; l = l->hnext)
			fn(arg, l);
}

int link_send_packet(struct link *l, const uint8_t *pkt, size_t len)
{
	int r;

	if (!link_is_up(l))
		return -ENOTCONN;
	r = tp_datagram_send(l->conn, pkt, len);
	if (r == 0) {
		l->tx_packets++;
		l->last_use_ms = clock_mono_coarse_ms();
	} else if (r == -ENOBUFS) {
		l->drops[LINK_DROP_TX_FULL]++;
	}
	return r;
}

int link_send_packets(struct link *l, const struct iovec *pkts, size_t n, size_t *out_sent)
{
	int r;

	*out_sent = 0;
	if (!link_is_up(l))
		return -ENOTCONN;
	r = tp_datagram_send_batch(l->conn, pkts, n, out_sent);
	l->tx_packets += *out_sent;
	if (*out_sent)
		l->last_use_ms = clock_mono_coarse_ms();
	if (r == -ENOBUFS)
		l->drops[LINK_DROP_TX_FULL] += n - *out_sent;
	return r;
}

int link_stream_open(struct link *l, uint8_t kind, uint64_t *out_sid)
{
	struct link_stream *s;
	uint64_t sid;
	int r;

	if (!link_is_up(l))
		return -ENOTCONN;
	r = tp_stream_open(l->conn, &sid);
	if (r < 0)
		return r;
	s = link_stream_add(l, sid, true);
	if (!s) {
		tp_stream_reset(l->conn, sid, (uint32_t)ENOMEM);
		return -ENOMEM;
	}
	s->kind = kind;
	/* The kind byte always fits: a fresh stream has its whole window. */
	if (tp_stream_write(l->conn, sid, &kind, 1, false) != 1) {
		link_stream_forget(l, sid);
		tp_stream_reset(l->conn, sid, (uint32_t)EIO);
		return -EIO;
	}
	l->last_use_ms = clock_mono_coarse_ms();
	*out_sid = sid;
	return 0;
}

ssize_t link_stream_write(struct link *l, uint64_t sid, const uint8_t *buf, size_t len, bool fin)
{
	ssize_t n;

	if (!link_is_up(l))
		return -ENOTCONN;
	n = tp_stream_write(l->conn, sid, buf, len, fin);
	if (n > 0)
		l->last_use_ms = clock_mono_coarse_ms();
	if (fin && n == (ssize_t)len)
		link_stream_ended(l, sid, true);
	return n;
}

void link_stream_consumed(struct link *l, uint64_t sid, size_t n)
{
	if (link_is_up(l))
		tp_stream_consumed(l->conn, sid, n);
}

int link_stream_reset(struct link *l, uint64_t sid, uint32_t code)
{
	if (!link_is_up(l))
		return -ENOTCONN;
	link_stream_forget(l, sid);
	return tp_stream_reset(l->conn, sid, code);
}

void link_mgr_get_stats(const struct link_mgr *m, struct link_mgr_stats *out)
{
	memset(out, 0, sizeof(*out));
	for (unsigned k = 0; k < LINK_KIND_SLOTS; k++) {
		const struct transport *t = m->tp[k];

		if (!t)
			continue;
		out->hs_completed += t->hs_completed;
		out->hs_failed += t->hs_failed;
		out->hs_refused_rate += t->hs_refused_rate;
		out->hs_refused_cap += t->hs_refused_cap;
		if (t->ops->kind == TRANSPORT_QUIC) {
			struct quic_transport_stats qs;

			quic_transport_get_stats(t, &qs);
			out->rx_garbage += qs.rx_dropped;
		}
	}
	out->links_refused_full = m->links_refused_full;
}

void link_mgr_set_timers(struct link_mgr *m, uint32_t ping_ms, uint32_t dead_ms,
			 uint32_t idle_close_ms)
{
	m->ping_ms = ping_ms;
	m->dead_ms = dead_ms;
	m->idle_close_ms = idle_close_ms;
}
