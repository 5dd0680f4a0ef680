/* transport/tcp.c - the TCP transport object: listener, admission of new
 * connections, dialing, the connection state machine's transitions, and
 * closing through a reaper. Handshake and framing: tcp_conn.c; streams and
 * flow control: tcp_stream.c. Wire format: docs/wire.md §3.
 */
#include "transport/tcp.h"
#include "transport/tcp_internal.h"

#include <assert.h>
#include <errno.h>
#include <netinet/tcp.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include <event2/buffer.h>
#include <event2/bufferevent.h>
#include <event2/event.h>
#include <event2/listener.h>

#include "lib/clock.h"
#include "lib/log.h"
#include "lib/secure.h"
#include "transport/noise.h"
#include "transport/noise_cipher.h"

#define TO(s) (1u << (s))

static const unsigned conn_next[TCP_CONN__STATE_COUNT] = {
    [TCP_CONN_CONNECTING] = TO(TCP_CONN_SENT_INIT) | TO(TCP_CONN_CLOSED),
    [TCP_CONN_SENT_INIT] = TO(TCP_CONN_ESTABLISHED) | TO(TCP_CONN_CLOSED),
    [TCP_CONN_ACCEPTED] = TO(TCP_CONN_SENT_RESP) | TO(TCP_CONN_CLOSED),
    [TCP_CONN_SENT_RESP] = TO(TCP_CONN_ESTABLISHED) | TO(TCP_CONN_CLOSED),
    [TCP_CONN_ESTABLISHED] = TO(TCP_CONN_CLOSED),
    [TCP_CONN_CLOSED] = 0,
};

static const char *const state_names[TCP_CONN__STATE_COUNT] = {
    [TCP_CONN_CONNECTING] = "connecting",   [TCP_CONN_SENT_INIT] = "sent-init",
    [TCP_CONN_ACCEPTED] = "accepted",	    [TCP_CONN_SENT_RESP] = "sent-resp",
    [TCP_CONN_ESTABLISHED] = "established", [TCP_CONN_CLOSED] = "closed",
};

void tcp_conn_set_state(struct tcp_conn *c, enum tcp_conn_state to)
{
	assert(conn_next[c->state] & TO(to));
	log_debug(LD_TCP, "conn %p %s: %s -> %s", (void *)c, c->fp, state_names[c->state],
		  state_names[to]);
	c->state = to;
}

bool tcp_ts_accept(struct tcp_transport *tt, const uint8_t ed_pk[32], uint64_t ts_ms)
{
	struct tcp_ts_entry *slot = NULL, *oldest = &tt->ts[0];
	struct node_id id;
	uint64_t now = clock_mono_ms();

	node_id_from_pubkey(&id, ed_pk);
	for (unsigned i = 0; i < TCP_TS_TABLE; i++) {
		struct tcp_ts_entry *e = &tt->ts[i];

		if (e->used_ms && node_id_is_equal(&e->id, &id)) {
			slot = e;
			break;
		}
		if (e->used_ms < oldest->used_ms)
			oldest = e;
	}
	if (slot && ts_ms <= slot->ts_ms)
		return false; /* a replayed or reordered handshake initiation */
	if (!slot) {
		slot = oldest; /* forgetting the least recent key is safe: it only
				* lets an old initiation of that key through once,
				* and that still cannot complete a handshake */
		slot->id = id;
	}
	slot->ts_ms = ts_ms;
	slot->used_ms = now ? now : 1;
	return true;
}

/* ---- closing ---- */

static void conn_free(struct tcp_conn *c)
{
	struct tcp_transport *tt = c->tt;

	if (c->prev)
		c->prev->next = c->next;
	else if (tt->conns == c)
		tt->conns = c->next;
	if (c->next)
		c->next->prev = c->prev;
	tt->n_conns--;
	if (c->timer)
		event_free(c->timer);
	if (c->bev)
		bufferevent_free(c->bev); /* closes the socket */
	tcp_streams_free(c);
	free(c);
}

static void on_linger_done(evutil_socket_t fd, short what, void *arg)
{
	(void)fd;
	(void)what;
	conn_free(arg);
}

static void on_linger_drained(struct bufferevent *bev, void *arg)
{
	(void)bev;
	conn_free(arg);
}

/* After `closed` was reported: give queued bytes (our CLOSE frame) a moment
 * to leave, then free. */
