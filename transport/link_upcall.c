/* transport/link_upcall.c - what transports tell the link manager: a
 * connection is established (and which of two concurrent connections to
 * the same peer survives), a datagram or stream data arrived, a connection
 * closed. Control datagrams are answered here; packets and service streams
 * go up through struct link_callbacks.
 */
#include "transport/link_internal.h"

#include <errno.h>
#include <string.h>

#include <event2/event.h>

#include "lib/clock.h"
#include "lib/log.h"
#include "transport/link_msg.h"

/* Decide whether `fresh` should replace the established `old` connection.
 * A connection that completed within LINK_SIMOPEN_MS of the other, in the
 * opposite direction, is a simultaneous open: both ends keep the one
 * initiated by the smaller node ID, so they agree without talking. Any
 * other new authenticated connection means the peer (re)connected on
 * purpose, e.g. after a restart we have not noticed yet: the new one wins. */
static bool fresh_wins(const struct link *l, const struct tp_conn *fresh)
{
	const struct node_id *self = &l->m->self;
	bool self_smaller = memcmp(self->b, l->id.b, NODE_ID_LEN) < 0;

	if (clock_mono_ms() - l->up_since_ms > LINK_SIMOPEN_MS ||
	    fresh->initiator == l->conn_initiator)
		return true;
	/* Keep the connection whose initiator has the smaller node ID. */
	return fresh->initiator == self_smaller;
}

static int on_established(void *ctx, struct tp_conn *c, const uint8_t pk[32], void *conn_ctx)
{
	struct link_mgr *m = ctx;
	struct node_id id;
	struct link *l;

	(void)conn_ctx;
	node_id_from_pubkey(&id, pk);
	if (node_id_is_equal(&id, &m->self))
		return -EINVAL; /* ourselves, via some loop */
	l = c->user ? c->user : link_find(m, &id);
	if (l && !node_id_is_equal(&l->id, &id))
		return -EKEYREJECTED; /* transports check this; never trust one alone */
	if (!l) {
		l = link_create(m, pk);
		if (!l)
			return -ENOSPC;
	}
	if (l->dialing == c)
		l->dialing = NULL;
	if (l->conn) {
		if (!fresh_wins(l, c)) {
			c->user = NULL;
			return -EEXIST;
		}
		log_debug(LD_LINK, "link %s: new connection replaces the old one", l->fp);
		link_conn_detach(l, l->conn, TP_CLOSE_REPLACED);
		l->conn = NULL;
		/* Streams lived on the old connection. */
		link_probe_abort(l, -ECONNRESET);
		link_streams_clear(l);
		link_control_free(l);
	}
	c->user = l;
	l->conn = c;
	l->conn_kind = c->t->ops->kind;
	l->conn_initiator = c->initiator;
	l->up_since_ms = l->last_rx_ms = l->last_use_ms = clock_mono_ms();
	l->connects++;
	l->backoff_ms = 0;
	l->srtt_us = 0;
	if (l->state != LINK_UP)
		link_set_state(l, LINK_UP);
	link_arm(l, m->ping_ms / 5); /* first RTT sample soon */
	log_info(LD_LINK, "link %s up over %s (%s)", l->fp, tp_kind_name(l->conn_kind),
		 c->initiator ? "outbound" : "inbound");
	if (m->cb.up)
		m->cb.up(m->cb.ctx, l);
	return 0;
}

static void on_control(struct link *l, const uint8_t *buf, size_t len)
{
	static struct log_ratelim rl = LOG_RATELIM_INIT(1000, 5);
	uint8_t out[LINK_MSG_HDR_LEN + LINK_MSG_PAD_MAX];
	struct link_msg msg;
	int r, n;

	r = link_msg_decode(&msg, buf, len);
	if (r < 0) {
		l->drops[r == -ENOMSG ? LINK_DROP_UNKNOWN : LINK_DROP_MALFORMED]++;
		if (log_ratelim_allow(&rl, clock_mono_ms()))
			log_debug(LD_LINK, "link %s: dropped control datagram (%zu bytes): %s",
				  l->fp, len, r == -ENOMSG ? "unknown type" : "malformed");
		return;
	}
	if (msg.type == LINK_MSG_PING) {
		msg.type = LINK_MSG_PONG;
		n = link_msg_encode(&msg, out, sizeof(out));
		if (n > 0 && tp_datagram_send(l->conn, out, (size_t)n) == -ENOBUFS)
			l->drops[LINK_DROP_TX_FULL]++;
		return;
	}
	if (msg.token == l->ping_token && l->ping_sent_ns) {
		uint64_t sample = (clock_mono_ns() - l->ping_sent_ns) / 1000;

		l->srtt_us = l->srtt_us ? (7 * l->srtt_us + sample) / 8 : sample;
		l->ping_sent_ns = 0;
		return;
	}
	link_probe_on_pong(l, msg.token);
}

static void on_datagram(void *ctx, struct tp_conn *c, const uint8_t *buf, size_t len)
{
	struct link_mgr *m = ctx;
	struct link *l = c->user;

	if (!l || l->conn != c)
		return;
	l->last_rx_ms = clock_mono_coarse_ms(); /* per packet: the cheap clock */
	if (!link_msg_is_packet(buf, len)) {
		on_control(l, buf, len);
		return;
	}
	l->last_use_ms = l->last_rx_ms;
	l->rx_packets++;
	l->rx_bytes += len;
	if (m->cb.packet)
		m->cb.packet(m->cb.ctx, l, buf, len);
	else
		l->drops[LINK_DROP_NO_HANDLER]++;
}

