/* cli/args.c - option scanner for vx6 command lines (see args.h). */
#include "cli/args.h"

#include <errno.h>
#include <stdarg.h>
#include <string.h>

#include "cli/text.h"

void cli_args_init(struct cli_args *a, int argc, char **argv, int first, const char *who, FILE *err)
{
	a->argc = argc;
	a->argv = argv;
	a->i = first;
	a->who = who;
	a->globals = NULL;
	a->err = err;
}

void cli_args_usage_error(const struct cli_args *a, const char *fmt, ...)
{
	va_list ap;

	fprintf(a->err, "%s: ", a->who);
	va_start(ap, fmt);
	vfprintf(a->err, fmt, ap);
	va_end(ap);
	fprintf(a->err, "; see '%s --help'\n", a->who);
}

/* Find `name` (its first `len` bytes) in `opts`. */
static const struct cli_opt *find_opt(const struct cli_opt *opts, const char *name, size_t len)
{
	for (; opts && opts->name; opts++) {
		if (strlen(opts->name) == len && memcmp(opts->name, name, len) == 0)
			return opts;
	}
	return NULL;
}

static int unknown_opt(struct cli_args *a, const char *arg, size_t len)
{
	const struct cli_opt *g = find_opt(a->globals, arg, len);
	char q[CLI_QUOTE_MAX];

	cli_escape(q, sizeof(q), arg, len);
	if (g) {
		/* "vx6 status --socket X": a global option after the command. */
		fprintf(a->err,
			"%s: '%s' is a global option; put it before the command, as in "
			"'vx6 %s%s %s'\n",
			a->who, q, g->name, g->has_arg ? " VALUE" : "",
			strncmp(a->who, "vx6 ", 4) == 0 ? a->who + 4 : "COMMAND");
		return -1;
	}
	cli_args_usage_error(a, "unknown option '%s'", q);
	return -1;
}

int cli_args_next(struct cli_args *a, const struct cli_opt *opts, const char **out_val)
{
	const struct cli_opt *o;
	const char *arg, *eq;
	char q[CLI_QUOTE_MAX];
	size_t len;

	if (a->i >= a->argc)
		return 0;
	arg = a->argv[a->i];
	if (arg[0] != '-' || arg[1] == '\0')
		return 0; /* a command or operand ("-" alone is an operand too) */
	a->i++;
	if (strcmp(arg, "--") == 0)
		return 0;
	eq = strncmp(arg, "--", 2) == 0 ? strchr(arg, '=') : NULL;
	len = eq ? (size_t)(eq - arg) : strlen(arg);
	o = find_opt(opts, arg, len);
	if (!o)
		return unknown_opt(a, arg, len);
	cli_escape(q, sizeof(q), arg, len);
	if (!o->has_arg) {
		if (eq) {
			cli_args_usage_error(a, "option '%s' takes no value", q);
			return -1;
		}
		*out_val = NULL;
		return o->id;
	}
	if (eq) {
		*out_val = eq + 1;
		return o->id;
	}
	if (a->i >= a->argc) {
		cli_args_usage_error(a, "option '%s' needs a value", q);
		return -1;
	}
	*out_val = a->argv[a->i++];
	return o->id;
}

bool cli_args_is_done(struct cli_args *a)
{
	char q[CLI_QUOTE_MAX];

	if (a->i >= a->argc)
		return true;
	cli_args_usage_error(a, "unexpected argument '%s'",
			     cli_escape_str(q, sizeof(q), a->argv[a->i]));
	return false;
}

int cli_args_copy_path(const struct cli_args *a, char *dst, size_t cap, const char *opt,
		       const char *val)
{
	char q[CLI_QUOTE_MAX];

	if (!val[0]) {
		cli_args_usage_error(a, "option '%s' needs a non-empty value", opt);
		return -EINVAL;
	}
	if (strlen(val) >= cap) {
		cli_args_usage_error(a, "value '%s' of option '%s' is too long",
				     cli_escape_str(q, sizeof(q), val), opt);
		return -ENAMETOOLONG;
	}
	strcpy(dst, val);
	return 0;
}
