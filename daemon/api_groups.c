/* daemon/api_groups.c - /api/v1/groups (docs/admin-api.md "Groups"):
 * named groups of nodes that service allow lists name as "@NAME". The
 * table and its checks are daemon/groups.c's, the changes
 * daemon/services_groups.c's, so the CLI (which prints vx6d's message) and
 * the API refuse the same things with the same words. */
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <sys/queue.h>

#include <event2/http.h>
#include <event2/keyvalq_struct.h>

#include "daemon/admin.h"
#include "daemon/api.h"
#include "daemon/daemon.h"
#include "daemon/services.h"

#define QUERY_MAX 4096 /* ?members=...: 32 public keys and commas fit */

void api_groups_get(struct daemon *d, struct evhttp_request *req, const char *tail)
{
	(void)tail;
	admin_reply_json(req, 200, daemon_groups_json(d));
}

/* Body {"name": NAME, "members": [NODE...]}: add the nodes, creating the
 * group if needed. 201 (created) or 200, with the group. */
void api_groups_post(struct daemon *d, struct evhttp_request *req, const char *tail)
{
	json_t *body = admin_read_json_body(req);
	struct node_id ids[GROUP_MEMBERS_MAX];
	const char *name = NULL;
	char err[256];
	unsigned n = 0;
	int r;

	(void)tail;
	if (!body)
		return;
	r = group_request_from_json(body, &name, ids, &n, err, sizeof(err));
	if (r == 0)
		r = daemon_groups_add(d, name, ids, n, err, sizeof(err));
	if (r < 0)
		admin_reply_error(req, api_errno_status(r), "%s", err);
	else
		admin_reply_json(req, r == 1 ? 201 : 200, daemon_group_json(d, name));
	json_decref(body);
}

/* "members=NODE,NODE..." (the query, percent-decoded) into ids. */
static int parse_query(const char *q, struct node_id *ids, unsigned *out_n, char *err, size_t cap)
{
	struct evkeyvalq kv;
	const struct evkeyval *e;
	int r;

	TAILQ_INIT(&kv);
	if (strlen(q) > QUERY_MAX || evhttp_parse_query_str(q, &kv) < 0) {
		snprintf(err, cap, "malformed query (expected ?members=NODE,NODE...)");
		evhttp_clear_headers(&kv);
		return -EINVAL;
	}
	e = TAILQ_FIRST(&kv);
	if (!e || TAILQ_NEXT(e, next) || strcmp(e->key, "members") != 0) {
		snprintf(err, cap, "unknown query '%.80s' (only members=NODE,NODE...)", q);
		r = -EINVAL;
	} else {
		r = group_members_parse_list(e->value, ids, out_n, err, cap);
	}
	evhttp_clear_headers(&kv);
	return r;
}

/* DELETE /api/v1/groups/NAME removes the group; with ?members=NODE,...
 * only those members. */
void api_groups_delete(struct daemon *d, struct evhttp_request *req, const char *tail)
{
	const struct evhttp_uri *uri = evhttp_request_get_evhttp_uri(req);
	const char *q = uri ? evhttp_uri_get_query(uri) : NULL;
	struct node_id ids[GROUP_MEMBERS_MAX];
	char err[256];
	unsigned n = 0;
	int r = 0;

	if (q)
		r = parse_query(q, ids, &n, err, sizeof(err));
	if (r == 0)
		r = daemon_groups_remove(d, tail, ids, n, err, sizeof(err));
	if (r < 0) {
		admin_reply_error(req, api_errno_status(r), "%s", err);
		return;
	}
	if (n == 0)
		admin_reply_json(req, 200, json_pack("{s:s}", "removed", tail));
	else
		admin_reply_json(req, 200, daemon_group_json(d, tail));
}
