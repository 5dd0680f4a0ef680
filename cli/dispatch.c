/* cli/dispatch.c - global options and command dispatch for `vx6` (see
 * cli.h). The command table itself is in main.c. */
#include "cli/cli.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "cli/admin_client.h"
#include "cli/args.h"
#include "cli/text.h"
#include "lib/secure.h"

enum {
	OPT_STATE_DIR = 1,
	OPT_SOCKET,
	OPT_ADMIN,
	OPT_JSON,
	OPT_HELP,
	OPT_VERSION,
};

const struct cli_opt cli_global_opts[] = {
    {"--state-dir", true, OPT_STATE_DIR}, {"--socket", true, OPT_SOCKET},
    {"--admin", true, OPT_ADMIN},	  {"--json", false, OPT_JSON},
    {"--help", false, OPT_HELP},	  {"-h", false, OPT_HELP},
    {"--version", false, OPT_VERSION},	  {NULL, false, 0},
};

static void usage(const struct cli_cmd *cmds, size_t n, FILE *f)
{
	fprintf(f, "Usage: vx6 [--state-dir DIR] [--socket PATH | --admin ADDR:PORT] [--json]\n"
		   "           COMMAND [OPTIONS]\n\nCommands:\n");
	for (size_t i = 0; i < n; i++)
		fprintf(f, "  %-10s  %s\n", cmds[i].name, cmds[i].summary);
	fprintf(f, "\nGlobal options (before the command):\n"
		   "  --state-dir DIR     state directory (default $" CLI_STATE_DIR_ENV
		   " or " CLI_STATE_DIR_DEFAULT ")\n"
		   "  --socket PATH       vx6d's admin socket (default <state-dir>/" CLI_SOCKET_FILE
		   ")\n"
		   "  --admin ADDR:PORT   reach the admin API over loopback TCP instead\n"
		   "  --json              print JSON instead of text\n"
		   "  --help, -h          show this help\n"
		   "  --version           print the version of vx6\n"
		   "\nRun 'vx6 COMMAND --help' for the options of a command.\n");
}

/* Defaults, and the state directory from the environment if set. */
static bool ctx_init(struct cli_ctx *ctx, FILE *out, FILE *err)
{
	const char *env = getenv(CLI_STATE_DIR_ENV);
	char q[CLI_QUOTE_MAX];

	memset(ctx, 0, sizeof(*ctx));
	ctx->timeout_ms = ADMIN_TIMEOUT_MS_DEFAULT;
	ctx->out = out;
	ctx->err = err;
	if (!env || !env[0]) {
		strcpy(ctx->state_dir, CLI_STATE_DIR_DEFAULT);
		return true;
	}
	if (strlen(env) >= sizeof(ctx->state_dir)) {
		fprintf(err, "vx6: $" CLI_STATE_DIR_ENV " '%s' is too long\n",
			cli_escape_str(q, sizeof(q), env));
		return false;
	}
	strcpy(ctx->state_dir, env);
	return true;
}

/* Scan the global options, leaving a->i at the command. */
static enum cli_parse parse_globals(struct cli_ctx *ctx, struct cli_args *a,
				    const struct cli_cmd *cmds, size_t n)
{
	const char *val;
	int id, r = 0;

	while (r == 0 && (id = cli_args_next(a, cli_global_opts, &val)) != 0) {
		if (id < 0)
			return CLI_PARSE_USAGE;
		if (id == OPT_STATE_DIR) {
			r = cli_args_copy_path(a, ctx->state_dir, sizeof(ctx->state_dir),
					       "--state-dir", val);
		} else if (id == OPT_SOCKET) {
			r = cli_args_copy_path(a, ctx->socket_path, sizeof(ctx->socket_path),
					       "--socket", val);
		} else if (id == OPT_ADMIN) {
			r = cli_args_copy_path(a, ctx->admin_addr, sizeof(ctx->admin_addr),
					       "--admin", val);
		} else if (id == OPT_JSON) {
			ctx->json = true;
		} else if (id == OPT_HELP) {
			usage(cmds, n, ctx->out);
			return CLI_PARSE_HELP;
		} else if (id == OPT_VERSION) {
			fprintf(ctx->out, "vx6 %s\n", VX6_VERSION);
			return CLI_PARSE_HELP;
		}
	}
	return r < 0 ? CLI_PARSE_USAGE : CLI_PARSE_RUN;
}

/* Check what the global options mean together. */
static bool globals_are_valid(const struct cli_ctx *ctx, const struct cli_args *a)
{
	struct admin_target t;
	char why[CLI_QUOTE_MAX + 128];

	if (ctx->socket_path[0] && ctx->admin_addr[0]) {
		cli_args_usage_error(a, "options '--socket' and '--admin' exclude each other");
		return false;
	}
	if (ctx->admin_addr[0] &&
	    admin_target_init_tcp(&t, ctx->admin_addr, "", why, sizeof(why)) < 0) {
		cli_args_usage_error(a, "%s", why);
		return false;
	}
	return true;
}

static const struct cli_cmd *find_cmd(const struct cli_cmd *cmds, size_t n, const char *name)
{
	for (size_t i = 0; i < n; i++) {
		if (strcmp(cmds[i].name, name) == 0)
			return &cmds[i];
	}
	return NULL;
}

/* "vx6 help [COMMAND]": the top-level help, or COMMAND --help. */
static int run_help(struct cli_ctx *ctx, const struct cli_cmd *cmds, size_t n,
		    const struct cli_args *a)
{
	const struct cli_cmd *cmd;
	char *argv[3] = {NULL, "--help", NULL};
	char q[CLI_QUOTE_MAX];

	if (a->i + 1 >= a->argc) {
		usage(cmds, n, ctx->out);
		return CLI_EXIT_OK;
	}
	cmd = find_cmd(cmds, n, a->argv[a->i + 1]);
	if (!cmd) {
		cli_args_usage_error(a, "unknown command '%s'",
				     cli_escape_str(q, sizeof(q), a->argv[a->i + 1]));
		return CLI_EXIT_USAGE;
	}
	argv[0] = a->argv[a->i + 1];
	return cmd->main(ctx, 2, argv);
}

int cli_run(const struct cli_cmd *cmds, size_t n, int argc, char **argv, FILE *out, FILE *err)
{
	const struct cli_cmd *cmd;
	struct cli_args a;
	struct cli_ctx ctx;
	char q[CLI_QUOTE_MAX];
	enum cli_parse p;

	if (!ctx_init(&ctx, out, err))
		return CLI_EXIT_USAGE;
	cli_args_init(&a, argc, argv, 1, "vx6", err);
	p = parse_globals(&ctx, &a, cmds, n);
	if (p == CLI_PARSE_RUN && !globals_are_valid(&ctx, &a))
		p = CLI_PARSE_USAGE;
	if (p != CLI_PARSE_RUN)
		return cli_parse_exit(p);
	if (a.i >= argc) {
		cli_args_usage_error(&a, "missing command");
		return CLI_EXIT_USAGE;
	}
	if (strcmp(argv[a.i], "help") == 0)
		return run_help(&ctx, cmds, n, &a);
	cmd = find_cmd(cmds, n, argv[a.i]);
	if (!cmd) {
		cli_args_usage_error(&a, "unknown command '%s'",
				     cli_escape_str(q, sizeof(q), argv[a.i]));
		return CLI_EXIT_USAGE;
	}
	if (sec_init() < 0) {
		fprintf(err, "vx6: failed to initialize libsodium\n");
		return CLI_EXIT_FAILURE;
	}
	return cmd->main(&ctx, argc - a.i, argv + a.i);
}
