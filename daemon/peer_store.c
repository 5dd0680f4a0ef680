/* daemon/peer_store.c - peers.json (see peer_store.h). */
#include "daemon/peer_store.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "daemon/json_file.h"
#include "lib/fs.h"
#include "lib/jsonx.h"

#define PEER_STORE_MAX_LEN (1024 * 1024)

struct peer_store *peer_store_free(struct peer_store *ps)
{
	free(ps);
	return NULL;
}

static int parse(struct peer_store *ps, const char *text, size_t len, char *err, size_t cap)
{
	char perr[256], field[64];
	const char *sub;
	json_t *root, *arr, *o;
	size_t i;
	int line = 1, col = 1;

	if (jsonx_parse_object(text, len, &root, perr, sizeof(perr)) < 0) {
		snprintf(err, cap, "%s:%s", ps->path, perr);
		return -EINVAL;
	}
	arr = json_object_get(root, "peers");
	if (json_object_size(root) != 1 || !json_is_array(arr)) {
		snprintf(err, cap, "%s:1:1: expected {\"peers\": [...]} and nothing else",
			 ps->path);
		goto bad;
	}
	if (json_array_size(arr) > PEER_ENTRIES_MAX) {
		snprintf(err, cap, "%s: more than %d peers", ps->path, PEER_ENTRIES_MAX);
		goto bad;
	}
	json_array_foreach(arr, i, o)
	{
		if (peer_entry_from_json(o, &ps->e[i], perr, sizeof(perr), &sub) < 0) {
			snprintf(field, sizeof(field), "peers[%zu]%s%s", i, sub[0] ? "." : "", sub);
			jsonx_locate(text, len, field, &line, &col);
			snprintf(err, cap, "%s:%d:%d: %s: %s", ps->path, line, col, field, perr);
			goto bad;
		}
	}
	ps->n = (unsigned)json_array_size(arr);
	json_decref(root);
	return 0;
bad:
	json_decref(root);
	return -EINVAL;
}

int peer_store_load(const char *state_dir, struct peer_store **out, char *err, size_t err_cap)
{
	struct peer_store *ps = calloc(1, sizeof(*ps));
	uint8_t *text = NULL;
	size_t len;
	int r;

	if (!ps)
		return -ENOMEM;
	if (fs_path_join(ps->path, sizeof(ps->path), state_dir, PEER_STORE_FILE) < 0) {
		free(ps);
		return -ENAMETOOLONG;
	}
	r = fs_read_file(ps->path, PEER_STORE_MAX_LEN, &text, &len);
	if (r == -ENOENT) {
		*out = ps;
		return 0;
	}
	if (r == 0)
		r = parse(ps, (const char *)text, len, err, err_cap);
	else
		snprintf(err, err_cap, "Failed to read state file '%s': %s", ps->path,
			 strerror(-r));
	free(text);
	if (r < 0) {
		free(ps);
		return r;
	}
	*out = ps;
	return 0;
}

static int index_of(const struct peer_store *ps, const struct node_id *id)
{
	struct node_id other;

	for (unsigned i = 0; i < ps->n; i++) {
		node_id_from_pubkey(&other, ps->e[i].pk);
		if (node_id_is_equal(&other, id))
			return (int)i;
	}
	return -1;
}

int peer_store_put(struct peer_store *ps, const struct peer_entry *e)
{
	struct node_id id;
	int i;

	node_id_from_pubkey(&id, e->pk);
	i = index_of(ps, &id);
	if (i >= 0) {
		ps->e[i] = *e;
		return 1;
	}
	if (ps->n >= PEER_ENTRIES_MAX)
		return -ENOSPC;
	ps->e[ps->n++] = *e;
	return 0;
}

int peer_store_del(struct peer_store *ps, const struct node_id *id)
{
	int i = index_of(ps, id);

	if (i < 0)
		return -ENOENT;
	ps->e[i] = ps->e[--ps->n];
	return 0;
}

const struct peer_entry *peer_store_find(const struct peer_store *ps, const struct node_id *id)
{
	int i = index_of(ps, id);

	return i < 0 ? NULL : &ps->e[i];
}

int peer_store_save(const struct peer_store *ps)
{
	json_t *arr = json_array();

	for (unsigned i = 0; arr && i < ps->n; i++)
		json_array_append_new(arr, peer_entry_to_json(&ps->e[i]));	  /* steals */
	return daemon_json_file_save(ps->path, json_pack("{s:o}", "peers", arr)); /* steals arr */
}
