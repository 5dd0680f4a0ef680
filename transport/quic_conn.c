/* transport/quic_conn.c - one QUIC connection: its ngtcp2_conn, the
 * ngtcp2 callbacks, its timer, and the close path (docs/quic.md).
 *
 * ngtcp2 does no I/O: quic.c hands packets in (quic_conn_read), and
 * quic_conn_after_io() writes whatever ngtcp2 has to send, then re-arms
 * the connection's one timer from ngtcp2_conn_get_expiry(). The timer
 * handles ngtcp2's expiries (loss recovery, ACK delay, pacing, idle,
 * handshake timeout) the same way.
 *
 * Callbacks into the layer above run from inside ngtcp2 callbacks
 * (established, stream data, datagrams) or from after_io (writable). The
 * layer above may call back into us there: nothing it can call writes
 * packets or frees anything synchronously. tp_close only marks the
 * connection closed; the reaper (quic.c) sends CONNECTION_CLOSE, reports
 * `closed` and frees it from a later loop turn.
 */
#include "transport/quic_internal.h"

#include <assert.h>
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include <event2/event.h>
#include <ngtcp2/ngtcp2_crypto.h>

#include "identity/node_id.h"
#include "lib/clock.h"
#include "lib/log.h"
#include "lib/secure.h"

#define TLS_ALERT_BAD_CERTIFICATE 42

static struct log_ratelim fail_rl = LOG_RATELIM_INIT(1000, 10);
static struct log_ratelim path_rl = LOG_RATELIM_INIT(1000, 10);

static const char *const state_names[QUIC_CONN__COUNT] = {
    [QUIC_CONN_STARTED] = "started",
    [QUIC_CONN_ESTABLISHED] = "established",
    [QUIC_CONN_CLOSED] = "closed",
};

#define TO(s) (1u << (s))

/* Legal transitions. Anything else is a bug in this file. */
static const unsigned state_next[QUIC_CONN__COUNT] = {
    [QUIC_CONN_STARTED] = TO(QUIC_CONN_ESTABLISHED) | TO(QUIC_CONN_CLOSED),
    [QUIC_CONN_ESTABLISHED] = TO(QUIC_CONN_CLOSED),
    [QUIC_CONN_CLOSED] = 0,
};

const char *quic_conn_state_name(enum quic_conn_state s)
{
	return (unsigned)s < QUIC_CONN__COUNT ? state_names[s] : "?";
}

static void set_state(struct quic_conn *c, enum quic_conn_state to)
{
	assert(state_next[c->state] & TO(to));
	log_debug(LD_QUIC, "QUIC conn %s (%s): %s -> %s", c->fp,
		  c->base.initiator ? "dialed" : "accepted", quic_conn_state_name(c->state),
		  quic_conn_state_name(to));
	if (c->state == QUIC_CONN_STARTED)
		c->t->nhandshaking--;
	if (to == QUIC_CONN_CLOSED)
		evtimer_del(c->timer); /* the reaper owns it from here */
	c->state = to;
}

static void set_fp(struct quic_conn *c)
{
	struct node_id nid;

	node_id_from_pubkey(&nid, c->remote_pk);
	node_id_fingerprint(&nid, c->fp);
}

static void release_hs_slot(struct quic_conn *c)
{
	if (c->hs_slot) {
		hs_limit_done(&c->t->base.limit, &c->remote.sin6_addr);
		c->hs_slot = false;
	}
}

static void make_path(ngtcp2_path *p, const struct sockaddr_in6 *local,
		      const struct sockaddr_in6 *remote)
{
	p->local.addr = (ngtcp2_sockaddr *)(void *)local; /* ngtcp2 copies */
	p->local.addrlen = sizeof(*local);
	p->remote.addr = (ngtcp2_sockaddr *)(void *)remote;
	p->remote.addrlen = sizeof(*remote);
	p->user_data = NULL;
}

/* --- ngtcp2 callbacks --------------------------------------------------- */

static ngtcp2_conn *get_conn(ngtcp2_crypto_conn_ref *ref)
{
	return ((struct quic_conn *)ref->user_data)->conn;
}

