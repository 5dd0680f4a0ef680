/* routing/service_bridge.c - one service connection: the OPEN/ACCEPT
 * exchange (docs/wire.md §7) and the bridge between a link stream and a
 * local TCP socket (a libevent bufferevent).
 *
 * Backpressure, end to end: stream bytes go into the socket's output
 * buffer and are handed back to the link (link_stream_consumed) only when
 * the buffer drains to the kernel, so the peer's window is what we have
 * written; socket bytes stay in the input buffer until link_stream_write
 * takes them, and reading pauses while the link is blocked. Half-close:
 * local EOF becomes a stream FIN once the input is flushed; a stream FIN
 * becomes shutdown(SHUT_WR) once the output drains. Errors reset. A closed
 * connection is unlinked at once and freed by the manager's reaper, never
 * inside a callback that may still use it.
 */
#include "routing/service_internal.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>

#include <event2/buffer.h>
#include <event2/bufferevent.h>
#include <event2/event.h>

#include "lib/log.h"
#include "transport/link.h"

#define PUMP_CHUNK (64 * 1024)

static struct link *conn_link(struct svc_conn *c)
{
	struct link *l = link_find(c->m->links, &c->peer);

	return l && link_is_up(l) ? l : NULL;
}

static void on_timeout(evutil_socket_t fd, short what, void *arg);
static void on_drained(struct evbuffer *buf, const struct evbuffer_cb_info *info, void *arg);

struct svc_conn *svc_conn_new(struct svc_mgr *m, bool owner, const struct node_id *peer)
{
	struct svc_conn *c = calloc(1, sizeof(*c));

	if (!c)
		return NULL;
	c->timer = evtimer_new(m->base, on_timeout, c);
	if (!c->timer) {
		free(c);
		return NULL;
	}
	c->m = m;
	c->owner = owner;
	c->peer = *peer;
	c->next = m->conns;
	if (m->conns)
		m->conns->prev = c;
	m->conns = c;
	m->st.active++;
	return c;
}

/* Unlink, stop every event, close the socket; the reaper frees the rest. */
void svc_conn_close(struct svc_conn *c)
{
	struct svc_mgr *m = c->m;

	if (c->state == SVC_CONN_CLOSED)
		return;
	c->state = SVC_CONN_CLOSED;
	if (c->prev)
		c->prev->next = c->next;
	else
		m->conns = c->next;
	if (c->next)
		c->next->prev = c->prev;
	c->prev = c->next = NULL;
	evtimer_del(c->timer);
	if (c->bev) {
		/* Nothing may call back into `c` once it is on the dead list. */
		evbuffer_remove_cb(bufferevent_get_output(c->bev), on_drained, c);
		bufferevent_setcb(c->bev, NULL, NULL, NULL, NULL);
		bufferevent_free(c->bev); /* safe inside its own callbacks */
		c->bev = NULL;
	}
	m->st.active--;
	c->dead_next = m->dead;
	m->dead = c;
	event_active(m->reaper, EV_TIMEOUT, 0);
}

void svc_conn_reap(struct svc_mgr *m)
{
	while (m->dead) {
		struct svc_conn *c = m->dead;

		m->dead = c->dead_next;
		event_free(c->timer);
		free(c);
	}
}

/* Abort: reset the stream (if any) and close the local socket. */
static void conn_abort(struct svc_conn *c, uint32_t code)
{
	struct link *l = c->has_sid ? conn_link(c) : NULL;

	if (l)
		link_stream_reset(l, c->sid, code);
	svc_conn_close(c);
}

struct svc_conn *svc_conn_find(struct svc_mgr *m, const struct node_id *peer, uint64_t sid)
{
	for (struct svc_conn *c = m->conns; c; c = c->next)
		if (c->has_sid && c->sid == sid && memcmp(&c->peer, peer, sizeof(*peer)) == 0)
			return c;
	return NULL;
}

