/* transport/udp.c - the UDP transport object (transport.h, docs/wire.md
 * §3.9): its lifetime, dialing, the table of receiver indices that routes
 * every message to its session, the initiator timestamp table, the
 * connection state machine's transitions, and closing through a reaper.
 *
 * It does not own the socket I/O (udp_io.c: batched receive with GRO,
 * batched send with GSO), the handshakes (udp_conn.c) or the keys and the
 * datagram path (udp_data.c).
 */
#include "transport/udp_internal.h"

#include <assert.h>
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <arpa/inet.h>

#include <event2/event.h>
#include <sodium.h>

#include "identity/node_id.h"
#include "lib/clock.h"
#include "lib/log.h"
#include "lib/secure.h"
#include "lib/wire.h"
#include "transport/noise.h"
#include "transport/noise_cipher.h"
#include "transport/udp.h"

#define RESET_KEY_LABEL	  "vx6 udp reset key v1"
#define RESET_TOKEN_LABEL "vx6 udp reset token v1"

#define TO(s) (1u << (s))

static const unsigned conn_next[UDP_CONN__STATE_COUNT] = {
    [UDP_CONN_SENT_INIT] = TO(UDP_CONN_ESTABLISHED) | TO(UDP_CONN_CLOSED),
    [UDP_CONN_SENT_RESP] = TO(UDP_CONN_ESTABLISHED) | TO(UDP_CONN_CLOSED),
    [UDP_CONN_ESTABLISHED] = TO(UDP_CONN_CLOSED),
    [UDP_CONN_CLOSED] = 0,
};

static const char *const state_names[UDP_CONN__STATE_COUNT] = {
    [UDP_CONN_SENT_INIT] = "sent-init",
    [UDP_CONN_SENT_RESP] = "sent-resp",
    [UDP_CONN_ESTABLISHED] = "established",
    [UDP_CONN_CLOSED] = "closed",
};

void udp_conn_set_state(struct udp_conn *c, enum udp_conn_state to)
{
	assert(conn_next[c->state] & TO(to));
	log_debug(LD_LINK, "udp conn %p %s: %s -> %s", (void *)c, c->fp, state_names[c->state],
		  state_names[to]);
	c->state = to;
}

/* ---- the index table ---- */

static unsigned bucket_of(uint32_t id)
{
	/* Indices are uniformly random: their low bits are a fine hash. */
	return id & (UDP_INDEX_BUCKETS - 1);
}

struct udp_index *udp_index_find(const struct udp_transport *ut, uint32_t id)
{
	struct udp_index *e;

	for (e = ut->index[bucket_of(id)]; e; e = e->next)
		if (e->id == id)
			return e;
	return NULL;
}

/* Random indices: a peer cannot predict the index of another session, so
 * an unknown index costs us one table lookup and nothing else. */
static void index_put(struct udp_transport *ut, struct udp_index *idx, struct udp_conn *c,
		      struct udp_keypair *kp, uint32_t id)
{
	idx->id = id;
	idx->c = c;
	idx->kp = kp;
	idx->next = ut->index[bucket_of(id)];
	ut->index[bucket_of(id)] = idx;
}

int udp_index_add(struct udp_transport *ut, struct udp_index *idx, struct udp_conn *c,
		  struct udp_keypair *kp, uint32_t id)
{
	if (id) {
		if (udp_index_find(ut, id))
			return -EEXIST;
		index_put(ut, idx, c, kp, id);
		return 0;
	}
	for (unsigned tries = 0; tries < 8; tries++) {
		sec_random(&id, sizeof(id));
		if (id == 0 || udp_index_find(ut, id))
			continue;
		index_put(ut, idx, c, kp, id);
		return 0;
	}
	return -EAGAIN; /* only with a broken RNG: the table holds at most ~4k */
}

void udp_index_del(struct udp_transport *ut, struct udp_index *idx)
{
	struct udp_index **pp;

	if (idx->id == 0)
		return;
	for (pp = &ut->index[bucket_of(idx->id)]; *pp; pp = &(*pp)->next) {
		if (*pp == idx) {
			*pp = idx->next;
			break;
		}
	}
	idx->id = 0;
	idx->next = NULL;
}

/* ---- initiator timestamps, unauthenticated replies, reset tokens ---- */

