/* cli/cmd_peer.c - `vx6 peer add|remove|list`: the peers vx6d keeps links
 * to (POST/DELETE/GET /api/v1/peers, docs/admin-api.md). The daemon
 * validates every value and its message is printed as is, so the CLI and
 * the API refuse the same things with the same words. */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include <jansson.h>

#include "cli/api.h"
#include "cli/args.h"
#include "cli/cmd.h"
#include "cli/text.h"

static const char peer_usage[] =
    "Usage: vx6 peer add NODE_KEY --endpoint [IPV6]:PORT [--transport tcp|quic]\n"
    "       vx6 peer remove NODE\n"
    "       vx6 peer list [--json]\n"
    "\n"
    "Manage the peers vx6d keeps an authenticated link to. A peer added here is\n"
    "stored in <state-dir>/peers.json and redialed with backoff until removed.\n"
    "NODE_KEY is the peer's public key (64 hex digits, 'vx6 identity show' on the\n"
    "peer); NODE is a public key or a node ID.\n"
    "\n"
    "Options:\n"
    "  --endpoint [IPV6]:PORT  where the peer listens (its config's \"listen\")\n"
    "  --transport tcp|quic    default tcp\n"
    "  --json                  (list) print the API's JSON\n"
    "  --help, -h              show this help\n";

enum { OPT_ENDPOINT = 1, OPT_TRANSPORT, OPT_JSON, OPT_HELP };

static const struct cli_opt peer_opts[] = {
    {"--endpoint", true, OPT_ENDPOINT},
    {"--transport", true, OPT_TRANSPORT},
    {"--json", false, OPT_JSON},
    {"--help", false, OPT_HELP},
    {"-h", false, OPT_HELP},
    {NULL, false, 0},
};

enum cli_parse cmd_peer_parse(struct cli_ctx *ctx, int argc, char **argv,
			      struct cmd_peer_args *out)
{
	struct cli_args a;
	const char *val;
	int id;

	memset(out, 0, sizeof(*out));
	cli_args_init(&a, argc, argv, 1, "vx6 peer", ctx->err);
	a.globals = cli_global_opts;
	for (;;) {
		id = cli_args_next(&a, peer_opts, &val);
		if (id < 0)
			return CLI_PARSE_USAGE;
		if (id == OPT_HELP) {
			fputs(peer_usage, ctx->out);
			return CLI_PARSE_HELP;
		}
		if (id == OPT_ENDPOINT)
			out->endpoint = val;
		else if (id == OPT_TRANSPORT)
			out->transport = val;
		else if (id == OPT_JSON)
			ctx->json = true;
		else if (a.i < argc && !out->verb)
			out->verb = argv[a.i++]; /* positional: the verb, then the node */
		else if (a.i < argc && !out->node)
			out->node = argv[a.i++];
		else
			break;
	}
	if (!cli_args_is_done(&a))
		return CLI_PARSE_USAGE;
	if (!out->verb) {
		cli_args_usage_error(&a, "missing a subcommand: add, remove or list");
		return CLI_PARSE_USAGE;
	}
	if (strcmp(out->verb, "list") == 0) {
		if (out->node || out->endpoint || out->transport) {
			cli_args_usage_error(&a, "'list' takes no arguments");
			return CLI_PARSE_USAGE;
		}
		return CLI_PARSE_RUN;
	}
	if (strcmp(out->verb, "add") != 0 && strcmp(out->verb, "remove") != 0) {
		char q[CLI_QUOTE_MAX];

		cli_args_usage_error(&a, "unknown subcommand '%s': add, remove or list",
				     cli_escape_str(q, sizeof(q), out->verb));
		return CLI_PARSE_USAGE;
	}
	if (!out->node) {
		cli_args_usage_error(&a, "'%s' needs a node key", out->verb);
		return CLI_PARSE_USAGE;
	}
	if (strcmp(out->verb, "add") == 0 && !out->endpoint) {
		cli_args_usage_error(&a, "'add' needs --endpoint [IPV6]:PORT");
		return CLI_PARSE_USAGE;
	}
	if (strcmp(out->verb, "remove") == 0 && (out->endpoint || out->transport)) {
		cli_args_usage_error(&a, "'remove' takes only a node");
		return CLI_PARSE_USAGE;
	}
	return CLI_PARSE_RUN;
}

static void print_list(const struct cli_ctx *ctx, const json_t *res)
{
	const json_t *peers = json_object_get(res, "peers"), *p;
	char a[CLI_QUOTE_MAX], b[CLI_QUOTE_MAX], c[CLI_QUOTE_MAX], d[CLI_QUOTE_MAX];
	size_t i;

	if (!json_is_array(peers) || json_array_size(peers) == 0) {
		fprintf(ctx->out, "no peers\n");
		return;
	}
	json_array_foreach(peers, i, p)
	{
		const char *id = json_string_value(json_object_get(p, "node_id"));
		const char *ep = json_string_value(json_object_get(p, "endpoint"));
		const char *tp = json_string_value(json_object_get(p, "transport"));
		const char *src = json_string_value(json_object_get(p, "source"));

		fprintf(ctx->out, "%s  %-5s %s  (%s)\n", cli_escape_str(a, sizeof(a), id ? id : "?"),
			cli_escape_str(b, sizeof(b), tp ? tp : "?"),
			cli_escape_str(c, sizeof(c), ep ? ep : "?"),
			cli_escape_str(d, sizeof(d), src ? src : "?"));
	}
}

int cmd_peer_main(struct cli_ctx *ctx, int argc, char **argv)
{
	struct cmd_peer_args args;
	json_t *res = NULL;
	char path[256], *text = NULL;
	enum cli_parse p;
	int r;

	p = cmd_peer_parse(ctx, argc, argv, &args);
	if (p != CLI_PARSE_RUN)
		return cli_parse_exit(p);
	if (strcmp(args.verb, "list") == 0) {
		r = cli_api_call(ctx, "GET", "/api/v1/peers", NULL, false, &res);
		if (r == 0 && ctx->json)
			cli_print_json(ctx, res);
		else if (r == 0)
			print_list(ctx, res);
	} else if (strcmp(args.verb, "remove") == 0) {
		if (strspn(args.node, "abcdefghijklmnopqrstuvwxyz234567ABCDEF0123456789") !=
			strlen(args.node) ||
		    strlen(args.node) > 64) {
			fprintf(ctx->err, "vx6 peer: '%.80s' is not a node ID or public key\n",
				args.node);
			return CLI_EXIT_USAGE;
		}
		snprintf(path, sizeof(path), "/api/v1/peers/%s", args.node);
		r = cli_api_call(ctx, "DELETE", path, NULL, false, &res);
		if (r == 0)
			fprintf(ctx->out, "removed %s\n", args.node);
	} else {
		text = cli_json_body("{s:s,s:s,s:s}", "public_key", args.node, "endpoint",
				     args.endpoint, "transport", args.transport ? args.transport : "tcp");
		if (!text)
			return CLI_EXIT_FAILURE;
		r = cli_api_call(ctx, "POST", "/api/v1/peers", text, false, &res);
		if (r == 0 && ctx->json) {
			cli_print_json(ctx, res);
		} else if (r == 0) {
			char q[CLI_QUOTE_MAX];
			const char *id = json_string_value(json_object_get(res, "node_id"));

			fprintf(ctx->out, "peer %s added; vx6d is dialing it (see 'vx6 links')\n",
				cli_escape_str(q, sizeof(q), id ? id : "?"));
		}
	}
	free(text);
	json_decref(res);
	return r < 0 ? CLI_EXIT_FAILURE : CLI_EXIT_OK;
}
