/* tests/unit/test_cli_service.c - argument parsing of `vx6 service`,
 * `vx6 connect`, `vx6 forwards` and `vx6 group`: numbered tables of
 * command lines with the result and the words of the error each must
 * give. */
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

static enum cli_parse parse(const char *const *args, struct cmd_service_args *a, char **err)
{
	struct cli_ctx ctx = {0};
	char *argv[16], *out = NULL;
	size_t n = 0, ol, el;
	enum cli_parse r;
	FILE *fo, *fe;

	while (args[n]) {
		argv[n] = (char *)args[n];
		n++;
	}
	argv[n] = NULL;
	fo = open_memstream(&out, &ol);
	fe = open_memstream(err, &el);
	ctx.out = fo;
	ctx.err = fe;
	if (strcmp(args[0], "service") == 0)
		r = cmd_service_parse(&ctx, (int)n, argv, a);
	else if (strcmp(args[0], "connect") == 0)
		r = cmd_connect_parse(&ctx, (int)n, argv, a);
	else
		r = cmd_forwards_parse(&ctx, (int)n, argv, a);
	fclose(fo);
	fclose(fe);
	free(out);
	return r;
}

#define K "0000000000000000000000000000000000000000000000000000000000000001"

static const struct {
	const char *argv[12];
	enum cli_parse want;
	const char *err; /* substring of the error, "" for none */
} cases[] = {
    /* 1 */ {{"service", "add", "ssh", "--target", "127.0.0.1:22", NULL}, CLI_PARSE_RUN, ""},
    /* 2 */
    {{"service", "add", "ssh", "--target", "127.0.0.1:22", "--allow", "a", "--allow", "b",
      "--private", NULL},
     CLI_PARSE_RUN,
     ""},
    /* 3 */ {{"service", "add", "ssh", NULL}, CLI_PARSE_USAGE, "'add' needs --target"},
    /* 4 */ {{"service", "add", NULL}, CLI_PARSE_USAGE, "expected one service NAME"},
    /* 5 */
    {{"service", "add", "SSH", "--target", "127.0.0.1:22", NULL},
     CLI_PARSE_USAGE,
     "Invalid service name"},
    /* 6 */ {{"service", NULL}, CLI_PARSE_USAGE, "missing a subcommand"},
    /* 7 */ {{"service", "frob", NULL}, CLI_PARSE_USAGE, "unknown subcommand"},
    /* 8 */ {{"service", "list", "x", NULL}, CLI_PARSE_USAGE, "'list' takes no arguments"},
    /* 9 */ {{"service", "list", "--json", NULL}, CLI_PARSE_RUN, ""},
    /* 10 */ {{"service", "remove", "ssh", NULL}, CLI_PARSE_RUN, ""},
    /* 11 */
    {{"service", "remove", "ssh", "--target", "127.0.0.1:1", NULL},
     CLI_PARSE_USAGE,
     "'remove' takes only a NAME"},
    /* 12 */
    {{"service", "add", "ssh", "--target", "127.0.0.1:22", "--listen", "x", NULL},
     CLI_PARSE_USAGE,
     "are for 'vx6 connect'"},
    /* 13 */ {{"connect", "n2.ssh", "--listen", "127.0.0.1:15022", NULL}, CLI_PARSE_RUN, ""},
    /* 14 */ {{"connect", "n2.ssh", NULL}, CLI_PARSE_USAGE, "missing --listen"},
    /* 15 */
    {{"connect", "--listen", "127.0.0.1:1", NULL}, CLI_PARSE_USAGE, "expected one service name"},
    /* 16 */
    {{"connect", "--addr", "[fd00::2]:7700", "--node", K, "ssh", "--listen", "127.0.0.1:1", NULL},
     CLI_PARSE_RUN,
     ""},
    /* 17 */
    {{"connect", "--addr", "[fd00::2]:7700", "ssh", "--listen", "127.0.0.1:1", NULL},
     CLI_PARSE_USAGE,
     "needs both --addr and --node"},
    /* 18 */
    {{"connect", "ssh", "--node", K, "--transport", "quic", "--listen", "127.0.0.1:1", NULL},
     CLI_PARSE_USAGE,
     "needs both --addr and --node"},
    /* 19 */
    {{"connect", "n2.ssh", "--listen", "127.0.0.1:1", "--allow", "x", NULL},
     CLI_PARSE_USAGE,
     "are for 'vx6 service add'"},
    /* 20 */ {{"forwards", NULL}, CLI_PARSE_RUN, ""},
    /* 21 */ {{"forwards", "remove", "15022", NULL}, CLI_PARSE_RUN, ""},
    /* 22 */ {{"forwards", "remove", "0", NULL}, CLI_PARSE_USAGE, "PORT must be"},
    /* 23 */ {{"forwards", "remove", "70000", NULL}, CLI_PARSE_USAGE, "PORT must be"},
    /* 24 */ {{"forwards", "remove", NULL}, CLI_PARSE_USAGE, "'remove PORT'"},
    /* 25 */ {{"forwards", "--listen", "127.0.0.1:1", NULL}, CLI_PARSE_USAGE, "takes no options"},
    /* 26 */ {{"forwards", "--bogus", NULL}, CLI_PARSE_USAGE, "unknown option '--bogus'"},
    /* 27 */ {{"connect", "--help", NULL}, CLI_PARSE_HELP, ""},
    /* 28 */
    {{"service", "add", "ssh-", "--target", "127.0.0.1:22", NULL},
     CLI_PARSE_USAGE,
     "Invalid service name"},
    /* 29 */ {{"service", "remove", "-", NULL}, CLI_PARSE_USAGE, "Invalid service name"},
    /* 30 */ {{"forwards", "remove", "12a", NULL}, CLI_PARSE_USAGE, "PORT must be"},
};