/* First bytes of a stream the peer opened: its kind. */
static void on_new_stream(struct link *l, uint64_t sid, const uint8_t *buf, size_t len, bool fin)
{
	struct link_mgr *m = l->m;
	struct link_stream *s;
	uint8_t kind = buf[0];

	s = link_stream_add(l, sid, false);
	if (!s) {
		tp_stream_reset(l->conn, sid, (uint32_t)ENOMEM);
		return;
	}
	s->kind = kind;
	if (kind == LINK_STREAM_BENCH) {
		link_probe_bench_data(l, s, buf, len, fin);
		return;
	}
	if (kind == LINK_STREAM_CONTROL) {
		tp_stream_consumed(l->conn, sid, 1);
		if (len > 1)
			link_control_data(l, sid, buf + 1, len - 1);
		return;
	}
	tp_stream_consumed(l->conn, sid, 1);
	if (!m->cb.stream_open || m->cb.stream_open(m->cb.ctx, l, sid, kind) < 0) {
		l->drops[LINK_DROP_NO_HANDLER]++;
		link_stream_forget(l, sid);
		tp_stream_reset(l->conn, sid, (uint32_t)ECONNREFUSED);
		return;
	}
	if (len > 1 || fin)
		m->cb.stream_data(m->cb.ctx, l, sid, buf + 1, len - 1, fin);
	if (fin)
		link_stream_ended(l, sid, false);
}

static void on_stream_data(void *ctx, struct tp_conn *c, uint64_t sid, const uint8_t *buf,
			   size_t len, bool fin)
{
	struct link_mgr *m = ctx;
	struct link *l = c->user;
	struct link_stream *s;

	if (!l || l->conn != c)
		return;
	l->last_rx_ms = l->last_use_ms = clock_mono_ms();
	l->rx_bytes += len;
	s = link_stream_find(l, sid);
	if (!s) {
		if (len == 0) {
			tp_stream_reset(c, sid, (uint32_t)EPROTO);
			return;
		}
		on_new_stream(l, sid, buf, len, fin);
		return;
	}
	if (s->kind == LINK_STREAM_BENCH) {
		link_probe_bench_data(l, s, buf, len, fin);
		return;
	}
	if (s->kind == LINK_STREAM_CONTROL && !s->local) {
		link_control_data(l, sid, buf, len);
		return;
	}
	if (m->cb.stream_data)
		m->cb.stream_data(m->cb.ctx, l, sid, buf, len, fin);
	if (fin)
		link_stream_ended(l, sid, false);
}

static void on_stream_reset(void *ctx, struct tp_conn *c, uint64_t sid, uint32_t code)
{
	struct link_mgr *m = ctx;
	struct link *l = c->user;
	struct link_stream *s;

	if (!l || l->conn != c || !(s = link_stream_find(l, sid)))
		return;
	if (s->kind == LINK_STREAM_BENCH)
		link_probe_bench_reset(l, sid);
	else if (m->cb.stream_reset)
		m->cb.stream_reset(m->cb.ctx, l, sid, code);
	link_stream_forget(l, sid);
}

static void on_stream_writable(void *ctx, struct tp_conn *c, uint64_t sid)
{
	struct link_mgr *m = ctx;
	struct link *l = c->user;
	struct link_stream *s;

	if (!l || l->conn != c || !(s = link_stream_find(l, sid)))
		return;
	if (s->kind == LINK_STREAM_BENCH)
		link_probe_bench_writable(l, sid);
	else if (s->kind == LINK_STREAM_CONTROL)
		link_control_writable(l, sid);
	else if (m->cb.stream_writable)
		m->cb.stream_writable(m->cb.ctx, l, sid);
}

static void on_closed(void *ctx, struct tp_conn *c, enum tp_close_reason why)
{
	struct link_mgr *m = ctx;
	struct link *l = c->user;
	struct tp_conn_stats st;

	if (!l)
		return; /* detached earlier: replaced, removed or refused */
	c->user = NULL;
	tp_get_stats(c, &st);
	link_closed_stats_add(l, &st);
	l->last_close = why;
	if (l->dialing == c) {
		l->dialing = NULL;
		log_debug(LD_LINK, "link %s: dial failed (%s)", l->fp, tp_close_reason_name(why));
		if (l->state != LINK_CONNECTING)
			return;
		if (l->configured)
			link_enter_backoff(l);
		else
			link_unlink(l); /* a one-off dial (link_mgr_connect) is not retried */
		return;
	}
	if (l->conn != c)
		return;
	l->conn = NULL;
	l->disconnects++;
	link_probe_abort(l, -ENOTCONN);
	link_streams_clear(l);
	link_control_free(l);
	log_info(LD_LINK, "link %s down (%s)", l->fp, tp_close_reason_name(why));
	if (m->cb.down)
		m->cb.down(m->cb.ctx, l);
	if (l->configured)
		link_enter_backoff(l);
	else
		link_unlink(l);
}

static const struct tp_callbacks upcalls = {
    .established = on_established,
    .datagram = on_datagram,
    .stream_data = on_stream_data,
    .stream_reset = on_stream_reset,
    .stream_writable = on_stream_writable,
    .closed = on_closed,
};

struct tp_callbacks link_mgr_upcalls(struct link_mgr *m)
{
	struct tp_callbacks cb = upcalls;

	cb.ctx = m;
	return cb;
}
