/* transport/udp_data.c - the UDP link's keys and datagram path
 * (docs/wire.md §3.9): keypairs and their rotation (current, previous,
 * next, as WireGuard keeps them), sealing DATA and CLOSE into the send
 * queue, opening them on receive (replay window, AEAD over the clear
 * header, in place), roaming, and when to start a rekey.
 *
 * Receive order, per docs/noise.md §3.5: replay_window_check() (cheap
 * filter), then decrypt and authenticate, then
 * replay_window_check_and_update(). Nothing a peer sends moves the window,
 * the endpoint or the keys unless it authenticated.
 */
#include "transport/udp_internal.h"

#include <assert.h>
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <arpa/inet.h>

#include "lib/clock.h"
#include "lib/log.h"
#include "lib/secure.h"
#include "transport/noise.h"
#include "transport/noise_cipher.h"
#include "transport/replay.h"

static struct log_ratelim rx_drop_rl = LOG_RATELIM_INIT(1000, 5);

/* ---- keypairs ---- */

struct udp_keypair *udp_keypair_new(struct udp_transport *ut, struct udp_conn *c, bool we_initiated,
				    uint32_t id)
{
	struct udp_keypair *kp = calloc(1, sizeof(*kp));

	if (!kp)
		return NULL;
	kp->tx = noise_cipher_new();
	kp->rx = noise_cipher_new();
	if (!kp->tx || !kp->rx || udp_index_add(ut, &kp->idx, c, kp, id) < 0) {
		noise_cipher_free(kp->tx);
		noise_cipher_free(kp->rx);
		free(kp);
		return NULL;
	}
	kp->we_initiated = we_initiated;
	kp->born_ms = clock_mono_ms();
	replay_window_init(&kp->rx_window);
	return kp;
}

struct udp_keypair *udp_keypair_free(struct udp_transport *ut, struct udp_keypair *kp)
{
	if (!kp)
		return NULL;
	udp_index_del(ut, &kp->idx);
	noise_cipher_free(kp->tx); /* wipes */
	noise_cipher_free(kp->rx);
	sec_wipe(kp, sizeof(*kp));
	free(kp);
	return NULL;
}

void udp_conn_install(struct udp_conn *c, struct udp_keypair *kp)
{
	struct udp_transport *ut = c->ut;

	if (kp->we_initiated) {
		/* The responder proved itself: use the keys now. A pending
		 * `next` from a crossing handshake becomes the previous keys,
		 * so its in-flight packets still open. */
		if (c->next) {
			udp_keypair_free(ut, c->prev);
			c->prev = c->next;
			c->next = NULL;
			c->cur = udp_keypair_free(ut, c->cur);
		} else {
			udp_keypair_free(ut, c->prev);
			c->prev = c->cur;
		}
		c->cur = kp;
		return;
	}
	/* Responder: not before the initiator's first DATA under them. An
	 * older `next` is dead (the initiator only finishes its latest
	 * handshake); `prev` stays for packets still in flight under it
	 * (WireGuard drops it here; keeping it costs one keypair). */
	udp_keypair_free(ut, c->next);
	c->next = kp;
}

/* The initiator used `next`: it becomes current, current previous. */
static void confirm_next(struct udp_conn *c)
{
	udp_keypair_free(c->ut, c->prev);
	c->prev = c->cur;
	c->cur = c->next;
	c->next = NULL;
}

void udp_conn_drop_keys(struct udp_conn *c)
{
	struct udp_transport *ut = c->ut;

	c->hs = noise_handshake_free(c->hs);
	udp_index_del(ut, &c->hs_idx);
	c->cur = udp_keypair_free(ut, c->cur);
	c->prev = udp_keypair_free(ut, c->prev);
	c->next = udp_keypair_free(ut, c->next);
}

/* ---- send ---- */

