/* daemon/services_groups.c - groups of nodes and the allow lists that name
 * them (daemon/groups.h, docs/admin-api.md "Groups"). The service manager
 * checks a caller against a plain list of node IDs; this file works that
 * list out from each service's nodes and groups, and works it out again for
 * every service that names a group whenever the group changes, in the same
 * loop turn as the change: a member removed from a group is refused from
 * its next connection on, with no change to the service. A group change is
 * checked on a copy of the table, written to groups.json, and only then
 * swapped in, so a refused or unsaved change changes nothing.
 */
#include "daemon/services.h"
#include "daemon/services_internal.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "daemon/daemon.h"
#include "daemon/discovery.h"
#include "daemon/json_file.h"
#include "lib/fs.h"
#include "lib/log.h"

static bool add_node(struct svc_service *out, const struct node_id *id)
{
	for (unsigned i = 0; i < out->n_allow; i++)
		if (node_id_is_equal(&out->allow[i], id))
			return true;
	if (out->n_allow == SVC_ALLOW_MAX)
		return false;
	out->allow[out->n_allow++] = *id;
	return true;
}

int services_allow_expand(const struct services_def *def, const struct group_table *groups,
			  struct svc_service *out)
{
	*out = def->svc;
	for (unsigned i = 0; i < def->n_groups; i++) {
		const struct group *g = group_table_find(groups, def->groups[i]);

		for (unsigned k = 0; g && k < g->n; k++)
			if (!add_node(out, &g->members[k]))
				return -E2BIG;
	}
	/* Groups that name no node admit nobody, never anyone. */
	out->restricted = def->n_groups > 0;
	return 0;
}

int services_def_apply(struct services *ss, const struct services_def *def)
{
	struct svc_service s;
	int r = services_allow_expand(def, ss->groups, &s);

	return r < 0 ? r : svc_service_set(ss->mgr, &s);
}

bool daemon_services_may_learn(struct daemon *d, const char *label, const struct node_id *peer)
{
	struct services *ss = d->svcs;
	const struct services_def *def = ss ? services_def_find(ss, label) : NULL;
	struct svc_service s;

	if (!def || !def->svc.private_ || def->svc.n_allow + def->n_groups == 0)
		return false;
	if (services_allow_expand(def, ss->groups, &s) < 0)
		return false;
	for (unsigned i = 0; i < s.n_allow; i++)
		if (node_id_is_equal(&s.allow[i], peer))
			return true;
	return false;
}

int services_groups_load(struct services *ss, char *err, size_t cap)
{
	uint8_t *text = NULL;
	char perr[256];
	size_t len;
	int r;

	ss->groups = calloc(1, sizeof(*ss->groups));
	if (!ss->groups)
		return -ENOMEM;
	r = fs_read_file(ss->grp_path, GROUPS_FILE_MAX, &text, &len);
	if (r == -ENOENT)
		return 0;
	if (r < 0) {
		snprintf(err, cap, "Failed to read state file '%s': %s", ss->grp_path,
			 r == -EFBIG ? "larger than 256 KiB" : strerror(-r));
		return r;
	}
	r = group_table_parse(ss->groups, (const char *)text, len, perr, sizeof(perr));
	if (r < 0)
		snprintf(err, cap, "%s:%s%s", ss->grp_path, perr[0] == 'g' ? " " : "", perr);
	free(text);
	return r;
}

/* ---- changes from the admin API ---- */

static bool names_group(const struct services_def *def, const char *name)
{
	for (unsigned i = 0; i < def->n_groups; i++)
		if (strcmp(def->groups[i], name) == 0)
			return true;
	return false;
}

/* Would `next` give every service that names `name` at most SVC_ALLOW_MAX
 * nodes? */
static int check_services(struct services *ss, const struct group_table *next, const char *name,
			  char *err, size_t cap)
{
	struct svc_service s;

	for (unsigned i = 0; i < ss->n_defs; i++) {
		if (!names_group(&ss->defs[i], name) ||
		    services_allow_expand(&ss->defs[i], next, &s) == 0)
			continue;
		snprintf(err, cap,
			 "members: service '%s' names group '%s' and would allow more than %d "
			 "nodes",
			 ss->defs[i].svc.name, name, SVC_ALLOW_MAX);
		return -EMLINK;
	}
	return 0;
}

/* Save `next`, swap it in, and give the manager the new allow lists. */
static int commit(struct services *ss, struct group_table *next, const char *name, char *err,
		  size_t cap)
{
	int r = daemon_json_file_save(ss->grp_path, group_table_to_json(next));

	if (r < 0) {
		snprintf(err, cap, "Failed to write '%s': %s", ss->grp_path, strerror(-r));
		return r;
	}
	*ss->groups = *next;
	for (unsigned i = 0; i < ss->n_defs; i++) {
		if (!names_group(&ss->defs[i], name))
			continue;
		r = services_def_apply(ss, &ss->defs[i]);
		if (r < 0) /* check_services() passed: cannot happen */
			log_err(LD_ROUTE, "Failed to apply group '%s' to service '%s': %s", name,
				ss->defs[i].svc.name, strerror(-r));
	}
	/* New members may now learn our private records; removed ones keep
	 * what they hold (a signed record cannot be taken back) but are
	 * refused at their next connection. */
	daemon_discovery_offer_private(ss->d);
	return 0;
}

static int change(struct daemon *d, const char *name, const struct node_id *ids, unsigned n,
		  bool add, char *err, size_t cap)
{
	struct services *ss = d->svcs;
	struct group_table *next;
	int r, made = 0;

	if (!ss) {
		snprintf(err, cap, "services are not running");
		return -ENOTCONN;
	}
	next = malloc(sizeof(*next));
	if (!next) {
		snprintf(err, cap, "out of memory");
		return -ENOMEM;
	}
	*next = *ss->groups;
	r = add ? group_table_add(next, name, ids, n, err, cap)
		: group_table_remove(next, name, ids, n, err, cap);
	if (r >= 0) {
		made = r;
		r = check_services(ss, next, name, err, cap);
	}
	if (r == 0)
		r = commit(ss, next, name, err, cap);
	free(next);
	return r < 0 ? r : made;
}

int daemon_groups_add(struct daemon *d, const char *name, const struct node_id *ids, unsigned n,
		      char *err, size_t cap)
{
	if (n == 0) {
		snprintf(err, cap, "members: at least one node");
		return -EINVAL;
	}
	return change(d, name, ids, n, true, err, cap);
}

int daemon_groups_remove(struct daemon *d, const char *name, const struct node_id *ids, unsigned n,
			 char *err, size_t cap)
{
	return change(d, name, ids, n, false, err, cap);
}

json_t *daemon_groups_json(struct daemon *d)
{
	static const struct group_table none;

	return group_table_to_json(d->svcs ? d->svcs->groups : &none);
}

json_t *daemon_group_json(struct daemon *d, const char *name)
{
	const struct group *g = d->svcs ? group_table_find(d->svcs->groups, name) : NULL;

	return g ? group_to_json(g) : NULL;
}
