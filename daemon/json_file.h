/* daemon/json_file.h - save a JSON state file (services.json,
 * forwards.json, groups.json, peers.json) through lib/fs.h. */
#ifndef VX6_DAEMON_JSON_FILE_H
#define VX6_DAEMON_JSON_FILE_H

#include <jansson.h>

/* Write `root` to `path` as indented JSON, atomically (fs_write_atomic),
 * mode 0600. Steals `root`; NULL (a failed json_pack) gives -ENOMEM.
 * Return 0 or a negative errno. */
int daemon_json_file_save(const char *path, json_t *root);

#endif /* VX6_DAEMON_JSON_FILE_H */
