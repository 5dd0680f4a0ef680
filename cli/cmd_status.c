/* cli/cmd_status.c - `vx6 status`: what the running vx6d reports about
 * itself, from GET /api/v1/node and GET /api/v1/health (docs/admin-api.md).
 *
 * Every value shown comes from the daemon, so each is type-checked (a
 * missing or mistyped field prints as "?") and every string is escaped. */
#include <arpa/inet.h>
#include <errno.h>
#include <inttypes.h>
#include <string.h>
#include <time.h>

#include <jansson.h>

#include "cli/api.h"
#include "cli/args.h"
#include "cli/cmd.h"
#include "cli/text.h"

#define LABEL "%-17s"

static const char status_usage[] =
    "Usage: vx6 [--state-dir DIR] [--socket PATH | --admin ADDR:PORT] status [--json]\n"
    "\n"
    "Ask the running vx6d for its node, record and health (GET /api/v1/node and\n"
    "GET /api/v1/health on its admin API). Needs the admin token, so run it as\n"
    "the user vx6d runs as (usually root).\n"
    "\n"
    "Options:\n"
    "  --json      print {\"node\": ..., \"health\": ...} as vx6d sent them\n"
    "  --help, -h  show this help\n";

enum { OPT_JSON = 1, OPT_HELP };

static const struct cli_opt status_opts[] = {
    {"--json", false, OPT_JSON},
    {"--help", false, OPT_HELP},
    {"-h", false, OPT_HELP},
    {NULL, false, 0},
};

enum cli_parse cmd_status_parse(struct cli_ctx *ctx, int argc, char **argv)
{
	struct cli_args a;
	const char *val;
	int id;

	cli_args_init(&a, argc, argv, 1, "vx6 status", ctx->err);
	a.globals = cli_global_opts;
	while ((id = cli_args_next(&a, status_opts, &val)) != 0) {
		if (id < 0)
			return CLI_PARSE_USAGE;
		if (id == OPT_HELP) {
			fputs(status_usage, ctx->out);
			return CLI_PARSE_HELP;
		}
		ctx->json = true;
	}
	return cli_args_is_done(&a) ? CLI_PARSE_RUN : CLI_PARSE_USAGE;
}

/* The string at `key` of `o`, escaped into `q`, or "?". */
static const char *str_at(const json_t *o, const char *key, char q[CLI_QUOTE_MAX])
{
	const char *s = json_string_value(json_object_get(o, key));

	return s ? cli_escape_str(q, CLI_QUOTE_MAX, s) : "?";
}

/* The non-negative integer at `key` of `o`, or -1. */
static json_int_t uint_at(const json_t *o, const char *key)
{
	const json_t *v = json_object_get(o, key);

	return json_is_integer(v) && json_integer_value(v) >= 0 ? json_integer_value(v) : -1;
}

static const char *fmt_time(char out[32], json_int_t t)
{
	struct tm tm;
	time_t tt = (time_t)t;

	if (t < 0 || !gmtime_r(&tt, &tm) || !strftime(out, 32, "%Y-%m-%d %H:%M:%S UTC", &tm))
		return "?";
	return out;
}

static const char *fmt_uptime(char out[48], json_int_t s)
{
	if (s < 0)
		return "?";
	if (s >= 86400)
		snprintf(out, 48, "%lldd %lldh %lldm", s / 86400, s % 86400 / 3600, s % 3600 / 60);
	else if (s >= 3600)
		snprintf(out, 48, "%lldh %lldm %llds", s / 3600, s % 3600 / 60, s % 60);
	else
		snprintf(out, 48, "%lldm %llds", s / 60, s % 60);
	return out;
}

