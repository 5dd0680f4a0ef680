/* cli/admin_client.h - a small blocking client for vx6d's admin API
 * (docs/admin-api.md): one HTTP/1.1 request per connection, over the unix
 * socket (default <state-dir>/admin.sock) or over loopback TCP.
 *
 * Each request connects, reads the bearer token from the token file (the
 * first line, 64 hex digits; mode 0600, so only vx6d's user can read it),
 * sends "Connection: close", reads the answer until the server closes it
 * (deadline `timeout_ms`, at most HTTP_RESPONSE_MAX_LEN bytes) and parses
 * it with http_response_parse(). The token is wiped from memory after use.
 * Blocking by design: the CLI has no event loop.
 */
#ifndef VX6_CLI_ADMIN_CLIENT_H
#define VX6_CLI_ADMIN_CLIENT_H

#include <limits.h>
#include <stdbool.h>
#include <stddef.h>
#include <sys/socket.h>

struct http_response;

#define ADMIN_TIMEOUT_MS_DEFAULT 5000
#define ADMIN_TOKEN_LEN		 64   /* hex digits */
#define ADMIN_PATH_MAX		 1024 /* request target, bytes */

/* Where vx6d's admin API is and how to authenticate to it. */
struct admin_target {
	struct sockaddr_storage addr;
	socklen_t addr_len;
	bool is_tcp;
	char where[PATH_MAX];	   /* socket path or "ADDR:PORT", for messages */
	char token_path[PATH_MAX]; /* the bearer token file */
	int timeout_ms;		   /* deadline for a whole request */
};

/* Aim at the unix socket `sock_path`. Return 0, or -ENAMETOOLONG (a path
 * does not fit; `err` says which). */
int admin_target_init_unix(struct admin_target *out, const char *sock_path, const char *token_path,
			   char *err, size_t err_cap);

/* Aim at loopback TCP `addr_port`: "127.0.0.1:7600", "[::1]:7600" or
 * "localhost:7600". Addresses other than 127.0.0.0/8 and ::1 are refused,
 * because the token would cross a network in clear text. Return 0, or
 * -EINVAL / -ENAMETOOLONG with a one-line reason quoting the value in `err`. */
int admin_target_init_tcp(struct admin_target *out, const char *addr_port, const char *token_path,
			  char *err, size_t err_cap);

/* Send `method` ("GET", "POST" or "DELETE") for `path` (an absolute path of printable
 * ASCII without spaces) with `body_len` bytes of JSON `body` (borrowed; NULL
 * for none), and parse the answer into *out (caller clears it with
 * http_response_clear()). Any HTTP status counts as success here. On
 * failure write a one-line reason into `err` and return:
 * -ECONNREFUSED nothing listens at the target (vx6d is not running),
 * -EACCES the socket or the token file is not accessible to this user,
 * -ENOENT there is no token file, -EINVAL bad arguments or a malformed
 * token, -ETIMEDOUT the deadline passed, -EMSGSIZE the answer is over the
 * cap, -EBADMSG it is not valid HTTP, -ENOMEM, or another negative errno
 * from the socket. */
int admin_client_request(const struct admin_target *t, const char *method, const char *path,
			 const char *body, size_t body_len, struct http_response *out, char *err,
			 size_t err_cap);

#endif /* VX6_CLI_ADMIN_CLIENT_H */
