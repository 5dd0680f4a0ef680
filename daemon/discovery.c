/* daemon/discovery.c - the "discovery" subsystem: wires discovery/ (the
 * DHT engine and the registry) into the daemon. DHT and sync messages
 * travel over authenticated links only, as link control messages
 * (docs/wire.md §4.3, §6); a contact we have no link to is dialed once
 * (link_mgr_connect) and its messages wait in a small bounded queue. Peer
 * sync runs when a link comes up: both sides send digests of the records
 * they hold and ask for or push what the other lacks. The registry is
 * saved atomically when it changed, every DISC_SAVE_MS and at shutdown.
 * docs/discovery.md.
 */
#include "daemon/discovery.h"
#include "daemon/discovery_internal.h"

#include <arpa/inet.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <event2/buffer.h>
#include <event2/event.h>
#include <event2/http.h>

#include "daemon/daemon.h"
#include "discovery/dht.h"
#include "discovery/registry.h"
#include "lib/clock.h"
#include "lib/fs.h"
#include "lib/log.h"
#include "lib/secure.h"
#include "transport/link.h"

struct discovery *disc_of(struct daemon *d)
{
	return d->disc;
}

void disc_rearm(struct discovery *ds)
{
	uint64_t next = dht_next_deadline_ms(ds->dht), now = clock_mono_ms(), ms;
	struct timeval tv;

	if (next == UINT64_MAX)
		return;
	ms = next > now ? next - now : 0;
	tv.tv_sec = (time_t)(ms / 1000);
	tv.tv_usec = (suseconds_t)((ms % 1000) * 1000);
	evtimer_add(ds->tick, &tv);
}

/* Our contact: ID, key and up to two stream-capable advertised endpoints. */
static void self_contact(struct daemon *d, struct dht_contact *c)
{
	memset(c, 0, sizeof(*c));
	c->id = d->ident.id;
	memcpy(c->pk, d->ident.pk, NODE_PK_LEN);
	for (unsigned i = 0; i < d->record.n_endpoints && c->n_ep < DHT_CONTACT_EP_MAX; i++)
		if (d->record.ep[i].transport != RECORD_TRANSPORT_UDP)
			c->ep[c->n_ep++] = d->record.ep[i];
}

static bool endpoint_of(const struct record_endpoint *eps, unsigned n, struct sockaddr_in6 *sa,
			enum transport_kind *kind)
{
	for (unsigned i = 0; i < n; i++) {
		if (eps[i].transport == RECORD_TRANSPORT_UDP)
			continue;
		memset(sa, 0, sizeof(*sa));
		sa->sin6_family = AF_INET6;
		sa->sin6_addr = eps[i].addr;
		sa->sin6_port = htons(eps[i].port);
		*kind = eps[i].transport;
		return true;
	}
	return false;
}

/* ---- messages to contacts ---- */

static void pend_flush(struct discovery *ds, struct link *l)
{
	for (unsigned i = 0; i < PEND_NODES; i++) {
		struct pend *p = &ds->pend[i];

		if (!p->used || !node_id_is_equal(&p->id, link_node_id(l)))
			continue;
		for (unsigned k = 0; k < p->n; k++) {
			link_control_send(l, p->msg[k], p->len[k]);
			free(p->msg[k]);
		}
		memset(p, 0, sizeof(*p));
	}
}

static void pend_expire(struct discovery *ds, uint64_t now)
{
	for (unsigned i = 0; i < PEND_NODES; i++) {
		struct pend *p = &ds->pend[i];

		if (!p->used || now - p->since_ms < PEND_MAX_MS)
			continue;
		ds->pend_dropped += p->n;
		for (unsigned k = 0; k < p->n; k++)
			free(p->msg[k]);
		memset(p, 0, sizeof(*p));
	}
}

