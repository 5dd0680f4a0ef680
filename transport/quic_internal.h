/* transport/quic_internal.h - layout of the QUIC transport (ngtcp2 0.12 +
 * GnuTLS 3.7) shared by transport/quic*.c and tests. Nothing outside
 * transport/quic*.c, tests/unit and tests/fuzz includes this file.
 *
 * Files, by concern:
 *   quic.c        the transport: UDP socket, packet dispatch by connection
 *                 ID, admission of new connections, reaper, error mapping
 *   quic_cid.c    the keyed hash table from connection ID to connection
 *                 (quic_cid.h)
 *   quic_conn.c   one connection: ngtcp2 object, callbacks, timer, flush
 *   quic_stream.c streams and datagrams (the tp_* data operations)
 *   quic_tls.c    GnuTLS: Ed25519 raw public keys (RFC 7250), TLS 1.3 only
 *
 * Ownership: struct quic_transport owns every struct quic_conn (list
 * `conns`); a connection owns its ngtcp2_conn, GnuTLS session, timer,
 * streams and queued datagrams. A connection is freed only by the reaper
 * (quic.c), never inside a callback that may still use it.
 */
#ifndef VX6_TRANSPORT_QUIC_INTERNAL_H
#define VX6_TRANSPORT_QUIC_INTERNAL_H

#include <stdbool.h>
#include <stdint.h>
#include <sys/queue.h>

#include <gnutls/gnutls.h>
#include <ngtcp2/ngtcp2.h>
#include <ngtcp2/ngtcp2_crypto.h>

#include "transport/hs_limit.h"
#include "transport/quic_cid.h"
#include "transport/quic.h"
#include "transport/transport.h"

#define QUIC_ALPN	       "vx6/1"
#define QUIC_CID_LEN	       16   /* every connection ID we issue */
#define QUIC_CONNS_MAX	       1024 /* connections per transport, any state */
#define QUIC_CIDS_PER_CONN_MAX 16   /* ngtcp2 issues <= 8, plus the initial ones */
#define QUIC_CID_BUCKETS       4096 /* hash buckets (power of two) */
#define QUIC_UDP_PAYLOAD_MAX   1452 /* 1500 MTU - IPv6 (40) - UDP (8) */
#define QUIC_RX_BUF_LEN	       65536
#define QUIC_RX_BUDGET	       64 /* datagrams read per wakeup */
#define QUIC_TX_BURST	       64 /* packets written per flush */
#define QUIC_PENDING_ROUNDS    4  /* flushes per connection per loop turn */
#define QUIC_IDLE_TIMEOUT_MS   30000
#define QUIC_KEEPALIVE_MS      15000
#define QUIC_KEY_UPDATE_MS     120000	    /* start a key update this often ... */
#define QUIC_KEY_UPDATE_BYTES  (1ull << 30) /* ... or after this much sent */
#define QUIC_DGRAM_QUEUE_MAX   64	    /* datagrams waiting per connection */
#define QUIC_DGRAM_AGE_MAX_MS  1000	    /* queued datagrams older than this are dropped */
#define QUIC_PMTUD_GRACE_MS    3000	    /* after this, a path too small is final */
#define QUIC_DGRAM_FRAME_MAX   (TP_DATAGRAM_MAX + 3) /* type + 2-byte length + payload */
#define QUIC_CHUNK_MIN	       2048		     /* send buffer chunk sizes, bytes */
#define QUIC_CHUNK_MAX	       16384
#define QUIC_VEC_MAX	       8  /* chunks handed to ngtcp2 per write */
#define QUIC_RESET_RATE_PER_S  50 /* stateless resets sent per second */
#define QUIC_RESET_SECRET_LEN  32
#define QUIC_PKTINFO_CMSG_LEN  64 /* room for one IPV6_PKTINFO cmsg */

struct event;
struct quic_conn;

/* --- quic.c: the transport -------------------------------------------- */

struct quic_transport {
	struct transport base;		       /* first: struct transport * casts to this */
	int fd;				       /* the one UDP socket, -1 if none */
	struct event *rx_ev;		       /* fd readable */
	struct event *pending_ev;	       /* runs quic_transport_run_pending() */
	struct event *reap_ev;		       /* frees closed connections */
	struct sockaddr_in6 bound;	       /* getsockname() of fd */
	bool listening;			       /* accept new connections (listen != NULL) */
	bool in_read;			       /* inside on_readable: run_pending comes after */
	bool freeing;			       /* tp_free(): no more callbacks */
	uint64_t key_update_bytes;	       /* initiate a key update after this much sent */
	uint64_t key_update_ms;		       /* ... or this long (QUIC_KEY_UPDATE_*) */
	uint8_t pk[32];			       /* our Ed25519 public key */
	char fp[9];			       /* log-safe fingerprint of our node ID */
	gnutls_certificate_credentials_t cred; /* our raw public key + signer */
	gnutls_priority_t prio;
	struct quic_cid_table cids;
	TAILQ_HEAD(, quic_conn) conns;	 /* every connection */
	TAILQ_HEAD(, quic_conn) pending; /* connections to flush soon */
	TAILQ_HEAD(, quic_conn) reap;	 /* closed, waiting for the reaper */
	uint32_t nconns;
	uint32_t nhandshaking;
	uint8_t reset_secret[QUIC_RESET_SECRET_LEN]; /* secret; wiped in free */
	uint64_t reset_tokens_milli;		     /* stateless reset token bucket */
	uint64_t reset_last_ms;
	struct quic_transport_stats stats;
	uint8_t rxbuf[QUIC_RX_BUF_LEN];
};