bool udp_ts_accept(struct udp_transport *ut, const uint8_t pk[32], uint64_t ts_ms)
{
	struct udp_ts_entry *slot = NULL, *oldest = &ut->ts[0];
	uint64_t now = clock_mono_ms();

	for (unsigned i = 0; i < UDP_TS_TABLE; i++) {
		struct udp_ts_entry *e = &ut->ts[i];

		if (e->used_ms && memcmp(e->pk, pk, 32) == 0) {
			slot = e;
			break;
		}
		if (e->used_ms < oldest->used_ms)
			oldest = e;
	}
	if (slot && ts_ms <= slot->ts_ms)
		return false; /* a replayed (or reordered) initiation */
	if (!slot) {
		/* Forgetting the least recent key lets one old INIT of that key
		 * through once; it still cannot complete a handshake. */
		slot = oldest;
		memcpy(slot->pk, pk, 32);
	}
	slot->ts_ms = ts_ms;
	slot->used_ms = now ? now : 1;
	return true;
}

bool udp_bucket_take(struct udp_bucket *b, unsigned rate_per_s)
{
	uint64_t now = clock_mono_ms();
	uint64_t cap = rate_per_s * 1000u;

	if (!b->last_ms)
		b->tokens_milli = cap; /* a new bucket starts full */
	else
		b->tokens_milli += (now - b->last_ms) * rate_per_s;
	if (b->tokens_milli > cap)
		b->tokens_milli = cap;
	b->last_ms = now ? now : 1;
	if (b->tokens_milli < 1000)
		return false;
	b->tokens_milli -= 1000;
	return true;
}

/* token = BLAKE2b-128(key = reset_key, label || index u32): only we can
 * make it, and we can make it again after a restart. */
void udp_reset_token(const struct udp_transport *ut, uint32_t index,
		     uint8_t out[UDP_RESET_TOKEN_LEN])
{
	uint8_t in[sizeof(RESET_TOKEN_LABEL) - 1 + 4];

	memcpy(in, RESET_TOKEN_LABEL, sizeof(RESET_TOKEN_LABEL) - 1);
	wire_store_u32(in + sizeof(RESET_TOKEN_LABEL) - 1, index);
	crypto_generichash_blake2b(out, UDP_RESET_TOKEN_LEN, in, sizeof(in), ut->reset_key,
				   sizeof(ut->reset_key));
}

/* ---- connections: creation, closing, the reaper ---- */

static void conn_free(struct udp_conn *c)
{
	struct udp_transport *ut = c->ut;

	TAILQ_REMOVE(&ut->conns, c, link);
	ut->n_conns--;
	udp_conn_drop_keys(c);
	if (c->timer)
		event_free(c->timer);
	sec_wipe(c, sizeof(*c));
	free(c);
}

static void on_reap(evutil_socket_t fd, short what, void *arg)
{
	struct udp_transport *ut = arg;
	struct udp_conn *c;

	(void)fd;
	(void)what;
	while ((c = TAILQ_FIRST(&ut->reap))) {
		const struct tp_callbacks *cb = &ut->base.cb;

		TAILQ_REMOVE(&ut->reap, c, reap_link);
		c->in_reap = false;
		if (c->reported && cb->closed)
			cb->closed(cb->ctx, &c->base, c->why);
		conn_free(c);
	}
}

/* Safe from any callback: marks `c` dead, sends CLOSE when the peer has
 * keys to read it, wipes the keys and leaves the freeing to the reaper. */
void udp_conn_close(struct udp_conn *c, enum tp_close_reason why)
{
	struct udp_transport *ut = c->ut;

	if (c->dead)
		return;
	if (c->state == UDP_CONN_ESTABLISHED && c->cur && why != TP_CLOSE_REMOTE &&
	    why != TP_CLOSE_IO) {
		uint8_t reason = (uint8_t)why;

		(void)udp_conn_send_sealed(c, c->cur, UDP_MSG_CLOSE, &reason, 1);
		udp_txq_schedule(ut);
	}
	c->dead = true;
	c->why = why;
	udp_conn_set_state(c, UDP_CONN_CLOSED);
	if (c->hs_slot) {
		hs_limit_done(&ut->base.limit, &c->hs_src);
		c->hs_slot = false;
	}
	udp_conn_drop_keys(c); /* later packets for it meet an unknown index */
	if (c->timer)
		evtimer_del(c->timer);
	if (!c->in_reap && !ut->freeing) {
		c->in_reap = true;
		TAILQ_INSERT_TAIL(&ut->reap, c, reap_link);
		event_active(ut->reap_ev, EV_TIMEOUT, 0);
	}
}

