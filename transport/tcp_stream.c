/* transport/tcp_stream.c - datagrams and streams over a TCP link: stream
 * IDs (initiator even, responder odd), per-stream and per-connection
 * credit-based flow control, FIN and RESET, and the send-buffer cap that
 * turns into backpressure for streams and drops for datagrams.
 * docs/wire.md §3.4.
 *
 * Flow control: each side may send a stream at most TP_STREAM_WINDOW bytes
 * (and a connection TP_CONN_WINDOW) beyond what the receiver has credited
 * back. The receiver credits bytes only when the layer above calls
 * tp_stream_consumed(), so a slow consumer at the far end slows the sender
 * here: backpressure end to end, with bounded memory on both sides. A
 * peer that sends beyond its credit breaks the protocol and is cut off.
 */
#include "transport/tcp_internal.h"

#include <errno.h>
#include <stdlib.h>

#include "lib/log.h"

static struct tcp_stream *stream_find(struct tcp_conn *c, uint32_t sid)
{
	for (struct tcp_stream *s = c->streams[sid % TCP_STREAM_HASH]; s; s = s->next)
		if (s->sid == sid)
			return s;
	return NULL;
}

static bool sid_is_local(const struct tcp_conn *c, uint32_t sid)
{
	return (sid & 1) == (c->base.initiator ? 0u : 1u);
}

static struct tcp_stream *stream_add(struct tcp_conn *c, uint32_t sid)
{
	struct tcp_stream *s = calloc(1, sizeof(*s));

	if (!s)
		return NULL;
	s->sid = sid;
	s->send_credit = TP_STREAM_WINDOW;
	s->recv_allowed = TP_STREAM_WINDOW;
	s->next = c->streams[sid % TCP_STREAM_HASH];
	c->streams[sid % TCP_STREAM_HASH] = s;
	if (sid_is_local(c, sid))
		c->n_local++;
	else
		c->n_remote++;
	return s;
}

static void stream_remove(struct tcp_conn *c, struct tcp_stream *s)
{
	struct tcp_stream **pp = &c->streams[s->sid % TCP_STREAM_HASH];

	while (*pp != s)
		pp = &(*pp)->next;
	*pp = s->next;
	if (sid_is_local(c, s->sid))
		c->n_local--;
	else
		c->n_remote--;
	free(s);
}

static void maybe_done(struct tcp_conn *c, struct tcp_stream *s)
{
	if (s->fin_sent && s->fin_rcvd)
		stream_remove(c, s);
}

void tcp_streams_free(struct tcp_conn *c)
{
	for (unsigned i = 0; i < TCP_STREAM_HASH; i++) {
		while (c->streams[i]) {
			struct tcp_stream *s = c->streams[i];

			c->streams[i] = s->next;
			free(s);
		}
	}
	c->n_local = c->n_remote = 0;
}

int tcp_datagram_send(struct tp_conn *tc, const uint8_t *buf, size_t len)
{
	struct tcp_conn *c = (struct tcp_conn *)tc;
	struct tcp_frame f = {.type = TCP_FRAME_DATAGRAM};
	int r;

	if (c->dead || c->state != TCP_CONN_ESTABLISHED)
		return -ENOTCONN;
	if (len > TP_DATAGRAM_MAX)
		return -EMSGSIZE;
	/* A datagram behind megabytes of stream data is late anyway; drop it
	 * rather than grow the queue (and hide loss from the sender's TCP). */
	if (tcp_conn_queued(c) > TCP_DGRAM_QUEUE_MAX) {
		c->stats.tx_dropped++;
		return -ENOBUFS;
	}
	r = tcp_conn_send_frame(c, &f, buf, len);
	if (r == 0)
		c->stats.tx_datagrams++;
	return r;
}

int tcp_stream_open(struct tp_conn *tc, uint64_t *out_sid)
{
	struct tcp_conn *c = (struct tcp_conn *)tc;
	struct tcp_stream *s;

	if (c->dead || c->state != TCP_CONN_ESTABLISHED)
		return -ENOTCONN;
	if (c->n_local >= TP_STREAMS_MAX)
		return -EAGAIN;
	if (c->next_sid >= TCP_CONN_SID - 1)
		return -EAGAIN; /* stream IDs exhausted on this connection */
	s = stream_add(c, c->next_sid);
	if (!s)
		return -ENOMEM;
	c->next_sid += 2;
	*out_sid = s->sid;
	return 0;
}