static void on_rand(uint8_t *dest, size_t len, const ngtcp2_rand_ctx *ctx)
{
	(void)ctx;
	sec_random(dest, len);
}

/* Issue a fresh random CID that routes to us, with its reset token. */
static int issue_cid(struct quic_conn *c, ngtcp2_cid *cid, size_t len)
{
	int r = -EEXIST;

	for (unsigned tries = 0; tries < 4 && r == -EEXIST; tries++) {
		sec_random(cid->data, len);
		cid->datalen = len;
		r = quic_cid_add(&c->t->cids, c, cid->data, len);
	}
	return r;
}

static int on_new_cid(ngtcp2_conn *conn, ngtcp2_cid *cid, uint8_t *token, size_t cidlen,
		      void *user_data)
{
	struct quic_conn *c = user_data;

	(void)conn;
	if (issue_cid(c, cid, cidlen) < 0)
		return NGTCP2_ERR_CALLBACK_FAILURE;
	if (quic_transport_reset_token(c->t, cid, token) < 0) {
		quic_cid_remove(&c->t->cids, cid->data, cid->datalen);
		return NGTCP2_ERR_CALLBACK_FAILURE;
	}
	return 0;
}

static int on_remove_cid(ngtcp2_conn *conn, const ngtcp2_cid *cid, void *user_data)
{
	struct quic_conn *c = user_data;

	(void)conn;
	quic_cid_remove(&c->t->cids, cid->data, cid->datalen);
	return 0;
}

/* TLS is done and ngtcp2 has 1-RTT keys. Check the proved key, then tell
 * the layer above before any application byte is delivered (stream data
 * may follow within the same ngtcp2_conn_read_pkt call). */
static int on_handshake_completed(ngtcp2_conn *conn, void *user_data)
{
	struct quic_conn *c = user_data;
	struct quic_transport *t = c->t;
	int r = 0;

	if (c->state != QUIC_CONN_STARTED)
		return 0;
	if (quic_tls_check_peer(c) < 0) {
		c->auth_failed = true;
		return NGTCP2_ERR_CALLBACK_FAILURE;
	}
	set_fp(c);
	release_hs_slot(c);
	t->base.hs_completed++;
	set_state(c, QUIC_CONN_ESTABLISHED);
	c->established_ms = clock_mono_ms();
	ngtcp2_conn_set_keep_alive_timeout(conn, (uint64_t)QUIC_KEEPALIVE_MS * NGTCP2_MILLISECONDS);
	log_debug(LD_QUIC, "QUIC conn %s established", c->fp);
	c->upper_knows = true;
	if (t->base.cb.established)
		r = t->base.cb.established(t->base.cb.ctx, &c->base, c->remote_pk, c->conn_ctx);
	if (r < 0) {
		c->upper_knows = false; /* it refused the connection and knows: no `closed` */
		if (c->state != QUIC_CONN_CLOSED) {
			ngtcp2_connection_close_error_set_application_error(
			    &c->ccerr, TP_CLOSE_REFUSED, NULL, 0);
			quic_conn_close(c, TP_CLOSE_REFUSED, true);
		}
	}
	return 0;
}

static int on_stream_data(ngtcp2_conn *conn, uint32_t flags, int64_t id, uint64_t offset,
			  const uint8_t *data, size_t len, void *user_data, void *stream_user_data)
{
	(void)conn;
	(void)offset;
	(void)stream_user_data;
	quic_stream_on_data(user_data, id, data, len, (flags & NGTCP2_STREAM_DATA_FLAG_FIN) != 0);
	return 0;
}

static int on_acked(ngtcp2_conn *conn, int64_t id, uint64_t offset, uint64_t len, void *user_data,
		    void *stream_user_data)
{
	(void)conn;
	(void)stream_user_data;
	quic_stream_on_acked(user_data, id, offset, len);
	return 0;
}

static int on_stream_open(ngtcp2_conn *conn, int64_t id, void *user_data)
{
	(void)conn;
	return quic_stream_on_open(user_data, id) < 0 ? NGTCP2_ERR_CALLBACK_FAILURE : 0;
}

