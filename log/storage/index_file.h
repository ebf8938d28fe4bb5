/*
 * index_file.h — helpers shared by the offset and time indexes: whole-file
 * reads and writes with EINTR and short-transfer handling, and the growable
 * entry array.  Internal to log/storage.
 */
#ifndef FR_INDEX_FILE_H
#define FR_INDEX_FILE_H

#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

/* pread/pwrite until n bytes moved.  0, or FR_ERR_IO (errno set; a short
 * pread at end of file sets errno to 0). */
int fr_pread_full(int fd, void *buf, size_t n, off_t pos);
int fr_pwrite_full(int fd, const void *buf, size_t n, off_t pos);

/* Reads the whole file into a fresh malloc'd buffer (*out, *len; NULL when
 * empty).  A file larger than max_len is FR_ERR_CORRUPT (nothing read). */
int fr_index_read_file(int fd, size_t max_len, uint8_t **out, size_t *len);

/* Writes len bytes at 0 and truncates to len. */
int fr_index_write_file(int fd, const uint8_t *buf, size_t len);

#endif
