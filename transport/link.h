/* transport/link.h - authenticated peer links over any transport.
 *
 * The link manager owns one struct link per remote node key and, through
 * the transports it owns, the connection that currently carries it. It
 * dials configured peers and redials them with exponential backoff, keeps
 * links alive with pings that also measure RTT, declares a peer dead when
 * nothing arrives for LINK_DEAD_MS, closes idle links to peers nobody
 * configured, and keeps counters per link. Datagrams whose first byte is an
 * IP version nibble (0x60..0x6f) are handed up as packets; the others are
 * link control messages (docs/wire.md §4). Streams are handed up with the
 * 1-byte stream kind that opens each one.
 *
 * Owner: daemon/. Pointers to links are borrowed and valid until the
 * current loop callback returns; keep a node ID to find one again.
 */
#ifndef VX6_TRANSPORT_LINK_H
#define VX6_TRANSPORT_LINK_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>
#include <sys/uio.h>
#include <netinet/in.h>

#include "identity/node_id.h"
#include "transport/transport.h"

struct event_base;
struct link;
struct link_mgr;

#define LINK_PEERS_MAX	    1024   /* links in the table, configured or not */
#define LINK_ENDPOINTS_MAX  4	   /* endpoints remembered per peer */
#define LINK_PING_MS	    5000   /* keepalive and RTT probe interval */
#define LINK_DEAD_MS	    20000  /* nothing received for this long: dead */
#define LINK_IDLE_CLOSE_MS  300000 /* unconfigured link with no traffic: close */
#define LINK_BACKOFF_MIN_MS 250
#define LINK_BACKOFF_MAX_MS 30000

/* States are named for what has already happened. */
enum link_state {
	LINK_IDLE = 0,	     /* no connection and none wanted (unconfigured peer) */
	LINK_CONNECTING = 1, /* dial in progress */
	LINK_UP = 2,	     /* authenticated connection established */
	LINK_BACKOFF = 3,    /* a dial failed or the link died; redial timer armed */
	LINK__STATE_COUNT
};

/* Why a received frame was dropped, per link. */
enum link_drop {
	LINK_DROP_MALFORMED = 0,  /* link control message that did not decode */
	LINK_DROP_UNKNOWN = 1,	  /* unknown control type */
	LINK_DROP_NO_HANDLER = 2, /* packet or stream with nobody to take it */
	LINK_DROP_TX_FULL = 3,	  /* datagram not sent: send buffer full */
	LINK_DROP__COUNT
};

/* Stream kinds: the first byte of every stream names its purpose. */
enum link_stream_kind {
	LINK_STREAM_BENCH = 1,	 /* diagnostics: sink that hashes what it gets */
	LINK_STREAM_SERVICE = 2, /* named service connection (routing/) */
	LINK_STREAM_CONTROL = 3, /* discovery and signalling (discovery/) */
};

struct link_info {
	struct node_id id;
	uint8_t pk[32];
	enum link_state state;
	bool configured;
	enum transport_kind kind;     /* of the current or last connection */
	struct sockaddr_in6 endpoint; /* current or last dialed/accepted address */
	bool initiator;
	uint64_t up_since_ms; /* monotonic; 0 if not up */
	uint64_t rtt_us;      /* smoothed, from pings; 0 if unknown */
	uint64_t tx_bytes, rx_bytes, tx_packets, rx_packets;
	uint64_t drops[LINK_DROP__COUNT];
	uint64_t conn_rx_dropped; /* frames the transport dropped (bad MAC, replay) */
	uint64_t connects, disconnects;
	enum tp_close_reason last_close;
	uint32_t backoff_ms;
	const char *cipher; /* of the current connection (tp_conn_stats.cipher); NULL if none */
};

/* Upcalls to the layers above (routing, services, discovery). Any may be
 * NULL. */
struct link_callbacks {
	void *ctx;
	void (*up)(void *ctx, struct link *l);
	void (*down)(void *ctx, struct link *l);
	void (*packet)(void *ctx, struct link *l, const uint8_t *pkt, size_t len);
	/* A peer opened a stream of `kind` (not BENCH, which the link layer
	 * serves itself). Return 0 to take it or a negative errno to reset
	 * it. Later data arrives through stream_data. */
	int (*stream_open)(void *ctx, struct link *l, uint64_t sid, uint8_t kind);
	void (*stream_data)(void *ctx, struct link *l, uint64_t sid, const uint8_t *buf, size_t len,
			    bool fin);
	void (*stream_reset)(void *ctx, struct link *l, uint64_t sid, uint32_t code);
	void (*stream_writable)(void *ctx, struct link *l, uint64_t sid);
	/* One control message (link_control_send() at the peer), in order. */
	void (*control)(void *ctx, struct link *l, const uint8_t *msg, size_t len);
};

/* Create a manager with our identity (borrowed for its lifetime). Return
 * 0 or -ENOMEM. */
