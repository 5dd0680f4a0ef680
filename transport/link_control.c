/* transport/link_control.c - the link's control channel: one CONTROL stream
 * per direction (docs/wire.md §4.3), carrying messages framed as len u16 ||
 * body. The sender opens its stream on first use and queues what flow
 * control does not take yet, up to LINK_CONTROL_QUEUE_MAX bytes; the
 * receiver reassembles frames in a bounded buffer and hands each message
 * up. A stream that breaks the framing is reset and counted. */
#include "transport/link_internal.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "lib/wire.h"

struct link_ctl_tx {
	uint64_t sid;
	bool open;
	uint8_t *buf; /* queued bytes not yet taken by the stream */
	size_t len, cap;
};

struct link_ctl_rx {
	uint8_t hdr[2];
	size_t hdr_have;
	uint8_t *msg; /* LINK_CONTROL_MSG_MAX bytes once a frame starts */
	size_t want, have;
};

static int ctl_flush(struct link *l)
{
	struct link_ctl_tx *tx = l->ctl_tx;
	ssize_t n;

	if (!tx || tx->len == 0)
		return 0;
	n = link_stream_write(l, tx->sid, tx->buf, tx->len, false);
	if (n < 0)
		return (int)n;
	memmove(tx->buf, tx->buf + n, tx->len - (size_t)n);
	tx->len -= (size_t)n;
	return 0;
}

int link_control_send(struct link *l, const uint8_t *msg, size_t len)
{
	struct link_ctl_tx *tx;
	int r;

	if (!link_is_up(l))
		return -ENOTCONN;
	if (len > LINK_CONTROL_MSG_MAX)
		return -EMSGSIZE;
	if (!l->ctl_tx) {
		l->ctl_tx = calloc(1, sizeof(*l->ctl_tx));
		if (!l->ctl_tx)
			return -ENOMEM;
	}
	tx = l->ctl_tx;
	if (!tx->open) {
		r = link_stream_open(l, LINK_STREAM_CONTROL, &tx->sid);
		if (r < 0)
			return r; /* -EPROTONOSUPPORT on a datagram-only link */
		tx->open = true;
	}
	if (tx->len + 2 + len > LINK_CONTROL_QUEUE_MAX) {
		l->drops[LINK_DROP_TX_FULL]++;
		return -ENOBUFS;
	}
	if (tx->len + 2 + len > tx->cap) {
		size_t cap = tx->cap ? tx->cap : 4096;
		uint8_t *nb;

		while (cap < tx->len + 2 + len)
			cap *= 2;
		nb = realloc(tx->buf, cap);
		if (!nb)
			return -ENOMEM;
		tx->buf = nb;
		tx->cap = cap;
	}
	wire_store_u16(tx->buf + tx->len, (uint16_t)len);
	memcpy(tx->buf + tx->len + 2, msg, len);
	tx->len += 2 + len;
	return ctl_flush(l);
}

void link_control_writable(struct link *l, uint64_t sid)
{
	if (l->ctl_tx && l->ctl_tx->open && l->ctl_tx->sid == sid)
		ctl_flush(l);
}

/* Bytes of the peer's control stream, in order. */
void link_control_data(struct link *l, uint64_t sid, const uint8_t *buf, size_t len)
{
	struct link_ctl_rx *rx = l->ctl_rx;
	const struct link_callbacks *cb = &l->m->cb;
	size_t off = 0, take;

	if (!rx) {
		rx = l->ctl_rx = calloc(1, sizeof(*rx));
		if (!rx || !(rx->msg = malloc(LINK_CONTROL_MSG_MAX))) {
			link_stream_reset(l, sid, (uint32_t)ENOMEM);
			return;
		}
	}
	link_stream_consumed(l, sid, len);
	while (off < len && !l->dead) {
		if (rx->hdr_have < 2) {
			rx->hdr[rx->hdr_have++] = buf[off++];
			if (rx->hdr_have == 2) {
				rx->want = wire_load_u16(rx->hdr);
				rx->have = 0;
			}
			if (rx->hdr_have < 2 || rx->want > 0)
				continue;
		} else {
			take = rx->want - rx->have < len - off ? rx->want - rx->have : len - off;
			memcpy(rx->msg + rx->have, buf + off, take);
			rx->have += take;
			off += take;
			if (rx->have < rx->want)
				continue;
		}
		rx->hdr_have = 0; /* a whole message: deliver it */
		if (cb->control)
			cb->control(cb->ctx, l, rx->msg, rx->want);
		else
			l->drops[LINK_DROP_NO_HANDLER]++;
	}
}

void link_control_free(struct link *l)
{
	if (l->ctl_tx)
		free(l->ctl_tx->buf);
	free(l->ctl_tx);
	if (l->ctl_rx)
		free(l->ctl_rx->msg);
	free(l->ctl_rx);
	l->ctl_tx = NULL;
	l->ctl_rx = NULL;
}
