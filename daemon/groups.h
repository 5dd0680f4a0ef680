/* daemon/groups.h - named groups of nodes, for service allow lists
 * (docs/cli.md "vx6 group", docs/admin-api.md "Groups").
 *
 * A group is a name (the §1.2 name rule: 1..63 of a-z, 0-9 and '-', not
 * starting or ending with '-') and up to GROUP_MEMBERS_MAX node IDs. A
 * service names a group in its allow list as "@NAME": '@' is in no node
 * ID (base32) and no public key (hex), so an entry is one or the other,
 * never both. The table is a plain value (copy it, change the copy, check
 * it, then swap), with one JSON form that <state_dir>/groups.json and the
 * admin API share:
 *
 *     {"groups": [{"name": "ops", "members": ["<node id>", ...]}, ...]}
 *
 * Groups are sorted by name and members kept in the order they were added;
 * the JSON form lists exactly that, so format(parse(x)) is canonical.
 *
 * Pure: no I/O, no logging, no daemon state. Owner: the services subsystem
 * (daemon/services_groups.c), which loads and saves the file and applies
 * membership to the allow lists.
 */
#ifndef VX6_DAEMON_GROUPS_H
#define VX6_DAEMON_GROUPS_H

#include <stdbool.h>
#include <stddef.h>

#include <jansson.h>

#include "identity/node_id.h"

#define GROUPS_FILE	  "groups.json"
#define GROUPS_MAX	  64
#define GROUP_MEMBERS_MAX 32
#define GROUP_NAME_MAX	  63
#define GROUPS_FILE_MAX	  (256 * 1024) /* bytes of groups.json */
#define GROUP_REF_CHAR	  '@'	       /* "@ops" in an allow list */

struct group {
	char name[GROUP_NAME_MAX + 1];
	struct node_id members[GROUP_MEMBERS_MAX];
	unsigned n;
};

struct group_table {
	struct group g[GROUPS_MAX]; /* sorted by name, strictly increasing */
	unsigned n;
};

/* True if `name` follows the name rule above. Pure. */
bool group_name_is_valid(const char *name);

/* The group `name`, or NULL. Borrowed until the table changes. */
const struct group *group_table_find(const struct group_table *t, const char *name);

/* True if `id` is a member of `g`. */
bool group_has_member(const struct group *g, const struct node_id *id);

/* Add ids[0..n) (n >= 1) to group `name`, creating it if needed; members it
 * has already are skipped. Return 1 (created), 0 (extended), or, with
 * `t` unchanged and "<field>: <reason>" in `err`: -EINVAL (bad name),
 * -ENOSPC (GROUPS_MAX groups, or more than GROUP_MEMBERS_MAX members). */
int group_table_add(struct group_table *t, const char *name, const struct node_id *ids, unsigned n,
		    char *err, size_t err_cap);

/* Remove ids[0..n) from group `name`, or with n == 0 the whole group. A
 * group left with no members stays (it matches nobody). Return 0, or with
 * `t` unchanged and a reason in `err`: -EINVAL (bad name), -ENOENT (no such
 * group, or one of the nodes is not a member). */
int group_table_remove(struct group_table *t, const char *name, const struct node_id *ids,
		       unsigned n, char *err, size_t err_cap);

/* Parse the text of groups.json (`len` bytes, at most GROUPS_FILE_MAX)
 * into `out`. Total: every field checked (unknown fields, bad or duplicate
 * names, bad or repeated members, counts over the caps, trailing
 * garbage); on failure write one line "<where>: <reason>" into `err`
 * ("3:14: ..." for syntax, "groups[1].members[0]: ..." otherwise), leave
 * `out` untouched and return -EINVAL. */
int group_table_parse(struct group_table *out, const char *text, size_t len, char *err,
		      size_t err_cap);

/* The JSON forms (new references, NULL out of memory): the whole table
 * {"groups": [...]}, and one group {"name", "members": [node IDs]}. */
json_t *group_table_to_json(const struct group_table *t);
json_t *group_to_json(const struct group *g);

/* The admin API's request forms (docs/admin-api.md "Groups"). A POST body
 * {"name": NAME, "members": [NODE...]}: store a borrowed pointer to the
 * name in *out_name (checked later, by group_table_add()) and the nodes in
 * ids[0..*out_n). A DELETE query's list "NODE,NODE...". Each takes 1 to
 * GROUP_MEMBERS_MAX nodes, node IDs or public keys. Return 0, or -EINVAL
 * with "<field>: <reason>" in `err` and nothing written. Pure. */
int group_request_from_json(const json_t *o, const char **out_name, struct node_id *ids,
			    unsigned *out_n, char *err, size_t err_cap);
int group_members_parse_list(const char *list, struct node_id *ids, unsigned *out_n, char *err,
			     size_t err_cap);

#endif /* VX6_DAEMON_GROUPS_H */
