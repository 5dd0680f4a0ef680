/* daemon/admin.h - the embedded admin REST API server (docs/admin-api.md).
 *
 * evhttp on a unix socket (mode 0600) and on one loopback TCP address,
 * never on an underlay address. Every request carries "Authorization:
 * Bearer <token>", the token being <state_dir>/admin.token (0600, created
 * at first start). Requests are capped in header bytes, header count and
 * body size; errors are JSON {"error":{"status":N,"message":"..."}}.
 * Handlers live in daemon/api_*.c and are listed in daemon/api_routes.c.
 */
#ifndef VX6_DAEMON_ADMIN_H
#define VX6_DAEMON_ADMIN_H

#include <stdbool.h>
#include <stddef.h>

#include <jansson.h>

struct daemon;
struct evhttp_request;

#define ADMIN_TOKEN_FILE     "admin.token"
#define ADMIN_TOKEN_LEN	     32 /* random bytes; 64 hex characters on disk */
#define ADMIN_HEADERS_MAX    64
#define ADMIN_HEADER_BYTES   (16 * 1024)
#define ADMIN_TIMEOUT_S	     10
#define ADMIN_JSON_BODY_MAX  (64 * 1024)

/* Method bits, as evhttp's enum evhttp_cmd_type. */
typedef void admin_handler_fn(struct daemon *d, struct evhttp_request *req, const char *tail);

struct admin_route {
	unsigned method;      /* one EVHTTP_REQ_* bit */
	const char *path;     /* exact, or a prefix when it ends in '/' */
	admin_handler_fn *fn; /* `tail`: what follows a prefix path, else "" */
};

/* The route table (daemon/api_routes.c), terminated by a NULL path. */
extern const struct admin_route admin_routes[];

/* Reply with `status` and the JSON `body`, whose reference this steals. */
void admin_reply_json(struct evhttp_request *req, int status, json_t *body);

/* Reply with a JSON error body {"error":{"status":..,"message":..}}. */
void admin_reply_error(struct evhttp_request *req, int status, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));

/* Parse the request body as a JSON object (at most ADMIN_JSON_BODY_MAX
 * bytes, depth-capped). On failure reply 400 with the parser's reason and
 * return NULL; otherwise return a new reference. */
json_t *admin_read_json_body(struct evhttp_request *req);

#endif /* VX6_DAEMON_ADMIN_H */
