/* daemon/services.c - the "services" subsystem: routing/service.h wired into
 * vx6d. Loads groups.json, services.json and forwards.json at start (a file
 * that does not parse stops vx6d with a one-line error), publishes each
 * service as a signed service record NODENAME.NAME through discovery
 * (daemon/discovery.h decides where a public or private record goes) and
 * republishes it at half its lifetime, resolves named forwards through
 * discovery, and saves the tables atomically on every change from the
 * admin API. Groups and allow lists: services_groups.c. No protocol logic:
 * that is routing/service.c.
 */
#include "daemon/services.h"
#include "daemon/services_internal.h"

#include <errno.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <event2/buffer.h>
#include <event2/event.h>

#include "daemon/daemon.h"
#include "daemon/discovery.h"
#include "daemon/json_file.h"
#include "lib/clock.h"
#include "lib/fs.h"
#include "lib/jsonx.h"
#include "lib/log.h"
#include "transport/link.h"

#define SERVICES_FILE_MAX (1024 * 1024)

static struct services *svcs_of(struct daemon *d)
{
	return d->svcs;
}

struct services_def *services_def_find(struct services *ss, const char *name)
{
	for (unsigned i = 0; i < ss->n_defs; i++)
		if (strcmp(ss->defs[i].svc.name, name) == 0)
			return &ss->defs[i];
	return NULL;
}

/* ---- publication ---- */

static void full_name(struct daemon *d, const char *label, char out[SERVICE_NAME_MAX + 1])
{
	snprintf(out, SERVICE_NAME_MAX + 1, "%.63s.%.63s", d->ident.name, label);
}

int services_publish(struct services *ss, const struct services_def *def)
{
	struct daemon *d = ss->d;
	struct service_record rec;
	uint8_t buf[SERVICE_RECORD_MAX_LEN];
	uint64_t now = clock_wall_s(), seq = now * 1000000u;
	size_t len;
	int r;

	memset(&rec, 0, sizeof(rec));
	memcpy(rec.pk, d->ident.pk, NODE_PK_LEN);
	ss->last_seq = seq > ss->last_seq ? seq : ss->last_seq + 1;
	rec.seq = ss->last_seq;
	rec.issued = now;
	rec.expires = now + d->cfg->record_lifetime_s;
	rec.visibility = def->svc.private_ ? SERVICE_VIS_PRIVATE : SERVICE_VIS_PUBLIC;
	full_name(d, def->svc.name, rec.name);
	r = service_record_sign(&rec, d->ident.sk);
	if (r == 0)
		r = service_record_encode(&rec, buf, sizeof(buf), &len);
	if (r == 0)
		r = daemon_discovery_publish_service(d, buf, len);
	return r;
}

static void unpublish_one(struct services *ss, const char *label)
{
	char name[SERVICE_NAME_MAX + 1];

	full_name(ss->d, label, name);
	daemon_discovery_unpublish_service(ss->d, name);
}

static void publish_all(struct services *ss)
{
	for (unsigned i = 0; i < ss->n_defs; i++) {
		int r = services_publish(ss, &ss->defs[i]);

		if (r < 0)
			log_notice(LD_ROUTE, "Failed to publish service '%s': %s",
				   ss->defs[i].svc.name, strerror(-r));
	}
}

static void on_republish(evutil_socket_t fd, short what, void *arg)
{
	(void)fd;
	(void)what;
	publish_all(arg);
}

/* Named forwards: discovery says who owns a name (registry, DHT, peer
 * sync for private records) and dials it. */
static int resolve(void *ctx, const char *name, uint8_t out_pk[NODE_PK_LEN], char *why, size_t cap)
{
	struct services *ss = ctx;

	return daemon_discovery_service_owner(ss->d, name, out_pk, why, cap);
}

/* ---- state files ---- */

static int save_file(const char *path, const char *key, json_t *arr)
{
	return daemon_json_file_save(path, json_pack("{s:o}", key, arr)); /* steals arr */
}

static int save_services(struct services *ss)
{
	json_t *a = daemon_services_json(ss->d);

	return a ? save_file(ss->svc_path, "services", a) : -ENOMEM;
}

static int save_forwards(struct services *ss)
{
	json_t *a = daemon_forwards_json(ss->d, false);

	return a ? save_file(ss->fwd_path, "forwards", a) : -ENOMEM;
}

