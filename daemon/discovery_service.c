/* daemon/discovery_service.c - service records in the discovery subsystem
 * (docs/discovery.md "Records", "Peer sync"): publishing our own records
 * (pinned in the registry; a public one to every linked peer and the DHT, a
 * private one only to the peers its allow list names, never further), the
 * audience that decides who may learn a private record in peer sync, and
 * finding the owner of a service name for a named forward (the registry,
 * a DHT lookup, and a dial to the nodes of that name so that peer sync can
 * hand us a private record). The allow lists themselves are the services
 * subsystem's (daemon_services_may_learn()).
 */
#include "daemon/discovery.h"
#include "daemon/discovery_internal.h"

#include <arpa/inet.h>
#include <errno.h>
#include <stdio.h>
#include <string.h>

#include "daemon/daemon.h"
#include "daemon/services.h"
#include "lib/clock.h"
#include "transport/link.h"

#define OWNERS_MAX	4  /* service records under one name we look at */
#define NAMED_DIALS_MAX 4  /* nodes of one name dialed for a private record */
#define UP_LINKS_MAX	64 /* peers a private record is offered to at once */

/* ---- who may learn a private record ---- */

static bool may_share(void *ctx, const struct service_record *rec)
{
	struct disc_peer_audience *pa = ctx;
	struct daemon *d = pa->ds->d;
	const char *dot = strchr(rec->name, '.');

	/* Only the owner knows the allow list: we answer for our own records
	 * and never pass on anyone else's private record. */
	return dot && node_id_is_equal(&rec->owner, &d->ident.id) &&
	       daemon_services_may_learn(d, dot + 1, &pa->peer);
}

void disc_audience_init(struct disc_peer_audience *pa, struct discovery *ds,
			const struct node_id *peer)
{
	memset(pa, 0, sizeof(*pa));
	pa->ds = ds;
	pa->peer = *peer;
	pa->aud.ctx = pa;
	pa->aud.may_share = may_share;
	pa->aud.self = &ds->d->ident.id;
	pa->aud.peer = &pa->peer;
}

struct up_links {
	struct node_id ids[UP_LINKS_MAX];
	unsigned n;
};

static void collect_up(void *arg, const struct link *l)
{
	struct up_links *u = arg;

	if (u->n < UP_LINKS_MAX && link_is_up(l))
		u->ids[u->n++] = *link_node_id(l);
}

/* ---- publishing our own records ---- */

/* Send our private record `rec` to each linked peer its allow list names. */
static void offer_to_allowed(struct discovery *ds, const struct service_record *sr,
			     const uint8_t *rec, size_t len)
{
	struct up_links u = {.n = 0};
	const char *label = strchr(sr->name, '.') + 1; /* a decoded name has one dot */

	link_mgr_foreach(ds->d->links, collect_up, &u);
	for (unsigned i = 0; i < u.n; i++) {
		struct link *l = link_find(ds->d->links, &u.ids[i]);

		if (l && daemon_services_may_learn(ds->d, label, &u.ids[i]))
			disc_send_record(ds, l, rec, len);
	}
}

int daemon_discovery_publish_service(struct daemon *d, const uint8_t *rec, size_t len)
{
	struct discovery *ds = disc_of(d);
	struct service_record sr;
	uint8_t key[SERVICE_KEY_LEN];
	uint32_t id;
	int r;

	if (!ds)
		return -ENOTCONN;
	if (service_record_decode(&sr, rec, len) < 0 || !node_id_is_equal(&sr.owner, &d->ident.id))
		return -EINVAL;
	/* Pinned: never evicted for room; and disc_store_value() refuses any
	 * copy of it from elsewhere, so only a record we sign replaces it. */
	r = registry_put_service(ds->reg, rec, len, clock_wall_s(), REGISTRY_F_PINNED);
	if (r == -EALREADY)
		return 0;
	if (r < 0)
		return r;
	if (sr.visibility != SERVICE_VIS_PUBLIC) {
		/* It may have been public before: stop republishing that copy. */
		service_name_key(key, sr.name);
		dht_unpublish(ds->dht, key, &d->ident.id);
		offer_to_allowed(ds, &sr, rec, len);
		return 0;
	}
	disc_flood(ds, rec, len, NULL);
	r = dht_publish(ds->dht, rec, len, clock_mono_ms(), &id);
	disc_rearm(ds);
	return r == -ESTALE ? 0 : r;
}

void daemon_discovery_unpublish_service(struct daemon *d, const char *name)
{
	struct discovery *ds = disc_of(d);
	uint8_t key[SERVICE_KEY_LEN];

	if (!ds)
		return;
	service_name_key(key, name);
	dht_unpublish(ds->dht, key, &d->ident.id);
	registry_remove_service(ds->reg, key, &d->ident.id);
}

void daemon_discovery_offer_private(struct daemon *d)
{
	struct discovery *ds = disc_of(d);
	struct up_links u = {.n = 0};

	if (!ds)
		return;
	/* A services digest: each peer asks (WANT) for what it may now learn
	 * and lacks. Cheap, and only on an operator's change. */
	link_mgr_foreach(d->links, collect_up, &u);
	for (unsigned i = 0; i < u.n; i++) {
		struct link *l = link_find(d->links, &u.ids[i]);

		if (l)
			disc_send_digests(ds, l, DHT_SYNC_SERVICES);
	}
}

