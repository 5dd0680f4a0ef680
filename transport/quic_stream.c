/* transport/quic_stream.c - the data operations of the QUIC transport
 * (tp_datagram_send, tp_stream_*) and the flush loop that packs queued
 * datagrams and stream bytes into packets. docs/quic.md "Streams" and
 * "Datagrams".
 *
 * Send side: tp_stream_write() copies into per-stream chunks that never
 * move, because ngtcp2 keeps pointers into them for retransmission until
 * the bytes are acknowledged (acked_stream_data_offset) or the stream is
 * gone. A write is accepted only up to the peer's current flow-control
 * credit (stream and connection) and TP_SEND_BUFFER_MAX per connection, so
 * a slow receiver stops the writer instead of growing our buffers; a short
 * write arms `stream_writable`.
 *
 * Receive side: bytes go to the layer above as they arrive and the windows
 * reopen only by tp_stream_consumed(). A stream's state is kept until its
 * delivered bytes are consumed even after ngtcp2 closed it; only then is a
 * remote stream's slot returned to the peer (MAX_STREAMS), which bounds
 * our per-stream state by TP_STREAMS_MAX whatever the peer does.
 *
 * Datagrams: a bounded queue (QUIC_DGRAM_QUEUE_MAX), flushed ahead of
 * stream data; entries wait for congestion window or path MTU discovery at
 * most QUIC_DGRAM_AGE_MAX_MS.
 */
#include "transport/quic_internal.h"

#include <errno.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "lib/clock.h"

struct quic_chunk {
	struct quic_chunk *next;
	uint64_t off;	/* stream offset of data[0] */
	size_t len;	/* bytes filled */
	size_t cap;	/* bytes allocated */
	uint8_t data[]; /* never moves: ngtcp2 points into it */
};

struct quic_stream {
	struct quic_stream *hnext; /* bucket chain in c->streams */
	int64_t id;
	struct quic_chunk *head;	    /* oldest unacked chunk */
	struct quic_chunk *tail;	    /* newest chunk */
	struct quic_chunk *send;	    /* chunk holding offset `sent` */
	uint64_t acked, sent, queued;	    /* send offsets: acked <= sent <= queued */
	uint64_t rx_delivered, rx_consumed; /* receive side, bytes */
	uint64_t skip_gen;		    /* == c->flush_gen: blocked in this flush */
	uint32_t reset_code;
	bool local;	 /* we opened it */
	bool fin_queued; /* FIN follows the last queued byte */
	bool fin_sent;
	bool want_writable; /* a write came up short: owe `stream_writable` */
	bool reset;	    /* reset either way: no more data in or out */
	bool reset_pending; /* ngtcp2 shutdown not applied yet (next flush) */
	bool closed;	    /* ngtcp2 closed it; kept until consumed */
};

struct quic_dgram {
	struct quic_dgram *next;
	uint64_t queued_ms;
	size_t len;
	uint8_t data[];
};

static struct quic_stream **bucket(struct quic_conn *c, int64_t id)
{
	return &c->streams[((uint64_t)id >> 2) % QUIC_STREAM_BUCKETS];
}

static struct quic_stream *stream_find(struct quic_conn *c, int64_t id)
{
	struct quic_stream *st;

	for (st = *bucket(c, id); st; st = st->hnext)
		if (st->id == id)
			return st;
	return NULL;
}

static struct quic_stream *stream_new(struct quic_conn *c, int64_t id, bool local)
{
	struct quic_stream *st = calloc(1, sizeof(*st));
	struct quic_stream **b = bucket(c, id);

	if (!st)
		return NULL;
	st->id = id;
	st->local = local;
	st->hnext = *b;
	*b = st;
	c->nstreams++;
	if (local)
		c->nstreams_local++;
	return st;
}

/* Drop everything not yet acknowledged: after a reset, or when ngtcp2
 * no longer has the stream. */
static void discard_tx(struct quic_conn *c, struct quic_stream *st)
{
	struct quic_chunk *ch, *next;

	c->unsent -= st->queued - st->sent;
	c->buffered -= (size_t)(st->queued - st->acked);
	for (ch = st->head; ch; ch = next) {
		next = ch->next;
		free(ch);
	}
	st->head = st->tail = st->send = NULL;
	st->acked = st->sent = st->queued;
	st->fin_queued = st->fin_sent = true;
	st->want_writable = false;
}

