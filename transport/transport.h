/* transport/transport.h - the one interface every transport implements:
 * authenticated, encrypted connections to peers that carry unreliable
 * datagrams (IP packets, probes) and reliable ordered streams (services,
 * control). Implementations: TCP + Noise IK (transport/tcp*.c) and QUIC
 * with TLS 1.3 raw public keys (transport/quic*.c).
 *
 * Ownership: a struct transport owns its listening sockets and every
 * struct tp_conn it created. The layer above (transport/link.c) holds
 * borrowed tp_conn pointers between `established` and `closed`; after
 * `closed` returns the pointer is dead (the transport frees it from a
 * reaper event, never inside a callback whose caller still uses it).
 *
 * Authentication: a dialed connection succeeds only if the peer proves
 * possession of the Ed25519 key the caller named; an accepted connection
 * reports the key the peer proved. Before `established` no byte from the
 * peer reaches the layer above.
 *
 * Context: everything runs on the daemon's event loop; no call blocks.
 */
#ifndef VX6_TRANSPORT_TRANSPORT_H
#define VX6_TRANSPORT_TRANSPORT_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>
#include <sys/uio.h>
#include <netinet/in.h>

#include "transport/hs_limit.h"

struct event_base;
struct transport;
struct tp_conn;

/* Same values as enum record_transport (identity/record.h). */
enum transport_kind {
	TRANSPORT_TCP = 1,
	TRANSPORT_QUIC = 2,
	TRANSPORT_UDP = 3,
};

#define TP_STREAMS_MAX		256		  /* open streams per connection, each way */
#define TP_STREAM_WINDOW	(2048 * 1024)	  /* initial per-stream receive window, bytes */
#define TP_CONN_WINDOW		(4 * 1024 * 1024) /* per-connection receive window, bytes */
#define TP_SEND_BUFFER_MAX	(4 * 1024 * 1024) /* bytes queued to send per connection */
#define TP_DATAGRAM_MAX		1400		  /* largest datagram payload any transport takes */
#define TP_PENDING_HS_MAX	64		  /* unauthenticated connections, all sources */
#define TP_PENDING_HS_PER_IP	4		  /* unauthenticated connections per source */
#define TP_HANDSHAKE_TIMEOUT_MS 5000

/* Why a connection closed (reported in `closed` and in link stats). */
enum tp_close_reason {
	TP_CLOSE_LOCAL = 0,    /* we closed it */
	TP_CLOSE_REMOTE = 1,   /* the peer closed it */
	TP_CLOSE_AUTH = 2,     /* handshake failed: wrong key, bad MAC, replay */
	TP_CLOSE_TIMEOUT = 3,  /* handshake or idle timeout */
	TP_CLOSE_PROTOCOL = 4, /* malformed frame after the handshake */
	TP_CLOSE_IO = 5,       /* socket error, connection reset */
	TP_CLOSE_REFUSED = 6,  /* the layer above refused the peer */
	TP_CLOSE_REPLACED = 7, /* a newer connection to the same peer won */
	TP_CLOSE__COUNT
};

/* Counters every transport keeps per connection. */
struct tp_conn_stats {
	uint64_t tx_bytes, rx_bytes; /* underlay bytes, including overhead */
	uint64_t tx_datagrams, rx_datagrams;
	uint64_t tx_dropped; /* datagrams dropped: send buffer full */
	uint64_t rx_dropped; /* frames dropped: bad MAC, replay, malformed */
	uint64_t rtt_us;     /* smoothed RTT, 0 if unknown */
	uint64_t rekeys;     /* key changes, both directions (TCP; QUIC key updates) */
	uint32_t streams_open;
	const char *cipher; /* static: "AESGCM", "ChaChaPoly", TLS's cipher (QUIC); NULL before keys */
};

/* Upcalls into the layer above. Every callback may call back into the
 * transport (send, close) but must not free the transport. */
