/* daemon/groups.c - the table of named node groups and its JSON form
 * (daemon/groups.h). Pure: the caller reads and writes groups.json and
 * decides what a change means for the services that name a group.
 * Fuzzed by tests/fuzz/fuzz_groups.c.
 */
#include "daemon/groups.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "identity/overlay_addr.h"
#include "lib/jsonx.h"

bool group_name_is_valid(const char *name)
{
	return strlen(name) <= GROUP_NAME_MAX && overlay_name_is_valid(name);
}

/* Index of the first group whose name is >= `name` (t->n if none). */
static unsigned lower(const struct group_table *t, const char *name)
{
	unsigned lo = 0, hi = t->n;

	while (lo < hi) {
		unsigned mid = lo + (hi - lo) / 2;

		if (strcmp(t->g[mid].name, name) < 0)
			lo = mid + 1;
		else
			hi = mid;
	}
	return lo;
}

static bool is_at(const struct group_table *t, unsigned at, const char *name)
{
	return at < t->n && strcmp(t->g[at].name, name) == 0;
}

const struct group *group_table_find(const struct group_table *t, const char *name)
{
	unsigned at = lower(t, name);

	return is_at(t, at, name) ? &t->g[at] : NULL;
}

bool group_has_member(const struct group *g, const struct node_id *id)
{
	for (unsigned i = 0; i < g->n; i++)
		if (node_id_is_equal(&g->members[i], id))
			return true;
	return false;
}

static int bad_name(const char *name, char *err, size_t cap)
{
	snprintf(err, cap,
		 "name: Invalid group name '%.80s': 1..63 characters of a-z, 0-9 and '-', not "
		 "starting or ending with '-'",
		 name);
	return -EINVAL;
}

/* Is ids[i] new to `g` and to ids[0..i)? */
static bool is_new(const struct group *g, const struct node_id *ids, unsigned i)
{
	if (g && group_has_member(g, &ids[i]))
		return false;
	for (unsigned k = 0; k < i; k++)
		if (node_id_is_equal(&ids[k], &ids[i]))
			return false;
	return true;
}

int group_table_add(struct group_table *t, const char *name, const struct node_id *ids, unsigned n,
		    char *err, size_t cap)
{
	unsigned at = lower(t, name), fresh = 0;
	bool exists = is_at(t, at, name);
	struct group *g = exists ? &t->g[at] : NULL;

	if (!group_name_is_valid(name))
		return bad_name(name, err, cap);
	if (!exists && t->n >= GROUPS_MAX) {
		snprintf(err, cap, "name: there are %d groups already; remove one first",
			 GROUPS_MAX);
		return -ENOSPC;
	}
	for (unsigned i = 0; i < n; i++)
		fresh += is_new(g, ids, i);
	if ((g ? g->n : 0) + fresh > GROUP_MEMBERS_MAX) {
		snprintf(err, cap, "members: group '%s' would have %u members; at most %d", name,
			 (g ? g->n : 0) + fresh, GROUP_MEMBERS_MAX);
		return -ENOSPC;
	}
	if (!exists) {
		memmove(&t->g[at + 1], &t->g[at], (t->n - at) * sizeof(t->g[0]));
		t->n++;
		g = &t->g[at];
		memset(g, 0, sizeof(*g));
		snprintf(g->name, sizeof(g->name), "%s", name);
	}
	for (unsigned i = 0; i < n; i++)
		if (!group_has_member(g, &ids[i]))
			g->members[g->n++] = ids[i];
	return exists ? 0 : 1;
}

int group_table_remove(struct group_table *t, const char *name, const struct node_id *ids,
		       unsigned n, char *err, size_t cap)
{
	unsigned at = lower(t, name);
	struct group *g;

	if (!group_name_is_valid(name))
		return bad_name(name, err, cap);
	if (!is_at(t, at, name)) {
		snprintf(err, cap, "no group '%s'", name);
		return -ENOENT;
	}
	g = &t->g[at];
	if (n == 0) {
		memmove(&t->g[at], &t->g[at + 1], (t->n - at - 1) * sizeof(t->g[0]));
		t->n--;
		return 0;
	}
	for (unsigned i = 0; i < n; i++) {
		if (!group_has_member(g, &ids[i])) {
			char id[NODE_ID_STR_LEN + 1];

			node_id_to_str(&ids[i], id);
			snprintf(err, cap, "members[%u]: node %s is not in group '%s'", i, id,
				 name);
			return -ENOENT;
		}
	}
	for (unsigned i = 0; i < n; i++) {
		for (unsigned k = 0; k < g->n; k++) {
			if (node_id_is_equal(&g->members[k], &ids[i])) {
				memmove(&g->members[k], &g->members[k + 1],
					(g->n - k - 1) * sizeof(g->members[0]));
				g->n--;
				break;
			}
		}
	}
	return 0;
}

