/* transport/udp_conn.c - the UDP link's handshakes (docs/wire.md §3.9):
 * Noise IK over single datagrams, with retransmission, admission control,
 * renewal of the keys of a live session (rekey), and the two unauthenticated
 * answers: REJECT (an INIT we could not authenticate) and RESET (DATA for an
 * index we do not know, typically after a restart).
 *
 * Handshake (initiator I, responder R; I knows R's Ed25519 key, both map
 * their keys to X25519 for Noise, docs/noise.md §3.3):
 *   I -> R  INIT: sender index i, session s (0 = a new connection, else
 *           R's index of the session this renews), IK -> e, es, s, ss with
 *           payload {version, flags, I's Ed25519 key, timestamp}. R checks
 *           map(I's key) == I's static key and that the timestamp grew.
 *   R -> I  RESP: sender index r, receiver i, IK <- e, ee, se with payload
 *           {version, flags, RESET token for r}. I is done: R proved the
 *           key I dialed. I uses the new keys at once.
 *   I -> R  DATA under the new keys (empty if I has nothing to send): only
 *           now does R know I holds this handshake's ephemeral key (a
 *           replayed INIT cannot get here), so only now does R use the keys
 *           and report a new connection.
 * An unanswered INIT is sent again, as a fresh handshake (new ephemeral key,
 * new timestamp), every second with jitter until the deadline.
 */
#include "transport/udp_internal.h"

#include <errno.h>
#include <string.h>
#include <arpa/inet.h>

#include <event2/event.h>

#include "lib/clock.h"
#include "lib/log.h"
#include "lib/secure.h"
#include "transport/noise.h"
#include "transport/noise_cipher.h"

static struct log_ratelim refuse_rl = LOG_RATELIM_INIT(1000, 5);

static uint64_t next_timestamp(struct udp_transport *ut)
{
	uint64_t now = clock_wall_s() * 1000 + clock_mono_ms() % 1000;

	/* Strictly growing within this process, wall clock across restarts. */
	ut->last_ts_sent = now > ut->last_ts_sent ? now : ut->last_ts_sent + 1;
	return ut->last_ts_sent;
}

/* A fresh IK message 1 from c->hs (re-initialized: every INIT, retransmits
 * included, is a new handshake) into `pkt`. */
static int build_init(struct udp_conn *c, uint8_t pkt[UDP_INIT_LEN])
{
	struct udp_transport *ut = c->ut;
	struct udp_init_payload p;
	uint8_t rs[32], payload[UDP_INIT_PAYLOAD_LEN], msg1[UDP_IK_MSG1_LEN];
	struct udp_msg m = {.type = UDP_MSG_INIT, .sender = c->hs_idx.id, .body = msg1};
	size_t len;
	int r;

	r = noise_x25519_from_ed25519_pk(rs, c->remote_pk);
	c->hs_cipher = ut->cipher;
	m.cipher = c->hs_cipher;
	if (r == 0)
		r = noise_handshake_init(c->hs, NOISE_PATTERN_IK, c->hs_cipher, true,
					 (const uint8_t *)UDP_PROLOGUE, strlen(UDP_PROLOGUE),
					 ut->x_priv, rs);
	if (r < 0)
		return r;
	memcpy(p.ed25519_pk, ut->ident.ed25519_pk, 32);
	p.timestamp_ms = next_timestamp(ut);
	udp_init_payload_encode(&p, payload);
	r = noise_handshake_write_message(c->hs, payload, sizeof(payload), msg1, sizeof(msg1),
					  &len);
	if (r < 0)
		return r;
	memcpy(c->hs_e, msg1, sizeof(c->hs_e)); /* "e" travels first, in clear */
	m.body_len = len;
	if (c->state == UDP_CONN_ESTABLISHED && c->cur)
		m.session = c->cur->remote_index;
	return udp_msg_encode(&m, pkt, UDP_INIT_LEN, &len);
}

static uint64_t jittered(const struct udp_transport *ut)
{
	/* Up to a third early, so peers that started together drift apart. */
	return ut->retransmit_ms - sec_random_uniform((uint32_t)(ut->retransmit_ms / 3));
}

