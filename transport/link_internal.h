/* transport/link_internal.h - layout of links and the manager, shared by
 * transport/link*.c and tests/unit only. */
#ifndef VX6_TRANSPORT_LINK_INTERNAL_H
#define VX6_TRANSPORT_LINK_INTERNAL_H

#include <sodium/crypto_hash_sha256.h>

#include "transport/link.h"
#include "transport/link_msg.h"
#include "transport/link_probe.h"

#define LINK_HASH_SIZE	 256
#define LINK_STREAM_HASH 64
#define LINK_SIMOPEN_MS	 2000 /* two connections this close together are a simultaneous open */
#define LINK_KIND_SLOTS	 4    /* indexed by enum transport_kind */

/* A stream the link layer knows about: its kind, and for bench streams the
 * sink or source state. */
struct link_stream {
	struct link_stream *next;
	uint64_t sid;
	uint8_t kind; /* 0 until the first byte of a peer-opened stream */
	bool local;   /* we opened it */
	bool fin_sent, fin_rcvd;
	/* bench sink (peer-opened BENCH) */
	uint8_t hdr[LINK_BENCH_HDR_LEN];
	uint8_t hdr_have;
	uint64_t expect, got;
	crypto_hash_sha256_state sha;
};

struct link {
	struct link_mgr *m;
	struct link *hnext; /* hash chain */
	struct node_id id;
	uint8_t pk[32];
	char fp[9]; /* log fingerprint */
	enum link_state state;
	bool configured;
	bool dead; /* unlinked; the reaper frees it */
	struct link *dead_next;

	enum transport_kind kind; /* transport to dial (configured peers) */
	struct sockaddr_in6 ep;	  /* endpoint to dial */
	struct tp_conn *conn;	  /* established connection, borrowed */
	struct tp_conn *dialing;  /* dial in progress, borrowed */
	enum transport_kind conn_kind;
	bool conn_initiator;

	struct event *timer; /* backoff redial, or keepalive while up */
	uint32_t backoff_ms;
	uint64_t up_since_ms, last_rx_ms, last_use_ms;
	uint64_t ping_token, ping_sent_ns, srtt_us;

	uint64_t tx_bytes, rx_bytes, tx_packets, rx_packets;
	uint64_t drops[LINK_DROP__COUNT];
	uint64_t connects, disconnects;
	enum tp_close_reason last_close;
	struct tp_conn_stats closed_stats; /* summed over finished connections */

	struct link_stream *streams[LINK_STREAM_HASH];
	struct link_ctl_tx *ctl_tx;	/* our control stream (link_control.c) */
	struct link_ctl_rx *ctl_rx;	/* the peer's, being reassembled */
	struct link_ping_op *ping_op;	/* at most one user ping run */
	struct link_bench_op *bench_op; /* at most one bench run */
};

struct link_mgr {
	struct event_base *base;
	struct tp_identity ident;
	struct node_id self;
	struct link_callbacks cb;
	struct transport *tp[LINK_KIND_SLOTS];
	bool listening[LINK_KIND_SLOTS];
	struct link *buckets[LINK_HASH_SIZE];
	unsigned n_links;
	struct link *dead;
	struct event *reaper;
	uint64_t links_refused_full;
	uint32_t ping_ms, dead_ms, idle_close_ms; /* LINK_*_MS unless tuned */
};

/* link.c: the state machine and the table */
void link_set_state(struct link *l, enum link_state to);
void link_arm(struct link *l, uint64_t ms);
void link_enter_backoff(struct link *l); /* grow the backoff, arm the redial */
struct link *link_create(struct link_mgr *m, const uint8_t pk[32]);
void link_unlink(struct link *l); /* out of the table now, freed by the reaper */
void link_conn_detach(struct link *l, struct tp_conn *c, enum tp_close_reason why);
void link_closed_stats_add(struct link *l, const struct tp_conn_stats *st);
void link_streams_clear(struct link *l);
struct link_stream *link_stream_find(struct link *l, uint64_t sid);
struct link_stream *link_stream_add(struct link *l, uint64_t sid, bool local);
void link_stream_forget(struct link *l, uint64_t sid);
void link_stream_ended(struct link *l, uint64_t sid, bool ours);

/* link_control.c */
void link_control_data(struct link *l, uint64_t sid, const uint8_t *buf, size_t len);
void link_control_writable(struct link *l, uint64_t sid);
void link_control_free(struct link *l); /* when the connection goes */

/* link_upcall.c */
struct tp_callbacks link_mgr_upcalls(struct link_mgr *m);

/* link_probe.c: hooks the core calls */
void link_probe_on_pong(struct link *l, uint64_t token);
void link_probe_bench_data(struct link *l, struct link_stream *s, const uint8_t *buf, size_t len,
			   bool fin);
void link_probe_bench_writable(struct link *l, uint64_t sid);
void link_probe_bench_reset(struct link *l, uint64_t sid);
void link_probe_abort(struct link *l, int err);

#endif /* VX6_TRANSPORT_LINK_INTERNAL_H */