/* ---- JSON ---- */

/* The file and the admin API share these two checks and their words;
 * `at` is the path an error message starts with ("groups[3]." or ""). */
static int fields_are_known(const json_t *o, const char *at, char *err, size_t cap)
{
	const char *k;
	const json_t *v;

	json_object_foreach((json_t *)o, k, v)
	{
		if (strcmp(k, "name") != 0 && strcmp(k, "members") != 0) {
			snprintf(err, cap, "%s%.60s: unknown field", at, k);
			return -EINVAL;
		}
	}
	return 0;
}

static int member_from_json(const json_t *v, const char *at, size_t m, struct node_id *out,
			    char *err, size_t cap)
{
	const char *s = json_string_value(v);

	if (!s || node_id_parse_any(out, s) < 0) {
		snprintf(err, cap, "%smembers[%zu]: '%.80s' is not a node ID or public key", at, m,
			 s ? s : "");
		return -EINVAL;
	}
	return 0;
}

/* One group of the file: {"name": NAME, "members": [NODE...]}. */
static int group_from_json(const json_t *o, size_t i, struct group *g, char *err, size_t cap)
{
	const json_t *members, *v;
	const char *name;
	char at[32];
	size_t m;

	snprintf(at, sizeof(at), "groups[%zu].", i);
	if (!json_is_object(o)) {
		snprintf(err, cap, "groups[%zu]: expected {\"name\": ..., \"members\": [...]}", i);
		return -EINVAL;
	}
	if (fields_are_known(o, at, err, cap) < 0)
		return -EINVAL;
	name = json_string_value(json_object_get(o, "name"));
	if (!name || !group_name_is_valid(name)) {
		snprintf(err, cap, "groups[%zu].name: missing, or not a group name (%s)", i,
			 "1..63 characters of a-z, 0-9 and '-'");
		return -EINVAL;
	}
	members = json_object_get(o, "members");
	if (!json_is_array(members)) {
		snprintf(err, cap, "groups[%zu].members: expected an array of node IDs", i);
		return -EINVAL;
	}
	if (json_array_size(members) > GROUP_MEMBERS_MAX) {
		snprintf(err, cap, "groups[%zu].members: more than %d members", i,
			 GROUP_MEMBERS_MAX);
		return -EINVAL;
	}
	memset(g, 0, sizeof(*g));
	snprintf(g->name, sizeof(g->name), "%s", name);
	json_array_foreach(members, m, v)
	{
		struct node_id id;

		if (member_from_json(v, at, m, &id, err, cap) < 0)
			return -EINVAL;
		if (group_has_member(g, &id)) {
			snprintf(err, cap, "%smembers[%zu]: '%.80s' is listed twice", at, m,
				 json_string_value(v));
			return -EINVAL;
		}
		g->members[g->n++] = id;
	}
	return 0;
}