static int on_stream_close(ngtcp2_conn *conn, uint32_t flags, int64_t id, uint64_t code,
			   void *user_data, void *stream_user_data)
{
	(void)conn;
	(void)stream_user_data;
	quic_stream_on_close(user_data, id,
			     (flags & NGTCP2_STREAM_CLOSE_FLAG_APP_ERROR_CODE_SET) != 0, code);
	return 0;
}

static int on_stream_reset(ngtcp2_conn *conn, int64_t id, uint64_t final_size, uint64_t code,
			   void *user_data, void *stream_user_data)
{
	(void)conn;
	(void)final_size;
	(void)stream_user_data;
	quic_stream_on_reset(user_data, id, code);
	return 0;
}

static int on_datagram(ngtcp2_conn *conn, uint32_t flags, const uint8_t *data, size_t len,
		       void *user_data)
{
	struct quic_conn *c = user_data;
	struct quic_transport *t = c->t;

	(void)conn;
	(void)flags;
	if (c->state != QUIC_CONN_ESTABLISHED) {
		c->stats.rx_dropped++; /* nothing reaches the layer above before `established` */
		return 0;
	}
	c->stats.rx_datagrams++;
	if (t->base.cb.datagram)
		t->base.cb.datagram(t->base.cb.ctx, &c->base, data, len);
	return 0;
}

static int on_stateless_reset(ngtcp2_conn *conn, const ngtcp2_pkt_stateless_reset *sr,
			      void *user_data)
{
	(void)conn;
	(void)sr;
	((struct quic_conn *)user_data)->got_reset = true;
	return 0;
}

static int on_path_validation(ngtcp2_conn *conn, uint32_t flags, const ngtcp2_path *path,
			      ngtcp2_path_validation_result res, void *user_data)
{
	struct quic_conn *c = user_data;

	(void)conn;
	(void)flags;
	(void)path;
	if (log_ratelim_allow(&path_rl, clock_mono_ms()))
		log_debug(LD_QUIC, "QUIC conn %s: path validation %s", c->fp,
			  res == NGTCP2_PATH_VALIDATION_RESULT_SUCCESS ? "succeeded" : "failed");
	return 0;
}

static const ngtcp2_callbacks client_callbacks = {
    .client_initial = ngtcp2_crypto_client_initial_cb,
    .recv_crypto_data = ngtcp2_crypto_recv_crypto_data_cb,
    .handshake_completed = on_handshake_completed,
    .encrypt = ngtcp2_crypto_encrypt_cb,
    .decrypt = ngtcp2_crypto_decrypt_cb,
    .hp_mask = ngtcp2_crypto_hp_mask_cb,
    .recv_stream_data = on_stream_data,
    .acked_stream_data_offset = on_acked,
    .stream_open = on_stream_open,
    .stream_close = on_stream_close,
    .recv_stateless_reset = on_stateless_reset,
    .recv_retry = ngtcp2_crypto_recv_retry_cb,
    .rand = on_rand,
    .get_new_connection_id = on_new_cid,
    .remove_connection_id = on_remove_cid,
    .update_key = ngtcp2_crypto_update_key_cb,
    .path_validation = on_path_validation,
    .stream_reset = on_stream_reset,
    .delete_crypto_aead_ctx = ngtcp2_crypto_delete_crypto_aead_ctx_cb,
    .delete_crypto_cipher_ctx = ngtcp2_crypto_delete_crypto_cipher_ctx_cb,
    .recv_datagram = on_datagram,
    .get_path_challenge_data = ngtcp2_crypto_get_path_challenge_data_cb,
    .version_negotiation = ngtcp2_crypto_version_negotiation_cb,
};