static int pend_add(struct discovery *ds, const struct node_id *id, const uint8_t *msg, size_t len)
{
	struct pend *free_slot = NULL, *p = NULL;

	for (unsigned i = 0; i < PEND_NODES && !p; i++) {
		if (ds->pend[i].used && node_id_is_equal(&ds->pend[i].id, id))
			p = &ds->pend[i];
		else if (!ds->pend[i].used && !free_slot)
			free_slot = &ds->pend[i];
	}
	if (!p) {
		if (!free_slot)
			return -ENOBUFS;
		p = free_slot;
		p->used = true;
		p->id = *id;
		p->since_ms = clock_mono_ms();
	}
	if (p->n == PEND_MSGS || !(p->msg[p->n] = malloc(len ? len : 1)))
		return -ENOBUFS;
	memcpy(p->msg[p->n], msg, len);
	p->len[p->n++] = len;
	return 0;
}

static int dht_send(void *ctx, const struct dht_contact *to, const uint8_t *msg, size_t len)
{
	struct discovery *ds = ctx;
	struct link *l = link_find(ds->d->links, &to->id);
	struct sockaddr_in6 sa;
	enum transport_kind kind;
	int r;

	if (l && link_is_up(l))
		return link_control_send(l, msg, len);
	if (!l) {
		if (!endpoint_of(to->ep, to->n_ep, &sa, &kind))
			return -EHOSTUNREACH;
		r = link_mgr_connect(ds->d->links, to->pk, &sa, kind);
		if (r < 0)
			return r;
	}
	return pend_add(ds, &to->id, msg, len);
}

/* ---- registry updates and peer sync ---- */

/* A configured peer whose fresh record names another endpoint: dial it
 * there from now on (its address changed and it republished). Whatever
 * carries the link now (even a connection the peer opened) is left to
 * link_peer_set_endpoint(), which redials only an outbound connection to
 * the old address. */
static void follow_endpoint(struct discovery *ds, const struct node_id *id)
{
	const struct node_record *rec = registry_find_node(ds->reg, id);
	struct link *l = link_find(ds->d->links, id);
	struct link_info info;
	struct sockaddr_in6 sa;
	enum transport_kind kind;

	if (!rec || !l || !endpoint_of(rec->ep, rec->n_endpoints, &sa, &kind))
		return;
	link_get_info(l, &info);
	if (!info.configured)
		return;
	ds->endpoint_moves++;
	link_peer_set_endpoint(ds->d->links, id, &sa, kind);
}

/* The owner a record names: the node ID of a node record, the owner of a
 * service record. Return false for bytes that decode as neither (the
 * registry refuses those with its own reason). Whether it is public. */
static bool record_owner(const uint8_t *b, size_t len, struct node_id *out, bool *out_public)
{
	static struct node_record nr;
	struct service_record sr;

	if (node_record_decode(&nr, b, len) == 0) {
		*out = nr.id;
		*out_public = true;
		return true;
	}
	if (service_record_decode(&sr, b, len) == 0) {
		*out = sr.owner;
		*out_public = sr.visibility == SERVICE_VIS_PUBLIC;
		return true;
	}
	return false;
}

/* A record from a peer (sync, a lookup, an import). One that is new to us
 * and public is passed on to our other peers: a flood that stops wherever
 * it is known already, which is how a node's fresh record (its address
 * changed) reaches every reachable node. A private service record is kept
 * for our own use and never passed on: only its owner knows who may learn
 * it. Return registry_put()'s result, or -EPERM for one of our own. */
int disc_store_value(struct discovery *ds, const uint8_t *b, size_t len, const struct node_id *from)
{
	struct node_id owner;
	bool is_public = false, known = record_owner(b, len, &owner, &is_public);
	int r;

	if (known && node_id_is_equal(&owner, &ds->d->ident.id)) {
		ds->sync_refused++; /* an old copy must never replace what we issue */
		return -EPERM;
	}
	r = registry_put(ds->reg, b, len, clock_wall_s(), 0);
	if (r == 0) {
		ds->sync_stored++;
		if (b[0] == RECORD_TYPE_NODE)
			follow_endpoint(ds, &owner);
		if (is_public)
			disc_flood(ds, b, len, from);
	} else if (r != -EALREADY && r != -ESTALE) {
		ds->sync_refused++;
	}
	return r;
}