int udp_conn_send_sealed(struct udp_conn *c, struct udp_keypair *kp, uint8_t type,
			 const uint8_t *buf, size_t len)
{
	size_t n = UDP_OVERHEAD + len, ct_len;
	uint64_t ctr = kp->tx_counter;
	uint8_t *p;
	int r;

	if (!replay_counter_is_usable(ctr))
		return -EKEYEXPIRED; /* REJECT_AFTER_MESSAGES: only a new handshake helps */
	p = udp_txq_reserve(c->ut, &c->peer, &c->local, n);
	if (!p)
		return -ENOBUFS;
	/* The clear header is the associated data: a type, index or counter
	 * changed on the way fails authentication (DATA cannot become CLOSE). */
	udp_data_header_put(p, type, kp->remote_index, ctr);
	r = noise_cipher_encrypt(kp->tx, ctr, p, UDP_DATA_HDR_LEN, buf, len, p + UDP_DATA_HDR_LEN,
				 n - UDP_DATA_HDR_LEN, &ct_len);
	assert(r == 0 && ct_len == len + UDP_TAG_LEN); /* key, nonce and sizes checked above */
	(void)r;
	kp->tx_counter = ctr + 1;
	c->stats.tx_bytes += n;
	return 0;
}

void udp_conn_maybe_rekey(struct udp_conn *c)
{
	struct udp_transport *ut = c->ut;
	struct udp_keypair *kp = c->cur;
	uint64_t now = clock_mono_ms();

	if (c->state != UDP_CONN_ESTABLISHED || c->hs || !kp)
		return;
	if (c->next)
		return; /* the peer is renewing the keys: wait until it uses them */
	/* By time only the side that made the current keys asks, so both
	 * sides do not start crossing handshakes every two minutes; by
	 * volume, the side that sent that much. */
	if ((kp->we_initiated && now - kp->born_ms >= ut->rekey_after_ms) ||
	    kp->tx_counter >= ut->rekey_after_msgs) {
		log_debug(LD_LINK, "udp conn %s: renewing keys", c->fp);
		if (udp_conn_start_handshake(c) < 0)
			udp_conn_close(c, TP_CLOSE_LOCAL);
	}
}

/* The keys to send under, or -ENOTCONN. */
static int send_keys(struct udp_conn *c, struct udp_keypair **out_kp)
{
	if (c->dead || c->state != UDP_CONN_ESTABLISHED || !c->cur)
		return -ENOTCONN;
	if (clock_mono_ms() - c->cur->born_ms >= c->ut->reject_after_ms)
		return -ENOTCONN; /* expired; the connection's timer closes it */
	udp_conn_maybe_rekey(c);
	if (c->dead)
		return -ENOTCONN;
	*out_kp = c->cur;
	return 0;
}

static int send_one(struct udp_conn *c, struct udp_keypair *kp, const uint8_t *buf, size_t len)
{
	int r;

	if (len == 0)
		return -EINVAL; /* an empty DATA is a keepalive, never delivered */
	if (len > TP_DATAGRAM_MAX)
		return -EMSGSIZE;
	r = udp_conn_send_sealed(c, kp, UDP_MSG_DATA, buf, len);
	if (r == 0)
		c->stats.tx_datagrams++;
	return r;
}

int udp_datagram_send(struct tp_conn *tc, const uint8_t *buf, size_t len)
{
	struct udp_conn *c = (struct udp_conn *)tc;
	struct udp_keypair *kp;
	int r;

	if (len > TP_DATAGRAM_MAX)
		return -EMSGSIZE;
	r = send_keys(c, &kp);
	if (r == 0)
		r = send_one(c, kp, buf, len);
	if (r == -ENOBUFS) {
		c->stats.tx_dropped++;
		c->ut->stats.tx_queue_full++;
	}
	udp_txq_schedule(c->ut);
	return r;
}

int udp_datagram_send_batch(struct tp_conn *tc, const struct iovec *dgrams, size_t n,
			    size_t *out_sent)
{
	struct udp_conn *c = (struct udp_conn *)tc;
	struct udp_transport *ut = c->ut;
	struct udp_keypair *kp;
	size_t i, bytes = 0;
	int r;

	*out_sent = 0;
	r = send_keys(c, &kp);
	if (r < 0)
		return r;
	for (i = 0; i < n; i++)
		bytes += UDP_OVERHEAD + dgrams[i].iov_len;
	/* A batch that does not fit goes out after what is queued, rather
	 * than being dropped: its sender asked for throughput. */
	if (bytes > udp_txq_room(ut) || n > UDP_TXQ_RUNS - ut->n_runs)
		udp_txq_flush(ut);
	for (i = 0; i < n; i++) {
		r = send_one(c, kp, dgrams[i].iov_base, dgrams[i].iov_len);
		if (r < 0)
			break;
	}
	if (r == -ENOBUFS) {
		c->stats.tx_dropped += n - i;
		ut->stats.tx_queue_full += n - i;
	}
	*out_sent = i;
	udp_txq_schedule(ut);
	return r;
}

