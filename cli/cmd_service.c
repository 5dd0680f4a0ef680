/* cli/cmd_service.c - `vx6 service add|remove|list`, `vx6 connect` and
 * `vx6 forwards`: named services and forwarded ports (/api/v1/services and
 * /api/v1/forwards, docs/admin-api.md). vx6d validates every value and its
 * message is printed as is, so the CLI and the API refuse the same things
 * with the same words. */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include <jansson.h>

#include "cli/api.h"
#include "cli/args.h"
#include "cli/cmd.h"
#include "cli/text.h"
#include "identity/overlay_addr.h"

#define ALLOW_MAX CMD_SERVICE_ALLOW_MAX

static const char service_usage[] =
    "Usage: vx6 service add NAME --target 127.0.0.1:PORT [--allow NODE|@GROUP ...] [--private]\n"
    "       vx6 service remove NAME\n"
    "       vx6 service list [--json]\n"
    "\n"
    "Publish a local TCP service as NODENAME.NAME. Clients reach it with 'vx6 connect';\n"
    "vx6d connects only to the target given here. With --allow, only those nodes\n"
    "(node IDs or public keys) and the members of those groups ('@NAME', see\n"
    "'vx6 group') may connect; without it, any authenticated node. A group must\n"
    "exist when it is named here; its members are looked up at every change of\n"
    "the group. Services are kept in <state-dir>/services.json.\n"
    "\n"
    "Options:\n"
    "  --target ADDR:PORT  127.0.0.1:PORT or [::1]:PORT\n"
    "  --allow NODE|@GROUP repeatable; at most 32 entries and 32 nodes in all\n"
    "  --private           offer the record only to the nodes --allow names (peer\n"
    "                      sync; never flooded or put in the DHT); without --allow,\n"
    "                      to nobody: clients then use direct-IPv6 mode\n"
    "  --json              (list) print the API's JSON\n"
    "  --help, -h          show this help\n";

static const char connect_usage[] =
    "Usage: vx6 connect NODENAME.NAME --listen 127.0.0.1:PORT\n"
    "       vx6 connect --addr [IPV6]:PORT --node NODE_KEY NAME --listen 127.0.0.1:PORT\n"
    "                   [--transport tcp|quic]\n"
    "\n"
    "Forward a local port to a named service. Each connection to the local port\n"
    "becomes a stream to the service's owner. The first form finds the owner\n"
    "through the registry or the DHT; the second (direct-IPv6 mode) dials the key at\n"
    "the given underlay address, with no discovery. Kept in forwards.json.\n";

static const char forwards_usage[] = "Usage: vx6 forwards [--json]\n"
				     "       vx6 forwards remove PORT\n"
				     "\n"
				     "List or remove forwarded ports ('vx6 connect').\n";

enum {
	OPT_TARGET = 1,
	OPT_ALLOW,
	OPT_PRIVATE,
	OPT_LISTEN,
	OPT_ADDR,
	OPT_NODE,
	OPT_TRANSPORT,
	OPT_JSON,
	OPT_HELP
};

static const struct cli_opt svc_opts[] = {
    {"--target", true, OPT_TARGET},
    {"--allow", true, OPT_ALLOW},
    {"--private", false, OPT_PRIVATE},
    {"--listen", true, OPT_LISTEN},
    {"--addr", true, OPT_ADDR},
    {"--node", true, OPT_NODE},
    {"--transport", true, OPT_TRANSPORT},
    {"--json", false, OPT_JSON},
    {"--help", false, OPT_HELP},
    {"-h", false, OPT_HELP},
    {NULL, false, 0},
};

