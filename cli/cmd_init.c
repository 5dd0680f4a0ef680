/* cli/cmd_init.c - `vx6 init`: create this node's identity in the state
 * directory (identity/identity.h). Works without the daemon; refuses to
 * replace an existing identity unless --force, because the old key, and
 * with it the node ID and overlay address, would be lost. */
#include <errno.h>
#include <string.h>

#include "cli/args.h"
#include "cli/cmd.h"
#include "cli/text.h"
#include "identity/identity.h"

static const char init_usage[] =
    "Usage: vx6 init --name NAME [--network NETWORK] [--state-dir DIR] [--force] [--json]\n"
    "\n"
    "Create this node's Ed25519 identity in the state directory and print its\n"
    "node ID, public key and overlay address. vx6d need not run.\n"
    "\n"
    "Options:\n"
    "  --name NAME        node name: 1-63 characters of a-z, 0-9 and '-'\n"
    "  --network NETWORK  overlay network name (default '" OVERLAY_DEFAULT_NET "'); it\n"
    "                     decides the /48 the overlay address lies in\n"
    "  --state-dir DIR    where to create it (default: the global --state-dir)\n"
    "  --force            replace an existing identity; its key is lost\n"
    "  --json             print one JSON object\n"
    "  --help, -h         show this help\n";

enum { OPT_NAME = 1, OPT_NETWORK, OPT_STATE_DIR, OPT_FORCE, OPT_JSON, OPT_HELP };

static const struct cli_opt init_opts[] = {
    {"--name", true, OPT_NAME},
    {"--network", true, OPT_NETWORK},
    {"--state-dir", true, OPT_STATE_DIR},
    {"--force", false, OPT_FORCE},
    {"--json", false, OPT_JSON},
    {"--help", false, OPT_HELP},
    {"-h", false, OPT_HELP},
    {NULL, false, 0},
};

static bool name_is_ok(const struct cli_args *a, const char *what, const char *val)
{
	char q[CLI_QUOTE_MAX];

	if (overlay_name_is_valid(val))
		return true;
	cli_args_usage_error(a,
			     "invalid %s '%s': use 1-63 characters of a-z, 0-9 and '-', not "
			     "starting or ending with '-'",
			     what, cli_escape_str(q, sizeof(q), val));
	return false;
}

enum cli_parse cmd_init_parse(struct cli_ctx *ctx, int argc, char **argv, struct cmd_init_args *out)
{
	struct cmd_init_args args = {.network = OVERLAY_DEFAULT_NET};
	struct cli_args a;
	const char *val;
	int id, r = 0;

	cli_args_init(&a, argc, argv, 1, "vx6 init", ctx->err);
	a.globals = cli_global_opts;
	while (r == 0 && (id = cli_args_next(&a, init_opts, &val)) != 0) {
		if (id < 0)
			return CLI_PARSE_USAGE;
		if (id == OPT_HELP) {
			fputs(init_usage, ctx->out);
			return CLI_PARSE_HELP;
		}
		if (id == OPT_NAME)
			args.name = val;
		else if (id == OPT_NETWORK)
			args.network = val;
		else if (id == OPT_STATE_DIR)
			r = cli_args_copy_path(&a, ctx->state_dir, sizeof(ctx->state_dir),
					       "--state-dir", val);
		else if (id == OPT_FORCE)
			args.force = true;
		else
			ctx->json = true;
	}
	if (r < 0 || !cli_args_is_done(&a))
		return CLI_PARSE_USAGE;
	if (!args.name) {
		cli_args_usage_error(&a, "missing option '--name NAME'");
		return CLI_PARSE_USAGE;
	}
	if (!name_is_ok(&a, "name", args.name) || !name_is_ok(&a, "network", args.network))
		return CLI_PARSE_USAGE;
	*out = args;
	return CLI_PARSE_RUN;
}

int cmd_init_main(struct cli_ctx *ctx, int argc, char **argv)
{
	struct cmd_init_args args;
	struct identity id = {0};
	char why[512], dir[CLI_QUOTE_MAX], q[CLI_QUOTE_MAX];
	enum cli_parse p;
	int r;

	p = cmd_init_parse(ctx, argc, argv, &args);
	if (p != CLI_PARSE_RUN)
		return cli_parse_exit(p);
	cli_escape_str(dir, sizeof(dir), ctx->state_dir);
	r = identity_create(ctx->state_dir, args.name, args.network, args.force, &id, why,
			    sizeof(why));
	if (r == -EEXIST) {
		fprintf(ctx->err,
			"vx6: an identity already exists in '%s'; use --force to replace it "
			"(its key, node ID and address are lost)\n",
			dir);
		return CLI_EXIT_FAILURE;
	}
	if (r < 0) {
		fprintf(ctx->err, "vx6: failed to create an identity in '%s': %s\n", dir,
			cli_escape_str(q, sizeof(q), why));
		return CLI_EXIT_FAILURE;
	}
	if (!ctx->json)
		fprintf(ctx->out, "Created the identity of '%s' in '%s'.\n", args.name, dir);
	r = cmd_identity_print(ctx, &id);
	identity_clear(&id);
	return r < 0 ? CLI_EXIT_FAILURE : CLI_EXIT_OK;
}
