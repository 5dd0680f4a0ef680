/* transport/quic.c - the QUIC transport object (transport.h, docs/quic.md):
 * one non-blocking UDP socket on the daemon's event loop, dispatch of each
 * received packet to its connection by destination connection ID,
 * admission of new connections (hs_limit), stateless resets for unknown
 * CIDs, the pending-flush and reaper events, and the single mapping of
 * ngtcp2 error codes to -errno and close reasons.
 *
 * It does not own the protocol: ngtcp2 (driven from quic_conn.c) does no
 * I/O; this file reads and writes the socket for it. One socket serves
 * both the connections we accept and the ones we dial.
 */
#include "transport/quic_internal.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <arpa/inet.h>
#include <netinet/in.h>
#include <sys/socket.h>

#include <event2/event.h>
#include <gnutls/gnutls.h>
#include <ngtcp2/ngtcp2_crypto.h>

#include "identity/node_id.h"
#include "lib/clock.h"
#include "lib/log.h"
#include "lib/secure.h"

#define SOCK_BUF_LEN	   (2 * 1024 * 1024)
#define RESET_LEN_MAX	   43 /* RFC 9000 §10.3: short enough to look like any packet */
#define RESET_LEN_MIN	   (NGTCP2_MIN_STATELESS_RESET_RANDLEN + NGTCP2_STATELESS_RESET_TOKENLEN)
#define RESET_SECRET_LABEL "vx6 quic stateless reset v1"

static struct log_ratelim drop_rl = LOG_RATELIM_INIT(1000, 10);
static struct log_ratelim refuse_rl = LOG_RATELIM_INIT(1000, 10);

uint64_t quic_now(void)
{
	return clock_mono_ns();
}

int quic_errno_from_ngtcp2(int liberr)
{
	switch (liberr) {
	case 0:
		return 0;
	case NGTCP2_ERR_NOMEM:
		return -ENOMEM;
	case NGTCP2_ERR_STREAM_ID_BLOCKED:
	case NGTCP2_ERR_STREAM_DATA_BLOCKED:
		return -EAGAIN;
	case NGTCP2_ERR_STREAM_NOT_FOUND:
		return -ENOENT;
	case NGTCP2_ERR_STREAM_SHUT_WR:
	case NGTCP2_ERR_STREAM_STATE:
		return -EPIPE;
	case NGTCP2_ERR_INVALID_ARGUMENT:
		return -EINVAL;
	case NGTCP2_ERR_NOBUF:
		return -ENOBUFS;
	case NGTCP2_ERR_INVALID_STATE:
	case NGTCP2_ERR_CLOSING:
	case NGTCP2_ERR_DRAINING:
		return -ENOTCONN;
	case NGTCP2_ERR_HANDSHAKE_TIMEOUT:
	case NGTCP2_ERR_IDLE_CLOSE:
		return -ETIMEDOUT;
	case NGTCP2_ERR_CRYPTO:
		return -EACCES;
	default:
		return liberr <= NGTCP2_ERR_FATAL ? -EIO : -EPROTO;
	}
}

enum tp_close_reason quic_reason_from_ngtcp2(int liberr)
{
	switch (liberr) {
	case NGTCP2_ERR_DRAINING:
		return TP_CLOSE_REMOTE;
	case NGTCP2_ERR_CRYPTO:
		return TP_CLOSE_AUTH;
	case NGTCP2_ERR_HANDSHAKE_TIMEOUT:
	case NGTCP2_ERR_IDLE_CLOSE:
		return TP_CLOSE_TIMEOUT;
	case NGTCP2_ERR_NOMEM:
	case NGTCP2_ERR_CALLBACK_FAILURE:
		return TP_CLOSE_LOCAL;
	default:
		return TP_CLOSE_PROTOCOL;
	}
}

