/* cli/cmd_resolve.c - `vx6 resolve` (GET /api/v1/resolve/X: the registry,
 * then the DHT) and `vx6 peers` (GET /api/v1/registry joined with GET
 * /api/v1/links: every node this one knows and the state of its link). */
#include <string.h>

#include <jansson.h>

#include "cli/api.h"
#include "cli/args.h"
#include "cli/cmd.h"
#include "cli/text.h"

static const char resolve_usage[] =
    "Usage: vx6 resolve NODE_ID|PUBLIC_KEY|NAME [--json]\n"
    "\n"
    "Find a node's signed record: in vx6d's registry first, then (for a node ID\n"
    "or key) through the DHT. A name is looked up in the registry only, and\n"
    "several nodes may carry the same name. Prints name, node ID, overlay\n"
    "address, record sequence and endpoints. Exit 1 if nothing is found.\n";

static const char peers_usage[] =
    "Usage: vx6 peers [--json]\n"
    "\n"
    "List every node in vx6d's registry with its overlay address, endpoints and\n"
    "the state of the link to it (none, up, connecting, backoff).\n";

enum { OPT_JSON = 1, OPT_HELP };

static const struct cli_opt opts[] = {
    {"--json", false, OPT_JSON},
    {"--help", false, OPT_HELP},
    {"-h", false, OPT_HELP},
    {NULL, false, 0},
};

/* Parse [--json] [--help] and at most `npos` positional arguments. */
static enum cli_parse parse(struct cli_ctx *ctx, int argc, char **argv, const char *who,
			    const char *usage, const char **pos, int npos)
{
	struct cli_args a;
	const char *val;
	int id, got = 0;

	cli_args_init(&a, argc, argv, 1, who, ctx->err);
	a.globals = cli_global_opts;
	for (;;) {
		id = cli_args_next(&a, opts, &val);
		if (id < 0)
			return CLI_PARSE_USAGE;
		if (id == OPT_HELP) {
			fputs(usage, ctx->out);
			return CLI_PARSE_HELP;
		}
		if (id == OPT_JSON) {
			ctx->json = true;
			continue;
		}
		if (a.i < argc && got < npos) {
			pos[got++] = argv[a.i++];
			continue;
		}
		break;
	}
	if (!cli_args_is_done(&a))
		return CLI_PARSE_USAGE;
	if (got < npos) {
		cli_args_usage_error(&a, "missing NODE_ID, PUBLIC_KEY or NAME");
		return CLI_PARSE_USAGE;
	}
	return CLI_PARSE_RUN;
}

static const char *s_at(const json_t *o, const char *k, char q[CLI_QUOTE_MAX])
{
	const char *s = json_string_value(json_object_get(o, k));

	return cli_escape_str(q, CLI_QUOTE_MAX, s ? s : "?");
}

static void print_node(const struct cli_ctx *ctx, const json_t *n, const char *link_state)
{
	char a[CLI_QUOTE_MAX], b[CLI_QUOTE_MAX], c[CLI_QUOTE_MAX];
	const json_t *rec = json_object_get(n, "record"), *eps = json_object_get(rec, "endpoints"),
		     *ep;
	size_t i;

	fprintf(ctx->out, "%s  %s  %s", s_at(n, "name", a), s_at(n, "node_id", b),
		s_at(n, "overlay_address", c));
	if (link_state)
		fprintf(ctx->out, "  link %s", link_state);
	fprintf(ctx->out, "\n    seq %lld,", json_integer_value(json_object_get(rec, "seq")));
	if (!json_array_size(eps))
		fprintf(ctx->out, " no endpoints");
	json_array_foreach(eps, i, ep)
	    fprintf(ctx->out, " %s [%s]:%lld", s_at(ep, "transport", a), s_at(ep, "address", b),
		    json_integer_value(json_object_get(ep, "port")));
	fputc('\n', ctx->out);
}

int cmd_resolve_main(struct cli_ctx *ctx, int argc, char **argv)
{
	const char *what = NULL;
	enum cli_parse p = parse(ctx, argc, argv, "vx6 resolve", resolve_usage, &what, 1);
	json_t *res = NULL, *nodes;
	char path[256];
	size_t i;
	int r;

	if (p != CLI_PARSE_RUN)
		return cli_parse_exit(p);
	if (strlen(what) > 100 || strspn(what, "abcdefghijklmnopqrstuvwxyzABCDEF0123456789-") !=
					  strlen(what)) {
		char q[CLI_QUOTE_MAX];

		fprintf(ctx->err, "vx6 resolve: '%s' is not a node ID, public key or name\n",
			cli_escape_str(q, sizeof(q), what));
		return CLI_EXIT_USAGE;
	}
	snprintf(path, sizeof(path), "/api/v1/resolve/%s", what);
	ctx->timeout_ms = 35000; /* a DHT lookup may take up to 30 s */
	r = cli_api_call(ctx, "GET", path, NULL, false, &res);
	if (r < 0)
		return CLI_EXIT_FAILURE;
	if (ctx->json) {
		cli_print_json(ctx, res);
	} else {
		nodes = json_object_get(res, "nodes");
		if (json_is_array(nodes))
			for (i = 0; i < json_array_size(nodes); i++)
				print_node(ctx, json_array_get(nodes, i), NULL);
		else
			print_node(ctx, res, NULL);
	}
	json_decref(res);
	return CLI_EXIT_OK;
}

static const char *link_state_of(const json_t *links, const char *node_id)
{
	const json_t *l;
	size_t i;

	json_array_foreach(json_object_get(links, "links"), i, l)
	{
		const char *id = json_string_value(json_object_get(l, "node_id"));

		if (id && strcmp(id, node_id) == 0)
			return json_string_value(json_object_get(l, "state"));
	}
	return "none";
}

int cmd_peers_main(struct cli_ctx *ctx, int argc, char **argv)
{
	enum cli_parse p = parse(ctx, argc, argv, "vx6 peers", peers_usage, NULL, 0);
	json_t *reg = NULL, *links = NULL;
	const json_t *n;
	size_t i;
	int r;

	if (p != CLI_PARSE_RUN)
		return cli_parse_exit(p);
	r = cli_api_call(ctx, "GET", "/api/v1/registry", NULL, false, &reg);
	if (r == 0)
		r = cli_api_call(ctx, "GET", "/api/v1/links", NULL, false, &links);
	if (r < 0) {
		json_decref(reg);
		return CLI_EXIT_FAILURE;
	}
	if (ctx->json) {
		json_t *o = json_pack("{s:O,s:O}", "registry", reg, "links", links);

		cli_print_json(ctx, o);
		json_decref(o);
	} else {
		json_array_foreach(json_object_get(reg, "nodes"), i, n)
		{
			const char *id = json_string_value(json_object_get(n, "node_id"));

			print_node(ctx, n, link_state_of(links, id ? id : ""));
		}
	}
	json_decref(reg);
	json_decref(links);
	return CLI_EXIT_OK;
}