static const ngtcp2_callbacks server_callbacks = {
    .recv_client_initial = ngtcp2_crypto_recv_client_initial_cb,
    .recv_crypto_data = ngtcp2_crypto_recv_crypto_data_cb,
    .handshake_completed = on_handshake_completed,
    .encrypt = ngtcp2_crypto_encrypt_cb,
    .decrypt = ngtcp2_crypto_decrypt_cb,
    .hp_mask = ngtcp2_crypto_hp_mask_cb,
    .recv_stream_data = on_stream_data,
    .acked_stream_data_offset = on_acked,
    .stream_open = on_stream_open,
    .stream_close = on_stream_close,
    .recv_stateless_reset = on_stateless_reset,
    .rand = on_rand,
    .get_new_connection_id = on_new_cid,
    .remove_connection_id = on_remove_cid,
    .update_key = ngtcp2_crypto_update_key_cb,
    .path_validation = on_path_validation,
    .stream_reset = on_stream_reset,
    .delete_crypto_aead_ctx = ngtcp2_crypto_delete_crypto_aead_ctx_cb,
    .delete_crypto_cipher_ctx = ngtcp2_crypto_delete_crypto_cipher_ctx_cb,
    .recv_datagram = on_datagram,
    .get_path_challenge_data = ngtcp2_crypto_get_path_challenge_data_cb,
    .version_negotiation = ngtcp2_crypto_version_negotiation_cb,
};

/* --- errors, timer, flush ----------------------------------------------- */

/* Turn an ngtcp2 error from read/expiry/write into a close. */
static void conn_fail(struct quic_conn *c, int liberr)
{
	ngtcp2_connection_close_error peer;
	enum tp_close_reason why = quic_reason_from_ngtcp2(liberr);
	bool send = true;

	switch (liberr) {
	case NGTCP2_ERR_DRAINING: /* the peer closed: nothing more to say */
		send = false;
		ngtcp2_conn_get_connection_close_error(c->conn, &peer);
		if (c->got_reset)
			why = TP_CLOSE_IO;
		else if (c->state == QUIC_CONN_STARTED &&
			 peer.type == NGTCP2_CONNECTION_CLOSE_ERROR_CODE_TYPE_TRANSPORT &&
			 (peer.error_code & ~(uint64_t)0xff) == NGTCP2_CRYPTO_ERROR)
			why = TP_CLOSE_AUTH; /* the peer refused our key or TLS */
		break;
	case NGTCP2_ERR_IDLE_CLOSE:
	case NGTCP2_ERR_HANDSHAKE_TIMEOUT:
	case NGTCP2_ERR_DROP_CONN:
	case NGTCP2_ERR_RETRY:
		send = false; /* silent, as RFC 9000 §10.1 and ngtcp2 ask */
		break;
	case NGTCP2_ERR_CRYPTO:
		ngtcp2_connection_close_error_set_transport_error_tls_alert(
		    &c->ccerr, ngtcp2_conn_get_tls_alert(c->conn), NULL, 0);
		break;
	default:
		ngtcp2_connection_close_error_set_transport_error_liberr(&c->ccerr, liberr, NULL,
									 0);
		break;
	}
	if (c->auth_failed) {
		why = TP_CLOSE_AUTH;
		if (send)
			ngtcp2_connection_close_error_set_transport_error_tls_alert(
			    &c->ccerr, TLS_ALERT_BAD_CERTIFICATE, NULL, 0);
	}
	if (why == TP_CLOSE_AUTH && c->state == QUIC_CONN_STARTED)
		c->t->base.hs_failed++;
	if (log_ratelim_allow(&fail_rl, clock_mono_ms()))
		log_debug(LD_QUIC, "QUIC conn %s failed: %s (%s)", c->fp, ngtcp2_strerror(liberr),
			  tp_close_reason_name(why));
	quic_conn_close(c, why, send);
}

static void arm_timer(struct quic_conn *c)
{
	ngtcp2_tstamp expiry = ngtcp2_conn_get_expiry(c->conn), now = quic_now();
	struct timeval tv;
	uint64_t us;

	if (expiry == UINT64_MAX) {
		evtimer_del(c->timer);
		return;
	}
	us = expiry > now ? (expiry - now + NGTCP2_MICROSECONDS - 1) / NGTCP2_MICROSECONDS : 0;
	tv.tv_sec = (time_t)(us / 1000000);
	tv.tv_usec = (suseconds_t)(us % 1000000);
	evtimer_add(c->timer, &tv);
}

