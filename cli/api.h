/* cli/api.h - calls to vx6d's admin API as commands need them: resolve the
 * target from the global options, send, check the HTTP status, parse the
 * JSON, and print the one-line error a user should see.
 *
 * Error bodies are {"error":{"status":N,"message":"..."}} (docs/admin-api.md);
 * their message is printed, escaped. Success bodies are JSON objects.
 */
#ifndef VX6_CLI_API_H
#define VX6_CLI_API_H

#include <stdbool.h>
#include <stddef.h>

#include <jansson.h>

struct cli_ctx;
struct admin_target;

/* Fill *out from ctx: --admin ADDR:PORT, else --socket PATH, else
 * <state-dir>/admin.sock; the token is <state-dir>/admin.token. Return 0 or
 * the error of admin_target_init_*() with its reason in `err`. */
int cli_api_target(const struct cli_ctx *ctx, struct admin_target *out, char *err, size_t err_cap);

/* Send `method` `path` (with the JSON text `body`, or NULL) to vx6d. On a
 * 2xx answer whose body is a JSON object, store a new reference to it in
 * *out_json (the caller json_decref()s it) and return 0. Otherwise print
 * one line on ctx->err, unless `quiet`, and return -ECONNREFUSED (vx6d is
 * not running: the line says how to start it), -EACCES (token or socket not
 * accessible), -EPROTO (an HTTP error status: the line carries vx6d's
 * message; 401 says the token was refused), -EBADMSG (not HTTP, or not a
 * JSON object), or another negative errno of admin_client_request(). */
int cli_api_call(const struct cli_ctx *ctx, const char *method, const char *path, const char *body,
		 bool quiet, json_t **out_json);

/* Print `v` as indented JSON and a newline on ctx->out. */
void cli_print_json(const struct cli_ctx *ctx, const json_t *v);

/* Build a JSON request body with json_pack() `fmt` (strings are escaped by
 * jansson). Return a malloc'd text the caller frees, or NULL. */
char *cli_json_body(const char *fmt, ...);

#endif /* VX6_CLI_API_H */