/* ---- finding the owner of a name ---- */

/* Look `key` up in the DHT unless a lookup for it began less than
 * SVC_LOOKUP_MS ago. Return -EAGAIN (one is under way: ask again) or the
 * error that kept it from starting. The values found land in the registry
 * (disc_lookup_done). */
static int lookup(struct discovery *ds, const uint8_t key[DHT_KEY_LEN])
{
	uint64_t now = clock_mono_ms();
	struct svc_lookup *slot = NULL;
	uint32_t id;
	int r;

	for (unsigned i = 0; i < SVC_LOOKUPS_MAX; i++) {
		struct svc_lookup *f = &ds->look[i];

		if (f->at_ms && now - f->at_ms >= SVC_LOOKUP_MS)
			f->at_ms = 0;
		if (f->at_ms && memcmp(f->key, key, DHT_KEY_LEN) == 0)
			return -EAGAIN;
		if (!f->at_ms && !slot)
			slot = f;
	}
	if (!slot)
		return -EBUSY;
	r = dht_find_value(ds->dht, key, now, &id);
	if (r < 0)
		return r;
	disc_rearm(ds);
	memcpy(slot->key, key, DHT_KEY_LEN);
	slot->at_ms = now;
	return -EAGAIN;
}

static bool dial_node(struct discovery *ds, const struct node_record *nr)
{
	for (unsigned i = 0; i < nr->n_endpoints; i++) {
		struct sockaddr_in6 sa = {.sin6_family = AF_INET6,
					  .sin6_addr = nr->ep[i].addr,
					  .sin6_port = htons(nr->ep[i].port)};

		if (link_mgr_connect(ds->d->links, nr->pk, &sa, nr->ep[i].transport) == 0)
			return true;
	}
	return false;
}

/* No record of `name` here. It may be private: its owner offers it only in
 * peer sync, to the peers it allows. Dial the nodes we know by its first
 * label that we have no link to; once a link is up, sync hands us the
 * record if the owner allows us. Return how many are being dialed. */
static unsigned dial_named(struct discovery *ds, const char *name)
{
	const struct node_record *nr[NAMED_DIALS_MAX];
	char node[RECORD_NAME_MAX + 1];
	size_t nl = strcspn(name, "."), n;
	unsigned dialing = 0;

	if (nl > RECORD_NAME_MAX)
		return 0;
	memcpy(node, name, nl);
	node[nl] = '\0';
	n = registry_find_nodes_named(ds->reg, node, nr, NAMED_DIALS_MAX);
	for (size_t i = 0; i < n; i++) {
		struct link *l = link_find(ds->d->links, &nr[i]->id);

		if (node_id_is_equal(&nr[i]->id, &ds->d->ident.id) || (l && link_is_up(l)))
			continue; /* up: sync already told us what it may */
		if (l || dial_node(ds, nr[i]))
			dialing++;
	}
	return dialing;
}

/* Of the owners publishing one name, prefer one we have a link to. */
static const struct service_record *pick_owner(struct discovery *ds,
					       const struct service_record *const *recs, size_t n)
{
	for (size_t i = 0; i < n; i++) {
		struct link *l = link_find(ds->d->links, &recs[i]->owner);

		if (l && link_is_up(l))
			return recs[i];
	}
	return recs[0];
}

int daemon_discovery_service_owner(struct daemon *d, const char *name, uint8_t out_pk[NODE_PK_LEN],
				   char *why, size_t why_cap)
{
	struct discovery *ds = disc_of(d);
	const struct service_record *recs[OWNERS_MAX], *rec;
	const struct node_record *nr;
	uint8_t key[SERVICE_KEY_LEN];
	struct link *l;
	unsigned dialing;
	size_t n;

	if (!ds) {
		snprintf(why, why_cap, "discovery is not running");
		return -ENOENT;
	}
	service_name_key(key, name);
	n = registry_find_services(ds->reg, key, recs, OWNERS_MAX);
	if (n == 0) {
		snprintf(why, why_cap,
			 "no service record for '%s' (not published, or private and not "
			 "offered to this node)",
			 name);
		dialing = dial_named(ds, name);
		return lookup(ds, key) == -EAGAIN || dialing ? -EAGAIN : -ENOENT;
	}
	rec = pick_owner(ds, recs, n);
	memcpy(out_pk, rec->pk, NODE_PK_LEN);
	l = link_find(d->links, &rec->owner);
	if (l && link_is_up(l))
		return 0;
	nr = registry_find_node(ds->reg, &rec->owner);
	if (nr && dial_node(ds, nr))
		return 0; /* the caller waits for the link to come up */
	snprintf(why, why_cap, "no link to the owner of '%s' and no address to dial", name);
	if (!nr && lookup(ds, rec->owner.b) == -EAGAIN)
		return -EAGAIN; /* its node record, with the endpoints */
	return -ENOENT;
}