static void on_timer(evutil_socket_t fd, short what, void *arg)
{
	struct quic_conn *c = arg;
	int rv;

	(void)fd;
	(void)what;
	if (c->state == QUIC_CONN_CLOSED)
		return;
	rv = ngtcp2_conn_handle_expiry(c->conn, quic_now());
	if (rv != 0) {
		conn_fail(c, rv);
		return;
	}
	quic_conn_after_io(c);
}

void quic_conn_send_pkt(struct quic_conn *c, const ngtcp2_path *path, const uint8_t *pkt,
			size_t len)
{
	const struct sockaddr_in6 *from = NULL, *to = &c->remote;

	if (path->remote.addrlen == sizeof(*to))
		to = (const struct sockaddr_in6 *)(const void *)path->remote.addr;
	/* A dialed connection lets the kernel pick the source, so a node
	 * whose address changes keeps working (the server migrates). */
	if (!c->base.initiator && path->local.addrlen == sizeof(*from))
		from = (const struct sockaddr_in6 *)(const void *)path->local.addr;
	c->stats.tx_bytes += len;
	(void)quic_transport_send(c->t, from, to, pkt, len);
}

/* RFC 9001 §6: keys are updated by time and volume, as on TCP links
 * (docs/quic.md). ngtcp2 refuses while the previous update is not yet
 * confirmed; we just try again after the next I/O. */
static void maybe_update_key(struct quic_conn *c)
{
	uint64_t now = clock_mono_ms();

	if (c->state != QUIC_CONN_ESTABLISHED)
		return;
	if (!c->key_ms)
		c->key_ms = c->established_ms;
	if (c->stats.tx_bytes - c->key_bytes < c->t->key_update_bytes &&
	    now - c->key_ms < c->t->key_update_ms)
		return;
	if (ngtcp2_conn_initiate_key_update(c->conn, quic_now()) != 0)
		return;
	c->key_ms = now;
	c->key_bytes = c->stats.tx_bytes;
	c->stats.rekeys++;
}

void quic_conn_after_io(struct quic_conn *c)
{
	uint8_t buf[QUIC_UDP_PAYLOAD_MAX];
	ngtcp2_path_storage ps;
	unsigned npkts = 0;
	int rv;

	if (c->state == QUIC_CONN_CLOSED)
		return;
	maybe_update_key(c);
	quic_stream_apply_resets(c);
	ngtcp2_path_storage_zero(&ps);
	rv = quic_stream_flush(c, buf, sizeof(buf), &ps.path, &npkts);
	if (rv != 0) {
		conn_fail(c, rv);
		return;
	}
	if (npkts >= QUIC_TX_BURST)
		quic_transport_schedule(c); /* more to send: after other work */
	quic_stream_notify_writable(c);
	if (c->state == QUIC_CONN_CLOSED)
		return;
	arm_timer(c);
}

/* Feed one datagram to ngtcp2 on the path it arrived by. Dialed
 * connections keep one local address (the socket's), so the path stays the
 * same when our own address changes. */
static int read_pkt(struct quic_conn *c, const struct sockaddr_in6 *local,
		    const struct sockaddr_in6 *remote, const uint8_t *pkt, size_t len)
{
	ngtcp2_pkt_info pi = {0};
	ngtcp2_path path;

	make_path(&path, c->base.initiator ? &c->local : local, remote);
	return ngtcp2_conn_read_pkt(c->conn, &path, &pi, pkt, len, quic_now());
}

void quic_conn_read(struct quic_conn *c, const struct sockaddr_in6 *local,
		    const struct sockaddr_in6 *remote, const uint8_t *pkt, size_t len)
{
	int rv;

	c->stats.rx_bytes += len;
	rv = read_pkt(c, local, remote, pkt, len);
	if (c->state == QUIC_CONN_CLOSED)
		return; /* closed by the layer above inside a callback */
	if (rv == NGTCP2_ERR_DISCARD_PKT) {
		c->stats.rx_dropped++;
		return;
	}
	if (rv != 0) {
		conn_fail(c, rv);
		return;
	}
	quic_transport_schedule(c);
}