int link_mgr_new(struct event_base *base, const struct tp_identity *id,
		 const struct link_callbacks *cb, struct link_mgr **out_mgr);

/* Close every link and transport without upcalls. Accepts NULL. */
struct link_mgr *link_mgr_free(struct link_mgr *m);

/* Listen on `addr` with transport `kind`. Return 0, -EPROTONOSUPPORT
 * (transport not built in), -EEXIST (that kind is already listening), or a
 * negative errno from bind(). */
int link_mgr_listen(struct link_mgr *m, enum transport_kind kind, const struct sockaddr_in6 *addr);

/* The address a listener of `kind` is bound to. */
int link_mgr_local_addr(struct link_mgr *m, enum transport_kind kind, struct sockaddr_in6 *out);

/* Configure a peer we keep a link to: dial `ep` over `kind`, redial with
 * backoff forever. Adding a known key updates its endpoint. Return 0,
 * -EINVAL (our own key), -ENOSPC (table full) or -EPROTONOSUPPORT. */
int link_peer_add(struct link_mgr *m, const uint8_t pk[32], const struct sockaddr_in6 *ep,
		  enum transport_kind kind);

/* Dial `pk` at `ep` once, without configuring it (discovery reaching a
 * contact): the link is kept while used and closed when idle, and a failed
 * dial is not retried. A link that exists already is left as it is. Return
 * 0, -EINVAL (our own or an invalid key), -ENOSPC or -EPROTONOSUPPORT. */
int link_mgr_connect(struct link_mgr *m, const uint8_t pk[32], const struct sockaddr_in6 *ep,
		     enum transport_kind kind);

/* Stop keeping a link to `id`; an open connection is closed. -ENOENT if
 * unknown. */
int link_peer_remove(struct link_mgr *m, const struct node_id *id);

/* Move a configured peer to a new endpoint (its record changed): if the
 * link is up on another address it is redialed there. */
int link_peer_set_endpoint(struct link_mgr *m, const struct node_id *id,
			   const struct sockaddr_in6 *ep, enum transport_kind kind);

struct link *link_find(struct link_mgr *m, const struct node_id *id);
bool link_is_up(const struct link *l);
const struct node_id *link_node_id(const struct link *l);
void link_get_info(const struct link *l, struct link_info *out);

/* Call `fn` for every link. `fn` must not add or remove links. */
void link_mgr_foreach(struct link_mgr *m, void (*fn)(void *arg, const struct link *l), void *arg);

/* Send an IP packet. Return 0, -ENOTCONN, -EMSGSIZE or -ENOBUFS. */
int link_send_packet(struct link *l, const uint8_t *pkt, size_t len);

/* Send `n` IP packets at once (the transport may batch them, e.g. with UDP
 * GSO). Store how many went in *out_sent. Return 0 or the error of the
 * first one not sent, as link_send_packet(). */
int link_send_packets(struct link *l, const struct iovec *pkts, size_t n, size_t *out_sent);

#define LINK_CONTROL_MSG_MAX   65535	    /* one control message, bytes */
#define LINK_CONTROL_QUEUE_MAX (256 * 1024) /* queued per link before refusing */

/* Send one control message (discovery, signalling) to the peer of `l` on
 * the link's control stream, opened on first use. Messages arrive in order
 * through the peer's `control` callback. Return 0, -EMSGSIZE (over
 * LINK_CONTROL_MSG_MAX), -ENOBUFS (LINK_CONTROL_QUEUE_MAX bytes already
 * queued: dropped), -ENOTCONN, or -EPROTONOSUPPORT (a datagram-only link). */
int link_control_send(struct link *l, const uint8_t *msg, size_t len);

/* Open a stream of `kind`. Return 0 with its ID, -ENOTCONN or -EAGAIN. */
int link_stream_open(struct link *l, uint8_t kind, uint64_t *out_sid);
ssize_t link_stream_write(struct link *l, uint64_t sid, const uint8_t *buf, size_t len, bool fin);
void link_stream_consumed(struct link *l, uint64_t sid, size_t n);
int link_stream_reset(struct link *l, uint64_t sid, uint32_t code);

/* Handshake counters over every transport of the manager. */
struct link_mgr_stats {
	uint64_t hs_completed, hs_failed, hs_refused_rate, hs_refused_cap;
	uint64_t rx_garbage; /* datagrams dropped before reaching any connection */
	uint64_t links_refused_full;
};
void link_mgr_get_stats(const struct link_mgr *m, struct link_mgr_stats *out);

/* Keepalive interval, dead-peer time and idle-close time for every link
 * (defaults LINK_PING_MS, LINK_DEAD_MS, LINK_IDLE_CLOSE_MS). */
void link_mgr_set_timers(struct link_mgr *m, uint32_t ping_ms, uint32_t dead_ms,
			 uint32_t idle_close_ms);

const char *link_state_name(enum link_state s);
const char *link_drop_name(enum link_drop d);

#endif /* VX6_TRANSPORT_LINK_H */