static int send_init(struct udp_conn *c)
{
	struct udp_transport *ut = c->ut;
	uint8_t pkt[UDP_INIT_LEN];
	int r;

	r = build_init(c, pkt);
	if (r < 0)
		return r;
	c->hs_sent_ms = clock_mono_ms();
	c->hs_next_ms = c->hs_sent_ms + jittered(ut);
	c->stats.tx_bytes += sizeof(pkt);
	/* A full queue is no reason to give up: the retransmit timer tries
	 * again until the deadline. */
	(void)udp_txq_push(ut, &c->peer, &c->local, pkt, sizeof(pkt));
	return 0;
}

int udp_conn_start_handshake(struct udp_conn *c)
{
	struct udp_transport *ut = c->ut;
	int r;

	if (!c->hs) {
		c->hs = noise_handshake_new();
		if (!c->hs)
			return -ENOMEM;
		r = udp_index_add(ut, &c->hs_idx, c, NULL, 0);
		if (r < 0) {
			c->hs = noise_handshake_free(c->hs);
			return r;
		}
		c->hs_started_ms = clock_mono_ms();
	}
	r = send_init(c);
	if (r < 0)
		return r;
	udp_conn_arm(c);
	return 0;
}

/* ---- timers ---- */

static uint64_t conn_deadline(const struct udp_conn *c)
{
	const struct udp_transport *ut = c->ut;

	switch (c->state) {
	case UDP_CONN_SENT_INIT:
		return c->hs_started_ms + ut->hs_timeout_ms;
	case UDP_CONN_SENT_RESP:
		return c->created_ms + ut->hs_timeout_ms;
	case UDP_CONN_ESTABLISHED:
		/* Keys that could not be renewed in time end the connection:
		 * the peer is gone or cannot answer our INITs. */
		return c->cur ? c->cur->born_ms + ut->reject_after_ms : 0;
	default:
		return 0;
	}
}

void udp_conn_arm(struct udp_conn *c)
{
	uint64_t now = clock_mono_ms(), at = conn_deadline(c), wait;
	struct timeval tv;

	if (c->dead)
		return;
	if (c->hs && (at == 0 || c->hs_next_ms < at))
		at = c->hs_next_ms;
	if (at == 0) {
		evtimer_del(c->timer);
		return;
	}
	wait = at > now ? at - now : 0;
	tv.tv_sec = (time_t)(wait / 1000);
	tv.tv_usec = (suseconds_t)(wait % 1000 * 1000);
	evtimer_add(c->timer, &tv);
}

void udp_conn_on_timer(int fd, short what, void *arg)
{
	struct udp_conn *c = arg;
	uint64_t now = clock_mono_ms(), deadline;

	(void)fd;
	(void)what;
	if (c->dead)
		return;
	deadline = conn_deadline(c);
	if (deadline && now >= deadline) {
		log_debug(LD_LINK, "udp conn %s: %s timed out", c->fp,
			  c->state == UDP_CONN_ESTABLISHED ? "keys" : "handshake");
		if (c->state != UDP_CONN_ESTABLISHED)
			c->ut->base.hs_failed++;
		udp_conn_close(c, TP_CLOSE_TIMEOUT);
		return;
	}
	if (c->hs && now >= c->hs_next_ms && send_init(c) < 0) {
		udp_conn_close(c, TP_CLOSE_LOCAL);
		return;
	}
	udp_conn_arm(c);
}

/* ---- responder ---- */

/* Read an INIT with the scratch handshake and check who sent it. */
static int read_init(struct udp_transport *ut, const struct udp_msg *m,
		     struct udp_init_payload *out)
{
	uint8_t payload[UDP_INIT_PAYLOAD_LEN];
	size_t plen;
	int r;

	r = noise_handshake_init(ut->resp_hs, NOISE_PATTERN_IK, m->cipher, false,
				 (const uint8_t *)UDP_PROLOGUE, strlen(UDP_PROLOGUE), ut->x_priv,
				 NULL);
	if (r == 0)
		r = noise_handshake_read_message(ut->resp_hs, m->body, m->body_len, payload,
						 sizeof(payload), &plen);
	if (r == 0)
		r = udp_init_payload_decode(out, payload, plen);
	if (r == 0)
		r = noise_handshake_check_remote_ed25519(ut->resp_hs, out->ed25519_pk);
	sec_wipe(payload, sizeof(payload));
	return r;
}

