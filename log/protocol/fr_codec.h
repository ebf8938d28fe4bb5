/*
 * fr_codec.h — the few helpers the generated message codecs (fr_messages.c)
 * share: arrays read into the request arena, strings and arrays written with
 * Kafka's per-version nullability, records fields, and tagged fields.
 *
 * Handlers do not call these; they use the generated fr_<message>_read/_write.
 * Every read goes through fr_reader_t and so is bounds-checked; errors are
 * sticky in r->err, so generated code may do several reads and test once.
 */
#ifndef FR_CODEC_H
#define FR_CODEC_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "fr_arena.h"
#include "fr_buf.h"
#include "fr_records.h"

static inline void fr_codec_read_bool(fr_reader_t *r, bool *out) {
    uint8_t b;
    fr_read_bool(r, &b);
    *out = b != 0;
}

/*
 * Reads an array count and allocates zeroed room for its elements from the
 * arena.  The count is checked against the bytes left (each element takes at
 * least min_elem_size bytes) before anything is allocated.  Sets *count to
 * the element count, or -1 for a null array when nullable (a null array where
 * the version does not allow one is a parse error).  Returns the elements,
 * or NULL for an empty or null array or on error (count then 0).
 */
void *fr_codec_read_array(fr_reader_t *r, int compact, int nullable, size_t min_elem_size,
                          size_t elem_size, fr_arena_t *arena, int32_t *count);

/* Reads a records field: out points into the reader's buffer, fd = -1. */
void fr_codec_read_records(fr_reader_t *r, int compact, int nullable, fr_records_t *out);

/*
 * Tagged fields.  After reading a tag number and size, the generated code
 * reads a known field straight from r (or skips an unknown one), then calls
 * fr_codec_tag_end, which fails the reader unless exactly size bytes were
 * consumed since start.
 */
void fr_codec_tag_end(fr_reader_t *r, const uint8_t *start, uint32_t size);

/*
 * Writers.  A null string, bytes or array in a version where the field is not
 * nullable is written as empty (the broker never emits an unreadable message).
 */
void fr_codec_write_string(fr_writer_t *w, int compact, int nullable, fr_slice_t s);
void fr_codec_write_bytes(fr_writer_t *w, int compact, int nullable, fr_slice_t s);
void fr_codec_write_array_len(fr_writer_t *w, int compact, int nullable, int32_t count);
/* Writes a records field; a file range is spliced in and its reference passed on. */
void fr_codec_write_records(fr_writer_t *w, int compact, int nullable, const fr_records_t *rec);
/* Appends one tagged field (tag, size, value) whose value was written into
 * *value, then frees *value. */
void fr_codec_write_tag(fr_writer_t *w, uint32_t tag, fr_writer_t *value);

static inline int fr_codec_uuid_is_zero(const uint8_t u[16]) {
    for (int i = 0; i < 16; i++)
        if (u[i])
            return 0;
    return 1;
}

#endif
