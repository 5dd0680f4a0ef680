/* routing/service.c - the service manager (routing/service.h): the table
 * of local services, the forwarded-port listeners, link callback dispatch
 * and the owner's checks on OPEN (docs/wire.md §7.3). The per-connection
 * bridge lives in service_bridge.c.
 */
#include "routing/service.h"

#include <arpa/inet.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <event2/bufferevent.h>
#include <event2/event.h>
#include <event2/listener.h>

#include "identity/overlay_addr.h"
#include "lib/log.h"
#include "routing/service_internal.h"
#include "transport/link.h"

static void on_reap(evutil_socket_t fd, short what, void *arg)
{
	(void)fd;
	(void)what;
	svc_conn_reap(arg);
}

int svc_mgr_new(struct event_base *base, struct link_mgr *links, const char *node_name,
		const struct svc_host *host, struct svc_mgr **out)
{
	struct svc_mgr *m = calloc(1, sizeof(*m));

	if (!m)
		return -ENOMEM;
	m->reaper = event_new(base, -1, 0, on_reap, m);
	if (!m->reaper) {
		free(m);
		return -ENOMEM;
	}
	m->base = base;
	m->links = links;
	m->host = *host;
	snprintf(m->node_name, sizeof(m->node_name), "%s", node_name);
	*out = m;
	return 0;
}

struct svc_mgr *svc_mgr_free(struct svc_mgr *m)
{
	if (!m)
		return NULL;
	while (m->conns)
		svc_conn_close(m->conns);
	svc_conn_reap(m);
	for (unsigned i = 0; i < SVC_FORWARDS_MAX; i++)
		if (m->fwd[i].lis)
			evconnlistener_free(m->fwd[i].lis);
	event_free(m->reaper);
	free(m);
	return NULL;
}

/* ---- addresses ---- */

static uint16_t addr_port(const struct sockaddr_storage *ss)
{
	if (ss->ss_family == AF_INET)
		return ntohs(((const struct sockaddr_in *)ss)->sin_port);
	return ntohs(((const struct sockaddr_in6 *)ss)->sin6_port);
}

int svc_parse_loopback(const char *s, struct sockaddr_storage *out, socklen_t *out_len)
{
	char host[INET6_ADDRSTRLEN + 2];
	const char *colon, *h = s;
	size_t hl;
	char *end;
	unsigned long port;

	memset(out, 0, sizeof(*out));
	if (s[0] == '[') {
		const char *rb = strchr(s, ']');

		if (!rb || rb[1] != ':')
			return -EINVAL;
		h = s + 1;
		hl = (size_t)(rb - h);
		colon = rb + 1;
	} else {
		colon = strrchr(s, ':');
		if (!colon || memchr(s, ':', (size_t)(colon - s)))
			return -EINVAL;
		hl = (size_t)(colon - s);
	}
	if (hl == 0 || hl >= sizeof(host) || colon[1] < '0' || colon[1] > '9')
		return -EINVAL;
	memcpy(host, h, hl);
	host[hl] = '\0';
	errno = 0;
	port = strtoul(colon + 1, &end, 10);
	if (errno || *end || port == 0 || port > 65535)
		return -EINVAL;
	if (s[0] == '[') {
		struct sockaddr_in6 *a = (struct sockaddr_in6 *)out;

		if (inet_pton(AF_INET6, host, &a->sin6_addr) != 1 ||
		    !IN6_IS_ADDR_LOOPBACK(&a->sin6_addr))
			return -EINVAL;
		a->sin6_family = AF_INET6;
		a->sin6_port = htons((uint16_t)port);
		*out_len = sizeof(*a);
	} else {
		struct sockaddr_in *a = (struct sockaddr_in *)out;

		if (inet_pton(AF_INET, host, &a->sin_addr) != 1 ||
		    (ntohl(a->sin_addr.s_addr) >> 24) != 127)
			return -EINVAL;
		a->sin_family = AF_INET;
		a->sin_port = htons((uint16_t)port);
		*out_len = sizeof(*a);
	}
	return 0;
}

void svc_format_addr(const struct sockaddr *sa, char *buf, size_t cap)
{
	char a[INET6_ADDRSTRLEN];

	if (sa->sa_family == AF_INET) {
		const struct sockaddr_in *v4 = (const struct sockaddr_in *)sa;

		inet_ntop(AF_INET, &v4->sin_addr, a, sizeof(a));
		snprintf(buf, cap, "%s:%u", a, ntohs(v4->sin_port));
	} else if (sa->sa_family == AF_INET6) {
		const struct sockaddr_in6 *v6 = (const struct sockaddr_in6 *)sa;

		inet_ntop(AF_INET6, &v6->sin6_addr, a, sizeof(a));
		snprintf(buf, cap, "[%s]:%u", a, ntohs(v6->sin6_port));
	} else {
		snprintf(buf, cap, "?");
	}
}