/* Add a service read from services.json (the admin API goes through
 * daemon_services_set(), which also checks that its groups exist). */
static int load_service(struct services *ss, const struct services_def *def)
{
	int r;

	if (ss->n_defs >= SVC_SERVICES_MAX || services_def_find(ss, def->svc.name))
		return ss->n_defs >= SVC_SERVICES_MAX ? -ENOSPC : -EEXIST;
	r = services_def_apply(ss, def);
	if (r == 0)
		ss->defs[ss->n_defs++] = *def;
	return r;
}

static const char *load_error(int r)
{
	switch (r) {
	case -ENOSPC:
		return "table full";
	case -EEXIST:
		return "a service of that name is listed already";
	case -E2BIG:
		return "its nodes and groups give more than 32 nodes";
	default:
		return strerror(-r);
	}
}

/* Read `path` ({"<key>": [...]}) and apply each entry. */
static int load_file(struct services *ss, const char *path, const char *key, bool fwd, char *err,
		     size_t cap)
{
	uint8_t *text = NULL;
	json_t *root = NULL, *arr, *o;
	char perr[256];
	size_t len, i;
	int r = fs_read_file(path, SERVICES_FILE_MAX, &text, &len);

	if (r == -ENOENT)
		return 0;
	if (r < 0) {
		snprintf(err, cap, "Failed to read state file '%s': %s", path, strerror(-r));
		return r;
	}
	r = -EINVAL;
	if (jsonx_parse_object((const char *)text, len, &root, perr, sizeof(perr)) < 0) {
		snprintf(err, cap, "%s:%s", path, perr);
		goto out;
	}
	arr = json_object_get(root, key);
	if (json_object_size(root) != 1 || !json_is_array(arr)) {
		snprintf(err, cap, "%s:1:1: expected {\"%s\": [...]} and nothing else", path, key);
		goto out;
	}
	json_array_foreach(arr, i, o)
	{
		struct services_def s;
		struct svc_forward f;
		int a;

		if (fwd ? services_fwd_from_json(o, &f, perr, sizeof(perr))
			: services_svc_from_json(o, &s, perr, sizeof(perr))) {
			snprintf(err, cap, "%s: %s[%zu].%s", path, key, i, perr);
			goto out;
		}
		a = fwd ? svc_forward_add(ss->mgr, &f) : load_service(ss, &s);
		if (a < 0) {
			snprintf(err, cap, "%s: %s[%zu]: %s", path, key, i, load_error(a));
			r = a;
			goto out;
		}
	}
	r = 0;
out:
	json_decref(root);
	free(text);
	return r;
}

/* ---- the subsystem ---- */

static void services_shutdown(struct daemon *d);

static int services_init(struct daemon *d, char *err, size_t cap)
{
	struct services *ss = calloc(1, sizeof(*ss));
	struct svc_host host = {.resolve = resolve};
	struct timeval tv;
	int r;

	if (!ss)
		return -ENOMEM;
	ss->d = d;
	host.ctx = ss;
	d->svcs = ss;
	if (fs_path_join(ss->svc_path, sizeof(ss->svc_path), d->cfg->state_dir, SERVICES_FILE) <
		0 ||
	    fs_path_join(ss->fwd_path, sizeof(ss->fwd_path), d->cfg->state_dir, FORWARDS_FILE) <
		0 ||
	    fs_path_join(ss->grp_path, sizeof(ss->grp_path), d->cfg->state_dir, GROUPS_FILE) < 0) {
		snprintf(err, cap, "state_dir is too long");
		r = -ENAMETOOLONG;
		goto fail;
	}
	r = svc_mgr_new(d->base, d->links, d->ident.name, &host, &ss->mgr);
	if (r < 0) {
		snprintf(err, cap, "Failed to create the service manager: %s", strerror(-r));
		goto fail;
	}
	/* Groups first: the services' allow lists name them. */
	r = services_groups_load(ss, err, cap);
	if (r == 0)
		r = load_file(ss, ss->svc_path, "services", false, err, cap);
	if (r == 0)
		r = load_file(ss, ss->fwd_path, "forwards", true, err, cap);
	if (r < 0)
		goto fail;
	ss->republish = event_new(d->base, -1, EV_PERSIST, on_republish, ss);
	if (!ss->republish) {
		r = -ENOMEM;
		goto fail;
	}
	tv.tv_sec = d->cfg->record_lifetime_s / 2 ? d->cfg->record_lifetime_s / 2 : 1;
	tv.tv_usec = 0;
	event_add(ss->republish, &tv);
	publish_all(ss);
	return 0;
fail:
	services_shutdown(d);
	return r;
}