void udp_conn_established(struct udp_conn *c)
{
	struct udp_transport *ut = c->ut;
	const struct tp_callbacks *cb = &ut->base.cb;
	int r = 0;

	udp_conn_set_state(c, UDP_CONN_ESTABLISHED);
	if (c->hs_slot) {
		hs_limit_done(&ut->base.limit, &c->hs_src);
		c->hs_slot = false;
	}
	ut->base.hs_completed++;
	udp_conn_arm(c);
	if (cb->established)
		r = cb->established(cb->ctx, &c->base, c->remote_pk, c->conn_ctx);
	if (r < 0) {
		c->reported = false; /* the layer above refused it and knows */
		udp_conn_close(c, TP_CLOSE_REFUSED);
		return;
	}
	c->reported = true;
}

struct udp_conn *udp_conn_new(struct udp_transport *ut, bool initiator,
			      const struct sockaddr_in6 *peer)
{
	struct udp_conn *c;

	if (ut->n_conns >= UDP_CONNS_MAX)
		return NULL;
	c = calloc(1, sizeof(*c));
	if (!c)
		return NULL;
	c->base.t = &ut->base;
	c->base.initiator = initiator;
	c->ut = ut;
	c->peer = *peer;
	c->state = initiator ? UDP_CONN_SENT_INIT : UDP_CONN_SENT_RESP;
	c->created_ms = clock_mono_ms();
	strcpy(c->fp, "?");
	c->timer = evtimer_new(ut->base.base, udp_conn_on_timer, c);
	if (!c->timer) {
		free(c);
		return NULL;
	}
	TAILQ_INSERT_TAIL(&ut->conns, c, link);
	ut->n_conns++;
	return c;
}

static void set_fp(char out[9], const uint8_t pk[32])
{
	struct node_id id;

	node_id_from_pubkey(&id, pk);
	node_id_fingerprint(&id, out);
}

void udp_conn_fingerprint(struct udp_conn *c)
{
	set_fp(c->fp, c->remote_pk);
}

static int udp_dial(struct transport *t, const struct sockaddr_in6 *to, const uint8_t remote_pk[32],
		    void *conn_ctx, struct tp_conn **out_conn)
{
	struct udp_transport *ut = (struct udp_transport *)t;
	struct udp_conn *c;
	int r;

	if (to->sin6_family != AF_INET6)
		return -EAFNOSUPPORT;
	if (to->sin6_port == 0 || IN6_IS_ADDR_UNSPECIFIED(&to->sin6_addr))
		return -EINVAL;
	if (ut->freeing)
		return -ESHUTDOWN;
	c = udp_conn_new(ut, true, to);
	if (!c)
		return ut->n_conns >= UDP_CONNS_MAX ? -ENOSPC : -ENOMEM;
	memcpy(c->remote_pk, remote_pk, 32);
	udp_conn_fingerprint(c);
	c->conn_ctx = conn_ctx;
	r = udp_conn_start_handshake(c);
	if (r < 0) {
		udp_conn_close(c, TP_CLOSE_LOCAL); /* not reported: the caller knows */
		return r;
	}
	c->reported = true; /* a dialed connection always ends in `closed` */
	*out_conn = &c->base;
	return 0;
}

/* ---- transport_ops ---- */

static int udp_stream_open(struct tp_conn *c, uint64_t *out_sid)
{
	(void)c;
	(void)out_sid;
	return -EPROTONOSUPPORT;
}

static ssize_t udp_stream_write(struct tp_conn *c, uint64_t sid, const uint8_t *buf, size_t len,
				bool fin)
{
	(void)c;
	(void)sid;
	(void)buf;
	(void)len;
	(void)fin;
	return -EPROTONOSUPPORT;
}

static void udp_stream_consumed(struct tp_conn *c, uint64_t sid, size_t n)
{
	(void)c;
	(void)sid;
	(void)n;
}

static int udp_stream_reset(struct tp_conn *c, uint64_t sid, uint32_t code)
{
	(void)c;
	(void)sid;
	(void)code;
	return -EPROTONOSUPPORT;
}

static void udp_close_op(struct tp_conn *c, enum tp_close_reason why)
{
	udp_conn_close((struct udp_conn *)c, why);
}