/* ---- services ---- */

int svc_service_check(const struct svc_service *s, char *why, size_t cap)
{
	if (!overlay_name_is_valid(s->name)) { /* §1.2: one label, as node names */
		snprintf(why, cap,
			 "Invalid service name '%s': 1..63 characters of a-z, 0-9 and '-'",
			 s->name);
		return -EINVAL;
	}
	if ((s->target.ss_family != AF_INET && s->target.ss_family != AF_INET6) ||
	    addr_port(&s->target) == 0) {
		snprintf(why, cap, "Invalid target: expected 127.0.0.1:PORT or [::1]:PORT");
		return -EINVAL;
	}
	if (s->n_allow > SVC_ALLOW_MAX) {
		snprintf(why, cap, "Too many allowed nodes: at most %d", SVC_ALLOW_MAX);
		return -EINVAL;
	}
	return 0;
}

static int svc_index(const struct svc_mgr *m, const char *name)
{
	for (unsigned i = 0; i < m->n_svc; i++)
		if (strcmp(m->svc[i].name, name) == 0)
			return (int)i;
	return -1;
}

int svc_service_set(struct svc_mgr *m, const struct svc_service *s)
{
	char why[128];
	int i;

	if (svc_service_check(s, why, sizeof(why)) < 0)
		return -EINVAL;
	i = svc_index(m, s->name);
	if (i < 0) {
		if (m->n_svc >= SVC_SERVICES_MAX)
			return -ENOSPC;
		i = (int)m->n_svc++;
	}
	m->svc[i] = *s;
	return 0;
}

int svc_service_remove(struct svc_mgr *m, const char *name)
{
	int i = svc_index(m, name);

	if (i < 0)
		return -ENOENT;
	memmove(&m->svc[i], &m->svc[i + 1], sizeof(m->svc[0]) * (m->n_svc - (unsigned)i - 1));
	m->n_svc--;
	return 0;
}

const struct svc_service *svc_service_at(const struct svc_mgr *m, unsigned i)
{
	return i < m->n_svc ? &m->svc[i] : NULL;
}

/* ---- owner side ---- */

static bool is_allowed(const struct svc_service *s, const struct node_id *id)
{
	if (s->n_allow == 0)
		return !s->restricted;
	for (unsigned i = 0; i < s->n_allow; i++)
		if (memcmp(&s->allow[i], id, sizeof(*id)) == 0)
			return true;
	return false;
}

/* §7.3: the name, the caller, the caps; then the published target only. */
int svc_owner_open(struct svc_conn *c, struct link *l, const struct svc_open *o)
{
	struct svc_mgr *m = c->m;
	const char *dot = strchr(o->name, '.');
	size_t nl = (size_t)(dot - o->name);
	const struct svc_service *s;
	uint8_t status = SVC_STATUS_OK;
	char why[160] = "", fp[9];
	int i;

	snprintf(c->name, sizeof(c->name), "%s", o->name);
	snprintf(c->label, sizeof(c->label), "%s", dot + 1);
	node_id_fingerprint(&c->peer, fp);
	i = svc_index(m, dot + 1);
	if ((nl != strlen(m->node_name) || memcmp(o->name, m->node_name, nl) != 0) &&
	    !(nl == 6 && memcmp(o->name, "direct", 6) == 0)) {
		status = SVC_STATUS_NO_SERVICE;
		snprintf(why, sizeof(why), "this node is '%s'", m->node_name);
	} else if (i < 0) {
		status = SVC_STATUS_NO_SERVICE;
		snprintf(why, sizeof(why), "no service '%s' on '%s'", dot + 1, m->node_name);
	} else if (!is_allowed(&m->svc[i], &c->peer)) {
		status = SVC_STATUS_NOT_ALLOWED;
		snprintf(why, sizeof(why), "caller %s is not on the allow list of '%s'", fp,
			 dot + 1);
	} else if (svc_conn_count(m, NULL, dot + 1, -1) > SVC_STREAMS_PER_SERVICE) {
		status = SVC_STATUS_BUSY;
		snprintf(why, sizeof(why), "'%s' has %d connections already", dot + 1,
			 SVC_STREAMS_PER_SERVICE);
	}
	if (status != SVC_STATUS_OK) {
		struct svc_accept a = {.status = status};
		uint8_t buf[SVC_ACCEPT_MAX_LEN];
		size_t n;

		log_notice(LD_ROUTE, "Refused service '%s' to %s: %s", o->name, fp, why);
		m->st.refused_in++;
		snprintf(a.reason, sizeof(a.reason), "%s", why);
		if (svc_accept_encode(&a, buf, sizeof(buf), &n) == 0)
			link_stream_write(l, c->sid, buf, n, true);
		svc_conn_close(c);
		return -1;
	}
	s = &m->svc[i];
	c->bev = bufferevent_socket_new(m->base, -1, BEV_OPT_CLOSE_ON_FREE);
	if (!c->bev) {
		link_stream_reset(l, c->sid, ENOMEM);
		svc_conn_close(c);
		return -1;
	}
	svc_conn_setup_bev(c);
	c->state = SVC_CONN_CONNECTING;
	/* Never an address from the peer: the target the owner configured. */
	if (bufferevent_socket_connect(c->bev, (const struct sockaddr *)&s->target,
				       (int)s->target_len) < 0) {
		struct svc_accept a = {.status = SVC_STATUS_UNREACHABLE};
		uint8_t buf[SVC_ACCEPT_MAX_LEN];
		size_t n;

		snprintf(a.reason, sizeof(a.reason), "Failed to connect to the target of '%s'",
			 s->name);
		log_notice(LD_ROUTE, "Refused service '%s' to %s: %s", o->name, fp, a.reason);
		m->st.refused_in++;
		if (svc_accept_encode(&a, buf, sizeof(buf), &n) == 0)
			link_stream_write(l, c->sid, buf, n, true);
		svc_conn_close(c);
		return -1;
	}
	log_info(LD_ROUTE, "Service '%s' for %s: connecting to its target", o->name, fp);
	return 0;
}