static void stream_free(struct quic_conn *c, struct quic_stream *st, bool return_slot)
{
	struct quic_stream **pp;

	for (pp = bucket(c, st->id); *pp; pp = &(*pp)->hnext) {
		if (*pp == st) {
			*pp = st->hnext;
			break;
		}
	}
	discard_tx(c, st);
	c->nstreams--;
	if (st->local)
		c->nstreams_local--;
	else if (return_slot && c->state != QUIC_CONN_CLOSED) {
		ngtcp2_conn_extend_max_streams_bidi(c->conn, 1);
		quic_transport_schedule(c);
	}
	free(st);
}

/* Give the window back for bytes delivered but never to be consumed. */
static void return_unconsumed(struct quic_conn *c, struct quic_stream *st)
{
	uint64_t n = st->rx_delivered - st->rx_consumed;

	st->rx_consumed = st->rx_delivered;
	if (n && c->state != QUIC_CONN_CLOSED) {
		ngtcp2_conn_extend_max_offset(c->conn, n);
		quic_transport_schedule(c);
	}
}

static void maybe_free(struct quic_conn *c, struct quic_stream *st)
{
	if (st->closed && !st->reset_pending && (st->reset || st->rx_consumed == st->rx_delivered))
		stream_free(c, st, true);
}

/* Bytes `st` may take now: peer credit not already spoken for by queued
 * unsent bytes, within the connection's send buffer. */
static uint64_t stream_credit(struct quic_conn *c, struct quic_stream *st)
{
	uint64_t s_left = ngtcp2_conn_get_max_stream_data_left(c->conn, st->id);
	uint64_t c_left = ngtcp2_conn_get_max_data_left(c->conn);
	uint64_t s_unsent = st->queued - st->sent;
	uint64_t credit = s_left > s_unsent ? s_left - s_unsent : 0;
	uint64_t room = TP_SEND_BUFFER_MAX - c->buffered;

	c_left = c_left > c->unsent ? c_left - c->unsent : 0;
	if (credit > c_left)
		credit = c_left;
	return credit < room ? credit : room;
}

static size_t append(struct quic_conn *c, struct quic_stream *st, const uint8_t *buf, size_t n)
{
	size_t taken = 0;

	while (taken < n) {
		struct quic_chunk *ch = st->tail;
		size_t k;

		if (!ch || ch->len == ch->cap) {
			size_t cap = n - taken;

			cap = cap < QUIC_CHUNK_MIN ? QUIC_CHUNK_MIN : cap;
			cap = cap > QUIC_CHUNK_MAX ? QUIC_CHUNK_MAX : cap;
			ch = malloc(sizeof(*ch) + cap);
			if (!ch)
				break;
			ch->next = NULL;
			ch->off = st->queued;
			ch->len = 0;
			ch->cap = cap;
			if (st->tail)
				st->tail->next = ch;
			else
				st->head = ch;
			st->tail = ch;
		}
		k = ch->cap - ch->len < n - taken ? ch->cap - ch->len : n - taken;
		memcpy(ch->data + ch->len, buf + taken, k);
		ch->len += k;
		st->queued += k;
		taken += k;
	}
	if (!st->send)
		st->send = st->head;
	while (st->send && st->sent >= st->send->off + st->send->len && st->send->next)
		st->send = st->send->next;
	c->buffered += taken;
	c->unsent += taken;
	return taken;
}

/* --- tp_* operations ---------------------------------------------------- */

int quic_stream_open(struct tp_conn *tc, uint64_t *out_sid)
{
	struct quic_conn *c = (struct quic_conn *)tc;
	struct quic_stream *st;
	int64_t id;
	int rv;

	if (c->state != QUIC_CONN_ESTABLISHED)
		return -ENOTCONN;
	if (c->nstreams_local >= TP_STREAMS_MAX)
		return -EAGAIN;
	rv = ngtcp2_conn_open_bidi_stream(c->conn, &id, NULL);
	if (rv != 0)
		return quic_errno_from_ngtcp2(rv);
	st = stream_new(c, id, true);
	if (!st) {
		ngtcp2_conn_shutdown_stream(c->conn, id, 0);
		return -ENOMEM;
	}
	*out_sid = (uint64_t)id;
	return 0;
}

