/* cli/api.c - admin API calls with user-facing errors (see api.h). The
 * wording of every failure a command can hit talking to vx6d lives here,
 * so all commands say the same thing for the same problem. */
#include "cli/api.h"

#include <stdarg.h>

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "cli/admin_client.h"
#include "cli/cli.h"
#include "cli/http_response.h"
#include "cli/text.h"
#include "lib/fs.h"
#include "lib/jsonx.h"

int cli_api_target(const struct cli_ctx *ctx, struct admin_target *out, char *err, size_t err_cap)
{
	char token[PATH_MAX], sock[PATH_MAX];
	int r;

	r = fs_path_join(token, sizeof(token), ctx->state_dir, CLI_TOKEN_FILE);
	if (r == 0 && !ctx->socket_path[0])
		r = fs_path_join(sock, sizeof(sock), ctx->state_dir, CLI_SOCKET_FILE);
	if (r < 0) {
		cli_errf(err, err_cap, "state directory path is too long");
		return r;
	}
	if (ctx->admin_addr[0])
		r = admin_target_init_tcp(out, ctx->admin_addr, token, err, err_cap);
	else
		r = admin_target_init_unix(out, ctx->socket_path[0] ? ctx->socket_path : sock,
					   token, err, err_cap);
	if (r == 0 && ctx->timeout_ms > 0)
		out->timeout_ms = ctx->timeout_ms;
	return r;
}

/* The body as a JSON object (lib/jsonx.h: no duplicate keys, depth cap). */
static int parse_body(const struct http_response *resp, json_t **out_root, char *why,
		      size_t why_cap)
{
	return jsonx_parse_object((const char *)resp->body, resp->body_len, out_root, why, why_cap);
}

/* The state directory as vx6d wants it: an absolute path. */
static void absolute_dir(const char *dir, char out[PATH_MAX])
{
	char cwd[PATH_MAX];

	if (dir[0] == '/' || !realpath(dir, out)) {
		if (dir[0] == '/' || !getcwd(cwd, sizeof(cwd)) ||
		    fs_path_join(out, PATH_MAX, cwd, dir) < 0)
			snprintf(out, PATH_MAX, "%s", dir);
	}
}

static void print_not_running(const struct cli_ctx *ctx, const struct admin_target *t)
{
	char where[CLI_QUOTE_MAX], dir[CLI_QUOTE_MAX], abs[PATH_MAX];

	absolute_dir(ctx->state_dir, abs);
	cli_escape_str(where, sizeof(where), t->where);
	cli_escape_str(dir, sizeof(dir), abs);
	fprintf(ctx->err,
		"vx6: vx6d is not running (%s '%s'); start it with 'systemctl start vx6d' or "
		"'vx6d --state-dir %s'\n",
		t->is_tcp ? "nothing listens on" : "no socket at", where, dir);
}

/* Print an HTTP error status, with vx6d's message if the body has one. */
static void print_http_error(const struct cli_ctx *ctx, const struct admin_target *t,
			     const struct http_response *resp)
{
	char q[CLI_QUOTE_MAX], why[256];
	json_t *root = NULL;
	const char *msg = NULL;

	if (resp->status == 401) {
		fprintf(ctx->err,
			"vx6: vx6d refused the admin token from '%s' (HTTP 401); is it the "
			"state directory of the running vx6d?\n",
			cli_escape_str(q, sizeof(q), t->token_path));
		return;
	}
	if (parse_body(resp, &root, why, sizeof(why)) == 0)
		msg = json_string_value(json_object_get(json_object_get(root, "error"), "message"));
	if (msg)
		fprintf(ctx->err, "vx6: vx6d: %s (HTTP %d)\n", cli_escape_str(q, sizeof(q), msg),
			resp->status);
	else
		fprintf(ctx->err, "vx6: vx6d answered HTTP %d '%s'\n", resp->status,
			cli_escape_str(q, sizeof(q), resp->reason));
	json_decref(root);
}

/* Check the status and parse the body of an answer. */
static int check_answer(const struct cli_ctx *ctx, const struct admin_target *t, const char *method,
			const char *path, const struct http_response *resp, bool quiet,
			json_t **out_json)
{
	char why[256], q[CLI_QUOTE_MAX];
	json_t *root;

	if (resp->status < 200 || resp->status > 299) {
		if (!quiet)
			print_http_error(ctx, t, resp);
		return -EPROTO;
	}
	if (parse_body(resp, &root, why, sizeof(why)) < 0) {
		if (!quiet)
			fprintf(ctx->err, "vx6: bad JSON from vx6d for %s %s: %s\n", method, path,
				cli_escape_str(q, sizeof(q), why));
		return -EBADMSG;
	}
	if (out_json)
		*out_json = root; /* the caller owns this reference */
	else
		json_decref(root);
	return 0;
}

int cli_api_call(const struct cli_ctx *ctx, const char *method, const char *path, const char *body,
		 bool quiet, json_t **out_json)
{
	struct http_response resp = {0};
	struct admin_target t;
	char why[CLI_QUOTE_MAX + 256];
	int r;

	r = cli_api_target(ctx, &t, why, sizeof(why));
	if (r == 0)
		r = admin_client_request(&t, method, path, body, body ? strlen(body) : 0, &resp,
					 why, sizeof(why));
	if (r == -ECONNREFUSED) {
		if (!quiet)
			print_not_running(ctx, &t);
		return r;
	}
	if (r < 0) {
		if (!quiet)
			fprintf(ctx->err, "vx6: %s\n", why);
		return r;
	}
	r = check_answer(ctx, &t, method, path, &resp, quiet, out_json);
	http_response_clear(&resp);
	return r;
}

void cli_print_json(const struct cli_ctx *ctx, const json_t *v)
{
	json_dumpf(v, ctx->out, JSON_INDENT(2) | JSON_PRESERVE_ORDER);
	fputc('\n', ctx->out);
}

char *cli_json_body(const char *fmt, ...)
{
	json_t *o;
	char *text;
	va_list ap;

	va_start(ap, fmt);
	o = json_vpack_ex(NULL, 0, fmt, ap);
	va_end(ap);
	text = o ? json_dumps(o, JSON_COMPACT) : NULL;
	json_decref(o);
	return text;
}
