/* daemon/services.h - the "services" subsystem (services.c,
 * services_groups.c): named services and forwarded ports (routing/service.h)
 * wired into vx6d, and the groups of nodes their allow lists may name
 * (daemon/groups.h). The tables live in <state_dir>/services.json,
 * forwards.json and groups.json (atomic writes); each service is published
 * as a signed service record "NODENAME.NAME". The JSON forms
 * (services_json.c, groups.c) are shared by the state files and the admin
 * API, so both accept and refuse the same things with the same messages.
 *
 * Allow lists: a service names nodes and groups ("@ops"). The service
 * manager checks callers against the nodes these give, which this
 * subsystem works out again whenever a group changes, before the change
 * is answered: changing a group changes who may connect, without touching
 * the service.
 */
#ifndef VX6_DAEMON_SERVICES_H
#define VX6_DAEMON_SERVICES_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include <jansson.h>

#include "daemon/groups.h"
#include "routing/service.h"

struct daemon;
struct link;

#define SERVICES_FILE "services.json"
#define FORWARDS_FILE "forwards.json"

/* A service as configured: the manager's entry, whose allow list holds the
 * nodes named directly, plus the groups named. Both empty: any
 * authenticated node. */
struct services_def {
	struct svc_service svc;
	char groups[SVC_ALLOW_MAX][GROUP_NAME_MAX + 1]; /* without the '@', in order */
	unsigned n_groups; /* n_groups + svc.n_allow <= SVC_ALLOW_MAX */
};

/* Link hooks from daemon/links.c; no-ops while the subsystem is down. */
int daemon_services_stream_open(struct daemon *d, struct link *l, uint64_t sid, uint8_t kind);
void daemon_services_stream_data(struct daemon *d, struct link *l, uint64_t sid, const uint8_t *buf,
				 size_t len, bool fin);
void daemon_services_stream_reset(struct daemon *d, struct link *l, uint64_t sid, uint32_t code);
void daemon_services_stream_writable(struct daemon *d, struct link *l, uint64_t sid);
void daemon_services_link_up(struct daemon *d, struct link *l);
void daemon_services_link_down(struct daemon *d, struct link *l);

/* Parse one service {"name", "target", "allow": [ID|KEY|@GROUP...],
 * "visibility"} or one forward {"service", "listen"[, "node", "addr",
 * "transport"]}. On failure write "<field>: <reason>" into `err` and return
 * -EINVAL. Whether a named group exists is not checked here. */
int services_svc_from_json(const json_t *o, struct services_def *out, char *err, size_t cap);
int services_fwd_from_json(const json_t *o, struct svc_forward *out, char *err, size_t cap);
json_t *services_svc_to_json(const struct services_def *s);
json_t *services_fwd_to_json(const struct svc_forward *f);

/* The nodes `def` allows, with the groups of `groups` expanded, into
 * out->allow (the rest of *out is def->svc): the nodes it names and the
 * members of the groups it names, without repeats; a group that does not
 * exist adds nobody. A list that names something but gives no node holds
 * only the all-zero node ID, which is the ID of no key, so that it admits
 * nobody (an empty list would admit anyone). Return 0, or -E2BIG when more
 * than SVC_ALLOW_MAX nodes result. Pure. */
int services_allow_expand(const struct services_def *def, const struct group_table *groups,
			  struct svc_service *out);

/* Discovery asks (daemon/discovery_service.c): may `peer` learn the record
 * of our private service `label`? True only if the service is private and
 * its allow list, groups expanded, names `peer`; a private service with no
 * allow list is offered to nobody (clients reach it in direct-IPv6 mode). */
bool daemon_services_may_learn(struct daemon *d, const char *label, const struct node_id *peer);

/* Admin API operations (api_services.c, api_groups.c). Return 0 (groups_add:
 * 1 when the group was created) or -errno with a message in `err`:
 * -EINVAL (400), -ENOENT (404), -EEXIST or -EMLINK (409: a service would
 * allow more than SVC_ALLOW_MAX nodes), -ENOSPC (507), other (500). */
int daemon_services_set(struct daemon *d, const struct services_def *s, char *err, size_t cap);
int daemon_services_remove(struct daemon *d, const char *name, char *err, size_t cap);
int daemon_forwards_add(struct daemon *d, const struct svc_forward *f, char *err, size_t cap);
int daemon_forwards_remove(struct daemon *d, uint16_t port, char *err, size_t cap);
json_t *daemon_services_json(struct daemon *d);
/* With `with_stats`, each forward also has "accepted", "refused" and
 * "active" (connections); the state file has none. */
json_t *daemon_forwards_json(struct daemon *d, bool with_stats);
int daemon_groups_add(struct daemon *d, const char *name, const struct node_id *ids, unsigned n,
		      char *err, size_t cap);
/* n == 0: remove the group; services that name it then allow nobody
 * through it (until a group of that name exists again). */
int daemon_groups_remove(struct daemon *d, const char *name, const struct node_id *ids, unsigned n,
			 char *err, size_t cap);
/* {"groups": [...]} (new reference), or one group's JSON, NULL if none. */
json_t *daemon_groups_json(struct daemon *d);
json_t *daemon_group_json(struct daemon *d, const char *name);

#endif /* VX6_DAEMON_SERVICES_H */