bool quic_conn_try_reset(struct quic_conn *c, const struct sockaddr_in6 *local,
			 const struct sockaddr_in6 *remote, const uint8_t *pkt, size_t len)
{
	int rv = read_pkt(c, local, remote, pkt, len);

	if (c->state == QUIC_CONN_CLOSED)
		return false;
	if (rv == NGTCP2_ERR_DRAINING && c->got_reset) {
		conn_fail(c, rv);
		return true;
	}
	if (rv != 0 && rv != NGTCP2_ERR_DISCARD_PKT)
		conn_fail(c, rv);
	return false;
}

/* --- lifecycle ---------------------------------------------------------- */

static int conn_alloc(struct quic_transport *t, bool initiator, struct quic_conn **out)
{
	struct quic_conn *c = calloc(1, sizeof(*c));

	if (!c)
		return -ENOMEM;
	c->t = t;
	c->base.t = &t->base;
	c->base.initiator = initiator;
	c->conn_ref.get_conn = get_conn;
	c->conn_ref.user_data = c;
	c->state = QUIC_CONN_STARTED;
	strcpy(c->fp, "-");
	ngtcp2_connection_close_error_default(&c->ccerr);
	c->timer = evtimer_new(t->base.base, on_timer, c);
	if (!c->timer) {
		free(c);
		return -ENOMEM;
	}
	TAILQ_INSERT_TAIL(&t->conns, c, link);
	t->nconns++;
	t->nhandshaking++;
	*out = c;
	return 0;
}

static void conn_settings(ngtcp2_settings *s, ngtcp2_transport_params *p)
{
	ngtcp2_settings_default(s);
	s->initial_ts = quic_now();
	s->max_tx_udp_payload_size = QUIC_UDP_PAYLOAD_MAX;
	s->handshake_timeout = (uint64_t)TP_HANDSHAKE_TIMEOUT_MS * NGTCP2_MILLISECONDS;
	/* Windows are fixed: they open only as the layer above consumes
	 * (tp_stream_consumed), which is the end-to-end backpressure. */
	ngtcp2_transport_params_default(p);
	p->initial_max_stream_data_bidi_local = TP_STREAM_WINDOW;
	p->initial_max_stream_data_bidi_remote = TP_STREAM_WINDOW;
	p->initial_max_stream_data_uni = 0;
	p->initial_max_data = TP_CONN_WINDOW;
	p->initial_max_streams_bidi = TP_STREAMS_MAX;
	p->initial_max_streams_uni = 0;
	p->max_idle_timeout = (uint64_t)QUIC_IDLE_TIMEOUT_MS * NGTCP2_MILLISECONDS;
	p->max_datagram_frame_size = QUIC_DGRAM_FRAME_MAX;
	p->active_connection_id_limit = 4; /* spare CIDs for migration */
}

int quic_conn_new_client(struct quic_transport *t, const struct sockaddr_in6 *to,
			 const uint8_t remote_pk[32], void *conn_ctx, struct quic_conn **out_c)
{
	ngtcp2_transport_params p;
	ngtcp2_settings s;
	ngtcp2_cid dcid, scid;
	ngtcp2_path path;
	struct quic_conn *c;
	int r, rv;

	r = conn_alloc(t, true, &c);
	if (r < 0)
		return r;
	memcpy(c->remote_pk, remote_pk, sizeof(c->remote_pk));
	set_fp(c);
	c->conn_ctx = conn_ctx;
	c->upper_knows = true; /* the caller holds the pointer: `closed` is owed */
	c->local = t->bound;
	c->remote = *to;
	dcid.datalen = QUIC_CID_LEN;
	sec_random(dcid.data, dcid.datalen);
	r = issue_cid(c, &scid, QUIC_CID_LEN);
	if (r < 0)
		goto err;
	conn_settings(&s, &p);
	make_path(&path, &c->local, &c->remote);
	rv = ngtcp2_conn_client_new(&c->conn, &dcid, &scid, &path, NGTCP2_PROTO_VER_V1,
				    &client_callbacks, &s, &p, NULL, c);
	if (rv != 0) {
		c->conn = NULL;
		r = quic_errno_from_ngtcp2(rv);
		goto err;
	}
	r = quic_tls_session_new(c, false);
	if (r < 0)
		goto err;
	log_debug(LD_QUIC, "QUIC conn %s: dialing", c->fp);
	*out_c = c;
	return 0;

err:
	quic_conn_free(c);
	return r;
}

