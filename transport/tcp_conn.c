/* transport/tcp_conn.c - one TCP link connection on the wire: the Noise IK
 * handshake with key confirmation, framing on the byte stream, per-frame
 * encryption with implicit nonces, and rekeying by time and volume.
 * docs/wire.md §3.
 *
 * Handshake (initiator I, responder R; both know their Ed25519 keys, and I
 * knows R's, mapped to X25519 for Noise):
 *   I -> R  msg1: the cipher byte, then IK -> e, es, s, ss; payload
 *           {version, flags, I's Ed25519 key, timestamp}. R checks map(I's Ed25519 key) == I's
 * static s and that the timestamp grew since I's last initiation. R -> I  msg2: IK <- e, ee, se;
 * payload {version, flags}. I is done: it proved R holds the key it dialed. I -> R  CONFIRM frame,
 * the first transport message. Only now is R sure I holds the ephemeral key of this handshake (a
 * replayed msg1 cannot get here), so only now does R report the connection.
 */
#include "transport/tcp_internal.h"

#include <errno.h>
#include <string.h>

#include <event2/buffer.h>
#include <event2/bufferevent.h>
#include <event2/event.h>

#include "lib/clock.h"
#include "lib/log.h"
#include "lib/secure.h"
#include "lib/wire.h"
#include "transport/noise.h"
#include "transport/noise_cipher.h"
#include "transport/replay.h"

#define IK_MSG1_LEN (32 + 48 + TCP_INIT_PAYLOAD_LEN + 16)
#define MSG1_LEN    (1 + IK_MSG1_LEN) /* cipher u8 || IK message 1 */
#define IK_MSG2_LEN (32 + TCP_RESP_PAYLOAD_LEN + 16)

size_t tcp_conn_queued(const struct tcp_conn *c)
{
	return evbuffer_get_length(bufferevent_get_output(c->bev));
}

static int put_message(struct tcp_conn *c, const uint8_t *body, size_t len)
{
	struct evbuffer *out = bufferevent_get_output(c->bev);
	uint8_t hdr[2];

	wire_store_u16(hdr, (uint16_t)len);
	if (evbuffer_add(out, hdr, 2) < 0 || evbuffer_add(out, body, len) < 0)
		return -ENOMEM;
	c->stats.tx_bytes += len + 2;
	return 0;
}

int tcp_conn_start_handshake(struct tcp_conn *c)
{
	struct tcp_transport *tt = c->tt;
	uint8_t rs[32];
	int r;

	if (!c->base.initiator)
		return 0; /* the responder starts once message 1 names the cipher */
	r = noise_x25519_from_ed25519_pk(rs, c->remote_pk);
	if (r < 0)
		return r;
	c->cipher = tt->cipher;
	return noise_handshake_init(c->hs, NOISE_PATTERN_IK, c->cipher, true,
				    (const uint8_t *)TCP_PROLOGUE, strlen(TCP_PROLOGUE), tt->x_priv,
				    rs);
}

static int split_keys(struct tcp_conn *c)
{
	c->tx = noise_cipher_new();
	c->rx = noise_cipher_new();
	if (!c->tx || !c->rx)
		return -ENOMEM;
	if (noise_handshake_split(c->hs, c->tx, c->rx) < 0)
		return -EINVAL;
	c->hs = noise_handshake_free(c->hs);
	c->tx_rekey_ms = clock_mono_ms();
	c->conn_send_credit = TP_CONN_WINDOW;
	c->conn_recv_allowed = TP_CONN_WINDOW;
	return 0;
}

/* Initiator: TCP connected; send msg1. */
static int send_msg1(struct tcp_conn *c)
{
	struct tcp_transport *tt = c->tt;
	struct tcp_init_payload p;
	uint8_t payload[TCP_INIT_PAYLOAD_LEN], msg[MSG1_LEN];
	uint64_t now = clock_wall_s() * 1000 + clock_mono_ms() % 1000;
	size_t len;
	int r;

	memcpy(p.ed25519_pk, tt->ident.ed25519_pk, 32);
	/* Strictly growing within this process, wall clock across restarts. */
	p.timestamp_ms = now > tt->last_ts_sent ? now : tt->last_ts_sent + 1;
	tt->last_ts_sent = p.timestamp_ms;
	tcp_init_payload_encode(&p, payload);
	msg[0] = (uint8_t)c->cipher;
	r = noise_handshake_write_message(c->hs, payload, sizeof(payload), msg + 1, sizeof(msg) - 1,
					  &len);
	if (r < 0)
		return r;
	tcp_conn_set_state(c, TCP_CONN_SENT_INIT);
	return put_message(c, msg, 1 + len);
}