static void udp_get_stats(const struct tp_conn *c, struct tp_conn_stats *out)
{
	const struct udp_conn *uc = (const struct udp_conn *)c;

	*out = uc->stats;
	out->cipher = uc->cur ? noise_cipher_name(uc->cur->tx) : NULL;
}

static void udp_get_peer(const struct tp_conn *c, struct sockaddr_in6 *out)
{
	*out = ((const struct udp_conn *)c)->peer;
}

static int udp_local_addr(const struct transport *t, struct sockaddr_in6 *out)
{
	const struct udp_transport *ut = (const struct udp_transport *)t;

	if (!ut->listening)
		return -ENOTCONN;
	*out = ut->bound;
	return 0;
}

static void udp_free(struct transport *t)
{
	struct udp_transport *ut = (struct udp_transport *)t;
	struct udp_conn *c;

	ut->base.cb = (struct tp_callbacks){0}; /* no upcalls while tearing down */
	TAILQ_FOREACH(c, &ut->conns, link)
	if (!c->dead)
		udp_conn_close(c, TP_CLOSE_LOCAL); /* queues CLOSE to the peer */
	ut->freeing = true;
	if (ut->fd >= 0)
		udp_txq_flush(ut); /* best effort: the CLOSEs */
	while ((c = TAILQ_FIRST(&ut->conns))) {
		if (c->in_reap)
			TAILQ_REMOVE(&ut->reap, c, reap_link);
		conn_free(c);
	}
	if (ut->rx_ev)
		event_free(ut->rx_ev);
	if (ut->tx_ev)
		event_free(ut->tx_ev);
	if (ut->reap_ev)
		event_free(ut->reap_ev);
	if (ut->fd >= 0)
		close(ut->fd);
	noise_handshake_free(ut->resp_hs);
	free(ut->txq);
	free(ut->rxq);
	sec_wipe(ut->x_priv, sizeof(ut->x_priv));
	sec_wipe(ut->reset_key, sizeof(ut->reset_key));
	free(ut);
}

const struct transport_ops udp_ops = {
    .kind = TRANSPORT_UDP,
    .name = "udp",
    .dial = udp_dial,
    .datagram_send = udp_datagram_send,
    .datagram_send_batch = udp_datagram_send_batch,
    .stream_open = udp_stream_open,
    .stream_write = udp_stream_write,
    .stream_consumed = udp_stream_consumed,
    .stream_reset = udp_stream_reset,
    .close = udp_close_op,
    .get_stats = udp_get_stats,
    .get_peer = udp_get_peer,
    .local_addr = udp_local_addr,
    .free = udp_free,
};

static int udp_init_keys(struct udp_transport *ut, const struct tp_identity *id)
{
	uint8_t h[SEC_HASH256_LEN];
	int r;

	ut->ident = *id;
	set_fp(ut->fp, id->ed25519_pk);
	r = noise_x25519_from_ed25519_sk(ut->x_priv, id->ed25519_sk);
	if (r < 0)
		return r;
	/* RESET tokens must survive a restart (that is when they are sent),
	 * so the key comes from the node key, under its own label. */
	sec_hash256(h, RESET_KEY_LABEL, id->ed25519_sk, SEC_ED25519_SEED_LEN);
	memcpy(ut->reset_key, h, sizeof(ut->reset_key));
	sec_wipe(h, sizeof(h));
	return 0;
}

static int udp_init_events(struct udp_transport *ut, struct event_base *base)
{
	ut->rx_ev = event_new(base, ut->fd, EV_READ | EV_PERSIST, udp_on_readable, ut);
	ut->tx_ev = event_new(base, ut->fd, EV_WRITE, udp_on_tx, ut);
	ut->reap_ev = event_new(base, -1, 0, on_reap, ut);
	if (!ut->rx_ev || !ut->tx_ev || !ut->reap_ev)
		return -ENOMEM;
	if (event_add(ut->rx_ev, NULL) < 0)
		return -EIO;
	return 0;
}

int tp_udp_new(struct event_base *base, const struct tp_identity *id,
	       const struct sockaddr_in6 *listen, const struct tp_callbacks *cb,
	       struct transport **out_t)
{
	struct udp_transport *ut = calloc(1, sizeof(*ut));
	int r;

