/* cli/cmd_group.c - `vx6 group add|remove|list`: named groups of nodes that
 * service allow lists name as "@NAME" (/api/v1/groups,
 * docs/admin-api.md). vx6d validates every value and its message is
 * printed as is, so the CLI and the API refuse the same things with the
 * same words; the CLI only checks what it needs to build a request. */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include <jansson.h>

#include "cli/api.h"
#include "cli/args.h"
#include "cli/cmd.h"
#include "cli/text.h"

static const char group_usage[] =
    "Usage: vx6 group add NAME NODE...\n"
    "       vx6 group remove NAME [NODE...]\n"
    "       vx6 group list [--json]\n"
    "\n"
    "Name groups of nodes for service allow lists: 'vx6 service add ... --allow @NAME'.\n"
    "A NODE is a node ID or a public key; a group holds at most 32. 'add' creates the\n"
    "group or adds to it; 'remove' takes nodes out of it, or without NODE removes the\n"
    "whole group, which then matches nobody in the services that name it. Changes\n"
    "take effect at once: a node taken out is refused at its next connection.\n"
    "Groups are kept in <state-dir>/groups.json.\n"
    "\n"
    "Options:\n"
    "  --json      (list) print the API's JSON\n"
    "  --help, -h  show this help\n";

enum { OPT_JSON = 1, OPT_HELP };

static const struct cli_opt group_opts[] = {
    {"--json", false, OPT_JSON},
    {"--help", false, OPT_HELP},
    {"-h", false, OPT_HELP},
    {NULL, false, 0},
};

static enum cli_parse usage_error(struct cli_ctx *ctx, const char *msg)
{
	fprintf(ctx->err, "vx6 group: %s; see 'vx6 group --help'\n", msg);
	return CLI_PARSE_USAGE;
}

static bool is_name(const char *s)
{
	size_t n = strlen(s);

	return n >= 1 && n <= 63 && strspn(s, "abcdefghijklmnopqrstuvwxyz0123456789-") == n &&
	       s[0] != '-' && s[n - 1] != '-';
}

enum cli_parse cmd_group_parse(struct cli_ctx *ctx, int argc, char **argv,
			       struct cmd_group_args *out)
{
	struct cli_args a;
	const char *val;
	int id;

	memset(out, 0, sizeof(*out));
	cli_args_init(&a, argc, argv, 1, "vx6 group", ctx->err);
	a.globals = cli_global_opts;
	for (;;) {
		id = cli_args_next(&a, group_opts, &val);
		if (id < 0)
			return CLI_PARSE_USAGE;
		if (id == OPT_HELP) {
			fputs(group_usage, ctx->out);
			return CLI_PARSE_HELP;
		}
		if (id == OPT_JSON) {
			ctx->json = true;
		} else if (a.i < argc && !out->verb) {
			out->verb = argv[a.i++];
		} else if (a.i < argc && !out->name) {
			out->name = argv[a.i++];
		} else if (a.i < argc && out->n_nodes < CMD_GROUP_NODES_MAX) {
			out->nodes[out->n_nodes++] = argv[a.i++];
		} else if (a.i < argc) {
			return usage_error(ctx, "at most 32 nodes at once");
		} else {
			break;
		}
	}
	if (!cli_args_is_done(&a))
		return CLI_PARSE_USAGE;
	if (!out->verb)
		return usage_error(ctx, "missing a subcommand: add, remove or list");
	if (strcmp(out->verb, "list") == 0)
		return out->name ? usage_error(ctx, "'list' takes no arguments") : CLI_PARSE_RUN;
	if (strcmp(out->verb, "add") != 0 && strcmp(out->verb, "remove") != 0)
		return usage_error(ctx, "unknown subcommand: expected add, remove or list");
	if (!out->name)
		return usage_error(ctx, "expected a group NAME");
	/* The name goes into a request path: only what the name rule allows. */
	if (!is_name(out->name))
		return usage_error(ctx, out->name[0] == '@'
					    ? "Invalid group name: write it without the '@' here"
					    : "Invalid group name: 1..63 characters of a-z, 0-9 "
					      "and '-', not starting or ending with '-'");
	if (strcmp(out->verb, "add") == 0 && out->n_nodes == 0)
		return usage_error(ctx, "'add' needs at least one NODE");
	return CLI_PARSE_RUN;
}