static void drop(struct quic_transport *t, const struct sockaddr_in6 *from, const char *why)
{
	char addr[INET6_ADDRSTRLEN];

	t->stats.rx_dropped++;
	if (log_is_enabled(LOG_LEVEL_DEBUG) && log_ratelim_allow(&drop_rl, clock_mono_ms())) {
		inet_ntop(AF_INET6, &from->sin6_addr, addr, sizeof(addr));
		log_debug(LD_QUIC, "Dropped a packet from [%s]:%u: %s", addr,
			  (unsigned)ntohs(from->sin6_port), why);
	}
}

int quic_transport_send(struct quic_transport *t, const struct sockaddr_in6 *from,
			const struct sockaddr_in6 *to, const uint8_t *buf, size_t len)
{
	union {
		uint8_t b[QUIC_PKTINFO_CMSG_LEN];
		struct cmsghdr align;
	} cm;
	struct iovec iov = {(void *)buf, len};
	struct msghdr msg = {
	    .msg_name = (void *)to, .msg_namelen = sizeof(*to), .msg_iov = &iov, .msg_iovlen = 1};
	ssize_t n;

	/* A connection we accepted answers from the address the peer wrote
	 * to; without this a multi-homed host may pick another source, which
	 * the peer would ignore as an unknown path. */
	if (from && !IN6_IS_ADDR_UNSPECIFIED(&from->sin6_addr)) {
		struct in6_pktinfo pi = {.ipi6_addr = from->sin6_addr,
					 .ipi6_ifindex = from->sin6_scope_id};
		struct cmsghdr *cmsg;

		memset(&cm, 0, sizeof(cm));
		msg.msg_control = cm.b;
		msg.msg_controllen = CMSG_SPACE(sizeof(pi));
		cmsg = CMSG_FIRSTHDR(&msg);
		cmsg->cmsg_level = IPPROTO_IPV6;
		cmsg->cmsg_type = IPV6_PKTINFO;
		cmsg->cmsg_len = CMSG_LEN(sizeof(pi));
		memcpy(CMSG_DATA(cmsg), &pi, sizeof(pi));
	}
	do {
		n = sendmsg(t->fd, &msg, 0);
	} while (n < 0 && errno == EINTR);
	if (n < 0) {
		int e = errno;

		t->stats.tx_errors++; /* UDP: the packet is lost; QUIC recovers */
		return -e;
	}
	t->stats.tx_packets++;
	return 0;
}

int quic_transport_reset_token(const struct quic_transport *t, const ngtcp2_cid *cid,
			       uint8_t token[NGTCP2_STATELESS_RESET_TOKENLEN])
{
	if (ngtcp2_crypto_generate_stateless_reset_token(token, t->reset_secret,
							 sizeof(t->reset_secret), cid) != 0)
		return -EIO;
	return 0;
}

static bool reset_allowed(struct quic_transport *t)
{
	uint64_t now = clock_mono_ms();
	uint64_t cap = QUIC_RESET_RATE_PER_S * 1000u;

	t->reset_tokens_milli += (now - t->reset_last_ms) * QUIC_RESET_RATE_PER_S;
	if (t->reset_tokens_milli > cap)
		t->reset_tokens_milli = cap;
	t->reset_last_ms = now;
	if (t->reset_tokens_milli < 1000)
		return false;
	t->reset_tokens_milli -= 1000;
	return true;
}

/* A short-header packet for a CID we do not know: perhaps for a
 * connection we forgot (restart, reaped). Answer with a stateless reset
 * (RFC 9000 §10.3) so the peer need not wait for its idle timeout. The
 * reply is always shorter than the packet (no loops, no amplification)
 * and rate limited. */
