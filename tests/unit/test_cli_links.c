/* tests/unit/test_cli_links.c - argument parsing of `vx6 peer`, `vx6 ping`
 * and `vx6 bench`: a numbered table of command lines with the exit code
 * and the exact words of the error each must give. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "cli/cli.h"
#include "cli/cmd.h"

struct parsed {
	enum cli_parse r;
	char *err;
	struct cmd_peer_args peer;
	struct cmd_probe_args probe;
};

static void parse(const char *const *args, struct parsed *p)
{
	struct cli_ctx ctx = { 0 };
	char *argv[16], *out = NULL;
	size_t n = 0, ol, el;
	FILE *fo, *fe;

	while (args[n])
		argv[n] = (char *)args[n], n++;
	argv[n] = NULL;
	fo = open_memstream(&out, &ol);
	fe = open_memstream(&p->err, &el);
	ctx.out = fo;
	ctx.err = fe;
	if (strcmp(args[0], "peer") == 0)
		p->r = cmd_peer_parse(&ctx, (int)n, argv, &p->peer);
	else if (strcmp(args[0], "ping") == 0)
		p->r = cmd_ping_parse(&ctx, (int)n, argv, &p->probe);
	else
		p->r = cmd_bench_parse(&ctx, (int)n, argv, &p->probe);
	fclose(fo);
	fclose(fe);
	free(out);
}

static const struct {
	const char *argv[8];
	enum cli_parse want;
	const char *err; /* substring of the error, "" for none */
} cases[] = {
	/* 1 */ { { "peer", "add", "K", "--endpoint", "[fd00::2]:7700", NULL }, CLI_PARSE_RUN, "" },
	/* 2 */ { { "peer", "add", "K", NULL }, CLI_PARSE_USAGE, "'add' needs --endpoint" },
	/* 3 */ { { "peer", "add", NULL }, CLI_PARSE_USAGE, "'add' needs a node key" },
	/* 4 */ { { "peer", NULL }, CLI_PARSE_USAGE, "missing a subcommand" },
	/* 5 */ { { "peer", "frob", "x", NULL }, CLI_PARSE_USAGE, "unknown subcommand 'frob'" },
	/* 6 */ { { "peer", "list", "x", NULL }, CLI_PARSE_USAGE, "'list' takes no arguments" },
	/* 7 */ { { "peer", "remove", "K", "--endpoint", "[::1]:1", NULL }, CLI_PARSE_USAGE,
		  "'remove' takes only a node" },
	/* 8 */ { { "peer", "remove", "K", NULL }, CLI_PARSE_RUN, "" },
	/* 9 */ { { "peer", "add", "K", "--endpoint", NULL }, CLI_PARSE_USAGE, "--endpoint" },
	/* 10 */ { { "peer", "list", "--bogus", NULL }, CLI_PARSE_USAGE, "--bogus" },
	/* 11 */ { { "ping", "N", NULL }, CLI_PARSE_RUN, "" },
	/* 12 */ { { "ping", NULL }, CLI_PARSE_USAGE, "missing NODE" },
	/* 13 */ { { "ping", "N", "--count", "0", NULL }, CLI_PARSE_USAGE,
		   "'0' is not a valid value for --count" },
	/* 14 */ { { "ping", "N", "--count", "100001", NULL }, CLI_PARSE_USAGE, "--count" },
	/* 15 */ { { "ping", "N", "--size", "1392", NULL }, CLI_PARSE_USAGE, "--size" },
	/* 16 */ { { "ping", "N", "--size", "-1", NULL }, CLI_PARSE_USAGE, "'-1' is not a valid" },
	/* 17 */ { { "ping", "N", "--bytes", "1", NULL }, CLI_PARSE_USAGE,
		   "'--bytes' is not an option of this command" },
	/* 18 */ { { "bench", "N", "--bytes", "64G", NULL }, CLI_PARSE_RUN, "" },
	/* 19 */ { { "bench", "N", "--bytes", "65G", NULL }, CLI_PARSE_USAGE, "--bytes" },
	/* 20 */ { { "bench", "N", "--bytes", "12X", NULL }, CLI_PARSE_USAGE, "'12X'" },
	/* 21 */ { { "bench", "N", "--count", "3", NULL }, CLI_PARSE_USAGE,
		   "'--count' is not an option" },
	/* 22 */ { { "bench", "N", "M", NULL }, CLI_PARSE_USAGE, "unexpected argument 'M'" },
	/* 23 */ { { "bench", "--help", NULL }, CLI_PARSE_HELP, "" },
	/* 24 */ { { "bench", "N", "--bytes", "99999999999999999999", NULL }, CLI_PARSE_USAGE,
		   "--bytes" },
};

