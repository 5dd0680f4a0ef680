/* transport/udp_internal.h - layout of the UDP transport (transport/udp*.c
 * and tests/unit only). Wire format: docs/wire.md §3.9. */
#ifndef VX6_TRANSPORT_UDP_INTERNAL_H
#define VX6_TRANSPORT_UDP_INTERNAL_H

#include <stdbool.h>
#include <stdint.h>
#include <sys/queue.h>
#include <netinet/in.h>

#include "transport/replay_internal.h"
#include "transport/transport.h"
#include "transport/udp.h"
#include "transport/udp_wire.h"

struct event;
struct noise_cipher;
struct noise_handshake;

#define UDP_CONNS_MAX		 1024	      /* connections per transport, any state */
#define UDP_INDEX_BUCKETS	 4096	      /* index hash buckets (power of two) */
#define UDP_REKEY_AFTER_MS	 120000	      /* REKEY_AFTER_TIME */
#define UDP_REKEY_AFTER_MESSAGES (1ull << 60) /* REKEY_AFTER_MESSAGES */
#define UDP_REJECT_GRACE_MS	 60000	      /* keys die this long after rekey time */
#define UDP_RETRANSMIT_MS	 1000	      /* INIT retransmit, minus up to a third */
#define UDP_TS_TABLE		 1024	      /* initiator timestamps remembered */
#define UDP_REPLY_RATE_PER_S	 50	      /* REJECT + RESET sent per second */
#define UDP_RESET_RX_RATE_PER_S	 100	      /* RESETs looked at per second */
#define UDP_SOCK_BUF_LEN	 (4 * 1024 * 1024)
#define UDP_TXQ_BYTES		 (1024 * 1024) /* encrypted bytes queued per loop turn */
#define UDP_TXQ_RUNS		 1024	       /* runs (messages to the kernel) queued */
#define UDP_TX_VEC		 64	       /* messages per sendmmsg() */
#define UDP_GSO_SEGS_MAX	 64	       /* the kernel's UDP_MAX_SEGMENTS (older kernels) */
#define UDP_GSO_BYTES_MAX	 65000	       /* payload of one GSO send; IPv6 caps it at 65527 */
#define UDP_RX_SLOTS		 8	       /* messages per recvmmsg() */
#define UDP_RX_SLOT_LEN		 65536	       /* one GRO super-datagram */
#define UDP_RX_BUDGET		 16	       /* recvmmsg() calls per wakeup */
#define UDP_CMSG_LEN		 96 /* IPV6_PKTINFO + UDP_SEGMENT or UDP_GRO, with room */

/* An index we gave out (the peer's receiver index), in the table. */
struct udp_index {
	struct udp_index *next; /* bucket chain */
	uint32_t id;		/* 0 while not in the table */
	struct udp_conn *c;
	struct udp_keypair *kp; /* NULL: the handshake `c` initiated */
};

/* One set of session keys, from one handshake. */
struct udp_keypair {
	struct udp_index idx;  /* ours: the peer sends it as receiver index */
	uint32_t remote_index; /* the peer's: we send it */
	struct noise_cipher *tx, *rx;
	uint64_t tx_counter; /* next counter (nonce) to send */
	uint64_t born_ms;
	bool we_initiated;
	bool has_token; /* the peer's RESET token for remote_index */
	uint8_t token[UDP_RESET_TOKEN_LEN];
	struct replay_window rx_window;
};

/* States are named for what has already happened. Rekeys happen inside
 * ESTABLISHED (a handshake in flight: `hs`; keys rotate: cur/prev/next). */
enum udp_conn_state {
	UDP_CONN_SENT_INIT = 0,	  /* dialed: INIT out, no keys yet */
	UDP_CONN_SENT_RESP = 1,	  /* accepted: RESP out, waiting for the first DATA */
	UDP_CONN_ESTABLISHED = 2, /* keys confirmed both ways; datagrams flow */
	UDP_CONN_CLOSED = 3,	  /* keys wiped; waiting for the reaper */
	UDP_CONN__STATE_COUNT
};