static void stateless_reset(struct quic_transport *t, const struct sockaddr_in6 *local,
			    const struct sockaddr_in6 *from, size_t len,
			    const ngtcp2_version_cid *vc)
{
	uint8_t token[NGTCP2_STATELESS_RESET_TOKENLEN], rnd[RESET_LEN_MAX], out[RESET_LEN_MAX];
	size_t total = len - 1 < RESET_LEN_MAX ? len - 1 : RESET_LEN_MAX;
	ngtcp2_cid cid;
	ngtcp2_ssize n;

	if (len <= RESET_LEN_MIN || vc->dcidlen != QUIC_CID_LEN || !reset_allowed(t))
		return;
	ngtcp2_cid_init(&cid, vc->dcid, vc->dcidlen);
	if (quic_transport_reset_token(t, &cid, token) < 0)
		return;
	sec_random(rnd, sizeof(rnd));
	n = ngtcp2_pkt_write_stateless_reset(out, sizeof(out), token, rnd,
					     total - NGTCP2_STATELESS_RESET_TOKENLEN);
	if (n > 0 && quic_transport_send(t, local, from, out, (size_t)n) == 0)
		t->stats.resets_sent++;
}

static bool same_peer(const ngtcp2_addr *a, const struct sockaddr_in6 *b)
{
	const struct sockaddr_in6 *x = (const struct sockaddr_in6 *)(const void *)a->addr;

	return a->addrlen == sizeof(*b) && x->sin6_port == b->sin6_port &&
	       memcmp(&x->sin6_addr, &b->sin6_addr, sizeof(b->sin6_addr)) == 0;
}

/* A stateless reset (RFC 9000 §10.3) comes with a random DCID, so the CID
 * table cannot route it. Offer it to the connections talking to that
 * address: ngtcp2 compares its last 16 bytes with the reset tokens the
 * peer gave it. Junk costs one failed decryption, as it would with a
 * valid CID. Return true if some connection took it as its reset. */
static bool reset_for_us(struct quic_transport *t, const struct sockaddr_in6 *local,
			 const struct sockaddr_in6 *from, const uint8_t *pkt, size_t len)
{
	struct quic_conn *c;

	if (len < RESET_LEN_MIN)
		return false;
	TAILQ_FOREACH(c, &t->conns, link)
	{
		if (c->state != QUIC_CONN_ESTABLISHED ||
		    !same_peer(&ngtcp2_conn_get_path(c->conn)->remote, from))
			continue;
		if (quic_conn_try_reset(c, local, from, pkt, len))
			return true;
	}
	return false;
}

/* A long-header packet for an unknown CID: a new connection, if it is a
 * valid client Initial and admission control lets it in. */
static void accept_new(struct quic_transport *t, const struct sockaddr_in6 *local,
		       const struct sockaddr_in6 *from, const uint8_t *pkt, size_t len)
{
	enum hs_limit_verdict v;
	struct quic_conn *c;
	ngtcp2_pkt_hd hd;

	if (!t->listening) {
		drop(t, from, "not accepting connections");
		return;
	}
	if (ngtcp2_accept(&hd, pkt, len) != 0) {
		drop(t, from, "not a client Initial");
		return;
	}
	v = t->nconns >= QUIC_CONNS_MAX
		? HS_LIMIT_CAP
		: hs_limit_admit(&t->base.limit, &from->sin6_addr, clock_mono_ms());
	if (v != HS_LIMIT_OK) {
		if (v == HS_LIMIT_RATE)
			t->base.hs_refused_rate++;
		else
			t->base.hs_refused_cap++;
		t->stats.rx_dropped++;
		if (log_ratelim_allow(&refuse_rl, clock_mono_ms()))
			log_info(LD_QUIC, "Refused a QUIC handshake: %s",
				 v == HS_LIMIT_RATE ? "source over its rate" : "too many pending");
		return;
	}
	if (quic_conn_new_server(t, &hd, local, from, &c) < 0) {
		hs_limit_done(&t->base.limit, &from->sin6_addr);
		drop(t, from, "could not create a connection");
		return;
	}
	c->hs_slot = true;
	quic_conn_read(c, local, from, pkt, len);
}

