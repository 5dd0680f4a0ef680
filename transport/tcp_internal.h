/* transport/tcp_internal.h - layout of the TCP transport (transport/tcp*.c
 * and tests/unit only). */
#ifndef VX6_TRANSPORT_TCP_INTERNAL_H
#define VX6_TRANSPORT_TCP_INTERNAL_H

#include <stdbool.h>
#include <stdint.h>
#include <sys/types.h>
#include <netinet/in.h>

#include "identity/node_id.h"
#include "transport/hs_limit.h"
#include "transport/noise.h"
#include "transport/tcp_frame.h"
#include "transport/transport.h"

struct bufferevent;
struct evconnlistener;
struct event;
struct noise_handshake;
struct noise_cipher;

#define TCP_CONNS_MAX	      1024
#define TCP_STREAM_HASH	      64
#define TCP_REKEY_AFTER_MS    120000		       /* rekey each direction this often */
#define TCP_REKEY_AFTER_BYTES (1ull << 30)	       /* ... or after this much */
#define TCP_LINGER_MS	      1000		       /* flush a closing connection this long */
#define TCP_TS_TABLE	      1024		       /* initiator timestamps remembered */
#define TCP_CREDIT_STEP	      (TP_STREAM_WINDOW / 4)   /* send credit in steps this big */
#define TCP_DGRAM_QUEUE_MAX   (TP_SEND_BUFFER_MAX / 2) /* drop datagrams beyond this */

/* States are named for what has already happened. */
enum tcp_conn_state {
	TCP_CONN_CONNECTING = 0,  /* initiator: connect() in progress */
	TCP_CONN_SENT_INIT = 1,	  /* initiator: handshake message 1 sent */
	TCP_CONN_ACCEPTED = 2,	  /* responder: waiting for message 1 */
	TCP_CONN_SENT_RESP = 3,	  /* responder: message 2 sent, waiting for CONFIRM */
	TCP_CONN_ESTABLISHED = 4, /* keys confirmed both ways; frames flow */
	TCP_CONN_CLOSED = 5,	  /* dead: keys wiped, waiting for the reaper */
	TCP_CONN__STATE_COUNT
};

struct tcp_stream {
	struct tcp_stream *next;
	uint32_t sid;
	bool fin_sent, fin_rcvd, blocked;
	uint64_t send_credit;	 /* bytes we may still send */
	uint64_t recv_allowed;	 /* bytes the peer may still send */
	uint64_t credit_pending; /* consumed, not yet credited back */
};

struct tcp_conn {
	struct tp_conn base; /* first: the generic part */
	struct tcp_transport *tt;
	struct tcp_conn *next, *prev;
	struct tcp_conn *reap_next;
	enum tcp_conn_state state;
	bool dead, reported, hs_slot, lingering;
	enum tp_close_reason why;
	struct bufferevent *bev;
	struct event *timer; /* handshake timeout, then linger */
	struct sockaddr_in6 peer;
	void *conn_ctx;
	uint8_t remote_pk[32]; /* Ed25519; proved once established */
	char fp[9];

	struct noise_handshake *hs;
	enum noise_cipher_suite cipher; /* of the handshake and its keys (message 1) */
	struct noise_cipher *tx, *rx;
	uint64_t tx_nonce, rx_nonce;
	uint64_t tx_rekey_ms, tx_rekey_bytes;

	struct tcp_stream *streams[TCP_STREAM_HASH];
	unsigned n_local, n_remote; /* open streams by opener */
	uint32_t next_sid, remote_next_sid;
	uint64_t conn_send_credit, conn_recv_allowed, conn_credit_pending;
	bool any_blocked;
	struct tp_conn_stats stats;
};

struct tcp_ts_entry {
	struct node_id id;
	uint64_t ts_ms;
	uint64_t used_ms;
};

struct tcp_transport {
	struct transport base; /* first */
	struct tp_identity ident;
	uint8_t x_priv[32]; /* X25519 image of our Ed25519 key; secret */
	struct evconnlistener *listener;
	struct sockaddr_in6 local;
	struct tcp_conn *conns; /* every live connection */
	unsigned n_conns;
	struct tcp_conn *reap; /* dead connections to finish */
	struct event *reaper;
	struct tcp_ts_entry ts[TCP_TS_TABLE];
	uint64_t last_ts_sent;
	enum noise_cipher_suite cipher;		    /* what our handshakes offer */
	uint64_t rekey_after_bytes, rekey_after_ms; /* TCP_REKEY_AFTER_* unless tuned */
	uint64_t rx_garbage; /* handshakes that did not parse or authenticate */
	/* Scratch buffers: one message being received, one being sent. They
	 * are separate because a receive callback may send (a PONG, stream
	 * data) while the received bytes are still in use. */
	uint8_t rx_buf[TCP_MSG_MAX + 16];
	uint8_t tx_buf[TCP_MSG_MAX + 16];
};

/* tcp.c */
void tcp_conn_close(struct tcp_conn *c, enum tp_close_reason why);
void tcp_conn_set_state(struct tcp_conn *c, enum tcp_conn_state to);
/* Decide from the initiator timestamp table; updates it on success. */
bool tcp_ts_accept(struct tcp_transport *tt, const uint8_t ed_pk[32], uint64_t ts_ms);

/* tcp_conn.c */
int tcp_conn_start_handshake(struct tcp_conn *c);
void tcp_conn_on_read(struct bufferevent *bev, void *arg);
void tcp_conn_on_write(struct bufferevent *bev, void *arg);
void tcp_conn_on_event(struct bufferevent *bev, short what, void *arg);
/* Encrypt and queue one frame (header + data). Return 0 or -errno. */
int tcp_conn_send_frame(struct tcp_conn *c, const struct tcp_frame *f, const uint8_t *data,
			size_t len);
size_t tcp_conn_queued(const struct tcp_conn *c);

/* tcp_stream.c: the transport_ops entries for datagrams and streams */
extern const struct transport_ops tcp_ops; /* tcp.c */
int tcp_datagram_send(struct tp_conn *c, const uint8_t *buf, size_t len);
int tcp_stream_open(struct tp_conn *c, uint64_t *out_sid);
ssize_t tcp_stream_write(struct tp_conn *c, uint64_t sid, const uint8_t *buf, size_t len, bool fin);
void tcp_stream_consumed(struct tp_conn *c, uint64_t sid, size_t n);
int tcp_stream_reset(struct tp_conn *c, uint64_t sid, uint32_t code);
int tcp_stream_on_frame(struct tcp_conn *c, const struct tcp_frame *f);
void tcp_streams_notify_writable(struct tcp_conn *c);
void tcp_streams_free(struct tcp_conn *c);

#endif /* VX6_TRANSPORT_TCP_INTERNAL_H */