/* ---- link callbacks ---- */

int svc_mgr_on_stream_open(struct svc_mgr *m, struct link *l, uint64_t sid, uint8_t kind)
{
	const struct node_id *peer = link_node_id(l);
	struct svc_conn *c;

	if (kind != LINK_STREAM_SERVICE)
		return -EPROTONOSUPPORT;
	if (svc_conn_count(m, peer, NULL, -1) >= SVC_STREAMS_PER_PEER) {
		m->st.refused_in++;
		return -EBUSY;
	}
	c = svc_conn_new(m, true, peer);
	if (!c)
		return -ENOMEM;
	c->sid = sid;
	c->has_sid = true;
	c->state = SVC_CONN_OPENED;
	svc_conn_arm(c);
	m->st.streams_in++;
	return 0;
}

void svc_mgr_on_stream_data(struct svc_mgr *m, struct link *l, uint64_t sid, const uint8_t *buf,
			    size_t len, bool fin)
{
	struct svc_conn *c = svc_conn_find(m, link_node_id(l), sid);

	if (c)
		svc_conn_data(c, l, buf, len, fin);
}

void svc_mgr_on_stream_reset(struct svc_mgr *m, struct link *l, uint64_t sid, uint32_t code)
{
	struct svc_conn *c = svc_conn_find(m, link_node_id(l), sid);

	if (!c)
		return;
	log_info(LD_ROUTE, "Service '%s': stream reset by the peer (%s)", c->name,
		 strerror((int)code));
	c->has_sid = false;
	svc_conn_close(c);
}

void svc_mgr_on_stream_writable(struct svc_mgr *m, struct link *l, uint64_t sid)
{
	struct svc_conn *c = svc_conn_find(m, link_node_id(l), sid);

	if (c)
		svc_conn_writable(c, l);
}

void svc_mgr_on_link_up(struct svc_mgr *m, struct link *l)
{
	const struct node_id *id = link_node_id(l);
	struct svc_conn *c = m->conns, *next;

	for (; c; c = next) {
		next = c->next;
		if (!c->owner && c->state == SVC_CONN_ACCEPTED &&
		    memcmp(&c->peer, id, sizeof(*id)) == 0)
			svc_conn_client_start(c, l);
	}
}

void svc_mgr_on_link_down(struct svc_mgr *m, struct link *l)
{
	const struct node_id *id = link_node_id(l);
	struct svc_conn *c = m->conns, *next;

	for (; c; c = next) {
		next = c->next;
		if (c->has_sid && memcmp(&c->peer, id, sizeof(*id)) == 0) {
			log_info(LD_ROUTE, "Service '%s': link down, closing", c->name);
			c->has_sid = false; /* the link dropped its streams */
			svc_conn_close(c);
		}
	}
}

void svc_mgr_get_stats(const struct svc_mgr *m, struct svc_mgr_stats *out)
{
	*out = m->st;
}
