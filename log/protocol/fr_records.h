/*
 * fr_records.h — the value of a Kafka `records` field (Produce, Fetch).
 *
 * A records field is a run of record-batch bytes that the codecs never look
 * inside.  It comes from one of two places:
 *
 *   - memory (fd == -1): ptr/len point into a buffer.  When a request is read,
 *     ptr points into the caller's request buffer, which is mutable on purpose:
 *     the produce path patches base offsets in place before appending.  The
 *     buffer must outlive the decoded request.
 *
 *   - a file range (fd >= 0): len bytes at file_offset in fd, e.g. a slice of
 *     a segment file in a fetch response.  Writing the field splices the range
 *     into the writer (fr_writer_put_file) for sendfile(2), and hands the
 *     reference (unref, ref) to the writer, which calls unref(ref) when it is
 *     done with it.  A message holding a file range must therefore be written
 *     once.
 *
 * len == -1 means null (ptr NULL, fd -1).
 */
#ifndef FR_RECORDS_H
#define FR_RECORDS_H

#include <stdint.h>

typedef struct fr_records {
    uint8_t *ptr;
    int32_t len;            /* -1 = null */
    int fd;                 /* >= 0: the bytes are file_offset..+len in fd */
    int64_t file_offset;
    void (*unref)(void *);  /* called with ref once the writer is done */
    void *ref;
} fr_records_t;

#define FR_RECORDS_NULL ((fr_records_t){NULL, -1, -1, 0, NULL, NULL})

/* Records held in memory (borrowed: the bytes must outlive the message). */
static inline fr_records_t fr_records_mem(uint8_t *ptr, int32_t len) {
    return (fr_records_t){ptr, len, -1, 0, NULL, NULL};
}

/* Records served from a file range; the writer takes the reference. */
static inline fr_records_t fr_records_file(int fd, int64_t offset, int32_t len,
                                           void (*unref)(void *), void *ref) {
    return (fr_records_t){NULL, len, fd, offset, unref, ref};
}

#endif