unsigned svc_conn_count(const struct svc_mgr *m, const struct node_id *peer, const char *label,
			int fwd_port)
{
	unsigned n = 0;

	for (const struct svc_conn *c = m->conns; c; c = c->next) {
		if (peer && (!c->owner || memcmp(&c->peer, peer, sizeof(*peer)) != 0))
			continue;
		if (label && (!c->owner || strcmp(c->label, label) != 0))
			continue;
		if (fwd_port >= 0 && (c->owner || c->fwd_port != fwd_port))
			continue;
		n++;
	}
	return n;
}

static void maybe_done(struct svc_conn *c)
{
	if (c->fin_sent && c->peer_fin && c->shut_wr)
		svc_conn_close(c);
}

/* Local input -> stream, as much as the link takes. */
static void pump(struct svc_conn *c)
{
	struct link *l = conn_link(c);
	struct evbuffer *in;

	if (c->state != SVC_CONN_BRIDGING || c->fin_sent)
		return;
	if (!l) {
		svc_conn_close(c);
		return;
	}
	in = bufferevent_get_input(c->bev);
	c->blocked = false;
	while (evbuffer_get_length(in) > 0) {
		size_t len = evbuffer_get_length(in);
		size_t chunk = len < PUMP_CHUNK ? len : PUMP_CHUNK;
		const uint8_t *p = evbuffer_pullup(in, (ev_ssize_t)chunk);
		ssize_t n = link_stream_write(l, c->sid, p, chunk, false);

		if (n < 0) {
			conn_abort(c, EIO);
			return;
		}
		evbuffer_drain(in, (size_t)n);
		c->m->st.bytes_out += (uint64_t)n;
		if ((size_t)n < chunk) {
			c->blocked = true;
			break;
		}
	}
	if (c->blocked) {
		bufferevent_disable(c->bev, EV_READ);
		return;
	}
	if (c->local_eof) {
		if (link_stream_write(l, c->sid, NULL, 0, true) < 0) {
			conn_abort(c, EIO);
			return;
		}
		c->fin_sent = true;
		maybe_done(c);
		return;
	}
	bufferevent_enable(c->bev, EV_READ);
}

static void on_read(struct bufferevent *bev, void *arg)
{
	(void)bev;
	pump(arg);
}

/* Output drained to the kernel: apply a stream FIN we were holding. */
static void on_write(struct bufferevent *bev, void *arg)
{
	struct svc_conn *c = arg;

	if (c->peer_fin && !c->shut_wr) {
		shutdown(bufferevent_getfd(bev), SHUT_WR);
		c->shut_wr = true;
		maybe_done(c);
	}
}

/* Bytes left the output buffer: give the link its credit back. */
static void on_drained(struct evbuffer *buf, const struct evbuffer_cb_info *info, void *arg)
{
	struct svc_conn *c = arg;
	struct link *l;

	(void)buf;
	if (info->n_deleted == 0 || c->state == SVC_CONN_CLOSED || !c->has_sid)
		return;
	l = conn_link(c);
	if (l)
		link_stream_consumed(l, c->sid, info->n_deleted);
}

static void send_accept(struct svc_conn *c, struct link *l, uint8_t status, const char *reason)
{
	struct svc_accept a = {.status = status};
	uint8_t buf[SVC_ACCEPT_MAX_LEN];
	size_t n;

	snprintf(a.reason, sizeof(a.reason), "%s", reason);
	for (char *p = a.reason; *p; p++)
		if (*p < 0x20 || *p > 0x7e)
			*p = '?';
	if (svc_accept_encode(&a, buf, sizeof(buf), &n) < 0 ||
	    link_stream_write(l, c->sid, buf, n, status != SVC_STATUS_OK) != (ssize_t)n) {
		conn_abort(c, EIO);
		return;
	}
	if (status != SVC_STATUS_OK) {
		c->fin_sent = true;
		svc_conn_close(c);
	}
}

static void start_bridging(struct svc_conn *c)
{
	c->state = SVC_CONN_BRIDGING;
	evtimer_del(c->timer);
	bufferevent_enable(c->bev, EV_READ | EV_WRITE);
	if (c->peer_fin && evbuffer_get_length(bufferevent_get_output(c->bev)) == 0)
		on_write(c->bev, c);
	if (c->state == SVC_CONN_BRIDGING)
		pump(c);
}

