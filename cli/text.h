/* cli/text.h - safe quoting of untrusted text in messages.
 *
 * Every string that came from a user, a file or vx6d is escaped before it
 * reaches a terminal, so a hostile value cannot inject escape sequences or
 * forge extra lines (STYLE.md "Logging": quote and escape).
 */
#ifndef VX6_CLI_TEXT_H
#define VX6_CLI_TEXT_H

#include <stddef.h>

/* Big enough for any path or value we quote; longer ones end in "...". */
#define CLI_QUOTE_MAX 1024

/* Copy `len` bytes of `s` into `out` (`cap` bytes, at least 8), escaping
 * bytes outside printable ASCII as \xNN and the backslash as \\. If the
 * result does not fit, cut it at a whole escape and end it with "...".
 * Always NUL-terminate. Return `out`, for use as a printf argument. */
const char *cli_escape(char *out, size_t cap, const void *s, size_t len);

/* cli_escape() of a NUL-terminated string; NULL prints as "(null)". */
const char *cli_escape_str(char *out, size_t cap, const char *s);

/* snprintf() into `err` if `cap` > 0. */
void cli_errf(char *err, size_t cap, const char *fmt, ...) __attribute__((format(printf, 3, 4)));

#endif /* VX6_CLI_TEXT_H */