static enum cli_parse parse(struct cli_ctx *ctx, int argc, char **argv, const char *prog,
			    const char *usage, struct cmd_service_args *out)
{
	struct cli_args a;
	const char *val;
	int id;

	memset(out, 0, sizeof(*out));
	cli_args_init(&a, argc, argv, 1, prog, ctx->err);
	a.globals = cli_global_opts;
	for (;;) {
		id = cli_args_next(&a, svc_opts, &val);
		if (id < 0)
			return CLI_PARSE_USAGE;
		if (id == OPT_HELP) {
			fputs(usage, ctx->out);
			return CLI_PARSE_HELP;
		}
		if (id == OPT_TARGET) {
			out->target = val;
		} else if (id == OPT_ALLOW) {
			if (out->n_allow == ALLOW_MAX) {
				cli_args_usage_error(&a, "at most %d --allow", ALLOW_MAX);
				return CLI_PARSE_USAGE;
			}
			out->allow[out->n_allow++] = val;
		} else if (id == OPT_PRIVATE) {
			out->private_ = true;
		} else if (id == OPT_LISTEN) {
			out->listen = val;
		} else if (id == OPT_ADDR) {
			out->addr = val;
		} else if (id == OPT_NODE) {
			out->node = val;
		} else if (id == OPT_TRANSPORT) {
			out->transport = val;
		} else if (id == OPT_JSON) {
			ctx->json = true;
		} else if (a.i < argc && out->n_pos < 3) {
			out->pos[out->n_pos++] = argv[a.i++];
		} else {
			break;
		}
	}
	if (!cli_args_is_done(&a))
		return CLI_PARSE_USAGE;
	return CLI_PARSE_RUN;
}

static enum cli_parse usage_error(struct cli_ctx *ctx, const char *who, const char *msg)
{
	fprintf(ctx->err, "%s: %s; see '%s --help'\n", who, msg, who);
	return CLI_PARSE_USAGE;
}

/* Options that belong to 'vx6 service add' and to 'vx6 connect'. */
static bool has_service_opts(const struct cmd_service_args *a)
{
	return a->target || a->n_allow || a->private_;
}

static bool has_connect_opts(const struct cmd_service_args *a)
{
	return a->listen || a->addr || a->node || a->transport;
}

enum cli_parse cmd_service_parse(struct cli_ctx *ctx, int argc, char **argv,
				 struct cmd_service_args *out)
{
	const char *w = "vx6 service";
	enum cli_parse p = parse(ctx, argc, argv, w, service_usage, out);

	if (p != CLI_PARSE_RUN)
		return p;
	if (out->n_pos == 0)
		return usage_error(ctx, w, "missing a subcommand: add, remove or list");
	if (strcmp(out->pos[0], "list") == 0) {
		if (out->n_pos != 1 || has_service_opts(out) || has_connect_opts(out))
			return usage_error(ctx, w, "'list' takes no arguments");
		return CLI_PARSE_RUN;
	}
	if (strcmp(out->pos[0], "add") != 0 && strcmp(out->pos[0], "remove") != 0)
		return usage_error(ctx, w, "unknown subcommand: expected add, remove or list");
	if (out->n_pos != 2)
		return usage_error(ctx, w, "expected one service NAME");
	if (!overlay_name_is_valid(out->pos[1]))
		return usage_error(ctx, w,
				   "Invalid service name: 1..63 characters of a-z, 0-9 and '-', "
				   "not starting or ending with '-'");
	if (has_connect_opts(out))
		return usage_error(
		    ctx, w, "--listen, --addr, --node and --transport are for 'vx6 connect'");
	if (strcmp(out->pos[0], "remove") == 0) {
		if (has_service_opts(out))
			return usage_error(ctx, w, "'remove' takes only a NAME");
		return CLI_PARSE_RUN;
	}
	if (!out->target)
		return usage_error(ctx, w, "'add' needs --target 127.0.0.1:PORT");
	return CLI_PARSE_RUN;
}

enum cli_parse cmd_connect_parse(struct cli_ctx *ctx, int argc, char **argv,
				 struct cmd_service_args *out)
{
	const char *w = "vx6 connect";
	enum cli_parse p = parse(ctx, argc, argv, w, connect_usage, out);

	if (p != CLI_PARSE_RUN)
		return p;
	if (out->n_pos != 1)
		return usage_error(ctx, w, "expected one service name");
	if (!out->listen)
		return usage_error(ctx, w, "missing --listen 127.0.0.1:PORT");
	if (has_service_opts(out))
		return usage_error(ctx, w,
				   "--target, --allow and --private are for 'vx6 service add'");
	if ((out->addr || out->node || out->transport) && (!out->addr || !out->node))
		return usage_error(ctx, w, "direct-IPv6 mode needs both --addr and --node");
	return CLI_PARSE_RUN;
}

