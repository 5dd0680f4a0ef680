/* daemon/services_json.c - JSON forms of a service and of a forward, shared
 * by services.json/forwards.json and the admin API (docs/admin-api.md
 * "Services", "Forwards"). Strict: unknown fields are refused. An allow
 * entry is a node ID, a public key, or "@GROUP" (daemon/groups.h).
 */
#include "daemon/services.h"

#include <errno.h>
#include <stdio.h>
#include <string.h>

#include "daemon/api.h"
#include "daemon/peer_entry.h"
#include "identity/record.h"
#include "lib/encode.h"
#include "routing/service.h"

static int only_fields(const json_t *o, const char *const *ok, char *err, size_t cap)
{
	const char *k;
	json_t *v;

	json_object_foreach((json_t *)o, k, v)
	{
		bool known = false;

		for (const char *const *p = ok; *p; p++)
			known |= strcmp(*p, k) == 0;
		if (!known) {
			snprintf(err, cap, "%.60s: unknown field", k);
			return -EINVAL;
		}
	}
	return 0;
}

static const char *str_field(const json_t *o, const char *k)
{
	return json_string_value(json_object_get(o, k));
}

/* One "allow" entry: a node ID or key, or "@GROUP". */
static int allow_entry(const json_t *v, size_t i, struct services_def *s, char *err, size_t cap)
{
	const char *e = json_string_value(v);

	if (e && e[0] == GROUP_REF_CHAR) {
		for (unsigned k = 0; k < s->n_groups; k++) {
			if (strcmp(s->groups[k], e + 1) == 0) {
				snprintf(err, cap, "allow[%zu]: '%.80s' is listed twice", i, e);
				return -EINVAL;
			}
		}
		if (!group_name_is_valid(e + 1)) {
			snprintf(err, cap,
				 "allow[%zu]: '%.80s' is not a group: '@' and 1..63 characters of "
				 "a-z, 0-9 and '-'",
				 i, e);
			return -EINVAL;
		}
		snprintf(s->groups[s->n_groups++], sizeof(s->groups[0]), "%s", e + 1);
		return 0;
	}
	if (!e || api_parse_node(e, &s->svc.allow[s->svc.n_allow]) < 0) {
		snprintf(err, cap, "allow[%zu]: '%.80s' is not a node ID, public key or @group", i,
			 e ? e : "");
		return -EINVAL;
	}
	s->svc.n_allow++;
	return 0;
}

int services_svc_from_json(const json_t *o, struct services_def *out, char *err, size_t cap)
{
	static const char *const ok[] = {"name", "target", "allow", "visibility", NULL};
	const char *name, *target, *vis;
	const json_t *allow, *v;
	struct services_def s;
	size_t i;

	memset(&s, 0, sizeof(s));
	if (!json_is_object(o)) {
		snprintf(err, cap, "expected a JSON object");
		return -EINVAL;
	}
	if (only_fields(o, ok, err, cap) < 0)
		return -EINVAL;
	name = str_field(o, "name");
	target = str_field(o, "target");
	if (!name) {
		snprintf(err, cap, "name: missing or not a string");
		return -EINVAL;
	}
	if (strlen(name) > SERVICE_LABEL_MAX) {
		snprintf(err, cap, "name: Invalid service name '%.63s...': at most 63 characters",
			 name);
		return -EINVAL;
	}
	snprintf(s.svc.name, sizeof(s.svc.name), "%s", name);
	if (!target || svc_parse_loopback(target, &s.svc.target, &s.svc.target_len) < 0) {
		snprintf(err, cap,
			 "target: Invalid target '%.80s': expected 127.0.0.1:PORT or [::1]:PORT "
			 "(a local address of this node)",
			 target ? target : "");
		return -EINVAL;
	}
	vis = str_field(o, "visibility");
	if (vis && strcmp(vis, "public") != 0 && strcmp(vis, "private") != 0) {
		snprintf(err, cap, "visibility: '%.20s': expected \"public\" or \"private\"", vis);
		return -EINVAL;
	}
	s.svc.private_ = vis && strcmp(vis, "private") == 0;
	allow = json_object_get(o, "allow");
	if (allow && !json_is_array(allow)) {
		snprintf(err, cap, "allow: expected an array of node IDs, public keys or @groups");
		return -EINVAL;
	}
	if (allow && json_array_size(allow) > SVC_ALLOW_MAX) {
		snprintf(err, cap, "allow: more than %d entries", SVC_ALLOW_MAX);
		return -EINVAL;
	}
	json_array_foreach(allow, i, v)
	{
		if (allow_entry(v, i, &s, err, cap) < 0)
			return -EINVAL;
	}
	if (svc_service_check(&s.svc, err, cap) < 0)
		return -EINVAL;
	*out = s;
	return 0;
}