struct tp_callbacks {
	void *ctx;
	/* The handshake finished. `remote_pk` is the Ed25519 key the peer
	 * proved; `conn_ctx` is what dial() was given (NULL when accepted).
	 * Return 0 to keep the connection or a negative errno to refuse it
	 * (it is then closed with TP_CLOSE_REFUSED). */
	int (*established)(void *ctx, struct tp_conn *c, const uint8_t remote_pk[32],
			   void *conn_ctx);
	void (*datagram)(void *ctx, struct tp_conn *c, const uint8_t *buf, size_t len);
	/* Stream data in order. `fin` marks the end of the peer's side. The
	 * receiver must call tp_stream_consumed() once it has passed the bytes
	 * on: that is what opens the window again (end-to-end backpressure). A
	 * stream the peer opened first shows up here with its first data. */
	void (*stream_data)(void *ctx, struct tp_conn *c, uint64_t sid, const uint8_t *buf,
			    size_t len, bool fin);
	/* The peer aborted the stream; it is gone on both sides. */
	void (*stream_reset)(void *ctx, struct tp_conn *c, uint64_t sid, uint32_t code);
	/* A stream that returned 0 from tp_stream_write() can take more. */
	void (*stream_writable)(void *ctx, struct tp_conn *c, uint64_t sid);
	/* The connection is gone. `c` must not be used after this returns. */
	void (*closed)(void *ctx, struct tp_conn *c, enum tp_close_reason why);
	/* Optional: a transport that reads datagrams in batches calls this
	 * after the last `datagram` of a batch, so the layer above can flush
	 * what it coalesced (e.g. TCP segments into one TUN write). */
	void (*datagram_batch_end)(void *ctx);
};

/* What each implementation provides. Call through the tp_* wrappers. */
struct transport_ops {
	enum transport_kind kind;
	const char *name;
	int (*dial)(struct transport *t, const struct sockaddr_in6 *to, const uint8_t remote_pk[32],
		    void *conn_ctx, struct tp_conn **out_conn);
	int (*datagram_send)(struct tp_conn *c, const uint8_t *buf, size_t len);
	/* Optional (NULL: tp_datagram_send_batch() loops over datagram_send):
	 * send `n` datagrams to one peer at once, e.g. with UDP GSO. */
	int (*datagram_send_batch)(struct tp_conn *c, const struct iovec *dgrams, size_t n,
				   size_t *out_sent);
	int (*stream_open)(struct tp_conn *c, uint64_t *out_sid);
	ssize_t (*stream_write)(struct tp_conn *c, uint64_t sid, const uint8_t *buf, size_t len,
				bool fin);
	void (*stream_consumed)(struct tp_conn *c, uint64_t sid, size_t n);
	int (*stream_reset)(struct tp_conn *c, uint64_t sid, uint32_t code);
	void (*close)(struct tp_conn *c, enum tp_close_reason why);
	void (*get_stats)(const struct tp_conn *c, struct tp_conn_stats *out);
	void (*get_peer)(const struct tp_conn *c, struct sockaddr_in6 *out);
	int (*local_addr)(const struct transport *t, struct sockaddr_in6 *out);
	void (*free)(struct transport *t);
};

/* Every implementation embeds this first in its struct transport. */
struct transport {
	const struct transport_ops *ops;
	struct event_base *base;
	struct tp_callbacks cb;
	uint64_t hs_refused_rate; /* handshakes refused by the per-source rate limit */
	uint64_t hs_refused_cap;  /* ... by the pending-handshake cap */
	uint64_t hs_failed;	  /* handshakes that failed authentication */
	uint64_t hs_completed;
	struct hs_limit limit; /* admission of unauthenticated handshakes */
};

/* Every implementation embeds this first in its struct tp_conn. */
struct tp_conn {
	struct transport *t;
	bool initiator;
	void *user; /* owned by the layer above; transports never touch it */
};

/* Our long-term identity, borrowed by a transport for its lifetime. */
struct tp_identity {
	const uint8_t *ed25519_pk; /* 32 bytes */
	const uint8_t *ed25519_sk; /* 64 bytes, libsodium layout; secret */
};

/* Constructors: bind `listen` (port 0 = ephemeral; NULL = dial only) and
 * return a transport in *out_t. Return 0 or a negative errno. */
int tp_tcp_new(struct event_base *base, const struct tp_identity *id,
	       const struct sockaddr_in6 *listen, const struct tp_callbacks *cb,
	       struct transport **out_t);
int tp_quic_new(struct event_base *base, const struct tp_identity *id,
		const struct sockaddr_in6 *listen, const struct tp_callbacks *cb,
		struct transport **out_t);
/* Datagram-only (streams: -EPROTONOSUPPORT); transport/udp.h. */
int tp_udp_new(struct event_base *base, const struct tp_identity *id,
	       const struct sockaddr_in6 *listen, const struct tp_callbacks *cb,
	       struct transport **out_t);