	if (!ut)
		return -ENOMEM;
	ut->fd = -1; /* lets udp_free() handle a half-built transport */
	ut->base.ops = &udp_ops;
	ut->base.base = base;
	ut->base.cb = *cb;
	ut->listening = listen != NULL;
	TAILQ_INIT(&ut->conns);
	TAILQ_INIT(&ut->reap);
	hs_limit_init(&ut->base.limit, TP_PENDING_HS_MAX, TP_PENDING_HS_PER_IP);
	ut->rekey_after_ms = UDP_REKEY_AFTER_MS;
	ut->rekey_after_msgs = UDP_REKEY_AFTER_MESSAGES;
	ut->reject_after_ms = UDP_REKEY_AFTER_MS + UDP_REJECT_GRACE_MS;
	ut->retransmit_ms = UDP_RETRANSMIT_MS;
	ut->hs_timeout_ms = TP_HANDSHAKE_TIMEOUT_MS;
	ut->cipher = (uint8_t)noise_cipher_default();
	ut->txq = malloc(UDP_TXQ_BYTES);
	ut->rxq = malloc((size_t)UDP_RX_SLOTS * UDP_RX_SLOT_LEN);
	ut->resp_hs = noise_handshake_new();
	r = ut->txq && ut->rxq && ut->resp_hs ? 0 : -ENOMEM;
	if (r == 0)
		r = udp_init_keys(ut, id);
	if (r == 0)
		r = udp_socket_open(ut, listen);
	if (r == 0)
		r = udp_init_events(ut, base);
	if (r < 0) {
		udp_free(&ut->base);
		return r;
	}
	log_debug(LD_LINK, "UDP transport %s bound to port %u%s (GSO %s, GRO %s, %s)", ut->fp,
		  (unsigned)ntohs(ut->bound.sin6_port), ut->listening ? "" : " (dial only)",
		  ut->gso_on ? "on" : "off", ut->gro ? "on" : "off",
		  noise_cipher_suite_name((enum noise_cipher_suite)ut->cipher));
	*out_t = &ut->base;
	return 0;
}

/* ---- udp.h ---- */

static struct udp_transport *as_udp(const struct transport *t)
{
	return t && t->ops == &udp_ops ? (struct udp_transport *)t : NULL;
}

void udp_transport_get_stats(const struct transport *t, struct udp_transport_stats *out)
{
	const struct udp_transport *ut = as_udp(t);
	const struct udp_conn *c;

	memset(out, 0, sizeof(*out));
	if (!ut)
		return;
	*out = ut->stats;
	out->conns = ut->n_conns;
	TAILQ_FOREACH(c, &ut->conns, link)
	out->conns_handshaking += c->state == UDP_CONN_SENT_INIT || c->state == UDP_CONN_SENT_RESP;
	out->gso = ut->gso_on;
	out->gro = ut->gro;
	out->cipher = ut->cipher;
}

int udp_transport_set_cipher(struct transport *t, unsigned cipher)
{
	struct udp_transport *ut = as_udp(t);

	if (!ut || cipher > UDP_CIPHER_AESGCM)
		return -EINVAL;
	ut->cipher = (uint8_t)cipher;
	return 0;
}

void udp_transport_set_rekey(struct transport *t, uint64_t after_ms, uint64_t after_messages)
{
	struct udp_transport *ut = as_udp(t);

	if (!ut)
		return;
	ut->rekey_after_ms = after_ms;
	ut->rekey_after_msgs = after_messages;
	ut->reject_after_ms = after_ms + UDP_REJECT_GRACE_MS;
}

void udp_transport_set_handshake(struct transport *t, uint64_t retransmit_ms, uint64_t timeout_ms)
{
	struct udp_transport *ut = as_udp(t);

	if (!ut || retransmit_ms < 3)
		return;
	ut->retransmit_ms = retransmit_ms;
	ut->hs_timeout_ms = timeout_ms;
}

void udp_transport_set_gso(struct transport *t, bool on)
{
	struct udp_transport *ut = as_udp(t);

	if (ut)
		ut->gso_on = on && ut->gso_kernel;
}

_Static_assert(UDP_CIPHER_CHACHAPOLY == NOISE_CIPHER_CHACHAPOLY &&
		   UDP_CIPHER_AESGCM == NOISE_CIPHER_AESGCM,
	       "the INIT's cipher byte is enum noise_cipher_suite");