static int send_msg(struct discovery *ds, struct link *l, struct dht_msg *m)
{
	uint8_t buf[DHT_MSG_MAX_LEN];
	size_t len;

	m->flags = DHT_MSG_F_SERVER;
	sec_random(&m->txid, sizeof(m->txid));
	self_contact(ds->d, &m->sender);
	if (dht_msg_encode(m, buf, sizeof(buf), &len) < 0)
		return -EINVAL;
	ds->sync_msgs++;
	return link_control_send(l, buf, len);
}

static void send_records(struct discovery *ds, struct link *l, uint8_t kind,
			 const struct dht_sync_key *keys, size_t n)
{
	static struct dht_value vals[SYNC_PUSH_MAX];
	static struct dht_msg m;
	struct disc_peer_audience pa;
	size_t got;

	disc_audience_init(&pa, ds, link_node_id(l));
	got = registry_records(ds->reg, kind, &pa.aud, keys, n, vals, SYNC_PUSH_MAX);

	for (size_t i = 0; i < got; i += DHT_VALUES_MAX) {
		memset(&m, 0, sizeof(m));
		m.type = DHT_MSG_RECORDS;
		m.u.values.n = (uint8_t)(got - i < DHT_VALUES_MAX ? got - i : DHT_VALUES_MAX);
		memcpy(m.u.values.v, &vals[i], m.u.values.n * sizeof(vals[0]));
		if (send_msg(ds, l, &m) < 0)
			return;
	}
}

/* Send every digest page of `kind` that the control queue takes. */
void disc_send_digests(struct discovery *ds, struct link *l, uint8_t kind)
{
	static struct dht_msg m;
	struct disc_peer_audience pa;
	struct dht_sync_key after;
	bool first = true;

	disc_audience_init(&pa, ds, link_node_id(l));
	for (;;) {
		memset(&m, 0, sizeof(m));
		m.type = DHT_MSG_DIGEST;
		if (registry_digest(ds->reg, kind, first ? NULL : &after, &pa.aud, &m.u.digest) <
			0 ||
		    send_msg(ds, l, &m) < 0)
			return;
		if (!(m.u.digest.flags & DHT_DIGEST_F_MORE) || m.u.digest.n == 0)
			return;
		after = m.u.digest.keys[m.u.digest.n - 1];
		first = false;
	}
}

static void sync_input(struct discovery *ds, struct link *l, const uint8_t *buf, size_t len)
{
	static struct dht_msg m, out;
	static struct dht_sync_key push[SYNC_PUSH_MAX];
	struct disc_peer_audience pa;
	size_t n_push = 0;

	if (dht_msg_decode(&m, buf, len) < 0)
		return;
	disc_audience_init(&pa, ds, link_node_id(l));
	switch (m.type) {
	case DHT_MSG_DIGEST:
		memset(&out, 0, sizeof(out));
		out.type = DHT_MSG_WANT;
		if (registry_sync_diff(ds->reg, &pa.aud, &m.u.digest, &out.u.want, push,
				       SYNC_PUSH_MAX, &n_push) < 0)
			return;
		if (out.u.want.n)
			send_msg(ds, l, &out);
		if (n_push)
			send_records(ds, l, m.u.digest.kind, push, n_push);
		break;
	case DHT_MSG_WANT:
		send_records(ds, l, m.u.want.kind, m.u.want.keys, m.u.want.n);
		break;
	case DHT_MSG_RECORDS:
		for (unsigned i = 0; i < m.u.values.n; i++)
			disc_store_value(ds, m.u.values.v[i].b, m.u.values.v[i].len,
					 link_node_id(l));
		break;
	default:
		break;
	}
}