/* Monotonic time in ngtcp2 units (nanoseconds). */
uint64_t quic_now(void);

/* The one place ngtcp2 error codes become -errno / close reasons. */
int quic_errno_from_ngtcp2(int liberr);
enum tp_close_reason quic_reason_from_ngtcp2(int liberr);

/* Send one UDP payload to `to`. If `from` is not NULL and not ::, pin the
 * source address with IPV6_PKTINFO. Return 0 or -errno (packet lost). */
int quic_transport_send(struct quic_transport *t, const struct sockaddr_in6 *from,
			const struct sockaddr_in6 *to, const uint8_t *buf, size_t len);

/* Flush `c` soon: from the pending event, or at the end of the current
 * read batch. Safe from any callback. */
void quic_transport_schedule(struct quic_conn *c);
void quic_transport_run_pending(struct quic_transport *t);
/* Queue a closed connection for the reaper. */
void quic_transport_reap(struct quic_conn *c);

/* Derive the stateless reset token for `cid` from the transport secret. */
int quic_transport_reset_token(const struct quic_transport *t, const ngtcp2_cid *cid,
			       uint8_t token[NGTCP2_STATELESS_RESET_TOKENLEN]);

extern const struct transport_ops quic_ops;

/* --- quic_conn.c: one connection --------------------------------------- */

/* Named for what has happened (STYLE.md "State machines"). */
enum quic_conn_state {
	QUIC_CONN_STARTED = 0,	   /* handshake in progress */
	QUIC_CONN_ESTABLISHED = 1, /* peer key verified, `established` returned 0 */
	QUIC_CONN_CLOSED = 2,	   /* dead: waiting for the reaper */
	QUIC_CONN__COUNT
};

struct quic_chunk;
struct quic_stream;
struct quic_dgram;

#define QUIC_STREAM_BUCKETS 64

struct quic_conn {
	struct tp_conn base; /* first: struct tp_conn * casts to this */
	struct quic_transport *t;
	ngtcp2_crypto_conn_ref conn_ref; /* gnutls session ptr -> this */
	ngtcp2_conn *conn;
	gnutls_session_t tls;
	struct event *timer; /* ngtcp2 expiry */
	enum quic_conn_state state;
	enum tp_close_reason close_reason;
	ngtcp2_connection_close_error ccerr; /* what CONNECTION_CLOSE says */
	bool send_close;		     /* write CONNECTION_CLOSE before freeing */
	bool upper_knows;		     /* dialed, or `established` ran: `closed` is owed */
	bool hs_slot;			     /* holds an hs_limit slot */
	bool auth_failed;		     /* the peer's key or certificate was refused */
	bool got_reset;			     /* a stateless reset killed it */
	bool in_pending;
	bool in_reap;
	bool resets_pending;	    /* some stream has reset_pending */
	uint8_t remote_pk[32];	    /* dialer: the key asked for; acceptor: proved */
	char fp[9];		    /* log-safe fingerprint of remote_pk */
	uint64_t established_ms;    /* clock_mono_ms() at `established` */
	uint64_t key_ms, key_bytes; /* when / tx_bytes at the last key update we started */
	void *conn_ctx;
	struct sockaddr_in6 local;   /* dialed: the socket's; accepted: where the client wrote */
	struct sockaddr_in6 remote;  /* dialed address, or the first packet's source */
	struct quic_cid_entry *cids; /* CIDs routing to us (quic_cid.c) */
	TAILQ_ENTRY(quic_conn) link, pending_link, reap_link;
	/* streams (quic_stream.c) */
	struct quic_stream *streams[QUIC_STREAM_BUCKETS];
	uint32_t nstreams;	 /* our stream states, any stream */
	uint32_t nstreams_local; /* ... of which we opened */
	uint64_t flush_gen;	 /* bumps per flush, for per-flush skips */
	size_t buffered;	 /* stream bytes not yet acked + queued datagrams */
	uint64_t unsent;	 /* stream bytes not yet handed to ngtcp2 */
	struct quic_dgram *dg_head, *dg_tail;
	uint32_t ndgrams;
	struct tp_conn_stats stats;
};