/* IK message 2 from the scratch handshake: new keys for `c` (in `next`). */
static int respond(struct udp_transport *ut, struct udp_conn *c, const struct udp_msg *m)
{
	uint8_t token[UDP_RESET_TOKEN_LEN], rp[UDP_RESP_PAYLOAD_LEN], msg2[UDP_IK_MSG2_LEN];
	uint8_t pkt[UDP_RESP_LEN];
	struct udp_msg out = {.type = UDP_MSG_RESP, .receiver = m->sender, .body = msg2};
	struct udp_keypair *kp;
	size_t len;
	int r;

	kp = udp_keypair_new(ut, c, false, 0);
	if (!kp)
		return -ENOMEM;
	kp->remote_index = m->sender;
	udp_reset_token(ut, kp->idx.id, token);
	udp_resp_payload_encode(token, rp);
	r = noise_handshake_write_message(ut->resp_hs, rp, sizeof(rp), msg2, sizeof(msg2), &len);
	if (r == 0)
		r = noise_handshake_split(ut->resp_hs, kp->tx, kp->rx);
	if (r == 0)
		ut->stats.keys_made[m->cipher]++;
	out.sender = kp->idx.id;
	out.body_len = len;
	if (r == 0)
		r = udp_msg_encode(&out, pkt, sizeof(pkt), &len);
	if (r < 0) {
		udp_keypair_free(ut, kp);
		return r;
	}
	udp_conn_install(c, kp);
	c->stats.tx_bytes += len;
	(void)udp_txq_push(ut, &c->peer, &c->local, pkt, len); /* lost: the INIT comes again */
	return 0;
}

static void send_reject(struct udp_transport *ut, const struct udp_msg *m,
			const struct sockaddr_in6 *from, const struct in6_pktinfo *local)
{
	struct udp_msg out = {.type = UDP_MSG_REJECT,
			      .receiver = m->sender,
			      .body = m->body, /* the INIT's "e": only its sender knows it */
			      .body_len = UDP_ECHO_LEN};
	uint8_t pkt[UDP_REJECT_LEN];
	size_t len;

	if (!udp_bucket_take(&ut->reply, UDP_REPLY_RATE_PER_S) ||
	    udp_msg_encode(&out, pkt, sizeof(pkt), &len) < 0)
		return;
	if (udp_txq_push(ut, from, local, pkt, len) == 0)
		ut->stats.rejects_sent++;
}

/* Which connection an authenticated INIT belongs to: the session it names
 * (a rekey), or an accepted one it already created (a retransmit), or none
 * (a new connection). */
static struct udp_conn *init_target(struct udp_transport *ut, const struct udp_msg *m,
				    const uint8_t pk[32])
{
	struct udp_index *idx = m->session ? udp_index_find(ut, m->session) : NULL;
	struct udp_conn *c;

	if (idx && idx->kp && memcmp(idx->c->remote_pk, pk, 32) == 0)
		return idx->c;
	TAILQ_FOREACH(c, &ut->conns, link)
	if (!c->dead && !c->base.initiator && c->peer_sender == m->sender &&
	    memcmp(c->remote_pk, pk, 32) == 0)
		return c;
	return NULL;
}

/* Both sides started a rekey at once. Two crossing handshakes would both
 * complete and rotate the keys twice, dropping packets in flight under
 * the keys in between; so one yields: the side with the greater Ed25519
 * key abandons its own handshake and answers, the other ignores the
 * peer's INIT and waits for the answer to its own. Return whether we
 * answer. */
static bool yield_to_peer(struct udp_conn *c)
{
	if (memcmp(c->ut->ident.ed25519_pk, c->remote_pk, 32) < 0) {
		log_debug(LD_LINK, "udp conn %s: crossing rekeys; ours goes on", c->fp);
		return false;
	}
	log_debug(LD_LINK, "udp conn %s: crossing rekeys; answering the peer's", c->fp);
	udp_index_del(c->ut, &c->hs_idx);
	c->hs = noise_handshake_free(c->hs);
	return true;
}

static void refuse(struct udp_transport *ut, enum hs_limit_verdict v)
{
	if (v == HS_LIMIT_RATE)
		ut->base.hs_refused_rate++;
	else
		ut->base.hs_refused_cap++;
	if (log_ratelim_allow(&refuse_rl, clock_mono_ms()))
		log_info(LD_LINK, "Refused a UDP handshake: %s",
			 v == HS_LIMIT_RATE ? "source over its rate" : "too many pending");
}