static void services_shutdown(struct daemon *d)
{
	struct services *ss = svcs_of(d);

	if (!ss)
		return;
	if (ss->republish)
		event_free(ss->republish);
	ss->mgr = svc_mgr_free(ss->mgr);
	free(ss->groups);
	free(ss);
	d->svcs = NULL;
}

static void services_metrics(struct daemon *d, struct evbuffer *out)
{
	struct services *ss = svcs_of(d);
	struct svc_mgr_stats st;

	if (!ss)
		return;
	svc_mgr_get_stats(ss->mgr, &st);
	evbuffer_add_printf(out,
			    "# HELP vx6_service_streams_total Service streams by direction.\n"
			    "# TYPE vx6_service_streams_total counter\n"
			    "vx6_service_streams_total{dir=\"in\"} %llu\n"
			    "vx6_service_streams_total{dir=\"out\"} %llu\n"
			    "# HELP vx6_service_refused_total Service streams refused.\n"
			    "# TYPE vx6_service_refused_total counter\n"
			    "vx6_service_refused_total{dir=\"in\"} %llu\n"
			    "vx6_service_refused_total{dir=\"out\"} %llu\n"
			    "# HELP vx6_service_bytes_total Bytes bridged.\n"
			    "# TYPE vx6_service_bytes_total counter\n"
			    "vx6_service_bytes_total{dir=\"in\"} %llu\n"
			    "vx6_service_bytes_total{dir=\"out\"} %llu\n"
			    "# HELP vx6_service_connections Open service connections.\n"
			    "# TYPE vx6_service_connections gauge\n"
			    "vx6_service_connections %u\n",
			    (unsigned long long)st.streams_in, (unsigned long long)st.streams_out,
			    (unsigned long long)st.refused_in, (unsigned long long)st.refused_out,
			    (unsigned long long)st.bytes_in, (unsigned long long)st.bytes_out,
			    st.active);
}

const struct daemon_subsys daemon_subsys_services = {
    .name = "services",
    .init = services_init,
    .shutdown = services_shutdown,
    .metrics = services_metrics,
};

/* ---- hooks ---- */

int daemon_services_stream_open(struct daemon *d, struct link *l, uint64_t sid, uint8_t kind)
{
	return d->svcs ? svc_mgr_on_stream_open(d->svcs->mgr, l, sid, kind) : -ENOTCONN;
}

void daemon_services_stream_data(struct daemon *d, struct link *l, uint64_t sid, const uint8_t *buf,
				 size_t len, bool fin)
{
	if (d->svcs)
		svc_mgr_on_stream_data(d->svcs->mgr, l, sid, buf, len, fin);
}

void daemon_services_stream_reset(struct daemon *d, struct link *l, uint64_t sid, uint32_t code)
{
	if (d->svcs)
		svc_mgr_on_stream_reset(d->svcs->mgr, l, sid, code);
}

void daemon_services_stream_writable(struct daemon *d, struct link *l, uint64_t sid)
{
	if (d->svcs)
		svc_mgr_on_stream_writable(d->svcs->mgr, l, sid);
}

void daemon_services_link_up(struct daemon *d, struct link *l)
{
	if (d->svcs)
		svc_mgr_on_link_up(d->svcs->mgr, l);
}

void daemon_services_link_down(struct daemon *d, struct link *l)
{
	if (d->svcs)
		svc_mgr_on_link_down(d->svcs->mgr, l);
}

/* ---- admin operations ---- */

