/* lib/jsonx.h - jansson helpers: parse with a located error, find the file
 * position of a value by its path, and typed field access that names the
 * field in its error.
 *
 * jansson keeps no source positions after parsing, so json_path_locate()
 * re-walks the (already validated) text to find where a value starts. That
 * lets a semantic error ("admin.listen: port out of range") carry the same
 * "file:line:col" a syntax error does.
 */
#ifndef VX6_LIB_JSONX_H
#define VX6_LIB_JSONX_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include <jansson.h>

/* Nesting cap for every JSON document vx6 accepts (STYLE.md: JSON depth is
 * capped). jansson itself allows 2048. */
#define JSONX_DEPTH_MAX 32

/* Parse `len` bytes of `text` as one JSON object. On success store a new
 * reference in *out_root and return 0. On failure write "LINE:COL: reason"
 * into `err` and return -EINVAL. Rejects duplicate keys, NUL bytes and
 * nesting deeper than JSONX_DEPTH_MAX. */
int jsonx_parse_object(const char *text, size_t len, json_t **out_root, char *err,
		       size_t err_cap);

/* Find where the value at `path` begins in `text`. A path is a dotted list
 * of object keys with optional array indices: "admin.listen",
 * "listen[1].port". On success store 1-based line and column and return 0;
 * return -ENOENT if the path is not in the text, -EINVAL if the text or the
 * path is malformed. */
int jsonx_locate(const char *text, size_t len, const char *path, int *out_line, int *out_col);

/* Maximum nesting depth of `v` (a scalar is 0). */
int jsonx_depth(const json_t *v);

#endif /* VX6_LIB_JSONX_H */
