/*
 * batch_writer.h — builds uncompressed magic-v2 record batches, for records
 * the broker writes itself (committed offsets, group metadata).
 *
 * Usage: begin, add records, finish.  Everything goes into the caller's
 * fr_writer_t; finish patches the length, counts, timestamps and CRC-32C.
 * Keys and values are copied into the writer.  Headers are not supported
 * (the broker's own records carry none).
 */
#ifndef FR_BATCH_WRITER_H
#define FR_BATCH_WRITER_H

#include <stdint.h>

#include "fr_buf.h"

typedef struct fr_batch_writer {
    fr_writer_t *w;
    size_t start;        /* offset of the batch in w */
    int32_t count;
    int64_t base_timestamp;
    int64_t max_timestamp;
} fr_batch_writer_t;

void fr_batch_writer_begin(fr_batch_writer_t *bw, fr_writer_t *w, int64_t base_timestamp);
/* value.len == -1 writes a tombstone. */
void fr_batch_writer_add(fr_batch_writer_t *bw, fr_slice_t key, fr_slice_t value, int64_t timestamp);
/* Patches the header.  Returns 0, or FR_ERR_NOMEM if the writer failed. */
int fr_batch_writer_finish(fr_batch_writer_t *bw);

#endif