/* While our routing table is thin, every new link is a way in: look our
 * own ID up through it (filling the table) and store our record at the k
 * closest nodes again. Any peer will do; none is special. */
static void enter_network(struct discovery *ds, const struct dht_contact *via)
{
	struct dht_stats st;
	uint8_t buf[NODE_RECORD_MAX_LEN];
	uint64_t now = clock_mono_ms();
	uint32_t id;
	size_t len;

	dht_get_stats(ds->dht, &st);
	if (st.contacts >= DHT_K_MAX || now - ds->last_boot_ms < 1000 || via->n_ep == 0)
		return;
	ds->last_boot_ms = now;
	dht_bootstrap(ds->dht, via, 1, now, &id);
	if (ds->d->have_record && node_record_encode(&ds->d->record, buf, sizeof(buf), &len) == 0)
		dht_publish(ds->dht, buf, len, now, &id);
}

/* ---- hooks from links ---- */

void daemon_discovery_link_up(struct daemon *d, struct link *l)
{
	struct discovery *ds = disc_of(d);
	const struct node_record *rec;
	struct dht_contact c = {0};
	struct link_info info;

	if (!ds)
		return;
	link_get_info(l, &info);
	c.id = info.id;
	memcpy(c.pk, info.pk, NODE_PK_LEN);
	rec = registry_find_node(ds->reg, &c.id);
	if (rec) {
		for (unsigned i = 0; i < rec->n_endpoints && c.n_ep < DHT_CONTACT_EP_MAX; i++)
			if (rec->ep[i].transport != RECORD_TRANSPORT_UDP)
				c.ep[c.n_ep++] = rec->ep[i];
	} else if (info.initiator) {
		c.ep[0].addr = info.endpoint.sin6_addr;
		c.ep[0].port = ntohs(info.endpoint.sin6_port);
		c.ep[0].transport = (uint8_t)info.kind;
		c.n_ep = 1;
	}
	dht_contact_seen(ds->dht, &c, clock_mono_ms());
	enter_network(ds, &c);
	pend_flush(ds, l);
	disc_send_digests(ds, l, DHT_SYNC_NODES);
	disc_send_digests(ds, l, DHT_SYNC_SERVICES);
	disc_rearm(ds);
}

void daemon_discovery_control(struct daemon *d, struct link *l, const uint8_t *msg, size_t len)
{
	struct discovery *ds = disc_of(d);

	if (!ds)
		return;
	if (dht_input(ds->dht, link_node_id(l), msg, len, clock_mono_ms()) == -ENOPROTOOPT)
		sync_input(ds, l, msg, len);
	disc_rearm(ds);
}

/* ---- our own record ---- */

struct push_ctx {
	struct node_id ids[64];
	unsigned n;
};

static void collect_up(void *arg, const struct link *l)
{
	struct push_ctx *pc = arg;

	if (pc->n < 64 && link_is_up(l))
		pc->ids[pc->n++] = *link_node_id(l);
}

static void records_msg(struct dht_msg *m, const uint8_t *rec, size_t len)
{
	memset(m, 0, sizeof(*m));
	m->type = DHT_MSG_RECORDS;
	m->u.values.n = 1;
	m->u.values.v[0].len = (uint16_t)len;
	memcpy(m->u.values.v[0].b, rec, len);
}

int disc_send_record(struct discovery *ds, struct link *l, const uint8_t *rec, size_t len)
{
	static struct dht_msg m;

	if (len > DHT_VALUE_MAX_LEN)
		return -EMSGSIZE;
	records_msg(&m, rec, len);
	return send_msg(ds, l, &m);
}