static void print_endpoints(const struct cli_ctx *ctx, const json_t *eps)
{
	char t[CLI_QUOTE_MAX], addr[CLI_QUOTE_MAX];
	const char *label = "endpoints:";
	const json_t *ep;
	size_t i;

	if (!json_is_array(eps) || json_array_size(eps) == 0) {
		fprintf(ctx->out, LABEL "%s\n", label, json_is_array(eps) ? "none" : "?");
		return;
	}
	json_array_foreach(eps, i, ep)
	{
		const char *a = str_at(ep, "address", addr);
		json_int_t port = uint_at(ep, "port");
		bool v6 = strchr(a, ':') != NULL;

		fprintf(ctx->out, LABEL "%s %s%s%s:", label, str_at(ep, "transport", t),
			v6 ? "[" : "", a, v6 ? "]" : "");
		if (port >= 0)
			fprintf(ctx->out, "%lld\n", port);
		else
			fprintf(ctx->out, "?\n");
		label = "";
	}
}

/* "ok", plus the config generation and log level if vx6d reports them. */
static void print_health(const struct cli_ctx *ctx, const json_t *health)
{
	char q[CLI_QUOTE_MAX], level[CLI_QUOTE_MAX];
	json_int_t gen = uint_at(health, "config_generation");

	fprintf(ctx->out, LABEL "%s", "health:", str_at(health, "status", q));
	if (gen >= 0)
		fprintf(ctx->out, ", config generation %lld", gen);
	if (json_is_string(json_object_get(health, "log_level")))
		fprintf(ctx->out, ", log level %s", str_at(health, "log_level", level));
	fputc('\n', ctx->out);
}

static void print_status(const struct cli_ctx *ctx, const json_t *node, const json_t *health)
{
	const json_t *rec = json_object_get(node, "record");
	char q[CLI_QUOTE_MAX], up[48], t1[32], t2[32];

	fprintf(ctx->out, LABEL "running, version %s, up %s\n", "vx6d:", str_at(node, "version", q),
		fmt_uptime(up, uint_at(node, "uptime_s")));
	print_health(ctx, health);
	fprintf(ctx->out, LABEL "%s\n", "name:", str_at(node, "name", q));
	fprintf(ctx->out, LABEL "%s\n", "network:", str_at(node, "network", q));
	fprintf(ctx->out, LABEL "%s\n", "node id:", str_at(node, "node_id", q));
	fprintf(ctx->out, LABEL "%s\n", "public key:", str_at(node, "public_key", q));
	fprintf(ctx->out, LABEL "%s\n", "overlay address:", str_at(node, "overlay_address", q));
	if (!json_is_object(rec)) {
		fprintf(ctx->out, LABEL "none\n", "record:");
		return;
	}
	if (uint_at(rec, "seq") >= 0)
		snprintf(q, sizeof(q), "%lld", uint_at(rec, "seq"));
	else
		strcpy(q, "?");
	fprintf(ctx->out, LABEL "seq %s, issued %s, expires %s\n", "record:", q,
		fmt_time(t1, uint_at(rec, "issued")), fmt_time(t2, uint_at(rec, "expires")));
	print_endpoints(ctx, json_object_get(rec, "endpoints"));
}

static int print_json(const struct cli_ctx *ctx, json_t *node, json_t *health)
{
	json_t *o = json_pack("{s:O, s:O}", "node", node, "health", health);
	int r;

	if (!o)
		return -ENOMEM;
	r = json_dumpf(o, ctx->out, JSON_INDENT(2) | JSON_PRESERVE_ORDER);
	fputc('\n', ctx->out);
	json_decref(o);
	return r < 0 ? -EIO : 0;
}

int cmd_status_main(struct cli_ctx *ctx, int argc, char **argv)
{
	json_t *node = NULL, *health = NULL;
	enum cli_parse p;
	int r;

	p = cmd_status_parse(ctx, argc, argv);
	if (p != CLI_PARSE_RUN)
		return cli_parse_exit(p);
	r = cli_api_call(ctx, "GET", "/api/v1/node", NULL, false, &node);
	if (r == 0)
		r = cli_api_call(ctx, "GET", "/api/v1/health", NULL, false, &health);
	if (r < 0)
		goto out;
	if (ctx->json) {
		r = print_json(ctx, node, health);
		if (r < 0)
			fprintf(ctx->err, "vx6: failed to print the status: %s\n", strerror(-r));
	} else {
		print_status(ctx, node, health);
	}
out:
	json_decref(node);
	json_decref(health);
	return r < 0 ? CLI_EXIT_FAILURE : CLI_EXIT_OK;
}