static void conn_linger(struct tcp_conn *c)
{
	struct timeval tv = {.tv_sec = 0, .tv_usec = TCP_LINGER_MS * 1000};

	if (!c->bev || evbuffer_get_length(bufferevent_get_output(c->bev)) == 0 ||
	    c->why == TP_CLOSE_IO || c->why == TP_CLOSE_REMOTE) {
		conn_free(c);
		return;
	}
	c->lingering = true;
	bufferevent_setwatermark(c->bev, EV_WRITE, 0, 0);
	bufferevent_setcb(c->bev, NULL, on_linger_drained, NULL, c);
	bufferevent_disable(c->bev, EV_READ);
	event_free(c->timer);
	c->timer = evtimer_new(c->tt->base.base, on_linger_done, c);
	if (!c->timer) {
		conn_free(c);
		return;
	}
	evtimer_add(c->timer, &tv);
}

static void on_reap(evutil_socket_t fd, short what, void *arg)
{
	struct tcp_transport *tt = arg;

	(void)fd;
	(void)what;
	while (tt->reap) {
		struct tcp_conn *c = tt->reap;
		const struct tp_callbacks *cb = &tt->base.cb;

		tt->reap = c->reap_next;
		if (c->reported && cb->closed)
			cb->closed(cb->ctx, &c->base, c->why);
		conn_linger(c);
	}
}

void tcp_conn_close(struct tcp_conn *c, enum tp_close_reason why)
{
	struct tcp_transport *tt = c->tt;

	if (c->dead)
		return;
	if (c->state == TCP_CONN_ESTABLISHED && why != TP_CLOSE_IO && why != TP_CLOSE_REMOTE) {
		struct tcp_frame f = {.type = TCP_FRAME_CLOSE, .value = why};

		tcp_conn_send_frame(c, &f, NULL, 0); /* best effort */
	}
	c->dead = true;
	c->why = why;
	tcp_conn_set_state(c, TCP_CONN_CLOSED);
	if (c->hs_slot) {
		hs_limit_done(&tt->base.limit, &c->peer.sin6_addr);
		c->hs_slot = false;
	}
	c->hs = noise_handshake_free(c->hs);
	c->tx = noise_cipher_free(c->tx);
	c->rx = noise_cipher_free(c->rx);
	if (c->bev)
		bufferevent_disable(c->bev, EV_READ);
	if (c->timer)
		evtimer_del(c->timer);
	c->reap_next = tt->reap;
	tt->reap = c;
	event_active(tt->reaper, EV_TIMEOUT, 0);
}

/* ---- new connections ---- */

static void on_hs_timeout(evutil_socket_t fd, short what, void *arg)
{
	struct tcp_conn *c = arg;

	(void)fd;
	(void)what;
	log_debug(LD_TCP, "conn %s: handshake timed out in state %s", c->fp, state_names[c->state]);
	c->tt->base.hs_failed++;
	tcp_conn_close(c, TP_CLOSE_TIMEOUT);
}

static struct tcp_conn *conn_new(struct tcp_transport *tt, evutil_socket_t fd, bool initiator,
				 const struct sockaddr_in6 *peer)
{
	struct timeval tv = {.tv_sec = TP_HANDSHAKE_TIMEOUT_MS / 1000,
			     .tv_usec = (TP_HANDSHAKE_TIMEOUT_MS % 1000) * 1000};
	struct tcp_conn *c = calloc(1, sizeof(*c));

	if (!c)
		return NULL;
	c->base.t = &tt->base;
	c->base.initiator = initiator;
	c->tt = tt;
	c->peer = *peer;
	c->state = initiator ? TCP_CONN_CONNECTING : TCP_CONN_ACCEPTED;
	c->next_sid = initiator ? 0 : 1;
	c->remote_next_sid = initiator ? 1 : 0;
	strcpy(c->fp, "?");
	c->bev = bufferevent_socket_new(tt->base.base, fd, BEV_OPT_CLOSE_ON_FREE);
	c->timer = evtimer_new(tt->base.base, on_hs_timeout, c);
	c->hs = noise_handshake_new();
	if (!c->bev || !c->timer || !c->hs) {
		if (c->bev)
			bufferevent_free(c->bev);
		else if (fd >= 0)
			close(fd);
		if (c->timer)
			event_free(c->timer);
		noise_handshake_free(c->hs);
		free(c);
		return NULL;
	}
	bufferevent_setcb(c->bev, tcp_conn_on_read, tcp_conn_on_write, tcp_conn_on_event, c);
	/* Wake the writer when the queue drains to a quarter: the hysteresis
	 * keeps stream_writable from firing for every small write. */
	bufferevent_setwatermark(c->bev, EV_WRITE, TP_SEND_BUFFER_MAX / 4, 0);
	evtimer_add(c->timer, &tv);
	c->next = tt->conns;
	if (tt->conns)
		tt->conns->prev = c;
	tt->conns = c;
	tt->n_conns++;
	return c;
}