static void input(struct quic_transport *t, const struct sockaddr_in6 *local,
		  const struct sockaddr_in6 *from, const uint8_t *pkt, size_t len)
{
	ngtcp2_version_cid vc;
	struct quic_conn *c;

	t->stats.rx_packets++;
	if (ngtcp2_pkt_decode_version_cid(&vc, pkt, len, QUIC_CID_LEN) != 0) {
		drop(t, from, "undecodable header or unsupported version");
		return;
	}
	c = quic_cid_find(&t->cids, vc.dcid, vc.dcidlen);
	if (c) {
		if (c->state == QUIC_CONN_CLOSED)
			drop(t, from, "connection is closing");
		else
			quic_conn_read(c, local, from, pkt, len);
		return;
	}
	if (pkt[0] & 0x80) {
		accept_new(t, local, from, pkt, len);
		return;
	}
	if (reset_for_us(t, local, from, pkt, len))
		return;
	drop(t, from, "unknown connection ID");
	stateless_reset(t, local, from, len, &vc);
}

/* The destination address of a received packet, from IPV6_PKTINFO, with
 * our port; t->bound if the kernel did not say. */
static void packet_local(const struct quic_transport *t, struct msghdr *msg,
			 struct sockaddr_in6 *local)
{
	struct cmsghdr *cmsg;

	*local = t->bound;
	for (cmsg = CMSG_FIRSTHDR(msg); cmsg; cmsg = CMSG_NXTHDR(msg, cmsg)) {
		struct in6_pktinfo pi;

		if (cmsg->cmsg_level != IPPROTO_IPV6 || cmsg->cmsg_type != IPV6_PKTINFO ||
		    cmsg->cmsg_len < CMSG_LEN(sizeof(pi)))
			continue;
		memcpy(&pi, CMSG_DATA(cmsg), sizeof(pi));
		local->sin6_addr = pi.ipi6_addr;
		local->sin6_scope_id = IN6_IS_ADDR_LINKLOCAL(&pi.ipi6_addr) ? pi.ipi6_ifindex : 0;
	}
}

static void on_readable(evutil_socket_t fd, short what, void *arg)
{
	struct quic_transport *t = arg;

	(void)what;
	t->in_read = true;
	for (unsigned i = 0; i < QUIC_RX_BUDGET; i++) {
		union {
			uint8_t b[QUIC_PKTINFO_CMSG_LEN];
			struct cmsghdr align;
		} cm;
		struct sockaddr_in6 from, local;
		struct iovec iov = {t->rxbuf, sizeof(t->rxbuf)};
		struct msghdr msg = {.msg_name = &from,
				     .msg_namelen = sizeof(from),
				     .msg_iov = &iov,
				     .msg_iovlen = 1,
				     .msg_control = cm.b,
				     .msg_controllen = sizeof(cm.b)};
		ssize_t n = recvmsg(fd, &msg, MSG_DONTWAIT);

		if (n < 0) {
			if (errno == EINTR)
				continue;
			break; /* EAGAIN, or an ICMP error we have no use for */
		}
		if (n == 0 || msg.msg_namelen != sizeof(from) || from.sin6_family != AF_INET6 ||
		    (msg.msg_flags & MSG_TRUNC)) {
			t->stats.rx_packets++;
			t->stats.rx_dropped++;
			continue;
		}
		packet_local(t, &msg, &local);
		input(t, &local, &from, t->rxbuf, (size_t)n);
	}
	t->in_read = false;
	quic_transport_run_pending(t);
}

void quic_transport_schedule(struct quic_conn *c)
{
	struct quic_transport *t = c->t;

	if (c->state == QUIC_CONN_CLOSED || c->in_pending || t->freeing)
		return;
	c->in_pending = true;
	TAILQ_INSERT_TAIL(&t->pending, c, pending_link);
	if (!t->in_read)
		event_active(t->pending_ev, EV_TIMEOUT, 0);
}

