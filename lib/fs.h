/* lib/fs.h - durable file helpers for the state directory.
 *
 * Every state write in vx6 goes through fs_write_atomic(): write a temporary
 * file beside the target, fsync it, rename it over the target, fsync the
 * directory. A crash (even kill -9) at any moment leaves either the old or
 * the new complete file, never a torn one. File I/O happens only at startup,
 * reload and on explicit state changes, never on the packet path.
 */
#ifndef VX6_LIB_FS_H
#define VX6_LIB_FS_H

#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

/* Atomically replace `path` with `len` bytes of `data`, created with `mode`.
 * Return 0 or a negative errno from the failing system call. */
int fs_write_atomic(const char *path, const void *data, size_t len, mode_t mode);

/* Create `path` with `mode` only if it does not exist (O_EXCL), durably.
 * Return 0, -EEXIST, or another negative errno. */
int fs_write_new(const char *path, const void *data, size_t len, mode_t mode);

/* Read the whole file at `path`, refusing one larger than `max_len`. On
 * success store a malloc'd, NUL-terminated buffer the caller frees in
 * *out_buf and its length (without the NUL) in *out_len. Return 0, -EFBIG,
 * or a negative errno. */
int fs_read_file(const char *path, size_t max_len, uint8_t **out_buf, size_t *out_len);

/* Check that `path` is a regular file with no group or other permission
 * bits. Return 0, -EPERM (too open; *out_mode holds the mode), -ENOENT,
 * -EINVAL (not a regular file) or another negative errno. */
int fs_check_private(const char *path, mode_t *out_mode);

/* Create directory `path` and its parents with `mode` where missing.
 * Return 0 or a negative errno. */
int fs_mkdir_p(const char *path, mode_t mode);

/* Join `dir` and `name` into `out` (`cap` bytes). Return 0 or -ENAMETOOLONG. */
int fs_path_join(char *out, size_t cap, const char *dir, const char *name);

#endif /* VX6_LIB_FS_H */