static void set_nodelay(evutil_socket_t fd)
{
	int one = 1;

	setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof(one));
}

static void on_accept(struct evconnlistener *lis, evutil_socket_t fd, struct sockaddr *sa,
		      int salen, void *arg)
{
	static struct log_ratelim rl = LOG_RATELIM_INIT(1000, 3);
	struct tcp_transport *tt = arg;
	struct sockaddr_in6 peer = {.sin6_family = AF_INET6};
	enum hs_limit_verdict v;
	struct tcp_conn *c;

	(void)lis;
	if (sa->sa_family == AF_INET6 && (size_t)salen >= sizeof(peer))
		memcpy(&peer, sa, sizeof(peer));
	v = tt->n_conns >= TCP_CONNS_MAX
		? HS_LIMIT_CAP
		: hs_limit_admit(&tt->base.limit, &peer.sin6_addr, clock_mono_ms());
	if (v != HS_LIMIT_OK) {
		if (v == HS_LIMIT_RATE)
			tt->base.hs_refused_rate++;
		else
			tt->base.hs_refused_cap++;
		if (log_ratelim_allow(&rl, clock_mono_ms()))
			log_info(LD_TCP, "Refused a connection: %s",
				 v == HS_LIMIT_RATE ? "source over its handshake rate"
						    : "too many handshakes in progress");
		close(fd);
		return;
	}
	set_nodelay(fd);
	c = conn_new(tt, fd, false, &peer);
	if (!c) {
		hs_limit_done(&tt->base.limit, &peer.sin6_addr);
		return;
	}
	c->hs_slot = true;
	if (tcp_conn_start_handshake(c) < 0) {
		tcp_conn_close(c, TP_CLOSE_LOCAL);
		return;
	}
	bufferevent_enable(c->bev, EV_READ | EV_WRITE);
}