int quic_conn_new_server(struct quic_transport *t, const ngtcp2_pkt_hd *hd,
			 const struct sockaddr_in6 *local, const struct sockaddr_in6 *remote,
			 struct quic_conn **out_c)
{
	ngtcp2_transport_params p;
	ngtcp2_settings s;
	ngtcp2_cid scid;
	ngtcp2_path path;
	struct quic_conn *c;
	int r, rv;

	r = conn_alloc(t, false, &c);
	if (r < 0)
		return r;
	c->local = *local;
	c->remote = *remote;
	/* Route both our CID and the one the client made up (it uses that
	 * until our first Initial reaches it). */
	r = issue_cid(c, &scid, QUIC_CID_LEN);
	if (r == 0)
		r = quic_cid_add(&t->cids, c, hd->dcid.data, hd->dcid.datalen);
	if (r < 0)
		goto err;
	conn_settings(&s, &p);
	p.original_dcid = hd->dcid;
	p.stateless_reset_token_present = 1;
	r = quic_transport_reset_token(t, &scid, p.stateless_reset_token);
	if (r < 0)
		goto err;
	make_path(&path, &c->local, &c->remote);
	rv = ngtcp2_conn_server_new(&c->conn, &hd->scid, &scid, &path, hd->version,
				    &server_callbacks, &s, &p, NULL, c);
	if (rv != 0) {
		c->conn = NULL;
		r = quic_errno_from_ngtcp2(rv);
		goto err;
	}
	r = quic_tls_session_new(c, true);
	if (r < 0)
		goto err;
	*out_c = c;
	return 0;

err:
	quic_conn_free(c);
	return r;
}

void quic_conn_close(struct quic_conn *c, enum tp_close_reason why, bool send_close)
{
	if (c->state == QUIC_CONN_CLOSED)
		return;
	c->close_reason = why;
	c->send_close = send_close;
	release_hs_slot(c);
	set_state(c, QUIC_CONN_CLOSED);
	quic_transport_reap(c);
}

void quic_conn_send_close(struct quic_conn *c)
{
	uint8_t buf[QUIC_UDP_PAYLOAD_MAX];
	ngtcp2_path_storage ps;
	ngtcp2_pkt_info pi;
	ngtcp2_ssize n;

	if (!c->send_close || !c->conn)
		return;
	c->send_close = false;
	if (ngtcp2_conn_is_in_closing_period(c->conn) || ngtcp2_conn_is_in_draining_period(c->conn))
		return;
	ngtcp2_path_storage_zero(&ps);
	n = ngtcp2_conn_write_connection_close(c->conn, &ps.path, &pi, buf, sizeof(buf), &c->ccerr,
					       quic_now());
	if (n > 0)
		quic_conn_send_pkt(c, &ps.path, buf, (size_t)n);
}

void quic_conn_free(struct quic_conn *c)
{
	struct quic_transport *t;

	if (!c)
		return;
	t = c->t;
	release_hs_slot(c);
	if (c->state == QUIC_CONN_STARTED)
		t->nhandshaking--;
	if (c->in_pending)
		TAILQ_REMOVE(&t->pending, c, pending_link);
	if (c->in_reap)
		TAILQ_REMOVE(&t->reap, c, reap_link);
	TAILQ_REMOVE(&t->conns, c, link);
	t->nconns--;
	quic_cid_remove_conn(&t->cids, c);
	if (c->timer)
		event_free(c->timer);
	if (c->conn)
		ngtcp2_conn_del(c->conn);
	if (c->tls)
		gnutls_deinit(c->tls);
	quic_stream_free_all(c);
	free(c);
}