static void accept_new(struct udp_transport *ut, const struct udp_msg *m,
		       const struct udp_init_payload *p, const struct sockaddr_in6 *from,
		       const struct in6_pktinfo *local)
{
	struct udp_conn *c = udp_conn_new(ut, false, from);

	if (!c) {
		hs_limit_done(&ut->base.limit, &from->sin6_addr);
		refuse(ut, HS_LIMIT_CAP);
		return;
	}
	c->hs_slot = true; /* given back when confirmed or closed */
	c->hs_src = from->sin6_addr;
	c->peer_sender = m->sender;
	c->local = *local;
	memcpy(c->remote_pk, p->ed25519_pk, 32);
	udp_conn_fingerprint(c);
	if (respond(ut, c, m) < 0) {
		udp_conn_close(c, TP_CLOSE_LOCAL);
		return;
	}
	udp_conn_arm(c);
}

void udp_on_init(struct udp_transport *ut, const struct udp_msg *m, const struct sockaddr_in6 *from,
		 const struct in6_pktinfo *local)
{
	enum hs_limit_verdict v;
	struct udp_init_payload p;
	struct udp_conn *c;

	if (!ut->listening && m->session == 0) {
		udp_count_garbage(ut, from, "not accepting connections");
		return;
	}
	/* Every INIT costs us DH operations: admission first. */
	v = hs_limit_admit(&ut->base.limit, &from->sin6_addr, clock_mono_ms());
	if (v != HS_LIMIT_OK) {
		refuse(ut, v);
		return;
	}
	if (read_init(ut, m, &p) < 0) {
		hs_limit_done(&ut->base.limit, &from->sin6_addr);
		ut->base.hs_failed++;
		udp_count_garbage(ut, from, "INIT did not authenticate");
		send_reject(ut, m, from, local);
		return;
	}
	if (!udp_ts_accept(ut, p.ed25519_pk, p.timestamp_ms)) {
		hs_limit_done(&ut->base.limit, &from->sin6_addr);
		udp_count_garbage(ut, from, "replayed INIT");
		return;
	}
	c = init_target(ut, m, p.ed25519_pk);
	if (!c) {
		accept_new(ut, m, &p, from, local);
		return;
	}
	hs_limit_done(&ut->base.limit, &from->sin6_addr); /* not a new connection */
	if (c->state == UDP_CONN_ESTABLISHED && !m->session) {
		udp_count_garbage(ut, from, "INIT for a connection already confirmed");
		return;
	}
	if (c->hs && c->state == UDP_CONN_ESTABLISHED && !yield_to_peer(c))
		return;
	udp_conn_roam(c, from, local); /* authenticated, and fresh */
	if (respond(ut, c, m) < 0)
		udp_conn_close(c, TP_CLOSE_LOCAL);
}

/* ---- initiator ---- */

static struct udp_conn *handshake_of(struct udp_transport *ut, uint32_t receiver)
{
	struct udp_index *idx = udp_index_find(ut, receiver);

	if (!idx || idx->kp || idx->c->dead || !idx->c->hs)
		return NULL;
	return idx->c;
}

/* IK message 2: new keys, which the initiator uses at once. */
static int finish_handshake(struct udp_conn *c, const struct udp_msg *m)
{
	struct udp_transport *ut = c->ut;
	uint8_t payload[UDP_RESP_PAYLOAD_LEN], token[UDP_RESET_TOKEN_LEN];
	struct udp_keypair *kp;
	uint32_t id = c->hs_idx.id;
	size_t plen;
	int r;

	r = noise_handshake_read_message(c->hs, m->body, m->body_len, payload, sizeof(payload),
					 &plen);
	if (r == 0)
		r = udp_resp_payload_decode(token, payload, plen);
	if (r < 0)
		return r;
	/* The handshake's index becomes the keys' index: the peer already
	 * uses it as receiver index. */
	udp_index_del(ut, &c->hs_idx);
	kp = udp_keypair_new(ut, c, true, id);
	if (!kp)
		return -ENOMEM;
	r = noise_handshake_split(c->hs, kp->tx, kp->rx);
	if (r < 0) {
		udp_keypair_free(ut, kp);
		return r;
	}
	ut->stats.keys_made[c->hs_cipher]++;
	c->hs = noise_handshake_free(c->hs);
	kp->remote_index = m->sender;
	memcpy(kp->token, token, sizeof(token));
	kp->has_token = true;
	udp_conn_install(c, kp);
	return 0;
}