ssize_t quic_stream_write(struct tp_conn *tc, uint64_t sid, const uint8_t *buf, size_t len,
			  bool fin)
{
	struct quic_conn *c = (struct quic_conn *)tc;
	struct quic_stream *st;
	uint64_t credit;
	size_t n;

	if (c->state != QUIC_CONN_ESTABLISHED)
		return -ENOTCONN;
	st = sid <= INT64_MAX ? stream_find(c, (int64_t)sid) : NULL;
	if (!st)
		return -ENOENT;
	if (st->fin_queued || st->reset || st->closed)
		return -EPIPE;
	credit = stream_credit(c, st);
	n = len < credit ? len : (size_t)credit;
	if (n)
		n = append(c, st, buf, n);
	if (n < len) {
		st->want_writable = true;
		if (n == 0 && credit)
			return -ENOMEM; /* credit, but no memory for a chunk */
	} else if (fin) {
		st->fin_queued = true;
	}
	if (n || st->fin_queued)
		quic_transport_schedule(c);
	return (ssize_t)n;
}

void quic_stream_consumed(struct tp_conn *tc, uint64_t sid, size_t n)
{
	struct quic_conn *c = (struct quic_conn *)tc;
	struct quic_stream *st;
	uint64_t k = n;

	if (c->state != QUIC_CONN_ESTABLISHED || sid > INT64_MAX)
		return;
	st = stream_find(c, (int64_t)sid);
	if (!st || st->reset)
		return;
	/* Never reopen more window than was delivered: the windows are the
	 * cap on what a peer can make us hold. */
	if (k > st->rx_delivered - st->rx_consumed)
		k = st->rx_delivered - st->rx_consumed;
	if (k == 0)
		return;
	st->rx_consumed += k;
	if (!st->closed)
		ngtcp2_conn_extend_max_stream_offset(c->conn, st->id, k);
	ngtcp2_conn_extend_max_offset(c->conn, k);
	quic_transport_schedule(c);
	maybe_free(c, st);
}

int quic_stream_reset(struct tp_conn *tc, uint64_t sid, uint32_t code)
{
	struct quic_conn *c = (struct quic_conn *)tc;
	struct quic_stream *st;

	if (c->state != QUIC_CONN_ESTABLISHED)
		return -ENOTCONN;
	st = sid <= INT64_MAX ? stream_find(c, (int64_t)sid) : NULL;
	if (!st || st->reset || st->closed)
		return -ENOENT;
	/* Applied at the next flush: ngtcp2 may be mid-callback on it now. */
	st->reset = true;
	st->reset_pending = true;
	st->reset_code = code;
	st->want_writable = false;
	c->resets_pending = true;
	return_unconsumed(c, st);
	quic_transport_schedule(c);
	return 0;
}

static size_t dgram_room(struct quic_conn *c, size_t udp_payload)
{
	/* short header (1 + DCID + packet number <= 4) + AEAD tag (16) +
	 * DATAGRAM frame type (1) + length (2): docs/quic.md "Datagrams". */
	size_t overhead = 1 + ngtcp2_conn_get_dcid(c->conn)->datalen + 4 + 16 + 1 + 2;

	return udp_payload > overhead ? udp_payload - overhead : 0;
}

int quic_datagram_send(struct tp_conn *tc, const uint8_t *buf, size_t len)
{
	struct quic_conn *c = (struct quic_conn *)tc;
	const ngtcp2_transport_params *rp;
	struct quic_dgram *d;

	if (c->state != QUIC_CONN_ESTABLISHED)
		return -ENOTCONN;
	rp = ngtcp2_conn_get_remote_transport_params(c->conn);
	if (len > TP_DATAGRAM_MAX || len > dgram_room(c, QUIC_UDP_PAYLOAD_MAX) || !rp ||
	    rp->max_datagram_frame_size < len + 3)
		return -EMSGSIZE;
	/* Bigger than the path has been shown to carry: wait for path MTU
	 * discovery while it may still be running, then it is final. */
	if (len > dgram_room(c, ngtcp2_conn_get_path_max_tx_udp_payload_size(c->conn)) &&
	    clock_mono_ms() - c->established_ms > QUIC_PMTUD_GRACE_MS)
		return -EMSGSIZE;
	if (c->ndgrams >= QUIC_DGRAM_QUEUE_MAX || len > TP_SEND_BUFFER_MAX - c->buffered) {
		c->stats.tx_dropped++;
		return -ENOBUFS;
	}
	d = malloc(sizeof(*d) + len);
	if (!d) {
		c->stats.tx_dropped++;
		return -ENOBUFS;
	}
	d->next = NULL;
	d->queued_ms = clock_mono_ms();
	d->len = len;
	memcpy(d->data, buf, len);
	if (c->dg_tail)
		c->dg_tail->next = d;
	else
		c->dg_head = d;
	c->dg_tail = d;
	c->ndgrams++;
	c->buffered += len;
	quic_transport_schedule(c);
	return 0;
}

