/* tests/unit/vectors.h - loading known-answer vectors (JSON) in cmocka
 * tests. Include after <cmocka.h>.
 */
#ifndef VX6_TESTS_UNIT_VECTORS_H
#define VX6_TESTS_UNIT_VECTORS_H

#include <limits.h>
#include <stdio.h>
#include <stdlib.h>

#include <jansson.h>

/* Load `file` from the directory named by the environment variable `env`
 * (ctest sets VX6_VECTORS to tests/vectors and VX6_SHARED to ../shared),
 * or from `fallback` when it is unset (NULL: fail). Fails the test when
 * the file is missing or not JSON. */
static inline json_t *vectors_load(const char *env, const char *fallback, const char *file)
{
	const char *dir = getenv(env);
	char path[PATH_MAX];
	json_error_t je;
	json_t *root;

	if (!dir)
		dir = fallback;
	if (!dir)
		fail_msg("%s is not set (ctest sets it)", env);
	snprintf(path, sizeof(path), "%s/%s", dir, file);
	root = json_load_file(path, JSON_REJECT_DUPLICATES, &je);
	if (!root)
		fail_msg("Failed to load vectors '%s': %d:%d: %s", path, je.line, je.column,
			 je.text);
	return root;
}

#endif /* VX6_TESTS_UNIT_VECTORS_H */