void udp_on_resp(struct udp_transport *ut, const struct udp_msg *m, const struct sockaddr_in6 *from,
		 const struct in6_pktinfo *local)
{
	struct udp_conn *c = handshake_of(ut, m->receiver);
	uint64_t rtt_ms;
	int r;

	if (!c) {
		udp_count_garbage(ut, from, "RESP for no handshake");
		return;
	}
	rtt_ms = clock_mono_ms() - c->hs_sent_ms;
	r = finish_handshake(c, m);
	if (r == -EBADMSG || r == -EPROTONOSUPPORT) {
		/* Our handshake state is spent; the next retransmit starts a
		 * fresh one. A forged RESP costs us nothing more. */
		udp_count_garbage(ut, from, "RESP did not authenticate");
		return;
	}
	if (r < 0) {
		udp_conn_close(c, TP_CLOSE_LOCAL);
		return;
	}
	c->stats.rx_bytes += UDP_RESP_LEN;
	c->stats.rtt_us = rtt_ms * 1000;
	udp_conn_roam(c, from, local);
	/* Key confirmation for the responder, and our first use of the keys. */
	(void)udp_conn_send_sealed(c, c->cur, UDP_MSG_DATA, NULL, 0);
	udp_txq_schedule(ut);
	if (c->state == UDP_CONN_SENT_INIT) {
		udp_conn_established(c);
		return;
	}
	c->stats.rekeys++;
	udp_conn_arm(c);
}

void udp_on_reject(struct udp_transport *ut, const struct udp_msg *m,
		   const struct sockaddr_in6 *from)
{
	struct udp_conn *c = handshake_of(ut, m->receiver);

	if (!c || !sec_equal(m->body, c->hs_e, sizeof(c->hs_e))) {
		udp_count_garbage(ut, from, "REJECT for no handshake of ours");
		return;
	}
	log_debug(LD_LINK, "udp conn %s: the peer could not authenticate our INIT", c->fp);
	ut->base.hs_failed++;
	udp_conn_close(c, TP_CLOSE_AUTH);
}

/* ---- RESET ---- */

void udp_send_reset(struct udp_transport *ut, const struct udp_msg *m,
		    const struct sockaddr_in6 *from, const struct in6_pktinfo *local)
{
	uint8_t token[UDP_RESET_TOKEN_LEN], pkt[UDP_RESET_LEN];
	struct udp_msg out = {.type = UDP_MSG_RESET,
			      .receiver = m->receiver,
			      .body = token,
			      .body_len = sizeof(token)};
	size_t len;

	/* Shorter than the DATA that caused it (24 < 32): no amplification. */
	if (!udp_bucket_take(&ut->reply, UDP_REPLY_RATE_PER_S))
		return;
	udp_reset_token(ut, m->receiver, token);
	if (udp_msg_encode(&out, pkt, sizeof(pkt), &len) == 0 &&
	    udp_txq_push(ut, from, local, pkt, len) == 0)
		ut->stats.resets_sent++;
}

static bool same_endpoint(const struct sockaddr_in6 *a, const struct sockaddr_in6 *b)
{
	return a->sin6_port == b->sin6_port &&
	       memcmp(&a->sin6_addr, &b->sin6_addr, sizeof(a->sin6_addr)) == 0;
}

/* Only the current keys' index counts: after a rotation the peer may
 * rightly have forgotten older ones and say so. */
void udp_on_reset(struct udp_transport *ut, const struct udp_msg *m,
		  const struct sockaddr_in6 *from)
{
	struct udp_conn *c;

	/* Forging a RESET is cheap and each one scans the connections:
	 * beyond the rate, RESETs are dropped unread (a genuine one lost
	 * leaves the link layer's liveness timer to notice). */
	if (!udp_bucket_take(&ut->reset_rx, UDP_RESET_RX_RATE_PER_S)) {
		udp_count_garbage(ut, from, "RESET over the rate");
		return;
	}
	TAILQ_FOREACH(c, &ut->conns, link)
	{
		struct udp_keypair *kp = c->cur;

		if (c->dead || !kp || !kp->has_token || kp->remote_index != m->receiver ||
		    !same_endpoint(&c->peer, from) ||
		    !sec_equal(kp->token, m->body, UDP_RESET_TOKEN_LEN))
			continue;
		log_debug(LD_LINK, "udp conn %s: the peer lost the session (RESET)", c->fp);
		udp_conn_close(c, TP_CLOSE_IO);
		return;
	}
	udp_count_garbage(ut, from, "RESET for no session of ours");
}