static void dgram_pop(struct quic_conn *c, bool sent)
{
	struct quic_dgram *d = c->dg_head;

	c->dg_head = d->next;
	if (!c->dg_head)
		c->dg_tail = NULL;
	c->ndgrams--;
	c->buffered -= d->len;
	if (sent)
		c->stats.tx_datagrams++;
	else
		c->stats.tx_dropped++;
	free(d);
}

/* --- hooks from quic_conn.c's ngtcp2 callbacks ------------------------- */

int quic_stream_on_open(struct quic_conn *c, int64_t id)
{
	if (c->state == QUIC_CONN_CLOSED || stream_find(c, id))
		return 0;
	return stream_new(c, id, false) ? 0 : -ENOMEM;
}

void quic_stream_on_data(struct quic_conn *c, int64_t id, const uint8_t *data, size_t len, bool fin)
{
	struct quic_transport *t = c->t;
	struct quic_stream *st;

	if (c->state == QUIC_CONN_CLOSED)
		return;
	st = stream_find(c, id);
	if (!st && c->state == QUIC_CONN_ESTABLISHED)
		st = stream_new(c, id, false);
	if (!st || st->reset || c->state != QUIC_CONN_ESTABLISHED || !t->base.cb.stream_data) {
		/* Nobody will consume these bytes: give the window back. */
		ngtcp2_conn_extend_max_offset(c->conn, len);
		if (st && !st->reset)
			ngtcp2_conn_extend_max_stream_offset(c->conn, id, len);
		if (!st || !st->reset)
			c->stats.rx_dropped++;
		return;
	}
	st->rx_delivered += len;
	t->base.cb.stream_data(t->base.cb.ctx, &c->base, (uint64_t)id, data, len, fin);
}

void quic_stream_on_acked(struct quic_conn *c, int64_t id, uint64_t offset, uint64_t len)
{
	struct quic_stream *st = stream_find(c, id);
	uint64_t upto = offset + len;

	if (!st || st->reset || upto <= st->acked || upto > st->queued)
		return;
	c->buffered -= (size_t)(upto - st->acked);
	st->acked = upto;
	while (st->head && st->head->off + st->head->len <= st->acked &&
	       st->head->off + st->head->len <= st->sent) {
		struct quic_chunk *ch = st->head;

		st->head = ch->next;
		if (st->send == ch)
			st->send = ch->next;
		if (st->tail == ch)
			st->tail = NULL;
		free(ch);
	}
}

void quic_stream_on_reset(struct quic_conn *c, int64_t id, uint64_t code)
{
	struct quic_transport *t = c->t;
	struct quic_stream *st = stream_find(c, id);

	if (!st || st->reset || c->state == QUIC_CONN_CLOSED)
		return; /* unknown to the layer above, or already reset */
	/* "Gone on both sides" (transport.h): reset our half as well. */
	st->reset = true;
	st->reset_pending = true;
	st->reset_code = code > UINT32_MAX ? UINT32_MAX : (uint32_t)code;
	st->want_writable = false;
	c->resets_pending = true;
	return_unconsumed(c, st);
	if (c->state == QUIC_CONN_ESTABLISHED && t->base.cb.stream_reset)
		t->base.cb.stream_reset(t->base.cb.ctx, &c->base, (uint64_t)id, st->reset_code);
}

void quic_stream_on_close(struct quic_conn *c, int64_t id, bool app_error, uint64_t code)
{
	struct quic_stream *st = stream_find(c, id);

	if (!st)
		return;
	st->closed = true;
	st->reset_pending = false; /* nothing left in ngtcp2 to shut down */
	discard_tx(c, st);	   /* ngtcp2 has let go of our chunks */
	if (app_error && !st->reset) {
		/* The peer stopped our sending half (STOP_SENDING). */
		struct quic_transport *t = c->t;

		st->reset = true;
		return_unconsumed(c, st);
		if (c->state == QUIC_CONN_ESTABLISHED && t->base.cb.stream_reset)
			t->base.cb.stream_reset(t->base.cb.ctx, &c->base, (uint64_t)id,
						code > UINT32_MAX ? UINT32_MAX : (uint32_t)code);
	}
	maybe_free(c, st);
}