static void test_table(void **state)
{
	(void)state;
	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		struct cmd_service_args a;
		char *err = NULL;
		enum cli_parse r = parse(cases[i].argv, &a, &err);

		if (r != cases[i].want || (cases[i].err[0] && !strstr(err, cases[i].err)) ||
		    (!cases[i].err[0] && err[0]))
			fail_msg("case %zu: got %d, error '%s'", i + 1, r, err);
		free(err);
	}
}

static void test_parsed_values(void **state)
{
	const char *const argv[] = {"service", "add", "db",	 "--target", "[::1]:5432",
				    "--allow", "n1",  "--allow", "n3",	     NULL};
	struct cmd_service_args a;
	char *err = NULL;

	(void)state;
	assert_int_equal(parse(argv, &a, &err), CLI_PARSE_RUN);
	free(err);
	assert_string_equal(a.pos[1], "db");
	assert_string_equal(a.target, "[::1]:5432");
	assert_int_equal(a.n_allow, 2);
	assert_string_equal(a.allow[1], "n3");
	assert_false(a.private_);
}

static const struct {
	const char *argv[40];
	enum cli_parse want;
	const char *err; /* substring of the error, "" for none */
} group_cases[] = {
    /* 1 */ {{"group", "add", "ops", "n1", "n2", NULL}, CLI_PARSE_RUN, ""},
    /* 2 */ {{"group", "add", "ops", NULL}, CLI_PARSE_USAGE, "'add' needs at least one NODE"},
    /* 3 */ {{"group", "add", NULL}, CLI_PARSE_USAGE, "expected a group NAME"},
    /* 4 */ {{"group", "remove", "ops", NULL}, CLI_PARSE_RUN, ""},
    /* 5 */ {{"group", "remove", "ops", "n1", NULL}, CLI_PARSE_RUN, ""},
    /* 6 */ {{"group", "list", NULL}, CLI_PARSE_RUN, ""},
    /* 7 */ {{"group", "list", "--json", NULL}, CLI_PARSE_RUN, ""},
    /* 8 */ {{"group", "list", "ops", NULL}, CLI_PARSE_USAGE, "'list' takes no arguments"},
    /* 9 */ {{"group", NULL}, CLI_PARSE_USAGE, "missing a subcommand"},
    /* 10 */ {{"group", "frob", "x", NULL}, CLI_PARSE_USAGE, "unknown subcommand"},
    /* 11 */ {{"group", "add", "Ops", "n1", NULL}, CLI_PARSE_USAGE, "Invalid group name: 1..63"},
    /* 12 */ {{"group", "add", "@ops", "n1", NULL}, CLI_PARSE_USAGE, "without the '@'"},
    /* 13 */ {{"group", "remove", "ops-", NULL}, CLI_PARSE_USAGE, "Invalid group name"},
    /* 14 */ {{"group", "remove", "a/b", NULL}, CLI_PARSE_USAGE, "Invalid group name"},
    /* 15 */ {{"group", "add", "ops", "--bogus", NULL}, CLI_PARSE_USAGE, "unknown option"},
    /* 16 */ {{"group", "--help", NULL}, CLI_PARSE_HELP, ""},
    /* 17 */
    {{"group", "add", "ops", "1",  "2",	 "3",  "4",  "5",  "6",	 "7",  "8",  "9",  "10",
      "11",    "12",  "13",  "14", "15", "16", "17", "18", "19", "20", "21", "22", "23",
      "24",    "25",  "26",  "27", "28", "29", "30", "31", "32", "33", NULL},
     CLI_PARSE_USAGE,
     "at most 32 nodes"},
};

static void test_group_table(void **state)
{
	(void)state;
	for (size_t i = 0; i < sizeof(group_cases) / sizeof(group_cases[0]); i++) {
		struct cli_ctx ctx = {0};
		struct cmd_group_args a;
		char *argv[40], *out = NULL, *err = NULL;
		size_t n = 0, ol, el;
		enum cli_parse r;

		while (group_cases[i].argv[n]) {
			argv[n] = (char *)group_cases[i].argv[n];
			n++;
		}
		argv[n] = NULL;
		ctx.out = open_memstream(&out, &ol);
		ctx.err = open_memstream(&err, &el);
		r = cmd_group_parse(&ctx, (int)n, argv, &a);
		fclose(ctx.out);
		fclose(ctx.err);
		if (r != group_cases[i].want ||
		    (group_cases[i].err[0] && !strstr(err, group_cases[i].err)) ||
		    (!group_cases[i].err[0] && err[0]))
			fail_msg("group case %zu: got %d, error '%s'", i + 1, r, err);
		if (i == 0 &&
		    (a.n_nodes != 2 || strcmp(a.name, "ops") != 0 || strcmp(a.nodes[1], "n2") != 0))
			fail_msg("group case 1: parsed values");
		free(out);
		free(err);
	}
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_table),
	    cmocka_unit_test(test_parsed_values),
	    cmocka_unit_test(test_group_table),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