static void on_event(struct bufferevent *bev, short what, void *arg)
{
	struct svc_conn *c = arg;
	char fp[9];

	(void)bev;
	node_id_fingerprint(&c->peer, fp);
	if (what & BEV_EVENT_CONNECTED) {
		struct link *l = conn_link(c);

		if (!l) {
			svc_conn_close(c);
			return;
		}
		send_accept(c, l, SVC_STATUS_OK, "");
		if (c->state != SVC_CONN_CLOSED)
			start_bridging(c);
		return;
	}
	if (c->state == SVC_CONN_CONNECTING) {
		struct link *l = conn_link(c);
		char why[160];

		snprintf(why, sizeof(why), "Failed to connect to the target of '%s': %s", c->label,
			 strerror(EVUTIL_SOCKET_ERROR() ? EVUTIL_SOCKET_ERROR() : ECONNREFUSED));
		log_notice(LD_ROUTE, "Refused service '%s' to %s: %s", c->name, fp, why);
		c->m->st.refused_in++;
		if (l)
			send_accept(c, l, SVC_STATUS_UNREACHABLE, why);
		else
			svc_conn_close(c);
		return;
	}
	if (what & BEV_EVENT_ERROR) {
		log_info(LD_ROUTE, "Service '%s' with %s: local connection error: %s", c->name, fp,
			 strerror(EVUTIL_SOCKET_ERROR()));
		conn_abort(c, ECONNRESET);
		return;
	}
	if (what & BEV_EVENT_EOF) {
		c->local_eof = true;
		pump(c);
	}
}

void svc_conn_setup_bev(struct svc_conn *c)
{
	bufferevent_setcb(c->bev, on_read, on_write, on_event, c);
	bufferevent_setwatermark(c->bev, EV_READ, 0, SVC_BUF_MAX);
	evbuffer_add_cb(bufferevent_get_output(c->bev), on_drained, c);
}

static void on_timeout(evutil_socket_t fd, short what, void *arg)
{
	struct svc_conn *c = arg;

	(void)fd;
	(void)what;
	if (c->state == SVC_CONN_RESOLVING) {
		svc_forward_retry(c);
		return;
	}
	log_notice(LD_ROUTE, "Failed to open service '%s': timed out (%s)", c->name,
		   c->state == SVC_CONN_ACCEPTED ? "no link to the owner" : "no answer");
	if (c->owner)
		c->m->st.refused_in++; /* the OPEN never completed */
	conn_abort(c, ETIMEDOUT);
}

void svc_conn_arm(struct svc_conn *c)
{
	struct timeval tv = {SVC_WAIT_MS / 1000, (SVC_WAIT_MS % 1000) * 1000};

	evtimer_add(c->timer, &tv);
}

/* Client: a local connection was accepted; wrap it. */
int svc_conn_client_attach(struct svc_conn *c, evutil_socket_t fd)
{
	c->bev = bufferevent_socket_new(c->m->base, fd, BEV_OPT_CLOSE_ON_FREE);
	if (!c->bev)
		return -ENOMEM;
	svc_conn_setup_bev(c);
	bufferevent_disable(c->bev, EV_READ);
	c->state = SVC_CONN_ACCEPTED;
	svc_conn_arm(c);
	return 0;
}

/* Client: the link to the owner is up; open the stream and send OPEN. */
void svc_conn_client_start(struct svc_conn *c, struct link *l)
{
	struct svc_open o = {.version = SVC_WIRE_VERSION};
	uint8_t buf[SVC_OPEN_MAX_LEN];
	size_t n;

	snprintf(o.name, sizeof(o.name), "%s", c->name);
	if (svc_open_encode(&o, buf, sizeof(buf), &n) < 0 ||
	    link_stream_open(l, LINK_STREAM_SERVICE, &c->sid) < 0) {
		log_notice(LD_ROUTE, "Failed to open service '%s': no stream", c->name);
		svc_conn_close(c);
		return;
	}
	c->has_sid = true;
	c->m->st.streams_out++;
	if (link_stream_write(l, c->sid, buf, n, false) != (ssize_t)n) {
		conn_abort(c, EIO);
		return;
	}
	c->state = SVC_CONN_OPEN_SENT;
}