enum cli_parse cmd_forwards_parse(struct cli_ctx *ctx, int argc, char **argv,
				  struct cmd_service_args *out)
{
	const char *w = "vx6 forwards";
	enum cli_parse p = parse(ctx, argc, argv, w, forwards_usage, out);

	if (p != CLI_PARSE_RUN)
		return p;
	if (has_service_opts(out) || has_connect_opts(out))
		return usage_error(ctx, w, "takes no options but --json");
	if (out->n_pos == 0)
		return CLI_PARSE_RUN;
	if (out->n_pos != 2 || strcmp(out->pos[0], "remove") != 0)
		return usage_error(ctx, w, "expected no argument or 'remove PORT'");
	if (strspn(out->pos[1], "0123456789") != strlen(out->pos[1]) || strlen(out->pos[1]) > 5 ||
	    atoi(out->pos[1]) < 1 || atoi(out->pos[1]) > 65535)
		return usage_error(ctx, w, "PORT must be a number from 1 to 65535");
	return CLI_PARSE_RUN;
}

static int call(struct cli_ctx *ctx, const char *method, const char *path, json_t *body,
		json_t **res)
{
	char *text = NULL;
	int r;

	if (body) {
		text = json_dumps(body, JSON_COMPACT);
		json_decref(body);
		if (!text)
			return -ENOMEM;
	}
	r = cli_api_call(ctx, method, path, text, false, res);
	free(text);
	return r;
}

static void print_services(const struct cli_ctx *ctx, const json_t *res)
{
	const json_t *arr = json_object_get(res, "services"), *s;
	char a[CLI_QUOTE_MAX], b[CLI_QUOTE_MAX];
	size_t i;

	if (!json_is_array(arr) || json_array_size(arr) == 0) {
		fprintf(ctx->out, "no services\n");
		return;
	}
	json_array_foreach(arr, i, s)
	{
		const char *n = json_string_value(json_object_get(s, "name"));
		const char *t = json_string_value(json_object_get(s, "target"));
		const char *v = json_string_value(json_object_get(s, "visibility"));
		const json_t *allow = json_object_get(s, "allow"), *e;
		size_t na = 0, k;

		fprintf(ctx->out, "%-16s -> %s  %s, ", cli_escape_str(a, sizeof(a), n ? n : "?"),
			cli_escape_str(b, sizeof(b), t ? t : "?"), v ? v : "?");
		json_array_foreach(allow, k, e) na +=
		    json_string_value(e) && json_string_value(e)[0] != '@';
		if (na)
			fprintf(ctx->out, "%zu allowed nodes", na);
		json_array_foreach(allow, k, e)
		{
			const char *g = json_string_value(e);

			if (g && g[0] == '@')
				fprintf(ctx->out, "%s%s", na++ ? " " : "",
					cli_escape_str(a, sizeof(a), g));
		}
		fprintf(ctx->out, "%s\n", na ? "" : "any node");
	}
}

int cmd_service_main(struct cli_ctx *ctx, int argc, char **argv)
{
	struct cmd_service_args args;
	json_t *res = NULL, *body, *allow;
	char path[256];
	enum cli_parse p = cmd_service_parse(ctx, argc, argv, &args);
	int r;

	if (p != CLI_PARSE_RUN)
		return cli_parse_exit(p);
	if (strcmp(args.pos[0], "list") == 0) {
		r = call(ctx, "GET", "/api/v1/services", NULL, &res);
		if (r == 0 && ctx->json)
			cli_print_json(ctx, res);
		else if (r == 0)
			print_services(ctx, res);
	} else if (strcmp(args.pos[0], "remove") == 0) {
		snprintf(path, sizeof(path), "/api/v1/services/%s", args.pos[1]);
		r = call(ctx, "DELETE", path, NULL, &res);
		if (r == 0)
			fprintf(ctx->out, "removed service %s\n", args.pos[1]);
	} else {
		allow = json_array();
		for (unsigned i = 0; allow && i < args.n_allow; i++)
			json_array_append_new(allow, json_string(args.allow[i])); /* steals */
		body = json_pack("{s:s, s:s, s:o, s:s}", "name", args.pos[1], "target", args.target,
				 "allow", allow, /* steals allow */
				 "visibility", args.private_ ? "private" : "public");
		r = call(ctx, "POST", "/api/v1/services", body, &res);
		if (r == 0 && ctx->json)
			cli_print_json(ctx, res);
		else if (r == 0)
			fprintf(ctx->out, "service %s published\n", args.pos[1]);
	}
	json_decref(res);
	return r < 0 ? CLI_EXIT_FAILURE : CLI_EXIT_OK;
}

