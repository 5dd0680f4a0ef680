/* cli/cmd_links.c - `vx6 links`: every peer link with its state,
 * transport, endpoint, RTT, traffic and drops (GET /api/v1/links). */
#include <string.h>

#include <jansson.h>

#include "cli/api.h"
#include "cli/args.h"
#include "cli/cmd.h"
#include "cli/text.h"

static const char links_usage[] =
    "Usage: vx6 links [--json]\n"
    "\n"
    "Show every peer link of the running vx6d: state (up, connecting, backoff,\n"
    "idle), transport, endpoint, direction, RTT, bytes and packets each way,\n"
    "drops by reason, and the handshake counters.\n"
    "\n"
    "Options:\n"
    "  --json      print the API's JSON\n"
    "  --help, -h  show this help\n";

enum { OPT_JSON = 1, OPT_HELP };

static const struct cli_opt links_opts[] = {
    {"--json", false, OPT_JSON},
    {"--help", false, OPT_HELP},
    {"-h", false, OPT_HELP},
    {NULL, false, 0},
};

static json_int_t num(const json_t *o, const char *k)
{
	const json_t *v = json_object_get(o, k);

	return json_is_integer(v) ? json_integer_value(v) : -1;
}

static const char *str(const json_t *o, const char *k, char q[CLI_QUOTE_MAX])
{
	const char *s = json_string_value(json_object_get(o, k));

	return cli_escape_str(q, CLI_QUOTE_MAX, s ? s : "?");
}

static void print_link(const struct cli_ctx *ctx, const json_t *l)
{
	char id[CLI_QUOTE_MAX], st[CLI_QUOTE_MAX], tp[CLI_QUOTE_MAX], ep[CLI_QUOTE_MAX],
	    dir[CLI_QUOTE_MAX], lc[CLI_QUOTE_MAX];
	const json_t *drops = json_object_get(l, "drops"), *v;
	const char *k;
	json_int_t total = 0;

	json_object_foreach((json_t *)drops, k, v)
	{
		if (json_is_integer(v))
			total += json_integer_value(v);
	}
	fprintf(ctx->out, "%s\n", str(l, "node_id", id));
	fprintf(ctx->out, "  %-6s %s %s %s%s, rtt %.3f ms\n", str(l, "state", st),
		str(l, "transport", tp), str(l, "endpoint", ep), str(l, "direction", dir),
		json_is_true(json_object_get(l, "configured")) ? ", configured" : "",
		json_number_value(json_object_get(l, "rtt_ms")));
	fprintf(ctx->out, "  tx %lld B / %lld pkts, rx %lld B / %lld pkts, drops %lld",
		num(l, "tx_bytes"), num(l, "tx_packets"), num(l, "rx_bytes"),
		num(l, "rx_packets"), total);
	fprintf(ctx->out, ", connects %lld, last close %s\n", num(l, "connects"),
		str(l, "last_close", lc));
}

int cmd_links_main(struct cli_ctx *ctx, int argc, char **argv)
{
	const json_t *links, *l, *hs;
	struct cli_args a;
	json_t *res = NULL;
	const char *val;
	size_t i;
	int id, r;

	cli_args_init(&a, argc, argv, 1, "vx6 links", ctx->err);
	a.globals = cli_global_opts;
	while ((id = cli_args_next(&a, links_opts, &val)) != 0) {
		if (id < 0)
			return CLI_EXIT_USAGE;
		if (id == OPT_HELP) {
			fputs(links_usage, ctx->out);
			return CLI_EXIT_OK;
		}
		ctx->json = true;
	}
	if (!cli_args_is_done(&a))
		return CLI_EXIT_USAGE;
	r = cli_api_call(ctx, "GET", "/api/v1/links", NULL, false, &res);
	if (r < 0)
		return CLI_EXIT_FAILURE;
	if (ctx->json) {
		cli_print_json(ctx, res);
		json_decref(res);
		return CLI_EXIT_OK;
	}
	links = json_object_get(res, "links");
	if (!json_is_array(links) || json_array_size(links) == 0)
		fprintf(ctx->out, "no links\n");
	json_array_foreach(links, i, l)
	    print_link(ctx, l);
	hs = json_object_get(res, "handshakes");
	fprintf(ctx->out, "handshakes: %lld completed, %lld failed, %lld refused (rate), %lld "
			  "refused (cap)\n",
		num(hs, "completed"), num(hs, "failed"), num(hs, "refused_rate"),
		num(hs, "refused_cap"));
	json_decref(res);
	return CLI_EXIT_OK;
}
