/* tests/fuzz/fuzz_groups.c - the groups.json parser (daemon/groups.c) on
 * arbitrary bytes. Properties: no crash, leak or out-of-bounds access
 * (ASan); a refused input comes with an error message and leaves the table
 * untouched; an accepted one holds groups within the caps, sorted, with
 * valid names, and its JSON form is canonical: it parses to the same
 * table and formats to the same text again. */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "daemon/groups.h"

static char *format(const struct group_table *t)
{
	json_t *o = group_table_to_json(t);
	char *s = o ? json_dumps(o, JSON_INDENT(2)) : NULL;

	json_decref(o);
	return s;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t len)
{
	struct group_table *t = calloc(1, sizeof(*t)), *t2 = calloc(1, sizeof(*t2));
	char err[512] = "", *text = malloc(len + 1), *a = NULL, *b = NULL;

	if (!t || !t2 || !text)
		goto out;
	memcpy(text, data, len);
	text[len] = '\0';
	t->n = 7;
	if (group_table_parse(t, text, len, err, sizeof(err)) < 0) {
		if (err[0] == '\0' || t->n != 7)
			abort();
		goto out;
	}
	if (t->n > GROUPS_MAX)
		abort();
	for (unsigned i = 0; i < t->n; i++)
		if (!group_name_is_valid(t->g[i].name) || t->g[i].n > GROUP_MEMBERS_MAX ||
		    (i > 0 && strcmp(t->g[i - 1].name, t->g[i].name) >= 0))
			abort();
	a = format(t);
	if (!a || group_table_parse(t2, a, strlen(a), err, sizeof(err)) < 0 ||
	    memcmp(t, t2, sizeof(*t)) != 0)
		abort();
	b = format(t2);
	if (!b || strcmp(a, b) != 0)
		abort();
out:
	free(a);
	free(b);
	free(text);
	free(t);
	free(t2);
	return 0;
}