struct udp_conn {
	struct tp_conn base; /* first: the generic part */
	struct udp_transport *ut;
	TAILQ_ENTRY(udp_conn) link;
	TAILQ_ENTRY(udp_conn) reap_link;
	enum udp_conn_state state;
	bool dead, reported, hs_slot, in_reap;
	struct in6_addr hs_src; /* where the admission slot was taken */
	enum tp_close_reason why;
	struct sockaddr_in6 peer; /* current endpoint: moves with authenticated input */
	struct in6_pktinfo local; /* our address the peer wrote to; :: = unknown */
	void *conn_ctx;
	uint8_t remote_pk[32]; /* Ed25519; proved once established */
	char fp[9];
	struct event *timer; /* handshake retransmit/deadline, key expiry */
	uint64_t created_ms;
	/* The handshake we initiated, while in flight (first one or rekey). */
	struct noise_handshake *hs;
	struct udp_index hs_idx;
	uint64_t hs_started_ms, hs_sent_ms, hs_next_ms;
	uint8_t hs_e[32];	  /* ephemeral key of our latest INIT (REJECT echoes it) */
	uint8_t hs_cipher;	  /* UDP_CIPHER_* of our latest INIT */
	uint32_t peer_sender;	  /* accepted: the INIT sender index we answered */
	struct udp_keypair *cur;  /* sends; receives */
	struct udp_keypair *prev; /* receives in-flight packets after a rotation */
	struct udp_keypair *next; /* responder: waits for the initiator's first DATA */
	struct tp_conn_stats stats;
};

/* A run of queued datagrams to one destination, sent as one message: all
 * segments `seg` bytes long except possibly the last (UDP GSO rules). */
struct udp_tx_run {
	struct sockaddr_in6 to;
	struct in6_pktinfo from; /* :: = let the kernel choose */
	uint32_t off, bytes;	 /* in the queue buffer */
	uint16_t seg, n;
	bool sealed; /* the last segment was short: nothing more fits */
};

struct udp_bucket {
	uint64_t tokens_milli, last_ms;
};

struct udp_ts_entry {
	uint8_t pk[32];
	uint64_t ts_ms;
	uint64_t used_ms; /* 0 = free */
};

struct udp_transport {
	struct transport base; /* first */
	struct tp_identity ident;
	uint8_t x_priv[32];    /* X25519 image of our Ed25519 key; secret */
	uint8_t reset_key[32]; /* RESET tokens; secret, derived from the node key */
	char fp[9];
	int fd;
	bool listening, freeing, in_read;
	bool gso_kernel, gso_on, gro; /* the kernel has GSO; we use it; GRO is on */
	bool tx_blocked;	      /* the socket said EAGAIN: wait for EV_WRITE */
	uint8_t cipher;		      /* UDP_CIPHER_* our INITs offer */
	struct sockaddr_in6 bound;
	struct event *rx_ev, *tx_ev, *reap_ev;
	TAILQ_HEAD(, udp_conn) conns;
	TAILQ_HEAD(, udp_conn) reap;
	unsigned n_conns;
	struct udp_index *index[UDP_INDEX_BUCKETS];
	struct udp_ts_entry ts[UDP_TS_TABLE];
	uint64_t last_ts_sent;
	struct noise_handshake *resp_hs; /* scratch: every INIT is read with it */
	uint64_t rekey_after_ms, rekey_after_msgs, reject_after_ms;
	uint64_t retransmit_ms, hs_timeout_ms;
	uint64_t now_ms;	    /* loop time of the batch being processed */
	struct udp_bucket reply;    /* REJECT and RESET we send */
	struct udp_bucket reset_rx; /* RESETs we look at (each scans the connections) */
	struct udp_transport_stats stats;
	/* Send queue: encrypted datagrams waiting for the end of the loop
	 * turn, so that datagrams sent one by one still leave in batches. */
	uint8_t *txq; /* UDP_TXQ_BYTES */
	size_t txq_used;
	struct udp_tx_run runs[UDP_TXQ_RUNS];
	unsigned n_runs, run_head; /* runs[run_head..n_runs) wait */
	uint8_t *rxq;		   /* UDP_RX_SLOTS * UDP_RX_SLOT_LEN */
};

/* udp.c: the object, the index and timestamp tables, closing */
extern const struct transport_ops udp_ops;
/* Put `idx` in the table under `id`, or a fresh random index if `id` is 0.
 * Return 0, -EEXIST (`id` taken) or -EAGAIN. */
int udp_index_add(struct udp_transport *ut, struct udp_index *idx, struct udp_conn *c,
		  struct udp_keypair *kp, uint32_t id);
void udp_index_del(struct udp_transport *ut, struct udp_index *idx);
struct udp_index *udp_index_find(const struct udp_transport *ut, uint32_t id);
bool udp_ts_accept(struct udp_transport *ut, const uint8_t pk[32], uint64_t ts_ms);
/* Take a token from `b`, which refills at `rate_per_s` up to as many. */
bool udp_bucket_take(struct udp_bucket *b, unsigned rate_per_s);
void udp_reset_token(const struct udp_transport *ut, uint32_t index,
		     uint8_t out[UDP_RESET_TOKEN_LEN]);
