/* routing/service_forward.c - forwarded ports (client side of docs/wire.md
 * §7): a loopback TCP listener per forward; each accepted connection is
 * resolved to the owner (named mode through the host, direct-IPv6 mode by
 * the given key and underlay address), waits (bounded) for the link, and
 * becomes a SERVICE stream bridged by service_bridge.c.
 */
#include "routing/service.h"

#include <arpa/inet.h>
#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include <event2/event.h>
#include <event2/listener.h>

#include "lib/log.h"
#include "routing/service_internal.h"
#include "transport/link.h"

static uint16_t listen_port(const struct svc_forward *f)
{
	if (f->listen.ss_family == AF_INET)
		return ntohs(((const struct sockaddr_in *)&f->listen)->sin_port);
	return ntohs(((const struct sockaddr_in6 *)&f->listen)->sin6_port);
}

int svc_forward_check(const struct svc_forward *f, char *why, size_t cap)
{
	bool exact = false;

	if (f->listen.ss_family == AF_INET)
		exact = ((const struct sockaddr_in *)&f->listen)->sin_addr.s_addr ==
			htonl(INADDR_LOOPBACK);
	else if (f->listen.ss_family == AF_INET6)
		exact = IN6_IS_ADDR_LOOPBACK(&((const struct sockaddr_in6 *)&f->listen)->sin6_addr);
	if (!exact || listen_port(f) == 0) {
		snprintf(why, cap, "Invalid listen address: expected 127.0.0.1:PORT or [::1]:PORT");
		return -EINVAL;
	}
	if (f->direct) {
		char full[SERVICE_NAME_MAX + 1];

		snprintf(full, sizeof(full), "direct.%.63s", f->service);
		if (strlen(f->service) > SERVICE_LABEL_MAX || !service_name_is_valid(full)) {
			snprintf(why, cap, "Invalid service name '%s': expected NAME", f->service);
			return -EINVAL;
		}
	} else if (!service_name_is_valid(f->service)) {
		snprintf(why, cap, "Invalid service name '%s': expected NODENAME.NAME", f->service);
		return -EINVAL;
	}
	return 0;
}

static int fwd_index(const struct svc_mgr *m, uint16_t port)
{
	for (unsigned i = 0; i < SVC_FORWARDS_MAX; i++)
		if (m->fwd[i].used && m->fwd[i].port == port)
			return (int)i;
	return -1;
}

/* The owner is known: wait for its link (svc_mgr_on_link_up) or open now. */
static void owner_known(struct svc_conn *c, const uint8_t pk[NODE_PK_LEN])
{
	struct link *l;

	node_id_from_pubkey(&c->peer, pk);
	c->state = SVC_CONN_ACCEPTED;
	svc_conn_arm(c);
	l = link_find(c->m->links, &c->peer);
	if (l && link_is_up(l))
		svc_conn_client_start(c, l);
}

void svc_forward_retry(struct svc_conn *c)
{
	struct svc_mgr *m = c->m;
	uint8_t pk[NODE_PK_LEN];
	char why[160] = "unknown";
	struct timeval tv = {0, SVC_RESOLVE_RETRY_MS * 1000};
	int r = m->host.resolve(m->host.ctx, c->name, pk, why, sizeof(why));

	if (r == 0) {
		owner_known(c, pk);
		return;
	}
	if (r == -EAGAIN && ++c->tries < SVC_WAIT_MS / SVC_RESOLVE_RETRY_MS) {
		evtimer_add(c->timer, &tv);
		return;
	}
	log_notice(LD_ROUTE, "Failed to open service '%s': %s", c->name, why);
	svc_forward_refused(m, c->fwd_port);
	svc_conn_close(c);
}

void svc_forward_refused(struct svc_mgr *m, uint16_t port)
{
	for (unsigned i = 0; i < SVC_FORWARDS_MAX; i++)
		if (m->fwd[i].used && m->fwd[i].port == port)
			m->fwd[i].refused++;
}

