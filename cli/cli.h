/* cli/cli.h - the `vx6` command-line tool: the context every command runs
 * in, exit codes, the command table type and the dispatcher.
 *
 * main.c owns the command table; everything else lives in the vx6_cli
 * library so unit tests can drive whole command lines through cli_run()
 * with their own output streams. Nothing here calls exit(): every parser
 * and command returns an exit code.
 */
#ifndef VX6_CLI_CLI_H
#define VX6_CLI_CLI_H

#include <limits.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdio.h>

#define CLI_STATE_DIR_DEFAULT "/var/lib/vx6"
#define CLI_STATE_DIR_ENV     "VX6_STATE_DIR"
#define CLI_SOCKET_FILE	      "admin.sock"
#define CLI_TOKEN_FILE	      "admin.token"
#define CLI_ADMIN_ADDR_MAX    63 /* "[v6 address]:port" */

/* Process exit codes: usage errors are 2, runtime errors 1. */
enum cli_exit {
	CLI_EXIT_OK = 0,
	CLI_EXIT_FAILURE = 1,
	CLI_EXIT_USAGE = 2,
};

/* What a command's argument parser decided. */
enum cli_parse {
	CLI_PARSE_RUN,	 /* run the command with the parsed arguments */
	CLI_PARSE_HELP,	 /* help was printed to ctx->out: exit 0 */
	CLI_PARSE_USAGE, /* a one-line usage error went to ctx->err: exit 2 */
};

/* Everything the global options decide. Filled by cli_run(); a command may
 * override state_dir from its own options (init --state-dir). */
struct cli_ctx {
	char state_dir[PATH_MAX];
	char socket_path[PATH_MAX];		 /* "" = <state_dir>/admin.sock */
	char admin_addr[CLI_ADMIN_ADDR_MAX + 1]; /* "" = use the unix socket */
	int timeout_ms;				 /* admin API deadline per request */
	bool json;				 /* print JSON instead of text */
	FILE *out;				 /* results; borrowed */
	FILE *err;				 /* errors; borrowed */
};

/* A command. `main` gets argv starting at the command's own name and
 * returns an enum cli_exit value. */
struct cli_cmd {
	const char *name;
	const char *summary; /* one line for `vx6 --help` */
	int (*main)(struct cli_ctx *ctx, int argc, char **argv);
};

/* Parse the global options in argv[1..], find the command in `cmds` (`n`
 * entries) and run it, printing to `out` and `err` (borrowed). Return the
 * exit code: 0, 1 (runtime error) or 2 (usage error, one line on `err`). */
int cli_run(const struct cli_cmd *cmds, size_t n, int argc, char **argv, FILE *out, FILE *err);

/* Map a parser result other than CLI_PARSE_RUN to its exit code. */
static inline int cli_parse_exit(enum cli_parse p)
{
	return p == CLI_PARSE_HELP ? CLI_EXIT_OK : CLI_EXIT_USAGE;
}

#endif /* VX6_CLI_CLI_H */