/* Responder: msg1 arrived. */
static int on_msg1(struct tcp_conn *c, const uint8_t *msg, size_t len)
{
	struct tcp_transport *tt = c->tt;
	uint8_t payload[TCP_INIT_PAYLOAD_LEN], reply[IK_MSG2_LEN], rp[TCP_RESP_PAYLOAD_LEN];
	struct tcp_init_payload p;
	struct node_id id;
	size_t plen, rlen;
	int r;

	if (len != MSG1_LEN || msg[0] >= NOISE_CIPHER__COUNT)
		return -EBADMSG;
	c->cipher = msg[0];
	r = noise_handshake_init(c->hs, NOISE_PATTERN_IK, c->cipher, false,
				 (const uint8_t *)TCP_PROLOGUE, strlen(TCP_PROLOGUE), tt->x_priv,
				 NULL);
	if (r == 0)
		r = noise_handshake_read_message(c->hs, msg + 1, len - 1, payload, sizeof(payload),
						 &plen);
	if (r == 0)
		r = tcp_init_payload_decode(&p, payload, plen);
	if (r == 0)
		r = noise_handshake_check_remote_ed25519(c->hs, p.ed25519_pk);
	if (r < 0)
		return r;
	if (!tcp_ts_accept(tt, p.ed25519_pk, p.timestamp_ms))
		return -EALREADY;
	memcpy(c->remote_pk, p.ed25519_pk, 32);
	node_id_from_pubkey(&id, c->remote_pk);
	node_id_fingerprint(&id, c->fp);
	tcp_resp_payload_encode(rp);
	r = noise_handshake_write_message(c->hs, rp, sizeof(rp), reply, sizeof(reply), &rlen);
	if (r == 0)
		r = split_keys(c);
	if (r == 0)
		r = put_message(c, reply, rlen);
	if (r == 0)
		tcp_conn_set_state(c, TCP_CONN_SENT_RESP);
	return r;
}

static void established(struct tcp_conn *c)
{
	struct tcp_transport *tt = c->tt;
	const struct tp_callbacks *cb = &tt->base.cb;
	int r = 0;

	tcp_conn_set_state(c, TCP_CONN_ESTABLISHED);
	evtimer_del(c->timer);
	if (c->hs_slot) {
		hs_limit_done(&tt->base.limit, &c->peer.sin6_addr);
		c->hs_slot = false;
	}
	tt->base.hs_completed++;
	if (cb->established)
		r = cb->established(cb->ctx, &c->base, c->remote_pk, c->conn_ctx);
	if (r < 0) {
		c->reported = false; /* the layer above refused it and knows */
		tcp_conn_close(c, TP_CLOSE_REFUSED);
		return;
	}
	c->reported = true;
}

/* Initiator: msg2 arrived. */
static int on_msg2(struct tcp_conn *c, const uint8_t *msg, size_t len)
{
	uint8_t payload[TCP_RESP_PAYLOAD_LEN];
	struct tcp_frame confirm = {.type = TCP_FRAME_CONFIRM};
	size_t plen;
	int r;

	if (len != IK_MSG2_LEN)
		return -EBADMSG;
	r = noise_handshake_read_message(c->hs, msg, len, payload, sizeof(payload), &plen);
	if (r == 0)
		r = tcp_resp_payload_decode(payload, plen);
	if (r == 0)
		r = split_keys(c);
	if (r == 0)
		r = tcp_conn_send_frame(c, &confirm, NULL, 0);
	if (r == 0)
		established(c);
	return r;
}

/* Send REKEY under the old key, then move to REKEY(k) (Noise §11.3). */
static int maybe_rekey(struct tcp_conn *c)
{
	uint8_t pt[1] = {TCP_FRAME_REKEY}, ct[1 + 16];
	size_t n;
	int r;

	if (c->tx_rekey_bytes < c->tt->rekey_after_bytes &&
	    clock_mono_ms() - c->tx_rekey_ms < c->tt->rekey_after_ms)
		return 0;
	r = noise_cipher_encrypt(c->tx, c->tx_nonce, NULL, 0, pt, 1, ct, sizeof(ct), &n);
	if (r == 0)
		r = put_message(c, ct, n);
	if (r == 0)
		r = noise_cipher_rekey(c->tx);
	if (r < 0)
		return r;
	c->tx_nonce++;
	c->tx_rekey_ms = clock_mono_ms();
	c->tx_rekey_bytes = 0;
	c->stats.rekeys++;
	log_debug(LD_TCP, "conn %s: rekeyed the send direction", c->fp);
	return 0;
}

int tcp_conn_send_frame(struct tcp_conn *c, const struct tcp_frame *f, const uint8_t *data,
			size_t len)
{
	uint8_t *buf = c->tt->tx_buf;
	size_t hl, n;
	int r;

	if (!c->tx || c->dead)
		return -ENOTCONN;
	if (!replay_counter_is_usable(c->tx_nonce))
		return -ERANGE;
	r = maybe_rekey(c);
	if (r < 0)
		return r;
	r = tcp_frame_header(f, buf);
	if (r < 0)
		return r;
	hl = (size_t)r;
	if (hl + len > TCP_FRAME_MAX)
		return -EMSGSIZE;
	if (len)
		memcpy(buf + hl, data, len);
	r = noise_cipher_encrypt(c->tx, c->tx_nonce, NULL, 0, buf, hl + len, buf,
				 sizeof(c->tt->tx_buf), &n);
	if (r < 0)
		return r;
	c->tx_nonce++;
	c->tx_rekey_bytes += n;
	return put_message(c, buf, n);
}

