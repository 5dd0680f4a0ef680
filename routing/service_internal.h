/* routing/service_internal.h - layout of the service manager and of one
 * bridged connection. Only routing/service*.c and tests/unit include it. */
#ifndef VX6_ROUTING_SERVICE_INTERNAL_H
#define VX6_ROUTING_SERVICE_INTERNAL_H

#include "routing/service.h"
#include "routing/service_wire.h"

#include <event2/util.h>

struct bufferevent;
struct event;
struct evconnlistener;

/* States are named for what has already happened. */
enum svc_conn_state {
	SVC_CONN_ACCEPTED = 0,	 /* client: local connection accepted, link not up yet */
	SVC_CONN_OPEN_SENT = 1,	 /* client: stream opened, OPEN sent, waiting for ACCEPT */
	SVC_CONN_OPENED = 2,	 /* owner: peer opened the stream, waiting for OPEN */
	SVC_CONN_CONNECTING = 3, /* owner: OPEN checked, connecting to the target */
	SVC_CONN_BRIDGING = 4,	 /* ACCEPT 0 sent or received: bytes flow */
	SVC_CONN_CLOSED = 5,	 /* waiting for the reaper */
	SVC_CONN_RESOLVING = 6,	 /* client: accepted, the host is looking the owner up */
};

struct svc_conn {
	struct svc_mgr *m;
	struct svc_conn *prev, *next; /* m->conns; unlinked when closed */
	struct svc_conn *dead_next;   /* m->dead */
	enum svc_conn_state state;
	bool owner;	     /* we are the service's owner */
	struct node_id peer; /* authenticated by the link */
	uint64_t sid;
	bool has_sid;
	struct bufferevent *bev;	   /* the local TCP connection; owned */
	struct event *timer;		   /* ACCEPTED/OPEN_SENT/OPENED/CONNECTING deadline */
	char name[SERVICE_NAME_MAX + 1];   /* requested "node.service" */
	char label[SERVICE_LABEL_MAX + 1]; /* owner: service label, for the cap */
	uint16_t fwd_port;		   /* client: the forward's local port */
	uint8_t hdr[SVC_ACCEPT_MAX_LEN];   /* OPEN/ACCEPT bytes received so far */
	size_t hdr_len;
	bool local_eof; /* the local socket reached EOF */
	bool fin_sent;	/* FIN written to the stream */
	bool peer_fin;	/* FIN received from the stream */
	bool shut_wr;	/* shutdown(SHUT_WR) done on the local socket */
	bool blocked;	/* the link took less than offered: reading paused */
	unsigned tries; /* RESOLVING: resolve attempts so far */
};

struct svc_fwd_slot {
	struct svc_mgr *m;
	bool used;
	struct svc_forward f;
	struct evconnlistener *lis;
	uint16_t port;
	uint64_t accepted, refused;
};

struct svc_mgr {
	struct event_base *base;
	struct link_mgr *links;
	struct svc_host host;
	char node_name[SERVICE_LABEL_MAX + 1];
	struct svc_service svc[SVC_SERVICES_MAX];
	unsigned n_svc;
	struct svc_fwd_slot fwd[SVC_FORWARDS_MAX];
	struct svc_conn *conns; /* live connections */
	struct svc_conn *dead;	/* closed, freed by the reaper */
	struct event *reaper;
	struct svc_mgr_stats st;
};

/* service_bridge.c */
struct svc_conn *svc_conn_new(struct svc_mgr *m, bool owner, const struct node_id *peer);
void svc_conn_close(struct svc_conn *c);
struct svc_conn *svc_conn_find(struct svc_mgr *m, const struct node_id *peer, uint64_t sid);
unsigned svc_conn_count(const struct svc_mgr *m, const struct node_id *peer, const char *label,
			int fwd_port);
/* Client: wrap the accepted local socket `fd` and wait for the link. */
int svc_conn_client_attach(struct svc_conn *c, evutil_socket_t fd);
void svc_conn_client_start(struct svc_conn *c, struct link *l);
void svc_conn_data(struct svc_conn *c, struct link *l, const uint8_t *buf, size_t len, bool fin);
void svc_conn_writable(struct svc_conn *c, struct link *l);
void svc_conn_reap(struct svc_mgr *m);
void svc_conn_setup_bev(struct svc_conn *c);
void svc_conn_arm(struct svc_conn *c);
/* service.c: owner, OPEN is complete; check it and connect to the target.
 * -1 if the connection was closed. */
int svc_owner_open(struct svc_conn *c, struct link *l, const struct svc_open *o);
/* service_forward.c: ask the host again for a RESOLVING connection. */
void svc_forward_retry(struct svc_conn *c);
/* Count a connection of the forward on local `port` that did not get through. */
void svc_forward_refused(struct svc_mgr *m, uint16_t port);

#endif /* VX6_ROUTING_SERVICE_INTERNAL_H */
