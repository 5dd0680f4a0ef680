/* cli/cmd_version.c - `vx6 version`: the version of this tool and, if vx6d
 * answers, of the daemon (from GET /api/v1/node). Never fails because the
 * daemon is down or unreachable: then only the tool's version is shown. */
#include <errno.h>
#include <string.h>

#include <jansson.h>

#include "cli/api.h"
#include "cli/args.h"
#include "cli/cmd.h"
#include "cli/text.h"

static const char version_usage[] =
    "Usage: vx6 version [--json]\n"
    "\n"
    "Print the version of vx6 and, if vx6d answers on its admin API, of vx6d.\n"
    "\n"
    "Options:\n"
    "  --json      print {\"vx6\": ..., \"vx6d\": ... or null}\n"
    "  --help, -h  show this help\n";

enum { OPT_JSON = 1, OPT_HELP };

static const struct cli_opt version_opts[] = {
    {"--json", false, OPT_JSON},
    {"--help", false, OPT_HELP},
    {"-h", false, OPT_HELP},
    {NULL, false, 0},
};

enum cli_parse cmd_version_parse(struct cli_ctx *ctx, int argc, char **argv)
{
	struct cli_args a;
	const char *val;
	int id;

	cli_args_init(&a, argc, argv, 1, "vx6 version", ctx->err);
	a.globals = cli_global_opts;
	while ((id = cli_args_next(&a, version_opts, &val)) != 0) {
		if (id < 0)
			return CLI_PARSE_USAGE;
		if (id == OPT_HELP) {
			fputs(version_usage, ctx->out);
			return CLI_PARSE_HELP;
		}
		ctx->json = true;
	}
	return cli_args_is_done(&a) ? CLI_PARSE_RUN : CLI_PARSE_USAGE;
}

int cmd_version_main(struct cli_ctx *ctx, int argc, char **argv)
{
	json_t *node = NULL, *o;
	const char *daemon = NULL;
	char q[CLI_QUOTE_MAX];
	enum cli_parse p;

	p = cmd_version_parse(ctx, argc, argv);
	if (p != CLI_PARSE_RUN)
		return cli_parse_exit(p);
	/* quiet: an absent daemon is not an error for this command */
	if (cli_api_call(ctx, "GET", "/api/v1/node", NULL, true, &node) == 0)
		daemon = json_string_value(json_object_get(node, "version"));
	if (!ctx->json) {
		fprintf(ctx->out, "vx6 %s\n", VX6_VERSION);
		if (daemon)
			fprintf(ctx->out, "vx6d %s\n", cli_escape_str(q, sizeof(q), daemon));
		json_decref(node);
		return CLI_EXIT_OK;
	}
	o = json_pack("{s:s, s:s?}", "vx6", VX6_VERSION, "vx6d", daemon);
	if (o) {
		json_dumpf(o, ctx->out, JSON_INDENT(2) | JSON_PRESERVE_ORDER);
		fputc('\n', ctx->out);
	}
	json_decref(o);
	json_decref(node);
	return CLI_EXIT_OK;
}