int group_table_parse(struct group_table *out, const char *text, size_t len, char *err, size_t cap)
{
	struct group_table *t = NULL;
	json_t *root = NULL, *arr, *o;
	size_t i;
	int r = -EINVAL;

	if (len > GROUPS_FILE_MAX) {
		snprintf(err, cap, "1:1: larger than %d bytes", GROUPS_FILE_MAX);
		return -EINVAL;
	}
	if (jsonx_parse_object(text, len, &root, err, cap) < 0)
		return -EINVAL;
	arr = json_object_get(root, "groups");
	if (json_object_size(root) != 1 || !json_is_array(arr)) {
		snprintf(err, cap, "1:1: expected {\"groups\": [...]} and nothing else");
		goto out;
	}
	if (json_array_size(arr) > GROUPS_MAX) {
		snprintf(err, cap, "groups: more than %d groups", GROUPS_MAX);
		goto out;
	}
	t = calloc(1, sizeof(*t));
	if (!t) {
		snprintf(err, cap, "out of memory");
		r = -ENOMEM;
		goto out;
	}
	json_array_foreach(arr, i, o)
	{
		struct group g;
		unsigned at;

		if (group_from_json(o, i, &g, err, cap) < 0)
			goto out;
		/* Insert in order: the table stays sorted, and the duplicate
		 * check is a binary search over the groups read so far. */
		at = lower(t, g.name);
		if (is_at(t, at, g.name)) {
			snprintf(err, cap, "groups[%zu].name: '%s' is a duplicate", i, g.name);
			goto out;
		}
		memmove(&t->g[at + 1], &t->g[at], (t->n - at) * sizeof(t->g[0]));
		t->g[at] = g;
		t->n++;
	}
	*out = *t;
	r = 0;
out:
	free(t);
	json_decref(root);
	return r;
}

/* ---- admin requests ---- */

int group_request_from_json(const json_t *o, const char **out_name, struct node_id *ids,
			    unsigned *out_n, char *err, size_t cap)
{
	struct node_id got[GROUP_MEMBERS_MAX];
	const json_t *members, *v;
	const char *name;
	size_t i;

	if (!json_is_object(o)) {
		snprintf(err, cap, "expected a JSON object");
		return -EINVAL;
	}
	if (fields_are_known(o, "", err, cap) < 0)
		return -EINVAL;
	name = json_string_value(json_object_get(o, "name"));
	if (!name) {
		snprintf(err, cap, "name: missing or not a string");
		return -EINVAL;
	}
	members = json_object_get(o, "members");
	if (!json_is_array(members) || json_array_size(members) == 0 ||
	    json_array_size(members) > GROUP_MEMBERS_MAX) {
		snprintf(err, cap, "members: expected an array of 1 to %d node IDs or public keys",
			 GROUP_MEMBERS_MAX);
		return -EINVAL;
	}
	json_array_foreach(members, i,
			   v) if (member_from_json(v, "", i, &got[i], err, cap) < 0) return -EINVAL;
	*out_name = name;
	*out_n = (unsigned)json_array_size(members);
	memcpy(ids, got, *out_n * sizeof(got[0]));
	return 0;
}

int group_members_parse_list(const char *list, struct node_id *ids, unsigned *out_n, char *err,
			     size_t cap)
{
	struct node_id got[GROUP_MEMBERS_MAX];
	char one[NODE_PK_STR_LEN + 1];
	const char *p = list;
	unsigned n = 0;

	for (;;) {
		size_t len = strcspn(p, ",");

		if (n == GROUP_MEMBERS_MAX) {
			snprintf(err, cap, "members: more than %d nodes", GROUP_MEMBERS_MAX);
			return -EINVAL;
		}
		if (len == 0 || len >= sizeof(one)) {
			snprintf(err, cap, "members[%u]: '%.*s' is not a node ID or public key", n,
				 (int)(len < 80 ? len : 80), p);
			return -EINVAL;
		}
		memcpy(one, p, len);
		one[len] = '\0';
		if (node_id_parse_any(&got[n], one) < 0) {
			snprintf(err, cap, "members[%u]: '%s' is not a node ID or public key", n,
				 one);
			return -EINVAL;
		}
		n++;
		if (p[len] == '\0')
			break;
		p += len + 1;
	}
	*out_n = n;
	memcpy(ids, got, n * sizeof(got[0]));
	return 0;
}

json_t *group_to_json(const struct group *g)
{
	json_t *members = json_array();

	for (unsigned i = 0; members && i < g->n; i++) {
		char id[NODE_ID_STR_LEN + 1];

		node_id_to_str(&g->members[i], id);
		json_array_append_new(members, json_string(id)); /* steals */
	}
	return json_pack("{s:s, s:o}", "name", g->name, "members", members); /* steals */
}

json_t *group_table_to_json(const struct group_table *t)
{
	json_t *arr = json_array();

	for (unsigned i = 0; arr && i < t->n; i++)
		json_array_append_new(arr, group_to_json(&t->g[i])); /* steals */
	return json_pack("{s:o}", "groups", arr);		     /* steals arr */
}
