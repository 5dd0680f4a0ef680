/* daemon/api.h - admin API handlers (one file per resource: api_<res>.c),
 * wired to paths in daemon/api_routes.c. Each handler replies exactly once
 * through admin_reply_json()/admin_reply_error() and runs on the loop. */
#ifndef VX6_DAEMON_API_H
#define VX6_DAEMON_API_H

#include <jansson.h>

struct daemon;
struct evhttp_request;
struct node_record;

void api_health_get(struct daemon *d, struct evhttp_request *req, const char *tail);
void api_node_get(struct daemon *d, struct evhttp_request *req, const char *tail);
void api_node_republish(struct daemon *d, struct evhttp_request *req, const char *tail);
void api_metrics_get(struct daemon *d, struct evhttp_request *req, const char *tail);

void api_links_get(struct daemon *d, struct evhttp_request *req, const char *tail);
void api_peers_get(struct daemon *d, struct evhttp_request *req, const char *tail);
void api_peers_post(struct daemon *d, struct evhttp_request *req, const char *tail);
void api_peers_delete(struct daemon *d, struct evhttp_request *req, const char *tail);
void api_diag_ping(struct daemon *d, struct evhttp_request *req, const char *tail);
void api_diag_bench(struct daemon *d, struct evhttp_request *req, const char *tail);

void api_registry_get(struct daemon *d, struct evhttp_request *req, const char *tail);
void api_registry_post(struct daemon *d, struct evhttp_request *req, const char *tail);
void api_dht_get(struct daemon *d, struct evhttp_request *req, const char *tail);
void api_resolve_get(struct daemon *d, struct evhttp_request *req, const char *tail);

void api_services_get(struct daemon *d, struct evhttp_request *req, const char *tail);
void api_services_post(struct daemon *d, struct evhttp_request *req, const char *tail);
void api_services_delete(struct daemon *d, struct evhttp_request *req, const char *tail);
void api_forwards_get(struct daemon *d, struct evhttp_request *req, const char *tail);
void api_forwards_post(struct daemon *d, struct evhttp_request *req, const char *tail);
void api_forwards_delete(struct daemon *d, struct evhttp_request *req, const char *tail);
void api_groups_get(struct daemon *d, struct evhttp_request *req, const char *tail);
void api_groups_post(struct daemon *d, struct evhttp_request *req, const char *tail);
void api_groups_delete(struct daemon *d, struct evhttp_request *req, const char *tail);

/* The HTTP status for an operation's -errno (api_services.c): -EINVAL 400,
 * -ENOENT 404, -EEXIST/-EADDRINUSE/-EMLINK 409, -ENOSPC 507, -ENOTCONN
 * 503, anything else 500. */
int api_errno_status(int r);

/* Parse a node named by its base32 ID or hex public key. 0 or -EINVAL. */
struct node_id;
int api_parse_node(const char *s, struct node_id *out);

/* JSON view of a node record; a new reference, or NULL out of memory. */
json_t *api_record_json(const struct node_record *rec);

#endif /* VX6_DAEMON_API_H */