struct udp_conn *udp_conn_new(struct udp_transport *ut, bool initiator,
			      const struct sockaddr_in6 *peer);
void udp_conn_fingerprint(struct udp_conn *c);
void udp_conn_set_state(struct udp_conn *c, enum udp_conn_state to);
void udp_conn_close(struct udp_conn *c, enum tp_close_reason why);
/* Tell the layer above (dialed: always; accepted: once confirmed). */
void udp_conn_established(struct udp_conn *c);

/* udp_io.c: the socket, batched receive and send */
int udp_socket_open(struct udp_transport *ut, const struct sockaddr_in6 *listen);
void udp_on_readable(int fd, short what, void *arg);
void udp_on_tx(int fd, short what, void *arg);
/* Count (and, rate limited, log at debug) a datagram no connection took. */
void udp_count_garbage(struct udp_transport *ut, const struct sockaddr_in6 *from, const char *why);
/* Room for one `len`-byte datagram to `to` at the tail of the send queue,
 * or NULL (full). The caller writes exactly `len` bytes there. */
uint8_t *udp_txq_reserve(struct udp_transport *ut, const struct sockaddr_in6 *to,
			 const struct in6_pktinfo *from, size_t len);
size_t udp_txq_room(const struct udp_transport *ut);
void udp_txq_schedule(struct udp_transport *ut);
void udp_txq_flush(struct udp_transport *ut);
/* Queue a copy of one handshake-layer message. It goes out in order with
 * the DATA queued before it: an INIT or RESP that overtook DATA could make
 * the peer retire the keys that DATA was sealed with. 0 or -ENOBUFS. */
int udp_txq_push(struct udp_transport *ut, const struct sockaddr_in6 *to,
		 const struct in6_pktinfo *from, const uint8_t *buf, size_t len);
/* Process one received UDP payload (`buf` is writable: DATA decrypts in place). */
void udp_input(struct udp_transport *ut, const struct sockaddr_in6 *from,
	       const struct in6_pktinfo *local, uint8_t *buf, size_t len);

/* udp_conn.c: handshakes */
int udp_conn_start_handshake(struct udp_conn *c);
void udp_conn_arm(struct udp_conn *c);
void udp_conn_on_timer(int fd, short what, void *arg);
void udp_on_init(struct udp_transport *ut, const struct udp_msg *m, const struct sockaddr_in6 *from,
		 const struct in6_pktinfo *local);
void udp_on_resp(struct udp_transport *ut, const struct udp_msg *m, const struct sockaddr_in6 *from,
		 const struct in6_pktinfo *local);
void udp_on_reject(struct udp_transport *ut, const struct udp_msg *m,
		   const struct sockaddr_in6 *from);
void udp_on_reset(struct udp_transport *ut, const struct udp_msg *m,
		  const struct sockaddr_in6 *from);
/* DATA for an index we do not know: answer RESET (rate limited). */
void udp_send_reset(struct udp_transport *ut, const struct udp_msg *m,
		    const struct sockaddr_in6 *from, const struct in6_pktinfo *local);

/* udp_data.c: keys and the datagram path */
/* New keys for `c` without a key yet (the caller splits a handshake into
 * kp->tx/rx), with index `id` (0: a random one). NULL when out of memory. */
struct udp_keypair *udp_keypair_new(struct udp_transport *ut, struct udp_conn *c, bool we_initiated,
				    uint32_t id);
struct udp_keypair *udp_keypair_free(struct udp_transport *ut, struct udp_keypair *kp);
/* Install a fresh keypair (WireGuard's rotation: an initiator uses it at
 * once, a responder keeps it in `next` until the first DATA under it). */
void udp_conn_install(struct udp_conn *c, struct udp_keypair *kp);
void udp_conn_drop_keys(struct udp_conn *c);
/* Send DATA (empty: key confirmation) or CLOSE under `kp`. Return 0 or -errno. */
int udp_conn_send_sealed(struct udp_conn *c, struct udp_keypair *kp, uint8_t type,
			 const uint8_t *buf, size_t len);
void udp_conn_roam(struct udp_conn *c, const struct sockaddr_in6 *from,
		   const struct in6_pktinfo *local);
void udp_conn_maybe_rekey(struct udp_conn *c);
void udp_on_data(struct udp_transport *ut, const struct udp_msg *m, const struct sockaddr_in6 *from,
		 const struct in6_pktinfo *local, uint8_t *buf);
int udp_datagram_send(struct tp_conn *tc, const uint8_t *buf, size_t len);
int udp_datagram_send_batch(struct tp_conn *tc, const struct iovec *dgrams, size_t n,
			    size_t *out_sent);

#endif /* VX6_TRANSPORT_UDP_INTERNAL_H */