/* One decrypted frame on an established (or confirming) connection. */
static int on_frame(struct tcp_conn *c, const uint8_t *pt, size_t len)
{
	const struct tp_callbacks *cb = &c->tt->base.cb;
	struct tcp_frame f;
	int r;

	r = tcp_frame_decode(&f, pt, len);
	if (r < 0)
		return r;
	if (c->state == TCP_CONN_SENT_RESP) {
		if (f.type != TCP_FRAME_CONFIRM)
			return -EPROTO;
		established(c);
		return 0;
	}
	switch (f.type) {
	case TCP_FRAME_CONFIRM:
		return -EPROTO; /* only once, first */
	case TCP_FRAME_DATAGRAM:
		c->stats.rx_datagrams++;
		if (cb->datagram)
			cb->datagram(cb->ctx, &c->base, f.data, f.len);
		return 0;
	case TCP_FRAME_REKEY:
		c->stats.rekeys++;
		return noise_cipher_rekey(c->rx);
	case TCP_FRAME_CLOSE:
		tcp_conn_close(c, TP_CLOSE_REMOTE);
		return 0;
	default:
		return tcp_stream_on_frame(c, &f);
	}
}

static int on_message(struct tcp_conn *c, uint8_t *msg, size_t len)
{
	size_t n;
	int r;

	switch (c->state) {
	case TCP_CONN_ACCEPTED:
		return on_msg1(c, msg, len);
	case TCP_CONN_SENT_INIT:
		return on_msg2(c, msg, len);
	case TCP_CONN_SENT_RESP:
	case TCP_CONN_ESTABLISHED:
		/* TCP keeps order, so the nonce is implicit: a replayed,
		 * dropped or reordered message fails authentication. */
		r = noise_cipher_decrypt(c->rx, c->rx_nonce, NULL, 0, msg, len, msg, len, &n);
		if (r < 0)
			return r;
		c->rx_nonce++;
		return on_frame(c, msg, n);
	default:
		return -EPROTO;
	}
}

void tcp_conn_on_read(struct bufferevent *bev, void *arg)
{
	static struct log_ratelim rl = LOG_RATELIM_INIT(1000, 5);
	struct tcp_conn *c = arg;
	struct evbuffer *in = bufferevent_get_input(bev);
	uint8_t hdr[2];
	size_t len;
	int r;

	while (!c->dead && evbuffer_get_length(in) >= 2) {
		evbuffer_copyout(in, hdr, 2);
		len = wire_load_u16(hdr);
		if (evbuffer_get_length(in) < 2 + len)
			return; /* the rest of the message is on its way */
		evbuffer_drain(in, 2);
		evbuffer_remove(in, c->tt->rx_buf, len);
		c->stats.rx_bytes += 2 + len;
		r = on_message(c, c->tt->rx_buf, len);
		if (r < 0 && !c->dead) {
			c->stats.rx_dropped++;
			if (c->state != TCP_CONN_ESTABLISHED)
				c->tt->base.hs_failed++;
			if (log_ratelim_allow(&rl, clock_mono_ms()))
				log_info(
				    LD_TCP, "conn %s: closing after a bad %s message: %s", c->fp,
				    c->state == TCP_CONN_ESTABLISHED ? "transport" : "handshake",
				    strerror(-r));
			tcp_conn_close(c, c->state == TCP_CONN_ESTABLISHED ? TP_CLOSE_PROTOCOL
									   : TP_CLOSE_AUTH);
		}
	}
}

void tcp_conn_on_write(struct bufferevent *bev, void *arg)
{
	struct tcp_conn *c = arg;

	(void)bev;
	if (!c->dead && c->state == TCP_CONN_ESTABLISHED)
		tcp_streams_notify_writable(c);
}

void tcp_conn_on_event(struct bufferevent *bev, short what, void *arg)
{
	struct tcp_conn *c = arg;

	(void)bev;
	if (c->dead)
		return;
	if (what & BEV_EVENT_CONNECTED) {
		if (send_msg1(c) < 0)
			tcp_conn_close(c, TP_CLOSE_LOCAL);
		return;
	}
	if (what & BEV_EVENT_EOF) {
		if (c->state == TCP_CONN_ESTABLISHED) {
			tcp_conn_close(c, TP_CLOSE_REMOTE);
			return;
		}
		/* The peer hung up on our handshake: it could not decrypt
		 * message 1 (we expected another key) or refused us. */
		c->tt->base.hs_failed++;
		tcp_conn_close(c, TP_CLOSE_AUTH);
		return;
	}
	if (what & (BEV_EVENT_ERROR | BEV_EVENT_TIMEOUT))
		tcp_conn_close(c, TP_CLOSE_IO);
}
