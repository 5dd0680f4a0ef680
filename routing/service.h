/* routing/service.h - named services and forwarded ports over link streams
 * (docs/wire.md §7).
 *
 * Owner side: a table of local services, each a name, a published localhost
 * target and an allow list. A peer opens a SERVICE stream and sends OPEN;
 * the manager checks the name and the caller, connects to that service's
 * target only (never an address a peer names) and bridges the stream to
 * the TCP connection. Client side: forwards, each a loopback TCP listener;
 * every accepted connection becomes a SERVICE stream to the owner, resolved
 * through the host callbacks (named mode) or given (direct-IPv6 mode).
 *
 * Bridging keeps end-to-end backpressure: stream bytes are handed back to
 * the link (link_stream_consumed) only once written to the local socket,
 * and the local socket is read only while the link takes what is read.
 * Caps: SVC_STREAMS_PER_SERVICE, SVC_STREAMS_PER_PEER, SVC_CONNS_PER_FORWARD.
 *
 * Owner: daemon/services.c. Single-threaded, on the daemon's loop; the
 * daemon forwards the link callbacks to svc_mgr_on_*(). No JSON, no files.
 */
#ifndef VX6_ROUTING_SERVICE_H
#define VX6_ROUTING_SERVICE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/socket.h>
#include <netinet/in.h>

#include "identity/node_id.h"
#include "identity/service_record.h"
#include "transport/transport.h"

struct event_base;
struct link;
struct link_mgr;
struct svc_mgr;

#define SVC_SERVICES_MAX	64
#define SVC_FORWARDS_MAX	64
#define SVC_ALLOW_MAX		32
#define SVC_STREAMS_PER_SERVICE 64
#define SVC_STREAMS_PER_PEER	128
#define SVC_CONNS_PER_FORWARD	256
#define SVC_WAIT_MS		10000	     /* link up + ACCEPT, per client connection */
#define SVC_RESOLVE_RETRY_MS	250	     /* asking the host again while it looks up */
#define SVC_BUF_MAX		(256 * 1024) /* local output buffered before backpressure */

/* A local service (owner side). */
struct svc_service {
	char name[SERVICE_LABEL_MAX + 1]; /* the service label, e.g. "ssh" */
	struct sockaddr_storage target;	  /* 127.0.0.0/8 or ::1 only */
	socklen_t target_len;
	struct node_id allow[SVC_ALLOW_MAX]; /* empty: see `restricted` */
	unsigned n_allow;
	bool restricted; /* an empty allow list admits nobody (its groups are empty), not anyone */
	bool private_; /* visibility private, not public */
};

/* A forwarded port (client side). */
struct svc_forward {
	struct sockaddr_storage listen; /* 127.0.0.1 or ::1 */
	socklen_t listen_len;
	char service[SERVICE_NAME_MAX + 1]; /* named: "node.svc"; direct: "svc" */
	bool direct;			    /* direct-IPv6 mode: pk, ep and kind below */
	uint8_t pk[NODE_PK_LEN];
	struct sockaddr_in6 ep;
	enum transport_kind kind;
};

struct svc_forward_info {
	uint64_t accepted, refused, active;
};

/* What the manager asks its host (the daemon). */
struct svc_host {
	void *ctx;
	/* Resolve a "node.service" name to the owner's public key, and start a
	 * link to it if there is none (the manager waits for it to come up).
	 * Return 0, -EAGAIN (a lookup is under way: the manager asks again
	 * every SVC_RESOLVE_RETRY_MS until SVC_WAIT_MS), or -ENOENT; on
	 * failure write a reason into `why`. */
	int (*resolve)(void *ctx, const char *name, uint8_t out_pk[NODE_PK_LEN], char *why,
		       size_t why_cap);
};

/* Create a manager for node `node_name` (borrowed string copied). Return 0
 * or -ENOMEM. Links are borrowed for the manager's lifetime. */
int svc_mgr_new(struct event_base *base, struct link_mgr *links, const char *node_name,
		const struct svc_host *host, struct svc_mgr **out);
/* Close every connection and listener. Accepts NULL, returns NULL. */
struct svc_mgr *svc_mgr_free(struct svc_mgr *m);

/* Validate `s` as the API would: name rule, loopback target with a port,
 * allow count. Return 0 or -EINVAL with a one-line reason in `why`. Pure. */
int svc_service_check(const struct svc_service *s, char *why, size_t why_cap);
/* Add or replace (same name) a service; the table copies it. Return 0,
 * -EINVAL or -ENOSPC. Open connections of a replaced service stay. */
int svc_service_set(struct svc_mgr *m, const struct svc_service *s);
int svc_service_remove(struct svc_mgr *m, const char *name); /* 0 or -ENOENT */
/* The i-th service, or NULL past the end. Borrowed until the next change. */
const struct svc_service *svc_service_at(const struct svc_mgr *m, unsigned i);

/* Validate a forward: loopback listen address with a port, a valid name
 * for its mode. 0 or -EINVAL with a reason. Pure. */
int svc_forward_check(const struct svc_forward *f, char *why, size_t why_cap);
/* Listen for `f`. Return 0, -EINVAL, -EEXIST (that port is forwarded
 * already), -ENOSPC, or the negative errno of bind()/listen(). */
int svc_forward_add(struct svc_mgr *m, const struct svc_forward *f);
/* Stop the forward on local `port`; its open connections are reset.
 * 0 or -ENOENT. */
int svc_forward_remove(struct svc_mgr *m, uint16_t port);
const struct svc_forward *svc_forward_at(const struct svc_mgr *m, unsigned i,
					 struct svc_forward_info *out_info);

/* Link callbacks, forwarded by the daemon (transport/link.h). */
int svc_mgr_on_stream_open(struct svc_mgr *m, struct link *l, uint64_t sid, uint8_t kind);
void svc_mgr_on_stream_data(struct svc_mgr *m, struct link *l, uint64_t sid, const uint8_t *buf,
			    size_t len, bool fin);
void svc_mgr_on_stream_reset(struct svc_mgr *m, struct link *l, uint64_t sid, uint32_t code);
void svc_mgr_on_stream_writable(struct svc_mgr *m, struct link *l, uint64_t sid);
void svc_mgr_on_link_up(struct svc_mgr *m, struct link *l);
void svc_mgr_on_link_down(struct svc_mgr *m, struct link *l);

struct svc_mgr_stats {
	uint64_t streams_in, streams_out, refused_in, refused_out, bytes_in, bytes_out;
	unsigned active;
};
void svc_mgr_get_stats(const struct svc_mgr *m, struct svc_mgr_stats *out);

/* Parse "127.0.0.1:PORT" or "[::1]:PORT" (loopback only). 0 or -EINVAL. */
int svc_parse_loopback(const char *s, struct sockaddr_storage *out, socklen_t *out_len);
/* Format an address as "A:P" or "[A]:P" into buf. */
void svc_format_addr(const struct sockaddr *sa, char *buf, size_t cap);

#endif /* VX6_ROUTING_SERVICE_H */
