/* cli/cmd.h - the vx6 commands, one file each (cmd_<name>.c), in the manner
 * of wireguard-tools' subcommands.h.
 *
 * Each command has a `_main` for the dispatch table in main.c and a
 * `_parse` that only parses, so tests can check every usage error (text
 * and exit code) without running anything. Parsers print help to ctx->out
 * and one-line usage errors to ctx->err; they may set ctx->json and (init)
 * ctx->state_dir. Parsed strings are borrowed from argv.
 */
#ifndef VX6_CLI_CMD_H
#define VX6_CLI_CMD_H

#include <stdbool.h>

#include "cli/cli.h"

struct identity;

struct cmd_init_args {
	const char *name;    /* required; [a-z0-9-], 1..63 characters */
	const char *network; /* default OVERLAY_DEFAULT_NET */
	bool force;	     /* replace an existing identity */
};

/* vx6 init --name NAME [--network NETWORK] [--state-dir DIR] [--force] */
enum cli_parse cmd_init_parse(struct cli_ctx *ctx, int argc, char **argv,
			      struct cmd_init_args *out);
int cmd_init_main(struct cli_ctx *ctx, int argc, char **argv);

/* vx6 identity show [--json] */
enum cli_parse cmd_identity_parse(struct cli_ctx *ctx, int argc, char **argv);
int cmd_identity_main(struct cli_ctx *ctx, int argc, char **argv);

/* Print the public half of `id` on ctx->out: name, network, node ID, public
 * key and overlay address, as aligned lines or (ctx->json) one JSON object.
 * Return 0 or -ENOMEM. */
int cmd_identity_print(const struct cli_ctx *ctx, const struct identity *id);

/* vx6 status [--json] */
enum cli_parse cmd_status_parse(struct cli_ctx *ctx, int argc, char **argv);
int cmd_status_main(struct cli_ctx *ctx, int argc, char **argv);

/* vx6 version [--json] */
enum cli_parse cmd_version_parse(struct cli_ctx *ctx, int argc, char **argv);
int cmd_version_main(struct cli_ctx *ctx, int argc, char **argv);

#endif /* VX6_CLI_CMD_H */