static void start(struct svc_mgr *m, struct svc_fwd_slot *fs, evutil_socket_t fd)
{
	struct node_id none = {0};
	struct svc_conn *c = svc_conn_new(m, false, &none);

	if (!c) {
		close(fd);
		return;
	}
	c->fwd_port = fs->port;
	if (fs->f.direct)
		snprintf(c->name, sizeof(c->name), "direct.%.63s", fs->f.service);
	else
		snprintf(c->name, sizeof(c->name), "%s", fs->f.service);
	if (svc_conn_client_attach(c, fd) < 0) {
		close(fd);
		svc_conn_close(c);
		return;
	}
	fs->accepted++;
	if (fs->f.direct) {
		link_mgr_connect(m->links, fs->f.pk, &fs->f.ep, fs->f.kind);
		owner_known(c, fs->f.pk);
		return;
	}
	if (!m->host.resolve) {
		svc_conn_close(c);
		return;
	}
	c->state = SVC_CONN_RESOLVING;
	svc_forward_retry(c);
}

static void on_accept(struct evconnlistener *lis, evutil_socket_t fd, struct sockaddr *sa,
		      int salen, void *arg)
{
	struct svc_fwd_slot *fs = arg;
	struct svc_mgr *m = fs->m;

	(void)lis;
	(void)sa;
	(void)salen;
	if (svc_conn_count(m, NULL, NULL, fs->port) >= SVC_CONNS_PER_FORWARD) {
		log_info(LD_ROUTE, "Forward %u: %d connections already, refusing", fs->port,
			 SVC_CONNS_PER_FORWARD);
		fs->refused++;
		close(fd);
		return;
	}
	start(m, fs, fd);
}

int svc_forward_add(struct svc_mgr *m, const struct svc_forward *f)
{
	char why[160];
	struct svc_fwd_slot *fs = NULL;

	if (svc_forward_check(f, why, sizeof(why)) < 0)
		return -EINVAL;
	if (fwd_index(m, listen_port(f)) >= 0)
		return -EEXIST;
	for (unsigned i = 0; i < SVC_FORWARDS_MAX && !fs; i++)
		if (!m->fwd[i].used)
			fs = &m->fwd[i];
	if (!fs)
		return -ENOSPC;
	memset(fs, 0, sizeof(*fs));
	fs->m = m;
	fs->lis = evconnlistener_new_bind(
	    m->base, on_accept, fs,
	    LEV_OPT_CLOSE_ON_FREE | LEV_OPT_REUSEABLE | LEV_OPT_CLOSE_ON_EXEC, 64,
	    (const struct sockaddr *)&f->listen,
	    (int)(f->listen.ss_family == AF_INET ? sizeof(struct sockaddr_in)
						 : sizeof(struct sockaddr_in6)));
	if (!fs->lis)
		return errno ? -errno : -EADDRINUSE;
	fs->used = true;
	fs->f = *f;
	fs->port = listen_port(f);
	return 0;
}

int svc_forward_remove(struct svc_mgr *m, uint16_t port)
{
	int i = fwd_index(m, port);
	struct svc_conn *c, *next;

	if (i < 0)
		return -ENOENT;
	for (c = m->conns; c; c = next) {
		next = c->next;
		if (!c->owner && c->fwd_port == port) {
			struct link *l = link_find(m->links, &c->peer);

			if (l && c->has_sid)
				link_stream_reset(l, c->sid, ECONNABORTED);
			svc_conn_close(c);
		}
	}
	evconnlistener_free(m->fwd[i].lis);
	memset(&m->fwd[i], 0, sizeof(m->fwd[i]));
	return 0;
}

const struct svc_forward *svc_forward_at(const struct svc_mgr *m, unsigned i,
					 struct svc_forward_info *out)
{
	unsigned k = 0;

	for (unsigned s = 0; s < SVC_FORWARDS_MAX; s++) {
		if (!m->fwd[s].used)
			continue;
		if (k++ != i)
			continue;
		if (out) {
			out->accepted = m->fwd[s].accepted;
			out->refused = m->fwd[s].refused;
			out->active = svc_conn_count(m, NULL, NULL, m->fwd[s].port);
		}
		return &m->fwd[s].f;
	}
	return NULL;
}