int daemon_services_set(struct daemon *d, const struct services_def *s, char *err, size_t cap)
{
	struct services *ss = svcs_of(d);
	struct services_def *old;
	int r;

	if (!ss) {
		snprintf(err, cap, "services are not running");
		return -ENOTCONN;
	}
	/* A group named when the service is added must exist: a typo is an
	 * error, not an allow list that quietly matches nobody. */
	for (unsigned i = 0; i < s->n_groups; i++) {
		if (!group_table_find(ss->groups, s->groups[i])) {
			snprintf(
			    err, cap,
			    "allow: no group '%s'; create it first with 'vx6 group add %s NODE...'",
			    s->groups[i], s->groups[i]);
			return -EINVAL;
		}
	}
	old = services_def_find(ss, s->svc.name);
	if (!old && ss->n_defs >= SVC_SERVICES_MAX) {
		snprintf(err, cap, "service table is full (%d services)", SVC_SERVICES_MAX);
		return -ENOSPC;
	}
	r = services_def_apply(ss, s);
	if (r < 0) {
		snprintf(err, cap,
			 r == -E2BIG ? "allow: its nodes and groups give more than %d nodes"
				     : "invalid service (%d)",
			 SVC_ALLOW_MAX);
		return r == -E2BIG ? -EINVAL : r;
	}
	if (!old)
		old = &ss->defs[ss->n_defs++];
	*old = *s;
	r = save_services(ss);
	if (r < 0) {
		snprintf(err, cap, "Failed to write '%s': %s", ss->svc_path, strerror(-r));
		return r;
	}
	r = services_publish(ss, s);
	if (r < 0)
		log_notice(LD_ROUTE, "Failed to publish service '%s': %s", s->svc.name,
			   strerror(-r));
	return 0;
}

int daemon_services_remove(struct daemon *d, const char *name, char *err, size_t cap)
{
	struct services *ss = svcs_of(d);
	struct services_def *def = ss ? services_def_find(ss, name) : NULL;
	int r;

	if (!def || svc_service_remove(ss->mgr, name) < 0) {
		snprintf(err, cap, "no service '%.63s'", name);
		return -ENOENT;
	}
	memmove(def, def + 1, (size_t)(&ss->defs[ss->n_defs] - (def + 1)) * sizeof(*def));
	ss->n_defs--;
	unpublish_one(ss, name);
	r = save_services(ss);
	if (r < 0)
		snprintf(err, cap, "Failed to write '%s': %s", ss->svc_path, strerror(-r));
	return r;
}

int daemon_forwards_add(struct daemon *d, const struct svc_forward *f, char *err, size_t cap)
{
	struct services *ss = svcs_of(d);
	char a[64];
	int r;

	if (!ss) {
		snprintf(err, cap, "services are not running");
		return -ENOTCONN;
	}
	svc_format_addr((const struct sockaddr *)&f->listen, a, sizeof(a));
	r = svc_forward_add(ss->mgr, f);
	if (r < 0) {
		snprintf(err, cap,
			 r == -EEXIST	? "listen: port of '%s' is forwarded already"
			 : r == -ENOSPC ? "listen: '%s': forward table is full"
					: "listen: Failed to listen on '%s': %s",
			 a, strerror(-r));
		return r;
	}
	r = save_forwards(ss);
	if (r < 0)
		snprintf(err, cap, "Failed to write '%s': %s", ss->fwd_path, strerror(-r));
	return r;
}

int daemon_forwards_remove(struct daemon *d, uint16_t port, char *err, size_t cap)
{
	struct services *ss = svcs_of(d);
	int r;

	if (!ss || svc_forward_remove(ss->mgr, port) < 0) {
		snprintf(err, cap, "no forward on port %u", port);
		return -ENOENT;
	}
	r = save_forwards(ss);
	if (r < 0)
		snprintf(err, cap, "Failed to write '%s': %s", ss->fwd_path, strerror(-r));
	return r;
}

json_t *daemon_services_json(struct daemon *d)
{
	struct services *ss = svcs_of(d);
	json_t *a = json_array();

	for (unsigned i = 0; a && ss && i < ss->n_defs; i++)
		json_array_append_new(a, services_svc_to_json(&ss->defs[i])); /* steals */
	return a;
}

json_t *daemon_forwards_json(struct daemon *d, bool with_stats)
{
	struct services *ss = svcs_of(d);
	const struct svc_forward *f;
	struct svc_forward_info fi;
	json_t *a = json_array();

	for (unsigned i = 0; a && ss && (f = svc_forward_at(ss->mgr, i, &fi)); i++) {
		json_t *o = services_fwd_to_json(f);

		if (o && with_stats) {
			json_object_set_new(o, "accepted", json_integer((json_int_t)fi.accepted));
			json_object_set_new(o, "refused", json_integer((json_int_t)fi.refused));
			json_object_set_new(o, "active", json_integer((json_int_t)fi.active));
		}
		json_array_append_new(a, o); /* steals o */
	}
	return a;
}