/* The bound local address (to learn an ephemeral port). Return 0 or
 * -ENOTCONN for a dial-only transport. */
static inline int tp_local_addr(const struct transport *t, struct sockaddr_in6 *out)
{
	return t->ops->local_addr(t, out);
}

/* Start a connection to `to`, which must prove `remote_pk`. `conn_ctx` is
 * handed back in `established`. Return 0 (in progress; the result arrives
 * as `established` or `closed`) or a negative errno. */
static inline int tp_dial(struct transport *t, const struct sockaddr_in6 *to,
			  const uint8_t remote_pk[32], void *conn_ctx, struct tp_conn **out_conn)
{
	return t->ops->dial(t, to, remote_pk, conn_ctx, out_conn);
}

/* Send one datagram. Return 0, -EMSGSIZE (over TP_DATAGRAM_MAX or the
 * path's limit), -ENOBUFS (dropped: send buffer full; counted), -ENOTCONN. */
static inline int tp_datagram_send(struct tp_conn *c, const uint8_t *buf, size_t len)
{
	return c->t->ops->datagram_send(c, buf, len);
}

/* Send `n` datagrams (each at most TP_DATAGRAM_MAX) to the peer of `c`, in
 * order; store how many were queued in *out_sent. Return 0, or the error of
 * the first one not sent (-ENOBUFS: dropped and counted, -ENOTCONN, ...). */
int tp_datagram_send_batch(struct tp_conn *c, const struct iovec *dgrams, size_t n,
			   size_t *out_sent);

/* Open a stream. Return 0 and its ID, or -EAGAIN at TP_STREAMS_MAX; a
 * datagram-only transport (UDP) returns -EPROTONOSUPPORT. */
static inline int tp_stream_open(struct tp_conn *c, uint64_t *out_sid)
{
	return c->t->ops->stream_open(c, out_sid);
}

/* Queue up to `len` bytes (and FIN after them if `fin` and all fit).
 * Return the bytes taken (fewer than `len`, possibly 0: blocked by flow
 * control or the send buffer; wait for `stream_writable`), or
 * -ENOENT/-EPIPE/-ENOTCONN. FIN needs no credit: a write of 0 bytes with
 * `fin` always queues the FIN and returns 0. */
static inline ssize_t tp_stream_write(struct tp_conn *c, uint64_t sid, const uint8_t *buf,
				      size_t len, bool fin)
{
	return c->t->ops->stream_write(c, sid, buf, len, fin);
}

/* Tell the transport `n` received bytes of `sid` were passed on. */
static inline void tp_stream_consumed(struct tp_conn *c, uint64_t sid, size_t n)
{
	c->t->ops->stream_consumed(c, sid, n);
}

static inline int tp_stream_reset(struct tp_conn *c, uint64_t sid, uint32_t code)
{
	return c->t->ops->stream_reset(c, sid, code);
}

/* Close the connection. Safe from inside any callback; `closed` follows
 * from a later loop turn. */
static inline void tp_close(struct tp_conn *c, enum tp_close_reason why)
{
	c->t->ops->close(c, why);
}

static inline void tp_get_stats(const struct tp_conn *c, struct tp_conn_stats *out)
{
	c->t->ops->get_stats(c, out);
}

static inline void tp_get_peer(const struct tp_conn *c, struct sockaddr_in6 *out)
{
	c->t->ops->get_peer(c, out);
}

/* Close every connection (without callbacks) and free the transport.
 * Accepts NULL; returns NULL. */
struct transport *tp_free(struct transport *t);

/* Change handshake admission: at most `pending_max` unauthenticated
 * handshakes in total and `per_source_max` per source /64, and
 * `rate_per_s` new ones per second per source with bursts of `burst`.
 * Defaults: TP_PENDING_HS_MAX, TP_PENDING_HS_PER_IP, HS_LIMIT_RATE_PER_S,
 * HS_LIMIT_BURST. Benchmarks raise them to measure raw capacity. */
void tp_set_admission(struct transport *t, unsigned pending_max, unsigned per_source_max,
		      unsigned rate_per_s, unsigned burst);

const char *tp_close_reason_name(enum tp_close_reason why);
const char *tp_kind_name(enum transport_kind kind);

#endif /* VX6_TRANSPORT_TRANSPORT_H */