static void client_accept(struct svc_conn *c, const struct svc_accept *a)
{
	char fp[9];

	node_id_fingerprint(&c->peer, fp);
	if (a->status != SVC_STATUS_OK) {
		log_notice(LD_ROUTE, "Failed to open service '%s' at %s: %s: \"%s\"", c->name, fp,
			   svc_status_name(a->status), a->reason);
		c->m->st.refused_out++;
		svc_forward_refused(c->m, c->fwd_port);
		conn_abort(c, ECONNREFUSED);
		return;
	}
	log_info(LD_ROUTE, "Service '%s' at %s: connected", c->name, fp);
	start_bridging(c);
}

/* Consume a handshake message from the head of the stream. Return bytes
 * of `buf` used (the rest is data), or -1 if the connection is gone or
 * waits for more. */
static ssize_t handshake(struct svc_conn *c, struct link *l, const uint8_t *buf, size_t len)
{
	size_t room = sizeof(c->hdr) - c->hdr_len, take = len < room ? len : room, used;
	size_t before = c->hdr_len;
	int r;

	memcpy(c->hdr + c->hdr_len, buf, take);
	c->hdr_len += take;
	if (c->owner) {
		struct svc_open o;

		r = svc_open_decode(&o, &used, c->hdr, c->hdr_len);
		if (r == 0) {
			link_stream_consumed(l, c->sid, used - before);
			if (svc_owner_open(c, l, &o) < 0)
				return -1;
			return (ssize_t)(used - before);
		}
	} else {
		struct svc_accept a;

		r = svc_accept_decode(&a, &used, c->hdr, c->hdr_len);
		if (r == 0) {
			link_stream_consumed(l, c->sid, used - before);
			client_accept(c, &a);
			if (c->state == SVC_CONN_CLOSED)
				return -1;
			return (ssize_t)(used - before);
		}
	}
	if (r == -EAGAIN && c->hdr_len < sizeof(c->hdr)) {
		link_stream_consumed(l, c->sid, take);
		return -1;
	}
	{
		char fp[9];

		node_id_fingerprint(&c->peer, fp);
		log_info(LD_ROUTE, "Failed to read the %s from %s: malformed (%s)",
			 c->owner ? "OPEN" : "ACCEPT", fp, strerror(-r));
		if (c->owner) {
			c->m->st.refused_in++;
			send_accept(c, l, SVC_STATUS_NO_SERVICE, "malformed OPEN");
		} else {
			conn_abort(c, EPROTO);
		}
	}
	return -1;
}

void svc_conn_data(struct svc_conn *c, struct link *l, const uint8_t *buf, size_t len, bool fin)
{
	if (c->state == SVC_CONN_OPEN_SENT || c->state == SVC_CONN_OPENED) {
		ssize_t used = handshake(c, l, buf, len);

		if (used < 0) {
			if (fin && c->state != SVC_CONN_CLOSED) {
				if (c->owner)
					c->m->st.refused_in++; /* an OPEN cut short */
				conn_abort(c, EPROTO);
			}
			return;
		}
		buf += used;
		len -= (size_t)used;
	}
	if (c->state == SVC_CONN_CLOSED)
		return;
	if (len > 0) {
		c->m->st.bytes_in += len;
		/* Credit returns through on_drained as the socket takes it. */
		if (bufferevent_write(c->bev, buf, len) < 0) {
			conn_abort(c, ENOMEM);
			return;
		}
	}
	if (fin) {
		c->peer_fin = true;
		if (c->state == SVC_CONN_BRIDGING &&
		    evbuffer_get_length(bufferevent_get_output(c->bev)) == 0)
			on_write(c->bev, c);
	}
}

void svc_conn_writable(struct svc_conn *c, struct link *l)
{
	(void)l;
	if (c->blocked)
		pump(c);
}
