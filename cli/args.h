/* cli/args.h - a small option scanner for the global options and for each
 * command. Unlike getopt it keeps no global state, never permutes argv and
 * prints its own one-line errors that quote the offending argument, so
 * every parser is testable and says exactly what was wrong.
 *
 * Accepted forms: "--name VALUE", "--name=VALUE", flags "--force", "-h",
 * and "--" to end the options.
 */
#ifndef VX6_CLI_ARGS_H
#define VX6_CLI_ARGS_H

#include <stdbool.h>
#include <stddef.h>
#include <stdio.h>

struct cli_opt {
	const char *name; /* with its dashes: "--name", "-h"; NULL ends a table */
	bool has_arg;	  /* takes a value */
	int id;		  /* > 0, returned by cli_args_next() */
};

struct cli_args {
	int argc;
	char **argv;		       /* borrowed */
	int i;			       /* next argument to look at */
	const char *who;	       /* message prefix: "vx6" or "vx6 init" */
	const struct cli_opt *globals; /* for a "put it before the command" hint, or NULL */
	FILE *err;		       /* borrowed */
};

/* The global options, known to commands only for the hint above. */
extern const struct cli_opt cli_global_opts[];

/* Start scanning argv[first..argc). `who` and the streams are borrowed. */
void cli_args_init(struct cli_args *a, int argc, char **argv, int first, const char *who,
		   FILE *err);

/* Scan the next option. Return its id and store its value (NULL for a
 * flag) in *out_val. Return 0 where the options end: at the end of argv,
 * after "--", or at the first argument that is not an option (a->i then
 * points at it). Return -1 after printing a one-line usage error for an
 * unknown option or a missing value. */
int cli_args_next(struct cli_args *a, const struct cli_opt *opts, const char **out_val);

/* Return true if no arguments remain; otherwise print "unexpected argument"
 * naming the first one and return false. */
bool cli_args_is_done(struct cli_args *a);

/* Print "<who>: <msg>; see '<who> --help'" as one line on a->err. */
void cli_args_usage_error(const struct cli_args *a, const char *fmt, ...)
    __attribute__((format(printf, 2, 3)));

/* Copy the value `val` of option `opt` into `dst` (`cap` bytes). An empty
 * or too long value is a usage error: print it and return -EINVAL or
 * -ENAMETOOLONG; otherwise return 0. */
int cli_args_copy_path(const struct cli_args *a, char *dst, size_t cap, const char *opt,
		       const char *val);

#endif /* VX6_CLI_ARGS_H */
