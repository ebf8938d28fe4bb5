/*
 * fr_fs.h — small file-system helpers shared by the components.
 *
 * All return 0, or -1 with errno set to the first failure's cause.  Paths
 * are the caller's; nothing here keeps a pointer or an open descriptor.
 */
#ifndef FR_FS_H
#define FR_FS_H

#include <dirent.h>
#include <stddef.h>

/* Creates directory path and any missing parents (mode 0755); an existing
 * directory is fine, anything else by that name is not (EEXIST). */
int fr_mkdir_p(const char *path);

/* A directory stream over the directory dirfd refers to, with a position of
 * its own (dirfd's is untouched), or NULL with errno set.  closedir() it. */
DIR *fr_opendir_at(int dirfd);

/* fsyncs a directory, so that the entries made or renamed in it are durable. */
int fr_fsync_dir(const char *dir);

/* fr_fsync_dir of the directory that holds path ("." when it has no slash). */
int fr_fsync_parent(const char *path);

/* fdatasyncs the file name in the directory dirfd refers to (errno ENOENT
 * when there is none: callers whose files may be deleted meanwhile let that
 * pass). */
int fr_fdatasync_at(int dirfd, const char *name);

/* fr_file_replace: also fsync the directory, so the rename itself survives a
 * crash.  Without it a crash may leave the old file (never a torn one). */
#define FR_FS_SYNC_DIR 1

/* Replaces path's content with data[0..len): writes path.tmp, fsyncs it and
 * renames it over path, so path is always the old file or the new one.  On
 * failure the temp file is removed and path is untouched. */
int fr_file_replace(const char *path, const void *data, size_t len, int flags);

/* Removes path and everything under it; a missing path is fine.  Symbolic
 * links are removed, never followed.  Goes on past failures and reports the
 * first. */
int fr_rmtree(const char *path);

#endif