ssize_t tcp_stream_write(struct tp_conn *tc, uint64_t sid, const uint8_t *buf, size_t len, bool fin)
{
	struct tcp_conn *c = (struct tcp_conn *)tc;
	struct tcp_stream *s;
	size_t done = 0;

	if (c->dead || c->state != TCP_CONN_ESTABLISHED)
		return -ENOTCONN;
	s = sid <= UINT32_MAX ? stream_find(c, (uint32_t)sid) : NULL;
	if (!s)
		return -ENOENT;
	if (s->fin_sent)
		return -EPIPE;
	while (done < len) {
		size_t room = TP_SEND_BUFFER_MAX > tcp_conn_queued(c)
				  ? TP_SEND_BUFFER_MAX - tcp_conn_queued(c)
				  : 0;
		size_t n = len - done;
		struct tcp_frame f = {.type = TCP_FRAME_STREAM, .sid = s->sid};

		n = n < TCP_STREAM_CHUNK_MAX ? n : TCP_STREAM_CHUNK_MAX;
		n = n < s->send_credit ? n : (size_t)s->send_credit;
		n = n < c->conn_send_credit ? n : (size_t)c->conn_send_credit;
		n = n < room ? n : room;
		if (n == 0)
			break;
		if (fin && done + n == len)
			f.flags = TCP_STREAM_FLAG_FIN;
		if (tcp_conn_send_frame(c, &f, buf + done, n) < 0)
			return done ? (ssize_t)done : -ENOTCONN;
		s->send_credit -= n;
		c->conn_send_credit -= n;
		done += n;
		if (f.flags) {
			s->fin_sent = true;
			maybe_done(c, s);
			return (ssize_t)done;
		}
	}
	if (done < len) {
		s->blocked = true;
		c->any_blocked = true;
		return (ssize_t)done;
	}
	if (fin) { /* len == 0: FIN alone needs no credit */
		struct tcp_frame f = {
		    .type = TCP_FRAME_STREAM, .sid = s->sid, .flags = TCP_STREAM_FLAG_FIN};

		if (tcp_conn_send_frame(c, &f, NULL, 0) < 0)
			return -ENOTCONN;
		s->fin_sent = true;
		maybe_done(c, s);
	}
	return (ssize_t)done;
}

/* Give the peer back `*pending` consumed bytes of credit once they add up
 * to a step, and widen what we accept from it by as much. */
static void send_credit(struct tcp_conn *c, uint32_t sid, uint64_t *pending, uint64_t *allowed)
{
	struct tcp_frame f = {.type = TCP_FRAME_CREDIT, .sid = sid};

	if (*pending < TCP_CREDIT_STEP)
		return;
	f.value = (uint32_t)*pending;
	if (tcp_conn_send_frame(c, &f, NULL, 0) == 0) {
		*allowed += *pending;
		*pending = 0;
	}
}

void tcp_stream_consumed(struct tp_conn *tc, uint64_t sid, size_t n)
{
	struct tcp_conn *c = (struct tcp_conn *)tc;
	struct tcp_stream *s;

	if (c->dead || c->state != TCP_CONN_ESTABLISHED || n == 0)
		return;
	c->conn_credit_pending += n;
	send_credit(c, TCP_CONN_SID, &c->conn_credit_pending, &c->conn_recv_allowed);
	s = sid <= UINT32_MAX ? stream_find(c, (uint32_t)sid) : NULL;
	if (!s || s->fin_rcvd)
		return; /* a finished direction needs no more credit */
	s->credit_pending += n;
	send_credit(c, s->sid, &s->credit_pending, &s->recv_allowed);
}