static void print_groups(const struct cli_ctx *ctx, const json_t *res)
{
	const json_t *arr = json_object_get(res, "groups"), *g, *m;
	char q[CLI_QUOTE_MAX];
	size_t i, k;

	if (json_array_size(arr) == 0)
		fprintf(ctx->out, "no groups\n");
	json_array_foreach(arr, i, g)
	{
		const char *n = json_string_value(json_object_get(g, "name"));
		const json_t *members = json_object_get(g, "members");

		fprintf(ctx->out, "%s  %zu member%s\n", cli_escape_str(q, sizeof(q), n ? n : "?"),
			json_array_size(members), json_array_size(members) == 1 ? "" : "s");
		json_array_foreach(members, k, m)
		    fprintf(ctx->out, "  %s\n",
			    cli_escape_str(q, sizeof(q),
					   json_string_value(m) ? json_string_value(m) : "?"));
	}
}

/* Percent-encode what is not [A-Za-z0-9] (a node is hex or base32; the
 * daemon says what is wrong with anything else). */
static void append_encoded(char *out, size_t cap, const char *s)
{
	size_t at = strlen(out);

	for (; *s && at + 4 < cap; s++) {
		unsigned char c = (unsigned char)*s;

		if ((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9'))
			out[at++] = (char)c;
		else
			at += (size_t)snprintf(out + at, cap - at, "%%%02X", c);
	}
	out[at] = '\0';
}

int cmd_group_main(struct cli_ctx *ctx, int argc, char **argv)
{
	struct cmd_group_args args;
	json_t *res = NULL, *members;
	char path[8192], *body;
	enum cli_parse p = cmd_group_parse(ctx, argc, argv, &args);
	size_t n;
	int r;

	if (p != CLI_PARSE_RUN)
		return cli_parse_exit(p);
	if (strcmp(args.verb, "list") == 0) {
		r = cli_api_call(ctx, "GET", "/api/v1/groups", NULL, false, &res);
		if (r == 0 && ctx->json)
			cli_print_json(ctx, res);
		else if (r == 0)
			print_groups(ctx, res);
	} else if (strcmp(args.verb, "add") == 0) {
		members = json_array();
		for (unsigned i = 0; members && i < args.n_nodes; i++)
			json_array_append_new(members, json_string(args.nodes[i])); /* steals */
		/* "o" steals members. */
		body = cli_json_body("{s:s, s:o}", "name", args.name, "members", members);
		r = body ? cli_api_call(ctx, "POST", "/api/v1/groups", body, false, &res) : -ENOMEM;
		if (!body)
			fprintf(ctx->err, "vx6: out of memory\n");
		free(body);
		n = json_array_size(json_object_get(res, "members"));
		if (r == 0 && ctx->json)
			cli_print_json(ctx, res);
		else if (r == 0)
			fprintf(ctx->out, "group %s: %zu member%s\n", args.name, n,
				n == 1 ? "" : "s");
	} else {
		snprintf(path, sizeof(path), "/api/v1/groups/%s", args.name);
		for (unsigned i = 0; i < args.n_nodes; i++) {
			strcat(path, i ? "," : "?members=");
			append_encoded(path, sizeof(path), args.nodes[i]);
		}
		r = cli_api_call(ctx, "DELETE", path, NULL, false, &res);
		n = json_array_size(json_object_get(res, "members"));
		if (r == 0 && args.n_nodes == 0)
			fprintf(ctx->out, "removed group %s\n", args.name);
		else if (r == 0)
			fprintf(ctx->out, "group %s: %zu member%s\n", args.name, n,
				n == 1 ? "" : "s");
	}
	json_decref(res);
	return r < 0 ? CLI_EXIT_FAILURE : CLI_EXIT_OK;
}