void quic_transport_run_pending(struct quic_transport *t)
{
	unsigned budget = QUIC_PENDING_ROUNDS * (t->nconns + 1);
	struct quic_conn *c;

	while ((c = TAILQ_FIRST(&t->pending))) {
		if (budget-- == 0) {
			/* Writers that refill on every writable callback get
			 * the rest next loop turn, after other events. */
			event_active(t->pending_ev, EV_TIMEOUT, 0);
			return;
		}
		TAILQ_REMOVE(&t->pending, c, pending_link);
		c->in_pending = false;
		quic_conn_after_io(c);
	}
}

static void on_pending(evutil_socket_t fd, short what, void *arg)
{
	(void)fd;
	(void)what;
	quic_transport_run_pending(arg);
}

void quic_transport_reap(struct quic_conn *c)
{
	struct quic_transport *t = c->t;

	if (c->in_pending) {
		TAILQ_REMOVE(&t->pending, c, pending_link);
		c->in_pending = false;
	}
	if (c->in_reap || t->freeing)
		return;
	c->in_reap = true;
	TAILQ_INSERT_TAIL(&t->reap, c, reap_link);
	event_active(t->reap_ev, EV_TIMEOUT, 0);
}

/* The reaper: runs from the event loop, never inside a callback of the
 * connections it frees. `closed` goes to the layer above first; it may
 * dial or close others (they join the list), but not free the transport. */
static void on_reap(evutil_socket_t fd, short what, void *arg)
{
	struct quic_transport *t = arg;
	struct quic_conn *c;

	(void)fd;
	(void)what;
	while ((c = TAILQ_FIRST(&t->reap))) {
		TAILQ_REMOVE(&t->reap, c, reap_link);
		c->in_reap = false;
		quic_conn_send_close(c);
		if (c->upper_knows && t->base.cb.closed)
			t->base.cb.closed(t->base.cb.ctx, &c->base, c->close_reason);
		quic_conn_free(c);
	}
}

static int quic_dial(struct transport *tb, const struct sockaddr_in6 *to,
		     const uint8_t remote_pk[32], void *conn_ctx, struct tp_conn **out_conn)
{
	struct quic_transport *t = (struct quic_transport *)tb;
	struct quic_conn *c;
	int r;

	if (to->sin6_family != AF_INET6)
		return -EAFNOSUPPORT;
	if (to->sin6_port == 0 || IN6_IS_ADDR_UNSPECIFIED(&to->sin6_addr))
		return -EINVAL;
	if (t->freeing)
		return -ESHUTDOWN;
	if (t->nconns >= QUIC_CONNS_MAX)
		return -ENOSPC;
	r = quic_conn_new_client(t, to, remote_pk, conn_ctx, &c);
	if (r < 0)
		return r;
	quic_transport_schedule(c); /* the first flight goes out from the loop */
	*out_conn = &c->base;
	return 0;
}

static void quic_close_op(struct tp_conn *tc, enum tp_close_reason why)
{
	struct quic_conn *c = (struct quic_conn *)tc;

	if (c->state == QUIC_CONN_CLOSED)
		return;
	/* The peer sees an application close whose code is our reason. */
	ngtcp2_connection_close_error_set_application_error(&c->ccerr, (uint64_t)why, NULL, 0);
	quic_conn_close(c, why, true);
}

static void quic_get_stats(const struct tp_conn *tc, struct tp_conn_stats *out)
{
	const struct quic_conn *c = (const struct quic_conn *)tc;
	ngtcp2_conn_stat cs;

	*out = c->stats;
	out->streams_open = c->nstreams;
	out->rtt_us = 0;
	out->cipher = c->tls && c->state == QUIC_CONN_ESTABLISHED
			  ? gnutls_cipher_get_name(gnutls_cipher_get(c->tls))
			  : NULL;
	if (c->conn) {
		ngtcp2_conn_get_conn_stat(c->conn, &cs);
		if (cs.smoothed_rtt != UINT64_MAX && c->state == QUIC_CONN_ESTABLISHED)
			out->rtt_us = cs.smoothed_rtt / NGTCP2_MICROSECONDS;
	}
}