int tcp_stream_reset(struct tp_conn *tc, uint64_t sid, uint32_t code)
{
	struct tcp_conn *c = (struct tcp_conn *)tc;
	struct tcp_frame f = {.type = TCP_FRAME_RESET, .value = code};
	struct tcp_stream *s;

	if (c->dead || c->state != TCP_CONN_ESTABLISHED)
		return -ENOTCONN;
	s = sid <= UINT32_MAX ? stream_find(c, (uint32_t)sid) : NULL;
	if (!s)
		return -ENOENT;
	f.sid = s->sid;
	stream_remove(c, s);
	return tcp_conn_send_frame(c, &f, NULL, 0);
}

void tcp_streams_notify_writable(struct tcp_conn *c)
{
	const struct tp_callbacks *cb = &c->tt->base.cb;

	if (!c->any_blocked)
		return;
	c->any_blocked = false;
	for (unsigned i = 0; i < TCP_STREAM_HASH && !c->dead; i++) {
		for (struct tcp_stream *s = c->streams[i], *next; s; s = next) {
			next = s->next; /* the callback may reset s */
			if (!s->blocked || s->send_credit == 0 || c->conn_send_credit == 0)
				continue;
			s->blocked = false;
			if (cb->stream_writable)
				cb->stream_writable(cb->ctx, &c->base, s->sid);
			if (c->dead)
				return;
		}
	}
	/* Streams still waiting for credit stay marked for the next wakeup. */
	for (unsigned i = 0; i < TCP_STREAM_HASH; i++)
		for (struct tcp_stream *s = c->streams[i]; s; s = s->next)
			c->any_blocked |= s->blocked;
}

static int on_stream(struct tcp_conn *c, const struct tcp_frame *f)
{
	const struct tp_callbacks *cb = &c->tt->base.cb;
	struct tcp_stream *s = stream_find(c, f->sid);
	bool fin = f->flags & TCP_STREAM_FLAG_FIN;

	if (!s) {
		if (sid_is_local(c, f->sid) || f->sid < c->remote_next_sid)
			return 0; /* late data for a stream already gone */
		if (c->n_remote >= TP_STREAMS_MAX) {
			struct tcp_frame r = {
			    .type = TCP_FRAME_RESET, .sid = f->sid, .value = EAGAIN};

			c->stats.rx_dropped++;
			c->remote_next_sid = f->sid + 2;
			return tcp_conn_send_frame(c, &r, NULL, 0);
		}
		s = stream_add(c, f->sid);
		if (!s)
			return -ENOMEM;
		c->remote_next_sid = f->sid + 2;
	}
	if (s->fin_rcvd)
		return -EPROTO; /* data after FIN */
	if (f->len > s->recv_allowed || f->len > c->conn_recv_allowed)
		return -EPROTO; /* beyond the credit we gave */
	s->recv_allowed -= f->len;
	c->conn_recv_allowed -= f->len;
	if (fin)
		s->fin_rcvd = true;
	if (cb->stream_data)
		cb->stream_data(cb->ctx, &c->base, s->sid, f->data, f->len, fin);
	if (fin && !c->dead && (s = stream_find(c, f->sid)))
		maybe_done(c, s);
	return 0;
}

int tcp_stream_on_frame(struct tcp_conn *c, const struct tcp_frame *f)
{
	const struct tp_callbacks *cb = &c->tt->base.cb;
	struct tcp_stream *s = NULL;

	switch (f->type) {
	case TCP_FRAME_STREAM:
		return on_stream(c, f);
	case TCP_FRAME_CREDIT:
		if (f->sid == TCP_CONN_SID)
			c->conn_send_credit += f->value;
		else if ((s = stream_find(c, f->sid)))
			s->send_credit += f->value;
		if (c->conn_send_credit > 4ull * TP_CONN_WINDOW ||
		    (s && s->send_credit > 4ull * TP_STREAM_WINDOW))
			return -EPROTO; /* credit we could never have used */
		tcp_streams_notify_writable(c);
		return 0;
	case TCP_FRAME_RESET:
		s = stream_find(c, f->sid);
		if (!s)
			return 0;
		stream_remove(c, s);
		if (cb->stream_reset)
			cb->stream_reset(cb->ctx, &c->base, f->sid, f->value);
		return 0;
	default:
		return -EPROTO;
	}
}