int services_fwd_from_json(const json_t *o, struct svc_forward *out, char *err, size_t cap)
{
	static const char *const ok[] = {"service", "listen", "node", "addr", "transport", NULL};
	const char *svc, *listen, *node, *addr, *tp;
	struct svc_forward f;

	memset(&f, 0, sizeof(f));
	if (!json_is_object(o)) {
		snprintf(err, cap, "expected a JSON object");
		return -EINVAL;
	}
	if (only_fields(o, ok, err, cap) < 0)
		return -EINVAL;
	svc = str_field(o, "service");
	listen = str_field(o, "listen");
	node = str_field(o, "node");
	addr = str_field(o, "addr");
	tp = str_field(o, "transport");
	if (!svc || strlen(svc) > SERVICE_NAME_MAX) {
		snprintf(err, cap, "service: missing, not a string or too long");
		return -EINVAL;
	}
	snprintf(f.service, sizeof(f.service), "%s", svc);
	if (!listen || svc_parse_loopback(listen, &f.listen, &f.listen_len) < 0) {
		snprintf(err, cap,
			 "listen: Invalid listen address '%.80s': expected 127.0.0.1:PORT or "
			 "[::1]:PORT",
			 listen ? listen : "");
		return -EINVAL;
	}
	if (node || addr || tp) {
		uint8_t t = RECORD_TRANSPORT_TCP;

		f.direct = true;
		if (!node || hex_decode(f.pk, sizeof(f.pk), node) < 0) {
			snprintf(err, cap, "node: '%.80s' is not a node public key (64 hex digits)",
				 node ? node : "");
			return -EINVAL;
		}
		if (!addr || peer_endpoint_parse(addr, &f.ep) < 0) {
			snprintf(err, cap, "addr: Invalid address '%.80s': expected [IPV6]:PORT",
				 addr ? addr : "");
			return -EINVAL;
		}
		if (tp && record_transport_parse(tp, &t) < 0) {
			snprintf(err, cap, "transport: unknown transport '%.20s'", tp);
			return -EINVAL;
		}
		f.kind = (enum transport_kind)t;
	}
	if (svc_forward_check(&f, err, cap) < 0)
		return -EINVAL;
	*out = f;
	return 0;
}

json_t *services_svc_to_json(const struct services_def *def)
{
	const struct svc_service *s = &def->svc;
	json_t *o, *allow = json_array();
	char t[64];

	for (unsigned i = 0; allow && i < s->n_allow; i++) {
		char id[NODE_ID_STR_LEN + 1];

		node_id_to_str(&s->allow[i], id);
		json_array_append_new(allow, json_string(id)); /* steals */
	}
	for (unsigned i = 0; allow && i < def->n_groups; i++) {
		char g[GROUP_NAME_MAX + 2];

		snprintf(g, sizeof(g), "%c%s", GROUP_REF_CHAR, def->groups[i]);
		json_array_append_new(allow, json_string(g)); /* steals */
	}
	svc_format_addr((const struct sockaddr *)&s->target, t, sizeof(t));
	o = json_pack("{s:s, s:s, s:o, s:s}", "name", s->name, "target", t, "allow",
		      allow, /* steals allow */
		      "visibility", s->private_ ? "private" : "public");
	return o;
}

json_t *services_fwd_to_json(const struct svc_forward *f)
{
	char l[64], ep[64], pk[NODE_PK_STR_LEN + 1];
	json_t *o;

	svc_format_addr((const struct sockaddr *)&f->listen, l, sizeof(l));
	o = json_pack("{s:s, s:s}", "service", f->service, "listen", l);
	if (o && f->direct) {
		peer_endpoint_to_str(&f->ep, ep);
		hex_encode(pk, sizeof(pk), f->pk, sizeof(f->pk));
		json_object_set_new(o, "node", json_string(pk)); /* steals */
		json_object_set_new(o, "addr", json_string(ep));
		json_object_set_new(o, "transport",
				    json_string(record_transport_name((uint8_t)f->kind)));
	}
	return o;
}