void quic_stream_apply_resets(struct quic_conn *c)
{
	int64_t ids[2 * TP_STREAMS_MAX];
	size_t n = 0;

	if (!c->resets_pending)
		return;
	c->resets_pending = false;
	for (size_t b = 0; b < QUIC_STREAM_BUCKETS; b++)
		for (struct quic_stream *st = c->streams[b]; st; st = st->hnext)
			if (st->reset_pending && n < sizeof(ids) / sizeof(ids[0]))
				ids[n++] = st->id;
	/* Look each one up again: a shutdown may close (and free) it. */
	for (size_t i = 0; i < n; i++) {
		struct quic_stream *st = stream_find(c, ids[i]);

		if (!st || !st->reset_pending)
			continue;
		st->reset_pending = false;
		ngtcp2_conn_shutdown_stream(c->conn, st->id, st->reset_code);
		st = stream_find(c, ids[i]);
		if (st) {
			discard_tx(c, st); /* ngtcp2 will not retransmit it now */
			maybe_free(c, st);
		}
	}
}

/* --- the flush loop ------------------------------------------------------ */

static bool stream_has_tx(const struct quic_conn *c, const struct quic_stream *st)
{
	return !st->reset && !st->closed && st->skip_gen != c->flush_gen &&
	       (st->sent < st->queued || (st->fin_queued && !st->fin_sent));
}

static struct quic_stream *next_sendable(struct quic_conn *c)
{
	for (size_t b = 0; b < QUIC_STREAM_BUCKETS; b++)
		for (struct quic_stream *st = c->streams[b]; st; st = st->hnext)
			if (stream_has_tx(c, st))
				return st;
	return NULL;
}

/* Point `v` at the unsent bytes of `st`; *all is true if they all fit. */
static size_t stream_vecs(const struct quic_stream *st, ngtcp2_vec *v, size_t max, bool *all)
{
	const struct quic_chunk *ch = st->send;
	uint64_t pos = ch ? st->sent - ch->off : 0;
	size_t n = 0;

	for (; ch && n < max; ch = ch->next, pos = 0) {
		if (ch->len > pos) {
			v[n].base = (uint8_t *)ch->data + pos;
			v[n].len = ch->len - (size_t)pos;
			n++;
		}
	}
	*all = ch == NULL;
	return n;
}

static void stream_advance(struct quic_conn *c, struct quic_stream *st, uint64_t nd, bool fin)
{
	st->sent += nd;
	c->unsent -= nd;
	while (st->send && st->sent >= st->send->off + st->send->len && st->send->next)
		st->send = st->send->next;
	if (fin && st->sent == st->queued)
		st->fin_sent = true;
}

/* One datagram attempt. Return the packet length, 0, WRITE_MORE, or a
 * fatal error; *skip tells the caller to leave datagrams for later. */
static ngtcp2_ssize write_dgram(struct quic_conn *c, uint8_t *buf, size_t buflen, ngtcp2_path *path,
				ngtcp2_pkt_info *pi, uint64_t now, bool *skip)
{
	struct quic_dgram *d = c->dg_head;
	ngtcp2_vec v = {d->data, d->len};
	ngtcp2_ssize n;
	int accepted = 0;

	if (d->len > dgram_room(c, ngtcp2_conn_get_path_max_tx_udp_payload_size(c->conn))) {
		*skip = true; /* path MTU discovery has not got that far yet */
		return NGTCP2_ERR_WRITE_MORE;
	}
	n = ngtcp2_conn_writev_datagram(c->conn, path, pi, buf, buflen, &accepted,
					NGTCP2_WRITE_DATAGRAM_FLAG_MORE, 0, &v, 1, now);
	if (accepted) {
		dgram_pop(c, true);
	} else if (n == NGTCP2_ERR_INVALID_ARGUMENT) {
		dgram_pop(c, false); /* over the peer's max_datagram_frame_size */
		n = NGTCP2_ERR_WRITE_MORE;
	} else {
		*skip = true; /* did not fit this packet: next flush */
	}
	return n;
}