static void quic_get_peer(const struct tp_conn *tc, struct sockaddr_in6 *out)
{
	const struct quic_conn *c = (const struct quic_conn *)tc;
	const ngtcp2_path *p = c->conn ? ngtcp2_conn_get_path(c->conn) : NULL;

	/* The current path: after a migration, the peer's new address. */
	if (p && p->remote.addrlen == sizeof(*out))
		memcpy(out, p->remote.addr, sizeof(*out));
	else
		*out = c->remote;
}

static int quic_local_addr(const struct transport *tb, struct sockaddr_in6 *out)
{
	const struct quic_transport *t = (const struct quic_transport *)tb;

	if (!t->listening)
		return -ENOTCONN;
	*out = t->bound;
	return 0;
}

static void quic_free(struct transport *tb)
{
	struct quic_transport *t = (struct quic_transport *)tb;
	struct quic_conn *c;

	t->freeing = true;
	while ((c = TAILQ_FIRST(&t->conns))) {
		if (c->state != QUIC_CONN_CLOSED) {
			ngtcp2_connection_close_error_set_application_error(
			    &c->ccerr, TP_CLOSE_LOCAL, NULL, 0);
			c->send_close = true;
		}
		quic_conn_send_close(c);
		quic_conn_free(c);
	}
	if (t->rx_ev)
		event_free(t->rx_ev);
	if (t->pending_ev)
		event_free(t->pending_ev);
	if (t->reap_ev)
		event_free(t->reap_ev);
	if (t->fd >= 0)
		close(t->fd);
	quic_cid_table_clear(&t->cids);
	quic_tls_clear(t);
	sec_wipe(t->reset_secret, sizeof(t->reset_secret));
	free(t);
}

const struct transport_ops quic_ops = {
    .kind = TRANSPORT_QUIC,
    .name = "quic",
    .dial = quic_dial,
    .datagram_send = quic_datagram_send,
    .stream_open = quic_stream_open,
    .stream_write = quic_stream_write,
    .stream_consumed = quic_stream_consumed,
    .stream_reset = quic_stream_reset,
    .close = quic_close_op,
    .get_stats = quic_get_stats,
    .get_peer = quic_get_peer,
    .local_addr = quic_local_addr,
    .free = quic_free,
};