static void test_table(void **state)
{
	(void)state;
	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		struct parsed p = { 0 };

		parse(cases[i].argv, &p);
		if (p.r != cases[i].want || (cases[i].err[0] && !strstr(p.err, cases[i].err)) ||
		    (!cases[i].err[0] && p.err[0]))
			fail_msg("case %zu: result %d, error '%s'; want %d and '%s'", i + 1, p.r,
				 p.err, cases[i].want, cases[i].err);
		free(p.err);
	}
}

static void test_values(void **state)
{
	const char *ping[] = { "ping", "abc", "--count", "7", "--size", "1391", "--interval", "0",
			       NULL };
	const char *bench[] = { "bench", "abc", "--bytes", "3M", NULL };
	const char *add[] = { "peer", "add", "K", "--transport", "quic", "--endpoint", "[::1]:9",
			      NULL };
	struct parsed p = { 0 };

	(void)state;
	parse(ping, &p);
	assert_int_equal(p.probe.count, 7);
	assert_int_equal(p.probe.size, 1391);
	assert_int_equal(p.probe.interval_ms, 0);
	assert_string_equal(p.probe.node, "abc");
	free(p.err);
	parse(bench, &p);
	assert_int_equal(p.probe.bytes, 3u << 20);
	free(p.err);
	parse(add, &p);
	assert_string_equal(p.peer.transport, "quic");
	assert_string_equal(p.peer.endpoint, "[::1]:9");
	assert_string_equal(p.peer.node, "K");
	free(p.err);
}

/* `vx6 resolve` and `vx6 peers` refuse bad arguments before calling vx6d. */
static void test_resolve_peers_usage(void **state)
{
	static const struct {
		const char *argv[4];
		int (*fn)(struct cli_ctx *, int, char **);
		const char *want;
	} usage_cases[] = {
		/* 1 */ { { "resolve", NULL }, cmd_resolve_main, "missing NODE_ID" },
		/* 2 */ { { "resolve", "a b", NULL }, cmd_resolve_main, "is not a node ID" },
		/* 3 */ { { "resolve", "x", "y", NULL }, cmd_resolve_main, "unexpected argument 'y'" },
		/* 4 */ { { "peers", "x", NULL }, cmd_peers_main, "unexpected argument 'x'" },
		/* 5 */ { { "resolve", "--bogus", NULL }, cmd_resolve_main, "--bogus" },
	};

	(void)state;
	for (size_t i = 0; i < sizeof(usage_cases) / sizeof(usage_cases[0]); i++) {
		struct cli_ctx ctx = { 0 };
		char *out = NULL, *err = NULL, *argv[4];
		size_t ol, el;
		int n = 0, r;

		while (usage_cases[i].argv[n])
			argv[n] = (char *)usage_cases[i].argv[n], n++;
		ctx.out = open_memstream(&out, &ol);
		ctx.err = open_memstream(&err, &el);
		r = usage_cases[i].fn(&ctx, n, argv);
		fclose(ctx.out);
		fclose(ctx.err);
		if (r != CLI_EXIT_USAGE || !strstr(err, usage_cases[i].want))
			fail_msg("case %zu: exit %d, error '%s'; want 2 and '%s'", i + 1, r, err,
				 usage_cases[i].want);
		free(out);
		free(err);
	}
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_table),
		cmocka_unit_test(test_values),
		cmocka_unit_test(test_resolve_peers_usage),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