/* Create a connection dialing `to` (quic_conn.c). On success it is in
 * t->conns and *out_c is set. Return 0 or -errno. */
int quic_conn_new_client(struct quic_transport *t, const struct sockaddr_in6 *to,
			 const uint8_t remote_pk[32], void *conn_ctx, struct quic_conn **out_c);
/* Create a connection for a client Initial with header `hd` that arrived
 * on `local` from `remote`. Return 0 or -errno. */
int quic_conn_new_server(struct quic_transport *t, const ngtcp2_pkt_hd *hd,
			 const struct sockaddr_in6 *local, const struct sockaddr_in6 *remote,
			 struct quic_conn **out_c);
/* Feed one received packet to `c`; flushing is left to run_pending. */
void quic_conn_read(struct quic_conn *c, const struct sockaddr_in6 *local,
		    const struct sockaddr_in6 *remote, const uint8_t *pkt, size_t len);
/* Let ngtcp2 check whether `pkt` (unknown CID) is `c`'s stateless reset;
 * if so, close `c` (TP_CLOSE_IO) and return true. */
bool quic_conn_try_reset(struct quic_conn *c, const struct sockaddr_in6 *local,
			 const struct sockaddr_in6 *remote, const uint8_t *pkt, size_t len);
/* Apply deferred stream resets, write what ngtcp2 has, tell blocked
 * writers they may write, and re-arm the timer. */
void quic_conn_after_io(struct quic_conn *c);
/* Mark `c` dead with `why` and hand it to the reaper. Idempotent. */
void quic_conn_close(struct quic_conn *c, enum tp_close_reason why, bool send_close);
/* Write and send CONNECTION_CLOSE (c->ccerr) if c->send_close, once. */
void quic_conn_send_close(struct quic_conn *c);
/* Unlink `c` from everything and free it. No callbacks. Accepts NULL. */
void quic_conn_free(struct quic_conn *c);
/* Send one packet ngtcp2 wrote for `path`. */
void quic_conn_send_pkt(struct quic_conn *c, const ngtcp2_path *path, const uint8_t *pkt,
			size_t len);
const char *quic_conn_state_name(enum quic_conn_state s);

/* --- quic_stream.c ----------------------------------------------------- */

int quic_datagram_send(struct tp_conn *tc, const uint8_t *buf, size_t len);
int quic_stream_open(struct tp_conn *tc, uint64_t *out_sid);
ssize_t quic_stream_write(struct tp_conn *tc, uint64_t sid, const uint8_t *buf, size_t len,
			  bool fin);
void quic_stream_consumed(struct tp_conn *tc, uint64_t sid, size_t n);
int quic_stream_reset(struct tp_conn *tc, uint64_t sid, uint32_t code);

/* Hooks for quic_conn.c's ngtcp2 callbacks and flush loop. */
int quic_stream_on_open(struct quic_conn *c, int64_t id);
void quic_stream_on_data(struct quic_conn *c, int64_t id, const uint8_t *data, size_t len,
			 bool fin);
void quic_stream_on_acked(struct quic_conn *c, int64_t id, uint64_t offset, uint64_t len);
void quic_stream_on_reset(struct quic_conn *c, int64_t id, uint64_t code);
void quic_stream_on_close(struct quic_conn *c, int64_t id, bool app_error, uint64_t code);
void quic_stream_apply_resets(struct quic_conn *c);
/* Write queued datagrams and stream data into packets and send them.
 * Return 0, or a fatal ngtcp2 error (the caller closes `c`). */
int quic_stream_flush(struct quic_conn *c, uint8_t *buf, size_t buflen, ngtcp2_path *path,
		      unsigned *npkts);
void quic_stream_notify_writable(struct quic_conn *c);
void quic_stream_free_all(struct quic_conn *c);

/* --- quic_tls.c -------------------------------------------------------- */

/* Build our credentials (raw Ed25519 key, verify callback) and priority.
 * Return 0 or -errno. Secrets are not kept outside GnuTLS. */
int quic_tls_init(struct quic_transport *t, const struct tp_identity *id);
void quic_tls_clear(struct quic_transport *t);
/* Give `c` a TLS 1.3 session for its role, bound to its ngtcp2_conn. */
int quic_tls_session_new(struct quic_conn *c, bool server);
/* After the handshake: check ALPN and the peer's key. The dialer's peer
 * must hold c->remote_pk; the acceptor's proved key is stored there.
 * Return 0 or -EACCES. */
int quic_tls_check_peer(struct quic_conn *c);

#endif /* VX6_TRANSPORT_QUIC_INTERNAL_H */