static int socket_open(struct quic_transport *t, const struct sockaddr_in6 *listen)
{
	struct sockaddr_in6 any = {.sin6_family = AF_INET6};
	socklen_t len = sizeof(t->bound);
	int one = 1, bufsz = SOCK_BUF_LEN;

	t->fd = socket(AF_INET6, SOCK_DGRAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
	if (t->fd < 0)
		return -errno;
	/* V6ONLY: one address family, one pktinfo format. DONTFRAG: ngtcp2's
	 * path MTU probes must fail, not be fragmented by our own stack. */
	if (setsockopt(t->fd, IPPROTO_IPV6, IPV6_V6ONLY, &one, sizeof(one)) < 0 ||
	    setsockopt(t->fd, IPPROTO_IPV6, IPV6_RECVPKTINFO, &one, sizeof(one)) < 0 ||
	    setsockopt(t->fd, IPPROTO_IPV6, IPV6_DONTFRAG, &one, sizeof(one)) < 0)
		return -errno;
	(void)setsockopt(t->fd, SOL_SOCKET, SO_RCVBUF, &bufsz, sizeof(bufsz));
	(void)setsockopt(t->fd, SOL_SOCKET, SO_SNDBUF, &bufsz, sizeof(bufsz));
	if (listen && listen->sin6_family != AF_INET6)
		return -EAFNOSUPPORT;
	if (bind(t->fd, (const struct sockaddr *)(listen ? listen : &any), sizeof(any)) < 0 ||
	    getsockname(t->fd, (struct sockaddr *)&t->bound, &len) < 0)
		return -errno;
	return 0;
}

int tp_quic_new(struct event_base *base, const struct tp_identity *id,
		const struct sockaddr_in6 *listen, const struct tp_callbacks *cb,
		struct transport **out_t)
{
	struct quic_transport *t;
	struct node_id nid;
	uint8_t seed_hash[SEC_HASH256_LEN];
	int r;

	t = calloc(1, sizeof(*t));
	if (!t)
		return -ENOMEM;
	t->fd = -1; /* lets quic_free() handle a half-built transport */
	t->base.ops = &quic_ops;
	t->base.base = base;
	t->base.cb = *cb;
	t->listening = listen != NULL;
	TAILQ_INIT(&t->conns);
	TAILQ_INIT(&t->pending);
	TAILQ_INIT(&t->reap);
	hs_limit_init(&t->base.limit, TP_PENDING_HS_MAX, TP_PENDING_HS_PER_IP);
	t->key_update_bytes = QUIC_KEY_UPDATE_BYTES;
	t->key_update_ms = QUIC_KEY_UPDATE_MS;
	memcpy(t->pk, id->ed25519_pk, sizeof(t->pk));
	node_id_from_pubkey(&nid, t->pk);
	node_id_fingerprint(&nid, t->fp);
	/* Stateless reset tokens must survive a restart (that is when they
	 * are needed), so the secret is derived from the node key rather
	 * than drawn at random; the label keeps it apart from every other
	 * use of the key. */
	sec_hash256(seed_hash, RESET_SECRET_LABEL, id->ed25519_sk, SEC_ED25519_SEED_LEN);
	memcpy(t->reset_secret, seed_hash, sizeof(t->reset_secret));
	sec_wipe(seed_hash, sizeof(seed_hash));
	t->reset_tokens_milli = QUIC_RESET_RATE_PER_S * 1000u;
	t->reset_last_ms = clock_mono_ms();

	r = quic_cid_table_init(&t->cids);
	if (r < 0)
		goto err;
	r = quic_tls_init(t, id);
	if (r < 0)
		goto err;
	r = socket_open(t, listen);
	if (r < 0)
		goto err;
	t->rx_ev = event_new(base, t->fd, EV_READ | EV_PERSIST, on_readable, t);
	t->pending_ev = event_new(base, -1, 0, on_pending, t);
	t->reap_ev = event_new(base, -1, 0, on_reap, t);
	if (!t->rx_ev || !t->pending_ev || !t->reap_ev) {
		r = -ENOMEM;
		goto err;
	}
	if (event_add(t->rx_ev, NULL) < 0) {
		r = -EIO;
		goto err;
	}
	log_debug(LD_QUIC, "QUIC transport %s bound to port %u%s", t->fp,
		  (unsigned)ntohs(t->bound.sin6_port), t->listening ? "" : " (dial only)");
	*out_t = &t->base;
	return 0;

err:
	quic_free(&t->base);
	return r;
}

void quic_transport_get_stats(const struct transport *tb, struct quic_transport_stats *out)
{
	const struct quic_transport *t = (const struct quic_transport *)tb;

	memset(out, 0, sizeof(*out));
	if (!tb || tb->ops != &quic_ops)
		return;
	*out = t->stats;
	out->conns = t->nconns;
	out->conns_handshaking = t->nhandshaking;
}

int quic_transport_input_for_fuzz(struct transport *tb, const struct sockaddr_in6 *from,
				  const uint8_t *buf, size_t len)
{
	struct quic_transport *t = (struct quic_transport *)tb;

	if (!tb || tb->ops != &quic_ops || from->sin6_family != AF_INET6 || len == 0)
		return -EINVAL;
	t->in_read = true;
	input(t, &t->bound, from, buf, len);
	t->in_read = false;
	quic_transport_run_pending(t);
	return 0;
}

void quic_transport_set_key_update(struct transport *t, uint64_t after_bytes, uint64_t after_ms)
{
	struct quic_transport *qt = (struct quic_transport *)t;

	qt->key_update_bytes = after_bytes;
	qt->key_update_ms = after_ms;
}
