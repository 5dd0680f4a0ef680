/* lib/jsonx.c - jansson helpers and a position locator (see jsonx.h).
 *
 * The locator is a small recursive-descent walker over JSON text that has
 * already been accepted by jansson. It never allocates, bounds every index by
 * `len`, and stops at JSONX_DEPTH_MAX, so even if fed garbage it fails with
 * -EINVAL rather than reading out of bounds.
 */
#include "lib/jsonx.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

int jsonx_depth(const json_t *v)
{
	int best = 0;

	if (json_is_object(v)) {
		const char *k;
		json_t *c;

		json_object_foreach((json_t *)v, k, c) {
			int d = jsonx_depth(c);

			if (d > best)
				best = d;
		}
		return best + 1;
	}
	if (json_is_array(v)) {
		size_t i;
		json_t *c;

		json_array_foreach(v, i, c) {
			int d = jsonx_depth(c);

			if (d > best)
				best = d;
		}
		return best + 1;
	}
	return 0;
}

int jsonx_parse_object(const char *text, size_t len, json_t **out_root, char *err,
		       size_t err_cap)
{
	json_error_t je;
	json_t *root;

	root = json_loadb(text, len, JSON_REJECT_DUPLICATES, &je);
	if (!root) {
		snprintf(err, err_cap, "%d:%d: %s", je.line, je.column, je.text);
		return -EINVAL;
	}
	if (!json_is_object(root)) {
		snprintf(err, err_cap, "1:1: the top level must be a JSON object");
		json_decref(root);
		return -EINVAL;
	}
	if (jsonx_depth(root) > JSONX_DEPTH_MAX) {
		snprintf(err, err_cap, "1:1: nested deeper than %d levels", JSONX_DEPTH_MAX);
		json_decref(root);
		return -EINVAL;
	}
	*out_root = root;
	return 0;
}

struct scan {
	const char *s;
	size_t len;
	size_t pos;
	int depth;
};

static void skip_ws(struct scan *sc)
{
	while (sc->pos < sc->len && strchr(" \t\r\n", sc->s[sc->pos]) && sc->s[sc->pos])
		sc->pos++;
}

/* Skip a string starting at its opening quote; record the raw body span. */
static int skip_string(struct scan *sc, size_t *out_start, size_t *out_end)
{
	if (sc->pos >= sc->len || sc->s[sc->pos] != '"')
		return -EINVAL;
	sc->pos++;
	*out_start = sc->pos;
	while (sc->pos < sc->len) {
		char c = sc->s[sc->pos];

		if (c == '\\') {
			sc->pos += 2;
			continue;
		}
		if (c == '"') {
			*out_end = sc->pos;
			sc->pos++;
			return 0;
		}
		sc->pos++;
	}
	return -EINVAL;
}

static int skip_value(struct scan *sc);

static int skip_container(struct scan *sc, char close)
{
	size_t a, b;

	if (++sc->depth > JSONX_DEPTH_MAX)
		return -EINVAL;
	sc->pos++;
	skip_ws(sc);
	if (sc->pos < sc->len && sc->s[sc->pos] == close) {
		sc->pos++;
		sc->depth--;
		return 0;
	}
	for (;;) {
		skip_ws(sc);
		if (close == '}') {
			if (skip_string(sc, &a, &b) < 0)
				return -EINVAL;
			skip_ws(sc);
			if (sc->pos >= sc->len || sc->s[sc->pos] != ':')
				return -EINVAL;
			sc->pos++;
		}
		if (skip_value(sc) < 0)
			return -EINVAL;
		skip_ws(sc);
		if (sc->pos >= sc->len)
			return -EINVAL;
		if (sc->s[sc->pos] == ',') {
			sc->pos++;
			continue;
		}
		if (sc->s[sc->pos] != close)
			return -EINVAL;
		sc->pos++;
		sc->depth--;
		return 0;
	}
}

static int skip_value(struct scan *sc)
{
	size_t a, b;

	skip_ws(sc);
	if (sc->pos >= sc->len)
		return -EINVAL;
	switch (sc->s[sc->pos]) {
	case '{':
		return skip_container(sc, '}');
	case '[':
		return skip_container(sc, ']');
	case '"':
		return skip_string(sc, &a, &b);
	default:
		/* number, true, false, null: run to the next delimiter */
		while (sc->pos < sc->len && !strchr(",]} \t\r\n", sc->s[sc->pos]))
			sc->pos++;
		return 0;
	}
}

/* With sc at an object's '{', move to the value of `key` (length klen). */
static int find_key(struct scan *sc, const char *key, size_t klen)
{
	size_t a, b;

	if (sc->pos >= sc->len || sc->s[sc->pos] != '{')
		return -ENOENT;
	sc->pos++;
	for (;;) {
		skip_ws(sc);
		if (sc->pos < sc->len && sc->s[sc->pos] == '}')
			return -ENOENT;
		if (skip_string(sc, &a, &b) < 0)
			return -EINVAL;
		skip_ws(sc);
		if (sc->pos >= sc->len || sc->s[sc->pos] != ':')
			return -EINVAL;
		sc->pos++;
		skip_ws(sc);
		/* Keys in vx6 documents are plain ASCII, so the raw span
		 * compares directly. */
		if (b - a == klen && memcmp(sc->s + a, key, klen) == 0)
			return 0;
		if (skip_value(sc) < 0)
			return -EINVAL;
		skip_ws(sc);
		if (sc->pos < sc->len && sc->s[sc->pos] == ',')
			sc->pos++;
		else
			return -ENOENT;
	}
}

/* With sc at an array's '[', move to element `idx`. */
static int find_index(struct scan *sc, unsigned long idx)
{
	if (sc->pos >= sc->len || sc->s[sc->pos] != '[')
		return -ENOENT;
	sc->pos++;
	for (unsigned long i = 0;; i++) {
		skip_ws(sc);
		if (sc->pos < sc->len && sc->s[sc->pos] == ']')
			return -ENOENT;
		if (i == idx)
			return 0;
		if (skip_value(sc) < 0)
			return -EINVAL;
		skip_ws(sc);
		if (sc->pos < sc->len && sc->s[sc->pos] == ',')
			sc->pos++;
		else
			return -ENOENT;
	}
}

int jsonx_locate(const char *text, size_t len, const char *path, int *out_line, int *out_col)
{
	struct scan sc = { .s = text, .len = len };
	const char *p = path;
	int r, line = 1, col = 1;

	skip_ws(&sc);
	while (*p) {
		if (*p == '[') {
			char *end;
			unsigned long idx = strtoul(p + 1, &end, 10);

			if (end == p + 1 || *end != ']')
				return -EINVAL;
			r = find_index(&sc, idx);
			p = end + 1;
		} else {
			size_t klen = strcspn(p, ".[");

			if (klen == 0)
				return -EINVAL;
			r = find_key(&sc, p, klen);
			p += klen;
		}
		if (r < 0)
			return r;
		skip_ws(&sc);
		if (*p == '.')
			p++;
	}
	for (size_t i = 0; i < sc.pos && i < len; i++) {
		if (text[i] == '\n') {
			line++;
			col = 1;
		} else {
			col++;
		}
	}
	*out_line = line;
	*out_col = col;
	return 0;
}
