/* cli/cmd_identity.c - `vx6 identity show`: the node's public identity,
 * read from <state-dir>/identity.json. Needs neither the daemon nor the
 * secret key, so it works for any user who can read the state directory. */
#include <arpa/inet.h>
#include <errno.h>
#include <string.h>

#include <jansson.h>

#include "cli/args.h"
#include "cli/cmd.h"
#include "cli/text.h"
#include "identity/identity.h"

static const char identity_usage[] =
    "Usage: vx6 [--state-dir DIR] identity show [--json]\n"
    "\n"
    "Show this node's identity: name, network, node ID, public key and\n"
    "overlay address. Reads <state-dir>/" IDENTITY_INFO_FILE "; vx6d need not run.\n"
    "\n"
    "Options:\n"
    "  --json      print one JSON object\n"
    "  --help, -h  show this help\n";

enum { OPT_JSON = 1, OPT_HELP };

static const struct cli_opt show_opts[] = {
    {"--json", false, OPT_JSON},
    {"--help", false, OPT_HELP},
    {"-h", false, OPT_HELP},
    {NULL, false, 0},
};

static const struct cli_opt help_opts[] = {
    {"--help", false, OPT_HELP},
    {"-h", false, OPT_HELP},
    {NULL, false, 0},
};

/* Options of `vx6 identity show`, from a->i on. */
static enum cli_parse parse_show(struct cli_ctx *ctx, struct cli_args *a)
{
	const char *val;
	int id;

	while ((id = cli_args_next(a, show_opts, &val)) != 0) {
		if (id < 0)
			return CLI_PARSE_USAGE;
		if (id == OPT_HELP) {
			fputs(identity_usage, ctx->out);
			return CLI_PARSE_HELP;
		}
		ctx->json = true;
	}
	return cli_args_is_done(a) ? CLI_PARSE_RUN : CLI_PARSE_USAGE;
}

enum cli_parse cmd_identity_parse(struct cli_ctx *ctx, int argc, char **argv)
{
	struct cli_args a;
	char q[CLI_QUOTE_MAX];
	const char *val;
	int id;

	cli_args_init(&a, argc, argv, 1, "vx6 identity", ctx->err);
	a.globals = cli_global_opts;
	id = cli_args_next(&a, help_opts, &val);
	if (id < 0)
		return CLI_PARSE_USAGE;
	if (id == OPT_HELP) {
		fputs(identity_usage, ctx->out);
		return CLI_PARSE_HELP;
	}
	if (a.i >= argc) {
		cli_args_usage_error(&a, "missing subcommand (try 'show')");
		return CLI_PARSE_USAGE;
	}
	if (strcmp(argv[a.i], "show") != 0) {
		cli_args_usage_error(&a, "unknown subcommand '%s'",
				     cli_escape_str(q, sizeof(q), argv[a.i]));
		return CLI_PARSE_USAGE;
	}
	a.i++;
	a.who = "vx6 identity show";
	return parse_show(ctx, &a);
}

static int print_json(const struct cli_ctx *ctx, const char *node_id, const char *pk,
		      const char *addr, const struct identity *id)
{
	json_t *o;
	int r;

	o = json_pack("{s:s, s:s, s:s, s:s, s:s}", "name", id->name, "network", id->net.name,
		      "node_id", node_id, "public_key", pk, "overlay_address", addr);
	if (!o)
		return -ENOMEM;
	r = json_dumpf(o, ctx->out, JSON_INDENT(2) | JSON_PRESERVE_ORDER);
	fputc('\n', ctx->out);
	json_decref(o);
	return r < 0 ? -EIO : 0;
}

int cmd_identity_print(const struct cli_ctx *ctx, const struct identity *id)
{
	char node_id[NODE_ID_STR_LEN + 1], pk[NODE_PK_STR_LEN + 1], addr[INET6_ADDRSTRLEN];
	char q[CLI_QUOTE_MAX];

	node_id_to_str(&id->id, node_id);
	node_pubkey_to_str(id->pk, pk);
	if (!inet_ntop(AF_INET6, &id->addr, addr, sizeof(addr)))
		strcpy(addr, "?");
	if (ctx->json)
		return print_json(ctx, node_id, pk, addr, id);
	/* The names were validated as [a-z0-9-] on load, but escape anyway:
	 * identity.json is a file anyone with write access could edit. */
	fprintf(ctx->out, "name:            %s\n", cli_escape_str(q, sizeof(q), id->name));
	fprintf(ctx->out, "network:         %s\n", cli_escape_str(q, sizeof(q), id->net.name));
	fprintf(ctx->out, "node id:         %s\n", node_id);
	fprintf(ctx->out, "public key:      %s\n", pk);
	fprintf(ctx->out, "overlay address: %s\n", addr);
	return 0;
}

int cmd_identity_main(struct cli_ctx *ctx, int argc, char **argv)
{
	struct identity id;
	char why[512], q[CLI_QUOTE_MAX];
	enum cli_parse p;
	int r;

	p = cmd_identity_parse(ctx, argc, argv);
	if (p != CLI_PARSE_RUN)
		return cli_parse_exit(p);
	r = identity_load(ctx->state_dir, false, &id, why, sizeof(why));
	if (r < 0) {
		fprintf(ctx->err, "vx6: %s\n", cli_escape_str(q, sizeof(q), why));
		return CLI_EXIT_FAILURE;
	}
	r = cmd_identity_print(ctx, &id);
	identity_clear(&id);
	if (r < 0) {
		fprintf(ctx->err, "vx6: failed to print the identity: %s\n", strerror(-r));
		return CLI_EXIT_FAILURE;
	}
	return CLI_EXIT_OK;
}