static int tcp_dial(struct transport *t, const struct sockaddr_in6 *to, const uint8_t remote_pk[32],
		    void *conn_ctx, struct tp_conn **out_conn)
{
	struct tcp_transport *tt = (struct tcp_transport *)t;
	struct tcp_conn *c;
	struct node_id id;
	evutil_socket_t fd;
	int r;

	if (tt->n_conns >= TCP_CONNS_MAX)
		return -ENOSPC;
	fd = socket(AF_INET6, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
	if (fd < 0)
		return -errno;
	set_nodelay(fd);
	c = conn_new(tt, fd, true, to);
	if (!c)
		return -ENOMEM;
	memcpy(c->remote_pk, remote_pk, 32);
	node_id_from_pubkey(&id, remote_pk);
	node_id_fingerprint(&id, c->fp);
	c->conn_ctx = conn_ctx;
	c->reported = true; /* a dialed connection always ends in `closed` */
	r = tcp_conn_start_handshake(c);
	if (r == 0 && bufferevent_socket_connect(c->bev, (struct sockaddr *)to, sizeof(*to)) < 0)
		r = -ECONNREFUSED;
	if (r < 0) {
		c->reported = false;
		tcp_conn_close(c, TP_CLOSE_IO);
		return r;
	}
	bufferevent_enable(c->bev, EV_READ | EV_WRITE);
	*out_conn = &c->base;
	return 0;
}

/* ---- the transport object ---- */

static int tcp_local_addr(const struct transport *t, struct sockaddr_in6 *out)
{
	const struct tcp_transport *tt = (const struct tcp_transport *)t;

	if (!tt->listener)
		return -ENOTCONN;
	*out = tt->local;
	return 0;
}

static void tcp_get_peer(const struct tp_conn *c, struct sockaddr_in6 *out)
{
	*out = ((const struct tcp_conn *)c)->peer;
}

static void tcp_get_stats(const struct tp_conn *c, struct tp_conn_stats *out)
{
	const struct tcp_conn *tc = (const struct tcp_conn *)c;

	*out = tc->stats;
	out->streams_open = tc->n_local + tc->n_remote;
	out->cipher = tc->tx ? noise_cipher_name(tc->tx) : NULL;
}

static void tcp_close(struct tp_conn *c, enum tp_close_reason why)
{
	tcp_conn_close((struct tcp_conn *)c, why);
}

static void tcp_free(struct transport *t)
{
	struct tcp_transport *tt = (struct tcp_transport *)t;

	if (tt->listener)
		evconnlistener_free(tt->listener);
	tt->base.cb = (struct tp_callbacks){0}; /* no upcalls while tearing down */
	while (tt->conns) {
		struct tcp_conn *c = tt->conns;

		if (!c->dead)
			tcp_conn_close(c, TP_CLOSE_LOCAL);
		c->reported = false;
		tt->reap = NULL;
		conn_free(c);
	}
	event_free(tt->reaper);
	sec_wipe(tt->x_priv, sizeof(tt->x_priv));
	free(tt);
}

static int tcp_listen(struct tcp_transport *tt, const struct sockaddr_in6 *addr)
{
	socklen_t len = sizeof(tt->local);
	int fd;

	tt->listener = evconnlistener_new_bind(tt->base.base, on_accept, tt,
					       LEV_OPT_CLOSE_ON_FREE | LEV_OPT_REUSEABLE |
						   LEV_OPT_CLOSE_ON_EXEC,
					       128, (const struct sockaddr *)addr, sizeof(*addr));
	if (!tt->listener)
		return errno ? -errno : -EADDRINUSE;
	fd = evconnlistener_get_fd(tt->listener);
	if (getsockname(fd, (struct sockaddr *)&tt->local, &len) < 0)
		return -errno;
	return 0;
}

int tp_tcp_new(struct event_base *base, const struct tp_identity *id,
	       const struct sockaddr_in6 *listen, const struct tp_callbacks *cb,
	       struct transport **out_t)
{
	struct tcp_transport *tt = calloc(1, sizeof(*tt));
	int r;

	if (!tt)
		return -ENOMEM;
	tt->base.ops = &tcp_ops;
	tt->base.base = base;
	tt->base.cb = *cb;
	tt->ident = *id;
	hs_limit_init(&tt->base.limit, TP_PENDING_HS_MAX, TP_PENDING_HS_PER_IP);
	tt->rekey_after_bytes = TCP_REKEY_AFTER_BYTES;
	tt->rekey_after_ms = TCP_REKEY_AFTER_MS;
	tt->cipher = noise_cipher_default();
	tt->reaper = event_new(base, -1, 0, on_reap, tt);
	if (!tt->reaper) {
		free(tt);
		return -ENOMEM;
	}
	r = noise_x25519_from_ed25519_sk(tt->x_priv, id->ed25519_sk);
	if (r == 0 && listen)
		r = tcp_listen(tt, listen);
	if (r < 0) {
		tcp_free(&tt->base);
		return r;
	}
	*out_t = &tt->base;
	return 0;
}

const struct transport_ops tcp_ops = {
    .kind = TRANSPORT_TCP,
    .name = "tcp",
    .dial = tcp_dial,
    .datagram_send = tcp_datagram_send,
    .stream_open = tcp_stream_open,
    .stream_write = tcp_stream_write,
    .stream_consumed = tcp_stream_consumed,
    .stream_reset = tcp_stream_reset,
    .close = tcp_close,
    .get_stats = tcp_get_stats,
    .get_peer = tcp_get_peer,
    .local_addr = tcp_local_addr,
    .free = tcp_free,
};

void tcp_transport_set_rekey(struct transport *t, uint64_t after_bytes, uint64_t after_ms)
{
	struct tcp_transport *tt = (struct tcp_transport *)t;

	tt->rekey_after_bytes = after_bytes;
	tt->rekey_after_ms = after_ms;
}

int tcp_transport_set_cipher(struct transport *t, unsigned cipher)
{
	if (!t || t->ops != &tcp_ops || cipher >= NOISE_CIPHER__COUNT)
		return -EINVAL;
	((struct tcp_transport *)t)->cipher = (enum noise_cipher_suite)cipher;
	return 0;
}