void disc_flood(struct discovery *ds, const uint8_t *rec, size_t len, const struct node_id *from)
{
	static struct dht_msg m;
	struct push_ctx pc = {.n = 0};

	if (len > DHT_VALUE_MAX_LEN)
		return;
	link_mgr_foreach(ds->d->links, collect_up, &pc);
	records_msg(&m, rec, len);
	for (unsigned i = 0; i < pc.n; i++) {
		struct link *l = link_find(ds->d->links, &pc.ids[i]);

		if (l && !(from && node_id_is_equal(&pc.ids[i], from)))
			send_msg(ds, l, &m);
	}
}

void daemon_discovery_record_changed(struct daemon *d)
{
	struct discovery *ds = disc_of(d);
	uint8_t buf[NODE_RECORD_MAX_LEN];
	struct dht_contact self;
	uint32_t id;
	size_t len;
	int r;

	if (!ds || !d->have_record || node_record_encode(&d->record, buf, sizeof(buf), &len) < 0)
		return;
	registry_put_node(ds->reg, buf, len, clock_wall_s(), REGISTRY_F_PINNED);
	/* Hand it to every peer at once: an address change reaches them now;
	 * the DHT copy follows by republish. */
	disc_flood(ds, buf, len, NULL);
	self_contact(d, &self);
	dht_set_self(ds->dht, &self);
	r = dht_publish(ds->dht, buf, len, clock_mono_ms(), &id);
	if (r < 0 && r != -ESTALE)
		log_info(LD_DHT, "Failed to publish our node record: %s", strerror(-r));
	disc_rearm(ds);
}

/* ---- the subsystem ---- */

static void on_tick(evutil_socket_t fd, short what, void *arg)
{
	struct discovery *ds = arg;

	(void)fd;
	(void)what;
	dht_tick(ds->dht, clock_mono_ms());
	pend_expire(ds, clock_mono_ms());
	disc_rearm(ds);
}

static void save_now(struct discovery *ds)
{
	int r;

	if (!registry_is_dirty(ds->reg))
		return;
	r = registry_save(ds->reg, ds->path);
	if (r < 0)
		log_warn(LD_DHT, "Failed to save the registry '%s': %s", ds->path, strerror(-r));
}

static void on_save(evutil_socket_t fd, short what, void *arg)
{
	(void)fd;
	(void)what;
	registry_expire(((struct discovery *)arg)->reg, clock_wall_s());
	save_now(arg);
}

/* Enter the network through every peer we know: the registry kept from
 * the last run and the configured peers. None is special. */
static void bootstrap(struct discovery *ds)
{
	struct dht_contact seeds[SEEDS_MAX];
	size_t n = registry_contacts(ds->reg, seeds, SEEDS_MAX);
	uint32_t id;

	if (n > 0)
		dht_bootstrap(ds->dht, seeds, n, clock_mono_ms(), &id);
}

static void discovery_shutdown(struct daemon *d);

static int discovery_init(struct daemon *d, char *err, size_t cap)
{
	struct timeval every = {.tv_sec = DISC_SAVE_MS / 1000,
				.tv_usec = (DISC_SAVE_MS % 1000) * 1000};
	struct dht_callbacks cb = {.send = dht_send, .lookup_done = disc_lookup_done};
	struct dht_config cfg;
	struct dht_contact self;
	struct discovery *ds = calloc(1, sizeof(*ds));
	size_t expired = 0;
	int r;

	if (!ds)
		return -ENOMEM;
	d->disc = ds;
	ds->d = d;
	cb.ctx = ds;
	fs_path_join(ds->path, sizeof(ds->path), d->cfg->state_dir, REGISTRY_FILE);
	r = registry_new(NULL, &ds->reg);
	if (r == 0) {
		r = registry_load(ds->reg, ds->path, clock_wall_s(), &expired, err, cap);
		if (r == -ENOENT)
			r = 0;
	}
	if (r < 0)
		goto err;
	/* Our own service records are not taken from the file: the services
	 * subsystem signs its table afresh at start, so a service removed while
	 * we were down is not offered again. */
	registry_remove_services_of(ds->reg, &d->ident.id);
	dht_config_default(&cfg);
	self_contact(d, &self);
	r = dht_new(&cfg, &self, &cb, clock_mono_ms(), &ds->dht);
	ds->tick = evtimer_new(d->base, on_tick, ds);
	ds->save = event_new(d->base, -1, EV_PERSIST, on_save, ds);
	if (r < 0 || !ds->tick || !ds->save || event_add(ds->save, &every) < 0) {
		snprintf(err, cap, "Failed to start the DHT: %s", strerror(r < 0 ? -r : ENOMEM));
		r = r < 0 ? r : -ENOMEM;
		goto err;
	}
	daemon_discovery_record_changed(d);
	bootstrap(ds);
	disc_rearm(ds);
	return 0;
err:
	discovery_shutdown(d);
	return r;
}

