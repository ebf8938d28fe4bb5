/*
 * fr_fs.h — small file-system helpers shared by the components.
 */
#ifndef FR_FS_H
#define FR_FS_H

/* Creates directory path and any missing parents (mode 0755); an existing
 * directory is fine, anything else by that name is not (EEXIST).  0, or -1
 * with errno set. */
int fr_mkdir_p(const char *path);

#endif
