/* tests/fuzz/fuzz_group_request.c - the admin API's group requests
 * (daemon/groups.c): with a first byte of 0 the rest is a POST
 * /api/v1/groups body, read as the admin server reads one (jsonx, then
 * group_request_from_json()); otherwise it is a DELETE query's member list
 * (group_members_parse_list()). Properties: no crash, leak or
 * out-of-bounds access (ASan); a refusal comes with a message; an accepted
 * request holds 1..GROUP_MEMBERS_MAX nodes, and those nodes written back
 * as a list of node IDs parse to the same nodes. */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "daemon/groups.h"
#include "lib/jsonx.h"

static void check_list(const struct node_id *ids, unsigned n)
{
	char list[GROUP_MEMBERS_MAX * (NODE_ID_STR_LEN + 1) + 1] = "";
	struct node_id again[GROUP_MEMBERS_MAX];
	char err[256];
	unsigned m = 0;

	if (n == 0 || n > GROUP_MEMBERS_MAX)
		abort();
	for (unsigned i = 0; i < n; i++) {
		char id[NODE_ID_STR_LEN + 1];

		node_id_to_str(&ids[i], id);
		if (i)
			strcat(list, ",");
		strcat(list, id);
	}
	if (group_members_parse_list(list, again, &m, err, sizeof(err)) < 0 || m != n ||
	    memcmp(again, ids, n * sizeof(ids[0])) != 0)
		abort();
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t len)
{
	struct node_id ids[GROUP_MEMBERS_MAX];
	char err[512] = "", *text;
	const char *name = NULL;
	json_t *body = NULL;
	unsigned n = 0;
	int r;

	if (len == 0)
		return 0;
	text = malloc(len);
	if (!text)
		return 0;
	memcpy(text, data + 1, len - 1);
	text[len - 1] = '\0';
	if (data[0] == 0) {
		if (jsonx_parse_object(text, len - 1, &body, err, sizeof(err)) < 0)
			goto out;
		err[0] = '\0';
		r = group_request_from_json(body, &name, ids, &n, err, sizeof(err));
		if (r == 0 && !name)
			abort();
	} else {
		r = group_members_parse_list(text, ids, &n, err, sizeof(err));
	}
	if (r < 0 && err[0] == '\0')
		abort();
	if (r == 0)
		check_list(ids, n);
out:
	json_decref(body);
	free(text);
	return 0;
}