static void discovery_shutdown(struct daemon *d)
{
	struct discovery *ds = disc_of(d);

	if (!ds)
		return;
	if (ds->reg)
		save_now(ds);
	for (unsigned i = 0; i < WAITERS_MAX; i++)
		if (ds->w[i].used)
			evhttp_connection_set_closecb(evhttp_request_get_connection(ds->w[i].req),
						      NULL, NULL);
	for (unsigned i = 0; i < PEND_NODES; i++)
		for (unsigned k = 0; k < ds->pend[i].n; k++)
			free(ds->pend[i].msg[k]);
	if (ds->tick)
		event_free(ds->tick);
	if (ds->save)
		event_free(ds->save);
	dht_free(ds->dht);
	registry_free(ds->reg);
	free(ds);
	d->disc = NULL;
}

static void discovery_metrics(struct daemon *d, struct evbuffer *out);

const struct daemon_subsys daemon_subsys_discovery = {
    .name = "discovery",
    .init = discovery_init,
    .shutdown = discovery_shutdown,
    .metrics = discovery_metrics,
};

static void discovery_metrics(struct daemon *d, struct evbuffer *out)
{
	struct discovery *ds = disc_of(d);
	struct dht_stats st;
	struct registry_stats rs;

	dht_get_stats(ds->dht, &st);
	registry_get_stats(ds->reg, &rs);
	evbuffer_add_printf(
	    out,
	    "# HELP vx6_registry_entries Records in the local registry.\n"
	    "# TYPE vx6_registry_entries gauge\n"
	    "vx6_registry_entries{kind=\"node\"} %zu\n"
	    "vx6_registry_entries{kind=\"service\"} %zu\n"
	    "# HELP vx6_registry_refused_total Records refused (signature, sequence, "
	    "expiry, size).\n"
	    "# TYPE vx6_registry_refused_total counter\n"
	    "vx6_registry_refused_total %llu\n"
	    "# HELP vx6_dht_contacts Contacts in the DHT routing table.\n"
	    "# TYPE vx6_dht_contacts gauge\n"
	    "vx6_dht_contacts %zu\n"
	    "# HELP vx6_dht_values Values stored for others.\n"
	    "# TYPE vx6_dht_values gauge\n"
	    "vx6_dht_values %zu\n"
	    "# HELP vx6_dht_lookups_total DHT lookups by result.\n"
	    "# TYPE vx6_dht_lookups_total counter\n"
	    "vx6_dht_lookups_total{result=\"ok\"} %llu\n"
	    "vx6_dht_lookups_total{result=\"failed\"} %llu\n",
	    rs.nodes, rs.services, (unsigned long long)rs.refused, st.contacts, st.values,
	    (unsigned long long)st.lookups_ok, (unsigned long long)st.lookups_failed);
	for (unsigned k = 0; k < DHT_REFUSE__COUNT; k++)
		evbuffer_add_printf(out, "vx6_dht_refused_total{reason=\"%s\"} %llu\n",
				    dht_refuse_name(k), (unsigned long long)st.refused[k]);
}