int cmd_connect_main(struct cli_ctx *ctx, int argc, char **argv)
{
	struct cmd_service_args args;
	json_t *res = NULL, *body;
	enum cli_parse p = cmd_connect_parse(ctx, argc, argv, &args);
	int r;

	if (p != CLI_PARSE_RUN)
		return cli_parse_exit(p);
	if (args.addr)
		body = json_pack("{s:s, s:s, s:s, s:s, s:s}", "service", args.pos[0], "listen",
				 args.listen, "node", args.node, "addr", args.addr, "transport",
				 args.transport ? args.transport : "tcp");
	else
		body = json_pack("{s:s, s:s}", "service", args.pos[0], "listen", args.listen);
	r = call(ctx, "POST", "/api/v1/forwards", body, &res);
	if (r == 0 && ctx->json)
		cli_print_json(ctx, res);
	else if (r == 0)
		fprintf(ctx->out, "forwarding %s to %s\n", args.listen, args.pos[0]);
	json_decref(res);
	return r < 0 ? CLI_EXIT_FAILURE : CLI_EXIT_OK;
}

static void print_forwards(const struct cli_ctx *ctx, const json_t *res)
{
	const json_t *arr = json_object_get(res, "forwards"), *f;
	char a[CLI_QUOTE_MAX], b[CLI_QUOTE_MAX];
	size_t i;

	if (json_array_size(arr) == 0)
		fprintf(ctx->out, "no forwards\n");
	json_array_foreach(arr, i, f)
	{
		const char *l = json_string_value(json_object_get(f, "listen"));
		const char *s = json_string_value(json_object_get(f, "service"));
		const char *ad = json_string_value(json_object_get(f, "addr"));

		fprintf(ctx->out, "%-22s -> %s%s%s  (%lld active, %lld accepted, %lld refused)\n",
			cli_escape_str(a, sizeof(a), l ? l : "?"),
			cli_escape_str(b, sizeof(b), s ? s : "?"), ad ? " at " : "", ad ? ad : "",
			(long long)json_integer_value(json_object_get(f, "active")),
			(long long)json_integer_value(json_object_get(f, "accepted")),
			(long long)json_integer_value(json_object_get(f, "refused")));
	}
}

int cmd_forwards_main(struct cli_ctx *ctx, int argc, char **argv)
{
	struct cmd_service_args args;
	json_t *res = NULL;
	char path[64];
	enum cli_parse p = cmd_forwards_parse(ctx, argc, argv, &args);
	int r;

	if (p != CLI_PARSE_RUN)
		return cli_parse_exit(p);
	if (args.n_pos == 2) {
		snprintf(path, sizeof(path), "/api/v1/forwards/%s", args.pos[1]);
		r = call(ctx, "DELETE", path, NULL, &res);
		if (r == 0)
			fprintf(ctx->out, "removed forward %s\n", args.pos[1]);
	} else {
		r = call(ctx, "GET", "/api/v1/forwards", NULL, &res);
		if (r == 0 && ctx->json)
			cli_print_json(ctx, res);
		else if (r == 0)
			print_forwards(ctx, res);
	}
	json_decref(res);
	return r < 0 ? CLI_EXIT_FAILURE : CLI_EXIT_OK;
}