int quic_stream_flush(struct quic_conn *c, uint8_t *buf, size_t buflen, ngtcp2_path *path,
		      unsigned *npkts)
{
	uint64_t now = quic_now(), now_ms = clock_mono_ms();
	ngtcp2_vec v[QUIC_VEC_MAX];
	ngtcp2_pkt_info pi;
	bool dg_skip = c->state != QUIC_CONN_ESTABLISHED;

	c->flush_gen++;
	while (c->dg_head && now_ms - c->dg_head->queued_ms > QUIC_DGRAM_AGE_MAX_MS)
		dgram_pop(c, false);
	while (*npkts < QUIC_TX_BURST) {
		struct quic_stream *st = NULL;
		ngtcp2_ssize n, nd = -1;
		bool all = false;
		size_t nv = 0, offered = 0;
		uint32_t flags = NGTCP2_WRITE_STREAM_FLAG_NONE;

		if (!dg_skip && c->dg_head) {
			n = write_dgram(c, buf, buflen, path, &pi, now, &dg_skip);
		} else {
			st = next_sendable(c);
			if (st) {
				nv = stream_vecs(st, v, QUIC_VEC_MAX, &all);
				for (size_t i = 0; i < nv; i++)
					offered += v[i].len;
				flags = NGTCP2_WRITE_STREAM_FLAG_MORE;
				if (all && st->fin_queued)
					flags |= NGTCP2_WRITE_STREAM_FLAG_FIN;
			}
			n = ngtcp2_conn_writev_stream(c->conn, path, &pi, buf, buflen, &nd, flags,
						      st ? st->id : -1, nv ? v : NULL, nv, now);
			if (st && nd >= 0)
				stream_advance(c, st, (uint64_t)nd,
					       (flags & NGTCP2_WRITE_STREAM_FLAG_FIN) != 0);
			/* Offered bytes left over with room in the packet: flow
			 * control stopped this stream; let the others go. */
			if (st && ((n == NGTCP2_ERR_WRITE_MORE && nd < (ngtcp2_ssize)offered) ||
				   (n < 0 && n != NGTCP2_ERR_WRITE_MORE)))
				st->skip_gen = c->flush_gen;
		}
		if (n == NGTCP2_ERR_WRITE_MORE)
			continue;
		if (n == NGTCP2_ERR_STREAM_DATA_BLOCKED)
			continue;
		if (n == NGTCP2_ERR_STREAM_SHUT_WR || n == NGTCP2_ERR_STREAM_NOT_FOUND) {
			if (st)
				discard_tx(c, st);
			continue;
		}
		if (n < 0)
			return (int)n;
		if (n == 0)
			break; /* congestion window, pacing or amplification limit */
		quic_conn_send_pkt(c, path, buf, (size_t)n);
		(*npkts)++;
	}
	/* No ngtcp2_conn_update_pkt_tx_time(): ngtcp2 0.12 then paces, but
	 * ngtcp2_conn_get_expiry() does not include the pacing deadline, so a
	 * paced packet (the client's second handshake flight, the next burst
	 * of a stream) waited for the 25 ms ACK-delay timer. Measured: QUIC
	 * handshakes 41/s with it, 1581/s without (bench/hs_bench). */
	return 0;
}

void quic_stream_notify_writable(struct quic_conn *c)
{
	struct quic_transport *t = c->t;
	int64_t ids[2 * TP_STREAMS_MAX];
	size_t n = 0;

	if (c->state != QUIC_CONN_ESTABLISHED)
		return;
	for (size_t b = 0; b < QUIC_STREAM_BUCKETS; b++) {
		for (struct quic_stream *st = c->streams[b]; st; st = st->hnext) {
			if (!st->want_writable || n == sizeof(ids) / sizeof(ids[0]) ||
			    stream_credit(c, st) == 0)
				continue;
			st->want_writable = false;
			ids[n++] = st->id;
		}
	}
	for (size_t i = 0; i < n && c->state == QUIC_CONN_ESTABLISHED; i++)
		if (t->base.cb.stream_writable)
			t->base.cb.stream_writable(t->base.cb.ctx, &c->base, (uint64_t)ids[i]);
}

void quic_stream_free_all(struct quic_conn *c)
{
	for (size_t b = 0; b < QUIC_STREAM_BUCKETS; b++)
		while (c->streams[b])
			stream_free(c, c->streams[b], false);
	while (c->dg_head)
		dgram_pop(c, false);
}
