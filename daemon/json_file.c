/* daemon/json_file.c - see json_file.h. */
#include "daemon/json_file.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "lib/fs.h"

int daemon_json_file_save(const char *path, json_t *root)
{
	char *text = root ? json_dumps(root, JSON_INDENT(2)) : NULL;
	int r;

	json_decref(root);
	if (!text)
		return -ENOMEM;
	r = fs_write_atomic(path, text, strlen(text), 0600);
	free(text);
	return r;
}