/* ---- receive ---- */

void udp_conn_roam(struct udp_conn *c, const struct sockaddr_in6 *from,
		   const struct in6_pktinfo *local)
{
	if (c->peer.sin6_port != from->sin6_port ||
	    memcmp(&c->peer.sin6_addr, &from->sin6_addr, sizeof(from->sin6_addr)) != 0) {
		char addr[INET6_ADDRSTRLEN];

		if (log_is_enabled(LOG_LEVEL_DEBUG)) {
			inet_ntop(AF_INET6, &from->sin6_addr, addr, sizeof(addr));
			log_debug(LD_LINK, "udp conn %s: peer moved to [%s]:%u", c->fp, addr,
				  (unsigned)ntohs(from->sin6_port));
		}
		c->peer = *from;
	}
	if (local)
		c->local = *local;
}

/* Authenticate and decrypt DATA/CLOSE in place. Return the plaintext
 * length or -errno (the caller drops and counts). */
static ssize_t open_sealed(struct udp_transport *ut, struct udp_keypair *kp,
			   const struct udp_msg *m, uint8_t *buf)
{
	uint8_t *ct = buf + UDP_DATA_HDR_LEN;
	size_t pt_len;
	int r;

	if (ut->now_ms - kp->born_ms >= ut->reject_after_ms)
		return -EKEYEXPIRED;
	r = replay_window_check(&kp->rx_window, m->counter);
	if (r == 0)
		r = noise_cipher_decrypt(kp->rx, m->counter, buf, UDP_DATA_HDR_LEN, ct, m->body_len,
					 ct, m->body_len, &pt_len);
	if (r == 0)
		r = replay_window_check_and_update(&kp->rx_window, m->counter);
	return r < 0 ? r : (ssize_t)pt_len;
}

void udp_on_data(struct udp_transport *ut, const struct udp_msg *m, const struct sockaddr_in6 *from,
		 const struct in6_pktinfo *local, uint8_t *buf)
{
	const struct tp_callbacks *cb = &ut->base.cb;
	struct udp_index *idx = udp_index_find(ut, m->receiver);
	struct udp_conn *c;
	ssize_t n;

	if (!idx || !idx->kp) {
		udp_count_garbage(ut, from, "unknown receiver index");
		if (!idx && m->type == UDP_MSG_DATA)
			udp_send_reset(ut, m, from, local);
		return;
	}
	c = idx->c;
	n = open_sealed(ut, idx->kp, m, buf);
	if (n < 0) {
		c->stats.rx_dropped++;
		if (log_ratelim_allow(&rx_drop_rl, ut->now_ms))
			log_debug(LD_LINK, "udp conn %s: dropped a message: %s", c->fp,
				  strerror((int)-n));
		return;
	}
	c->stats.rx_bytes += UDP_DATA_HDR_LEN + m->body_len;
	if (idx->kp == c->next) {
		if (c->state == UDP_CONN_ESTABLISHED)
			c->stats.rekeys++;
		confirm_next(c);
	}
	udp_conn_roam(c, from, local);
	if (m->type == UDP_MSG_CLOSE) {
		udp_conn_close(c, TP_CLOSE_REMOTE);
		return;
	}
	if (c->state == UDP_CONN_SENT_RESP) {
		udp_conn_established(c); /* may refuse and close */
		if (c->dead)
			return;
	}
	udp_conn_maybe_rekey(c);
	if (n == 0 || c->dead)
		return; /* key confirmation, nothing to deliver */
	c->stats.rx_datagrams++;
	if (cb->datagram)
		cb->datagram(cb->ctx, &c->base, buf + UDP_DATA_HDR_LEN, (size_t)n);
}
